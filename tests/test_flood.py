"""Tests for logship.flood: at most N events per fingerprint, the rest counted on the last."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lambda_payloads import kinesis_event, traces_payloads

from logship.config import Config
from logship.decode import from_lambda_event
from logship.deliver import deliver
from logship.event import EventSettings
from logship.flood import SUPPRESSED_KEY, FloodControl, suppressed_extra
from logship.pipeline import RunReport, run
from logship.records import Fingerprinted, LogRecord, Outcome, ParsedError, Release
from logship.sink import MemorySink


def outcome(key: str, n: int = 0, *, ignored: bool = False) -> Outcome:
    record = LogRecord("/ecs/x", "s", "", "", 1, (f"{key}-{n}",), (f"ERROR {key}",))
    error = ParsedError(record=record, service="x", level="error", message=key)
    item = Fingerprinted(error=error, fingerprint=("x", key), title=key, message_template=key)
    return Outcome(item, ignored_by="rule" if ignored else "", reason="r" if ignored else "")


def run_through(flood: FloodControl, outcomes: list[Outcome]) -> list[Release]:
    released = [r for o in outcomes for r in flood.admit(o)]
    return released + flood.drain()


def same_trace(report: RunReport, streams: int) -> Iterator[Outcome]:
    """One real traceback logged in ``streams`` streams: one fingerprint, distinct event ids."""
    event = kinesis_event(traces_payloads(["key_error"] * streams))
    return run(from_lambda_event(event), Config(), report)


class TestFloodControl:
    def test_first_ones_pass_at_once(self) -> None:
        """Below the limit every outcome passes through as it comes, with no count."""
        flood = FloodControl(3, RunReport())
        assert flood.admit(outcome("a", 1)) == [Release(outcome("a", 1))]
        assert flood.admit(outcome("a", 2)) == [Release(outcome("a", 2))]
        assert flood.held == 0

    def test_nth_held_rest_counted_released_with_count(self) -> None:
        """The N-th is held, the rest are suppressed, and drain releases the N-th with the count."""
        report = RunReport()
        flood = FloodControl(3, report)
        released = run_through(flood, [outcome("a", i) for i in range(10)])
        assert [r.outcome.item.error.record.event_ids[0] for r in released] == [
            "a-0",
            "a-1",
            "a-2",
        ]
        assert [r.suppressed for r in released] == [0, 0, 7]
        assert suppressed_extra(released[-1]) == {SUPPRESSED_KEY: 7}
        assert report.suppressed == 7
        assert flood.suppressed_for(("x", "a")) == 7

    def test_exactly_the_limit_sends_all_without_count(self) -> None:
        """N errors of a fingerprint: all N sent, none suppressed, no count on any."""
        report = RunReport()
        released = run_through(FloodControl(3, report), [outcome("a", i) for i in range(3)])
        assert len(released) == 3
        assert all(suppressed_extra(r) == {} for r in released)
        assert report.suppressed == 0

    def test_limit_of_one(self) -> None:
        """With a limit of 1 the first is held to the end and carries the whole count."""
        report = RunReport()
        released = run_through(FloodControl(1, report), [outcome("a", i) for i in range(5)])
        assert [(r.outcome.item.error.record.event_ids[0], r.suppressed) for r in released] == [
            ("a-0", 4)
        ]

    def test_fingerprints_counted_apart(self) -> None:
        """Each fingerprint has its own limit and its own count."""
        report = RunReport()
        mixed = [outcome(k, i) for i in range(6) for k in ("a", "b")] + [outcome("c")]
        released = run_through(FloodControl(2, report), mixed)
        sent = Counter(r.outcome.item.fingerprint[1] for r in released)
        assert sent == {"a": 2, "b": 2, "c": 1}
        counts = {r.outcome.item.fingerprint[1]: r.suppressed for r in released if r.suppressed}
        assert counts == {"a": 4, "b": 4}
        assert report.suppressed == 8

    def test_ignored_pass_through_uncounted(self) -> None:
        """Ignored outcomes pass through and never use up a fingerprint's quota."""
        flood = FloodControl(1, RunReport())
        assert flood.admit(outcome("a", 0, ignored=True)) == [
            Release(outcome("a", 0, ignored=True))
        ]
        assert flood.admit(outcome("a", 1)) == []  # the first shipped one is held: limit 1
        assert flood.drain() == [Release(outcome("a", 1))]

    def test_no_limit(self) -> None:
        """``None`` lets everything through."""
        released = run_through(FloodControl(None, RunReport()), [outcome("a", i) for i in range(5)])
        assert len(released) == 5

    @pytest.mark.parametrize("limit", [0, -1])
    def test_bad_limit(self, limit: int) -> None:
        """A limit below 1 is a programming error."""
        with pytest.raises(ValueError, match="at least 1"):
            FloodControl(limit, RunReport())

    @given(
        st.lists(st.tuples(st.sampled_from("abcd"), st.booleans()), max_size=200),
        st.integers(min_value=1, max_value=6),
    )
    @settings(max_examples=200, deadline=None)
    def test_nothing_lost(self, stream: list[tuple[str, bool]], limit: int) -> None:
        """Every outcome is released or suppressed, at most ``limit`` per fingerprint are
        released, and the counts on the releases add up to the suppressed total."""
        report = RunReport()
        outcomes = [outcome(k, i, ignored=ig) for i, (k, ig) in enumerate(stream)]
        released = run_through(FloodControl(limit, report), outcomes)
        shipped = [r for r in released if not r.outcome.ignored_by]
        assert len(released) + report.suppressed == len(outcomes)
        per_key = Counter(r.outcome.item.fingerprint for r in shipped)
        assert all(n <= limit for n in per_key.values())
        assert sum(r.suppressed for r in released) == report.suppressed
        # The count rides on the last one released for its fingerprint.
        for key in per_key:
            mine = [r for r in shipped if r.outcome.item.fingerprint == key]
            assert all(r.suppressed == 0 for r in mine[:-1])


class TestDeliverWithFloodControl:
    @pytest.mark.parametrize("cap", [1, 2, 5])
    def test_real_trace_flood(self, cap: int) -> None:
        """One real traceback in 12 streams: ``cap`` events sent, the last carries the count."""
        report, sink = RunReport(), MemorySink()
        delivery = deliver(
            same_trace(report, 12),
            sink=sink,
            settings=EventSettings(),
            report=report,
            budget=lambda: 5.0,
            max_per_fingerprint=cap,
        )
        assert delivery.ok
        assert report.shipped == len(sink.events) == cap
        assert report.suppressed == 12 - cap
        counts = [e["extra"].get(SUPPRESSED_KEY) for e in sink.events]
        assert counts == [None] * (cap - 1) + [12 - cap]
        assert report.errors == report.shipped + report.ignored + report.suppressed + report.failed
