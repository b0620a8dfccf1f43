"""``logship check-config``: validate a ``logship.toml`` and show its rules as a table."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TextIO

from logship.config import Config
from logship.config.rules import (
    DEFAULT_DETAIL_TYPE,
    AnnotateRule,
    FingerprintRule,
    IgnoreRule,
    Matcher,
    RouteRule,
)

Rule = IgnoreRule | FingerprintRule | AnnotateRule | RouteRule

EPILOG = """\
examples:
  logship check-config logship.toml
  logship check-config logship.toml --json | jq '.rules[] | select(.expired)'
  logship check-config logship.toml --strict   # in CI: fail once a rule has expired
"""

_CELL_LIMIT = 40  # wider cells are cut with an ellipsis; --json has everything


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check-config",
        help="validate a logship.toml and print its rules",
        description=(
            "Validate a logship.toml (exit 2 with one message naming the file, the rule "
            "and the key when it is invalid) and print its rules in the order they apply."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="the config file")
    parser.add_argument("--json", action="store_true", help="print the config as JSON")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when an ignore rule has expired"
    )
    parser.add_argument(
        "--today", type=date.fromisoformat, help="the date expiry is judged on (YYYY-MM-DD)"
    )
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from logship.cli._exit import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
    from logship.config import load_config
    from logship.exceptions import ConfigError
    from logship.rules import expired_rules, expiry_warnings

    today: date = args.today or datetime.now(UTC).date()
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        if args.json:
            print(json.dumps({"valid": False, "error": str(exc)}))
        print(f"logship: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(config_json(config, today), indent=2))
    else:
        write_table(config, today, sys.stdout)
    for warning in expiry_warnings(config, today):
        print(f"logship: warning: {warning}", file=sys.stderr)
    if args.strict and expired_rules(config, today):
        return EXIT_FAILURE
    return EXIT_OK


# --- shared with ``logship explain`` ---------------------------------------------------


def matcher_json(matcher: Matcher) -> dict[str, list[str]]:
    """The keys a matcher uses, each with its patterns, in checking order."""
    return {
        key: [p.source for p in matcher.message]
        if key == "message"
        else list(getattr(matcher, key))
        for key in matcher.used_keys()
    }


def matcher_text(matcher: Matcher) -> str:
    """``service=orders root_cause=java.net.*|*Timeout*``: one line for a table."""
    return " ".join(f"{key}={'|'.join(values)}" for key, values in matcher_json(matcher).items())


def rule_json(rule: Rule, today: date) -> dict[str, object]:
    """One rule as JSON: kind, name and matchers, then what the rule does."""
    if isinstance(rule, AnnotateRule):
        return {
            "kind": "annotate",
            "name": rule.name,
            "matchers": matcher_json(rule.match),
            "team": rule.team or None,
            "severity": rule.severity or None,
            "runbook": rule.runbook or None,
            "tags": dict(rule.tags),
        }
    if isinstance(rule, RouteRule):
        return {
            "kind": "route",
            "name": rule.name,
            "matchers": matcher_json(rule.match),
            "eventbridge_bus": rule.eventbridge_bus,
            "detail_type": rule.detail_type,
        }
    if isinstance(rule, IgnoreRule):
        return {
            "kind": "ignore",
            "name": rule.name,
            "matchers": matcher_json(rule.match),
            "reason": rule.reason,
            "until": rule.until.isoformat() if rule.until else None,
            "expired": rule.expired(today),
            "sample": rule.sample or None,
        }
    return {
        "kind": "fingerprint",
        "name": rule.name,
        "matchers": matcher_json(rule.match),
        "fingerprint": list(rule.template),
        "title": rule.title or None,
    }


# --- rendering -------------------------------------------------------------------------


def config_json(config: Config, today: date) -> dict[str, object]:
    """The whole validated config as JSON, rules in the order they apply."""
    rules: list[Rule] = [
        *config.fingerprint_rules,
        *config.ignore_rules,
        *config.annotate_rules,
        *config.route_rules,
    ]
    return {
        "valid": True,
        "source": config.source,
        "settings": {
            "min_level": config.min_level,
            "in_app": list(config.in_app_prefixes),
            "max_events_per_fingerprint": config.max_events_per_fingerprint,
            "regex_timeout_ms": round(config.regex_timeout * 1000),
            "assembly": {
                "max_lines": config.assembly.max_lines,
                "max_chars": config.assembly.max_chars,
                "max_age_ms": config.assembly.max_age_ms,
            },
        },
        "services": [
            {"field": m.field, "pattern": m.pattern, "service": m.service} for m in config.services
        ],
        "environments": dict(config.environments),
        "tags": dict(config.tags),
        "rules": [rule_json(rule, today) for rule in rules],
    }


def write_table(config: Config, today: date, out: TextIO) -> None:
    """The human view: a summary line, the rules table, then the mappings."""
    out.write(
        f"{config.source}: valid: {len(config.fingerprint_rules)} fingerprint rules, "
        f"{len(config.ignore_rules)} ignore rules, {len(config.annotate_rules)} annotate rules, "
        f"{len(config.route_rules)} route rules, {len(config.services)} service mappings\n\n"
    )
    header = ("KIND", "NAME", "MATCHERS", "REASON / FINGERPRINT / GIVES", "UNTIL", "SAMPLE")
    rows = [header]
    for rule in config.fingerprint_rules:
        does = "[" + ", ".join(rule.template) + "]"
        if rule.title:
            does += f" title={rule.title!r}"
        rows.append(("fingerprint", rule.name, matcher_text(rule.match), does, "", ""))
    for ignore in config.ignore_rules:
        until = ignore.until.isoformat() if ignore.until else ""
        if ignore.expired(today):
            until += " EXPIRED"
        sample = f"1 in {ignore.sample}" if ignore.sample else ""
        rows.append(
            ("ignore", ignore.name, matcher_text(ignore.match), ignore.reason, until, sample)
        )
    for annotate in config.annotate_rules:
        gives = [
            f"{key}={value}"
            for key, value in (
                ("team", annotate.team),
                ("severity", annotate.severity),
                ("runbook", annotate.runbook),
            )
            if value
        ]
        gives += [f"tags.{key}={value}" for key, value in annotate.tags]
        rows.append(
            ("annotate", annotate.name, matcher_text(annotate.match), " ".join(gives), "", "")
        )
    for route in config.route_rules:
        to = f"to {route.eventbridge_bus}"
        if route.detail_type != DEFAULT_DETAIL_TYPE:
            to += f" as {route.detail_type}"
        rows.append(("route", route.name, matcher_text(route.match), to, "", ""))
    if len(rows) == 1:
        out.write("no rules\n")
    else:
        write_rows(rows, out)
    out.write("\nsettings:\n")
    out.write(f"  min_level = {config.min_level}\n")
    out.write(f"  in_app = {', '.join(config.in_app_prefixes) or '(parsers decide)'}\n")
    out.write(f"  max_events_per_fingerprint = {config.max_events_per_fingerprint}\n")
    out.write(f"  regex_timeout_ms = {round(config.regex_timeout * 1000)}\n")
    if config.services:
        out.write("services (first match wins):\n")
        for mapping in config.services:
            out.write(f"  {mapping.field} {mapping.pattern} -> {mapping.service}\n")
    if config.environments:
        out.write("environments:\n")
        for account, environment in config.environments:
            out.write(f"  {account} -> {environment}\n")
    if config.tags:
        out.write("tags: " + ", ".join(f"{k}={v}" for k, v in config.tags) + "\n")


def write_rows(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    """Left-aligned columns, cells cut at a readable width."""
    cut = [tuple(_cut(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in cut) for i in range(len(cut[0]))]
    for row in cut:
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write(line.rstrip() + "\n")


def _cut(cell: str) -> str:
    return cell if len(cell) <= _CELL_LIMIT else cell[: _CELL_LIMIT - 1] + "\u2026"
