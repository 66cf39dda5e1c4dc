"""The CI roles are sufficient: every IAM call the pinned providers make for the program is allowed.

provider_calls/calls.yaml lists, from the providers' source, the IAM actions each resource type costs to create,
read (refresh, and what a preview reads of an existing resource), update, tag, untag and delete, with the ARN each
is authorized against and the request context our policies condition on. For both stacks, with CI access and with
every optional resource switched on, each call becomes a concrete request from the mocked resource (its name, id,
region, tags, boundary) and is judged with the IAM evaluator (provider_calls/iam.py):

- the deploy role allows every call, reading alone for the CI access and the role boundary (an administrator's);
- the preview role allows every read and every invoke, and is refused the reads that return stored data;
- a type with no entry in the table fails, so the table cannot fall behind the program.
"""

import re
from functools import cache
from pathlib import Path

import pulumi_aws
import pulumi_awsx
import pytest

from mock_engine import ACCOUNT_ID, Capture, run_stack
from provider_calls import OPERATIONS, TABLE, Table, TableError, load, parse
from provider_calls.check import (
    administered,
    check,
    checked_resources,
    deploy_documents,
    preview_documents,
    without_action,
)
from provider_calls.requests import Resolver, requests_for
from provider_calls.settings import OBJECT_LOCK, everything
from tests.test_ci_access import CI

# The stack files as they are, and with every optional resource type switched on (provider_calls/settings.py: alarm
# e-mail and Slack, ECS Exec, flow logs, interface endpoints; dev's custom domain and web ACL; prd's sample
# catalogue; prd's log archive under Object Lock).
SETTINGS = {
    "dev": ("dev", {"webstack:ci": CI["dev"]}),
    "prd": ("prd", {"webstack:ci": CI["prd"]}),
    "dev-everything": ("dev", {"webstack:ci": CI["dev"], **everything("dev")}),
    "prd-everything": ("prd", {"webstack:ci": CI["prd"], **everything("prd")}),
    "prd-object-lock": ("prd", {"webstack:ci": CI["prd"], **OBJECT_LOCK}),
}
# Types some setting above must declare: the check is only as good as the resources it sees, so a setting that
# stopped switching one of these on (a renamed stack key, say) fails here instead of silently checking less.
DECLARED_SOMEWHERE = (
    "aws:cognito/userPool:UserPool", "aws:cognito/userGroup:UserGroup", "aws:cognito/userPoolClient:UserPoolClient",
    "aws:lb/listenerRule:ListenerRule", "aws:wafv2/ipSet:IpSet", "aws:cloudfront/function:Function",
    "aws:cloudfront/monitoringSubscription:MonitoringSubscription", "aws:sqs/queue:Queue",
    "aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
    "aws:s3/bucketNotification:BucketNotification", "aws:cloudwatch/dashboard:Dashboard",
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration", "aws:cloudtrail/trail:Trail",
    "aws:guardduty/detector:Detector", "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget",
    "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topicSubscription:TopicSubscription",
    "aws:cloudwatch/logDelivery:LogDelivery", "aws:cloudwatch/logDeliverySource:LogDeliverySource",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
    "aws:wafv2/webAcl:WebAcl", "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    "aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectv2:BucketObjectv2", "aws:dynamodb/tableItem:TableItem", "aws:ec2/flowLog:FlowLog",
    "aws:acm/certificate:Certificate", "aws:route53/record:Record", "aws:ec2/instance:Instance",
    "aws:ec2/natGateway:NatGateway", "aws:iam/instanceProfile:InstanceProfile",
)


@cache
def capture(setting: str) -> Capture:
    stack, overrides = SETTINGS[setting]
    return run_stack(stack, overrides)


def listing(findings) -> str:
    return "\n".join(f"  {f}" for f in findings)


# --- the table ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting", SETTINGS)
def test_every_type_the_program_declares_or_invokes_has_an_entry(setting):
    missing = check(capture(setting), load()).missing_types
    assert not missing, (
        f"provider_calls/calls.yaml has no entry for {', '.join(missing)}: add one with the IAM actions the "
        "provider calls to create, read, update, delete, tag and untag it, the ARN each is authorized against, "
        "and the provider source file(s) it came from (format: provider_calls/__init__.py)")


def test_the_settings_declare_every_optional_resource_type():
    declared = {r.type for setting in SETTINGS for r in checked_resources(capture(setting))}
    missing = sorted(set(DECLARED_SOMEWHERE) - declared)
    assert not missing, f"no setting declares {missing}: switch them on in provider_calls/settings.py"


TOKEN = re.compile(r"""(?:type_token\(|runtime\.invoke\()["']([a-z]+:[A-Za-z0-9/]*:[A-Za-z0-9]+)["']""")


def _declared_tokens() -> set[str]:
    """Every resource and function token the installed pulumi-aws and pulumi-awsx define."""
    tokens: set[str] = set()
    for package in (pulumi_aws, pulumi_awsx):
        for path in Path(package.__file__).parent.rglob("*.py"):
            tokens.update(TOKEN.findall(path.read_text()))
    return tokens


def test_every_entry_is_of_a_type_some_setting_declares_or_invokes():
    """An entry no stack uses is a reading nobody checks: the table holds what the program declares, no more."""
    used = {r.type for setting in SETTINGS for r in capture(setting).resources} | {
        i.token for setting in SETTINGS for i in capture(setting).invokes}
    unused = sorted(set(load().entries) - used)
    assert not unused, f"entries of types no setting declares or invokes (delete them): {unused}"


def test_every_entry_names_a_type_of_the_pinned_providers():
    tokens = _declared_tokens()
    unknown = sorted(t for t in load().entries if t not in tokens)
    assert not unknown, f"not a resource or function token of the installed pulumi-aws/pulumi-awsx: {unknown}"


def test_every_entry_says_where_it_came_from_and_lists_only_known_operations():
    for entry in load().entries.values():
        assert entry.source, entry.type
        assert set(entry.operations) <= set(OPERATIONS), entry.type
        if not entry.invoke and entry.actions:
            assert {"create", "read", "delete"} <= set(entry.operations), f"{entry.type}: create, read, delete"


def test_every_entry_says_what_of_its_source_was_read():
    entry_line = re.compile(r"^  (\S+):\s*$")
    lines = TABLE.read_text().splitlines()
    firsts = {match[1]: lines[number + 1].strip() for number, line in enumerate(lines)
              if (match := entry_line.match(line)) and match[1] not in ("pulumi-aws", "pulumi-awsx")}
    assert set(firsts) == set(load().entries)
    unread = sorted(t for t, comment in firsts.items()
                    if not re.match(r"# verified(:| in part:) .*?\S+\.(go|ts)\b", comment))
    assert not unread, f"first comment names no file read (`# verified: <file>.go @<commit> (...)`): {unread}"


def test_components_and_providers_need_no_entry():
    table = load()
    assert table.missing({"webstack:api:FargateApi", "pulumi:providers:aws"}) == []
    with pytest.raises(TableError, match="needs no entry"):
        parse({"resources": {"webstack:api:FargateApi": {"source": ["x"], "read": []}}})


# --- the deploy role ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting", SETTINGS)
def test_the_deploy_role_allows_every_call_the_providers_make(setting):
    report = check(capture(setting), load())
    deploy = [f for f in report.findings if f.role == "deploy" and f.expected == "allowed"]
    assert not deploy, f"{len(deploy)} calls the deploy role cannot make; widen components/ci.py (or fix the " \
                       f"table if the provider does not make them):\n{listing(deploy)}"
    administered = {(req.type, req.operation) for _, req, _, _ in report.checked if req.administered}
    assert {operation for _, operation in administered} == {"read"}, "the CI access and the boundary: reads only"
    assert "aws:iam/openIdConnectProvider:OpenIdConnectProvider" in {t for t, _ in administered}


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_deploy_role_is_refused_what_it_must_never_do(setting):
    report = check(capture(setting), load())
    wrong = [f for f in report.findings if f.expected == "denied"]
    assert not wrong, listing(wrong)


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_stacks_roles_are_created_only_with_the_boundary(setting):
    """The check's role requests carry the boundary each role has, which the deploy role requires."""
    cap = capture(setting)
    report = check(cap, load())
    boundary = f"arn:aws:iam::{ACCOUNT_ID}:policy/webstack-{cap.stack}-boundary"
    creates = [req for _, req, _, _ in report.checked if req.action == "iam:CreateRole"]
    assert creates and {req.context.get("iam:PermissionsBoundary") for req in creates} == {boundary}


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_declared_resource_and_every_operation_is_judged(setting):
    """No resource slips through: each one of a type with calls yields requests of every operation it lists."""
    cap = capture(setting)
    table = load()
    report = check(cap, table)
    judged = {(req.name, req.operation) for _, req, _, _ in report.checked}
    held_back = administered(cap)
    for resource in checked_resources(cap):
        operations = ("read",) if resource.urn in held_back else OPERATIONS
        for operation in operations:
            if requests_for(cap, table, resource, (operation,)):
                assert (resource.name, operation) in judged, (resource, operation)
    assert {r.type for r in checked_resources(cap)} >= {"awsx:ecr:Image", "aws:iam/role:Role"}


# --- the preview role -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting", SETTINGS)
def test_the_preview_role_allows_every_read_and_every_invoke(setting):
    report = check(capture(setting), load())
    preview = [f for f in report.findings if f.role == "preview"]
    assert not preview, f"{len(preview)} reads the preview role cannot make (or must not):\n{listing(preview)}"
    invokes = {req.type for _, req, _, preview_verdict in report.checked if preview_verdict is not None
               and load().entry(req.type).invoke}
    assert {"aws:index/getAvailabilityZones:getAvailabilityZones",
            "aws:ec2/getManagedPrefixList:getManagedPrefixList"} <= invokes


def test_the_preview_role_is_refused_the_reads_that_return_data():
    report = check(capture("dev"), load())
    data = [(req, verdict) for _, req, _, verdict in report.checked if req.call.data]
    assert {req.type for req, _ in data} == {"aws:dynamodb/tableItem:TableItem", "aws:s3/bucketObjectv2:BucketObjectv2"}
    assert all(verdict is not None and not verdict for _, verdict in data)


# --- the check fires ------------------------------------------------------------------------------------------

def test_a_type_without_an_entry_fails_naming_it():
    table = load()
    entries = {k: v for k, v in table.entries.items() if k != "aws:ecs/cluster:Cluster"}
    assert check(capture("dev"), Table(pinned=table.pinned, entries=entries)).missing_types == [
        "aws:ecs/cluster:Cluster"]


def test_a_policy_missing_an_action_is_found_for_every_resource_that_needs_it():
    cap = capture("prd")
    report = check(cap, load(), deploy=without_action(deploy_documents(cap), "logs:PutRetentionPolicy"))
    found = {f.request.name for f in report.findings if f.request.action == "logs:PutRetentionPolicy"}
    assert found == {r.name for r in cap.of_type("aws:cloudwatch/logGroup:LogGroup")}
    preview = check(cap, load(), preview=without_action(preview_documents(cap), "ssm:ListTagsForResource"))
    assert {f.role for f in preview.findings} == {"preview"}


def test_an_action_the_table_adds_and_no_policy_grants_is_found():
    raw = {"resources": {"aws:sns/topic:Topic": {
        "source": ["internal/service/sns/topic.go"], "arn": {"topic": "arn:{partition}:sns:{region}:{account}:{name}"},
        "create": ["sns:CreateTopic topic tags", "sns:PutDataProtectionPolicy topic"], "read": [],
        "delete": []}}}
    table = parse(raw)
    report = check(capture("dev"), Table(pinned={}, entries={**load().entries, **table.entries}))
    assert [f.request.action for f in report.findings] == ["sns:PutDataProtectionPolicy"]


def test_a_template_reading_an_input_the_resource_lacks_is_refused():
    cap = capture("dev")
    table = parse({"resources": {"aws:sns/topic:Topic": {
        "source": ["x"], "read": ["sns:GetTopicAttributes arn:{partition}:sns:{region}:{account}:{inputs.nope}"]}}})
    with pytest.raises(TableError, match=r"inputs\.nope"):
        requests_for(cap, table, cap.of_type("aws:sns/topic:Topic")[0], ("read",))


def test_an_empty_placeholder_in_a_target_is_refused():
    with pytest.raises(TableError, match="empty placeholder"):
        parse({"resources": {"aws:sns/topic:Topic": {
            "source": ["x"], "read": ["sns:GetTopicAttributes arn:{partition}:sns:{region}:{account}:{}"]}}})


def test_the_requests_carry_what_the_policies_condition_on():
    cap = capture("dev-everything")
    resolver = Resolver(cap)
    table = load()
    key = cap.of_type("aws:kms/key:Key")[0]
    [create] = [r for r in requests_for(cap, table, key, ("create",), resolver=resolver) if r.action == "kms:CreateKey"]
    assert create.context["aws:RequestTag/stack"] == "dev" and create.context["aws:RequestedRegion"] == "ap-northeast-1"
    acl = cap.of_type("aws:wafv2/webAcl:WebAcl")[0]
    assert {r.context["aws:RequestedRegion"] for r in requests_for(cap, table, acl, ("read",))} == {"us-east-1"}
    task = cap.of_type("aws:ecs/taskDefinition:TaskDefinition")[0]
    passes = [r for r in requests_for(cap, table, task, ("create",)) if r.action == "iam:PassRole"]
    assert len(passes) == 2 and {r.context["iam:PassedToService"] for r in passes} == {"ecs-tasks.amazonaws.com"}


def test_the_requests_of_the_new_services_carry_their_region_tags_and_passed_roles():
    cap = capture("prd-everything")
    resolver = Resolver(cap)
    table = load()
    channel = cap.of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")[0]
    assert {r.context["aws:RequestedRegion"] for r in requests_for(cap, table, channel, OPERATIONS)} == {"us-west-2"}
    group = cap.of_type("aws:cognito/userGroup:UserGroup")[0]
    [get] = [r for r in requests_for(cap, table, group, ("read",), resolver=resolver)]
    assert get.context["aws:ResourceTag/stack"] == "prd"
    assert get.context["aws:ResourceTag/Name"] == "webstack-prd-admins"  # the pool's own tag, not the group's
    admin = cap.one("aws:ecs/service:Service", where=lambda s: s.name == "webstack-prd-admin-service")
    passes = [r for r in requests_for(cap, table, admin, ("create",), resolver=resolver) if r.action == "iam:PassRole"]
    assert {r.context["iam:PassedToService"] for r in passes} == {"ecs.amazonaws.com"}
    # the load balancer's release role and the release hook's role, both ECS's to assume
    assert {r.resource.rsplit("/", 1)[-1].rsplit("-", 1)[0] for r in passes} == {
        "webstack-prd-release", "webstack-prd-release-probe-hook"}


@pytest.mark.parametrize("action", ["cognito-idp:SetUserPoolMfaConfig", "chatbot:CreateSlackChannelConfiguration",
                                    "cloudtrail:StartLogging", "logs:CreateDelivery", "lambda:CreateFunction"])
def test_a_missing_action_of_a_new_service_is_found(action):
    cap = capture("prd-everything")
    report = check(cap, load(), deploy=without_action(deploy_documents(cap), action))
    assert {f.request.action for f in report.findings} == {action}
