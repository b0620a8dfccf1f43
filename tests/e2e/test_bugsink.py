"""End to end: subscription payloads through ``lambda_handler.handler`` into a real Bugsink.

``scripts/bugsink.sh`` installs Bugsink in its own virtualenv (cached under
``.cache/``), gives it a fresh home for this session, and starts it on a free
port of 127.0.0.1. The test reads the issues back through Bugsink's API.

Inputs: the corpus (``tests/corpus/data/subscription-events.jsonl.gz``) when it
has been generated, plus real Python tracebacks from ``tests/fixtures`` in a
known shape (one trace type logged in three streams, three others once).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # the shared helpers beside the unit tests

from lambda_payloads import (  # noqa: E402 - after the path is set
    FakeContext,
    cloudwatch_event,
    payload,
    stream_events,
    stream_name,
    trace_lines,
)

from logship import aws_lambda  # noqa: E402
from logship.config import Config  # noqa: E402
from logship.decode import from_lambda_event  # noqa: E402
from logship.pipeline import RunReport, run  # noqa: E402

pytestmark = pytest.mark.e2e

CORPUS = ROOT / "tests" / "corpus" / "data" / "subscription-events.jsonl.gz"
# pip's words when the package index cannot be reached: only then is skipping allowed.
NO_NETWORK = re.compile(
    r"NewConnectionError|Temporary failure in name resolution|Network is unreachable"
    r"|Failed to establish a new connection|No route to host|ProxyError"
)


@dataclass(frozen=True)
class Bugsink:
    url: str
    dsn: str
    token: str
    project_id: str

    def issues(self) -> list[dict[str, Any]]:
        """Every issue of the project (following the cursor pages)."""
        found: list[dict[str, Any]] = []
        next_url: str | None = f"{self.url}/api/canonical/0/issues/?project={self.project_id}"
        while next_url:
            request = urllib.request.Request(
                next_url, headers={"Authorization": f"Bearer {self.token}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                page = json.load(response)
            found.extend(page["results"])
            next_url = page.get("next")
        return found

    def get(self, path: str) -> Any:
        """A GET of Bugsink's API (``events/?issue=...``), as JSON."""
        request = urllib.request.Request(
            f"{self.url}/api/canonical/0/{path}", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def first_event(self, issue_id: str) -> dict[str, Any]:
        """The stored payload of an issue's first event (tags, contexts)."""
        (listed, *_) = self.get(f"events/?issue={issue_id}")["results"]
        data: dict[str, Any] = self.get(f"events/{listed['id']}/")["data"]
        return data


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def bugsink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bugsink]:
    home = tmp_path_factory.mktemp("bugsink")
    env = {**os.environ, "BUGSINK_HOME": str(home), "BUGSINK_PORT": str(_free_port())}
    script = ROOT / "scripts" / "bugsink.sh"
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if NO_NETWORK.search(done.stderr) and not os.environ.get("CI"):
            pytest.skip("Bugsink could not be installed: no network to reach the package index")
        pytest.fail(f"scripts/bugsink.sh failed ({done.returncode}):\n{done.stderr[-4000:]}")
    values = dict(
        line.split("=", 1) for line in done.stdout.splitlines() if line.startswith("BUGSINK_")
    )
    try:
        yield Bugsink(
            url=values["BUGSINK_URL"],
            dsn=values["BUGSINK_DSN"],
            token=values["BUGSINK_TOKEN"],
            project_id=values["BUGSINK_PROJECT_ID"],
        )
    finally:
        subprocess.run([str(script), "stop"], env=env, capture_output=True, check=False)


def fixture_events() -> list[dict[str, Any]]:
    """Subscription events of real tracebacks: key_error in three streams, three others once."""
    shapes = ["key_error", "key_error", "key_error", "json_decode", "implicit_context"]
    shapes.append("raise_from_timeout")
    return [
        cloudwatch_event(
            payload(stream_name(i), stream_events(trace_lines(name), first_id=(i + 1) * 10**50))
        )
        for i, name in enumerate(shapes)
    ]


def corpus_events() -> list[dict[str, Any]]:
    if not CORPUS.exists():
        return []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def expected_groups(events: list[dict[str, Any]]) -> Counter[tuple[str, ...]]:
    """Events per fingerprint that the pipeline ships for ``events`` (no rules, no cap).

    The assembler works per stream within one run; the Lambda runs one payload per
    invocation, so the expectation decodes each payload on its own as well.
    """
    groups: Counter[tuple[str, ...]] = Counter()
    config = Config(max_events_per_fingerprint=10**9)
    for event in events:
        for outcome in run(from_lambda_event(event), config, RunReport()):
            groups[outcome.item.fingerprint] += 1
    return groups


@pytest.fixture
def lambda_env(bugsink: Bugsink, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("LOGSHIP_SENTRY_DSN_SECRET_ARN", "LOGSHIP_SENTRY_DSN_SSM_PARAMETER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SENTRY_DSN", bugsink.dsn)
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "e2e")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    aws_lambda.container.cache_clear()
    yield
    aws_lambda.container.cache_clear()


def invoke_all(events: list[dict[str, Any]]) -> Counter[str]:
    """Run the Lambda on every event; the summed counts of its summary lines."""
    import lambda_handler

    totals: Counter[str] = Counter()
    for event in events:
        summary = lambda_handler.handler(event, FakeContext(60_000))
        for key in ("errors", "shipped", "failed", "suppressed", "ignored"):
            totals[key] += int(summary[key])
    return totals


@pytest.mark.usefixtures("lambda_env")
class TestBugsink:
    def test_issues_match_groups_and_replay_adds_nothing(self, bugsink: Bugsink) -> None:
        """One issue per fingerprint with the right event counts; a replay adds no events."""
        events = fixture_events() + corpus_events()
        expected = expected_groups(events)
        assert expected, "the inputs hold no errors"
        # One invocation per payload, as CloudWatch delivers them.
        totals = invoke_all(events)
        assert totals["failed"] == 0
        assert totals["errors"] == totals["shipped"] + totals["suppressed"] + totals["ignored"]
        assert totals["shipped"] == sum(expected.values()) - totals["suppressed"]

        issues = bugsink.issues()
        assert len(issues) == len(expected)
        assert sum(issue["digested_event_count"] for issue in issues) == totals["shipped"]
        if totals["suppressed"] == 0:
            assert sorted(i["digested_event_count"] for i in issues) == sorted(expected.values())
        # The fixture's KeyError, logged in three streams, is one issue of three events.
        database_url = [i for i in issues if "DATABASE_URL" in i["calculated_value"]]
        assert [(i["calculated_type"], i["digested_event_count"]) for i in database_url] == [
            ("KeyError", 3)
        ]

        replay = invoke_all(events)
        assert replay["shipped"] == totals["shipped"]  # accepted again: Sentry dedupes by id
        after = bugsink.issues()
        assert len(after) == len(issues)
        assert {i["id"]: i["digested_event_count"] for i in after} == {
            i["id"]: i["digested_event_count"] for i in issues
        }


@pytest.mark.usefixtures("lambda_env")
class TestInProcessAndLogsShareIssues:
    def test_in_process_event_joins_the_log_derived_issue(self, bugsink: Bugsink) -> None:
        """A service's own sentry-sdk event and the shipper's event land in one issue."""
        sys.path.insert(0, str(ROOT / "tests" / "integrations"))
        import inprocess_support as live
        import sentry_sdk

        from logship.decode import encode_payload, lambda_event
        from logship.integrations.sentry import LogshipIntegration

        before = {issue["id"]: issue["digested_event_count"] for issue in bugsink.issues()}
        failures = (live.charge_with_timeout, live.bad_int, live.exception_group)
        for number, failure in enumerate(failures):
            # From the logs: the structlog line the service writes, through the Lambda.
            lines = live.structlog_lines(failure)
            events = [
                (f"{number * 10**6 + index:056d}", 1_760_000_000_000 + index, line)
                for index, line in enumerate(lines)
            ]
            data = encode_payload(live.LOG_GROUP, f"ecs/{live.SERVICE}/e2e{number}", events)
            summary = invoke_all([lambda_event(data)])
            assert summary["shipped"] == 1, summary
            # In process: the same failure captured by the service's own sentry-sdk client.
            client = sentry_sdk.Client(
                dsn=bugsink.dsn,
                integrations=[LogshipIntegration(service=live.SERVICE)],
                default_integrations=False,
                auto_enabling_integrations=False,
            )
            try:
                with sentry_sdk.isolation_scope() as scope:
                    scope.set_client(client)
                    scope.capture_exception(live.raised(failure))
                assert client.flush(timeout=10) is None
            finally:
                client.close()

        after = bugsink.issues()
        new = [issue for issue in after if issue["id"] not in before]
        assert len(new) == len(failures)
        assert all(issue["digested_event_count"] == 2 for issue in new), new


ANNOTATE_CONFIG = """
[tags]
team = "platform"

[[annotate]]
name = "payments-owner"
service = "payments"
team = "payments"
severity = "high"
runbook = "https://wiki.example.com/runbooks/{{ service }}/{{ root_cause }}"
tags = { tier = "1" }

[[annotate]]
name = "default-severity"
service = "*"
team = "nobody"
severity = "low"
runbook = "https://wiki.example.com/runbooks/triage"
tags = { tier = "3", reviewed = "no" }
"""


def tags_of(event: dict[str, Any]) -> dict[str, str]:
    """An event's tags, whether stored as a mapping or as [key, value] pairs."""
    tags = event.get("tags") or {}
    return dict(tags.items() if isinstance(tags, dict) else tags)


@pytest.mark.usefixtures("lambda_env")
class TestAnnotateRules:
    def test_owner_severity_runbook_and_tags_reach_the_issue(
        self, bugsink: Bugsink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Through the Lambda with annotate rules: a payments error gets its team, severity,
        runbook and tags (the first rule wins per key); another service's gets the catch-all's."""
        from logship.decode import encode_payload, lambda_event

        rules = tmp_path / "logship.toml"
        rules.write_text(ANNOTATE_CONFIG, encoding="utf-8")
        monkeypatch.setenv("LOGSHIP_CONFIG", str(rules))
        aws_lambda.container.cache_clear()
        before = {issue["id"] for issue in bugsink.issues()}
        events = []
        for number, (group, trace) in enumerate(
            (("/ecs/payments", "key_error"), ("/ecs/search", "json_decode"))
        ):
            lines = stream_events(trace_lines(trace), first_id=(number + 70) * 10**50)
            data = encode_payload(group, f"ecs/e2e-annotate/{number}", lines)
            events.append(lambda_event(data))
        totals = invoke_all(events)
        assert (totals["shipped"], totals["failed"]) == (2, 0)

        stored = {}
        for issue in bugsink.issues():
            if issue["id"] not in before:
                event = bugsink.first_event(issue["id"])
                stored[tags_of(event)["service"]] = event
        assert set(stored) == {"payments", "search"}

        payments, search = stored["payments"], stored["search"]
        assert {k: tags_of(payments)[k] for k in ("team", "severity", "tier")} == {
            "team": "payments",  # the rule's team wins over [tags]' fallback
            "severity": "high",  # payments-owner came first: default-severity's low loses
            "tier": "1",
        }
        assert tags_of(payments)["reviewed"] == "no"  # a tag only the later rule sets
        assert payments["contexts"]["runbook"] == {
            "url": "https://wiki.example.com/runbooks/payments/KeyError",
            "rule": "payments-owner",
        }
        assert {k: tags_of(search)[k] for k in ("team", "severity", "tier")} == {
            "team": "nobody",
            "severity": "low",
            "tier": "3",
        }
        assert search["contexts"]["runbook"]["rule"] == "default-severity"
