"""Regenerate the AWS event samples in this folder: ``python tests/events/generate.py``.

The envelopes follow the shapes AWS documents for each event source (Lambda
developer guide: "Using Lambda with CloudWatch Logs", "... with Kinesis",
Firehose "Data transformation"; CloudWatch Logs user guide: subscription
CONTROL_MESSAGE; AWS CLI reference: ``logs filter-log-events`` output). The
``data`` fields are built with :func:`logship.decode.encode_payload`, whose gzip
output is deterministic, so running this again gives the same files.

``cloudwatch_logs_subscription.json`` is not generated: it is the sample event
of the Lambda developer guide, kept verbatim.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from logship.decode import encode_payload  # noqa: E402 - after the path is set

ACCOUNT = "123456789012"
REGION = "eu-west-1"
GROUP = "/ecs/orders"
STREAM = "ecs/orders-api/5f2b3c4d6e7f48a1b2c3d4e5f6a7b8c9"
FIRST_EVENT_ID = 36 * 10**54  # CloudWatch event ids are 56-digit decimal strings
LINES = (
    "2024-05-01 12:00:00.123 INFO  [http-nio-8080-exec-1] c.s.o.OrderController - GET /orders/42",
    "2024-05-01 12:00:00.456 ERROR [http-nio-8080-exec-1] c.s.o.PaymentClient - payment failed",
    "2024-05-01 12:00:01.789 WARN  [scheduler-1] c.s.o.RetryJob - retrying order 42",
)


def _b64(payload: bytes) -> str:
    return base64.b64encode(payload).decode("ascii")


def _events(first_id: int, first_ms: int) -> list[tuple[str, int, str]]:
    return [
        (f"{first_id + index:056d}", first_ms + index * 333, line)
        for index, line in enumerate(LINES)
    ]


def control_message() -> dict[str, Any]:
    """What a subscription Lambda receives when the subscription filter is created."""
    payload = encode_payload(
        "",
        "",
        [("", 1714564800000, "CWL CONTROL MESSAGE: Checking health of destination Lambda.")],
        owner="CloudwatchLogs",
        message_type="CONTROL_MESSAGE",
        subscription_filters=(),
    )
    return {"awslogs": {"data": _b64(payload)}}


def kinesis_event() -> dict[str, Any]:
    """A Kinesis stream event with two records, each one CloudWatch Logs payload."""
    stream_arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/logship-logs"
    records = []
    for index, (sequence, shard) in enumerate(
        (
            ("49651505085739424427003524458285431640736153488519905282", "shardId-000000000000"),
            ("49651505085739424427003524458286640566555768117694611458", "shardId-000000000000"),
        )
    ):
        first_id = FIRST_EVENT_ID + index * 10
        payload = encode_payload(GROUP, STREAM, _events(first_id, 1714564800123 + index * 5000))
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "5f2b3c4d6e7f48a1b2c3d4e5f6a7b8c9",
                    "sequenceNumber": sequence,
                    "data": _b64(payload),
                    "approximateArrivalTimestamp": 1714564801.5 + index * 5,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard}:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/logship-kinesis-role",
                "awsRegion": REGION,
                "eventSourceARN": stream_arn,
            }
        )
    return {"Records": records}


def firehose_event() -> dict[str, Any]:
    """A Firehose data-transformation event whose records are CloudWatch Logs payloads."""
    record_id = "49651505085739424427003524458285431640736153488519905282000000000000"
    payload = encode_payload(
        GROUP,
        STREAM,
        _events(FIRST_EVENT_ID + 100, 1714564800123),
    )
    return {
        "invocationId": "2b4d1ad9-2f48-94bd-a088-767c317e994a",
        "deliveryStreamArn": f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/logship",
        "region": REGION,
        "records": [
            {
                "recordId": record_id,
                "approximateArrivalTimestamp": 1714564801500,
                "data": _b64(payload),
            }
        ],
    }


def filter_log_events() -> dict[str, Any]:
    """``aws logs filter-log-events --log-group-name /ecs/orders --output json``."""
    events = [
        {
            "logStreamName": STREAM,
            "timestamp": timestamp,
            "message": message,
            "ingestionTime": timestamp + 412,
            "eventId": event_id,
        }
        for event_id, timestamp, message in _events(FIRST_EVENT_ID + 200, 1714564800123)
    ]
    return {
        "events": events,
        "searchedLogStreams": [{"logStreamName": STREAM, "searchedCompletely": True}],
    }


SAMPLES = {
    "cloudwatch_logs_control_message.json": control_message,
    "kinesis_cloudwatch_logs.json": kinesis_event,
    "firehose_cloudwatch_logs.json": firehose_event,
    "filter_log_events.json": filter_log_events,
}


def main() -> None:
    for name, build in SAMPLES.items():
        # indent=4: the AWS CLI's own --output json layout
        (HERE / name).write_text(json.dumps(build(), indent=4) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
