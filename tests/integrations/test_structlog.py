"""Tests for logship.integrations.structlog: the AddErrorFingerprint processor."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import structlog

from logship.inprocess import ExceptionFingerprinter, fingerprint_exception, format_exception
from logship.integrations.structlog import AddErrorFingerprint, add_error_fingerprint


class StockError(Exception):
    """A service error for the tests."""


def _raised() -> StockError:
    try:
        try:
            _ = {}["sku-1"]
        except KeyError as inner:
            raise StockError("no stock") from inner
    except StockError as exc:
        return exc
    raise AssertionError("unreachable")


class TestAddErrorFingerprint:
    """AddErrorFingerprint renders and fingerprints the exception of an event dict."""

    def test_exception_instance(self) -> None:
        """exc_info is replaced by the rendered text, fingerprint and root cause."""
        exc = _raised()
        event: dict[str, Any] = {"event": "reserve failed", "exc_info": exc, "level": "error"}
        out = AddErrorFingerprint(service="stock")(None, "error", event)
        assert "exc_info" not in out
        assert out["exception"] == format_exception(exc)
        assert out["error_fingerprint"] == fingerprint_exception(exc, service="stock")
        assert out["error_root_cause"] == "KeyError"
        assert out["service"] == "stock"

    def test_exc_info_true_inside_except(self) -> None:
        """``exc_info=True`` (what ``log.exception`` passes) means the current exception."""
        processor = AddErrorFingerprint(service="stock")
        try:
            raise _raised()
        except StockError as exc:
            out = processor(None, "exception", {"event": "x", "exc_info": True})
            expected = fingerprint_exception(exc, service="stock")
        assert out["error_fingerprint"] == expected

    def test_no_exception(self) -> None:
        """An event without an exception is returned as it was (a False exc_info dropped)."""
        processor = AddErrorFingerprint(service="stock")
        assert processor(None, "info", {"event": "ok"}) == {"event": "ok"}
        assert processor(None, "info", {"event": "ok", "exc_info": False}) == {"event": "ok"}

    def test_keeps_bound_service(self) -> None:
        """A ``service`` the event already has is kept, and is the one in the fingerprint."""
        out = AddErrorFingerprint(service="stock")(
            None, "error", {"exc_info": _raised(), "service": "s2"}
        )
        assert out["service"] == "s2"
        assert out["error_fingerprint"][0] == "s2"  # the service the shipper will read

    def test_never_raises(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An internal failure still logs the traceback, without the fingerprint fields."""

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("parser exploded")

        monkeypatch.setattr(ExceptionFingerprinter, "fingerprinted_document", broken)
        out = AddErrorFingerprint(service="stock")(None, "error", {"exc_info": _raised()})
        assert out["exception"].startswith("Traceback (most recent call last):")
        assert "error_fingerprint" not in out

    def test_in_a_structlog_chain(self) -> None:
        """With JSONRenderer, one JSON line per call holding the fields the shipper reads."""
        buffer = io.StringIO()
        log = structlog.wrap_logger(
            structlog.PrintLogger(buffer),
            processors=[
                structlog.processors.add_log_level,
                add_error_fingerprint(service="stock"),
                structlog.processors.JSONRenderer(),
            ],
        )
        try:
            raise _raised()
        except StockError as exc:
            log.exception("reserve failed", sku="sku-1")
            expected = fingerprint_exception(exc, service="stock")
        [line] = buffer.getvalue().splitlines()
        document = json.loads(line)
        assert document["level"] == "error"
        assert document["event"] == "reserve failed"
        assert document["error_fingerprint"] == expected
        assert document["exception"].endswith("StockError: no stock")
