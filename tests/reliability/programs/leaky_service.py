"""A service that logs the secrets it handles, as careless services do.

Usage: python3 leaky_service.py SECRETS.json

SECRETS.json maps a kind to a value (see test_secrets_shipped.py). Everything
goes to stderr through ``logging`` in a common layout, tracebacks included, and
the last error is left uncaught so the interpreter prints it too.
"""

import json
import logging
import sys

logging.basicConfig(
    stream=sys.stderr,
    level=logging.INFO,
    format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
)
log = logging.getLogger("orders.api")


def call_upstream(secrets):
    raise PermissionError(f"upstream said 401 for Authorization: Bearer {secrets['bearer']}")


def parse_body(secrets):
    body = json.dumps({"user": secrets["email"], "password": secrets["json_password"]})
    raise ValueError(f"cannot handle body {body}")


def main(secrets):
    log.info("starting")
    log.error("login failed for %s with password=%s", secrets["email"], secrets["password"])
    log.error("charge declined for card %s", secrets["card"])
    log.error("refund failed: {\"card_number\": %s}", secrets["card_digits"])
    log.error("GET https://api.example.com/v1/orders?page=2&api_key=%s returned 401",
              secrets["api_key"])
    log.error("aws credentials rejected: %s %s", secrets["aws_key_id"], secrets["aws_secret"])
    log.error("could not connect to postgres://orders:%s@db.internal:5432/orders",
              secrets["db_password"])
    log.error("jwt %s expired", secrets["jwt"])
    log.error("proxy refused Authorization: Basic %s", secrets["basic"])
    log.error("sentry misconfigured: dsn=%s", secrets["dsn"])
    log.error("refusing to start with key:\n%s", secrets["pem"])
    try:
        call_upstream(secrets)
    except PermissionError:
        log.exception("upstream call failed")
    try:
        parse_body(secrets)
    except ValueError:
        log.exception("bad request body")
    raise RuntimeError(f"giving up, session token={secrets['token']}")


with open(sys.argv[1], encoding="utf-8") as file:
    main(json.load(file))
