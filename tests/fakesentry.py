"""A Sentry-compatible envelope endpoint on 127.0.0.1 for tests.

It decodes what a real SDK posts (gzip, envelope framing, auth header) and keeps
the events it accepted. A ``script`` decides each response, so fault tests can
answer 429 with ``Retry-After``, 500, hang, or close the connection.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PUBLIC_KEY = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class Reply:
    """How the server answers one request."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0  # sleep before answering: a hanging server


@dataclass
class Request:
    """One envelope the server received, whatever it answered."""

    number: int
    event_id: str
    items: list[tuple[dict[str, Any], bytes]]
    auth: str
    reply: Reply
    envelope_headers: dict[str, Any] = field(default_factory=dict)


Script = Callable[[Request], Reply]


def accept(_: Request) -> Reply:
    return Reply()


@dataclass
class FakeSentry:
    """The server's state; build it with :func:`fake_sentry`."""

    port: int
    script: Script = accept
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def dsn(self) -> str:
        return f"http://{PUBLIC_KEY}@127.0.0.1:{self.port}/1"

    @property
    def accepted(self) -> list[Request]:
        return [r for r in self.requests if 200 <= r.reply.status < 300]

    @property
    def events(self) -> list[dict[str, Any]]:
        """The event payloads of accepted envelopes, in arrival order."""
        found = []
        for request in self.accepted:
            for headers, payload in request.items:
                if headers.get("type") == "event":
                    found.append(json.loads(payload))
        return found

    def attempts_for(self, event_id: str) -> int:
        return sum(1 for r in self.requests if r.event_id == event_id)


def parse_envelope(body: bytes) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
    """Split an envelope into its header and (item header, payload) pairs."""
    header_line, _, rest = body.partition(b"\n")
    items = []
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        item_headers = json.loads(item_line)
        length = item_headers.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length + 1 :]
        items.append((item_headers, payload))
    return json.loads(header_line), items


def _handler(server_state: FakeSentry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            envelope_headers, items = parse_envelope(body)
            with server_state.lock:
                request = Request(
                    number=len(server_state.requests) + 1,
                    event_id=str(envelope_headers.get("event_id", "")),
                    items=items,
                    auth=self.headers.get("X-Sentry-Auth", ""),
                    reply=Reply(),
                    envelope_headers=envelope_headers,
                )
                reply = server_state.script(request)
                request.reply = reply
                server_state.requests.append(request)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            try:
                self.send_response(reply.status)
                for name, value in reply.headers:
                    self.send_header(name, value)
                answer = json.dumps({"id": request.event_id}).encode()
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the client gave up waiting

    return Handler


@contextmanager
def fake_sentry(script: Script = accept) -> Iterator[FakeSentry]:
    """Run a fake Sentry on a free port of 127.0.0.1 for the duration of the block."""
    state = FakeSentry(port=0, script=script)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def refused_dsn() -> str:
    """A DSN whose port nothing listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://{PUBLIC_KEY}@127.0.0.1:{port}/1"
