"""Leases of in-flight units of work in Redis: what crash recovery rests on.

A unit (one HEMIS page, one Sipuni step-2 call, one AI step of one call) is *leased* when its
message is published, before the broker sees it, together with what is needed to publish it again
(task name, arguments, queue). Its lease then moves through three states:

- `queued`:  published; nobody has it yet. Due at its ETA (countdown) plus a grace period.
- `held`:    a worker received the message (e.g. a countdown it keeps in memory until due).
- `running`: a task is executing it and renews the lease (heartbeat) until it ends.

The lease's token is the Celery task id of the message that may run the unit. Publishing the unit
again gives it a new token, so an old copy of the message (restored by the broker after its
visibility timeout, or still held by a worker judged dead) finds a token that is not its own and
does nothing: a unit never runs twice at once through this mechanism (fencing).

Keys (`shared.keys`, all under `navai:inflight:`): `<kind>:lease` (hash unit -> JSON state),
`<kind>:spec` (hash unit -> JSON republish spec), `<kind>:due` (zset unit -> deadline), `kinds`
(set), `holders` (set of worker names holding leases), `holder:<name>` (set of "kind<TAB>unit"),
`alive:<name>` (a worker's liveness key, renewed by a thread of its main process) and `workers-seen`
(zset: the names of the workers that renewed one lately, read by `GET /health`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields
from typing import Any

import redis

from shared import keys
from shared.broker import queue_lengths

HOLDER_PREFIX = keys.HOLDER_PREFIX
QUEUED, HELD, RUNNING = "queued", "held", "running"
# A worker not seen for this long leaves the index of workers seen (its liveness key expired long ago).
WORKERS_SEEN_FORGET_S = 86_400
SEPARATOR = "\t"

# KEYS: lease hash, due zset, spec hash, kinds set. ARGV: kind, unit, lease json, due, spec json.
# A unit published again under the same token (a task's own retry) keeps its attempt count.
_REGISTER = """
local old = redis.call('hget', KEYS[1], ARGV[2])
local new = cjson.decode(ARGV[3])
if old then
  local o = cjson.decode(old)
  if o.token == new.token then new.attempts = o.attempts end
  if o.holder ~= '' then redis.call('srem', '""" + HOLDER_PREFIX + """' .. o.holder, ARGV[1] .. '\t' .. ARGV[2]) end
end
redis.call('hset', KEYS[1], ARGV[2], cjson.encode(new))
redis.call('hset', KEYS[3], ARGV[2], ARGV[5])
redis.call('zadd', KEYS[2], ARGV[4], ARGV[2])
redis.call('sadd', KEYS[4], ARGV[1])
return new.attempts
"""

# KEYS: lease hash, due zset, holders set. ARGV: kind, unit, token, holder, state, due ('' = keep).
# 'none': no lease (the unit ended, or was never leased); 'stale': another message owns the unit.
_TAKE = """
local old = redis.call('hget', KEYS[1], ARGV[2])
if not old then return 'none' end
local o = cjson.decode(old)
if o.token ~= ARGV[3] then return 'stale' end
if ARGV[5] == 'held' and o.state == 'running' then return 'ok' end
if o.holder ~= '' and o.holder ~= ARGV[4] then
  redis.call('srem', '""" + HOLDER_PREFIX + """' .. o.holder, ARGV[1] .. '\t' .. ARGV[2])
end
o.holder = ARGV[4]
o.state = ARGV[5]
redis.call('hset', KEYS[1], ARGV[2], cjson.encode(o))
if ARGV[6] ~= '' then redis.call('zadd', KEYS[2], ARGV[6], ARGV[2]) end
redis.call('sadd', '""" + HOLDER_PREFIX + """' .. ARGV[4], ARGV[1] .. '\t' .. ARGV[2])
redis.call('sadd', KEYS[3], ARGV[4])
return 'ok'
"""

# KEYS: lease hash, due zset. ARGV: unit, token, due. 1 if renewed, 0 if the lease is not ours.
_BEAT = """
local old = redis.call('hget', KEYS[1], ARGV[1])
if not old or cjson.decode(old).token ~= ARGV[2] then return 0 end
redis.call('zadd', KEYS[2], ARGV[3], ARGV[1])
return 1
"""

# KEYS: lease hash, due zset, spec hash. ARGV: kind, unit, token.
_RELEASE = """
local old = redis.call('hget', KEYS[1], ARGV[2])
if not old then return 0 end
local o = cjson.decode(old)
if o.token ~= ARGV[3] then return 0 end
redis.call('hdel', KEYS[1], ARGV[2])
redis.call('hdel', KEYS[3], ARGV[2])
redis.call('zrem', KEYS[2], ARGV[2])
if o.holder ~= '' then redis.call('srem', '""" + HOLDER_PREFIX + """' .. o.holder, ARGV[1] .. '\t' .. ARGV[2]) end
return 1
"""

# KEYS: lease hash. ARGV: kind, unit, expected token, new token, now. The new attempt count, or -1 when
# the lease changed hands meanwhile (another sweeper republished it, or the unit ended).
_TAKE_OVER = """
local old = redis.call('hget', KEYS[1], ARGV[2])
if not old then return -1 end
local o = cjson.decode(old)
if o.token ~= ARGV[3] then return -1 end
if o.holder ~= '' then redis.call('srem', '""" + HOLDER_PREFIX + """' .. o.holder, ARGV[1] .. '\t' .. ARGV[2]) end
o.token = ARGV[4]
o.state = 'queued'
o.holder = ''
o.since = tonumber(ARGV[5])
o.attempts = o.attempts + 1
redis.call('hset', KEYS[1], ARGV[2], cjson.encode(o))
return o.attempts
"""


@dataclass(frozen=True)
class RepublishSpec:
    """What publishing a unit again takes: ids-only arguments, by task name."""

    task: str
    args: list[Any]
    kwargs: dict[str, Any]
    queue: str

    @classmethod
    def from_json(cls, raw: str) -> "RepublishSpec":
        """Ignores fields it does not know (a lease written by an earlier version)."""
        data = json.loads(raw)
        return cls(**{spec.name: data[spec.name] for spec in fields(cls)})


@dataclass(frozen=True)
class Lease:
    kind: str
    unit: str
    token: str
    state: str
    holder: str
    attempts: int
    eta: float  # 0 when the message has no countdown
    since: float = 0.0  # when it was (last) published; 0 for a lease written by an earlier version

    @classmethod
    def from_json(cls, kind: str, unit: str, raw: str) -> "Lease":
        data = json.loads(raw)
        return cls(kind=kind, unit=unit, token=data["token"], state=data["state"], holder=data["holder"],
                   attempts=int(data["attempts"]), eta=float(data.get("eta") or 0),
                   since=float(data.get("since") or 0))


class LeaseStore:
    """The lease operations, each one atomic (a Lua script)."""

    def __init__(self, client: redis.Redis, *, lease_s: float, queued_grace_s: float) -> None:
        self.redis = client
        self.lease_s = lease_s
        self.queued_grace_s = queued_grace_s
        self._keys_by_kind: dict[str, tuple[str, str, str]] = {}
        self._register = client.register_script(_REGISTER)
        self._take = client.register_script(_TAKE)
        self._beat = client.register_script(_BEAT)
        self._release = client.register_script(_RELEASE)
        self._take_over = client.register_script(_TAKE_OVER)

    def _keys(self, kind: str) -> tuple[str, str, str]:
        """(leases, deadlines, specs) of `kind`, named once per kind and store."""
        found = self._keys_by_kind.get(kind)
        if found is None:
            found = self._keys_by_kind[kind] = keys.lease_keys(kind)
        return found

    # --- the unit's life ----------------------------------------------------------------------
    def register(self, kind: str, unit: str, token: str, spec: RepublishSpec, eta: float | None = None) -> int:
        """Lease `unit` to the message `token` (state `queued`); returns its attempt count."""
        lease, due, specs = self._keys(kind)
        now = time.time()
        state = {"token": token, "state": QUEUED, "holder": "", "attempts": 0, "eta": eta or 0, "since": now}
        deadline = max(now, eta or 0) + self.queued_grace_s
        return int(self._register(keys=[lease, due, specs, keys.LEASE_KINDS],
                                  args=[kind, unit, json.dumps(state), deadline, json.dumps(spec.__dict__)]))

    def mark_held(self, kind: str, unit: str, token: str, holder: str) -> str:
        """A worker received the message (it may keep it until its countdown is due)."""
        lease, due, _ = self._keys(kind)
        return str(self._take(keys=[lease, due, keys.LEASE_HOLDERS], args=[kind, unit, token, holder, HELD, ""]))

    def claim(self, kind: str, unit: str, token: str, holder: str) -> str:
        """The task starts: 'ok' (run it and heartbeat), 'stale' (another message owns the unit:
        skip it) or 'none' (no lease: the unit ended already, or Redis forgot it)."""
        lease, due, _ = self._keys(kind)
        return str(self._take(keys=[lease, due, keys.LEASE_HOLDERS],
                              args=[kind, unit, token, holder, RUNNING, time.time() + self.lease_s]))

    def beat(self, kind: str, unit: str, token: str) -> bool:
        """Renew a running lease; False once the unit was handed to another message (fenced)."""
        lease, due, _ = self._keys(kind)
        return bool(self._beat(keys=[lease, due], args=[unit, token, time.time() + self.lease_s]))

    def release(self, kind: str, unit: str, token: str) -> bool:
        lease, due, specs = self._keys(kind)
        return bool(self._release(keys=[lease, due, specs], args=[kind, unit, token]))

    def take_over(self, kind: str, unit: str, expected_token: str, new_token: str) -> int | None:
        """Hand the unit to a new message (compare-and-set); its attempt count, or None if lost."""
        lease, _, _ = self._keys(kind)
        attempts = int(self._take_over(keys=[lease], args=[kind, unit, expected_token, new_token, time.time()]))
        return None if attempts < 0 else attempts

    def look_again_at(self, kind: str, when_by_unit: dict[str, float]) -> None:
        """Move the deadlines of units that must wait (queued behind a backlog), in one command."""
        if when_by_unit:
            self.redis.zadd(self._keys(kind)[1], when_by_unit, xx=True)

    def forget_deadline(self, kind: str, unit: str) -> None:
        self.redis.zrem(self._keys(kind)[1], unit)

    def drop(self, kind: str, unit: str) -> None:
        """Forget a unit for good (given up after too many attempts)."""
        lease = self.get(kind, unit)
        if lease is not None:
            self.release(kind, unit, lease.token)

    # --- reading ------------------------------------------------------------------------------
    def get(self, kind: str, unit: str) -> Lease | None:
        raw = self.redis.hget(self._keys(kind)[0], unit)
        return None if raw is None else Lease.from_json(kind, unit, raw)

    def get_many(self, kind: str, units: list[str]) -> dict[str, Lease | None]:
        """The leases of `units` in one command (a sweep reads a whole backlog's at once)."""
        if not units:
            return {}
        found = self.redis.hmget(self._keys(kind)[0], units)
        return {unit: None if raw is None else Lease.from_json(kind, unit, raw) for unit, raw in zip(units, found)}

    def specs_many(self, kind: str, units: list[str]) -> dict[str, RepublishSpec | None]:
        """The republish specs of `units` in one command."""
        if not units:
            return {}
        found = self.redis.hmget(self._keys(kind)[2], units)
        return {unit: None if raw is None else RepublishSpec.from_json(raw) for unit, raw in zip(units, found)}

    def spec(self, kind: str, unit: str) -> RepublishSpec | None:
        raw = self.redis.hget(self._keys(kind)[2], unit)
        return None if raw is None else RepublishSpec.from_json(raw)

    def exists(self, kind: str, unit: str) -> bool:
        return bool(self.redis.hexists(self._keys(kind)[0], unit))

    def leased(self, kind: str, units: list[str]) -> set[str]:
        """Which of `units` have a lease, in one round trip."""
        if not units:
            return set()
        found = self.redis.hmget(self._keys(kind)[0], units)
        return {unit for unit, lease in zip(units, found) if lease is not None}

    def count(self, kind: str) -> int:
        return int(self.redis.hlen(self._keys(kind)[0]))

    def overdue(self, kind: str, now: float | None = None) -> list[str]:
        return list(self.redis.zrangebyscore(self._keys(kind)[1], "-inf", now or time.time()))

    def kinds(self) -> list[str]:
        return sorted(self.redis.smembers(keys.LEASE_KINDS))

    def holders(self) -> list[str]:
        return sorted(self.redis.smembers(keys.LEASE_HOLDERS))

    def held_by(self, holder: str) -> list[tuple[str, str]]:
        members = self.redis.smembers(keys.units_held_by(holder))
        return [tuple(member.split(SEPARATOR, 1)) for member in members]  # type: ignore[misc]

    def forget_holder_if_idle(self, holder: str) -> None:
        if not self.redis.scard(keys.units_held_by(holder)):
            self.redis.srem(keys.LEASE_HOLDERS, holder)

    def queue_backlog(self, queue: str) -> int:
        return queue_lengths(self.redis, [queue])[queue]

    # --- worker liveness ------------------------------------------------------------------------
    def set_alive(self, holder: str, ttl_s: float) -> None:
        """Set the worker's liveness key for `ttl_s` and name it in the index of workers seen."""
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(keys.worker_alive(holder), "1", px=int(ttl_s * 1000))
        pipe.zadd(keys.WORKERS_SEEN, {holder: now})
        pipe.zremrangebyscore(keys.WORKERS_SEEN, "-inf", now - WORKERS_SEEN_FORGET_S)
        pipe.execute()

    def clear_alive(self, holder: str) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(keys.worker_alive(holder))
        pipe.zrem(keys.WORKERS_SEEN, holder)
        pipe.execute()

    def is_alive(self, holder: str) -> bool:
        return bool(self.redis.exists(keys.worker_alive(holder)))

    def alive_workers(self) -> list[str]:
        """The workers whose liveness key is set, in two round trips and without a broadcast: the
        index names the candidates, and each key's own expiry (Redis' clock, not the hosts') decides."""
        names = self.redis.zrange(keys.WORKERS_SEEN, 0, -1)
        if not names:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.exists(keys.worker_alive(name))
        return sorted(name for name, alive in zip(names, pipe.execute(), strict=True) if alive)
