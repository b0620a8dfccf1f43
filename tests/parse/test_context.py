"""Tests for logship.parse.context: request context in plain-text log lines."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logship.parse import context
from logship.parse.context import SCAN_CHARS, find_context
from logship.records import RequestContext


class TestFindContext:
    @pytest.mark.parametrize(
        ("text", "trace_id"),
        [
            (
                "ERROR [orders] trace_id=4bf92f3577b34da6a3ce929d0e0e4736 charge failed",
                "4bf92f3577b34da6a3ce929d0e0e4736",
            ),
            ("ERROR traceId: 6e0c63257de34c92 failed", "6e0c63257de34c92"),
            ('{"level":"error"} "trace.id": "5b8aa5a2d2c872e8"', "5b8aa5a2d2c872e8"),
            (
                "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
                "1-5759e988-bd862e3fe1be46a994272793",
            ),
            (
                "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "0af7651916cd43dd8448eb211c80319c",
            ),
        ],
    )
    def test_trace_ids(self, text: str, trace_id: str) -> None:
        """Key-value, header and W3C traceparent forms give the trace id."""
        assert find_context(text).trace_id == trace_id

    @pytest.mark.parametrize(
        ("text", "request_id"),
        [
            ("ERROR request_id=req-7f3a9c failed", "req-7f3a9c"),
            (
                'ERROR requestId: "c2f1a6e0-5b3c-4d7e-9a41-0d6f2b8e1c55"',
                "c2f1a6e0-5b3c-4d7e-9a41-0d6f2b8e1c55",
            ),
            ("2024-05-01 12:00:00 ERROR [req-91ab2c] payment failed", "req-91ab2c"),
            ("X-Request-ID: 3f2a1b, retrying", "3f2a1b"),
            (
                "2024-05-01T12:00:00.000Z\tc0ffee00-1111-2222-3333-444455556666\tERROR\tboom",
                "c0ffee00-1111-2222-3333-444455556666",
            ),
        ],
    )
    def test_request_ids(self, text: str, request_id: str) -> None:
        """request_id/requestId, bracketed req- ids and Lambda's text format."""
        assert find_context(text).request_id == request_id

    @pytest.mark.parametrize(
        ("text", "method", "url"),
        [
            ("ERROR handling GET /api/orders/42 failed", "GET", "/api/orders/42"),
            (
                "POST https://pay.example/v1/charges timed out",
                "POST",
                "https://pay.example/v1/charges",
            ),
            ("ERROR url=/api/cart/7 status=500", "", "/api/cart/7"),
        ],
    )
    def test_method_and_url(self, text: str, method: str, url: str) -> None:
        """An HTTP method followed by a path or URL; a lone url= field."""
        context = find_context(text)
        assert (context.http_method, context.url) == (method, url)

    def test_access_log_line(self) -> None:
        """Combined access-log format: method, path and the quoted user agent."""
        text = (
            '10.0.0.1 - - [01/May/2024:12:00:00 +0000] "DELETE /api/orders/42 HTTP/1.1" 500 17 '
            '"-" "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/125.0"'
        )
        context = find_context(text)
        assert (context.http_method, context.url) == ("DELETE", "/api/orders/42")
        assert context.user_agent == "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/125.0"

    @pytest.mark.parametrize(
        ("text", "agent"),
        [
            (
                "User-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)",
            ),
            ('user_agent="curl/8.5.0" status=500', "curl/8.5.0"),
            ("ua check user-agent='okhttp/4.12.0'", "okhttp/4.12.0"),
        ],
    )
    def test_user_agents(self, text: str, agent: str) -> None:
        """Header, quoted and single-quoted user agents."""
        assert find_context(text).user_agent == agent

    def test_everything_in_one_line(self) -> None:
        """One line can give every field."""
        text = (
            "2024-05-01 12:00:00 ERROR [orders] trace_id=4bf92f3577b34da6a3ce929d0e0e4736 "
            'request_id=req-1a2b3c PUT /api/orders/42 user_agent="shop-ios/3.1"'
        )
        assert find_context(text) == RequestContext(
            trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
            request_id="req-1a2b3c",
            url="/api/orders/42",
            http_method="PUT",
            user_agent="shop-ios/3.1",
        )

    def test_nothing_found_is_falsy(self) -> None:
        """A line without request details gives an empty, falsy context."""
        context = find_context("ERROR [orders] Failed to charge order 42: card declined")
        assert context == RequestContext()
        assert not context

    def test_only_the_head_is_scanned(self) -> None:
        """Fields past SCAN_CHARS are not looked for."""
        text = "x" * SCAN_CHARS + " trace_id=4bf92f3577b34da6a3ce929d0e0e4736"
        assert find_context(text).trace_id == ""

    def test_long_hostile_text_is_fast(self) -> None:
        """Repeated keywords do not make the patterns backtrack."""
        text = "GET user-agent: trace_id= request_id= " * 10_000
        started = time.perf_counter()
        for _ in range(100):
            find_context(text)
        assert time.perf_counter() - started < 1.0


class TestRobustness:
    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=500))
    def test_arbitrary_text_never_raises(self, text: str) -> None:
        """Any text gives a RequestContext whose fields are substrings of the text."""
        context = find_context(text)
        for value in (context.trace_id, context.request_id, context.url, context.user_agent):
            assert value in text


# Pieces of the heads the patterns read, in several cases, and the non-ASCII
# letters re.IGNORECASE matches with ASCII ones (the Kelvin sign, the long s,
# the dotted and dotless i).
_PIECES = st.sampled_from(
    [
        "trace_id=",
        "TraceId: ",
        "x-b3-traceid=",
        "dd.trace_id:",
        "trace",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "Root=1-5759e988-bd862e3fe1be46a994272793",
        "request_id=",
        "X-Request-ID: ",
        "reqId:",
        "[req-7f3a]",
        "2024-05-01T12:00:00.000Z\t3f2b8c1e-9d4a-4c1b-8e2f-0a1b2c3d4e5f\t",
        'GET /orders/42 HTTP/1.1" 500 12 "-" "curl/8.0"',
        '"POST /x HTTP/2.0" 404 0 "ref" "agent"',
        "DELETE https://api.example.com/v1/x",
        "url=",
        "URI: /checkout",
        "request_uri=/a?b=1",
        "User-Agent: ",
        "user_agent='Mozilla/5.0'",
        "u\u017fer-agent: x",
        "req\u0130d=abcd",
        "\u212a",
        "\u017f",
        " ",
        "\n",
        "=",
        '"',
        "'",
    ]
)


class TestClues:
    @settings(max_examples=500, deadline=None)
    @given(head=st.lists(_PIECES | st.text(max_size=6), max_size=10).map("".join))
    def test_clued_search_equals_the_plain_search(self, head: str) -> None:
        """Each pattern's word check never hides a match: same match, same groups."""
        lowered = head.lower() if head.isascii() else None
        clued = [value for value in vars(context).values() if isinstance(value, context._Clued)]
        assert len(clued) == 10
        for pattern in clued:
            fast, plain = pattern.search(head, lowered), pattern.pattern.search(head)
            assert (fast and (fast.span(), fast.groups())) == (
                plain and (plain.span(), plain.groups())
            )
