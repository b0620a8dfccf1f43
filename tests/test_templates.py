"""Tests for the templates: recursion exclusion, least privilege, documented parameters.

cfn-lint (in ``scripts/test``) checks each template against the resource
schemas. These tests check what it cannot: what the templates *do* for a set
of parameters. A small evaluator resolves the intrinsic functions the templates
use (``Ref``, ``Fn::Sub``, ``Fn::If`` and the conditions, ``Fn::Join``,
``Fn::Split``, ``Fn::Select``) for given parameters, the way CloudFormation
would, leaving other resources' attributes as ``Logical.Attribute`` markers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from logship.coverage import excluded_log_groups

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = [ROOT / "template.yaml", *sorted((ROOT / "deploy").glob("*.yaml"))]
MAIN = ROOT / "template.yaml"
SOURCE = ROOT / "deploy" / "source-account.yaml"
DOCS = ROOT / "docs" / "deployment.md"

STACK = "logship"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
PSEUDO = {
    "AWS::StackName": STACK,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
}
OWN_GROUP = f"/aws/lambda/{STACK}"
DESTINATION = "arn:aws:logs:eu-west-1:999999999999:destination:logship"
NO_VALUE = object()


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, turned into their long forms."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _tag)


def load(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    return result


class Stack:
    """A template resolved for some parameters: the resources CloudFormation would create."""

    def __init__(self, path: Path, **parameters: str) -> None:
        self.template = load(path)
        declared = self.template.get("Parameters", {})
        unknown = set(parameters) - set(declared)
        assert not unknown, f"{path.name} has no parameters {unknown}"
        self.parameters = {
            name: str(parameters.get(name, spec.get("Default", "")))
            for name, spec in declared.items()
        }
        missing = [
            name
            for name, value in self.parameters.items()
            if "Default" not in declared[name] and name not in parameters
        ]
        assert not missing, f"give {missing}"
        self.resources = {
            name: self.resolve(resource.get("Properties", {})) | {"Type": resource["Type"]}
            for name, resource in self.template["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }

    # --- the evaluator ----------------------------------------------------------------

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.template["Resources"][name]
        if resource["Type"] == "AWS::Logs::LogGroup":
            return self.resolve(resource["Properties"]["LogGroupName"])
        return f"{name}.Ref"

    def sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return name  # Logical.Attribute
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                return self.ref(value)
            if key == "Condition":
                return self.condition(value)
            if key == "Fn::GetAtt":
                return ".".join(value)
            if key == "Fn::Sub":
                if isinstance(value, str):
                    return self.sub(value, {})
                text, variables = value
                return self.sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if key == "Fn::If":
                name, then, otherwise = value
                return self.resolve(then if self.condition(name) else otherwise)
            if key.startswith("Fn::"):
                args = [self.resolve(item) for item in value]
                return self.function(key[4:], args)
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}

    @staticmethod
    def function(name: str, args: list[Any]) -> Any:
        if name == "Join":
            return args[0].join(args[1])
        if name == "Split":
            return args[1].split(args[0])
        if name == "Select":
            return args[1][int(args[0])]
        if name == "Equals":
            return args[0] == args[1]
        if name == "Not":
            return not args[0]
        if name == "Or":
            return any(args)
        if name == "And":
            return all(args)
        raise AssertionError(f"the evaluator does not know Fn::{name}")

    # --- what the tests look at ---------------------------------------------------------

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res["Type"] == kind}

    def statements(self) -> list[dict[str, Any]]:
        """Every statement of every IAM role's inline policies."""
        return [
            statement
            for role in self.of_type("AWS::IAM::Role").values()
            for policy in role.get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
        ]

    def reads(self) -> list[str]:
        """The resources of the logs:GetLogEvents statement (none: stitching cannot read)."""
        found = [s for s in self.statements() if "logs:GetLogEvents" in as_list(s["Action"])]
        assert len(found) <= 1
        return as_list(found[0]["Resource"]) if found else []

    def environment(self) -> dict[str, str]:
        (function,) = self.of_type("AWS::Serverless::Function").values()
        variables: dict[str, str] = function["Environment"]["Variables"]
        return variables


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def group_arn(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"


ACCOUNT_WIDE = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"
# Route rules' buses: this account's default bus and another account's central bus.
BUSES = (
    f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
    f"arn:aws:events:{REGION}:999999999999:event-bus/central-ops",
)


# Parameter sets that together reach every branch of the templates.
SCENARIOS: list[tuple[Path, dict[str, str]]] = [
    (MAIN, {}),
    (MAIN, {"LogGroupNames": "/ecs/orders,/ecs/payments"}),
    (MAIN, {"LogGroupNames": "/a,/b,/c,/d,/e", "UseKinesis": "true"}),
    (MAIN, {"SubscribeAccount": "true"}),
    (MAIN, {"SubscribeAccount": "true", "ExcludeLogGroupNames": "/ecs/noisy,/aws/rds/x"}),
    (MAIN, {"SubscribeAccount": "true", "UseKinesis": "true", "Stitching": "off"}),
    (MAIN, {"SourceAccountIds": "111111111111,222222222222"}),
    (MAIN, {"SourceOrganizationId": "o-abcdefghij", "SubscribeAccount": "true"}),
    (
        MAIN,
        {
            "SentryDsnSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dsn-AbCdEf",
            "SentryDsnSsmParameter": "/logship/dsn",
            "KmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef",
            "ConfigS3Bucket": "rules",
            "ConfigSsmParameter": "/logship/rules",
        },
    ),
    (MAIN, {"LogGroupNames": "/ecs/payments", "RouteEventBusArns": ",".join(BUSES)}),
    (SOURCE, {"DestinationArn": DESTINATION}),
    (SOURCE, {"DestinationArn": DESTINATION, "ExcludeLogGroupNames": "/ecs/noisy"}),
    (SOURCE, {"DestinationArn": DESTINATION, "UseOrganization": "true"}),
    (
        SOURCE,
        {"DestinationArn": DESTINATION, "SubscribeAccount": "false", "LogGroupNames": "/a,/b"},
    ),
]


def scenario_id(scenario: tuple[Path, dict[str, str]]) -> str:
    path, parameters = scenario
    return f"{path.name}:" + ",".join(f"{k}={v}" for k, v in parameters.items())


class TestEveryTemplate:
    def test_the_list_covers_every_template(self) -> None:
        """Each template under deploy/ is resolved by some scenario below."""
        assert {path for path, _ in SCENARIOS} == set(TEMPLATES)

    @pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
    def test_every_parameter_is_documented(self, path: Path) -> None:
        """docs/deployment.md names each parameter (in backquotes) and each template."""
        docs = DOCS.read_text(encoding="utf-8")
        undocumented = [name for name in load(path)["Parameters"] if f"`{name}`" not in docs]
        assert not undocumented, f"{path.name}: not in docs/deployment.md: {undocumented}"
        assert path.relative_to(ROOT).as_posix() in docs

    @pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
    def test_least_privilege(self, scenario: tuple[Path, dict[str, str]]) -> None:
        """Every statement names its actions and scopes its resources to this account's ARNs.

        The one wildcard over names is logs:GetLogEvents on every group of the
        account, and only where the account policy subscribes every group.
        """
        path, parameters = scenario
        stack = Stack(path, **parameters)
        listed = {item for value in parameters.values() for item in value.split(",")}
        for statement in stack.statements():
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                assert "*" not in action, statement
            for resource in as_list(statement["Resource"]):
                assert resource != "*", statement
                if resource.startswith("arn:"):
                    assert f":{ACCOUNT}:" in resource or "::" in resource or resource in listed, (
                        resource
                    )
                else:  # another resource of the stack: Logical.Arn
                    assert re.fullmatch(r"\w+\.Arn", resource), resource
                if resource == ACCOUNT_WIDE:
                    assert parameters.get("SubscribeAccount") == "true", resource
                elif "*" in resource:  # a named group's streams: log-group:NAME:*
                    assert re.fullmatch(r"arn:aws:logs:[^*]+:log-group:[^*]+:\*", resource)

    @pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
    def test_roles_are_assumed_only_by_their_service_for_this_account(
        self, scenario: tuple[Path, dict[str, str]]
    ) -> None:
        """logs.amazonaws.com may assume a role only for CloudWatch Logs ARNs (confused deputy)."""
        stack = Stack(*scenario[:1], **scenario[1])
        for role in stack.of_type("AWS::IAM::Role").values():
            (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
            service = statement["Principal"]["Service"]
            assert service in ("lambda.amazonaws.com", "logs.amazonaws.com")
            if service == "logs.amazonaws.com":
                arns = as_list(statement["Condition"]["StringLike"]["aws:SourceArn"])
                assert arns
                assert all(arn.startswith("arn:") and ":logs:" in arn for arn in arns)


class TestRecursion:
    @pytest.mark.parametrize(
        "excludes", ["", "/ecs/noisy", "/ecs/noisy,/aws/rds/cluster/x/postgresql"]
    )
    @pytest.mark.parametrize("kinesis", ["false", "true"])
    def test_account_policy_leaves_out_the_functions_own_group(
        self, excludes: str, kinesis: str
    ) -> None:
        """Whatever the user lists, the function's own log group is never subscribed."""
        stack = Stack(
            MAIN, SubscribeAccount="true", ExcludeLogGroupNames=excludes, UseKinesis=kinesis
        )
        (policy,) = stack.of_type("AWS::Logs::AccountPolicy").values()
        (function,) = stack.of_type("AWS::Serverless::Function").values()
        (log_group,) = stack.of_type("AWS::Logs::LogGroup").values()
        # The function writes to the group the policy leaves out, named as Lambda names it.
        assert function["LoggingConfig"]["LogGroup"] == OWN_GROUP
        assert log_group["LogGroupName"] == f"/aws/lambda/{function['FunctionName']}"
        left_out = excluded_log_groups(policy["SelectionCriteria"])
        assert left_out == {OWN_GROUP, *filter(None, excludes.split(","))}
        assert policy["PolicyType"] == "SUBSCRIPTION_FILTER_POLICY"

    def test_the_exclusion_follows_the_log_group_resource(self) -> None:
        """The criteria name the log group by Ref, not a copy of its name that could drift."""
        template = load(MAIN)
        criteria = template["Resources"]["AccountSubscription"]["Properties"]["SelectionCriteria"]
        text = criteria["Fn::Sub"][0]
        assert text.startswith('LogGroupName NOT IN ["${FunctionLogGroup}"')
        function = template["Resources"]["Function"]["Properties"]
        assert function["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogGroup"}

    def test_no_function_in_a_source_account(self) -> None:
        """deploy/source-account.yaml runs no function, so none of its groups feeds itself."""
        stack = Stack(SOURCE, DestinationArn=DESTINATION, ExcludeLogGroupNames="/ecs/noisy")
        assert not stack.of_type("AWS::Serverless::Function")
        assert not stack.of_type("AWS::Lambda::Function")
        (policy,) = stack.of_type("AWS::Logs::AccountPolicy").values()
        assert excluded_log_groups(policy["SelectionCriteria"]) == {"/ecs/noisy"}

    def test_no_selection_criteria_without_excludes(self) -> None:
        """A source account with nothing to leave out sends every group."""
        stack = Stack(SOURCE, DestinationArn=DESTINATION)
        (policy,) = stack.of_type("AWS::Logs::AccountPolicy").values()
        assert "SelectionCriteria" not in policy


class TestSubscriptions:
    def test_account_policy_document(self) -> None:
        """Direct to the function: its ARN; through Kinesis: the stream, the role, by stream."""
        direct = Stack(MAIN, SubscribeAccount="true")
        (policy,) = direct.of_type("AWS::Logs::AccountPolicy").values()
        assert json.loads(policy["PolicyDocument"]) == {
            "DestinationArn": "Function.Arn",
            "FilterPattern": "",
        }
        assert "LogsInvokePermission" in direct.resources
        streamed = Stack(MAIN, SubscribeAccount="true", UseKinesis="true")
        (policy,) = streamed.of_type("AWS::Logs::AccountPolicy").values()
        assert json.loads(policy["PolicyDocument"]) == {
            "DestinationArn": "LogStream.Arn",
            "RoleArn": "LogsToKinesisRole.Arn",
            "FilterPattern": "",
            "Distribution": "ByLogStream",
        }

    def test_list_keeps_its_subscription_filters(self) -> None:
        """The explicit list still makes one filter per group, and no account policy."""
        stack = Stack(MAIN, LogGroupNames="/ecs/orders,/ecs/payments")
        filters = stack.of_type("AWS::Logs::SubscriptionFilter").values()
        assert sorted(f["LogGroupName"] for f in filters) == ["/ecs/orders", "/ecs/payments"]
        assert not stack.of_type("AWS::Logs::AccountPolicy")

    def test_central_stack_destination_names_the_accounts(self) -> None:
        """The destination writes to the stream; its policy admits exactly the listed accounts."""
        stack = Stack(MAIN, SourceAccountIds="111111111111,222222222222")
        (destination,) = stack.of_type("AWS::Logs::Destination").values()
        assert destination["TargetArn"] == "LogStream.Arn"
        assert destination["DestinationName"] == STACK
        policy = json.loads(destination["DestinationPolicy"])
        (statement,) = policy["Statement"]
        assert statement["Principal"] == {"AWS": ["111111111111", "222222222222"]}
        assert sorted(statement["Action"]) == [
            "logs:PutAccountPolicy",
            "logs:PutSubscriptionFilter",
        ]
        assert statement["Resource"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:destination:{STACK}"
        role = stack.resources["DestinationRole"]
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Condition"]["StringLike"]["aws:SourceArn"] == [
            f"arn:aws:logs:{REGION}:{ACCOUNT}:*",
            "arn:*:logs:*:111111111111:*",
            "arn:*:logs:*:222222222222:*",
        ]
        assert "KinesisMapping" in stack.resources  # the destination implies the stream

    def test_central_stack_for_an_organization(self) -> None:
        """With an organization id, the destination admits its accounts by aws:PrincipalOrgID."""
        stack = Stack(MAIN, SourceOrganizationId="o-abcdefghij")
        (destination,) = stack.of_type("AWS::Logs::Destination").values()
        (statement,) = json.loads(destination["DestinationPolicy"])["Statement"]
        assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ["o-abcdefghij"]}}

    def test_source_account_documents(self) -> None:
        """A source account sends to the destination; with an organization, through its role."""
        plain = Stack(SOURCE, DestinationArn=DESTINATION)
        (policy,) = plain.of_type("AWS::Logs::AccountPolicy").values()
        assert json.loads(policy["PolicyDocument"]) == {
            "DestinationArn": DESTINATION,
            "FilterPattern": "",
            "Distribution": "ByLogStream",
        }
        assert not plain.statements()
        org = Stack(SOURCE, DestinationArn=DESTINATION, UseOrganization="true")
        (policy,) = org.of_type("AWS::Logs::AccountPolicy").values()
        assert json.loads(policy["PolicyDocument"])["RoleArn"] == "SubscriptionRole.Arn"
        assert org.statements() == [
            {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": DESTINATION}
        ]
        listed = Stack(
            SOURCE, DestinationArn=DESTINATION, SubscribeAccount="false", LogGroupNames="/a,/b"
        )
        assert not listed.of_type("AWS::Logs::AccountPolicy")
        filters = listed.of_type("AWS::Logs::SubscriptionFilter").values()
        assert sorted(f["LogGroupName"] for f in filters) == ["/a", "/b"]
        assert all(f["DestinationArn"] == DESTINATION for f in filters)


class TestStitching:
    def test_reads_exactly_the_listed_groups(self) -> None:
        """Listed groups: GetLogEvents on those groups' ARNs, nothing else."""
        stack = Stack(MAIN, LogGroupNames="/ecs/orders,/ecs/payments", StitchWaitMs="4000")
        assert stack.reads() == [group_arn("/ecs/orders"), group_arn("/ecs/payments")]
        assert stack.environment()["LOGSHIP_STITCHING"] == "on"
        assert stack.environment()["LOGSHIP_STITCH_WAIT_MS"] == "4000"

    def test_account_wide_reads_the_account(self) -> None:
        """Every group subscribed: every group of this account and region may be read."""
        stack = Stack(MAIN, SubscribeAccount="true")
        assert stack.reads() == [ACCOUNT_WIDE]
        assert stack.environment()["LOGSHIP_STITCHING"] == "on"
        assert stack.environment()["LOGSHIP_STITCH_WAIT_MS"] == "6000"

    @pytest.mark.parametrize(
        "parameters",
        [
            {"LogGroupNames": "/ecs/orders", "Stitching": "off"},
            {},  # nothing subscribed by the stack: nothing it knows to read
            {"SourceAccountIds": "111111111111"},  # other accounts' groups are out of reach
            {"SourceOrganizationId": "o-abcdefghij", "SubscribeAccount": "true"},
        ],
    )
    def test_off_where_it_cannot_read(self, parameters: dict[str, str]) -> None:
        """Off, or unreadable sources: no read permission and LOGSHIP_STITCHING=off."""
        stack = Stack(MAIN, **parameters)
        assert stack.reads() == []
        assert stack.environment()["LOGSHIP_STITCHING"] == "off"


class TestRoutes:
    def publishes(self, stack: Stack) -> list[str]:
        """The resources of the events:PutEvents statement (none: routes cannot publish)."""
        found = [s for s in stack.statements() if "events:PutEvents" in as_list(s["Action"])]
        assert len(found) <= 1
        return as_list(found[0]["Resource"]) if found else []

    def test_put_events_on_the_listed_buses_only(self) -> None:
        """Listed bus ARNs: events:PutEvents on exactly those, and no other events action."""
        stack = Stack(MAIN, RouteEventBusArns=",".join(BUSES))
        assert self.publishes(stack) == list(BUSES)
        actions = [a for s in stack.statements() for a in as_list(s["Action"])]
        assert [a for a in actions if a.startswith("events:")] == ["events:PutEvents"]

    @pytest.mark.parametrize(
        "parameters", [{}, {"SubscribeAccount": "true"}, {"SourceAccountIds": "111111111111"}]
    )
    def test_no_permission_without_buses(self, parameters: dict[str, str]) -> None:
        """No bus listed: no events permission at all, whatever else is deployed."""
        assert self.publishes(Stack(MAIN, **parameters)) == []

    def test_the_parameter_takes_only_bus_arns(self) -> None:
        """The parameter's pattern admits bus ARNs in a comma list and nothing broader."""
        pattern = load(MAIN)["Parameters"]["RouteEventBusArns"]["AllowedPattern"]
        good = [
            "",
            BUSES[0],
            ",".join(BUSES),
            "arn:aws-cn:events:cn-north-1:123456789012:event-bus/a.b",
        ]
        bad = [
            "*",
            "default",
            f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/*",
            f"arn:aws:events:{REGION}:{ACCOUNT}:rule/x",
            f"arn:aws:sns:{REGION}:{ACCOUNT}:ops",
            f"{BUSES[0]},",
        ]
        assert all(re.fullmatch(pattern, value) for value in good)
        assert not any(re.fullmatch(pattern, value) for value in bad)
