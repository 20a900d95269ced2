"""The table bench/hemis_many.py prints: one row per instance against its ideal, then the totals
and each target's verdict. `print_report` returns whether every target was met."""

from __future__ import annotations

from bench.hemis_many_support.fleet import DEMAND_SPAN_S, HEALTHY, demand_per_s, paces_per_s
from bench.hemis_many_support.fleet import Instance
from bench.hemis_many_support.race import Finished, RaceFigures

TARGET_RATIO = 1.3  # issue 20: each healthy instance within 1.3x of its own ideal time
BROKEN_FAST_S = 30.0  # a broken instance's run must end failed within this long
BUSIEST_SPAN_S = 10
CPUS = 2


def _ratio(done: Finished, page_size: int, latency_s: float) -> float:
    return done.measured_s / done.instance.ideal_s(page_size, latency_s)


def met(done: Finished, page_size: int, latency_s: float) -> bool:
    if done.instance.role == HEALTHY:
        return done.status == "completed" and _ratio(done, page_size, latency_s) <= TARGET_RATIO
    return done.status == "failed" and done.measured_s <= BROKEN_FAST_S


def print_report(figures: RaceFigures, page_size: int, latency_s: float) -> bool:
    rows = sorted(figures.finished, key=lambda done: done.instance.students)
    header = (f"{'instance':<9} {'students':>8} {'pages':>5} {'limit/win':>9} {'req/s':>5} {'ideal s':>7} "
              f"{'measured s':>10} {'ratio':>5} {'last req s':>10} {'requests':>8} {'429':>4} {'status':<10} verdict")
    print()
    print(header)
    print("-" * len(header))
    for done in rows:
        print(_row(done, page_size, latency_s))
    print()
    lines, passed = _totals(figures, page_size, latency_s)
    for line in lines:
        print(line)
    return passed


def _row(done: Finished, page_size: int, latency_s: float) -> str:
    instance = done.instance
    last = "-" if done.last_request_s is None else f"{done.last_request_s:.1f}"
    if instance.role == HEALTHY:
        ideal, ratio = f"{instance.ideal_s(page_size, latency_s):.1f}", f"{_ratio(done, page_size, latency_s):.2f}"
        verdict = "ok" if met(done, page_size, latency_s) else f"MISSED {TARGET_RATIO}x"
    else:
        ideal, ratio = "-", "-"
        verdict = f"{instance.role}: " + ("failed fast" if met(done, page_size, latency_s) else "NOT failed fast")
    return (f"{instance.name:<9} {instance.students:>8} {instance.pages(page_size):>5} {instance.pace.label:>9} "
            f"{instance.pace.per_s:>5.2f} {ideal:>7} {done.measured_s:>10.1f} {ratio:>5} {last:>10} "
            f"{done.requests:>8} {done.refused:>4} {done.status:<10} {verdict}")


def _totals(figures: RaceFigures, page_size: int, latency_s: float) -> tuple[list[str], bool]:
    healthy = [done for done in figures.finished if done.instance.role == HEALTHY]
    broken = [done for done in figures.finished if done.instance.role != HEALTHY]
    good = [done for done in healthy if met(done, page_size, latency_s)]
    records = sum(done.processed for done in healthy)
    pages = sum(done.instance.pages(page_size) for done in healthy)
    fleet = [done.instance for done in figures.finished]
    demand = demand_per_s(fleet, page_size)
    worst = max(healthy, key=lambda done: _ratio(done, page_size, latency_s))
    lines = [
        f"healthy instances within {TARGET_RATIO}x of their ideal: {len(good)} of {len(healthy)} "
        f"(worst {worst.instance.name}: {_ratio(worst, page_size, latency_s):.2f}x)",
        f"worker CPU: {figures.worker_cpu_s:.1f} s for {records} records = "
        f"{figures.worker_cpu_s / max(records, 1) * 1000:.2f} CPU s per 1,000 records",
        f"Redis commands: {figures.redis_commands} = {figures.redis_commands / max(pages, 1):.1f} per page "
        f"({pages} pages stored)",
    ]
    lines += [f"{done.instance.role} instance {done.instance.name}: {done.status} after {done.measured_s:.1f} s"
              + (f" ({done.error[:140]})" if done.error else "") for done in broken]
    lines += _load_lines(figures, fleet, page_size, _span_s(figures))
    passed = len(good) == len(healthy) and all(met(done, page_size, latency_s) for done in broken)
    lines.append("PASS" if passed else "FAIL")
    return lines, passed


def _span_s(figures: RaceFigures) -> float:
    first = min(done.started_at for done in figures.finished)
    last = max(done.finished_at for done in figures.finished)
    return (last - first).total_seconds()


def _load_lines(figures: RaceFigures, fleet: list[Instance], page_size: int, span_s: float) -> list[str]:
    timeline = figures.timeline
    demand = demand_per_s(fleet, page_size)
    lines = [f"demand: the healthy limiters' paces add up to {paces_per_s(fleet):.1f} pages/s; at their ideals the "
             f"busiest {DEMAND_SPAN_S} s asks for {demand:.1f} pages/s ({demand * page_size:.0f} records/s, "
             "the initial allowances included)"]
    if figures.calibration_pages_per_s and figures.calibration_cpu_s_per_page:
        cpu_per_page = figures.calibration_cpu_s_per_page
        lines.append(f"capacity: two workers stored {figures.calibration_pages_per_s:.1f} pages/s from one HEMIS "
                     f"with no limiter, just before, at {cpu_per_page * 1000:.0f} worker CPU ms per page: the demand "
                     f"is {demand / figures.calibration_pages_per_s:.0%} of that rate and needs "
                     f"{demand * cpu_per_page:.2f} of the workers' {CPUS} CPUs")
    lines += [
        f"race: {span_s:.1f} s wall, runs started within {figures.start_spread_s:.2f} s of each other; "
        f"workers used {figures.worker_cpu_s / span_s:.2f} of {CPUS} CPUs on average, "
        f"{timeline.busiest(BUSIEST_SPAN_S):.2f} over the busiest {BUSIEST_SPAN_S} s; "
        f"simulator {figures.simulator_cpu_s:.1f} CPU s",
        f"machine (every process on it, other agents' included): {figures.machine_busy:.0%} busy during the race; "
        f"load average before {_load(figures.load_before)}, after {_load(figures.load_after)}",
        f"page tasks: at most {max((s.queued for s in timeline.samples), default=0)} waiting in the queue, "
        f"{max((s.held for s in timeline.samples), default=0)} held by the workers (running or counting down)",
    ]
    return lines


def _load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in load)


