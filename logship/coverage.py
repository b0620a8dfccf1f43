"""Which log groups are shipped, and which are written to but not.

The engine behind ``logship coverage`` (the CLI in :mod:`logship.cli.coverage` only
parses arguments and prints). A log group nobody subscribed is silently not
monitored. For each log group of the account (in one region) :func:`survey` reads

- its subscription filters (``describe_subscription_filters``),
- whether the account-level subscription filter policy covers it: the policy
  (``describe_account_policies``) applies to every group its selection criteria
  (``LogGroupName NOT IN [...]``) do not leave out,
- its stored bytes (``describe_log_groups``) and its last event time (the log
  stream with the latest ``lastEventTimestamp``, ``describe_log_streams``
  ordered by ``LastEventTime``, limit 1),

and gives each group a status: ``shipped``; ``missing`` (an event within the
active window but no subscription); ``idle`` (no subscription, nothing
recent); ``excluded`` (no subscription filter, and the account policy's
selection criteria leave it out on purpose, as the logship function's own
group must be); ``unknown`` (a request that would decide it failed,
AccessDenied say).

Every request goes through the one CloudWatch Logs reader,
:class:`logship.cloudwatch.LogsReader`, which retries throttling and counts the calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

from logship.cloudwatch import LogsReader
from logship.exceptions import LogsReadError, SelectionCriteriaError
from logship.records.tools import AccountPolicy, GroupCoverage, Subscription, Survey

SHIPPED = "shipped"
MISSING = "missing"
IDLE = "idle"
EXCLUDED = "excluded"
UNKNOWN = "unknown"
STATUSES = (MISSING, UNKNOWN, SHIPPED, EXCLUDED, IDLE)

POLICY_TYPE = "SUBSCRIPTION_FILTER_POLICY"
_CRITERIA = re.compile(r"\s*LogGroupName\s+NOT\s+IN\s*(\[.*\])\s*", re.DOTALL)


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


class SurveyProgress(Protocol):
    """What :func:`survey` reports as it goes (the CLI draws it)."""

    def advance(self, amount: int = 1, *, detail: str | None = None) -> None: ...


def survey(
    reader: LogsReader,
    *,
    now_ms: int,
    active_within_ms: int,
    destinations: Iterable[str] = (),
    page_size: int | None = None,
    progress: SurveyProgress | None = None,
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
