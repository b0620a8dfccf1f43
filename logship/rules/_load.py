"""Load and validate ``logship.toml`` into an immutable :class:`~logship.config.Config`.

Validation is all-or-nothing: the first problem raises one
:class:`~logship.exceptions.ConfigError` whose message names the file, the
rule (``ignore[2]``, with its name when it has one) and the key. Rules are
numbered from 1, in file order, per kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from logship.config import (
    DEFAULT_DETAIL_TYPE,
    DEFAULT_REGEX_TIMEOUT,
    MATCHER_KEYS,
    SEVERITIES,
    AnnotateRule,
    AssemblyLimits,
    Config,
    FingerprintRule,
    IgnoreRule,
    Matcher,
    MessagePattern,
    RouteRule,
    ScrubConfig,
    ScrubRule,
    ServiceMapping,
)
from logship.exceptions import ConfigError
from logship.scrub import DEFAULT_PATTERNS
from logship.truncate import MAX_TAG_KEY_CHARS as MAX_TAG_KEY
from logship.truncate import MAX_TAG_VALUE_CHARS as MAX_TAG_VALUE

from ._annotate import render_runbook
from ._match import TEMPLATE_VARIABLE
from ._safety import nested_quantifier

# The level names of the parse stage (logship.parse.line.LEVELS, checked by a test).
LEVELS: tuple[str, ...] = ("trace", "debug", "info", "warning", "error", "fatal")

# Variables a fingerprint template may use; see rules._decide.template_values.
TEMPLATE_VARIABLES: tuple[str, ...] = (
    "default",
    "service",
    "type",
    "root_cause",
    "message_template",
    "function",
    "logger",
    "log_group",
    "level",
)

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

MAX_REGEX_TIMEOUT_MS = 1000  # more than this per match would let one rule stall a batch

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
_TOP_KEYS = (
    "min_level",
    "in_app",
    "max_events_per_fingerprint",
    "regex_timeout_ms",
    "services",
    "stream_services",
    "environments",
    "tags",
    "assembly",
    "ignore",
    "fingerprint",
    "annotate",
    "route",
    "scrub",
)
_SCRUB_KEYS = ("patterns", "disable", "keep")
# The top-level keys of a Sentry event logship builds: what a ``keep`` path starts with.
SCRUB_PATH_ROOTS: tuple[str, ...] = (
    "exception",
    "logentry",
    "tags",
    "contexts",
    "request",
    "extra",
    "user",
    "breadcrumbs",
    "fingerprint",
    "logger",
    "environment",
    "release",
)
_SCRUB_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
_ASSEMBLY_KEYS = ("max_lines", "max_bytes", "max_age_ms")
_ACCOUNT_ID = re.compile(r"\d{12}")


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a value sits in the file, for messages: the file and a rule or table."""

    source: str
    section: str  # "top level", "ignore[2] \"client-aborts\"", "services"

    def fail(self, key: str | None, problem: str) -> NoReturn:
        located = f"{self.source}: {self.section}"
        if key is not None:
            located += f": key {key!r}"
        raise ConfigError(f"{located}: {problem}")


def load_config(path: str | Path) -> Config:
    """Read, validate and freeze the config file at ``path``.

    Raises :class:`ConfigError` naming the file, the rule and the key on the
    first problem found: unreadable file, invalid TOML, unknown key, wrong type,
    bad regex or glob, missing reason, bad date.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read the config file: {exc}") from exc
    return parse_config(text, source=source)


def parse_config(text: str, *, source: str = "<string>") -> Config:
    """Validate the TOML ``text`` into a :class:`Config`; ``source`` names it in messages."""
    # The parser and the `regex` engine load only when a config file is given:
    # the Lambda without one never pays for them at cold start.
    import tomllib

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    top = _Where(source, "top level")
    _check_keys(document, _TOP_KEYS, top)

    timeout_ms = _integer(document, "regex_timeout_ms", top, minimum=1)
    if timeout_ms is not None and timeout_ms > MAX_REGEX_TIMEOUT_MS:
        top.fail("regex_timeout_ms", f"must be at most {MAX_REGEX_TIMEOUT_MS}, got {timeout_ms}")
    ignore_rules = tuple(
        _ignore_rule(table, index, source) for index, table in _rule_tables(document, "ignore", top)
    )
    fingerprint_rules = tuple(
        _fingerprint_rule(table, index, source)
        for index, table in _rule_tables(document, "fingerprint", top)
    )
    annotate_rules = tuple(
        _annotate_rule(table, index, source)
        for index, table in _rule_tables(document, "annotate", top)
    )
    route_rules = tuple(
        _route_rule(table, index, source) for index, table in _rule_tables(document, "route", top)
    )
    _check_unique_names(
        {
            "ignore": ignore_rules,
            "fingerprint": fingerprint_rules,
            "annotate": annotate_rules,
            "route": route_rules,
        },
        source,
    )

    defaults = Config()
    max_events = _integer(document, "max_events_per_fingerprint", top, minimum=1)
    return Config(
        source=source,
        in_app_prefixes=_strings(document, "in_app", top),
        min_level=_level(document, "min_level", top) or defaults.min_level,
        services=(
            *_service_mappings(document, "stream_services", "log_stream", source),
            *_service_mappings(document, "services", "log_group", source),
        ),
        environments=_environments(document, source),
        tags=tuple(_string_table(document, "tags", source).items()),
        assembly=_assembly(document, source),
        max_events_per_fingerprint=(
            defaults.max_events_per_fingerprint if max_events is None else max_events
        ),
        ignore_rules=ignore_rules,
        fingerprint_rules=fingerprint_rules,
        annotate_rules=annotate_rules,
        route_rules=route_rules,
        regex_timeout=DEFAULT_REGEX_TIMEOUT if timeout_ms is None else timeout_ms / 1000,
        scrub=_scrub(document, source),
    )


# --- rules ---------------------------------------------------------------------------


def _rule_tables(
    document: Mapping[str, Any], kind: str, top: _Where
) -> list[tuple[int, Mapping[str, Any]]]:
    value = document.get(kind)
    if value is None:
        return []
    if isinstance(value, dict):
        top.fail(kind, f"expected an array of tables, written [[{kind}]], got a single [{kind}]")
    if not isinstance(value, list):
        top.fail(kind, f"expected an array of tables ([[{kind}]]), got {_kind_of(value)}")
    tables: list[tuple[int, Mapping[str, Any]]] = []
    for index, table in enumerate(value, start=1):
        if not isinstance(table, dict):
            _Where(top.source, f"{kind}[{index}]").fail(
                None, f"expected a table ([[{kind}]]), got {_kind_of(table)}"
            )
        tables.append((index, table))
    return tables


def _rule_where(source: str, kind: str, index: int, table: Mapping[str, Any]) -> _Where:
    name = table.get("name")
    label = f"{kind}[{index}]"
    if isinstance(name, str) and name:
        label += f" {name!r}"
    return _Where(source, label)


def _ignore_rule(table: Mapping[str, Any], index: int, source: str) -> IgnoreRule:
    where = _rule_where(source, "ignore", index, table)
    _check_keys(table, _IGNORE_KEYS, where)
    reason = _string(table, "reason", where)
    if reason is None or not reason.strip():
        where.fail("reason", "is required: say why these errors are safe to drop")
    sample = _integer(table, "sample", where, minimum=2)
    return IgnoreRule(
        name=_name(table, where, f"ignore[{index}]"),
        reason=reason.strip(),
        match=_matcher(table, where),
        until=_date(table, "until", where),
        sample=sample or 0,
    )


def _fingerprint_rule(table: Mapping[str, Any], index: int, source: str) -> FingerprintRule:
    where = _rule_where(source, "fingerprint", index, table)
    for key in ("reason", "until", "sample"):
        if key in table:
            where.fail(key, "only [[ignore]] rules take this key")
    _check_keys(table, _FINGERPRINT_KEYS, where)
    if "fingerprint" not in table:
        where.fail("fingerprint", 'is required: a list such as ["{{ service }}", "{{ type }}"]')
    template = _strings(table, "fingerprint", where)
    if not template:
        where.fail("fingerprint", "must hold at least one element")
    for element in template:
        _check_template(element, "fingerprint", where, default_allowed=True)
    title = _string(table, "title", where) or ""
    if title:
        _check_template(title, "title", where, default_allowed=False)
    return FingerprintRule(
        name=_name(table, where, f"fingerprint[{index}]"),
        match=_matcher(table, where),
        template=template,
        title=title,
    )


def _name(table: Mapping[str, Any], where: _Where, default: str) -> str:
    name = _string(table, "name", where)
    if name is None:
        return default
    if not name.strip():
        where.fail("name", "must not be empty")
    return name.strip()


def _check_unique_names(
    kinds: Mapping[str, tuple[IgnoreRule | FingerprintRule | AnnotateRule | RouteRule, ...]],
    source: str,
) -> None:
    """Hit counts and ``explain`` name rules, so two rules may not share a name."""
    seen: dict[str, str] = {}
    for kind, rules in kinds.items():
        for index, rule in enumerate(rules, start=1):
            label = f"{kind}[{index}]"
            if rule.name in seen:
                _Where(source, f"{label} {rule.name!r}").fail(
                    "name", f"is already used by {seen[rule.name]}; rule names must be unique"
                )
            seen[rule.name] = label


def _foreign_keys(table: Mapping[str, Any], kind: str, where: _Where) -> None:
    """A key of another kind of rule: say which kind takes it, not just "unknown"."""
    for key in table:
        owner = _OWN_KEYS.get(key)
        if owner is not None and owner != kind:
            where.fail(key, f"only [[{owner}]] rules take this key")


def _annotate_rule(table: Mapping[str, Any], index: int, source: str) -> AnnotateRule:
    where = _rule_where(source, "annotate", index, table)
    _foreign_keys(table, "annotate", where)
    _check_keys(table, _ANNOTATE_KEYS, where)
    team = _tag_like(table, "team", where)
    severity = _string(table, "severity", where) or ""
    if "severity" in table and severity not in SEVERITIES:
        import difflib

        close = difflib.get_close_matches(severity.lower(), SEVERITIES, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        where.fail(
            "severity", f"unknown severity {severity!r}{hint}; use one of {', '.join(SEVERITIES)}"
        )
    runbook = _string(table, "runbook", where) or ""
    if "runbook" in table:
        _check_runbook(runbook, where)
    tags = _annotate_tags(table, where)
    if not (team or severity or runbook or tags):
        where.fail(None, "sets nothing: give at least one of team, severity, runbook, tags")
    return AnnotateRule(
        name=_name(table, where, f"annotate[{index}]"),
        match=_matcher(table, where),
        team=team,
        severity=severity,
        runbook=runbook,
        tags=tags,
    )


def _tag_like(table: Mapping[str, Any], key: str, where: _Where) -> str:
    """A string that becomes a Sentry tag value: one line, 1 to MAX_TAG_VALUE characters."""
    value = _string(table, key, where)
    if value is None:
        return ""
    _check_tag_value(value, key, where)
    return value


def _check_tag_value(value: str, key: str, where: _Where) -> None:
    if not value.strip():
        where.fail(key, "must not be empty")
    if value != value.strip() or _CONTROL.search(value):
        where.fail(key, f"{value!r} has leading or trailing spaces or control characters")
    if len(value) > MAX_TAG_VALUE:
        where.fail(key, f"is {len(value)} characters; Sentry keeps at most {MAX_TAG_VALUE}")


def _check_runbook(runbook: str, where: _Where) -> None:
    """A URL template whose variables are known and whose rendering is an http(s) URL."""
    from urllib.parse import urlsplit

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


def _annotate_tags(table: Mapping[str, Any], where: _Where) -> tuple[tuple[str, str], ...]:
    value = table.get("tags")
    if value is None:
        return ()
    if not isinstance(value, dict):
        where.fail("tags", f'expected a table such as {{ tier = "1" }}, got {_kind_of(value)}')
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
            where.fail(label, f"expected a string, got {_kind_of(item)}")
        _check_tag_value(item, label, where)
    return tuple(value.items())


def _route_rule(table: Mapping[str, Any], index: int, source: str) -> RouteRule:
    where = _rule_where(source, "route", index, table)
    _foreign_keys(table, "route", where)
    _check_keys(table, _ROUTE_KEYS, where)
    bus = _string(table, "eventbridge_bus", where)
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
    detail_type = _string(table, "detail_type", where)
    if detail_type is not None:
        if not detail_type.strip() or _CONTROL.search(detail_type):
            where.fail("detail_type", "must be one line of text")
        if len(detail_type) > MAX_DETAIL_TYPE:
            where.fail("detail_type", f"is longer than EventBridge's {MAX_DETAIL_TYPE} characters")
    return RouteRule(
        name=_name(table, where, f"route[{index}]"),
        match=_matcher(table, where),
        eventbridge_bus=bus,
        detail_type=detail_type or DEFAULT_DETAIL_TYPE,
    )


def _matcher(table: Mapping[str, Any], where: _Where) -> Matcher:
    values = {key: _strings(table, key, where) for key in MATCHER_KEYS if key != "message"}
    for key in ("level",):
        for level in values[key]:
            if level not in LEVELS:
                where.fail(key, f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    for account in values["account"]:
        if not _ACCOUNT_ID.fullmatch(account) and not _is_glob(account):
            where.fail("account", f"{account!r} is not a 12-digit AWS account id or a glob")
    messages = tuple(
        _message_pattern(pattern, where) for pattern in _strings(table, "message", where)
    )
    matcher = Matcher(message=messages, **values)
    if not matcher.used_keys():
        where.fail(
            None,
            "has no matcher: give at least one of " + ", ".join(MATCHER_KEYS),
        )
    return matcher


def _regex() -> Any:
    """The ``regex`` engine, loaded on first use: only config files need it."""
    import regex  # type: ignore[import-untyped]  # no stubs; see config.Searcher

    return regex


def _message_pattern(pattern: str, where: _Where) -> MessagePattern:
    regex = _regex()

    position = nested_quantifier(pattern)
    if position is not None:
        where.fail(
            "message",
            f"regex {pattern!r} nests unbounded quantifiers (at offset {position}), which can "
            "backtrack for minutes on a near-miss; make the outer one possessive (++, *+) or "
            "the group atomic ((?>...))",
        )
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        where.fail("message", f"bad regex {pattern!r}: {exc}")
    return MessagePattern(pattern, compiled)


def _check_template(text: str, key: str, where: _Where, *, default_allowed: bool) -> None:
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


# --- tables ----------------------------------------------------------------------------


def _service_mappings(
    document: Mapping[str, Any], key: str, field_name: str, source: str
) -> tuple[ServiceMapping, ...]:
    return tuple(
        ServiceMapping(pattern=pattern, service=service, field=field_name)
        for pattern, service in _string_table(document, key, source).items()
    )


def _environments(document: Mapping[str, Any], source: str) -> tuple[tuple[str, str], ...]:
    table = _string_table(document, "environments", source)
    where = _Where(source, "environments")
    for account in table:
        if not _ACCOUNT_ID.fullmatch(account):
            where.fail(account, "is not a 12-digit AWS account id (quote it as a string key)")
    return tuple(table.items())


def _string_table(document: Mapping[str, Any], key: str, source: str) -> dict[str, str]:
    value = document.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        _Where(source, "top level").fail(key, f"expected a table ([{key}]), got {_kind_of(value)}")
    where = _Where(source, key)
    for name, item in value.items():
        if not isinstance(item, str):
            where.fail(name, f"expected a string, got {_kind_of(item)}")
        if not item.strip():
            where.fail(name, "must not be empty")
    return dict(value)


def _assembly(document: Mapping[str, Any], source: str) -> AssemblyLimits:
    value = document.get("assembly")
    if value is None:
        return AssemblyLimits()
    if not isinstance(value, dict):
        _Where(source, "top level").fail(
            "assembly", f"expected a table ([assembly]), got {_kind_of(value)}"
        )
    where = _Where(source, "assembly")
    _check_keys(value, _ASSEMBLY_KEYS, where)
    defaults = AssemblyLimits()
    limits = {key: _integer(value, key, where, minimum=1) for key in _ASSEMBLY_KEYS}
    return AssemblyLimits(
        max_lines=limits["max_lines"] or defaults.max_lines,
        max_bytes=limits["max_bytes"] or defaults.max_bytes,
        max_age_ms=limits["max_age_ms"] or defaults.max_age_ms,
    )


def _scrub(document: Mapping[str, Any], source: str) -> ScrubConfig:
    """The ``[scrub]`` table: ``patterns`` (name = regex), ``disable`` and ``keep``."""
    import difflib

    value = document.get("scrub")
    if value is None:
        return ScrubConfig()
    if not isinstance(value, dict):
        _Where(source, "top level").fail(
            "scrub", f"expected a table ([scrub]), got {_kind_of(value)}"
        )
    where = _Where(source, "scrub")
    _check_keys(value, _SCRUB_KEYS, where)
    defaults = tuple(dict.fromkeys(p.name for p in DEFAULT_PATTERNS))
    disable = _strings(value, "disable", where)
    for name in disable:
        if name not in (*defaults, "denylist"):
            close = difflib.get_close_matches(name, (*defaults, "denylist"), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where.fail(
                "disable",
                f"unknown pattern {name!r}{hint}; default patterns: {', '.join(defaults)}, "
                "and 'denylist' for the key-based scrubbing",
            )
    keep = _strings(value, "keep", where)
    for path in keep:
        parts = path.split(".")
        if any(not part for part in parts):
            where.fail("keep", f"{path!r} is not a dotted field path such as 'tags.aws_account'")
        if parts[0] not in SCRUB_PATH_ROOTS:
            close = difflib.get_close_matches(parts[0], SCRUB_PATH_ROOTS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where.fail(
                "keep",
                f"{path!r} does not start with an event field{hint}; "
                f"known: {', '.join(SCRUB_PATH_ROOTS)}",
            )
    return ScrubConfig(
        patterns=_scrub_patterns(value.get("patterns"), defaults, source),
        disable=disable,
        keep=keep,
    )


def _scrub_patterns(value: object, defaults: tuple[str, ...], source: str) -> tuple[ScrubRule, ...]:
    regex = _regex()

    if value is None:
        return ()
    if not isinstance(value, dict):
        _Where(source, "scrub").fail(
            "patterns",
            f"expected a table of name = regex ([scrub.patterns]), got {_kind_of(value)}",
        )
    where = _Where(source, "scrub.patterns")
    rules = []
    for name, pattern in value.items():
        if not _SCRUB_NAME.fullmatch(name):
            where.fail(name, "a pattern name is 1 to 40 letters, digits, '_' or '-'")
        if name in defaults:
            where.fail(
                name,
                "is the name of a default pattern; give yours another name "
                "(and add the default's name to scrub.disable to replace it)",
            )
        if not isinstance(pattern, str) or not pattern:
            where.fail(name, f"expected a regex string, got {_kind_of(pattern)}")
        position = nested_quantifier(pattern)
        if position is not None:
            where.fail(
                name,
                f"regex {pattern!r} nests unbounded quantifiers (at offset {position}), which "
                "can backtrack for minutes; make the outer one possessive (++, *+) or the "
                "group atomic ((?>...))",
            )
        try:
            compiled = regex.compile(pattern)
        except regex.error as exc:
            where.fail(name, f"bad regex {pattern!r}: {exc}")
        if compiled.fullmatch(""):
            where.fail(name, f"regex {pattern!r} matches the empty string")
        rules.append(ScrubRule(name, pattern, compiled))
    return tuple(rules)


# --- values ----------------------------------------------------------------------------


def _check_keys(table: Mapping[str, Any], known: tuple[str, ...], where: _Where) -> None:
    import difflib

    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where.fail(key, f"unknown key{hint}; known keys: {', '.join(known)}")


def _string(table: Mapping[str, Any], key: str, where: _Where) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        where.fail(key, f"expected a string, got {_kind_of(value)}")
    return value


def _strings(table: Mapping[str, Any], key: str, where: _Where) -> tuple[str, ...]:
    """A string or an array of strings, as a tuple; absent is empty."""
    value = table.get(key)
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        hint = " (quote account ids)" if key == "account" and isinstance(value, int) else ""
        where.fail(key, f"expected a string or an array of strings, got {_kind_of(value)}{hint}")
    for item in items:
        if not isinstance(item, str):
            where.fail(key, f"expected strings, got {_kind_of(item)} {item!r}")
        if not item:
            where.fail(key, "must not hold an empty string")
    return tuple(items)


def _integer(table: Mapping[str, Any], key: str, where: _Where, *, minimum: int) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    # bool is an int in Python; `sample = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        where.fail(key, f"expected an integer, got {_kind_of(value)}")
    if value < minimum:
        where.fail(key, f"must be at least {minimum}, got {value}")
    return value


def _level(table: Mapping[str, Any], key: str, where: _Where) -> str | None:
    level = _string(table, key, where)
    if level is not None and level not in LEVELS:
        where.fail(key, f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    return level


def _date(table: Mapping[str, Any], key: str, where: _Where) -> date | None:
    """A TOML local date (``until = 2024-06-30``) or the same as a string."""
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        where.fail(key, f"expected a date such as 2024-06-30, got a date-time {value.isoformat()}")
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        where.fail(key, f"expected a date such as 2024-06-30, got {_kind_of(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        where.fail(key, f"bad date {value!r}: {exc}; write it as 2024-06-30")


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def _kind_of(value: object) -> str:
    kinds: list[tuple[type, str]] = [
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list, "an array"),
        (dict, "a table"),
        (datetime, "a date-time"),
        (date, "a date"),
    ]
    for kind, name in kinds:
        if isinstance(value, kind):
            return name
    return type(value).__name__
