"""Crashes the fuzz tests found, kept as regression tests (one per finding)."""

from __future__ import annotations

import pytest

from logship.decode import from_lambda_event
from logship.records import InputProblem


class TestRegressions:
    @pytest.mark.parametrize(
        "event",
        [
            {"awslogs": {"data": "\x80"}},
            {"Records": [{"kinesis": {"data": "é", "sequenceNumber": "1"}}]},
            {"records": [{"recordId": "1", "data": "données"}]},
        ],
        ids=["awslogs", "kinesis", "firehose"],
    )
    def test_non_ascii_base64_data(self, event: dict[str, object]) -> None:
        """Found by test_envelopes_with_odd_data: base64 data holding a non-ASCII character
        made b64decode raise ValueError (not binascii.Error) and killed the whole batch."""
        (problem,) = list(from_lambda_event(event))
        assert isinstance(problem, InputProblem)
        assert "not valid base64" in problem.reason
