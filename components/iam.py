"""TaskRoles: the two IAM roles of an ECS task, each scoped to the exact resources it serves.

- Execution role (used by the ECS agent to start the task): pull the image from one ECR repository and write to
  one log group. `ecr:GetAuthorizationToken` is the only action on `*`: AWS defines no resource for it.
- Task role (used by the application): the grants its service is given (components/access.py), and with ECS Exec
  on the four `ssmmessages` channel actions the SSM agent in the task needs (they too have no resource type).

Both trust only `ecs-tasks.amazonaws.com`, and only when ECS acts for this account (`aws:SourceAccount`), which
keeps another account's tasks from assuming them (the confused-deputy case). The task role also requires the
assuming task to be an ECS resource of this account and region (`aws:SourceArn`), as the ECS developer guide
recommends for task roles. The execution role keeps the account condition alone: the guide shows no source-ARN
condition for it, and one that the ECS agent's request did not satisfy would stop every task from starting.

Both carry the stack's permissions boundary (components/boundary.py) when given one, as every role of the stack
does: it allows these grants and caps anything added to the roles later.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.policy_documents import allow, document, service_trust

ECS_TASKS = "ecs-tasks.amazonaws.com"
IMAGE_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
ECS_EXEC_ACTIONS = ("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel")


@dataclass(frozen=True)
class TaskRolesArgs:
    repository_arn: pulumi.Input[str]
    log_group_arn: pulumi.Input[str]
    grants: Sequence[dict[str, Any]]
    """The application's permission statements (components/access.py)."""
    purpose: str
    """What the application does, in the task role's description."""
    exec_enabled: bool = False
    """ECS Exec (`aws ecs execute-command`) into running tasks."""
    tags: Mapping[str, str] = field(default_factory=dict)
    permissions_boundary_arn: pulumi.Input[str] | None = None
    """The stack's RoleBoundary (components/boundary.py), set on both roles; the webstack program always passes it."""


def _document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps(document(*statements))


class TaskRoles(pulumi.ComponentResource):
    execution_role: aws.iam.Role
    task_role: aws.iam.Role
    execution_role_arn: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: TaskRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:iam:TaskRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        ecs_in_this_account = pulumi.Output.format("arn:{0}:ecs:{1}:{2}:*", partition, region, account)

        self.execution_role = aws.iam.Role(
            f"{name}-execution", description="ECS agent: pull this service image and write its logs",
            assume_role_policy=self._trust(account), permissions_boundary=args.permissions_boundary_arn,
            tags=dict(args.tags), opts=child)
        aws.iam.RolePolicy(f"{name}-execution-policy", role=self.execution_role.id, policy=_document(
            allow("PullThisRepository", IMAGE_PULL_ACTIONS, args.repository_arn),
            allow("AuthenticateToEcr", ("ecr:GetAuthorizationToken",), "*"),
            allow("WriteThisLogGroup", LOG_WRITE_ACTIONS, pulumi.Output.concat(args.log_group_arn, ":*")),
        ), opts=child)

        self.task_role = aws.iam.Role(
            f"{name}-task", description=f"Application: {args.purpose}",
            assume_role_policy=self._trust(account, ecs_in_this_account),
            permissions_boundary=args.permissions_boundary_arn, tags=dict(args.tags), opts=child)
        statements = list(args.grants)
        if args.exec_enabled:
            statements.append(allow("EcsExecChannels", ECS_EXEC_ACTIONS, "*"))
        aws.iam.RolePolicy(f"{name}-task-policy", role=self.task_role.id, policy=_document(*statements),
                           opts=child)

        self.execution_role_arn = self.execution_role.arn
        self.task_role_arn = self.task_role.arn
        self.register_outputs({"executionRoleArn": self.execution_role_arn, "taskRoleArn": self.task_role_arn})

    @staticmethod
    def _trust(account: pulumi.Output[str], source_arn: pulumi.Output[str] | None = None) -> pulumi.Output[str]:
        tasks_here = {} if source_arn is None else {"ArnLike": {"aws:SourceArn": source_arn}}
        return pulumi.Output.json_dumps(service_trust(ECS_TASKS, account, **tasks_here))
