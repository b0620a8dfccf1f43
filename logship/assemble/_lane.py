"""The fast lane: one-line entries the caller will surely turn away, counted, never built."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from itertools import compress, count

from logship.config import AssemblyLimits

from ._entry import _split
from ._lines import LineKind, classify


class FastLane:
    """One-line entries the caller will surely turn away: counted here, never built.

    Most of what a service writes is one plain line below the error level. The
    pipeline gives :func:`assemble` the parse stage's fast rejection: a pattern
    for digit-led text lines and, optionally, a check for JSON lines. A line it
    takes, once the stream's next line shows that nothing joins it, is counted
    in ``count`` instead of becoming an ``_Entry`` and a :class:`LogRecord`. A
    line that something joins is built as before, so every record that could
    matter comes out unchanged.

    ``pattern`` must match only lines that start with a digit and that
    :func:`classify` calls START (a log stamp at the start does both):
    :meth:`scan` relies on it instead of checking each line for them.
    """

    __slots__ = ("_scans", "count", "json_line", "pattern")

    def __init__(
        self, pattern: re.Pattern[str], json_line: Callable[[str], bool] | None = None
    ) -> None:
        self.pattern = pattern
        self.json_line = json_line  # whether a JSON line is one the caller turns away
        self.count = 0  # one-line entries counted, not emitted; the caller drains it
        self._scans: dict[int | None, re.Pattern[str]] = {}  # by max_chars, see _scan_pattern

    def takes(self, line: str) -> bool:
        """Whether a one-line entry made of ``line`` would be turned away."""
        head = line[:1]
        if head.isdigit():
            return self.pattern.match(line) is not None
        return head == "{" and self.json_line is not None and self.json_line(line)

    def takes_entry(self, lines: list[str], cut: bool, kind: LineKind) -> bool:
        """Whether an event split into ``lines`` by _split is a one-line entry this lane takes."""
        return len(lines) == 1 and not cut and kind is LineKind.START and self.takes(lines[0])

    def plain(self, message: str, limits: AssemblyLimits) -> bool:
        """Whether an event's message is a one-line entry this lane takes, as _feed sees it."""
        lines, _size, cut = _split(message, limits)
        return self.takes_entry(lines, cut, classify(lines[0]))

    def scan(self, messages: Sequence[str], limits: AssemblyLimits) -> list[int]:
        """The indices of the messages that are not :meth:`plain`, ascending.

        One match per message, the loop in C: a digit-led line is plain when
        it is one whole line within ``max_chars``, starts an entry and matches
        the fast rejection's pattern. The whole-line conditions are checked
        for the batch at once when they hold for all (no newline, no carriage
        return, no message too long: the usual case), else by a lookahead per
        message. The rest that may still be plain (JSON lines; a line ending in
        a carriage return or a newline, which the pattern leaves to the full
        check) get :meth:`plain`.
        """
        text = "".join(messages)
        max_chars = limits.max_chars
        whole_lines = (
            "\n" not in text
            and "\r" not in text
            and max(map(len, messages), default=0) <= max_chars
        )
        match = self._scan_pattern(None if whole_lines else max_chars).match
        flags = map(operator.not_, map(match, messages))
        return [
            index
            for index in compress(count(), flags)
            if not (_maybe_plain(messages[index]) and self.plain(messages[index], limits))
        ]

    def _scan_pattern(self, max_chars: int | None) -> re.Pattern[str]:
        """The scan's pattern; ``max_chars`` None: the whole-line conditions are known to hold."""
        pattern = self._scans.get(max_chars)
        if pattern is None:
            # No check that the line starts with a digit and classifies as
            # START: a line the pattern matches does both (see the class).
            whole_line = "" if max_chars is None else rf"(?=[^\n]{{0,{max_chars}}}(?<!\r)\Z)"
            source = rf"{whole_line}(?:{self.pattern.pattern})"
            pattern = self._scans[max_chars] = re.compile(source, self.pattern.flags)
        return pattern


def _plain_line(message: str) -> str:
    """The one line of a plain message, as _split makes it (a trailing newline is no line)."""
    return message.partition("\n")[0].rstrip("\r")


def _maybe_plain(message: str) -> bool:
    return message[:1] == "{" or message[-1:] in ("\r", "\n")
