"""The simulator's HTTP server: Sipuni's statistics endpoints plus a control API.

Sipuni endpoints (under `/api`, POST form-urlencoded or query string, like the real service):
`statistic/export/all`, `statistic/export`, `statistic/record`. A wrong or missing `hash` (or an
unknown `user`) gets the HTML page "Неправильный хеш" with HTTP 500. The connection test
(`shared.sipuni.probe`) is `statistic/export/all` with `limit=1`, answered like any export: a wrong
secret or account gets that page, and `failNext` `{"endpoint": "export/all", "status": 429,
"retryAfter": 7}` rate-limits it (503: Sipuni unavailable, 500: an unexpected answer).

Control API (JSON, for tests and benchmarks):
- `POST /control/reset`   {"calls": N, "seed": X, "tzOffsetHours": 5, "newestLocal": "2025-10-06T18:00:00"}
                          — new data (the newest call at `newestLocal`, local time), default options, no faults
- `POST /control/format`  {"header": "new|old|2015", "bom": bool, "names": bool, "trailing": "ragged|all|none", "seconds": bool}
- `POST /control/faults`  {"latencyMs", "chunkDelayMs", "failNext": [{"endpoint", "status", "count", "retryAfter"}],
                           "dropNext": {"count", "afterBytes"}, "dropRecords": {id: count}, "recordStatus": {id: status},
                           "recordingSizes": {id or "*": bytes}} — merged into the current faults
                          Recording variants (real servers differ): "recordContentTypes": {id or "*": type, "" = no
                          header}, "recordFormats": {id: "mp3|wav|ogg"}, "htmlRecordings": {id: content type of an
                          HTML page served instead, status 200}, "gzipRecordings": bool (Content-Encoding: gzip with
                          the compressed Content-Length), "badHashPaddingBytes": N (markup before the marker)
- `GET  /control/stats`   request counts by endpoint and by record, statuses, drops, bytes sent
- `GET  /control/calls`   the ground truth: every call as JSON
"""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from simulators.sipuni import audio
from simulators.sipuni.calls import DEFAULT_NEWEST_LOCAL, RECORDING_MISSING, RECORDING_NOT_AUDIO, SimCall, generate
from simulators.sipuni.csv_format import FormatOptions, render

BAD_HASH_PAGE = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Ошибка</title></head>"
                 "<body><h1>Неправильный хеш</h1></body></html>").encode("utf-8")
NOT_FOUND_PAGE = b"<html><body><h1>404 Not Found</h1></body></html>"
NOT_AUDIO_BODY = b'{"success":false,"message":"file not found"}'
HTML_PLAYER_PAGE = b"<!DOCTYPE html><html><head><title>Sipuni</title></head><body><audio controls></audio></body></html>"
DEFAULT_RECORDING_TYPE = "audio/mpeg"
DATE_FORMAT = "%d.%m.%Y"
DEFAULT_EXPORT_LIMIT = 500
MAX_CONTROL_BODY_BYTES = 10 * 1024 * 1024


@dataclass
class Faults:
    latency_ms: int = 0
    chunk_delay_ms: int = 0
    fail_next: list[dict[str, Any]] = field(default_factory=list)
    drop_next: dict[str, int] = field(default_factory=dict)
    drop_records: dict[str, int] = field(default_factory=dict)
    record_status: dict[str, int] = field(default_factory=dict)
    recording_sizes: dict[str, int] = field(default_factory=dict)
    record_content_types: dict[str, str] = field(default_factory=dict)
    record_formats: dict[str, str] = field(default_factory=dict)
    html_recordings: dict[str, str] = field(default_factory=dict)
    gzip_recordings: bool = False
    bad_hash_padding_bytes: int = 0

    def recording_size_for(self, record_id: str, generated: int) -> int:
        """A size set for this recording, else one set for every recording ("*"), else the generated one."""
        return self.recording_sizes.get(record_id, self.recording_sizes.get("*", generated))

    def content_type_for(self, record_id: str) -> str:
        return self.record_content_types.get(record_id, self.record_content_types.get("*", DEFAULT_RECORDING_TYPE))

    def merge(self, changes: dict[str, Any]) -> None:
        self.latency_ms = int(changes.get("latencyMs", self.latency_ms))
        self.chunk_delay_ms = int(changes.get("chunkDelayMs", self.chunk_delay_ms))
        self.fail_next.extend(changes.get("failNext", []))
        if "dropNext" in changes:
            self.drop_next = dict(changes["dropNext"])
        self.drop_records.update({str(k): int(v) for k, v in changes.get("dropRecords", {}).items()})
        self.record_status.update({str(k): int(v) for k, v in changes.get("recordStatus", {}).items()})
        self.recording_sizes.update({str(k): int(v) for k, v in changes.get("recordingSizes", {}).items()})
        self.record_content_types.update({str(k): str(v) for k, v in changes.get("recordContentTypes", {}).items()})
        self.record_formats.update({str(k): str(v) for k, v in changes.get("recordFormats", {}).items()})
        self.html_recordings.update({str(k): str(v) for k, v in changes.get("htmlRecordings", {}).items()})
        self.gzip_recordings = bool(changes.get("gzipRecordings", self.gzip_recordings))
        self.bad_hash_padding_bytes = int(changes.get("badHashPaddingBytes", self.bad_hash_padding_bytes))


class SimState:
    """Everything the server knows; every access holds the lock (handlers run in threads)."""

    def __init__(self, user: str, secret: str, calls: int, seed: int, tz_offset_h: float = 5) -> None:
        self.user, self.secret = user, secret
        self.lock = threading.RLock()
        self.reset(calls, seed, tz_offset_h)

    def reset(self, calls: int, seed: int, tz_offset_h: float = 5, newest_local: datetime | None = None) -> None:
        with self.lock:
            self.calls: list[SimCall] = generate(calls, seed, newest_local=newest_local or DEFAULT_NEWEST_LOCAL,
                                                 tz_offset_h=tz_offset_h)
            self.by_id = {call.record_id: call for call in self.calls}
            self.options = FormatOptions()
            self.faults = Faults()
            self.stats: Counter[str] = Counter()
            self.record_requests: Counter[str] = Counter()

    def take_failure(self, endpoint: str) -> dict[str, Any] | None:
        with self.lock:
            for rule in self.faults.fail_next:
                if rule.get("endpoint", "*") in ("*", endpoint) and int(rule.get("count", 1)) > 0:
                    rule["count"] = int(rule.get("count", 1)) - 1
                    return rule
        return None

    def take_drop(self, record_id: str) -> int | None:
        """Bytes to send before dropping this download, or None to send it whole."""
        with self.lock:
            if self.faults.drop_records.get(record_id, 0) > 0:
                self.faults.drop_records[record_id] -= 1
                return -1
            if self.faults.drop_next.get("count", 0) > 0:
                self.faults.drop_next["count"] -= 1
                return int(self.faults.drop_next.get("afterBytes", -1))
        return None

    def signature_ok(self, params: dict[str, str]) -> bool:
        given = params.get("hash", "")
        values = [params[name] for name in sorted(params) if name != "hash"]
        expected = hashlib.md5("+".join([*values, self.secret]).encode("utf-8")).hexdigest()
        return params.get("user") == self.user and given == expected


def bad_hash_page(padding_bytes: int = 0) -> bytes:
    """The wrong-signature page, with `padding_bytes` of markup before the marker."""
    padding = b"<!-- " + b"x" * max(0, padding_bytes - 9) + b" -->" if padding_bytes else b""
    return BAD_HASH_PAGE.replace(b"<body>", b"<body>" + padding, 1)


def make_handler(state: SimState) -> type[BaseHTTPRequestHandler]:
    class Handler(SipuniHandler):
        sim = state

    return Handler


class SipuniHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sim: SimState

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        pass

    # --- plumbing ---

    def _params(self) -> dict[str, str]:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            body = self.rfile.read(length).decode("utf-8")
            if "json" in (self.headers.get("Content-Type") or ""):
                self._json_body = json.loads(body or "{}")
            else:
                params.update(parse_qsl(body, keep_blank_values=True))
        return params

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        with self.sim.lock:
            self.sim.stats["bytesSent"] += len(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        self._json_body: Any = {}
        route = urlsplit(self.path).path.rstrip("/")
        params = self._params()
        if route.startswith("/control/"):
            self._control(route[len("/control/"):])
            return
        endpoint = route.removeprefix("/api").lstrip("/")
        handlers = {"statistic/export/all": self._export_all, "statistic/export": self._export,
                    "statistic/record": self._record}
        if endpoint not in handlers:
            self._send(404, NOT_FOUND_PAGE, "text/html")
            return
        self._count(endpoint)
        if self.sim.faults.latency_ms:
            time.sleep(self.sim.faults.latency_ms / 1000)
        failure = self.sim.take_failure(endpoint.removeprefix("statistic/"))
        if failure is not None:
            self._count(f"{endpoint}:injected:{failure.get('status', 500)}")
            retry_after = {"Retry-After": str(failure["retryAfter"])} if "retryAfter" in failure else {}
            self._send(int(failure.get("status", 500)), b"Service temporarily unavailable", "text/plain", retry_after)
            return
        if not self.sim.signature_ok(params):
            self._count("badHash")
            self._send(500, bad_hash_page(self.sim.faults.bad_hash_padding_bytes), "text/html; charset=utf-8")
            return
        handlers[endpoint](params)

    def _count(self, key: str) -> None:
        with self.sim.lock:
            self.sim.stats[key] += 1

    # --- Sipuni endpoints ---

    def _export_all(self, params: dict[str, str]) -> None:
        limit = int(params.get("limit") or DEFAULT_EXPORT_LIMIT)
        page = max(1, int(params.get("page") or 1))
        calls = self.sim.calls if params.get("order", "desc") == "desc" else list(reversed(self.sim.calls))
        chosen = calls[(page - 1) * limit: page * limit]
        self._send(200, render(chosen, self.sim.options), "text/csv; charset=utf-8")

    def _export(self, params: dict[str, str]) -> None:
        try:
            first = datetime.strptime(params["from"], DATE_FORMAT).date()
            last = datetime.strptime(params["to"], DATE_FORMAT).date()
        except (KeyError, ValueError):
            self._send(400, b"<html><body>Bad dates</body></html>", "text/html; charset=utf-8")
            return
        kind = {"1": "incoming", "2": "outgoing", "3": "internal"}.get(params.get("type", "0"))
        state = {"1": False, "2": True}.get(params.get("state", "0"))
        chosen = [call for call in self.sim.calls if first <= call.local_time.date() <= last
                  and (kind is None or call.direction == kind) and (state is None or call.answered == state)]
        self._send(200, render(chosen, self.sim.options, params), "text/csv; charset=utf-8")

    def _record(self, params: dict[str, str]) -> None:
        record_id = params.get("id", "")
        with self.sim.lock:
            self.sim.record_requests[record_id] += 1
            call = self.sim.by_id.get(record_id)
            forced_status = self.sim.faults.record_status.get(record_id)
            size = self.sim.faults.recording_size_for(record_id, call.recording_size if call else 0)
            html_type = self.sim.faults.html_recordings.get(record_id)
            content_type = self.sim.faults.content_type_for(record_id)
            audio_format = self.sim.faults.record_formats.get(record_id, "mp3")
            compressed = self.sim.faults.gzip_recordings
        if forced_status is not None:
            self._send(forced_status, b"<html><body>Error</body></html>", "text/html")
            return
        if call is None or call.recording == RECORDING_MISSING:
            self._send(404, NOT_FOUND_PAGE, "text/html")
            return
        if call.recording == RECORDING_NOT_AUDIO:
            self._send(200, NOT_AUDIO_BODY, "application/octet-stream")
            return
        if html_type is not None:
            self._send(200, HTML_PLAYER_PAGE, html_type)
            return
        if compressed:
            body = gzip.compress(b"".join(audio.chunks(record_id, size, audio_format=audio_format)))
            self._send(200, body, content_type, {"Content-Encoding": "gzip"})
            return
        self._stream_recording(record_id, size, self.sim.take_drop(record_id), content_type, audio_format)

    def _stream_recording(self, record_id: str, size: int, drop_after: int | None, content_type: str,
                          audio_format: str) -> None:
        self.send_response(200)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Disposition", f'attachment; filename="{record_id}.{audio_format}"')
        self.end_headers()
        if drop_after is not None and drop_after < 0:
            drop_after = size // 2
        sent = 0
        delay_s = self.sim.faults.chunk_delay_ms / 1000
        for chunk in audio.chunks(record_id, size, audio_format=audio_format):
            if drop_after is not None and sent + len(chunk) > drop_after:
                self.wfile.write(chunk[: max(0, drop_after - sent)])
                self._drop_connection()
                return
            self.wfile.write(chunk)
            sent += len(chunk)
            if delay_s:
                time.sleep(delay_s)
        with self.sim.lock:
            self.sim.stats["bytesSent"] += sent

    def _drop_connection(self) -> None:
        self._count("drops")
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    # --- control API ---

    def _control(self, action: str) -> None:
        body = self._json_body if isinstance(self._json_body, dict) else {}
        try:
            if action == "reset":
                newest = body.get("newestLocal")
                self.sim.reset(int(body.get("calls", len(self.sim.calls))), int(body.get("seed", 1)),
                               float(body.get("tzOffsetHours", 5)),
                               datetime.fromisoformat(newest) if newest else None)
            elif action == "format":
                with self.sim.lock:
                    self.sim.options.update(body)
            elif action == "faults":
                with self.sim.lock:
                    self.sim.faults.merge(body)
            elif action == "stats":
                with self.sim.lock:
                    payload = {"requests": dict(self.sim.stats), "recordRequests": dict(self.sim.record_requests)}
                self._json(200, payload)
                return
            elif action == "calls":
                self._json(200, [call.as_json() for call in self.sim.calls])
                return
            else:
                self._json(404, {"error": f"unknown control action {action!r}"})
                return
        except (ValueError, TypeError) as exc:
            self._json(400, {"error": str(exc)})
            return
        self._json(200, {"ok": True})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # benchmarks open many connections at once


def serve(host: str, port: int, state: SimState) -> ThreadingHTTPServer:
    """Start serving in a background thread; return the server (call `shutdown()` to stop)."""
    server = _Server((host, port), make_handler(state))
    threading.Thread(target=server.serve_forever, name="sipuni-simulator", daemon=True).start()
    return server
