"""ReleaseProbe: the lifecycle hook that holds a blue/green release until its new revision has answered.

ECS moves production traffic right after the test traffic unless a hook holds it, and the pipeline's runner cannot
reach the internal load balancer. This component runs release/probe.py as a Lambda function in the container
subnets; each blue/green service registers it at POST_TEST_TRAFFIC_SHIFT (FargateService, `release_hook`). It sends
the service's probes through the load balancer with the stack's probe token, which only the test listener rule
admits, and answers SUCCEEDED or FAILED; FAILED rolls the release back.

- Network: its own security group, whose only egress is the listener port to the load balancer's group; the load
  balancer's group admits that port from it. No CIDR anywhere. DNS needs no rule (security groups do not filter
  the VPC resolver), and Lambda delivers the function's logs outside the VPC.
- Execution role (lambda.amazonaws.com, this account): write its own log group, and the network-interface actions
  Lambda takes with it to attach the function to the VPC (the Lambda developer guide, "Execution role and user
  permissions"), each scoped as far as the Service Authorization Reference lets it: CreateNetworkInterface to the
  container subnets, this group and new interfaces; Delete/Assign/UnassignPrivateIpAddresses to interfaces
  (their only resource type), in those subnets whenever EC2 can tell; the two Describe calls have no resource type.
- Hook role (ecs.amazonaws.com, this account): lambda:InvokeFunction on this function only (the ECS developer guide,
  "Permissions required for Lambda functions in Amazon ECS blue/green deployments"). A role of its own rather than
  the platform's release role: that one moves load-balancer traffic for every blue/green service, this one invokes
  one function, and neither duty needs the other's permission; it also exists only in stacks that have a probe.

Both roles carry the stack's permissions boundary, which allows exactly these grants by the stack's name prefix
(components/boundary.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.iam import LOG_WRITE_ACTIONS
from components.platform import ECS_SERVICE, FargatePlatform
from components.policy_documents import allow, document, service_trust
from components.service import ReleaseHook
from release import probe as probe_code

CODE_PATH = Path(__file__).resolve().parent.parent / "release" / "probe.py"
HANDLER = "probe.handler"
RUNTIME = "python3.12"
MEMORY_MB = 128
# A probe is a few requests of at most 5 s each (release/probe.py ATTEMPTS, REQUEST_TIMEOUT_SECONDS); the function
# answers FAILED itself RESERVE_SECONDS before this limit rather than being cut off.
TIMEOUT_SECONDS = 60
LAMBDA_SERVICE = "lambda.amazonaws.com"
INVOKE_ACTIONS = ("lambda:InvokeFunction",)
# What Lambda does with the execution role to attach a function to a VPC (the Lambda developer guide, "Execution
# role and user permissions"; AWSLambdaVPCAccessExecutionRole v3), by what the Service Authorization Reference lets
# each take as resource:
ENI_CREATE_ACTIONS = ("ec2:CreateNetworkInterface",)
"""network-interface* (new), subnet*, security-group."""
ENI_MANAGE_ACTIONS = ("ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                      "ec2:UnassignPrivateIpAddresses")
"""network-interface* only, with ec2:Subnet and ec2:Vpc among its condition keys."""
ENI_DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
"""No resource type: `*` is the only resource they take."""


Probe = probe_code.Probe
"""One request of the probe and what its answer must be: path, status, and the JSON shape of the body (`list`,
`object`, `error` for the APIs' error shape, or None to check the status only); release/probe.py judges it."""


@dataclass(frozen=True)
class ReleaseProbeArgs:
    platform: FargatePlatform
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The container subnets: the function reaches the internal load balancer from where the tasks run."""
    probes: Mapping[str, Sequence[Probe]]
    """Service-name prefix (components.service.ecs_service_prefix) → its probes."""
    token: pulumi.Input[str]
    """The stack's probe token (FargatePlatform.release_probe_token), the value the test listener rules admit."""
    server_name: str | None = None
    """With an HTTPS listener: the name its certificate carries (`origin.<domain>`)."""
    permissions_boundary_arn: pulumi.Input[str] | None = None


def probes_document(probes: Mapping[str, Sequence[Probe]]) -> str:
    """`PROBES` as the function reads it; checked here with the function's own parser, so a probe it would refuse
    stops the preview instead of failing the first release."""
    text = json.dumps({prefix: [{"path": p.path, "status": p.status, **({"json": p.json} if p.json else {})}
                                for p in entries] for prefix, entries in sorted(probes.items())},
                      separators=(",", ":"))
    probe_code.parse_probes(text)
    return text


class ReleaseProbe(pulumi.ComponentResource):
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    """Resolves once the function is Active and its invoke role holds its policy: ready to be a hook target."""
    hook_role_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    hook: ReleaseHook
    """What a FargateService registers at POST_TEST_TRAFFIC_SHIFT."""

    def __init__(self, name: str, args: ReleaseProbeArgs, opts: pulumi.ResourceOptions | None = None):
        platform = args.platform
        if platform.listener_protocol == "HTTPS" and not args.server_name:
            raise ValueError(f"ReleaseProbe {name!r}: the listener speaks HTTPS, so the probe needs server_name, the "
                             "name its certificate carries (origin.<domain>)")
        probes = probes_document(args.probes)
        super().__init__("webstack:release:ReleaseProbe", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = platform.region

        def arn(service: str, resource: pulumi.Input[str]) -> pulumi.Output[str]:
            return pulumi.Output.concat("arn:", partition, f":{service}:{region}:", account, ":", resource)

        # The function's name is fixed (not auto-named) so its log group exists, with the platform's retention,
        # before Lambda would create one that keeps logs forever.
        function_name = name
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/lambda/{function_name}", retention_in_days=platform.log_retention_days,
            opts=child)

        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=platform.vpc_id,
            description=f"Release probe: {platform.listener_protocol} to the ALB only, no ingress",
            tags={"Name": name}, opts=child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-out-alb", security_group_id=security_group.id, ip_protocol="tcp",
            from_port=platform.listener_port, to_port=platform.listener_port,
            referenced_security_group_id=platform.alb_security_group_id,
            description=f"Probe requests to the ALB listener ({platform.listener_protocol})", opts=child)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-alb-in", security_group_id=platform.alb_security_group_id, ip_protocol="tcp",
            from_port=platform.listener_port, to_port=platform.listener_port,
            referenced_security_group_id=security_group.id,
            description="Release probe requests (the test listener rules)", opts=child)

        execution_role = aws.iam.Role(
            f"{name}-execution", description="Lambda: run the release probe in the VPC and write its logs",
            assume_role_policy=pulumi.Output.json_dumps(service_trust(LAMBDA_SERVICE, account)),
            permissions_boundary=args.permissions_boundary_arn, tags={"Name": f"{name}-execution"}, opts=child)
        subnets = pulumi.Output.all(partition, account, pulumi.Output.from_input(args.subnet_ids)).apply(
            lambda values: [f"arn:{values[0]}:ec2:{region}:{values[1]}:subnet/{subnet}" for subnet in values[2]])
        interfaces = arn("ec2", "network-interface/*")
        execution_policy = aws.iam.RolePolicy(f"{name}-execution-policy", role=execution_role.id,
                                              policy=pulumi.Output.json_dumps(document(
            allow("WriteItsLogs", LOG_WRITE_ACTIONS, pulumi.Output.concat(log_group.arn, ":*")),
            allow("AttachToTheContainerSubnets", ENI_CREATE_ACTIONS, pulumi.Output.all(
                interfaces, arn("ec2", pulumi.Output.concat("security-group/", security_group.id)), subnets,
            ).apply(lambda values: [values[0], values[1], *values[2]])),
            # IfExists: EC2 knows an interface's subnet once it exists; the guide warns that Lambda cannot attach
            # the function when DeleteNetworkInterface is refused, so a request without the key is not refused.
            allow("ManageItsInterfaces", ENI_MANAGE_ACTIONS, interfaces,
                  ArnEqualsIfExists={"ec2:Subnet": subnets}),
            allow("DescribeInterfaces", ENI_DESCRIBE_ACTIONS, "*"),
        )), opts=child)

        function = aws.lambda_.Function(
            f"{name}-function", name=function_name,
            description="ECS lifecycle hook: probe a release through the test listener rule before it takes traffic",
            runtime=RUNTIME, architectures=["arm64"], handler=HANDLER, memory_size=MEMORY_MB,
            timeout=TIMEOUT_SECONDS, role=execution_role.arn,
            # The repository's file as the archive's only member; Pulumi hashes the archive, so a change to the
            # file deploys new code.
            code=pulumi.AssetArchive({"probe.py": pulumi.FileAsset(str(CODE_PATH))}),
            vpc_config={"subnet_ids": args.subnet_ids, "security_group_ids": [security_group.id]},
            logging_config={"log_format": "Text", "log_group": log_group.name},
            environment={"variables": {
                probe_code.ENV_PROBES: probes,
                probe_code.ENV_HOST: platform.alb_dns_name,
                probe_code.ENV_PORT: str(platform.listener_port),
                probe_code.ENV_PROTOCOL: platform.listener_protocol,
                **({probe_code.ENV_SERVER_NAME: args.server_name} if args.server_name else {}),
                probe_code.ENV_TOKEN: args.token,
            }},
            tags={"Name": function_name},
            # Lambda checks at creation that the role may create the interfaces, and writes to the log group.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[execution_policy, log_group]))

        hook_role = aws.iam.Role(
            f"{name}-hook", description="ECS: invoke the release probe as a deployment lifecycle hook",
            assume_role_policy=pulumi.Output.json_dumps(service_trust(ECS_SERVICE, account)),
            permissions_boundary=args.permissions_boundary_arn, tags={"Name": f"{name}-hook"}, opts=child)
        hook_policy = aws.iam.RolePolicy(f"{name}-hook-policy", role=hook_role.id, policy=pulumi.Output.json_dumps(
            document(allow("InvokeTheProbe", INVOKE_ACTIONS, function.arn))), opts=child)

        self.function_name = function.name
        # A service registers the hook only once ECS could use it: the function exists and the role may invoke it.
        self.function_arn = pulumi.Output.all(function.arn, hook_policy.id).apply(lambda values: values[0])
        self.hook_role_arn = pulumi.Output.all(hook_role.arn, hook_policy.id).apply(lambda values: values[0])
        self.execution_role_arn = execution_role.arn
        self.security_group_id = security_group.id
        self.log_group_name = log_group.name
        self.hook = ReleaseHook(function_arn=self.function_arn, role_arn=self.hook_role_arn)
        self.register_outputs({
            "functionName": self.function_name, "functionArn": self.function_arn, "hookRoleArn": self.hook_role_arn,
            "executionRoleArn": self.execution_role_arn, "securityGroupId": self.security_group_id,
            "logGroupName": self.log_group_name,
        })
