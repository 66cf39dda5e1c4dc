"""RoleBoundary: the permissions boundary every role of the stack carries (except the CI roles).

A boundary caps what a role can do whatever its own policies say: a request succeeds only when both the role's
policies and its boundary allow it. This one allows the union of what the stack's roles need, scoped as their own
policies are, but by name prefix (`webstack-<stack>-…`): the boundary exists before the network, table, bucket,
repository and log groups it names, because the roles inside those components carry it.

- execution roles: pull from the stack's ECR repository, the registry token, write the services' log groups;
- task roles (components/access.py): read the stack's table, and write its items; read, write and delete
  `images/` and `variants/` of the stack's buckets; take jobs from the stack's queues; the ECS Exec channels;
- the release role: move a blue/green release's traffic among the stack's listener rules and target groups;
- the release probe (components/release_probe.py): its execution role writes its log group
  (`/aws/lambda/<prefix>-…`) and lets Lambda attach it to the VPC — create interfaces in the stack's subnets with
  the stack's groups (EC2 ARNs carry ids, not names, so "the stack's" is their `Name` tag, `<prefix>-…`), and
  delete, describe and re-address interfaces, whose ARNs name nothing of the stack; its hook role invokes the
  stack's functions;
- the chat channel's role: read CloudWatch for alarm graphs;
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
from typing import Any

import pulumi
import pulumi_aws as aws

from components.access import (
    IMAGE_PREFIX,
    QUEUE_CONSUME_ACTIONS,
    TABLE_READ_ACTIONS,
    TABLE_WRITE_ACTIONS,
    VARIANT_PREFIX,
)
from components.alerts import CHANNEL_READS
from components.iam import ECS_EXEC_ACTIONS, IMAGE_PULL_ACTIONS, LOG_WRITE_ACTIONS
from components.network import FLOW_LOG_DELIVERY_ACTIONS
from components.platform import RELEASE_READ_ACTIONS, RELEASE_ROUTING_ACTIONS, RELEASE_TARGET_ACTIONS
from components.policy_documents import allow, document
from components.release_probe import ENI_CREATE_ACTIONS, ENI_DESCRIBE_ACTIONS, ENI_MANAGE_ACTIONS, INVOKE_ACTIONS

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
        # Task roles (components/access.py): the public API reads, the admin API writes items and originals, the
        # worker writes variants and takes jobs.
        allow("ReadTheStacksTable", TABLE_READ_ACTIONS, arn("dynamodb", f"table/{prefix}-*")),
        allow("WriteTheStacksItems", TABLE_WRITE_ACTIONS, arn("dynamodb", f"table/{prefix}-*")),
        allow("ReadPictures", ("s3:GetObject",), [f"{buckets}/{IMAGE_PREFIX}*", f"{buckets}/{VARIANT_PREFIX}*"]),
        allow("WritePictures", ("s3:PutObject", "s3:DeleteObject"),
              [f"{buckets}/{IMAGE_PREFIX}*", f"{buckets}/{VARIANT_PREFIX}*"]),
        allow("TakeTheStacksJobs", QUEUE_CONSUME_ACTIONS, arn("sqs", f"{prefix}-*")),
        # Task role with ECS Exec, and the NAT instance's Session Manager: the channels have no resource type.
        allow("SessionChannels", ECS_EXEC_ACTIONS, "*"),
        # NAT instance: the SSM agent's heartbeat has no resource type either; only instance credentials of this
        # account carry the source-instance key, so a role assumed any other way cannot use it.
        allow("SessionManagerAgent", SESSION_MANAGER_INSTANCE_ACTIONS, "*",
              ArnLike={"ec2:SourceInstanceARN": arn("ec2", "instance/*")}),
        # Flow logs' role: the log group and its streams.
        allow("DeliverFlowLogs", FLOW_LOG_DELIVERY_ACTIONS, arn("logs", f"log-group:{prefix}-*")),
        # The release role: ECS moves a blue/green release's traffic on the stack's load balancer.
        allow("ReadTheRouting", RELEASE_READ_ACTIONS, "*"),
        allow("MoveTheStacksTargets", RELEASE_TARGET_ACTIONS, arn("elasticloadbalancing", f"targetgroup/{prefix}-*/*")),
        allow("MoveTheStacksTraffic", RELEASE_ROUTING_ACTIONS,
              [arn("elasticloadbalancing", f"listener/app/{prefix}-*/*/*"),
               arn("elasticloadbalancing", f"listener-rule/app/{prefix}-*/*/*/*")]),
        # The chat channel's role: alarm graphs.
        allow("ReadAlarmGraphs", CHANNEL_READS, "*"),
        # The release probe's execution role: its log group, and its network interfaces in the stack's subnets.
        allow("WriteTheProbeLogs", LOG_WRITE_ACTIONS, arn("logs", f"log-group:/aws/lambda/{prefix}-*:*")),
        allow("CreateProbeInterfaces", ENI_CREATE_ACTIONS, arn("ec2", "network-interface/*")),
        allow("IntoTheStacksSubnets", ENI_CREATE_ACTIONS, [arn("ec2", "subnet/*"), arn("ec2", "security-group/*")],
              StringLike={"aws:ResourceTag/Name": f"{prefix}-*"}),
        allow("ManageProbeInterfaces", ENI_MANAGE_ACTIONS, arn("ec2", "network-interface/*")),
        allow("DescribeProbeInterfaces", ENI_DESCRIBE_ACTIONS, "*"),
        # The release probe's hook role: ECS invokes the stack's functions.
        allow("InvokeTheStacksProbe", INVOKE_ACTIONS, arn("lambda", f"function:{prefix}-*")),
    )


class RoleBoundary(pulumi.ComponentResource):
    policy: aws.iam.Policy
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: RoleBoundaryArgs, opts: pulumi.ResourceOptions | None = None):
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
