"""Flood control: at most N events per fingerprint in one run, the rest counted.

During an incident one failure can log thousands of times a minute. Sentry
needs a handful of them to show the issue, and each one sent costs quota and
invocation time. Per run (one Lambda invocation, one replay), :class:`FloodControl`
lets the first ``limit`` errors of each fingerprint through and counts the rest
in ``RunReport.suppressed``.

The count travels on the last event sent for the fingerprint, so Sentry shows
how big the flood was. A streaming run cannot know which event is the last
before the run ends, so the stage passes the first ``limit - 1`` through at
once, holds the ``limit``-th, counts the rest, and :meth:`FloodControl.drain`
releases the held ones with their counts at the end of the run. It holds at
most one outcome per fingerprint.

The delivery code calls it::

    flood = FloodControl(config.max_events_per_fingerprint, report)
    for outcome in outcomes:
        for release in flood.admit(outcome):
            send(release)
    for release in flood.drain():
        send(release)

Accounting: ``report.suppressed`` grows as errors are held back; an outcome
held until :meth:`drain` is still pending, so
``errors = shipped + ignored + suppressed + failed + pending`` holds throughout.
"""

from __future__ import annotations

from collections import Counter

from .pipeline import RunReport
from .records import Outcome, Release

__all__ = ["SUPPRESSED_KEY", "FloodControl", "suppressed_extra"]

# The ``extra`` key the suppressed count travels in; the event builder keeps it.
SUPPRESSED_KEY = "logship_suppressed"


def suppressed_extra(release: Release) -> dict[str, object]:
    """What the event's ``extra`` gets: the suppressed count, when there is one."""
    return {SUPPRESSED_KEY: release.suppressed} if release.suppressed else {}


class FloodControl:
    """Lets at most ``limit`` errors of each fingerprint through per run; ``None``: no limit.

    Ignored outcomes pass straight through and count toward nothing (the
    pipeline already counted them); sampled ones count like shipped ones.
    """

    def __init__(self, limit: int | None, report: RunReport) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"the flood limit must be at least 1 or None, got {limit}")
        self.limit = limit
        self.report = report
        self._seen: Counter[tuple[str, ...]] = Counter()
        self._held: dict[tuple[str, ...], Outcome] = {}
        self._suppressed: Counter[tuple[str, ...]] = Counter()

    def admit(self, outcome: Outcome) -> list[Release]:
        """What to send now for ``outcome``: itself, or nothing (held or suppressed)."""
        if outcome.ignored_by or self.limit is None:
            return [Release(outcome)]
        key = outcome.item.fingerprint
        self._seen[key] += 1
        seen = self._seen[key]
        if seen < self.limit:
            return [Release(outcome)]
        if seen == self.limit:
            self._held[key] = outcome
            return []
        self._suppressed[key] += 1
        self.report.suppressed += 1
        return []

    def drain(self) -> list[Release]:
        """The held outcomes with their fingerprints' suppressed counts; call it at the end."""
        released = [Release(outcome, self._suppressed[key]) for key, outcome in self._held.items()]
        self._held.clear()
        return released

    @property
    def held(self) -> int:
        """How many outcomes wait for :meth:`drain`."""
        return len(self._held)

    def suppressed_for(self, fingerprint: tuple[str, ...]) -> int:
        """How many errors of ``fingerprint`` were suppressed so far in this run."""
        return self._suppressed[fingerprint]
