"""The records a config file's rules and pattern tables become.

``[[ignore]]``, ``[[fingerprint]]``, ``[[annotate]]`` and ``[[route]]`` tables
become :class:`IgnoreRule`, :class:`FingerprintRule`, :class:`AnnotateRule`
and :class:`RouteRule`, each with a :class:`Matcher`; ``[services]`` entries
become :class:`ServiceMapping` and ``[scrub.patterns]`` entries :class:`ScrubRule`.

They live apart from :class:`~logship.config.Config` for the Lambda's cold
start: a default ``Config()`` holds none of them, so only the loader and the
rule matchers import this module, and a function without a rules file never
builds these classes (about 6 ms of ``import lambda_handler`` for the ten
frozen slotted dataclasses; docs/performance.md, "config package"). Import
them from here: ``from logship.config.rules import IgnoreRule``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol


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


# The severities an annotate rule may give, least to most urgent.
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
# The EventBridge detail-type of a route rule's events unless it names another.
DEFAULT_DETAIL_TYPE = "logship.error"


@dataclass(frozen=True, slots=True)
class AnnotateRule:
    """Say who owns the errors ``match`` selects, how urgent they are and what to do.

    Every matching annotate rule applies; for each key the first rule (in file
    order) that sets it wins, and ``tags`` merge key by key the same way.
    ``runbook`` is a URL template with ``{{ variable }}`` placeholders,
    validated at load; "" for each key the rule does not set.
    """

    name: str
    match: Matcher
    team: str = ""
    severity: str = ""  # one of SEVERITIES
    runbook: str = ""
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RouteRule:
    """Publish the errors ``match`` selects to an Amazon EventBridge bus as well.

    Every matching route rule applies: an error can go to several buses. One
    event per fingerprint per run (see :mod:`logship.route`).
    """

    name: str
    match: Matcher
    eventbridge_bus: str  # "default" or an event bus ARN
    detail_type: str = DEFAULT_DETAIL_TYPE


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

    As for the default patterns (:mod:`logship.secret_patterns`), group 1, when the regex
    has groups, is a prefix that stays.
    """

    name: str
    source: str
    compiled: Substituter = field(compare=False, repr=False)
