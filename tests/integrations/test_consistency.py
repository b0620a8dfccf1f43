"""The in-process fingerprint equals the one the shipper derives from the service's logs.

For each real failure: raise it, fingerprint it live, log it the ways services
do (structlog JSON with our processor, ``logging.exception`` as plain text
with a prefix, our JSON formatter), cut the output into one CloudWatch event
per line as ECS's awslogs driver does, run the events through the pipeline and
compare. Then the same through sentry-sdk into a local HTTP endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import sentry_sdk
from inprocess_support import (
    FAILURES,
    LOG_GROUP,
    SERVICE,
    EnvelopeServer,
    charge_with_timeout,
    json_decode,
    json_formatter,
    logging_lines,
    raised,
    shipped,
    structlog_lines,
    text_formatter,
)

from logship.config import parse_config
from logship.event import EventSettings, build_event
from logship.inprocess import fingerprint_exception
from logship.integrations.logging import ErrorFingerprintFilter
from logship.integrations.sentry import LogshipIntegration

# Rules that need only what an exception and its service know (no log message):
# fingerprint_exception itself applies them.
EXCEPTION_RULES = parse_config(
    """
[[fingerprint]]
name = "timeouts by caller"
root_cause = "TimeoutError"
fingerprint = ["{{ service }}", "timeout", "{{ function }}"]

[[fingerprint]]
name = "bad payloads"
log_group = "/ecs/orders"
exception = ["*JSONDecodeError", "*UnicodeDecodeError"]
fingerprint = ["{{ log_group }}", "payload", "{{ root_cause }}"]
title = "bad payload: {{ type }}"
""",
    source="exception-rules.toml",
)

# A rule on the log call's logger and message: only the integrations, which
# see the log call, can apply it in-process.
LOG_CALL_RULES = parse_config(
    """
[[fingerprint]]
name = "failed requests"
logger = ["orders.*"]
message_glob = "request failed"
level = ["error"]
fingerprint = ["{{ service }}", "request", "{{ root_cause }}", "{{ level }}"]
""",
    source="log-call-rules.toml",
)


def _only_error(lines: list[str]) -> list[str]:
    """The fingerprint of the single error the pipeline finds in ``lines``."""
    found = shipped(lines)
    assert len(found) == 1, [item.fingerprint for item in found]
    return list(found[0].fingerprint)


class TestLiveEqualsShipped:
    """fingerprint_exception(exc) == the pipeline's fingerprint of exc's log lines."""

    def test_structlog_json(self, failure: Callable[[], None]) -> None:
        """A structlog JSON line (JSONRenderer + our processor) groups like the live exception."""
        live = fingerprint_exception(raised(failure), service=SERVICE)
        lines = structlog_lines(failure)
        assert len(lines) == 3  # one line per log call, the trace inside the JSON
        assert _only_error(lines) == live
        assert json.loads(lines[1])["error_fingerprint"] == live

    def test_logging_text_with_prefix(self, failure: Callable[[], None]) -> None:
        """``logging.exception`` in the default text layout, one event per line, groups alike."""
        live = fingerprint_exception(raised(failure), service=SERVICE)
        lines = logging_lines(failure, text_formatter())
        assert len(lines) > 4  # the traceback is split into many events
        assert _only_error(lines) == live

    def test_logging_json_formatter(self, failure: Callable[[], None]) -> None:
        """Our JSON formatter's line groups alike, and carries the same fingerprint."""
        live = fingerprint_exception(raised(failure), service=SERVICE)
        lines = logging_lines(failure, json_formatter(), ErrorFingerprintFilter(service=SERVICE))
        assert len(lines) == 3
        assert _only_error(lines) == live
        assert json.loads(lines[1])["error_fingerprint"] == live

    def test_variable_data_does_not_split(self) -> None:
        """The same failure with other ids and amounts keeps one fingerprint, live and shipped."""

        def charge(order: int) -> Callable[[], None]:
            def fail() -> None:
                raise RuntimeError(f"order {order} for user alice{order} declined")

            return fail

        live = {tuple(fingerprint_exception(raised(charge(n)), service=SERVICE)) for n in (1, 977)}
        shipped_keys = {tuple(_only_error(structlog_lines(charge(n)))) for n in (1, 977)}
        assert len(live) == 1
        assert live == shipped_keys


class TestWithFingerprintRules:
    """The config's fingerprint rules apply alike in-process and in the pipeline."""

    def test_exception_rules(self, failure: Callable[[], None]) -> None:
        """Rules on types, root cause, log group and frames: live == shipped, both log forms."""
        live = fingerprint_exception(
            raised(failure), service=SERVICE, config=EXCEPTION_RULES, log_group=LOG_GROUP
        )
        from_json = shipped(structlog_lines(failure, config=EXCEPTION_RULES), EXCEPTION_RULES)
        from_text = shipped(logging_lines(failure, text_formatter()), EXCEPTION_RULES)
        assert [list(item.fingerprint) for item in (*from_json, *from_text)] == [live, live]

    def test_rules_really_apply(self) -> None:
        """The rules above do match: a timeout is keyed by its raising function."""
        live = fingerprint_exception(
            raised(charge_with_timeout), service=SERVICE, config=EXCEPTION_RULES
        )
        assert live == [SERVICE, "timeout", "inprocess_support.read_from_silent_gateway"]
        payload = fingerprint_exception(
            raised(json_decode), service=SERVICE, config=EXCEPTION_RULES, log_group=LOG_GROUP
        )
        assert payload == [LOG_GROUP, "payload", "json.decoder.JSONDecodeError"]

    # Every failure, the parser's known gaps included: the integrations see the
    # log call's message, so even an untyped result agrees.
    @pytest.mark.parametrize("name", sorted(FAILURES))
    def test_log_call_rules_through_integrations(self, name: str) -> None:
        """Rules on logger and message: the fields our integrations write == shipped."""
        failure = FAILURES[name]
        structlog_out = structlog_lines(failure, config=LOG_CALL_RULES)
        json_out = logging_lines(
            failure,
            json_formatter(LOG_CALL_RULES),
            ErrorFingerprintFilter(SERVICE, LOG_CALL_RULES, log_group=LOG_GROUP),
        )
        for lines in (structlog_out, json_out):
            [item] = shipped(lines, LOG_CALL_RULES)
            assert item.rule == "failed requests"
            assert json.loads(lines[1])["error_fingerprint"] == list(item.fingerprint)


class TestSentryEventEqualsShipped:
    """An in-process Sentry event carries the fingerprint of the log-derived event."""

    def test_envelope_fingerprint(
        self, failure: Callable[[], None], envelope_server: EnvelopeServer
    ) -> None:
        """The event sent to 127.0.0.1 has the fingerprint and tags of the shipper's event."""
        client = sentry_sdk.Client(
            dsn=envelope_server.dsn,
            integrations=[LogshipIntegration(service=SERVICE)],
            default_integrations=False,
            auto_enabling_integrations=False,
        )
        try:
            with sentry_sdk.isolation_scope() as scope:
                scope.set_client(client)
                scope.capture_exception(raised(failure))
            client.flush(timeout=5)
        finally:
            client.close()
        [event] = envelope_server.events()
        [from_logs] = shipped(structlog_lines(failure))
        shipper_event = build_event(from_logs, EventSettings())
        assert event["fingerprint"] == shipper_event["fingerprint"]
        for tag in ("service", "exception_type", "root_cause", "language"):
            assert event["tags"].get(tag) == shipper_event["tags"].get(tag), tag
