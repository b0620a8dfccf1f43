"""JSON documents read from files: filter-log-events dumps and saved AWS events.

The parts of each top-level object (from :mod:`._jsonstream`, or from an
object already decoded) go through one small state machine, so a 1 GB dump and
a one-line event in a JSON lines file are handled alike:

- ``events``: entries of ``aws logs filter-log-events`` / ``get-log-events``
  output, decoded as they stream past;
- ``Records`` / ``records``: a Kinesis or Firehose Lambda event, record by record;
- ``awslogs``: a subscription Lambda event;
- ``messageType`` + ``logEvents``: a subscription payload already inflated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from logship.exceptions import InputError
from logship.records import InputProblem, LogEvent

from ._jsonstream import Element, Member, ObjectEnd, ObjectStart, Part
from ._lambda_event import arn_region, firehose_record, from_awslogs, kinesis_record
from ._payload import (
    Item,
    describe,
    from_message,
    header_of,
    int_field,
    payload_event,
    string_field,
)

STREAMED = frozenset({"events", "Records", "records", "logEvents"})
_KNOWN = STREAMED | {"awslogs", "messageType"}
_PAYLOAD_HEADER = ("messageType", "logGroup", "logStream", "owner")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a document comes from, and the defaults for what it does not say."""

    name: str  # the input, for sources and generated ids: "dump.json", "stdin"
    log_group: str  # used when the document names no log group
    log_stream: str  # used when an event names no log stream
    region: str = ""
    max_inflated_bytes: int = 64 * 1024 * 1024
    group_from_document: bool = True  # a top-level logGroupName wins over log_group


def dump_event(
    value: object, *, source: str, log_group: str, fallback_id: str, origin: Origin
) -> Item:
    """One entry of ``filter-log-events`` output (``logStreamName``, ``timestamp``,
    ``message``, ``eventId``). ``get-log-events`` entries name neither stream nor id:
    those come from ``origin`` and ``fallback_id``."""
    if not isinstance(value, dict):
        return InputProblem(source, f"log event is {describe(value)}, expected an object")
    try:
        message = string_field(value, "message")
        timestamp = int_field(value, "timestamp")
        log_stream = (
            string_field(value, "logStreamName") if "logStreamName" in value else origin.log_stream
        )
        event_id = string_field(value, "eventId") if "eventId" in value else fallback_id
    except InputError as exc:
        return InputProblem(source, str(exc))
    return LogEvent(
        log_group=log_group,
        log_stream=log_stream,
        event_id=event_id,
        timestamp=timestamp,
        message=message,
        region=origin.region,
        source=source,
    )


@dataclass(slots=True)
class _Object:
    """What has been seen of the current top-level object."""

    where: str
    members: dict[str, Any] = field(default_factory=dict)
    # logEvents that came before the payload header was complete (keys sorted
    # alphabetically put logEvents first); decoded at the end of the object.
    held_log_events: list[Any] = field(default_factory=list)
    log_events_streaming: bool | None = None  # None: no logEvents element seen yet
    header: tuple[str, str, str] = ("", "", "")
    seen_streamed: set[str] = field(default_factory=set)


def decode_parts(parts: Iterable[Part], *, where: str, origin: Origin) -> Iterator[Item]:
    """Turn the parts of one or more top-level objects into items.

    ``where`` prefixes every source ("dump.json", "dump.jsonl: line 4"); from
    the second object of a stream on, "object N" is added.
    """
    current = _Object(where)
    count = 0
    for part in parts:
        if isinstance(part, ObjectStart):
            count += 1
            current = _Object(
                where if count == 1 else f"{where}: object {count} (line {part.line})"
            )
        elif isinstance(part, Member):
            current.members[part.key] = part.value
        elif isinstance(part, Element):
            current.seen_streamed.add(part.key)
            yield from _element(current, part, origin)
        elif isinstance(part, ObjectEnd):
            yield from _end(current, origin)


def _element(current: _Object, part: Element, origin: Origin) -> Iterator[Item]:
    where = f"{current.where}: {part.key}[{part.index}]"
    members = current.members
    if part.key == "events":
        group = members.get("logGroupName")
        if not (origin.group_from_document and isinstance(group, str) and group):
            group = origin.log_group
        yield dump_event(
            part.value,
            source=where,
            log_group=group,
            fallback_id=f"{origin.name}:{part.key}[{part.index}]",
            origin=origin,
        )
    elif part.key == "Records":
        yield from kinesis_record(
            part.value,
            source=where,
            region=origin.region,
            max_inflated_bytes=origin.max_inflated_bytes,
        )
    elif part.key == "records":
        region = members.get("region")
        yield from firehose_record(
            part.value,
            source=where,
            region=origin.region
            or (region if isinstance(region, str) else "")
            or arn_region(members.get("deliveryStreamArn")),
            max_inflated_bytes=origin.max_inflated_bytes,
        )
    else:  # logEvents of an inflated subscription payload
        if current.log_events_streaming is None:
            current.log_events_streaming = _header_ready(current)
        if not current.log_events_streaming:
            current.held_log_events.append(part.value)
            return
        group, stream, owner = current.header
        yield payload_event(
            part.value,
            source=where,
            log_group=group,
            log_stream=stream,
            owner=owner,
            region=origin.region,
            batch_item="",
        )


def _header_ready(current: _Object) -> bool:
    members = current.members
    if members.get("messageType") != "DATA_MESSAGE" or not all(
        key in members for key in _PAYLOAD_HEADER
    ):
        return False
    try:
        current.header = header_of(members)
    except InputError:
        return False  # held, so the end of the object reports it with the count lost
    return True


def _end(current: _Object, origin: Origin) -> Iterator[Item]:
    members = current.members
    where = current.where
    if "awslogs" in members:
        yield from from_awslogs(
            members["awslogs"],
            source=where,
            region=origin.region,
            max_inflated_bytes=origin.max_inflated_bytes,
        )
    elif "messageType" in members or "logEvents" in members:
        if current.log_events_streaming:
            return
        document = dict(members)
        if "logEvents" in current.seen_streamed:
            document["logEvents"] = current.held_log_events
        yield from from_message(document, source=where, region=origin.region)
    else:
        for key in ("events", "Records", "records"):
            if key in members and not isinstance(members[key], list):
                yield InputProblem(where, f"{key} is {describe(members[key])}, expected an array")
                return
        if not (current.seen_streamed | members.keys()) & _KNOWN:
            keys = ", ".join(sorted(members)) or "none"
            yield InputProblem(
                where,
                "a JSON object logship cannot read: expected a filter-log-events dump"
                " (events), a Lambda event (awslogs, Records, records) or a subscription"
                f" payload (messageType); its keys: {keys}",
            )
