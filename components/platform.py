"""FargatePlatform: what every Fargate service of the stack shares — the cluster, the image and its repository, the
internal load balancer and its listener, and the role ECS moves traffic with during a release.

Request path: CloudFront (VPC origin) → internal ALB in the ingress subnets → the listener's rules, one or two per
service (FargateService, components/service.py) → the service's tasks in the container subnets. The listener answers
a path no rule claims with a JSON 404 of the APIs' error shape. It speaks HTTPS with a regional certificate when the
stack has a domain, and plain HTTP inside the VPC otherwise (README, "What is logged, and where": the documented
exception).

Security groups form one chain, readable from the rules alone, with no CIDR ingress anywhere: the CloudFront
origin-facing managed prefix list → the ALB's group (the listener port) → each service's task group (its port).

Image: `imageTag` set → `<repositoryUrl>:<imageTag>`, the immutable tag the app pipeline pushed. Unset → the
program builds app/Dockerfile for the tasks' architecture and pushes it under `build-<hash>`, the hash of the files
Docker receives (app/.dockerignore applies): a tag that changes exactly when the image's input does, which
immutable tags require (pushing a changed image under an existing tag fails). Every service pins the pushed digest.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

# Aliases to the landed FargateApi's children, until every stack has run one `up` with them (components/migration.py).
from components.migration import from_fargate_api
from components.policy_documents import allow, document, service_trust
from stack_config.platform import PlatformConfig

CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
HTTP_PORT, HTTPS_PORT = 80, 443
# TLS 1.3 and 1.2 only, forward-secret ciphers: ELB's recommended policy for front ends that speak TLS 1.3.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
UNTAGGED_IMAGE_DAYS = 3
# ALB and target group names may be 32 characters; Pulumi appends "-" and 7 random characters.
MAX_LB_LOGICAL_NAME = 24
# A `pulumi up` without imageTag builds this directory (the Dockerfile's build context).
APP_DIR = Path(__file__).resolve().parent.parent / "app"
BUILD_IGNORED = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules", ".DS_Store"}
PLATFORM = {"ARM64": "linux/arm64", "X86_64": "linux/amd64"}
CONTAINER_INSIGHTS = {"off": "disabled", "on": "enabled", "enhanced": "enhanced"}
# What ECS does with a blue/green release's listener rules and target groups: the statements of its managed policy
# AmazonECSInfrastructureRolePolicyForLoadBalancers (application load balancers only), held to this stack's.
RELEASE_READ_ACTIONS = ("elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
                        "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth")
RELEASE_TARGET_ACTIONS = ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")
RELEASE_ROUTING_ACTIONS = ("elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule")
ECS_SERVICE = "ecs.amazonaws.com"
NOT_FOUND_BODY = '{"error": {"code": "not_found", "message": "no route for this path"}}'


def _dockerignore_rules(context: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """`.dockerignore` as (re-include?, pattern) pairs; like Docker, a later rule overrides an earlier one."""
    path = context / ".dockerignore"
    rules = []
    for line in (path.read_text().splitlines() if path.exists() else []):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        regex = ""
        for token in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token))
        rules.append((include, re.compile(regex + r"\Z")))
    return rules


def _sent_to_docker(relative: Path, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    # A rule applies to a file when it matches the file or one of its parent directories.
    candidates = ["/".join(relative.parts[:depth]) for depth in range(1, len(relative.parts) + 1)]
    sent = True
    for include, pattern in rules:
        if any(pattern.match(candidate) for candidate in candidates):
            sent = include
    return sent


def build_context_tag(context: Path = APP_DIR) -> str:
    """`build-<16 hex>`: a digest of the files Docker receives as the build context (path and content), so the
    tag changes when the image's input does and not when, say, the frontend does."""
    rules = _dockerignore_rules(context)
    digest = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        relative = path.relative_to(context)
        cache = BUILD_IGNORED.intersection(relative.parts) or path.suffix == ".pyc"
        if cache or not _sent_to_docker(relative, rules):
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"build-{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class FargatePlatformArgs:
    config: PlatformConfig
    region: str
    vpc_id: pulumi.Input[str]
    ingress_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    alarm_topic_arn: pulumi.Input[str]
    access_logs: aws.lb.LoadBalancerAccessLogsArgsDict | None = None
    """Where the load balancer writes its access logs (the stack's LogArchive), if anywhere."""
    access_logs_ready: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the load balancer waits for: it checks it may write to the bucket when logging is switched on."""
    certificate_arn: pulumi.Input[str] | None = None
    """A regional certificate for the name CloudFront's VPC origin validates: the listener speaks HTTPS with it."""
    permissions_boundary_arn: pulumi.Input[str] | None = None
    """The stack's RoleBoundary (components/boundary.py), set on the release role."""


class FargatePlatform(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    capacity: aws.ecs.ClusterCapacityProviders
    repository_url: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    image: pulumi.Output[str]
    """The image reference every service runs: `<repository>@sha256:…` when built here, `<repository>:<tag>`."""
    image_tag: pulumi.Output[str]
    cpu_architecture: str
    container_insights: bool
    vpc_id: pulumi.Input[str]
    alb_arn: pulumi.Output[str]
    alb_arn_suffix: pulumi.Output[str]
    alb_dns_name: pulumi.Output[str]
    alb_zone_id: pulumi.Output[str]
    alb_security_group_id: pulumi.Output[str]
    listener: aws.lb.Listener
    listener_arn: pulumi.Output[str]
    listener_port: int
    listener_protocol: str
    release_role_arn: pulumi.Output[str]
    """The role ECS assumes to move a blue/green release's traffic
    (AmazonECSInfrastructureRolePolicyForLoadBalancers)."""
    release_probe_token: pulumi.Output[str]
    """The value of the release-probe header (components/service.py) the stack's test listener rules admit: it
    reaches a release's new revision before the release is done, through CloudFront too, so it must not be public.
    Derived from the load balancer's ARN, which only this account sees and which carries AWS's random id: stable for
    the load balancer's life, different from stack to stack. Not a Pulumi secret: the state holds that ARN in
    clear, so whoever reads the state could derive the token anyway."""
    alarm_topic_arn: pulumi.Input[str]
    log_retention_days: int
    exec_enabled: bool
    region: str

    def __init__(self, name: str, args: FargatePlatformArgs, opts: pulumi.ResourceOptions | None = None):
        if len(f"{name}-alb") > MAX_LB_LOGICAL_NAME:
            raise ValueError(f"FargatePlatform name {name!r} is too long: the load balancer and target group "
                             f"names derived from it must stay within {MAX_LB_LOGICAL_NAME} characters before "
                             "Pulumi's suffix; shorten the project or stack name")
        super().__init__("webstack:platform:FargatePlatform", name, None, opts)
        config = args.config
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        child = self._child

        repository = self._repository(config)
        self.image, self.image_tag = self._image(config, repository)
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[{"name": "containerInsights", "value": CONTAINER_INSIGHTS[config.container_insights]}],
            tags={"Name": f"{name}-cluster"}, opts=from_fargate_api(child, aws.ecs.Cluster, "cluster"))
        self.capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity", cluster_name=cluster.name, capacity_providers=["FARGATE", "FARGATE_SPOT"],
            opts=from_fargate_api(child, aws.ecs.ClusterCapacityProviders, "capacity"))

        https = args.certificate_arn is not None
        self.listener_port = HTTPS_PORT if https else HTTP_PORT
        self.listener_protocol = "HTTPS" if https else "HTTP"
        alb_sg, alb, listener = self._load_balancer(config, args)
        self.release_role_arn = self._release_role(args)

        aws.cloudwatch.MetricAlarm(
            f"{name}-alb-5xx",
            alarm_description=(
                "The load balancer itself answered 5xx (no healthy target, a target that closed the connection or "
                "timed out): 5 or more a minute in 3 of 5 minutes. Look first at the target groups' healthy host "
                "counts on the dashboard, then at the services' events in the ECS console."),
            namespace="AWS/ApplicationELB", metric_name="HTTPCode_ELB_5XX_Count",
            dimensions={"LoadBalancer": alb.arn_suffix}, statistic="Sum", period=60, evaluation_periods=5,
            datapoints_to_alarm=3, threshold=5, comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching", alarm_actions=[args.alarm_topic_arn],
            ok_actions=[args.alarm_topic_arn], opts=from_fargate_api(child, aws.cloudwatch.MetricAlarm, "alb-5xx"))

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.repository_url = repository.repository_url
        self.repository_name = repository.name
        self.repository_arn = repository.arn
        self.cpu_architecture = config.cpu_architecture
        self.container_insights = config.container_insights != "off"
        self.vpc_id = args.vpc_id
        self.alb_arn = alb.arn
        self.release_probe_token = alb.arn.apply(lambda value: hashlib.sha256(value.encode()).hexdigest()[:32])
        self.alb_arn_suffix = alb.arn_suffix
        self.alb_dns_name = alb.dns_name
        self.alb_zone_id = alb.zone_id
        self.alb_security_group_id = alb_sg.id
        self.listener = listener
        self.listener_arn = listener.arn
        self.alarm_topic_arn = args.alarm_topic_arn
        self.log_retention_days = config.log_retention_days
        self.exec_enabled = config.exec_enabled
        self.region = args.region
        self.register_outputs({
            "clusterName": self.cluster_name, "clusterArn": self.cluster_arn,
            "repositoryUrl": self.repository_url, "repositoryName": self.repository_name, "image": self.image,
            "imageTag": self.image_tag, "albArn": self.alb_arn, "albDnsName": self.alb_dns_name,
            "albSecurityGroupId": self.alb_security_group_id, "listenerArn": self.listener_arn,
            "listenerPort": self.listener_port, "releaseRoleArn": self.release_role_arn,
        })

    # --- image -----------------------------------------------------------------------------------------------

    def _repository(self, config: PlatformConfig) -> aws.ecr.Repository:
        name, child = self._name, self._child
        repository = aws.ecr.Repository(
            f"{name}-repo", image_tag_mutability="IMMUTABLE", image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "AES256"}], force_delete=config.force_destroy,
            tags={"Name": f"{name}-repo"}, opts=from_fargate_api(child, aws.ecr.Repository, "repo"))
        aws.ecr.LifecyclePolicy(f"{name}-repo-lifecycle", repository=repository.name, policy=pulumi.Output.json_dumps(
            {"rules": [
                {"rulePriority": 1, "description": f"Expire untagged images after {UNTAGGED_IMAGE_DAYS} days",
                 "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                               "countNumber": UNTAGGED_IMAGE_DAYS},
                 "action": {"type": "expire"}},
                {"rulePriority": 2, "description": f"Keep the {config.keep_images} most recent tagged images",
                 "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan",
                               "countNumber": config.keep_images},
                 "action": {"type": "expire"}},
            ]}), opts=from_fargate_api(child, aws.ecr.LifecyclePolicy, "repo-lifecycle"))
        return repository

    def _image(self, config: PlatformConfig,
               repository: aws.ecr.Repository) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """The image reference for the task definitions, and its tag."""
        if config.image_tag:
            return (pulumi.Output.concat(repository.repository_url, ":", config.image_tag),
                    pulumi.Output.from_input(config.image_tag))
        tag = build_context_tag()
        built = awsx.ecr.Image(
            f"{self._name}-image", repository_url=repository.repository_url, context="app",
            dockerfile="app/Dockerfile", platform=PLATFORM[config.cpu_architecture], image_tag=tag,
            opts=from_fargate_api(self._child, awsx.ecr.Image, "image"))
        # `<repositoryUrl>@sha256:…`: the tasks run exactly the pushed image.
        return built.image_uri, pulumi.Output.from_input(tag)

    # --- network path ----------------------------------------------------------------------------------------

    def _load_balancer(self, config: PlatformConfig,
                       args: FargatePlatformArgs) -> tuple[aws.ec2.SecurityGroup, aws.lb.LoadBalancer, aws.lb.Listener]:
        name, child = self._name, self._child
        port, protocol = self.listener_port, self.listener_protocol
        cloudfront = aws.ec2.get_managed_prefix_list_output(name=CLOUDFRONT_ORIGIN_FACING,
                                                            opts=pulumi.InvokeOutputOptions(parent=self))
        alb_sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg", vpc_id=args.vpc_id,
            # EC2 takes a-z A-Z 0-9 space ._-:/()#,@[]+=&;{}!$* here: no apostrophe.
            description=f"Internal ALB: {protocol} from CloudFront origin-facing servers only",
            tags={"Name": f"{name}-alb"}, opts=from_fargate_api(child, aws.ec2.SecurityGroup, "alb-sg"))
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-alb-in-cloudfront", security_group_id=alb_sg.id, ip_protocol="tcp", from_port=port,
            to_port=port, prefix_list_id=cloudfront.id,
            description=f"{protocol} from CloudFront origin-facing servers (VPC origin)",
            opts=from_fargate_api(child, aws.vpc.SecurityGroupIngressRule, "alb-in-cloudfront"))
        alb = aws.lb.LoadBalancer(
            f"{name}-alb", load_balancer_type="application", internal=True, subnets=args.ingress_subnet_ids,
            security_groups=[alb_sg.id], drop_invalid_header_fields=True,
            # Every request arrives through CloudFront, which sends well-formed HTTP; "strictest" therefore
            # costs no legitimate client and closes request smuggling through ambiguous requests too.
            desync_mitigation_mode="strictest", enable_deletion_protection=config.deletion_protection,
            idle_timeout=config.idle_timeout_seconds, access_logs=args.access_logs, tags={"Name": f"{name}-alb"},
            opts=from_fargate_api(pulumi.ResourceOptions(parent=self, depends_on=list(args.access_logs_ready)),
                                  aws.lb.LoadBalancer, "alb"))
        listener = aws.lb.Listener(
            f"{name}-{protocol.lower()}", load_balancer_arn=alb.arn, port=port, protocol=protocol,
            ssl_policy=TLS_POLICY if protocol == "HTTPS" else None,
            certificate_arn=args.certificate_arn,
            default_actions=[{"type": "fixed-response", "fixed_response": {
                "status_code": "404", "content_type": "application/json", "message_body": NOT_FOUND_BODY}}],
            # The landed HTTP listener, with or without a domain: port, protocol and certificate change in place.
            opts=from_fargate_api(child, aws.lb.Listener, "http"))
        return alb_sg, alb, listener

    def _release_role(self, args: FargatePlatformArgs) -> pulumi.Output[str]:
        name, child = self._name, self._child
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        def elb(resource: str) -> pulumi.Output[str]:
            return pulumi.Output.concat(f"arn:aws:elasticloadbalancing:{args.region}:", account, f":{resource}")

        role = aws.iam.Role(
            f"{name}-release", description="ECS: move blue/green release traffic between the target groups",
            assume_role_policy=pulumi.Output.json_dumps(service_trust(ECS_SERVICE, account)),
            permissions_boundary=args.permissions_boundary_arn, opts=child)
        aws.iam.RolePolicy(f"{name}-release-policy", role=role.id, policy=pulumi.Output.json_dumps(document(
            # Describe calls take no resource but "*".
            allow("ReadTheRouting", RELEASE_READ_ACTIONS, "*"),
            allow("MoveTargets", RELEASE_TARGET_ACTIONS, elb(f"targetgroup/{name}-*/*")),
            allow("MoveTraffic", RELEASE_ROUTING_ACTIONS, [elb(f"listener/app/{name}-*/*/*"),
                                                          elb(f"listener-rule/app/{name}-*/*/*/*")]),
        )), opts=child)
        return role.arn
