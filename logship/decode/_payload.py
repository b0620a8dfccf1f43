"""CloudWatch Logs subscription payloads: the gzip JSON a subscription sends.

A payload (``messageType``, ``owner``, ``logGroup``, ``logStream``,
``subscriptionFilters``, ``logEvents``) reaches us base64-encoded inside a
Lambda, Kinesis or Firehose event (unwrapped by :mod:`._lambda_event`).
Decoding follows AWS Lambda Powertools: base64 -> zlib(MAX_WBITS | 32) -> JSON,
except that inflation is bounded, so a gzip bomb is refused instead of filling
memory.
"""

from __future__ import annotations

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
