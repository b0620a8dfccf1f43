"""Tests for what every ``logship`` command shares: exit codes, --help, --json, TTY output."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from logship.cli import (
    EXIT_FAILURE,
    EXIT_INPUT_PROBLEMS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    SUBCOMMANDS,
    build_parser,
    main,
)
from logship.cli._progress import Progress, human_bytes, human_count
from logship.cli._style import Style, use_color

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample-subscription-events.jsonl.gz"
COMMANDS = ("replay", "check-config", "explain", "pull", "report", "coverage")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


class TestExitCodes:
    def test_values_are_distinct_and_conventional(self) -> None:
        """0 ok, 1 failure, 2 usage (as argparse), 3 input problems, 130 Ctrl-C (128+SIGINT)."""
        codes = (EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INPUT_PROBLEMS, EXIT_INTERRUPTED)
        assert codes == (0, 1, 2, 3, 130)

    def test_argparse_errors_exit_with_usage(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown option is a usage error, the same status commands use."""
        with pytest.raises(SystemExit) as exited:
            main(["replay", "--no-such-option", str(SAMPLE)])
        assert exited.value.code == EXIT_USAGE
        assert "unrecognized arguments" in capsys.readouterr().err

    def test_missing_input_file_is_an_input_problem(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A path that does not exist is reported by name with status 3, in every reader."""
        missing = str(tmp_path / "nope.json.gz")
        assert main(["replay", missing]) == EXIT_INPUT_PROBLEMS
        assert main(["report", missing, "-o", str(tmp_path / "r.html")]) == EXIT_INPUT_PROBLEMS
        assert capsys.readouterr().err.count("nope.json.gz: cannot open") == 2


class TestHelp:
    def test_every_command_is_registered(self) -> None:
        """The six commands are there, each from its own module."""
        assert tuple(subparsers()) == COMMANDS
        assert len(SUBCOMMANDS) == len(COMMANDS)

    @pytest.mark.parametrize("command", COMMANDS)
    def test_help_has_examples(self, command: str, capsys: pytest.CaptureFixture[str]) -> None:
        """`logship COMMAND --help` exits 0 and shows examples that use the command."""
        with pytest.raises(SystemExit) as exited:
            main([command, "--help"])
        assert exited.value.code == EXIT_OK
        out = capsys.readouterr().out
        assert "examples:" in out
        assert f"logship {command} " in out

    def test_top_level_help_lists_commands_and_statuses(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`logship --help` lists every command and the exit statuses."""
        with pytest.raises(SystemExit):
            main(["--help"])
        out = capsys.readouterr().out
        assert all(command in out for command in COMMANDS)
        assert "130 interrupted" in out


class TestJsonEverywhere:
    @pytest.mark.parametrize("command", COMMANDS)
    def test_every_command_has_json(self, command: str) -> None:
        """Each command takes --json."""
        options = {
            opt for action in subparsers()[command]._actions for opt in action.option_strings
        }
        assert "--json" in options

    def test_json_outputs_parse(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """replay, report, check-config and explain print valid JSON with --json."""
        config = ROOT / "examples" / "logship.toml"
        runs = {
            "replay": ["replay", str(SAMPLE), "--json"],
            "report": ["report", str(SAMPLE), "-o", str(tmp_path / "r.html"), "--json"],
            "check-config": ["check-config", str(config), "--json"],
            "explain": ["explain", str(SAMPLE), "--json"],
        }
        for name, args in runs.items():
            assert main(args) == EXIT_OK, name
            out = capsys.readouterr().out
            if name == "replay":
                values = [json.loads(line) for line in out.splitlines()]
                assert "summary" in values[-1]
            else:
                assert isinstance(json.loads(out), dict), name


class TestNotATerminal:
    def test_piped_output_has_no_colors_or_progress(self, tmp_path: Path) -> None:
        """Run as a real process with pipes: stdout is plain, stderr gets no progress line."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}  # whether or not logship is installed
        result = subprocess.run(
            [sys.executable, "-m", "logship", "replay", str(SAMPLE)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert result.returncode == EXIT_OK
        assert "\x1b[" not in result.stdout
        assert result.stderr == ""
        assert "23 groups" in result.stdout


class TestStyle:
    def test_colors_only_on_a_terminal(self) -> None:
        """A TTY gets colors; a pipe, NO_COLOR or TERM=dumb does not."""
        assert use_color(_Tty(), {})
        assert not use_color(io.StringIO(), {})
        assert not use_color(_Tty(), {"NO_COLOR": "1"})
        assert not use_color(_Tty(), {"TERM": "dumb"})

    def test_style_wraps_only_when_enabled(self) -> None:
        """Enabled: ANSI codes around the text; disabled: the text unchanged."""
        assert Style(True)("x", "bold", "red") == "\x1b[1;31mx\x1b[0m"
        assert Style(False)("x", "bold") == "x"


class TestProgress:
    def test_draws_nothing_when_not_a_terminal(self) -> None:
        """On a pipe the progress counts but writes nothing."""
        stream = io.StringIO()
        with Progress("replay", stream=stream) as progress:
            progress.advance(10)
        assert progress.count == 10
        assert stream.getvalue() == ""

    def test_redraws_are_rate_limited_and_cleared(self) -> None:
        """One redraw per interval however many updates; the line is erased at the end."""
        now = [0.0]
        stream = _Tty()
        # Binary fractions, so the clock arithmetic is exact.
        with Progress("replay", stream=stream, interval=0.25, clock=lambda: now[0]) as progress:
            for _ in range(100):
                progress.advance()
                now[0] += 1 / 64  # 100 updates in about 1.5 s
        drawn = stream.getvalue()
        assert drawn.count("replay") == 7  # at 0, 0.25, ... 1.5 s
        assert drawn.count("\r\x1b[K") == 8  # and the final clear
        assert drawn.endswith("\r\x1b[K")

    def test_line_with_total_shows_a_bar(self) -> None:
        """With a total: a bar and a percentage; always: the count, the rate, the detail."""
        now = [0.0]
        progress = Progress("pull", unit="bytes", total=200, enabled=False, clock=lambda: now[0])
        progress.advance(50, detail="up to 10:00")
        now[0] = 2.0
        assert (
            progress.line() == "pull  [######------------------]  25%  50 bytes  25/s  up to 10:00"
        )

    def test_human_figures(self) -> None:
        """Counts and sizes are shortened for a status line."""
        assert human_count(999) == "999"
        assert human_count(12_345) == "12.3k"
        assert human_count(2_500_000) == "2.5M"
        assert human_bytes(512) == "512 B"
        assert human_bytes(1536) == "1.5 KiB"
        assert human_bytes(3 * 1024**3) == "3.0 GiB"
