"""Tests for logship.cli._inputs: the options and readers of the commands that read dumps."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from logship.cli._inputs import load_config_option, read_inputs
from logship.cli._progress import Progress
from logship.config import Config
from logship.exceptions import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample-subscription-events.jsonl.gz"
SAMPLE_EVENTS = 429


class TestReadAll:
    def test_progress_counts_events_of_every_file(self) -> None:
        """The progress counts each log event once, across files, and names the file."""
        stream = io.StringIO()
        progress = Progress("replay", stream=stream, enabled=True, interval=0)
        items = list(read_inputs([str(SAMPLE), str(SAMPLE)], None, "", progress=progress))
        assert progress.count == 2 * SAMPLE_EVENTS
        assert len(items) == 2 * SAMPLE_EVENTS
        assert f"{SAMPLE} (2/2)" in stream.getvalue()

    def test_without_progress_items_are_unchanged(self) -> None:
        """Without a progress the items are those of the decoder."""
        items = list(read_inputs([str(SAMPLE)], "/fallback", ""))
        assert len(items) == SAMPLE_EVENTS


class TestLoadConfigOption:
    def test_defaults_without_a_file(self) -> None:
        """No --config means the default configuration."""
        assert load_config_option(None) == Config()

    def test_loads_the_named_file(self) -> None:
        """--config FILE is loaded and validated."""
        config = load_config_option(str(ROOT / "examples" / "logship.toml"))
        assert config.source.endswith("logship.toml")

    def test_invalid_file_raises_config_error(self, tmp_path: Path) -> None:
        """A bad file is a ConfigError, which the commands turn into exit status 2."""
        bad = tmp_path / "bad.toml"
        bad.write_text("nonsense = 1\n")
        with pytest.raises(ConfigError, match=r"bad\.toml"):
            load_config_option(str(bad))
