"""Tests for ``logship check-config``: validation, the rules table and the JSON view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logship.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "logship.toml"


class TestCheckConfig:
    def test_valid_file_prints_rules_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A valid file exits 0 and lists every rule in the order rules apply."""
        status = main(["check-config", str(EXAMPLE), "--today", "2024-06-01"])
        out, err = capsys.readouterr()
        assert status == EXIT_OK
        assert f"{EXAMPLE}: valid: 2 fingerprint rules, 5 ignore rules" in out
        lines = out.splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith("KIND"))
        assert lines[header].split() == [
            "KIND",
            "NAME",
            "MATCHERS",
            "REASON",
            "/",
            "FINGERPRINT",
            "/",
            "GIVES",
            "UNTIL",
            "SAMPLE",
        ]
        kinds_and_names = [line.split()[:2] for line in lines[header + 1 : header + 7]]
        assert kinds_and_names == [
            ["fingerprint", "stripe-errors"],
            ["fingerprint", "orders-timeouts-by-downstream"],
            ["ignore", "client-disconnects"],
            ["ignore", "node-econnreset-from-clients"],
            ["ignore", "inventory-cache-warmup"],
            ["ignore", "staging-healthcheck-timeouts"],
        ]
        assert "2027-03-31" in lines[header + 5]
        assert lines[header + 6].endswith("1 in 20")
        assert "4 annotate rules, 2 route rules" in lines[0]
        annotate_and_route = [line.split()[:2] for line in lines[header + 8 : header + 14]]
        assert annotate_and_route == [
            ["annotate", "payments-owner"],
            ["annotate", "checkout-owner"],
            ["annotate", "downstream-unreachable"],
            ["annotate", "default-severity"],
            ["route", "stuck-refunds"],
            ["route", "payments-to-ops"],
        ]
        assert "team=payments severity=high" in lines[header + 8]
        assert lines[header + 13].split()[-1].startswith("arn:aws:events:eu-west-1")
        assert "log_stream shared/checkout-web/* -> checkout-web" in out
        assert err == ""

    def test_expired_rule_warns_and_strict_fails(self, capsys: pytest.CaptureFixture[str]) -> None:
        """After its date a rule is marked EXPIRED, warned about, and fails --strict."""
        status = main(["check-config", str(EXAMPLE), "--today", "2027-04-01"])
        out, err = capsys.readouterr()
        assert status == EXIT_OK
        assert "2027-03-31 EXPIRED" in out
        assert "ignore rule 'inventory-cache-warmup' expired on 2027-03-31" in err
        strict = main(["check-config", str(EXAMPLE), "--today", "2027-04-01", "--strict"])
        assert strict == EXIT_FAILURE

    def test_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--json prints the rules with their matchers, reasons and templates."""
        status = main(["check-config", str(EXAMPLE), "--json", "--today", "2027-04-01"])
        document = json.loads(capsys.readouterr().out)
        assert status == EXIT_OK
        assert document["valid"] is True
        rules = {rule["name"]: rule for rule in document["rules"]}
        assert rules["stripe-errors"] == {
            "kind": "fingerprint",
            "name": "stripe-errors",
            "matchers": {"root_cause": ["com.stripe.*"]},
            "fingerprint": ["payment-provider", "stripe", "{{ root_cause }}"],
            "title": "Stripe: {{ root_cause }} in {{ service }}",
        }
        assert rules["inventory-cache-warmup"]["expired"] is True
        assert rules["node-econnreset-from-clients"]["matchers"]["message"] == [
            "^(?:read|write) ECONNRESET$"
        ]
        assert rules["staging-healthcheck-timeouts"]["sample"] == 20
        assert rules["payments-owner"] == {
            "kind": "annotate",
            "name": "payments-owner",
            "matchers": {"service": ["payments"]},
            "team": "payments",
            "severity": "high",
            "runbook": "https://wiki.example.com/runbooks/{{ service }}/{{ root_cause }}",
            "tags": {"tier": "1"},
        }
        assert rules["stuck-refunds"] == {
            "kind": "route",
            "name": "stuck-refunds",
            "matchers": {
                "service": ["payments"],
                "message_glob": ["refund * stuck in state PENDING*"],
            },
            "eventbridge_bus": "default",
            "detail_type": "logship.error",
        }
        assert document["environments"] == {
            "111122223333": "production",
            "444455556666": "staging",
        }
        assert document["settings"]["regex_timeout_ms"] == 50

    def test_invalid_file_exits_2_with_the_message(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An invalid file exits 2 and prints the one message naming file, rule and key."""
        path = tmp_path / "logship.toml"
        path.write_text(
            "[[ignore]]\nname = 'ok'\nreason = 'r'\nservice = 'a'\n"
            "[[ignore]]\nname = 'bad'\nservice = 'b'\n",
            encoding="utf-8",
        )
        status = main(["check-config", str(path)])
        out, err = capsys.readouterr()
        assert status == EXIT_USAGE
        assert out == ""
        assert err == (
            f"logship: {path}: ignore[2] 'bad': key 'reason': "
            "is required: say why these errors are safe to drop\n"
        )

    def test_invalid_file_json(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """With --json an invalid file still exits 2, and stdout says why as JSON."""
        path = tmp_path / "logship.toml"
        path.write_text("[[fingerprint]]\nservice = 'x'\n", encoding="utf-8")
        status = main(["check-config", str(path), "--json"])
        document = json.loads(capsys.readouterr().out)
        assert status == EXIT_USAGE
        assert document["valid"] is False
        assert "fingerprint[1]: key 'fingerprint': is required" in document["error"]

    def test_file_without_rules(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A config without rules is valid and says so."""
        path = tmp_path / "logship.toml"
        path.write_text("min_level = 'warning'\n", encoding="utf-8")
        assert main(["check-config", str(path)]) == EXIT_OK
        out = capsys.readouterr().out
        assert "no rules" in out
        assert "min_level = warning" in out
