"""A payment service logging through the standard library at logging.basicConfig()'s format.

basicConfig() writes "%(levelname)s:%(name)s:%(message)s" to stderr; the marker lines go
to stderr too, after a flush, so their order is exact. The ledger is a silent listening
socket on 127.0.0.1: it accepts the connection and never answers, so the read times out.
"""

import json
import logging
import platform
import socket
import sys

logging.basicConfig(level=logging.INFO)  # the default format; INFO instead of WARNING
log = logging.getLogger("shop.payments")
TIMEOUT = ["RuntimeError", "TimeoutError"]  # as printed: outermost first, root cause last


def marker(verb, **fields):
    sys.stderr.flush()
    sys.stderr.write(f"@@logship@@ {verb} {json.dumps(fields)}\n".replace(" {}\n", "\n"))
    sys.stderr.flush()


def begin(entry_id, group, types=(), logger="shop.payments"):
    marker("begin", id=entry_id, error=True, group=group, types=list(types), logger=logger,
           level_marks_error=True)


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
           configuration="logging.basicConfig(level=logging.INFO): its default format "
           "%(levelname)s:%(name)s:%(message)s on stderr (basicConfig's default level is WARNING)")
    log.info("payment service started on port %d", 8080)
    log.warning("ledger latency %d ms above threshold", 850)

    begin("untyped-1", "untyped")
    log.error("payment declined for user %s order %d amount %s EUR", "alice", 10423, "19.99")
    begin("untyped-2", "untyped")
    log.error("payment declined for user %s order %d amount %s EUR", "bob.smith", 88817, "250.00")
    marker("end")

    with socket.create_server(("127.0.0.1", 0)) as ledger:
        for payment_id in ("pay-7f3a91", "pay-c20e5b"):
            try:
                capture(ledger, payment_id)
            except RuntimeError:
                begin(f"trace-timeout-{payment_id}", "trace-timeout", TIMEOUT)
                log.exception("payment %s failed", payment_id)
                marker("end")
    try:
        refund("pay-91d4e0", "12,50")
    except RuntimeError:
        begin("trace-number", "trace-number", ["RuntimeError", "ValueError"])
        log.exception("payment %s failed", "pay-91d4e0")
        marker("end")
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
