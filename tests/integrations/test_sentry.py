"""Tests for logship.integrations.sentry: the Integration and the before_send hook."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import pytest
import sentry_sdk
from inprocess_support import EnvelopeServer
from sentry_sdk.integrations.logging import LoggingIntegration

from logship.inprocess import ExceptionFingerprinter, fingerprint_exception
from logship.integrations.sentry import LogshipIntegration, apply_fingerprint, make_before_send


class InventoryError(Exception):
    """A service error for the tests."""


def _raised() -> InventoryError:
    try:
        try:
            int("many")
        except ValueError as inner:
            raise InventoryError("count unreadable") from inner
    except InventoryError as exc:
        return exc
    raise AssertionError("unreachable")


def _hint(exc: BaseException) -> dict[str, Any]:
    return {"exc_info": (type(exc), exc, exc.__traceback__)}


def _send(
    server: EnvelopeServer, action: Callable[[], None], **options: Any
) -> list[dict[str, Any]]:
    """Run ``action`` with a client sending to ``server``; the events it received."""
    options.setdefault("default_integrations", False)
    client = sentry_sdk.Client(dsn=server.dsn, auto_enabling_integrations=False, **options)
    try:
        with sentry_sdk.isolation_scope() as scope:
            scope.set_client(client)
            action()
        client.flush(timeout=5)
    finally:
        client.close()
    return server.events()


class TestApplyFingerprint:
    """apply_fingerprint sets the fingerprint and tags from the hint's exception."""

    def test_sets_fingerprint_and_tags(self) -> None:
        """fingerprint and the three tags; other tags are kept."""
        exc = _raised()
        event: dict[str, Any] = {"tags": {"team": "core"}}
        out = apply_fingerprint(event, _hint(exc), ExceptionFingerprinter("inventory"))  # type: ignore[arg-type]
        assert out["fingerprint"] == fingerprint_exception(exc, service="inventory")
        assert out["tags"] == {
            "team": "core",
            "service": "inventory",
            "exception_type": f"{__name__}.InventoryError",
            "root_cause": "ValueError",
            "language": "python",
        }

    def test_no_exception(self) -> None:
        """A message event (no exc_info) is left alone."""
        event: dict[str, Any] = {"message": "hello"}
        out = apply_fingerprint(event, {}, ExceptionFingerprinter("inventory"))  # type: ignore[arg-type]
        assert out == {"message": "hello"}
        assert apply_fingerprint(event, None, ExceptionFingerprinter("x")) == {"message": "hello"}  # type: ignore[arg-type]

    @pytest.mark.parametrize("default", [[], ["{{ default }}"]])
    def test_default_fingerprint_replaced(self, default: list[str]) -> None:
        """An empty or ``{{ default }}`` fingerprint is replaced."""
        event: dict[str, Any] = {"fingerprint": default}
        out = apply_fingerprint(event, _hint(_raised()), ExceptionFingerprinter("inv"))  # type: ignore[arg-type]
        assert out["fingerprint"][0] == "inv"

    def test_explicit_fingerprint_kept(self) -> None:
        """A fingerprint the service chose itself wins."""
        event: dict[str, Any] = {"fingerprint": ["my", "own"]}
        out = apply_fingerprint(event, _hint(_raised()), ExceptionFingerprinter("inv"))  # type: ignore[arg-type]
        assert out == {"fingerprint": ["my", "own"]}

    def test_never_raises(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An internal failure returns the event unchanged."""

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("parser exploded")

        monkeypatch.setattr(ExceptionFingerprinter, "fingerprinted", broken)
        event: dict[str, Any] = {"tags": {"a": "b"}}
        out = apply_fingerprint(event, _hint(_raised()), ExceptionFingerprinter("inv"))  # type: ignore[arg-type]
        assert out == {"tags": {"a": "b"}}

    def test_log_record_message_used(self) -> None:
        """For logging-integration events the record's message and logger reach the rules."""
        seen: dict[str, str] = {}
        original = ExceptionFingerprinter.fingerprinted

        class Spy(ExceptionFingerprinter):
            def fingerprinted(self, exc: BaseException, **kwargs: Any) -> Any:
                seen.update({k: v for k, v in kwargs.items() if isinstance(v, str)})
                return original(self, exc, **kwargs)

        record = logging.LogRecord("inv.api", logging.ERROR, "f", 1, "sync %s", ("7",), None)
        hint = {**_hint(_raised()), "log_record": record}
        apply_fingerprint({}, hint, Spy("inv"))  # type: ignore[arg-type]
        assert seen == {"message": "sync 7", "logger": "inv.api", "level": "error"}


class TestMakeBeforeSend:
    """make_before_send builds a before_send hook, optionally chained."""

    def test_chains_then(self) -> None:
        """The fingerprint is set before the service's own hook runs; its result is returned."""
        seen: list[list[str]] = []

        def mine(event: Any, hint: Any) -> Any:
            seen.append(list(event["fingerprint"]))
            return None  # the service drops the event

        hook = make_before_send(service="inv", then=mine)
        assert hook({}, _hint(_raised())) is None  # type: ignore[typeddict-item]
        assert seen == [fingerprint_exception(_raised(), service="inv")]

    def test_over_http(self, envelope_server: EnvelopeServer) -> None:
        """As ``before_send`` of a real client, the sent event has the fingerprint."""
        exc = _raised()
        [event] = _send(
            envelope_server,
            lambda: sentry_sdk.capture_exception(exc),
            before_send=make_before_send(service="inv"),
        )
        assert event["fingerprint"] == fingerprint_exception(exc, service="inv")
        assert event["tags"]["root_cause"] == "ValueError"


class TestLogshipIntegration:
    """LogshipIntegration applies the fingerprint to the events of clients that use it."""

    def test_capture_exception(self, envelope_server: EnvelopeServer) -> None:
        """``capture_exception`` events carry the fingerprint and tags."""
        exc = _raised()
        [event] = _send(
            envelope_server,
            lambda: sentry_sdk.capture_exception(exc),
            integrations=[LogshipIntegration(service="inv")],
        )
        assert event["fingerprint"] == fingerprint_exception(exc, service="inv")
        assert event["tags"]["service"] == "inv"

    def test_logging_integration_events(self, envelope_server: EnvelopeServer) -> None:
        """Events from sentry-sdk's logging integration (``logger.exception``) too."""
        logger = logging.getLogger("inv.sync")
        logger.propagate = False
        expected: list[str] = []

        def log_it() -> None:
            try:
                raise _raised()
            except InventoryError:
                logger.exception("sync failed")
                exc = sys.exc_info()[1]
                assert exc is not None
                expected.extend(fingerprint_exception(exc, service="inv"))

        [event] = _send(
            envelope_server,
            log_it,
            integrations=[
                LogshipIntegration(service="inv"),
                LoggingIntegration(level=None, event_level=logging.ERROR),
            ],
        )
        assert event["logger"] == "inv.sync"
        assert event["fingerprint"] == expected

    def test_other_clients_untouched(self, envelope_server: EnvelopeServer) -> None:
        """A client without the integration keeps Sentry's own grouping."""
        LogshipIntegration.setup_once()  # make sure the processor is registered in this process
        [event] = _send(envelope_server, lambda: sentry_sdk.capture_exception(_raised()))
        assert "fingerprint" not in event or event["fingerprint"] == ["{{ default }}"]
        assert "root_cause" not in event.get("tags", {})
