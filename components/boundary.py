"""RoleBoundary: the permissions boundary every role of the stack carries (except the CI roles).

A boundary caps what a role can do whatever its own policies say: a request succeeds only when both the role's
policies and its boundary allow it. This one allows the union of what the stack's roles need, scoped as their own
policies are, but by name prefix (`webstack-<stack>-…`): the boundary exists before the network, table, bucket,
repository and log groups it names, because the roles inside those components carry it.

- execution role: pull from the stack's ECR repository, the registry token, write the service's log group;
- task role: read the stack's table, read and list `images/` of the stack's buckets, the ECS Exec channels;
- flow logs' role: deliver to the stack's log groups;
- NAT instance's role: Session Manager — the `ssmmessages` channels and the agent's heartbeat
  `ssm:UpdateInstanceInformation`, the minimal instance permissions AWS lists for Session Manager, the heartbeat
  only from instances of this account. The role attaches AmazonSSMManagedInstanceCore; its Run Command, State
  Manager, patching and inventory actions (`ec2messages:*`, `ssm:GetParameter` on every parameter of the
  account, …) stay outside, as the role is for Session Manager only.

No `iam:*`, no `sts:*`: a stack role never manages IAM nor assumes another role.

The boundary is the deploy role's limit on the roles it creates (components/ci.py): it may create, change and
attach policies to roles only with this boundary set, and cannot change the boundary. Like the CI access, the
boundary is protected and is changed by an administrator's `pulumi up`. It depends on no stack setting, so turning
ECS Exec, flow logs or the NAT kind on or off deploys through the pipeline without touching it.
"""

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from components.iam import ECS_EXEC_ACTIONS, IMAGE_PREFIX, IMAGE_PULL_ACTIONS, LOG_WRITE_ACTIONS, TABLE_READ_ACTIONS
from components.network import FLOW_LOG_DELIVERY_ACTIONS
from components.policy_documents import allow, document

SESSION_MANAGER_INSTANCE_ACTIONS = ("ssm:UpdateInstanceInformation",)


@dataclass(frozen=True)
class RoleBoundaryArgs:
    prefix: str
    """Name stem of every resource of the stack (`webstack-dev`): the boundary reaches only names under it."""
    region: str


def boundary_document(prefix: str, region: str, account: str, partition: str) -> dict[str, Any]:
    def arn(service: str, resource: str) -> str:
        return f"arn:{partition}:{service}:{region}:{account}:{resource}"

    buckets = f"arn:{partition}:s3:::{prefix}-*"
    return document(
        # Execution role
        allow("PullTheStacksImages", IMAGE_PULL_ACTIONS, arn("ecr", f"repository/{prefix}-*")),
        allow("AuthenticateToEcr", ("ecr:GetAuthorizationToken",), "*"),
        allow("WriteTheServiceLogs", LOG_WRITE_ACTIONS, arn("logs", f"log-group:/ecs/{prefix}-*:*")),
        # Task role
        allow("ReadTheStacksTable", TABLE_READ_ACTIONS, arn("dynamodb", f"table/{prefix}-*")),
        allow("ReadImages", ("s3:GetObject",), f"{buckets}/{IMAGE_PREFIX}*"),
        allow("ListImages", ("s3:ListBucket",), buckets, StringLike={"s3:prefix": f"{IMAGE_PREFIX}*"}),
        # Task role with ECS Exec, and the NAT instance's Session Manager: the channels have no resource type.
        allow("SessionChannels", ECS_EXEC_ACTIONS, "*"),
        # NAT instance: the SSM agent's heartbeat has no resource type either; only instance credentials of this
        # account carry the source-instance key, so a role assumed any other way cannot use it.
        allow("SessionManagerAgent", SESSION_MANAGER_INSTANCE_ACTIONS, "*",
              ArnLike={"ec2:SourceInstanceARN": arn("ec2", "instance/*")}),
        # Flow logs' role: the log group and its streams.
        allow("DeliverFlowLogs", FLOW_LOG_DELIVERY_ACTIONS, arn("logs", f"log-group:{prefix}-*")),
    )


class RoleBoundary(pulumi.ComponentResource):
    policy: aws.iam.Policy
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: RoleBoundaryArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("webstack:iam:RoleBoundary", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        # A fixed name: the deploy role's policies name this ARN. Protected, as the deploy role may not delete it:
        # `pulumi destroy --exclude-protected` (destroy-dev) leaves it with the CI access.
        self.policy = aws.iam.Policy(
            f"{name}-boundary", name=f"{args.prefix}-boundary",
            description=f"Permissions boundary of every role of {args.prefix} but the CI roles",
            policy=pulumi.Output.json_dumps(pulumi.Output.all(account, partition).apply(
                lambda values: boundary_document(args.prefix, args.region, values[0], values[1]))),
            opts=pulumi.ResourceOptions(parent=self, protect=True))
        self.arn = self.policy.arn
        self.register_outputs({"arn": self.arn})
