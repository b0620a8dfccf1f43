"""A WSGI payment service run by gunicorn (see drive.py).

The app logs through gunicorn's error log, the way Flask's docs wire it: its logger takes
the handlers and level of "gunicorn.error". The ledger is a silent listening socket on
127.0.0.1 owned by drive.py: it accepts the connection and never answers.
"""

import json
import logging
import os
import socket

gunicorn_error = logging.getLogger("gunicorn.error")
log = logging.getLogger("shop.payments")
log.handlers = gunicorn_error.handlers
log.setLevel(gunicorn_error.level)

try:
    LEDGER_HOST, LEDGER_PORT = os.environ["LEDGER_ADDR"].split(":")
except KeyError as exc:
    raise RuntimeError("LEDGER_ADDR is not set") from exc
log.info("payment app loaded, ledger at %s:%s", LEDGER_HOST, LEDGER_PORT)


def read_ledger():
    with socket.create_connection((LEDGER_HOST, int(LEDGER_PORT)), timeout=0.2) as conn:
        return conn.recv(1)


def charge(user, order, amount):
    log.error("payment declined for user %s order %s amount %s EUR", user, order, amount)
    return {"status": "declined"}


def capture(payment_id):
    try:
        read_ledger()
    except TimeoutError as exc:
        raise RuntimeError(f"capture failed for payment {payment_id}") from exc
    return {"status": "captured"}


def refund(payment_id, amount):
    try:
        cents = int(amount)
    except ValueError as exc:
        raise RuntimeError(f"refund failed for payment {payment_id}") from exc
    return {"refunded": cents}


def application(environ, start_response):
    parts = environ["PATH_INFO"].strip("/").split("/")
    if parts[-1] == "charge":
        body = charge(*parts[1:4])
    elif parts[-1] == "capture":
        body = capture(parts[1])
    elif parts[2:3] == ["refund"]:
        body = refund(parts[1], parts[3])
    else:
        log.info("health check")
        body = {"status": "ok"}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
