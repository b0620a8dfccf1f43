"""CloudWatch Logs subscription payloads and the Lambda events that carry them.

A subscription payload is gzip-compressed JSON (``messageType``, ``owner``,
``logGroup``, ``logStream``, ``subscriptionFilters``, ``logEvents``). It reaches
us base64-encoded inside a Lambda event (``awslogs.data``), a Kinesis record
(``kinesis.data``) or a Firehose transformation record (``data``). Decoding
follows AWS Lambda Powertools: base64 -> zlib(MAX_WBITS | 32) -> JSON, except
that inflation is bounded, so a gzip bomb is refused instead of filling memory.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from logship.exceptions import InputError, PayloadTooLargeError
from logship.records import ControlMessage, InputProblem, LogBatch, LogEvent

Item = LogEvent | LogBatch | InputProblem | ControlMessage

DEFAULT_MAX_INFLATED = 64 * 1024 * 1024  # per payload; a real one inflates to about 1 MB
# Inflate in steps of this size, so a bomb is stopped after at most one step past the limit.
_INFLATE_STEP = 256 * 1024
LAMBDA_SOURCE = "lambda event"

NOT_UTF8 = "bytes that are not UTF-8 were replaced with U+FFFD"


def describe(value: object) -> str:
    """The JSON type name of a decoded value, for messages: "a string", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def inflate(data: bytes, *, limit: int) -> bytes:
    """Decompress gzip or zlib ``data``, refusing to produce more than ``limit`` bytes.

    Raises :class:`PayloadTooLargeError` for a bomb and :class:`InputError` for
    data that is not gzip/zlib or ends early.
    """
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 32)  # | 32: gzip or zlib header
    out = bytearray()
    pending = data
    try:
        while not decompressor.eof:
            step = decompressor.decompress(pending, _INFLATE_STEP)
            if len(out) + len(step) > limit:
                raise PayloadTooLargeError(
                    f"inflates past the limit of {limit} bytes (max_inflated_bytes); refused"
                    " without inflating the rest (a gzip bomb?)"
                )
            out += step
            pending = decompressor.unconsumed_tail
            if not step and not pending:
                raise InputError(
                    f"truncated gzip data: the stream ends after {len(data)} compressed bytes"
                )
    except zlib.error as exc:
        raise InputError(f"not valid gzip data ({exc})") from exc
    return bytes(out)


def utf8(raw: bytes) -> tuple[str, bool]:
    """``raw`` as text, and whether bytes that are not UTF-8 had to be replaced."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), True


def _payload_json(data: bytes, limit: int) -> bytes:
    # Firehose can be told to decompress CloudWatch Logs records itself; then
    # the JSON arrives as it is.
    if data[:1] == b"{":
        if len(data) > limit:
            raise PayloadTooLargeError(f"is larger than the limit of {limit} bytes; refused")
        return data
    return inflate(data, limit=limit)


def from_payload(
    data: bytes,
    *,
    source: str,
    region: str = "",
    batch_item: str = "",
    max_inflated_bytes: int = DEFAULT_MAX_INFLATED,
    batched: bool = False,
) -> Iterator[Item]:
    """Decode one subscription payload: the base64-decoded gzip bytes.

    ``source`` names the payload in messages ("lambda event: Records[3] ...");
    ``region`` is not in the payload, so the caller says it (the Lambda passes
    ``AWS_REGION``). ``batch_item`` is the Kinesis sequence number or Firehose
    record id the payload came in. ``batched``: see :func:`from_message`.
    """
    try:
        raw = _payload_json(data, max_inflated_bytes)
    except InputError as exc:
        yield InputProblem(source, f"payload {exc}")
        return
    text, replaced = utf8(raw)
    if replaced:
        yield InputProblem(source, f"payload: {NOT_UTF8}", events_lost=0)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        yield InputProblem(
            source, f"payload is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        )
        return
    yield from from_message(
        document, source=source, region=region, batch_item=batch_item, batched=batched
    )


def from_message(
    document: object,
    *,
    source: str,
    region: str = "",
    batch_item: str = "",
    batched: bool = False,
) -> Iterator[Item]:
    """Decode a subscription payload that is already parsed JSON.

    ``batched``: a payload whose events are all well formed comes out as one
    :class:`LogBatch` rather than one :class:`LogEvent` per event (the
    pipeline takes both; the Lambda asks for batches). A payload holding a bad
    event comes out event by event, so that the problem names it.
    """
    if not isinstance(document, dict):
        yield InputProblem(source, f"payload is {describe(document)}, expected a JSON object")
        return
    log_events = document.get("logEvents")
    lost = len(log_events) if isinstance(log_events, list) and log_events else 1
    message_type = document.get("messageType")
    if message_type == "CONTROL_MESSAGE":
        yield ControlMessage(source)
        return
    if message_type != "DATA_MESSAGE":
        yield InputProblem(
            source,
            f"messageType is {message_type!r}, expected 'DATA_MESSAGE' or 'CONTROL_MESSAGE'",
            lost,
        )
        return
    try:
        log_group, log_stream, owner = header_of(document)
    except InputError as exc:
        yield InputProblem(source, str(exc), lost)
        return
    if not isinstance(log_events, list):
        found = "missing" if "logEvents" not in document else describe(log_events)
        yield InputProblem(source, f"logEvents is {found}, expected an array")
        return
    if batched:
        batch = as_batch(
            log_events,
            source=source,
            log_group=log_group,
            log_stream=log_stream,
            owner=owner,
            region=region,
            batch_item=batch_item,
        )
        if batch is not None:
            if batch.event_ids:
                yield batch
            return
    for index, raw_event in enumerate(log_events):
        yield payload_event(
            raw_event,
            source=f"{source}: logEvents[{index}]",
            log_group=log_group,
            log_stream=log_stream,
            owner=owner,
            region=region,
            batch_item=batch_item,
        )


_DICT = frozenset({dict})
_STR = frozenset({str})
_INT = frozenset({int})  # not bool: type(True) is bool


def as_batch(
    log_events: list[Any],
    *,
    source: str,
    log_group: str,
    log_stream: str,
    owner: str,
    region: str,
    batch_item: str,
) -> LogBatch | None:
    """``logEvents`` as one :class:`LogBatch`, or None when an event is malformed.

    The checks :func:`payload_event` makes per event, made per column with
    C loops (an object with a string ``id``, an integer ``timestamp`` and a
    string ``message``): on None the caller decodes event by event, which
    names the bad ones.
    """
    try:
        event_ids = tuple([event["id"] for event in log_events])
        timestamps = tuple([event["timestamp"] for event in log_events])
        messages = tuple([event["message"] for event in log_events])
    except (KeyError, TypeError, IndexError):
        return None
    if not (
        set(map(type, log_events)) <= _DICT
        and set(map(type, event_ids)) <= _STR
        and set(map(type, timestamps)) <= _INT
        and set(map(type, messages)) <= _STR
    ):
        return None
    return LogBatch(
        log_group=log_group,
        log_stream=log_stream,
        event_ids=event_ids,
        timestamps=timestamps,
        messages=messages,
        owner=owner,
        region=region,
        source=source,
        batch_item=batch_item,
    )


def header_of(document: Mapping[str, Any]) -> tuple[str, str, str]:
    """``(logGroup, logStream, owner)`` of a DATA_MESSAGE payload; InputError names a bad key."""
    return (
        string_field(document, "logGroup"),
        string_field(document, "logStream"),
        string_field(document, "owner"),
    )


def string_field(mapping: Mapping[str, Any], key: str) -> str:
    """``mapping[key]`` when it is a string; otherwise an InputError naming the key."""
    if key not in mapping:
        raise InputError(f"{key} is missing")
    value = mapping[key]
    if not isinstance(value, str):
        raise InputError(f"{key} is {describe(value)}, expected a string")
    return value


def int_field(mapping: Mapping[str, Any], key: str) -> int:
    """``mapping[key]`` when it is an integer (not a boolean); otherwise an InputError."""
    if key not in mapping:
        raise InputError(f"{key} is missing")
    value = mapping[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{key} is {describe(value)}, expected an integer")
    return value


def payload_event(
    raw_event: object,
    *,
    source: str,
    log_group: str,
    log_stream: str,
    owner: str,
    region: str,
    batch_item: str,
) -> Item:
    """One ``logEvents`` entry (``id``, ``timestamp``, ``message``) as a LogEvent."""
    if not isinstance(raw_event, dict):
        return InputProblem(source, f"log event is {describe(raw_event)}, expected an object")
    try:
        event_id = string_field(raw_event, "id")
        timestamp = int_field(raw_event, "timestamp")
        message = string_field(raw_event, "message")
    except InputError as exc:
        return InputProblem(source, str(exc))
    return LogEvent(
        log_group=log_group,
        log_stream=log_stream,
        event_id=event_id,
        timestamp=timestamp,
        message=message,
        owner=owner,
        region=region,
        source=source,
        batch_item=batch_item,
    )


def from_base64(
    data: object,
    *,
    source: str,
    region: str,
    batch_item: str,
    max_inflated_bytes: int,
    batched: bool = False,
) -> Iterator[Item]:
    """Decode a base64 ``data`` field holding one subscription payload."""
    if not isinstance(data, str):
        yield InputProblem(source, f"data is {describe(data)}, expected a base64 string")
        return
    try:
        payload = base64.b64decode(data, validate=True)
    except ValueError as exc:  # binascii.Error, or a str with non-ASCII characters
        yield InputProblem(source, f"data is not valid base64 ({exc})")
        return
    yield from from_payload(
        payload,
        source=source,
        region=region,
        batch_item=batch_item,
        max_inflated_bytes=max_inflated_bytes,
        batched=batched,
    )


def arn_region(arn: object) -> str:
    """The region field of an ARN ("arn:aws:kinesis:eu-west-1:..."), or ""."""
    if not isinstance(arn, str):
        return ""
    parts = arn.split(":", 4)
    return parts[3] if len(parts) > 4 and parts[0] == "arn" else ""


def from_awslogs(
    awslogs: object, *, source: str, region: str, max_inflated_bytes: int, batched: bool = False
) -> Iterator[Item]:
    """The ``awslogs`` member of a subscription Lambda event."""
    if not isinstance(awslogs, dict):
        yield InputProblem(source, f"awslogs is {describe(awslogs)}, expected an object")
        return
    yield from from_base64(
        awslogs.get("data"),
        source=f"{source}: awslogs.data",
        region=region,
        batch_item="",
        max_inflated_bytes=max_inflated_bytes,
        batched=batched,
    )


def kinesis_record(
    record: object, *, source: str, region: str, max_inflated_bytes: int, batched: bool = False
) -> Iterator[Item]:
    """One Kinesis record carrying a subscription payload; ``source`` is "...: Records[i]"."""
    if not isinstance(record, dict):
        yield InputProblem(source, f"record is {describe(record)}, expected an object")
        return
    kinesis = record.get("kinesis")
    if not isinstance(kinesis, dict):
        yield InputProblem(source, f"kinesis is {describe(kinesis)}, expected an object")
        return
    try:
        sequence = string_field(kinesis, "sequenceNumber")
    except InputError as exc:
        yield InputProblem(source, f"kinesis.{exc}")
        return
    region = region or _str_or_empty(record.get("awsRegion"))
    yield from from_base64(
        kinesis.get("data"),
        source=f"{source} (seq {sequence})",
        region=region or arn_region(record.get("eventSourceARN")),
        batch_item=sequence,
        max_inflated_bytes=max_inflated_bytes,
        batched=batched,
    )


def firehose_record(
    record: object, *, source: str, region: str, max_inflated_bytes: int, batched: bool = False
) -> Iterator[Item]:
    """One Firehose transformation record (``recordId``, ``data``)."""
    if not isinstance(record, dict):
        yield InputProblem(source, f"record is {describe(record)}, expected an object")
        return
    try:
        record_id = string_field(record, "recordId")
    except InputError as exc:
        yield InputProblem(source, str(exc))
        return
    yield from from_base64(
        record.get("data"),
        source=f"{source} (id {record_id})",
        region=region,
        batch_item=record_id,
        max_inflated_bytes=max_inflated_bytes,
        batched=batched,
    )


def _str_or_empty(value: object) -> str:
    return value if isinstance(value, str) else ""


def records_list(
    event: Mapping[str, Any], key: str, source: str
) -> tuple[list[Any], InputProblem | None]:
    """``event[key]`` when it is a list, else a problem saying what it is."""
    records = event[key]
    if isinstance(records, list):
        return records, None
    return [], InputProblem(source, f"{key} is {describe(records)}, expected an array")


def from_lambda_event(
    event: Mapping[str, Any],
    *,
    region: str = "",
    max_inflated_bytes: int = DEFAULT_MAX_INFLATED,
    batched: bool = False,
) -> Iterator[Item]:
    """Decode the event a Lambda receives: a CloudWatch Logs subscription, Kinesis or Firehose.

    One bad record yields an :class:`InputProblem` naming it (for Kinesis its
    sequence number) and the other records still decode. ``region`` wins over
    the region a Kinesis or Firehose event names. ``batched``: each payload's
    events as one :class:`LogBatch` (see :func:`from_message`).
    """
    source = LAMBDA_SOURCE
    if not isinstance(event, Mapping):
        yield InputProblem(source, f"the event is {describe(event)}, expected an object")
        return
    if "awslogs" in event:
        yield from from_awslogs(
            event["awslogs"],
            source=source,
            region=region,
            max_inflated_bytes=max_inflated_bytes,
            batched=batched,
        )
        return
    if "Records" in event:
        records, problem = records_list(event, "Records", source)
        if problem:
            yield problem
        for index, record in enumerate(records):
            yield from kinesis_record(
                record,
                source=f"{source}: Records[{index}]",
                region=region,
                max_inflated_bytes=max_inflated_bytes,
                batched=batched,
            )
        return
    if "records" in event:
        records, problem = records_list(event, "records", source)
        if problem:
            yield problem
        region = (
            region
            or _str_or_empty(event.get("region"))
            or arn_region(event.get("deliveryStreamArn"))
        )
        for index, record in enumerate(records):
            yield from firehose_record(
                record,
                source=f"{source}: records[{index}]",
                region=region,
                max_inflated_bytes=max_inflated_bytes,
                batched=batched,
            )
        return
    keys = ", ".join(sorted(map(str, event))) or "none"
    yield InputProblem(
        source,
        "not a CloudWatch Logs subscription, Kinesis or Firehose event"
        f" (expected awslogs, Records or records; top-level keys: {keys})",
    )


def encode_payload(
    log_group: str,
    log_stream: str,
    events: Iterable[tuple[str, int, str]],
    *,
    owner: str = "123456789012",
    message_type: str = "DATA_MESSAGE",
    subscription_filters: Iterable[str] = ("logship",),
) -> bytes:
    """Build a subscription payload as CloudWatch Logs sends it: gzip of compact JSON.

    ``events`` are ``(id, timestamp_ms, message)``. The inverse of
    :func:`from_payload`; tests, the corpus and the benchmark use it. The gzip
    header's mtime is zero, so the same input gives the same bytes.
    """
    document = {
        "messageType": message_type,
        "owner": owner,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": list(subscription_filters),
        "logEvents": [
            {"id": event_id, "timestamp": timestamp, "message": message}
            for event_id, timestamp, message in events
        ],
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), mtime=0)


def lambda_event(payload: bytes) -> dict[str, Any]:
    """Wrap a payload from :func:`encode_payload` as a subscription Lambda event."""
    return {"awslogs": {"data": base64.b64encode(payload).decode("ascii")}}
