"""Acting on the pipeline's decisions: build each shipped error's event and send it.

The Lambda handler and ``logship replay --send`` both call :func:`deliver`.
The pipeline (:func:`logship.pipeline.run`) decides what to ship and counts
``ignored``; this stage counts what happened to every other error in the run's
:class:`RunReport`:

- ``suppressed``: beyond ``max_events_per_fingerprint`` of one fingerprint in this run
  (:mod:`logship.flood`; the count travels in ``extra.logship_suppressed`` of the
  last event sent for the fingerprint);
- ``shipped``: the sink confirmed delivery;
- ``failed``: the event could not be built, or the sink gave up on it.

So after a run ``errors == shipped + ignored + suppressed + failed``. Each
failure carries the batch items (Kinesis sequence numbers, Firehose record ids)
its log events came in, so the caller can ask AWS to redeliver exactly those.

Routes (``[[route]]`` rules, :mod:`logship.route`) are a second output, not an
error bucket: with a :class:`~logship.route.RouteCollector`, every shipped
error (a sampled one too) that route rules matched is collected *before* flood
control, so an event's ``count`` includes what Sentry was spared; after the
last flush the run's events (one per route rule and fingerprint) go to the
publisher. ``routed`` and ``route_failed`` count those events, so
``routed + route_failed`` is the number of (route rule, fingerprint) pairs of
the run, and the errors' identity above is unchanged. A route event that did
not go fails its batch items exactly as an undelivered Sentry event does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .event import EventSettings, build_event
from .flood import FloodControl, suppressed_extra
from .pipeline import RunReport
from .records import (
    NO_ANNOTATION,
    Annotation,
    Delivery,
    DeliveryFailure,
    DeliveryResult,
    Fingerprinted,
    Outcome,
    Release,
    RouteFailure,
)
from .sink import Sink

if TYPE_CHECKING:
    # Only a run with route rules needs the route package (imported by the caller).
    from .route import Publisher, RouteCollector

DEFAULT_FLUSH_EVERY = 100  # events held before a flush: bounds memory on a long replay
MAX_KEPT_FAILURES = 50  # the count is exact; only the list of examples is capped


class BuildEvent(Protocol):
    """:func:`~logship.event.build_event`'s signature."""

    def __call__(
        self,
        item: Fingerprinted,
        settings: EventSettings,
        extra: Mapping[str, object] | None = None,
        *,
        annotation: Annotation = NO_ANNOTATION,
    ) -> Mapping[str, Any]: ...


Budget = Callable[[], float]  # seconds the next flush (or the routes' publish) may take


@dataclass(slots=True)
class _Pending:
    """An event sent but not yet flushed; ``errors`` > 1 when a run repeats log events."""

    batch_items: set[str]
    errors: int = 1


class _Tracker:
    """Counts one run's deliveries and remembers which batch items each pending event needs."""

    def __init__(self, report: RunReport) -> None:
        self.report = report
        self.pending: dict[str, _Pending] = {}
        self.failures: list[DeliveryFailure] = []
        self.failed_batch_items: set[str] = set()
        self.failed_events = 0

    def fail(self, failure: DeliveryFailure, batch_items: Iterable[str], errors: int = 1) -> None:
        self.report.failed += errors
        self.failed_events += errors
        self.failed_batch_items.update(batch_items)
        if len(self.failures) < MAX_KEPT_FAILURES:
            self.failures.append(failure)

    def settle(self, result: DeliveryResult) -> None:
        for event_id in result.delivered:
            pending = self.pending.pop(event_id, None)
            if pending is not None:
                self.report.shipped += pending.errors
        for failure in result.failed:
            pending = self.pending.pop(failure.event_id, None)
            if pending is not None:
                self.fail(failure, pending.batch_items, pending.errors)
        # A sink that forgot an event must not make it vanish from the counts.
        for event_id, pending in self.pending.items():
            forgotten = DeliveryFailure(event_id, "the sink did not report this event")
            self.fail(forgotten, pending.batch_items, pending.errors)
        self.pending.clear()


def deliver(
    outcomes: Iterable[Outcome],
    *,
    sink: Sink,
    settings: EventSettings,
    report: RunReport,
    budget: Budget,
    max_per_fingerprint: int | None = None,
    flush_every: int = DEFAULT_FLUSH_EVERY,
    progress: Callable[[RunReport], None] | None = None,
    build: BuildEvent = build_event,
    routes: RouteCollector | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Delivery:
    """Send every shipped outcome's event to ``sink``, flushing every ``flush_every`` events.

    Ignored outcomes (already counted by the pipeline) are skipped; a sampled
    one is sent with ``extra.logship_sampled_by`` naming its ignore rule.
    ``budget()`` gives the seconds each flush may take (the Lambda's remaining
    time less a margin; a fixed timeout in the CLI). ``progress`` is called
    after each error with the report so far. ``build`` replaces
    :func:`~logship.event.build_event` (tests).

    With ``routes``, the outcomes route rules matched are collected (see the
    module); with a ``publisher`` too, the collected events are published
    after the last flush, within ``budget()`` seconds on ``clock`` (the
    publisher's own clock), and counted in ``report.routed`` and
    ``report.route_failed``. Without a publisher they stay in ``routes``
    (``routes.counts()``: what a dry run reports).
    """
    tracker = _Tracker(report)
    flood = FloodControl(max_per_fingerprint, report)

    def flush() -> None:
        if tracker.pending:
            tracker.settle(sink.flush(max(0.0, budget())))

    def ship(release: Release) -> None:
        outcome = release.outcome
        if outcome.ignored_by:
            return
        extra: dict[str, object] = suppressed_extra(release)
        record = outcome.item.error.record
        if record.stitched:
            extra["logship_stitched_events"] = record.stitched
        if record.cut:
            extra["logship_cut"] = f"cut at a payload boundary: {record.cut}"
        if outcome.sampled_by:
            extra["logship_sampled_by"] = outcome.sampled_by
        _send(
            outcome.item,
            extra,
            outcome.annotation,
            sink=sink,
            settings=settings,
            build=build,
            tracker=tracker,
        )

    for outcome in outcomes:
        # Before flood control: an event's count covers what Sentry is spared.
        if routes is not None and not outcome.ignored_by and outcome.routes:
            routes.add(outcome.item, outcome.annotation, outcome.routes)
        for release in flood.admit(outcome):
            ship(release)
        if len(tracker.pending) >= flush_every:
            flush()
        if progress is not None:
            progress(report)
    # The last event of each flooded fingerprint, with its suppressed count.
    for release in flood.drain():
        ship(release)
    flush()
    route_failures: list[RouteFailure] = []
    if routes is not None and publisher is not None:
        route_failures = _publish(routes, publisher, report, budget=budget, clock=clock)
        for failure in route_failures:
            tracker.failed_batch_items.update(failure.batch_items)
    if progress is not None:
        progress(report)
    return Delivery(
        failures=tuple(tracker.failures),
        failed_batch_items=frozenset(tracker.failed_batch_items),
        failed_events=tracker.failed_events,
        route_failures=tuple(route_failures[:MAX_KEPT_FAILURES]),
        route_failed=len(route_failures),
    )


def _publish(
    routes: RouteCollector,
    publisher: Publisher,
    report: RunReport,
    *,
    budget: Budget,
    clock: Callable[[], float],
) -> list[RouteFailure]:
    """Publish the run's route events; count them; return those that did not go."""
    entries = routes.entries()  # events that cannot be built land in routes.failures
    failures: list[RouteFailure] = list(routes.failures)
    routes.failures.clear()
    if entries:
        try:
            result = publisher.publish(entries, deadline=clock() + max(0.0, budget()))
        except Exception as exc:  # a publisher must never crash the run: its events fail
            reason = f"the publisher failed: {type(exc).__name__}: {exc}"
            failures += [
                RouteFailure(e.logship_id, e.rule, reason, e.batch_items, e.errors) for e in entries
            ]
        else:
            report.routed += result.routed
            failures += result.failed
    report.route_failed += len(failures)
    return failures


def _send(
    item: Fingerprinted,
    extra: Mapping[str, object],
    annotation: Annotation,
    *,
    sink: Sink,
    settings: EventSettings,
    build: BuildEvent,
    tracker: _Tracker,
) -> None:
    record = item.error.record
    try:
        event = build(item, settings, extra, annotation=annotation)
        event_id = str(event["event_id"])
    except Exception as exc:  # one unbuildable error must not stop the batch
        where = f"{record.log_group} {record.log_stream} {','.join(record.event_ids[:1])}"
        reason = f"could not build the event for {where}: {type(exc).__name__}: {exc}"
        tracker.fail(DeliveryFailure("", reason), record.batch_items)
        return
    pending = tracker.pending.get(event_id)
    if pending is not None:
        # The same log events twice in one run (a dump given twice, a Kinesis record
        # delivered twice): one event is enough, and it shares the first one's fate.
        pending.errors += 1
        pending.batch_items.update(record.batch_items)
        return
    tracker.pending[event_id] = _Pending(set(record.batch_items))
    sink.send(event)
