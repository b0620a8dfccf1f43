"""Seeded secrets for the scrubber's tests: Hypothesis strategies and a fixed corpus.

Each :class:`Seeded` is a log line holding one secret and the strings that must
never reach Sentry once it is scrubbed. Formats follow their specifications
(RFC 7519 JWTs, RFC 6750 bearer tokens, ISO/IEC 7812 card numbers, the AWS
IAM key formats, PEM as ``openssl`` writes it); the values are random.
"""

from __future__ import annotations

import base64
import json
import string
from dataclasses import dataclass

from hypothesis import strategies as st

# Values that show up in every event (hex ids, digits, "logship") cannot be told
# apart from a leak: secrets here always hold an upper-case letter beyond hex.
_DISTINCT = set("GHJKLMNPQRSTUVWXYZ")
_SAFE_VALUE = string.ascii_letters + string.digits + "!#$%*+-./:=?@^_|~"


@dataclass(frozen=True)
class Seeded:
    """A log message with one secret in it."""

    kind: str
    message: str
    secrets: tuple[str, ...]  # none may appear in anything sent


def _distinct(value: str) -> bool:
    return any(char in _DISTINCT for char in value)


def luhn_complete(body: str) -> str:
    """``body`` followed by the check digit that makes it pass the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


@st.composite
def card_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(as logged, digits only): Visa, Mastercard, Amex, Discover, optionally grouped."""
    prefix, length = draw(
        st.sampled_from(
            [
                ("4", 16),
                ("51", 16),
                ("55", 16),
                ("2221", 16),
                ("34", 15),
                ("37", 15),
                ("6011", 16),
                ("65", 16),
                ("4", 13),
                ("4", 19),
            ]
        )
    )
    body = prefix + "".join(
        draw(
            st.lists(
                st.sampled_from(string.digits),
                min_size=length - len(prefix) - 1,
                max_size=length - len(prefix) - 1,
            )
        )
    )
    digits = luhn_complete(body)
    separator = draw(st.sampled_from(["", " ", "-"]))
    grouped = separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))
    return grouped, digits


def _value(min_size: int = 10, max_size: int = 32) -> st.SearchStrategy[str]:
    return st.text(_SAFE_VALUE, min_size=min_size, max_size=max_size).filter(_distinct)


@st.composite
def credential_lines(draw: st.DrawFn) -> Seeded:
    """password=/token=/secret=/api_key= values in key=value, key: value, JSON and URLs."""
    key = draw(
        st.sampled_from(
            [
                "password",
                "passwd",
                "pwd",
                "token",
                "secret",
                "api_key",
                "apikey",
                "client_secret",
                "DB_PASSWORD",
                "X-Api-Key",
                "access_token",
                "aws_secret_access_key",
                "refresh_token",
            ]
        )
    )
    # Unquoted values end at whitespace, quotes and & , ; < > ) ] }: draw them without.
    value = draw(_value())
    shape = draw(st.sampled_from(["kv", "colon", "json", "query", "quoted", "escaped_json"]))
    if shape == "kv":
        text = f"{key}={value}"
    elif shape == "colon":
        text = f"{key}: {value}"
    elif shape == "json":
        text = json.dumps({"user": "u1", key: value})
    elif shape == "query":
        text = f"GET https://api.example.com/v1/orders?page=2&{key}={value}&sort=asc"
    elif shape == "quoted":
        value = draw(_value()) + " " + draw(_value())
        text = f'{key}="{value}"'
    else:
        text = json.dumps(json.dumps({key: value}))[1:-1]
    return Seeded("credential", text, (value,))


@st.composite
def jwts(draw: st.DrawFn) -> Seeded:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": draw(_value(6, 12)), "email": "bob@example.com", "iat": 1714557600}
    payload = _b64url(json.dumps(claims).encode())
    signature = _b64url(draw(st.binary(min_size=32, max_size=32)))
    token = f"{header}.{payload}.{signature}"
    text = draw(
        st.sampled_from(
            [f"Authorization: Bearer {token}", f"jwt {token} rejected", f"session={token}"]
        )
    )
    return Seeded("jwt", text, (token, payload, signature))


@st.composite
def bearer_tokens(draw: st.DrawFn) -> Seeded:
    token = draw(
        st.text(string.ascii_letters + string.digits + "-._~+/", min_size=16, max_size=48).filter(
            _distinct
        )
    )
    scheme = draw(st.sampled_from(["Bearer", "bearer", "BEARER"]))
    text = draw(
        st.sampled_from([f"Authorization: {scheme} {token}", f"upstream refused {scheme} {token}"])
    )
    return Seeded("bearer", text, (token,))


@st.composite
def basic_auth(draw: st.DrawFn) -> Seeded:
    credentials = base64.b64encode(f"svc:{draw(_value())}".encode()).decode()
    return Seeded("basic", f"headers: Authorization: Basic {credentials}", (credentials,))


@st.composite
def aws_keys(draw: st.DrawFn) -> Seeded:
    key_id = draw(st.sampled_from(["AKIA", "ASIA"])) + "".join(
        draw(st.lists(st.sampled_from(string.ascii_uppercase + "234567"), min_size=16, max_size=16))
    )
    secret = draw(
        st.text(string.ascii_letters + string.digits + "/+", min_size=40, max_size=40).filter(
            lambda s: (
                any(c.isupper() for c in s)
                and any(c.islower() for c in s)
                and any(c.isdigit() for c in s)
            )
        )
    )
    text = draw(
        st.sampled_from(
            [
                f"credentials {key_id} {secret} rejected",
                f"aws_access_key_id={key_id} aws_secret_access_key={secret}",
                json.dumps({"AccessKeyId": key_id, "SecretAccessKey": secret}),
            ]
        )
    )
    return Seeded("aws", text, (key_id, secret))


@st.composite
def emails(draw: st.DrawFn) -> Seeded:
    local = draw(st.from_regex(r"[a-z][a-z0-9._+-]{2,12}[a-z0-9]", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z][a-z0-9-]{1,10}[a-z]\.(com|org|io|co\.uk)", fullmatch=True))
    address = f"{local}@{domain}"
    return Seeded("email", f"notification to {address} bounced", (address,))


@st.composite
def cards(draw: st.DrawFn) -> Seeded:
    grouped, digits = draw(card_numbers())
    text = draw(
        st.sampled_from(
            [f"charge failed for card {grouped}", f'{{"card": "{grouped}", "amount": 12}}']
        )
    )
    return Seeded("creditcard", text, (grouped, digits))


@st.composite
def url_auth(draw: st.DrawFn) -> Seeded:
    password = draw(
        st.text(string.ascii_letters + string.digits, min_size=10, max_size=20).filter(_distinct)
    )
    return Seeded(
        "urlauth",
        f"could not connect to postgres://orders:{password}@db.internal:5432/orders",
        (password,),
    )


@st.composite
def pem_keys(draw: st.DrawFn) -> Seeded:
    body = base64.b64encode(draw(st.binary(min_size=96, max_size=300))).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    kind = draw(
        st.sampled_from(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    )
    text = f"loaded key:\n-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----"
    # Every 64-character line of the body is a secret on its own.
    return Seeded("pemkey", text, tuple(line for line in lines.split("\n") if len(line) >= 16))


SEEDED: st.SearchStrategy[Seeded] = st.one_of(
    credential_lines(),
    jwts(),
    bearer_tokens(),
    basic_auth(),
    aws_keys(),
    emails(),
    cards(),
    url_auth(),
    pem_keys(),
)
