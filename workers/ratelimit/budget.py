"""The request budget an upstream server announces (Yii2's `X-Rate-Limit-*`), shared in Redis by
every worker process on every host.

Yii2 (HEMIS) sends `X-Rate-Limit-Limit` (L), `-Remaining` (R) and `-Reset` with every answer. It
refills L requests per window W in whole seconds and stamps *every* request, refused ones too, so
the only sustainable pace is one request per W / L (whole seconds when W / L >= 1: a shorter gap
earns nothing and the stamp throws the part-second away). After a request it let through,
`Reset = int((L - R) * W / L)`, so `W >= Reset * L / (L - R)`: the budget keeps the largest such
lower bound (exact once R reaches 0, and a 429's Reset is W itself).

How requests are spent, atomically in Lua on the Redis clock:
- `credit`: what the server said remains, less the requests sent since that answer left. While
  there is credit, requests go at once (the initial allowance, and a full one after a pause).
- paced: without credit, requests are spaced W / L (+ a margin) apart, for the whole deployment.
- a 429 pauses everyone until `Retry-After`, else `Reset` (Yii2: the window, after which the server
  has refilled to L, so credit becomes L), else an adaptive wait.
- a server that sends no headers at all gets additive-increase / multiplicative-decrease pacing,
  begun at its first 429.
- the client's own cap (e.g. HEMIS_RATE_LIMIT) applies on top of all this (0 = no cap).

A caller that would wait longer than `max_inline_wait_s` gets `RateLimitWait` instead of
sleeping, so a Celery task can re-queue itself with a countdown rather than sleep in a worker slot.
With `book_ahead_s`, a slot up to that far away is still reserved for the caller: `RateLimitWait`
then carries the `Booking`, the task comes back at exactly its slot and spends it (`use_booking`)
without asking again. Without a booking, every waiting task would come back at the same moment,
one would win and the rest re-queue again (a herd per slot); with one, each waiting task runs
once per request, and a server that paces one organization costs the other organizations' work
nothing (issue 20: many HEMIS instances sharing the workers).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import redis

from shared import keys
from shared.redis_client import run_script

SPACING_MARGIN_RATIO = 0.06  # absorbs send jitter (a worker delayed by load) on the server's pace
WHOLE_SECOND_GAP_S = 1.0  # after a burst, the next request must land in a later second to earn a refill
PAUSE_MARGIN_S = 0.25  # a 429's pause ends this much after the server's own reset
MAX_PAUSE_S = 3600.0  # an absurd Retry-After is capped (the run deadline bounds the whole wait anyway)
DEFAULT_MAX_INLINE_WAIT_S = 10.0  # longer waits re-queue the task instead of sleeping in a worker slot
# A booking spent later than this (plus the spacing's own margin) after its slot is void: the slot
# booked after it was booked for its own time, and would follow too closely.
BOOKING_LATE_TOLERANCE_S = 0.05
BOOKING_WAKE_EARLY_S = 0.35  # a booked task comes back this much early, and sleeps the rest in place
AIMD_FIRST_SPACING_S = 1.0  # no headers: after the first 429, one request per second...
AIMD_MAX_SPACING_S = 120.0
AIMD_STEP_PER_S = 0.05  # ...plus 0.05 request/s per answer let through; halved at every 429
BUDGET_TTL_S = 24 * 3600

US_PER_S = 1_000_000

_NOW = """
local function now_us()
  local t = redis.call('time')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function int(x) return string.format('%d', math.floor(x)) end
local function num(v) return tonumber(v) or 0 end
"""

# KEYS[1] = budget hash. ARGV: client spacing us (0 = no cap), max wait us, ttl s, whole-second gap us.
# Returns {wait us, ticket, epoch, slot us}; ticket -1 = nothing reserved (the wait is longer than allowed).
# A server that sent Yii2's headers but whose window is not known yet (its Reset still 0) is paced a
# whole second apart once the credit is spent, rather than sent a burst it would refuse.
_ACQUIRE = _NOW + """
local h = KEYS[1]
local now = now_us()
local v = redis.call('hmget', h, 'pause_until', 'client_next', 'paced_next', 'spacing_us', 'credit', 'headers',
                     'epoch')
local pause_until, client_next, paced_next = num(v[1]), num(v[2]), num(v[3])
local spacing, credit = num(v[4]), num(v[5])
if spacing <= 0 and v[6] == '1' then spacing = tonumber(ARGV[4]) end
local slot = math.max(now, pause_until, client_next)
local paced = spacing > 0 and credit <= 0
if paced then slot = math.max(slot, paced_next) end
local wait = slot - now
if wait > tonumber(ARGV[2]) then return {int(wait), -1, num(v[7]), int(slot)} end
local ticket = redis.call('hincrby', h, 'seq', 1)
if paced then
  redis.call('hset', h, 'paced_next', int(slot + spacing))
elseif credit > 0 then
  redis.call('hset', h, 'credit', int(credit - 1),
             'paced_next', int(math.max(paced_next, slot + math.max(spacing, tonumber(ARGV[4])))))
end
if tonumber(ARGV[1]) > 0 then redis.call('hset', h, 'client_next', int(slot + tonumber(ARGV[1]))) end
redis.call('hset', h, 'last_slot', int(math.max(slot, num(redis.call('hget', h, 'last_slot')))))
redis.call('expire', h, ARGV[3])
return {int(wait), ticket, num(v[7]), int(slot)}
"""

# KEYS[1] = budget hash. ARGV: the booking's epoch, its slot (us), how early it may be spent (us),
# how late (us, plus the spacing's margin ratio, ARGV[5]). Returns {code, us}: 0 = spend it (after
# sleeping us), 1 = void (ask again), 2 = paused by a 429 (us left).
# Void: a 429 since (a new epoch: the server refills to L after its window, and bookings from before
# would be spent on top of that refill), or spent too late (the slot after it was booked for its
# own time and would come too soon after it), or woken far too early.
_SPEND = _NOW + """
local h = KEYS[1]
local now = now_us()
local v = redis.call('hmget', h, 'pause_until', 'epoch', 'spacing_us')
if num(v[2]) ~= tonumber(ARGV[1]) then return {1, 0} end
if num(v[1]) > now then return {2, int(num(v[1]) - now)} end
local due = tonumber(ARGV[2])
if now - due > tonumber(ARGV[4]) + num(v[3]) * tonumber(ARGV[5]) then return {1, int(now - due)} end
if due - now > tonumber(ARGV[3]) then return {1, int(due - now)} end
return {0, int(math.max(0, due - now))}
"""

# KEYS[1] = budget hash. ARGV: ticket, status, has headers (1/0), limit, remaining, reset s,
# retry-after s (-1 = none), ttl s, spacing margin ratio, pause margin us, max pause us,
# aimd first spacing us, aimd max spacing us, aimd step per s. Returns the pause left in us.
_OBSERVE = _NOW + """
local h = KEYS[1]
local now = now_us()
local ticket, status, has = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local limit, remaining, reset, retry_after = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local v = redis.call('hmget', h, 'pause_until', 'window_us', 'credit_seq', 'seq', 'spacing_us', 'aimd_seq', 'paced_next',
                     'last_slot')
local pause_until, window, credit_seq, latest = num(v[1]), num(v[2]), num(v[3]), num(v[4])
local spacing, aimd_seq, paced_next, last_slot = num(v[5]), num(v[6]), num(v[7]), num(v[8])
if has and limit > 0 then
  local bound = 0
  if status == 429 then bound = reset * 1000000
  elseif remaining < limit then bound = reset * 1000000 * limit / (limit - remaining) end
  window = math.max(window, bound)
  if window > 0 then
    local per = window / limit
    if per >= 1000000 then per = math.ceil(per / 1000000 - 1e-9) * 1000000 end
    spacing = per * (1 + tonumber(ARGV[9]))
  end
  redis.call('hset', h, 'limit', limit, 'window_us', int(window), 'spacing_us', int(spacing), 'headers', '1')
  if status ~= 429 and ticket > credit_seq then
    local credit = math.max(0, remaining - (latest - ticket))
    redis.call('hset', h, 'credit', int(credit), 'credit_seq', ticket)
    if credit <= 0 and spacing > 0 and last_slot + spacing > paced_next then
      -- just learnt the pace with nothing left: the next request waits a spacing after the last one sent
      paced_next = last_slot + spacing
      redis.call('hset', h, 'paced_next', int(paced_next))
    end
  end
elseif status == 429 and ticket > aimd_seq then
  -- no headers: halve the rate, once per round of requests (the answers of requests sent before
  -- this decrease say nothing new)
  if spacing > 0 then spacing = math.min(spacing * 2, tonumber(ARGV[13])) else spacing = tonumber(ARGV[12]) end
  redis.call('hset', h, 'spacing_us', int(spacing), 'aimd_seq', latest, 'aimd', '1')
elseif status ~= 429 and redis.call('hget', h, 'aimd') == '1' and spacing > 0 then
  spacing = 1000000 / (1000000 / spacing + tonumber(ARGV[14]))
  redis.call('hset', h, 'spacing_us', int(spacing))
end
if status == 429 then
  redis.call('hincrby', h, 'epoch', 1)  -- every slot booked before this answer is void
  local pause_s = retry_after
  if pause_s < 0 and has then pause_s = reset end
  local pause_us
  if pause_s >= 0 then pause_us = pause_s * 1000000 + tonumber(ARGV[10]) else pause_us = spacing end
  pause_until = math.max(pause_until, now + math.min(pause_us, tonumber(ARGV[11])))
  redis.call('hset', h, 'pause_until', int(pause_until), 'paced_next', int(math.max(paced_next, pause_until)))
  if has and retry_after < 0 then
    -- Yii2 answers a refusal with Reset = the window: silent that long, the server is full again
    redis.call('hset', h, 'credit', limit, 'credit_seq', latest)
  end
end
redis.call('expire', h, ARGV[8])
return int(math.max(0, pause_until - now))
"""


# --- what the server says: Retry-After and Yii2's X-Rate-Limit-* headers ----------------------------

RATE_LIMITED = 429


@dataclass(frozen=True)
class LimitHeaders:
    limit: int
    remaining: int
    reset_s: int


def limit_headers(headers: Mapping[str, str]) -> LimitHeaders | None:
    """Yii2's three `X-Rate-Limit-*` headers, or None when any is missing or malformed."""
    try:
        found = LimitHeaders(int(headers["X-Rate-Limit-Limit"]), int(headers["X-Rate-Limit-Remaining"]),
                             int(headers["X-Rate-Limit-Reset"]))
    except (KeyError, TypeError, ValueError):
        return None
    return found if found.limit > 0 and found.remaining >= 0 and found.reset_s >= 0 else None


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` in seconds (it may be a number or an HTTP date), or None."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


@dataclass(frozen=True)
class Booking:
    """A slot reserved for one caller: its ticket, when it is due (epoch seconds, Redis's clock), and
    the budget's epoch then (a 429 starts a new one, voiding every booking made before it)."""

    ticket: int
    due_at_s: float
    epoch: int = 0

    def as_message(self) -> list[float]:
        """What a task message carries (numbers only)."""
        return [self.ticket, self.due_at_s, self.epoch]

    @classmethod
    def from_message(cls, value: object) -> "Booking | None":
        if isinstance(value, (list, tuple)) and len(value) in (2, 3):
            try:
                return cls(int(value[0]), float(value[1]), int(value[2]) if len(value) == 3 else 0)
            except (TypeError, ValueError):
                return None
        return None


class RateLimitWait(Exception):
    """Do not send now: try again in `wait_s` seconds. `throttled`: the server answered 429.
    `booking`: the slot reserved for the caller at that time (spend it with `use_booking`)."""

    def __init__(self, wait_s: float, throttled: bool, booking: Booking | None = None) -> None:
        super().__init__(f"rate limit: wait {wait_s:.1f} s" + (" (HTTP 429)" if throttled else "")
                         + (" (slot booked)" if booking else ""))
        self.wait_s = wait_s
        self.throttled = throttled
        self.booking = booking


class ServerBudget:
    """One caller's handle on the shared budget (one per task: it remembers its last ticket)."""

    def __init__(self, client: redis.Redis, name: str, client_rate_per_s: float, *,
                 max_inline_wait_s: float = DEFAULT_MAX_INLINE_WAIT_S, book_ahead_s: float = 0.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._redis = client
        self.key = keys.server_budget(name)
        self.client_rate_per_s = client_rate_per_s
        self.max_inline_wait_s = max_inline_wait_s
        self.book_ahead_s = book_ahead_s
        self._sleep = sleep
        self._ticket = 0
        self._booking: Booking | None = None

    @property
    def client_spacing_us(self) -> int:
        if self.client_rate_per_s <= 0:
            return 0
        return int(US_PER_S / self.client_rate_per_s * (1 + SPACING_MARGIN_RATIO))

    def use_booking(self, booking: Booking | None) -> None:
        """Spend `booking` (a slot reserved earlier) at the next `acquire`, instead of asking again."""
        self._booking = booking

    def acquire(self) -> float:
        """Wait for the next slot of the deployment and return the seconds waited; raise
        `RateLimitWait` when the slot is further away than `max_inline_wait_s` (carrying the slot,
        booked, when it is within `book_ahead_s`), or when a 429 paused everyone while this caller
        slept."""
        booked = self._spend_booking()
        if booked is not None:
            return booked
        horizon_s = max(self.max_inline_wait_s, self.book_ahead_s)
        wait_us, ticket, epoch, slot_us = run_script(
            self._redis, _ACQUIRE, (self.key,),
            (self.client_spacing_us, int(horizon_s * US_PER_S), BUDGET_TTL_S, int(WHOLE_SECOND_GAP_S * US_PER_S)))
        wait_s = int(wait_us) / US_PER_S
        if int(ticket) < 0:
            raise RateLimitWait(wait_s, throttled=False)
        if wait_s > self.max_inline_wait_s:
            booking = Booking(int(ticket), int(slot_us) / US_PER_S, int(epoch))
            raise RateLimitWait(wait_s, throttled=False, booking=booking)
        self._ticket = int(ticket)
        if wait_s > 0:
            self._sleep(wait_s)
            paused_s = self.pause_left_s()
            if paused_s > 0:  # a slot booked before a 429 must not be spent during its pause
                raise RateLimitWait(paused_s, throttled=False)
        return wait_s

    def observe(self, status: int, headers: Mapping[str, str]) -> float:
        """Learn from one answer; returns the seconds every caller must now pause (0 if none)."""
        found = limit_headers(headers)
        retry_after = retry_after_s(headers) if status == RATE_LIMITED else None
        pause_us = run_script(self._redis, _OBSERVE, (self.key,), (
            self._ticket, status, 1 if found else 0,
            found.limit if found else 0, found.remaining if found else 0, found.reset_s if found else 0,
            -1 if retry_after is None else retry_after, BUDGET_TTL_S, SPACING_MARGIN_RATIO,
            int(PAUSE_MARGIN_S * US_PER_S), int(MAX_PAUSE_S * US_PER_S), int(AIMD_FIRST_SPACING_S * US_PER_S),
            int(AIMD_MAX_SPACING_S * US_PER_S), AIMD_STEP_PER_S))
        return int(pause_us) / US_PER_S

    def _spend_booking(self) -> float | None:
        """The seconds waited for a booked slot (sleeping until it is due), or None when there is
        no booking to spend: none given, already spent, or void (see `_SPEND`)."""
        booking, self._booking = self._booking, None
        if booking is None:
            return None
        code, amount_us = run_script(self._redis, _SPEND, (self.key,), (
            booking.epoch, int(booking.due_at_s * US_PER_S), int(self.max_inline_wait_s * US_PER_S),
            int(BOOKING_LATE_TOLERANCE_S * US_PER_S), SPACING_MARGIN_RATIO))
        amount_s = int(amount_us) / US_PER_S
        if int(code) == 1:
            return None
        if int(code) == 2:  # a 429 paused everyone: the slot is void, wait out the pause
            raise RateLimitWait(amount_s, throttled=False)
        if amount_s > 0:  # back a little before its slot, as asked
            self._sleep(amount_s)
        self._ticket = booking.ticket
        return amount_s

    def pause_left_s(self) -> float:
        now_s, now_us = self._redis.time()
        until = float(self._redis.hget(self.key, "pause_until") or 0)
        return max(0.0, (until - (int(now_s) * US_PER_S + int(now_us))) / US_PER_S)

    def snapshot(self) -> dict[str, str]:
        """The shared state as stored (for tests, the bench and debugging)."""
        return dict(self._redis.hgetall(self.key))
