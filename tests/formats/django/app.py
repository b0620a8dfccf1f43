"""A Django payment service at Django's default LOGGING, driven by Django's test Client.

No LOGGING setting: Django's DEFAULT_LOGGING sends the "django" loggers to a console
handler on stderr (only while DEBUG is True) that prints the bare message, no level, no
logger. The service's own logger ("shop.payments") has no handler at all, so its records
reach Python's last-resort handler: WARNING and up, the bare message, on stderr. The
marker lines go to stderr too, after a flush. The ledger is a silent listening socket on
127.0.0.1: it accepts the connection and never answers, so the read times out for real.
"""

import json
import logging
import platform
import socket
import sys

import django
from django.conf import settings
from django.http import JsonResponse
from django.test import Client
from django.urls import path

log = logging.getLogger("shop.payments")
LEDGER = socket.create_server(("127.0.0.1", 0))


def marker(verb, **fields):
    sys.stderr.flush()
    sys.stderr.write(f"@@logship@@ {verb} {json.dumps(fields)}\n".replace(" {}\n", "\n"))
    sys.stderr.flush()


def begin(entry_id, group, types=()):
    marker("begin", id=entry_id, error=True, group=group, types=list(types), logger=None,
           level_marks_error=False)


def read_ledger():
    with socket.create_connection(LEDGER.getsockname(), timeout=0.2) as conn:
        return conn.recv(1)


def charge(request, user, order, amount):
    log.info("charging order %d", order)  # below the last-resort handler's WARNING: not shown
    log.error("payment declined for user %s order %d amount %s EUR", user, order, amount)
    return JsonResponse({"status": "declined"})


def capture(request, payment_id):
    try:
        read_ledger()
    except TimeoutError as exc:
        raise RuntimeError(f"capture failed for payment {payment_id}") from exc
    return JsonResponse({"status": "captured"})


def refund(request, payment_id, amount):
    try:
        cents = int(amount)
    except ValueError as exc:
        raise RuntimeError(f"refund failed for payment {payment_id}") from exc
    return JsonResponse({"refunded": cents})


urlpatterns = [
    path("payments/<str:user>/<int:order>/<str:amount>/charge", charge),
    path("payments/<str:payment_id>/capture", capture),
    path("payments/<str:payment_id>/refund/<str:amount>", refund),
]


def main():
    settings.configure(DEBUG=True, SECRET_KEY="fixture", ROOT_URLCONF=__name__,
                       ALLOWED_HOSTS=["testserver"])
    django.setup()
    client = Client(raise_request_exception=False)  # a 500 is logged, as in production
    marker("meta", framework="django", version=django.get_version(), language="python",
           configuration="Django's default LOGGING (no LOGGING setting), DEBUG=True so its console "
           "handler is on; the app's logger has no handler (Python's last resort: WARNING+, bare "
           f"message); requests through django.test.Client; Python {platform.python_version()}")
    log.warning("ledger latency %d ms above threshold", 850)
    client.get("/healthz")  # a 404: django.request's WARNING "Not Found: /healthz", noise

    begin("untyped-1", "untyped")
    client.get("/payments/alice/10423/19.99/charge")
    begin("untyped-2", "untyped")
    client.get("/payments/bob.smith/88817/250.00/charge")
    for payment_id in ("pay-7f3a91", "pay-c20e5b"):
        begin(f"trace-timeout-{payment_id}", "trace-timeout", ["RuntimeError", "TimeoutError"])
        client.get(f"/payments/{payment_id}/capture")
    begin("trace-number", "trace-number", ["RuntimeError", "ValueError"])
    client.get("/payments/pay-91d4e0/refund/12,50")
    marker("end")


if __name__ == "__main__":
    main()
