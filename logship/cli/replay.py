"""``logship replay``: run the pipeline on local dumps and show what would be sent."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, TextIO

from logship.cli._groups import Group, Groups, iso
from logship.cli._inputs import add_input_options, load_config_option, read_inputs
from logship.cli._progress import Progress
from logship.config import Config
from logship.flood import FloodControl
from logship.pipeline import RunReport, run
from logship.records import Outcome

if TYPE_CHECKING:
    from logship.event import EventSettings
    from logship.route import EventBridgePublisher, RouteCollector
    from logship.sink import Sink

EPILOG = """\
examples:
  logship replay examples/sample-subscription-events.jsonl.gz
  logship replay dump.json.gz --log-group /ecs/order-service --json | jq .fingerprint
  aws logs filter-log-events --log-group-name /ecs/order-service --output json \\
      | logship replay - --log-group /ecs/order-service
  SENTRY_DSN=https://key@o0.ingest.sentry.io/1 logship replay dump.json.gz --send
  logship replay dump.json.gz --config logship.toml --send --route --region eu-west-1
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="run the pipeline on local log dumps (a dry run unless --send)",
        description=(
            "Read CloudWatch subscription payloads, filter-log-events dumps, exports, "
            "JSON lines or plain text (optionally .gz, '-' for stdin), and show the "
            "errors logship would send, grouped by fingerprint."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="input files, '-' for stdin")
    add_input_options(parser)
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per error, then a summary line"
    )
    send = parser.add_argument_group("sending (default: a dry run that sends nothing)")
    send.add_argument("--send", action="store_true", help="send the errors to Sentry")
    send.add_argument("--dsn", help="the Sentry DSN (default: $SENTRY_DSN)")
    send.add_argument("--environment", default="", help="Sentry environment of the events")
    send.add_argument("--release", default="", help="Sentry release of the events")
    send.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long each flush may retry before its events count as failed (default: 30)",
    )
    send.add_argument(
        "--route",
        action="store_true",
        help=(
            "with --send, also publish the route rules' events to EventBridge (your AWS "
            "credentials; the client's region is --region, else your profile's); "
            "without it they are only counted (would_route)"
        ),
    )
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from logship.cli._exit import (
        EXIT_FAILURE,
        EXIT_INPUT_PROBLEMS,
        EXIT_INTERRUPTED,
        EXIT_OK,
        EXIT_USAGE,
    )
    from logship.exceptions import ConfigError, SettingsError

    if args.route and not args.send:
        print("logship: replay: --route publishes only with --send", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = load_config_option(args.config)
        sender = _Sender.open(args, config) if args.send else None
    except (ConfigError, SettingsError) as exc:
        print(f"logship: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = RunReport()
    groups = Groups()
    # One event per route rule and fingerprint of the whole replay (the Lambda: per
    # invocation); a dry run counts them.
    routes = sender.routes if sender is not None else _collector(config, args.environment)

    def show(outcomes: Iterator[Outcome]) -> Iterator[Outcome]:
        for outcome in outcomes:
            if args.json:
                sys.stdout.write(json.dumps(outcome_json(outcome)) + "\n")
            else:
                groups.add(outcome)
            yield outcome

    interrupted = False
    with Progress("replay") as progress:
        shown = show(
            run(
                read_inputs(args.paths, args.log_group, args.region, progress=progress),
                config,
                report,
            )
        )
        # Ctrl-C stops reading; what was read (and sent) so far is still reported below.
        try:
            if sender is None:
                # Every error is shown; the counts say what the Lambda would hold back.
                flood = FloodControl(config.max_events_per_fingerprint, report)
                for outcome in shown:
                    if routes is not None and not outcome.ignored_by and outcome.routes:
                        routes.add(outcome.item, outcome.annotation, outcome.routes)
                    flood.admit(outcome)
                flood.drain()
            else:
                sender.send(shown, report)
        except KeyboardInterrupt:
            interrupted = True
    if sender is not None:
        sender.close()
    # What was not published (a dry run, or --send without --route) is counted per rule.
    would_route = dict(sorted(routes.counts().items())) if routes is not None else {}
    if args.json:
        summary: dict[str, object] = report.as_dict()
        if routes is not None:
            summary["would_route"] = would_route
        if interrupted:
            summary["interrupted"] = True
        sys.stdout.write(json.dumps({"summary": summary}) + "\n")
    else:
        write_table(groups.by_count(), report, sys.stdout, would_route=would_route)
    for problem in report.problems:
        print(f"logship: {problem.source}: {problem.reason}", file=sys.stderr)
    for failure in sender.failures if sender is not None else ():
        print(f"logship: not sent: {failure}", file=sys.stderr)
    for failure in sender.route_failures if sender is not None else ():
        print(f"logship: not published: {failure}", file=sys.stderr)
    if interrupted:
        print(
            f"logship: replay interrupted after {report.events_received:,} events; "
            "the counts above cover what was read",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if report.failed or report.route_failed:
        return EXIT_FAILURE
    return EXIT_INPUT_PROBLEMS if report.events_invalid else EXIT_OK


def _collector(config: Config, environment: str) -> RouteCollector | None:
    """A route collector when the config has route rules."""
    if not config.route_rules:
        return None
    from logship.route import RouteCollector

    return RouteCollector(config, environment=environment)


class _Sender:
    """``--send``: the Lambda's own delivery code, with a DSN from the command line.

    Route events are collected either way; with ``--route`` they are published
    through an :class:`~logship.route.EventBridgePublisher`, else only counted.
    """

    def __init__(
        self,
        sink: Sink,
        settings: EventSettings,
        config: Config,
        timeout: float,
        *,
        routes: RouteCollector | None = None,
        publisher: EventBridgePublisher | None = None,
    ) -> None:
        self.sink = sink
        self.settings = settings
        self.config = config
        self.timeout = timeout
        self.routes = routes
        self.publisher = publisher
        self.failures: tuple[str, ...] = ()
        self.route_failures: tuple[str, ...] = ()

    @classmethod
    def open(cls, args: argparse.Namespace, config: Config) -> _Sender:
        from logship.event import EventSettings
        from logship.settings import SENTRY_DSN, check_dsn
        from logship.sink import SentrySink

        dsn = args.dsn or os.environ.get(SENTRY_DSN, "")
        check_dsn(dsn, "--dsn" if args.dsn else SENTRY_DSN)
        settings = EventSettings.from_config(
            config, environment=args.environment, release=args.release
        )
        routes = _collector(config, args.environment)
        publisher = None
        if args.route and routes is not None:
            from logship.route import EventBridgePublisher

            publisher = EventBridgePublisher(region=args.region)
        return cls(
            SentrySink(dsn), settings, config, args.timeout, routes=routes, publisher=publisher
        )

    def send(self, outcomes: Iterator[Outcome], report: RunReport) -> None:
        from logship.deliver import deliver

        delivery = deliver(
            outcomes,
            sink=self.sink,
            settings=self.settings,
            report=report,
            budget=lambda: self.timeout,
            max_per_fingerprint=self.config.max_events_per_fingerprint,
            routes=self.routes,
            publisher=self.publisher,
        )
        self.failures = tuple(failure.reason for failure in delivery.failures)
        self.route_failures = tuple(
            f"route {failure.rule}: {failure.reason}" for failure in delivery.route_failures
        )

    def close(self) -> None:
        self.sink.close()


def outcome_json(outcome: Outcome) -> dict[str, object]:
    """The JSON object ``replay --json`` prints for one error."""
    item = outcome.item
    error = item.error
    return {
        "fingerprint": list(item.fingerprint),
        "title": item.title,
        "service": error.service,
        "exception_type": error.exception_type,
        "root_cause_type": error.root_cause_type,
        "cause_chain": [exc.type for exc in error.chain],
        "message_template": item.message_template,
        "level": error.level,
        "language": error.language,
        "logger": error.logger,
        "timestamp": iso(error.timestamp, zulu=False),
        "log_group": error.log_group,
        "log_stream": error.log_stream,
        "log_event_ids": list(error.event_ids),
        "aws_account": error.account,
        "fingerprint_rule": item.rule,
        "ignored_by": outcome.ignored_by,
        "ignore_reason": outcome.reason,
        "team": outcome.annotation.team,
        "severity": outcome.annotation.severity,
        "runbook": outcome.annotation.runbook,
        "routes": list(outcome.routes),
    }


def write_table(
    groups: list[Group],
    report: RunReport,
    out: TextIO,
    *,
    would_route: Mapping[str, int] | None = None,
) -> None:
    """One row per group, then the run's counts and what would be routed.

    The TEAM, SEVERITY and RUNBOOK columns appear when any group has a value
    for them (annotate rules gave one).
    """
    columns: list[tuple[str, Callable[[Group], str]]] = [
        ("COUNT", lambda g: str(g.count)),
        ("IGNORED", lambda g: f"{g.ignored}" if g.ignored else ""),
        ("FIRST SEEN", lambda g: iso(g.first_seen, timespec="seconds")[:19]),
        ("LAST SEEN", lambda g: iso(g.last_seen, timespec="seconds")[:19]),
    ]
    if any(group.team for group in groups):
        columns.append(("TEAM", lambda g: g.team))
    if any(group.severity for group in groups):
        columns.append(("SEVERITY", lambda g: g.severity))
    columns += [
        ("FINGERPRINT", lambda g: " | ".join(g.fingerprint)),
        ("SAMPLE TITLE", lambda g: g.title),
    ]
    if any(group.runbook for group in groups):
        columns.append(("RUNBOOK", lambda g: g.runbook))
    header = tuple(name for name, _ in columns)
    rows = [tuple(cell(group) for _, cell in columns) for group in groups]
    widths = [min(max(len(row[i]) for row in [header, *rows]), 80) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            cell if len(cell) <= w else cell[: w - 1] + "\u2026"
            for cell, w in zip(row, widths, strict=True)
        ]
        out.write(
            "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip() + "\n"
        )
    out.write(f"\n{len(groups)} groups\n")
    counts = report.as_dict()
    if would_route is not None:
        counts["would_route"] = would_route
    for key, value in counts.items():
        if isinstance(value, dict):
            for rule, hits in sorted(value.items()):
                out.write(f"  {key}[{rule}]: {hits}\n")
        else:
            out.write(f"  {key}: {value}\n")
