"""``logship report``: a self-contained HTML page of the groups logship would create.

Runs the same pipeline as ``replay`` and writes one HTML file with no external
assets: the groups ranked by count with service, exception type, root cause,
first and last seen, a time histogram per group (inline SVG), the noise each
ignore rule removes, and a sample trace per group. Log text is hostile input:
every string goes through :func:`html.escape` and the page forbids scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from logship.config import Config
from logship.pipeline import Outcome, RunReport, run

from ._inputs import add_input_options, load_config_option, read_inputs
from ._progress import Progress

EPILOG = """\
examples:
  logship report examples/sample-subscription-events.jsonl.gz -o report.html
  logship report dump.json.gz --config logship.toml -o report.html
  logship report dump-*.json.gz --config logship.toml --json | jq '.groups[:5]'
"""

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
class ReportGroup:
    """Everything the page shows for one fingerprint (mutable: it accumulates)."""

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

    @property
    def shipped(self) -> int:
        """Errors of the group that would be sent (not ignored)."""
        return self.count - self.ignored


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


class Collector:
    """Groups outcomes by fingerprint as they come, so a partial run can still be shown."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, ...], ReportGroup] = {}

    def add(self, outcome: Outcome) -> None:
        item = outcome.item
        error = item.error
        timestamp = error.timestamp
        group = self.groups.get(item.fingerprint)
        if group is None:
            group = self.groups[item.fingerprint] = ReportGroup(
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
        group.first_seen = min(group.first_seen, timestamp)
        group.last_seen = max(group.last_seen, timestamp)
        group.services[error.service] += 1
        group.exception_types[error.exception_type or UNTYPED] += 1
        group.root_causes[error.root_cause_type or UNTYPED] += 1
        group.times.add(timestamp)

    def ranked(self) -> list[ReportGroup]:
        """Groups by the number of errors that would be sent, then by count."""
        return sorted(self.groups.values(), key=lambda g: (-g.shipped, -g.count, g.fingerprint))


def collect(outcomes: Iterable[Outcome]) -> list[ReportGroup]:
    """The groups of a whole run, ranked."""
    collector = Collector()
    for outcome in outcomes:
        collector.add(outcome)
    return collector.ranked()


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


def _iso(timestamp_ms: int) -> str:
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def group_json(group: ReportGroup) -> dict[str, object]:
    """One group as ``report --json`` prints it."""
    return {
        "fingerprint": list(group.fingerprint),
        "title": group.title,
        "count": group.count,
        "ignored": group.ignored,
        "ignored_by": dict(group.ignored_by),
        "services": [name for name, _ in group.services.most_common()],
        "exception_types": [name for name, _ in group.exception_types.most_common()],
        "root_causes": [name for name, _ in group.root_causes.most_common()],
        "first_seen": _iso(group.first_seen),
        "last_seen": _iso(group.last_seen),
        "sample_source": group.sample_source,
    }


def summary_json(
    output: str, groups: list[ReportGroup], report: RunReport, noise: list[RuleNoise]
) -> dict[str, object]:
    """What ``report --json`` prints: every group (the page shows the top ones)."""
    return {
        "output": output,
        "groups": [group_json(group) for group in groups],
        "ignore_rules": [
            {"name": r.name, "reason": r.reason, "hits": r.hits, "sampled": r.sampled}
            for r in noise
        ],
        "summary": report.as_dict(),
    }


# --- the command ------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report of the groups logship would create",
        description=(
            "Run the pipeline on local dumps (as replay does) and write one HTML file, "
            "with no external assets: groups ranked by count with service, types, root "
            "cause, first/last seen and a time histogram, the noise removed per ignore "
            "rule, and a sample trace per group."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="input files, '-' for stdin")
    parser.add_argument(
        "-o", "--output", default="report.html", metavar="FILE", help="default: report.html"
    )
    add_input_options(parser)
    parser.add_argument(
        "--top", type=int, default=200, metavar="N", help="groups shown on the page (default 200)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print a JSON summary of every group on stdout"
    )
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from logship.exceptions import ConfigError

    from . import EXIT_FAILURE, EXIT_INPUT_PROBLEMS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
    from ._report_html import render

    if args.top < 1:
        print("logship: report: --top must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = load_config_option(args.config)
    except ConfigError as exc:
        print(f"logship: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = RunReport()
    collector = Collector()
    interrupted = False
    with Progress("report") as progress:
        items = read_inputs(args.paths, args.log_group, args.region, progress=progress)
        try:
            for outcome in run(items, config, report):
                collector.add(outcome)
        except KeyboardInterrupt:
            interrupted = True
    groups = collector.ranked()
    noise = rule_noise(config, report)
    page = render(
        groups[: args.top],
        total_groups=len(groups),
        report=report,
        noise=noise,
        inputs=[str(path) for path in args.paths],
        config_source=config.source if args.config else "",
        generated=datetime.now(UTC),
        interrupted=interrupted,
    )
    try:
        Path(args.output).write_text(page, encoding="utf-8")
    except OSError as exc:
        print(f"logship: report: {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(summary_json(args.output, groups, report, noise)))
    else:
        ignored = f", {report.ignored} ignored by rules" if report.ignored else ""
        print(
            f"{args.output}: {len(groups)} groups, {report.errors} errors{ignored}, "
            f"from {report.events_received:,} events"
        )
    for problem in report.problems:
        print(f"logship: {problem.source}: {problem.reason}", file=sys.stderr)
    if interrupted:
        print("logship: report: interrupted; the page covers what was read", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_INPUT_PROBLEMS if report.events_invalid else EXIT_OK
