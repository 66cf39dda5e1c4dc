"""FargateApi: the API container on ECS Fargate, reachable only through an internal ALB that only CloudFront reaches.

Request path: CloudFront (VPC origin) → internal ALB in the ingress subnets (HTTP 80; TLS ends at CloudFront and
the VPC origin reaches the ALB privately) → tasks in the container subnets (port 8080, no public IP).

Security groups form one chain, readable from the rules alone, with no CIDR ingress anywhere:
CloudFront origin-facing managed prefix list → ALB SG (80) → ECS SG (8080). The ALB may send only to the ECS SG.
Tasks may send HTTPS to the S3 and DynamoDB gateway-endpoint prefix lists, and HTTPS to anywhere: image pulls
(ECR API and registry), log delivery and role credentials go to regional AWS endpoints, reached through the NAT
or, where the network has them, interface endpoints whose addresses are not known here. No other port leaves.
The tasks also carry the network's workload group, which is what the NAT and the interface endpoints admit.

Image: `imageTag` set → `<repositoryUrl>:<imageTag>`, the immutable tag the app pipeline pushed. Unset → the
program builds app/Dockerfile for the task's architecture and pushes it under `build-<hash>`, the hash of the files
Docker receives (app/.dockerignore applies): a tag that changes exactly when the image's input does, which
immutable tags require (pushing a changed image under an existing tag fails). The task pins the pushed digest.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components.buckets import PrivateBucket
from components.iam import TaskRoles, TaskRolesArgs
from components.policy_documents import document
from stack_config.api import ApiConfig

CONTAINER_NAME = "api"
CONTAINER_PORT = 8080
LISTENER_PORT = 80
HEALTH_PATH = "/healthz"
# Non-root, and not in the root group: the image's app user and group. The task definition enforces them even if
# an image forgot its USER line.
CONTAINER_USER = "10001:10001"
# The image is python-slim without curl; urlopen raises on anything but 2xx, so the exit code is the verdict.
HEALTH_COMMAND = ["CMD", "python", "-c",
                  "import urllib.request; "
                  f"urllib.request.urlopen('http://127.0.0.1:{CONTAINER_PORT}{HEALTH_PATH}', timeout=2)"]
UNTAGGED_IMAGE_DAYS = 3
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
# ALB and target group names may be 32 characters; Pulumi appends "-" and 7 random characters.
MAX_LB_LOGICAL_NAME = 24
# ALB access logs are written by the regional ELB account in regions older than August 2022 (such as
# ap-northeast-1) and by this service principal in newer ones; the bucket grants both, to this account's prefix.
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
# A `pulumi up` without imageTag builds this directory (the Dockerfile's build context).
APP_DIR = Path(__file__).resolve().parent.parent / "app"
BUILD_IGNORED = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules", ".DS_Store"}
PLATFORM = {"ARM64": "linux/arm64", "X86_64": "linux/amd64"}
# ECS Exec's agent writes to these paths; with a read-only root they are writable task-storage mounts instead.
EXEC_AGENT_PATHS = {"exec-managed-agents": "/managed-agents", "exec-ssm-state": "/var/lib/amazon/ssm",
                    "exec-ssm-logs": "/var/log/amazon/ssm"}


@dataclass(frozen=True)
class FargateApiArgs:
    config: ApiConfig
    region: str
    vpc_id: pulumi.Input[str]
    ingress_subnet_ids: pulumi.Input[list[str]]
    container_subnet_ids: pulumi.Input[list[str]]
    workload_security_group_id: pulumi.Input[str]
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    permissions_boundary_arn: Optional[pulumi.Input[str]] = None
    """The stack's RoleBoundary (components/boundary.py), set on the task and execution roles."""


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


def _json(value: Any) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps(value)


class FargateApi(pulumi.ComponentResource):
    alb_arn: pulumi.Output[str]
    alb_dns_name: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    listener_port: int
    alb_security_group_id: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    image_tag: pulumi.Output[str]
    alarm_topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FargateApiArgs, opts: Optional[pulumi.ResourceOptions] = None):
        if len(f"{name}-alb") > MAX_LB_LOGICAL_NAME:
            raise ValueError(f"FargateApi name {name!r} is too long: the load balancer and target group names "
                             f"derived from it must stay within {MAX_LB_LOGICAL_NAME} characters before Pulumi's "
                             "suffix; shorten the project or stack name")
        super().__init__("webstack:api:FargateApi", name, None, opts)
        config = args.config
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        child = self._child
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id

        repository = self._repository(config)
        log_group = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/ecs/{name}",
                                            retention_in_days=config.log_retention_days, opts=child)
        cluster = aws.ecs.Cluster(f"{name}-cluster", settings=[{"name": "containerInsights", "value": "enabled"}],
                                  tags={"Name": f"{name}-cluster"}, opts=child)
        strategy = [{"capacity_provider": config.capacity_provider, "weight": 1, "base": 0}]
        capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity", cluster_name=cluster.name, capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=strategy, opts=child)

        roles = TaskRoles(f"{name}-roles", TaskRolesArgs(
            repository_arn=repository.arn, log_group_arn=log_group.arn, table_arn=args.table_arn,
            bucket_arn=args.bucket_arn, exec_enabled=config.exec_enabled,
            permissions_boundary_arn=args.permissions_boundary_arn), opts=child)

        image, self.image_tag = self._image(config, repository)
        task_definition = self._task_definition(config, args, image, log_group, roles)

        alb_sg, ecs_sg = self._security_groups(args)
        alb, target_group, listener = self._load_balancer(config, args, alb_sg, account)

        service = aws.ecs.Service(
            f"{name}-service", cluster=cluster.arn, task_definition=task_definition.arn,
            desired_count=config.desired_count, capacity_provider_strategies=strategy, platform_version="LATEST",
            network_configuration={"subnets": args.container_subnet_ids, "assign_public_ip": False,
                                   "security_groups": [ecs_sg.id, args.workload_security_group_id]},
            load_balancers=[{"target_group_arn": target_group.arn, "container_name": CONTAINER_NAME,
                             "container_port": CONTAINER_PORT}],
            # A new task set that never turns healthy is stopped and the last good one restored.
            deployment_circuit_breaker={"enable": True, "rollback": True},
            # Zero downtime in every stack: new tasks start and pass health checks before old ones stop. In dev
            # that is one extra task for the minutes of a deployment, which costs next to nothing.
            deployment_minimum_healthy_percent=100, deployment_maximum_percent=200,
            health_check_grace_period_seconds=config.health_check_grace_period_seconds,
            enable_execute_command=config.exec_enabled, propagate_tags="SERVICE", enable_ecs_managed_tags=True,
            # `pulumi up` waits for the rollout to settle rather than returning while new tasks are still starting.
            wait_for_steady_state=True,
            tags={"Name": f"{name}-service"},
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[listener, capacity],
                # Autoscaling owns the running count after creation; a deploy must not reset it.
                ignore_changes=["desiredCount"]))

        # What SSM records as running (api/image-tag, read back by every later `up`) waits for the service to
        # settle on it: a release the circuit breaker rolled back fails the update and is not recorded.
        self.image_tag = pulumi.Output.all(service.id, self.image_tag).apply(lambda values: values[1])

        self._autoscaling(config, cluster, service)
        topic = self._alarms(config, alb, target_group, cluster, service, account)

        self.alb_arn = alb.arn
        self.alb_dns_name = alb.dns_name
        self.listener_arn = listener.arn
        self.listener_port = LISTENER_PORT
        self.alb_security_group_id = alb_sg.id
        self.cluster_name = cluster.name
        self.service_name = service.name
        self.repository_url = repository.repository_url
        self.repository_name = repository.name
        self.log_group_name = log_group.name
        self.alarm_topic_arn = topic.arn
        self.register_outputs({
            "albArn": self.alb_arn, "albDnsName": self.alb_dns_name, "listenerArn": self.listener_arn,
            "listenerPort": self.listener_port, "albSecurityGroupId": self.alb_security_group_id,
            "clusterName": self.cluster_name, "serviceName": self.service_name,
            "repositoryUrl": self.repository_url, "repositoryName": self.repository_name,
            "logGroupName": self.log_group_name, "imageTag": self.image_tag, "alarmTopicArn": self.alarm_topic_arn,
        })

    # --- image -----------------------------------------------------------------------------------------------

    def _repository(self, config: ApiConfig) -> aws.ecr.Repository:
        name, child = self._name, self._child
        repository = aws.ecr.Repository(
            f"{name}-repo", image_tag_mutability="IMMUTABLE", image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "AES256"}], force_delete=config.force_destroy,
            tags={"Name": f"{name}-repo"}, opts=child)
        aws.ecr.LifecyclePolicy(f"{name}-repo-lifecycle", repository=repository.name, policy=_json({"rules": [
            {"rulePriority": 1, "description": f"Expire untagged images after {UNTAGGED_IMAGE_DAYS} days",
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                           "countNumber": UNTAGGED_IMAGE_DAYS},
             "action": {"type": "expire"}},
            {"rulePriority": 2, "description": f"Keep the {config.keep_images} most recent tagged images",
             "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan",
                           "countNumber": config.keep_images},
             "action": {"type": "expire"}},
        ]}), opts=child)
        return repository

    def _image(self, config: ApiConfig, repository: aws.ecr.Repository) -> tuple[pulumi.Output[str],
                                                                                   pulumi.Output[str]]:
        """The image reference for the task definition, and its tag."""
        if config.image_tag:
            return (pulumi.Output.concat(repository.repository_url, ":", config.image_tag),
                    pulumi.Output.from_input(config.image_tag))
        tag = build_context_tag()
        built = awsx.ecr.Image(
            f"{self._name}-image", repository_url=repository.repository_url, context="app",
            dockerfile="app/Dockerfile", platform=PLATFORM[config.cpu_architecture], image_tag=tag,
            opts=self._child)
        # `<repositoryUrl>@sha256:…`: the task runs exactly the pushed image.
        return built.image_uri, pulumi.Output.from_input(tag)

    def _task_definition(self, config: ApiConfig, args: FargateApiArgs, image: pulumi.Output[str],
                         log_group: aws.cloudwatch.LogGroup, roles: TaskRoles) -> aws.ecs.TaskDefinition:
        # The app writes nothing to disk (no uploads, no temp files; the image sets PYTHONDONTWRITEBYTECODE), so
        # the root filesystem is read-only and no writable path is mounted, except ECS Exec's when it is on.
        exec_volumes = EXEC_AGENT_PATHS if config.exec_enabled else {}
        container = {
            "name": CONTAINER_NAME,
            "image": image,
            "essential": True,
            "portMappings": [{"containerPort": CONTAINER_PORT, "protocol": "tcp", "name": "http"}],
            "environment": [
                {"name": "TABLE_NAME", "value": args.table_name},
                {"name": "BUCKET_NAME", "value": args.bucket_name},
                {"name": "AWS_REGION", "value": args.region},
                {"name": "HOST", "value": "0.0.0.0"},  # the ALB reaches the task on its ENI address
                {"name": "PORT", "value": str(CONTAINER_PORT)},
            ],
            "readonlyRootFilesystem": True,
            "user": CONTAINER_USER,
            "privileged": False,
            # Fargate offers no no-new-privileges flag; with every capability dropped, root would gain nothing.
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": config.exec_enabled},
            "healthCheck": {"command": HEALTH_COMMAND, "interval": 15, "timeout": 5, "retries": 3,
                            "startPeriod": 20},
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group.name, "awslogs-region": args.region, "awslogs-stream-prefix": "api",
                # A slow logs endpoint must not block the app's writes to stdout.
                "mode": "non-blocking", "max-buffer-size": "25m",
            }},
            "mountPoints": [{"sourceVolume": volume, "containerPath": path, "readOnly": False}
                            for volume, path in exec_volumes.items()],
        }
        return aws.ecs.TaskDefinition(
            f"{self._name}-task", family=self._name, cpu=str(config.cpu), memory=str(config.memory),
            network_mode="awsvpc", requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": config.cpu_architecture},
            execution_role_arn=roles.execution_role_arn, task_role_arn=roles.task_role_arn,
            container_definitions=_json([container]),
            volumes=[{"name": volume} for volume in exec_volumes],
            tags={"Name": f"{self._name}-task"}, opts=self._child)

    # --- network path ----------------------------------------------------------------------------------------

    def _security_groups(self, args: FargateApiArgs) -> tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]:
        name, child = self._name, self._child
        cloudfront = aws.ec2.get_managed_prefix_list_output(name=CLOUDFRONT_ORIGIN_FACING,
                                                            opts=pulumi.InvokeOutputOptions(parent=self))
        alb_sg = aws.ec2.SecurityGroup(f"{name}-alb-sg", vpc_id=args.vpc_id,
                                       description="Internal ALB: HTTP from CloudFront's origin-facing servers only",
                                       tags={"Name": f"{name}-alb"}, opts=child)
        ecs_sg = aws.ec2.SecurityGroup(f"{name}-ecs-sg", vpc_id=args.vpc_id,
                                       description="API tasks: the app port from the ALB only",
                                       tags={"Name": f"{name}-ecs"}, opts=child)

        def tcp(port: int) -> dict[str, Any]:
            return {"ip_protocol": "tcp", "from_port": port, "to_port": port}

        aws.vpc.SecurityGroupIngressRule(
            f"{name}-alb-in-cloudfront", security_group_id=alb_sg.id, **tcp(LISTENER_PORT),
            prefix_list_id=cloudfront.id,
            description="HTTP from CloudFront origin-facing servers (VPC origin)", opts=child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-out-ecs", security_group_id=alb_sg.id, **tcp(CONTAINER_PORT),
            referenced_security_group_id=ecs_sg.id, description="Requests and health checks to the API tasks",
            opts=child)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-ecs-in-alb", security_group_id=ecs_sg.id, **tcp(CONTAINER_PORT),
            referenced_security_group_id=alb_sg.id, description="Requests and health checks from the ALB",
            opts=child)
        # The tasks speak only HTTPS, to AWS APIs: DynamoDB and S3 through their gateway endpoints, ECR, CloudWatch
        # Logs and STS through the NAT or interface endpoints, whose addresses are not known in advance.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-ecs-out-https", security_group_id=ecs_sg.id, **tcp(443), cidr_ipv4="0.0.0.0/0",
            description="HTTPS to AWS APIs via gateway endpoints, interface endpoints or the NAT", opts=child)
        return alb_sg, ecs_sg

    def _load_balancer(self, config: ApiConfig, args: FargateApiArgs, alb_sg: aws.ec2.SecurityGroup,
                       account: pulumi.Output[str]) -> tuple[aws.lb.LoadBalancer, aws.lb.TargetGroup,
                                                             aws.lb.Listener]:
        name, child = self._name, self._child
        access_logs, log_ready = None, []
        if config.access_logs:
            bucket, log_ready = self._access_log_bucket(config, account)
            access_logs = {"bucket": bucket.bucket, "enabled": True}
        alb = aws.lb.LoadBalancer(
            f"{name}-alb", load_balancer_type="application", internal=True, subnets=args.ingress_subnet_ids,
            security_groups=[alb_sg.id], drop_invalid_header_fields=True,
            # Every request arrives through CloudFront, which sends well-formed HTTP; "strictest" therefore
            # costs no legitimate client and closes request smuggling through ambiguous requests too.
            desync_mitigation_mode="strictest", enable_deletion_protection=config.deletion_protection,
            idle_timeout=config.idle_timeout_seconds, access_logs=access_logs, tags={"Name": f"{name}-alb"},
            # The ALB checks it can write to the log bucket when logging is switched on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_ready))
        target_group = aws.lb.TargetGroup(
            f"{name}-tg", target_type="ip", port=CONTAINER_PORT, protocol="HTTP", protocol_version="HTTP1",
            vpc_id=args.vpc_id, deregistration_delay=config.deregistration_delay_seconds,
            health_check={"enabled": True, "path": HEALTH_PATH, "protocol": "HTTP", "port": "traffic-port",
                          "matcher": "200", "interval": 15, "timeout": 5, "healthy_threshold": 2,
                          "unhealthy_threshold": 3},
            tags={"Name": f"{name}-tg"}, opts=child)
        listener = aws.lb.Listener(
            f"{name}-http", load_balancer_arn=alb.arn, port=LISTENER_PORT, protocol="HTTP",
            default_actions=[{"type": "forward", "target_group_arn": target_group.arn}], opts=child)
        return alb, target_group, listener

    def _access_log_bucket(self, config: ApiConfig,
                           account: pulumi.Output[str]) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
        name, child = self._name, self._child
        # ALB log delivery supports SSE-S3 only, which is what a PrivateBucket uses.
        logs = PrivateBucket.create(f"{name}-alb-logs", force_destroy=config.force_destroy, opts=child)
        bucket = logs.bucket
        aws.s3.BucketLifecycleConfiguration(f"{name}-alb-logs-lifecycle", bucket=bucket.id, rules=[
            {"id": "expire-access-logs", "status": "Enabled", "filter": {},
             "expiration": {"days": config.access_log_retention_days},
             "abort_incomplete_multipart_upload": {"days_after_initiation": 1}},
        ], opts=child)
        elb_account = aws.elb.get_service_account_output(opts=pulumi.InvokeOutputOptions(parent=self)).arn
        this_account_logs = pulumi.Output.concat(bucket.arn, "/AWSLogs/", account, "/*")
        policy = logs.policy([{"Sid": "ElbLogDelivery", "Effect": "Allow",
                               "Principal": {"AWS": elb_account, "Service": ELB_LOG_DELIVERY},
                               "Action": "s3:PutObject", "Resource": this_account_logs}])
        return bucket, [policy, *logs.settings]

    # --- operations ------------------------------------------------------------------------------------------

    def _autoscaling(self, config: ApiConfig, cluster: aws.ecs.Cluster, service: aws.ecs.Service) -> None:
        name, child = self._name, self._child
        target = aws.appautoscaling.Target(
            f"{name}-scaling", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
            min_capacity=config.min_count, max_capacity=config.max_count, opts=child)
        tracked = (("cpu", "ECSServiceAverageCPUUtilization", config.cpu_target_percent),
                   ("memory", "ECSServiceAverageMemoryUtilization", config.memory_target_percent))
        for short, metric, target_value in tracked:
            aws.appautoscaling.Policy(
                f"{name}-scale-{short}", policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace, scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "predefined_metric_specification": {"predefined_metric_type": metric},
                    "target_value": target_value,
                    "scale_out_cooldown": config.scale_out_cooldown_seconds,
                    "scale_in_cooldown": config.scale_in_cooldown_seconds,
                }, opts=child)

    def _alarms(self, config: ApiConfig, alb: aws.lb.LoadBalancer, target_group: aws.lb.TargetGroup,
                cluster: aws.ecs.Cluster, service: aws.ecs.Service,
                account: pulumi.Output[str]) -> aws.sns.Topic:
        name, child = self._name, self._child
        # CloudWatch can publish to an encrypted topic only if the key lets it use the key, and the AWS managed
        # key (alias/aws/sns) has a fixed policy that does not: hence a customer managed key.
        key = aws.kms.Key(f"{name}-alarms-key", description="Encrypts the API alarm topic",
                          enable_key_rotation=True, deletion_window_in_days=30, policy=_json(document(
                              {"Sid": "AccountAdministersKey", "Effect": "Allow",
                               "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account, ":root")},
                               "Action": "kms:*", "Resource": "*"},
                              {"Sid": "CloudWatchPublishesAlarms", "Effect": "Allow",
                               "Principal": {"Service": "cloudwatch.amazonaws.com"},
                               "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},
                          )), tags={"Name": f"{name}-alarms"}, opts=child)
        topic = aws.sns.Topic(f"{name}-alarms", kms_master_key_id=key.arn, tags={"Name": f"{name}-alarms"},
                              opts=child)
        if config.alarm_email:
            aws.sns.TopicSubscription(f"{name}-alarms-email", topic=topic.arn, protocol="email",
                                      endpoint=config.alarm_email, opts=child)

        actions = {"alarm_actions": [topic.arn], "ok_actions": [topic.arn]}
        on_alb = {"LoadBalancer": alb.arn_suffix}
        for metric, short, what in (("HTTPCode_ELB_5XX_Count", "alb-5xx", "the load balancer"),
                                    ("HTTPCode_Target_5XX_Count", "target-5xx", "the API tasks")):
            aws.cloudwatch.MetricAlarm(
                f"{name}-{short}", alarm_description=f"5xx answers from {what}: 5 or more a minute, in 3 of 5 "
                                                     "minutes",
                namespace="AWS/ApplicationELB", metric_name=metric, dimensions=on_alb, statistic="Sum",
                period=60, evaluation_periods=5, datapoints_to_alarm=3, threshold=5,
                comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
                **actions, opts=child)
        aws.cloudwatch.MetricAlarm(
            f"{name}-unhealthy", alarm_description="A target has failed its health checks for 3 minutes",
            namespace="AWS/ApplicationELB", metric_name="UnHealthyHostCount",
            dimensions={**on_alb, "TargetGroup": target_group.arn_suffix}, statistic="Maximum", period=60,
            evaluation_periods=3, threshold=1, comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching", **actions, opts=child)

        on_service = {"ClusterName": cluster.name, "ServiceName": service.name}

        def task_count(query_id: str, metric: str) -> dict[str, Any]:
            return {"id": query_id, "return_data": False, "metric": {
                "namespace": "ECS/ContainerInsights", "metric_name": metric, "dimensions": on_service,
                "period": 60, "stat": "Average"}}

        aws.cloudwatch.MetricAlarm(
            f"{name}-tasks-missing",
            alarm_description="Fewer tasks running than desired for 5 minutes (failing starts, Spot reclaim, "
                              "no capacity)",
            metric_queries=[task_count("running", "RunningTaskCount"), task_count("desired", "DesiredTaskCount"),
                            {"id": "missing", "expression": "desired - running", "label": "Tasks missing",
                             "return_data": True}],
            evaluation_periods=5, threshold=0, comparison_operator="GreaterThanThreshold",
            # Container Insights reports a running service every minute: silence means it is not.
            treat_missing_data="breaching", **actions, opts=child)
        return topic
