"""Assemble stage: the events of one logical log entry joined into one :class:`LogRecord`.

ECS's awslogs driver sends every line a container writes as its own event, so a
stack trace arrives as dozens of events, possibly spread over several payloads
and interleaved with other streams. This stage puts them back together, per
(log group, log stream), streaming: a record is emitted as soon as the next
event of its stream shows that the entry is over, and only a bounded amount of
state is kept per stream.

Deciding whether a line continues the open entry is a small per-stream state
machine (in the spirit of fluent-plugin-detect-exceptions and Fluent Bit's
multiline parsers): one precompiled alternation classifies each line, and the
stream's state says what the class means. A log prefix (timestamp or level at
the start) or a JSON object starts an entry; indented lines, ``Caused by:``,
``... N more``, Python's chain separators and the like continue it; a trace's
first line (``Traceback ...``, ``java.lang.X: msg``) continues a log line only
when that line is at WARN or above, so an uncaught trace printed right after
an INFO line is never hidden inside it.

Order: events of one stream are released in timestamp order (ties keep their
arrival order) through a small reorder buffer per stream. An event is held
until the stream has seen an event ``reorder_window_ms`` later, or the buffer
is full, or the input ends. A time window rather than "sort each payload"
because the stage only sees events, not payload boundaries, and a payload that
is delivered a little late (a Kinesis retry, a second subscription batch) is
out of order only relative to the payloads around it. An event later than the
window is fed in arrival order: it may join the wrong entry, but it is never
dropped.

Batches: the Lambda hands over each payload as one :class:`LogBatch` (one
stream, columns of ids, timestamps and messages). When its timestamps ascend
and none is older than what the stream has seen, the reorder buffer's work is
a count (which prefix the window releases), and with a :class:`FastLane` one
regex match per message, run over the whole column in C, finds the lines that
need the state machine. Runs of plain low-level lines between them are
counted without touching each line. The result is the same as pushing the
batch's events one by one; ``tests/test_assemble_batch.py`` checks that.
"""

from __future__ import annotations

import heapq
import operator
import re
from bisect import bisect_right
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from enum import IntEnum
from itertools import compress, count, islice

from .config import AssemblyLimits
from .records import LogBatch, LogEvent, LogRecord, ReadEvent, StitchedBatch

__all__ = [
    "FastLane",
    "LineKind",
    "State",
    "ascending",
    "assemble",
    "classify",
    "starts_entry",
    "step",
]


class State(IntEnum):
    """Where a stream's open entry is, as far as the next line is concerned."""

    NONE = 0  # no open entry
    LOG = 1  # one log line (or one unrecognised line) so far
    TRACE = 2  # inside indented / Java / Node / .NET trace lines
    PY_TB = 3  # Python frames after "Traceback (most recent call last):"
    PY_EXC = 4  # after Python's final "SomeError: msg" line
    PY_SEP = 5  # a blank line or "The above exception ..." between chained tracebacks
    CARET = 6  # Node's uncaught "    ^" marker: a blank line and the error follow
    GO = 7  # after Go's "panic:": unindented function lines belong to it
    JUL = 8  # java.util.logging's date line: its "SEVERE: msg" line follows
    RUBY = 9  # after Ruby's "file.rb:12:in 'm': msg (Type)": message lines may follow
    GO_STACK = 10  # after Go's "goroutine 1 [running]:": its function lines, not a new panic


class LineKind(IntEnum):
    """What one line looks like, from the single precompiled alternation."""

    UNKNOWN = 0  # none of the shapes below
    START = 1  # a log prefix, a JSON object, a runtime's own "this is a crash" line
    GO_START = 2  # "panic: ...", "fatal error: ...", "runtime: ..."
    PY_TRACEBACK = 3  # "Traceback (most recent call last):", "  + Exception Group Traceback"
    PY_SEPARATOR = 4  # "The above exception was ...", "During handling of ..."
    CARET = 5  # "    ^" under a source line
    CONTINUATION = 6  # indented lines and the unindented shapes that only follow a trace
    HEADER = 7  # an exception header: "java.lang.X: msg", "TypeError: fetch failed"
    BLANK = 8
    GOROUTINE = 9  # Go's "goroutine 1 [running]:"
    JUL_DATE = 10  # java.util.logging SimpleFormatter: "Nov 24, 2026 10:23:08 AM cls method"
    RUBY_FRAME = 11  # Ruby's unindented "app.rb:12:in `m'" (headers, Logger backtraces)
    GO_FUNC = 12  # Go's unindented function line: "main.main()", "panic({0x4a..., 0x4b...})"
    FIELD = 13  # "sku: required": a line of a multi-line exception message
    TAGGED = 14  # Rails' TaggedLogging: "[<request uuid>] ..." continues a tagged message
    MONO_FATAL = (
        15  # Mono's "[ERROR] FATAL UNHANDLED EXCEPTION: ..." after its "Unhandled Exception:"
    )


# The order matters: the indented Python group traceback and the caret line are
# indented, so they come before the generic indented continuation; log prefixes
# come before exception headers (``ERROR: x`` is a prefix, not a type).
_PATTERNS: tuple[tuple[LineKind, str], ...] = (
    (
        LineKind.PY_TRACEBACK,
        r"(?:[ \t]*\+ Exception Group )?Traceback \(most recent call last\):",
    ),
    (LineKind.CARET, r"[ \t]+[~^]+[ \t]*$"),
    (LineKind.JUL_DATE, r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M "),
    # Before START, which takes "[ERROR]" for a log prefix.
    (LineKind.MONO_FATAL, r"\[ERROR\] FATAL UNHANDLED EXCEPTION: "),
    (
        LineKind.START,
        "|".join(
            (
                r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}",  # ISO 8601, logback, python logging
                r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}",  # Go's log package
                r"\[\d{4}-\d{2}-\d{2}",  # [2024-05-01 12:00:00]
                r"\[?\d{2}:\d{2}:\d{2}[.,]?",  # logback %d{HH:mm:ss.SSS}
                r"\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:",  # Tomcat 01-May-2024 12:00:00
                r"[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}",  # syslog
                r"\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|CRITICAL|FATAL|SEVERE"
                r"|ALERT|EMERG(?:ENCY)?|PANIC|CONFIG|FINE|FINER|FINEST)\]?(?=[\s:|\]-])",
                r"(?:fail|crit|warn|info|dbug|trce): ",  # .NET console logger
                r"[DIWEFA], \[\d{4}-",  # Ruby Logger
                r"[IWEF]\d{4} \d{2}:",  # glog / klog
                r"(?:time|ts|level|lvl)=",  # logfmt
                r"\{\s*\"",  # a JSON object: structured logs carry their own trace
                r"Exception in thread \"",  # Java, uncaught
                r"Unhandled [eE]xception[.:]",  # .NET, uncaught
                r"PHP [A-Z][a-z]+(?: [a-z]+)*: ",  # PHP Fatal error:, PHP Warning:
            )
        ),
    ),
    (
        LineKind.TAGGED,
        r"\[[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\] ",
    ),
    (LineKind.GO_START, r"(?:panic|fatal error|runtime): "),
    # Go 1.23+ with GOTRACEBACK=system: "goroutine 1 gp=0xc000002380 m=0 mp=0x5c5e40 [running]:".
    (LineKind.GOROUTINE, r"goroutine \d+ (?:[a-z]+=\S+ )*\["),
    (LineKind.RUBY_FRAME, r"[\w./~-]*\.rb:\d+:in "),
    (
        LineKind.PY_SEPARATOR,
        r"The above exception was the direct cause of the following exception:"
        r"|During handling of the above exception, another exception occurred:",
    ),
    (
        LineKind.CONTINUATION,
        "|".join(
            (
                r"[ \t]+\S",  # frames, "... N more", " ---> ", "[cause]:", "  | ", "  +-"
                r"Caused by: ",  # Java
                r"Suppressed: ",
                r"Wrapped by: ",  # logback's root-cause-first layout
                r"\.\.\. \d+ (?:more|common frames omitted)",
                r"Stack trace:",  # PHP
                r"#\d+ ",  # PHP frames
                r"Next (?:[\w\\]+\\)?[A-Z]\w*: ",  # PHP's chained exception
                r"Next exception '",  # PHP 5's
                r"> File \"",  # loguru marks the frame that caught the exception
                r"--- End of stack trace from previous location",  # .NET async
                r"\[stacktrace\]$",  # Monolog's LineFormatter (Laravel)
                r"\[previous exception\] ",
                r"\"\}\s*$",  # the end of Monolog's JSON context around the stack trace
                r"created by ",  # Go
                r"Node\.js v\d",  # Node's trailer after an uncaught error
                r"\}[\s,;)]*$",  # the end of util.inspect's error properties block
            )
        ),
    ),
    (
        LineKind.HEADER,
        r"(?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*(?::\s|\s*$)"  # java.lang.X: msg, com.shop.Y
        r"|[\w$]*(?:Error|Exception|Throwable)(?: \[[\w-]+\])?(?::\s|\s*$)",  # TypeError: x
    ),
    (LineKind.BLANK, r"\s*$"),
    (
        LineKind.GO_FUNC,
        r"(?:[\w.~-]+/)*[\w~-]+\.[^\s(]*\(.*\)$|panic\(.*\)$"
        r"|\.\.\.\d* ?(?:additional )?frames elided"
        r"|exit status \d+$",  # "go run" reports the crashed program's exit
    ),
    (LineKind.FIELD, r"[\w.\[\]'\"-]+: \S"),
)

_LINE = re.compile("|".join(f"(?P<k{kind.value}>{pattern})" for kind, pattern in _PATTERNS))
_KIND_BY_GROUP: dict[str | None, LineKind] = {
    **{f"k{kind.value}": kind for kind, _ in _PATTERNS},
    None: LineKind.UNKNOWN,
}

# java.util.logging's second line, after its date line.
_JUL_LEVEL = re.compile(r"(?:SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ")

# The first level word of a log line: a trace opener continues it only at WARN
# or above (group 1); at INFO and below (group 2) the trace is a separate entry.
_LEVEL_WORD = re.compile(
    r"(?i)\b(?:(warn(?:ing)?|err(?:or)?|fail|crit(?:ical)?|fatal|severe|panic|alert|"
    r"emerg(?:ency)?|exception)|(trace|debug|dbug|trce|info|notice|fine|finer|finest|"
    r"config|verbose))\b|^[EFW], \["
)
_LEVEL_SCAN = 120  # the level sits in the prefix; the message may say "error" anyway
# Lines without a log prefix that announce the trace below them: Django's
# django.request message under its default handler (no format, no level).
_ANNOUNCES_TRACE = ("Internal Server Error: ",)


def classify(line: str) -> LineKind:
    """The shape of ``line``: one match of the precompiled alternation."""
    match = _LINE.match(line)
    return _KIND_BY_GROUP[match.lastgroup] if match else LineKind.UNKNOWN


def starts_entry(line: str) -> bool:
    """Whether ``line`` begins an entry whatever came before it.

    A log prefix, a JSON object, a runtime's crash line (START) or
    java.util.logging's date line never continue the open entry, so the state
    after them does not depend on what came before: the assembler can start
    on them. The one exception is JUL's "SEVERE: msg" line under its date line.
    """
    kind = classify(line)
    if kind is LineKind.START:
        return _JUL_LEVEL.match(line) is None
    return kind is LineKind.JUL_DATE


def _warn_or_above(first_line: str) -> bool:
    """Whether a log line's level says a trace may follow it (WARN and above)."""
    if first_line.startswith(_ANNOUNCES_TRACE):
        return True
    if _LINE.match(first_line) is None or first_line.startswith("{"):
        return False  # not a log prefix, or a JSON entry (complete in itself)
    match = _LEVEL_WORD.search(first_line, 0, _LEVEL_SCAN)
    return match is not None and match.group(2) is None


def step(state: State, kind: LineKind, log_line: str) -> tuple[bool, State]:
    """Whether a line of ``kind`` continues the open entry, and the stream's next state.

    ``log_line`` is the open entry's last line, read only when a trace opener
    follows a log line (state ``LOG``): it joins only at WARN and above.
    """
    is_open = state is not State.NONE
    if kind is LineKind.MONO_FATAL:
        # Mono prints an unhandled exception twice: "Unhandled Exception:" and
        # the trace, then "[ERROR] FATAL UNHANDLED EXCEPTION:" and the trace again.
        return state is State.TRACE, State.TRACE
    if kind is LineKind.TAGGED:
        return is_open, State.TRACE if is_open else State.LOG
    if kind is LineKind.START:
        if state is State.JUL and _JUL_LEVEL.match(log_line) is None:
            return True, State.LOG  # "SEVERE: msg" under its date line
        return False, State.LOG
    if kind is LineKind.CONTINUATION:
        if state in (State.LOG, State.PY_SEP, State.NONE, State.JUL, State.RUBY):
            return is_open, State.TRACE
        return True, state
    if kind is LineKind.BLANK:
        if not is_open:
            return False, State.LOG
        return True, State.PY_SEP if state is State.PY_EXC else state
    if kind is LineKind.PY_TRACEBACK:
        joins = state is State.PY_SEP or (state is State.LOG and _warn_or_above(log_line))
        return joins, State.PY_TB
    if kind is LineKind.PY_SEPARATOR:
        return is_open, State.PY_SEP
    if kind is LineKind.CARET:
        if state in (State.PY_TB, State.PY_EXC):
            return True, state  # Python 3.11's "^^^^" under a frame's source line
        return is_open, State.CARET if is_open else State.LOG
    if kind is LineKind.HEADER:
        if state is State.PY_TB:
            return True, State.PY_EXC
        if state is State.JUL:
            return True, State.TRACE  # "java.lang.X: msg" right under the date line
        if state in (State.CARET, State.GO, State.PY_EXC, State.RUBY):
            return True, State.TRACE if state is State.CARET else state
        if state is State.LOG and _warn_or_above(log_line):
            return True, State.TRACE
        return False, State.TRACE
    if kind is LineKind.GO_START:
        # One crash report: "runtime: ..." lines, then "fatal error: ...". Once a
        # goroutine's stack has begun, "panic:" is the next crash (a restarted
        # process), not part of this one.
        return state is State.GO, State.GO
    if kind is LineKind.GOROUTINE:
        return is_open, State.GO_STACK
    if kind is LineKind.JUL_DATE:
        return False, State.JUL
    if kind is LineKind.RUBY_FRAME:
        # A Logger backtrace line, a cause's header after "\tfrom" frames, or
        # an uncaught error's first line.
        joins = state in (State.TRACE, State.RUBY) or (
            state is State.LOG and _warn_or_above(log_line)
        )
        return joins, State.RUBY
    # UNKNOWN, GO_FUNC, FIELD: Python's final line ("KeyError: 'x'", "mod.Custom:
    # msg") and the following "key: value" lines of a multi-line exception
    # message, Ruby's message lines, Go's function lines, the lines between
    # "panic:" and the first goroutine, Node's "[UnhandledPromiseRejection:
    # ...]"; anything else starts an entry: a plain line printed after a Python
    # or Go trace (a supervisor's, the restarted process's) is not part of it.
    if state is State.PY_TB:
        return True, State.PY_EXC
    if state is State.PY_EXC:
        return kind is LineKind.FIELD, state if kind is LineKind.FIELD else State.LOG
    if state is State.GO_STACK:
        return kind is LineKind.GO_FUNC, state if kind is LineKind.GO_FUNC else State.LOG
    if state in (State.GO, State.RUBY):
        return True, state
    if state is State.CARET:
        return True, State.TRACE
    return False, State.LOG


_READS_LOG_LINE = frozenset({LineKind.HEADER, LineKind.PY_TRACEBACK, LineKind.RUBY_FRAME})

# Where an event came from, shared by every event of a payload: (owner, region, batch item).
Origin = tuple[str, str, str]
# An event waiting in a stream's reorder buffer: (timestamp, arrival, id, message,
# origin, plain). Arrival numbers are unique, so the heap never compares further.
# ``plain``: FastLane.plain of the message when known (from a batch's scan), else None.
_Pending = tuple[int, int, str, str, Origin, bool | None]


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
        # Past max_lines / max_bytes, ``lines`` is the frozen head and ``tail``
        # the sliding window of the latest lines; ``None`` until then.
        self.tail: deque[str] | None = None
        self.tail_size = 0

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
        """Add an event once the entry is past max_lines or max_bytes: keep both ends.

        Parsers read a trace's first lines (the outermost exception; PHP's
        root cause) and its last lines (the root cause of Java, .NET and Ruby;
        PHP's outermost), and tolerate a jump in the middle of a chain or a
        frame list. So the entry stays one record: the first half of the
        allowance is kept as is, the latest lines slide through the second
        half, and the middle is dropped (the seam is aligned when the record
        goes out, see :func:`_align_seam`). Every event id is still collected.
        """
        head_lines, head_bytes, tail_lines, tail_bytes = _halves(limits)
        tail = self.tail
        if tail is None:
            self.truncated = True
            overflow = self.lines
            self.lines, self.size = _prefix(overflow, head_lines, head_bytes)
            tail = self.tail = deque()
            self._push(overflow[len(self.lines) :], tail, tail_lines, tail_bytes)
        self._push(lines, tail, tail_lines, tail_bytes)
        self._add_id(event_id)
        self.last_ts = timestamp
        self._note(origin)

    def _push(self, lines: list[str], tail: deque[str], max_lines: int, max_bytes: int) -> None:
        if not max_lines or not max_bytes:
            return  # limits too small for a second half: the head is all there is
        for line in lines:
            kept = line[:max_bytes]  # a line alone beyond the window keeps its start
            tail.append(kept)
            self.tail_size += len(kept)
            while len(tail) > max_lines or self.tail_size > max_bytes:
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
    if "\n" not in message and len(message) <= limits.max_bytes:
        return [message.rstrip("\r")], len(message), False
    lines = [line.rstrip("\r") for line in message.split("\n")]
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # a trailing newline is not a line of its own
    size = sum(map(len, lines))
    if len(lines) <= limits.max_lines and size <= limits.max_bytes:
        return lines, size, False
    # Too long (awslogs multiline mode, a whole trace in one event): its two
    # ends, as for an entry of many events (see _Entry.add_beyond_limits).
    head_lines, head_bytes, tail_lines, tail_bytes = _halves(limits)
    head = _prefix(lines, head_lines, head_bytes)[0]
    rest = lines[len(head) :]
    rest.reverse()
    tail = _prefix(rest, tail_lines, tail_bytes)[0]
    tail.reverse()
    head, tail = _align_seam(head, tail)
    return head + tail, sum(map(len, head)) + sum(map(len, tail)), True


def _halves(limits: AssemblyLimits) -> tuple[int, int, int, int]:
    """The head's and the tail's shares of the limits: lines, bytes, lines, bytes."""
    head_lines = (limits.max_lines + 1) // 2
    head_bytes = (limits.max_bytes + 1) // 2
    return head_lines, head_bytes, limits.max_lines - head_lines, limits.max_bytes - head_bytes


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


def _prefix(lines: list[str], max_lines: int, max_bytes: int) -> tuple[list[str], int]:
    """The leading lines within both bounds, and their size.

    A first line alone beyond ``max_bytes`` keeps its start rather than vanish.
    """
    size = 0
    for index, line in enumerate(lines):
        if index == max_lines or size + len(line) > max_bytes:
            if index or not max_lines or not max_bytes:
                return lines[:index], size
            return [line[:max_bytes]], max_bytes
        size += len(line)
    return lines[:], size


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
        self._scans: dict[int | None, re.Pattern[str]] = {}  # by max_bytes, see _scan_pattern

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
        it is one whole line within ``max_bytes``, starts an entry and matches
        the fast rejection's pattern. The whole-line conditions are checked
        for the batch at once when they hold for all (no newline, no carriage
        return, no message too long: the usual case), else by a lookahead per
        message. The rest that may still be plain (JSON lines; a line ending in
        a carriage return or a newline, which the pattern leaves to the full
        check) get :meth:`plain`.
        """
        text = "".join(messages)
        max_bytes = limits.max_bytes
        whole_lines = (
            "\n" not in text
            and "\r" not in text
            and max(map(len, messages), default=0) <= max_bytes
        )
        match = self._scan_pattern(None if whole_lines else max_bytes).match
        flags = map(operator.not_, map(match, messages))
        return [
            index
            for index in compress(count(), flags)
            if not (_maybe_plain(messages[index]) and self.plain(messages[index], limits))
        ]

    def _scan_pattern(self, max_bytes: int | None) -> re.Pattern[str]:
        """The scan's pattern; ``max_bytes`` None: the whole-line conditions are known to hold."""
        pattern = self._scans.get(max_bytes)
        if pattern is None:
            # No check that the line starts with a digit and classifies as
            # START: a line the pattern matches does both (see the class).
            whole_line = "" if max_bytes is None else rf"(?=[^\n]{{0,{max_bytes}}}(?<!\r)\Z)"
            source = rf"{whole_line}(?:{self.pattern.pattern})"
            pattern = self._scans[max_bytes] = re.compile(source, self.pattern.flags)
        return pattern


def _plain_line(message: str) -> str:
    """The one line of a plain message, as _split makes it (a trailing newline is no line)."""
    return message.partition("\n")[0].rstrip("\r")


def _maybe_plain(message: str) -> bool:
    return message[:1] == "{" or message[-1:] in ("\r", "\n")


class _Stream:
    """One (log group, log stream): its reorder buffer, open entry and state."""

    __slots__ = ("entry", "held", "key", "lane", "limits", "max_ts", "out", "pending", "state")

    def __init__(
        self,
        key: tuple[str, str],
        limits: AssemblyLimits,
        out: list[LogRecord],
        lane: FastLane | None = None,
    ) -> None:
        self.key = key
        self.limits = limits
        self.out = out  # completed records go here; assemble() yields them
        self.pending: list[_Pending] = []
        self.max_ts = -(2**63)
        self.entry: _Entry | None = None
        # The open entry while it is one line the fast lane takes (``entry`` is
        # None then): the event's id, time, origin and line, built into an
        # _Entry only if a later line joins it.
        self.held: tuple[str, int, Origin, str] | None = None
        self.lane = lane
        self.state = State.NONE

    def push(self, seq: int, event: LogEvent) -> None:
        """Buffer ``event``; feed whatever the window releases; completed records go to ``out``."""
        origin = (event.owner, event.region, event.batch_item)
        self._push((event.timestamp, seq, event.event_id, event.message, origin, None))

    def push_read(self, seq: int, event: ReadEvent, origin: Origin) -> None:
        """Buffer an event read back from CloudWatch Logs: fed like any other, never counted.

        Its empty id keeps it out of every record's ids, and the fast lane never
        takes it (plain is False), so it is not counted as a record either.
        """
        self._push((event.timestamp, seq, "", event.message, origin, False))

    def _push(self, item: _Pending) -> None:
        pending = self.pending
        heapq.heappush(pending, item)
        self.max_ts = max(self.max_ts, item[0])
        watermark = self.max_ts - self.limits.reorder_window_ms
        capacity = self.limits.max_lines
        while pending and (pending[0][0] <= watermark or len(pending) > capacity):
            self._feed_pending(heapq.heappop(pending))

    def push_batch(self, seq: int, batch: LogBatch) -> None:
        """Push a payload's events, numbered from ``seq``: the same as pushing them one by one.

        When the batch's timestamps ascend from no earlier than the stream's
        latest, the buffer plus the batch is one sorted sequence, and pushing
        it event by event would release exactly its first ``k`` events: those
        the final watermark passes, or more while the buffer would overflow.
        Otherwise (a late or shuffled payload) the events go one by one.
        """
        ids, timestamps, messages = batch.event_ids, batch.timestamps, batch.messages
        origin = (batch.owner, batch.region, batch.batch_item)
        if not timestamps:
            return
        if timestamps[0] < self.max_ts or not ascending(timestamps):
            for index, timestamp in enumerate(timestamps):
                item: _Pending = (timestamp, seq + index, ids[index], messages[index], origin, None)
                self._push(item)
            return
        held_back = sorted(self.pending)  # all at or before timestamps[0]
        self.pending = []
        self.max_ts = timestamps[-1]
        watermark = self.max_ts - self.limits.reorder_window_ms
        size = len(held_back) + len(timestamps)
        passed = bisect_right([item[0] for item in held_back], watermark) + bisect_right(
            timestamps, watermark
        )
        release = max(size - self.limits.max_lines, passed)
        for item in held_back[:release]:
            self._feed_pending(item)
        stop = max(0, release - len(held_back))  # the batch's events released
        lane = self.lane
        if lane is not None:
            candidates = lane.scan(messages, self.limits)
        else:
            candidates = list(range(len(timestamps)))
        self._feed_batch(batch, origin, stop, candidates)
        # What stays is sorted: a valid heap as it is.
        plain = _plain_flags(len(timestamps), candidates, lane is not None)
        self.pending = held_back[release:]
        self.pending.extend(
            (timestamps[index], seq + index, ids[index], messages[index], origin, plain[index])
            for index in range(stop, len(timestamps))
        )

    def _feed_batch(
        self, batch: LogBatch, origin: Origin, stop: int, candidates: list[int]
    ) -> None:
        """Feed the batch's first ``stop`` events; ``candidates``: those that are not plain."""
        ids, timestamps, messages = batch.event_ids, batch.timestamps, batch.messages
        lane = self.lane
        upcoming = index = 0
        while index < stop:
            next_candidate = candidates[upcoming] if upcoming < len(candidates) else stop
            if lane is None or index == next_candidate or self.held is None:
                # The scan is exact: whether the lane takes this event is known.
                plain = lane is not None and index != next_candidate
                self._feed(ids[index], timestamps[index], messages[index], origin, plain)
                if index == next_candidate:
                    upcoming += 1
                index += 1
                continue
            # A run of plain lines while one is held: each takes the held
            # one's place and the one it replaces is over (see _feed).
            end = min(next_candidate, stop)
            lane.count += end - index
            last = end - 1
            self.held = (ids[last], timestamps[last], origin, _plain_line(messages[last]))
            index = end

    def flush(self) -> None:
        """Release everything buffered and close the open entry."""
        pending = self.pending
        while pending:
            self._feed_pending(heapq.heappop(pending))
        self._close()

    def _close(self) -> None:
        if self.held is not None and self.lane is not None:
            self.lane.count += 1
            self.held = None
        if self.entry is not None:
            self._emit(self.entry)
            self.entry = None
        self.state = State.NONE

    def _emit(self, entry: _Entry) -> None:
        record = entry.record(*self.key)
        if record is not None:
            self.out.append(record)

    def _feed_pending(self, item: _Pending) -> None:
        timestamp, _seq, event_id, message, origin, plain = item
        if plain and self.held is not None and self.lane is not None:
            self.lane.count += 1
            self.held = (event_id, timestamp, origin, _plain_line(message))
            return
        self._feed(event_id, timestamp, message, origin, plain)

    def _feed(
        self,
        event_id: str,
        timestamp: int,
        message: str,
        origin: Origin,
        plain: bool | None = None,
    ) -> None:
        """Feed one event to the state machine.

        ``plain`` is :meth:`FastLane.plain` of the message when the caller knows
        it (a batch's scan), None when it does not.
        """
        lines, size, cut = _split(message, self.limits)
        kind = classify(lines[0])
        held = self.held
        lane = self.lane
        # Whether the fast lane takes this event as a one-line entry, asked at most once.
        taken = (
            plain if plain is not None else lane is not None and lane.takes_entry(lines, cut, kind)
        )
        if held is not None and lane is not None:
            if taken:
                # The common run of plain lines: a log line never joins a held
                # log line (the stream is in state LOG, not JUL), so the held
                # one is over and this one is held in its place.
                lane.count += 1
                self.held = (event_id, timestamp, origin, lines[0])
                return
            # The open entry is one held line (state LOG): build it only if
            # this line joins it; otherwise it is over and only counted. The
            # state this line leads to does not depend on the held line.
            self.held = None
            held_line = held[3]
            log_line = held_line if kind in _READS_LOG_LINE else ""
            if step(State.LOG, kind, log_line)[0]:
                self.entry = _Entry(held[0], held[1], held[2], [held_line], len(held_line))
            else:
                lane.count += 1
        entry = self.entry
        # The last log line matters only to trace openers and JUL's level line;
        # the hot path (a log line after a log line) skips looking it up.
        wants_log_line = entry is not None and (
            kind in _READS_LOG_LINE or (kind is LineKind.START and self.state is State.JUL)
        )
        log_line = entry.last_text() if wants_log_line and entry is not None else ""
        joins, state = step(self.state, kind, log_line)
        # The other lines of a multi-line event (awslogs multiline mode) belong
        # to it whatever they look like; they only move the state on.
        for index in range(1, len(lines)):
            state = step(state, classify(lines[index]), _last_text(lines, index))[1]
        if joins and entry is not None:
            if timestamp - entry.last_ts > self.limits.max_age_ms:
                # A runtime writes a trace's lines within milliseconds: a line
                # that comes this long after the previous one is no part of it,
                # however long the trace (head and tail keep memory bounded).
                # What is open goes out; both pieces are marked.
                entry.truncated = True
                self._emit(entry)
                self.entry = _Entry(event_id, timestamp, origin, lines, size)
                self.entry.truncated = True
            elif (
                entry.tail is None
                and len(entry.lines) + len(lines) <= self.limits.max_lines
                and entry.size + size <= self.limits.max_bytes
            ):
                entry.add(event_id, timestamp, origin, lines, size)
            else:
                entry.add_beyond_limits(event_id, timestamp, origin, lines, self.limits)
        else:
            if entry is not None:
                self._emit(entry)
            if taken and state is State.LOG:
                self.entry = None
                self.held = (event_id, timestamp, origin, lines[0])
            else:
                self.entry = _Entry(event_id, timestamp, origin, lines, size)
        if cut and self.entry is not None:
            self.entry.truncated = True
        self.state = state


def ascending(values: Sequence[int]) -> bool:
    """Whether ``values`` never decrease (the loop in C)."""
    return all(map(operator.le, values, islice(values, 1, None)))


def _plain_flags(size: int, candidates: list[int], lane: bool) -> list[bool | None]:
    """Per event, whether it is plain: every index but the candidates; unknown without a lane."""
    flags: list[bool | None] = [True if lane else None] * size
    for index in candidates:
        flags[index] = False
    return flags


def assemble(
    events: Iterable[LogEvent | LogBatch | StitchedBatch],
    limits: AssemblyLimits,
    *,
    fast_lane: FastLane | None = None,
) -> Iterator[LogRecord]:
    """Join the events of each logical log entry into one record, per stream.

    ``events`` are single events or whole payloads (:class:`LogBatch`), in
    arrival order. Records of one stream come out in order; records of
    different streams come out as they complete. Every event id ends up in
    exactly one record, except the one-line entries ``fast_lane`` takes: those
    are only counted in ``fast_lane.count`` (see :class:`FastLane`).
    Beyond ``limits.max_open_streams`` streams, the least recently used one is
    flushed, so memory stays bounded however many streams a dump holds.
    """
    streams: OrderedDict[tuple[str, str], _Stream] = OrderedDict()
    out: list[LogRecord] = []
    seq = 0
    for event in events:
        if isinstance(event, StitchedBatch):
            # Complete in itself: its edges were read, so it joins no other payload
            # of its stream (one that is not next to it would join wrongly).
            yield from _assemble_stitched(event, limits, fast_lane, seq)
            seq += len(event.before) + len(event) + len(event.after)
            continue
        key = (event.log_group, event.log_stream)
        stream = streams.get(key)
        if stream is None:
            stream = streams[key] = _Stream(key, limits, out, fast_lane)
            if len(streams) > max(1, limits.max_open_streams):
                streams.popitem(last=False)[1].flush()
        else:
            streams.move_to_end(key)
        if isinstance(event, LogBatch):
            stream.push_batch(seq, event)
            seq += len(event)
        else:
            stream.push(seq, event)
            seq += 1
        if out:
            yield from out
            out.clear()
    for stream in streams.values():
        stream.flush()
        yield from out
        out.clear()


def _assemble_stitched(
    stitched: StitchedBatch, limits: AssemblyLimits, lane: FastLane | None, seq: int
) -> list[LogRecord]:
    """One payload with the lines read around it, in a stream of its own.

    The read lines go through the state machine like the payload's, so the
    entries at its edges are the ones the whole stream gives; a record that
    began in ``before`` comes out ``continued`` (its head's invocation ships
    it), and the lines of ``after`` it holds are counted in ``stitched``. A
    record that reached an edge which could not be read is marked ``cut``.
    """
    batch = stitched.batch
    out: list[LogRecord] = []
    stream = _Stream((batch.log_group, batch.log_stream), limits, out, lane)
    origin: Origin = (batch.owner, batch.region, "")
    for event in stitched.before:
        stream.push_read(seq, event, origin)
        seq += 1
    stream.push_batch(seq, batch)
    seq += len(batch)
    for event in stitched.after:
        stream.push_read(seq, event, origin)
        seq += 1
    stream.flush()
    if out and (stitched.head_cut or stitched.tail_cut):
        _mark_cut(out, batch, stitched.head_cut, stitched.tail_cut)
    return out


def _mark_cut(records: list[LogRecord], batch: LogBatch, head_cut: str, tail_cut: str) -> None:
    """Mark the records holding the payload's first and last events with why they are cut."""
    if not batch.event_ids:
        return
    edges = ((0, batch.event_ids[0], head_cut), (-1, batch.event_ids[-1], tail_cut))
    for index, event_id, reason in edges:
        record = records[index]
        if reason and event_id in record.event_ids:
            records[index] = replace(
                record, cut=f"{record.cut}; {reason}" if record.cut else reason
            )
