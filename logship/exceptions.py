"""Errors raised by logship. Each subclasses :class:`LogshipError` and a built-in."""

from __future__ import annotations


class LogshipError(Exception):
    """The root of every error logship raises on purpose."""


class InputError(LogshipError, ValueError):
    """An input (file, payload, record) could not be decoded.

    The message names the input and the position in it.
    """


class PayloadTooLargeError(InputError):
    """A compressed payload inflates past the configured limit (a gzip bomb)."""


class ConfigError(LogshipError, ValueError):
    """A config file is invalid; the message names the file, the rule and the key."""


class SettingsError(LogshipError, ValueError):
    """A Lambda setting (environment variable) is missing or invalid."""


class DeliveryError(LogshipError, RuntimeError):
    """Events could not be delivered to Sentry within the deadline."""


class JsonStreamError(InputError):
    """A JSON document is not valid JSON, or a value in it is larger than the limit."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class LogsReadError(LogshipError, RuntimeError):
    """A CloudWatch Logs request failed for good; ``code`` is the service's error code.

    ``throttled``: it was still refused for rate when its time ran out.
    """

    def __init__(self, operation: str, code: str, message: str, *, throttled: bool) -> None:
        super().__init__(f"{operation}: {code}: {message}" if message else f"{operation}: {code}")
        self.operation = operation
        self.code = code
        self.throttled = throttled


class PullError(LogshipError, ValueError):
    """A pull cannot start: bad times, or a state file that does not fit the output."""


class SelectionCriteriaError(LogshipError, ValueError):
    """An account policy's selection criteria are not ``LogGroupName NOT IN [...]``."""
