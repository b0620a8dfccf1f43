"""Importing logship and its integrations stays cheap: nothing a service did not ask for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sentry_sdk", "structlog", "boto3", "botocore", "logship.cli", "rich", "tqdm")


def _loaded_after(statement: str) -> set[str]:
    """Modules outside logship (and logship.cli) loaded by ``statement`` in a fresh python."""
    code = (
        f"{statement}\nimport json, sys\n"
        "print(json.dumps(sorted({n for n in sys.modules if n.split('.')[0] != 'logship'}"
        " | {n for n in sys.modules if n.startswith('logship.cli')})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return set(json.loads(out))


class TestImportCost:
    """Each entry point loads only what it needs."""

    @pytest.mark.parametrize(
        "statement",
        [
            "import logship",
            "import logship.integrations",
            "import logship.inprocess",
            "import logship.integrations.logging",
        ],
    )
    def test_no_heavy_packages(self, statement: str) -> None:
        """No sentry-sdk, structlog, boto3 or CLI packages."""
        loaded = _loaded_after(statement)
        assert not loaded & set(HEAVY), statement

    def test_structlog_integration_loads_only_structlog(self) -> None:
        """The structlog processor brings structlog, not sentry-sdk or boto3."""
        loaded = _loaded_after("import logship.integrations.structlog")
        assert "structlog" in loaded
        assert not loaded & {"sentry_sdk", "boto3", "botocore"}

    def test_sentry_integration_loads_only_sentry(self) -> None:
        """The sentry integration brings sentry-sdk, not structlog or boto3."""
        loaded = _loaded_after("import logship.integrations.sentry")
        assert "sentry_sdk" in loaded
        assert not loaded & {"structlog", "boto3", "botocore"}
