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
    "Run",
    "ScrubPattern",
    "Scrubber",
    "Substituter",
    "fold",
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
    folded text (lower-cased, see :func:`fold`) wherever ``pattern`` would
    replace something: the scrubber tests the triggers first and runs only the
    patterns whose trigger fires, so the (many) strings that hold no secret,
    such as most frame fields, cost a few substring searches. Each top-level
    alternative of a trigger is searched on its own: a plain word (``"bearer"``)
    with ``str``'s substring search, and a branch that starts with a word
    (``"token\\s*="``) is found by ``re`` about as fast.

    ``gate``, when given, is a cheaper test of the folded text that holds
    wherever ``trigger`` finds something; the trigger runs only where the gate
    holds (see :class:`Run`), for triggers with no word to look for.
    """

    name: str
    pattern: str
    trigger: str
    validator: Callable[[str], bool] | None = None
    gate: Callable[[str], bool] | None = None

    @property
    def replacement(self) -> str:
        return f"[Filtered:{self.name}]"


# Characters outside ASCII that ``re``'s IGNORECASE takes for an ASCII letter
# (U+0130 and U+0131 for "i", U+017F for "s", U+212A for "k"): a (?i) pattern
# matches "pa\u017f\u017fword", so the folded text a trigger sees must read "password".
# The tests check this list against every code point.
_FOLD = (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"), ("\u212a", "k"))


def fold(text: str) -> str:
    """``text`` as triggers see it: lower case, and every letter ``re`` matches
    case-insensitively with an ASCII letter written as that letter."""
    if text.isascii():
        return text.lower()
    # Four character searches and (rarely) a replace: str.translate with a table
    # looks up every character of a non-ASCII string in a dict.
    for char, letter in _FOLD:
        if char in text:
            text = text.replace(char, letter)
    return text.lower()


class Run:
    """A gate: whether the folded text holds ``length`` characters of ``members`` in a row.

    Characters of ``skip`` are taken out first (a card number's spaces and
    dashes). Non-ASCII characters count as members when ``non_ascii`` is set
    (``\\d`` matches Arabic-Indic digits) and as breaks otherwise. Checked on the
    UTF-8 bytes with one ``bytes.translate`` and one substring search.
    """

    __slots__ = ("_delete", "_min_chars", "_needle", "_table")

    def __init__(
        self, members: str, length: int, *, skip: str = "", non_ascii: bool = False
    ) -> None:
        table = bytearray(b"." * 256)
        for char in members:
            table[ord(char)] = ord("m")
        if non_ascii:
            table[0x80:] = b"m" * 0x80
        self._table = bytes(table)
        self._delete = skip.encode("ascii")
        self._needle = b"m" * length
        # A character is at most four bytes of UTF-8: shorter texts cannot hold a run.
        self._min_chars = -(-length // 4) if non_ascii else length

    def __call__(self, folded: str) -> bool:
        if len(folded) < self._min_chars:
            return False
        data = folded.encode("utf-8", "surrogatepass")
        return self._needle in data.translate(self._table, self._delete)


# The keywords of credential key names, as in sentry-python's DEFAULT_DENYLIST.
_SECRET_KEYWORD = (
    r"(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credentials?|session[_-]?id|cookie)"
)
# Key names whose value is a credential. From sentry-python's DEFAULT_DENYLIST
# ("stolen from relay"), as a regex matched anywhere in a key, so that
# ``db_password``, ``X-Api-Key``, ``aws_secret_access_key`` and ``SecretAccessKey``
# are all covered.
_SECRET_KEY = (
    # Letters and digits only before the keyword: "spring.datasource.password" and
    # "DB_PASSWORD" match from after their last "." or "_", and a hostile run of
    # short dotted words cannot make every start scan far. Bounded for the same reason.
    r"[A-Za-z0-9]{0,30}?" + _SECRET_KEYWORD + r"[A-Za-z0-9_-]{0,30}"
    # ``InvalidTokenException: bad input`` is an exception type, not a key.
    r"(?<!exception)(?<!error)"
)
# What separates a key from its value: key=value, key: value, JSON "key": "value",
# Ruby/PHP key => value, a URL's ?key=value; an escaped JSON quote (\") too.
_SEPARATOR = r"\\?[\"']?\s*(?:=>|[=:])\s*"
# An unquoted value ends at whitespace, a quote or what ends a query parameter or
# a structure. "<" is left out so that mask tokens (<NUM>) are never taken for values.
_VALUE = r"(?!\[Filtered)[^\s\"'\\&,;<>)\]}]+"

# The credential patterns' trigger: a keyword, the rest of the key, a separator
# (the patterns themselves from the keyword on, less the value). Most "token"s
# and "key"s in logs ("Unexpected token }", "KeyError") are followed by none.
# One branch per keyword, each led by a word: ``re`` finds a branch that starts
# with a literal as fast as ``str.find`` does, where a leading alternation would
# be tried at every position. "key" comes last in its keywords, hence lookbehinds.
_SECRET_TRIGGER = "|".join(
    rf"{keyword}[a-z0-9_-]{{0,30}}{_SEPARATOR}"
    for keyword in (
        r"passw(?:or)?d",
        "pwd",
        "secret",
        "token",
        r"key(?:(?<=api_key)|(?<=api-key)|(?<=apikey)|(?<=access_key)|(?<=access-key)"
        r"|(?<=accesskey)|(?<=private_key)|(?<=private-key)|(?<=privatekey))",
        "credentials?",
        r"session[_-]?id",
        "cookie",
    )
)

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
    ScrubPattern(
        "urlauth",
        r"(\b[A-Za-z][A-Za-z0-9+.-]{1,20}://)[^\s/?#@\"'<>]+(?=@)",
        r"://[^\s/?#@\"'<>]+@",
    ),
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
        trigger=_SECRET_TRIGGER,
        pattern=rf"(?i)((?<![A-Za-z0-9]){_SECRET_KEY}{_SEPARATOR}\")(?!\[Filtered)[^\"\n]+",
    ),
    ScrubPattern(
        "credential",
        trigger=_SECRET_TRIGGER,
        pattern=rf"(?i)((?<![A-Za-z0-9]){_SECRET_KEY}{_SEPARATOR}')(?!\[Filtered)[^'\n]+",
    ),
    # Unquoted credential values: password=hunter2, ?token=abc&, api_key: abc, and the
    # first word of an escaped-quoted one.
    ScrubPattern(
        "credential",
        trigger=_SECRET_TRIGGER,
        pattern=rf"(?i)((?<![A-Za-z0-9]){_SECRET_KEY}{_SEPARATOR}(?:\\?[\"'])?){_VALUE}",
    ),
    # AWS secret access keys on their own: 40 characters of base64 holding an
    # upper-case letter, a lower-case letter and a digit (so no git SHA-1, which is
    # lower-case hex). Next to a key name, the pattern above takes them first.
    ScrubPattern(
        "aws_secret_key",
        trigger="[a-z0-9/+]{40}",
        gate=Run("abcdefghijklmnopqrstuvwxyz0123456789/+", 40),
        pattern=r"(?<![A-Za-z0-9/+=])"
        r"(?=[A-Za-z0-9/+]{0,39}[0-9])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])"
        r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
    ),
    # Email addresses (Relay's @email); the top-level domain must be letters, so
    # that Go's module@v1.2.3 and npm's pkg@4.17.21 stay.
    ScrubPattern(
        "email",
        trigger=r"@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}",
        pattern=r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
    ),
    # Payment card numbers (Relay's @creditcard), 13 to 19 digits, optionally grouped
    # by spaces or dashes, checked by is_card_number.
    # The trigger looks for what the validator accepts, 13 digits led by an issuer
    # digit, so that epoch-millisecond timestamps (led by 1) cost no substitution.
    ScrubPattern(
        "creditcard",
        trigger=r"[2-6](?:[ -]?\d){12}",
        pattern=r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w])",
        validator=is_card_number,
        gate=Run("0123456789", 13, skip=" -", non_ascii=True),
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


class _Compiled:
    """One default-style pattern, compiled."""

    __slots__ = ("keeps_prefix", "name", "regex", "replacement", "validator")

    def __init__(
        self,
        name: str,
        replacement: str,
        regex: re.Pattern[str],
        keeps_prefix: bool,
        validator: Callable[[str], bool] | None,
    ) -> None:
        self.name = name
        self.replacement = replacement
        self.regex = regex
        self.keeps_prefix = keeps_prefix
        self.validator = validator


class _Custom:
    """One user pattern (``regex`` package, run with a timeout)."""

    __slots__ = ("keeps_prefix", "name", "regex", "replacement")

    def __init__(self, name: str, regex: Substituter) -> None:
        self.name = name
        self.replacement = f"[Filtered:{name}]"
        self.regex = regex
        self.keeps_prefix = _group_count(regex) >= 1


def parse_path(path: str) -> tuple[str, ...]:
    """``"tags.aws_account"`` -> ``("tags", "aws_account")``; list indices are not part of paths."""
    return tuple(part for part in path.split(".") if part)


def _compile(pattern: ScrubPattern) -> _Compiled:
    regex = re.compile(pattern.pattern)
    return _Compiled(pattern.name, pattern.replacement, regex, regex.groups >= 1, pattern.validator)


# A regex that is nothing but a word: "bearer", "@", "-----begin", "://".
_WORD = re.compile(r"[a-z0-9_@ :/-]+")


def _branches(trigger: str) -> list[str]:
    """The top-level alternatives of a regex: ``"a|b(c|d)|[|]"`` -> ``["a", "b(c|d)", "[|]"]``."""
    if re.match(r"\(\?[aiLmsux]+\)", trigger):
        return [trigger]  # global flags apply to every branch: keep them together
    branches, start, depth, index, in_class = [], 0, 0, 0, False
    while index < len(trigger):
        char = trigger[index]
        if char == "\\":
            index += 1  # the escaped character is never syntax
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if trigger[index + 1 : index + 2] == "^":
                index += 1
            if trigger[index + 1 : index + 2] == "]":
                index += 1  # "[]...]", "[^]...]": a leading "]" is a member
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(trigger[start:index])
            start = index + 1
        index += 1
    branches.append(trigger[start:])
    return branches


class _Trigger:
    """One trigger, as the test of a folded text: does the trigger find anything?

    Searching each top-level alternative on its own finds something exactly when
    the whole regex does, and faster: a plain word is a ``str`` substring search;
    a branch that starts with a word (``token\\s*=``) is searched only in a text
    that holds the word. ``gate``, when given, is checked first.
    """

    __slots__ = ("gate", "led", "searches", "words")

    def __init__(self, trigger: str, gate: Callable[[str], bool] | None) -> None:
        words: list[str] = []
        led: list[tuple[str, Callable[[str], object]]] = []
        searches: list[Callable[[str], object]] = []
        for branch in _branches(trigger):
            word = _leading_word(branch)
            if word == branch:
                words.append(word)
            elif word:
                led.append((word, re.compile(branch).search))
            else:
                searches.append(re.compile(branch).search)
        self.words, self.led, self.searches = tuple(words), tuple(led), tuple(searches)
        self.gate = gate

    def __call__(self, folded: str) -> bool:
        if self.gate is not None and not self.gate(folded):
            return False
        return _finds(self.words, self.led, self.searches, folded)


def _leading_word(branch: str) -> str:
    """The literal text every match of ``branch`` starts with ("" when unknown)."""
    match = _WORD.match(branch)
    if match is None:
        return ""
    word = match.group()
    if branch[len(word) : len(word) + 1] in ("?", "*", "+", "{"):
        word = word[:-1]  # "credentials?": the quantifier applies to the last letter
    return word


def _finds(
    words: Sequence[str],
    led: Sequence[tuple[str, Callable[[str], object]]],
    searches: Sequence[Callable[[str], object]],
    folded: str,
) -> bool:
    """Whether a word is in ``folded``, or a word-led search or a search finds something."""
    # Loops rather than any(): no generator to create on every call.
    for word in words:
        if word in folded:
            return True
    for word, search in led:
        if word in folded and search(folded) is not None:
            return True
    for search in searches:  # noqa: SIM110
        if search(folded) is not None:
            return True
    return False


class _Prepared:
    """What a scrubber compiles on first use: its patterns and their triggers.

    Patterns that share a trigger (the three credential ones) share its test:
    ``slots[i]`` is the index in ``triggers`` of pattern ``i``'s test.
    :meth:`may_fire` is a first pass with no call per trigger: the words and
    searches of every ungated trigger, then every gate. One of them holds
    wherever a trigger fires, so a text for which none holds (most of them)
    needs no further look.
    """

    __slots__ = ("gates", "led", "patterns", "searches", "slots", "triggers", "words")

    def __init__(self, patterns: Sequence[ScrubPattern]) -> None:
        self.patterns = tuple(_compile(pattern) for pattern in patterns)
        tests: dict[tuple[str, object], _Trigger] = {}
        for pattern in patterns:
            key = (pattern.trigger, pattern.gate)
            if key not in tests:
                tests[key] = _Trigger(pattern.trigger, pattern.gate)
        keys = list(tests)
        self.triggers = tuple(tests.values())
        self.slots = tuple(keys.index((p.trigger, p.gate)) for p in patterns)
        ungated = [t for t in self.triggers if t.gate is None]
        self.words = tuple(dict.fromkeys(w for t in ungated for w in t.words))
        self.led = tuple(pair for t in ungated for pair in t.led)
        self.searches = tuple(s for t in ungated for s in t.searches)
        self.gates = tuple(dict.fromkeys(t.gate for t in self.triggers if t.gate is not None))

    def may_fire(self, folded: str) -> bool:
        """False only when no trigger can fire on ``folded``."""
        if _finds(self.words, self.led, self.searches, folded):
            return True
        for gate in self.gates:  # noqa: SIM110 (a loop: no generator to create per call)
            if gate(folded):
                return True
        return False


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


_DEFAULT_KEEP = _keep_trie(ALWAYS_KEPT)

# Strings up to this long are remembered with what scrubbing made of them: frame
# fields, log group and stream names, tag values and exception types come back
# event after event. A bounded memo: emptied when full.
_MEMO_CHARS = 256
_MEMO_SIZE = 4096

# Keys seen by the denylist check, with its verdict: an event has a few dozen
# keys, nearly all the same from one event to the next.
_DENIED: dict[str, bool] = {}


def _denied(key: str) -> bool:
    verdict = _DENIED.get(key)
    if verdict is None:
        normalized = key.lower().replace("-", "_")
        verdict = normalized in DEFAULT_DENYLIST or normalized.endswith(DENIED_SUFFIXES)
        if len(key) <= _MEMO_CHARS:
            if len(_DENIED) >= _MEMO_SIZE:
                _DENIED.clear()
            _DENIED[key] = verdict
    return verdict


class Scrubber:
    """Masks secrets in strings and in whole Sentry event dicts.

    Configurable: the expensive work (compiling the patterns) happens once, on
    first use, so that importing this module (the Lambda's cold start) compiles
    nothing. The instance behaves as immutable afterwards (its memo of short
    strings only remembers results) and is safe to share.
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
        self._sources = tuple(patterns)
        self._prepared: _Prepared | None = None
        self._custom = tuple(_Custom(name, regex) for name, regex in custom)
        self._denylist = denylist
        self._cards = any(p.name == "creditcard" for p in self._sources)
        kept = tuple(parse_path(path) for path in keep)
        self._keep = _keep_trie((*ALWAYS_KEPT, *kept)) if kept else _DEFAULT_KEEP
        self._timeout = timeout
        self._memo: dict[str, str] = {}
        self._plain = not (self._sources or self._custom)  # scrub_text changes nothing
        self.names: tuple[str, ...] = tuple(p.name for p in self._sources) + tuple(
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
        return bool(self._sources or self._custom or self._denylist)

    @property
    def keeps_only_defaults(self) -> bool:
        """Whether the only fields left alone are :data:`ALWAYS_KEPT` (no ``keep`` paths)."""
        return self._keep is _DEFAULT_KEEP

    def denies(self, key: str) -> bool:
        """Whether a non-empty value under ``key`` is replaced whole by :data:`FILTERED`."""
        return self._denylist and _denied(key)

    def __call__(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return self.scrub_event(event)

    def scrub_text(self, text: str) -> str:
        """``text`` with every secret the patterns find replaced."""
        if self._plain:
            return text
        short = len(text) <= _MEMO_CHARS
        if short:
            known = self._memo.get(text)
            if known is not None:
                return known
        scrubbed = self._run_patterns(text) if self._sources else text
        for custom in self._custom:
            try:
                scrubbed = custom.regex.sub(
                    _replacer(custom.replacement, custom.keeps_prefix),
                    scrubbed,
                    timeout=self._timeout,
                )
            except TimeoutError:
                # Fail closed: a string we could not check does not leave the process.
                # Not remembered: the next try may finish in time.
                return f"[Filtered:{custom.name} timed out]"
        if short:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[text] = scrubbed
        return scrubbed

    def _run_patterns(self, text: str) -> str:
        prepared = self._prepared
        if prepared is None:
            prepared = self._prepared = _Prepared(self._sources)
        folded = fold(text)
        if not prepared.may_fire(folded):
            return text  # the common case: no trigger, no pattern to run
        triggers = prepared.triggers
        fired: list[bool | None] = [None] * len(triggers)  # each trigger tested when needed
        for pattern, slot in zip(prepared.patterns, prepared.slots, strict=True):
            found = fired[slot]
            if found is None:
                found = fired[slot] = triggers[slot](folded)
            if found:
                scrubbed = _substitute(pattern, text)
                if scrubbed != text:
                    # Later patterns see the text this one left: their triggers too.
                    text = scrubbed
                    folded = fold(text)
                    fired = [None] * len(triggers)
        return text

    def scrub_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of the Sentry event dict ``event`` with its secrets masked.

        Every string is scrubbed, at any depth, except :data:`ALWAYS_KEPT` and
        the ``keep`` paths; the value of a denylisted key is replaced whole.
        """
        if not self.enabled:
            return dict(event)
        return self._mapping(event, self._keep, {})

    def scrub_at(self, value: Any, path: Sequence[str]) -> Any:
        """``value`` scrubbed as :meth:`scrub_event` scrubs what it finds at ``path``.

        For a builder that places values in an event it scrubs as it goes:
        ``scrub_at(extra, ("extra",))`` is what ``scrub_event`` makes of
        ``event["extra"]``.
        """
        node: dict[str, Any] | None = self._keep
        for part in path:
            child = node.get(part) if node is not None else None
            if child is _KEEP:
                return value
            node = child
        return self._value(value, node, {})

    def _mapping(
        self, value: Mapping[Any, Any], keep: dict[str, Any] | None, seen: dict[str, str]
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
                out[key] = self._value(item, child, seen)
        return out

    def _value(self, value: Any, keep: dict[str, Any] | None, seen: dict[str, str]) -> Any:
        """``seen``: the long strings of this walk, scrubbed (short ones are in the memo)."""
        if isinstance(value, str):
            if len(value) <= _MEMO_CHARS:
                return self.scrub_text(value)
            # Repeated strings (a recursion: the same frame 250 times) are scrubbed once.
            scrubbed = seen.get(value)
            if scrubbed is None:
                scrubbed = seen[value] = self.scrub_text(value)
            return scrubbed
        if isinstance(value, Mapping):
            return self._mapping(value, keep, seen)
        if isinstance(value, list | tuple):
            # List indices are not part of paths: every item shares the list's node.
            return [self._value(item, keep, seen) for item in value]
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
