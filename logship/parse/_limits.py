"""Bounds every language parser applies, so one runaway trace cannot flood an event.

A stack overflow prints thousands of frames and a retry loop can wrap an
exception hundreds of times. Both ends of such a list are kept and the middle
is dropped: the outermost frames (or exceptions) say what the service was
doing, the innermost ones where and why it failed. Frames dropped are counted
in :attr:`~logship.records.ExceptionInfo.frames_omitted`, so Sentry can still
say how deep the stack was.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

__all__ = [
    "CHAIN_END_KEPT",
    "MAX_EXCEPTIONS",
    "MAX_FRAMES_KEPT",
    "FrameWindow",
    "cap_chain",
    "cap_frames",
    "chain_window",
]

# Frames kept from each end of one exception's stack; the middle is counted, not kept.
MAX_FRAMES_KEPT = 250
# Exceptions kept in one chain, and separately among the related (suppressed, grouped) ones.
MAX_EXCEPTIONS = 100
# Exceptions kept from each end of a longer chain: the outermost say what the
# service was doing, the innermost (the root cause) why it failed.
CHAIN_END_KEPT = MAX_EXCEPTIONS // 2

T = TypeVar("T")


def cap_frames(frames: list[T]) -> tuple[tuple[T, ...], int]:
    """The first and last :data:`MAX_FRAMES_KEPT` of ``frames``, and how many were cut between."""
    if len(frames) <= 2 * MAX_FRAMES_KEPT:
        return tuple(frames), 0
    kept = frames[:MAX_FRAMES_KEPT] + frames[-MAX_FRAMES_KEPT:]
    return tuple(kept), len(frames) - len(kept)


def cap_chain(chain: tuple[T, ...]) -> tuple[T, ...]:
    """At most :data:`MAX_EXCEPTIONS` of ``chain``: its outer half and its root-cause half."""
    if len(chain) <= MAX_EXCEPTIONS:
        return chain
    return chain[:CHAIN_END_KEPT] + chain[-CHAIN_END_KEPT:]


class FrameWindow(Generic[T]):
    """The first and last ``size`` items of a stream, and a count of all of them.

    For parsers that read frames one line at a time: memory stays bounded however
    long the stack, where collecting a list and then :func:`cap_frames` would not.
    """

    __slots__ = ("_head", "_size", "_tail", "count")

    def __init__(self, size: int = MAX_FRAMES_KEPT) -> None:
        self._size = size
        self._head: list[T] = []
        self._tail: deque[T] = deque(maxlen=size)
        self.count = 0  # every item added, kept or not

    def add(self, item: T) -> None:
        """Take the next item of the stream."""
        self.count += 1
        if len(self._head) < self._size:
            self._head.append(item)
        else:
            self._tail.append(item)

    @property
    def latest(self) -> T:
        """The item added last (always kept); IndexError when nothing was added."""
        return self._tail[-1] if self._tail else self._head[-1]

    def kept(self) -> list[T]:
        """The items kept, in the order they were added."""
        return self._head + list(self._tail)

    @property
    def omitted(self) -> int:
        """How many items were added but not kept (those between the two ends)."""
        return self.count - len(self._head) - len(self._tail)


def chain_window() -> FrameWindow[T]:
    """A window over a chain read one exception at a time: keeps what :func:`cap_chain` keeps.

    For parsers that meet exceptions one after another in the text: however
    deep the chain, only :data:`MAX_EXCEPTIONS` of them (and their frames) are held.
    """
    return FrameWindow(CHAIN_END_KEPT)
