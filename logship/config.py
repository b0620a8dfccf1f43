"""Configuration: what the pipeline needs to know, immutable once loaded.

The full ``logship.toml`` loader (ignore and fingerprint rules, validation with
errors that name the file, the rule and the key) lives in :mod:`logship.rules`
and produces a :class:`Config`; a default ``Config()`` is valid and used when no
file is given.

The rule records live here rather than in :mod:`logship.rules` so that
``Config`` can hold them without an import cycle: this module is plain data,
``rules`` is the code that loads, matches and decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from logship.mask import DEFAULT_MASKS, MaskInstruction

DEFAULT_REGEX_TIMEOUT = 0.05  # seconds per match; a sane rule matches in microseconds


class Searcher(Protocol):
    """A compiled pattern of the ``regex`` package (which ships no type stubs)."""

    def search(self, string: str, *, timeout: float | None = None) -> object | None: ...


@dataclass(frozen=True, slots=True)
class MessagePattern:
    """A message regex, compiled once at load with the ``regex`` package."""

    source: str
    compiled: Searcher = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Matcher:
    """What a rule matches. Every non-empty key must match; within a key, any value.

    Globs use :func:`fnmatch.fnmatchcase`. Exception type globs match the full
    name or the short one (``SocketTimeoutException`` matches
    ``java.net.SocketTimeoutException``).
    """

    service: tuple[str, ...] = ()
    log_group: tuple[str, ...] = ()
    log_stream: tuple[str, ...] = ()
    account: tuple[str, ...] = ()
    environment: tuple[str, ...] = ()
    level: tuple[str, ...] = ()  # exact Sentry level names
    logger: tuple[str, ...] = ()
    exception: tuple[str, ...] = ()  # any exception of the chain
    exception_top: tuple[str, ...] = ()  # the outermost exception only
    root_cause: tuple[str, ...] = ()  # the innermost exception only
    message_glob: tuple[str, ...] = ()
    message: tuple[MessagePattern, ...] = ()  # regexes, searched; checked last (the costliest)

    def used_keys(self) -> tuple[str, ...]:
        """The names of the keys this matcher uses, in checking order."""
        return tuple(name for name in MATCHER_KEYS if getattr(self, name))


# The order in which matcher keys are checked: cheap comparisons first, regexes last.
MATCHER_KEYS: tuple[str, ...] = (
    "service",
    "log_group",
    "log_stream",
    "account",
    "environment",
    "level",
    "logger",
    "exception",
    "exception_top",
    "root_cause",
    "message_glob",
    "message",
)


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """Drop the errors ``match`` selects, for ``reason``, until ``until`` (inclusive)."""

    name: str
    reason: str
    match: Matcher
    until: date | None = None
    sample: int = 0  # keep 1 in ``sample`` matching errors; 0 drops them all

    def expired(self, today: date) -> bool:
        """Whether the rule stopped applying before ``today``."""
        return self.until is not None and today > self.until


@dataclass(frozen=True, slots=True)
class FingerprintRule:
    """Give the errors ``match`` selects the fingerprint rendered from ``template``.

    ``template`` holds strings with ``{{ variable }}`` placeholders, validated at
    load; a ``{{ default }}`` element expands to the default fingerprint.
    """

    name: str
    match: Matcher
    template: tuple[str, ...]
    title: str = ""  # a title template; "" keeps the default title


@dataclass(frozen=True, slots=True)
class AssemblyLimits:
    """Bounds on one stream's open record, so a runaway trace cannot eat memory."""

    max_lines: int = 2000
    max_bytes: int = 512 * 1024
    # A continuation line this long after the entry's previous line starts a new
    # piece: a trace's lines are written within milliseconds.
    max_age_ms: int = 10_000
    # Events of one stream are put back in timestamp order within this window
    # (a payload delivered a little late); see logship.assemble.
    reorder_window_ms: int = 2_000
    max_open_streams: int = 10_000  # beyond this, the least recently used stream is flushed


@dataclass(frozen=True, slots=True)
class ServiceMapping:
    """Log groups or streams matching ``pattern`` (a glob) belong to ``service``."""

    pattern: str
    service: str
    field: str = "log_group"  # or "log_stream"


class Substituter(Protocol):
    """A compiled pattern of the ``regex`` package, as the scrubber uses it."""

    def sub(self, repl: Any, string: str, *, timeout: float | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class ScrubRule:
    """A user's scrub pattern: what ``compiled`` matches becomes ``[Filtered:<name>]``.

    As for the default patterns (:mod:`logship.scrub`), group 1, when the regex
    has groups, is a prefix that stays.
    """

    name: str
    source: str
    compiled: Substituter = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ScrubConfig:
    """The ``[scrub]`` table: what the scrubber masks beyond, or instead of, its defaults."""

    patterns: tuple[ScrubRule, ...] = ()  # run after the default patterns
    disable: tuple[str, ...] = ()  # default pattern names, or "denylist" for key-based scrubbing
    keep: tuple[str, ...] = ()  # dotted event paths never scrubbed: "tags.aws_account"


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the pipeline stages read. Build it with :func:`logship.rules.load_config`."""

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
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT  # seconds per message regex match
    scrub: ScrubConfig = field(default_factory=ScrubConfig)

    def environment_for(self, account: str) -> str:
        """The environment configured for an AWS account id, or ""."""
        for account_id, environment in self.environments:
            if account_id == account:
                return environment
        return ""
