"""One simulated HEMIS installation: its data, its token, its Yii2 rate limiter, the faults and
changes a test scheduled, and the requests it saw. The server holds one per instance (`server.py`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from simulators.hemis.dataset import Dataset
from simulators.hemis.ratelimit import Yii2RateLimiter, limiter_from

# The upstream lists, by path under /rest/v1/data/, and what each lists.
RESOURCES = {"student-list": "students", "employee-list": "employees", "department-list": "departments",
             "specialty-list": "specialties", "group-list": "groups", "semester-list": "semesters"}


@dataclass
class FaultRule:
    """Answer matching requests wrongly, `count` times (-1: forever)."""

    path: str | None = None  # "student-list" / "employee-list" / "department-list"... / None = any
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
    token: str | None  # None: every token is refused (Yii2's 401)
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

    @classmethod
    def new(cls, token: str | None, students: int, employees: int, seed: int,
            duplicate_persons: int = 0) -> SimulatorState:
        return cls(token=token, students=Dataset("students", students, seed, duplicate_persons=duplicate_persons),
                   employees=Dataset("employees", employees, seed))

    def accepts(self, authorization: str) -> bool:
        """`HttpBearerAuth`: the header must carry this instance's token."""
        return self.token is not None and authorization == f"Bearer {self.token}"

    def dataset(self, kind: str) -> Dataset:
        return self.students if kind == "students" else self.employees

    def reset(self, students: int, employees: int, seed: int, duplicate_persons: int = 0) -> None:
        """New data; latency, envelope, limiter, faults, changes and stats back to new (the token stays)."""
        self.students = Dataset("students", students, seed, duplicate_persons=duplicate_persons)
        self.employees = Dataset("employees", employees, seed)
        self.latency_s, self.array_envelope, self.rate_limiter = 0.0, False, None
        self.faults, self.changes, self.requests, self.list_requests = [], [], [], 0

    def reset_from(self, body: dict[str, Any]) -> None:
        """`POST /_control/reset` (ValueError for a bad body)."""
        self.reset(int(body.get("students", 0)), int(body.get("employees", 0)), int(body.get("seed", 1)),
                   int(body.get("duplicatePersons", 0)))

    def configure(self, body: dict[str, Any]) -> None:
        """`POST /_control/config`: only the settings the body names change."""
        if "latency_ms" in body:
            self.latency_s = float(body["latency_ms"]) / 1000
        if "array_envelope" in body:
            self.array_envelope = bool(body["array_envelope"])
        if "token" in body:
            self.token = None if body["token"] is None else str(body["token"])
        if "rate_limit" in body:
            self.rate_limiter = limiter_from(body["rate_limit"])

    def add_faults(self, rules: list[dict[str, Any]]) -> None:
        with self.lock:
            self.faults.extend(FaultRule(**rule) for rule in rules)

    def schedule_change(self, body: dict[str, Any]) -> None:
        change = PendingChange(**body)
        if change.after_requests <= self.list_requests:
            apply_change(self.dataset(change.kind), change)
        else:
            with self.lock:
                self.changes.append(change)

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

    def record(self, arrived: float, resource: str, page: int, status: int) -> None:
        with self.lock:
            self.requests.append({"t": arrived, "path": resource, "page": page, "status": status})

    def describe(self) -> dict[str, Any]:
        """What `GET /_control/instances` says of an instance (never its token)."""
        limiter = self.rate_limiter
        return {"students": self.students.count, "employees": self.employees.count, "seed": self.students.seed,
                "tokenRefusesAll": self.token is None, "requests": len(self.requests),
                "rateLimit": None if limiter is None else {"limit": limiter.limit, "windowS": limiter.window_s}}


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
