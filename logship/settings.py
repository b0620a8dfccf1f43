"""The Lambda's settings: environment variables, secrets and the remote rules file.

Every environment variable logship reads is named once, here. Nothing is read
at import time: :func:`load_settings` takes the environment as an argument (the
Lambda passes ``os.environ``) so tests and other callers can pass their own.

Secrets Manager, SSM Parameter Store and S3 are read at most once per container
for each reference (``functools.cache``): a warm Lambda reuses the DSN and the
config, and a changed secret is picked up by the next cold start. boto3 is
imported inside the functions that need it, so a Lambda configured with a plain
``SENTRY_DSN`` and a bundled config never loads it.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import Config, parse_config
from .exceptions import ConfigError, SettingsError
from .truncate import MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS

# The Sentry DSN itself; the simplest setup, fine when the DSN is not treated as secret.
SENTRY_DSN = "SENTRY_DSN"
# Secrets Manager secret holding the DSN: a plain string, or JSON {"dsn": "..."}.
DSN_SECRET_ARN = "LOGSHIP_SENTRY_DSN_SECRET_ARN"
# SSM parameter (String or SecureString) holding the DSN.
DSN_SSM_PARAMETER = "LOGSHIP_SENTRY_DSN_SSM_PARAMETER"
SENTRY_ENVIRONMENT = "SENTRY_ENVIRONMENT"
SENTRY_RELEASE = "SENTRY_RELEASE"
# The rules file: a path in the bundle, "s3://bucket/key" or "ssm:/parameter/name".
CONFIG = "LOGSHIP_CONFIG"
# Static tags for every event: "team=payments,tier=1".
TAGS = "LOGSHIP_TAGS"
# Milliseconds kept back from the invocation's remaining time when flushing.
FLUSH_MARGIN_MS = "LOGSHIP_FLUSH_MARGIN_MS"
# Stitching: "on" (the default) reads CloudWatch Logs to rejoin a trace cut at a payload
# boundary (logship.stitch); "off" assembles each payload as it comes.
STITCHING = "LOGSHIP_STITCHING"
# A line stored this long after the line before it never continues it; also how long
# after its last line was stored the Lambda waits for the rest of an open entry.
STITCH_WAIT_MS = "LOGSHIP_STITCH_WAIT_MS"
AWS_REGION = "AWS_REGION"  # set by the Lambda runtime

DSN_VARIABLES = (SENTRY_DSN, DSN_SECRET_ARN, DSN_SSM_PARAMETER)
DEFAULT_FLUSH_MARGIN_MS = 2000
DEFAULT_STITCH_WAIT_MS = 6000  # the awslogs driver sends a batch at least every 5 s
_SWITCH = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}
# Sentry's limits on tags (https://develop.sentry.dev/sdk/data-model/event-payloads/).
MAX_TAG_KEY = MAX_TAG_KEY_CHARS
MAX_TAG_VALUE = MAX_TAG_VALUE_CHARS


@dataclass(frozen=True, slots=True)
class Settings:
    """What the Lambda needs to run, resolved from its environment."""

    dsn: str = field(repr=False)  # a credential: kept out of reprs and logs
    environment: str = ""
    release: str = ""
    config_ref: str = ""  # empty: the default Config
    tags: tuple[tuple[str, str], ...] = ()
    region: str = ""
    flush_margin_ms: int = DEFAULT_FLUSH_MARGIN_MS
    dsn_source: str = ""  # which variable the DSN came from, for the log line
    stitching: bool = True
    stitch_wait_ms: int = DEFAULT_STITCH_WAIT_MS


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read the settings from ``environ``, fetching the DSN if it lives in AWS.

    Raises :class:`SettingsError` naming the variable at fault (never its
    value when that is the DSN).
    """
    region = environ.get(AWS_REGION, "").strip()
    dsn_source, dsn = resolve_dsn(environ, region=region)
    return Settings(
        dsn=dsn,
        environment=environ.get(SENTRY_ENVIRONMENT, "").strip(),
        release=environ.get(SENTRY_RELEASE, "").strip(),
        config_ref=environ.get(CONFIG, "").strip(),
        tags=parse_tags(environ.get(TAGS, "")),
        region=region,
        flush_margin_ms=_parse_ms(FLUSH_MARGIN_MS, environ, DEFAULT_FLUSH_MARGIN_MS),
        dsn_source=dsn_source,
        stitching=_parse_switch(STITCHING, environ, default=True),
        stitch_wait_ms=_parse_ms(STITCH_WAIT_MS, environ, DEFAULT_STITCH_WAIT_MS),
    )


def resolve_dsn(environ: Mapping[str, str], *, region: str = "") -> tuple[str, str]:
    """The DSN and the variable it came from. Exactly one DSN variable must be set."""
    given = [
        (name, environ[name].strip()) for name in DSN_VARIABLES if environ.get(name, "").strip()
    ]
    if not given:
        raise SettingsError(f"no Sentry DSN: set one of {', '.join(DSN_VARIABLES)}")
    if len(given) > 1:
        names = " and ".join(name for name, _ in given)
        raise SettingsError(f"{names} are both set; set only one source for the Sentry DSN")
    name, value = given[0]
    if name == DSN_SECRET_ARN:
        dsn = dsn_from_secret(fetch_secret(value, region))
    elif name == DSN_SSM_PARAMETER:
        dsn = fetch_parameter(value, region).strip()
    else:
        dsn = value
    check_dsn(dsn, name)
    return name, dsn


def check_dsn(dsn: str, variable: str) -> None:
    """Raise :class:`SettingsError` unless ``dsn`` looks like a Sentry DSN; never quote it."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(dsn)
        valid = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and bool(parts.username)
            and parts.path.rstrip("/").rsplit("/", 1)[-1].isdigit()
        )
    except ValueError:
        valid = False
    if not valid:
        raise SettingsError(
            f"the Sentry DSN from {variable} is not a DSN (expected https://KEY@HOST/PROJECT_ID)"
        )


def dsn_from_secret(secret: str) -> str:
    """The DSN in a secret string: the string itself, or the ``dsn`` key of a JSON object."""
    text = secret.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SettingsError(f"the DSN secret ({DSN_SECRET_ARN}) is not valid JSON") from exc
        value = data.get("dsn") if isinstance(data, dict) else None
        if not isinstance(value, str):
            raise SettingsError(f"the DSN secret ({DSN_SECRET_ARN}) has no string key 'dsn'")
        return value.strip()
    return text


def parse_tags(text: str) -> tuple[tuple[str, str], ...]:
    """``"team=payments, tier=1"`` -> ``(("team", "payments"), ("tier", "1"))``."""
    tags: list[tuple[str, str]] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise SettingsError(f"{TAGS}: {item!r} is not key=value")
        if len(key) > MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
            raise SettingsError(
                f"{TAGS}: {key!r} is longer than Sentry allows "
                f"({MAX_TAG_KEY} characters for a key, {MAX_TAG_VALUE} for a value)"
            )
        tags.append((key, value))
    return tuple(tags)


def _parse_ms(name: str, environ: Mapping[str, str], default: int) -> int:
    text = environ.get(name, "")
    if not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{name}: {text!r} is not a whole number") from None
    if value < 0:
        raise SettingsError(f"{name}: {value} is negative")
    return value


def _parse_switch(name: str, environ: Mapping[str, str], *, default: bool) -> bool:
    text = environ.get(name, "").strip().lower()
    if not text:
        return default
    if text not in _SWITCH:
        raise SettingsError(f"{name}: {text!r} is not on or off")
    return _SWITCH[text]


def _client(service: str, region: str) -> Any:
    # Imported by name: only deployments that keep the DSN or config in AWS pay for
    # boto3, and mypy passes with or without boto3-stubs installed.
    boto3 = importlib.import_module("boto3")
    return boto3.client(service, region_name=region or None)


def _aws_error(what: str, exc: Exception) -> SettingsError:
    """A message naming the AWS resource and the error code, never a secret value."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
    return SettingsError(f"could not read {what}: {code}")


@functools.cache
def fetch_secret(arn: str, region: str = "") -> str:
    """The string value of a Secrets Manager secret, read once per container."""
    try:
        response = _client("secretsmanager", region).get_secret_value(SecretId=arn)
    except Exception as exc:  # botocore's errors are many; each becomes a SettingsError
        raise _aws_error(f"secret {arn} ({DSN_SECRET_ARN})", exc) from exc
    value = response.get("SecretString")
    if not isinstance(value, str):
        raise SettingsError(f"secret {arn} ({DSN_SECRET_ARN}) has no SecretString")
    return value


@functools.cache
def fetch_parameter(name: str, region: str = "") -> str:
    """The decrypted value of an SSM parameter, read once per container."""
    try:
        response = _client("ssm", region).get_parameter(Name=name, WithDecryption=True)
    except Exception as exc:
        raise _aws_error(f"SSM parameter {name}", exc) from exc
    return str(response["Parameter"]["Value"])


@functools.cache
def fetch_s3_object(bucket: str, key: str, region: str = "") -> str:
    """An S3 object's text (UTF-8), read once per container."""
    try:
        response = _client("s3", region).get_object(Bucket=bucket, Key=key)
        return str(response["Body"].read().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SettingsError(f"s3://{bucket}/{key} ({CONFIG}) is not UTF-8 text") from exc
    except Exception as exc:
        raise _aws_error(f"s3://{bucket}/{key} ({CONFIG})", exc) from exc


def read_config_text(ref: str, region: str = "") -> tuple[str, str]:
    """The rules file's text and a name for messages, from a ``LOGSHIP_CONFIG`` reference."""
    if ref.startswith("s3://"):
        bucket, _, key = ref[len("s3://") :].partition("/")
        if not bucket or not key:
            raise SettingsError(f"{CONFIG}: {ref!r} is not s3://bucket/key")
        return fetch_s3_object(bucket, key, region), ref
    if ref.startswith("ssm:"):
        name = ref[len("ssm:") :]
        if not name:
            raise SettingsError(f"{CONFIG}: {ref!r} names no parameter")
        return fetch_parameter(name, region), ref
    try:
        with open(ref, encoding="utf-8") as file:
            return file.read(), ref
    except OSError as exc:
        raise SettingsError(f"{CONFIG}: cannot read {ref}: {exc.strerror}") from exc


@functools.cache
def config_from_reference(ref: str, region: str = "") -> Config:
    """The :class:`Config` a ``LOGSHIP_CONFIG`` reference names; ``""`` is the default.

    The reference is a file path, ``s3://bucket/key`` or ``ssm:/parameter``
    (:func:`read_config_text`); the text is validated by
    :func:`logship.config.parse_config`. Cached per reference, so a warm
    container parses the rules once.
    """
    if not ref:
        return Config()
    text, source = read_config_text(ref, region)
    try:
        return parse_config(text, source=source)
    except ConfigError:
        raise
    except ValueError as exc:  # a loader that raises plain ValueError still names the file
        raise ConfigError(f"{source}: {exc}") from exc


def clear_caches() -> None:
    """Forget cached secrets, parameters and configs (tests; a forced reload)."""
    fetch_secret.cache_clear()
    fetch_parameter.cache_clear()
    fetch_s3_object.cache_clear()
    config_from_reference.cache_clear()
