"""Fixtures of the integration tests: each real failure, and an envelope-collecting server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from inprocess_support import FAILURES, EnvelopeServer, decompress, parse_envelope

# Failures the shipper's parser cannot read yet; strict, so a fix shows up as XPASS.
KNOWN_PARSER_GAPS: dict[str, str] = {}


@pytest.fixture(
    params=[
        pytest.param(
            name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_PARSER_GAPS[name])]
            if name in KNOWN_PARSER_GAPS
            else [],
        )
        for name in sorted(FAILURES)
    ]
)
def failure(request: pytest.FixtureRequest) -> Callable[[], None]:
    """Each real failure in turn."""
    return FAILURES[request.param]


@pytest.fixture
def envelope_server() -> Iterator[EnvelopeServer]:
    """A tiny HTTP server on 127.0.0.1 that stores every envelope it is sent."""
    received: list[list[tuple[dict[str, Any], bytes]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = decompress(body, self.headers.get("Content-Encoding", ""))
            if self.path.rstrip("/").endswith("/envelope"):
                received.append(parse_envelope(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is not the place for access logs."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield EnvelopeServer(port=server.server_address[1], envelopes=received)
    finally:
        server.shutdown()
        server.server_close()
