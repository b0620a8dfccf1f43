"""Tests for logship.cloudwatch: the one CloudWatch Logs reader."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fake_time import FakeTime
from moto import mock_aws
from stitch_support import logs_client, put

from logship.cloudwatch import LogsReader
from logship.exceptions import LogsReadError


class Scripted:
    """A client whose ``describe_log_groups`` answers from a script of errors and pages."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.params: list[dict[str, Any]] = []

    def describe_log_groups(self, **params: Any) -> Any:
        self.params.append(params)
        answer = self.answers.pop(0)
        if isinstance(answer, str):
            raise ClientError({"Error": {"Code": answer, "Message": "m"}}, "DescribeLogGroups")
        return answer


class TestLogsReader:
    def test_throttling_retried_with_backoff(self) -> None:
        """Refused for rate twice, then answered: three requests, two sleeps, growing."""
        fake = FakeTime()
        client = Scripted("ThrottlingException", "ThrottlingException", {"logGroups": []})
        reader = LogsReader(client=client, clock=fake.clock, sleep=fake.sleep, jitter=lambda: 1.0)
        assert reader.call("describe_log_groups") == {"logGroups": []}
        assert reader.calls["describe_log_groups"] == 3
        assert reader.retries == 2
        assert fake.slept == [0.2, 0.4]

    def test_gives_up_at_the_deadline(self) -> None:
        """No sleep goes past the deadline: the last refusal is raised, marked throttled."""
        fake = FakeTime()
        client = Scripted(*["ThrottlingException"] * 20)
        reader = LogsReader(client=client, clock=fake.clock, sleep=fake.sleep, jitter=lambda: 1.0)
        with pytest.raises(LogsReadError) as caught:
            reader.call("describe_log_groups", deadline=1.0)
        assert caught.value.throttled
        assert caught.value.code == "ThrottlingException"
        assert fake.clock() <= 1.0

    def test_access_denied_is_raised_at_once(self) -> None:
        """An error that a retry cannot mend is raised on the first answer."""
        fake = FakeTime()
        reader = LogsReader(
            client=Scripted("AccessDeniedException"), clock=fake.clock, sleep=fake.sleep
        )
        with pytest.raises(LogsReadError) as caught:
            reader.call("describe_log_groups")
        assert caught.value.code == "AccessDeniedException"
        assert not caught.value.throttled
        assert not fake.slept

    def test_pages_follow_the_token(self) -> None:
        """Pages follow nextToken, and stop when it is missing or repeats."""
        client = Scripted(
            {"logGroups": [1], "nextToken": "a"},
            {"logGroups": [2], "nextToken": "b"},
            {"logGroups": [3], "nextToken": "b"},
        )
        pages = list(LogsReader(client=client).pages("describe_log_groups", limit=1))
        assert [page["logGroups"] for page in pages] == [[1], [2], [3]]
        assert [p.get("nextToken") for p in client.params] == [None, "a", "b"]

    def test_client_made_on_first_call(self) -> None:
        """The client is made when the first request needs it, not before."""
        made: list[int] = []

        def factory() -> Scripted:
            made.append(1)
            return Scripted({"logGroups": []})

        reader = LogsReader(client_factory=factory)
        assert not made
        reader.call("describe_log_groups")
        assert made == [1]

    def test_reads_moto(self) -> None:
        """Against moto: get_log_events forward pages, counted."""
        with mock_aws():
            client = logs_client("eu-west-1")
            client.create_log_group(logGroupName="/g")
            client.create_log_stream(logGroupName="/g", logStreamName="s")
            start = int(time.time() * 1000) - 60_000  # moto keeps only the last 14 days
            put(client, "/g", "s", [(str(i), start + i, f"m{i}") for i in range(5)])
            reader = LogsReader(client=client)
            pages = list(
                reader.pages(
                    "get_log_events",
                    token="nextForwardToken",
                    logGroupName="/g",
                    logStreamName="s",
                    startFromHead=True,
                    limit=2,
                )
            )
        messages = [e["message"] for page in pages for e in page["events"]]
        assert messages == [f"m{i}" for i in range(5)]
        assert reader.count() == len(pages)
