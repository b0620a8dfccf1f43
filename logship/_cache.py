"""One bounded cache for the pure functions of strings that come back event after event.

A service's errors repeat their tags, frames, names and messages: remembering
what a pure function made of them saves work. Hostile input (every string new)
must cost hits, never memory, so a cache is bounded in entries and, where what
it holds can be large, in weight (about the characters it holds); it is emptied
when either bound is reached. Emptying, rather than evicting the least recently
used entry, keeps a hit to one dict lookup: ``cache.get`` is the dict's own.
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["BoundedCache"]

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A dict emptied when it holds ``max_entries`` entries or ``max_weight`` of weight."""

    __slots__ = ("_entries", "get", "max_entries", "max_weight", "weight")

    def __init__(self, max_entries: int, max_weight: int | None = None) -> None:
        self._entries: dict[K, V] = {}
        # The dict's own lookup: a hit costs no call of ours.
        self.get = self._entries.get
        self.max_entries = max_entries
        self.max_weight = max_weight
        self.weight = 0

    def put(self, key: K, value: V, weight: int = 0) -> None:
        """Remember ``value`` for ``key``, emptying the cache first when a bound is reached."""
        if len(self._entries) >= self.max_entries or (
            self.max_weight is not None and self.weight + weight > self.max_weight
        ):
            self.clear()
        self._entries[key] = value
        self.weight += weight

    def clear(self) -> None:
        self._entries.clear()
        self.weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries
