"""The open entry of a stream: its lines, ids and limits; both ends of an over-long trace."""

from __future__ import annotations

import re
from collections import deque

from logship.config import AssemblyLimits
from logship.records import LogRecord

from ._lines import LineKind, classify

# Where an event came from, shared by every event of a payload: (owner, region, batch item).
Origin = tuple[str, str, str]
# A one-line blank event at the end of an entry: (id, timestamp, origin, line).
Blank = tuple[str, int, Origin, str]


def _last_text(lines: list[str], end: int | None = None) -> str:
    """The last non-blank line before ``end``: Spring Boot puts a blank line before a trace."""
    index = len(lines) if end is None else end
    while index > 0:
        index -= 1
        if lines[index].strip():
            return lines[index]
    return ""


class _Entry:
    """The open entry of one stream: what it has collected so far."""

    __slots__ = (
        "batch_items",
        "blanks",
        "continued",
        "event_ids",
        "first_ts",
        "last_ts",
        "lines",
        "owner",
        "region",
        "size",
        "stitched",
        "tail",
        "tail_size",
        "truncated",
    )

    def __init__(
        self, event_id: str, timestamp: int, origin: Origin, lines: list[str], size: int
    ) -> None:
        # An event read back from CloudWatch Logs (stitching) has no id: it shapes
        # the entry but is not the caller's to count or ship (see _add_id).
        self.event_ids = [event_id] if event_id else []
        self.continued = not event_id  # the entry began before the caller's payload
        self.stitched = 0
        self.lines = lines
        self.first_ts = self.last_ts = timestamp
        self.owner, self.region, batch_item = origin
        self.batch_items = [batch_item] if batch_item else []
        self.size = size
        self.truncated = False
        # Past max_lines / max_chars, ``lines`` is the frozen head and ``tail``
        # the sliding window of the latest lines; ``None`` until then.
        self.tail: deque[str] | None = None
        self.tail_size = 0
        # The one-line blank events the entry ends with, while within its limits;
        # None when it ends otherwise (see release_blanks).
        self.blanks: list[Blank] | None = None

    @classmethod
    def from_blanks(cls, blanks: list[Blank]) -> _Entry:
        """An entry that begins with blank events another entry gave up."""
        event_id, timestamp, origin, line = blanks[0]
        entry = cls(event_id, timestamp, origin, [line], len(line))
        for event_id, timestamp, origin, line in blanks[1:]:
            entry.add(event_id, timestamp, origin, [line], len(line))
        return entry

    def release_blanks(self, oldest: int) -> list[Blank]:
        """Give up the trailing blank events stamped at ``oldest`` or later, for a crash report.

        Mono and PHP print a blank line as the first line of their crash report,
        so it is the report's, not the line's before it. Only whole one-line
        events are given up, and only while the entry is within its limits, so
        its lines, ids and counts come back to what they were before them.
        Called only as the entry ends (the report does not join it).
        """
        blanks = self.blanks or []
        keep = len(blanks)
        while keep and blanks[keep - 1][1] >= oldest:
            keep -= 1
        released = blanks[keep:]
        for event_id, _timestamp, _origin, line in reversed(released):
            self.lines.pop()
            self.size -= len(line)
            if event_id:
                self.event_ids.pop()
            elif self.event_ids:
                self.stitched -= 1  # it was counted as read after the caller's events
        self.blanks = blanks[:keep] or None
        return released  # the entry is over: its last_ts no longer matters

    def last_text(self) -> str:
        """The entry's last non-blank line, in the tail once the limits were reached."""
        for line in reversed(self.tail or ()):
            if line.strip():
                return line
        return _last_text(self.lines)

    def add(
        self, event_id: str, timestamp: int, origin: Origin, lines: list[str], size: int
    ) -> None:
        self._add_id(event_id)
        self.last_ts = timestamp
        self.lines.extend(lines)
        self.size += size
        self._note(origin)

    def _add_id(self, event_id: str) -> None:
        if event_id:
            self.event_ids.append(event_id)
        elif self.event_ids:
            self.stitched += 1  # read after the caller's events: completes the entry

    def _note(self, origin: Origin) -> None:
        owner, region, batch_item = origin
        if batch_item and batch_item not in self.batch_items:
            self.batch_items.append(batch_item)
        self.owner = self.owner or owner
        self.region = self.region or region

    def add_beyond_limits(
        self,
        event_id: str,
        timestamp: int,
        origin: Origin,
        lines: list[str],
        limits: AssemblyLimits,
    ) -> None:
        """Add an event once the entry is past max_lines or max_chars: keep both ends.

        Parsers read a trace's first lines (the outermost exception; PHP's
        root cause) and its last lines (the root cause of Java, .NET and Ruby;
        PHP's outermost), and tolerate a jump in the middle of a chain or a
        frame list. So the entry stays one record: the first half of the
        allowance is kept as is, the latest lines slide through the second
        half, and the middle is dropped (the seam is aligned when the record
        goes out, see :func:`_align_seam`). Every event id is still collected.
        """
        head_lines, head_chars, tail_lines, tail_chars = _halves(limits)
        tail = self.tail
        if tail is None:
            self.truncated = True
            overflow = self.lines
            self.lines, self.size = _prefix(overflow, head_lines, head_chars)
            tail = self.tail = deque()
            self._push(overflow[len(self.lines) :], tail, tail_lines, tail_chars)
        self._push(lines, tail, tail_lines, tail_chars)
        self._add_id(event_id)
        self.last_ts = timestamp
        self._note(origin)

    def _push(self, lines: list[str], tail: deque[str], max_lines: int, max_chars: int) -> None:
        if not max_lines or not max_chars:
            return  # limits too small for a second half: the head is all there is
        for line in lines:
            kept = line[:max_chars]  # a line alone beyond the window keeps its start
            tail.append(kept)
            self.tail_size += len(kept)
            while len(tail) > max_lines or self.tail_size > max_chars:
                self.tail_size -= len(tail.popleft())

    def record(self, log_group: str, log_stream: str) -> LogRecord | None:
        """The entry as a record; None when it holds none of the caller's events."""
        if not self.event_ids:
            return None
        if self.tail is None:
            lines = tuple(self.lines)
        else:
            head, tail = _align_seam(self.lines, list(self.tail))
            lines = (*head, *tail)
        return LogRecord(
            log_group=log_group,
            log_stream=log_stream,
            owner=self.owner,
            region=self.region,
            timestamp=self.first_ts,
            event_ids=tuple(self.event_ids),
            lines=lines,
            truncated=self.truncated,
            batch_items=tuple(self.batch_items),
            stitched=self.stitched,
            continued=self.continued,
        )


def _split(message: str, limits: AssemblyLimits) -> tuple[list[str], int, bool]:
    """An event's lines, their size in characters, and whether the limits cut them.

    Sizes are counted in characters, a cheap stand-in for bytes that bounds
    memory just as well.
    """
    if "\n" not in message and len(message) <= limits.max_chars:
        return [message.rstrip("\r")], len(message), False
    lines = [line.rstrip("\r") for line in message.split("\n")]
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # a trailing newline is not a line of its own
    size = sum(map(len, lines))
    if len(lines) <= limits.max_lines and size <= limits.max_chars:
        return lines, size, False
    # Too long (awslogs multiline mode, a whole trace in one event): its two
    # ends, as for an entry of many events (see _Entry.add_beyond_limits).
    head_lines, head_chars, tail_lines, tail_chars = _halves(limits)
    head = _prefix(lines, head_lines, head_chars)[0]
    rest = lines[len(head) :]
    rest.reverse()
    tail = _prefix(rest, tail_lines, tail_chars)[0]
    tail.reverse()
    head, tail = _align_seam(head, tail)
    return head + tail, sum(map(len, head)) + sum(map(len, tail)), True


def _halves(limits: AssemblyLimits) -> tuple[int, int, int, int]:
    """The head's and the tail's shares of the limits: lines, characters, lines, characters."""
    head_lines = (limits.max_lines + 1) // 2
    head_chars = (limits.max_chars + 1) // 2
    return head_lines, head_chars, limits.max_lines - head_lines, limits.max_chars - head_chars


# Lines that open one exception of a chain: Java's "Caused by:" (and logback's
# "Wrapped by:"), PHP's "Next X:", Python's separators, Ruby's headers, Go's
# goroutines. Not HEADER: Python's final "ValueError: x" line closes a block.
_BLOCK_KINDS = frozenset({LineKind.PY_SEPARATOR, LineKind.RUBY_FRAME, LineKind.GOROUTINE})
_BLOCK_START = re.compile(r"(?:Caused by|Wrapped by|Next [\w\\]+): ")
_SEAM_REACH = 4  # at most 1/4 of each end is given up to align the seam


def _starts_block(line: str) -> bool:
    return _BLOCK_START.match(line) is not None or classify(line) in _BLOCK_KINDS


def _align_seam(head: list[str], tail: list[str]) -> tuple[list[str], list[str]]:
    """The two ends of an over-long trace, cut back to whole exception blocks.

    A block cut in half at the seam trips some parsers: PHP stops its chain at
    a "Stack trace:" without its "Next X:" header, Python at a "Traceback"
    line with no frames under it, and either way the exceptions beyond the
    seam (PHP's and Python's outermost) are lost. So the head ends before its
    last block start and the tail begins at its first one, when one is near
    the seam; the first and the last lines always stay.
    """
    reach = min(len(tail), len(tail) // _SEAM_REACH + 1)  # never the tail's last line
    start = next((i for i in range(reach) if _starts_block(tail[i])), 0)
    reach = max(1, len(head) - len(head) // _SEAM_REACH)  # never the head's first line
    end = next(
        (i for i in range(len(head) - 1, reach - 1, -1) if _starts_block(head[i])), len(head)
    )
    return head[:end], tail[start:]


def _prefix(lines: list[str], max_lines: int, max_chars: int) -> tuple[list[str], int]:
    """The leading lines within both bounds, and their size.

    A first line alone beyond ``max_chars`` keeps its start rather than vanish.
    """
    size = 0
    for index, line in enumerate(lines):
        if index == max_lines or size + len(line) > max_chars:
            if index or not max_lines or not max_chars:
                return lines[:index], size
            return [line[:max_chars]], max_chars
        size += len(line)
    return lines[:], size
