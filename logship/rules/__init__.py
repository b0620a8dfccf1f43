"""Rules stage: ignore lists, custom fingerprints, owners and routes from ``logship.toml``.

- :func:`load_config` reads and validates the file into an immutable
  :class:`~logship.config.Config` (errors name the file, the rule and the key).
- :func:`decide` applies the rules to one
  :class:`~logship.records.Fingerprinted`: the first matching fingerprint
  rule re-fingerprints it, then the first matching ignore rule drops it (or
  keeps 1 in ``sample``); an error that is kept gets the
  :class:`~logship.records.Annotation` of every matching annotate rule (first
  wins per key) and the names of every matching route rule.
- :func:`expiry_warnings` lists ignore rules past their ``until`` date.

See ``docs/rules.md`` for the file format and a cookbook.

Only :func:`decide` and its :class:`Decision` load with the package: the
loader (TOML, the ``regex`` engine, validation) and the matchers load on first
use of one of their names, so the Lambda's cold start without a rules file
skips them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from logship.records import Decision, RuleCheck, Status

from ._decide import decide, expired_rules, expiry_warnings

if TYPE_CHECKING:
    from ._annotate import annotate_and_route, render_runbook
    from ._load import LEVELS, TEMPLATE_VARIABLES, load_config, parse_config
    from ._match import (
        MatchResult,
        Subject,
        apply_fingerprint_rule,
        match,
        sample_keeps,
        short_name,
        subject_of,
        template_values,
        type_matches,
    )
    from ._safety import nested_quantifier

__all__ = [
    "LEVELS",
    "TEMPLATE_VARIABLES",
    "Decision",
    "MatchResult",
    "RuleCheck",
    "Status",
    "Subject",
    "annotate_and_route",
    "apply_fingerprint_rule",
    "decide",
    "expired_rules",
    "expiry_warnings",
    "load_config",
    "match",
    "nested_quantifier",
    "parse_config",
    "render_runbook",
    "sample_keeps",
    "short_name",
    "subject_of",
    "template_values",
    "type_matches",
]

# Where each lazily loaded name lives (PEP 562).
_LAZY = {
    "LEVELS": "_load",
    "TEMPLATE_VARIABLES": "_load",
    "load_config": "_load",
    "parse_config": "_load",
    "MatchResult": "_match",
    "Subject": "_match",
    "apply_fingerprint_rule": "_match",
    "match": "_match",
    "sample_keeps": "_match",
    "short_name": "_match",
    "subject_of": "_match",
    "template_values": "_match",
    "type_matches": "_match",
    "nested_quantifier": "_safety",
    "annotate_and_route": "_annotate",
    "render_runbook": "_annotate",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later reads are plain attribute lookups
    return value


def __dir__() -> list[str]:
    # The lazy names are listed before their first use, as an eager import would.
    return sorted({*globals(), *__all__})
