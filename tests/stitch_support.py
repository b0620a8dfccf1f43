"""Subscription payloads and a moto CloudWatch Logs holding the same events, for stitching tests.

The Lambda reads back the stream a payload came from; here that stream is moto's,
filled with exactly the events the payloads carry. moto refuses events older than
14 days, so payloads built from recorded data are moved to the last hour first
(:func:`recent`): the gaps between events, and so everything logship decides, stay.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from logship.decode import encode_payload, lambda_event

CORPUS = Path(__file__).parent / "corpus" / "data"
MAX_PUT_EVENTS = 10_000  # PutLogEvents' limits: events and bytes per call
MAX_PUT_BYTES = 1_000_000

Event = tuple[str, int, str]  # (CloudWatch event id, timestamp ms, message)


@dataclass(frozen=True, slots=True)
class Payload:
    """One subscription payload: the events of one stream, as CloudWatch Logs sends them."""

    log_group: str
    log_stream: str
    events: tuple[Event, ...]
    owner: str = "123456789012"

    def data(self) -> bytes:
        return encode_payload(self.log_group, self.log_stream, self.events, owner=self.owner)

    def lambda_event(self) -> dict[str, Any]:
        return lambda_event(self.data())


def decode_event(event: dict[str, Any]) -> Payload:
    """The payload inside a subscription Lambda event (the corpus file's lines)."""
    document = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    return Payload(
        log_group=document["logGroup"],
        log_stream=document["logStream"],
        events=tuple((e["id"], e["timestamp"], e["message"]) for e in document["logEvents"]),
        owner=document["owner"],
    )


def corpus_payloads() -> list[Payload]:
    """The evaluation corpus, one payload per line, in delivery order."""
    with gzip.open(CORPUS / "subscription-events.jsonl.gz", "rt", encoding="utf-8") as lines:
        return [decode_event(json.loads(line)) for line in lines]


def recent(payloads: Sequence[Payload], *, now_ms: int) -> list[Payload]:
    """``payloads`` moved in time so that the last event is an hour before ``now_ms``."""
    latest = max(timestamp for p in payloads for _, timestamp, _ in p.events)
    shift = now_ms - 3_600_000 - latest
    return [replace(p, events=tuple((i, t + shift, m) for i, t, m in p.events)) for p in payloads]


def store(client: Any, payloads: Iterable[Payload]) -> None:
    """Put every payload's events in CloudWatch Logs, each stream in timestamp order.

    ``client`` should skip botocore's parameter checks (:func:`logs_client`): the
    corpus holds the blank lines of Python's chained tracebacks as events of their
    own, which PutLogEvents' schema refuses but the stream must hold as delivered.
    """
    streams: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for p in payloads:
        streams[p.log_group, p.log_stream].extend(p.events)
    groups = {group for group, _ in streams}
    for group in sorted(groups):
        client.create_log_group(logGroupName=group)
    for (group, stream), events in streams.items():
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        events.sort(key=lambda event: event[1])  # stable: ties keep their order
        put(client, group, stream, events)


def logs_client(region: str) -> Any:
    """A CloudWatch Logs client for moto that sends what it is given (see :func:`store`)."""
    import boto3
    from botocore.config import Config

    return boto3.client("logs", region_name=region, config=Config(parameter_validation=False))


def put(client: Any, group: str, stream: str, events: Sequence[Event]) -> None:
    """PutLogEvents in calls within its limits."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for _, timestamp, message in events:
        cost = len(message.encode("utf-8")) + 26
        if chunk and (len(chunk) == MAX_PUT_EVENTS or size + cost > MAX_PUT_BYTES):
            client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=chunk)
            chunk, size = [], 0
        chunk.append({"timestamp": timestamp, "message": message})
        size += cost
    if chunk:
        client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=chunk)


def split(events: Sequence[Event], *cuts: int) -> list[tuple[Event, ...]]:
    """``events`` cut into payloads before each index in ``cuts``."""
    bounds = [0, *cuts, len(events)]
    return [tuple(events[a:b]) for a, b in pairwise(bounds)]
