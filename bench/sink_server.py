"""A local HTTP sink for the benchmark: accepts Sentry envelopes on 127.0.0.1, answers 200.

It does the least a Sentry endpoint must (read the body, gunzip it, check the
envelope header is JSON, answer with the event id) so that the benchmark
measures logship's sending, not the server. ``GET /stats`` returns how many
envelopes it accepted and refused.

Run it in its own process so it does not compete with the measured process
for the GIL::

    python -m bench.sink_server            # prints "PORT <n>" once listening
    python -m bench.sink_server --port 9000
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

PUBLIC_KEY = "0123456789abcdef0123456789abcdef"
PROJECT = 1


def dsn(port: int) -> str:
    """The DSN that points a Sentry client at a sink listening on ``port``."""
    return f"http://{PUBLIC_KEY}@127.0.0.1:{port}/{PROJECT}"


def envelope_event_id(body: bytes, encoding: str | None) -> str:
    """The ``event_id`` of an envelope's header; ValueError if it is not an envelope."""
    if encoding == "gzip":
        body = gzip.decompress(body)
    header_line = body.split(b"\n", 1)[0]
    header = json.loads(header_line)
    if not isinstance(header, dict):
        raise ValueError("the envelope header is not a JSON object")
    return str(header.get("event_id", ""))


class _Handler(BaseHTTPRequestHandler):
    accepted: ClassVar[int] = 0
    refused: ClassVar[int] = 0
    lock: ClassVar[threading.Lock] = threading.Lock()
    protocol_version = "HTTP/1.1"  # keep-alive, as Sentry serves it
    # Headers and body are written separately: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add tens of milliseconds to every response on loopback.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        try:
            event_id = envelope_event_id(body, self.headers.get("Content-Encoding"))
        except (ValueError, OSError, EOFError):
            with self.lock:
                type(self).refused += 1
            self._reply(400, {"detail": "not a Sentry envelope"})
            return
        with self.lock:
            type(self).accepted += 1
        self._reply(200, {"id": event_id})

    def do_GET(self) -> None:
        if self.path != "/stats":
            self._reply(404, {"detail": "not found"})
            return
        with self.lock:
            stats = {"accepted": type(self).accepted, "refused": type(self).refused}
        self._reply(200, stats)

    def _reply(self, status: int, document: Mapping[str, object]) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line per request would cost more than the request."""


def make_server(port: int = 0) -> ThreadingHTTPServer:
    """A sink bound to 127.0.0.1 (``port`` 0: any free port); call ``serve_forever``."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    return server


@contextmanager
def running(port: int = 0) -> Iterator[ThreadingHTTPServer]:
    """A sink served from a thread of this process, for tests; shut down on exit."""
    server = make_server(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    args = parser.parse_args(argv)
    server = make_server(args.port)
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
