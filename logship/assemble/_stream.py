"""One stream: its reorder buffer, open entry and state; :func:`assemble` over all of them."""

from __future__ import annotations

import heapq
import operator
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice

from logship.config import AssemblyLimits
from logship.records import LogBatch, LogEvent, LogRecord, ReadEvent, StitchedBatch

from ._entry import Blank, Origin, _Entry, _last_text, _split
from ._lane import FastLane, _plain_line
from ._lines import _READS_LOG_LINE, LineKind, State, claims_blank_lines, classify, step

# An event waiting in a stream's reorder buffer: (timestamp, arrival, id, message,
# origin, plain). Arrival numbers are unique, so the heap never compares further.
# ``plain``: FastLane.plain of the message when known (from a batch's scan), else None.
_Pending = tuple[int, int, str, str, Origin, bool | None]


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
            kind in _READS_LOG_LINE
            or self.state is State.PY_EXC
            or (kind is LineKind.START and self.state is State.JUL)
        )
        log_line = entry.last_text() if wants_log_line and entry is not None else ""
        joins, state = step(self.state, kind, log_line, lines[0])
        # The other lines of a multi-line event (awslogs multiline mode) belong
        # to it whatever they look like; they only move the state on.
        for index in range(1, len(lines)):
            line = lines[index]
            state = step(state, classify(line), _last_text(lines, index), line)[1]
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
                and entry.size + size <= self.limits.max_chars
            ):
                entry.add(event_id, timestamp, origin, lines, size)
                if kind is LineKind.BLANK:
                    entry.blanks = _blank_run(entry.blanks, lines, event_id, timestamp, origin)
                else:
                    entry.blanks = None
            else:
                entry.add_beyond_limits(event_id, timestamp, origin, lines, self.limits)
                entry.blanks = None
        else:
            hold = taken and state is State.LOG
            self._begin(event_id, timestamp, origin, lines, size, kind=kind, hold=hold)
        if cut and self.entry is not None:
            self.entry.truncated = True
        self.state = state

    def _begin(
        self,
        event_id: str,
        timestamp: int,
        origin: Origin,
        lines: list[str],
        size: int,
        *,
        kind: LineKind,
        hold: bool,
    ) -> None:
        """End the open entry and begin one with this event; ``hold``: as the fast lane's."""
        entry = self.entry
        claimed = None
        if entry is not None:
            if entry.blanks and claims_blank_lines(lines[0]):
                claimed = entry.release_blanks(timestamp - self.limits.max_age_ms)
            if entry.lines:  # not when the blank lines were all it held
                self._emit(entry)
        if claimed:
            self.entry = _Entry.from_blanks(claimed)
            self.entry.add(event_id, timestamp, origin, lines, size)
        elif hold:
            self.entry = None
            self.held = (event_id, timestamp, origin, lines[0])
        else:
            self.entry = _Entry(event_id, timestamp, origin, lines, size)
            if kind is LineKind.BLANK:
                self.entry.blanks = _blank_run(None, lines, event_id, timestamp, origin)


def _blank_run(
    run: list[Blank] | None, lines: list[str], event_id: str, timestamp: int, origin: Origin
) -> list[Blank] | None:
    """The entry's trailing run of one-line blank events, after a blank event joined it.

    A crash report that follows takes them (see :meth:`_Entry.release_blanks`).
    """
    if len(lines) != 1:
        return None
    blank: Blank = (event_id, timestamp, origin, lines[0])
    if run is None:
        return [blank]
    run.append(blank)
    return run


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
