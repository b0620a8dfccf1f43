"""What ``logship pull`` and ``logship coverage`` read from CloudWatch Logs.

Records like those of :mod:`logship.records`, kept in a module of their own so
the Lambda's cold start never creates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Query:
    """What one pull asks CloudWatch for. Times are fixed when the pull starts."""

    log_groups: tuple[str, ...]
    start: int  # ms since the epoch, inclusive
    end: int  # ms since the epoch, inclusive (CloudWatch's endTime)
    filter_pattern: str = ""


@dataclass(frozen=True, slots=True)
class PullState:
    """How far a pull got: enough to continue it exactly where it stopped.

    ``offset`` is the size of the output once the last complete page was
    written; ``next_token`` fetches the page after it. ``document_open`` says
    the current group's document was begun (its first page is written).
    """

    query: Query
    group_index: int = 0
    next_token: str | None = None
    document_open: bool = False
    offset: int = 0
    pages: int = 0
    group_events: tuple[int, ...] = field(default=())

    @property
    def events(self) -> int:
        return sum(self.group_events)

    @property
    def complete(self) -> bool:
        return self.group_index >= len(self.query.log_groups)


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
