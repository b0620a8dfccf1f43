"""Matching rules against errors: matchers, fingerprint templates, sampling, explanations.

Loaded by :func:`logship.rules.decide` with the first config that has rules
(and by whoever imports these names): a Lambda without rules never builds
these classes, which keeps its cold start short.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from logship.config.templates import TEMPLATE_VARIABLE
from logship.fingerprint import UNTYPED_MARKER, qualified_function
from logship.records import Decision, RuleCheck, Status

if TYPE_CHECKING:
    from datetime import date

    from logship.config import Config
    from logship.config.rules import FingerprintRule, IgnoreRule, Matcher
    from logship.records import Fingerprinted

NO_FUNCTION = "<no-in-app-frame>"
NO_LOGGER = "<no-logger>"
_TITLE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Subject:
    """The facts of one error that rules match on, gathered once per error."""

    service: str
    log_group: str
    log_stream: str
    account: str
    environment: str
    level: str
    logger: str
    types: tuple[str, ...]  # every exception type of the chain, outermost first
    messages: tuple[str, ...]  # the log message, then each exception's message


def subject_of(item: Fingerprinted, config: Config) -> Subject:
    """What rules see of ``item``; the environment comes from ``config.environments``."""
    error = item.error
    messages = tuple(dict.fromkeys((error.message, *(exc.message for exc in error.chain))))
    return Subject(
        service=error.service,
        log_group=error.log_group,
        log_stream=error.log_stream,
        account=error.account,
        environment=config.environment_for(error.account),
        level=error.level,
        logger=error.logger,
        types=tuple(exc.type for exc in error.chain),
        messages=tuple(message for message in messages if message),
    )


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Whether a matcher matched; if not, the first key that did not."""

    matched: bool
    key: str = ""
    timed_out: bool = False  # a message regex hit its timeout (and counted as no match)


MATCHED = MatchResult(matched=True)


def type_matches(pattern: str, exception_type: str) -> bool:
    """Whether the type glob ``pattern`` matches ``exception_type`` or its short name.

    ``SocketTimeoutException`` and ``java.net.*Exception`` both match
    ``java.net.SocketTimeoutException``; ``ReadTimeout`` matches Ruby's
    ``Net::ReadTimeout`` and ``NotFound`` PHP's ``App\\Http\\NotFound``.
    """
    return fnmatchcase(exception_type, pattern) or fnmatchcase(short_name(exception_type), pattern)


def short_name(exception_type: str) -> str:
    """The last segment of a dotted, ``::`` or backslash-separated type name."""
    if " " in exception_type:
        return exception_type  # "PHP Fatal error" is a name, not a path
    for separator in (".", "::", "\\"):
        exception_type = exception_type.rsplit(separator, 1)[-1]
    return exception_type


def match(matcher: Matcher, subject: Subject, timeout: float) -> MatchResult:
    """Check every key ``matcher`` uses against ``subject``, cheapest first."""
    for key, check in _SCALAR_GLOBS:
        patterns = getattr(matcher, key)
        if patterns and not any(fnmatchcase(check(subject), p) for p in patterns):
            return MatchResult(matched=False, key=key)
    if matcher.level and subject.level not in matcher.level:
        return MatchResult(matched=False, key="level")
    if matcher.logger and not any(fnmatchcase(subject.logger, p) for p in matcher.logger):
        return MatchResult(matched=False, key="logger")
    type_keys: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
        ("exception", matcher.exception, subject.types),
        ("exception_top", matcher.exception_top, subject.types[:1]),
        ("root_cause", matcher.root_cause, subject.types[-1:]),
    )
    for key, patterns, types in type_keys:
        if patterns and not any(type_matches(p, t) for p in patterns for t in types):
            return MatchResult(matched=False, key=key)
    if matcher.message_glob and not any(
        fnmatchcase(message, p) for p in matcher.message_glob for message in subject.messages
    ):
        return MatchResult(matched=False, key="message_glob")
    if matcher.message:
        return _match_messages(matcher, subject, timeout)
    return MATCHED


_SCALAR_GLOBS: tuple[tuple[str, Callable[[Subject], str]], ...] = (
    ("service", lambda s: s.service),
    ("log_group", lambda s: s.log_group),
    ("log_stream", lambda s: s.log_stream),
    ("account", lambda s: s.account),
    ("environment", lambda s: s.environment),
)


def _match_messages(matcher: Matcher, subject: Subject, timeout: float) -> MatchResult:
    timed_out = False
    for pattern in matcher.message:
        for message in subject.messages:
            try:
                if pattern.compiled.search(message, timeout=timeout) is not None:
                    return MatchResult(matched=True, timed_out=timed_out)
            except TimeoutError:
                # A pathological message must not stall the batch: no match, and counted.
                timed_out = True
    return MatchResult(matched=False, key="message", timed_out=timed_out)


# --- fingerprint rules -----------------------------------------------------------------


def template_values(item: Fingerprinted) -> dict[str, str]:
    """The values of the template variables for ``item`` (``default`` aside)."""
    error = item.error
    frame = error.top_in_app_frame
    return {
        "service": error.service,
        "type": error.exception_type or UNTYPED_MARKER,
        "root_cause": error.root_cause_type or UNTYPED_MARKER,
        "message_template": item.message_template,
        "function": qualified_function(frame) if frame else NO_FUNCTION,
        "logger": error.logger or NO_LOGGER,
        "log_group": error.log_group,
        "level": error.level,
    }


def apply_fingerprint_rule(item: Fingerprinted, rule: FingerprintRule) -> Fingerprinted:
    """A new :class:`Fingerprinted` with ``rule``'s fingerprint and title, and ``rule`` set."""
    values = template_values(item)

    def render(text: str) -> str:
        return TEMPLATE_VARIABLE.sub(lambda m: values[m.group(1)], text)

    fingerprint: list[str] = []
    for element in rule.template:
        whole = TEMPLATE_VARIABLE.fullmatch(element)
        if whole is not None and whole.group(1) == "default":
            fingerprint.extend(item.fingerprint)
        else:
            fingerprint.append(render(element))
    title = render(rule.title) if rule.title else item.title
    if len(title) > _TITLE_LIMIT:
        title = title[: _TITLE_LIMIT - 1] + "\u2026"
    return replace(item, fingerprint=tuple(fingerprint), title=title, rule=rule.name)


# --- ignore rules ----------------------------------------------------------------------


def sample_keeps(fingerprint: tuple[str, ...], event_id: str, one_in: int) -> bool:
    """Whether sampling keeps this error: 1 in ``one_in``, the same answer every time.

    The hash covers the fingerprint and the error's first event id, so a replay
    of the same logs (or a Lambda retry) makes the same decisions, and the kept
    errors spread evenly over issues. blake2b, not ``hash()``: that one is
    salted per process.
    """
    if one_in <= 1:
        return True
    key = "\x1f".join(fingerprint) + "\x1e" + event_id
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % one_in == 0


# --- decisions -------------------------------------------------------------------------


def apply_rules(
    item: Fingerprinted, config: Config, *, today: date, explain: bool = False
) -> Decision:
    """:func:`~logship.rules.decide` for a config that has rules (see there)."""
    subject = subject_of(item, config)
    checks: list[RuleCheck] = []
    timeouts: list[str] = []

    matched_fingerprint: FingerprintRule | None = None
    for rule in config.fingerprint_rules:
        if matched_fingerprint is not None:
            if explain:
                checks.append(RuleCheck("fingerprint", rule.name, Status.SKIPPED))
            continue
        result = match(rule.match, subject, config.regex_timeout)
        if result.timed_out:
            timeouts.append(rule.name)
        if result.matched:
            matched_fingerprint = rule
        if explain:
            checks.append(rule_check("fingerprint", rule.name, rule.match, subject, result))
    if matched_fingerprint is not None:
        item = apply_fingerprint_rule(item, matched_fingerprint)

    matched_ignore: IgnoreRule | None = None
    for ignore in config.ignore_rules:
        if matched_ignore is not None:
            if explain:
                checks.append(RuleCheck("ignore", ignore.name, Status.SKIPPED))
            continue
        if ignore.expired(today):
            if explain:
                checks.append(
                    RuleCheck("ignore", ignore.name, Status.EXPIRED, f"until {ignore.until}")
                )
            continue
        result = match(ignore.match, subject, config.regex_timeout)
        if result.timed_out:
            timeouts.append(ignore.name)
        if result.matched:
            matched_ignore = ignore
        if explain:
            checks.append(rule_check("ignore", ignore.name, ignore.match, subject, result))

    if matched_ignore is None:
        return Decision(item, regex_timeouts=tuple(timeouts), checks=tuple(checks))
    first_event = item.error.event_ids[0] if item.error.event_ids else ""
    sampled = matched_ignore.sample > 0 and sample_keeps(
        item.fingerprint, first_event, matched_ignore.sample
    )
    return Decision(
        item,
        ignore_rule=matched_ignore.name,
        reason=matched_ignore.reason,
        sampled=sampled,
        regex_timeouts=tuple(timeouts),
        checks=tuple(checks),
    )


def rule_check(
    kind: str, name: str, matcher: Matcher, subject: Subject, result: MatchResult
) -> RuleCheck:
    """The ``logship explain`` line of one tried rule: which keys matched, or which did not."""
    if result.matched:
        detail = "all of " + ", ".join(matcher.used_keys()) + " matched"
        return RuleCheck(kind, name, Status.MATCHED, detail)
    return RuleCheck(kind, name, Status.NO_MATCH, _mismatch(matcher, subject, result))


def _mismatch(matcher: Matcher, subject: Subject, result: MatchResult) -> str:
    """``service 'orders' matches none of 'checkout*'``: why ``result.key`` failed."""
    key = result.key
    if key == "message":
        wanted = ", ".join(repr(p.source) for p in matcher.message)
    else:
        wanted = ", ".join(repr(p) for p in getattr(matcher, key))
    if key in ("exception", "exception_top", "root_cause"):
        types = {"exception": subject.types, "exception_top": subject.types[:1]}.get(
            key, subject.types[-1:]
        )
        actual = ", ".join(repr(t) for t in types) if types else "(no exception)"
    elif key in ("message", "message_glob"):
        actual = f"{len(subject.messages)} message(s)" if subject.messages else "(no message)"
    else:
        actual = repr(getattr(subject, key))
    detail = f"{key}: none of {wanted} matches {actual}"
    if result.timed_out:
        detail += " (a regex timed out and counted as no match)"
    return detail
