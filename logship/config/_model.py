"""The configuration model: what the pipeline stages read, immutable once loaded.

A default ``Config()`` is valid and is what runs without a file. The records a
file's rules and pattern tables become (:class:`~logship.config.rules.IgnoreRule`,
:class:`~logship.config.rules.Matcher`, ...) live in :mod:`logship.config.rules`:
a default ``Config()`` holds none of them, and only a loaded file builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from logship.mask import DEFAULT_MASKS, MaskInstruction

if TYPE_CHECKING:
    from .rules import (
        AnnotateRule,
        FingerprintRule,
        IgnoreRule,
        RouteRule,
        ScrubRule,
        ServiceMapping,
    )

DEFAULT_REGEX_TIMEOUT = 0.05  # seconds per match; a sane rule matches in microseconds

# The level names, least to most severe: ``min_level`` and a matcher's ``level``
# take these (the parse stage's ``logship.parse.line.LEVELS``, checked by a test).
LEVELS: tuple[str, ...] = ("trace", "debug", "info", "warning", "error", "fatal")


@dataclass(frozen=True, slots=True)
class AssemblyLimits:
    """Bounds on one stream's open record, so a runaway trace cannot eat memory."""

    max_lines: int = 2000
    max_chars: int = 512 * 1024
    # A continuation line this long after the entry's previous line starts a new
    # piece: a trace's lines are written within milliseconds.
    max_age_ms: int = 10_000
    # Events of one stream are put back in timestamp order within this window
    # (a payload delivered a little late); see logship.assemble.
    reorder_window_ms: int = 2_000
    max_open_streams: int = 10_000  # beyond this, the least recently used stream is flushed


@dataclass(frozen=True, slots=True)
class ScrubConfig:
    """The ``[scrub]`` table: what the scrubber masks beyond, or instead of, its defaults."""

    patterns: tuple[ScrubRule, ...] = ()  # run after the default patterns
    disable: tuple[str, ...] = ()  # default pattern names, or "denylist" for key-based scrubbing
    keep: tuple[str, ...] = ()  # dotted event paths never scrubbed: "tags.aws_account"


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the pipeline stages read. Build it with :func:`logship.config.load_config`."""

    source: str = "<defaults>"  # the file it came from, for messages
    in_app_prefixes: tuple[str, ...] = ()  # e.g. ("com.shop.", "app/"); empty: a heuristic
    min_level: str = "error"  # records below this level never become errors
    services: tuple[ServiceMapping, ...] = ()
    environments: tuple[tuple[str, str], ...] = ()  # (account id, environment)
    tags: tuple[tuple[str, str], ...] = ()  # static tags for every event
    masks: tuple[MaskInstruction, ...] = DEFAULT_MASKS
    assembly: AssemblyLimits = field(default_factory=AssemblyLimits)
    max_events_per_fingerprint: int = 100  # per run; the rest are counted as suppressed
    ignore_rules: tuple[IgnoreRule, ...] = ()  # the first that matches decides
    fingerprint_rules: tuple[FingerprintRule, ...] = ()  # the first that matches applies
    annotate_rules: tuple[AnnotateRule, ...] = ()  # all that match apply; first wins per key
    route_rules: tuple[RouteRule, ...] = ()  # all that match apply
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT  # seconds per message regex match
    scrub: ScrubConfig = field(default_factory=ScrubConfig)

    def route_rule(self, name: str) -> RouteRule | None:
        """The route rule called ``name``, or None."""
        for rule in self.route_rules:
            if rule.name == name:
                return rule
        return None

    def environment_for(self, account: str) -> str:
        """The environment configured for an AWS account id, or ""."""
        for account_id, environment in self.environments:
            if account_id == account:
                return environment
        return ""
