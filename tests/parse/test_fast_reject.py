"""Tests for parse_record's fast rejection of low-level records (logship.parse).

The fast path must change nothing but speed: every record gets the same result with it
as without it. Compared here over every line the repository holds (the evaluation
corpus, the trace fixtures), and over generated lines built from the layouts' own
fragments. The benchmark corpus is compared in ``bench/tests/test_bench.py``.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trace_fixtures import fixture_texts

import logship.parse
from logship.config import Config
from logship.parse import parse_record
from logship.parse.line import LEVEL_NAMES, LEVELS
from logship.records import LogRecord, ParsedError

TESTS = Path(__file__).parent.parent
CORPUS = TESTS / "corpus" / "data" / "subscription-events.jsonl.gz"
CONFIGS = tuple(Config(min_level=level) for level in LEVELS)


def _record(lines: tuple[str, ...]) -> LogRecord:
    return LogRecord(
        log_group="/ecs/order-service",
        log_stream="ecs/order/1",
        owner="123456789012",
        region="eu-west-1",
        timestamp=1_700_000_000_000,
        event_ids=("1",),
        lines=lines,
    )


def _both(record: LogRecord, config: Config) -> tuple[ParsedError | None, ParsedError | None]:
    """parse_record without, then with, the fast path."""
    return parse_record(record, config, fast_reject=False), parse_record(record, config)


def _corpus_messages() -> Iterator[str]:
    with gzip.open(CORPUS, "rt") as lines:
        for line in lines:
            data = json.loads(line)["awslogs"]["data"]
            document = json.loads(zlib.decompress(base64.b64decode(data), 16 + zlib.MAX_WBITS))
            for event in document["logEvents"]:
                yield event["message"]


def _fixture_lines() -> Iterator[str]:
    for _path, text in fixture_texts():
        yield from text.split("\n")


def _mismatches(records: Iterator[LogRecord]) -> list[tuple[str, str]]:
    found = []
    for record in records:
        for config in CONFIGS:
            slow, fast = _both(record, config)
            if slow != fast:
                found.append((config.min_level, record.text[:200]))
    return found


class TestFastReject:
    def test_corpus_lines_give_the_same_result(self) -> None:
        """Every line of the evaluation corpus, as a one-line record: same result both ways."""
        lines = {line for message in _corpus_messages() for line in message.split("\n")}
        assert len(lines) > 1000
        assert _mismatches(_record((line,)) for line in sorted(lines)) == []

    def test_fixture_lines_give_the_same_result(self) -> None:
        """Every line of every trace fixture, as a one-line record: same result both ways."""
        lines = set(_fixture_lines())
        assert len(lines) > 1000
        assert _mismatches(_record((line,)) for line in sorted(lines)) == []

    @pytest.mark.parametrize(
        "line",
        [
            "2024-05-01 12:00:00,123 INFO [main] c.s.Order - placed",
            "12:00:00.123 [http-nio-8080-exec-1] DEBUG c.s.Order - placed",
            "2024-05-01T12:00:00.123Z  INFO 1 --- [order] [main] c.s.Order : placed",
            '{"level":30,"time":1700000000000,"msg":"placed"}',
            '{"timestamp": "2024-05-01T12:00:00Z", "level": "info", "event": "placed"}',
        ],
    )
    def test_common_info_lines_are_rejected_early(self, line: str) -> None:
        """The common INFO shapes never reach the full parse (it would reject them too)."""
        assert logship.parse.below_minimum(_record((line,)), "error")
        assert _both(_record((line,)), Config()) == (None, None)

    @pytest.mark.parametrize(
        "lines",
        [
            ("12:00:00.123 [ERROR x] INFO c.s.Order",),  # the generic layout reads ERROR
            ("2024-05-01T12:00:00.000Z\treq-1\tERROR\tboom",),  # Lambda Node: tab-separated
            ("2024-05-01 12:00:00 - app - INFO - ok",),  # Python dashes: the full parse's job
            ("2024-05-01 12:00:00 INFO-x",),  # no layout reads a level here
            ('{"level":"error","msg":"boom"}',),
        ],
    )
    def test_ambiguous_records_take_the_full_path(self, lines: tuple[str, ...]) -> None:
        """Records the fast pattern cannot vouch for are left to the full parse."""
        assert not logship.parse.below_minimum(_record(lines), "error")

    def test_multi_line_record_is_rejected_by_its_first_line(self) -> None:
        """A text record's level is its first line's: a trace below an INFO line changes nothing."""
        lines = ("2024-05-01 12:00:00 INFO retrying", "java.lang.IllegalStateException: x")
        assert logship.parse.below_minimum(_record(lines), "error")
        assert _both(_record(lines), Config()) == (None, None)

    def test_warning_passes_when_the_minimum_is_warning(self) -> None:
        """The rejected levels follow config.min_level."""
        line = "2024-05-01 12:00:00,123 WARN [main] c.s.Order - slow"
        assert logship.parse.below_minimum(_record((line,)), "error")
        assert not logship.parse.below_minimum(_record((line,)), "warning")
        assert not logship.parse.below_minimum(_record((line,)), "trace")


_STAMPS = st.sampled_from(
    [
        "2024-05-01 12:00:00,123",
        "2024-05-01T12:00:00.123Z",
        "2024-05-01T12:00:00+02:00",
        "2024-05-01 12:00:00 UTC",
        "12:00:00.123",
        "2024/05/01 12:00:00",
    ]
)
_WORDS = st.sampled_from([*LEVEL_NAMES, "main", "app", "x", "ERROR x", "info:", "", "req-1"])
_SEPARATORS = st.sampled_from([" ", "  ", "\t", " - ", "|", ""])
_TAILS = st.sampled_from(
    ["", " msg", ": msg", "-x", "\tx", " - x", ".ERROR x", " c.s.Order - m", "] x", " [x] l : m"]
)


@st.composite
def _lines(draw: st.DrawFn) -> str:
    """A line of stamp, separator, maybe a bracket, a word in either case, and a tail."""
    head = draw(_STAMPS) + draw(_SEPARATORS)
    bracket = draw(st.one_of(st.none(), _WORDS))
    if bracket is not None:
        head += f"[{bracket}]" + draw(_SEPARATORS)
    word = draw(_WORDS)
    return head + (word.lower() if draw(st.booleans()) else word) + draw(_TAILS)


# Lines that may follow a record's first line: trace lines of several runtimes,
# a second log line, and lines a JSON or text layout could mistake for a start.
_FOLLOWING = st.sampled_from(
    [
        "java.lang.IllegalStateException: order 42",
        "\tat com.shop.Order.place(Order.java:42)",
        "Traceback (most recent call last):",
        '  File "/app/x.py", line 3, in <module>',
        "ValueError: bad",
        "panic: boom",
        "goroutine 1 [running]:",
        "    at place (/app/order.js:4:11)",
        '{"level":"error","msg":"boom"}',
        "2024-05-01 12:00:00,123 ERROR [main] c.s.Order - failed",
        "",
    ]
)


class TestFastRejectGenerated:
    @settings(max_examples=500, deadline=None)
    @given(line=_lines(), config=st.sampled_from(CONFIGS))
    def test_generated_lines_give_the_same_result(self, line: str, config: Config) -> None:
        """Lines built from the layouts' fragments: same result with and without the fast path."""
        slow, fast = _both(_record((line,)), config)
        assert slow == fast

    @settings(max_examples=300, deadline=None)
    @given(
        line=_lines(),
        following=st.lists(_FOLLOWING, min_size=1, max_size=4),
        config=st.sampled_from(CONFIGS),
    )
    def test_generated_multi_line_records_give_the_same_result(
        self, line: str, following: list[str], config: Config
    ) -> None:
        """A generated first line with trace or log lines after it: same result both ways."""
        slow, fast = _both(_record((line, *following)), config)
        assert slow == fast
