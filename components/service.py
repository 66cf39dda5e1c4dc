"""FargateService: one service of the platform — its task definition, roles, security group, scaling, alarms and,
behind the load balancer, its listener rules and target groups.

Every service runs the platform's one image with its own command (`python -m app.api`, `app.admin`,
`app.worker`), in the container subnets without a public IP, as a non-root user on a read-only root filesystem,
logging to its own log group through awslogs.

Behind the load balancer (`route`), the service claims its paths with a production listener rule, and releases
the way `release` says:
- `rolling`: tasks are replaced in place; the deployment circuit breaker rolls back a revision that never turns
  healthy.
- `blueGreen`, `canary`, `linear`: ECS starts the new revision in the alternate target group, routes the test
  listener rule to it (requests carrying the stack's release-probe header), then moves production traffic — all at
  once, a canary share first, or in linear steps — and keeps the old revision ready for `bakeMinutes`. The
  service's deployment alarms (5xx rate and p99 latency of its target groups) roll the release back while it
  bakes, and the circuit breaker does when new tasks fail to start. ECS owns the rules' forward actions from then
  on; the program only creates them.
Without a route (the worker), the service scales on its queue's backlog per task and rolls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.iam import TaskRoles, TaskRolesArgs
from components.migration import as_fargate_api, from_fargate_api, is_fargate_api_successor
from components.platform import MAX_LB_LOGICAL_NAME, FargatePlatform
from stack_config.service import ServiceConfig, WorkerServiceConfig

CONTAINER_PORT = 8080
HEALTH_PATH = "/healthz"
# Non-root, and not in the root group: the image's app user and group. The task definition enforces them even if
# an image forgot its USER line.
CONTAINER_USER = "10001:10001"
# The image is python-slim without curl; urlopen raises on anything but 2xx, so the exit code is the verdict.
HEALTH_COMMAND = ["CMD", "python", "-c",
                  "import urllib.request; "
                  f"urllib.request.urlopen('http://127.0.0.1:{CONTAINER_PORT}{HEALTH_PATH}', timeout=2)"]
# The worker reports progress on a loopback port; the check asks it (app/worker/healthcheck.py).
WORKER_HEALTH_COMMAND = ["CMD", "python", "-m", "app.worker.healthcheck"]
WORKER_STOP_MARGIN_SECONDS = 5
# ECS Exec's agent writes to these paths; with a read-only root they are writable task-storage mounts instead.
EXEC_AGENT_PATHS = {"exec-managed-agents": "/managed-agents", "exec-ssm-state": "/var/lib/amazon/ssm",
                    "exec-ssm-logs": "/var/log/amazon/ssm"}
RELEASE_PROBE_HEADER = "x-webstack-release-probe"
STRATEGY = {"rolling": "ROLLING", "blueGreen": "BLUE_GREEN", "canary": "CANARY", "linear": "LINEAR"}
# Deployment alarms: a new revision answering 5xx to more than 5% of requests, or slower than this at p99.
ERROR_RATE_PERCENT = 5
P99_SECONDS = 1.0


@dataclass(frozen=True)
class Route:
    """The load balancer paths a service answers, and where its rules sit among the listener's."""

    path_patterns: Sequence[str]
    priority: int
    """Lower is evaluated first: a service with narrower paths (the admin API) takes a lower number."""
    health_path: str = HEALTH_PATH


@dataclass(frozen=True)
class QueueScaling:
    """Scale a worker on its queue's backlog per running task."""

    queue_name: pulumi.Input[str]
    deployment_alarm_name: pulumi.Input[str] | None = None
    """An alarm that says a release breaks the jobs (jobs reaching the dead-letter queue): it rolls the release
    back."""


@dataclass(frozen=True)
class ReleaseHook:
    """A Lambda function ECS invokes at POST_TEST_TRAFFIC_SHIFT of a blue/green release, and the role it invokes it
    with (components/release_probe.py): production traffic moves only once it answers SUCCEEDED."""

    function_arn: pulumi.Input[str]
    role_arn: pulumi.Input[str]


def ecs_service_prefix(name: str) -> str:
    """The stable part of a FargateService's ECS service name: Pulumi appends `-` and 7 random characters to it."""
    return f"{name}-service"


@dataclass(frozen=True)
class FargateServiceArgs:
    platform: FargatePlatform
    size: ServiceConfig | WorkerServiceConfig
    command: Sequence[str]
    environment: Mapping[str, pulumi.Input[str]]
    grants: Sequence[dict[str, Any]]
    """The task role's permission statements: exactly what the application calls."""
    purpose: str
    """What the application does, for the roles' descriptions (IAM's character set: no dashes beyond ASCII)."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    """Groups the tasks carry besides their own (the network's workload group)."""
    route: Route | None = None
    queue: QueueScaling | None = None
    read_only: bool = False
    """The service writes no data: its resources carry `access: read-only`, which a policy holds its roles to."""
    release_probe_token: pulumi.Input[str] | None = None
    """The value of the release-probe header the test listener rule admits; the platform's when not given."""
    release_hook: ReleaseHook | None = None
    """Blue/green, canary and linear releases wait at POST_TEST_TRAFFIC_SHIFT for this hook (rolling ones have no
    test traffic and ignore it)."""
    permissions_boundary_arn: pulumi.Input[str] | None = None


class FargateService(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    service_arn: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    target_group_suffixes: list[pulumi.Output[str]]
    deployment_alarm_names: list[pulumi.Output[str]]

    def __init__(self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None):
        if args.route is not None and len(f"{name}-green") > MAX_LB_LOGICAL_NAME:
            raise ValueError(f"FargateService name {name!r} is too long: its target group names must stay within "
                             f"{MAX_LB_LOGICAL_NAME} characters before Pulumi's suffix")
        if (args.route is None) != (args.queue is not None):
            raise ValueError(f"FargateService {name!r} needs exactly one of route (behind the load balancer) or "
                             "queue (a worker scaled on its backlog)")
        # The public API's service takes over the landed FargateApi and its resources (aliases, until every stack
        # has run one `up` with them: components/migration.py).
        super().__init__("webstack:service:FargateService", name, None, as_fargate_api(name, opts))
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        self._args = args
        # `api`, `admin`, `worker`: the container's name, which the load balancer addresses too, and its tag.
        self._container = name.rsplit("-", 1)[-1]
        self._tags = {"service": self._container, **({"access": "read-only"} if args.read_only else {})}
        platform, size = args.platform, args.size

        log_group = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/ecs/{name}",
                                            retention_in_days=platform.log_retention_days, opts=self._child)
        roles = TaskRoles(f"{name}-roles", TaskRolesArgs(
            repository_arn=platform.repository_arn, log_group_arn=log_group.arn, grants=args.grants,
            purpose=args.purpose, exec_enabled=platform.exec_enabled, tags=self._tags,
            permissions_boundary_arn=args.permissions_boundary_arn), opts=self._child)
        task_definition = self._task_definition(log_group, roles)
        security_group = self._security_group()

        self.target_group_suffixes = []
        self.deployment_alarm_names = []
        load_balancers: list[aws.ecs.ServiceLoadBalancerArgsDict] = []
        rules: list[pulumi.Resource] = []
        if args.route is not None and isinstance(size, ServiceConfig):
            load_balancers, rules = self._behind_the_load_balancer(args.route, size, security_group)
        elif args.queue is not None and args.queue.deployment_alarm_name is not None:
            self.deployment_alarm_names = [pulumi.Output.from_input(args.queue.deployment_alarm_name)]

        strategy = STRATEGY[size.release] if isinstance(size, ServiceConfig) and args.route else "ROLLING"
        desired = size.desired_count if isinstance(size, ServiceConfig) else size.min_count
        service = aws.ecs.Service(
            ecs_service_prefix(name), cluster=platform.cluster_arn, task_definition=task_definition.arn,
            desired_count=desired, platform_version="LATEST",
            capacity_provider_strategies=[{"capacity_provider": size.capacity_provider, "weight": 1, "base": 0}],
            network_configuration={"subnets": args.subnet_ids, "assign_public_ip": False,
                                   "security_groups": [security_group.id, *args.security_group_ids]},
            load_balancers=load_balancers,
            deployment_configuration=self._deployment(strategy, size),
            # A new revision whose tasks never turn healthy is stopped and the last good one restored.
            deployment_circuit_breaker={"enable": True, "rollback": True},
            alarms={"alarm_names": self.deployment_alarm_names, "enable": True, "rollback": True}
            if self.deployment_alarm_names else None,
            # Rolling: new tasks start and pass their checks before old ones stop (one extra task for the minutes
            # of a deployment). Blue/green runs the whole new revision beside the old one anyway.
            deployment_minimum_healthy_percent=100, deployment_maximum_percent=200,
            health_check_grace_period_seconds=size.health_check_grace_period_seconds
            if isinstance(size, ServiceConfig) and args.route else None,
            enable_execute_command=platform.exec_enabled, propagate_tags="SERVICE", enable_ecs_managed_tags=True,
            # `pulumi up` waits for the rollout, bake time included, rather than returning while it runs; whether
            # it ended on the new revision is the pipeline's check (release/verify.py).
            wait_for_steady_state=True,
            tags={"Name": f"{name}-service", **self._tags},
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*rules, platform.capacity],
                # Autoscaling owns the running count after creation; a deploy must not reset it.
                ignore_changes=["desiredCount"]))
        self._autoscaling(service, size)

        self.service_name = service.name
        self.service_arn = service.id
        self.task_definition_arn = task_definition.arn
        self.log_group_name = log_group.name
        self.task_role_arn = roles.task_role_arn
        self.execution_role_arn = roles.execution_role_arn
        self.security_group_id = security_group.id
        self.register_outputs({
            "serviceName": self.service_name, "serviceArn": self.service_arn,
            "taskDefinitionArn": self.task_definition_arn, "logGroupName": self.log_group_name,
            "taskRoleArn": self.task_role_arn, "executionRoleArn": self.execution_role_arn,
            "securityGroupId": self.security_group_id, "targetGroupSuffixes": self.target_group_suffixes,
            "deploymentAlarmNames": self.deployment_alarm_names,
        })

    # --- task ------------------------------------------------------------------------------------------------

    def _task_definition(self, log_group: aws.cloudwatch.LogGroup, roles: TaskRoles) -> aws.ecs.TaskDefinition:
        name, args, platform, size = self._name, self._args, self._args.platform, self._args.size
        # The app writes nothing to disk (the image sets PYTHONDONTWRITEBYTECODE), so the root filesystem is
        # read-only and no writable path is mounted, except ECS Exec's when it is on.
        exec_volumes = EXEC_AGENT_PATHS if platform.exec_enabled else {}
        behind_load_balancer = args.route is not None
        environment = {"AWS_REGION": platform.region, **args.environment}
        if isinstance(size, WorkerServiceConfig):
            environment["STOP_TIMEOUT_SECONDS"] = str(size.stop_timeout_seconds - WORKER_STOP_MARGIN_SECONDS)
        if behind_load_balancer:
            environment |= {"HOST": "0.0.0.0", "PORT": str(CONTAINER_PORT)}  # the ALB reaches the task's ENI
        container = {
            "name": self._container,
            "image": platform.image,
            "command": list(args.command),
            "essential": True,
            "environment": [{"name": key, "value": value} for key, value in sorted(environment.items())],
            "readonlyRootFilesystem": True,
            "user": CONTAINER_USER,
            "privileged": False,
            # Fargate offers no no-new-privileges flag; with every capability dropped, root would gain nothing.
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": platform.exec_enabled},
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group.name, "awslogs-region": platform.region,
                "awslogs-stream-prefix": self._container,
                # A slow logs endpoint must not block the app's writes to stdout.
                "mode": "non-blocking", "max-buffer-size": "25m",
            }},
            "mountPoints": [{"sourceVolume": volume, "containerPath": path, "readOnly": False}
                            for volume, path in exec_volumes.items()],
        }
        if behind_load_balancer:
            container["portMappings"] = [{"containerPort": CONTAINER_PORT, "protocol": "tcp", "name": "http"}]
            container["healthCheck"] = {"command": HEALTH_COMMAND, "interval": 15, "timeout": 5, "retries": 3,
                                        "startPeriod": 20}
        if isinstance(size, WorkerServiceConfig):
            # SIGTERM, then this long before SIGKILL; the worker finishes or gives back its job 5 s before.
            container["stopTimeout"] = size.stop_timeout_seconds
            container["healthCheck"] = {"command": WORKER_HEALTH_COMMAND, "interval": 30, "timeout": 5,
                                        "retries": 3, "startPeriod": 20}
        return aws.ecs.TaskDefinition(
            f"{name}-task", family=name, cpu=str(size.cpu), memory=str(size.memory),
            network_mode="awsvpc", requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": platform.cpu_architecture},
            execution_role_arn=roles.execution_role_arn, task_role_arn=roles.task_role_arn,
            container_definitions=pulumi.Output.json_dumps([container]),
            volumes=[{"name": volume} for volume in exec_volumes],
            tags={"Name": f"{name}-task", **self._tags}, opts=self._child)

    def _security_group(self) -> aws.ec2.SecurityGroup:
        name, args, platform, child = self._name, self._args, self._args.platform, self._child
        behind_load_balancer = args.route is not None
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=platform.vpc_id,
            description=f"{name} tasks: " + ("the app port from the ALB only" if behind_load_balancer
                                             else "no ingress, HTTPS out to AWS APIs"),
            tags={"Name": name},
            opts=from_fargate_api(child, aws.ec2.SecurityGroup, "ecs-sg", is_fargate_api_successor(name)))
        if behind_load_balancer:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-in-alb", security_group_id=security_group.id, ip_protocol="tcp",
                from_port=CONTAINER_PORT, to_port=CONTAINER_PORT,
                referenced_security_group_id=platform.alb_security_group_id,
                description="Requests and health checks from the ALB",
                opts=from_fargate_api(child, aws.vpc.SecurityGroupIngressRule, "ecs-in-alb",
                                      is_fargate_api_successor(name)))
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-alb-out", security_group_id=platform.alb_security_group_id, ip_protocol="tcp",
                from_port=CONTAINER_PORT, to_port=CONTAINER_PORT, referenced_security_group_id=security_group.id,
                description=f"Requests and health checks to the {name} tasks",
                opts=from_fargate_api(child, aws.vpc.SecurityGroupEgressRule, "alb-out-ecs",
                                      is_fargate_api_successor(name)))
        # The tasks speak only HTTPS, to AWS APIs: DynamoDB and S3 through their gateway endpoints; ECR, CloudWatch
        # Logs, STS, SQS and Cognito's keys through the NAT or interface endpoints, whose addresses are not known
        # in advance.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-out-https", security_group_id=security_group.id, ip_protocol="tcp", from_port=443,
            to_port=443, cidr_ipv4="0.0.0.0/0",
            description="HTTPS to AWS APIs via gateway endpoints, interface endpoints or the NAT",
            opts=from_fargate_api(child, aws.vpc.SecurityGroupEgressRule, "ecs-out-https",
                                  is_fargate_api_successor(name)))
        return security_group

    # --- behind the load balancer ----------------------------------------------------------------------------

    def _behind_the_load_balancer(self, route: Route, size: ServiceConfig, security_group: aws.ec2.SecurityGroup
                                  ) -> tuple[list[aws.ecs.ServiceLoadBalancerArgsDict], list[pulumi.Resource]]:
        name, args, platform, child = self._name, self._args, self._args.platform, self._child
        release = size.release != "rolling"

        def target_group(color: str) -> aws.lb.TargetGroup:
            return aws.lb.TargetGroup(
                f"{name}-{color}", target_type="ip", port=CONTAINER_PORT, protocol="HTTP",
                protocol_version="HTTP1", vpc_id=platform.vpc_id,
                deregistration_delay=size.deregistration_delay_seconds,
                health_check={"enabled": True, "path": route.health_path, "protocol": "HTTP",
                              "port": "traffic-port", "matcher": "200", "interval": 15, "timeout": 5,
                              "healthy_threshold": 2, "unhealthy_threshold": 3},
                tags={"Name": f"{name}-{color}", **self._tags},
                # The landed target group is blue: the same port, protocol, VPC and target type, so kept in place.
                opts=from_fargate_api(child, aws.lb.TargetGroup, "tg",
                                      is_fargate_api_successor(name) and color == "blue"))

        blue = target_group("blue")
        groups = [blue, target_group("green")] if release else [blue]
        self.target_group_suffixes = [group.arn_suffix for group in groups]
        # ECS rewrites the rules' forward weights during each release; the program owns their conditions only.
        owned_by_ecs = pulumi.ResourceOptions(parent=self, ignore_changes=["actions"] if release else [])

        def forward() -> list[aws.lb.ListenerRuleActionArgsDict]:
            return [{"type": "forward", "forward": {"target_groups": [
                {"arn": group.arn, "weight": 100 if group is blue else 0} for group in groups]}}]

        production = aws.lb.ListenerRule(
            f"{name}-route", listener_arn=platform.listener_arn, priority=route.priority * 10,
            conditions=[{"path_pattern": {"values": list(route.path_patterns)}}], actions=forward(),
            tags={"Name": f"{name}-route", **self._tags}, opts=owned_by_ecs)
        rules: list[pulumi.Resource] = [production]
        balancer: aws.ecs.ServiceLoadBalancerArgsDict = {"target_group_arn": blue.arn, "container_name":
                                                          self._container, "container_port": CONTAINER_PORT}
        if release:
            test = aws.lb.ListenerRule(
                f"{name}-release-probe", listener_arn=platform.listener_arn, priority=route.priority * 10 - 1,
                conditions=[{"path_pattern": {"values": list(route.path_patterns)}},
                            {"http_header": {"http_header_name": RELEASE_PROBE_HEADER,
                                             "values": [args.release_probe_token
                                                        if args.release_probe_token is not None
                                                        else platform.release_probe_token]}}],
                actions=forward(), tags={"Name": f"{name}-release-probe", **self._tags}, opts=owned_by_ecs)
            rules.append(test)
            balancer["advanced_configuration"] = {
                "alternate_target_group_arn": groups[1].arn, "production_listener_rule": production.arn,
                "test_listener_rule": test.arn, "role_arn": platform.release_role_arn}
            self.deployment_alarm_names = self._deployment_alarms(groups)
        self._target_alarms(groups)
        return [balancer], rules

    def _deployment_alarms(self, groups: list[aws.lb.TargetGroup]) -> list[pulumi.Output[str]]:
        """Alarms ECS watches while a release bakes: breaching one rolls the release back."""
        name, platform, child = self._name, self._args.platform, self._child
        balancer = platform.alb_arn_suffix

        def metric(query_id: str, metric_name: str, group: aws.lb.TargetGroup,
                   stat: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgsDict:
            return {"id": query_id, "return_data": False, "metric": {
                "namespace": "AWS/ApplicationELB", "metric_name": metric_name, "period": 60, "stat": stat,
                "dimensions": {"LoadBalancer": balancer, "TargetGroup": group.arn_suffix}}}

        errors = aws.cloudwatch.MetricAlarm(
            f"{name}-release-5xx",
            alarm_description=(
                f"Deployment alarm of {name}: more than {ERROR_RATE_PERCENT}% of the requests one of its target "
                "groups served answered 5xx, in 2 of 3 minutes. During a release ECS rolls back to the previous "
                "revision; look first at the service's deployment events in the ECS console, then at its log group "
                "for tracebacks."),
            # Each group's own rate, and the worse of them: a canary's errors, summed with the old revision's
            # traffic, would be diluted below the threshold by the share of traffic it does not take.
            metric_queries=[
                *[metric(f"errors{i}", "HTTPCode_Target_5XX_Count", g, "Sum") for i, g in enumerate(groups)],
                *[metric(f"requests{i}", "RequestCount", g, "Sum") for i, g in enumerate(groups)],
                *[{"id": f"rate{i}", "return_data": False,
                   "expression": f"100 * FILL(errors{i}, 0) / MAX([FILL(requests{i}, 0), 1])"}
                  for i in range(len(groups))],
                {"id": "worst", "label": "5xx per request of the worse target group (%)", "return_data": True,
                 "expression": "MAX([" + ", ".join(f"rate{i}" for i in range(len(groups))) + "])"},
            ],
            evaluation_periods=3, datapoints_to_alarm=2, threshold=ERROR_RATE_PERCENT,
            comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching",
            alarm_actions=[platform.alarm_topic_arn], ok_actions=[platform.alarm_topic_arn], opts=child)
        latency = aws.cloudwatch.MetricAlarm(
            f"{name}-release-p99",
            alarm_description=(
                f"Deployment alarm of {name}: p99 response time above {P99_SECONDS} s in 2 of 3 minutes. During a "
                "release ECS rolls back to the previous revision; look first at the service's CPU and memory on "
                "the dashboard, then at DynamoDB throttles and the log group."),
            metric_queries=[
                *[metric(f"p99of{i}", "TargetResponseTime", g, "p99") for i, g in enumerate(groups)],
                {"id": "worst", "label": "slowest target group p99 (s)", "return_data": True,
                 "expression": "MAX([" + ", ".join(f"p99of{i}" for i in range(len(groups))) + "])"},
            ],
            evaluation_periods=3, datapoints_to_alarm=2, threshold=P99_SECONDS,
            comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching",
            alarm_actions=[platform.alarm_topic_arn], ok_actions=[platform.alarm_topic_arn], opts=child)
        return [errors.name, latency.name]

    def _target_alarms(self, groups: list[aws.lb.TargetGroup]) -> None:
        name, platform, child = self._name, self._args.platform, self._child
        for group in groups:
            color = group._name.rsplit("-", 1)[-1]
            aws.cloudwatch.MetricAlarm(
                f"{name}-{color}-unhealthy",
                alarm_description=(
                    f"A {name} task in the {color} target group has failed its health checks for 3 minutes. Look "
                    "first at the service's events in the ECS console (failing starts, out of memory), then at "
                    "its log group."),
                namespace="AWS/ApplicationELB", metric_name="UnHealthyHostCount",
                dimensions={"LoadBalancer": platform.alb_arn_suffix, "TargetGroup": group.arn_suffix},
                statistic="Maximum", period=60, evaluation_periods=3, threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
                alarm_actions=[platform.alarm_topic_arn], ok_actions=[platform.alarm_topic_arn],
                opts=from_fargate_api(child, aws.cloudwatch.MetricAlarm, "unhealthy",
                                      is_fargate_api_successor(name) and color == "blue"))

    def _deployment(self, strategy: str, size: ServiceConfig | WorkerServiceConfig
                    ) -> aws.ecs.ServiceDeploymentConfigurationArgsDict:
        if strategy == "ROLLING" or not isinstance(size, ServiceConfig):
            return {"strategy": "ROLLING"}
        configuration: aws.ecs.ServiceDeploymentConfigurationArgsDict = {
            "strategy": strategy, "bake_time_in_minutes": str(size.bake_minutes)}
        if strategy == "CANARY":
            configuration["canary_configuration"] = {"canary_percent": size.canary_percent,
                                                     "canary_bake_time_in_minutes": str(size.step_minutes)}
        elif strategy == "LINEAR":
            configuration["linear_configuration"] = {"step_percent": size.linear_step_percent,
                                                     "step_bake_time_in_minutes": str(size.step_minutes)}
        hook = self._args.release_hook
        if hook is not None:
            # After the test listener rule points at the new revision and before any production traffic moves:
            # the hook probes the new revision through that rule, and FAILED rolls the release back.
            configuration["lifecycle_hooks"] = [{"hook_target_arn": hook.function_arn, "role_arn": hook.role_arn,
                                                 "lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"]}]
        return configuration

    # --- scaling ---------------------------------------------------------------------------------------------

    def _autoscaling(self, service: aws.ecs.Service, size: ServiceConfig | WorkerServiceConfig) -> None:
        name, platform, child = self._name, self._args.platform, self._child
        target = aws.appautoscaling.Target(
            f"{name}-scaling", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", platform.cluster_name, "/", service.name),
            min_capacity=size.min_count, max_capacity=size.max_count, opts=child)
        if isinstance(size, ServiceConfig):
            # The target alone holds a fixed count (minCount = maxCount); tracking policies there would only add
            # four alarms that can never change anything.
            tracked = () if size.min_count == size.max_count else (
                ("cpu", "ECSServiceAverageCPUUtilization", size.cpu_target_percent),
                ("memory", "ECSServiceAverageMemoryUtilization", size.memory_target_percent))
            for short, metric, target_value in tracked:
                aws.appautoscaling.Policy(
                    f"{name}-scale-{short}", policy_type="TargetTrackingScaling",
                    service_namespace=target.service_namespace, scalable_dimension=target.scalable_dimension,
                    resource_id=target.resource_id,
                    target_tracking_scaling_policy_configuration={
                        "predefined_metric_specification": {"predefined_metric_type": metric},
                        "target_value": target_value,
                        "scale_out_cooldown": size.scale_out_cooldown_seconds,
                        "scale_in_cooldown": size.scale_in_cooldown_seconds,
                    }, opts=child)
            if platform.container_insights:
                self._tasks_missing_alarm(service)
            return
        assert self._args.queue is not None
        self._backlog_scaling(target, service, size, self._args.queue)
        if platform.container_insights and size.min_count > 0:
            self._tasks_missing_alarm(service)

    def _backlog_scaling(self, target: aws.appautoscaling.Target, service: aws.ecs.Service,
                         size: WorkerServiceConfig, queue: QueueScaling) -> None:
        """Backlog per task: jobs waiting ÷ tasks running (Container Insights' count), held at `backlogPerTask` by
        target tracking. Tracking multiplies the running count, so it cannot leave zero: with `minCount` 0 a step
        starts the first task when jobs wait and none runs. Without Container Insights there is no running count
        to divide by; the stack configuration then holds `maxCount` to 1, and a second step stops the task once the
        queue has been empty for the scale-in cooldown."""
        name, platform, child = self._name, self._args.platform, self._child
        def queue_metric(metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryMetricArgsDict:
            return {"namespace": "AWS/SQS", "metric_name": metric_name, "dimensions": {"QueueName": queue.queue_name},
                    "period": 60, "stat": "Maximum"}

        running_metric: aws.cloudwatch.MetricAlarmMetricQueryMetricArgsDict = {
            "namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount", "period": 60, "stat": "Average",
            "dimensions": {"ClusterName": platform.cluster_name, "ServiceName": service.name}}
        if platform.container_insights:
            aws.appautoscaling.Policy(
                f"{name}-scale-backlog", policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace, scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": size.backlog_per_task,
                    "scale_out_cooldown": 60, "scale_in_cooldown": size.scale_in_cooldown_seconds,
                    "customized_metric_specification": {"metrics": [
                        {"id": "jobs", "return_data": False, "metric_stat": {"stat": "Maximum", "metric": {
                            "namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible",
                            "dimensions": [{"name": "QueueName", "value": queue.queue_name}]}}},
                        {"id": "running", "return_data": False, "metric_stat": {"stat": "Average", "metric": {
                            "namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount",
                            "dimensions": [{"name": "ClusterName", "value": platform.cluster_name},
                                           {"name": "ServiceName", "value": service.name}]}}},
                        {"id": "backlog", "label": "jobs per running task", "return_data": True,
                         "expression": "jobs / MAX([FILL(running, 0), 1])"},
                    ]},
                }, opts=child)
        if size.min_count > 0:
            return

        def step(short: str, capacity: int) -> aws.appautoscaling.Policy:
            return aws.appautoscaling.Policy(
                f"{name}-scale-{short}", policy_type="StepScaling",
                service_namespace=target.service_namespace, scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                step_scaling_policy_configuration={
                    "adjustment_type": "ExactCapacity", "metric_aggregation_type": "Maximum", "cooldown": 60,
                    "step_adjustments": [{"metric_interval_lower_bound": "0", "scaling_adjustment": capacity}],
                }, opts=child)

        wake = step("from-zero", 1)
        waiting: list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict] = [
            {"id": "jobs", "return_data": not platform.container_insights,
             "metric": queue_metric("ApproximateNumberOfMessagesVisible")}]
        if platform.container_insights:
            waiting.append({"id": "running", "return_data": False, "metric": running_metric})
            waiting.append({"id": "idle", "label": "jobs waiting with no task running", "return_data": True,
                            "expression": "IF(FILL(running, 0) == 0, jobs, 0)"})
        aws.cloudwatch.MetricAlarm(
            f"{name}-jobs-waiting",
            alarm_description=(
                f"Scaling alarm of {name}: jobs wait and no worker task runs; it starts one. Nothing to do unless "
                "it stays in ALARM: then look at the service's events in the ECS console (capacity, failing starts)."),
            metric_queries=waiting, evaluation_periods=1, threshold=0, comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching", alarm_actions=[wake.arn], opts=child)
        if platform.container_insights:
            return  # tracking scales in to minCount
        rest = step("to-zero", 0)
        aws.cloudwatch.MetricAlarm(
            f"{name}-queue-empty",
            alarm_description=(
                f"Scaling alarm of {name}: no job waiting or in flight for the scale-in cooldown; it stops the "
                "worker task. Nothing to do."),
            metric_queries=[
                {"id": "waiting", "return_data": False, "metric": queue_metric("ApproximateNumberOfMessagesVisible")},
                {"id": "inflight", "return_data": False,
                 "metric": queue_metric("ApproximateNumberOfMessagesNotVisible")},
                {"id": "jobs", "label": "jobs waiting or in flight", "return_data": True,
                 "expression": "FILL(waiting, 0) + FILL(inflight, 0)"},
            ],
            evaluation_periods=max(1, size.scale_in_cooldown_seconds // 60), threshold=0,
            comparison_operator="LessThanOrEqualToThreshold", treat_missing_data="breaching",
            alarm_actions=[rest.arn], opts=child)

    def _tasks_missing_alarm(self, service: aws.ecs.Service) -> None:
        name, platform = self._name, self._args.platform
        on_service = {"ClusterName": platform.cluster_name, "ServiceName": service.name}

        def task_count(query_id: str, metric: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgsDict:
            return {"id": query_id, "return_data": False, "metric": {
                "namespace": "ECS/ContainerInsights", "metric_name": metric, "dimensions": on_service,
                "period": 60, "stat": "Average"}}

        aws.cloudwatch.MetricAlarm(
            f"{name}-tasks-missing",
            alarm_description=(
                f"{name} runs fewer tasks than desired for 5 minutes. Look first at the service's events in the "
                "ECS console: failing starts, Spot reclaims, or no capacity."),
            metric_queries=[task_count("running", "RunningTaskCount"), task_count("desired", "DesiredTaskCount"),
                            {"id": "missing", "expression": "desired - running", "label": "Tasks missing",
                             "return_data": True}],
            evaluation_periods=5, threshold=0, comparison_operator="GreaterThanThreshold",
            # Container Insights reports a running service every minute: silence means it is not.
            treat_missing_data="breaching", alarm_actions=[platform.alarm_topic_arn],
            ok_actions=[platform.alarm_topic_arn], opts=self._child)

