"""Secrets in logs never leave the process: a real service's log through the real handler.

``programs/leaky_service.py`` logs, with Python's ``logging`` and tracebacks,
every kind of secret the scrubber knows (random values, fresh each session, a
private key from ``openssl``). Its output becomes CloudWatch events, one per
line as the awslogs driver sends them, and goes through ``lambda_handler.handler``
(configured from the environment, as in AWS) to a local Sentry-compatible
server, and, marked ``e2e``, to a real Bugsink. No seeded secret may appear in
any byte the server received, nor in the handler's own log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import socket
import string
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakesentry import PUBLIC_KEY, FakeSentry, fake_sentry
from lambda_payloads import REGION, FakeContext, cloudwatch_event, payload, stream_events
from reliability_support import PROGRAMS, assert_balanced, record
from secrets_corpus import luhn_complete

import lambda_handler
from logship import aws_lambda, settings

ROOT = Path(__file__).resolve().parents[2]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def seeded_secrets(seed: int) -> dict[str, str]:
    """One value of each kind, random but reproducible from ``seed``."""
    rng = random.Random(seed)

    def word(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = _b64url(json.dumps({"sub": word(12), "email": "dana@example.com"}).encode())
    signature = _b64url(
        hmac.new(word(32).encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    )
    aws_secret = word(40, string.ascii_letters + string.digits + "/+")
    while not (any(c.isupper() for c in aws_secret) and any(c.isdigit() for c in aws_secret)):
        aws_secret = word(40, string.ascii_letters + string.digits + "/+")
    pem = subprocess.run(
        ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    card = luhn_complete("4" + word(14, string.digits))
    return {
        "email": f"dana.{word(6).lower()}@example-shop.com",
        "password": "Pw" + word(14),
        "json_password": "Jp" + word(14),
        "card": " ".join(card[i : i + 4] for i in range(0, 16, 4)),
        "card_digits": card,
        "api_key": "ak_" + word(24),
        "aws_key_id": "AKIA" + word(16, string.ascii_uppercase + "234567"),
        "aws_secret": aws_secret,
        "db_password": "Db" + word(14),
        "jwt": f"{header}.{claims}.{signature}",
        "jwt_claims": claims,
        "jwt_signature": signature,
        "bearer": "Br" + word(30),
        "basic": base64.b64encode(f"proxy:{word(12)}".encode()).decode(),
        "dsn": f"https://{word(32, '0123456789abcdef')}@o12345.ingest.sentry.io/42",
        "dsn_key": "",
        "pem": pem,
        "token": "Tk" + word(20),
    }


def leaked_strings(secrets: dict[str, str]) -> dict[str, str]:
    """What must not appear anywhere: every value, and the parts of the compound ones."""
    found = {k: v for k, v in secrets.items() if v and k != "pem"}
    found["dsn_key"] = secrets["dsn"].split("//", 1)[1].split("@", 1)[0]
    for index, line in enumerate(secrets["pem"].splitlines()):
        if not line.startswith("-----"):
            found[f"pem line {index}"] = line
    return found


@pytest.fixture(scope="module")
def service_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], list[str]]:
    """The seeded secrets and what the service printed, one entry per line."""
    secrets = seeded_secrets(seed=int.from_bytes(os.urandom(4), "big"))
    path = tmp_path_factory.mktemp("leaky") / "secrets.json"
    path.write_text(json.dumps(secrets), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(PROGRAMS / "leaky_service.py"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # the uncaught RuntimeError
    lines = done.stderr.splitlines()
    # The test is only worth something if the secrets really are in the log.
    text = done.stderr
    for name, value in leaked_strings(secrets).items():
        assert value in text, name
    return secrets, lines


def subscription_event(lines: list[str]) -> dict[str, Any]:
    events = stream_events(lines, first_id=10**53)
    return cloudwatch_event(payload("ecs/orders-api/leaky", events))


@pytest.fixture
def handler_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh container for ``lambda_handler.handler``: env read, caches emptied."""
    for name in (settings.DSN_SECRET_ARN, settings.DSN_SSM_PARAMETER, settings.CONFIG):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(settings.AWS_REGION, REGION)

    def reset() -> None:
        aws_lambda.container.cache_clear()
        aws_lambda._log.cache_clear()
        settings.clear_caches()

    reset()
    yield
    reset()


def run_handler(
    dsn: str, event: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[dict[str, Any], str]:
    """(the summary the handler logged, everything it printed)."""
    monkeypatch.setenv(settings.SENTRY_DSN, dsn)
    lambda_handler.handler(event, FakeContext(30_000))
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.strip()]
    return json.loads(line), out


def assert_nothing_leaked(received: str, secrets: dict[str, str], where: str) -> int:
    leaks = [name for name, value in leaked_strings(secrets).items() if value in received]
    assert leaks == [], f"seeded secrets found in {where}: {leaks}"
    return len(leaked_strings(secrets))


@pytest.mark.usefixtures("handler_env")
class TestSecretsCorpus:
    def test_nothing_seeded_reaches_the_server(
        self,
        service_log: tuple[dict[str, str], list[str]],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Every byte the server received, and the handler's log line, are free of secrets."""
        secrets, lines = service_log
        with fake_sentry() as server:
            response, out = run_handler(server.dsn, subscription_event(lines), monkeypatch, capsys)
        received = received_text(server)
        assert len(server.events) >= 10
        checked = assert_nothing_leaked(received, secrets, "the envelopes")
        assert_nothing_leaked(out, secrets, "the handler's log line")
        assert PUBLIC_KEY not in out  # the server's own DSN key
        assert "[Filtered:" in received
        assert_balanced(response)
        record(
            "secrets",
            f"leaky_service.py, {len(lines)} lines, {checked} seeded strings",
            f"{len(server.events)} events, no secret received",
            response,
        )

    def test_scrubbed_events_keep_what_is_not_secret(
        self,
        service_log: tuple[dict[str, str], list[str]],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Scrubbing leaves the useful parts: exception types, messages around the masks."""
        _, lines = service_log
        with fake_sentry() as server:
            run_handler(server.dsn, subscription_event(lines), monkeypatch, capsys)
        types = {v["type"] for e in server.events for v in e.get("exception", {}).get("values", [])}
        assert {"PermissionError", "ValueError", "RuntimeError"} <= types
        formatted = [e.get("logentry", {}).get("formatted", "") for e in server.events]
        assert any(
            "login failed for [Filtered:email] with password=[Filtered:" in f for f in formatted
        )


def received_text(server: FakeSentry) -> str:
    """Everything the server was sent: every item of every request, as text."""
    parts = []
    for request in server.requests:
        parts.append(request.auth)
        for headers, body in request.items:
            parts.append(json.dumps(headers))
            parts.append(body.decode("utf-8", "replace"))
    return "\n".join(parts)


# --- the same against a real Bugsink --------------------------------------------------


@dataclass(frozen=True)
class Bugsink:
    url: str
    dsn: str
    token: str
    project_id: str

    def get(self, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def everything(self) -> list[Any]:
        """Every issue of the project and every event of each issue, with its full data."""
        found: list[Any] = []
        issues = self.get(f"/api/canonical/0/issues/?project={self.project_id}")["results"]
        for issue in issues:
            found.append(issue)
            events = self.get(f"/api/canonical/0/events/?issue={issue['id']}")["results"]
            found.extend(self.get(f"/api/canonical/0/events/{e['id']}/") for e in events)
        return found


@pytest.fixture(scope="module")
def bugsink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bugsink]:
    """A Bugsink of its own, started by scripts/bugsink.sh (installed on first use)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home = tmp_path_factory.mktemp("bugsink-secrets")
    env = {**os.environ, "BUGSINK_HOME": str(home), "BUGSINK_PORT": str(port)}
    script = ROOT / "scripts" / "bugsink.sh"
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"scripts/bugsink.sh failed ({done.returncode}):\n{done.stderr[-3000:]}")
    values = dict(
        line.split("=", 1) for line in done.stdout.splitlines() if line.startswith("BUGSINK_")
    )
    try:
        yield Bugsink(
            values["BUGSINK_URL"],
            values["BUGSINK_DSN"],
            values["BUGSINK_TOKEN"],
            values["BUGSINK_PROJECT_ID"],
        )
    finally:
        subprocess.run([str(script), "stop"], env=env, capture_output=True, check=False)


@pytest.mark.e2e
@pytest.mark.usefixtures("handler_env")
def test_nothing_seeded_reaches_bugsink(
    bugsink: Bugsink,
    service_log: tuple[dict[str, str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Stored issues and events in a real Bugsink hold none of the seeded secrets."""
    secrets, lines = service_log
    response, _ = run_handler(bugsink.dsn, subscription_event(lines), monkeypatch, capsys)
    assert response["failed"] == 0
    stored = bugsink.everything()
    assert len(stored) > response["shipped"] // 2
    assert_nothing_leaked(json.dumps(stored), secrets, "Bugsink's issues and events")
    record(
        "secrets",
        "leaky_service.py into Bugsink",
        f"{len(stored)} issues+events stored, no secret",
        response,
    )
