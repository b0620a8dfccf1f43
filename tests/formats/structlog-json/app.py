"""A payment service logging through structlog as JSON, one object per line on stdout.

The processors are structlog's defaults with the renderer swapped for what its docs
recommend in production (when the output is not a TTY): an ISO UTC timestamp,
dict_tracebacks (the exception as a list of dicts, frames included) and JSONRenderer.
Each request binds a fresh random trace id with bind_contextvars. The marker lines go to
stdout too. The ledger is a silent listening socket on 127.0.0.1: it accepts the
connection and never answers, so the read times out for real.
"""

import json
import platform
import secrets
import socket
import sys
from importlib.metadata import version

import structlog

structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.StackInfoRenderer(),
        structlog.dev.set_exc_info,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.dict_tracebacks,
        structlog.processors.JSONRenderer(),
    ],
)
log = structlog.get_logger()
TIMEOUT = ["RuntimeError", "TimeoutError"]  # outermost first, root cause last


def marker(verb, **fields):
    sys.stdout.flush()
    sys.stdout.write(f"@@logship@@ {verb} {json.dumps(fields)}\n".replace(" {}\n", "\n"))
    sys.stdout.flush()


def begin(entry_id, group, types=()):
    marker("begin", id=entry_id, error=True, group=group, types=list(types), logger=None,
           level_marks_error=True)


def new_request():
    structlog.contextvars.bind_contextvars(trace_id=secrets.token_hex(16))


def read_ledger(ledger):
    with socket.create_connection(ledger.getsockname(), timeout=0.2) as conn:
        return conn.recv(1)


def capture(ledger, payment_id):
    try:
        read_ledger(ledger)
    except TimeoutError as exc:
        raise RuntimeError(f"capture failed for payment {payment_id}") from exc


def refund(payment_id, amount):
    try:
        return int(amount)
    except ValueError as exc:
        raise RuntimeError(f"refund failed for payment {payment_id}") from exc


def main():
    marker("meta", framework="structlog", version=version("structlog"), language="python",
           configuration="structlog.configure(processors=[merge_contextvars, add_log_level, "
           "StackInfoRenderer(), set_exc_info, TimeStamper(fmt='iso', utc=True), dict_tracebacks, "
           "JSONRenderer()]) printing to stdout; trace_id bound per request with bind_contextvars; "
           f"Python {platform.python_version()}")
    log.info("payment service started", port=8080)
    log.warning("ledger latency above threshold", latency_ms=850)

    new_request()
    begin("untyped-1", "untyped")
    log.error("payment declined", user="alice", order=10423, amount="19.99")
    new_request()
    begin("untyped-2", "untyped")
    log.error("payment declined", user="bob.smith", order=88817, amount="250.00")
    marker("end")

    with socket.create_server(("127.0.0.1", 0)) as ledger:
        for payment_id in ("pay-7f3a91", "pay-c20e5b"):
            new_request()
            try:
                capture(ledger, payment_id)
            except RuntimeError:
                begin(f"trace-timeout-{payment_id}", "trace-timeout", TIMEOUT)
                log.exception("payment failed", payment_id=payment_id)
                marker("end")
    new_request()
    try:
        refund("pay-91d4e0", "12,50")
    except RuntimeError:
        begin("trace-number", "trace-number", ["RuntimeError", "ValueError"])
        log.exception("payment failed", payment_id="pay-91d4e0")
        marker("end")
    structlog.contextvars.clear_contextvars()
    log.info("payment service drained", requests=5)

    # An untyped error line right before the interpreter's own report of an uncaught exception.
    begin("untyped-fatal", "untyped-fatal")
    log.error("ledger unreachable, stopping the payment worker", attempts=3)
    marker("begin", id="crash", error=True, group="crash", types=["RuntimeError", "KeyError"],
           logger=None, level_marks_error=False)
    settings = {"port": 8080}
    try:
        settings["ledger_url"]
    except KeyError as exc:
        raise RuntimeError("ledger is not configured") from exc


if __name__ == "__main__":
    main()
