"""``logship coverage``: which log groups are shipped, and which are written to but not.

A log group nobody subscribed is silently not monitored. For each log group of
the account (in one region) this command reads

- its subscription filters (``describe_subscription_filters``),
- whether the account-level subscription filter policy covers it: the policy
  (``describe_account_policies``) applies to every group its selection criteria
  (``LogGroupName NOT IN [...]``) do not leave out,
- its stored bytes (``describe_log_groups``) and its last event time (the log
  stream with the latest ``lastEventTimestamp``, ``describe_log_streams``
  ordered by ``LastEventTime``, limit 1),

and gives each group a status: ``shipped``; ``missing`` (an event within
``--active-within`` but no subscription); ``idle`` (no subscription, nothing
recent); ``excluded`` (no subscription filter, and the account policy's
selection criteria leave it out on purpose, as the logship function's own
group must be); ``unknown`` (a request that would decide it failed,
AccessDenied say).
The exit status is 1 when any group is missing, so a scheduled job or CI can
alert on it.

Every request goes through :class:`logship.cloudwatch.LogsReader`, which
retries throttling and counts the calls.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from logship._time import iso
from logship.cloudwatch import LogsReader, LogsReadError, make_client
from logship.exceptions import LogshipError
from logship.pull import PullError, parse_duration

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

SHIPPED = "shipped"
MISSING = "missing"
IDLE = "idle"
EXCLUDED = "excluded"
UNKNOWN = "unknown"
STATUSES = (MISSING, UNKNOWN, SHIPPED, EXCLUDED, IDLE)

POLICY_TYPE = "SUBSCRIPTION_FILTER_POLICY"
DEFAULT_ACTIVE_WITHIN = "24h"
_CRITERIA = re.compile(r"\s*LogGroupName\s+NOT\s+IN\s*(\[.*\])\s*", re.DOTALL)


class SelectionCriteriaError(LogshipError, ValueError):
    """An account policy's selection criteria are not ``LogGroupName NOT IN [...]``."""


# --- selection criteria -----------------------------------------------------------------


def excluded_log_groups(criteria: str) -> frozenset[str]:
    """The log groups that ``LogGroupName NOT IN ["a", "b"]`` leaves out.

    Empty criteria leave none out (the policy covers every group). ``NOT IN``
    is the only form CloudWatch Logs accepts for a subscription filter policy;
    anything else raises :class:`SelectionCriteriaError`.
    """
    if not criteria.strip():
        return frozenset()
    match = _CRITERIA.fullmatch(criteria)
    if match is None:
        raise SelectionCriteriaError(
            f"selection criteria {criteria!r} are not LogGroupName NOT IN [...]"
        )
    try:
        names = json.loads(match.group(1))
    except ValueError as exc:
        raise SelectionCriteriaError(
            f"selection criteria {criteria!r}: the list is not a list of quoted names ({exc})"
        ) from exc
    if not all(isinstance(name, str) for name in names):
        raise SelectionCriteriaError(
            f"selection criteria {criteria!r}: the list is not a list of quoted names"
        )
    return frozenset(names)


def policy_covers(criteria: str, log_group: str) -> bool:
    """Whether an account policy with these selection criteria applies to ``log_group``."""
    return log_group not in excluded_log_groups(criteria)


# --- what was found ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subscription:
    """One way a group's events leave: a subscription filter or the account policy."""

    kind: str  # "filter" or "account-policy"
    name: str
    destination: str


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    """An account-level subscription filter policy; ``excluded`` is None if unreadable."""

    name: str
    destination: str
    selection_criteria: str
    excluded: frozenset[str] | None

    def covers(self, log_group: str) -> bool | None:
        """Whether it applies to ``log_group``; None when its criteria could not be read."""
        return None if self.excluded is None else log_group not in self.excluded


@dataclass(frozen=True, slots=True)
class GroupCoverage:
    """One log group: what it holds, where it goes, and its status."""

    log_group: str
    stored_bytes: int | None
    last_event_ms: int | None
    subscriptions: tuple[Subscription, ...]
    status: str
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Survey:
    """The account's groups and policies, as read at ``now_ms``."""

    now_ms: int
    active_within_ms: int
    destinations: frozenset[str]
    policies: tuple[AccountPolicy, ...]
    policy_error: str
    groups: tuple[GroupCoverage, ...]

    def count(self, status: str) -> int:
        return sum(group.status == status for group in self.groups)


def judge(
    *,
    shipped: bool,
    excluded: bool,
    decided: bool,
    last_event_ms: int | None,
    activity_known: bool,
    since_ms: int,
) -> str:
    """A group's status.

    ``shipped``: a subscription that counts was found. ``excluded``: an
    account policy's selection criteria name the group (left out on purpose).
    ``decided``: every request that could have found a subscription answered.
    ``since_ms``: an event at or after it makes the group active.
    """
    if shipped:
        return SHIPPED
    if excluded:
        return EXCLUDED
    if not activity_known:
        return UNKNOWN
    active = last_event_ms is not None and last_event_ms >= since_ms
    if not active:
        return IDLE
    return MISSING if decided else UNKNOWN


def parse_policy(item: Mapping[str, Any]) -> AccountPolicy:
    """An entry of ``describe_account_policies``' ``accountPolicies``."""
    name = str(item.get("policyName", ""))
    try:
        document = json.loads(item.get("policyDocument") or "{}")
        destination = str(document.get("DestinationArn", "")) if isinstance(document, dict) else ""
    except ValueError:
        destination = ""
    criteria = str(item.get("selectionCriteria") or "")
    try:
        excluded: frozenset[str] | None = excluded_log_groups(criteria)
    except SelectionCriteriaError:
        excluded = None
    return AccountPolicy(name, destination, criteria, excluded)


# --- reading ----------------------------------------------------------------------------


def read_policies(reader: LogsReader) -> tuple[tuple[AccountPolicy, ...], str]:
    """The account's subscription filter policies, and the error if they could not be read."""
    try:
        pages = list(reader.pages("describe_account_policies", policyType=POLICY_TYPE))
    except LogsReadError as exc:
        return (), str(exc)
    return tuple(
        parse_policy(item) for page in pages for item in page.get("accountPolicies", ())
    ), ""


def survey(
    reader: LogsReader,
    *,
    now_ms: int,
    active_within_ms: int,
    destinations: Iterable[str] = (),
    page_size: int | None = None,
    progress: Progress | None = None,
) -> Survey:
    """Read every log group of the account and judge it.

    ``destinations``: when given, only subscriptions to these ARNs count as
    shipped. Raises :class:`LogsReadError` if the groups cannot be listed; a
    failure on one group's request makes that group ``unknown`` and goes on.
    """
    wanted = frozenset(destinations)
    policies, policy_error = read_policies(reader)
    params: dict[str, Any] = {"limit": page_size} if page_size else {}
    groups = []
    for group in _log_groups(reader, params):
        groups.append(
            _cover(
                reader,
                group,
                policies=policies,
                policy_error=policy_error,
                wanted=wanted,
                since_ms=now_ms - active_within_ms,
            )
        )
        if progress is not None:
            progress.advance(1, detail=str(group.get("logGroupName", "")))
    return Survey(now_ms, active_within_ms, wanted, policies, policy_error, tuple(groups))


def _log_groups(reader: LogsReader, params: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
    for page in reader.pages("describe_log_groups", **params):
        yield from page.get("logGroups", ())


def _cover(
    reader: LogsReader,
    group: Mapping[str, Any],
    *,
    policies: tuple[AccountPolicy, ...],
    policy_error: str,
    wanted: frozenset[str],
    since_ms: int,
) -> GroupCoverage:
    name = str(group["logGroupName"])
    errors: list[str] = []
    subscriptions: list[Subscription] = []
    decided = not policy_error
    excluded = False
    try:
        for page in reader.pages("describe_subscription_filters", logGroupName=name):
            subscriptions.extend(
                Subscription(
                    "filter", str(item.get("filterName", "")), str(item.get("destinationArn", ""))
                )
                for item in page.get("subscriptionFilters", ())
            )
    except LogsReadError as exc:
        errors.append(str(exc))
        decided = False
    for policy in policies:
        covers = policy.covers(name)
        if covers:
            subscriptions.append(Subscription("account-policy", policy.name, policy.destination))
        elif covers is False:
            # Left out on purpose, by a policy that would otherwise count.
            excluded = excluded or not wanted or policy.destination in wanted
        else:
            errors.append(f"account policy {policy.name}: unreadable selection criteria")
            decided = False
    last_event_ms, activity_known = _last_event(reader, name, errors)
    shipped = any(not wanted or item.destination in wanted for item in subscriptions)
    status = judge(
        shipped=shipped,
        excluded=excluded,
        decided=decided,
        last_event_ms=last_event_ms,
        activity_known=activity_known,
        since_ms=since_ms,
    )
    stored = group.get("storedBytes")
    return GroupCoverage(
        name,
        stored if isinstance(stored, int) else None,
        last_event_ms,
        tuple(subscriptions),
        status,
        tuple(errors),
    )


def _last_event(reader: LogsReader, name: str, errors: list[str]) -> tuple[int | None, bool]:
    """The group's last event time (None: no streams or no events), and whether it is known."""
    try:
        page = reader.call(
            "describe_log_streams",
            logGroupName=name,
            orderBy="LastEventTime",
            descending=True,
            limit=1,
        )
    except LogsReadError as exc:
        errors.append(str(exc))
        return None, False
    streams = page.get("logStreams") or [{}]
    last = streams[0].get("lastEventTimestamp")
    return (last if isinstance(last, int) else None), True


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
