"""Stitching: a payload's stream read around it, so the Lambda assembles its edges as replay does.

CloudWatch Logs invokes the Lambda once per subscription payload, and the awslogs
driver cuts its batches wherever its buffer or its 5 s timer says, so a stack trace
can begin in one payload and end in the next. ``logship replay`` sees every payload
and rejoins it; an invocation sees one. By the time a payload is delivered its events
are stored in CloudWatch Logs, so the invocation reads the rest of its stream there.

Who ships an entry that straddles payloads: the invocation holding its first line.

- **Trailing edge.** When the entry open at the end of a payload may be an error (its
  first line is not surely below ``min_level``), the invocation reads on from the
  payload's last event (``GetLogEvents`` forward) until the entry is over, and ships
  it whole. What it read is not its own: counted as ``events_stitched``, never as
  received.
- **Leading edge.** When a payload's first line could continue an entry
  (:func:`logship.assemble.starts_entry` says no), the invocation reads back to the
  last line that surely begins one and assembles from there: the payload's lines that
  continue an entry begun earlier come out ``continued``; they are counted, not
  shipped.

Both sides decide from what CloudWatch Logs stores (the lines, their timestamps and
when each was stored), never from a container's memory, so they agree whichever
order and container the payloads arrive in. One rule makes "not stored yet"
deterministic: **a line stored more than ``wait_ms`` after the line before it never
continues it** (the awslogs driver sends a batch at least every 5 s). So when nothing
follows a payload yet, the head's side waits until ``wait_ms`` after its last line
was stored and reads once more; the tail's side applies the same rule reading back.
Waits happen after every payload that needs none went through, all at once.

Degraded modes lose nothing and ship nothing twice: when a read fails (throttled past
the time budget, access denied, the log group deleted) or the time runs out, the
invocation ships what its payload has, as it would without stitching, marks the
record ``cut`` (the event's ``extra.logship_cut`` says why) and counts
``stitch_failed``. A trace longer than ``max_lines`` events across payloads is read
no further than that, and shipped in pieces, marked.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .assemble import LineKind, ascending, assemble, classify, starts_entry
from .cloudwatch import LogsReader
from .config import Config
from .parse import below_minimum, parse_record
from .pipeline import Item, RunReport
from .records import InputProblem, LogBatch, LogEvent, LogRecord, ReadEvent, StitchedBatch

DEFAULT_WAIT_MS = 6_000  # the awslogs driver sends at least every 5 s; one more for the call
PAGE_SIZE = 500  # events per read: a whole Java trace in one request, under 1 MB
READ_LAG_MS = 1_000  # how long after storing an event a read is trusted to return it

Budget = Callable[[], float]  # seconds the invocation may still spend


@dataclass(slots=True)
class _Tail:
    """A payload whose last entry is being completed by reading forward."""

    batch: LogBatch
    before: tuple[ReadEvent, ...]
    head_cut: str
    entry: LogBatch  # the payload's events of its last entry
    after: list[ReadEvent] = field(default_factory=list)  # read, within the gap rule
    located: bool = False  # the payload's own last events were found in a read
    token: str | None = None  # the next forward read's
    last_stored: int = 0  # ingestion time of the last event read so far
    gap: bool = False  # a line stored too late came next: nothing more can join
    lost: int = 0  # reads that did not find the payload's own last events
    due_ms: int = 0  # when to read again (wall clock, ms); 0 once the entry is known
    cut: str = ""


class Stitcher:
    """Reads the edges of each payload of one invocation (see the module).

    ``budget`` gives the seconds the invocation may still spend (its remaining
    time less the flush margin); ``wall_ms`` is the wall clock in milliseconds,
    compared with CloudWatch's ingestion times. The reader's ``sleep`` waits.
    """

    def __init__(
        self,
        reader: LogsReader,
        config: Config,
        *,
        budget: Budget,
        wait_ms: int = DEFAULT_WAIT_MS,
        wall_ms: Callable[[], int] | None = None,
    ) -> None:
        self.reader = reader
        self.config = config
        self.limits = config.assembly
        self.budget = budget
        self.wait_ms = wait_ms
        self.wall_ms = wall_ms or (lambda: int(time.time() * 1000))

    def stitch(self, items: Iterable[Item], report: RunReport) -> Iterator[Item]:
        """``items`` with each payload's :class:`LogBatch` as a :class:`StitchedBatch`.

        Payloads that need no wait go through at once; the others after the
        last item, once their continuation is stored or the time is up.
        """
        pending: list[_Tail] = []
        for item in _batches(items):
            if not isinstance(item, LogBatch) or not ascending(item.timestamps):
                yield item  # a payload out of order is assembled as it is, unread
                continue
            begun = self._begin(item, report)
            if isinstance(begun, StitchedBatch):
                yield begun
            else:
                pending.append(begun)
        while pending:
            yield from self._settle(pending, report)

    # --- the leading edge ---------------------------------------------------------------

    def _begin(self, batch: LogBatch, report: RunReport) -> StitchedBatch | _Tail:
        before: tuple[ReadEvent, ...] = ()
        head_cut = ""
        if self._may_continue(batch):
            try:
                before, head_cut = self._read_before(batch, report)
            except Exception as exc:  # a failed read never fails the batch
                head_cut = _failure("the lines before the payload", exc)
            if head_cut:
                report.stitch_failed += 1
        entry = self._open_entry(batch, before)
        if entry is None:
            return StitchedBatch(batch, before, (), head_cut)
        tail = _Tail(batch, before, head_cut, entry)
        self._advance(tail, report)
        return self._finish(tail) if tail.due_ms == 0 else tail

    def _may_continue(self, batch: LogBatch) -> bool:
        """Whether the payload's first lines may continue an entry in a way that matters.

        Not when its first line surely begins an entry. Not either when its lines up
        to the first such line are plain (no log prefix, no trace shape) and make no
        error on their own: plain lines continue only a trace, whose own invocation
        reads them forward, and alone they ship nothing. This spares the read for
        every payload of a service that prints unprefixed lines (they count as not
        errors here rather than ``events_continued``).
        """
        messages = batch.messages
        if starts_entry(_first_line(messages[0])):
            return False
        end = _first_start(messages)
        lines = [line for message in messages[:end] for line in message.split("\n")]
        if any(classify(line) is not LineKind.UNKNOWN for line in lines):
            return True  # a frame, a cause, a blank line: the shapes of a trace's middle
        plain = StitchedBatch(_slice(batch, 0, end))
        return any(parse_record(r, self.config) for r in assemble([plain], self.limits))

    def _read_before(self, batch: LogBatch, report: RunReport) -> tuple[tuple[ReadEvent, ...], str]:
        """The events before ``batch`` from the last line that begins an entry fresh, or a cut."""
        first = batch.timestamps[0]
        own = _own_prefix(batch)
        events: list[ReadEvent] = []
        first_stored = 0
        token: str | None = None
        while True:
            params: dict[str, Any] = {"endTime": first + 1, "startFromHead": False}
            if token is not None:
                params["nextToken"] = token
            page = self._read(batch, params, report)
            got = [event for event in _read_events(page) if event.timestamp <= first]
            if token is None:
                start = _find(got, own, first, at_end=len(own) < len(batch))
                if start is None:
                    return (), "the payload's first events are not in CloudWatch Logs"
                first_stored = got[start].ingestion_time
                got = got[:start]
            events[:0] = got
            fresh = _fresh_start(events, first_stored, self.wait_ms)
            head = _last_start([event.message for event in events], fresh)
            if head is not None:
                if len(events) - head >= self.limits.max_lines:
                    return (), f"its entry began more than {self.limits.max_lines} events earlier"
                return tuple(events[head:]), ""
            following = page.get("nextBackwardToken")
            if fresh > 0 or len(page.get("events") or ()) < PAGE_SIZE or following == token:
                return tuple(events[fresh:]), ""  # a stored gap, or the stream's start
            if len(events) >= self.limits.max_lines:
                return (), f"no line begins an entry within {self.limits.max_lines} events before"
            token = following

    # --- the trailing edge --------------------------------------------------------------

    def _open_entry(self, batch: LogBatch, before: tuple[ReadEvent, ...]) -> LogBatch | None:
        """The payload's events of its last entry, when reading on may complete an error."""
        if self._ends_below_minimum(batch):
            return None  # the common case, known without assembling anything
        start = _last_start(batch.messages, 0)
        # From the last line that surely begins an entry, the payload alone gives the
        # stream's entries; without one, its whole entry may have begun before it.
        segment = _slice(batch, start) if start is not None else batch
        edge = () if start is not None else before
        records = list(assemble([StitchedBatch(segment, edge)], self.limits))
        last = records[-1] if records else None
        if last is None or last.continued or last.event_ids[-1] != batch.event_ids[-1]:
            return None  # begun in an earlier payload: its head's invocation reads on
        # No line that follows makes an INFO entry an error; but blank lines at its
        # end go to a crash report that may follow (assemble.claims_blank_lines).
        head = replace(last, lines=last.lines[:1])
        ends_blank = not batch.messages[-1].strip()
        if not ends_blank and below_minimum(head, self.config.min_level):
            return None
        return _slice(batch, batch.event_ids.index(last.event_ids[0]))

    def _ends_below_minimum(self, batch: LogBatch) -> bool:
        """Whether the payload's last event is one line that begins an entry below ``min_level``.

        That line is the whole of the payload's last entry, and nothing that
        follows it can make an INFO entry an error: no read, and no assembling.
        """
        last = batch.messages[-1]
        if "\n" in last or not starts_entry(last):
            return False
        record = LogRecord(
            batch.log_group, batch.log_stream, batch.owner, batch.region,
            batch.timestamps[-1], batch.event_ids[-1:], (last.rstrip("\r"),),
        )  # fmt: skip
        return below_minimum(record, self.config.min_level)

    def _advance(self, tail: _Tail, report: RunReport) -> None:
        """Read forward until the entry is over (``due_ms`` 0) or must wait (``due_ms`` set)."""
        tail.due_ms = 0
        while True:
            read_at = self.wall_ms()
            try:
                full = self._read_after(tail, report)
            except Exception as exc:  # a failed read never fails the batch
                tail.cut = _failure("the rest of the entry", exc)
                report.stitch_failed += 1
                return
            if not tail.located:  # the payload's own last events were not read back
                if tail.lost > 1:
                    tail.cut = "the payload's last events are not in CloudWatch Logs"
                    report.stitch_failed += 1
                else:
                    tail.due_ms = read_at + READ_LAG_MS
                return
            joined = self._joined(tail)
            if joined < len(tail.after) or tail.gap:
                del tail.after[joined:]
                return
            if len(tail.entry) + len(tail.after) >= self.limits.max_lines:
                tail.cut = f"longer than {self.limits.max_lines} events: read no further"
                report.stitch_failed += 1
                return
            if full:
                continue  # more is stored already
            due = tail.last_stored + self.wait_ms + READ_LAG_MS
            if read_at < due:
                tail.due_ms = due  # a later line could still be stored and join
            return

    def _read_after(self, tail: _Tail, report: RunReport) -> bool:
        """One forward read into ``tail.after``; whether the page was full.

        The first read starts at the payload's last timestamp and skips the
        payload's own events. The gap rule stops at a line stored more than
        ``wait_ms`` after the one before it: the entry cannot go on past it.
        """
        batch = tail.batch
        params: dict[str, Any] = {"startTime": batch.timestamps[-1], "startFromHead": True}
        if tail.token:
            params["nextToken"] = tail.token
        page = self._read(batch, params, report)
        events = _read_events(page)
        if not tail.located:
            own = _own_suffix(batch)
            start = _find(events, own, batch.timestamps[-1], at_end=False)
            if start is None:
                tail.lost += 1
                return False
            tail.located = True
            tail.last_stored = events[start + len(own) - 1].ingestion_time
            events = events[start + len(own) :]
        following = page.get("nextForwardToken")
        full = len(page.get("events") or ()) >= PAGE_SIZE and following != tail.token
        tail.token = following or tail.token
        for event in events:
            if event.ingestion_time - tail.last_stored > self.wait_ms:
                tail.gap = True
                return False
            tail.after.append(event)
            tail.last_stored = event.ingestion_time
        return full

    def _joined(self, tail: _Tail) -> int:
        """How many of ``tail.after`` the payload's last entry holds: the assembler's own answer.

        The entry's first line began an entry in the payload, so assembling from
        it alone gives the same extent as the whole stream would. The entry
        holding the payload's last event is the one that goes on: the entry
        that began the segment, or a crash report that took its trailing blank
        lines.
        """
        stitched = StitchedBatch(tail.entry, (), tuple(tail.after))
        last = tail.entry.event_ids[-1]
        for record in assemble([stitched], self.limits):
            if last in record.event_ids:
                return record.stitched
        return 0

    # --- waiting ------------------------------------------------------------------------

    def _settle(self, pending: list[_Tail], report: RunReport) -> Iterator[StitchedBatch]:
        """Wait for the earliest due payload, read again, and yield those now complete."""
        wait_ms = min(tail.due_ms for tail in pending) - self.wall_ms()
        if wait_ms > 0:
            if wait_ms / 1000 > self.budget():
                for tail in pending:
                    tail.cut = "its continuation was not stored within the invocation's time"
                    report.stitch_failed += 1
                    yield self._finish(tail)
                pending.clear()
                return
            self.reader.sleep(wait_ms / 1000)
            report.stitch_wait_ms += wait_ms
        now = self.wall_ms()
        still: list[_Tail] = []
        for tail in pending:
            if tail.due_ms <= now:
                self._advance(tail, report)
            if tail.due_ms:
                still.append(tail)
            else:
                yield self._finish(tail)
        pending[:] = still

    @staticmethod
    def _finish(tail: _Tail) -> StitchedBatch:
        return StitchedBatch(tail.batch, tail.before, tuple(tail.after), tail.head_cut, tail.cut)

    def _read(
        self, batch: LogBatch, params: dict[str, Any], report: RunReport
    ) -> Mapping[str, Any]:
        report.stitch_reads += 1
        deadline = self.reader.clock() + max(0.0, self.budget())
        page: Mapping[str, Any] = self.reader.call(
            "get_log_events",
            deadline=deadline,
            logGroupName=batch.log_group,
            logStreamName=batch.log_stream,
            limit=PAGE_SIZE,
            **params,
        )
        return page


# --- helpers ------------------------------------------------------------------------------


def _first_line(message: str) -> str:
    return message.partition("\n")[0].rstrip("\r")


def _last_start(messages: Sequence[str], lowest: int) -> int | None:
    """The index of the last message at or after ``lowest`` that surely begins an entry."""
    for index in range(len(messages) - 1, lowest - 1, -1):
        if starts_entry(_first_line(messages[index])):
            return index
    return None


def _first_start(messages: Sequence[str]) -> int:
    """The index of the first message that surely begins an entry, or their count."""
    for index, message in enumerate(messages):
        if starts_entry(_first_line(message)):
            return index
    return len(messages)


def _fresh_start(events: Sequence[ReadEvent], next_stored: int, wait_ms: int) -> int:
    """Where the events before a line stored at ``next_stored`` stop mattering to it.

    Just after the latest storage gap longer than ``wait_ms``: the head's side
    never read past it, so what follows began afresh there.
    """
    stored = next_stored
    for index in range(len(events) - 1, -1, -1):
        if stored - events[index].ingestion_time > wait_ms:
            return index + 1
        stored = events[index].ingestion_time
    return 0


def _own_prefix(batch: LogBatch) -> list[str]:
    """The payload's first messages that share its first timestamp (its timestamps ascend)."""
    return list(batch.messages[: bisect_right(batch.timestamps, batch.timestamps[0])])


def _own_suffix(batch: LogBatch) -> list[str]:
    """The payload's last messages that share its last timestamp (its timestamps ascend)."""
    return list(batch.messages[bisect_left(batch.timestamps, batch.timestamps[-1]) :])


def _find(events: list[ReadEvent], own: list[str], timestamp: int, *, at_end: bool) -> int | None:
    """Where the payload's ``own`` messages at ``timestamp`` are among the events read.

    ``at_end``: they must be the last ones read (the read stopped at the
    payload's first timestamp and the payload goes on after it), which is
    unambiguous; otherwise the first place they appear at that timestamp.
    """
    size = len(own)
    if at_end:
        start = len(events) - size
        candidates: Iterable[int] = (start,) if start >= 0 else ()
    else:
        candidates = range(len(events) - size + 1)
    for start in candidates:
        window = events[start : start + size]
        if all(e.timestamp == timestamp for e in window) and [e.message for e in window] == own:
            return start
    return None


def _read_events(page: Mapping[str, Any]) -> list[ReadEvent]:
    events = []
    for raw in page.get("events") or ():
        try:
            events.append(
                ReadEvent(int(raw["timestamp"]), str(raw["message"]), int(raw["ingestionTime"]))
            )
        except (KeyError, TypeError, ValueError):
            continue  # an event without its fields cannot be placed: as if not stored
    return events


def _slice(batch: LogBatch, start: int, end: int | None = None) -> LogBatch:
    if start == 0 and end is None:
        return batch
    return replace(
        batch,
        event_ids=batch.event_ids[start:end],
        timestamps=batch.timestamps[start:end],
        messages=batch.messages[start:end],
    )


def _failure(what: str, exc: Exception) -> str:
    code = getattr(exc, "code", "") or type(exc).__name__
    return f"could not read {what} from CloudWatch Logs ({code})"


def _batches(items: Iterable[Item]) -> Iterator[Item]:
    """Items with the events of a payload decoded one by one gathered into its batch.

    A payload holding a malformed event is decoded event by event (so the
    problem names it); its good events still form one payload to stitch.
    """
    run: list[LogEvent] = []

    def gathered() -> Iterator[Item]:
        if run:
            yield _as_batch(run)
            run.clear()

    for item in items:
        if isinstance(item, LogEvent):
            if run and _payload_of(run[-1]) != _payload_of(item):
                yield from gathered()
            run.append(item)
        elif isinstance(item, InputProblem):
            yield item  # between the good events of its payload
        else:
            yield from gathered()
            yield item
    yield from gathered()


def _payload_of(event: LogEvent) -> tuple[str, str, str, str]:
    source = event.source.partition(": logEvents[")[0]
    return event.log_group, event.log_stream, event.batch_item, source


def _as_batch(events: list[LogEvent]) -> LogBatch:
    first = events[0]
    return LogBatch(
        log_group=first.log_group,
        log_stream=first.log_stream,
        event_ids=tuple(event.event_id for event in events),
        timestamps=tuple(event.timestamp for event in events),
        messages=tuple(event.message for event in events),
        owner=first.owner,
        region=first.region,
        source=_payload_of(first)[3],
        batch_item=first.batch_item,
    )
