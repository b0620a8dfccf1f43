"""``logship report``: a self-contained HTML page of the groups logship would create.

Runs the same pipeline as ``replay`` and writes one HTML file with no external
assets: the groups ranked by count with service, exception type, root cause,
first and last seen, the owner (team, severity, runbook) annotate rules gave, a
time histogram per group (inline SVG), the groups without a runbook (the
procedures still to write, largest first), the noise each ignore rule removes,
and a sample trace per group. Log text is hostile input:
every string goes through :func:`html.escape` and the page forbids scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from logship.pipeline import RunReport, run

from ._groups import Group, Groups, RuleNoise, iso, rule_noise
from ._inputs import add_input_options, load_config_option, read_inputs
from ._progress import Progress

EPILOG = """\
examples:
  logship report examples/sample-subscription-events.jsonl.gz -o report.html
  logship report dump.json.gz --config logship.toml -o report.html
  logship report dump-*.json.gz --config logship.toml --json | jq '.groups[:5]'
"""


def group_json(group: Group) -> dict[str, object]:
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
        "first_seen": iso(group.first_seen),
        "last_seen": iso(group.last_seen),
        "sample_source": group.sample_source,
        "team": group.team,
        "severity": group.severity,
        "runbook": group.runbook,
    }


def summary_json(
    output: str,
    groups: list[Group],
    report: RunReport,
    noise: list[RuleNoise],
    without_runbook: list[Group] | None = None,
) -> dict[str, object]:
    """What ``report --json`` prints: every group (the page shows the top ones), and the
    fingerprints of the groups without a runbook, the largest first."""
    return {
        "output": output,
        "groups": [group_json(group) for group in groups],
        "without_runbook": [list(group.fingerprint) for group in without_runbook or ()],
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

    from ._exit import EXIT_FAILURE, EXIT_INPUT_PROBLEMS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
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
    groups_seen = Groups()
    interrupted = False
    with Progress("report") as progress:
        items = read_inputs(args.paths, args.log_group, args.region, progress=progress)
        try:
            for outcome in run(items, config, report):
                groups_seen.add(outcome)
        except KeyboardInterrupt:
            interrupted = True
    groups = groups_seen.by_shipped()
    missing = groups_seen.without_runbook()
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
        without_runbook=missing if config.annotate_rules else None,
    )
    try:
        Path(args.output).write_text(page, encoding="utf-8")
    except OSError as exc:
        print(f"logship: report: {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(summary_json(args.output, groups, report, noise, missing)))
    else:
        ignored = f", {report.ignored} ignored by rules" if report.ignored else ""
        print(
            f"{args.output}: {len(groups)} groups, {report.errors} errors{ignored}, "
            f"from {report.events_received:,} events"
            + (f"; {len(missing)} without a runbook" if config.annotate_rules else "")
        )
    for problem in report.problems:
        print(f"logship: {problem.source}: {problem.reason}", file=sys.stderr)
    if interrupted:
        print("logship: report: interrupted; the page covers what was read", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_INPUT_PROBLEMS if report.events_invalid else EXIT_OK
