"""The secret patterns: what the scrubber masks in events and the templates mask in messages.

In the spirit of sentry-python's ``scrubber.py``: module-level data, each entry
commented with where it comes from. This module holds data and the small checks
the data names (the Luhn check, the gates); nothing here compiles a regex, so
importing it costs nothing. :mod:`logship.scrub` (events) and :mod:`logship.mask`
(message templates) both read it.

- :data:`DEFAULT_PATTERNS` finds secrets in free text (messages, raw log text,
  URLs, frame fields): emails, Luhn-checked card numbers, JWTs, bearer and
  basic credentials, AWS access key ids and secret keys, ``password=`` /
  ``token=`` / ``secret=`` / ``api_key=`` values in URLs, query strings,
  ``key=value``, ``key: value`` and JSON logs, URL user info and PEM private keys.
- :data:`DEFAULT_DENYLIST` names keys whose whole value is a secret wherever
  they appear in the event (headers, ``extra``, frame ``vars``, ``user``...).

Every pattern follows one convention: group 1, when the pattern has groups, is a
prefix that stays (``password=``); the rest of the match is replaced by
``[Filtered:<name>]`` in events and by ``<SECRET>`` in templates. A fingerprint is
computed from a template in which these secrets are already masked, so scrubbing
the event afterwards never changes its grouping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "DEFAULT_DENYLIST",
    "DEFAULT_PATTERNS",
    "DENIED_SUFFIXES",
    "Run",
    "ScrubPattern",
    "is_card_number",
    "luhn_valid",
]


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
