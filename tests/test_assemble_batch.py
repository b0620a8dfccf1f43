"""Tests for whole-payload batches in the assembler (logship.assemble, decode, pipeline).

A :class:`LogBatch` must change nothing but speed: the same records, in the same order,
the same fast-lane count and the same run report as pushing its events one by one.
Compared here over the evaluation corpus, every trace fixture between INFO lines (in
order, and shuffled so that payloads arrive late), small limits, and generated streams
(Hypothesis). The benchmark corpus is compared in ``bench/tests/test_bench.py``.
"""

from __future__ import annotations

import gzip
import itertools
import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from trace_fixtures import fixture_texts

from logship.assemble import FastLane, LineKind, assemble, classify
from logship.config import AssemblyLimits, Config
from logship.decode import encode_payload, from_lambda_event, lambda_event
from logship.parse import LEVELS, low_json_line, low_text_line
from logship.pipeline import Item, RunReport, errors
from logship.records import Fingerprinted, LogBatch, LogEvent, LogRecord

TESTS = Path(__file__).parent
CORPUS = TESTS / "corpus" / "data" / "subscription-events.jsonl.gz"
START = 1_700_000_000_000
GROUP = "/ecs/order-service"

# Lines a stream is made of in the generated tests: plain INFO lines the lane
# takes (text and JSON), lines that join or end entries, and trace lines.
VOCABULARY = (
    "2026-11-24 10:00:00.123 INFO [main] c.s.Order - placed order 1234",
    "2026-11-24 10:00:00.124 [http-nio-8080-exec-1] INFO c.s.Order - paid",
    "2026-11-24 10:00:00,126 INFO order_service: error budget fine",
    "2026-11-24 10:00:00.127 WARN [main] c.s.Order - slow payment",
    "2026-11-24 10:00:00.128 ERROR [main] c.s.Order - payment failed",
    "2026-11-24 10:00:00.129 DEBUG [main] c.s.Order - cache hit\r",
    "2026-11-24 10:00:00.130 INFO [main] c.s.Order - settings:\n    pool = 12",
    "2026-11-24 10:00:00.131 INFO [main] c.s.Order - done\n",
    "2026-11-24 10:00:00.132 INFO [main] c.s.Order - done\r\n",
    '{"level":"info","msg":"placed"}',
    '{"level":30,"msg":"placed","pid":1}',
    '{"level":"error","msg":"failed","err":{"type":"Error","message":"boom"}}',
    "java.lang.IllegalStateException: boom",
    "\tat com.shop.Order.place(Order.java:12)",
    "Caused by: java.net.SocketTimeoutException: Read timed out",
    "\t... 12 more",
    "Traceback (most recent call last):",
    '  File "/app/order.py", line 3, in place',
    "ValueError: bad amount 12.50",
    "",
    "Nov 24, 2026 10:23:08 AM com.shop.Order place",
    "SEVERE: payment failed",
    "INFO: payment placed",
    "panic: runtime error: index out of range [3] with length 3",
    "goroutine 1 [running]:",
)


def _event(stream: str, number: int, timestamp: int, message: str, item: str = "") -> LogEvent:
    return LogEvent(
        log_group=GROUP,
        log_stream=stream,
        event_id=f"{stream}-{number}",
        timestamp=timestamp,
        message=message,
        owner="123456789012",
        region="eu-west-1",
        source="test",
        batch_item=item,
    )


def _batches(events: Sequence[LogEvent], cuts: Iterable[int]) -> list[LogBatch]:
    """``events`` cut into batches at ``cuts`` and wherever the stream or batch item changes."""
    bounds = sorted({0, len(events), *(cut for cut in cuts if 0 < cut < len(events))})
    batches: list[LogBatch] = []
    for start, stop in itertools.pairwise(bounds):
        group: list[LogEvent] = []
        for event in events[start:stop]:
            if group and (event.log_stream, event.batch_item) != (
                group[0].log_stream,
                group[0].batch_item,
            ):
                batches.append(_batch(group))
                group = []
            group.append(event)
        if group:
            batches.append(_batch(group))
    return batches


def _batch(events: Sequence[LogEvent]) -> LogBatch:
    first = events[0]
    return LogBatch(
        log_group=first.log_group,
        log_stream=first.log_stream,
        event_ids=tuple(event.event_id for event in events),
        timestamps=tuple(event.timestamp for event in events),
        messages=tuple(event.message for event in events),
        owner=first.owner,
        region=first.region,
        source="test",
        batch_item=first.batch_item,
    )


def _lane(config: Config) -> FastLane | None:
    pattern = low_text_line(config.min_level)
    if pattern is None:
        return None

    def json_line(line: str) -> bool:
        return low_json_line(line, min_level=config.min_level)

    return FastLane(pattern, json_line)


def _assembled(
    items: Iterable[LogEvent | LogBatch], config: Config, lane: bool
) -> tuple[list[LogRecord], int]:
    fast_lane = _lane(config) if lane else None
    records = list(assemble(items, config.assembly, fast_lane=fast_lane))
    return records, fast_lane.count if fast_lane is not None else 0


def _assert_same_records(
    events: Sequence[LogEvent], batches: Sequence[LogBatch], config: Config
) -> list[LogRecord]:
    """Batches and single events give the same records and lane count, lane on and off."""
    for lane in (True, False):
        one_by_one = _assembled(events, config, lane)
        batched = _assembled(batches, config, lane)
        assert batched == one_by_one
    return one_by_one[0]


def _run(items: Iterable[Item], config: Config) -> tuple[list[Fingerprinted], dict[str, object]]:
    report = RunReport()
    found = list(errors(iter(items), config, report))
    return found, report.as_dict()


def _corpus_events() -> Iterator[dict[str, object]]:
    with gzip.open(CORPUS, "rt") as lines:
        for line in lines:
            yield json.loads(line)


def _fixture_lines() -> Iterator[list[str]]:
    for _path, text in fixture_texts():
        yield text.rstrip("\n").split("\n")


def _fixture_events(rng: random.Random, jitter_ms: int) -> list[LogEvent]:
    """Every fixture trace, one event per line, between INFO lines, over three streams."""
    events: list[LogEvent] = []
    clocks = {f"ecs/order/{n}": START for n in range(3)}
    for index, lines in enumerate(_fixture_lines()):
        stream = f"ecs/order/{index % 3}"
        around = [rng.choice(VOCABULARY[:4]) for _ in range(rng.randint(0, 4))]
        for message in (*around, *lines, *around[:1]):
            clocks[stream] += rng.randint(0, 3)
            timestamp = clocks[stream] - rng.randint(0, jitter_ms)
            events.append(_event(stream, len(events), timestamp, message, f"item-{index // 4}"))
    return events


@st.composite
def _streams(draw: st.DrawFn) -> tuple[list[LogEvent], list[int], Config]:
    """Events of up to three streams drawn from VOCABULARY, cut points, and small limits."""
    size = draw(st.integers(1, 60))
    clock = START
    events = []
    for number in range(size):
        clock += draw(st.integers(-3, 4))
        stream = f"s{draw(st.integers(0, 2))}"
        line = VOCABULARY[draw(st.integers(0, len(VOCABULARY) - 1))]
        events.append(_event(stream, number, clock, line))
    cuts = draw(st.lists(st.integers(0, size), max_size=8))
    limits = AssemblyLimits(
        reorder_window_ms=draw(st.sampled_from([0, 2, 2_000])),
        max_lines=draw(st.sampled_from([3, 2_000])),
        max_age_ms=3,
    )
    level = draw(st.sampled_from(["info", "warning", "error"]))
    return events, cuts, replace(Config(), min_level=level, assembly=limits)


class TestDecodeBatches:
    def test_batch_holds_the_payload_events(self) -> None:
        """A well-formed payload decodes to one batch whose events equal the per-event decoding."""
        payload = encode_payload("g", "s", [("1", 5, "a"), ("2", 6, "b\nc")])
        one_by_one = list(from_lambda_event(lambda_event(payload)))
        (batch,) = from_lambda_event(lambda_event(payload), batched=True)
        assert isinstance(batch, LogBatch)
        assert len(batch) == 2
        assert [batch.event(index) for index in range(len(batch))] == one_by_one

    @pytest.mark.parametrize(
        "bad",
        [
            {"id": 3, "timestamp": 7, "message": "x"},
            {"id": "3", "timestamp": True, "message": "x"},
            {"id": "3", "timestamp": 7.5, "message": "x"},
            {"id": "3", "timestamp": 7},
            {"id": "3", "timestamp": 7, "message": None},
            ["3", 7, "x"],
            "x",
            None,
        ],
    )
    def test_a_bad_event_falls_back_to_events(self, bad: object) -> None:
        """One malformed event: the payload decodes event by event, the problem names it."""
        document = {
            "messageType": "DATA_MESSAGE",
            "owner": "1",
            "logGroup": "g",
            "logStream": "s",
            "logEvents": [{"id": "1", "timestamp": 5, "message": "a"}, bad],
        }
        raw = gzip.compress(json.dumps(document).encode())
        batched = list(from_lambda_event(lambda_event(raw), batched=True))
        assert batched == list(from_lambda_event(lambda_event(raw)))
        assert "logEvents[1]" in batched[1].source

    def test_empty_payload_yields_nothing(self) -> None:
        """A payload with no events gives no batch (and no problem), as per event."""
        payload = encode_payload("g", "s", [])
        assert list(from_lambda_event(lambda_event(payload), batched=True)) == []


class TestBatchedAssembly:
    def test_evaluation_corpus(self) -> None:
        """The evaluation corpus as the Lambda decodes it: same errors and report both ways."""
        config = Config()
        events = [item for raw in _corpus_events() for item in from_lambda_event(raw)]
        batches = [
            item for raw in _corpus_events() for item in from_lambda_event(raw, batched=True)
        ]
        assert any(isinstance(item, LogBatch) for item in batches)
        found, report = _run(events, config)
        assert _run(batches, config) == (found, report)
        assert len(found) > 100

    @pytest.mark.parametrize("jitter_ms", [0, 3])
    @pytest.mark.parametrize(
        "limits",
        [
            AssemblyLimits(),
            AssemblyLimits(reorder_window_ms=0),
            AssemblyLimits(max_lines=7, max_chars=400, max_age_ms=2),
            AssemblyLimits(max_open_streams=1),
        ],
    )
    def test_fixtures_between_info_lines(self, limits: AssemblyLimits, jitter_ms: int) -> None:
        """Every fixture trace, in payloads of up to 60 events, in order or late: same records."""
        rng = random.Random(jitter_ms)
        events = _fixture_events(rng, jitter_ms)
        cuts = list(range(0, len(events), 37)) + [rng.randrange(len(events)) for _ in range(50)]
        config = replace(Config(), assembly=limits)
        records = _assert_same_records(events, _batches(events, cuts), config)
        assert len(records) > 50

    @settings(max_examples=300, deadline=None)
    @given(case=_streams())
    def test_generated_streams(self, case: tuple[list[LogEvent], list[int], Config]) -> None:
        """Any mix of lines, times (ties, late events), streams and cuts: the same records."""
        events, cuts, config = case
        _assert_same_records(events, _batches(events, cuts), config)

    def test_mixed_batches_and_events(self) -> None:
        """Batches and single events of the same stream, interleaved: the same records."""
        rng = random.Random(5)
        events = _fixture_events(rng, 0)
        batches = _batches(events, range(0, len(events), 11))
        mixed: list[LogEvent | LogBatch] = []
        for index, batch in enumerate(batches):
            if index % 3:
                mixed.append(batch)
            else:
                mixed.extend(batch.event(number) for number in range(len(batch)))
        lane = _lane(Config())
        assert (
            list(assemble(mixed, Config().assembly, fast_lane=lane))
            == _assembled(events, Config(), lane=True)[0]
        )


class TestFastLanePattern:
    @pytest.mark.parametrize("min_level", LEVELS)
    @settings(max_examples=100, deadline=None)
    @given(data=st.data())
    def test_a_line_the_pattern_matches_is_digit_led_and_starts_an_entry(
        self, min_level: str, data: st.DataObject
    ) -> None:
        """FastLane's precondition holds for parse's pattern: its scan leaves the checks out."""
        pattern = low_text_line(min_level)
        if pattern is None:
            return
        head = data.draw(st.from_regex(rf"\A(?:{pattern.pattern})", fullmatch=False))
        line = head + data.draw(st.text(max_size=20))
        assume(pattern.match(line) is not None)  # the text may undo a match ending at $
        assert line[:1].isdigit()
        assert classify(line) is LineKind.START


class TestFastLaneScan:
    def test_scan_finds_exactly_the_lines_that_are_not_plain(self) -> None:
        """scan() returns the indices whose message plain() says no to, and nothing else."""
        lane = _lane(Config())
        assert lane is not None
        too_long = "2026-11-24 10:00:00.123 INFO " + "x" * 200
        messages = [*VOCABULARY, "2026-11-24 10:00:00.123 INFO x\n\n", "1" * 10, too_long]
        limits = AssemblyLimits(max_chars=200)
        expected = [
            index for index, message in enumerate(messages) if not lane.plain(message, limits)
        ]
        assert lane.scan(messages, limits) == expected
        assert 0 not in expected
        assert len(messages) - 1 in expected
        assert messages.index("2026-11-24 10:00:00.131 INFO [main] c.s.Order - done\n") not in (
            expected
        )
        assert messages.index('{"level":"info","msg":"placed"}') not in expected

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(VOCABULARY) | st.text(max_size=40), max_size=30))
    def test_scan_agrees_with_plain(self, messages: list[str]) -> None:
        """For any messages, scan() and the per-message check agree (the scan only goes faster)."""
        lane = _lane(Config(min_level="warning"))
        assert lane is not None
        limits = AssemblyLimits(max_chars=50)
        expected = [
            index for index, message in enumerate(messages) if not lane.plain(message, limits)
        ]
        assert lane.scan(messages, limits) == expected

    @pytest.mark.parametrize("max_chars", [1, 40, 70])
    def test_scan_under_tiny_limits(self, max_chars: int) -> None:
        """Limits smaller than some lines: scan() still agrees with plain()."""
        lane = _lane(Config())
        assert lane is not None
        limits = AssemblyLimits(max_chars=max_chars)
        messages = list(VOCABULARY)
        expected = [
            index for index, message in enumerate(messages) if not lane.plain(message, limits)
        ]
        assert lane.scan(messages, limits) == expected
        assert (0 in expected) == (len(messages[0]) > max_chars)
