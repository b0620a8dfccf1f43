"""Configuration: the model the pipeline reads, and the ``logship.toml`` loader.

- :class:`Config` (with :class:`AssemblyLimits` and :class:`ScrubConfig`) is
  everything the stages read, immutable; a default ``Config()`` is valid and
  is what runs without a file.
- :func:`load_config` and :func:`parse_config` read and validate a file into
  a ``Config``, with errors that name the file, the rule and the key.
- :mod:`logship.config.rules` holds the records a file's rules and pattern
  tables become (``IgnoreRule``, ``Matcher``, ``ServiceMapping``, ...), and
  :mod:`logship.config.templates` the ``{{ variable }}`` template language.
  Neither is imported here: a Lambda without a rules file never builds them.

This package is the model layer: it imports no pipeline stage.
"""

from __future__ import annotations

from ._load import load_config, parse_config
from ._model import DEFAULT_REGEX_TIMEOUT, LEVELS, AssemblyLimits, Config, ScrubConfig

__all__ = [
    "DEFAULT_REGEX_TIMEOUT",
    "LEVELS",
    "AssemblyLimits",
    "Config",
    "ScrubConfig",
    "load_config",
    "parse_config",
]
