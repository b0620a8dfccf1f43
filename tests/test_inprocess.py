"""Tests for logship.inprocess: fingerprints of live exceptions."""

from __future__ import annotations

import io
import json
import logging
import sys
from dataclasses import replace

import pytest

import logship
from logship import inprocess
from logship.config import Config
from logship.exceptions import InputError
from logship.inprocess import (
    ExceptionFingerprinter,
    error_document,
    exception_from,
    fingerprint_exception,
    format_exception,
    tags_for,
)
from logship.mask import MaskInstruction


class OrderError(Exception):
    """A service's own error, printed module-qualified."""


class Client:
    """Holds a nested error class, printed with its ``__qualname__``."""

    class Refused(Exception):
        """Nested: ``Client.Refused``."""


def _raise(exc: BaseException, cause: BaseException | None = None) -> BaseException:
    """``exc`` raised (so it has a traceback), optionally ``from cause``."""
    try:
        if cause is not None:
            try:
                raise cause
            except BaseException as inner:  # any cause, by design
                raise exc from inner
        raise exc
    except BaseException as caught:  # any exception, by design
        return caught


def _printed_name(cls: type[BaseException]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class TestFormatException:
    """format_exception prints exactly what logging prints."""

    def test_same_as_logging(self) -> None:
        """The text equals ``logging.Formatter.formatException`` for the same exception."""
        exc = _raise(OrderError("boom"), ValueError("bad"))
        expected = logging.Formatter().formatException((type(exc), exc, exc.__traceback__))
        assert format_exception(exc) == expected

    def test_same_as_logging_exception_output(self) -> None:
        """The text is the tail of what ``logger.exception`` writes."""
        out = io.StringIO()
        logger = logging.getLogger("test_inprocess.format")
        logger.propagate = False
        handler = logging.StreamHandler(out)
        logger.addHandler(handler)
        try:
            try:
                int("abc")
            except ValueError as exc:
                logger.exception("failed")
                text = format_exception(exc)
        finally:
            logger.removeHandler(handler)
        assert out.getvalue() == f"failed\n{text}\n"

    def test_explicit_traceback(self) -> None:
        """A traceback passed explicitly is the one printed."""
        exc = _raise(KeyError("k"))
        text = format_exception(exc.with_traceback(None), None)
        assert text == "KeyError: 'k'"
        assert "Traceback" not in text


class TestExceptionFrom:
    """exception_from normalizes the ``exc_info`` forms of logging, structlog and sentry."""

    def test_instance(self) -> None:
        """An exception instance gives its type, itself and its traceback."""
        exc = _raise(ValueError("x"))
        assert exception_from(exc) == (ValueError, exc, exc.__traceback__)

    def test_triple(self) -> None:
        """An ``exc_info`` triple is kept."""
        exc = _raise(ValueError("x"))
        assert exception_from((ValueError, exc, exc.__traceback__)) == (
            ValueError,
            exc,
            exc.__traceback__,
        )

    def test_true_means_current(self) -> None:
        """``True`` means the exception being handled."""
        try:
            raise OrderError("now")
        except OrderError:
            resolved = exception_from(True)
            current = sys.exc_info()[1]
        assert resolved is not None
        assert resolved[1] is current

    @pytest.mark.parametrize("value", [None, False, True, (None, None, None), "boom", (1, 2)])
    def test_nothing(self, value: object) -> None:
        """No exception (or garbage) gives None; ``True`` outside ``except`` too."""
        assert exception_from(value) is None


class TestErrorDocument:
    """error_document lays out the fields the shipper reads."""

    def test_fields(self) -> None:
        """Level, message, logger, service and exception, the empty ones left out."""
        document = error_document(exception_text="T", message="m", logger="", service="s")
        assert document == {"level": "error", "message": "m", "service": "s", "exception": "T"}
        assert json.loads(json.dumps(document)) == document


class TestFingerprintException:
    """fingerprint_exception follows the default grouping on live exceptions."""

    def test_builtin_type(self) -> None:
        """A builtin is printed bare: ``[service, ValueError, ValueError]``."""
        exc = _raise(ValueError("invalid literal for int() with base 10: 'abc'"))
        assert fingerprint_exception(exc, service="orders") == [
            "orders",
            "ValueError",
            "ValueError",
        ]

    def test_module_qualified_type(self) -> None:
        """A library type is printed with its module: ``json.decoder.JSONDecodeError``."""
        try:
            json.loads("{")
        except ValueError as exc:
            key = fingerprint_exception(exc, service="orders")
        assert key[1:] == ["json.decoder.JSONDecodeError", "json.decoder.JSONDecodeError"]

    def test_own_and_nested_types(self) -> None:
        """Service types are ``module.QualName``, nested classes included."""
        exc = _raise(OrderError("charge failed"), Client.Refused("no"))
        key = fingerprint_exception(exc, service="orders")
        assert key == ["orders", _printed_name(OrderError), _printed_name(Client.Refused)]
        assert key[2].endswith(".Client.Refused")

    def test_root_cause_splits(self) -> None:
        """The same top type with another root cause is another fingerprint."""
        by_timeout = _raise(OrderError("x"), TimeoutError("timed out"))
        by_value = _raise(OrderError("x"), ValueError("bad"))
        assert fingerprint_exception(by_timeout, service="a") != fingerprint_exception(
            by_value, service="a"
        )

    def test_service_splits(self) -> None:
        """The same failure in two services is two fingerprints."""
        exc = _raise(KeyError("sku"))
        assert fingerprint_exception(exc, service="orders")[0] == "orders"
        assert fingerprint_exception(exc, service="billing")[0] == "billing"

    def test_generic_root_uses_the_place_it_was_raised(self) -> None:
        """A generic root adds the in-app function that raised it; messages do not split it."""
        first = _raise(RuntimeError("order 8812 for bob@example.com failed"))
        second = _raise(RuntimeError("order 77 cannot be cancelled in status REFUNDED"))
        key = fingerprint_exception(first, service="orders")
        assert key == fingerprint_exception(second, service="orders")
        assert key == ["orders", "RuntimeError", "RuntimeError", "at test_inprocess._raise"]

    def test_config_masks_apply(self) -> None:
        """The config's masks shape the message template, as in the pipeline.

        The template is in the key of a generic root without in-app frames: the
        config's in-app prefixes match none of this test's.
        """
        config = Config(
            masks=(MaskInstruction("WORD", r"\bfailed\b"),), in_app_prefixes=("com.elsewhere.",)
        )
        exc = _raise(RuntimeError("it failed"))
        assert fingerprint_exception(exc, service="s", config=config)[-1] == "it <WORD>"

    def test_min_level_does_not_hide(self) -> None:
        """A config that ships only fatal errors still fingerprints (sending is not our call)."""
        exc = _raise(KeyError("k"))
        config = Config(min_level="fatal")
        assert fingerprint_exception(exc, service="s", config=config) == [
            "s",
            "KeyError",
            "KeyError",
        ]

    def test_service_is_required(self) -> None:
        """An empty service is refused: the key would never match the logs' key."""
        with pytest.raises(ValueError, match="service"):
            ExceptionFingerprinter("")


class TestExceptionFingerprinter:
    """ExceptionFingerprinter binds a service and a config."""

    def test_fingerprinted_carries_chain(self) -> None:
        """The full result has the parsed chain, outermost first, and the title."""
        exc = _raise(OrderError("charge failed"), TimeoutError("timed out"))
        item = ExceptionFingerprinter("orders").fingerprinted(exc, message="payment failed")
        assert [info.type for info in item.error.chain] == [
            _printed_name(OrderError),
            "TimeoutError",
        ]
        assert item.error.message == "payment failed"
        assert item.error.service == "orders"
        assert item.title.startswith("OrderError: charge failed")

    def test_text_and_exception_agree(self) -> None:
        """Fingerprinting the formatted text equals fingerprinting the exception."""
        fingerprinter = ExceptionFingerprinter("orders")
        exc = _raise(OrderError("x"), KeyError("k"))
        assert (
            fingerprinter.fingerprinted_text(format_exception(exc)).fingerprint
            == fingerprinter.fingerprinted(exc).fingerprint
        )

    def test_untyped_when_parser_reads_no_chain(self) -> None:
        """Text with no readable exception groups as untyped, as its log line would."""
        item = ExceptionFingerprinter("orders").fingerprinted_text(
            "not a traceback at all", message="payment failed", logger="orders.api"
        )
        assert item.error.chain == ()
        assert item.fingerprint == ("orders", "orders.api", "payment failed")

    def test_parser_rejection_is_input_error(self) -> None:
        """If the parser rejects the document altogether, InputError says so."""
        fingerprinter = ExceptionFingerprinter("orders")
        fingerprinter._parse_config = replace(fingerprinter._parse_config, min_level="fatal")
        with pytest.raises(InputError, match="no error found"):
            fingerprinter.fingerprinted_text("Traceback (most recent call last):", level="info")


class TestTagsFor:
    """tags_for gives the shipper's tags for a fingerprinted exception."""

    def test_typed(self) -> None:
        """service, exception_type (outermost) and root_cause (innermost)."""
        exc = _raise(OrderError("x"), TimeoutError("t"))
        item = ExceptionFingerprinter("orders").fingerprinted(exc)
        assert tags_for(item) == {
            "service": "orders",
            "exception_type": _printed_name(OrderError),
            "root_cause": "TimeoutError",
            "language": "python",
        }

    def test_untyped(self) -> None:
        """An untyped error has only the service tag."""
        item = ExceptionFingerprinter("orders").fingerprinted_text("nothing", message="m")
        assert tags_for(item) == {"service": "orders"}


class TestPackageAttribute:
    """``logship.fingerprint_exception`` is the same function, re-exported by the package."""

    def test_package_attribute(self) -> None:
        """The package attribute resolves to logship.inprocess.fingerprint_exception."""
        assert logship.fingerprint_exception is inprocess.fingerprint_exception
        assert "fingerprint_exception" in logship.__all__

    def test_unknown_attribute(self) -> None:
        """Other names still raise AttributeError."""
        with pytest.raises(AttributeError, match="no_such_thing"):
            _ = logship.no_such_thing  # type: ignore[attr-defined]
