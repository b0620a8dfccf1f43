"""Lambda events for the handler tests, built from real Python tracebacks.

The traces are the captured output of ``tests/fixtures/traces/python/programs``
(see ``regenerate.sh`` there). Each line becomes one CloudWatch event, as the
ECS awslogs driver writes them; the envelopes follow the shapes in
``tests/events`` (AWS's documented CloudWatch, Kinesis and Firehose events).
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logship.decode import encode_payload, lambda_event
from logship.records import DeliveryFailure, DeliveryResult
from logship.sink import MemorySink

TRACES = Path(__file__).parent / "fixtures" / "traces" / "python"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
GROUP = "/ecs/orders"
T0 = 1_714_557_600_000  # 2024-05-01T10:00:00Z
# Traces of distinct exception types: each is its own Sentry issue.
DISTINCT_TRACES = ("key_error", "json_decode", "implicit_context", "raise_from_timeout")

Event = tuple[str, int, str]  # (CloudWatch event id, timestamp ms, message)


def trace_lines(name: str) -> list[str]:
    """The captured traceback ``name`` as its lines (one awslogs event each)."""
    return (TRACES / f"{name}.txt").read_text(encoding="utf-8").splitlines()


def stream_events(lines: Sequence[str], *, first_id: int, t0: int = T0) -> list[Event]:
    """One event per line, 56-digit ids and millisecond timestamps increasing."""
    return [(f"{first_id + i:056d}", t0 + i, line) for i, line in enumerate(lines)]


def stream_name(index: int) -> str:
    return f"ecs/orders-api/task{index:04d}"


def payload(stream: str, events: Iterable[Event], *, message_type: str = "DATA_MESSAGE") -> bytes:
    return encode_payload(GROUP, stream, events, owner=ACCOUNT, message_type=message_type)


def traces_payloads(names: Sequence[str] = DISTINCT_TRACES) -> list[bytes]:
    """One payload per trace, each in its own log stream."""
    return [
        payload(stream_name(i), stream_events(trace_lines(name), first_id=(i + 1) * 10**50))
        for i, name in enumerate(names)
    ]


def control_payload() -> bytes:
    return payload(
        "log_stream_created_by_aws_to_validate_log_delivery_subscriptions",
        [("0" * 56, T0, "CWL CONTROL MESSAGE: Checking health of destination Firehose.")],
        message_type="CONTROL_MESSAGE",
    )


def cloudwatch_event(data: bytes) -> dict[str, Any]:
    return lambda_event(data)


def sequence_number(index: int) -> str:
    return f"4965150508573942442700352445828543164073615348851990{index:04d}"


def kinesis_event(payloads: Sequence[bytes]) -> dict[str, Any]:
    """A Kinesis batch: one record per payload, as a CloudWatch Logs destination writes them."""
    records = []
    for index, data in enumerate(payloads):
        sequence = sequence_number(index)
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": f"key{index}",
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(data).decode("ascii"),
                    "approximateArrivalTimestamp": (T0 + index) / 1000,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/logship",
                "awsRegion": REGION,
                "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/logs",
            }
        )
    return {"Records": records}


def firehose_event(datas: Sequence[bytes | str]) -> dict[str, Any]:
    """A Firehose transformation event; a ``str`` is used as the record's data verbatim."""
    return {
        "invocationId": "2b4d1ad9-2f48-94bd-a088-767c317e994a",
        "deliveryStreamArn": f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/logship",
        "region": REGION,
        "records": [
            {
                "recordId": f"{sequence_number(i)}{i:012d}",
                "approximateArrivalTimestamp": T0 + i,
                "data": d if isinstance(d, str) else base64.b64encode(d).decode("ascii"),
            }
            for i, d in enumerate(datas)
        ],
    }


@dataclass
class FakeContext:
    """The part of the Lambda context the handler reads."""

    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class SelectiveSink(MemorySink):
    """A memory sink that fails the events whose log stream is in ``failing_streams``."""

    failing_streams: set[str] = field(default_factory=set)
    _streams: dict[str, str] = field(default_factory=dict, repr=False)

    def send(self, event: Any) -> None:
        super().send(event)
        self._streams[event["event_id"]] = event["contexts"]["cloudwatch"]["log_stream"]

    def flush(self, deadline_s: float) -> DeliveryResult:
        result = super().flush(deadline_s)
        failing = [i for i in result.delivered if self._streams[i] in self.failing_streams]
        return DeliveryResult(
            delivered=tuple(i for i in result.delivered if i not in failing),
            failed=tuple(DeliveryFailure(i, "HTTP 503 after 3 attempt(s)") for i in failing),
        )


def summary_line(out: io.StringIO) -> dict[str, Any]:
    """The one JSON summary line a handler run wrote."""
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1, lines
    parsed: dict[str, Any] = json.loads(lines[0])
    return parsed
