"""Tests for logship.event: Fingerprinted errors become Sentry events Relay accepts.

Every event built here goes through Sentry Relay's own normalizer
(``sentry_relay.StoreNormalizer``), which lists what it rejects under ``errors``.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import traceback
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sentry_relay.processing import VALID_PLATFORMS, StoreNormalizer

from logship.config import Config
from logship.event import (
    EVENT_ID_NAMESPACE,
    Event,
    EventSettings,
    build_event,
    console_url,
    event_id,
    parse_trace_id,
    platform_for,
    tag_key,
    tag_value,
)
from logship.exceptions import SettingsError
from logship.records import (
    Annotation,
    ExceptionInfo,
    Fingerprinted,
    Frame,
    LogRecord,
    ParsedError,
    Relation,
    RequestContext,
)
from logship.truncate import (
    ELLIPSIS,
    LEVELS,
    MAX_COMPRESSED_BYTES,
    MAX_EVENT_BYTES,
    event_size,
)

NORMALIZER = StoreNormalizer(project_id=1)
TIMESTAMP_MS = 1_714_564_800_123  # 2024-05-01T12:00:00.123Z
SETTINGS = EventSettings(environment="staging", release="orders@1.4.2")


def normalized(event: Event) -> dict[str, Any]:
    """``event`` through Relay, serialized the way sentry-sdk sends it; asserts no errors."""
    raw = json.dumps(event, allow_nan=False, separators=(",", ":")).encode("ascii")
    result: dict[str, Any] = NORMALIZER.normalize_event(raw_event=raw)
    assert result.get("errors") is None, result.get("errors")
    assert result["event_id"] == event["event_id"]
    return result


def record(
    text: str = "ERROR boom",
    *,
    group: str = "/ecs/order-service",
    stream: str = "ecs/order-service/4f1c2b9e",
    event_ids: tuple[str, ...] = ("38129012345678901234567890123456789012345678901234567890",),
    owner: str = "123456789012",
    region: str = "eu-west-1",
    truncated: bool = False,
) -> LogRecord:
    return LogRecord(
        log_group=group,
        log_stream=stream,
        owner=owner,
        region=region,
        timestamp=TIMESTAMP_MS,
        event_ids=event_ids,
        lines=tuple(text.split("\n")),
        truncated=truncated,
    )


def error(
    *chain: ExceptionInfo,
    related: tuple[ExceptionInfo, ...] = (),
    message: str = "",
    level: str = "error",
    language: str = "java",
    logger: str = "com.shop.orders.OrderService",
    context: RequestContext | None = None,
    rec: LogRecord | None = None,
) -> ParsedError:
    return ParsedError(
        record=rec or record(message or "ERROR boom"),
        service="order-service",
        level=level,
        message=message,
        logger=logger,
        language=language if chain else "",
        chain=chain,
        related=related,
        context=context or RequestContext(),
    )


def fingerprinted(err: ParsedError, template: str = "", rule: str = "") -> Fingerprinted:
    return Fingerprinted(
        error=err,
        fingerprint=("order-service", err.exception_type or "<untyped>", err.root_cause_type),
        title="title",
        message_template=template,
        rule=rule,
    )


def frame(function: str, lineno: int = 10, *, in_app: bool = True) -> Frame:
    return Frame(function, "com.shop.orders.OrderService", "OrderService.java", lineno, in_app)


RUNTIME = ExceptionInfo(
    "java.lang.RuntimeException",
    "order 42 failed",
    frames=(frame("main", 3, in_app=False), frame("process", 20)),
)
TIMEOUT = ExceptionInfo(
    "java.net.SocketTimeoutException",
    "Read timed out",
    frames=(frame("call", 7), frame("read", 99, in_app=False)),
    relation=Relation.CAUSE,
    frames_omitted=2,
)


def values(event: Event) -> list[dict[str, Any]]:
    return event["exception"]["values"]


# -- exceptions from the real Python runtime --------------------------------------


def _python_info(exc: BaseException, relation: Relation | None) -> ExceptionInfo:
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    frames = tuple(
        Frame(
            summary.name,
            "",
            summary.filename,
            summary.lineno,
            "site-packages" not in summary.filename,
        )
        for summary in traceback.extract_tb(exc.__traceback__)
    )
    return ExceptionInfo(name, str(exc), frames=frames, relation=relation)


def python_error(exc: BaseException) -> ParsedError:
    """A ParsedError from a real Python exception: its chain, groups and printed trace."""
    chain: list[ExceptionInfo] = []
    related: list[ExceptionInfo] = []
    current: BaseException | None = exc
    relation: Relation | None = None
    while current is not None:
        chain.append(_python_info(current, relation))
        if isinstance(current, BaseExceptionGroup):
            related.extend(_python_info(member, Relation.GROUP) for member in current.exceptions)
        if current.__cause__ is not None:
            current, relation = current.__cause__, Relation.CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, relation = current.__context__, Relation.CONTEXT
        else:
            current = None
    text = "".join(traceback.format_exception(exc)).rstrip("\n")
    return ParsedError(
        record=record(text),
        service="billing",
        level="error",
        message=text.split("\n", 1)[0],
        logger="",
        language="python",
        chain=tuple(chain),
        related=tuple(related),
    )


def _load_config(path: str) -> dict[str, str]:
    raise KeyError(path)


def _chained_exception() -> BaseException:
    """ValueError from a KeyError, raised while handling an OSError."""
    try:
        try:
            raise OSError("disk full")
        except OSError:
            try:
                _load_config("/etc/app.toml")
            except KeyError as exc:
                raise ValueError("bad config") from exc
    except ValueError as caught:
        return caught
    raise AssertionError("unreachable")


def _group_exception() -> BaseException:
    try:
        raise ExceptionGroup("2 tasks failed", [ValueError("bad amount"), TypeError("no user")])
    except ExceptionGroup as caught:
        return caught


# -- tests ---------------------------------------------------------------------------


class TestTypedChain:
    def test_outermost_last_with_ids_and_sources(self) -> None:
        """The chain is reversed for Sentry; each cause points at its parent by id."""
        event = build_event(fingerprinted(error(RUNTIME, TIMEOUT)), SETTINGS)
        normalized(event)
        inner, outer = values(event)
        assert (outer["type"], outer["module"]) == ("RuntimeException", "java.lang")
        assert (inner["type"], inner["module"]) == ("SocketTimeoutException", "java.net")
        assert outer["mechanism"] == {"type": "logship", "handled": True, "exception_id": 0}
        assert inner["mechanism"]["exception_id"] == 1
        assert inner["mechanism"]["parent_id"] == 0
        assert inner["mechanism"]["source"] == "__cause__"
        assert outer["value"] == "order 42 failed"

    def test_frames_in_sentry_order(self) -> None:
        """Frames keep their order (oldest call first) and their fields."""
        event = build_event(fingerprinted(error(RUNTIME)), SETTINGS)
        frames = values(event)[0]["stacktrace"]["frames"]
        assert [f["function"] for f in frames] == ["main", "process"]
        assert frames[1] == {
            "function": "process",
            "module": "com.shop.orders.OrderService",
            "filename": "OrderService.java",
            "lineno": 20,
            "in_app": True,
        }

    def test_runtime_omitted_frames_marked(self) -> None:
        """Java's "... 2 more" is recorded as frames 0-2 omitted, where Relay keeps it too."""
        event = build_event(fingerprinted(error(RUNTIME, TIMEOUT)), SETTINGS)
        inner = values(event)[0]
        assert inner["stacktrace"]["frames_omitted"] == [0, 2]
        assert inner["mechanism"]["data"]["frames_omitted"] == [0, 2]
        assert normalized(event)["exception"]["values"][0]["mechanism"]["data"] == {
            "frames_omitted": [0, 2]
        }

    def test_real_python_cause_and_context(self) -> None:
        """A real Python chain: ValueError from KeyError, during handling of OSError."""
        err = python_error(_chained_exception())
        event = build_event(fingerprinted(err), SETTINGS)
        normalized(event)
        types = [v["type"] for v in values(event)]
        assert types == ["OSError", "KeyError", "ValueError"]
        sources = [v["mechanism"].get("source") for v in values(event)]
        assert sources == ["__context__", "__cause__", None]
        key_error = values(event)[1]
        assert [f["function"] for f in key_error["stacktrace"]["frames"]][-1] == "_load_config"
        last = key_error["stacktrace"]["frames"][-1]
        assert last["abs_path"] == last["filename"] == __file__
        assert event["platform"] == "python"

    def test_real_python_traceback_from_subprocess(self) -> None:
        """A traceback printed by a python3 process parses and builds a valid event."""
        python = pytest.importorskip("logship.parse.python", exc_type=ImportError)
        script = (
            "def f():\n    raise ValueError('bad')\n"
            "try:\n    f()\nexcept ValueError as e:\n    raise RuntimeError('wrapped') from e\n"
        )
        printed = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        ).stderr.strip()
        trace = python.parse(printed)
        assert trace is not None
        err = ParsedError(
            record=record(printed),
            service="svc",
            level="error",
            message="",
            language=trace.language,
            chain=trace.chain,
            related=trace.related,
        )
        event = build_event(fingerprinted(err), SETTINGS)
        normalized(event)
        assert values(event)[-1]["type"] == "RuntimeError"

    def test_suppressed_attaches_to_outermost(self) -> None:
        """A Java "Suppressed:" exception hangs off the outermost one with source suppressed."""
        suppressed = ExceptionInfo(
            "java.io.IOException",
            "close failed",
            frames=(frame("close"),),
            relation=Relation.SUPPRESSED,
        )
        event = build_event(fingerprinted(error(RUNTIME, TIMEOUT, related=(suppressed,))), SETTINGS)
        normalized(event)
        first = values(event)[0]
        assert first["type"] == "IOException"
        assert first["mechanism"]["source"] == "suppressed"
        assert first["mechanism"]["parent_id"] == 0
        assert first["mechanism"]["exception_id"] == 2
        assert values(event)[-1]["type"] == "RuntimeException"

    def test_real_exception_group(self) -> None:
        """A real ExceptionGroup: the group is marked, members are its exceptions[i]."""
        err = python_error(_group_exception())
        event = build_event(fingerprinted(err), SETTINGS)
        normalized(event)
        group = values(event)[-1]
        assert group["type"] == "ExceptionGroup"
        assert group["mechanism"]["is_exception_group"] is True
        members = values(event)[:-1]
        assert sorted(m["type"] for m in members) == ["TypeError", "ValueError"]
        assert sorted(m["mechanism"]["source"] for m in members) == [
            "exceptions[0]",
            "exceptions[1]",
        ]
        assert {m["mechanism"]["parent_id"] for m in members} == {0}

    def test_group_members_attach_to_the_group_in_the_chain(self) -> None:
        """When the group is a cause, its members attach to it, not to the outermost."""
        group = ExceptionInfo("ExceptionGroup", "2 failed", relation=Relation.CAUSE)
        member = ExceptionInfo("ValueError", "bad", relation=Relation.GROUP)
        top = ExceptionInfo("RuntimeError", "wrapped")
        event = build_event(
            fingerprinted(error(top, group, related=(member,), language="python")), SETTINGS
        )
        normalized(event)
        by_type = {v["type"]: v["mechanism"] for v in values(event)}
        assert by_type["ValueError"]["parent_id"] == by_type["ExceptionGroup"]["exception_id"]
        assert by_type["ExceptionGroup"]["is_exception_group"] is True
        assert "is_exception_group" not in by_type["RuntimeError"]

    def test_fatal_is_unhandled(self) -> None:
        """A fatal error (a Go panic, an uncaught crash) is marked unhandled."""
        event = build_event(fingerprinted(error(RUNTIME, TIMEOUT, level="fatal")), SETTINGS)
        normalized(event)
        assert event["level"] == "fatal"
        assert all(v["mechanism"]["handled"] is False for v in values(event))

    def test_log_message_kept_beside_the_exception(self) -> None:
        """The log message printed before the trace becomes the event's message."""
        err = error(RUNTIME, message="Failed to process order 42")
        event = build_event(fingerprinted(err), SETTINGS)
        assert event["logentry"] == {"formatted": "Failed to process order 42"}

    def test_trace_header_is_not_a_message(self) -> None:
        """Python's "Traceback (most recent call last):" says nothing the exception does not."""
        err = python_error(_chained_exception())
        assert err.message == "Traceback (most recent call last):"
        assert "logentry" not in build_event(fingerprinted(err), SETTINGS)

    def test_type_without_package_and_other_languages(self) -> None:
        """Types split into module only where the language prints dotted paths."""
        ruby = ExceptionInfo("ActiveRecord::RecordNotFound", "gone")
        go = ExceptionInfo("*fs.PathError", "open /x: no such file")
        assert values(build_event(fingerprinted(error(ruby, language="ruby")), SETTINGS))[0] == {
            "type": "ActiveRecord::RecordNotFound",
            "value": "gone",
            "mechanism": {"type": "logship", "handled": True, "exception_id": 0},
        }
        go_value = values(build_event(fingerprinted(error(go, language="go")), SETTINGS))[0]
        assert go_value["type"] == "*fs.PathError"
        assert "module" not in go_value

    def test_empty_type_still_valid(self) -> None:
        """An exception with no type and no message still gives Relay a type."""
        event = build_event(fingerprinted(error(ExceptionInfo("", ""))), SETTINGS)
        normalized(event)
        assert values(event)[0]["type"] == "Error"


class TestUntyped:
    def test_logentry_with_template_and_no_exception(self) -> None:
        """An untyped error is a logentry: the message (scrubbed) and its masked template."""
        err = error(message="Payment 8812 declined for bob@example.com", logger="payments")
        event = build_event(
            fingerprinted(err, template="Payment <NUM> declined for <EMAIL>"), SETTINGS
        )
        result = normalized(event)
        assert "exception" not in event
        assert event["logentry"] == {
            "formatted": "Payment 8812 declined for [Filtered:email]",
            "message": "Payment <NUM> declined for <EMAIL>",
        }
        assert event["platform"] == "other"
        assert result["logentry"]["formatted"] == event["logentry"]["formatted"]
        assert "exception_type" not in event["tags"]

    def test_empty_message(self) -> None:
        """An empty error line still makes a valid event."""
        event = build_event(fingerprinted(error(message="")), SETTINGS)
        normalized(event)
        assert event["logentry"]["formatted"] == "(empty error line)"


class TestEventFields:
    def test_top_level_fields(self) -> None:
        """fingerprint, level, timestamp, logger, platform, environment, release; no server_name."""
        event = build_event(fingerprinted(error(RUNTIME, TIMEOUT)), SETTINGS)
        result = normalized(event)
        assert event["fingerprint"] == [
            "order-service",
            "java.lang.RuntimeException",
            "java.net.SocketTimeoutException",
        ]
        assert event["level"] == "error"
        assert event["timestamp"] == pytest.approx(1_714_564_800.123)
        assert event["logger"] == "com.shop.orders.OrderService"
        assert event["platform"] == "java"
        assert event["environment"] == "staging"
        assert event["release"] == "orders@1.4.2"
        assert "server_name" not in event
        assert "server_name" not in result
        assert result["timestamp"] == pytest.approx(1_714_564_800.123)

    def test_unknown_level_is_error(self) -> None:
        """A level Sentry does not know becomes "error"."""
        event = build_event(fingerprinted(error(RUNTIME, level="severe")), SETTINGS)
        assert event["level"] == "error"

    def test_environment_from_account(self) -> None:
        """An account mapped in the settings overrides the default environment."""
        settings_ = EventSettings(
            environment="default", environments=(("123456789012", "prod-eu"), ("999", "dev"))
        )
        assert build_event(fingerprinted(error(RUNTIME)), settings_)["environment"] == "prod-eu"
        other = error(RUNTIME, rec=record(owner="555"))
        assert build_event(fingerprinted(other), settings_)["environment"] == "default"

    def test_no_environment_no_release(self) -> None:
        """Without settings the event carries neither; the sender must not invent them."""
        event = build_event(fingerprinted(error(RUNTIME)), EventSettings())
        assert "environment" not in event
        assert "release" not in event

    def test_long_logger_keeps_the_class(self) -> None:
        """A logger name past Relay's 64 characters keeps its end, the class name."""
        logger = "com.example." + "very." * 20 + "OrderService"
        event = build_event(fingerprinted(error(RUNTIME, logger=logger)), SETTINGS)
        assert event["logger"].endswith("OrderService")
        assert len(event["logger"]) == 64

    def test_extra_additions_and_raw_log(self) -> None:
        """Callers add extra entries; the raw log text is there, cut to the setting."""
        err = error(RUNTIME, message="x" * 100)
        event = build_event(
            fingerprinted(err),
            EventSettings(max_raw_log=10),
            extra={"suppressed_count": 3, "raw_log": "ignored"},
        )
        normalized(event)
        assert event["extra"]["suppressed_count"] == 3
        assert event["extra"]["raw_log"] == "x" * 9 + ELLIPSIS
        assert event["extra"]["logship_truncated"] is True

    def test_untruncated_event_has_no_flag(self) -> None:
        """The truncation flag appears only when something was cut."""
        event = build_event(fingerprinted(error(RUNTIME, TIMEOUT)), SETTINGS)
        assert "logship_truncated" not in event["extra"]
        assert event["extra"]["raw_log"] == "ERROR boom"


class TestPlatform:
    @pytest.mark.parametrize(
        ("language", "platform"),
        [
            ("java", "java"),
            ("python", "python"),
            ("node", "node"),
            ("go", "go"),
            ("dotnet", "csharp"),
            ("ruby", "ruby"),
            ("php", "php"),
            ("", "other"),
            ("cobol", "other"),
        ],
    )
    def test_mapping(self, language: str, platform: str) -> None:
        """Each logship language maps to its Sentry platform, unknown ones to other."""
        assert platform_for(language) == platform
        assert platform in VALID_PLATFORMS
        event = build_event(fingerprinted(error(RUNTIME, language=language)), SETTINGS)
        assert normalized(event)["platform"] == platform


class TestTags:
    def test_computed_tags(self) -> None:
        """service, log group, account, region, types and language are tags."""
        event = build_event(fingerprinted(error(RUNTIME, TIMEOUT), rule="timeouts"), SETTINGS)
        normalized(event)
        assert event["tags"] == {
            "service": "order-service",
            "log_group": "/ecs/order-service",
            "aws_account": "123456789012",
            "aws_region": "eu-west-1",
            "exception_type": "java.lang.RuntimeException",
            "root_cause": "java.net.SocketTimeoutException",
            "language": "java",
            "fingerprint_rule": "timeouts",
        }

    def test_static_tags_sanitized_and_overridden(self) -> None:
        """Static tags join; bad keys are sanitized; computed tags win a clash."""
        settings_ = EventSettings(
            tags=(("team", "payments"), ("cost center/EU", "42"), ("service", "wrong"), ("x", " "))
        )
        event = build_event(fingerprinted(error(RUNTIME)), settings_)
        normalized(event)
        assert event["tags"]["team"] == "payments"
        assert event["tags"]["cost_center_EU"] == "42"
        assert event["tags"]["service"] == "order-service"
        assert "x" not in event["tags"]

    def test_annotation_tags_win_over_static_ones(self) -> None:
        """team, severity and the rules' tags join; they win over [tags], not over computed."""
        annotation = Annotation(
            team="checkout",
            severity="high",
            tags=(("tier", "1"), ("service", "wrong")),
            rules=("checkout-owner",),
        )
        settings_ = EventSettings(tags=(("team", "platform"), ("tier", "3"), ("region", "eu")))
        event = build_event(fingerprinted(error(RUNTIME)), settings_, annotation=annotation)
        normalized(event)
        tags = event["tags"]
        assert (tags["team"], tags["severity"], tags["tier"]) == ("checkout", "high", "1")
        assert tags["region"] == "eu"  # a [tags] key no rule sets stays
        assert tags["service"] == "order-service"
        assert "runbook" not in event["contexts"]  # no rule gave one

    def test_without_annotation_the_fallback_team_stays(self) -> None:
        """An error no annotate rule matched keeps the team of [tags]."""
        settings_ = EventSettings(tags=(("team", "platform"),))
        event = build_event(fingerprinted(error(RUNTIME)), settings_)
        assert event["tags"]["team"] == "platform"
        assert "severity" not in event["tags"]

    def test_runbook_context(self) -> None:
        """A runbook becomes the ``runbook`` context with its URL and rule; Relay keeps it."""
        url = "https://wiki.example.com/runbooks/order-service/java.net.SocketTimeoutException"
        annotation = Annotation(runbook=url, runbook_rule="checkout-owner", rules=("x",))
        event = build_event(fingerprinted(error(RUNTIME)), SETTINGS, annotation=annotation)
        assert event["contexts"]["runbook"] == {"url": url, "rule": "checkout-owner"}
        assert normalized(event)["contexts"]["runbook"]["url"] == url

    def test_long_values_cut_to_200(self) -> None:
        """Tag values are cut to Sentry's 200 characters, on one line."""
        long_group = "/ecs/" + "g" * 400
        event = build_event(fingerprinted(error(RUNTIME, rec=record(group=long_group))), SETTINGS)
        normalized(event)
        value = event["tags"]["log_group"]
        assert len(value) == 200
        assert value.endswith(ELLIPSIS)
        assert tag_value("line one\nline two\t!") == "line one line two !"

    def test_tag_key(self) -> None:
        """Tag keys keep letters, digits and _.:- and at most 32 characters."""
        assert tag_key("k8s.namespace") == "k8s.namespace"
        assert tag_key("a b/c") == "a_b_c"
        assert tag_key("k" * 40) == "k" * 32


class TestCloudwatchContext:
    def test_context_fields(self) -> None:
        """Log group, stream, account, region, event ids and the console link."""
        rec = record(event_ids=tuple(str(i) for i in range(80)), truncated=True)
        event = build_event(fingerprinted(error(RUNTIME, rec=rec)), SETTINGS)
        result = normalized(event)
        context = event["contexts"]["cloudwatch"]
        assert context["log_group"] == "/ecs/order-service"
        assert context["log_stream"] == "ecs/order-service/4f1c2b9e"
        assert context["event_ids"] == [str(i) for i in range(LEVELS[0].event_ids)]
        assert context["event_count"] == 80
        assert context["record_truncated"] is True
        assert context["console_url"].startswith("https://eu-west-1.console.aws.amazon.com/")
        assert result["contexts"]["cloudwatch"]["console_url"] == context["console_url"]

    def test_console_url_format(self) -> None:
        """Path parts are encoded twice with "$" for "%"; the query separators once."""
        url = console_url(
            "us-east-1", "/aws/lambda/orders", "2024/05/01/[$LATEST]0a1b2c", 1_714_564_800_000
        )
        assert url == (
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
            "#logsV2:log-groups/log-group/$252Faws$252Flambda$252Forders"
            "/log-events/2024$252F05$252F01$252F$255B$2524LATEST$255D0a1b2c"
            "$3Fstart$3D1714564740000$26end$3D1714564860000"
        )

    def test_console_url_matches_console_encoding(self) -> None:
        """Checked against a link produced by the console's own encoding scheme."""
        # From the published aws-cloudwatch-logs-url test vectors (same scheme).
        url = console_url(
            "ap-northeast-1",
            "/aws/lambda/luciferous-devio-index-cl-FunctionCheckIndividualS-qNWf7JYCZBBM",
            "2024/06/30/[39]3ca88f3a2fff4810b2de52cf027d0a40",
            1_719_759_660_000,
        )
        assert url == (
            "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1"
            "#logsV2:log-groups/log-group/"
            "$252Faws$252Flambda$252Fluciferous-devio-index-cl-FunctionCheckIndividualS-qNWf7JYCZBBM"
            "/log-events/2024$252F06$252F30$252F$255B39$255D3ca88f3a2fff4810b2de52cf027d0a40"
            "$3Fstart$3D1719759600000$26end$3D1719759720000"
        )

    def test_console_url_partitions_and_bad_region(self) -> None:
        """China and GovCloud have their own console hosts; a non-region gives no link."""
        assert console_url("cn-north-1", "g", "s", 60_000).startswith(
            "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#"
        )
        assert console_url("us-gov-west-1", "g", "s", 60_000).startswith(
            "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#"
        )
        assert console_url("", "g", "s", 60_000) == ""
        assert console_url("evil.com/x", "g", "s", 60_000) == ""
        event = build_event(fingerprinted(error(RUNTIME, rec=record(region=""))), SETTINGS)
        assert "console_url" not in event["contexts"]["cloudwatch"]


class TestTraceAndRequest:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("4BF92F3577B34DA6A3CE929D0E0E4736", ("4bf92f3577b34da6a3ce929d0e0e4736", "")),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"),
            ),
            ("1-5759e988-bd862e3fe1be46a994272793", ("5759e988bd862e3fe1be46a994272793", "")),
            (
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                ("5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8"),
            ),
            ("9b2f4c7e-1d3a-4e5f-8a6b-7c8d9e0f1a2b", ("9b2f4c7e1d3a4e5f8a6b7c8d9e0f1a2b", "")),
            ("00000000000000000000000000000000", None),
            ("req-12345", None),
            ("abc", None),
        ],
    )
    def test_parse_trace_id(self, value: str, expected: tuple[str, str] | None) -> None:
        """Hex, W3C traceparent, X-Ray and UUID ids become Sentry's 32 hex digits."""
        assert parse_trace_id(value) == expected

    def test_trace_context_when_the_id_fits(self) -> None:
        """A fitting trace id becomes the trace context, with a span id Relay accepts."""
        context = RequestContext(trace_id="1-5759e988-bd862e3fe1be46a994272793")
        event = build_event(fingerprinted(error(RUNTIME, context=context)), SETTINGS)
        result = normalized(event)
        trace = event["contexts"]["trace"]
        assert trace["trace_id"] == "5759e988bd862e3fe1be46a994272793"
        assert trace["span_id"] == event["event_id"][:16]
        assert result["contexts"]["trace"]["trace_id"] == trace["trace_id"]
        assert event["tags"]["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"

    def test_other_trace_ids_only_tagged(self) -> None:
        """A trace id that does not fit Sentry's format is a tag, not a trace context."""
        context = RequestContext(trace_id="req-abc-123", request_id="r-77")
        event = build_event(fingerprinted(error(RUNTIME, context=context)), SETTINGS)
        normalized(event)
        assert "trace" not in event["contexts"]
        assert event["tags"]["trace_id"] == "req-abc-123"
        assert event["tags"]["request_id"] == "r-77"

    def test_request_interface(self) -> None:
        """URL, method and user agent become Sentry's request interface."""
        context = RequestContext(
            url="https://shop.example.com/api/orders/42?expand=items",
            http_method="post",
            user_agent="okhttp/4.12.0",
        )
        event = build_event(fingerprinted(error(RUNTIME, context=context)), SETTINGS)
        result = normalized(event)
        assert event["request"] == {
            "url": "https://shop.example.com/api/orders/42?expand=items",
            "method": "POST",
            "headers": {"User-Agent": "okhttp/4.12.0"},
        }
        assert result["request"]["query_string"] == [["expand", "items"]]

    def test_bad_method_left_out(self) -> None:
        """A method Relay would reject is left out rather than spoil the event."""
        context = RequestContext(url="/health", http_method="G T")
        event = build_event(fingerprinted(error(RUNTIME, context=context)), SETTINGS)
        normalized(event)
        assert event["request"] == {"url": "/health"}

    def test_no_request_without_context(self) -> None:
        """No request interface when the log said nothing about a request."""
        assert "request" not in build_event(fingerprinted(error(RUNTIME)), SETTINGS)


class TestEventId:
    def test_deterministic(self) -> None:
        """The same log event gives the same id, whatever else differs."""
        first = build_event(fingerprinted(error(RUNTIME)), SETTINGS)
        again = build_event(fingerprinted(error(RUNTIME, TIMEOUT, level="fatal")), EventSettings())
        assert first["event_id"] == again["event_id"]
        assert len(first["event_id"]) == 32
        assert uuid.UUID(first["event_id"]).version == 5

    def test_is_uuid5_of_group_stream_and_first_event(self) -> None:
        """The id is uuid5 over (log group, log stream, first event id)."""
        err = error(RUNTIME, rec=record(group="g", stream="s", event_ids=("e1", "e2")))
        assert event_id(err) == uuid.uuid5(EVENT_ID_NAMESPACE, "g\x1fs\x1fe1").hex

    def test_different_events_differ(self) -> None:
        """Another stream or another first event is another event."""
        ids = {
            event_id(error(RUNTIME, rec=record(stream="a", event_ids=("1",)))),
            event_id(error(RUNTIME, rec=record(stream="b", event_ids=("1",)))),
            event_id(error(RUNTIME, rec=record(stream="a", event_ids=("2",)))),
        }
        assert len(ids) == 3

    def test_without_event_ids_and_with_surrogates(self) -> None:
        """No event ids: time and text decide. A lone surrogate does not crash it."""
        first = event_id(error(RUNTIME, rec=record("a", event_ids=())))
        second = event_id(error(RUNTIME, rec=record("b", event_ids=())))
        assert first != second
        assert len(event_id(error(RUNTIME, rec=record(stream="\ud800")))) == 32


class TestSizeLimits:
    @staticmethod
    def assert_within_limits(event: Event) -> None:
        raw, compressed = event_size(event)
        assert raw < MAX_EVENT_BYTES
        assert compressed < MAX_COMPRESSED_BYTES

    def test_hundred_thousand_frames(self) -> None:
        """A 100,000-frame recursion keeps its first and last frames and marks the gap."""
        frames = tuple(frame(f"recurse{i}", i) for i in range(100_000))
        big = ExceptionInfo("java.lang.StackOverflowError", "", frames=frames)
        event = build_event(fingerprinted(error(big, rec=record("x"))), SETTINGS)
        normalized(event)
        self.assert_within_limits(event)
        stack = values(event)[0]["stacktrace"]
        kept = LEVELS[0]
        assert len(stack["frames"]) == kept.frames
        assert stack["frames"][0]["function"] == "recurse0"
        assert stack["frames"][-1]["function"] == "recurse99999"
        assert stack["frames_omitted"] == [kept.frames_head, 100_000 - kept.frames_tail]
        assert event["extra"]["logship_truncated"] is True

    def test_thousand_deep_chain(self) -> None:
        """A 1,000-deep chain keeps both ends: the outermost and the root cause."""
        chain = tuple(
            ExceptionInfo(
                f"com.shop.Error{i}",
                f"level {i}",
                frames=tuple(frame(f"f{j}") for j in range(30)),
                relation=Relation.CAUSE if i else None,
            )
            for i in range(1000)
        )
        event = build_event(fingerprinted(error(*chain)), SETTINGS)
        normalized(event)
        self.assert_within_limits(event)
        exceptions = values(event)
        assert exceptions[-1]["type"] == "Error0"
        assert exceptions[0]["type"] == "Error999"
        ids = [v["mechanism"]["exception_id"] for v in exceptions]
        assert sorted(ids) == list(range(len(exceptions)))
        omitted = [v for v in exceptions if "exceptions_omitted" in v["mechanism"].get("data", {})]
        assert len(omitted) == 1
        assert omitted[0]["mechanism"]["data"]["exceptions_omitted"] == 1000 - len(exceptions)

    def test_ten_megabyte_message(self) -> None:
        """A 10 MB untyped message is cut with "…", in a valid event under the limits."""
        message = "order failed " * 800_000
        err = error(message=message, rec=record(message))
        event = build_event(fingerprinted(err, template=message), SETTINGS)
        normalized(event)
        self.assert_within_limits(event)
        assert event["logentry"]["formatted"].endswith(ELLIPSIS)
        assert len(event["logentry"]["formatted"]) <= LEVELS[0].text
        assert event["extra"]["raw_log"].endswith(ELLIPSIS)
        assert event["extra"]["logship_truncated"] is True

    def test_ten_megabyte_exception_value_of_emoji(self) -> None:
        """Escaped as JSON, non-ASCII text costs twelve bytes a character; still under limits."""
        huge = "\U0001f4a5" * 10_000_000
        exc = ExceptionInfo("ValueError", huge, frames=(frame("f"),) * 300)
        event = build_event(
            fingerprinted(error(exc, exc, exc, language="python", rec=record(huge))), SETTINGS
        )
        normalized(event)
        self.assert_within_limits(event)

    def test_incompressible_event_falls_to_a_tighter_level(self) -> None:
        """Random frames that do not compress are cut until the compressed size fits."""
        rng = random.Random(3)
        letters = "abcdefghijklmnopqrstuvwxyz0123456789"
        frames = tuple(
            Frame("".join(rng.choices(letters, k=900)), "".join(rng.choices(letters, k=900)))
            for _ in range(250)
        )
        chain = tuple(ExceptionInfo(f"E{i}", "m", frames=frames) for i in range(10))
        event = build_event(fingerprinted(error(*chain, language="go")), SETTINGS)
        normalized(event)
        self.assert_within_limits(event)
        assert event["extra"]["logship_truncated"] is True

    def test_many_related_capped(self) -> None:
        """Past the cap, related exceptions are counted, not listed."""
        related = tuple(
            ExceptionInfo("ValueError", f"member {i}", relation=Relation.GROUP) for i in range(500)
        )
        group = ExceptionInfo("ExceptionGroup", "500 failed")
        event = build_event(
            fingerprinted(error(group, related=related, language="python")), SETTINGS
        )
        normalized(event)
        self.assert_within_limits(event)
        top = values(event)[-1]
        assert len(values(event)) == 1 + LEVELS[0].related
        assert top["mechanism"]["data"]["related_omitted"] == 500 - LEVELS[0].related


class TestEventSettings:
    @pytest.mark.parametrize("environment", ["prod eu", "a/b", "None", "x" * 65, "a\nb"])
    def test_invalid_environment(self, environment: str) -> None:
        """An environment Sentry would drop is refused when the settings are made."""
        with pytest.raises(SettingsError, match="environment"):
            EventSettings(environment=environment)
        with pytest.raises(SettingsError, match="environments\\['1'\\]"):
            EventSettings(environments=(("1", environment),))

    @pytest.mark.parametrize("release", ["a/b", "..", "latest", " 1.0", "1.0\n", "r" * 201])
    def test_invalid_release(self, release: str) -> None:
        """A release Sentry would drop is refused when the settings are made."""
        with pytest.raises(SettingsError, match="release"):
            EventSettings(release=release)

    def test_from_config(self) -> None:
        """Static tags and account environments come from the config."""
        config = Config(tags=(("team", "core"),), environments=(("42", "prod"),))
        made = EventSettings.from_config(config, environment="dev", release="1.0")
        assert made.tags == (("team", "core"),)
        assert made.environment_for("42") == "prod"
        assert made.environment_for("43") == "dev"


# -- property test -------------------------------------------------------------------

# Any character, lone surrogates included: json.loads of a payload can produce them.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)
FRAMES = st.builds(
    Frame,
    function=ANY_TEXT,
    module=ANY_TEXT,
    filename=ANY_TEXT,
    lineno=st.none() | st.integers(min_value=-(2**70), max_value=2**70),
    in_app=st.booleans(),
)
EXCEPTIONS = st.builds(
    ExceptionInfo,
    type=ANY_TEXT,
    message=ANY_TEXT,
    frames=st.lists(FRAMES, max_size=8).map(tuple),
    relation=st.none() | st.sampled_from(Relation),
    frames_omitted=st.integers(min_value=0, max_value=10_000),
)
RECORDS = st.builds(
    LogRecord,
    log_group=ANY_TEXT,
    log_stream=ANY_TEXT,
    owner=ANY_TEXT,
    region=ANY_TEXT | st.sampled_from(["eu-west-1", "us-gov-west-1"]),
    timestamp=st.integers(min_value=-(2**40), max_value=2**60),
    event_ids=st.lists(ANY_TEXT, max_size=60).map(tuple),
    lines=st.lists(ANY_TEXT, min_size=1, max_size=5).map(tuple),
    truncated=st.booleans(),
)
CONTEXTS = st.builds(
    RequestContext,
    trace_id=ANY_TEXT | st.just("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    request_id=ANY_TEXT,
    url=ANY_TEXT,
    http_method=ANY_TEXT | st.sampled_from(["GET", "post"]),
    user_agent=ANY_TEXT,
)
ERRORS = st.builds(
    ParsedError,
    record=RECORDS,
    service=ANY_TEXT,
    level=ANY_TEXT | st.sampled_from(["fatal", "error", "warning"]),
    message=ANY_TEXT,
    logger=ANY_TEXT,
    language=ANY_TEXT | st.sampled_from(["java", "python", "dotnet"]),
    chain=st.lists(EXCEPTIONS, max_size=4).map(tuple),
    related=st.lists(EXCEPTIONS, max_size=3).map(tuple),
    context=CONTEXTS,
)
ITEMS = st.builds(
    Fingerprinted,
    error=ERRORS,
    fingerprint=st.lists(ANY_TEXT, max_size=4).map(tuple),
    title=ANY_TEXT,
    message_template=ANY_TEXT,
    rule=ANY_TEXT,
)
STATIC_TAGS = st.lists(st.tuples(ANY_TEXT, ANY_TEXT), max_size=4).map(tuple)


class TestAnyInput:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(item=ITEMS, tags=STATIC_TAGS)
    def test_relay_accepts_every_event(
        self, item: Fingerprinted, tags: tuple[tuple[str, str], ...]
    ) -> None:
        """Whatever the text fields hold, Relay normalizes the event without errors."""
        event = build_event(item, EventSettings(environment="prod", tags=tags))
        normalized(event)
        raw, compressed = event_size(event)
        assert raw < MAX_EVENT_BYTES
        assert compressed < MAX_COMPRESSED_BYTES
        assert event["event_id"] == event_id(item.error)
        if item.error.chain:
            assert values(event)[-1]["mechanism"]["exception_id"] == 0
