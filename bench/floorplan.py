"""Floor plan: how walkable a checkout's code is, as a few static and two traced figures.

    python bench/floorplan.py [--repo REPO] [--compare OTHER_REPO] [--static-only] [--verbose]
                              [--lease-word WORD ...]

REPO defaults to the checkout this script lives in; with --compare the table shows OTHER_REPO
("before") next to REPO ("after"). Only stable interfaces are used (HTTP routes, Celery task names,
`celery -A workers worker`, `api.create_app`, `shared.settings.Settings`, `shared.models`, the
simulators); no module name of the project's internals is written here, so either layout works.

Static figures (Python files of api/, workers/, shared/ and celeryconfig.py; ast, nothing imported):
- modules: files per top-level package (a package's __init__.py counts); "all" adds celeryconfig.
- sub-packages: directories below api/, workers/, shared/ holding Python files.
- module lines: physical lines per file, median and p90 (nearest rank).
- function lines: end_lineno - lineno + 1 of every def / async def (methods, nested), median and p90.
- Redis key modules: files whose text contains `KEY_PREFIX` or a literal starting "navai: / 'navai:
  (f-strings included): the modules that spell Redis key names themselves (--verbose lists them).
- package cycles: strongly connected components (Tarjan, > 1 node) of the import graph (every
  import statement, function-level and TYPE_CHECKING ones too, relative ones resolved) between
  the top-level units (api, workers, shared, celeryconfig) / between sub-packages (`workers.hemis`;
  a module directly in a top-level package is its own node, `shared.settings`).

Traced walks (a real worker, `-P solo`, traced with sys.setprofile between Celery's task_prerun and
task_postrun; the API in-process through Flask's test client; see floorplan_support/walks.py):
- HEMIS page: one `hemis.sync_page` task (the first page after page 1) of a 300-student run, 50 a page.
- Sipuni call: one call, trigger to AI score: the POST /sipuni/step2-process-recordings request
  (step 1 runs before, untraced) and every task the worker runs after it (process_csv, fan_out_calls,
  recordings.process_call, ai.process_call, ai.transcribe, ai.analyze, finalize_step2), by start time.
- modules: distinct project modules (api, workers, shared, celeryconfig) whose functions ran;
  re-entries: entries into a module already visited and left (attribution by the frame's
  __name__; a change of module on a call or on a return into a project frame is an entry);
  calls: project-function call events; lease share: share of those calls in modules whose name
  contains recovery, inflight or lease (--lease-word adds words, for plumbing a rename moved to a
  module named otherwise). Import-time code (module bodies) is not counted.
- loops folded: the same walk with back-to-back repeats of a cycle of module entries counted once
  (a loop over 50 records walks pages -> mapping 50 times); re-entries, and the share of entries
  that enter lease plumbing.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from floorplan_support import static_figures  # noqa: E402
from floorplan_support.static_figures import StaticFigures, median_and_p90  # noqa: E402
from floorplan_support.walk_metrics import (  # noqa: E402
    LEASE_WORDS,
    WalkFigures,
    module_calls,
    ordered,
    walk_figures,
)

DEFAULT_REPO = BENCH_DIR.parent
# The whole traced part (database, simulators, worker, two walks) normally takes 15-30 s.
WALKS_TIMEOUT_S = 600
TERMINATE_GRACE_S = 45  # the driver stops its worker (warm shutdown, up to 15 s) and simulators in this time
ERROR_TAIL_LINES = 50
TOP_MODULES_SHOWN = 12
WALKS = (("hemis", "HEMIS page"), ("sipuni", "Sipuni call"))


@dataclass
class Column:
    label: str
    repo: Path
    static: StaticFigures | None = None
    static_error: str = ""
    walks: dict[str, Any] | None = None
    walks_error: str = ""
    walks_s: float = 0.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=DEFAULT_REPO,
                        help=f"the checkout to measure (default {DEFAULT_REPO})")
    parser.add_argument("--compare", type=Path, metavar="OTHER_REPO",
                        help="also measure OTHER_REPO and print it first, as 'before' (REPO is 'after')")
    parser.add_argument("--static-only", action="store_true", help="skip the traced walks")
    parser.add_argument("--verbose", action="store_true", help="list Redis key modules, cycles, per-task walks")
    parser.add_argument("--lease-word", action="append", default=[], metavar="WORD",
                        help=f"one more module-name word that marks lease plumbing (default words: "
                             f"{', '.join(LEASE_WORDS)}), e.g. when a rename moves it to a module named otherwise")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    began = time.monotonic()
    if args.compare:
        columns = [Column("before", args.compare.resolve()), Column("after", args.repo.resolve())]
    else:
        columns = [Column(args.repo.resolve().name, args.repo.resolve())]
    try:
        for column in columns:
            measure(column, walks=not args.static_only)
    except KeyboardInterrupt:
        print("floorplan: interrupted", file=sys.stderr)
        return 130
    lease_words = (*LEASE_WORDS, *args.lease_word)
    print_table(columns, walks=not args.static_only, lease_words=lease_words)
    if args.verbose:
        print_details(columns, lease_words)
    print_errors(columns)
    print(f"\ncommand: {shlex.join(sys.orig_argv)}")
    print(f"took {time.monotonic() - began:.1f} s" + "".join(
        f"; walks on {c.label} {c.walks_s:.1f} s" for c in columns if c.walks_s))
    return 1 if any(c.static_error or c.walks_error for c in columns) else 0


def measure(column: Column, walks: bool) -> None:
    if not column.repo.is_dir():
        column.static_error = column.walks_error = f"{column.repo} is not a directory"
        return
    try:
        column.static = static_figures.compute(column.repo)
    except Exception as exc:  # a checkout mid-restructure: report, keep going
        column.static_error = f"{type(exc).__name__}: {exc}"
    if walks:
        started = time.monotonic()
        column.walks, column.walks_error = run_walks(column.repo)
        column.walks_s = time.monotonic() - started


# --- the traced walks, in a child process whose PYTHONPATH is the checkout -----------------------

def run_walks(repo: Path) -> tuple[dict[str, Any] | None, str]:
    """(the walks' JSON, "") or (None, why not). The child runs with the checkout first on its
    path, so its `api`, `shared` and `workers` are the measured ones, whatever this process has."""
    workdir = Path(tempfile.mkdtemp(prefix="floorplan-"))
    out, errors = workdir / "walks.json", workdir / "walks.stderr"
    command = [sys.executable, "-m", "floorplan_support.walks", "--repo", str(repo), "--out", str(out),
               "--workdir", str(workdir)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), str(BENCH_DIR)])}
    with errors.open("wb") as stderr:
        # Its own session: the driver and everything it starts form one group, ended together on a timeout.
        process = subprocess.Popen(command, cwd=repo, env=env, stdout=stderr, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            code = process.wait(timeout=WALKS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            end_driver(process)
            return None, f"timed out after {WALKS_TIMEOUT_S} s (logs in {workdir})\n{tail(errors)}"
        except KeyboardInterrupt:
            end_driver(process)
            raise
    if not out.exists():
        return None, f"exit code {code} (logs in {workdir})\n{tail(errors)}"
    result = json.loads(out.read_text(encoding="utf-8"))
    failed = [f"{title}: {result[key]['error']}" for key, title in WALKS if "error" in result[key]]
    if failed:
        return result, "\n".join(failed) + f"\n(logs in {workdir})"
    shutil.rmtree(workdir, ignore_errors=True)  # kept only when something failed
    return result, ""


def end_driver(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the driver (it stops its own children), then SIGKILL its process group if needed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=TERMINATE_GRACE_S)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group of the driver we started, nothing else
    except ProcessLookupError:
        pass
    process.wait()


def tail(path: Path, lines: int = ERROR_TAIL_LINES) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


# --- the table ---------------------------------------------------------------------------------

Row = tuple[str, str, str]  # (key, title, value): keys are unique, titles may repeat


def static_rows(figures: StaticFigures) -> list[Row]:
    by_unit = figures.modules_by_unit
    module_median, module_p90 = median_and_p90(figures.module_lines)
    function_median, function_p90 = median_and_p90(figures.function_lines)
    rows = [
        ("modules", "modules (api / workers / shared / all)",
         " / ".join(str(by_unit[unit]) for unit in static_figures.TOP_PACKAGES) + f" / {figures.total_modules}"),
        ("subpackages", "sub-packages", str(len(figures.subpackages))),
        ("module-lines", "module lines median / p90", f"{module_median:g} / {module_p90}"),
        ("function-lines", "function lines median / p90", f"{function_median:g} / {function_p90}"),
        ("redis-keys", "Redis key modules", str(len(figures.redis_key_modules))),
        ("cycles", "package cycles (top level / sub-package)",
         f"{len(figures.top_cycles)} / {len(figures.subpackage_cycles)}"),
    ]
    if figures.unparsable:
        rows.append(("unparsable", "files that do not parse (left out of ast figures)", str(len(figures.unparsable))))
    return rows


def walk_titles() -> list[tuple[str, str]]:
    return [pair for key, title in WALKS for pair in (
        (key, f"{title}: modules / re-entries / calls / lease share"),
        (f"{key}-folded", "  loops folded: re-entries / lease share of entries"))]


def walk_rows(walks: dict[str, Any] | None, lease_words: tuple[str, ...]) -> list[Row]:
    """The walks' rows; every cell `failed` when the walks did not run through."""
    values: dict[str, str] = {}
    for key, _ in WALKS:
        if walks is None or "error" in walks[key]:
            values[key] = values[f"{key}-folded"] = "failed"
            continue
        figures = walk_figures(walks[key]["segments"], lease_words)
        values[key] = (f"{figures.modules_visited} / {figures.re_entries} / {figures.calls:,} / "
                       f"{figures.lease_share:.1%}")
        values[f"{key}-folded"] = f"{figures.folded_re_entries} / {figures.folded_lease_share:.1%}"
    return [(key, title, values[key]) for key, title in walk_titles()]


def column_rows(column: Column, walks: bool, lease_words: tuple[str, ...]) -> list[Row]:
    rows = static_rows(column.static) if column.static else []
    return rows + (walk_rows(column.walks, lease_words) if walks else [])


def print_table(columns: list[Column], walks: bool, lease_words: tuple[str, ...]) -> None:
    per_column = [column_rows(column, walks, lease_words) for column in columns]
    titles: dict[str, str] = {}
    for rows in per_column:
        for key, title, _ in rows:
            titles.setdefault(key, title)
    values = [{key: value for key, _, value in rows} for rows in per_column]
    title_width = max(len("figure"), *(len(title) for title in titles.values())) + 2
    widths = [max(len(column.label), *(len(cells.get(key, "n/a")) for key in titles)) + 3
              for column, cells in zip(columns, values)]
    print("figure".ljust(title_width) + "".join(c.label.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for key, title in titles.items():
        print(title.ljust(title_width) + "".join(cells.get(key, "n/a").ljust(w)
                                                 for cells, w in zip(values, widths)).rstrip())
    print("; ".join(f"{column.label} = {column.repo}" for column in columns)
          + (f"; lease words: {', '.join(lease_words)}" if walks and lease_words != LEASE_WORDS else ""))


def print_details(columns: list[Column], lease_words: tuple[str, ...]) -> None:
    for column in columns:
        print(f"\n== {column.label} ({column.repo})")
        if column.static:
            print_static_details(column.static)
        if column.walks:
            for key, title in WALKS:
                if "error" not in column.walks[key]:
                    print_walk_details(title, column.walks[key], lease_words)


def print_static_details(figures: StaticFigures) -> None:
    print(f"sub-packages: {', '.join(figures.subpackages) or '-'}")
    print(f"Redis key modules ({len(figures.redis_key_modules)}): {', '.join(figures.redis_key_modules) or '-'}")
    for level, found in (("top level", figures.top_cycles), ("sub-package", figures.subpackage_cycles)):
        for number, component in enumerate(found, 1):
            print(f"cycle {number} at {level} ({len(component)} nodes): {', '.join(component)}")
    if figures.unparsable:
        print(f"do not parse: {', '.join(figures.unparsable)}")


def print_walk_details(title: str, walk: dict[str, Any], lease_words: tuple[str, ...]) -> None:
    print(f"{title}: run {walk.get('run')}")
    for note in walk.get("notes", []):
        print(f"  note: {note}")
    print(f"  tasks the worker ran in this part: {walk.get('tasks')}")
    for segment in ordered(walk["segments"]):
        figures: WalkFigures = walk_figures([segment], lease_words)
        print(f"  {segment['task']:<40} modules {figures.modules_visited:>3}  entries {len(segment['entries']):>4}  "
              f"re-entries {figures.re_entries:>4}  calls {figures.calls:>6,}  lease {figures.lease_share:6.1%}")
    busiest = module_calls(walk["segments"]).most_common(TOP_MODULES_SHOWN)
    print("  calls by module: " + ", ".join(f"{module} {count:,}" for module, count in busiest))
    print("  modules visited: " + ", ".join(sorted(module_calls(walk["segments"]))))


def print_errors(columns: list[Column]) -> None:
    for column in columns:
        if column.static_error:
            print(f"\nstatic figures failed on {column.label} ({column.repo}): {column.static_error}", file=sys.stderr)
        if column.walks_error:
            print(f"\ntraced walks failed on {column.label} ({column.repo}): {column.walks_error}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
