"""Tests for the assembler's fast lane for one-line low-level entries (logship.assemble, pipeline).

The fast lane must change nothing but speed: through ``pipeline.errors`` the same errors
come out (fingerprints, records, event ids) and the run report is identical, with the
lane off and on. Compared here over the evaluation corpus, every trace fixture
interleaved with INFO and WARN lines, and generated shuffles under small limits (reorder
window, max lines, LRU). (The benchmark corpus: ``bench/tests/test_bench.py``.)
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from trace_fixtures import TRACES, fixture_texts

from logship.assemble import FastLane, assemble
from logship.config import AssemblyLimits, Config
from logship.decode import from_lambda_event
from logship.parse import low_text_line
from logship.parse.line import LEVELS
from logship.pipeline import Item, RunReport, errors
from logship.records import Fingerprinted, LogEvent

TESTS = Path(__file__).parent
CORPUS = TESTS / "corpus" / "data" / "subscription-events.jsonl.gz"
START = 1_700_000_000_000

# Lines around the traces: plain INFO (the lane takes them), a WARN line (a
# trace opener joins it), INFO lines whose thread or message holds a level word
# (the assembler's level scan and the parse stage's must not be confused).
NEIGHBOURS = (
    "2026-11-24 10:00:00.123 INFO [main] c.s.Order - placed order 1234",
    "2026-11-24 10:00:00.124 [http-nio-8080-exec-1] INFO c.s.Order - paid",
    "2026-11-24T10:00:00.125Z  INFO 1 --- [error-handler] c.s.Retry : retrying",
    "2026-11-24 10:00:00,126 INFO order_service: error budget fine",
    "2026-11-24 10:00:00.127 WARN [main] c.s.Order - slow payment",
    "2026-11-24 10:00:00.128 DEBUG [main] c.s.Order - cache hit",
    "12:00:00.129 [main] INFO c.s.Order - shipped",
    '{"level":"info","msg":"placed"}',
    "",
)


Result = tuple[list[Fingerprinted], dict[str, object]]


def _run(items: list[Item], config: Config, *, fast_lane: bool) -> Result:
    report = RunReport()
    found = list(errors(iter(items), config, report, fast_lane=fast_lane))
    return found, report.as_dict()


def _both(items: Iterable[Item], config: Config) -> tuple[Result, Result]:
    """errors() with the fast lane off, then on, on the same items."""
    materialised = list(items)
    return _run(materialised, config, fast_lane=False), _run(materialised, config, fast_lane=True)


def _assert_same(items: list[Item], config: Config) -> tuple[list[Fingerprinted], int]:
    """Identical errors and reports both ways; the errors and how many lines the lane took."""
    (slow_errors, slow_report), (fast_errors, fast_report) = _both(items, config)
    assert fast_report == slow_report
    assert [e.fingerprint for e in fast_errors] == [e.fingerprint for e in slow_errors]
    assert [e.error.record.event_ids for e in fast_errors] == [
        e.error.record.event_ids for e in slow_errors
    ]
    assert fast_errors == slow_errors
    return fast_errors, _taken(items, config)


def _taken(items: list[Item], config: Config) -> int:
    pattern = low_text_line(config.min_level)
    if pattern is None:
        return 0
    lane = FastLane(pattern)
    events = [item for item in items if isinstance(item, LogEvent)]
    for _record in assemble(events, config.assembly, fast_lane=lane):
        pass
    return lane.count


def _corpus_items() -> Iterator[Item]:
    with gzip.open(CORPUS, "rt") as lines:
        for line in lines:
            yield from from_lambda_event(json.loads(line))


def _fixture_texts() -> Iterator[tuple[str, list[str]]]:
    for path, text in fixture_texts():
        yield str(path.relative_to(TRACES)), text.rstrip("\n").split("\n")


def _event(stream: str, number: int, timestamp: int, message: str) -> LogEvent:
    return LogEvent(
        log_group="/ecs/order-service",
        log_stream=stream,
        event_id=f"{stream}-{number}",
        timestamp=timestamp,
        message=message,
        owner="123456789012",
        region="eu-west-1",
    )


def _interleaved(rng: random.Random, jitter_ms: int) -> list[Item]:
    """Every fixture trace, one event per line, between neighbour lines, over three streams."""
    items: list[Item] = []
    clocks = {f"ecs/order/{n}": START for n in range(3)}
    for index, (_name, lines) in enumerate(_fixture_texts()):
        stream = f"ecs/order/{index % 3}"
        before = [rng.choice(NEIGHBOURS) for _ in range(rng.randint(0, 3))]
        after = [rng.choice(NEIGHBOURS) for _ in range(rng.randint(0, 3))]
        for message in (*before, *lines, *after):
            clocks[stream] += rng.randint(0, 3)
            timestamp = clocks[stream] - rng.randint(0, jitter_ms)
            items.append(_event(stream, len(items), timestamp, message))
    return items


class TestFastLane:
    @pytest.mark.parametrize("level", LEVELS)
    def test_evaluation_corpus(self, level: str) -> None:
        """The evaluation corpus at every min_level: same errors and report both ways."""
        items = list(_corpus_items())
        found, taken = _assert_same(items, Config(min_level=level))
        if level == "error":
            assert found
            assert taken > 1000

    @pytest.mark.parametrize("seed", range(3))
    def test_fixtures_between_info_lines(self, seed: int) -> None:
        """Every trace fixture between INFO/WARN lines, slightly out of order: same both ways."""
        items = _interleaved(random.Random(seed), jitter_ms=seed * 5)
        found, taken = _assert_same(items, Config())
        assert len(found) > 50
        assert taken > 50

    @pytest.mark.parametrize(
        "limits",
        [
            AssemblyLimits(reorder_window_ms=0),
            AssemblyLimits(max_lines=7, max_chars=400, max_age_ms=2),
            AssemblyLimits(max_open_streams=1),
        ],
    )
    def test_fixtures_under_small_limits(self, limits: AssemblyLimits) -> None:
        """Small windows, cut entries, LRU flushes between streams: same both ways."""
        items = _interleaved(random.Random(11), jitter_ms=4)
        for level in ("info", "warning", "error"):
            _assert_same(items, replace(Config(), min_level=level, assembly=limits))

    def test_held_line_is_counted_at_the_end(self) -> None:
        """A last INFO line still held when the input ends is counted as a record."""
        items: list[Item] = [_event("s", 0, START, NEIGHBOURS[0])]
        (_, slow), (_, fast) = _both(items, Config())
        assert fast == slow
        assert fast["records"] == 1
        assert fast["events_not_errors"] == 1

    def test_trace_opener_after_a_held_line(self) -> None:
        """A Java header joins an INFO line whose thread says 'error': the held line is built."""
        info = "2026-11-24 10:00:00.123 [main-error] INFO c.s.Order - placed"
        lines = (info, "java.lang.IllegalStateException: boom", "\tat a.B.c(B.java:1)", info)
        items: list[Item] = [_event("s", n, START + n, line) for n, line in enumerate(lines)]
        pattern = low_text_line("error")
        assert pattern is not None
        assert FastLane(pattern).takes(info)
        (_, slow), (_, fast) = _both(items, Config())
        assert fast == slow
        assert (fast["records"], fast["events_not_errors"]) == (2, 4)
        assert _taken(items, Config()) == 1  # only the last line; the first was joined


class TestLowTextLine:
    def test_pattern_follows_min_level(self) -> None:
        """The lane's pattern takes INFO below error and nothing below the lowest level."""
        line = NEIGHBOURS[0]
        pattern = low_text_line("error")
        assert pattern is not None
        assert FastLane(pattern).takes(line)
        assert low_text_line(LEVELS[0]) is None
