"""A one-line progress display on stderr for long commands.

Drawn only on a terminal (a pipe or a log file gets nothing) and redrawn at
most every ``interval`` seconds, so counting millions of events costs one
clock read per update. Written by hand: a dependency would not be smaller.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

_BAR_WIDTH = 24
_CLEAR_LINE = "\r\x1b[K"


def human_count(number: float) -> str:
    """``1234567`` -> ``"1.2M"``: short figures for a status line."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= limit:
            return f"{number / limit:.1f}{suffix}"
    return f"{number:.0f}"


def human_bytes(size: float) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class Progress:
    """Counts work and shows it as ``label [####----] 40%  12.3k events  4.1k/s``.

    ``total`` (same unit as the count) gives a bar and a percentage; without
    it the count, the rate and ``detail`` are shown. Use as a context manager
    so the line is cleared when the command finishes or is interrupted.
    """

    def __init__(
        self,
        label: str,
        *,
        unit: str = "events",
        total: int | None = None,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self.label = label
        self.unit = unit
        self.total = total
        self.count = 0
        self.detail = ""
        self.interval = interval
        self._clock = clock
        self._started = clock()
        self._drawn_at = float("-inf")
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def advance(self, amount: int = 1, *, detail: str | None = None) -> None:
        """Add ``amount`` to the count; redraw if the last redraw is old enough."""
        self.count += amount
        if detail is not None:
            self.detail = detail
        if self.enabled:
            now = self._clock()
            if now - self._drawn_at >= self.interval:
                self._draw(now)

    def line(self, now: float | None = None) -> str:
        """The status line as it would be drawn now."""
        now = self._clock() if now is None else now
        elapsed = now - self._started
        parts = [self.label]
        if self.total:
            done = min(self.count / self.total, 1.0)
            filled = round(done * _BAR_WIDTH)
            parts.append(f"[{'#' * filled}{'-' * (_BAR_WIDTH - filled)}] {done:4.0%}")
        parts.append(f"{human_count(self.count)} {self.unit}")
        if elapsed >= 1:  # a rate over a few milliseconds means nothing
            parts.append(f"{human_count(self.count / elapsed)}/s")
        if self.detail:
            parts.append(self.detail)
        return "  ".join(parts)

    def _draw(self, now: float) -> None:
        self._drawn_at = now
        self._drawn = True
        self.stream.write(_CLEAR_LINE + self.line(now))
        self.stream.flush()

    def close(self) -> None:
        """Erase the line, so what is printed next starts on a clean line."""
        if self._drawn:
            self.stream.write(_CLEAR_LINE)
            self.stream.flush()
            self._drawn = False
