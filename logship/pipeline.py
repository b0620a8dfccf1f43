"""The pipeline, composed in one place.

::

    decode     payload/file   -> LogEvent | InputProblem | ControlMessage
    assemble   LogEvent       -> LogRecord        (per stream, multi-line traces joined)
    parse      LogRecord      -> ParsedError      (or nothing: not an error)
    fingerprint ParsedError   -> Fingerprinted
    rules      Fingerprinted  -> Outcome          (ship, or ignore with the rule's reason;
                                                   who owns it, where else it goes)

The Lambda handler and the CLI run this same pipeline; they differ only in
where the input comes from and which sink receives the result. ``RunReport``
accounts for every event and every error, and its invariants are checked by
the tests and logged by every run.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from logship import parse
from logship.assemble import FastLane, assemble
from logship.config import Config
from logship.fingerprint import fingerprint
from logship.parse import parse_record
from logship.records import (
    ControlMessage,
    Fingerprinted,
    InputProblem,
    LogBatch,
    LogEvent,
    LogRecord,
    Outcome,
    StitchedBatch,
)
from logship.rules import decide, expiry_warnings

MAX_REPORTED_PROBLEMS = 50  # the count is exact; only the list of examples is capped

Item = LogEvent | LogBatch | StitchedBatch | InputProblem | ControlMessage


@dataclass(slots=True)
class RunReport:
    """Counts for one run. Every log event and every error ends in exactly one bucket.

    Events: ``received = invalid + not_errors + in_errors + continued``
    (control messages are payloads without events, counted apart;
    ``continued`` are a payload's first events that belong to an entry begun in
    an earlier payload, whose invocation ships it: see :mod:`logship.stitch`).
    Errors: ``errors = shipped + ignored + suppressed + failed + pending``
    where ``pending`` is what a dry run did not send.

    Routes are an output beside Sentry, counted apart: ``routed`` and
    ``route_failed`` count EventBridge events (one per route rule and
    fingerprint per run, see :mod:`logship.route`), not errors.
    """

    events_received: int = 0
    events_invalid: int = 0
    events_not_errors: int = 0
    events_in_errors: int = 0
    events_continued: int = 0
    control_messages: int = 0
    records: int = 0
    errors: int = 0
    shipped: int = 0
    ignored: int = 0
    suppressed: int = 0
    failed: int = 0
    problems: list[InputProblem] = field(default_factory=list)
    ignore_hits: Counter[str] = field(default_factory=Counter)
    fingerprint_hits: Counter[str] = field(default_factory=Counter)
    ignore_sampled: Counter[str] = field(default_factory=Counter)  # hits kept by `sample`
    regex_timeouts: Counter[str] = field(default_factory=Counter)  # per rule name
    annotate_hits: Counter[str] = field(default_factory=Counter)  # errors each rule annotated
    route_hits: Counter[str] = field(default_factory=Counter)  # errors each route rule matched
    routed: int = 0  # EventBridge events the bus accepted
    route_failed: int = 0  # EventBridge events that could not be published
    rule_warnings: list[str] = field(default_factory=list)  # expired ignore rules
    # Stitching (the Lambda): CloudWatch Logs requests, entries completed with the
    # events read after their payload, those events (not received here: another
    # invocation counts them), payload edges that could not be read, time waited
    # for a continuation still being stored.
    stitch_reads: int = 0
    entries_stitched: int = 0
    events_stitched: int = 0
    stitch_failed: int = 0
    stitch_wait_ms: int = 0

    @property
    def pending(self) -> int:
        return self.errors - self.shipped - self.ignored - self.suppressed - self.failed

    def add_problem(self, problem: InputProblem) -> None:
        self.events_invalid += problem.events_lost
        self.events_received += problem.events_lost
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)

    def balanced(self) -> bool:
        """Whether every event and every error is accounted for."""
        events_ok = self.events_received == (
            self.events_invalid
            + self.events_not_errors
            + self.events_in_errors
            + self.events_continued
        )
        return events_ok and self.pending >= 0

    def as_dict(self) -> dict[str, object]:
        return {
            "events_received": self.events_received,
            "events_invalid": self.events_invalid,
            "events_not_errors": self.events_not_errors,
            "events_in_errors": self.events_in_errors,
            "events_continued": self.events_continued,
            "control_messages": self.control_messages,
            "records": self.records,
            "errors": self.errors,
            "shipped": self.shipped,
            "ignored": self.ignored,
            "suppressed": self.suppressed,
            "failed": self.failed,
            "pending": self.pending,
            "problems": len(self.problems),
            "ignore_rule_hits": dict(self.ignore_hits),
            "fingerprint_rule_hits": dict(self.fingerprint_hits),
            "ignore_rule_sampled": dict(self.ignore_sampled),
            "regex_timeouts": dict(self.regex_timeouts),
            "annotate_rule_hits": dict(self.annotate_hits),
            "route_rule_hits": dict(self.route_hits),
            "routed": self.routed,
            "route_failed": self.route_failed,
            "rule_warnings": list(self.rule_warnings),
            "stitch_reads": self.stitch_reads,
            "entries_stitched": self.entries_stitched,
            "events_stitched": self.events_stitched,
            "stitch_failed": self.stitch_failed,
            "stitch_wait_ms": self.stitch_wait_ms,
        }


def _count_inputs(
    items: Iterable[Item], report: RunReport
) -> Iterator[LogEvent | LogBatch | StitchedBatch]:
    for item in items:
        if isinstance(item, LogEvent):
            report.events_received += 1
            yield item
        elif isinstance(item, LogBatch | StitchedBatch):
            report.events_received += len(item)
            yield item
        elif isinstance(item, InputProblem):
            report.add_problem(item)
        else:
            report.control_messages += 1


def _fast_lane(config: Config) -> FastLane | None:
    """The assembler's fast lane for ``config.min_level``, when the parse stage has one."""
    pattern = parse.low_text_line(config.min_level)
    if pattern is None:
        return None
    return FastLane(pattern, functools.partial(parse.low_json_line, min_level=config.min_level))


def errors(
    items: Iterable[Item], config: Config, report: RunReport, *, fast_lane: bool = True
) -> Iterator[Fingerprinted]:
    """Decoded items in, fingerprinted errors out; everything else counted in ``report``.

    ``fast_lane``: the assembler counts the one-line entries below ``min_level``
    instead of building records that parse would turn away. It pays: stage (2) of
    ``python -m bench`` runs 2.3x faster with it (0.46 s against 1.04 s on 8 MB,
    docs/performance.md). They are counted as records and events not in errors,
    as their records would have been: the report is the same either way
    (``tests/test_fast_lane.py`` runs both).
    """
    lane = _fast_lane(config) if fast_lane else None
    records: Iterator[LogRecord] = _split_crashes(
        assemble(_count_inputs(items, report), config.assembly, fast_lane=lane)
    )
    for record in records:
        if lane is not None and lane.count:
            _drain(lane, report)
        if record.continued:
            # Begun in an earlier payload: that payload's invocation read these
            # events and ships the entry whole.
            report.events_continued += len(record.event_ids)
            continue
        report.records += 1
        if record.stitched:
            report.entries_stitched += 1
            report.events_stitched += record.stitched
        error = parse_record(record, config)
        if error is None:
            report.events_not_errors += len(record.event_ids)
            continue
        report.events_in_errors += len(record.event_ids)
        report.errors += 1
        yield fingerprint(error, config.masks)
    if lane is not None:
        _drain(lane, report)


def _split_crashes(records: Iterator[LogRecord]) -> Iterator[LogRecord]:
    """Records, with a log line and the uncaught crash joined to it apart (see split_uncaught)."""
    for record in records:
        if len(record.lines) > 2 and record.lines[1][:1] == "T":
            yield from parse.split_uncaught(record)
        else:
            yield record


def _drain(lane: FastLane, report: RunReport) -> None:
    """Move the fast lane's count to the report: one record, one event each."""
    report.records += lane.count
    report.events_not_errors += lane.count
    lane.count = 0


def run(
    items: Iterable[Item],
    config: Config,
    report: RunReport,
    *,
    today: date | None = None,
    fast_lane: bool = True,
) -> Iterator[Outcome]:
    """The whole pipeline up to the decision to ship or ignore each error.

    ``today`` (default: the current UTC date) decides which ignore rules have
    expired; expired ones are listed in ``report.rule_warnings``. Ignored errors
    are counted in ``report.ignored`` here; the caller counts the rest.
    """
    day = today or datetime.now(UTC).date()
    report.rule_warnings.extend(expiry_warnings(config, day))
    for item in errors(items, config, report, fast_lane=fast_lane):
        decision = decide(item, config, today=day)
        if decision.fingerprint_rule:
            report.fingerprint_hits[decision.fingerprint_rule] += 1
        for rule_name in decision.regex_timeouts:
            report.regex_timeouts[rule_name] += 1
        # Only errors that are kept are annotated and routed (see rules.decide).
        report.annotate_hits.update(decision.annotation.rules)
        report.route_hits.update(decision.routes)
        if not decision.ignore_rule:
            yield Outcome(decision.item, annotation=decision.annotation, routes=decision.routes)
            continue
        report.ignore_hits[decision.ignore_rule] += 1
        if decision.sampled:
            report.ignore_sampled[decision.ignore_rule] += 1
            yield Outcome(
                decision.item,
                sampled_by=decision.ignore_rule,
                annotation=decision.annotation,
                routes=decision.routes,
            )
        else:
            report.ignored += 1
            yield Outcome(decision.item, ignored_by=decision.ignore_rule, reason=decision.reason)
