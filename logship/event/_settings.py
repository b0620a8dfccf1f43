"""What every event of a run shares: :class:`EventSettings`, and the event's type."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from logship.config import Config
from logship.exceptions import SettingsError
from logship.scrub import DEFAULT_SCRUBBER, Scrubber, scrubber_for

__all__ = ["Event", "EventSettings", "ScrubSites"]


class Event(TypedDict, total=False):
    """A Sentry event payload, the subset logship fills (cf. ``sentry_sdk.types.Event``)."""

    event_id: str
    timestamp: float
    platform: str
    level: str
    sdk: dict[str, str]
    logger: str
    fingerprint: list[str]
    environment: str
    release: str
    exception: dict[str, list[dict[str, Any]]]
    logentry: dict[str, str]
    tags: dict[str, str]
    contexts: dict[str, dict[str, Any]]
    request: dict[str, Any]
    extra: dict[str, Any]


def _unchanged(text: str) -> str:
    return text


class ScrubSites:
    """Per field the builder fills, the function that scrubs it: ``scrub_text``, or
    nothing where the scrubber's walk of a finished event would leave the field alone
    (:data:`~logship.scrub.ALWAYS_KEPT` and the ``[scrub] keep`` paths).

    Worked out once per settings, so that every scrub configuration takes the
    builder's one path. Tags are looked up per key (``tags.team``), and only when
    the scrubber keeps something under ``tags``.
    """

    __slots__ = (
        "abs_path",
        "account",
        "console_url",
        "environment",
        "exception_module",
        "exception_type",
        "exception_value",
        "filename",
        "fingerprint",
        "formatted",
        "frame_module",
        "function",
        "log_group",
        "log_stream",
        "logger",
        "message",
        "method",
        "raw_log",
        "region",
        "release",
        "runbook_rule",
        "runbook_url",
        "tags_kept",
        "url",
        "user_agent",
    )

    def __init__(self, scrubber: Scrubber) -> None:
        def at(*path: str) -> Callable[[str], str]:
            return _unchanged if scrubber.keeps(path) else scrubber.scrub_text

        frames = ("exception", "values", "stacktrace", "frames")
        cloudwatch = ("contexts", "cloudwatch")
        self.fingerprint = at("fingerprint")
        self.logger = at("logger")
        self.environment = at("environment")
        self.release = at("release")
        self.exception_type = at("exception", "values", "type")
        self.exception_module = at("exception", "values", "module")
        self.exception_value = at("exception", "values", "value")
        self.function = at(*frames, "function")
        self.frame_module = at(*frames, "module")
        self.filename = at(*frames, "filename")
        self.abs_path = at(*frames, "abs_path")
        self.formatted = at("logentry", "formatted")
        self.message = at("logentry", "message")
        self.log_group = at(*cloudwatch, "log_group")
        self.log_stream = at(*cloudwatch, "log_stream")
        self.account = at(*cloudwatch, "account")
        self.region = at(*cloudwatch, "region")
        self.console_url = at(*cloudwatch, "console_url")
        self.runbook_url = at("contexts", "runbook", "url")
        self.runbook_rule = at("contexts", "runbook", "rule")
        self.url = at("request", "url")
        self.method = at("request", "method")
        self.user_agent = at("request", "headers", "User-Agent")
        self.raw_log = at("extra", "raw_log")
        self.tags_kept = scrubber.keeps_under(("tags",))


@dataclass(frozen=True, slots=True)
class EventSettings:
    """What every event of a run shares. Validated on creation: Sentry drops bad values."""

    environment: str = ""
    release: str = ""
    tags: tuple[tuple[str, str], ...] = ()  # static tags for every event
    environments: tuple[tuple[str, str], ...] = ()  # (AWS account id, environment)
    max_raw_log: int = 8192  # characters of the raw log text kept in ``extra.raw_log``
    # Applied to every string of the event as the builder places it (logship.scrub).
    scrubber: Scrubber = field(default=DEFAULT_SCRUBBER, compare=False, repr=False)
    sites: ScrubSites = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        _check_environment(self.environment, "environment")
        for account, environment in self.environments:
            _check_environment(environment, f"environments[{account!r}]")
        _check_release(self.release)
        if self.max_raw_log < 0:
            raise SettingsError(f"max_raw_log must not be negative, got {self.max_raw_log}")
        object.__setattr__(self, "sites", ScrubSites(self.scrubber))

    @classmethod
    def from_config(
        cls, config: Config, *, environment: str = "", release: str = "", max_raw_log: int = 8192
    ) -> EventSettings:
        """Settings with the static tags, account environments and scrubber of ``config``."""
        return cls(
            environment=environment,
            release=release,
            tags=config.tags,
            environments=config.environments,
            max_raw_log=max_raw_log,
            scrubber=scrubber_for(config),
        )

    def environment_for(self, account: str) -> str:
        """The environment of an AWS account: its mapping, else the default.

        The mapping wins: one function can receive the logs of several accounts
        (a cross-account subscription), each one a stage of its own.
        """
        for account_id, environment in self.environments:
            if account_id == account:
                return environment
        return self.environment


def _check_environment(value: str, name: str) -> None:
    # Sentry's rules for environment names; Relay drops an event field that breaks them.
    if not value:
        return
    if len(value) > 64 or value == "None" or re.search(r"[\s/]", value):
        raise SettingsError(
            f"{name} {value!r} is not a valid Sentry environment: at most 64 characters,"
            " no spaces, newlines or slashes, not 'None'"
        )


def _check_release(value: str) -> None:
    if not value:
        return
    if (
        len(value) > 200
        or value in {".", "..", "latest"}
        or value != value.strip()
        or re.search(r"[\x00-\x1f\x7f/\\]", value)
    ):
        raise SettingsError(
            f"release {value!r} is not a valid Sentry release: at most 200 characters,"
            " no newlines, tabs or slashes, not '.', '..' or 'latest'"
        )
