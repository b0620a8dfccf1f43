"""Tests for logship.deliver: acting on outcomes and keeping the counts whole."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from lambda_payloads import kinesis_event, sequence_number, traces_payloads

from logship.config import Config
from logship.decode import from_lambda_event
from logship.deliver import deliver
from logship.event import EventSettings, build_event
from logship.pipeline import Outcome, RunReport, run
from logship.records import Fingerprinted
from logship.sink import DeliveryResult, MemorySink


def outcomes(report: RunReport) -> Iterator[Outcome]:
    """The pipeline's outcomes for four real tracebacks, each in its own Kinesis record."""
    event = kinesis_event(traces_payloads())
    return run(from_lambda_event(event), Config(), report)


def same_trace(report: RunReport, streams: int) -> Iterator[Outcome]:
    """One traceback logged in ``streams`` streams: one fingerprint, distinct event ids."""
    event = kinesis_event(traces_payloads(["key_error"] * streams))
    return run(from_lambda_event(event), Config(), report)


def assert_adds_up(report: RunReport) -> None:
    assert report.errors == report.shipped + report.ignored + report.suppressed + report.failed


class ForgetfulSink(MemorySink):
    """A sink that reports nothing about what it was given."""

    def flush(self, deadline_s: float) -> DeliveryResult:
        super().flush(deadline_s)
        return DeliveryResult()


class TestDeliver:
    def test_flushes_in_batches(self) -> None:
        """With flush_every=2 four events take two flushes; progress sees every error."""
        report, sink, seen = RunReport(), MemorySink(), []
        delivery = deliver(
            outcomes(report),
            sink=sink,
            settings=EventSettings(),
            report=report,
            budget=lambda: 5.0,
            flush_every=2,
            progress=lambda r: seen.append(r.errors),
        )
        assert delivery.ok
        assert sink.flushes == 2
        assert report.shipped == 4
        assert seen[-1] == 4
        assert_adds_up(report)

    def test_build_failure_is_a_counted_failure(self) -> None:
        """An event that cannot be built fails alone, naming its stream; its record is reported."""

        def picky(
            item: Fingerprinted, settings: EventSettings, extra: Mapping[str, object]
        ) -> dict[str, Any]:
            if item.error.exception_type == "KeyError":
                raise ValueError("cannot build this one")
            return dict(build_event(item, settings, extra))

        report = RunReport()
        delivery = deliver(
            outcomes(report),
            sink=MemorySink(),
            settings=EventSettings(),
            report=report,
            budget=lambda: 5.0,
            build=picky,
        )
        assert (report.shipped, report.failed) == (3, 1)
        assert delivery.failed_batch_items == {sequence_number(0)}
        assert "cannot build this one" in delivery.failures[0].reason
        assert "/ecs/orders" in delivery.failures[0].reason
        assert_adds_up(report)

    def test_repeated_log_events_send_one_event(self) -> None:
        """The same log events twice in a run are one event, counted twice as shipped."""
        report, sink = RunReport(), MemorySink()
        once = list(outcomes(report))
        report.errors *= 2  # as the pipeline counts them when a dump is given twice
        deliver(
            once + once,
            sink=sink,
            settings=EventSettings(),
            report=report,
            budget=lambda: 5.0,
        )
        assert len(sink.events) == 4
        assert report.shipped == report.errors == 8
        assert_adds_up(report)

    def test_sink_that_forgets_cannot_lose_errors(self) -> None:
        """Events a sink never reports on are counted as failed, not lost."""
        report = RunReport()
        delivery = deliver(
            outcomes(report),
            sink=ForgetfulSink(),
            settings=EventSettings(),
            report=report,
            budget=lambda: 5.0,
        )
        assert report.failed == 4
        assert len(delivery.failed_batch_items) == 4
        assert_adds_up(report)

    @pytest.mark.parametrize("cap", [1, 2])
    def test_cap_per_fingerprint(self, cap: int) -> None:
        """Beyond the cap an error is suppressed; the first ones are sent."""
        report, sink = RunReport(), MemorySink()
        deliver(
            same_trace(report, 3),
            sink=sink,
            settings=EventSettings(),
            report=report,
            budget=lambda: 5.0,
            max_per_fingerprint=cap,
        )
        assert report.suppressed == 3 - cap
        assert report.shipped == len(sink.events) == cap
        assert_adds_up(report)
