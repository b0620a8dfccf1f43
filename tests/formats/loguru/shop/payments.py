"""A payment service logging through loguru's default sink (stderr, the default format,
no colours since stderr is not a TTY; logger.exception with backtrace and diagnose on).

loguru prints the module's name, so the service lives in the module shop.payments. The
marker lines go to stderr too, after a flush. The ledger is a silent listening socket on
127.0.0.1: it accepts the connection and never answers, so the read times out for real.
"""

import json
import platform
import socket
import sys
from importlib.metadata import version

from loguru import logger

TIMEOUT = ["RuntimeError", "TimeoutError"]  # as printed: outermost first, root cause last


def marker(verb, **fields):
    sys.stderr.flush()
    sys.stderr.write(f"@@logship@@ {verb} {json.dumps(fields)}\n".replace(" {}\n", "\n"))
    sys.stderr.flush()


def begin(entry_id, group, types=()):
    marker("begin", id=entry_id, error=True, group=group, types=list(types),
           logger="shop.payments", level_marks_error=True)


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
    marker("meta", framework="loguru", version=version("loguru"), language="python",
           configuration="loguru's default handler: stderr, the default format "
           "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{function}:{line} - {message}, "
           "no colours (not a TTY), backtrace=True, diagnose=True; "
           f"Python {platform.python_version()}")
    logger.info("payment service started on port {}", 8080)
    logger.warning("ledger latency {} ms above threshold", 850)

    begin("untyped-1", "untyped")
    logger.error("payment declined for user {} order {} amount {} EUR", "alice", 10423, "19.99")
    begin("untyped-2", "untyped")
    logger.error("payment declined for user {} order {} amount {} EUR", "bob.smith", 88817,
                 "250.00")
    marker("end")

    with socket.create_server(("127.0.0.1", 0)) as ledger:
        for payment_id in ("pay-7f3a91", "pay-c20e5b"):
            try:
                capture(ledger, payment_id)
            except RuntimeError:
                begin(f"trace-timeout-{payment_id}", "trace-timeout", TIMEOUT)
                logger.exception("payment {} failed", payment_id)
                marker("end")
    try:
        refund("pay-91d4e0", "12,50")
    except RuntimeError:
        begin("trace-number", "trace-number", ["RuntimeError", "ValueError"])
        logger.exception("payment {} failed", "pay-91d4e0")
        marker("end")
    logger.info("payment service drained {} requests", 5)

    # An untyped error line right before the interpreter's own report of an uncaught exception.
    begin("untyped-fatal", "untyped-fatal")
    logger.error("ledger unreachable after {} attempts, stopping the payment worker", 3)
    marker("begin", id="crash", error=True, group="crash", types=["RuntimeError", "KeyError"],
           logger=None, level_marks_error=False)
    settings = {"port": 8080}
    try:
        settings["ledger_url"]
    except KeyError as exc:
        raise RuntimeError("ledger is not configured") from exc
