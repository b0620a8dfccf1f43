"""The DSN and other secrets of the shipper never appear in its logs or error messages.

The real ``lambda_handler.handler`` reads its DSN from Secrets Manager (moto)
and fails in every way it can: the secret is missing, holds no DSN, the
server refuses, rejects the key, or is not there. Everything it printed,
logged or raised (with the traceback) is searched for the key.
"""

from __future__ import annotations

import io
import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import redirect_stderr
from typing import Any

import boto3
import pytest
from fakesentry import Reply, fake_sentry, refused_dsn
from lambda_payloads import REGION, FakeContext, cloudwatch_event, traces_payloads
from moto import mock_aws
from reliability_support import record

import lambda_handler
from logship import aws_lambda, settings
from logship.sink import SentrySink

KEY = "5ec2e7d5ec2e7d5ec2e7d5ec2e7d5ec2"  # the DSN's key: a credential
SECRET_NAME = "logship/sentry-dsn"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's Secrets Manager with fake credentials; a fresh handler container."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in (settings.SENTRY_DSN, settings.DSN_SSM_PARAMETER, settings.CONFIG):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(settings.AWS_REGION, REGION)

    def reset() -> None:
        aws_lambda.container.cache_clear()
        aws_lambda._log.cache_clear()
        settings.clear_caches()

    reset()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)
    reset()


def run(
    client: Any, secret: str | None, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[str, str]:
    """Invoke the handler with the DSN secret holding ``secret`` (None: no such secret).

    Returns (everything printed or logged, the outcome as text with its traceback).
    """
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:{SECRET_NAME}-AbCdEf"
    if secret is not None:
        arn = client.create_secret(Name=SECRET_NAME, SecretString=secret)["ARN"]
    monkeypatch.setenv(settings.DSN_SECRET_ARN, arn)
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    logging.getLogger().addHandler(handler)
    # INFO: urllib3, botocore and sentry-sdk included. (botocore's DEBUG output prints
    # whole responses, the secret's value with them: docs/security.md says so.)
    logging.getLogger().setLevel(logging.INFO)
    stderr = io.StringIO()
    try:
        with redirect_stderr(stderr):
            response = lambda_handler.handler(
                cloudwatch_event(traces_payloads()[0]), FakeContext(2_500)
            )
        outcome = json.dumps(response)
    except Exception as exc:
        outcome = "".join(traceback.format_exception(exc))
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    return capsys.readouterr().out + stderr.getvalue() + logs.getvalue(), outcome


def check(printed: str, outcome: str, case: str, expect: str) -> None:
    assert KEY not in printed, case
    assert KEY not in outcome, case
    assert expect in printed + outcome, (case, printed[-2000:], outcome[-2000:])
    record("dsn never leaks", case, f"no key in logs or errors; says {expect!r}")


class TestDsnNeverLeaks:
    def test_server_refuses(
        self, aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Connection refused: the DeliveryError and the log line name the failure, not the DSN."""
        dsn = refused_dsn().replace("0123456789abcdef0123456789abcdef", KEY)
        printed, outcome = run(aws, dsn, monkeypatch, capsys)
        assert "DeliveryError" in outcome
        check(printed, outcome, "server refuses", "connection failed")

    @pytest.mark.parametrize("status", [401, 403, 500])
    def test_server_rejects(
        self,
        aws: Any,
        status: int,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A server that rejects the key (or fails) is reported by status only."""
        with fake_sentry(lambda _: Reply(status)) as server:
            dsn = server.dsn.replace("0123456789abcdef0123456789abcdef", KEY)
            printed, outcome = run(aws, json.dumps({"dsn": dsn}), monkeypatch, capsys)
            assert all(KEY in r.auth for r in server.requests)  # it was really used
        check(printed, outcome, f"server answers {status}", f"HTTP {status}")

    @pytest.mark.parametrize(
        ("secret", "expect"),
        [
            (f"https://{KEY}@o1.ingest.sentry.io/not-a-project", "is not a DSN"),
            (f'{{"dns": "https://{KEY}@o1.ingest.sentry.io/42"}}', "has no string key 'dsn'"),
            (f'{{"dsn": "https://{KEY}@o1.ingest', "is not valid JSON"),
            (None, "ResourceNotFoundException"),
        ],
        ids=["invalid DSN", "JSON without dsn", "broken JSON", "no such secret"],
    )
    def test_setup_fails(
        self,
        aws: Any,
        secret: str | None,
        expect: str,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Bad secrets fail the invocation with a message naming the variable, not the value."""
        printed, outcome = run(aws, secret, monkeypatch, capsys)
        assert "logship.setup_failed" in printed
        check(printed, outcome, f"setup fails: {expect}", expect)

    def test_sink_repr_and_reasons(self) -> None:
        """The sink's repr shows where it sends, with the key replaced."""
        sink = SentrySink(f"https://{KEY}@o1.ingest.sentry.io/42")
        try:
            assert repr(sink) == "SentrySink('https://***@o1.ingest.sentry.io/42')"
        finally:
            sink.close()
