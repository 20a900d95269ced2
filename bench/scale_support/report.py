"""The table bench/scale.py prints, with each target's verdict."""

from __future__ import annotations

from dataclasses import dataclass

from bench.scale_support.scenarios import Measured

FLAT_RATIO = 1.15  # largest / smallest size, for per-unit figures and peak RSS
HEMIS_FLOOR_RATIO = 3.0
BYTES_PER_MB = 1024 * 1024
KB_PER_MB = 1024


@dataclass(frozen=True)
class Row:
    workload: str  # "HEMIS students" / "Sipuni step 2"
    measured: Measured
    floor_cpu_s: float
    floor_units: int  # the floor may do a sample of the work: its CPU per unit does not depend on size

    @property
    def cpu_per_1000(self) -> float:
        return self.measured.worker_cpu_s / self.measured.units * 1000

    @property
    def floor_per_1000(self) -> float:
        return self.floor_cpu_s / self.floor_units * 1000

    @property
    def commands_per_unit(self) -> float:
        return self.measured.redis_commands / self.measured.units

    @property
    def statements_per_unit(self) -> float | None:
        statements = self.measured.statements
        return None if statements is None else statements / self.measured.units


def print_report(rows: list[Row], *, pgbouncer: bool) -> None:
    header = (f"{'workload':<16} {'units':>8} {'status':<10} {'wall s':>7} {'CPU s/1k':>9} {'floor/1k':>9} "
              f"{'x floor':>7} {'Redis cmd/u':>11} {'SQL st/u':>8} {'peak RSS MB':>11} {'Redis peak MB':>13}")
    print()
    print(header)
    print("-" * len(header))
    for row in rows:
        m = row.measured
        statements = "n/a" if row.statements_per_unit is None else f"{row.statements_per_unit:.2f}"
        print(f"{row.workload:<16} {m.units:>8} {m.status:<10} {m.wall_s:>7.1f} {row.cpu_per_1000:>9.2f} "
              f"{row.floor_per_1000:>9.2f} {row.cpu_per_1000 / row.floor_per_1000:>7.2f} "
              f"{row.commands_per_unit:>11.2f} {statements:>8} {m.peak_rss_kb / KB_PER_MB:>11.1f} "
              f"{m.redis_peak_bytes / BYTES_PER_MB:>13.1f}")
    print()
    for workload in dict.fromkeys(row.workload for row in rows):
        for line in _verdicts(workload, [row for row in rows if row.workload == workload]):
            print(line)
    if not pgbouncer:
        print("SQL statements not counted (--no-pgbouncer)")


def _verdicts(workload: str, rows: list[Row]) -> list[str]:
    smallest, largest = rows[0], rows[-1]
    lines = [f"{workload}: " + "; ".join(f"{m.units} units: {m.summary}" for m in (row.measured for row in rows))]
    checks = [("worker CPU per unit", smallest.cpu_per_1000, largest.cpu_per_1000),
              ("Redis commands per unit", smallest.commands_per_unit, largest.commands_per_unit),
              ("peak RSS per worker process", smallest.measured.peak_rss_kb, largest.measured.peak_rss_kb)]
    if smallest.statements_per_unit is not None and largest.statements_per_unit is not None:
        checks.append(("SQL statements per unit", smallest.statements_per_unit, largest.statements_per_unit))
    for name, small, large in checks:
        ratio = large / small if small else float("inf")
        verdict = "ok" if ratio <= FLAT_RATIO else f"NOT flat (target <= {FLAT_RATIO})"
        lines.append(f"  {name}: largest / smallest = {ratio:.2f}  {verdict}")
    if workload.startswith("HEMIS"):
        worst = max(row.cpu_per_1000 / row.floor_per_1000 for row in rows)
        verdict = "ok" if worst <= HEMIS_FLOOR_RATIO else f"over {HEMIS_FLOOR_RATIO}x"
        lines.append(f"  worker CPU / floor CPU, worst size: {worst:.2f}  {verdict}")
    failed = [row.measured.units for row in rows if row.measured.status != "completed"]
    if failed:
        lines.append(f"  runs not completed at sizes {failed}")
    return lines
