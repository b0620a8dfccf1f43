"""Tests of the assemble stage: per-stream reassembly of multi-line entries.

The traces come from real runtimes: the fixtures under ``tests/fixtures/traces``
(each directory has its generator programs and a regenerate script) and the
corpus programs under ``tests/corpus/programs``.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logship.assemble import (
    LineKind,
    State,
    assemble,
    claims_blank_lines,
    classify,
    starts_entry,
    step,
)
from logship.config import AssemblyLimits, Config
from logship.pipeline import RunReport, errors
from logship.records import LogEvent, LogRecord

TRACES = Path(__file__).parent / "fixtures" / "traces"
INFO = "2024-05-01 12:00:00,001 INFO [shop.api] GET /health 200 in 3ms"
ERROR = "2024-05-01 12:00:00,002 ERROR [shop.api] request failed"
LIMITS = AssemblyLimits()

# Fixtures whose output holds more than one entry: the first line of each later one.
# (Mono prints an unhandled exception twice, "Unhandled Exception:" and "[ERROR]
# FATAL UNHANDLED EXCEPTION:": one crash, one entry.)
SPLITS: dict[str, tuple[str, ...]] = {
    "go/log_panic.txt": ("panic:",),  # log.Panicf: its log line, then the panic
    "node/error_code.txt": ("Error: ENOENT",),  # two console.error calls
    # package:logging lines around a logged error: INFO, SEVERE with the trace, INFO
    "dart/logging_severe.txt": ("SEVERE:", "INFO:"),
}
TOO_LONG = {"python/mutual_recursion.txt"}  # beyond max_lines: see TestLimits


def fixture_lines(name: str) -> list[str]:
    """A fixture's lines without the blank lines around it."""
    text = (TRACES / name).read_text(encoding="utf-8").strip("\n")
    return text.split("\n")


def trace_fixtures() -> list[str]:
    names = sorted(str(path.relative_to(TRACES)) for path in TRACES.glob("*/*.txt"))
    return [name for name in names if name not in TOO_LONG]


def events(
    lines: Iterable[str],
    *,
    stream: str = "ecs/shop/1",
    timestamp: int = 1_000,
    start: int = 0,
    batch_item: str = "",
) -> list[LogEvent]:
    """One event per line, as ECS's awslogs driver sends them."""
    return [
        LogEvent(
            log_group="/ecs/shop",
            log_stream=stream,
            event_id=f"{stream}#{start + index}",
            timestamp=timestamp,
            message=line,
            owner="123456789012",
            region="eu-west-1",
            batch_item=batch_item,
        )
        for index, line in enumerate(lines)
    ]


def run(items: Iterable[LogEvent], limits: AssemblyLimits = LIMITS) -> list[LogRecord]:
    return list(assemble(items, limits))


def texts(records: Sequence[LogRecord]) -> list[list[str]]:
    return [list(record.lines) for record in records]


def expected_entries(name: str, lines: list[str]) -> list[list[str]]:
    """The fixture cut at its known split points."""
    entries: list[list[str]] = [[]]
    for line in lines:
        if entries[-1] and line.startswith(SPLITS.get(name, ())):
            entries.append([])
        entries[-1].append(line)
    return entries


class TestClassify:
    """One alternation match gives each line its shape."""

    @pytest.mark.parametrize(
        ("line", "kind"),
        [
            (INFO, LineKind.START),
            ("10:25:26.914 [http-nio-8080-exec-2] ERROR c.s.o.OrderController - x", LineKind.START),
            ('{"level": "error", "event": "x"}', LineKind.START),
            ('Exception in thread "main" java.lang.IllegalStateException: x', LineKind.START),
            ("\tat com.shop.Order.place(Order.java:12)", LineKind.CONTINUATION),
            ("Caused by: java.net.SocketTimeoutException: Read timed out", LineKind.CONTINUATION),
            ("\t... 3 more", LineKind.CONTINUATION),
            ("java.lang.RuntimeException: order 12 lookup failed", LineKind.HEADER),
            ("TypeError: fetch failed", LineKind.HEADER),
            ("DOMException [TimeoutError]: The operation was aborted", LineKind.HEADER),
            ("Traceback (most recent call last):", LineKind.PY_TRACEBACK),
            ("  + Exception Group Traceback (most recent call last):", LineKind.PY_TRACEBACK),
            (
                "The above exception was the direct cause of the following exception:",
                LineKind.PY_SEPARATOR,
            ),
            ("           ^^^^^^^^^^^^^", LineKind.CARET),
            ("panic: boom", LineKind.GO_START),
            ("goroutine 1 [running]:", LineKind.GOROUTINE),
            ("/app/uncaught.rb:4:in `charge': declined (RuntimeError)", LineKind.RUBY_FRAME),
            ("Nov 24, 2026 10:23:08 AM com.example.Demo main", LineKind.JUL_DATE),
            ("", LineKind.BLANK),
            ("KeyError: 'email'", LineKind.HEADER),
            ("sku: required", LineKind.FIELD),
            ("main.main()", LineKind.GO_FUNC),
            ("listening on :8080", LineKind.UNKNOWN),
            ("[6aebd13d-9746-41a5-8dad-b342b7fad53f] app.rb:64:in `x'", LineKind.TAGGED),
            ("[ERROR] FATAL UNHANDLED EXCEPTION: System.Exception: x", LineKind.MONO_FATAL),
            ("--- End of stack trace from previous location ---", LineKind.CONTINUATION),
            ("[stacktrace]", LineKind.CONTINUATION),
            ("[previous exception] [object] (X(code: 0): y at /a.php:1)", LineKind.CONTINUATION),
            ("Next exception 'LogicException' with message 'x' in /a.php:3", LineKind.CONTINUATION),
            ("goroutine 1 gp=0x1bd99cc21e0 m=0 mp=0x5884a0 [running]:", LineKind.GOROUTINE),
        ],
    )
    def test_shapes(self, line: str, kind: LineKind) -> None:
        """Log prefixes, frames, separators and headers are told apart."""
        assert classify(line) is kind


class TestStep:
    """The per-stream state machine."""

    def test_header_joins_an_error_line(self) -> None:
        """logback prints the exception header unindented under its ERROR line."""
        assert step(State.LOG, LineKind.HEADER, ERROR) == (True, State.TRACE)

    def test_header_after_info_line_starts_an_entry(self) -> None:
        """printStackTrace() right after an INFO line must not hide inside it."""
        assert step(State.LOG, LineKind.HEADER, INFO)[0] is False

    def test_python_final_line_ends_frames(self) -> None:
        """An unindented line after frames is the exception line, and is part of the trace."""
        assert step(State.PY_TB, LineKind.UNKNOWN, "    raise X") == (True, State.PY_EXC)

    def test_unknown_line_after_a_log_line_starts_an_entry(self) -> None:
        """A plain line after a log line is its own entry."""
        assert step(State.LOG, LineKind.UNKNOWN, INFO) == (False, State.LOG)


class TestStartsEntry:
    """``starts_entry``: the lines stitching may start assembling on (logship.stitch)."""

    def test_never_joins_whatever_came_before(self) -> None:
        """A line it accepts joins no open entry in any state (JUL's level line excepted).

        Stitching starts a payload's last entry, and a read-back, on such a line and
        trusts the state machine to give what the whole stream gives from there: a
        change to ``step`` that lets one of these lines join must change it too.
        """
        from stitch_support import corpus_payloads
        from trace_fixtures import fixture_texts

        lines = {line for _, text in fixture_texts() for line in text.splitlines()}
        lines.update(m for p in corpus_payloads() for _, _, m in p.events)
        accepted = sorted(line for line in lines if starts_entry(line))
        assert len(accepted) > 1_000
        previous = ("", INFO, ERROR, "Nov 24, 2026 10:23:08 AM com.example.Demo main")
        for line in accepted:
            kind = classify(line)
            for state in State:
                for log_line in previous:
                    joins, _ = step(state, kind, log_line)
                    if joins:
                        assert state is State.JUL, (line, state, log_line)

    def test_continuations_are_not_starts(self) -> None:
        """Frames, causes, blank lines and trace headers may continue an entry."""
        for line in ("\tat com.x.Y.z(Y.java:1)", "Caused by: java.io.IOException: x", "", "  File"):
            assert not starts_entry(line)
        assert starts_entry(INFO)
        assert not starts_entry("SEVERE: payment failed")  # under its JUL date line


class TestFixtures:
    """Every real-runtime fixture, one event per line, between INFO lines."""

    @pytest.mark.parametrize("name", trace_fixtures())
    def test_trace_after_error_line(self, name: str) -> None:
        """A trace logged under an ERROR line is one record with it (two for known splits)."""
        lines = fixture_lines(name)
        records = run(events([INFO, ERROR, *lines, INFO]))
        entries = expected_entries(name, lines)
        got = texts(records)
        assert got[0] == [INFO]
        assert got[-1] == [INFO]
        # The ERROR line owns the first entry unless that entry starts with its
        # own log prefix or a JSON object.
        middle = got[1:-1]
        if middle[0] == [ERROR]:
            middle = middle[1:]
        else:
            middle[0] = middle[0][1:]
        assert middle == entries

    @pytest.mark.parametrize("name", trace_fixtures())
    def test_uncaught_trace_after_info_line(self, name: str) -> None:
        """A trace printed right after an INFO line is its own record, exactly."""
        lines = fixture_lines(name)
        records = run(events([INFO, *lines, INFO]))
        assert texts(records) == [[INFO], *expected_entries(name, lines), [INFO]]

    @pytest.mark.parametrize("name", trace_fixtures())
    def test_multiline_mode(self, name: str) -> None:
        """awslogs multiline mode: each entry arrives as one event and stays one record."""
        entries = expected_entries(name, fixture_lines(name))
        items = events([INFO, *("\n".join(entry) for entry in entries), INFO])
        assert texts(run(items)) == [[INFO], *entries, [INFO]]

    @pytest.mark.parametrize("name", trace_fixtures())
    def test_split_across_payloads_with_other_streams(self, name: str) -> None:
        """Payload boundaries and another stream's events in between change nothing."""
        lines = [INFO, *fixture_lines(name), INFO]
        mine = events(lines)
        other = events([INFO, ERROR, INFO] * 10, stream="ecs/other/2")
        mixed = [item for pair in itertools.zip_longest(mine, other) for item in pair if item]
        by_stream: dict[str, list[list[str]]] = defaultdict(list)
        for record in run(mixed):
            by_stream[record.log_stream].append(list(record.lines))
        assert by_stream["ecs/shop/1"] == texts(run(mine))


SAMPLES = Path(__file__).parent / "parse" / "samples"


# Samples whose entries the assembler does not bracket exactly yet; the reasons are
# tests/test_formats.py's KNOWN_GAPS. Strict: a fix fails here until removed.
def sample_names() -> list[str]:
    return sorted(path.parent.name for path in SAMPLES.glob("*/truth.json"))


class TestIssue13Samples:
    """The sample programs of issue 13 (``tests/parse/samples``), one event per line."""

    @pytest.mark.parametrize("name", sample_names())
    def test_every_entry_is_one_record(self, name: str) -> None:
        """Each entry the sample's truth brackets comes out as one record with exactly its lines.

        The shapes: loguru's blank lines and "> File" inside a traceback, JUL's
        two-line records, back-to-back Go panics, a plain line after a panic, and
        those of other log tools' test suites (``tests/parse/samples/README.md``).
        """
        directory = SAMPLES / name
        lines = (directory / "output.log").read_text(encoding="utf-8").splitlines()
        truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
        got = texts(run(events(lines)))
        for entry in truth["entries"]:
            assert lines[entry["first"] : entry["last"] + 1] in got, entry["id"]

    def test_plain_line_after_a_python_trace(self) -> None:
        """A line printed after a traceback's last line is not part of the traceback."""
        trace = fixture_lines("python/key_error.txt")
        got = texts(run(events([*trace, "Shutting down worker 3", INFO])))
        assert got == [trace, ["Shutting down worker 3"], [INFO]]

    def test_message_lines_after_a_python_trace(self) -> None:
        """'key: value' lines after the exception line continue its message."""
        trace = fixture_lines("python/multiline_message.txt")
        assert trace[-2:] == ["sku: required", "quantity: required"]
        assert texts(run(events([*trace, INFO]))) == [trace, [INFO]]

    @pytest.mark.parametrize(
        "name", ["java/jul_no_level_line.txt", "java/jul_exception_on_date_line.txt"]
    )
    def test_jul_header_before_an_exception_line(self, name: str) -> None:
        """A JUL date line, then 'java.lang.X: msg' or frames: one record.

        The layouts of fluent-plugin-detect-exceptions' Java sample (a JUL header
        before the exception line, or with it on the date line), printed here by
        java.util.logging formatters.
        """
        lines = fixture_lines(name)
        assert texts(run(events([*lines, INFO]))) == [lines, [INFO]]


def format_lines(framework: str, first: str, count: int) -> list[str]:
    """``count`` lines of a framework fixture's output, from the line that contains ``first``."""
    path = Path(__file__).parent / "formats" / framework / "output.log"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if first in line)
    return lines[start : start + count]


class TestCrashReportTakesBlankLines:
    """Mono and PHP print a blank line as the first line of a crash report: it is the report's."""

    @pytest.mark.parametrize(
        ("framework", "before"),
        [("dotnet-mono", "settlement run 77 aborted"), ("php-uncaught", "processing order 1006")],
    )
    def test_blank_line_goes_with_the_report(self, framework: str, before: str) -> None:
        lines = format_lines(framework, before, 8)
        assert lines[1] == ""
        assert claims_blank_lines(lines[2])
        records = run(events(lines))
        assert texts(records)[:2] == [lines[:1], lines[1:]]
        assert records[1].event_ids[0] == "ecs/shop/1#1"

    def test_report_is_not_a_sure_start(self) -> None:
        """Stitching reads back before it: the blank line may be in the payload before."""
        report = format_lines("dotnet-mono", "Unhandled Exception:", 1)[0]
        assert classify(report) is LineKind.START
        assert not starts_entry(report)

    def test_blank_lines_of_a_trace_stay_before_a_log_line(self) -> None:
        """Spring Boot's blank line after a trace is the trace's: a log line claims nothing."""
        trace = fixture_lines("python/key_error.txt")
        assert texts(run(events([ERROR, *trace, "", INFO]))) == [[ERROR, *trace, ""], [INFO]]

    def test_blank_lines_long_before_stay(self) -> None:
        """A blank line written longer than max_age_ms before the report is not its."""
        lines = format_lines("dotnet-mono", "settlement run 77 aborted", 4)
        late = LIMITS.max_age_ms + 1
        stamped = [*events(lines[:2]), *events(lines[2:], timestamp=1_000 + late, start=2)]
        assert texts(run(stamped)) == [lines[:2], lines[2:]]

    def test_report_after_blank_lines_alone(self) -> None:
        """Blank lines that are an entry of their own go with the report: one record."""
        lines = format_lines("dotnet-mono", "settlement run 77 aborted", 6)[1:]
        assert texts(run(events(["", *lines]))) == [["", *lines]]


class TestRepeatedMessage:
    def test_message_printed_again_after_the_traceback(self) -> None:
        """gunicorn prints str(exc) after its boot failure's traceback: the traceback's line."""
        lines = format_lines("gunicorn", "Exception in worker process", 43)
        assert lines[-2] == "RuntimeError: LEDGER_ADDR is not set"
        assert lines[-1] == "LEDGER_ADDR is not set"
        assert texts(run(events([*lines, INFO]))) == [lines, [INFO]]

    def test_other_plain_line_after_a_traceback(self) -> None:
        """Any other plain line still starts an entry (issue 13, item 4)."""
        trace = fixture_lines("python/key_error.txt")
        got = texts(run(events([*trace, "LEDGER_ADDR is not set"])))
        assert got == [trace, ["LEDGER_ADDR is not set"]]


class TestCorpusPrograms:
    """Traces of the corpus programs, the way the corpus sends them."""

    def test_node_uncaught_crash(self) -> None:
        """Node's crash report (source line, caret, blank, error, trailer) is one record."""
        crash = [
            "/app/crash.js:15",
            "  return BigInt(total / parts);",
            "         ^",
            "",
            "RangeError: The number 3.25 cannot be converted to a BigInt"
            " because it is not an integer",
            "    at BigInt (<anonymous>)",
            "    at splitTotal (/app/crash.js:15:10)",
            "",
            "Node.js v20.20.2",
        ]
        # Captured from `node tests/corpus/programs/crash.js throw 13`.
        records = run(events([INFO, *crash, INFO]))
        assert texts(records) == [[INFO], crash, [INFO]]


class TestOrder:
    """Events of one stream are put back in timestamp order within the window."""

    def test_late_payload_within_window(self) -> None:
        """A payload that arrives after the next one is sorted back into place."""
        first = events([ERROR, "java.lang.IllegalStateException: boom"], timestamp=1_000)
        second = events(["\tat com.shop.A.b(A.java:1)", INFO], timestamp=1_500, start=2)
        records = run([*second, *first])
        assert [record.event_ids for record in records] == [
            ("ecs/shop/1#0", "ecs/shop/1#1", "ecs/shop/1#2"),
            ("ecs/shop/1#3",),
        ]

    def test_equal_timestamps_keep_arrival_order(self) -> None:
        """CloudWatch returns same-millisecond events in ingestion order; so do we."""
        items = events([ERROR, "java.lang.RuntimeException: x", "\tat a.B.c(B.java:1)"])
        assert run(items)[0].lines == tuple(item.message for item in items)

    def test_later_than_window_is_kept(self) -> None:
        """An event older than the window is fed as it comes: never dropped."""
        limits = replace(LIMITS, reorder_window_ms=10)
        late = events(["\tat a.B.c(B.java:1)"], timestamp=1_000, start=9)
        items = [*events([INFO, INFO], timestamp=5_000), *late]
        records = run(items, limits)
        assert sorted(i for record in records for i in record.event_ids) == sorted(
            item.event_id for item in items
        )


class TestRecordFields:
    """What a record carries besides its lines."""

    def test_fields(self) -> None:
        """Timestamp of the first event, owner, region, distinct batch items in order."""
        items = [
            *events([ERROR], timestamp=1_000, batch_item="seq-1"),
            *events(
                ["java.lang.RuntimeException: x"], timestamp=1_001, start=1, batch_item="seq-2"
            ),
            *events(["\tat a.B.c(B.java:1)"], timestamp=1_001, start=2, batch_item="seq-2"),
        ]
        (record,) = run(items)
        assert record.timestamp == 1_000
        assert (record.owner, record.region) == ("123456789012", "eu-west-1")
        assert record.batch_items == ("seq-1", "seq-2")
        assert record.log_group == "/ecs/shop"
        assert not record.truncated

    def test_streams_are_kept_apart(self) -> None:
        """The same shapes in two streams make two records."""
        items = [
            *events([ERROR], stream="a"),
            *events([ERROR], stream="b"),
            *events(["java.lang.RuntimeException: x"], stream="a", start=1),
        ]
        records = run(items)
        assert {(r.log_stream, len(r.lines)) for r in records} == {("a", 2), ("b", 1)}

    def test_record_is_emitted_when_the_next_entry_starts(self) -> None:
        """Streaming: a record comes out as soon as its stream moves on."""
        limits = replace(LIMITS, reorder_window_ms=0)
        stream = assemble(iter(events([ERROR, "\tat a.B.c(B.java:1)", INFO, INFO])), limits)
        assert next(stream).lines == (ERROR, "\tat a.B.c(B.java:1)")


class TestLimits:
    """Bounded buffers: cut, flag, continue, never lose an id."""

    def test_max_lines(self) -> None:
        """A trace longer than max_lines stays one flagged record: its head and its tail."""
        lines = fixture_lines("python/mutual_recursion.txt")
        records = run(events([INFO, *lines, INFO]))
        assert texts(records[::2]) == [[INFO], [INFO]]
        trace = records[1]
        assert trace.truncated
        assert len(trace.event_ids) == len(lines)
        assert LIMITS.max_lines * 3 // 4 <= len(trace.lines) <= LIMITS.max_lines
        head = [
            a
            for a, _ in itertools.takewhile(
                lambda pair: pair[0] == pair[1], zip(trace.lines, lines, strict=False)
            )
        ]
        assert len(head) >= LIMITS.max_lines // 4
        assert list(trace.lines) == head + lines[len(lines) - len(trace.lines) + len(head) :]

    def test_max_chars(self) -> None:
        """The byte bound keeps both ends too: the first line and the latest ones."""
        limits = replace(LIMITS, max_chars=200)
        frames = [f"\tat com.shop.A.b(A.java:{n})" for n in range(10, 30)]
        (record,) = run(events([ERROR, *frames]), limits)
        assert record.truncated
        assert len(record.event_ids) == 21
        assert sum(map(len, record.lines)) <= limits.max_chars
        assert record.lines[0] == ERROR
        assert record.lines[-3:] == tuple(frames[-3:])

    def test_max_age(self) -> None:
        """A continuation long after the entry began starts a new piece."""
        limits = replace(LIMITS, max_age_ms=100)
        items = [*events([ERROR]), *events(["\tat a.B.c(B.java:1)"], timestamp=2_000, start=1)]
        records = run(items, limits)
        assert [len(record.lines) for record in records] == [1, 1]
        assert all(record.truncated for record in records)

    def test_huge_single_event(self) -> None:
        """One multi-line event beyond the limits keeps its id and loses lines, flagged."""
        with gzip.open(TRACES / "java" / "stack_overflow_100k.txt.gz", "rt") as trace:
            text = trace.read()
        (record,) = run(events([text]))
        assert record.truncated
        assert len(record.lines) == LIMITS.max_lines
        assert record.event_ids == ("ecs/shop/1#0",)
        lines = text.rstrip("\n").split("\n")
        assert (record.lines[0], record.lines[-1]) == (lines[0], lines[-1])

    def test_age_is_the_gap_between_lines(self) -> None:
        """A long trace written line after line is not cut by its total age."""
        limits = replace(LIMITS, max_age_ms=100)
        frames = [f"\tat a.B.c{n}(B.java:1)" for n in range(50)]
        items = [
            *events([ERROR]),
            *(
                event
                for n, frame in enumerate(frames, 1)
                for event in events([frame], timestamp=1_000 + n * 50, start=n)
            ),
        ]
        (record,) = run(items, limits)
        assert len(record.event_ids) == 51
        assert not record.truncated

    def test_age_still_cuts_a_long_record(self) -> None:
        """Past the line limit, the age limit still ends the record."""
        limits = replace(LIMITS, max_lines=10, max_age_ms=100)
        frames = ["\tat a.B.c(B.java:1)"] * 20
        items = [*events([ERROR, *frames]), *events(frames[:1], timestamp=2_000, start=21)]
        first, second = run(items, limits)
        assert first.truncated
        assert second.truncated
        assert (len(first.event_ids), len(first.lines)) == (21, 10)
        assert second.event_ids == ("ecs/shop/1#21",)

    def test_open_streams_bound(self) -> None:
        """Beyond max_open_streams the least recently used stream is flushed."""
        limits = replace(LIMITS, max_open_streams=2, reorder_window_ms=0)
        items = [
            *events([ERROR], stream="a"),
            *events([ERROR], stream="b"),
            *events([ERROR], stream="c"),
        ]
        stream = assemble(iter(items), limits)
        assert next(stream).log_stream == "a"


def gzipped_lines(name: str) -> list[str]:
    with gzip.open(TRACES / name, "rt", encoding="utf-8") as handle:
        return handle.read().strip("\n").split("\n")


# Real captures of chains longer than max_lines, with their true outermost and
# root-cause types (see tests/parse/test_*.py). Java, .NET and Ruby print the
# root cause last; PHP prints it first and the outermost last.
DEEP = [
    (
        "java/deep_chain_socket_timeout.txt.gz",
        "java.lang.RuntimeException",
        "java.net.SocketTimeoutException",
    ),
    ("php/deep_chain.txt.gz", "RuntimeException", "JsonException"),
    ("ruby/deep_chain.txt.gz", "RetryError", "JSON::ParserError"),
    ("dotnet/mono_deep_chain.txt.gz", "System.InvalidOperationException", "System.FormatException"),
    (
        "java/stack_overflow_100k.txt.gz",
        "java.lang.StackOverflowError",
        "java.lang.StackOverflowError",
    ),
]


def assert_one_bounded_record(record: LogRecord, lines: list[str], first_id: int = 0) -> None:
    """``record`` holds all of the trace's events, its first and last lines, within limits."""
    assert record.truncated
    assert record.event_ids == tuple(f"ecs/shop/1#{first_id + i}" for i in range(len(lines)))
    assert len(record.lines) <= LIMITS.max_lines
    assert sum(map(len, record.lines)) <= LIMITS.max_chars
    assert (record.lines[0], record.lines[-1]) == (lines[0], lines[-1])


class TestDeepChains:
    """Traces beyond the limits, one event per line: one record with both ends."""

    @pytest.mark.parametrize("name", [name for name, _, _ in DEEP])
    def test_one_record_per_trace(self, name: str) -> None:
        """The whole trace is one record between its neighbours, with every event id."""
        lines = gzipped_lines(name)
        records = run(events([INFO, *lines, INFO]))
        assert texts(records[::2]) == [[INFO], [INFO]]
        assert_one_bounded_record(records[1], lines, first_id=1)

    @pytest.mark.parametrize("name", [name for name, _, _ in DEEP])
    def test_split_across_payloads_with_another_stream(self, name: str) -> None:
        """Payloads of 500 events, another stream's events between them: still one record."""
        lines = gzipped_lines(name)
        mine = [
            replace(item, timestamp=1_000 + index // 500, batch_item=f"item-{index // 500}")
            for index, item in enumerate(events(lines))
        ]
        other = events([INFO, ERROR, "\tat a.B.c(B.java:1)"] * 10, stream="ecs/other/2")
        mixed: list[LogEvent] = []
        for start in range(0, len(mine), 500):
            mixed += mine[start : start + 500] + other[start // 500 : start // 500 + 1]
        records = run(mixed)
        (record,) = [r for r in records if r.log_stream == "ecs/shop/1"]
        assert_one_bounded_record(record, lines)
        assert record.batch_items == tuple(f"item-{n}" for n in range((len(lines) + 499) // 500))
        other_ids = [i for r in records if r.log_stream == "ecs/other/2" for i in r.event_ids]
        assert other_ids == [item.event_id for item in other[: len(other_ids)]]

    @pytest.mark.parametrize(("name", "outer", "root"), DEEP)
    def test_pipeline_finds_outermost_and_root_cause(
        self, name: str, outer: str, root: str
    ) -> None:
        """Through the pipeline with the default config: the real outermost and root types."""
        lines = gzipped_lines(name)
        report = RunReport()
        (found,) = errors(events(lines), Config(), report)
        assert (found.error.exception_type, found.error.root_cause_type) == (outer, root)
        assert report.events_in_errors == len(lines)

    @pytest.mark.parametrize(
        ("name", "outer", "root"),
        [
            ("php/deep_chain.txt.gz", "retry level 999 failed", "Syntax error"),
            ("python/deep_chain.txt", "level 119", "bottom"),
        ],
    )
    @pytest.mark.parametrize("max_lines", range(396, 416))  # every cut in a block
    def test_seam_anywhere_in_a_block(
        self, name: str, outer: str, root: str, max_lines: int
    ) -> None:
        """Wherever the limit cuts an exception block, the parser sees whole blocks.

        PHP and Python print the root cause first and the outermost last; a
        block cut in half at the seam ("Stack trace:" without its "Next X:",
        "Traceback" without frames) used to end their chain there.
        """
        path = TRACES / name
        lines = gzipped_lines(name) if name.endswith(".gz") else fixture_lines(name)
        config = replace(Config(), assembly=replace(LIMITS, max_lines=max_lines))
        (found,) = errors(events(lines), config, RunReport())
        chain = found.error.chain
        assert (chain[0].message, chain[-1].message) == (outer, root), path.name


# --------------------------------------------------------------- properties

LINE_POOL = [
    INFO,
    ERROR,
    "",
    "java.lang.RuntimeException: order 12 lookup failed",
    "\tat com.shop.order.OrderService.loadOrder(OrderService.java:25)",
    "Caused by: java.net.SocketTimeoutException: Read timed out",
    "\t... 3 more",
    "Traceback (most recent call last):",
    '  File "/app/member_service.py", line 63, in load_member',
    "    return fetch_member(member_id, port)",
    "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    "TimeoutError: timed out",
    "The above exception was the direct cause of the following exception:",
    "panic: boom",
    "goroutine 1 [running]:",
    "main.main()",
    "    at async main (/app/cart_service.js:31:3) {",
    "  [cause]: Error: connect ECONNREFUSED 127.0.0.1:38439",
    "}",
    "sku: required",
    '{"level": "error", "event": "x"}',
    "ERROR [shop.api] line one\n  line two\nTraceback (most recent call last):",
]


@st.composite
def streams(draw: st.DrawFn) -> list[list[LogEvent]]:
    """A few streams of events with non-decreasing timestamps, built from real shapes."""
    result = []
    for number in range(draw(st.integers(1, 4))):
        messages = draw(st.lists(st.sampled_from(LINE_POOL), max_size=40))
        steps = draw(
            st.lists(st.integers(0, 3_000), min_size=len(messages), max_size=len(messages))
        )
        clock = 0
        stream_events = []
        for index, (message, delta) in enumerate(zip(messages, steps, strict=True)):
            clock += delta
            stream_events.append(
                events([message], stream=f"s{number}", timestamp=clock, start=index)[0]
            )
        result.append(stream_events)
    return result


@st.composite
def interleavings(draw: st.DrawFn, per_stream: list[list[LogEvent]]) -> list[LogEvent]:
    """All events, each stream's in order, streams interleaved at random."""
    queues = [list(s) for s in per_stream if s]
    merged = []
    while queues:
        queue = queues[draw(st.integers(0, len(queues) - 1))]
        merged.append(queue.pop(0))
        queues = [q for q in queues if q]
    return merged


limits_strategy = st.builds(
    AssemblyLimits,
    max_lines=st.integers(1, 50),
    max_chars=st.integers(1, 2_000),
    max_age_ms=st.integers(0, 20_000),
    reorder_window_ms=st.integers(0, 5_000),
    max_open_streams=st.integers(1, 5),
)


class TestProperties:
    """Invariants over random inputs built from real line shapes."""

    @settings(max_examples=200, deadline=None)
    @given(data=st.data(), limits=limits_strategy)
    def test_no_event_lost_or_duplicated(self, data: st.DataObject, limits: AssemblyLimits) -> None:
        """Every event id is in exactly one record, whatever the limits and the order."""
        per_stream = data.draw(streams())
        items = data.draw(st.permutations([e for s in per_stream for e in s]))
        ids = [i for record in run(items, limits) for i in record.event_ids]
        assert sorted(ids) == sorted(item.event_id for item in items)

    @settings(max_examples=200, deadline=None)
    @given(data=st.data())
    def test_records_in_order(self, data: st.DataObject) -> None:
        """Each stream's records, read in output order, give its events in input order."""
        per_stream = data.draw(streams())
        items = data.draw(interleavings(per_stream))
        seen: dict[str, list[str]] = defaultdict(list)
        for record in run(items):
            seen[record.log_stream].extend(record.event_ids)
        for stream_events in per_stream:
            if stream_events:
                stream = stream_events[0].log_stream
                assert seen[stream] == [item.event_id for item in stream_events]

    @settings(max_examples=200, deadline=None)
    @given(data=st.data())
    def test_interleaving_changes_nothing(self, data: st.DataObject) -> None:
        """A stream's records are the same alone or interleaved with others."""
        per_stream = data.draw(streams())
        items = data.draw(interleavings(per_stream))
        together: dict[str, list[LogRecord]] = defaultdict(list)
        for record in run(items):
            together[record.log_stream].append(record)
        for stream_events in per_stream:
            if stream_events:
                assert run(stream_events) == together[stream_events[0].log_stream]
