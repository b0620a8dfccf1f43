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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .event import EventSettings, build_event
from .flood import FloodControl, Release
from .pipeline import Outcome, RunReport
from .records import Fingerprinted
from .sink import DeliveryFailure, DeliveryResult, Sink

DEFAULT_FLUSH_EVERY = 100  # events held before a flush: bounds memory on a long replay
MAX_KEPT_FAILURES = 50  # the count is exact; only the list of examples is capped

# build_event's signature: (item, settings, extra) -> event
BuildEvent = Callable[[Fingerprinted, EventSettings, Mapping[str, object]], Mapping[str, Any]]
Budget = Callable[[], float]  # seconds the next flush may take


@dataclass(frozen=True, slots=True)
class Delivery:
    """What :func:`deliver` could not do, for the caller to surface."""

    failures: tuple[DeliveryFailure, ...] = ()  # the first MAX_KEPT_FAILURES
    failed_batch_items: frozenset[str] = frozenset()
    failed_events: int = 0  # exact, like report.failed

    @property
    def ok(self) -> bool:
        return self.failed_events == 0


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
) -> Delivery:
    """Send every shipped outcome's event to ``sink``, flushing every ``flush_every`` events.

    Ignored outcomes (already counted by the pipeline) are skipped; a sampled
    one is sent with ``extra.logship_sampled_by`` naming its ignore rule.
    ``budget()`` gives the seconds each flush may take (the Lambda's remaining
    time less a margin; a fixed timeout in the CLI). ``progress`` is called
    after each error with the report so far. ``build`` replaces
    :func:`~logship.event.build_event` (tests).
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
        extra: dict[str, object] = release.extra()
        record = outcome.item.error.record
        if record.stitched:
            extra["logship_stitched_events"] = record.stitched
        if record.cut:
            extra["logship_cut"] = f"cut at a payload boundary: {record.cut}"
        if outcome.sampled_by:
            extra["logship_sampled_by"] = outcome.sampled_by
        _send(outcome.item, extra, sink=sink, settings=settings, build=build, tracker=tracker)

    for outcome in outcomes:
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
    if progress is not None:
        progress(report)
    return Delivery(
        failures=tuple(tracker.failures),
        failed_batch_items=frozenset(tracker.failed_batch_items),
        failed_events=tracker.failed_events,
    )


def _send(
    item: Fingerprinted,
    extra: Mapping[str, object],
    *,
    sink: Sink,
    settings: EventSettings,
    build: BuildEvent,
    tracker: _Tracker,
) -> None:
    record = item.error.record
    try:
        event = build(item, settings, extra)
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
