"""The rule tables of a config file: ignore, fingerprint, annotate and route rules.

Each ``[[ignore]]``, ``[[fingerprint]]``, ``[[annotate]]`` or ``[[route]]``
table becomes its record (:mod:`logship.config.rules`) or fails with a message
naming the file, the rule (``ignore[2]``, with its name when it has one) and
the key. Rules are numbered from 1, in file order, per kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from logship.truncate import MAX_TAG_KEY_CHARS as MAX_TAG_KEY
from logship.truncate import MAX_TAG_VALUE_CHARS as MAX_TAG_VALUE

from ._model import LEVELS
from ._values import (
    ACCOUNT_ID,
    Where,
    check_keys,
    compiled_regex,
    did_you_mean,
    integer,
    is_glob,
    iso_date,
    kind_of,
    string,
    strings,
)
from .rules import (
    DEFAULT_DETAIL_TYPE,
    MATCHER_KEYS,
    SEVERITIES,
    AnnotateRule,
    FingerprintRule,
    IgnoreRule,
    Matcher,
    MessagePattern,
    RouteRule,
)
from .templates import TEMPLATE_VARIABLE, TEMPLATE_VARIABLES, render_runbook

# What a runbook template is rendered with at load, to check that it makes a URL.
SAMPLE_VALUES: dict[str, str] = {
    "service": "orders",
    "type": "com.shop.OrderException",
    "root_cause": "java.net.SocketTimeoutException",
    "message_template": "timeout calling payments after <DURATION>",
    "function": "com.shop.PaymentClient.charge",
    "logger": "com.shop.OrderController",
    "log_group": "/ecs/orders",
    "level": "error",
}

_RULE_KEYS = ("name",)
_IGNORE_KEYS = (*_RULE_KEYS, "reason", "until", "sample", *MATCHER_KEYS)
_FINGERPRINT_KEYS = (*_RULE_KEYS, "fingerprint", "title", *MATCHER_KEYS)
_ANNOTATE_KEYS = (*_RULE_KEYS, "team", "severity", "runbook", "tags", *MATCHER_KEYS)
_ROUTE_KEYS = (*_RULE_KEYS, "eventbridge_bus", "detail_type", *MATCHER_KEYS)
# The keys only one kind of rule takes: named in the message when another kind has one.
_OWN_KEYS: dict[str, str] = {
    "reason": "ignore",
    "until": "ignore",
    "sample": "ignore",
    "fingerprint": "fingerprint",
    "title": "fingerprint",
    "team": "annotate",
    "severity": "annotate",
    "runbook": "annotate",
    "tags": "annotate",
    "eventbridge_bus": "route",
    "detail_type": "route",
}
# Sentry's tag keys: letters, digits and "_.:-", at most MAX_TAG_KEY of them.
_TAG_KEY = re.compile(r"[A-Za-z0-9_.:-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# "default", or an event bus ARN in any partition (aws, aws-cn, aws-us-gov).
_BUS_ARN = re.compile(r"arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]{1,256}")
MAX_DETAIL_TYPE = 128  # EventBridge's limit on an entry's DetailType


def rule_tables(
    document: Mapping[str, Any], kind: str, top: Where
) -> list[tuple[int, Mapping[str, Any]]]:
    value = document.get(kind)
    if value is None:
        return []
    if isinstance(value, dict):
        top.fail(kind, f"expected an array of tables, written [[{kind}]], got a single [{kind}]")
    if not isinstance(value, list):
        top.fail(kind, f"expected an array of tables ([[{kind}]]), got {kind_of(value)}")
    tables: list[tuple[int, Mapping[str, Any]]] = []
    for index, table in enumerate(value, start=1):
        if not isinstance(table, dict):
            Where(top.source, f"{kind}[{index}]").fail(
                None, f"expected a table ([[{kind}]]), got {kind_of(table)}"
            )
        tables.append((index, table))
    return tables


def rule_where(source: str, kind: str, index: int, table: Mapping[str, Any]) -> Where:
    name = table.get("name")
    label = f"{kind}[{index}]"
    if isinstance(name, str) and name:
        label += f" {name!r}"
    return Where(source, label)


def ignore_rule(table: Mapping[str, Any], index: int, source: str) -> IgnoreRule:
    where = rule_where(source, "ignore", index, table)
    check_keys(table, _IGNORE_KEYS, where)
    reason = string(table, "reason", where)
    if reason is None or not reason.strip():
        where.fail("reason", "is required: say why these errors are safe to drop")
    sample = integer(table, "sample", where, minimum=2)
    return IgnoreRule(
        name=_name(table, where, f"ignore[{index}]"),
        reason=reason.strip(),
        match=matcher(table, where),
        until=iso_date(table, "until", where),
        sample=sample or 0,
    )


def fingerprint_rule(table: Mapping[str, Any], index: int, source: str) -> FingerprintRule:
    where = rule_where(source, "fingerprint", index, table)
    for key in ("reason", "until", "sample"):
        if key in table:
            where.fail(key, "only [[ignore]] rules take this key")
    check_keys(table, _FINGERPRINT_KEYS, where)
    if "fingerprint" not in table:
        where.fail("fingerprint", 'is required: a list such as ["{{ service }}", "{{ type }}"]')
    template = strings(table, "fingerprint", where)
    if not template:
        where.fail("fingerprint", "must hold at least one element")
    for element in template:
        _check_template(element, "fingerprint", where, default_allowed=True)
    title = string(table, "title", where) or ""
    if title:
        _check_template(title, "title", where, default_allowed=False)
    return FingerprintRule(
        name=_name(table, where, f"fingerprint[{index}]"),
        match=matcher(table, where),
        template=template,
        title=title,
    )


def _name(table: Mapping[str, Any], where: Where, default: str) -> str:
    name = string(table, "name", where)
    if name is None:
        return default
    if not name.strip():
        where.fail("name", "must not be empty")
    return name.strip()


def check_unique_names(
    kinds: Mapping[str, tuple[IgnoreRule | FingerprintRule | AnnotateRule | RouteRule, ...]],
    source: str,
) -> None:
    """Hit counts and ``explain`` name rules, so two rules may not share a name."""
    seen: dict[str, str] = {}
    for kind, rules in kinds.items():
        for index, rule in enumerate(rules, start=1):
            label = f"{kind}[{index}]"
            if rule.name in seen:
                Where(source, f"{label} {rule.name!r}").fail(
                    "name", f"is already used by {seen[rule.name]}; rule names must be unique"
                )
            seen[rule.name] = label


def _foreign_keys(table: Mapping[str, Any], kind: str, where: Where) -> None:
    """A key of another kind of rule: say which kind takes it, not just "unknown"."""
    for key in table:
        owner = _OWN_KEYS.get(key)
        if owner is not None and owner != kind:
            where.fail(key, f"only [[{owner}]] rules take this key")


def annotate_rule(table: Mapping[str, Any], index: int, source: str) -> AnnotateRule:
    where = rule_where(source, "annotate", index, table)
    _foreign_keys(table, "annotate", where)
    check_keys(table, _ANNOTATE_KEYS, where)
    team = _tag_like(table, "team", where)
    severity = string(table, "severity", where) or ""
    if "severity" in table and severity not in SEVERITIES:
        hint = did_you_mean(severity.lower(), SEVERITIES, cutoff=0.6)
        where.fail(
            "severity", f"unknown severity {severity!r}{hint}; use one of {', '.join(SEVERITIES)}"
        )
    runbook = string(table, "runbook", where) or ""
    if "runbook" in table:
        _check_runbook(runbook, where)
    tags = _annotate_tags(table, where)
    if not (team or severity or runbook or tags):
        where.fail(None, "sets nothing: give at least one of team, severity, runbook, tags")
    return AnnotateRule(
        name=_name(table, where, f"annotate[{index}]"),
        match=matcher(table, where),
        team=team,
        severity=severity,
        runbook=runbook,
        tags=tags,
    )


def _tag_like(table: Mapping[str, Any], key: str, where: Where) -> str:
    """A string that becomes a Sentry tag value: one line, 1 to MAX_TAG_VALUE characters."""
    value = string(table, key, where)
    if value is None:
        return ""
    _check_tag_value(value, key, where)
    return value


def _check_tag_value(value: str, key: str, where: Where) -> None:
    if not value.strip():
        where.fail(key, "must not be empty")
    if value != value.strip() or _CONTROL.search(value):
        where.fail(key, f"{value!r} has leading or trailing spaces or control characters")
    if len(value) > MAX_TAG_VALUE:
        where.fail(key, f"is {len(value)} characters; Sentry keeps at most {MAX_TAG_VALUE}")


def _check_runbook(runbook: str, where: Where) -> None:
    """A URL template whose variables are known and whose rendering is an http(s) URL."""
    _check_template(runbook, "runbook", where, default_allowed=False)
    rendered = render_runbook(runbook, SAMPLE_VALUES)
    parts = urlsplit(rendered)
    is_url = parts.scheme in ("http", "https") and bool(parts.netloc)
    if not is_url or any(char.isspace() for char in rendered):
        where.fail(
            "runbook",
            f"{runbook!r} does not make an http(s) URL (for a sample error it gives "
            f"{rendered!r}); write it as https://host/path/{{{{ service }}}}",
        )
    if len(rendered) > MAX_TAG_VALUE * 10:
        where.fail("runbook", f"is longer than {MAX_TAG_VALUE * 10} characters")


def _annotate_tags(table: Mapping[str, Any], where: Where) -> tuple[tuple[str, str], ...]:
    value = table.get("tags")
    if value is None:
        return ()
    if not isinstance(value, dict):
        where.fail("tags", f'expected a table such as {{ tier = "1" }}, got {kind_of(value)}')
    for key, item in value.items():
        label = f"tags.{key}"
        if key in ("team", "severity"):
            where.fail(label, f"set the rule's own {key!r} key instead of a tag of that name")
        if not _TAG_KEY.fullmatch(key) or len(key) > MAX_TAG_KEY:
            where.fail(
                label,
                f"a Sentry tag key is 1 to {MAX_TAG_KEY} letters, digits or '_', '.', ':', '-'",
            )
        if not isinstance(item, str):
            where.fail(label, f"expected a string, got {kind_of(item)}")
        _check_tag_value(item, label, where)
    return tuple(value.items())


def route_rule(table: Mapping[str, Any], index: int, source: str) -> RouteRule:
    where = rule_where(source, "route", index, table)
    _foreign_keys(table, "route", where)
    check_keys(table, _ROUTE_KEYS, where)
    bus = string(table, "eventbridge_bus", where)
    if bus is None:
        where.fail(
            "eventbridge_bus",
            'is required: "default" or an event bus ARN '
            "(arn:aws:events:REGION:ACCOUNT:event-bus/NAME)",
        )
    if bus != "default" and not _BUS_ARN.fullmatch(bus):
        where.fail(
            "eventbridge_bus",
            f'{bus!r} is neither "default" nor an event bus ARN '
            "(arn:aws:events:REGION:ACCOUNT:event-bus/NAME); the function's role is "
            "granted events:PutEvents per ARN",
        )
    detail_type = string(table, "detail_type", where)
    if detail_type is not None:
        if not detail_type.strip() or _CONTROL.search(detail_type):
            where.fail("detail_type", "must be one line of text")
        if len(detail_type) > MAX_DETAIL_TYPE:
            where.fail("detail_type", f"is longer than EventBridge's {MAX_DETAIL_TYPE} characters")
    return RouteRule(
        name=_name(table, where, f"route[{index}]"),
        match=matcher(table, where),
        eventbridge_bus=bus,
        detail_type=detail_type or DEFAULT_DETAIL_TYPE,
    )


def matcher(table: Mapping[str, Any], where: Where) -> Matcher:
    values = {key: strings(table, key, where) for key in MATCHER_KEYS if key != "message"}
    for key in ("level",):
        for level in values[key]:
            if level not in LEVELS:
                where.fail(key, f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    for account in values["account"]:
        if not ACCOUNT_ID.fullmatch(account) and not is_glob(account):
            where.fail("account", f"{account!r} is not a 12-digit AWS account id or a glob")
    messages = tuple(
        _message_pattern(pattern, where) for pattern in strings(table, "message", where)
    )
    matcher = Matcher(message=messages, **values)
    if not matcher.used_keys():
        where.fail(
            None,
            "has no matcher: give at least one of " + ", ".join(MATCHER_KEYS),
        )
    return matcher


def _message_pattern(pattern: str, where: Where) -> MessagePattern:
    compiled = compiled_regex(pattern, "message", where, hint="for minutes on a near-miss")
    return MessagePattern(pattern, compiled)


def _check_template(text: str, key: str, where: Where, *, default_allowed: bool) -> None:
    for match in TEMPLATE_VARIABLE.finditer(text):
        variable = match.group(1)
        if variable not in TEMPLATE_VARIABLES:
            where.fail(
                key,
                f"unknown variable {{{{ {variable} }}}} in {text!r}; known: "
                + ", ".join(TEMPLATE_VARIABLES),
            )
        if variable == "default":
            if not default_allowed:
                where.fail(key, "{{ default }} can only be a fingerprint element")
            if match.group(0) != text:
                where.fail(key, f"{{{{ default }}}} must be a whole element, not part of {text!r}")
    leftover = TEMPLATE_VARIABLE.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        where.fail(key, f"unbalanced '{{{{' or '}}}}' in {text!r}")
