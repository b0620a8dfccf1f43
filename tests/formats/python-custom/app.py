"""A payment service logging through the standard library with a format common in services.

Every line carries the service name and the request's trace id (a fresh random W3C-style
id per request, from a contextvar, added by a logging.Filter):
"%(asctime)s %(levelname)s [%(service)s,%(trace_id)s] %(name)s: %(message)s" on stdout.
The marker lines go to stdout too, after a flush, so their order is exact. The ledger is a
silent listening socket on 127.0.0.1: it accepts the connection and never answers.
"""

import contextvars
import json
import logging
import platform
import secrets
import socket
import sys

FORMAT = "%(asctime)s %(levelname)s [%(service)s,%(trace_id)s] %(name)s: %(message)s"
trace_id = contextvars.ContextVar("trace_id", default="-")


class RequestContext(logging.Filter):
    def filter(self, record):
        record.service = "payment-service"
        record.trace_id = trace_id.get()
        return True


handler = logging.StreamHandler(sys.stdout)
handler.addFilter(RequestContext())
handler.setFormatter(logging.Formatter(FORMAT))
logging.basicConfig(level=logging.INFO, handlers=[handler])
log = logging.getLogger("shop.payments")
TIMEOUT = ["RuntimeError", "TimeoutError"]  # as printed: outermost first, root cause last


def marker(verb, **fields):
    sys.stdout.flush()
    sys.stdout.write(f"@@logship@@ {verb} {json.dumps(fields)}\n".replace(" {}\n", "\n"))
    sys.stdout.flush()


def begin(entry_id, group, types=(), logger="shop.payments"):
    marker("begin", id=entry_id, error=True, group=group, types=list(types), logger=logger,
           level_marks_error=True)


def new_request():
    trace_id.set(secrets.token_hex(16))


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
    marker("meta", framework="logging", version=platform.python_version(), language="python",
           configuration=f"a StreamHandler on stdout, Formatter {FORMAT!r} (the default asctime), "
           "a logging.Filter setting service and a random 32-hex-digit trace_id per request")
    log.info("payment service started on port %d", 8080)
    log.warning("ledger latency %d ms above threshold", 850)

    new_request()
    begin("untyped-1", "untyped")
    log.error("payment declined for user %s order %d amount %s EUR", "alice", 10423, "19.99")
    new_request()
    begin("untyped-2", "untyped")
    log.error("payment declined for user %s order %d amount %s EUR", "bob.smith", 88817, "250.00")
    marker("end")

    with socket.create_server(("127.0.0.1", 0)) as ledger:
        for payment_id in ("pay-7f3a91", "pay-c20e5b"):
            new_request()
            try:
                capture(ledger, payment_id)
            except RuntimeError:
                begin(f"trace-timeout-{payment_id}", "trace-timeout", TIMEOUT)
                log.exception("payment %s failed", payment_id)
                marker("end")
    new_request()
    try:
        refund("pay-91d4e0", "12,50")
    except RuntimeError:
        begin("trace-number", "trace-number", ["RuntimeError", "ValueError"])
        log.exception("payment %s failed", "pay-91d4e0")
        marker("end")
    trace_id.set("-")
    log.info("payment service drained %d requests", 5)

    # An untyped error line right before the interpreter's own report of an uncaught exception.
    begin("untyped-fatal", "untyped-fatal")
    log.error("ledger unreachable after %d attempts, stopping the payment worker", 3)
    marker("begin", id="crash", error=True, group="crash", types=["RuntimeError", "KeyError"],
           logger=None, level_marks_error=False)
    settings = {"port": 8080}
    try:
        settings["ledger_url"]
    except KeyError as exc:
        raise RuntimeError("ledger is not configured") from exc

if __name__ == "__main__":
    main()
