"""Fixtures for every test: no test reaches AWS.

The Lambda reads CloudWatch Logs to stitch traces cut at payload boundaries
(``LOGSHIP_STITCHING``, on by default). Tests that exercise stitching run it
against moto (``mock_aws``) and say so; every other test that calls the entry
point through its environment gets stitching off, so it never makes a client
that would look for credentials or an endpoint. Instance metadata is off for
the whole run: botocore must never probe 169.254.169.254 from a test.
"""

from __future__ import annotations

import os

import pytest

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


@pytest.fixture(autouse=True)
def _no_stitching_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stitching off unless a test turns it on (with moto) itself."""
    monkeypatch.setenv("LOGSHIP_STITCHING", "off")
