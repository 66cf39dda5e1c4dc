"""TaskRoles: two roles that ECS tasks of this account alone may assume, each allowed exactly what it serves.

The roles are checked wherever they are declared: on their own (with ECS Exec off and on) and, in the real dev and
prd stacks, once per service — the public API only reads, the admin API writes items and pictures, the worker turns
originals into variants from its own queue — scoped to that stack's repository, log group, table, bucket and queue,
and inside the stack's permissions boundary. What a grant allows is judged by IAM's rules (provider_calls.iam),
not by string comparison: a wildcard or a missing condition shows up as a request that gets through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from components import access
from mock_engine import ACCOUNT_ID, Capture, Resource, as_list, policy_document, run_program, run_stack, statements
from provider_calls.iam import evaluate

TASK_ROLES = "webstack:iam:TaskRoles"
SERVICE_COMPONENT = "webstack:service:FargateService"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
REGION = "ap-northeast-1"
SERVICES = ("api", "admin", "worker")

# What the standalone roles are scoped to.
REPOSITORY_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/webstack-dev-repo"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/ecs/webstack-dev-api"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/webstack-dev-items"
BUCKET_ARN = "arn:aws:s3:::webstack-dev-images"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT_ID}:policy/webstack-dev-boundary"

IMAGE_PULL = {"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"}
LOG_WRITE = {"logs:CreateLogStream", "logs:PutLogEvents"}
ECS_EXEC = {"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}
# Actions AWS defines no resource type for, so `*` is the only resource they can have.
RESOURCELESS = {"ecr:GetAuthorizationToken"} | ECS_EXEC
# IAM's character set for a role description.
IAM_DESCRIPTION = re.compile(r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]{1,1000}")


@dataclass
class Roles:
    """One TaskRoles component as captured, and the ARNs it must be scoped to."""

    capture: Capture
    component: Resource
    repository_arn: str
    log_group_arn: str
    exec_enabled: bool
    """ECS Exec: asked for (standalone), or what the stack's ECS service allows."""
    boundary_arn: str | None = None

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

    def documents_of(self, role: Resource) -> list[dict[str, Any]]:
        return [policy_document(p.get("policy")) for p in self.policies_of(role)]

    def statements_of(self, role: Resource) -> list[dict[str, Any]]:
        return [s for p in self.policies_of(role) for s in statements(p.get("policy"))]

    def actions_of(self, role: Resource) -> set[str]:
        return {a for s in self.statements_of(role) for a in as_list(s.get("Action"))}


def standalone(exec_enabled: bool, boundary_arn: str | None = None) -> Roles:
    def program() -> None:
        from components.iam import TaskRoles, TaskRolesArgs
        TaskRoles("webstack-dev-api-roles", TaskRolesArgs(
            repository_arn=REPOSITORY_ARN, log_group_arn=LOG_GROUP_ARN,
            grants=access.public_api(TABLE_ARN, BUCKET_ARN), purpose="read the catalogue and its pictures",
            exec_enabled=exec_enabled, permissions_boundary_arn=boundary_arn))

    capture = run_program(program)
    return Roles(capture, capture.one(TASK_ROLES), REPOSITORY_ARN, LOG_GROUP_ARN, exec_enabled, boundary_arn)


def in_stack(stack: str, key: str) -> Roles:
    capture = run_stack(stack)
    service = capture.one(SERVICE_COMPONENT, where=lambda r: r.name == f"webstack-{stack}-{key}")
    component = capture.one(TASK_ROLES, where=lambda r: r.parent == service.urn)
    inside = capture.descendants_of(service)
    [log_group] = [r for r in inside if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    [ecs_service] = [r for r in inside if r.type == "aws:ecs/service:Service"]
    repository = capture.one("aws:ecr/repository:Repository")
    boundary = capture.one("aws:iam/policy:Policy", where=lambda p: p.get("name") == f"webstack-{stack}-boundary")
    return Roles(capture, component, repository.state["arn"], log_group.state["arn"],
                 bool(ecs_service.get("enableExecuteCommand")), boundary.state["arn"])


ROLE_CASES = ["exec-off", "exec-on"] + [f"{stack}-{key}" for stack in ("dev", "prd") for key in SERVICES]


@pytest.fixture(scope="module", params=ROLE_CASES)
def roles(request) -> Roles:
    if request.param.startswith("exec-"):
        return standalone(exec_enabled=request.param == "exec-on")
    stack, key = request.param.split("-")
    return in_stack(stack, key)


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
    # Another account's task, or one of this account in another region, is not let in.
    ecs = {"Service": "ecs-tasks.amazonaws.com"}
    trust_documents = [policy_document(roles.task_role.get("assumeRolePolicy"))]
    for source_account, source_arn, allowed in (
            (ACCOUNT_ID, f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task/c/1", True),
            ("999999999999", f"arn:aws:ecs:{REGION}:999999999999:task/c/1", False),
            (ACCOUNT_ID, f"arn:aws:ecs:us-east-1:{ACCOUNT_ID}:task/c/1", False)):
        verdict = evaluate(trust_documents, "sts:AssumeRole", context={
            "aws:SourceAccount": source_account, "aws:SourceArn": source_arn}, principal=ecs)
        assert verdict.allowed is allowed, (source_account, source_arn)


def test_execution_role_keeps_the_account_condition_alone(roles: Roles):
    # The ECS guide shows no source-ARN condition for the agent: one its request did not meet would stop every task.
    [trust] = statements(roles.execution_role.get("assumeRolePolicy"))
    assert set(trust["Condition"]) == {"StringEquals"}


def test_roles_carry_no_managed_policies(roles: Roles):
    inside = roles.capture.descendants_of(roles.component)
    assert [r.name for r in inside if "PolicyAttachment" in r.type] == []
    for role in (roles.execution_role, roles.task_role):
        assert not role.get("managedPolicyArns"), role.name


def test_role_descriptions_say_what_each_role_is_for_in_iams_characters(roles: Roles):
    assert roles.task_role.get("description").startswith("Application: ")
    assert roles.execution_role.get("description").startswith("ECS agent: ")
    for role in (roles.execution_role, roles.task_role):
        assert IAM_DESCRIPTION.fullmatch(role.get("description")), role.get("description")


# --- execution role ------------------------------------------------------------------------------------------

def test_execution_role_pulls_images_from_this_repository_only(roles: Roles):
    pulls = [s for s in roles.statements_of(roles.execution_role) if set(as_list(s["Action"])) & IMAGE_PULL]
    assert len(pulls) == 1
    assert set(as_list(pulls[0]["Action"])) == IMAGE_PULL
    assert as_list(pulls[0]["Resource"]) == [roles.repository_arn]


def test_execution_role_writes_to_this_log_group_only(roles: Roles):
    writes = [s for s in roles.statements_of(roles.execution_role) if set(as_list(s["Action"])) & LOG_WRITE]
    assert len(writes) == 1
    assert set(as_list(writes[0]["Action"])) == LOG_WRITE
    assert as_list(writes[0]["Resource"]) == [f"{roles.log_group_arn}:*"]


def test_execution_role_may_fetch_an_ecr_token(roles: Roles):
    token = [s for s in roles.statements_of(roles.execution_role)
             if "ecr:GetAuthorizationToken" in as_list(s["Action"])]
    assert [as_list(s["Resource"]) for s in token] == [["*"]]


def test_execution_role_is_allowed_nothing_else(roles: Roles):
    assert roles.actions_of(roles.execution_role) == IMAGE_PULL | LOG_WRITE | {"ecr:GetAuthorizationToken"}


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


def test_both_roles_carry_the_boundary_they_are_given():
    capture = standalone(exec_enabled=False, boundary_arn=BOUNDARY_ARN).capture
    assert [r.get("permissionsBoundary") for r in capture.of_type(ROLE)] == [BOUNDARY_ARN, BOUNDARY_ARN]


def test_every_role_of_every_service_carries_the_stacks_boundary(stack: Capture):
    for key in SERVICES:
        roles = in_stack(stack.stack, key)
        for role in (roles.execution_role, roles.task_role):
            assert role.get("permissionsBoundary") == roles.boundary_arn, role.name


def test_the_task_definitions_run_with_their_services_roles(stack: Capture):
    for key in SERVICES:
        roles = in_stack(stack.stack, key)
        [task] = [r for r in stack.descendants_of(stack.by_urn(roles.component.parent)) if r.type == TASK_DEFINITION]
        assert (task.get("taskRoleArn"), task.get("executionRoleArn")) == (
            roles.task_role.state["arn"], roles.execution_role.state["arn"])


# --- ECS Exec ------------------------------------------------------------------------------------------------

def test_task_role_opens_session_channels_exactly_when_ecs_exec_is_on(roles: Roles):
    actions = roles.actions_of(roles.task_role)
    assert (actions & ECS_EXEC == ECS_EXEC) if roles.exec_enabled else not {
        a for a in actions if a.startswith("ssmmessages:")}


def test_ecs_exec_adds_exactly_the_four_session_channel_actions(roles_with_exec: Roles):
    channels = [s for s in roles_with_exec.statements_of(roles_with_exec.task_role)
                if any(a.startswith("ssmmessages:") for a in as_list(s["Action"]))]
    assert len(channels) == 1
    assert set(as_list(channels[0]["Action"])) == ECS_EXEC and len(as_list(channels[0]["Action"])) == 4
    assert as_list(channels[0]["Resource"]) == ["*"]


def test_ecs_exec_adds_nothing_else(roles_without_exec: Roles, roles_with_exec: Roles):
    assert (roles_with_exec.statements_of(roles_with_exec.execution_role)
            == roles_without_exec.statements_of(roles_without_exec.execution_role))
    assert (roles_with_exec.actions_of(roles_with_exec.task_role) - ECS_EXEC
            == roles_without_exec.actions_of(roles_without_exec.task_role))


def test_the_task_role_holds_exactly_the_grants_it_is_given(roles_without_exec: Roles):
    # The standalone roles get the public API's grants (components/access.py) on these ARNs, and nothing more.
    granted = {s.get("Sid"): (sorted(as_list(s["Action"])), sorted(as_list(s["Resource"])))
               for s in roles_without_exec.statements_of(roles_without_exec.task_role)}
    assert granted == {
        "ReadTheCatalogue": (["dynamodb:GetItem", "dynamodb:Scan"], [TABLE_ARN]),
        "ReadPictures": (["s3:GetObject"], [f"{BUCKET_ARN}/images/*", f"{BUCKET_ARN}/variants/*"])}
    assert roles_without_exec.task_role.get("description") == "Application: read the catalogue and its pictures"


# --- what each service's task role may do, in each stack -----------------------------------------------------

@dataclass(frozen=True)
class Data:
    """The stack's stored data, by ARN."""
    table: str
    bucket: str
    queue: str
    dead_letters: str


@cache
def data_of(stack: str) -> Data:
    capture = run_stack(stack)
    store = capture.one("webstack:data:DataStore")
    table = capture.one("aws:dynamodb/table:Table", where=lambda r: r.parent == store.urn)
    bucket = capture.one("aws:s3/bucket:Bucket", where=lambda r: r.parent == store.urn)
    queues = {q.name.endswith("-dlq"): q for q in capture.of_type("aws:sqs/queue:Queue")
              if q.parent == capture.one("webstack:queue:WorkerQueue").urn}
    return Data(table.state["arn"], bucket.state["arn"], queues[False].state["arn"], queues[True].state["arn"])


def boundary_of(capture: Capture) -> list[dict[str, Any]]:
    boundary = capture.one("aws:iam/policy:Policy", where=lambda p: p.get("name") ==
                           f"webstack-{capture.stack}-boundary")
    return [policy_document(boundary.get("policy"))]


class TaskRole:
    """A service's task role as IAM would judge its requests: its policies, within the stack's boundary."""

    def __init__(self, capture: Capture, key: str):
        self.roles = in_stack(capture.stack, key)
        self.documents = self.roles.documents_of(self.roles.task_role)
        self.boundary = boundary_of(capture)

    def may(self, action: str, resource: str, **context: Any) -> bool:
        verdict = evaluate(self.documents, action, resource, context)
        if verdict.allowed:
            # A grant the boundary does not also allow would fail at run time: the stack's grants must fit in it.
            assert evaluate(self.documents, action, resource, context, boundary=self.boundary).allowed, (
                f"{action} on {resource} is granted but outside the boundary")
        return verdict.allowed

    @property
    def data_actions(self) -> set[str]:
        return {a for a in self.roles.actions_of(self.roles.task_role) if not a.startswith("ssmmessages:")}


WRITES = [("dynamodb:PutItem", "table"), ("dynamodb:UpdateItem", "table"), ("dynamodb:DeleteItem", "table"),
          ("dynamodb:BatchWriteItem", "table"), ("s3:PutObject", "images/x.jpg"), ("s3:PutObject", "variants/x.webp"),
          ("s3:DeleteObject", "images/x.jpg"), ("s3:DeleteObject", "variants/x.webp"),
          ("sqs:SendMessage", "queue"), ("sqs:DeleteMessage", "queue")]


def arn_for(data: Data, target: str) -> str:
    return {"table": data.table, "queue": data.queue, "dead-letters": data.dead_letters}.get(
        target, f"{data.bucket}/{target}")


def test_public_api_only_reads_the_catalogue_and_its_pictures(stack: Capture):
    role, data = TaskRole(stack, "api"), data_of(stack.stack)
    assert role.data_actions == {"dynamodb:GetItem", "dynamodb:Scan", "s3:GetObject"}
    assert role.may("dynamodb:GetItem", data.table) and role.may("dynamodb:Scan", data.table)
    assert role.may("s3:GetObject", f"{data.bucket}/images/x.jpg")
    assert role.may("s3:GetObject", f"{data.bucket}/variants/x.webp")
    assert not role.may("s3:GetObject", f"{data.bucket}/private/x.jpg")
    assert not role.may("dynamodb:GetItem", data.table.replace("items", "other"))
    for action, target in WRITES:
        assert not role.may(action, arn_for(data, target)), action


def test_admin_api_writes_items_and_originals_and_removes_pictures(stack: Capture):
    role, data = TaskRole(stack, "admin"), data_of(stack.stack)
    assert role.data_actions == {"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                 "dynamodb:DeleteItem", "s3:PutObject", "s3:DeleteObject"}
    for action in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        assert role.may(action, data.table), action
    # Originals go under images/ only: the variants are the worker's to write.
    assert role.may("s3:PutObject", f"{data.bucket}/images/42.jpg")
    assert not role.may("s3:PutObject", f"{data.bucket}/variants/42/small.webp")
    assert not role.may("s3:PutObject", f"{data.bucket}/site/index.html")
    # A replaced or deleted item's pictures: its original and the variants made from it.
    assert role.may("s3:DeleteObject", f"{data.bucket}/images/42.jpg")
    assert role.may("s3:DeleteObject", f"{data.bucket}/variants/42/small.webp")
    assert not role.may("s3:DeleteObject", f"{data.bucket}/other/42.jpg")
    assert not role.may("s3:GetObject", f"{data.bucket}/images/42.jpg")
    assert not role.may("dynamodb:BatchWriteItem", data.table)
    for action in ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"):
        assert not role.may(action, data.queue), action


def test_worker_reads_originals_writes_variants_and_takes_only_its_own_jobs(stack: Capture):
    role, data = TaskRole(stack, "worker"), data_of(stack.stack)
    assert role.data_actions == {"s3:GetObject", "s3:PutObject", "dynamodb:UpdateItem", "sqs:ReceiveMessage",
                                 "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}
    assert role.may("s3:GetObject", f"{data.bucket}/images/42.jpg")
    assert not role.may("s3:GetObject", f"{data.bucket}/variants/42/small.webp")
    assert role.may("s3:PutObject", f"{data.bucket}/variants/42/small.webp")
    assert not role.may("s3:PutObject", f"{data.bucket}/images/42.jpg"), "would start another job for itself"
    assert not role.may("s3:DeleteObject", f"{data.bucket}/images/42.jpg")
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"):
        assert role.may(action, data.queue), action
        # The dead-letter queue is the operator's: a failed job waits there for a re-drive.
        assert not role.may(action, data.dead_letters), action
    assert not role.may("sqs:SendMessage", data.queue)
    assert not role.may("sqs:PurgeQueue", data.queue)


WORKER_UPDATE = {"dynamodb:Attributes": ["id", "image_key", "variants"]}


@pytest.mark.parametrize("context, allowed", [
    (WORKER_UPDATE, True),
    ({**WORKER_UPDATE, "dynamodb:ReturnValues": "NONE"}, True),
    ({**WORKER_UPDATE, "dynamodb:ReturnValues": "UPDATED_NEW"}, True),
    ({"dynamodb:Attributes": ["id", "variants"]}, True),
    ({"dynamodb:Attributes": ["id", "image_key", "variants", "price"]}, False),
    ({"dynamodb:Attributes": ["id", "name"]}, False),
    # The whole item back would hand the worker what it may not otherwise read.
    ({**WORKER_UPDATE, "dynamodb:ReturnValues": "ALL_OLD"}, False),
    ({**WORKER_UPDATE, "dynamodb:ReturnValues": "ALL_NEW"}, False),
], ids=["its-attributes", "returns-nothing", "returns-the-variants", "fewer-attributes", "plus-price",
        "another-attribute", "returns-the-old-item", "returns-the-new-item"])
def test_worker_records_variants_on_an_item_and_touches_nothing_else_of_it(stack: Capture, context: dict,
                                                                           allowed: bool):
    role, data = TaskRole(stack, "worker"), data_of(stack.stack)
    assert role.may("dynamodb:UpdateItem", data.table, **context) is allowed
    for action in ("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Scan"):
        assert not role.may(action, data.table, **context), action


def test_the_worker_may_name_the_attributes_its_update_names(stack: Capture):
    # app/worker/worker.py: SET #variants, on condition #image_key, by the key id.
    statement = next(s for s in in_stack(stack.stack, "worker").statements_of(
        in_stack(stack.stack, "worker").task_role) if s.get("Sid") == "RecordVariants")
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:Attributes": ["id", "image_key", "variants"]},
        "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_NEW"]}}


def test_the_grant_check_sees_a_write_the_public_api_must_not_have(stack: Capture):
    # The same judgement over the admin's documents finds the writes the public API's role must not hold.
    role, data = TaskRole(stack, "api"), data_of(stack.stack)
    role.documents = TaskRole(stack, "admin").documents
    assert role.may("dynamodb:PutItem", data.table)
    assert role.may("s3:DeleteObject", f"{data.bucket}/variants/x.webp")
