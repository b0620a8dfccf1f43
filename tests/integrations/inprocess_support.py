"""Real failures raised in-process, and the plumbing to log them and read them back.

Shared by the integration tests (imported as a plain module: pytest puts this
directory on ``sys.path``); the fixtures are in ``conftest.py``.

Each failure is code a service runs, raising the exception the interpreter
raises (a socket read against a 127.0.0.1 listener that never answers, a bad
``int()``, a JSON decode error, chains, groups, ...); nothing here writes a
traceback by hand.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import logging
import socket
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from logship.config import Config
from logship.integrations.logging import JsonFormatter
from logship.integrations.structlog import AddErrorFingerprint
from logship.pipeline import RunReport, run
from logship.records import Fingerprinted, LogEvent

SERVICE = "orders"
LOG_GROUP = f"/ecs/{SERVICE}"
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"  # logging.exception with a prefix


class PaymentError(Exception):
    """A service's own error type, wrapping what went wrong below it."""


class Gateway:
    """A client class with its own nested error type (printed ``module.Gateway.Unavailable``)."""

    class Unavailable(Exception):
        """The gateway did not answer."""


class FlakyRepr(Exception):
    """An exception whose ``str()`` fails: Python prints ``<exception str() failed>``."""

    def __str__(self) -> str:
        raise RuntimeError("no str for you")


def _silent_listener() -> socket.socket:
    """A TCP listener on 127.0.0.1 that accepts connections (the kernel does) but never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    return server


def read_from_silent_gateway() -> bytes:
    server = _silent_listener()
    try:
        with socket.create_connection(server.getsockname(), timeout=0.05) as client:
            client.sendall(b"GET /charge HTTP/1.1\r\nHost: gateway\r\n\r\n")
            return client.recv(1024)
    finally:
        server.close()


def socket_timeout() -> None:
    read_from_silent_gateway()


def charge_with_timeout() -> None:
    try:
        read_from_silent_gateway()
    except TimeoutError as exc:
        raise PaymentError("charge of order 8812 failed after 50ms") from exc


def bad_int() -> None:
    int("abc")


def json_decode() -> None:
    json.loads('{"order": 42,')


def missing_key() -> None:
    prices: dict[str, int] = {"sku-1": 3}
    _ = prices["sku-77"]


def raise_from_chain() -> None:
    try:
        int("12x")
    except ValueError as exc:
        raise PaymentError("invalid amount for customer bob") from exc


def implicit_context() -> None:
    stock: dict[str, int] = {}
    try:
        _ = stock["sku-9"]
    except KeyError:
        # No "from": the implicit context ("During handling of ...") is the point.
        raise ValueError("cannot reserve sku-9")  # noqa: B904


def suppressed_context() -> None:
    try:
        _ = {}["token"]
    except KeyError:
        raise PermissionError("not allowed") from None


def generic_runtime_error() -> None:
    raise RuntimeError("order 91 for amy@example.org could not be shipped")


def long_generic_message() -> None:
    # A generic type puts its message template in the key; this one is longer
    # than a Sentry fingerprint part may be, so the event builder shortens it.
    raise RuntimeError("inventory sync failed while " + "reconciling warehouse stock " * 12)


def exception_group() -> None:
    failures: list[Exception] = []
    for step in (bad_int, missing_key, raise_from_chain):
        try:
            step()
        except Exception as exc:
            failures.append(exc)
    raise ExceptionGroup("checkout failed", failures)


def nested_class_error() -> None:
    raise Gateway.Unavailable("gateway 10.0.0.7:8443 unavailable")


def local_class_error() -> None:
    class LocalError(Exception):
        """Printed as ``module.local_class_error.<locals>.LocalError``."""

    raise LocalError("made in a factory")


def syntax_error() -> None:
    compile("total = (1 +", "<rule>", "exec")


def with_notes() -> None:
    try:
        int("seven")
    except ValueError as exc:
        exc.add_note("while parsing the quantity of order 12")
        raise


def multiline_message() -> None:
    raise PaymentError("declined\nreason: insufficient funds\ncode: 51")


def str_fails() -> None:
    raise FlakyRepr()


def recursion() -> None:
    def descend(depth: int) -> int:
        return descend(depth + 1) + 1

    descend(0)


def file_not_found() -> None:
    with open("/nonexistent/orders/8812.json", encoding="utf-8"):
        pass


def unicode_decode() -> None:
    b"\xffinvoice".decode("utf-8")


def async_timeout() -> None:
    async def call_gateway() -> None:
        await asyncio.wait_for(asyncio.sleep(1), timeout=0.01)

    asyncio.run(call_gateway())


def attribute_on_none() -> None:
    customer: Any = None
    _ = customer.email


def zlib_error() -> None:
    zlib.decompress(b"not compressed")


FAILURES: dict[str, Callable[[], None]] = {
    "socket_timeout": socket_timeout,
    "charge_with_timeout": charge_with_timeout,
    "bad_int": bad_int,
    "json_decode": json_decode,
    "missing_key": missing_key,
    "raise_from_chain": raise_from_chain,
    "implicit_context": implicit_context,
    "suppressed_context": suppressed_context,
    "generic_runtime_error": generic_runtime_error,
    "long_generic_message": long_generic_message,
    "exception_group": exception_group,
    "nested_class_error": nested_class_error,
    "local_class_error": local_class_error,
    "syntax_error": syntax_error,
    "with_notes": with_notes,
    "multiline_message": multiline_message,
    "str_fails": str_fails,
    "recursion": recursion,
    "file_not_found": file_not_found,
    "unicode_decode": unicode_decode,
    "async_timeout": async_timeout,
    "attribute_on_none": attribute_on_none,
    "zlib_error": zlib_error,
}


def raised(failure: Callable[[], None]) -> BaseException:
    """Run ``failure`` and return the exception it raised (with its traceback)."""
    try:
        failure()
    except BaseException as exc:  # the failures raise anything, by design
        return exc
    raise AssertionError(f"{failure.__name__} did not raise")


# --- logging the failures the way services do ------------------------------------------


def structlog_lines(failure: Callable[[], None], *, config: Config | None = None) -> list[str]:
    """What a structlog service (JSONRenderer + our processor) writes when ``failure`` raises."""
    out = io.StringIO()
    log = structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            AddErrorFingerprint(service=SERVICE, config=config, log_group=LOG_GROUP),
            structlog.processors.JSONRenderer(),
        ],
    ).bind(logger="orders.api")  # as services name their structlog loggers
    log.info("charging order", order_id=8812)
    try:
        failure()
    except BaseException:  # logged like a service's catch-all
        log.exception("request failed", path="/orders/8812/charge")
    log.info("request finished", status=500)
    return out.getvalue().splitlines()


def logging_lines(
    failure: Callable[[], None], formatter: logging.Formatter, *filters: logging.Filter
) -> list[str]:
    """What stdlib ``logging`` writes through ``formatter`` when ``failure`` raises."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    for log_filter in filters:
        handler.addFilter(log_filter)
    logger = logging.getLogger(f"{SERVICE}.api")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        logger.info("charging order 8812")
        try:
            failure()
        except BaseException:  # logged like a service's catch-all
            logger.exception("request failed", extra={"request_id": "req-31"})
        logger.info("request finished")
    finally:
        logger.removeHandler(handler)
    return out.getvalue().splitlines()


def text_formatter() -> logging.Formatter:
    return logging.Formatter(TEXT_FORMAT)


def json_formatter(config: Config | None = None) -> logging.Formatter:
    return JsonFormatter(service=SERVICE, config=config, log_group=LOG_GROUP)


def awslogs_events(lines: list[str], stream: str = f"ecs/{SERVICE}/6f1c2b") -> list[LogEvent]:
    """The events ECS's awslogs driver sends for ``lines``: one per line, in order."""
    return [
        LogEvent(
            log_group=LOG_GROUP,
            log_stream=stream,
            event_id=f"{index:056d}",
            timestamp=1_760_000_000_000 + index,
            message=line,
            owner="123456789012",
            region="eu-west-1",
        )
        for index, line in enumerate(lines)
    ]


def shipped(lines: list[str], config: Config | None = None) -> list[Fingerprinted]:
    """The errors the shipper's pipeline finds in ``lines``, fingerprint rules applied."""
    return shipped_events(awslogs_events(lines), config)


def shipped_events(events: list[LogEvent], config: Config | None = None) -> list[Fingerprinted]:
    """The errors the shipper's pipeline finds in ``events``, fingerprint rules applied."""
    report = RunReport()
    found = [outcome.item for outcome in run(events, config or Config(), report)]
    assert report.balanced(), report.as_dict()
    assert report.ignored == 0, report.as_dict()
    return found


# --- a Sentry-compatible endpoint that only collects envelopes ---------------------------


@dataclass
class EnvelopeServer:
    """Envelopes received on ``/api/<project>/envelope/``, decoded."""

    port: int
    envelopes: list[list[tuple[dict[str, Any], bytes]]]

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.port}/1"

    def events(self) -> list[dict[str, Any]]:
        return [
            json.loads(payload)
            for envelope in self.envelopes
            for header, payload in envelope
            if header.get("type") == "event"
        ]


def parse_envelope(body: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """Split an envelope into (item header, payload) pairs (develop.sentry.dev/sdk/envelopes)."""
    stream = io.BytesIO(body)
    stream.readline()  # the envelope header
    items: list[tuple[dict[str, Any], bytes]] = []
    while True:
        line = stream.readline()
        if not line.strip():
            break
        header = json.loads(line)
        if "length" in header:
            payload = stream.read(header["length"])
            stream.readline()
        else:
            payload = stream.readline().rstrip(b"\n")
        items.append((header, payload))
    return items


def decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli  # type: ignore[import-not-found]  # only when sentry-sdk chose it

        return bytes(brotli.decompress(body))
    return body
