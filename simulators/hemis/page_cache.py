"""Serialized list pages, kept within a byte budget (least recently used first out).

The simulator shares the benchmark machine's CPUs with the workers it serves: generating and
serializing a page of 200 students costs ~8 ms, answering it again from here nothing. One cache
serves every instance of the process; a key names the list and its version (`Dataset.uid`,
`Dataset.version`), so a changed or reset list is never answered from an old page, and the budget
bounds the memory however many instances there are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

DEFAULT_BUDGET_BYTES = 256 * 1024 * 1024


class PageCache:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self.size_bytes = 0
        self.hits = 0
        self.misses = 0
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._pages.get(key)
            if body is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        if len(body) > self.budget_bytes:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            self.size_bytes += len(body) - (len(old) if old is not None else 0)
            self._pages[key] = body
            while self.size_bytes > self.budget_bytes:
                _, evicted = self._pages.popitem(last=False)
                self.size_bytes -= len(evicted)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"pages": len(self._pages), "bytes": self.size_bytes, "budgetBytes": self.budget_bytes,
                    "hits": self.hits, "misses": self.misses}
