"""Tests for logship.aws_lambda and lambda_handler: CloudWatch, Kinesis and Firehose events."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from fakesentry import fake_sentry
from hypothesis import given
from hypothesis import strategies as st
from lambda_payloads import (
    DISTINCT_TRACES,
    REGION,
    FakeContext,
    SelectiveSink,
    cloudwatch_event,
    control_payload,
    firehose_event,
    kinesis_event,
    payload,
    sequence_number,
    stream_events,
    stream_name,
    summary_line,
    trace_lines,
    traces_payloads,
)

from logship import aws_lambda
from logship.aws_lambda import event_settings_for, handle, make_logger
from logship.config import Config, parse_config
from logship.event import EventSettings
from logship.exceptions import DeliveryError
from logship.settings import Settings
from logship.sink import MemorySink, SentrySink, Sink

ROOT = Path(__file__).resolve().parents[1]
# What ``import lambda_handler`` must not load: each serves only some invocations
# (a rules file, a DSN or config kept in AWS, the CLI, other input formats), and
# every module a cold start loads costs every container its import time.
LAZY = (
    "boto3",  # only for a DSN or rules file kept in Secrets Manager, SSM or S3
    "botocore",
    "tomllib",  # only with a rules file
    "regex",  # only with a rules file's message or scrub patterns
    "difflib",  # only to suggest a key in a config error
    "logship.config._document",  # the loader's validation: only with a rules file
    "logship.config._rule_tables",
    "logship.config._values",
    "logship.config._regex_safety",
    "logship.config.rules",  # the rule records: only with a rules file
    "logship.config.templates",
    "logship.rules._match",  # only with a config that has rules
    "logship.rules._annotate",  # only with annotate or route rules
    "logship.route",  # only with route rules
    "logship.cli",
    "logship.integrations",
    "logship.decode._files",  # the CLI's file readers, how they open and tell formats
    "logship.decode._format",
    "logship.decode._opened",
    "logship.records.tools",  # what logship pull and coverage read
)
SETTINGS = Settings(dsn="http://k@127.0.0.1:9/1", environment="test", region=REGION)


def run_handle(
    event: dict[str, Any], sink: Sink, *, config: Config | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run one invocation; return its response and its summary line."""
    out = io.StringIO()
    config = config or Config()
    response = handle(
        event,
        FakeContext(),
        settings=SETTINGS,
        config=config,
        event_settings=event_settings_for(SETTINGS, config),
        sink=sink,
        log=make_logger(out),
    )
    return response, summary_line(out)


def assert_adds_up(summary: dict[str, Any]) -> None:
    """Every event and every error is in exactly one bucket."""
    assert summary["events_received"] == (
        summary["events_invalid"] + summary["events_not_errors"] + summary["events_in_errors"]
    )
    assert summary["errors"] == (
        summary["shipped"] + summary["ignored"] + summary["suppressed"] + summary["failed"]
    )
    assert summary["pending"] == 0


class TestCloudWatch:
    def test_each_trace_becomes_one_event(self) -> None:
        """Four multi-line tracebacks in four streams give four events, all shipped."""
        sink = MemorySink()
        for data in traces_payloads():
            _, summary = run_handle(cloudwatch_event(data), sink)
            assert summary["kind"] == "cloudwatch"
            assert summary["shipped"] == 1
            assert summary["level"] == "info"
            assert_adds_up(summary)
        assert len(sink.events) == len(DISTINCT_TRACES)
        assert len({e["event_id"] for e in sink.events}) == len(DISTINCT_TRACES)
        assert {e["environment"] for e in sink.events} == {"test"}

    def test_event_ids_are_stable(self) -> None:
        """The same payload twice gives the same event id: a redelivery is idempotent."""
        first, second = MemorySink(), MemorySink()
        data = traces_payloads()[0]
        run_handle(cloudwatch_event(data), first)
        run_handle(cloudwatch_event(data), second)
        assert first.events[0]["event_id"] == second.events[0]["event_id"]

    def test_control_message(self) -> None:
        """A CONTROL_MESSAGE is counted, not shipped."""
        sink = MemorySink()
        _, summary = run_handle(cloudwatch_event(control_payload()), sink)
        assert summary["control_messages"] == 1
        assert summary["errors"] == 0
        assert sink.events == []

    def test_undecodable_payload_is_counted_not_raised(self) -> None:
        """Data that is not gzip is a counted problem named in the log line; no retry."""
        sink = MemorySink()
        event = {"awslogs": {"data": base64.b64encode(b"not gzip").decode()}}
        response, summary = run_handle(event, sink)
        assert summary["problems"] == 1
        assert summary["level"] == "warning"
        assert "gzip" in summary["problem_examples"][0]
        assert response["problems"] == 1

    def test_failed_delivery_raises(self) -> None:
        """An undelivered event fails the invocation (AWS retries it), after logging."""
        sink = SelectiveSink(failing_streams={stream_name(0)})
        out = io.StringIO()
        with pytest.raises(DeliveryError, match="1 of 1 errors were not delivered"):
            handle(
                cloudwatch_event(traces_payloads()[0]),
                FakeContext(),
                settings=SETTINGS,
                config=Config(),
                event_settings=EventSettings(),
                sink=sink,
                log=make_logger(out),
            )
        summary = summary_line(out)
        assert summary["failed"] == 1
        assert summary["level"] == "error"
        assert summary["failure_examples"][0]["reason"] == "HTTP 503 after 3 attempt(s)"
        assert_adds_up(summary)

    def test_suppressed_beyond_the_cap(self) -> None:
        """Past max_events_per_fingerprint, errors are counted as suppressed, not sent."""
        lines = trace_lines("key_error")
        streams = [stream_name(i) for i in range(3)]
        events = []
        for i, stream in enumerate(streams):
            events.append(payload(stream, stream_events(lines, first_id=(i + 1) * 10**50)))
        config = parse_config("max_events_per_fingerprint = 2", source="test")
        sink = MemorySink()
        response, summary = run_handle(kinesis_event(events), sink, config=config)
        assert response == {"batchItemFailures": []}
        assert (summary["shipped"], summary["suppressed"]) == (2, 1)
        assert len(sink.events) == 2
        assert_adds_up(summary)

    def test_ignored_errors_are_counted(self) -> None:
        """An ignore rule's errors are counted (by the pipeline) and never sent."""
        config = parse_config(
            '[[ignore]]\nname = "missing-keys"\nexception_top = ["KeyError"]\nreason = "noise"\n',
            source="test",
        )
        sink = MemorySink()
        _, summary = run_handle(kinesis_event(traces_payloads()), sink, config=config)
        assert summary["ignored"] == 1
        assert summary["ignore_rule_hits"] == {"missing-keys": 1}
        assert summary["shipped"] == len(DISTINCT_TRACES) - 1
        assert all(e["tags"].get("exception_type") != "KeyError" for e in sink.events)
        assert_adds_up(summary)

    def test_through_http(self) -> None:
        """Against a local envelope endpoint, the server receives each event once."""
        with fake_sentry() as server:
            sink = SentrySink(server.dsn)
            for data in traces_payloads():
                run_handle(cloudwatch_event(data), sink)
            sink.close()
        received = server.events
        assert len(received) == len(DISTINCT_TRACES)
        assert all("server_name" not in e for e in received)
        assert {e["exception"]["values"][-1]["type"] for e in received} >= {"KeyError"}


class TestKinesis:
    def test_all_delivered(self) -> None:
        """A batch that is fully delivered reports no batch item failures."""
        sink = MemorySink()
        response, summary = run_handle(kinesis_event(traces_payloads()), sink)
        assert response == {"batchItemFailures": []}
        assert summary["kind"] == "kinesis"
        assert summary["shipped"] == len(DISTINCT_TRACES)

    def test_only_failed_records_reported(self) -> None:
        """The records whose errors failed, and only those, are batch item failures."""
        sink = SelectiveSink(failing_streams={stream_name(2)})
        response, summary = run_handle(kinesis_event(traces_payloads()), sink)
        assert response == {"batchItemFailures": [{"itemIdentifier": sequence_number(2)}]}
        assert summary["failed"] == 1
        assert summary["shipped"] == len(DISTINCT_TRACES) - 1
        assert_adds_up(summary)

    def test_trace_split_across_records(self) -> None:
        """A trace cut across two records is one event; if it fails, both records retry."""
        events = stream_events(trace_lines("raise_from_timeout"), first_id=10**50)
        middle = len(events) // 2
        stream = stream_name(7)
        batch = kinesis_event([payload(stream, events[:middle]), payload(stream, events[middle:])])
        sink = SelectiveSink(failing_streams={stream})
        response, summary = run_handle(batch, sink)
        assert summary["errors"] == 1
        assert response["batchItemFailures"] == [
            {"itemIdentifier": sequence_number(0)},
            {"itemIdentifier": sequence_number(1)},
        ]


class TestFirehose:
    def test_results_per_record(self) -> None:
        """Ok keeps the data, a control message is Dropped, garbage and failures are
        ProcessingFailed."""
        datas: list[bytes | str] = [
            traces_payloads()[0],
            control_payload(),
            "bm90IGd6aXA=",  # base64 of "not gzip"
            traces_payloads()[1],
        ]
        event = firehose_event(datas)
        sink = SelectiveSink(failing_streams={stream_name(1)})
        response, summary = run_handle(event, sink)
        results = [(r["recordId"], r["result"]) for r in response["records"]]
        ids = [r["recordId"] for r in event["records"]]
        assert results == list(
            zip(ids, ["Ok", "Dropped", "ProcessingFailed", "ProcessingFailed"], strict=True)
        )
        assert [r["data"] for r in response["records"]] == [r["data"] for r in event["records"]]
        assert summary["kind"] == "firehose"
        assert "records[2]" in summary["problem_examples"][0]
        assert_adds_up(summary)


class TestEventSettingsFor:
    def test_env_tags_override_config_tags(self) -> None:
        """LOGSHIP_TAGS win over the config's tags of the same name; others are kept."""
        config = parse_config('[tags]\nteam = "core"\ntier = "2"\n', source="test")
        settings = Settings(dsn="x", tags=(("team", "payments"),))
        assert dict(event_settings_for(settings, config).tags) == {"team": "payments", "tier": "2"}


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("LOGSHIP_SENTRY_DSN_SECRET_ARN", "LOGSHIP_SENTRY_DSN_SSM_PARAMETER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "staging")
    # The logger is cached per container and bound to the sys.stdout of its first
    # call: a fresh one per test writes where this test's capsys reads.
    aws_lambda.container.cache_clear()
    aws_lambda._log.cache_clear()
    yield
    aws_lambda.container.cache_clear()
    aws_lambda._log.cache_clear()


@pytest.mark.usefixtures("lambda_env")
class TestLambdaHandler:
    def test_entry_point(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """lambda_handler.handler reads SENTRY_DSN and ships to it."""
        import lambda_handler

        with fake_sentry() as server:
            monkeypatch.setenv("SENTRY_DSN", server.dsn)
            response = lambda_handler.handler(cloudwatch_event(traces_payloads()[0]), FakeContext())
        assert response["shipped"] == 1
        (received,) = server.events
        assert received["environment"] == "staging"

    def test_bad_settings_fail_the_invocation(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without a DSN the invocation fails with a logged setup error."""
        monkeypatch.delenv("SENTRY_DSN", raising=False)
        import lambda_handler

        with pytest.raises(Exception, match="no Sentry DSN"):
            lambda_handler.handler(cloudwatch_event(traces_payloads()[0]), FakeContext())
        logged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert logged["event"] == "logship.setup_failed"

    def test_import_is_lean(self) -> None:
        """Importing the entry point loads neither boto3 nor the CLI."""
        code = (
            "import sys, lambda_handler; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore') "
            "or m.startswith('logship.cli')]; print(bad)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "[]"

    def test_import_defers_what_only_some_invocations_need(self) -> None:
        """The cold start loads none of :data:`LAZY`: each is for some invocations only."""
        code = "import json, sys, lambda_handler; print(json.dumps(sorted(sys.modules)))"
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        loaded = set(json.loads(out.stdout))
        assert not loaded & set(LAZY)
        # structlog writes the summary line: loaded by the entry point, by design.
        assert {"sentry_sdk", "structlog", "logship.pipeline", "logship.rules._decide"} <= loaded

    def test_lazy_modules_exist(self) -> None:
        """Every name in :data:`LAZY` is importable, so the test above cannot pass on a typo."""
        code = f"import importlib; [importlib.import_module(m) for m in {sorted(LAZY)!r}]"
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")


def logged(calls: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """The lines :func:`make_logger` writes for ``calls`` ((level, event, fields) each)."""
    out = io.StringIO()
    log = make_logger(out)
    for level, event, fields in calls:
        getattr(log, level)(event, **fields)
    return out.getvalue().splitlines()


class Described:
    """A value with structlog's ``__structlog__`` hook, which the renderer calls."""

    def __structlog__(self) -> str:
        return "described"


class Opaque:
    """A value JSON cannot encode and without the hook: rendered as its repr."""

    def __repr__(self) -> str:
        return "<opaque>"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
FIELD_NAMES = st.text(st.characters(categories=("L", "N"), include_characters="_"), min_size=1)


class TestMakeLogger:
    def test_summary_line_shape(self) -> None:
        """One JSON object per call: the fields in call order, then event, level, timestamp."""
        (line,) = logged([("info", "logship.run", {"kind": "cloudwatch", "balanced": True})])
        parsed = json.loads(line)
        assert list(parsed) == ["kind", "balanced", "event", "level", "timestamp"]
        assert parsed["event"] == "logship.run"
        assert parsed["level"] == "info"
        assert ISO_UTC.fullmatch(parsed["timestamp"])

    def test_levels_from_info_up(self) -> None:
        """warning and error are written with their level; debug is dropped."""
        lines = logged(
            [
                ("debug", "dropped", {}),
                ("warning", "logship.run", {"problem_examples": ["p.json:1: bad"]}),
                ("error", "logship.setup_failed", {"error": "SettingsError: no DSN: \u00e9"}),
            ]
        )
        assert [json.loads(line)["level"] for line in lines] == ["warning", "error"]
        assert json.loads(lines[1])["error"] == "SettingsError: no DSN: \u00e9"

    def test_values_json_cannot_encode(self) -> None:
        """structlog's fallbacks: the ``__structlog__`` hook, else repr."""
        (line,) = logged([("info", "odd", {"hook": Described(), "o": Opaque(), "b": b"x"})])
        assert json.loads(line) | {"timestamp": "T"} == {
            "hook": "described",
            "o": "<opaque>",
            "b": "b'x'",
            "event": "odd",
            "level": "info",
            "timestamp": "T",
        }

    @given(
        level=st.sampled_from(["info", "warning", "error"]),
        event=st.text(max_size=20),
        fields=st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=5),
    )
    def test_any_fields_round_trip(self, level: str, event: str, fields: dict[str, Any]) -> None:
        """For any JSON fields the line parses back to them, with event and level."""
        for reserved in ("event", "level", "timestamp"):
            fields.pop(reserved, None)
        (line,) = logged([(level, event, fields)])
        parsed = json.loads(line)
        assert ISO_UTC.fullmatch(parsed.pop("timestamp"))
        assert parsed == {**fields, "event": event, "level": level}

    def test_global_structlog_untouched(self) -> None:
        """Making and using the logger configures nothing process-wide."""
        before = structlog.get_config()
        configured = structlog.is_configured()
        logged([("info", "hello", {"n": 1})])
        assert structlog.get_config() == before
        assert structlog.is_configured() is configured

    def test_writes_to_stdout_by_default(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without ``out`` the line goes to sys.stdout, where Lambda collects it."""
        make_logger().info("hello", n=1)
        assert json.loads(capsys.readouterr().out)["event"] == "hello"
