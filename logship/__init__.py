"""logship: turn microservice error logs into well-grouped Sentry issues.

The pipeline stages live in their own modules (``decode``, ``assemble``,
``parse``, ``fingerprint``, ``rules``, ``event``, ``sink``) and are composed
in :mod:`logship.pipeline`. Importing ``logship`` is cheap: no boto3, no CLI
packages, no sentry-sdk until a sink or integration is used.
"""

from __future__ import annotations

__version__ = "0.1.0"  # pyproject.toml reads it from here

from typing import TYPE_CHECKING

from logship.config import Config
from logship.fingerprint import default_fingerprint, fingerprint
from logship.mask import template
from logship.records import (
    ExceptionInfo,
    Fingerprinted,
    Frame,
    LogEvent,
    LogRecord,
    ParsedError,
    Relation,
    RequestContext,
    Trace,
)

if TYPE_CHECKING:
    from logship.inprocess import fingerprint_exception

__all__ = [
    "Config",
    "ExceptionInfo",
    "Fingerprinted",
    "Frame",
    "LogEvent",
    "LogRecord",
    "ParsedError",
    "Relation",
    "RequestContext",
    "Trace",
    "default_fingerprint",
    "fingerprint",
    "fingerprint_exception",
    "template",
]


def __getattr__(name: str) -> object:
    # fingerprint_exception needs the parsers and the rules: loaded on first
    # use, so that `import logship` stays cheap for the Lambda and the CLI.
    if name == "fingerprint_exception":
        from logship.inprocess import fingerprint_exception

        return fingerprint_exception
    raise AttributeError(f"module 'logship' has no attribute {name!r}")
