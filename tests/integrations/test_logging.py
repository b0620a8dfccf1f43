"""Tests for logship.integrations.logging: the filter and the JSON formatter."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from logship.inprocess import ExceptionFingerprinter, fingerprint_exception, format_exception
from logship.integrations.logging import ErrorFingerprintFilter, JsonFormatter


class LedgerError(Exception):
    """A service error for the tests."""


def _record(
    exc_info: bool = True, msg: str = "charge %s failed", **extra: object
) -> logging.LogRecord:
    """A record as ``logger.exception`` makes it, inside an ``except`` block."""
    try:
        try:
            int("abc")
        except ValueError as inner:
            raise LedgerError("ledger write failed") from inner
    except LedgerError:
        info = sys.exc_info() if exc_info else None
        record = logging.getLogger("orders.api").makeRecord(
            "orders.api", logging.ERROR, __file__, 10, msg, ("8812",), info, extra=extra
        )
    return record


class TestErrorFingerprintFilter:
    """ErrorFingerprintFilter annotates records that carry an exception."""

    def test_adds_fingerprint_and_root_cause(self) -> None:
        """The attributes equal fingerprint_exception's result and the root cause type."""
        record = _record()
        assert ErrorFingerprintFilter(service="orders").filter(record) is True
        assert record.exc_info is not None
        exc = record.exc_info[1]
        assert exc is not None
        assert record.error_fingerprint == fingerprint_exception(exc, service="orders")
        assert record.error_root_cause == "ValueError"

    def test_leaves_plain_records(self) -> None:
        """A record without an exception passes untouched."""
        record = _record(exc_info=False)
        assert ErrorFingerprintFilter(service="orders").filter(record) is True
        assert not hasattr(record, "error_fingerprint")

    def test_never_raises(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An internal failure keeps the record (without the attributes), it is not raised."""

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("parser exploded")

        monkeypatch.setattr(ExceptionFingerprinter, "fingerprinted", broken)
        record = _record()
        assert ErrorFingerprintFilter(service="orders").filter(record) is True
        assert not hasattr(record, "error_fingerprint")

    def test_in_a_handler(self) -> None:
        """Installed on a handler, the attributes reach the format string."""
        out: list[str] = []

        class ListHandler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                out.append(self.format(record))

        handler = ListHandler()
        handler.addFilter(ErrorFingerprintFilter(service="orders"))
        handler.setFormatter(logging.Formatter("%(error_root_cause)s %(message)s"))
        handler.handle(_record())
        assert out[0].startswith("ValueError charge 8812 failed\nTraceback")


class TestJsonFormatter:
    """JsonFormatter writes one JSON line with the fields the shipper reads."""

    def test_error_fields(self) -> None:
        """level, logger, message, service, exception, fingerprint and root cause."""
        record = _record()
        line = JsonFormatter(service="orders").format(record)
        assert "\n" not in line
        document = json.loads(line)
        assert record.exc_info is not None
        exc = record.exc_info[1]
        assert exc is not None
        assert document["level"] == "error"
        assert document["logger"] == "orders.api"
        assert document["message"] == "charge 8812 failed"
        assert document["service"] == "orders"
        assert document["exception"] == format_exception(exc)
        assert document["error_fingerprint"] == fingerprint_exception(exc, service="orders")
        assert document["error_root_cause"] == "ValueError"
        assert document["timestamp"].endswith("+00:00")

    def test_plain_record(self) -> None:
        """A record without an exception has no exception fields."""
        document = json.loads(JsonFormatter(service="orders").format(_record(exc_info=False)))
        assert document["level"] == "error"
        assert not {"exception", "error_fingerprint", "error_root_cause"} & document.keys()

    def test_extra_fields(self) -> None:
        """``extra`` fields are written, values JSON cannot hold as their str()."""
        line = JsonFormatter(service="orders").format(_record(request_id="req-1", amount=object()))
        document = json.loads(line)
        assert document["request_id"] == "req-1"
        assert document["amount"].startswith("<object object")

    def test_reuses_filter_attributes(self) -> None:
        """With the filter installed first, the formatter writes the filter's values."""
        record = _record()
        ErrorFingerprintFilter(service="orders").filter(record)
        record.error_fingerprint = ["marked", "by", "filter"]
        document = json.loads(JsonFormatter(service="orders").format(record))
        assert document["error_fingerprint"] == ["marked", "by", "filter"]

    def test_formatter_alone_fingerprints(self) -> None:
        """Without the filter the formatter fingerprints the exception itself."""
        record = _record()
        document = json.loads(JsonFormatter(service="billing").format(record))
        assert document["error_fingerprint"][0] == "billing"

    def test_stack_info(self) -> None:
        """``stack_info=True`` output is kept in its own field."""
        record = _record(exc_info=False)
        record.stack_info = "Stack (most recent call last):\n  File x"
        document = json.loads(JsonFormatter(service="orders").format(record))
        assert document["stack_info"].startswith("Stack (most recent call last):")
