"""member-service (and shipping-service): Python with plain `logging` to stdout.

Usage: member_service.py PLAN MANIFEST SERVICE. Each scenario raises a real
exception and logs it the way such services do (``logger.exception``,
``traceback.print_exc()``), so every trace is the interpreter's own output.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import traceback
from typing import Any

from corpus_support import Manifest, blackhole, closed_port, run

SERVICE = sys.argv[3]
manifest = Manifest(sys.argv[2])
HOLE, HOLE_PORT = blackhole()


class ManifestHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each record like a StreamHandler and notes its line count in the manifest."""

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.stream.write(text + "\n")
        self.flush()
        manifest.entry(
            text, error=record.levelno >= logging.ERROR, label=getattr(record, "scenario", None)
        )


handler = ManifestHandler(sys.stdout)
handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
logging.basicConfig(level=logging.INFO, handlers=[handler])
api = logging.getLogger(f"{SERVICE.split('-')[0]}.api")
store = logging.getLogger(f"{SERVICE.split('-')[0]}.store")


class MemberLookupError(Exception):
    """The member store could not be reached."""


class AddressValidationError(Exception):
    """A shipping address failed validation."""


def tag(scenario: str) -> dict[str, Any]:
    return {"extra": {"scenario": scenario}}


def fetch_member(member_id: int, port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=0.05) as conn:
        conn.sendall(f"GET /members/{member_id}\n".encode())
        return conn.recv(1024)


def load_member(member_id: int, port: int) -> bytes:
    try:
        return fetch_member(member_id, port)
    except OSError as exc:
        raise MemberLookupError(f"lookup of member {member_id} failed") from exc


def scenario_timeout(args: dict[str, Any]) -> None:
    try:
        load_member(args["member"], HOLE_PORT)
    except MemberLookupError:
        api.exception(
            "GET /members/%s failed for %s", args["member"], args["email"], **tag("timeout")
        )


def scenario_refused(args: dict[str, Any]) -> None:
    try:
        load_member(args["member"], closed_port())
    except MemberLookupError:
        api.exception("GET /members/%s failed", args["member"], **tag("refused"))


def scenario_json(args: dict[str, Any]) -> None:
    try:
        json.loads(args["body"])
    except json.JSONDecodeError:
        api.exception("cannot decode profile of user %s", args["user"], **tag("json"))


def scenario_keyerror(args: dict[str, Any]) -> None:
    profile = {"id": args["member"], "name": args["user"]}
    try:
        print(profile["email"])
    except KeyError:
        store.exception("member %s has no email on file", args["member"], **tag("keyerror"))


def parse_quantity(raw: str) -> int:
    return int(raw)


def scenario_int(args: dict[str, Any]) -> None:
    try:
        parse_quantity(args["raw"])
    except ValueError:
        api.exception("bad loyalty points value for member %s", args["member"], **tag("int"))


def scenario_untyped(args: dict[str, Any]) -> None:
    store.error(
        "payment method expired for member %s (card ending %s), notified %s",
        args["member"],
        args["card"],
        args["email"],
        **tag("untyped"),
    )


def scenario_print_exc(args: dict[str, Any]) -> None:
    # Sloppy code: the traceback goes to stdout without a log line.
    try:
        print(args["parcels"][args["index"]])
    except IndexError:
        text = traceback.format_exc().rstrip("\n")
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        manifest.entry(text, error=True, label="print_exc")


def scenario_context(args: dict[str, Any]) -> None:
    try:
        try:
            int(args["raw"])
        except ValueError:
            # Raised while handling the ValueError: Python prints both,
            # joined by "During handling of the above exception ...".
            raise AddressValidationError(f"postcode of member {args['member']} invalid")  # noqa: B904
    except AddressValidationError:
        api.exception("validating address of member %s", args["member"], **tag("context"))


def scenario_group(args: dict[str, Any]) -> None:
    errors: list[Exception] = []
    for sku in args["skus"]:
        try:
            int(sku)
        except ValueError as exc:
            errors.append(exc)
    try:
        raise ExceptionGroup(f"{len(errors)} parcels rejected", errors)
    except ExceptionGroup:
        api.exception("label batch %s failed", args["batch"], **tag("group"))


def scenario_attr(args: dict[str, Any]) -> None:
    member = None if args["member"] else {}
    try:
        print(member.email)  # type: ignore[union-attr]
    except AttributeError:
        api.exception("rendering member card %s", args["member"], **tag("attr"))


def info(args: dict[str, Any]) -> None:
    logger = api if args["n"] % 2 else store
    logger.info(args["text"])


def info_block(args: dict[str, Any]) -> None:
    settings = "".join(f"\n    {key} = {value}" for key, value in args["settings"].items())
    store.info("settings reloaded:%s", settings)


def warn(args: dict[str, Any]) -> None:
    api.warning(args["text"])


run(
    sys.argv,
    {
        "info": info,
        "info_block": info_block,
        "warn": warn,
        "timeout": scenario_timeout,
        "refused": scenario_refused,
        "json": scenario_json,
        "keyerror": scenario_keyerror,
        "int": scenario_int,
        "untyped": scenario_untyped,
        "print_exc": scenario_print_exc,
        "context": scenario_context,
        "group": scenario_group,
        "attr": scenario_attr,
    },
    sys.stdout,
)
manifest.close()
