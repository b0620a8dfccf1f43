"""Tests for logship.deliver: acting on outcomes and keeping the counts whole."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from lambda_payloads import kinesis_event, sequence_number, traces_payloads

from logship.config import Config, parse_config
from logship.decode import from_lambda_event
from logship.deliver import deliver
from logship.event import EventSettings, build_event
from logship.pipeline import RunReport, run
from logship.records import (
    NO_ANNOTATION,
    Annotation,
    DeliveryResult,
    Fingerprinted,
    Outcome,
    PublishResult,
    RouteEntry,
    RouteFailure,
)
from logship.route import MemoryPublisher, RouteCollector
from logship.sink import MemorySink


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
            item: Fingerprinted,
            settings: EventSettings,
            extra: Mapping[str, object] | None = None,
            *,
            annotation: Annotation = NO_ANNOTATION,
        ) -> dict[str, Any]:
            if item.error.exception_type == "KeyError":
                raise ValueError("cannot build this one")
            return dict(build_event(item, settings, extra, annotation=annotation))

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


ROUTES_CONFIG = """
[tags]
team = "platform"

[[annotate]]
name = "orders-owner"
service = "orders"
team = "checkout"
severity = "high"
runbook = "https://wiki.example.com/runbooks/{{ service }}/{{ root_cause }}"

[[route]]
name = "key-errors"
root_cause = "KeyError"
eventbridge_bus = "default"
"""


def routed_outcomes(report: RunReport, streams: int = 3) -> Iterator[Outcome]:
    """The KeyError trace in ``streams`` streams (one Kinesis record each), with route rules."""
    event = kinesis_event(traces_payloads(["key_error"] * streams + ["json_decode"]))
    return run(from_lambda_event(event), parse_config(ROUTES_CONFIG, source="t.toml"), report)


class RefusingPublisher:
    """Refuses every entry for good, as EventBridge does a bus the role may not use."""

    def publish(
        self, entries: Sequence[RouteEntry], *, deadline: float | None = None
    ) -> PublishResult:
        failed = tuple(
            RouteFailure(e.logship_id, e.rule, "AccessDeniedException", e.batch_items, e.errors)
            for e in entries
        )
        return PublishResult(failed=failed, calls=1)


class BrokenPublisher:
    """A publisher with a bug: it raises."""

    def publish(
        self, entries: Sequence[RouteEntry], *, deadline: float | None = None
    ) -> PublishResult:
        raise RuntimeError("bug")


class TestDeliverRoutes:
    def run(
        self, publisher: Any, *, cap: int | None = None
    ) -> tuple[RunReport, MemorySink, Any, RouteCollector]:
        report, sink = RunReport(), MemorySink()
        config = parse_config(ROUTES_CONFIG, source="t.toml")
        collector = RouteCollector(config, environment="test")
        delivery = deliver(
            routed_outcomes(report),
            sink=sink,
            settings=EventSettings.from_config(config),
            report=report,
            budget=lambda: 5.0,
            max_per_fingerprint=cap,
            routes=collector,
            publisher=publisher,
        )
        assert_adds_up(report)  # routing is an output, not an error bucket
        return report, sink, delivery, collector

    def test_one_event_per_fingerprint_counting_what_flood_control_suppressed(self) -> None:
        """Three KeyErrors, capped at one Sentry event: one route event with count 3."""
        publisher = MemoryPublisher()
        report, sink, delivery, _ = self.run(publisher, cap=1)
        assert delivery.ok
        assert (report.shipped, report.suppressed) == (2, 2)
        assert (report.routed, report.route_failed, report.route_hits["key-errors"]) == (1, 0, 3)
        (entry,) = publisher.entries
        detail = json.loads(entry.detail)
        assert detail["count"] == 3
        assert (detail["team"], detail["severity"]) == ("checkout", "high")
        # The detail names the Sentry event of the first KeyError, as the sink got it.
        first_key_error = next(e for e in sink.events if e["tags"]["root_cause"] == "KeyError")
        assert detail["sentry_event_id"] == first_key_error["event_id"]
        assert set(entry.batch_items) == {sequence_number(i) for i in range(3)}

    def test_the_annotation_reaches_the_sentry_event(self) -> None:
        """Every event gets the rule's team over [tags], its severity and the runbook."""
        _, sink, _, _ = self.run(MemoryPublisher())
        for event in sink.events:
            assert (event["tags"]["team"], event["tags"]["severity"]) == ("checkout", "high")
            assert event["contexts"]["runbook"]["rule"] == "orders-owner"
            assert event["contexts"]["runbook"]["url"].startswith(
                "https://wiki.example.com/runbooks/orders/"
            )

    def test_a_refused_event_fails_its_batch_items(self) -> None:
        """A route event that did not go fails the delivery and hands back its records."""
        report, _, delivery, _ = self.run(RefusingPublisher())
        assert not delivery.ok
        assert (report.routed, report.route_failed) == (0, 1)
        assert (report.failed, report.shipped) == (0, 4)  # Sentry got everything
        assert delivery.failed_batch_items == {sequence_number(i) for i in range(3)}
        assert delivery.route_failed == 1
        assert "AccessDeniedException" in delivery.first_failure()

    def test_a_publisher_that_raises_fails_its_events_not_the_run(self) -> None:
        """A bug in the publisher is a counted failure, not an exception."""
        report, _, delivery, _ = self.run(BrokenPublisher())
        assert (report.routed, report.route_failed) == (0, 1)
        assert not delivery.ok
        assert "RuntimeError: bug" in delivery.route_failures[0].reason

    def test_without_a_publisher_the_events_are_only_collected(self) -> None:
        """A dry run: nothing published, the collector counts per rule."""
        report, _, delivery, collector = self.run(None)
        assert delivery.ok
        assert (report.routed, report.route_failed) == (0, 0)
        assert collector.counts() == {"key-errors": 1}
