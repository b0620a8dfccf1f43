"""Tests for ``logship coverage`` (logship.coverage and its CLI): selection criteria,
statuses, and the survey against moto.

moto (5.x) implements the log group, stream and subscription filter calls but not
``DescribeAccountPolicies`` (it raises NotImplementedError), so the account
policy comes from botocore's ``Stubber`` on a second client, with responses
shaped like the API reference (``accountPolicies`` items with ``policyName``,
``policyDocument``, ``lastUpdatedTime``, ``policyType``, ``scope``,
``selectionCriteria``, ``accountId``); the Stubber checks them against the
service model.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from logship.cli import EXIT_FAILURE, EXIT_INPUT_PROBLEMS, EXIT_OK, EXIT_USAGE, build_parser, main
from logship.cli import coverage as coverage_module
from logship.cloudwatch import LogsReader
from logship.coverage import (
    EXCLUDED,
    IDLE,
    MISSING,
    SHIPPED,
    UNKNOWN,
    excluded_log_groups,
    judge,
    parse_policy,
    policy_covers,
    survey,
)
from logship.exceptions import SelectionCriteriaError

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account
HOUR = 3_600_000
STREAM_ARN = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/logship"
CENTRAL = f"arn:aws:logs:{REGION}:999999999999:destination:logship"
OWN_GROUP = "/aws/lambda/logship"


def criteria(*names: str) -> str:
    return "LogGroupName NOT IN [" + ", ".join(json.dumps(name) for name in names) + "]"


class TestExcludedLogGroups:
    def test_the_documented_form(self) -> None:
        """The example of the put-account-policy reference reads back as its two names."""
        text = 'LogGroupName NOT IN ["LogGroupToExclude1", "LogGroupToExclude2"]'
        assert excluded_log_groups(text) == {"LogGroupToExclude1", "LogGroupToExclude2"}

    def test_empty_criteria_leave_nothing_out(self) -> None:
        """A policy without selection criteria applies to every group."""
        assert excluded_log_groups("") == frozenset()
        assert excluded_log_groups("   ") == frozenset()
        assert policy_covers("", "/ecs/orders")

    def test_spacing_and_an_empty_list(self) -> None:
        """Whitespace around the keywords and inside the list does not matter."""
        assert excluded_log_groups('  LogGroupName  NOT IN[ "/a" ,"/b"]\n') == {"/a", "/b"}
        assert excluded_log_groups("LogGroupName NOT IN []") == frozenset()

    def test_covers_every_group_but_the_listed(self) -> None:
        """The listed groups are left out, names are exact (no prefixes)."""
        text = criteria(OWN_GROUP, "/ecs/noisy")
        assert not policy_covers(text, OWN_GROUP)
        assert not policy_covers(text, "/ecs/noisy")
        assert policy_covers(text, "/ecs/noisy-2")
        assert policy_covers(text, "/aws/lambda")

    @pytest.mark.parametrize(
        "text",
        [
            'LogGroupName IN ["/a"]',
            'LogGroupNamePrefix NOT IN ["/a"]',
            "LogGroupName NOT IN [/a]",
            'LogGroupName NOT IN ["/a",]',
            "LogGroupName NOT IN [1, 2]",
            'LogGroupName NOT IN ["/a"] AND x',
        ],
    )
    def test_other_forms_are_errors(self, text: str) -> None:
        """Anything but NOT IN a list of quoted names is refused, naming the criteria."""
        with pytest.raises(SelectionCriteriaError, match="selection criteria"):
            excluded_log_groups(text)

    @given(st.lists(st.from_regex(r"[-._/#A-Za-z0-9]{1,40}", fullmatch=True), max_size=8))
    def test_round_trip(self, names: list[str]) -> None:
        """Criteria written from any list of valid group names read back as that set."""
        text = criteria(*names)
        assert excluded_log_groups(text) == set(names)
        assert all(not policy_covers(text, name) for name in names)


class TestJudge:
    @pytest.mark.parametrize(
        ("shipped", "decided", "last", "known", "expected"),
        [
            (True, True, 0, True, SHIPPED),
            (True, False, None, False, SHIPPED),  # a filter found is enough
            (False, True, 100, True, MISSING),
            (False, True, 99, True, IDLE),  # one ms before the window
            (False, True, None, True, IDLE),  # no streams, or no events
            (False, False, 100, True, UNKNOWN),  # a policy or filter might ship it
            (False, True, None, False, UNKNOWN),  # activity unknown
            (False, False, 50, True, IDLE),
            (False, True, 100, True, EXCLUDED),  # with excluded=True below
        ],
    )
    def test_statuses(
        self, shipped: bool, decided: bool, last: int | None, known: bool, expected: str
    ) -> None:
        """Shipped wins; an active unshipped group is missing only if every request answered."""
        status = judge(
            shipped=shipped,
            excluded=expected == EXCLUDED,
            decided=decided,
            last_event_ms=last,
            activity_known=known,
            since_ms=100,
        )
        assert status == expected


class TestParsePolicy:
    def test_destination_and_criteria(self) -> None:
        """The destination comes from the policy document's JSON."""
        policy = parse_policy(policy_item(criteria(OWN_GROUP)))
        assert policy.destination == STREAM_ARN
        assert policy.excluded == {OWN_GROUP}
        assert policy.covers("/ecs/orders") is True
        assert policy.covers(OWN_GROUP) is False

    def test_unreadable_parts(self) -> None:
        """A broken document gives no destination; unknown criteria make coverage unknown."""
        item = policy_item("LogGroupNamePrefix IN [x]") | {"policyDocument": "{not json"}
        policy = parse_policy(item)
        assert policy.destination == ""
        assert policy.excluded is None
        assert policy.covers("/ecs/orders") is None


# --- against moto -----------------------------------------------------------------------


def policy_item(selection: str | None, destination: str = STREAM_ARN) -> dict[str, Any]:
    """One ``accountPolicies`` entry as DescribeAccountPolicies returns it."""
    item: dict[str, Any] = {
        "policyName": "logship-subscription",
        "policyDocument": json.dumps(
            {"DestinationArn": destination, "FilterPattern": "", "Distribution": "ByLogStream"}
        ),
        "lastUpdatedTime": 1_714_557_600_000,
        "policyType": "SUBSCRIPTION_FILTER_POLICY",
        "scope": "ALL",
        "accountId": ACCOUNT,
    }
    if selection is not None:
        item["selectionCriteria"] = selection
    return item


class Routed:
    """A client whose ``describe_account_policies`` is stubbed and everything else is moto.

    ``deny`` makes one call (operation, log group or None for any) fail with
    AccessDeniedException, as IAM would.
    """

    def __init__(self, moto: Any, stubbed: Any, deny: tuple[str, str | None] | None = None) -> None:
        self.moto = moto
        self.stubbed = stubbed
        self.deny = deny

    def __getattr__(self, operation: str) -> Any:
        target = self.stubbed if operation == "describe_account_policies" else self.moto
        method = getattr(target, operation)

        def call(**params: Any) -> Any:
            if self.deny is not None and self.deny[0] == operation:
                group = self.deny[1]
                if group is None or params.get("logGroupName") == group:
                    raise ClientError(
                        {
                            "Error": {
                                "Code": "AccessDeniedException",
                                "Message": f"not authorized to perform: logs:{operation}",
                            }
                        },
                        operation,
                    )
            return method(**params)

        return call


NOW = int(time.time() * 1000)


@pytest.fixture
def account(aws: None) -> Any:
    """Five groups: shipped by a filter, active and unsubscribed, old, streamless, own.

    Returns the moto client.
    """
    client = boto3.client("logs", region_name=REGION)
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="logship", ShardCount=1)
    events = {
        "/ecs/orders": NOW - 10 * 60_000,  # active, subscribed
        "/ecs/payments": NOW - HOUR,  # active, nothing ships it
        "/ecs/batch": NOW - 3 * 24 * HOUR,  # written three days ago
        OWN_GROUP: NOW - 60_000,  # the function's own logs
    }
    for group, timestamp in events.items():
        client.create_log_group(logGroupName=group)
        for stream, at in (("old", timestamp - HOUR), ("new", timestamp)):
            client.create_log_stream(logGroupName=group, logStreamName=stream)
            client.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": at, "message": "INFO started"}],
            )
    client.create_log_group(logGroupName="/ecs/empty")  # no streams at all
    client.put_subscription_filter(
        logGroupName="/ecs/orders",
        filterName="logship",
        filterPattern="",
        destinationArn=STREAM_ARN,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/logs-to-kinesis",
    )
    return client


def reader_for(
    moto: Any, policies: list[dict[str, Any]] | None, deny: tuple[str, str | None] | None = None
) -> LogsReader:
    """A reader on moto, with DescribeAccountPolicies answered by a Stubber (None: denied)."""
    stubbed = boto3.client("logs", region_name=REGION)
    stubber = Stubber(stubbed)
    if policies is None:
        stubber.add_client_error(
            "describe_account_policies",
            service_error_code="AccessDeniedException",
            service_message="not authorized to perform: logs:DescribeAccountPolicies",
            expected_params={"policyType": "SUBSCRIPTION_FILTER_POLICY"},
        )
    else:
        stubber.add_response(
            "describe_account_policies",
            {"accountPolicies": policies},
            {"policyType": "SUBSCRIPTION_FILTER_POLICY"},
        )
    stubber.activate()
    return LogsReader(client=Routed(moto, stubbed, deny), sleep=lambda _: None)


def statuses(reader: LogsReader, **options: Any) -> dict[str, str]:
    result = survey(reader, now_ms=NOW, active_within_ms=24 * HOUR, **options)
    return {group.log_group: group.status for group in result.groups}


class TestSurvey:
    def test_filters_only(self, account: Any) -> None:
        """Without an account policy only the filtered group is shipped; active ones are missing."""
        assert statuses(reader_for(account, [])) == {
            OWN_GROUP: MISSING,
            "/ecs/batch": IDLE,
            "/ecs/empty": IDLE,
            "/ecs/orders": SHIPPED,
            "/ecs/payments": MISSING,
        }

    def test_account_policy_covers_all_but_the_excluded(self, account: Any) -> None:
        """The policy ships every group its criteria do not leave out; those are excluded."""
        reader = reader_for(account, [policy_item(criteria(OWN_GROUP))])
        result = survey(reader, now_ms=NOW, active_within_ms=24 * HOUR)
        by_name = {group.log_group: group for group in result.groups}
        assert by_name[OWN_GROUP].status == EXCLUDED
        assert by_name["/ecs/payments"].status == SHIPPED
        assert [item.kind for item in by_name["/ecs/orders"].subscriptions] == [
            "filter",
            "account-policy",
        ]
        assert by_name["/ecs/empty"].status == SHIPPED
        assert by_name["/ecs/empty"].last_event_ms is None

    def test_last_event_and_stored_bytes(self, account: Any) -> None:
        """The last event is the newest stream's; a group without streams has none."""
        result = survey(reader_for(account, []), now_ms=NOW, active_within_ms=24 * HOUR)
        by_name = {group.log_group: group for group in result.groups}
        assert by_name["/ecs/payments"].last_event_ms == NOW - HOUR
        assert by_name["/ecs/empty"].last_event_ms is None
        assert all(isinstance(group.stored_bytes, int) for group in result.groups)

    def test_pagination_with_a_small_page(self, account: Any) -> None:
        """Two groups per page: every group is read once, over three pages."""
        reader = reader_for(account, [])
        names = list(statuses(reader, page_size=2))
        assert sorted(names) == sorted(set(names))
        assert len(names) == 5
        assert reader.calls["describe_log_groups"] == 3
        assert reader.calls["describe_log_streams"] == 5
        assert reader.calls["describe_subscription_filters"] == 5

    def test_destination_option(self, account: Any) -> None:
        """With --destination, a subscription elsewhere does not count as shipped."""
        reader = reader_for(account, [policy_item(criteria(OWN_GROUP), destination=CENTRAL)])
        assert statuses(reader, destinations=[CENTRAL])["/ecs/orders"] == SHIPPED
        reader = reader_for(account, [])
        assert statuses(reader, destinations=[CENTRAL])["/ecs/orders"] == MISSING

    def test_exclusion_by_another_destinations_policy(self, account: Any) -> None:
        """With --destination, a policy to elsewhere neither ships nor excludes a group."""
        reader = reader_for(account, [policy_item(criteria(OWN_GROUP), destination=STREAM_ARN)])
        assert statuses(reader, destinations=[CENTRAL])[OWN_GROUP] == MISSING
        reader = reader_for(account, [policy_item(criteria(OWN_GROUP), destination=CENTRAL)])
        assert statuses(reader, destinations=[CENTRAL])[OWN_GROUP] == EXCLUDED

    def test_access_denied_on_one_group(self, account: Any) -> None:
        """A denied filter lookup makes that group unknown; the others are still judged."""
        reader = reader_for(account, [], deny=("describe_subscription_filters", "/ecs/payments"))
        result = survey(reader, now_ms=NOW, active_within_ms=24 * HOUR)
        by_name = {group.log_group: group for group in result.groups}
        assert by_name["/ecs/payments"].status == UNKNOWN
        assert "AccessDeniedException" in by_name["/ecs/payments"].errors[0]
        assert by_name["/ecs/orders"].status == SHIPPED
        assert by_name[OWN_GROUP].status == MISSING

    def test_access_denied_on_the_streams(self, account: Any) -> None:
        """Without the last event time an unshipped group is unknown; a shipped one is shipped."""
        reader = reader_for(account, [], deny=("describe_log_streams", None))
        found = statuses(reader)
        assert found["/ecs/orders"] == SHIPPED
        assert found["/ecs/payments"] == UNKNOWN

    def test_account_policies_denied(self, account: Any) -> None:
        """If the account policy cannot be read, an active unfiltered group may be shipped."""
        reader = reader_for(account, None)
        result = survey(reader, now_ms=NOW, active_within_ms=24 * HOUR)
        assert "AccessDeniedException" in result.policy_error
        found = {group.log_group: group.status for group in result.groups}
        assert found["/ecs/payments"] == UNKNOWN
        assert found["/ecs/orders"] == SHIPPED
        assert found["/ecs/batch"] == IDLE


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["coverage", *argv])


class TestCommand:
    def test_json_and_exit_status_1_when_missing(
        self, account: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--json lists every group with its status; a missing group gives exit status 1."""
        reader = reader_for(account, [])
        status = coverage_module.run(
            parse("--json"), reader, now_ms=NOW, active_within_ms=24 * HOUR
        )
        assert status == EXIT_FAILURE
        output = json.loads(capsys.readouterr().out)
        groups = {group["log_group"]: group for group in output["log_groups"]}
        assert groups["/ecs/payments"]["status"] == MISSING
        assert groups["/ecs/orders"]["subscriptions"][0] == {
            "kind": "filter",
            "name": "logship",
            "destination": STREAM_ARN,
        }
        assert groups["/ecs/empty"] == {
            "log_group": "/ecs/empty",
            "status": IDLE,
            "stored_bytes": 0,
            "last_event": None,
            "subscriptions": [],
            "errors": [],
        }
        assert output["account_policies"] == []
        assert output["account_policies_error"] is None
        assert output["summary"] == {
            "missing": 2,
            "unknown": 0,
            "shipped": 1,
            "excluded": 0,
            "idle": 2,
            "log_groups": 5,
        }
        assert output["requests"]["describe_log_groups"] == 1

    def test_exit_status_0_when_every_active_group_is_shipped(
        self, account: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With a short window only the recent groups count; all of them shipped: status 0."""
        reader = reader_for(account, [policy_item(criteria(OWN_GROUP))])
        status = coverage_module.run(parse(), reader, now_ms=NOW, active_within_ms=30 * 60_000)
        assert status == EXIT_OK
        table = capsys.readouterr().out
        assert "account policy logship-subscription -> " + STREAM_ARN in table
        assert "5 log groups: 0 missing, 0 unknown, 4 shipped, 1 excluded, 0 idle" in table

    def test_through_main_on_moto(self, account: Any, capsys: pytest.CaptureFixture[str]) -> None:
        """The real command on moto: its missing DescribeAccountPolicies makes groups unknown."""
        status = main(["coverage", "--region", REGION, "--json", "--page-size", "2"])
        output = json.loads(capsys.readouterr().out)
        assert "describe_account_policies" in output["account_policies_error"]
        groups = {group["log_group"]: group["status"] for group in output["log_groups"]}
        assert groups["/ecs/orders"] == SHIPPED
        assert groups["/ecs/payments"] == UNKNOWN
        assert status == EXIT_INPUT_PROBLEMS

    def test_cannot_list_groups(self, account: Any, capsys: pytest.CaptureFixture[str]) -> None:
        """A denied DescribeLogGroups fails the command (status 1) with the service's code."""
        reader = reader_for(account, [], deny=("describe_log_groups", None))
        status = coverage_module.run(parse(), reader, now_ms=NOW, active_within_ms=HOUR)
        assert status == EXIT_FAILURE
        assert "AccessDeniedException" in capsys.readouterr().err

    @pytest.mark.parametrize(
        "argv",
        [["--active-within", "soon"], ["--page-size", "0"], ["--page-size", "51"]],
    )
    def test_usage_errors(
        self, aws: None, argv: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Bad options exit 2 with a message naming the option."""
        assert main(["coverage", "--region", REGION, *argv]) == EXIT_USAGE
        assert "--" in capsys.readouterr().err

    def test_no_region(
        self, aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without a region the command says how to give one."""
        monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
        monkeypatch.delenv("AWS_REGION", raising=False)
        assert main(["coverage"]) == EXIT_USAGE
        assert "--region" in capsys.readouterr().err
