"""Tests for logship.fingerprint: the grouping key."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logship.fingerprint import default_fingerprint, fingerprint, short_type, title
from logship.records import ExceptionInfo, Frame, LogRecord, ParsedError, Relation


def _record(text: str = "") -> LogRecord:
    return LogRecord(
        log_group="/ecs/order-service",
        log_stream="ecs/order/abc",
        owner="123456789012",
        region="eu-west-1",
        timestamp=1_700_000_000_000,
        event_ids=("1",),
        lines=tuple(text.split("\n")) if text else ("",),
    )


def _error(
    *chain: tuple[str, str],
    service: str = "order-service",
    message: str = "",
    logger: str = "",
    lineno: int = 42,
    frames: tuple[Frame, ...] | None = None,
) -> ParsedError:
    exceptions = tuple(
        ExceptionInfo(
            type=type_,
            message=msg,
            frames=(Frame("handle", "com.shop.Order", "Order.java", lineno, in_app=True),)
            if frames is None
            else frames,
            relation=Relation.CAUSE if index else None,
        )
        for index, (type_, msg) in enumerate(chain)
    )
    return ParsedError(
        record=_record(message),
        service=service,
        level="error",
        message=message,
        logger=logger,
        language="java" if chain else "",
        chain=exceptions,
    )


RUNTIME = "java.lang.RuntimeException"
TIMEOUT = "java.net.SocketTimeoutException"
NUMBER_FORMAT = "java.lang.NumberFormatException"


class TestDefaultFingerprint:
    def test_service_top_type_and_root_cause(self) -> None:
        """A typed error groups by service, outermost type and root cause type."""
        error = _error((RUNTIME, "failed"), (TIMEOUT, "Read timed out"))
        assert default_fingerprint(error) == ("order-service", RUNTIME, TIMEOUT)

    def test_different_root_cause_is_a_different_issue(self) -> None:
        """RuntimeException caused by a timeout is not one caused by a parse error."""
        timeout = _error((RUNTIME, "failed"), (TIMEOUT, "Read timed out"))
        parse = _error((RUNTIME, "failed"), (NUMBER_FORMAT, 'For input string: "x"'))
        assert default_fingerprint(timeout) != default_fingerprint(parse)

    def test_same_failure_in_two_services_is_two_issues(self) -> None:
        """The service is part of the key."""
        order = _error((RUNTIME, "x"), (TIMEOUT, "t"), service="order-service")
        member = _error((RUNTIME, "x"), (TIMEOUT, "t"), service="member-service")
        assert default_fingerprint(order) != default_fingerprint(member)

    def test_line_numbers_never_enter_the_key(self) -> None:
        """A redeploy that moves a line does not open a new issue."""
        before = _error((RUNTIME, "x"), (TIMEOUT, "t"), lineno=42)
        after = _error((RUNTIME, "x"), (TIMEOUT, "t"), lineno=57)
        assert default_fingerprint(before) == default_fingerprint(after)

    def test_generic_root_cause_adds_the_place_it_was_raised(self) -> None:
        """A generic root with in-app frames: the innermost in-app function joins the key.

        The messages differ by a status word no mask knows: one code path, one issue.
        """
        frames = (
            Frame("dispatch", "org.springframework.web.FrameworkServlet", in_app=False),
            Frame("cancel", "com.shop.OrderController", "OrderController.java", 30, in_app=True),
            Frame("cancel", "com.shop.OrderService", "OrderService.java", 88, in_app=True),
            Frame("check", "com.google.common.base.Preconditions", in_app=False),
        )
        state = "java.lang.IllegalStateException"
        keys = {
            default_fingerprint(
                _error((state, f"cannot be cancelled in status {word}"), frames=frames)
            )
            for word in ("REFUNDED", "DELIVERED", "CANCELLED")
        }
        assert keys == {("order-service", state, state, "at com.shop.OrderService.cancel")}

    def test_generic_root_raised_elsewhere_is_another_issue(self) -> None:
        """Two generic errors raised in two functions are two issues."""
        here = _error(("Error", "x"), frames=(Frame("reserve", "cart", in_app=True),))
        there = _error(("Error", "x"), frames=(Frame("charge", "payment", in_app=True),))
        assert default_fingerprint(here) != default_fingerprint(there)

    def test_generic_root_place_ignores_line_numbers(self) -> None:
        """The place is a function, never a line: a redeploy keeps the issue."""
        before = _error(("Error", "a"), lineno=10)
        after = _error(("Error", "b"), lineno=99)
        assert default_fingerprint(before) == default_fingerprint(after)

    def test_generic_root_without_in_app_frames_adds_its_message_template(self) -> None:
        """Without in-app frames `new Error(...)` has only its masked message to tell it by."""
        library = (Frame("emit", "node:events", in_app=False),)
        first = _error(("Error", "Cart 42 is locked"), frames=library)
        second = _error(("Error", "Cart 97 is locked"), frames=())
        other = _error(("Error", "Inventory service unavailable"), frames=library)
        assert default_fingerprint(first) == default_fingerprint(second)
        assert default_fingerprint(first) != default_fingerprint(other)
        assert default_fingerprint(first)[-1] == "Cart <NUM> is locked"

    def test_operating_system_error_root_adds_its_message(self) -> None:
        """A socket error's type is every socket failure's: its message names which one."""
        outer = "Shop.Payments.PaymentException"
        socket = "System.Net.Sockets.SocketException"
        refused = _error((outer, "run 77 failed"), (socket, "Connection refused"))
        again = _error((outer, "run 78 failed"), (socket, "Connection refused"))
        timeout = _error((outer, "run 77 failed"), (socket, "Connection timed out"))
        assert default_fingerprint(refused) == default_fingerprint(again)
        assert default_fingerprint(refused) != default_fingerprint(timeout)
        assert default_fingerprint(refused)[-1] == "Connection refused"

    def test_untyped_error_groups_by_logger_and_template(self) -> None:
        """An ERROR line without a trace groups by logger and message template."""
        error = _error(message="Payment 881 declined for bob@example.com", logger="c.s.Pay")
        assert default_fingerprint(error) == (
            "order-service",
            "c.s.Pay",
            "Payment <NUM> declined for <EMAIL>",
        )

    def test_untyped_error_without_logger(self) -> None:
        """A missing logger is marked, not left empty."""
        assert default_fingerprint(_error(message="boom"))[1] == "<untyped>"


class TestTitle:
    def test_typed_title_names_the_root_cause(self) -> None:
        """The title reads like Sentry's, plus the cause."""
        error = _error((RUNTIME, "Order failed"), (TIMEOUT, "Read timed out"))
        assert title(error) == "RuntimeException: Order failed (caused by SocketTimeoutException)"

    def test_untyped_title_is_the_first_line(self) -> None:
        """An untyped error's title is its message's first line."""
        assert title(_error(message="boom\nmore")) == "boom"

    def test_long_titles_are_cut(self) -> None:
        """Titles stay readable."""
        assert len(title(_error(message="x" * 1000))) == 200

    def test_short_type(self) -> None:
        """Package names are dropped from types, not from phrases."""
        assert short_type(TIMEOUT) == "SocketTimeoutException"
        assert short_type("PHP Fatal error") == "PHP Fatal error"


_WORD = st.text("abcdefghijklmnop", min_size=1, max_size=8)
_KINDS = (
    st.integers(min_value=0, max_value=10**9).map(str),
    st.uuids().map(str),
    st.tuples(_WORD, _WORD).map(lambda p: f"{p[0]}@{p[1]}.io"),
    st.decimals(min_value=0, max_value=10**5, places=2).map(str),
)
# Two values of one kind: a number and an email may mask differently, two numbers may not.
_SAME_KIND_PAIR = st.sampled_from(_KINDS).flatmap(lambda kind: st.tuples(kind, kind))


class TestFingerprintInvariants:
    @given(pair=_SAME_KIND_PAIR)
    def test_masked_values_never_change_a_typed_fingerprint(self, pair: tuple[str, str]) -> None:
        """Ids, amounts and emails in messages do not split a typed issue."""
        first, second = pair
        a = _error((RUNTIME, f"order {first} failed"), ("Error", f"item {first} gone"))
        b = _error((RUNTIME, f"order {second} failed"), ("Error", f"item {second} gone"))
        assert default_fingerprint(a) == default_fingerprint(b)

    @given(pair=_SAME_KIND_PAIR)
    def test_masked_values_never_change_an_untyped_fingerprint(self, pair: tuple[str, str]) -> None:
        """Variable data in an untyped error line does not split its issue."""
        first, second = pair
        a = _error(message=f"Stock for sku {first} below limit", logger="inv")
        b = _error(message=f"Stock for sku {second} below limit", logger="inv")
        assert fingerprint(a).fingerprint == fingerprint(b).fingerprint


class TestExceptionGroups:
    def _group(self, *member_types: str) -> ParsedError:
        group = ExceptionInfo(type="ExceptionGroup", message="batch failed (2 sub-exceptions)")
        members = tuple(
            ExceptionInfo(type=member, message="x", relation=Relation.GROUP)
            for member in member_types
        )
        return ParsedError(
            record=_record(),
            service="catalog-service",
            level="error",
            message="",
            language="python",
            chain=(group,),
            related=members,
        )

    def test_member_types_join_the_key(self) -> None:
        """Groups of different failures are different issues."""
        timeouts = self._group("TimeoutError", "TimeoutError")
        parsing = self._group("ValueError", "KeyError")
        assert default_fingerprint(timeouts) == (
            "catalog-service",
            "ExceptionGroup",
            "ExceptionGroup",
            "TimeoutError",
        )
        assert default_fingerprint(parsing)[-1] == "KeyError+ValueError"

    def test_member_order_does_not_matter(self) -> None:
        """The same failures in another order are the same issue."""
        assert default_fingerprint(self._group("KeyError", "ValueError")) == default_fingerprint(
            self._group("ValueError", "KeyError")
        )


# --------------------------------------------------------------------------- per-request values

# Every prefix layout the parser knows (logship/parse/line.py, structured JSON), at
# ERROR, with per-request values in the prefix ({pid}, {thread}, {trace}, {span},
# {uuid}, the stamps) and a message that carries more of them ({msg}).
_LAYOUTS: dict[str, str] = {
    "spring-boot-2": (
        "{date} ERROR {pid} --- [nio-8080-exec-{thread}] c.e.p.PaymentController : {msg}"
    ),
    "spring-boot-2-sleuth": (
        "{date} ERROR [payment-service,{span},{span2}] {pid} --- [nio-8080-exec-{thread}]"
        " c.e.p.PaymentController : {msg}"
    ),
    "spring-boot-3": (
        "{iso}  ERROR {pid} --- [payment-service] [nio-8080-exec-{thread}] [{trace}-{span}]"
        " c.e.p.PaymentController : {msg}"
    ),
    "logback": "{time} [http-nio-8080-exec-{thread}] ERROR c.e.p.PaymentController - {msg}",
    "log4j2": "{date} ERROR [pool-{pid}-thread-{thread}] com.shop.Payments - {msg}",
    "python-dashes": "{comma} - payment.api - ERROR - {msg}",
    "python-basicconfig": "ERROR:payment.api:{msg}",
    "python-request-values": "{comma} ERROR [payment-service,{trace}] payment.api: {msg}",
    "level-first-request-values": "ERROR [payment-service,{trace}] payment.api: {msg}",
    "stamp-level-bracket": "{date} ERROR [payment.api] {msg}",
    "nlog": "{date}|ERROR|Shop.Payments|{msg}",
    "lambda-node": "{iso}\t{uuid}\tERROR\t{msg}",
    "lambda-python": "[ERROR]\t{iso}\t{uuid}\t{msg}",
    "go-log": "{go} ERROR {msg}",
    "slog-text": 'time={iso} level=ERROR msg="{msg}" trace_id={trace} pid={pid}',
    "logrus": 'time="{iso}" level=error msg="{msg}" request_id={uuid}',
    "klog": "E{mmdd} {time}000    {pid} controller.go:{thread}] {msg}",
    "ruby-logger": "E, [{ruby} #{pid}] ERROR -- payments: {msg}",
    "rails-tagged": "E, [{ruby} #{pid}] ERROR -- : [{uuid}] {msg}",
    "monolog": '[{iso}] app.ERROR: {msg} {{"trace_id":"{trace}","pid":{pid}}} []',
    "gunicorn": "[{gunicorn}] [{pid}] [ERROR] {msg}",
    "uvicorn": "ERROR:    {msg}",
    "serilog": "[{time} ERR] {msg}",
    "loguru": "{date} | ERROR    | shop.payments:charge:{thread} - {msg}",
    "structlog-console": "{iso} [error    ] {msg}",
    "winston-simple": 'error: {msg} {{"service":"payment-service","trace_id":"{trace}"}}',
    "jul": "{jul} com.shop.payments.PaymentService charge\nSEVERE: {msg}",
    "json": '{{"level":"error","time":"{iso}","pid":{pid},"msg":"{msg}","trace_id":"{trace}"}}',
    "json-generic-error": (
        '{{"level":50,"pid":{pid},"msg":"charge failed","err":{{"type":"Error",'
        '"message":"{msg}"}},"req":{{"id":"{uuid}"}}}}'
    ),
}
_MESSAGE = (
    "payment {amount} EUR for order {order} declined for user {user} after {duration}"
    " (trace {trace}, request {uuid}, span {span}, at {iso})"
)
# Words the NAME mask reads as "no name follows" ("user not found"): not user names.
_NOT_NAMES = {"not", "is", "was", "has", "had", "with", "for", "from", "to", "in", "the", "a", "an"}


def _hex(digits: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=digits // 2, max_size=digits // 2).map(bytes.hex)


@st.composite
def _request_values(draw: st.DrawFn) -> dict[str, str]:
    """The values one request puts in a log line."""
    when = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    values = {
        "pid": str(draw(st.integers(1, 4_194_304))),
        "thread": str(draw(st.integers(1, 500))),
        "trace": draw(_hex(32)),
        "span": draw(_hex(16)),
        "span2": draw(_hex(16)),
        "uuid": str(draw(st.uuids())),
        "amount": f"{draw(st.integers(0, 99_999))}.{draw(st.integers(0, 99)):02d}",
        "order": str(draw(st.integers(0, 10**12))),
        "user": draw(
            st.from_regex(r"[a-z][a-z0-9._-]{0,12}", fullmatch=True).filter(
                lambda name: name not in _NOT_NAMES
            )
        ),
        "duration": f"{draw(st.integers(0, 600_000))}{draw(st.sampled_from(['ms', 's', ' ms']))}",
        "date": stamp,
        "iso": when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "comma": stamp.replace(".", ","),
        "time": stamp[11:],
        "go": when.strftime("%Y/%m/%d %H:%M:%S"),
        "mmdd": when.strftime("%m%d"),
        "ruby": when.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "gunicorn": when.strftime("%Y-%m-%d %H:%M:%S") + " +0000",
        "jul": f"{when:%b} {when.day:02d}, {when.year} {when.hour % 12 or 12}:{when:%M:%S %p}",
    }
    values["msg"] = _MESSAGE.format(**values)
    return values


def _logged(layout: str, values: dict[str, str]) -> tuple[str, ...]:
    """The fingerprint logship gives the line ``layout`` prints with ``values``."""
    from logship.config import Config
    from logship.parse import parse_record

    text = _LAYOUTS[layout].format(**values)
    record = replace(_record(), lines=tuple(text.split("\n")), event_ids=("1",))
    error = parse_record(record, Config())
    assert error is not None, text
    return fingerprint(error).fingerprint


class TestPerRequestValues:
    """Issue 13: no value that varies per request changes a fingerprint, in any layout."""

    @pytest.mark.slow
    @pytest.mark.parametrize("layout", sorted(_LAYOUTS))
    @settings(max_examples=25, deadline=None)
    @given(first=_request_values(), second=_request_values())
    def test_never_in_the_key(
        self, layout: str, first: dict[str, str], second: dict[str, str]
    ) -> None:
        """Trace, span and request ids, pids, threads, uuids, hex ids, stamps, durations."""
        assert _logged(layout, first) == _logged(layout, second)
