"""A parsed config file's top level and tables into a :class:`~logship.config.Config`.

The top-level keys, ``[services]``, ``[stream_services]``, ``[environments]``,
``[tags]``, ``[assembly]`` and ``[scrub]`` are read here; the rule tables in
:mod:`logship.config._rule_tables`. Validation is all-or-nothing: the first
problem raises one :class:`~logship.exceptions.ConfigError` naming the file,
the table and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from logship.secret_patterns import DEFAULT_PATTERNS

from ._model import DEFAULT_REGEX_TIMEOUT, AssemblyLimits, Config, ScrubConfig
from ._rule_tables import (
    annotate_rule,
    check_unique_names,
    fingerprint_rule,
    ignore_rule,
    route_rule,
    rule_tables,
)
from ._values import (
    ACCOUNT_ID,
    Where,
    check_keys,
    compiled_regex,
    did_you_mean,
    integer,
    kind_of,
    level,
    strings,
)
from .rules import ScrubRule, ServiceMapping

MAX_REGEX_TIMEOUT_MS = 1000  # more than this per match would let one rule stall a batch

TOP_KEYS = (
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
_ASSEMBLY_KEYS = ("max_lines", "max_chars", "max_age_ms")
_OLD_MAX_CHARS = "max_bytes"  # still read: configs written for the first release


def config_of(document: Mapping[str, Any], source: str) -> Config:
    """Validate the parsed TOML ``document`` into a :class:`Config`; ``source`` names it."""
    top = Where(source, "top level")
    check_keys(document, TOP_KEYS, top)

    timeout_ms = integer(document, "regex_timeout_ms", top, minimum=1)
    if timeout_ms is not None and timeout_ms > MAX_REGEX_TIMEOUT_MS:
        top.fail("regex_timeout_ms", f"must be at most {MAX_REGEX_TIMEOUT_MS}, got {timeout_ms}")
    ignore_rules = tuple(
        ignore_rule(table, index, source) for index, table in rule_tables(document, "ignore", top)
    )
    fingerprint_rules = tuple(
        fingerprint_rule(table, index, source)
        for index, table in rule_tables(document, "fingerprint", top)
    )
    annotate_rules = tuple(
        annotate_rule(table, index, source)
        for index, table in rule_tables(document, "annotate", top)
    )
    route_rules = tuple(
        route_rule(table, index, source) for index, table in rule_tables(document, "route", top)
    )
    check_unique_names(
        {
            "ignore": ignore_rules,
            "fingerprint": fingerprint_rules,
            "annotate": annotate_rules,
            "route": route_rules,
        },
        source,
    )

    defaults = Config()
    max_events = integer(document, "max_events_per_fingerprint", top, minimum=1)
    return Config(
        source=source,
        in_app_prefixes=strings(document, "in_app", top),
        min_level=level(document, "min_level", top) or defaults.min_level,
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


def _service_mappings(
    document: Mapping[str, Any], key: str, field_name: str, source: str
) -> tuple[ServiceMapping, ...]:
    return tuple(
        ServiceMapping(pattern=pattern, service=service, field=field_name)
        for pattern, service in _string_table(document, key, source).items()
    )


def _environments(document: Mapping[str, Any], source: str) -> tuple[tuple[str, str], ...]:
    table = _string_table(document, "environments", source)
    where = Where(source, "environments")
    for account in table:
        if not ACCOUNT_ID.fullmatch(account):
            where.fail(account, "is not a 12-digit AWS account id (quote it as a string key)")
    return tuple(table.items())


def _table(document: Mapping[str, Any], key: str, source: str) -> dict[str, Any] | None:
    """The top-level table ``[key]``, or None when the file has none."""
    value = document.get(key)
    if value is not None and not isinstance(value, dict):
        Where(source, "top level").fail(key, f"expected a table ([{key}]), got {kind_of(value)}")
    return value


def _string_table(document: Mapping[str, Any], key: str, source: str) -> dict[str, str]:
    value = _table(document, key, source)
    if value is None:
        return {}
    where = Where(source, key)
    for name, item in value.items():
        if not isinstance(item, str):
            where.fail(name, f"expected a string, got {kind_of(item)}")
        if not item.strip():
            where.fail(name, "must not be empty")
    return dict(value)


def _assembly(document: Mapping[str, Any], source: str) -> AssemblyLimits:
    value = _table(document, "assembly", source)
    if value is None:
        return AssemblyLimits()
    where = Where(source, "assembly")
    if _OLD_MAX_CHARS in value:
        # The first release called it max_bytes; it always counted characters.
        if "max_chars" in value:
            where.fail(_OLD_MAX_CHARS, "is the old name of max_chars: give only max_chars")
        value = {("max_chars" if k == _OLD_MAX_CHARS else k): v for k, v in value.items()}
    check_keys(value, _ASSEMBLY_KEYS, where)
    defaults = AssemblyLimits()
    limits = {key: integer(value, key, where, minimum=1) for key in _ASSEMBLY_KEYS}
    return AssemblyLimits(
        max_lines=limits["max_lines"] or defaults.max_lines,
        max_chars=limits["max_chars"] or defaults.max_chars,
        max_age_ms=limits["max_age_ms"] or defaults.max_age_ms,
    )


def _scrub(document: Mapping[str, Any], source: str) -> ScrubConfig:
    """The ``[scrub]`` table: ``patterns`` (name = regex), ``disable`` and ``keep``."""
    value = _table(document, "scrub", source)
    if value is None:
        return ScrubConfig()
    where = Where(source, "scrub")
    check_keys(value, _SCRUB_KEYS, where)
    defaults = tuple(dict.fromkeys(p.name for p in DEFAULT_PATTERNS))
    disable = strings(value, "disable", where)
    for name in disable:
        if name not in (*defaults, "denylist"):
            hint = did_you_mean(name, (*defaults, "denylist"), cutoff=0.6)
            where.fail(
                "disable",
                f"unknown pattern {name!r}{hint}; default patterns: {', '.join(defaults)}, "
                "and 'denylist' for the key-based scrubbing",
            )
    keep = strings(value, "keep", where)
    for path in keep:
        parts = path.split(".")
        if any(not part for part in parts):
            where.fail("keep", f"{path!r} is not a dotted field path such as 'tags.aws_account'")
        if parts[0] not in SCRUB_PATH_ROOTS:
            hint = did_you_mean(parts[0], SCRUB_PATH_ROOTS, cutoff=0.6)
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
    if value is None:
        return ()
    if not isinstance(value, dict):
        Where(source, "scrub").fail(
            "patterns",
            f"expected a table of name = regex ([scrub.patterns]), got {kind_of(value)}",
        )
    where = Where(source, "scrub.patterns")
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
            where.fail(name, f"expected a regex string, got {kind_of(pattern)}")
        compiled = compiled_regex(pattern, name, where, hint="for minutes")
        if compiled.fullmatch(""):
            where.fail(name, f"regex {pattern!r} matches the empty string")
        rules.append(ScrubRule(name, pattern, compiled))
    return tuple(rules)
