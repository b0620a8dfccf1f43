"""The groups ``replay`` and ``report`` show: outcomes counted by fingerprint, as they come.

Memory is bounded per group (a sample, a few counters, :class:`TimeBins`), not
per error, so a 1 GB dump makes as many groups as it has fingerprints.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from logship._time import iso
from logship.config import Config
from logship.pipeline import RunReport
from logship.records import Outcome

__all__ = ["Group", "Groups", "TimeBins", "iso", "sample_text"]

SAMPLE_MAX_LINES = 60
SAMPLE_MAX_CHARS = 8000
UNTYPED = "(untyped)"


class TimeBins:
    """Counts of timestamps in bins whose width doubles when there are too many.

    Memory is bounded by ``max_bins`` per group whatever the time span; the
    histogram is drawn from these counts at the end.
    """

    __slots__ = ("counts", "max_bins", "width")

    def __init__(self, max_bins: int = 1024, width_ms: int = 1000) -> None:
        self.max_bins = max_bins
        self.width = width_ms
        self.counts: Counter[int] = Counter()

    def add(self, timestamp_ms: int) -> None:
        self.counts[timestamp_ms // self.width] += 1
        while len(self.counts) > self.max_bins:
            coarser: Counter[int] = Counter()
            for key, count in self.counts.items():
                coarser[key // 2] += count
            self.counts = coarser
            self.width *= 2

    def bars(self, start_ms: int, end_ms: int, bars: int) -> list[int]:
        """The counts spread over ``bars`` equal slices of ``[start_ms, end_ms]``."""
        heights = [0] * bars
        span = max(end_ms - start_ms, 1)
        for key, count in self.counts.items():
            middle = min(max(key * self.width + self.width // 2, start_ms), end_ms)
            heights[min((middle - start_ms) * bars // span, bars - 1)] += count
        return heights


@dataclass(slots=True)
class Group:
    """What ``replay``'s table and ``report``'s page show for one fingerprint (mutable: it
    accumulates)."""

    fingerprint: tuple[str, ...]
    title: str
    sample: str
    sample_source: str
    count: int = 0
    ignored: int = 0
    first_seen: int = 0
    last_seen: int = 0
    services: Counter[str] = field(default_factory=Counter)
    exception_types: Counter[str] = field(default_factory=Counter)
    root_causes: Counter[str] = field(default_factory=Counter)
    ignored_by: Counter[str] = field(default_factory=Counter)
    times: TimeBins = field(default_factory=TimeBins)
    # What the annotate rules said about the group's shipped errors ("" for none).
    teams: Counter[str] = field(default_factory=Counter)
    severities: Counter[str] = field(default_factory=Counter)
    runbooks: Counter[str] = field(default_factory=Counter)

    @property
    def shipped(self) -> int:
        """Errors of the group that would be sent (not ignored)."""
        return self.count - self.ignored

    # Annotate rules can match on more than the fingerprint (a log stream, a
    # message): a group's errors may differ, and the table shows the most common.
    @property
    def team(self) -> str:
        """The team most of the group's annotated errors have; "" when none has one."""
        return _most_common(self.teams)

    @property
    def severity(self) -> str:
        """The most common severity of the group's errors; "" when none has one."""
        return _most_common(self.severities)

    @property
    def runbook(self) -> str:
        """The runbook most of the group's errors link; "" when none links one."""
        return _most_common(self.runbooks)


def _most_common(counter: Counter[str]) -> str:
    """The most common non-empty value, ties to the smallest; "" when there is none."""
    values = [(value, count) for value, count in counter.items() if value]
    if not values:
        return ""
    return min(values, key=lambda pair: (-pair[1], pair[0]))[0]


def sample_text(text: str) -> str:
    """The raw text of an error, cut to a size a page can show."""
    lines = text.split("\n")
    cut = lines[:SAMPLE_MAX_LINES]
    kept = "\n".join(cut)
    if len(kept) > SAMPLE_MAX_CHARS:
        kept = kept[:SAMPLE_MAX_CHARS]
    if len(kept) < len(text):
        more = len(lines) - len(cut)
        kept += f"\n[logship: cut; {more} more lines]" if more else "\n[logship: cut]"
    return kept


class Groups:
    """Outcomes grouped by fingerprint as they come, so an interrupted run can still be shown."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, ...], Group] = {}

    def add(self, outcome: Outcome) -> None:
        item = outcome.item
        error = item.error
        timestamp = error.timestamp
        group = self.groups.get(item.fingerprint)
        if group is None:
            group = self.groups[item.fingerprint] = Group(
                item.fingerprint,
                item.title,
                sample=sample_text(error.raw_text),
                sample_source=f"{error.log_group} {error.log_stream}",
                first_seen=timestamp,
                last_seen=timestamp,
            )
        group.count += 1
        if outcome.ignored_by:
            group.ignored += 1
            group.ignored_by[outcome.ignored_by] += 1
        elif outcome.annotation:  # an ignored error is not annotated
            annotation = outcome.annotation
            for counter, value in (
                (group.teams, annotation.team),
                (group.severities, annotation.severity),
                (group.runbooks, annotation.runbook),
            ):
                if value:
                    counter[value] += 1
        group.first_seen = min(group.first_seen, timestamp)
        group.last_seen = max(group.last_seen, timestamp)
        group.services[error.service] += 1
        group.exception_types[error.exception_type or UNTYPED] += 1
        group.root_causes[error.root_cause_type or UNTYPED] += 1
        group.times.add(timestamp)

    def by_count(self) -> list[Group]:
        """The groups, the most frequent first (``replay``'s table)."""
        return sorted(self.groups.values(), key=lambda g: (-g.count, g.fingerprint))

    def by_shipped(self) -> list[Group]:
        """Groups by the number of errors that would be sent, then by count (``report``)."""
        return sorted(self.groups.values(), key=lambda g: (-g.shipped, -g.count, g.fingerprint))

    def without_runbook(self) -> list[Group]:
        """Groups with errors to send and a runbook for none of them, the largest first:
        the procedures still to write."""
        return [group for group in self.by_shipped() if group.shipped and not group.runbook]


@dataclass(frozen=True, slots=True)
class RuleNoise:
    """What one ignore rule removed in this run."""

    name: str
    reason: str
    hits: int
    sampled: int  # hits kept anyway as the rule's 1-in-N sample

    @property
    def removed(self) -> int:
        return self.hits - self.sampled


def rule_noise(config: Config, report: RunReport) -> list[RuleNoise]:
    """Every ignore rule of the config with its hits, the busiest first (0 hits too)."""
    reasons = {rule.name: rule.reason for rule in config.ignore_rules}
    names = list(reasons) + [name for name in report.ignore_hits if name not in reasons]
    noise = [
        RuleNoise(
            name, reasons.get(name, ""), report.ignore_hits[name], report.ignore_sampled[name]
        )
        for name in names
    ]
    return sorted(noise, key=lambda r: -r.hits)
