"""catalog-service: Python with structlog, one JSON object per line.

Usage: catalog_service.py PLAN MANIFEST SERVICE. The traceback travels in the
JSON ``exception`` field (structlog's ``format_exc_info``), so each entry is one
line however deep the trace.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import structlog
from corpus_support import Manifest, blackhole, closed_port, run

SERVICE = sys.argv[3]
manifest = Manifest(sys.argv[2])
HOLE, HOLE_PORT = blackhole()
_pending: dict[str, Any] = {}


def side_channel(_logger: object, method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Takes the scenario out of the event before rendering: it goes to the manifest only."""
    _pending["label"] = event.pop("scenario", None)
    _pending["error"] = method in ("error", "exception", "critical")
    return event


class ManifestLogger:
    """structlog's PrintLogger, plus a manifest line per message."""

    def msg(self, message: str) -> None:
        sys.stdout.write(message + "\n")
        sys.stdout.flush()
        manifest.entry(message, error=_pending["error"], label=_pending["label"])

    info = warning = error = exception = critical = msg


structlog.configure(
    processors=[
        side_channel,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(),
    ],
    logger_factory=lambda *_: ManifestLogger(),
)
log = structlog.get_logger().bind(service=SERVICE)


class CatalogUnavailableError(Exception):
    """The search backend did not answer."""


def query_backend(port: int, sku: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=0.05) as conn:
        conn.sendall(f"GET /sku/{sku}\n".encode())
        return conn.recv(1024)


def search(port: int, sku: str) -> bytes:
    try:
        return query_backend(port, sku)
    except OSError as exc:
        raise CatalogUnavailableError(f"search for {sku} failed") from exc


def scenario_timeout(args: dict[str, Any]) -> None:
    try:
        search(HOLE_PORT, args["sku"])
    except CatalogUnavailableError:
        log.exception("search failed", sku=args["sku"], scenario="timeout")


def scenario_refused(args: dict[str, Any]) -> None:
    try:
        search(closed_port(), args["sku"])
    except CatalogUnavailableError:
        log.exception("search failed", sku=args["sku"], scenario="refused")


def scenario_json(args: dict[str, Any]) -> None:
    try:
        json.loads(args["body"])
    except json.JSONDecodeError:
        log.exception("cannot decode price feed", feed=args["feed"], scenario="json")


def average_rating(ratings: list[int]) -> float:
    return sum(ratings) / len(ratings)


def scenario_zero(args: dict[str, Any]) -> None:
    try:
        average_rating([])
    except ZeroDivisionError:
        log.exception(f"rating of {args['sku']} unavailable", scenario="zero")


def scenario_keyerror(args: dict[str, Any]) -> None:
    attributes = {"color": "red"}
    try:
        attributes[args["attribute"]]
    except KeyError:
        log.exception("facet missing", sku=args["sku"], scenario="keyerror")


def scenario_untyped(args: dict[str, Any]) -> None:
    log.error(
        f"price feed stale: {args['count']} items older than {args['age']}s", scenario="untyped"
    )


def info(args: dict[str, Any]) -> None:
    log.info(args["text"], request_id=args["rid"])


def info_block(args: dict[str, Any]) -> None:
    log.info("settings reloaded", **args["settings"])


def warn(args: dict[str, Any]) -> None:
    log.warning(args["text"])


run(
    sys.argv,
    {
        "info": info,
        "info_block": info_block,
        "warn": warn,
        "timeout": scenario_timeout,
        "refused": scenario_refused,
        "json": scenario_json,
        "zero": scenario_zero,
        "keyerror": scenario_keyerror,
        "untyped": scenario_untyped,
    },
    sys.stdout,
)
manifest.close()
