"""The HEMIS simulator's HTTP server: the real REST envelope, several instances in one process, and
a control API for tests and benchmarks.

Instances: the root (no prefix) is the default instance, the one `make_server` and the CLI set up;
`/i/<name>` prefixes every route of instance `name` (`instances.py`: created by
`POST /_control/instances`). Each instance has its own data, token, Yii2 rate limiter, latency,
faults, scheduled changes and request stats; an unknown name gets a 404.

Upstream routes, under the root or `/i/<name>` (bearer token checked; a wrong or missing one gets
Yii2's 401, as `HttpBearerAuth` and the production error handler give it: `{"name", "message",
"code", "status"}` and `WWW-Authenticate: Bearer realm="api"`, before the rate limiter counts
anything). Every list pages with `page` and `limit` (at most 200, Yii2's clamping) in the same
envelope (`listing.py` says what each parameter selects):
  GET /rest/v1/data/student-list?page&limit&_student_status&search
  GET /rest/v1/data/employee-list?type&page&limit&search
  GET /rest/v1/data/department-list?page&limit&active&_structure_type&parent
  GET /rest/v1/data/specialty-list?page&limit&_department&_education_type
  GET /rest/v1/data/group-list?page&limit&_department&_specialty&_curriculum
  GET /rest/v1/data/semester-list?page&limit&_curriculum&_education_year
Control routes (no auth; bind to localhost), each under the root or `/i/<name>` for that instance:
  POST /_control/reset    {"students", "employees", "seed", "duplicatePersons"}   data, faults, stats and
                          config back to new (the token stays); `duplicatePersons` N: N persons listed
                          twice (a second enrolment each, within the `students` items: `dataset.py`)
  POST /_control/config   {"latency_ms", "array_envelope", "token" (null: every token refused),
                           "rate_limit": {"limit", "window_s", "headers"} (Yii2's limiter; null = none)}
  POST /_control/faults   {"rules": [{"path", "page", "status", "count", "retry_after", "body", "delay_s"}]}
  DELETE /_control/faults
  POST /_control/change   {"kind", "prepend", "remove": [...], "edit": [...], "version", "after_requests"}
  GET  /_control/stats    {"requests": [{"t", "path", "page", "status"}], "rateLimit"?};  DELETE clears them
The instances themselves (root only):
  POST   /_control/instances          {"name", "students", "employees", "seed", "duplicatePersons", "token",
                                       "rate_limit", "latency_ms", "array_envelope"} → {"ok", "name", "path"}
                                      (`instances.py`; a name given again is replaced by a new instance)
  GET    /_control/instances          {"instances": [{"name", "path", "students", ...}], "pageCache": {...}}
  DELETE /_control/instances[/<name>] every instance, or one (404 if there is none of that name)
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson

from simulators.hemis.instances import Instances, split_instance
from simulators.hemis.listing import list_body
from simulators.hemis.page_cache import DEFAULT_BUDGET_BYTES, PageCache
from simulators.hemis.ratelimit import TOO_MANY_REQUESTS
from simulators.hemis.state import RESOURCES, FaultRule, SimulatorState, stats_body

DATA_PREFIX = "/rest/v1/data/"
CONTROL_PREFIX = "/_control/"
INSTANCES_ROUTE = "/_control/instances"
JSON_TYPE = "application/json; charset=UTF-8"
# Yii2's error bodies outside debug mode (`type`, file and trace are added only with YII_DEBUG).
UNAUTHORIZED = {"name": "Unauthorized", "message": "Your request was made with invalid credentials.", "code": 0,
                "status": 401}
NOT_FOUND = {"name": "Not Found", "message": "Page not found.", "code": 0, "status": 404}
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}  # HttpBearerAuth::challenge
HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
            b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


class HemisHandler(BaseHTTPRequestHandler):
    server: HemisServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        if self.server.verbose:
            super().log_message(format, *args)

    def _target(self) -> tuple[str | None, SimulatorState | None, str, str]:
        """(instance name, its state or None if there is no such instance, the path within it, query)."""
        url = urlparse(self.path)
        name, path = split_instance(url.path)
        state = self.server.state if name is None else self.server.instances.get(name)
        return name, state, path, url.query

    # --- upstream routes --------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        name, state, path, query = self._target()
        if state is None:
            return self._json(404, NOT_FOUND)
        if path == "/_control/stats":
            return self._json(200, stats_body(state))
        if path == INSTANCES_ROUTE and name is None:
            return self._json(200, {"instances": self.server.instances.describe(),
                                    "pageCache": self.server.page_cache.stats()})
        if not path.startswith(DATA_PREFIX):
            return self._json(404, NOT_FOUND)
        resource = path[len(DATA_PREFIX):].strip("/")
        arrived = time.time()  # the rate a server sees is the rate requests arrive at
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        page = _int(params.get("page"), 1)
        state.record(arrived, resource, page, self._answer(state, resource, params, page))

    def _answer(self, state: SimulatorState, resource: str, query: dict[str, str], page: int) -> int:
        if not state.accepts(self.headers.get("Authorization", "")):
            return self._json(401, UNAUTHORIZED, BEARER_CHALLENGE)
        if resource not in RESOURCES:
            return self._json(404, NOT_FOUND)
        verdict = state.rate_limiter.check() if state.rate_limiter else None
        if verdict is not None and not verdict.allowed:
            return self._json(429, TOO_MANY_REQUESTS, verdict.headers)
        state.count_request()
        if state.latency_s:
            time.sleep(state.latency_s)
        fault = state.take_fault(resource, page)
        if fault is not None:
            return self._fault(fault)
        # Yii2 adds its rate-limit headers to every answer the limiter let through.
        return self._send(200, list_body(state, resource, query, self.server.page_cache), JSON_TYPE,
                          verdict.headers if verdict else {})

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
        name, state, path, _ = self._target()
        try:
            body = self._body()
            if state is None:
                return self._json(404, {"message": f"no instance {name!r}"})
            if path == INSTANCES_ROUTE and name is None:
                created = self.server.instances.create(body)
                return self._json(200, {"ok": True, "name": created, "path": f"/i/{created}"})
            if not self._control(state, path, body):
                return self._json(404, {"message": "unknown control route"})
        except (ValueError, TypeError) as exc:
            return self._json(400, {"message": str(exc)})
        self._json(200, {"ok": True})

    @staticmethod
    def _control(state: SimulatorState, path: str, body: dict[str, Any]) -> bool:
        """One instance's control route; False if `path` is none."""
        route = path.removeprefix(CONTROL_PREFIX)
        actions = {"reset": state.reset_from, "config": state.configure,
                   "faults": lambda b: state.add_faults(b.get("rules", [])), "change": state.schedule_change}
        if not path.startswith(CONTROL_PREFIX) or route not in actions:
            return False
        actions[route](body)
        return True

    def do_DELETE(self) -> None:  # noqa: N802
        name, state, path, _ = self._target()
        if state is None:
            return self._json(404, {"message": f"no instance {name!r}"})
        if name is None and path == INSTANCES_ROUTE:
            self.server.instances.clear()
        elif name is None and path.startswith(INSTANCES_ROUTE + "/"):
            if not self.server.instances.delete(path[len(INSTANCES_ROUTE) + 1:]):
                return self._json(404, {"message": "no such instance"})
        elif path in ("/_control/faults", "/_control/stats"):
            with state.lock:
                if path.endswith("faults"):
                    state.faults = []
                else:
                    state.requests = []
        else:
            return self._json(404, {"message": "unknown control route"})
        self._json(200, {"ok": True})

    # --- plumbing ---------------------------------------------------------------------------------
    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}") if length else {}

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> int:
        return self._send(status, orjson.dumps(payload), JSON_TYPE, headers or {})

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

    def __init__(self, host: str, port: int, state: SimulatorState, verbose: bool = False,
                 page_cache_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        super().__init__((host, port), HemisHandler)
        self.state = state  # the root instance
        self.instances = Instances()
        self.page_cache = PageCache(page_cache_bytes)
        self.verbose = verbose


def make_server(host: str, port: int, token: str, students: int, employees: int, seed: int,
                verbose: bool = False, duplicate_persons: int = 0,
                page_cache_bytes: int = DEFAULT_BUDGET_BYTES) -> HemisServer:
    state = SimulatorState.new(token, students, employees, seed, duplicate_persons)
    return HemisServer(host, port, state, verbose, page_cache_bytes)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
