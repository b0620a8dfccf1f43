"""moto's EventBridge with an SQS queue per bus: what a route event's consumer receives.

Shared by the route publisher's tests and the Lambda's route tests. Each bus
gets a rule sending every ``source: logship`` event to a queue of its own;
:func:`received` drains a queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from logship.route import SOURCE

REGION = "eu-west-1"


@contextmanager
def moto_aws(monkeypatch: pytest.MonkeyPatch, region: str = REGION) -> Iterator[None]:
    """moto's AWS with fake credentials: nothing reaches the network."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    from moto import mock_aws

    with mock_aws():
        yield


def queue_for(bus: str, region: str = REGION) -> tuple[Any, str]:
    """An SQS queue receiving every logship event on ``bus``, and its URL."""
    import boto3

    events = boto3.client("events", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    name = bus.rsplit("/", 1)[-1]
    if bus != "default":
        events.create_event_bus(Name=name)
    url = sqs.create_queue(QueueName=f"logship-{name}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name=f"logship-{name}",
        EventBusName=name,
        EventPattern=json.dumps({"source": [SOURCE]}),
    )
    events.put_targets(Rule=f"logship-{name}", EventBusName=name, Targets=[{"Id": "q", "Arn": arn}])
    return sqs, url


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every event on the queue, removed from it."""
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return messages
        messages += [json.loads(message["Body"]) for message in batch]
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
