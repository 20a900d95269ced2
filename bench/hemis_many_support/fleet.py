"""The fleet bench/hemis_many.py races: simulated HEMIS instances, their sizes and Yii2 limits, and
each one's ideal time under its own limit.

Sizes are geometric from the smallest to the largest (as universities are: many small, a few large).
Each instance gets a pace drawn (seeded) from the menu of requests per second, among those that let
it finish within `max_ideal_s`, and a Yii2 limit/window pair giving exactly that pace whose initial
allowance (`limit` requests at once) is at most MAX_LIMIT and a quarter of its pages: most of its
run is paced by the server, so its ideal time says something about fairness rather than about how
fast the workers absorb forty bursts at once.

A pace must be a whole number of requests per second, or one request per a whole number of seconds:
Yii2 refills `int((now - stamp) * limit / window)` with `now` in whole seconds and stamps every
request, so at 1.5 requests/s a client asking every second earns 1 and loses the half: no client can
sustain a pace in between, and an ideal computed from it would be unreachable.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction

from simulators.hemis.control import max_requests_in_any_window

HEALTHY, UNREACHABLE, WRONG_TOKEN = "healthy", "unreachable", "wrong token"
LIMITS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20)
WINDOWS_S = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 16, 20, 24, 30, 40, 60)
ALLOWANCE_SHARE = 4  # the initial allowance is at most 1/4 of an instance's pages (limit 1 at least)
MAX_LIMIT = 4  # ...and at most this many requests: forty allowances at once are a burst of their own
DEMAND_SPAN_S = 10  # the demand is the ideal schedule's busiest span of this many seconds


@dataclass(frozen=True)
class Pace:
    """Yii2's limiter: `limit` requests per `window_s` seconds."""

    limit: int
    window_s: int

    @property
    def per_s(self) -> float:
        return self.limit / self.window_s

    @property
    def label(self) -> str:
        return f"{self.limit}/{self.window_s}s"


@dataclass(frozen=True)
class Instance:
    name: str
    students: int
    pace: Pace
    role: str  # HEALTHY, UNREACHABLE (nobody listens at its URL) or WRONG_TOKEN (it refuses ours)
    seed: int

    def pages(self, page_size: int) -> int:
        return math.ceil(self.students / page_size)

    def ideal_s(self, page_size: int, latency_s: float) -> float:
        """The least time the server's limiter allows for every page: the first `limit` requests at
        once (the initial allowance), then one per window/limit (its sustainable pace), plus one
        request's latency for the last answer."""
        paced = max(0, self.pages(page_size) - self.pace.limit)
        return paced * self.pace.window_s / self.pace.limit + latency_s


def check_rates(rates: tuple[float, ...]) -> None:
    """ValueError unless every pace is sustainable under Yii2's whole-second refill (module doc)."""
    for rate in rates:
        fraction = Fraction(rate).limit_denominator(1000)
        if rate <= 0 or (fraction.numerator != 1 and fraction.denominator != 1):
            raise ValueError(f"pace {rate}/s: use a whole number of requests per second or 1/N "
                             "(Yii2's whole-second refill cannot sustain anything in between)")


def plan_fleet(count: int, smallest: int, largest: int, rates: tuple[float, ...], seed: int,
               page_size: int, max_ideal_s: float) -> list[Instance]:
    """`count` instances, sizes geometric from `smallest` to `largest`; two of them broken (one
    unreachable, one refusing our token), the others healthy; each with a seeded pace."""
    check_rates(rates)
    rng = random.Random(seed)
    sizes = _geometric(count, smallest, largest)
    unreachable, wrong_token = rng.sample(range(1, count - 1), 2)  # neither the smallest nor the largest
    fleet = []
    for index, students in enumerate(sizes):
        role = {unreachable: UNREACHABLE, wrong_token: WRONG_TOKEN}.get(index, HEALTHY)
        pace = _pace(rng, math.ceil(students / page_size), rates, max_ideal_s)
        fleet.append(Instance(f"uni-{index + 1:02d}", students, pace, role, seed=seed * 1000 + index))
    return fleet


def _geometric(count: int, smallest: int, largest: int) -> list[int]:
    if count == 1:
        return [largest]
    ratio = (largest / smallest) ** (1 / (count - 1))
    return [round(smallest * ratio ** index) for index in range(count)]


def _pace(rng: random.Random, pages: int, rates: tuple[float, ...], max_ideal_s: float) -> Pace:
    """A seeded pace from `rates` among those a limit/window pair can give with a small allowance
    and an ideal within `max_ideal_s` (the largest instances cannot have the slowest paces)."""
    most = max(1, min(MAX_LIMIT, pages // ALLOWANCE_SHARE))
    choices: dict[float, list[Pace]] = {}
    for rate in rates:
        pairs = [Pace(limit, window) for limit in LIMITS for window in WINDOWS_S
                 if limit <= most and math.isclose(limit / window, rate) and (pages - limit) / rate <= max_ideal_s]
        if pairs:
            choices[rate] = pairs
    if not choices:  # no pace of the menu fits: the fastest, with the largest allowance it may have
        fastest = max(rates)
        return max((Pace(limit, window) for limit in LIMITS for window in WINDOWS_S
                    if limit <= most and math.isclose(limit / window, fastest)),
                   key=lambda pace: pace.limit, default=Pace(1, 1))
    return rng.choice(choices[rng.choice(sorted(choices))])


def paces_per_s(fleet: list[Instance]) -> float:
    """Pages per second the healthy instances' limiters let through together, all at once."""
    return sum(instance.pace.per_s for instance in fleet if instance.role == HEALTHY)


def demand_per_s(fleet: list[Instance], page_size: int) -> float:
    """Pages per second the workers must store in the busiest DEMAND_SPAN_S of the ideal schedule
    (every healthy instance at its ideal: its allowance at once, then its pace): what the workers'
    capacity must exceed for every instance to keep to its ideal."""
    times = [moment for instance in fleet if instance.role == HEALTHY for moment in _ideal_schedule(instance, page_size)]
    return max_requests_in_any_window(times, DEMAND_SPAN_S) / DEMAND_SPAN_S


def _ideal_schedule(instance: Instance, page_size: int) -> list[float]:
    """When each page is asked for at the ideal: `limit` at 0 s, then one per window/limit."""
    pages, pace = instance.pages(page_size), instance.pace
    allowance = min(pages, pace.limit)
    return [0.0] * allowance + [(n + 1) / pace.per_s for n in range(pages - allowance)]
