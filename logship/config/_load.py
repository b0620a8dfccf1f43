"""Load and validate ``logship.toml`` into an immutable :class:`~logship.config.Config`.

Validation is all-or-nothing: the first problem raises one
:class:`~logship.exceptions.ConfigError` whose message names the file, the
rule (``ignore[2]``, with its name when it has one) and the key. Rules are
numbered from 1, in file order, per kind.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from logship.exceptions import ConfigError

if TYPE_CHECKING:
    from ._model import Config


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read, validate and freeze the config file at ``path``.

    Raises :class:`ConfigError` naming the file, the rule and the key on the
    first problem found: unreadable file, invalid TOML, unknown key, wrong type,
    bad regex or glob, missing reason, bad date.
    """
    source = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read the config file: {exc}") from exc
    return parse_config(text, source=source)


def parse_config(text: str, *, source: str = "<string>") -> Config:
    """Validate the TOML ``text`` into a :class:`Config`; ``source`` names it in messages."""
    # The one lazy seam of the package: the TOML parser, the validation (and with
    # it the `regex` engine and the rule records, logship.config.rules) load with
    # the first config file, so a Lambda without one never pays for them at cold
    # start (docs/performance.md, "config package").
    import tomllib

    from ._document import config_of

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    return config_of(document, source)
