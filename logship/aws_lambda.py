"""The Lambda function: CloudWatch Logs subscription, Kinesis and Firehose events in.

:func:`handler` is what ``lambda_handler.handler`` delegates to. It resolves
the container's settings, config and Sentry sink once (a warm container reuses
them), then runs :func:`handle` on the invocation.

How failures reach AWS, so nothing is lost:

- CloudWatch Logs subscription (asynchronous invocation): any undelivered
  event raises :class:`DeliveryError`; Lambda retries the invocation (twice by
  default) and then hands it to the on-failure destination. Event ids are
  derived from the log events, so the retry re-sends without duplicating.
- Kinesis: the ids of records whose errors were not delivered are returned
  as ``batchItemFailures`` (the event source mapping needs
  ``ReportBatchItemFailures``).
- Firehose transformation: each record comes back ``Ok`` (data unchanged),
  ``Dropped`` (only a control message) or ``ProcessingFailed`` (undecodable,
  or its errors were not delivered: Firehose writes it to the error prefix).

Route rules (``[[route]]``) publish to EventBridge after the Sentry events are
flushed (:mod:`logship.route`); an event that did not go fails the invocation,
or its Kinesis / Firehose records, exactly as an undelivered Sentry event does.

Every invocation writes one JSON summary line whose counts add up:
``events_received = events_invalid + events_not_errors + events_in_errors`` and
``errors = shipped + ignored + suppressed + failed``. ``routed`` and
``route_failed`` count EventBridge events (one per route rule and fingerprint),
an output beside Sentry, not a bucket of errors.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import structlog

from .cloudwatch import LogsReader
from .config import Config
from .decode import from_lambda_event
from .deliver import deliver
from .event import EventSettings
from .exceptions import DeliveryError
from .pipeline import Item, RunReport, run
from .records import ControlMessage, Delivery, InputProblem
from .scrub import scrubber_for
from .settings import Settings, config_from_reference, load_settings
from .sink import SentrySink, Sink
from .stitch import Stitcher

if TYPE_CHECKING:
    from structlog.typing import FilteringBoundLogger

    from .route import EventBridgePublisher, Publisher

MAX_LOGGED_FAILURES = 10  # failure examples in the summary line; the counts are exact


class LambdaContext(Protocol):
    """The part of the Lambda context object logship uses."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Container:
    """What a warm container keeps between invocations."""

    settings: Settings
    config: Config
    event_settings: EventSettings
    sink: Sink
    reader: LogsReader | None  # stitching's; its boto3 client is made on the first read
    # Route rules' EventBridge publisher (None without route rules); its boto3 client is
    # made on the first publish, and it remembers the ids that went while the container lives.
    publisher: EventBridgePublisher | None = None


def make_logger(out: TextIO | None = None) -> FilteringBoundLogger:
    """The function's own logger: one JSON object per line on ``out`` (stdout), from INFO up.

    structlog's ``add_log_level``, ``TimeStamper(fmt="iso", utc=True)`` and
    ``JSONRenderer``: the fields in call order, then ``event``, ``level`` and
    ``timestamp``. The function owns this logger: nothing process-wide
    (``structlog.configure``, the ``logging`` tree) is read for it or touched.
    """
    logger: FilteringBoundLogger = structlog.wrap_logger(
        structlog.PrintLogger(out or sys.stdout),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        context_class=dict,
        cache_logger_on_first_use=True,
    )
    return logger


def event_settings_for(settings: Settings, config: Config) -> EventSettings:
    """Event settings: config tags overridden by ``LOGSHIP_TAGS``, account environments,
    and the scrubber of the config's ``[scrub]`` table."""
    tags = dict(config.tags)
    tags.update(settings.tags)
    return EventSettings(
        environment=settings.environment,
        release=settings.release,
        tags=tuple(tags.items()),
        environments=config.environments,
        scrubber=scrubber_for(config),
    )


@functools.cache
def container() -> Container:
    """Settings, config and sink, built once per container (a failure is retried next time)."""
    settings = load_settings(os.environ)
    config = config_from_reference(settings.config_ref, settings.region)
    publisher = None
    if config.route_rules:
        from .route import EventBridgePublisher  # only a config with route rules needs it

        publisher = EventBridgePublisher(region=settings.region)
    return Container(
        settings=settings,
        config=config,
        event_settings=event_settings_for(settings, config),
        sink=SentrySink(settings.dsn),
        reader=LogsReader(region=settings.region) if settings.stitching else None,
        publisher=publisher,
    )


_log = functools.cache(make_logger)


def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point (see :mod:`lambda_handler`)."""
    try:
        state = container()
    except Exception as exc:
        # Settings errors never carry the DSN; the invocation fails and AWS retries.
        _log().error("logship.setup_failed", error=f"{type(exc).__name__}: {exc}")
        raise
    return handle(
        event,
        context,
        settings=state.settings,
        config=state.config,
        event_settings=state.event_settings,
        sink=state.sink,
        log=_log(),
        reader=state.reader,
        publisher=state.publisher,
    )


def event_kind(event: Mapping[str, Any]) -> str:
    """``"cloudwatch"``, ``"kinesis"``, ``"firehose"`` or ``"unknown"``."""
    if not isinstance(event, Mapping):
        return "unknown"
    if "awslogs" in event:
        return "cloudwatch"
    if "Records" in event:
        return "kinesis"
    if "records" in event:
        return "firehose"
    return "unknown"


def handle(
    event: Mapping[str, Any],
    context: LambdaContext | None,
    *,
    settings: Settings,
    config: Config,
    event_settings: EventSettings,
    sink: Sink,
    log: FilteringBoundLogger | None = None,
    clock: Callable[[], float] = time.monotonic,
    reader: LogsReader | None = None,
    wall_ms: Callable[[], int] | None = None,
    publisher: Publisher | None = None,
) -> dict[str, Any]:
    """Run one invocation: decode, stitch, pipeline, deliver, log the summary, answer AWS.

    Returns the Kinesis or Firehose response, or (CloudWatch) the summary.
    Raises :class:`DeliveryError` when a CloudWatch invocation could not
    deliver everything. With a ``reader`` (and ``settings.stitching``), each
    payload's edges are read from CloudWatch Logs so that a trace cut by a
    payload boundary ships once, whole (:mod:`logship.stitch`); ``wall_ms``
    replaces the wall clock there (tests). With a ``publisher`` and route
    rules in ``config``, the invocation's route events are published to
    EventBridge (the container's :class:`~logship.route.EventBridgePublisher`;
    tests pass one on moto). Without a publisher, route rules are counted
    (``route_rule_hits``) but nothing is published.
    """
    log = log if log is not None else make_logger()
    started = clock()
    kind = event_kind(event)
    report = RunReport()
    firehose = _FirehoseTracker() if kind == "firehose" else None
    items = (
        firehose.items(event, settings.region)
        if firehose is not None
        else from_lambda_event(event, region=settings.region, batched=True)
    )
    margin_s = settings.flush_margin_ms / 1000

    def budget() -> float:
        if context is None:
            return 30.0
        return context.get_remaining_time_in_millis() / 1000 - margin_s

    if reader is not None and settings.stitching:
        stitcher = Stitcher(
            reader,
            config,
            budget=budget,
            wait_ms=settings.stitch_wait_ms,
            wall_ms=wall_ms,
        )
        items = stitcher.stitch(items, report)
    routes = None
    if publisher is not None and config.route_rules:
        from .route import RouteCollector

        routes = RouteCollector(
            config, environment=settings.environment, scrubber=event_settings.scrubber
        )
    delivery = deliver(
        run(items, config, report),
        sink=sink,
        settings=event_settings,
        report=report,
        budget=budget,
        max_per_fingerprint=config.max_events_per_fingerprint,
        routes=routes,
        publisher=publisher,
    )
    summary = {"kind": kind, **report.as_dict()}
    _log_summary(log, summary, report, delivery, duration_s=clock() - started)
    if kind == "kinesis":
        return {"batchItemFailures": _kinesis_failures(event, delivery)}
    if firehose is not None:
        return {"records": firehose.response(event, delivery)}
    if not delivery.ok:
        what = []
        if delivery.failed_events:
            what.append(f"{delivery.failed_events} of {report.errors} errors were not delivered")
        if delivery.route_failed:
            routed = delivery.route_failed + report.routed
            what.append(f"{delivery.route_failed} of {routed} route events were not published")
        raise DeliveryError(
            f"{' and '.join(what)} (first: {delivery.first_failure()});"
            " the invocation fails so that AWS retries it"
        )
    return summary


def _log_summary(
    log: FilteringBoundLogger,
    summary: dict[str, Any],
    report: RunReport,
    delivery: Delivery,
    duration_s: float,
) -> None:
    fields: dict[str, Any] = dict(summary)
    fields["duration_ms"] = round(duration_s * 1000)
    fields["balanced"] = report.balanced() and report.pending == 0
    if report.problems:
        fields["problem_examples"] = [f"{p.source}: {p.reason}" for p in report.problems[:5]]
    if delivery.failures:
        fields["failure_examples"] = [
            {"event_id": f.event_id, "reason": f.reason}
            for f in delivery.failures[:MAX_LOGGED_FAILURES]
        ]
    if delivery.route_failures:
        fields["route_failure_examples"] = [
            {"logship_id": f.logship_id, "route": f.rule, "reason": f.reason}
            for f in delivery.route_failures[:MAX_LOGGED_FAILURES]
        ]
    if delivery.failed_batch_items:
        fields["failed_batch_items"] = len(delivery.failed_batch_items)
    level = "error" if not delivery.ok else "warning" if report.problems else "info"
    getattr(log, level)("logship.run", **fields)


def _kinesis_failures(event: Mapping[str, Any], delivery: Delivery) -> list[dict[str, str]]:
    """``batchItemFailures`` entries in the order the records came."""
    failed = delivery.failed_batch_items
    entries = []
    for record in event.get("Records") or ():
        sequence = ((record or {}).get("kinesis") or {}).get("sequenceNumber")
        if isinstance(sequence, str) and sequence in failed:
            entries.append({"itemIdentifier": sequence})
    return entries


class _FirehoseTracker:
    """Decodes a Firehose event record by record, noting what each one held.

    The decoder's problems and control messages do not say which record they
    came from, so each record is decoded on its own (the items still form one
    stream, so a trace split across records is still joined).
    """

    def __init__(self) -> None:
        self.undecodable: set[str] = set()
        self.with_events: set[str] = set()

    def items(self, event: Mapping[str, Any], region: str) -> Iterator[Item]:
        records = event.get("records")
        if not isinstance(records, list):
            yield from from_lambda_event(event, region=region, batched=True)
            return
        for index, record in enumerate(records):
            record_id = str((record or {}).get("recordId", "")) if isinstance(record, dict) else ""
            single = {**event, "records": [record]}
            for item in from_lambda_event(single, region=region, batched=True):
                if isinstance(item, InputProblem | ControlMessage):
                    if isinstance(item, InputProblem):
                        self.undecodable.add(record_id)
                    # Decoded alone, the record is "records[0]": name its real position.
                    yield replace(item, source=item.source.replace("[0]", f"[{index}]", 1))
                else:
                    self.with_events.add(record_id)
                    yield item

    def response(self, event: Mapping[str, Any], delivery: Delivery) -> list[dict[str, Any]]:
        out = []
        for record in event.get("records") or ():
            if not isinstance(record, dict) or "recordId" not in record:
                continue
            record_id = str(record["recordId"])
            if record_id in self.undecodable or record_id in delivery.failed_batch_items:
                result = "ProcessingFailed"
            elif record_id in self.with_events:
                result = "Ok"
            else:
                result = "Dropped"  # only a CONTROL_MESSAGE: nothing worth archiving
            out.append({"recordId": record_id, "result": result, "data": record.get("data", "")})
        return out
