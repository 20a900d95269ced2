"""The figures of one traced walk, from its segments (one per task or request, see tracer.py).

A walk is its segments concatenated in the order they started.
- modules visited: distinct project modules with at least one call event;
- re-entries: entries into a module visited (and left) before. Consecutive entries always differ,
  so this is (number of entries) - (distinct modules entered). A segment boundary counts as
  leaving: the next task entering the module the last one ended in is a re-entry;
- calls: project-function call events;
- lease share: the share of those calls made in a module whose name mentions the crash-recovery
  plumbing (`recovery`, `inflight` or `lease`).
Loops folded (a second view, independent of how many records a loop handles): within a segment,
a cycle of module entries repeated back-to-back (A B A B A B, a loop over 50 records) counts once;
re-entries are counted on what is left, and the lease share is the share of those entries that
enter lease plumbing (entries, not calls: a per-record loop can no longer outweigh the rest).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

LEASE_WORDS = ("recovery", "inflight", "lease")
# The longest cycle of module entries folded: enough for a loop body that walks a few modules.
FOLD_MAX_PERIOD = 12


@dataclass(frozen=True)
class WalkFigures:
    modules_visited: int
    re_entries: int
    calls: int
    lease_calls: int
    segments: int
    folded_entries: int
    folded_re_entries: int
    folded_lease_entries: int

    @property
    def lease_share(self) -> float:
        return self.lease_calls / self.calls if self.calls else 0.0

    @property
    def folded_lease_share(self) -> float:
        return self.folded_lease_entries / self.folded_entries if self.folded_entries else 0.0


def is_lease_module(name: str, words: Sequence[str] = LEASE_WORDS) -> bool:
    return any(word in name for word in words)


def ordered(segments: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(segments, key=lambda segment: segment["start"])


def walk_figures(segments: Sequence[dict[str, Any]], lease_words: Sequence[str] = LEASE_WORDS) -> WalkFigures:
    calls = module_calls(segments)
    entries = [module for segment in ordered(segments) for module in segment["entries"]]
    folded = [module for segment in ordered(segments) for module in fold_loops(segment["entries"])]
    return WalkFigures(modules_visited=len(calls), re_entries=count_re_entries(entries),
                       calls=sum(calls.values()),
                       lease_calls=sum(n for module, n in calls.items() if is_lease_module(module, lease_words)),
                       segments=len(segments), folded_entries=len(folded),
                       folded_re_entries=count_re_entries(folded),
                       folded_lease_entries=sum(1 for module in folded if is_lease_module(module, lease_words)))


def module_calls(segments: Sequence[dict[str, Any]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for segment in segments:
        total.update(segment["calls"])
    return total


def count_re_entries(entries: Sequence[str]) -> int:
    seen: set[str] = set()
    re_entries = 0
    for module in entries:
        if module in seen:
            re_entries += 1
        seen.add(module)
    return re_entries


def fold_loops(entries: Sequence[str], max_period: int = FOLD_MAX_PERIOD) -> list[str]:
    """`entries` with back-to-back repeats of a cycle (period <= max_period) kept once, e.g.
    A B A B A B C -> A B C (each repeat is dropped as it completes)."""
    folded: list[str] = []
    for module in entries:
        folded.append(module)
        while _drop_repeat(folded, max_period):
            pass
    return folded


def _drop_repeat(folded: list[str], max_period: int) -> bool:
    """Drop the tail if it repeats the `k` entries just before it; True if it did."""
    for period in range(1, min(max_period, len(folded) // 2) + 1):
        if folded[-period:] == folded[-2 * period:-period]:
            del folded[-period:]
            return True
    return False
