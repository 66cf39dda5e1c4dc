"""TaskRoles: two roles that ECS tasks of this account alone may assume, each allowed exactly what it serves.

The roles are checked wherever they are declared: on their own (with ECS Exec off and on) and, once the program
composes a FargateApi, inside the real dev and prd stacks, scoped to that stack's repository, log group, table
and bucket.
"""

from dataclasses import dataclass
from typing import Any

import pytest

from mock_engine import ACCOUNT_ID, Capture, Resource, as_list, policy_document, run_program, run_stack, statements

TASK_ROLES = "webstack:iam:TaskRoles"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
REGION = "ap-northeast-1"

# What the standalone roles are scoped to.
REPOSITORY_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/webstack-dev-api"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/ecs/webstack-dev-api"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/webstack-dev-items"
BUCKET_ARN = "arn:aws:s3:::webstack-dev-images"

IMAGE_PULL = {"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"}
LOG_WRITE = {"logs:CreateLogStream", "logs:PutLogEvents"}
TABLE_READ = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem",
              "dynamodb:DescribeTable"}
ECS_EXEC = {"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}
# Actions AWS defines no resource type for, so `*` is the only resource they can have.
RESOURCELESS = {"ecr:GetAuthorizationToken"} | ECS_EXEC
READ_VERBS = ("Get", "BatchGet", "Query", "Scan", "Describe", "List")


@dataclass
class Roles:
    """One TaskRoles component as captured, and the ARNs it must be scoped to."""

    capture: Capture
    component: Resource
    repository_arn: str
    log_group_arn: str
    table_arn: str
    bucket_arn: str
    exec_enabled: bool
    """ECS Exec: asked for (standalone), or what the stack's ECS service allows."""

    def role(self, suffix: str) -> Resource:
        return self.capture.one(ROLE, where=lambda r: r.parent == self.component.urn
                                and r.name == f"{self.component.name}-{suffix}")

    @property
    def execution_role(self) -> Resource:
        return self.role("execution")

    @property
    def task_role(self) -> Resource:
        return self.role("task")

    def policies_of(self, role: Resource) -> list[Resource]:
        return [p for p in self.capture.of_type(ROLE_POLICY) if p.get("role") == role.id]

    def statements_of(self, role: Resource) -> list[dict[str, Any]]:
        return [s for p in self.policies_of(role) for s in statements(p.get("policy"))]

    def granting(self, role: Resource, action: str) -> list[dict[str, Any]]:
        return [s for s in self.statements_of(role) if action in as_list(s.get("Action"))]


def standalone(exec_enabled: bool) -> Roles:
    def program() -> None:
        from components.iam import TaskRoles, TaskRolesArgs
        TaskRoles("webstack-dev-api-roles", TaskRolesArgs(
            repository_arn=REPOSITORY_ARN, log_group_arn=LOG_GROUP_ARN, table_arn=TABLE_ARN, bucket_arn=BUCKET_ARN,
            exec_enabled=exec_enabled))

    capture = run_program(program)
    return Roles(capture, capture.one(TASK_ROLES), REPOSITORY_ARN, LOG_GROUP_ARN, TABLE_ARN, BUCKET_ARN,
                 exec_enabled)


def in_stack(stack: str) -> Roles:
    capture = run_stack(stack)
    components = capture.of_type(TASK_ROLES)
    assert len(components) == 1, components
    component = components[0]
    api = capture.by_urn(component.parent)
    inside_api = capture.descendants_of(api)
    repository = [r for r in inside_api if r.type == "aws:ecr/repository:Repository"]
    log_groups = [r for r in inside_api if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    assert len(repository) == 1 and len(log_groups) == 1, (repository, log_groups)
    data = capture.descendants_of(capture.one("webstack:data:DataStore"))
    table = next(r for r in data if r.type == "aws:dynamodb/table:Table")
    bucket = next(r for r in data if r.type == "aws:s3/bucket:Bucket")
    service = next(r for r in inside_api if r.type == "aws:ecs/service:Service")
    return Roles(capture, component, repository[0].state["arn"], log_groups[0].state["arn"], table.state["arn"],
                 bucket.state["arn"], bool(service.get("enableExecuteCommand")))


@pytest.fixture(scope="module", params=["exec-off", "exec-on", "dev", "prd"])
def roles(request) -> Roles:
    if request.param.startswith("exec-"):
        return standalone(exec_enabled=request.param == "exec-on")
    return in_stack(request.param)


@pytest.fixture(scope="module")
def roles_without_exec() -> Roles:
    return standalone(exec_enabled=False)


@pytest.fixture(scope="module")
def roles_with_exec() -> Roles:
    return standalone(exec_enabled=True)


# --- trust ---------------------------------------------------------------------------------------------------

def test_both_roles_trust_only_ecs_tasks_acting_for_this_account(roles: Roles):
    for role in (roles.execution_role, roles.task_role):
        trust = statements(role.get("assumeRolePolicy"))
        assert len(trust) == 1, role.name
        assert trust[0]["Effect"] == "Allow" and trust[0]["Action"] == "sts:AssumeRole"
        assert trust[0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}, role.name
        assert trust[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}, role.name


def test_task_role_trusts_only_ecs_resources_of_this_account_and_region(roles: Roles):
    trust = statements(roles.task_role.get("assumeRolePolicy"))[0]
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:*"}


def test_roles_carry_no_managed_policies(roles: Roles):
    inside = roles.capture.descendants_of(roles.component)
    assert [r.name for r in inside if "PolicyAttachment" in r.type] == []
    for role in (roles.execution_role, roles.task_role):
        assert not role.get("managedPolicyArns"), role.name


# --- execution role ------------------------------------------------------------------------------------------

def test_execution_role_pulls_images_from_this_repository_only(roles: Roles):
    pulls = [s for s in roles.statements_of(roles.execution_role)
             if set(as_list(s["Action"])) & IMAGE_PULL]
    assert len(pulls) == 1
    assert set(as_list(pulls[0]["Action"])) == IMAGE_PULL
    assert as_list(pulls[0]["Resource"]) == [roles.repository_arn]


def test_execution_role_writes_to_this_log_group_only(roles: Roles):
    writes = [s for s in roles.statements_of(roles.execution_role) if set(as_list(s["Action"])) & LOG_WRITE]
    assert len(writes) == 1
    assert set(as_list(writes[0]["Action"])) == LOG_WRITE
    assert as_list(writes[0]["Resource"]) == [f"{roles.log_group_arn}:*"]


def test_execution_role_may_fetch_an_ecr_token(roles: Roles):
    token = roles.granting(roles.execution_role, "ecr:GetAuthorizationToken")
    assert [as_list(s["Resource"]) for s in token] == [["*"]]


def test_execution_role_is_allowed_nothing_else(roles: Roles):
    actions = {a for s in roles.statements_of(roles.execution_role) for a in as_list(s["Action"])}
    assert actions == IMAGE_PULL | LOG_WRITE | {"ecr:GetAuthorizationToken"}


# --- task role -----------------------------------------------------------------------------------------------

def test_task_role_reads_this_table_only(roles: Roles):
    reads = [s for s in roles.statements_of(roles.task_role)
             if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert len(reads) == 1
    assert set(as_list(reads[0]["Action"])) == TABLE_READ
    assert as_list(reads[0]["Resource"]) == [roles.table_arn]


def test_task_role_reads_objects_under_images_only(roles: Roles):
    gets = roles.granting(roles.task_role, "s3:GetObject")
    assert len(gets) == 1 and as_list(gets[0]["Action"]) == ["s3:GetObject"]
    assert as_list(gets[0]["Resource"]) == [f"{roles.bucket_arn}/images/*"]


def test_task_role_lists_the_bucket_only_under_images(roles: Roles):
    lists = roles.granting(roles.task_role, "s3:ListBucket")
    assert len(lists) == 1 and as_list(lists[0]["Action"]) == ["s3:ListBucket"]
    assert as_list(lists[0]["Resource"]) == [roles.bucket_arn]
    assert lists[0]["Condition"] == {"StringLike": {"s3:prefix": "images/*"}}


def test_task_role_never_writes_data(roles: Roles):
    data_actions = [a for s in roles.statements_of(roles.task_role) for a in as_list(s["Action"])
                    if a.split(":")[0] in ("dynamodb", "s3")]
    assert data_actions
    assert [a for a in data_actions if not a.split(":")[1].startswith(READ_VERBS)] == []


def test_task_role_is_allowed_only_its_reads_and_ecs_exec(roles: Roles):
    actions = {a for s in roles.statements_of(roles.task_role) for a in as_list(s["Action"])}
    assert actions - ECS_EXEC == TABLE_READ | {"s3:GetObject", "s3:ListBucket"}


# --- both roles ----------------------------------------------------------------------------------------------

def test_no_statement_allows_a_wildcard_action(roles: Roles):
    for role in (roles.execution_role, roles.task_role):
        for statement in roles.statements_of(role):
            assert [a for a in as_list(statement["Action"]) if "*" in a] == [], role.name
            assert "NotAction" not in statement and "NotResource" not in statement, role.name


def test_star_resources_only_for_actions_aws_defines_no_resource_for(roles: Roles):
    for role in (roles.execution_role, roles.task_role):
        for statement in roles.statements_of(role):
            if "*" in as_list(statement["Resource"]):
                assert set(as_list(statement["Action"])) <= RESOURCELESS, (role.name, statement)


def test_every_statement_allows_and_every_policy_is_versioned(roles: Roles):
    for role in (roles.execution_role, roles.task_role):
        policies = roles.policies_of(role)
        assert policies, role.name
        for policy in policies:
            assert policy_document(policy.get("policy"))["Version"] == "2012-10-17"
            assert {s["Effect"] for s in statements(policy.get("policy"))} == {"Allow"}


def test_roles_and_policies_are_children_named_after_the_component(roles: Roles):
    children = roles.capture.children_of(roles.component)
    assert {(r.type, r.name.removeprefix(roles.component.name)) for r in children} == {
        (ROLE, "-execution"), (ROLE, "-task"), (ROLE_POLICY, "-execution-policy"), (ROLE_POLICY, "-task-policy")}


# --- ECS Exec ------------------------------------------------------------------------------------------------

def test_task_role_opens_session_channels_exactly_when_ecs_exec_is_on(roles: Roles):
    actions = {a for s in roles.statements_of(roles.task_role) for a in as_list(s["Action"])}
    assert (actions & ECS_EXEC == ECS_EXEC) if roles.exec_enabled else not {
        a for a in actions if a.startswith("ssmmessages:")}


def test_ecs_exec_adds_exactly_the_four_session_channel_actions(roles_with_exec: Roles):
    channels = [s for s in roles_with_exec.statements_of(roles_with_exec.task_role)
                if any(a.startswith("ssmmessages:") for a in as_list(s["Action"]))]
    assert len(channels) == 1
    assert set(as_list(channels[0]["Action"])) == ECS_EXEC and len(as_list(channels[0]["Action"])) == 4
    assert as_list(channels[0]["Resource"]) == ["*"]


def test_ecs_exec_leaves_the_execution_role_alone(roles_without_exec: Roles, roles_with_exec: Roles):
    assert (roles_with_exec.statements_of(roles_with_exec.execution_role)
            == roles_without_exec.statements_of(roles_without_exec.execution_role))


def test_both_roles_carry_the_boundary_they_are_given():
    boundary = f"arn:aws:iam::{ACCOUNT_ID}:policy/webstack-dev-boundary"

    def program() -> None:
        from components.iam import TaskRoles, TaskRolesArgs
        TaskRoles("webstack-dev-api-roles", TaskRolesArgs(
            repository_arn=REPOSITORY_ARN, log_group_arn=LOG_GROUP_ARN, table_arn=TABLE_ARN, bucket_arn=BUCKET_ARN,
            permissions_boundary_arn=boundary))

    capture = run_program(program)
    assert [r.get("permissionsBoundary") for r in capture.of_type(ROLE)] == [boundary, boundary]
