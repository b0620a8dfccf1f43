"""What the commands that read log dumps share: their input options and readers."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence

from logship.cli._progress import Progress
from logship.config import Config, load_config
from logship.pipeline import Item


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """``--log-group``, ``--region`` and ``--config``, worded alike in every command."""
    parser.add_argument(
        "--log-group", help="log group for inputs that do not name one (plain text, dumps)"
    )
    parser.add_argument("--region", default="", help="AWS region of the logs, for links and tags")
    parser.add_argument("--config", metavar="FILE", help="a logship.toml with rules")


def load_config_option(path: str | None) -> Config:
    """The config named by ``--config``, or the defaults (raises ConfigError)."""
    if path is None:
        return Config()
    return load_config(path)


def read_inputs(
    paths: Sequence[str],
    log_group: str | None,
    region: str,
    *,
    progress: Progress | None = None,
) -> Iterator[Item]:
    """The decoded items of every path in turn, counted on ``progress``."""
    from logship.decode import from_path
    from logship.records import LogEvent

    for number, path in enumerate(paths, 1):
        items = from_path(path, log_group=log_group, region=region)
        if progress is None:
            yield from items
            continue
        progress.detail = f"{path} ({number}/{len(paths)})" if len(paths) > 1 else path
        for item in items:
            if isinstance(item, LogEvent):
                progress.advance()
            yield item
