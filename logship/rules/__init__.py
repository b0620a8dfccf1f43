"""Rules stage: ignore lists, custom fingerprints and service mapping from ``logship.toml``.

- :func:`load_config` reads and validates the file into an immutable
  :class:`~logship.config.Config` (errors name the file, the rule and the key).
- :func:`decide` applies the rules to one
  :class:`~logship.records.Fingerprinted`: the first matching fingerprint
  rule re-fingerprints it, then the first matching ignore rule drops it (or
  keeps 1 in ``sample``).
- :func:`expiry_warnings` lists ignore rules past their ``until`` date.

See ``docs/rules.md`` for the file format and a cookbook.
"""

from __future__ import annotations

from ._decide import (
    Decision,
    MatchResult,
    RuleCheck,
    Status,
    Subject,
    apply_fingerprint_rule,
    decide,
    expired_rules,
    expiry_warnings,
    match,
    sample_keeps,
    short_name,
    subject_of,
    template_values,
    type_matches,
)
from ._load import LEVELS, TEMPLATE_VARIABLES, load_config, parse_config
from ._safety import nested_quantifier

__all__ = [
    "LEVELS",
    "TEMPLATE_VARIABLES",
    "Decision",
    "MatchResult",
    "RuleCheck",
    "Status",
    "Subject",
    "apply_fingerprint_rule",
    "decide",
    "expired_rules",
    "expiry_warnings",
    "load_config",
    "match",
    "nested_quantifier",
    "parse_config",
    "sample_keeps",
    "short_name",
    "subject_of",
    "template_values",
    "type_matches",
]
