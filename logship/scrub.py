"""Scrubbing: secrets and personal data masked in a Sentry event before it leaves the process.

In the spirit of sentry-python's ``scrubber.py``: module-level lists, each
entry commented with where it comes from, compiled once.

- :data:`DEFAULT_PATTERNS` finds secrets in free text (messages, raw log text,
  URLs, frame fields): emails, Luhn-checked card numbers, JWTs, bearer and
  basic credentials, AWS access key ids and secret keys, ``password=`` /
  ``token=`` / ``secret=`` / ``api_key=`` values in URLs, query strings,
  ``key=value``, ``key: value`` and JSON logs, URL user info and PEM private keys.
- :data:`DEFAULT_DENYLIST` names keys whose whole value is a secret wherever
  they appear in the event (headers, ``extra``, frame ``vars``, ``user``...).

Every pattern follows one convention, the one :mod:`logship.mask` uses too:
group 1, when the pattern has groups, is a prefix that stays (``password=``);
the rest of the match is replaced by ``[Filtered:<name>]``. That is what lets
:mod:`logship.mask` reuse these patterns for message templates: a fingerprint is
computed from a template in which these secrets are already masked, so
scrubbing the event afterwards never changes its grouping.

Users add patterns (compiled with the ``regex`` package and run with a timeout,
like the rules' message regexes), switch default patterns off, and keep fields
unscrubbed, in the ``[scrub]`` table of ``logship.toml`` (see
:class:`logship.config.ScrubConfig`). A user pattern that times out fails
closed: the whole string is replaced.

Scrubbing is best-effort pattern matching; ``docs/security.md`` says what it
guarantees and what it does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from logship.config import Config, ScrubConfig

__all__ = [
    "ALWAYS_KEPT",
    "DEFAULT_DENYLIST",
    "DEFAULT_PATTERNS",
    "DEFAULT_SCRUBBER",
    "FILTERED",
    "ScrubPattern",
    "Scrubber",
    "Substituter",
    "is_card_number",
    "luhn_valid",
    "parse_path",
    "scrubber_for",
]

FILTERED = "[Filtered]"  # sentry-python's SENSITIVE_DATA_SUBSTITUTE, for denylisted keys


def luhn_valid(digits: str) -> bool:
    """Whether the digit string passes the Luhn check (ISO/IEC 7812 card numbers)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_card_number(text: str) -> bool:
    """Whether ``text`` (digits, spaces, dashes) is a plausible payment card number.

    13 to 19 digits (ISO/IEC 7812), an issuer that exists (2 Mastercard's
    2-series, 3 Amex/Diners/JCB, 4 Visa, 5 Mastercard, 6 Discover/UnionPay/
    Maestro) and a valid Luhn check digit. The issuer test keeps epoch
    millisecond timestamps (13 digits starting with 1) out; the Luhn check keeps
    out nine order ids in ten.
    """
    digits = text.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits)


@dataclass(frozen=True, slots=True)
class ScrubPattern:
    """Replace the secret ``pattern`` finds (all but group 1) with ``[Filtered:<name>]``.

    ``validator``, when given, sees the part to be replaced and keeps it when it
    returns False (a number that fails the Luhn check is no card number).
    ``trigger`` is a cheap regex, in lower case, that finds something in the
    lower-cased text wherever ``pattern`` matches: the scrubber searches all
    triggers at once and skips the patterns for the (many) strings that hold
    none, such as most frame fields.
    """

    name: str
    pattern: str
    trigger: str
    validator: Callable[[str], bool] | None = None

    @property
    def replacement(self) -> str:
        return f"[Filtered:{self.name}]"


# The words every credential key holds: the credential patterns' trigger.
_SECRET_WORD = (
    r"passw|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential"
    r"|session[_-]?id|cookie"
)
# Key names whose value is a credential. From sentry-python's DEFAULT_DENYLIST
# ("stolen from relay"), as a regex matched anywhere in a key, so that
# ``db_password``, ``X-Api-Key``, ``aws_secret_access_key`` and ``SecretAccessKey``
# are all covered.
_SECRET_KEY = (
    # Letters and digits only before the keyword: "spring.datasource.password" and
    # "DB_PASSWORD" match from after their last "." or "_", and a hostile run of
    # short dotted words cannot make every start scan far. Bounded for the same reason.
    r"[A-Za-z0-9]{0,30}?"
    r"(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credentials?|session[_-]?id|cookie)"
    r"[A-Za-z0-9_-]{0,30}"
    # ``InvalidTokenException: bad input`` is an exception type, not a key.
    r"(?<!exception)(?<!error)"
)
# What separates a key from its value: key=value, key: value, JSON "key": "value",
# Ruby/PHP key => value, a URL's ?key=value; an escaped JSON quote (\") too.
_SEPARATOR = r"\\?[\"']?\s*(?:=>|[=:])\s*"
# An unquoted value ends at whitespace, a quote or what ends a query parameter or
# a structure. "<" is left out so that mask tokens (<NUM>) are never taken for values.
_VALUE = r"(?!\[Filtered)[^\s\"'\\&,;<>)\]}]+"

DEFAULT_PATTERNS: tuple[ScrubPattern, ...] = (
    # PEM private keys (Relay's @pemkey): the header stays, the body goes up to the
    # END line, or to the end of the text when a cut or a split log lost it.
    ScrubPattern(
        "pemkey",
        trigger="-----begin",
        pattern=r"(-----BEGIN[A-Z ]{0,40}PRIVATE KEY-----)"
        r"(?:(?!-----END[A-Z ]{0,40}PRIVATE KEY-----)[\s\S])+",
    ),
    # User info in URLs (Relay's @urlauth): postgres://app:hunter2@db/x and a
    # Sentry DSN's public key, https://KEY@o1.ingest.sentry.io/42. The "@" stays.
    ScrubPattern("urlauth", r"(\b[A-Za-z][A-Za-z0-9+.-]{1,20}://)[^\s/?#@\"'<>]+(?=@)", "@"),
    # JSON Web Tokens (RFC 7519): base64url of '{"' is "eyJ", for the header and
    # (nearly always) the claims; the signature is optional when a cut took it.
    ScrubPattern(
        "jwt", r"\beyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*)?", "eyj"
    ),
    # Bearer tokens (RFC 6750's b64token; Relay's @bearer). At least 8 characters,
    # so that "the bearer of bad news" keeps its words.
    ScrubPattern("bearer", r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*", "bearer"),
    # The credentials of an Authorization header in any scheme (Basic, Digest...).
    ScrubPattern(
        "authorization",
        trigger="authorization",
        pattern=r"(?i)(\b(?:proxy-)?authorization\\?[\"']?\s*[=:]\s*\\?[\"']?"
        # Possessive: once a scheme is read, its credentials are the value, never the scheme.
        r"(?:(?:basic|bearer|digest|token|negotiate|ntlm|aws4-hmac-sha256)\s+)?+)"
        r"(?!\[Filtered)[^\s\"'\\,;<>]+",
    ),
    # AWS access key ids: AKIA (long-term) and ASIA (temporary, STS), from the
    # IAM documentation's "unique identifier prefixes".
    ScrubPattern("aws_access_key", r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b", "akia|asia"),
    # Quoted credential values, which may hold spaces: password="correct horse".
    ScrubPattern(
        "credential",
        trigger=_SECRET_WORD,
        pattern=rf"(?i)((?<![A-Za-z0-9]){_SECRET_KEY}{_SEPARATOR}\")(?!\[Filtered)[^\"\n]+",
    ),
    ScrubPattern(
        "credential",
        trigger=_SECRET_WORD,
        pattern=rf"(?i)((?<![A-Za-z0-9]){_SECRET_KEY}{_SEPARATOR}')(?!\[Filtered)[^'\n]+",
    ),
    # Unquoted credential values: password=hunter2, ?token=abc&, api_key: abc, and the
    # first word of an escaped-quoted one.
    ScrubPattern(
        "credential",
        trigger=_SECRET_WORD,
        pattern=rf"(?i)((?<![A-Za-z0-9]){_SECRET_KEY}{_SEPARATOR}(?:\\?[\"'])?){_VALUE}",
    ),
    # AWS secret access keys on their own: 40 characters of base64 holding an
    # upper-case letter, a lower-case letter and a digit (so no git SHA-1, which is
    # lower-case hex). Next to a key name, the pattern above takes them first.
    ScrubPattern(
        "aws_secret_key",
        trigger="[a-z0-9/+]{40}",
        pattern=r"(?<![A-Za-z0-9/+=])"
        r"(?=[A-Za-z0-9/+]{0,39}[0-9])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])"
        r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
    ),
    # Email addresses (Relay's @email); the top-level domain must be letters, so
    # that Go's module@v1.2.3 and npm's pkg@4.17.21 stay.
    ScrubPattern(
        "email",
        trigger="@",
        pattern=r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
    ),
    # Payment card numbers (Relay's @creditcard), 13 to 19 digits, optionally grouped
    # by spaces or dashes, checked by is_card_number.
    ScrubPattern(
        "creditcard",
        trigger=r"(?:\d[ -]?){12}\d",
        pattern=r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w])",
        validator=is_card_number,
    ),
)

# Keys whose whole value is replaced, wherever they appear (header names,
# ``extra``, ``user``, frame ``vars``, breadcrumb data). sentry-python's
# DEFAULT_DENYLIST, lower-cased with "-" as "_"; a key also matches when it
# ends in one of DENIED_SUFFIXES (``db_password``, ``stripe_secret``).
DEFAULT_DENYLIST: frozenset[str] = frozenset(
    {
        # stolen from relay, via sentry-python
        "password",
        "passwd",
        "pwd",
        "secret",
        "api_key",
        "apikey",
        "auth",
        "credentials",
        "mysql_pwd",
        "privatekey",
        "private_key",
        "token",
        "session",
        # django
        "csrftoken",
        "sessionid",
        # wsgi
        "x_csrftoken",
        "set_cookie",
        "cookie",
        "authorization",
        "proxy_authorization",
        "x_api_key",
        # other common names used in the wild
        "aiohttp_session",  # aiohttp
        "connect.sid",  # Express
        "csrf_token",  # Pyramid
        "csrf",
        "_csrf",  # Express
        "_csrf_token",  # Bottle
        "phpsessid",  # PHP
        "_session",  # Sanic
        "symfony",  # Symfony
        "user_session",  # Vue
        "_xsrf",  # Tornado
        "xsrf_token",  # Angular, Laravel
        # AWS SDK credential names
        "aws_secret_access_key",
        "aws_session_token",
        "secretaccesskey",
        "sessiontoken",
    }
)
DENIED_SUFFIXES: tuple[str, ...] = ("password", "passwd", "_secret", "_token", "_api_key", "apikey")

# Event fields never scrubbed: ids and enums Relay validates, which no pattern
# should ever touch (a trace id that lost a digit would make the event invalid).
ALWAYS_KEPT: tuple[tuple[str, ...], ...] = (
    ("event_id",),
    ("timestamp",),
    ("platform",),
    ("level",),
    ("contexts", "trace", "trace_id"),
    ("contexts", "trace", "span_id"),
    ("contexts", "trace", "type"),
    ("contexts", "cloudwatch", "event_ids"),
    ("exception", "values", "mechanism"),
)


class Substituter(Protocol):
    """A compiled pattern of the ``regex`` package: ``sub`` with a timeout."""

    def sub(self, repl: Any, string: str, *, timeout: float | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class _Compiled:
    name: str
    replacement: str
    regex: re.Pattern[str]
    keeps_prefix: bool
    validator: Callable[[str], bool] | None


@dataclass(frozen=True, slots=True)
class _Custom:
    name: str
    replacement: str
    regex: Substituter
    keeps_prefix: bool


def parse_path(path: str) -> tuple[str, ...]:
    """``"tags.aws_account"`` -> ``("tags", "aws_account")``; list indices are not part of paths."""
    return tuple(part for part in path.split(".") if part)


def _compile(pattern: ScrubPattern) -> _Compiled:
    regex = re.compile(pattern.pattern)
    return _Compiled(pattern.name, pattern.replacement, regex, regex.groups >= 1, pattern.validator)


def _triggers(patterns: Sequence[ScrubPattern]) -> re.Pattern[str] | None:
    """One alternation of the patterns' triggers, or None when there are no patterns."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{trigger})" for trigger in {p.trigger: 0 for p in patterns}))


_KEEP = object()  # marks a kept path in the keep trie


def _keep_trie(paths: Iterable[tuple[str, ...]]) -> dict[str, Any]:
    """``{"tags": {"aws_account": _KEEP}}``: the walk follows it key by key."""
    trie: dict[str, Any] = {}
    for path in paths:
        node = trie
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if child is _KEEP:
                break
            node = child
        else:
            node[path[-1]] = _KEEP
    return trie


def _denied(key: str) -> bool:
    normalized = key.lower().replace("-", "_")
    return normalized in DEFAULT_DENYLIST or normalized.endswith(DENIED_SUFFIXES)


class Scrubber:
    """Masks secrets in strings and in whole Sentry event dicts.

    Configurable, so the expensive work (compiling) happens once in
    ``__init__``; the instance is immutable afterwards and safe to share.
    Call it like a structlog processor or sentry-sdk ``before_send``: it takes
    an event dict and returns a scrubbed copy (the input is not changed).
    """

    def __init__(
        self,
        patterns: Sequence[ScrubPattern] = DEFAULT_PATTERNS,
        *,
        custom: Sequence[tuple[str, Substituter]] = (),
        denylist: bool = True,
        keep: Iterable[str] = (),
        timeout: float | None = None,
    ) -> None:
        """``custom``: (name, compiled ``regex`` pattern) pairs, run after ``patterns``
        with ``timeout`` seconds per string; ``keep``: dotted field paths left alone."""
        self._patterns = tuple(_compile(pattern) for pattern in patterns)
        self._trigger = _triggers(patterns)
        self._custom = tuple(
            _Custom(name, f"[Filtered:{name}]", regex, _group_count(regex) >= 1)
            for name, regex in custom
        )
        self._denylist = denylist
        self._cards = any(p.name == "creditcard" for p in self._patterns)
        self._keep = _keep_trie((*ALWAYS_KEPT, *(parse_path(path) for path in keep)))
        self._timeout = timeout
        self.names: tuple[str, ...] = tuple(p.name for p in self._patterns) + tuple(
            c.name for c in self._custom
        )

    @classmethod
    def from_config(cls, scrub: ScrubConfig, *, timeout: float | None = None) -> Scrubber:
        """The scrubber of a ``[scrub]`` table: defaults less ``disable``, and ``patterns``."""
        disabled = set(scrub.disable)
        return cls(
            tuple(p for p in DEFAULT_PATTERNS if p.name not in disabled),
            custom=tuple((p.name, p.compiled) for p in scrub.patterns),
            denylist="denylist" not in disabled,
            keep=scrub.keep,
            timeout=timeout,
        )

    @classmethod
    def disabled(cls) -> Scrubber:
        """A scrubber that changes nothing (tests, and comparing with and without)."""
        return cls((), denylist=False)

    @property
    def enabled(self) -> bool:
        return bool(self._patterns or self._custom or self._denylist)

    def __call__(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return self.scrub_event(event)

    def scrub_text(self, text: str) -> str:
        """``text`` with every secret the patterns find replaced."""
        # Most strings (frame fields, ids) hold no secret: one search for all the
        # triggers at once proves it, instead of one substitution pass per pattern.
        # Every match of a pattern contains its trigger, so skipping is exact.
        if self._trigger is not None and self._trigger.search(text.lower()) is not None:
            for pattern in self._patterns:
                text = _substitute(pattern, text)
        for custom in self._custom:
            try:
                text = custom.regex.sub(
                    _replacer(custom.replacement, custom.keeps_prefix), text, timeout=self._timeout
                )
            except TimeoutError:
                # Fail closed: a string we could not check does not leave the process.
                return f"[Filtered:{custom.name} timed out]"
        return text

    def scrub_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of the Sentry event dict ``event`` with its secrets masked.

        Every string is scrubbed, at any depth, except :data:`ALWAYS_KEPT` and
        the ``keep`` paths; the value of a denylisted key is replaced whole.
        """
        if not self.enabled:
            return dict(event)
        # Frames repeat their strings (a recursion: the same function 250 times):
        # each distinct string is scrubbed once per event.
        memo: dict[str, str] = {}
        return self._mapping(event, self._keep, memo)

    def _mapping(
        self, value: Mapping[Any, Any], keep: dict[str, Any] | None, memo: dict[str, str]
    ) -> dict[Any, Any]:
        """``keep``: the keep-trie node of this mapping's path (None: nothing kept below)."""
        out: dict[Any, Any] = {}
        for key, item in value.items():
            child = keep.get(key) if keep is not None and isinstance(key, str) else None
            if child is _KEEP:
                out[key] = item
            elif self._denylist and item and isinstance(key, str) and _denied(key):
                out[key] = FILTERED
            else:
                out[key] = self._value(item, child, memo)
        return out

    def _value(self, value: Any, keep: dict[str, Any] | None, memo: dict[str, str]) -> Any:
        if isinstance(value, str):
            scrubbed = memo.get(value)
            if scrubbed is None:
                scrubbed = memo[value] = self.scrub_text(value)
            return scrubbed
        if isinstance(value, Mapping):
            return self._mapping(value, keep, memo)
        if isinstance(value, list | tuple):
            # List indices are not part of paths: every item shares the list's node.
            return [self._value(item, keep, memo) for item in value]
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self._cards
            and is_card_number(str(value))
        ):
            return "[Filtered:creditcard]"  # a card number logged as a JSON number
        return value


def _group_count(regex: Substituter) -> int:
    groups = getattr(regex, "groups", 0)
    return groups if isinstance(groups, int) else 0


def _replacer(replacement: str, keeps_prefix: bool) -> Callable[[Any], str]:
    if keeps_prefix:
        return lambda match: (match.group(1) or "") + replacement
    return lambda _: replacement


def _substitute(pattern: _Compiled, text: str) -> str:
    validator = pattern.validator
    if validator is None:
        return pattern.regex.sub(_replacer(pattern.replacement, pattern.keeps_prefix), text)

    def replace(match: re.Match[str]) -> str:
        prefix = (match.group(1) or "") if pattern.keeps_prefix else ""
        secret = match.group(0)[len(prefix) :]
        return prefix + pattern.replacement if validator(secret) else match.group(0)

    return pattern.regex.sub(replace, text)


DEFAULT_SCRUBBER = Scrubber()


def scrubber_for(config: Config) -> Scrubber:
    """The scrubber ``config``'s ``[scrub]`` table asks for (the shared default when empty)."""
    scrub = config.scrub
    if not (scrub.patterns or scrub.disable or scrub.keep):
        return DEFAULT_SCRUBBER
    return Scrubber.from_config(scrub, timeout=config.regex_timeout)
