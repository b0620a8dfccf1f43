"""Tests for logship.aws: the backoff every AWS caller shares, and error codes."""

from __future__ import annotations

import pytest
from fake_time import FakeTime

from logship.aws import MAX_DELAY_S, Backoff, error_code


class TestBackoff:
    def test_delays_double_up_to_the_cap(self) -> None:
        """Without jitter the waits are 0.2, 0.4, 0.8 ... seconds, never above the cap."""
        backoff = Backoff(jitter=lambda: 1.0)
        delays = [backoff.delay(attempt) for attempt in range(1, 8)]
        assert delays[:3] == [0.2, 0.4, 0.8]
        assert max(delays) == MAX_DELAY_S

    def test_never_sleeps_past_the_deadline(self) -> None:
        """A wait that would end after the deadline is refused without sleeping."""
        fake = FakeTime()
        backoff = Backoff(clock=fake.clock, sleep=fake.sleep, jitter=lambda: 1.0)
        assert backoff.wait(1, deadline=1.0)
        assert backoff.wait(2, deadline=1.0)
        assert not backoff.wait(3, deadline=1.0)  # 0.6 s slept, 0.8 s more would pass 1.0
        assert fake.slept == [0.2, 0.4]

    def test_without_deadline_a_count_bounds_it(self) -> None:
        """No deadline: ``max_attempts`` retries, then the caller gives up."""
        fake = FakeTime()
        backoff = Backoff(clock=fake.clock, sleep=fake.sleep, jitter=lambda: 0.0, max_attempts=3)
        assert [backoff.wait(n, deadline=None) for n in (1, 2, 3)] == [True, True, False]


class TestErrorCode:
    def test_botocore_response(self) -> None:
        """A ClientError-like exception gives the service's code and message."""

        exc = Exception("refused")
        exc.response = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}  # type: ignore[attr-defined]
        assert error_code(exc) == ("ThrottlingException", "Rate exceeded")

    @pytest.mark.parametrize("exc", [TimeoutError("slow"), ValueError("bad")])
    def test_other_exceptions(self, exc: Exception) -> None:
        """Anything else is named by its type."""
        assert error_code(exc) == (type(exc).__name__, str(exc))
