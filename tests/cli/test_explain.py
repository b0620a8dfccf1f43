"""Tests for ``logship explain``: one error followed through every stage.

Inputs are the Java and Node trace fixtures captured from real runtimes
(tests/fixtures/traces/*/), read as plain text as ``logship explain`` would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logship.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
OWNERS = """\
[[annotate]]
name = "timeouts"
root_cause = "SocketTimeoutException"
team = "orders"
runbook = "https://wiki.example.com/runbooks/{{ root_cause }}"
tags = { tier = "1" }

[[annotate]]
name = "catch-all"
service = "*"
team = "platform"
severity = "high"

[[route]]
name = "to-ops"
root_cause = "SocketTimeoutException"
eventbridge_bus = "default"
"""
JAVA_TIMEOUT = TRACES / "java" / "chained_socket_timeout.txt"

RULES = """\
in_app = ["com.example."]

[[fingerprint]]
name = "search-only"
service = "search"
fingerprint = ["search"]

[[fingerprint]]
name = "timeouts-by-caller"
root_cause = "SocketTimeoutException"
fingerprint = ["{{ default }}", "{{ function }}"]

[[ignore]]
name = "expired-silence"
reason = "fixed in 2.3"
service = "order-service"
until = 2020-01-01

[[ignore]]
name = "inventory-timeouts"
reason = "inventory is being migrated this week"
exception = "java.io.IOException"
message = 'inventory reserve failed'
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "logship.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


def explain(*args: str) -> list[str]:
    return ["explain", str(JAVA_TIMEOUT), "--log-group", "/ecs/order-service", *args]


class TestExplain:
    def test_every_stage_in_text(self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The text view shows lines, chain, default fingerprint, rules tried and result."""
        status = main(explain("--config", str(config), "--today", "2024-06-01"))
        out, err = capsys.readouterr()
        assert status == EXIT_OK
        trace_lines = JAVA_TIMEOUT.read_text(encoding="utf-8").splitlines()
        assert f"1. reassembled record: {len(trace_lines)} line(s)" in out
        assert f"   | {trace_lines[0]}" in out
        assert "java.lang.RuntimeException: Failed to place order 123" in out
        assert "  caused by: java.io.IOException: inventory reserve failed for SKU-123" in out
        assert "    caused by: java.net.SocketTimeoutException: Read timed out" in out
        assert (
            "['order-service', 'java.lang.RuntimeException', "
            "'java.net.SocketTimeoutException']" in out
        )
        rules = out.split("4. rules\n", 1)[1].split("\n\n", 1)[0].splitlines()
        assert [line.split()[:3] for line in rules] == [
            ["fingerprint", "search-only", "no"],
            ["fingerprint", "timeouts-by-caller", "matched"],
            ["ignore", "expired-silence", "expired"],
            ["ignore", "inventory-timeouts", "matched"],
        ]
        assert "service: none of 'search' matches 'order-service'" in rules[0]
        assert "IGNORED by inventory-timeouts: inventory is being migrated this week" in out
        assert "(rule timeouts-by-caller)" in out
        assert "ignore rule 'expired-silence' expired on 2020-01-01" in err

    def test_json(self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--json has the same stages, with the re-fingerprinted result."""
        status = main(explain("--config", str(config), "--today", "2024-06-01", "--json"))
        document = json.loads(capsys.readouterr().out)
        assert status == EXIT_OK
        assert document["record"]["log_group"] == "/ecs/order-service"
        assert document["record"]["lines"] == JAVA_TIMEOUT.read_text(encoding="utf-8").splitlines()
        assert [exc["type"] for exc in document["parsed"]["chain"]] == [
            "java.lang.RuntimeException",
            "java.io.IOException",
            "java.net.SocketTimeoutException",
        ]
        assert document["parsed"]["chain"][1]["relation"] == "__cause__"
        result = document["result"]
        assert result["shipped"] is False
        assert result["ignore_rule"] == "inventory-timeouts"
        assert result["fingerprint_rule"] == "timeouts-by-caller"
        assert result["fingerprint"][:3] == document["default"]["fingerprint"]
        assert "reserve" in result["fingerprint"][3]
        assert [(r["name"], r["status"]) for r in document["rules"]] == [
            ("search-only", "no match"),
            ("timeouts-by-caller", "matched"),
            ("expired-silence", "expired"),
            ("inventory-timeouts", "matched"),
        ]

    def test_without_config_ships_default(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --config no rules run and the default fingerprint is shipped."""
        assert main(explain("--json")) == EXIT_OK
        document = json.loads(capsys.readouterr().out)
        assert document["rules"] == []
        assert document["result"]["shipped"] is True
        assert document["result"]["fingerprint"] == document["default"]["fingerprint"]

    def test_annotation_and_routes_in_the_result(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The result names the annotate rules that matched, what they gave, and the routes."""
        path = tmp_path / "owners.toml"
        path.write_text(OWNERS, encoding="utf-8")
        assert main(explain("--config", str(path), "--json")) == EXIT_OK
        result = json.loads(capsys.readouterr().out)["result"]
        assert result["annotation"] == {
            "team": "orders",
            "severity": "high",
            "runbook": "https://wiki.example.com/runbooks/java.net.SocketTimeoutException",
            "runbook_rule": "timeouts",
            "tags": {"tier": "1"},
            "rules": ["timeouts", "catch-all"],
        }
        assert result["routes"] == [{"rule": "to-ops", "bus": "default"}]
        assert main(explain("--config", str(path))) == EXIT_OK
        text = capsys.readouterr().out.split("5. result")[1]
        assert "annotated by: timeouts, catch-all" in text
        assert "team: orders" in text
        assert "runbook: https://wiki.example.com/runbooks/java.net.SocketTimeoutException" in text
        assert "(rule timeouts)" in text
        assert "routed by to-ops to bus default" in text

    def test_event_id_selects_the_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--event-id picks the error holding that event, not just the first one."""
        first = main(explain("--json"))
        event_ids = json.loads(capsys.readouterr().out)["record"]["event_ids"]
        assert first == EXIT_OK
        assert main(explain("--json", "--event-id", event_ids[-1])) == EXIT_OK
        assert json.loads(capsys.readouterr().out)["record"]["event_ids"] == event_ids

    def test_unknown_event_id(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An event id no error holds exits 1 and says how much was read."""
        status = main(explain("--event-id", "nope"))
        err = capsys.readouterr().err
        assert status == EXIT_FAILURE
        assert f"logship: {JAVA_TIMEOUT}: no error holds event id nope (1 errors" in err

    def test_invalid_config(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An invalid config exits 2 with the loader's message."""
        path = tmp_path / "bad.toml"
        path.write_text("[[ignore]]\nreason = 'r'\nmessage = '('\n", encoding="utf-8")
        assert main(explain("--config", str(path))) == EXIT_USAGE
        assert "bad.toml: ignore[1]: key 'message': bad regex '('" in capsys.readouterr().err
