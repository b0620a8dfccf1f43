"""Tests for logship.route: the event detail, one event per fingerprint, and publishing.

The publisher runs against moto's EventBridge with a rule that sends the bus's
events to an SQS queue: what a consumer would receive is read back from the
queue and checked against the documented schema (docs/schemas/). Failures and
throttling use scripted clients and an injected clock, so no test waits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fake_time import FakeTime
from route_support import moto_aws, queue_for, received

from logship.config import Config, parse_config
from logship.event import event_id
from logship.fingerprint import fingerprint
from logship.records import (
    Annotation,
    ExceptionInfo,
    Fingerprinted,
    Frame,
    LogRecord,
    ParsedError,
    Relation,
    RequestContext,
    RouteEntry,
)
from logship.route import (
    MAX_ENTRIES_PER_CALL,
    SCHEMA,
    SOURCE,
    EventBridgePublisher,
    MemoryPublisher,
    RouteCollector,
    failed_batch_items,
    route_detail,
    route_id,
)
from logship.route._detail import entry_size
from logship.rules import decide
from logship.scrub import Scrubber

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "docs" / "schemas" / "logship.error-1.json"
DOCS = ROOT / "docs" / "automation.md"
REGION = "eu-west-1"
ACCOUNT = "111122223333"
T0 = 1_714_557_605_000  # 2024-05-01T10:00:05Z
BUS_ARN = f"arn:aws:events:{REGION}:123456789012:event-bus/ops"

CONFIG = f"""
[environments]
"{ACCOUNT}" = "production"

[[annotate]]
name = "payments-owner"
service = "payments"
team = "payments"
severity = "high"
runbook = "https://wiki.example.com/runbooks/{{{{ service }}}}/{{{{ root_cause }}}}"
tags = {{ tier = "1" }}

[[route]]
name = "payments-recoveries"
service = "payments"
root_cause = "NumberFormatException"
eventbridge_bus = "default"

[[route]]
name = "ops"
service = "*"
eventbridge_bus = "{BUS_ARN}"
detail_type = "logship.ops"
"""


def make_item(
    *,
    stream: str = "ecs/payments/0f3a",
    event: str = "37512345678901234567890123456789012345678901234567890001",
    timestamp: int = T0,
    message: str = "cannot charge order 57058",
    cause: str = 'For input string: "12a"',
    batch_item: str = "",
    context: RequestContext | None = None,
) -> Fingerprinted:
    """A Java payment error caused by a NumberFormatException, as the parse stage gives it."""
    frames = (
        Frame("parseInt", "java.lang.Integer", "Integer.java", 652),
        Frame("charge", "com.shop.payment.PaymentService", "PaymentService.java", 88, True),
    )
    record = LogRecord(
        log_group="/ecs/payment-service",
        log_stream=stream,
        owner=ACCOUNT,
        region=REGION,
        timestamp=timestamp,
        event_ids=(event,),
        lines=(f"ERROR {message}",),
        batch_items=(batch_item,) if batch_item else (),
    )
    error = ParsedError(
        record=record,
        service="payments",
        level="error",
        message=message,
        logger="com.shop.payment.PaymentService",
        language="java",
        chain=(
            ExceptionInfo("com.shop.payment.PaymentException", message),
            ExceptionInfo(
                "java.lang.NumberFormatException", cause, frames=frames, relation=Relation.CAUSE
            ),
        ),
        context=context or RequestContext(trace_id="4bf92f3577b34da6a3ce929d0e0e4736"),
    )
    return fingerprint(error)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def config() -> Config:
    return parse_config(CONFIG, source="t.toml")


def collected(*items: Fingerprinted, environment: str = "") -> RouteCollector:
    """A collector fed ``items`` as the pipeline would: decided, then added."""
    cfg = config()
    collector = RouteCollector(cfg, environment=environment)
    for item in items:
        decision = decide(item, cfg, today=date(2024, 5, 1))
        collector.add(decision.item, decision.annotation, decision.routes)
    return collector


class TestRouteId:
    def test_stable_and_distinct(self) -> None:
        """The same inputs give the same 32 hex digits; any other bus, rule or error another."""
        one = route_id("default", "r", ("a", "b"), "e1")
        assert one == route_id("default", "r", ("a", "b"), "e1")
        assert len(one) == 32
        assert int(one, 16) >= 0
        others = {
            route_id(BUS_ARN, "r", ("a", "b"), "e1"),
            route_id("default", "s", ("a", "b"), "e1"),
            route_id("default", "r", ("a", "c"), "e1"),
            route_id("default", "r", ("ab",), "e1"),
            route_id("default", "r", ("a", "b"), "e2"),
        }
        assert one not in others
        assert len(others) == 5


class TestRouteDetail:
    def test_matches_the_schema(self, schema: dict[str, Any]) -> None:
        """A detail validates against the documented JSON schema, which allows nothing more."""
        item = make_item()
        annotation = Annotation(
            team="payments",
            severity="high",
            runbook="https://wiki.example.com/runbooks/payments",
            runbook_rule="payments-owner",
            tags=(("tier", "1"),),
            rules=("payments-owner",),
        )
        detail = route_detail(
            item,
            rule="payments-recoveries",
            logship_id="0" * 32,
            annotation=annotation,
            count=3,
            first_timestamp=T0,
            last_timestamp=T0 + 11_000,
            environment="production",
        )
        jsonschema.validate(detail, schema)
        assert set(detail) == set(schema["properties"])
        assert detail["schema"] == SCHEMA
        assert (detail["count"], detail["route"]) == (3, "payments-recoveries")
        assert (detail["service"], detail["team"], detail["account"]) == (
            "payments",
            "payments",
            ACCOUNT,
        )
        assert (detail["first_seen"], detail["last_seen"]) == (
            "2024-05-01T10:00:05.000Z",
            "2024-05-01T10:00:16.000Z",
        )
        assert detail["console_url"].startswith(
            f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
        )
        assert detail["culprit"] == {
            "function": "charge",
            "module": "com.shop.payment.PaymentService",
            "filename": "PaymentService.java",
            "lineno": 88,
        }
        assert detail["types"] == [
            "com.shop.payment.PaymentException",
            "java.lang.NumberFormatException",
        ]
        assert detail["fingerprint"] == list(item.fingerprint)
        assert detail["sentry_event_id"] == event_id(item.error)
        assert detail["cause_chain"][-1] == {
            "type": "java.lang.NumberFormatException",
            "message": 'For input string: "12a"',
        }
        assert (detail["runbook"], detail["runbook_rule"]) == (
            "https://wiki.example.com/runbooks/payments",
            "payments-owner",
        )
        assert detail["tags"] == {"tier": "1"}
        assert detail["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert detail["severity"] == "high"

    def test_absent_values_are_null(self, schema: dict[str, Any]) -> None:
        """Without an annotation, environment or request ids, those fields are null."""
        item = make_item(context=RequestContext())
        detail = route_detail(item, rule="r", logship_id="f" * 32)
        jsonschema.validate(detail, schema)
        for key in ("team", "severity", "environment", "runbook", "runbook_rule", "request_id"):
            assert detail[key] is None, key
        assert detail["first_seen"] == detail["last_seen"]
        assert (detail["tags"], detail["annotate_rules"]) == ({}, [])

    def test_scrubbed_like_sentry_events(self) -> None:
        """Secrets in messages are masked; ids and times are never touched."""
        item = make_item(
            message="charge failed for bob@example.com password=hunter2",
            cause="token=abcdef123456 rejected",
        )
        detail = route_detail(item, rule="r", logship_id="a" * 32)
        text = json.dumps(detail)
        for secret in ("bob@example.com", "hunter2", "abcdef123456"):
            assert secret not in text
        assert "[Filtered:email]" in detail["message"]
        assert detail["logship_id"] == "a" * 32
        assert detail["sentry_event_id"] == event_id(item.error)
        unscrubbed = route_detail(item, rule="r", logship_id="a" * 32, scrubber=Scrubber.disabled())
        assert "hunter2" in unscrubbed["message"]

    def test_long_chains_keep_both_ends(self, schema: dict[str, Any]) -> None:
        """A chain of 30 keeps the 5 outermost and the 5 innermost, and says how many it left."""
        base = make_item()
        chain = tuple(
            ExceptionInfo(f"com.shop.E{n}", "m" * 5000, relation=Relation.CAUSE if n else None)
            for n in range(30)
        )
        error = ParsedError(base.error.record, "payments", "error", "x" * 10_000, chain=chain)
        detail = route_detail(fingerprint(error), rule="r", logship_id="b" * 32)
        jsonschema.validate(detail, schema)
        types = [cause["type"] for cause in detail["cause_chain"]]
        assert types == [f"com.shop.E{n}" for n in (0, 1, 2, 3, 4, 25, 26, 27, 28, 29)]
        assert detail["causes_omitted"] == 20
        assert len(detail["types"]) == 20


class TestRouteCollector:
    def test_one_event_per_rule_and_fingerprint(self, schema: dict[str, Any]) -> None:
        """Three errors of one fingerprint: one event per matching rule, count 3, first's fields."""
        items = [
            make_item(event=f"{n:056d}", timestamp=T0 + 5000 * n, batch_item=f"seq-{n % 2}")
            for n in range(3)
        ]
        collector = collected(*items, environment="staging")
        assert collector.counts() == {"payments-recoveries": 1, "ops": 1}
        entries = collector.entries()
        assert [(e.rule, e.bus, e.detail_type) for e in entries] == [
            ("payments-recoveries", "default", "logship.error"),
            ("ops", BUS_ARN, "logship.ops"),
        ]
        for entry in entries:
            detail = json.loads(entry.detail)
            jsonschema.validate(detail, schema)
            assert detail["count"] == entry.errors == 3
            assert detail["sentry_event_id"] == event_id(items[0].error)
            assert detail["first_seen"] == "2024-05-01T10:00:05.000Z"
            assert detail["last_seen"] == "2024-05-01T10:00:15.000Z"
            assert detail["environment"] == "production"  # the account's, over the default
            assert detail["team"] == "payments"
            assert detail["runbook"] == (
                "https://wiki.example.com/runbooks/payments/java.lang.NumberFormatException"
            )
            assert detail["logship_id"] == entry.logship_id
            assert entry.batch_items == ("seq-0", "seq-1")
        assert collector.entries() == []  # handed out once

    def test_same_logs_same_ids(self) -> None:
        """A retry of the same logs gives the same ids; other logs give others."""
        first = [e.logship_id for e in collected(make_item()).entries()]
        again = [e.logship_id for e in collected(make_item()).entries()]
        other = [e.logship_id for e in collected(make_item(event="9" * 56)).entries()]
        assert first == again
        assert not set(first) & set(other)

    def test_lone_surrogates_do_not_break_the_entry(self) -> None:
        """A lone surrogate (valid in CloudWatch's JSON) is replaced: the entry encodes."""
        entries = collected(make_item(stream="ecs/payments/\ud800")).entries()
        (ops,) = [e for e in entries if e.rule == "ops"]
        assert entry_size(ops) > 0
        assert json.loads(ops.detail)["log_stream"] == "ecs/payments/?"

    def test_unknown_rule_is_a_failure_not_a_crash(self) -> None:
        """A route name the config does not have becomes a counted failure with its batch items."""
        collector = RouteCollector(Config())
        collector.add(make_item(batch_item="seq-9"), Annotation(), ("gone",))
        assert collector.entries() == []
        (failure,) = collector.failures
        assert (failure.rule, failure.errors, failure.batch_items) == ("gone", 1, ("seq-9",))
        assert "no route rule 'gone'" in failure.reason


# --- publishing --------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's EventBridge and SQS, with each bus's events going to a queue."""
    with moto_aws(monkeypatch, REGION):
        yield


def entry(n: int, *, bus: str = "default", rule: str = "r") -> RouteEntry:
    """A small entry with id ``n``."""
    identifier = f"{n:032x}"
    return RouteEntry(
        identifier, rule, bus, "logship.error", json.dumps({"logship_id": identifier})
    )


class ClientError(Exception):
    """What botocore raises: the service's code in ``response``."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": message}}


class Scripted:
    """A PutEvents client: each call's outcome per entry comes from ``script``.

    ``script(call_number, entry_id)`` returns None (accepted), an error code for
    that entry, or raises for the whole call.
    """

    def __init__(self, script: Any) -> None:
        self.script = script
        self.requests: list[list[str]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        call = len(self.requests)
        ids = [json.loads(e["Detail"])["logship_id"] for e in Entries]
        self.requests.append(ids)
        results: list[dict[str, Any]] = []
        for identifier in ids:
            code = self.script(call, identifier)
            if code is None:
                results.append({"EventId": f"ev-{identifier}"})
            else:
                results.append({"ErrorCode": code, "ErrorMessage": f"{code} for this entry"})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


class TestEventBridgePublisher:
    def test_consumer_receives_the_documented_detail(
        self, aws: Any, schema: dict[str, Any]
    ) -> None:
        """Through moto: each bus's rule sends the event to SQS, with the schema's detail."""
        default_queue = queue_for("default")
        ops_queue = queue_for(BUS_ARN)
        entries = collected(make_item(), make_item(event="2" * 56)).entries()
        publisher = EventBridgePublisher(region=REGION)
        result = publisher.publish(entries)
        assert result.ok
        assert (result.routed, result.route_failed, result.calls) == (2, 0, 1)
        (on_default,) = received(*default_queue)
        (on_ops,) = received(*ops_queue)
        for event, detail_type in ((on_default, "logship.error"), (on_ops, "logship.ops")):
            assert event["source"] == SOURCE
            assert event["detail-type"] == detail_type
            jsonschema.validate(event["detail"], schema)
            assert event["detail"]["count"] == 2
            assert event["detail"]["team"] == "payments"
        assert on_default["detail"]["route"] == "payments-recoveries"
        assert on_ops["detail"]["route"] == "ops"

    def test_nothing_twice_within_an_invocation(self, aws: Any) -> None:
        """Publishing the same entries again sends nothing; a repeated id is sent once."""
        queue = queue_for("default")
        entries = [entry(1), entry(2), entry(1)]
        publisher = EventBridgePublisher(region=REGION)
        first = publisher.publish(entries)
        assert (first.published, first.duplicates) == ((f"{1:032x}", f"{2:032x}"), (f"{1:032x}",))
        second = publisher.publish(entries[:2])
        assert (second.published, second.calls) == ((), 0)
        assert second.duplicates == (f"{1:032x}", f"{2:032x}")
        assert second.routed == 2
        assert len(received(*queue)) == 2

    def test_at_most_ten_entries_per_call(self) -> None:
        """25 entries take three calls of 10, 10 and 5."""
        client = Scripted(lambda call, identifier: None)
        result = EventBridgePublisher(client=client).publish([entry(n) for n in range(25)])
        assert [len(ids) for ids in client.requests] == [MAX_ENTRIES_PER_CALL, 10, 5]
        assert result.routed == 25
        assert result.calls == 3

    def test_large_entries_split_requests_by_size(self) -> None:
        """Entries of 100 KB go two per request (256 KB); one over 256 KB fails alone."""
        big = [
            RouteEntry(
                f"{n:032x}",
                "r",
                "default",
                "t",
                json.dumps({"logship_id": f"{n:032x}", "x": "y" * 100_000}),
            )
            for n in range(3)
        ]
        huge = RouteEntry("f" * 32, "r", "default", "t", json.dumps({"x": "y" * 300_000}))
        client = Scripted(lambda call, identifier: None)
        result = EventBridgePublisher(client=client).publish([*big, huge])
        assert [len(ids) for ids in client.requests] == [2, 1]
        assert result.routed == 3
        (failure,) = result.failed
        assert failure.logship_id == "f" * 32
        assert "EventBridge takes 256 KB" in failure.reason

    def test_partial_failure_retries_only_what_may_pass(self) -> None:
        """Entries refused for rate are retried alone; malformed ones fail with their reason."""

        def script(call: int, identifier: str) -> str | None:
            n = int(identifier, 16)
            if n == 3:
                return "MalformedDetail"
            if n == 4 and call == 0:
                return "ThrottlingException"
            return None

        client = Scripted(script)
        fake = FakeTime()
        publisher = EventBridgePublisher(
            client=client, clock=fake.clock, sleep=fake.sleep, jitter=lambda: 1.0
        )
        batch = (1, 2, 3, 4)
        entries = [
            RouteEntry(
                f"{n:032x}",
                "r",
                "default",
                "t",
                json.dumps({"logship_id": f"{n:032x}"}),
                1,
                (f"seq-{n}",),
            )
            for n in batch
        ]
        result = publisher.publish(entries, deadline=10.0)
        assert client.requests == [[f"{n:032x}" for n in batch], [f"{4:032x}"]]
        assert result.published == (f"{1:032x}", f"{2:032x}", f"{4:032x}")
        (failure,) = result.failed
        assert (failure.logship_id, failure.reason) == (
            f"{3:032x}",
            "MalformedDetail: MalformedDetail for this entry",
        )
        assert failed_batch_items(result) == {"seq-3"}
        assert (result.routed, result.route_failed) == (3, 1)
        assert fake.slept == [0.2]
        assert publisher.retries == 1
        # A retry of the invocation sends only the entry that did not go.
        again = publisher.publish(entries, deadline=10.0)
        assert client.requests[-1] == [f"{3:032x}"]
        assert again.duplicates == (f"{1:032x}", f"{2:032x}", f"{4:032x}")

    def test_throttling_gives_up_at_the_deadline(self) -> None:
        """A bus that keeps throttling: retries until the next wait would pass the deadline."""

        def script(call: int, identifier: str) -> str | None:
            raise ClientError("ThrottlingException", "Rate exceeded")

        client = Scripted(script)
        fake = FakeTime()
        publisher = EventBridgePublisher(
            client=client, clock=fake.clock, sleep=fake.sleep, jitter=lambda: 1.0
        )
        result = publisher.publish([entry(1), entry(2)], deadline=1.0)
        assert fake.slept == [0.2, 0.4]  # 0.8 s more would end past 1.0
        assert fake.clock() <= 1.0
        assert len(client.requests) == 3
        assert result.published == ()
        assert [f.reason for f in result.failed] == [
            "ThrottlingException: Rate exceeded (gave up retrying)"
        ] * 2
        assert result.route_failed == 2

    def test_throttling_then_success(self) -> None:
        """Throttled twice, then accepted: everything routed, nothing failed."""

        def script(call: int, identifier: str) -> str | None:
            if call < 2:
                raise ClientError("ThrottlingException")
            return None

        fake = FakeTime()
        publisher = EventBridgePublisher(
            client=Scripted(script), clock=fake.clock, sleep=fake.sleep, jitter=lambda: 1.0
        )
        result = publisher.publish([entry(1)], deadline=5.0)
        assert (result.routed, result.route_failed, result.calls) == (1, 0, 3)

    def test_refusal_fails_the_whole_call_at_once(self) -> None:
        """AccessDenied (no permission on the bus) is not retried: every entry fails with it."""

        def script(call: int, identifier: str) -> str | None:
            raise ClientError("AccessDeniedException", "not authorized to perform events:PutEvents")

        fake = FakeTime()
        client = Scripted(script)
        publisher = EventBridgePublisher(client=client, clock=fake.clock, sleep=fake.sleep)
        result = publisher.publish([entry(1), entry(2)], deadline=5.0)
        assert len(client.requests) == 1
        assert fake.slept == []
        assert {f.reason for f in result.failed} == {
            "AccessDeniedException: not authorized to perform events:PutEvents"
        }

    def test_client_is_made_on_first_publish(self) -> None:
        """No client is made until there is something to publish."""
        made: list[int] = []

        def factory() -> Scripted:
            made.append(1)
            return Scripted(lambda call, identifier: None)

        publisher = EventBridgePublisher(client_factory=factory)
        assert publisher.publish([]).routed == 0
        assert made == []
        publisher.publish([entry(1)])
        assert made == [1]


class TestImports:
    def test_no_boto3_until_a_publish(self) -> None:
        """Importing the routes and building entries loads neither boto3 nor botocore."""
        import subprocess
        import sys

        code = (
            "import sys, logship.route, logship.rules\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        ).stdout
        assert out.strip() == "[]"


class TestMemoryPublisher:
    def test_accepts_and_keeps_everything(self) -> None:
        """The dry run's publisher keeps the entries and reports them routed."""
        publisher = MemoryPublisher()
        result = publisher.publish([entry(1), entry(2)])
        assert result.routed == 2
        assert [e.logship_id for e in publisher.entries] == [f"{1:032x}", f"{2:032x}"]


class TestDocs:
    def test_every_field_is_documented(self, schema: dict[str, Any]) -> None:
        """docs/automation.md names each field of the schema (in backquotes)."""
        docs = DOCS.read_text(encoding="utf-8")
        missing = [name for name in schema["properties"] if f"`{name}`" not in docs]
        assert not missing
        assert SCHEMA in docs

    def test_the_example_event_validates(self, schema: dict[str, Any]) -> None:
        """The example in docs/automation.md is an event whose detail fits the schema."""
        docs = DOCS.read_text(encoding="utf-8")
        block = docs.split("```json\n", 1)[1].split("```", 1)[0]
        event = json.loads(block)
        assert (event["source"], event["detail-type"]) == (SOURCE, "logship.error")
        jsonschema.validate(event["detail"], schema)
