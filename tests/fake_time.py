"""A clock and a sleep for tests: waits cost nothing and are recorded (never wall-clock time)."""

from __future__ import annotations

import threading
import time


class FakeTime:
    """``clock=`` and ``sleep=`` for a SentrySink whose waits cost no time and are recorded.

    Sleeping returns at once and moves the sleeping thread's clock forward by
    the time asked: the sink's workers sleep side by side, as they would for
    real, so one worker's wait never ages another's. With ``follow_real_time``
    the clock also counts the time requests really take (for servers that hang
    until a socket timeout); without it, only the sleeps move it. Tests assert
    on :attr:`slept` (what the sink chose to wait), never on how long a run took.
    """

    def __init__(self, *, follow_real_time: bool = False) -> None:
        self._lock = threading.Lock()
        self._origin = time.monotonic() if follow_real_time else None
        self._offsets: dict[int, float] = {}  # per thread
        self.slept: list[float] = []

    def clock(self) -> float:
        real = 0.0 if self._origin is None else time.monotonic() - self._origin
        with self._lock:
            return real + self._offsets.get(threading.get_ident(), 0.0)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            thread = threading.get_ident()
            self._offsets[thread] = self._offsets.get(thread, 0.0) + seconds

    @property
    def total(self) -> float:
        """Seconds slept in all, by every thread."""
        with self._lock:
            return sum(self.slept)

    @property
    def longest(self) -> float:
        """The most one thread slept: the time the sleeping cost the run."""
        with self._lock:
            return max(self._offsets.values(), default=0.0)
