"""``logship coverage``: which log groups are shipped, and which are written to but not.

The command parses its arguments, makes the CloudWatch Logs client and prints;
the survey itself (what is read, how each group's status is decided) is
:mod:`logship.coverage`. The exit status is 1 when any group is missing, so a
scheduled job or CI can alert on it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from typing import Any

from logship._time import iso
from logship.cloudwatch import LogsReader, make_client
from logship.coverage import EXCLUDED, IDLE, MISSING, SHIPPED, STATUSES, UNKNOWN, survey
from logship.exceptions import LogshipError, LogsReadError, PullError
from logship.pull import parse_duration
from logship.records.tools import Survey

from ._progress import Progress, human_bytes

EPILOG = """\
examples:
  logship coverage --region eu-west-1                 # every group, its subscription, status
  logship coverage --profile prod --active-within 2h --json
  logship coverage --destination arn:aws:logs:eu-west-1:999999999999:destination:logship

exit statuses: 0 every active group is shipped, 1 some active group is not (or the
groups could not be listed), 2 bad arguments or AWS set-up, 3 some group could not be
checked (e.g. AccessDenied on one request).
"""

DEFAULT_ACTIVE_WITHIN = "24h"


# --- output -----------------------------------------------------------------------------


def survey_json(result: Survey) -> dict[str, object]:
    """What ``coverage --json`` prints."""
    return {
        "now": iso(result.now_ms, timespec="seconds"),
        "active_within_s": result.active_within_ms // 1000,
        "destinations": sorted(result.destinations) or None,
        "account_policies": [
            {
                "name": policy.name,
                "destination": policy.destination,
                "selection_criteria": policy.selection_criteria or None,
                "excluded": None if policy.excluded is None else sorted(policy.excluded),
            }
            for policy in result.policies
        ],
        "account_policies_error": result.policy_error or None,
        "log_groups": [
            {
                "log_group": group.log_group,
                "status": group.status,
                "stored_bytes": group.stored_bytes,
                "last_event": None
                if group.last_event_ms is None
                else iso(group.last_event_ms, timespec="seconds"),
                "subscriptions": [
                    {"kind": item.kind, "name": item.name, "destination": item.destination}
                    for item in group.subscriptions
                ],
                "errors": list(group.errors),
            }
            for group in result.groups
        ],
        "summary": {status: result.count(status) for status in STATUSES}
        | {"log_groups": len(result.groups)},
    }


_COLORS = {MISSING: "red", UNKNOWN: "yellow", SHIPPED: "green", EXCLUDED: "dim", IDLE: "dim"}


def write_table(result: Survey, stream: Any) -> None:
    """The human summary: one line per group, then the counts."""
    from ._style import Style

    style = Style.for_stream(stream)
    if result.policy_error:
        print(f"account policies: could not be read ({result.policy_error})", file=stream)
    for policy in result.policies:
        left_out = "?" if policy.excluded is None else len(policy.excluded)
        print(
            f"account policy {policy.name} -> {policy.destination} ({left_out} group(s) left out)",
            file=stream,
        )
    width = max((len(group.log_group) for group in result.groups), default=9)
    print(
        f"{'STATUS':<8}  {'LOG GROUP':<{width}}  {'STORED':>10}  {'LAST EVENT':<20}  SHIPPED TO",
        file=stream,
    )
    for group in result.groups:
        last = "-" if group.last_event_ms is None else iso(group.last_event_ms, timespec="seconds")
        stored = "-" if group.stored_bytes is None else human_bytes(group.stored_bytes)
        targets = ", ".join(
            f"{item.destination} ({item.kind} {item.name})" for item in group.subscriptions
        )
        print(
            f"{style(f'{group.status:<8}', _COLORS[group.status])}  {group.log_group:<{width}}  "
            f"{stored:>10}  {last:<20}  {targets or '-'}",
            file=stream,
        )
        for error in group.errors:
            print(f"{'':<8}  {style(error, 'yellow')}", file=stream)
    counts = ", ".join(f"{result.count(status)} {status}" for status in STATUSES)
    print(f"{len(result.groups)} log groups: {counts}", file=stream)


# --- the command ------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "coverage",
        help="list the account's log groups and flag the active ones that are not shipped",
        description=(
            "List every log group of the account (one region) with its subscription "
            "(subscription filters, the account-level subscription filter policy), stored "
            "bytes and last event time, and flag the groups written to within "
            "--active-within that nothing ships. Exit status 1 when any is missing."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--active-within",
        default=DEFAULT_ACTIVE_WITHIN,
        metavar="DURATION",
        help="a group with an event this recent is active (default: 24h; 30m, 2h, 7d...)",
    )
    parser.add_argument(
        "--destination",
        dest="destinations",
        action="append",
        default=[],
        metavar="ARN",
        help="only subscriptions to this ARN count as shipped (repeat for several; "
        "default: any subscription)",
    )
    parser.add_argument("--profile", help="the AWS profile to use")
    parser.add_argument("--region", help="the AWS region of the log groups")
    parser.add_argument("--endpoint-url", metavar="URL", help="another CloudWatch Logs endpoint")
    parser.add_argument(
        "--page-size", type=int, metavar="N", help="log groups per request, 1 to 50 (default 50)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=command)


class _SetupError(LogshipError, ValueError):
    """Bad arguments, or an AWS set-up (profile, region) that cannot make a client."""


def command(args: argparse.Namespace) -> int:
    from ._exit import EXIT_USAGE

    try:
        active_within_ms = _check_args(args)
        reader = LogsReader(client=_client(args))
    except _SetupError as exc:
        print(f"logship: coverage: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return run(args, reader, now_ms=int(time.time() * 1000), active_within_ms=active_within_ms)


def run(args: argparse.Namespace, reader: LogsReader, *, now_ms: int, active_within_ms: int) -> int:
    """Survey with ``reader``, print the result, return the exit status."""
    from ._exit import EXIT_FAILURE, EXIT_INPUT_PROBLEMS, EXIT_OK

    try:
        with Progress("coverage", unit="log groups") as progress:
            result = survey(
                reader,
                now_ms=now_ms,
                active_within_ms=active_within_ms,
                destinations=args.destinations,
                page_size=args.page_size,
                progress=progress,
            )
    except LogsReadError as exc:
        print(f"logship: coverage: cannot list the log groups: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(survey_json(result) | {"requests": dict(sorted(reader.calls.items()))}))
    else:
        write_table(result, sys.stdout)
    if result.count(MISSING):
        return EXIT_FAILURE
    return EXIT_INPUT_PROBLEMS if result.count(UNKNOWN) else EXIT_OK


def _check_args(args: argparse.Namespace) -> int:
    if args.page_size is not None and not 1 <= args.page_size <= 50:
        raise _SetupError("--page-size must be between 1 and 50")
    try:
        return parse_duration(args.active_within)
    except PullError as exc:
        raise _SetupError(f"--active-within: {exc}") from exc


def _client(args: argparse.Namespace) -> Any:
    exceptions = importlib.import_module("botocore.exceptions")
    try:
        return make_client(args.region or "", profile=args.profile, endpoint_url=args.endpoint_url)
    except exceptions.BotoCoreError as exc:
        hint = " (pass --region or set AWS_REGION)" if "region" in str(exc).lower() else ""
        raise _SetupError(f"{exc}{hint}") from exc
