"""RoleBoundary: the ceiling every role of the stack carries, and the deploy role's limit on the roles it makes.

The boundary must hold two ways: wide enough that no role of the stack loses a permission its own policies grant
(under every stack setting that adds a role or a grant), and no wider than their union, with no IAM or STS at all.
Grants are judged with the IAM evaluator of provider_calls/iam.py, which applies a boundary as IAM does: a request
is allowed only when both the role's policies and the boundary allow it.
"""

import json
import re
from functools import cache
from typing import Any

import pytest

from components.boundary import SESSION_MANAGER_INSTANCE_ACTIONS
from mock_engine import ACCOUNT_ID, Capture, Resource, as_list, policy_document, run_stack
from provider_calls.iam import allows
from provider_calls.requests import Resolver
from tests.test_ci_access import CI

REGION = "ap-northeast-1"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
SESSION_CHANNELS = ("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel")
# AmazonSSMManagedInstanceCore, as AWS publishes it: the Session Manager part, and the rest (Run Command, State
# Manager, inventory, patching) that the NAT instance does not use and the boundary leaves out.
SSM_CORE_SESSION_MANAGER = (*SESSION_CHANNELS, "ssm:UpdateInstanceInformation")
SSM_CORE_OTHERS = (
    "ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument",
    "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations",
    "ssm:ListInstanceAssociations", "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult",
    "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint", "ec2messages:GetMessages",
    "ec2messages:SendReply",
)
NAT_INSTANCE = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/i-0123456789abcdef0"

# Every setting that adds a role or a grant: the NAT instance (dev), flow logs and interface endpoints (prd), ECS
# Exec on and off, the Slack channel's role, blue/green releases with their release role and probe (prd), and CI
# access.
SETTINGS = {
    "dev": ("dev", None),
    "prd": ("prd", None),
    "dev-flow-logs": ("dev", {"webstack:network": {"flowLogs": True}}),
    "prd-exec": ("prd", {"webstack:platform": {"execEnabled": True}}),
    "prd-chat": ("prd", {"webstack:alerts": {"slack": {"workspaceId": "T0123ABCDE", "channelId": "C0123ABCDE"}}}),
    "dev-ci": ("dev", {"webstack:ci": CI["dev"]}),
    "prd-ci": ("prd", {"webstack:ci": CI["prd"]}),
}


@cache
def capture(setting: str) -> Capture:
    stack, overrides = SETTINGS[setting]
    return run_stack(stack, overrides)


def boundary_policy(cap: Capture) -> Resource:
    return cap.one("aws:iam/policy:Policy", where=lambda p: p.name == f"webstack-{cap.stack}-boundary")


def boundary_document(cap: Capture) -> dict[str, Any]:
    return policy_document(boundary_policy(cap).inputs["policy"])


def stack_roles(cap: Capture) -> list[Resource]:
    """Every role the program declares outside the CI access."""
    ci = {r.urn for c in cap.of_type("webstack:ci:CiAccess") for r in cap.descendants_of(c)}
    return [r for r in cap.of_type(ROLE) if r.urn not in ci]


def own_statements(cap: Capture, role: Resource) -> list[dict[str, Any]]:
    """The Allow statements of the role's inline policies, and of its AWS-managed policy as far as the role uses it."""
    found = [s for p in cap.of_type(ROLE_POLICY) if p.inputs["role"] == role.id
             for s in as_list(policy_document(p.inputs["policy"])["Statement"])]
    for attachment in cap.of_type(ATTACHMENT):
        if attachment.inputs["role"] == role.state["name"]:
            assert attachment.inputs["policyArn"] == SSM_CORE, "a managed policy this test does not know"
            found.append({"Effect": "Allow", "Action": list(SSM_CORE_SESSION_MANAGER), "Resource": "*"})
    assert found, f"{role.name} has no permissions to check"
    return found


def resource_tags(cap: Capture, resource: str) -> dict[str, str]:
    """aws:ResourceTag/<k> of the declared resource `resource` names (by its ARN, or an EC2 ARN's id), if any: the
    provider's default tags and its own, as AWS would evaluate a tag condition of the boundary on it."""
    resolver = Resolver(cap)
    found = next((r for r in cap.custom_resources if resource in (r.state.get("arn"), r.id)
                  or (resource.startswith("arn:aws:ec2:") and resource.rsplit("/", 1)[-1] == r.id)), None)
    return {f"aws:ResourceTag/{k}": v for k, v in resolver.tags(found).items()} if found else {}


def request_context(statement: dict[str, Any], tags: dict[str, str] | None = None) -> dict[str, str]:
    """A request that meets the statement's own conditions (a `*` in a pattern stands for any text), on a resource
    carrying `tags`."""
    context = {"ec2:SourceInstanceARN": NAT_INSTANCE, **(tags or {})}
    for pairs in statement.get("Condition", {}).values():
        for key, values in pairs.items():
            context[key] = str(as_list(values)[0]).replace("*", "x")
    return context


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_role_outside_ci_access_carries_the_boundary(setting):
    cap = capture(setting)
    boundary = boundary_policy(cap).state["arn"]
    roles = stack_roles(cap)
    assert roles
    for role in roles:
        assert role.inputs.get("permissionsBoundary") == boundary, role.name


def test_the_roles_checked_are_every_kind_the_stack_declares():
    names = {re.sub(r"^webstack-(dev|prd)-", "", r.name) for s in SETTINGS for r in stack_roles(capture(s))}
    assert names == {"nat-role", "flow-logs-role", "release", "alarms-chat", "release-probe-execution",
                     "release-probe-hook", *(f"{service}-roles-{kind}" for service in ("api", "admin", "worker")
                                             for kind in ("execution", "task"))}


def test_ci_roles_carry_no_boundary_and_are_the_only_ones():
    cap = capture("dev-ci")
    unbounded = [r.name for r in cap.of_type(ROLE) if not r.inputs.get("permissionsBoundary")]
    assert sorted(unbounded) == ["webstack-dev-ci-deploy", "webstack-dev-ci-preview"]


@pytest.mark.parametrize("stack", ["dev", "prd"])
def test_the_boundary_exists_without_ci_access_named_after_the_stack_and_protected(stack):
    policy = boundary_policy(capture(stack))
    assert policy.inputs["name"] == f"webstack-{stack}-boundary"
    assert policy.state["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:policy/webstack-{stack}-boundary"
    assert policy.protect
    assert policy.parent == capture(stack).one("webstack:iam:RoleBoundary").urn


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_boundary_covers_every_grant_of_the_stack_roles(setting):
    cap = capture(setting)
    boundary = [boundary_document(cap)]
    for role in stack_roles(cap):
        own = own_statements(cap, role)
        for statement in own:
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    context = request_context(statement, resource_tags(cap, resource))
                    assert allows([{"Statement": own}], action, resource, context), f"{role.name}: {action}"
                    # what the role can do, its boundary applied, still includes the grant
                    assert allows([{"Statement": own}], action, resource, context, boundary=boundary), \
                        f"{role.name}: {action} on {resource} is outside the boundary"


def test_the_boundary_allows_exactly_the_union_of_the_roles_actions():
    granted = {a for s in SETTINGS for r in stack_roles(capture(s)) for st in own_statements(capture(s), r)
               for a in as_list(st["Action"])}
    bounded = {a for st in boundary_document(capture("dev"))["Statement"] for a in as_list(st["Action"])}
    assert bounded == granted


@pytest.mark.parametrize("stack", ["dev", "prd"])
def test_the_boundary_allows_no_wildcard_action_and_nothing_of_iam_or_sts(stack):
    for statement in boundary_document(capture(stack))["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        for action in as_list(statement["Action"]):
            assert "*" not in action, action
            assert not action.lower().startswith(("iam:", "sts:")), action


def test_the_boundary_is_the_same_for_every_setting_of_a_stack():
    """The deploy role cannot change the boundary, so a setting the pipeline deploys must not need it changed."""
    for stack in ("dev", "prd"):
        documents = {json.dumps(boundary_document(capture(s)), sort_keys=True)
                     for s, (st, _) in SETTINGS.items() if st == stack}
        assert len(documents) == 1, stack


def test_the_nat_instance_keeps_session_manager_and_nothing_else_of_its_managed_policy():
    boundary = [boundary_document(capture("dev"))]
    for action in SESSION_CHANNELS:
        assert allows(boundary, action)
    assert SESSION_MANAGER_INSTANCE_ACTIONS == ("ssm:UpdateInstanceInformation",)
    assert allows(boundary, "ssm:UpdateInstanceInformation", "*", {"ec2:SourceInstanceARN": NAT_INSTANCE})
    # A role assumed other than by an instance of this account cannot pose as one.
    assert not allows(boundary, "ssm:UpdateInstanceInformation", "*")
    assert not allows(boundary, "ssm:UpdateInstanceInformation", "*",
                      {"ec2:SourceInstanceARN": "arn:aws:ec2:ap-northeast-1:999999999999:instance/i-1"})
    for action in SSM_CORE_OTHERS:
        assert not allows(boundary, action, "*", {"ec2:SourceInstanceARN": NAT_INSTANCE}), action


def test_the_boundary_reaches_only_the_stacks_own_resources():
    boundary = [boundary_document(capture("dev"))]
    dev, prd = "arn:aws:dynamodb:ap-northeast-1:123456789012:table/webstack-dev-items-0123456", \
        "arn:aws:dynamodb:ap-northeast-1:123456789012:table/webstack-prd-items-0123456"
    assert allows(boundary, "dynamodb:GetItem", dev)
    for action, resource, context in [
        ("dynamodb:GetItem", prd, {}),
        ("dynamodb:DeleteTable", dev, {}),
        ("s3:GetObject", "arn:aws:s3:::webstack-prd-images-0123456/images/a.jpg", {}),
        ("s3:GetObject", "arn:aws:s3:::webstack-dev-site-0123456/index.html", {}),
        ("s3:ListBucket", "arn:aws:s3:::webstack-dev-images-0123456", {"s3:prefix": "secrets/"}),
        ("ecr:BatchGetImage", "arn:aws:ecr:ap-northeast-1:123456789012:repository/webstack-prd-api-repo-0123456", {}),
        ("logs:PutLogEvents", "arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/webstack-prd-api:*", {}),
        ("logs:DeleteLogGroup", "arn:aws:logs:ap-northeast-1:123456789012:log-group:webstack-dev-flow-logs", {}),
    ]:
        assert not allows(boundary, action, resource, context), (action, resource)


@pytest.mark.parametrize("stack", ["dev", "prd"])
def test_the_boundary_fits_a_managed_policy(stack):
    assert len(re.sub(r"\s", "", boundary_policy(capture(stack)).inputs["policy"])) <= 6144
