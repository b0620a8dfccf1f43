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
A blank line goes to the open entry (Spring Boot puts one before and after a
trace), except right before a crash report that a runtime prints with a blank
line of its own first (Mono's ``Unhandled Exception:``, PHP's ``Fatal error:``):
that report takes it.

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

from ._lane import FastLane
from ._lines import LineKind, State, claims_blank_lines, classify, starts_entry, step
from ._stream import ascending, assemble

__all__ = [
    "FastLane",
    "LineKind",
    "State",
    "ascending",
    "assemble",
    "claims_blank_lines",
    "classify",
    "starts_entry",
    "step",
]
