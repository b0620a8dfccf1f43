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
