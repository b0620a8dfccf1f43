"""Tests for ``logship replay``: the table, JSON lines, progress and Ctrl-C."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from logship.cli import EXIT_INPUT_PROBLEMS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main
from logship.cli import replay as replay_module
from logship.pipeline import run
from logship.records import Outcome

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-subscription-events.jsonl.gz"
SAMPLE_EVENTS = 429
SAMPLE_ERRORS = 30


def interrupted_after(count: int) -> Any:
    """A stand-in for ``pipeline.run`` that yields ``count`` outcomes, then Ctrl-C."""

    def fake_run(items: Iterable[Any], config: Any, report: Any) -> Iterator[Outcome]:
        for number, outcome in enumerate(run(items, config, report)):
            if number == count:
                raise KeyboardInterrupt
            yield outcome

    return fake_run


class TestReplayTable:
    def test_sample_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The sample gives 23 groups, the most frequent first, and balanced counts."""
        assert main(["replay", str(SAMPLE)]) == EXIT_OK
        out, err = capsys.readouterr()
        lines = out.splitlines()
        assert lines[0].split()[:4] == ["COUNT", "IGNORED", "FIRST", "SEEN"]
        assert lines[1].split()[0] == "3"
        assert "23 groups" in lines
        assert f"  events_received: {SAMPLE_EVENTS}" in lines
        assert f"  errors: {SAMPLE_ERRORS}" in lines
        assert err == ""  # not a terminal: no progress line

    def test_json_lines(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--json: one object per error, then the summary."""
        assert main(["replay", str(SAMPLE), "--json"]) == EXIT_OK
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert len(lines) == SAMPLE_ERRORS + 1
        assert lines[-1]["summary"]["errors"] == SAMPLE_ERRORS
        assert "interrupted" not in lines[-1]["summary"]
        assert {"fingerprint", "title", "service", "root_cause_type"} <= lines[0].keys()

    def test_exit_statuses(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A bad config exits 2; unreadable input exits 3 after printing what was read."""
        bad = tmp_path / "bad.toml"
        bad.write_text("min_level = 'loud'\n", encoding="utf-8")
        assert main(["replay", str(SAMPLE), "--config", str(bad)]) == EXIT_USAGE
        assert str(bad) in capsys.readouterr().err
        corrupt = tmp_path / "cut.json.gz"
        corrupt.write_bytes(SAMPLE.read_bytes()[:300])
        assert main(["replay", str(corrupt)]) == EXIT_INPUT_PROBLEMS
        assert "cut.json.gz" in capsys.readouterr().err


class TestReplayInterrupted:
    def test_ctrl_c_prints_the_groups_so_far(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Ctrl-C mid-run: the table of what was read, a note on stderr, exit 130."""
        monkeypatch.setattr(replay_module, "run", interrupted_after(5))
        assert main(["replay", str(SAMPLE)]) == EXIT_INTERRUPTED
        out, err = capsys.readouterr()
        table = out.split("\n\n")[0].splitlines()[1:]  # the rows, before the counts
        assert sum(int(line.split()[0]) for line in table) == 5
        assert f"{len(table)} groups" in out
        assert "logship: replay interrupted after" in err

    def test_ctrl_c_with_json_ends_with_a_summary(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With --json the errors so far are printed, then a summary marked interrupted."""
        monkeypatch.setattr(replay_module, "run", interrupted_after(7))
        assert main(["replay", str(SAMPLE), "--json"]) == EXIT_INTERRUPTED
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert len(lines) == 8
        assert lines[-1]["summary"]["interrupted"] is True


class TestReplaySend:
    def test_sends_every_error_once_to_the_dsn(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--send delivers each error of the sample to a local Sentry endpoint."""
        from fakesentry import fake_sentry

        with fake_sentry() as sentry:
            status = main(["replay", str(SAMPLE), "--send", "--dsn", sentry.dsn, "--json"])
            events = sentry.events
        out, _ = capsys.readouterr()
        summary = json.loads(out.splitlines()[-1])["summary"]
        assert status == EXIT_OK
        assert summary["shipped"] == SAMPLE_ERRORS == len(events)
        assert summary["failed"] == summary["pending"] == 0
        assert len({event["event_id"] for event in events}) == SAMPLE_ERRORS
        assert all(event["fingerprint"] for event in events)

    def test_refused_connection_fails_the_run(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Events that could not be sent make the exit status 1 and are named."""
        from fakesentry import refused_dsn

        status = main(["replay", str(SAMPLE), "--send", "--dsn", refused_dsn(), "--timeout", "0.5"])
        out, err = capsys.readouterr()
        assert status == 1
        assert f"failed: {SAMPLE_ERRORS}" in out
        assert "not sent:" in err

    def test_missing_dsn_is_a_usage_error(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--send without a DSN says where one comes from."""
        monkeypatch.delenv("SENTRY_DSN", raising=False)
        assert main(["replay", str(SAMPLE), "--send"]) == EXIT_USAGE
        assert "SENTRY_DSN" in capsys.readouterr().err


class TestReplayDryRunFlood:
    def test_summary_counts_what_flood_control_would_hold_back(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A dry run shows every error but counts those past the per-fingerprint limit."""
        config = tmp_path / "logship.toml"
        config.write_text("max_events_per_fingerprint = 1\n")
        assert main(["replay", str(SAMPLE), "--json", "--config", str(config)]) == EXIT_OK
        lines = capsys.readouterr().out.splitlines()
        errors = [json.loads(line) for line in lines[:-1]]
        summary = json.loads(lines[-1])["summary"]
        groups = {tuple(error["fingerprint"]) for error in errors}
        assert len(errors) == SAMPLE_ERRORS
        assert summary["suppressed"] == SAMPLE_ERRORS - len(groups)
        assert summary["pending"] == len(groups)


EXAMPLE_CONFIG = SAMPLE.parent / "logship.toml"
OPS_BUS = "arn:aws:events:eu-west-1:111122223333:event-bus/ops"


class TestReplayOwnersAndRoutes:
    def test_team_severity_and_runbook_columns(self, capsys: pytest.CaptureFixture[str]) -> None:
        """With annotate rules the table shows TEAM, SEVERITY and RUNBOOK; without, it does not."""
        assert main(["replay", str(SAMPLE), "--config", str(EXAMPLE_CONFIG)]) == EXIT_OK
        lines = capsys.readouterr().out.splitlines()
        header = lines[0]
        assert header.split()[:8] == [
            *["COUNT", "IGNORED", "FIRST", "SEEN", "LAST", "SEEN"],
            *["TEAM", "SEVERITY"],
        ]
        assert header.rstrip().endswith("RUNBOOK")
        refund = next(line for line in lines if "refund 1485" in line)
        assert refund.split()[3:5] == ["payments", "high"]  # no IGNORED count on this row
        assert refund.rstrip().endswith("https://wiki.example.com/runbooks/payments/%3Cuntyped%3E")
        assert main(["replay", str(SAMPLE)]) == EXIT_OK
        plain = capsys.readouterr().out.splitlines()[0]
        assert "TEAM" not in plain
        assert "RUNBOOK" not in plain

    def test_json_lines_carry_the_annotation(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--json: team, severity, runbook and routes on each line; would_route per rule."""
        args = ["replay", str(SAMPLE), "--config", str(EXAMPLE_CONFIG), "--json"]
        assert main(args) == EXIT_OK
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        refund = next(line for line in lines[:-1] if "refund 1485" in line["title"])
        assert (refund["team"], refund["severity"]) == ("payments", "high")
        assert refund["runbook"] == "https://wiki.example.com/runbooks/payments/%3Cuntyped%3E"
        assert refund["routes"] == ["stuck-refunds", "payments-to-ops"]
        ignored = next(line for line in lines[:-1] if line["ignored_by"])
        assert (ignored["team"], ignored["runbook"], ignored["routes"]) == ("", "", [])
        summary = lines[-1]["summary"]
        # One event per rule and fingerprint: three payments groups, one stuck refund.
        assert summary["would_route"] == {"payments-to-ops": 3, "stuck-refunds": 1}
        assert summary["route_rule_hits"] == {"payments-to-ops": 3, "stuck-refunds": 1}
        assert (summary["routed"], summary["route_failed"]) == (0, 0)

    def test_dry_run_table_counts_what_would_be_routed(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The table's counts end with would_route per rule."""
        assert main(["replay", str(SAMPLE), "--config", str(EXAMPLE_CONFIG)]) == EXIT_OK
        lines = capsys.readouterr().out.splitlines()
        assert "  would_route[payments-to-ops]: 3" in lines
        assert "  would_route[stuck-refunds]: 1" in lines

    def test_route_needs_send(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--route alone is a usage error: a dry run publishes nothing."""
        assert main(["replay", str(SAMPLE), "--route"]) == EXIT_USAGE
        assert "--route publishes only with --send" in capsys.readouterr().err

    def test_send_without_route_only_counts(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--send without --route sends to Sentry, annotated, and only counts the routes."""
        from fakesentry import fake_sentry

        args = ["replay", str(SAMPLE), "--config", str(EXAMPLE_CONFIG), "--json", "--send"]
        with fake_sentry() as sentry:
            assert main([*args, "--dsn", sentry.dsn]) == EXIT_OK
            events = sentry.events
        summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
        assert (summary["routed"], summary["would_route"]["stuck-refunds"]) == (0, 1)
        refund = next(e for e in events if e["tags"].get("service") == "payments")
        assert refund["tags"]["team"] == "payments"
        assert refund["contexts"]["runbook"]["rule"] == "payments-owner"

    def test_send_route_publishes_to_eventbridge(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--send --route publishes one event per rule and fingerprint through EventBridge."""
        from fakesentry import fake_sentry
        from route_support import moto_aws, queue_for, received

        with moto_aws(monkeypatch), fake_sentry() as sentry:
            default, ops = queue_for("default"), queue_for(OPS_BUS)
            args = ["replay", str(SAMPLE), "--config", str(EXAMPLE_CONFIG), "--json"]
            args += ["--send", "--route", "--region", "eu-west-1", "--dsn", sentry.dsn]
            assert main(args) == EXIT_OK
            on_default, on_ops = received(*default), received(*ops)
        summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
        assert (summary["routed"], summary["route_failed"]) == (4, 0)
        assert summary["would_route"] == {}
        assert [event["detail"]["route"] for event in on_default] == ["stuck-refunds"]
        assert len(on_ops) == 3
