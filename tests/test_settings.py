"""Tests for logship.settings: env vars, AWS-held secrets and the remote rules file (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from logship import settings
from logship.exceptions import ConfigError, SettingsError
from logship.settings import Settings, config_from_reference, load_settings, parse_tags

REGION = "eu-west-1"
DSN = "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/42"
RULES = """\
min_level = "warning"

[tags]
team = "payments"
"""


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    settings.clear_caches()
    yield
    settings.clear_caches()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A moto-backed AWS with fake credentials, so nothing can reach a real account."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


class TestLoadSettings:
    def test_plain_env(self) -> None:
        """Every variable lands in its field; the DSN stays out of the repr."""
        loaded = load_settings(
            {
                "SENTRY_DSN": DSN,
                "SENTRY_ENVIRONMENT": "prod",
                "SENTRY_RELEASE": "orders@1.4.2",
                "LOGSHIP_CONFIG": "logship.toml",
                "LOGSHIP_TAGS": "team=payments, tier=1",
                "AWS_REGION": REGION,
                "LOGSHIP_FLUSH_MARGIN_MS": "1500",
            }
        )
        assert loaded == Settings(
            dsn=DSN,
            environment="prod",
            release="orders@1.4.2",
            config_ref="logship.toml",
            tags=(("team", "payments"), ("tier", "1")),
            region=REGION,
            flush_margin_ms=1500,
            dsn_source="SENTRY_DSN",
        )
        assert "0123456789abcdef" not in repr(loaded)

    def test_no_dsn(self) -> None:
        """Without any DSN variable the error lists the three ways to give one."""
        with pytest.raises(SettingsError, match="LOGSHIP_SENTRY_DSN_SECRET_ARN"):
            load_settings({})

    def test_two_dsn_sources(self) -> None:
        """Two DSN sources are ambiguous and refused."""
        with pytest.raises(SettingsError, match="both set"):
            load_settings({"SENTRY_DSN": DSN, "LOGSHIP_SENTRY_DSN_SSM_PARAMETER": "/p"})

    def test_invalid_dsn_not_quoted(self) -> None:
        """A value that is not a DSN is reported by variable name, not by value."""
        with pytest.raises(SettingsError, match="SENTRY_DSN") as info:
            load_settings({"SENTRY_DSN": "not-a-dsn-but-secret"})
        assert "not-a-dsn-but-secret" not in str(info.value)

    def test_bad_margin(self) -> None:
        """A non-numeric flush margin names its variable."""
        with pytest.raises(SettingsError, match="LOGSHIP_FLUSH_MARGIN_MS"):
            load_settings({"SENTRY_DSN": DSN, "LOGSHIP_FLUSH_MARGIN_MS": "soon"})


class TestParseTags:
    def test_pairs(self) -> None:
        """Commas separate pairs; blanks around keys, values and items are ignored."""
        assert parse_tags(" a=1 ,b = two,, c=") == (("a", "1"), ("b", "two"), ("c", ""))

    @pytest.mark.parametrize("text", ["novalue", "=x", "k" * 33 + "=v"])
    def test_invalid(self, text: str) -> None:
        """Items without a key, without '=' or over Sentry's limits are refused."""
        with pytest.raises(SettingsError, match="LOGSHIP_TAGS"):
            parse_tags(text)


@pytest.mark.usefixtures("aws")
class TestSecrets:
    def test_dsn_from_secret_string(self) -> None:
        """A secret holding the bare DSN is read and validated."""
        arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="logship/dsn", SecretString=DSN
        )["ARN"]
        loaded = load_settings({"LOGSHIP_SENTRY_DSN_SECRET_ARN": arn, "AWS_REGION": REGION})
        assert loaded.dsn == DSN
        assert loaded.dsn_source == "LOGSHIP_SENTRY_DSN_SECRET_ARN"

    def test_dsn_from_json_secret(self) -> None:
        """A JSON secret gives its "dsn" key."""
        arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="logship/json", SecretString=json.dumps({"dsn": DSN, "other": "x"})
        )["ARN"]
        assert (
            load_settings({"LOGSHIP_SENTRY_DSN_SECRET_ARN": arn, "AWS_REGION": REGION}).dsn == DSN
        )

    def test_secret_read_once_per_container(self) -> None:
        """A second load uses the cached value even after the secret changes."""
        client = boto3.client("secretsmanager", region_name=REGION)
        arn = client.create_secret(Name="logship/cached", SecretString=DSN)["ARN"]
        env = {"LOGSHIP_SENTRY_DSN_SECRET_ARN": arn, "AWS_REGION": REGION}
        load_settings(env)
        client.put_secret_value(SecretId=arn, SecretString=DSN.replace("/42", "/43"))
        assert load_settings(env).dsn == DSN
        settings.clear_caches()
        assert load_settings(env).dsn.endswith("/43")

    def test_missing_secret_names_the_arn(self) -> None:
        """An unreadable secret names the ARN and the AWS error code."""
        arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:nope-AbCdEf"
        with pytest.raises(SettingsError, match=r"nope-AbCdEf.*ResourceNotFoundException"):
            load_settings({"LOGSHIP_SENTRY_DSN_SECRET_ARN": arn, "AWS_REGION": REGION})

    def test_dsn_from_ssm_secure_string(self) -> None:
        """A SecureString parameter is decrypted."""
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name="/logship/dsn", Value=DSN, Type="SecureString"
        )
        env = {"LOGSHIP_SENTRY_DSN_SSM_PARAMETER": "/logship/dsn", "AWS_REGION": REGION}
        assert load_settings(env).dsn == DSN

    def test_invalid_secret_not_quoted(self) -> None:
        """A secret whose value is not a DSN is reported without the value."""
        arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="logship/bad", SecretString="hunter2"
        )["ARN"]
        with pytest.raises(SettingsError) as info:
            load_settings({"LOGSHIP_SENTRY_DSN_SECRET_ARN": arn, "AWS_REGION": REGION})
        assert "hunter2" not in str(info.value)


@pytest.mark.usefixtures("aws")
class TestConfigFromReference:
    def test_default(self) -> None:
        """No reference means the default config."""
        assert config_from_reference("").source == "<defaults>"

    def test_bundled_path(self, tmp_path: Path) -> None:
        """A path in the bundle is read from disk and named as the source."""
        path = tmp_path / "logship.toml"
        path.write_text(RULES)
        config = config_from_reference(str(path))
        assert config.min_level == "warning"
        assert config.source == str(path)

    def test_s3_object_read_once(self) -> None:
        """An s3:// reference is fetched once per container, then cached."""
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="cfg", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="cfg", Key="logship/rules.toml", Body=RULES.encode())
        first = config_from_reference("s3://cfg/logship/rules.toml", REGION)
        s3.delete_object(Bucket="cfg", Key="logship/rules.toml")
        assert config_from_reference("s3://cfg/logship/rules.toml", REGION) is first
        assert first.min_level == "warning"
        assert first.source == "s3://cfg/logship/rules.toml"

    def test_ssm_parameter(self) -> None:
        """An ssm: reference reads the parameter's text."""
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name="/logship/rules", Value=RULES, Type="String"
        )
        assert config_from_reference("ssm:/logship/rules", REGION).min_level == "warning"

    def test_missing_object(self) -> None:
        """A missing S3 object names the reference and the error code."""
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket="cfg", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        with pytest.raises(SettingsError, match=r"s3://cfg/absent.toml.*NoSuchKey"):
            config_from_reference("s3://cfg/absent.toml", REGION)

    def test_invalid_rules_name_the_reference(self) -> None:
        """A broken rules file fails with a ConfigError that names where it came from."""
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name="/logship/broken", Value="min_level = [", Type="String"
        )
        with pytest.raises(ConfigError, match="ssm:/logship/broken"):
            config_from_reference("ssm:/logship/broken", REGION)

    @pytest.mark.parametrize("ref", ["s3://bucket-only", "ssm:", "/no/such/file.toml"])
    def test_malformed_reference(self, ref: str) -> None:
        """References that cannot name a file are refused with LOGSHIP_CONFIG in the message."""
        with pytest.raises(SettingsError, match="LOGSHIP_CONFIG"):
            config_from_reference(ref)
