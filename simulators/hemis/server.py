"""The HEMIS simulator's HTTP server: the real REST envelope plus a control API for tests.

Upstream routes (bearer token checked; a wrong or missing one gets Yii2's 401, as `HttpBearerAuth`
and the production error handler give it: `{"name", "message", "code", "status"}` and
`WWW-Authenticate: Bearer realm="api"`, before the rate limiter counts anything):
  GET /rest/v1/data/student-list?page&limit&_student_status&search
  GET /rest/v1/data/employee-list?type&page&limit&search
Control routes (no auth; bind to localhost):
  POST /_control/reset    {"students", "employees", "seed", "duplicatePersons"}   data, faults, stats and
                          config back to new; `duplicatePersons` N: N persons listed twice (a second
                          enrolment each, within the `students` items: `dataset.py`)
  POST /_control/config   {"latency_ms", "array_envelope", "token",
                           "rate_limit": {"limit", "window_s", "headers"} (Yii2's limiter; null = none)}
  POST /_control/faults   {"rules": [{"path", "page", "status", "count", "retry_after", "body", "delay_s"}]}
  DELETE /_control/faults
  POST /_control/change   {"kind", "prepend", "remove": [...], "edit": [...], "version", "after_requests"}
  GET  /_control/stats    {"requests": [{"t", "path", "page", "status"}]};  DELETE clears them
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

# Compact JSON, as Yii2's json_encode writes it; the simulator's own CPU (on the same machine as the
# workers in tests and benchmarks) is not what is measured, so it is spent as little as possible.
import orjson

from simulators.hemis.dataset import Dataset
from simulators.hemis.ratelimit import TOO_MANY_REQUESTS, Yii2RateLimiter, limiter_from

MAX_LIMIT = 200
DEFAULT_LIMIT = 20  # Yii2's default page size
DATA_PREFIX = "/rest/v1/data/"
RESOURCES = {"student-list": "students", "employee-list": "employees"}
# Yii2's error body outside debug mode (`type`, file and trace are added only with YII_DEBUG).
UNAUTHORIZED = {"name": "Unauthorized", "message": "Your request was made with invalid credentials.", "code": 0,
                "status": 401}
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}  # HttpBearerAuth::challenge
HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
            b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


@dataclass
class FaultRule:
    """Answer matching requests wrongly, `count` times (-1: forever)."""

    path: str | None = None  # "student-list" / "employee-list" / None = any
    page: int | None = None
    status: int = 503
    count: int = 1
    retry_after: str | None = None
    body: str = "json"  # json | html | success_false | garbage
    delay_s: float = 0.0  # sleep first (longer than the client's read timeout = a timeout)

    def matches(self, resource: str, page: int) -> bool:
        return self.count != 0 and self.path in (None, resource) and self.page in (None, page)


@dataclass
class PendingChange:
    kind: str
    after_requests: int
    prepend: int = 0
    remove: list[int] = field(default_factory=list)
    edit: list[int] = field(default_factory=list)
    version: int = 1


@dataclass
class SimulatorState:
    token: str
    students: Dataset
    employees: Dataset
    latency_s: float = 0.0
    array_envelope: bool = False
    rate_limiter: Yii2RateLimiter | None = None
    faults: list[FaultRule] = field(default_factory=list)
    changes: list[PendingChange] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    list_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def dataset(self, kind: str) -> Dataset:
        return self.students if kind == "students" else self.employees

    def reset(self, students: int, employees: int, seed: int, duplicate_persons: int = 0) -> None:
        self.students = Dataset("students", students, seed, duplicate_persons=duplicate_persons)
        self.employees = Dataset("employees", employees, seed)
        self.latency_s, self.array_envelope, self.rate_limiter = 0.0, False, None
        self.faults, self.changes, self.requests, self.list_requests = [], [], [], 0

    def take_fault(self, resource: str, page: int) -> FaultRule | None:
        with self.lock:
            for rule in self.faults:
                if rule.matches(resource, page):
                    rule.count -= 1 if rule.count > 0 else 0
                    return rule
        return None

    def count_request(self) -> None:
        """Apply changes scheduled "after N list requests" (data changing while a sync runs)."""
        with self.lock:
            self.list_requests += 1
            due = [c for c in self.changes if c.after_requests <= self.list_requests]
            self.changes = [c for c in self.changes if c not in due]
        for change in due:
            apply_change(self.dataset(change.kind), change)


def apply_change(dataset: Dataset, change: PendingChange) -> None:
    if change.prepend:
        dataset.prepend(change.prepend)
    if change.remove:
        dataset.remove(change.remove)
    if change.edit:
        dataset.edit(change.edit, change.version)


def stats_body(state: SimulatorState) -> dict[str, Any]:
    """Every request seen, and with a rate limit its summary: how many were refused, and the most
    requests (refused ones included) that arrived within any one window."""
    requests = list(state.requests)
    body: dict[str, Any] = {"requests": requests}
    limiter = state.rate_limiter
    if limiter is not None:
        times = [r["t"] for r in requests if r["path"] in RESOURCES]
        body["rateLimit"] = {"limit": limiter.limit, "windowS": limiter.window_s, "headers": limiter.headers,
                             "refused": sum(1 for r in requests if r["status"] == 429),
                             "maxRequestsInWindow": max_requests_in_any_window(times, limiter.window_s)}
    return body


def max_requests_in_any_window(times: list[float], window_s: float = 1.0) -> int:
    """The most requests that arrived within any `window_s` span."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def envelope(items: list[dict[str, Any]], pagination: dict[str, int], as_arrays: bool) -> dict[str, Any]:
    page_info: Any = [pagination] if as_arrays else pagination
    data: Any = {"items": items, "pagination": page_info}
    return {"success": True, "error": None, "data": [data] if as_arrays else data, "code": 200}


class HemisHandler(BaseHTTPRequestHandler):
    server: "HemisServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        if self.server.verbose:
            super().log_message(format, *args)

    # --- upstream routes --------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/_control/stats":
            return self._json(200, stats_body(self.server.state))
        if not url.path.startswith(DATA_PREFIX):
            return self._json(404, {"name": "Not Found", "message": "Page not found.", "code": 0, "status": 404})
        resource = url.path[len(DATA_PREFIX):].strip("/")
        arrived = time.time()  # the rate a server sees is the rate requests arrive at
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        page = _int(query.get("page"), 1)
        state = self.server.state
        status = self._answer(resource, query, page)
        with state.lock:
            state.requests.append({"t": arrived, "path": resource, "page": page, "status": status})

    def _answer(self, resource: str, query: dict[str, str], page: int) -> int:
        state = self.server.state
        if self.headers.get("Authorization", "") != f"Bearer {state.token}":
            return self._json(401, UNAUTHORIZED, BEARER_CHALLENGE)
        if resource not in RESOURCES:
            return self._json(404, {"name": "Not Found", "message": "Page not found.", "code": 0, "status": 404})
        verdict = state.rate_limiter.check() if state.rate_limiter else None
        if verdict is not None and not verdict.allowed:
            return self._json(429, TOO_MANY_REQUESTS, verdict.headers)
        self._limit_headers = verdict.headers if verdict else {}
        state.count_request()
        if state.latency_s:
            time.sleep(state.latency_s)
        fault = state.take_fault(resource, page)
        if fault is not None:
            return self._fault(fault)
        dataset = state.dataset(RESOURCES[resource])
        limit = max(1, min(_int(query.get("limit"), DEFAULT_LIMIT), MAX_LIMIT))
        search = query.get("search")
        if search:
            found = dataset.search(search)
            pagination = {"totalCount": len(found), "pageSize": limit, "pageCount": -(-len(found) // limit),
                          "page": 1}
            return self._json(200, envelope(found[:limit], pagination, state.array_envelope))
        if RESOURCES[resource] == "students" and query.get("_student_status", "11") != "-1":
            return self._json(200, self._active_students(dataset, page, limit))
        items, pagination = dataset.page(page, limit)
        return self._json(200, envelope(items, pagination, state.array_envelope))

    def _active_students(self, dataset: Dataset, page: int, limit: int) -> dict[str, Any]:
        """Without `_student_status`, HEMIS lists only students studying now (status 11)."""
        active = [item for item in dataset.all_items() if str(item["studentStatus"]["code"]) == "11"]
        page_count = -(-len(active) // limit)
        page = max(1, min(page, page_count or 1))
        pagination = {"totalCount": len(active), "pageSize": limit, "pageCount": page_count, "page": page}
        return envelope(active[(page - 1) * limit: page * limit], pagination, self.server.state.array_envelope)

    def _fault(self, fault: FaultRule) -> int:
        if fault.delay_s:
            time.sleep(fault.delay_s)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.body == "html":
            return self._send(fault.status, HTML_502, "text/html", headers)
        if fault.body == "garbage":
            return self._send(fault.status, b"\x00not json", "application/octet-stream", headers)
        if fault.body == "success_false":
            return self._json(fault.status, {"success": False, "error": "Internal error", "data": None,
                                             "code": fault.status}, headers)
        return self._json(fault.status, {"name": "Error", "message": f"simulated HTTP {fault.status}",
                                         "code": 0, "status": fault.status}, headers)

    # --- control routes ---------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802
        state = self.server.state
        body = self._body()
        route = urlparse(self.path).path
        if route == "/_control/reset":
            try:
                state.reset(int(body.get("students", 0)), int(body.get("employees", 0)), int(body.get("seed", 1)),
                            int(body.get("duplicatePersons", 0)))
            except ValueError as exc:
                self._json(400, {"message": str(exc)})
                return
        elif route == "/_control/config":
            if "latency_ms" in body:
                state.latency_s = float(body["latency_ms"]) / 1000
            if "array_envelope" in body:
                state.array_envelope = bool(body["array_envelope"])
            if "token" in body:
                state.token = str(body["token"])
            if "rate_limit" in body:
                state.rate_limiter = limiter_from(body["rate_limit"])
        elif route == "/_control/faults":
            with state.lock:
                state.faults.extend(FaultRule(**rule) for rule in body.get("rules", []))
        elif route == "/_control/change":
            change = PendingChange(**body)
            if change.after_requests <= state.list_requests:
                apply_change(state.dataset(change.kind), change)
            else:
                with state.lock:
                    state.changes.append(change)
        else:
            self._json(404, {"message": "unknown control route"})
            return
        self._json(200, {"ok": True})

    def do_DELETE(self) -> None:  # noqa: N802
        state = self.server.state
        route = urlparse(self.path).path
        with state.lock:
            if route == "/_control/faults":
                state.faults = []
            elif route == "/_control/stats":
                state.requests = []
        self._json(200, {"ok": True})

    # --- plumbing ---------------------------------------------------------------------------------
    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}") if length else {}

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> int:
        if status == 200:  # Yii2 adds its rate-limit headers to every answer the limiter let through
            headers = {**self.__dict__.pop("_limit_headers", {}), **(headers or {})}
        return self._send(status, orjson.dumps(payload), "application/json; charset=UTF-8", headers or {})

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> int:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (read timeout): nothing to answer
        return status


class HemisServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, state: SimulatorState, verbose: bool = False) -> None:
        super().__init__((host, port), HemisHandler)
        self.state = state
        self.verbose = verbose


def make_server(host: str, port: int, token: str, students: int, employees: int, seed: int,
                verbose: bool = False, duplicate_persons: int = 0) -> HemisServer:
    state = SimulatorState(token=token, students=Dataset("students", students, seed,
                                                         duplicate_persons=duplicate_persons),
                           employees=Dataset("employees", employees, seed))
    return HemisServer(host, port, state, verbose)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
