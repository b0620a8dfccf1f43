"""``logship explain``: follow one error through every stage of the pipeline.

Shows the reassembled lines, the parsed chain, the default fingerprint, every
rule tried with why it did or did not match, and the outcome: the fingerprint
sent to Sentry or the ignore rule and its reason, and what the annotate and
route rules gave (team, severity, runbook, tags; the EventBridge buses).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TextIO

from logship.cli._inputs import add_input_options, load_config_option
from logship.records import Decision, Fingerprinted, Relation

EPILOG = """\
examples:
  logship explain dump.json.gz --config logship.toml
  logship explain dump.json.gz --event-id 37512345678901234567890123456789012345678901234567
  logship explain trace.log --log-group /ecs/order-service --json
"""

_RELATION_WORDS: dict[Relation | None, str] = {
    Relation.CAUSE: "caused by",
    Relation.CONTEXT: "while handling",
    Relation.INNER: "inner exception",
    Relation.SUPPRESSED: "suppressed",
    Relation.GROUP: "group member",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show how one error goes through the pipeline and the rules",
        description=(
            "Run the pipeline on PATH and, for the error holding --event-id (or the first "
            "error), show each stage: reassembled lines, parsed chain, default fingerprint, "
            "the rules tried and the result."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", metavar="PATH", help="an input file, '-' for stdin")
    parser.add_argument("--event-id", help="a CloudWatch event id of the error to explain")
    add_input_options(parser)
    parser.add_argument(
        "--today", type=date.fromisoformat, help="the date rule expiry is judged on"
    )
    parser.add_argument("--json", action="store_true", help="print the explanation as JSON")
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from logship.cli._exit import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
    from logship.decode import from_path
    from logship.exceptions import ConfigError
    from logship.pipeline import RunReport, errors
    from logship.rules import decide, expiry_warnings

    try:
        config = load_config_option(args.config)
    except ConfigError as exc:
        print(f"logship: {exc}", file=sys.stderr)
        return EXIT_USAGE
    today: date = args.today or datetime.now(UTC).date()
    report = RunReport()
    items = from_path(args.path, log_group=args.log_group, region=args.region)
    found = find_error(errors(items, config, report), args.event_id)
    for warning in expiry_warnings(config, today):
        print(f"logship: warning: {warning}", file=sys.stderr)
    for problem in report.problems:
        print(f"logship: {problem.source}: {problem.reason}", file=sys.stderr)
    if found is None:
        wanted = f"holds event id {args.event_id}" if args.event_id else "was found"
        print(
            f"logship: {args.path}: no error {wanted} ({report.errors} errors in "
            f"{report.records} records read)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    decision = decide(found, config, today=today, explain=True)
    buses = {rule.name: rule.eventbridge_bus for rule in config.route_rules}
    if args.json:
        print(json.dumps(explanation_json(found, decision, buses), indent=2))
    else:
        write_explanation(found, decision, sys.stdout, buses)
    return EXIT_OK


def find_error(items: Iterable[Fingerprinted], event_id: str | None) -> Fingerprinted | None:
    """The first error holding ``event_id``, or the first error when it is None.

    Stops reading as soon as it is found: explaining one error of a big dump
    does not run the rest of the dump.
    """
    for item in items:
        if event_id is None or event_id in item.error.event_ids:
            return item
    return None


def explanation_json(
    item: Fingerprinted, decision: Decision, buses: Mapping[str, str] | None = None
) -> dict[str, object]:
    """Every stage for one error, as JSON; ``buses`` maps route rules to their bus."""
    annotation = decision.annotation
    buses = buses or {}
    error = item.error
    frame = error.top_in_app_frame
    return {
        "record": {
            "log_group": error.log_group,
            "log_stream": error.log_stream,
            "account": error.account,
            "region": error.region,
            "timestamp": error.timestamp,
            "event_ids": list(error.event_ids),
            "truncated": error.record.truncated,
            "lines": list(error.record.lines),
        },
        "parsed": {
            "service": error.service,
            "level": error.level,
            "logger": error.logger,
            "language": error.language,
            "message": error.message,
            "chain": [
                {
                    "type": exc.type,
                    "message": exc.message,
                    "relation": str(exc.relation) if exc.relation else None,
                    "frames": len(exc.frames),
                }
                for exc in error.chain
            ],
            "top_in_app_frame": (
                {"function": frame.function, "module": frame.module, "lineno": frame.lineno}
                if frame
                else None
            ),
        },
        "default": {
            "fingerprint": list(item.fingerprint),
            "title": item.title,
            "message_template": item.message_template,
        },
        "rules": [
            {"kind": c.kind, "name": c.name, "status": str(c.status), "detail": c.detail}
            for c in decision.checks
        ],
        "result": {
            "shipped": not decision.ignored,
            "fingerprint": list(decision.item.fingerprint),
            "title": decision.item.title,
            "fingerprint_rule": decision.fingerprint_rule or None,
            "ignore_rule": decision.ignore_rule or None,
            "reason": decision.reason or None,
            "kept_by_sample": decision.sampled,
            "regex_timeouts": list(decision.regex_timeouts),
            "annotation": {
                "team": annotation.team or None,
                "severity": annotation.severity or None,
                "runbook": annotation.runbook or None,
                "runbook_rule": annotation.runbook_rule or None,
                "tags": dict(annotation.tags),
                "rules": list(annotation.rules),
            },
            "routes": [{"rule": name, "bus": buses.get(name)} for name in decision.routes],
        },
    }


def write_explanation(
    item: Fingerprinted,
    decision: Decision,
    out: TextIO,
    buses: Mapping[str, str] | None = None,
) -> None:
    """Every stage for one error, as numbered sections for a terminal."""
    error = item.error
    ids = error.event_ids
    span = ids[0] if len(ids) == 1 else f"{ids[0]} .. {ids[-1]}" if ids else "(none)"
    out.write(f"1. reassembled record: {len(error.record.lines)} line(s), event(s) {span}\n")
    out.write(f"   log group {error.log_group}, stream {error.log_stream}")
    out.write(f", account {error.account}" if error.account else "")
    out.write(" (TRUNCATED by the assembly limits)\n" if error.record.truncated else "\n")
    for line in error.record.lines:
        out.write(f"   | {line}\n")

    out.write("\n2. parsed\n")
    for label, value in (
        ("service", error.service),
        ("level", error.level),
        ("logger", error.logger),
        ("language", error.language or "(untyped: no trace found)"),
        ("message", error.message.split("\n", 1)[0]),
    ):
        out.write(f"   {label:<9}{value}\n")
    for index, exc in enumerate(error.chain):
        how = f"{_RELATION_WORDS.get(exc.relation, 'then')}: " if index else ""
        first_line = exc.message.split("\n", 1)[0]
        out.write(f"   {'  ' * min(index, 4)}{how}{exc.type}: {first_line}")
        out.write(f"  [{len(exc.frames)} frames]\n")
    frame = error.top_in_app_frame
    if frame is not None:
        where = f"{frame.module}.{frame.function}" if frame.module else frame.function
        out.write(f"   top in-app frame: {where} line {frame.lineno}\n")

    out.write("\n3. default fingerprint\n")
    out.write(f"   {list(item.fingerprint)}\n")
    out.write(f"   title: {item.title}\n   message template: {item.message_template}\n")

    out.write("\n4. rules\n")
    if not decision.checks:
        out.write("   (no rules configured)\n")
    for check in decision.checks:
        detail = f"  {check.detail}" if check.detail else ""
        out.write(f"   {check.kind:<12}{check.name:<32}{check.status!s:<10}{detail}\n")

    _write_result(decision, out, buses or {})


def _write_result(decision: Decision, out: TextIO, buses: Mapping[str, str]) -> None:
    """Section 5: shipped or ignored, the fingerprint, and what annotate and route rules gave."""
    out.write("\n5. result\n")
    if decision.ignored:
        out.write(f"   IGNORED by {decision.ignore_rule}: {decision.reason}\n")
    elif decision.sampled:
        out.write(f"   SHIPPED as the 1-in-N sample of ignore rule {decision.ignore_rule}\n")
    else:
        out.write("   SHIPPED\n")
    rule = f" (rule {decision.fingerprint_rule})" if decision.fingerprint_rule else ""
    out.write(f"   fingerprint: {list(decision.item.fingerprint)}{rule}\n")
    out.write(f"   title: {decision.item.title}\n")
    annotation = decision.annotation
    if annotation:
        out.write(f"   annotated by: {', '.join(annotation.rules)}\n")
        for label, value in (("team", annotation.team), ("severity", annotation.severity)):
            if value:
                out.write(f"   {label}: {value}\n")
        if annotation.runbook:
            out.write(f"   runbook: {annotation.runbook} (rule {annotation.runbook_rule})\n")
        if annotation.tags:
            out.write("   tags: " + ", ".join(f"{k}={v}" for k, v in annotation.tags) + "\n")
    elif not decision.ignored:
        out.write("   annotated by: (no annotate rule matched)\n")
    for name in decision.routes:
        out.write(f"   routed by {name} to bus {buses.get(name, '?')}\n")
    if decision.regex_timeouts:
        out.write(f"   regex timed out in: {', '.join(decision.regex_timeouts)}\n")
