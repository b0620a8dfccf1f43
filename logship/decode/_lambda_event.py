"""The Lambda events that carry subscription payloads: the CloudWatch Logs subscription
event (``awslogs.data``), Kinesis records (``kinesis.data``) and Firehose transformation
records (``data``), each base64 of one payload (decoded by :mod:`._payload`).

One bad record becomes an :class:`~logship.records.InputProblem` naming it, and the
records around it still decode.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from typing import Any

from logship.exceptions import InputError
from logship.records import InputProblem

from ._payload import DEFAULT_MAX_INFLATED, Item, describe, from_payload, string_field

LAMBDA_SOURCE = "lambda event"


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


def lambda_event(payload: bytes) -> dict[str, Any]:
    """Wrap a payload from :func:`encode_payload` as a subscription Lambda event."""
    return {"awslogs": {"data": base64.b64encode(payload).decode("ascii")}}
