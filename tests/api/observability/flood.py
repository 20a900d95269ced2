"""Clients that send `GET <url>` back to back until stopped, run as a process of their own so that
their work does not share the measuring test's interpreter lock:

    python -m tests.api.observability.flood URL CLIENTS

It prints `ready` once every client has had an answer, floods until its standard input closes,
then prints one JSON line: {"requests": n, "statuses": {"200": n, ...}, "errors": n, "maxS": s}.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter

import requests

REQUEST_TIMEOUT_S = 30.0


def flood(url: str, clients: int) -> dict[str, object]:
    stop = threading.Event()
    lock = threading.Lock()
    statuses: Counter[str] = Counter()
    slowest = [0.0]
    errors = [0]
    answered = threading.Barrier(clients + 1)

    def client() -> None:
        session, first = requests.Session(), True
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = str(session.get(url, timeout=REQUEST_TIMEOUT_S).status_code)
            except requests.RequestException:
                status = ""
            with lock:
                if status:
                    statuses[status] += 1
                else:
                    errors[0] += 1
                slowest[0] = max(slowest[0], time.monotonic() - started)
            if first:
                first = False
                answered.wait()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    answered.wait()
    print("ready", flush=True)
    sys.stdin.read()  # the test closes it to stop the flood
    stop.set()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT_S)
    return {"requests": sum(statuses.values()), "statuses": dict(statuses), "errors": errors[0],
            "maxS": round(slowest[0], 3)}


if __name__ == "__main__":
    print(json.dumps(flood(sys.argv[1], int(sys.argv[2]))), flush=True)
