"""Route rules through the Lambda: moto's EventBridge with an SQS target per bus.

The handler runs on Kinesis and CloudWatch events of real Python tracebacks with
a config whose route rules send KeyErrors to the default bus and JSON errors to
an ``ops`` bus; what a consumer receives is read back from SQS and checked
against the documented schema (``docs/schemas/logship.error-1.json``).

EventBridge refuses an entry it may not take one by one in its answer (an entry
for a bus the function's role may not use: ``AccessDeniedException``); moto
fails the whole call instead, for a bus that does not exist. Both are tested:
the per-entry refusal through :class:`Gate`, a thin client in front of moto's.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lambda_payloads import (
    REGION,
    FakeContext,
    cloudwatch_event,
    kinesis_event,
    payload,
    sequence_number,
    stream_events,
    stream_name,
    summary_line,
    traces_payloads,
)
from route_support import moto_aws, queue_for, received

from logship import aws_lambda
from logship.aws_lambda import event_settings_for, handle, make_logger
from logship.config import Config, parse_config
from logship.exceptions import DeliveryError
from logship.route import EventBridgePublisher
from logship.settings import Settings
from logship.sink import MemorySink

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "logship.error-1.json").read_text("utf-8"))
OPS_BUS = "arn:aws:events:eu-west-1:123456789012:event-bus/ops"
SETTINGS = Settings(dsn="http://k@127.0.0.1:9/1", environment="test", region=REGION)
CONFIG = f"""
max_events_per_fingerprint = 1

[tags]
team = "platform"

[[annotate]]
name = "orders-owner"
service = "orders"
team = "checkout"
severity = "high"
runbook = "https://wiki.example.com/runbooks/{{{{ service }}}}/{{{{ root_cause }}}}"

[[route]]
name = "key-errors"
root_cause = "KeyError"
eventbridge_bus = "default"

[[route]]
name = "json-to-ops"
root_cause = "JSONDecodeError"
eventbridge_bus = "{OPS_BUS}"

[[route]]
name = "secrets"
message_glob = "*refund*"
eventbridge_bus = "default"
"""
KEY_ERRORS = 3  # the KeyError trace in three streams: one fingerprint, three records


def config() -> Config:
    return parse_config(CONFIG, source="t.toml")


def batch() -> dict[str, Any]:
    """Kinesis records 0-2: a KeyError each; record 3: a JSONDecodeError."""
    return kinesis_event(traces_payloads(["key_error"] * KEY_ERRORS + ["json_decode"]))


def invoke(
    event: dict[str, Any], publisher: Any, sink: MemorySink | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One invocation; its response and its summary line."""
    out = io.StringIO()
    cfg = config()
    response = handle(
        event,
        FakeContext(),
        settings=SETTINGS,
        config=cfg,
        event_settings=event_settings_for(SETTINGS, cfg),
        sink=sink if sink is not None else MemorySink(),
        log=make_logger(out),
        publisher=publisher,
    )
    return response, summary_line(out)


def assert_adds_up(summary: dict[str, Any]) -> None:
    """Routing is an output beside Sentry: the errors' identity does not change."""
    assert summary["errors"] == (
        summary["shipped"] + summary["ignored"] + summary["suppressed"] + summary["failed"]
    )


class Gate:
    """A PutEvents client in front of moto's that refuses the entries for ``denied`` buses,
    one by one, as EventBridge answers for a bus the role may not use."""

    def __init__(self, client: Any, denied: set[str]) -> None:
        self.client = client
        self.denied = denied
        self.sent: list[str] = []  # logship ids forwarded to moto

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        passing = [e for e in Entries if e["EventBusName"] not in self.denied]
        accepted = iter(self.client.put_events(Entries=passing)["Entries"] if passing else [])
        self.sent += [json.loads(e["Detail"])["logship_id"] for e in passing]
        results = [
            {"ErrorCode": "AccessDeniedException", "ErrorMessage": "not authorized"}
            if e["EventBusName"] in self.denied
            else next(accepted)
            for e in Entries
        ]
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, tuple[Any, str]]]:
    """moto with a queue behind the default bus and one behind the ops bus."""
    with moto_aws(monkeypatch, REGION):
        yield {"default": queue_for("default"), "ops": queue_for(OPS_BUS)}


def moto_client() -> Any:
    import boto3

    return boto3.client("events", region_name=REGION)


class TestRoutesThroughTheLambda:
    def test_consumers_receive_one_event_per_fingerprint(
        self, queues: dict[str, tuple[Any, str]]
    ) -> None:
        """Each bus's consumer gets the schema's detail; flood control does not cut the count."""
        sink = MemorySink()
        response, summary = invoke(batch(), EventBridgePublisher(region=REGION), sink)
        assert response == {"batchItemFailures": []}
        assert_adds_up(summary)
        assert (summary["shipped"], summary["suppressed"]) == (2, KEY_ERRORS - 1)
        assert (summary["routed"], summary["route_failed"]) == (2, 0)
        assert summary["route_rule_hits"] == {"key-errors": KEY_ERRORS, "json-to-ops": 1}
        assert summary["annotate_rule_hits"] == {"orders-owner": KEY_ERRORS + 1}
        (on_default,) = received(*queues["default"])
        (on_ops,) = received(*queues["ops"])
        for event in (on_default, on_ops):
            assert event["source"] == "logship"
            assert event["detail-type"] == "logship.error"
            jsonschema.validate(event["detail"], SCHEMA)
            assert (event["detail"]["team"], event["detail"]["severity"]) == ("checkout", "high")
            assert event["detail"]["environment"] == "test"
        key_error = on_default["detail"]
        assert key_error["route"] == "key-errors"
        assert key_error["count"] == KEY_ERRORS  # two of them were suppressed in Sentry
        assert key_error["runbook"] == "https://wiki.example.com/runbooks/orders/KeyError"
        assert key_error["runbook_rule"] == "orders-owner"
        # The detail names the Sentry event the sink received for the first KeyError.
        sent = {e["event_id"]: e for e in sink.events}
        assert sent[key_error["sentry_event_id"]]["tags"]["root_cause"] == "KeyError"
        assert sent[key_error["sentry_event_id"]]["tags"]["team"] == "checkout"
        assert on_ops["detail"]["route"] == "json-to-ops"
        assert on_ops["detail"]["count"] == 1

    def test_scrubbed_like_the_sentry_event(self, queues: dict[str, tuple[Any, str]]) -> None:
        """A secret in the log line reaches neither Sentry nor the bus."""
        line = (
            "2024-05-01 10:00:00,123 ERROR [payments] refund 1485 for bob@example.com "
            "stuck: password=hunter2"
        )
        data = payload(stream_name(7), stream_events([line], first_id=7 * 10**50))
        sink = MemorySink()
        invoke(cloudwatch_event(data), EventBridgePublisher(region=REGION), sink)
        (event,) = received(*queues["default"])
        jsonschema.validate(event["detail"], SCHEMA)
        assert event["detail"]["route"] == "secrets"
        for text in (json.dumps(event), json.dumps(sink.events)):
            assert "hunter2" not in text
            assert "bob@example.com" not in text
        assert "[Filtered" in event["detail"]["message"]

    def test_a_refused_event_hands_back_its_kinesis_records(
        self, queues: dict[str, tuple[Any, str]]
    ) -> None:
        """The ops event is refused: only its record comes back; Sentry and the other bus
        got theirs."""
        gate = Gate(moto_client(), denied={OPS_BUS})
        response, summary = invoke(batch(), EventBridgePublisher(client=gate))
        assert response == {"batchItemFailures": [{"itemIdentifier": sequence_number(3)}]}
        assert_adds_up(summary)
        assert (summary["routed"], summary["route_failed"], summary["failed"]) == (1, 1, 0)
        assert summary["level"] == "error"
        (failure,) = summary["route_failure_examples"]
        assert failure["route"] == "json-to-ops"
        assert failure["reason"].startswith("AccessDeniedException")
        assert len(received(*queues["default"])) == 1
        assert received(*queues["ops"]) == []

    def test_a_failed_publish_fails_a_cloudwatch_invocation(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A bus that does not exist (moto fails the whole call): the invocation raises."""
        with moto_aws(monkeypatch, REGION):
            queue_for("default")  # the ops bus is never created
            data = traces_payloads(["json_decode"])[0]
            with pytest.raises(DeliveryError, match="1 of 1 route events were not published"):
                invoke(cloudwatch_event(data), EventBridgePublisher(region=REGION))

    def test_a_retry_publishes_nothing_twice(self, queues: dict[str, tuple[Any, str]]) -> None:
        """Kinesis redelivers the batch to the same (warm) container: only what did not go
        is published; every consumer sees each event once."""
        gate = Gate(moto_client(), denied={OPS_BUS})
        publisher = EventBridgePublisher(client=gate)
        first, _ = invoke(batch(), publisher)
        assert first["batchItemFailures"]  # the ops record comes back
        gate.denied.clear()  # the role is fixed; AWS delivers the batch again
        again, summary = invoke(batch(), publisher)
        assert again == {"batchItemFailures": []}
        assert (summary["routed"], summary["route_failed"]) == (2, 0)
        assert len(gate.sent) == len(set(gate.sent)) == 2  # the KeyError event went once
        (on_default,) = received(*queues["default"])
        (on_ops,) = received(*queues["ops"])
        assert on_default["detail"]["logship_id"] != on_ops["detail"]["logship_id"]

    def test_throttled_entries_are_retried_alone_within_the_invocation(
        self, queues: dict[str, tuple[Any, str]]
    ) -> None:
        """EventBridge throttles the first call: the retry sends only what was refused."""

        class Throttled(Gate):
            def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
                self.denied = {OPS_BUS} if not self.sent else set()
                result = super().put_events(Entries=Entries)
                for entry in result["Entries"]:
                    if entry.get("ErrorCode"):
                        entry["ErrorCode"] = "ThrottlingException"
                return result

        gate = Throttled(moto_client(), denied=set())
        publisher = EventBridgePublisher(client=gate, sleep=lambda _: None)
        response, summary = invoke(batch(), publisher)
        assert response == {"batchItemFailures": []}
        assert (summary["routed"], summary["route_failed"]) == (2, 0)
        assert len(gate.sent) == len(set(gate.sent)) == 2
        assert publisher.calls == 2
        assert len(received(*queues["default"])) == len(received(*queues["ops"])) == 1

    def test_a_fresh_container_publishes_again_with_the_same_id(
        self, queues: dict[str, tuple[Any, str]]
    ) -> None:
        """Across containers nothing is remembered: the consumer sees the event again, with
        the same ``logship_id`` to deduplicate on (docs/automation.md)."""
        invoke(batch(), EventBridgePublisher(region=REGION))
        invoke(batch(), EventBridgePublisher(region=REGION))
        events = received(*queues["default"])
        assert len(events) == 2
        assert len({event["detail"]["logship_id"] for event in events}) == 1


class TestContainer:
    def test_a_publisher_only_with_route_rules(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """The container makes one EventBridge publisher when the config routes, none else."""
        monkeypatch.setenv("SENTRY_DSN", "http://k@127.0.0.1:9/1")
        monkeypatch.setenv("AWS_REGION", REGION)
        for name in ("LOGSHIP_SENTRY_DSN_SECRET_ARN", "LOGSHIP_SENTRY_DSN_SSM_PARAMETER"):
            monkeypatch.delenv(name, raising=False)
        rules = tmp_path / "logship.toml"
        rules.write_text(CONFIG, encoding="utf-8")
        try:
            monkeypatch.setenv("LOGSHIP_CONFIG", str(rules))
            aws_lambda.container.cache_clear()
            state = aws_lambda.container()
            assert isinstance(state.publisher, EventBridgePublisher)
            assert state.publisher.calls == 0  # no client made before a publish
            monkeypatch.delenv("LOGSHIP_CONFIG")
            aws_lambda.container.cache_clear()
            assert aws_lambda.container().publisher is None
        finally:
            aws_lambda.container.cache_clear()
