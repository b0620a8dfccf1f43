"""Configuration: what the pipeline needs to know, immutable once loaded.

The full ``logship.toml`` loader (ignore and fingerprint rules, validation with
errors that name the file, the rule and the key) lives in :mod:`logship.rules`
and produces a :class:`Config`; a default ``Config()`` is valid and used when no
file is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .mask import DEFAULT_MASKS, MaskInstruction


@dataclass(frozen=True, slots=True)
class AssemblyLimits:
    """Bounds on one stream's open record, so a runaway trace cannot eat memory."""

    max_lines: int = 2000
    max_bytes: int = 512 * 1024
    max_age_ms: int = 10_000  # a trace's lines are written within milliseconds


@dataclass(frozen=True, slots=True)
class ServiceMapping:
    """Log groups or streams matching ``pattern`` (a glob) belong to ``service``."""

    pattern: str
    service: str
    field: str = "log_group"  # or "log_stream"


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the pipeline stages read. Build it with :func:`logship.rules.load_config`."""

    source: str = "<defaults>"  # the file it came from, for messages
    in_app_prefixes: tuple[str, ...] = ()  # e.g. ("com.shop.", "app/"); empty: a heuristic
    min_level: str = "error"  # records below this level never become errors
    services: tuple[ServiceMapping, ...] = ()
    environments: tuple[tuple[str, str], ...] = ()  # (account id, environment)
    tags: tuple[tuple[str, str], ...] = ()  # static tags for every event
    masks: tuple[MaskInstruction, ...] = DEFAULT_MASKS
    assembly: AssemblyLimits = field(default_factory=AssemblyLimits)
    max_events_per_fingerprint: int = 100  # per run; the rest are counted as suppressed

    def environment_for(self, account: str) -> str:
        """The environment configured for an AWS account id, or ""."""
        for account_id, environment in self.environments:
            if account_id == account:
                return environment
        return ""
