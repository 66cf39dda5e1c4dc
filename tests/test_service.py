"""FargateService, as the real dev and prd stacks declare their three services and on its own: the public API
(`app.api`), the admin API (`app.admin`) and the worker (`app.worker`) — what each runs, who may reach it, how it
releases, scales and alarms. What they share (cluster, image, load balancer, release role) is tests/test_platform.py's;
what their roles may do is tests/test_iam.py's."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any

import pytest

from components.platform import FargatePlatform, FargatePlatformArgs
from components.service import FargateService, FargateServiceArgs, QueueScaling, Route
from mock_engine import ACCOUNT_ID, Capture, Resource, StackRunFailed, run_program, run_stack
from stack_config.platform import PlatformConfig
from stack_config.service import ServiceConfig, WorkerServiceConfig
from tests.test_platform import (
    EC2_DESCRIPTION,
    alb_sg,
    platform_of,
    release_probe_groups,
    says_what_it_means_and_where_to_look,
)
from tests.test_platform import part as in_platform

SERVICE_COMPONENT = "webstack:service:FargateService"
TASK_ROLES = "webstack:iam:TaskRoles"
RELEASE_PROBE = "webstack:release:ReleaseProbe"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CLUSTER = "aws:ecs/cluster:Cluster"
CAPACITY = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
REPOSITORY = "aws:ecr/repository:Repository"
QUEUE = "aws:sqs/queue:Queue"
TABLE = "aws:dynamodb/table:Table"
BUCKET = "aws:s3/bucket:Bucket"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
USER_GROUP = "aws:cognito/userGroup:UserGroup"
LAMBDA = "aws:lambda/function:Function"
SUBNET = "aws:ec2/subnet:Subnet"

APIS = ("api", "admin")
SERVICES = ("api", "admin", "worker")
COMMANDS = {"api": ["python", "-m", "app.api"], "admin": ["python", "-m", "app.admin"],
            "worker": ["python", "-m", "app.worker"]}
APP_PORT = 8080
HEALTH_PATH = "/healthz"
PROBE_HEADER = "x-webstack-release-probe"
REGION = "ap-northeast-1"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:alarms"


# --- finding things ------------------------------------------------------------------------------------------

def component(capture: Capture, key: str) -> Resource:
    return capture.one(SERVICE_COMPONENT, where=lambda r: r.name == f"webstack-{capture.stack}-{key}")


def parts(capture: Capture, key: str, type_: str) -> list[Resource]:
    return [r for r in capture.descendants_of(component(capture, key)) if r.type == type_]


def part(capture: Capture, key: str, type_: str) -> Resource:
    found = parts(capture, key, type_)
    assert len(found) == 1, f"expected one {type_} in the {key} service, found {found}"
    return found[0]


def named(capture: Capture, key: str, suffix: str) -> Resource:
    return capture.named(f"{component(capture, key).name}-{suffix}")


def container(capture: Capture, key: str) -> dict[str, Any]:
    [definition] = json.loads(part(capture, key, TASK_DEFINITION).get("containerDefinitions"))
    return definition


def environment(capture: Capture, key: str) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(capture, key)["environment"]}


def size(capture: Capture, key: str) -> ServiceConfig | WorkerServiceConfig:
    """The service's section of the stack file, with the models' defaults filled in."""
    if key == "api":
        return ServiceConfig.model_validate(capture.config.get("webstack:api", {}))
    if key == "admin":
        return ServiceConfig.model_validate(capture.config["webstack:admin"].get("service", {}))
    return WorkerServiceConfig.model_validate(capture.config.get("webstack:worker", {}).get("service", {}))


def platform_config(capture: Capture) -> PlatformConfig:
    return PlatformConfig.model_validate(capture.config.get("webstack:platform", {}))


def service_group(capture: Capture, key: str) -> Resource:
    return part(capture, key, SECURITY_GROUP)


def rules_on(capture: Capture, group: Resource, *types: str) -> list[Resource]:
    return [r for r in capture.of_type(*(types or (INGRESS_RULE, EGRESS_RULE))) if r.get("securityGroupId") == group.id]


def one_of(resources: list[Resource], suffix: str) -> Resource:
    [found] = [r for r in resources if r.name.endswith(suffix)]
    return found


def topic_arn(capture: Capture) -> str:
    return capture.one("aws:sns/topic:Topic").state["arn"]


def data_store(capture: Capture, type_: str) -> Resource:
    return capture.one(type_, where=lambda r: r.parent == capture.one("webstack:data:DataStore").urn)


# --- the network ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", APIS)
def test_api_tasks_admit_only_the_alb_on_the_app_port(stack: Capture, key: str):
    [into_tasks] = rules_on(stack, service_group(stack, key), INGRESS_RULE)
    assert into_tasks.get("referencedSecurityGroupId") == alb_sg(stack).id
    assert (into_tasks.get("ipProtocol"), into_tasks.get("fromPort"), into_tasks.get("toPort")) == (
        "tcp", APP_PORT, APP_PORT)
    assert [m["containerPort"] for m in container(stack, key)["portMappings"]] == [APP_PORT]


@pytest.mark.parametrize("key", APIS)
def test_alb_sends_to_the_api_tasks_only_on_the_app_port(stack: Capture, key: str):
    [out] = [r for r in rules_on(stack, alb_sg(stack), EGRESS_RULE)
             if r.get("referencedSecurityGroupId") == service_group(stack, key).id]
    assert (out.get("ipProtocol"), out.get("fromPort"), out.get("toPort")) == ("tcp", APP_PORT, APP_PORT)


def test_alb_sends_nowhere_but_the_api_tasks(stack: Capture):
    targets = {r.get("referencedSecurityGroupId") for r in rules_on(stack, alb_sg(stack), EGRESS_RULE)}
    assert targets == {service_group(stack, key).id for key in APIS}
    assert not [r for r in rules_on(stack, alb_sg(stack), EGRESS_RULE) if r.get("cidrIpv4") or r.get("cidrIpv6")]


def test_the_worker_admits_nothing_and_the_alb_cannot_reach_it(stack: Capture):
    group = service_group(stack, "worker")
    assert rules_on(stack, group, INGRESS_RULE) == []
    assert [r for r in stack.of_type(EGRESS_RULE) if r.get("referencedSecurityGroupId") == group.id] == []
    assert "portMappings" not in container(stack, "worker")
    assert part(stack, "worker", SERVICE).get("loadBalancers") in (None, [])


def test_ingress_is_exactly_the_chain_cloudfront_to_alb_to_api_tasks(stack: Capture):
    # Read from the rules alone: the prefix list into the ALB, the ALB into each API's tasks, and (where releases
    # are probed) the release probe into the ALB. Nothing into the worker, the network's groups or anything else.
    expected = {f"webstack-{stack.stack}-alb-in-cloudfront", f"webstack-{stack.stack}-api-in-alb",
                f"webstack-{stack.stack}-admin-in-alb"}
    fargate = {r.name for r in stack.of_type(INGRESS_RULE)
               if r.get("securityGroupId") in {alb_sg(stack).id, *(service_group(stack, k).id for k in SERVICES)}}
    probe = {r.name for r in stack.of_type(INGRESS_RULE) if r.get("referencedSecurityGroupId")
             in release_probe_groups(stack)}
    assert fargate - probe == expected


@pytest.mark.parametrize("key", SERVICES)
def test_tasks_send_only_https(stack: Capture, key: str):
    rules = rules_on(stack, service_group(stack, key), EGRESS_RULE)
    assert [(r.get("ipProtocol"), r.get("fromPort"), r.get("toPort"), r.get("cidrIpv4")) for r in rules] == [
        ("tcp", 443, 443, "0.0.0.0/0")]


@pytest.mark.parametrize("key", SERVICES)
def test_task_groups_keep_their_rules_standalone_and_described(stack: Capture, key: str):
    group = service_group(stack, key)
    assert not group.get("ingress") and not group.get("egress")
    assert EC2_DESCRIPTION.fullmatch(group.get("description"))
    rules = [r for r in parts(stack, key, INGRESS_RULE) + parts(stack, key, EGRESS_RULE)]
    assert rules and all(EC2_DESCRIPTION.fullmatch(r.get("description") or "") for r in rules)


@pytest.mark.parametrize("key", SERVICES)
def test_tasks_run_in_the_container_subnets_without_public_ip(stack: Capture, key: str):
    network = part(stack, key, SERVICE).get("networkConfiguration")
    assert network["assignPublicIp"] is False
    container_subnets = sorted(s.id for s in stack.of_type(SUBNET) if s.get("tags.tier") == "container")
    assert container_subnets and sorted(network["subnets"]) == container_subnets
    workload = stack.one(SECURITY_GROUP, where=lambda g: g.name.endswith("-workload-sg"))
    assert sorted(network["securityGroups"]) == sorted([service_group(stack, key).id, workload.id])


# --- the listener's rules ------------------------------------------------------------------------------------

def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _condition_holds(condition: dict[str, Any], path: str, headers: dict[str, str]) -> bool:
    if "pathPattern" in condition:  # ALB: case-sensitive paths
        return any(_glob(p, path) for p in condition["pathPattern"]["values"])
    if "httpHeader" in condition:  # ALB: header names and values compared without case
        value = {k.lower(): v for k, v in headers.items()}.get(condition["httpHeader"]["httpHeaderName"].lower())
        return value is not None and any(_glob(p, value, True) for p in condition["httpHeader"]["values"])
    raise AssertionError(f"a condition this check does not know: {condition}")


def routed_to(rules: list[Resource], path: str, headers: dict[str, str] | None = None) -> Resource | None:
    """The rule the listener applies to a request: the lowest priority whose conditions all hold (ALB evaluates
    rules in priority order and stops at the first match); None is the listener's default action."""
    for rule in sorted(rules, key=lambda r: r.get("priority")):
        if all(_condition_holds(c, path, headers or {}) for c in rule.get("conditions")):
            return rule
    return None


def service_of(capture: Capture, rule: Resource | None) -> str | None:
    if rule is None:
        return None
    [key] = [k for k in APIS if rule.parent == component(capture, k).urn]
    return key


def forwarded_to(rule: Resource) -> dict[str, float]:
    """Target group ARN -> weight of the rule's one forward action."""
    [action] = rule.get("actions")
    assert action["type"] == "forward"
    return {group["arn"]: group["weight"] for group in action["forward"]["targetGroups"]}


def probe_token(capture: Capture) -> str:
    rule = named(capture, "api", "release-probe")
    [header] = [c["httpHeader"] for c in rule.get("conditions") if "httpHeader" in c]
    [token] = header["values"]
    return token


ROUTES = [("/api/admin/items", "admin"), ("/api/admin/items/42/image", "admin"), ("/api/items", "api"),
          ("/api/items/42", "api"), ("/api/images/variants/42/small.webp", "api"),
          ("/api/adminx", "api"), ("/healthz", None), ("/", None), ("/admin/index.html", None)]


@pytest.mark.parametrize("path, key", ROUTES)
def test_the_listener_sends_each_path_to_its_service(stack: Capture, path: str, key: str | None):
    rules = stack.of_type(LISTENER_RULE)
    listener = in_platform(stack, LISTENER)
    assert {r.get("listenerArn") for r in rules} == {listener.id}
    assert service_of(stack, routed_to(rules, path)) == key


def test_admin_paths_are_evaluated_before_the_public_api_claims_every_api_path(stack: Capture):
    admin = [r for r in parts(stack, "admin", LISTENER_RULE)]
    public = [r for r in parts(stack, "api", LISTENER_RULE)]
    assert max(r.get("priority") for r in admin) < min(r.get("priority") for r in public)
    assert {p for r in admin for c in r.get("conditions") if "pathPattern" in c for p in c["pathPattern"]["values"]} \
        == {"/api/admin/*"}
    assert {p for r in public for c in r.get("conditions") if "pathPattern" in c for p in c["pathPattern"]["values"]} \
        == {"/api/*"}
    priorities = [r.get("priority") for r in stack.of_type(LISTENER_RULE)]
    assert len(priorities) == len(set(priorities)), "ALB refuses two rules of one priority on a listener"


def test_the_routing_check_would_catch_the_public_api_taking_the_admin_paths(prd: Capture):
    # Swap the two services' priorities: the public API's /api/* now answers /api/admin/* first.
    swapped = [replace(r, inputs={**r.inputs, "priority": 100 - r.get("priority")}) for r in
               prd.of_type(LISTENER_RULE)]
    assert service_of(prd, routed_to(swapped, "/api/admin/items")) == "api"


@pytest.mark.parametrize("key", APIS)
def test_target_groups_check_the_health_path_of_ip_targets(stack: Capture, key: str):
    for group in parts(stack, key, TARGET_GROUP):
        assert (group.get("targetType"), group.get("port"), group.get("protocol")) == ("ip", APP_PORT, "HTTP")
        assert group.get("healthCheck.path") == HEALTH_PATH and group.get("healthCheck.matcher") == "200"
        assert group.get("deregistrationDelay") == size(stack, key).deregistration_delay_seconds
        assert 5 <= group.get("deregistrationDelay") <= 30


@pytest.mark.parametrize("key", APIS)
def test_dev_apis_roll_with_one_target_group_and_no_test_rule(dev: Capture, key: str):
    assert size(dev, key).release == "rolling"
    [group] = parts(dev, key, TARGET_GROUP)
    [rule] = parts(dev, key, LISTENER_RULE)
    assert forwarded_to(rule) == {group.state["arn"]: 100}
    assert rule.ignore_changes == []  # no release rewrites it: the program owns its actions
    service = part(dev, key, SERVICE)
    assert service.get("deploymentConfiguration") == {"strategy": "ROLLING"}
    [balancer] = service.get("loadBalancers")
    assert balancer["targetGroupArn"] == group.id and "advancedConfiguration" not in balancer
    assert not service.get("alarms")
    assert dev.of_type(RELEASE_PROBE) == []


@pytest.mark.parametrize("key", APIS)
def test_prd_api_releases_blue_green_with_deployment_alarms(prd: Capture, key: str):
    config = size(prd, key)
    assert (config.release, config.bake_minutes) == ("blueGreen", 10)
    blue, green = named(prd, key, "blue"), named(prd, key, "green")
    assert {g.name for g in parts(prd, key, TARGET_GROUP)} == {blue.name, green.name}
    production, test = named(prd, key, "route"), named(prd, key, "release-probe")
    service = part(prd, key, SERVICE)
    [balancer] = service.get("loadBalancers")
    assert balancer["targetGroupArn"] == blue.id
    assert (balancer["containerName"], balancer["containerPort"]) == (container(prd, key)["name"], APP_PORT)
    release_role = [r for r in prd.descendants_of(platform_of(prd)) if r.type == ROLE]
    assert balancer["advancedConfiguration"] == {
        "alternateTargetGroupArn": green.state["arn"], "productionListenerRule": production.state["arn"],
        "testListenerRule": test.state["arn"], "roleArn": release_role[0].state["arn"]}
    deployment = service.get("deploymentConfiguration")
    assert (deployment["strategy"], deployment["bakeTimeInMinutes"]) == ("BLUE_GREEN", "10")
    # The deployment alarms roll a release back while it bakes; the circuit breaker when tasks never start.
    alarms = [named(prd, key, "release-5xx"), named(prd, key, "release-p99")]
    assert service.get("alarms") == {"alarmNames": [a.state["name"] for a in alarms], "enable": True,
                                     "rollback": True}
    assert service.get("deploymentCircuitBreaker") == {"enable": True, "rollback": True}


@pytest.mark.parametrize("key", APIS)
def test_prd_listener_rules_forward_to_both_colours_and_leave_the_weights_to_ecs(prd: Capture, key: str):
    blue, green = named(prd, key, "blue"), named(prd, key, "green")
    for rule in (named(prd, key, "route"), named(prd, key, "release-probe")):
        # ECS requires both target groups in the forward action, and rewrites the weights during each release:
        # a later `pulumi up` must not put them back.
        assert forwarded_to(rule) == {blue.state["arn"]: 100, green.state["arn"]: 0}
        assert rule.ignore_changes == ["actions"]


@pytest.mark.parametrize("key", APIS)
def test_prd_test_rule_admits_only_requests_with_the_release_probe_header(prd: Capture, key: str):
    production, test = named(prd, key, "route"), named(prd, key, "release-probe")
    assert test.get("priority") == production.get("priority") - 1  # just before its production rule
    paths = [c for c in production.get("conditions") if "pathPattern" in c]
    assert [c for c in test.get("conditions") if "pathPattern" in c] == paths
    assert [c["httpHeader"] for c in test.get("conditions") if "httpHeader" in c] == [
        {"httpHeaderName": PROBE_HEADER, "values": [probe_token(prd)]}]
    path = {"api": "/api/items", "admin": "/api/admin/items"}[key]
    rules = prd.of_type(LISTENER_RULE)
    assert routed_to(rules, path, {PROBE_HEADER.upper(): probe_token(prd)}) is test
    assert routed_to(rules, path, {PROBE_HEADER: "guess"}) is production
    assert routed_to(rules, path) is production


def test_the_release_probe_token_cannot_be_worked_out_from_the_repository(prd: Capture):
    # The header reaches a release's untested revision from the internet (CloudFront forwards every viewer header
    # on /api/*), so the value must not follow from names anyone can read in this repository.
    token = probe_token(prd)
    assert re.fullmatch(r"[0-9a-f]{32,}", token)
    public = [f"webstack-prd-{k}" for k in SERVICES] + ["webstack-prd", "webstack", "prd"]
    assert token not in {hashlib.sha256(n.encode()).hexdigest()[:len(token)] for n in public}
    assert probe_token(prd) == next(v for c in named(prd, "admin", "release-probe").get("conditions")
                                    if "httpHeader" in c for v in c["httpHeader"]["values"])


def test_the_release_probe_sends_the_token_the_test_rules_admit(prd: Capture):
    [function] = [r for r in prd.descendants_of(prd.one(RELEASE_PROBE)) if r.type == LAMBDA]
    assert function.get("environment.variables.PROBE_TOKEN") == probe_token(prd)


@pytest.mark.parametrize("key", APIS)
def test_prd_releases_wait_for_the_release_probe_before_moving_traffic(prd: Capture, key: str):
    probe = prd.one(RELEASE_PROBE)
    [function] = [r for r in prd.descendants_of(probe) if r.type == LAMBDA]
    [hook] = part(prd, key, SERVICE).get("deploymentConfiguration")["lifecycleHooks"]
    assert hook["lifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    assert hook["hookTargetArn"] == function.state["arn"]
    hook_role = [r for r in prd.descendants_of(probe) if r.type == ROLE and r.get("description", "").startswith(
        "ECS: invoke")]
    assert [hook["roleArn"]] == [r.state["arn"] for r in hook_role]


# --- deployments ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", SERVICES)
def test_deployments_roll_back_and_keep_capacity(stack: Capture, key: str):
    service = part(stack, key, SERVICE)
    assert service.get("deploymentCircuitBreaker") == {"enable": True, "rollback": True}
    assert service.get("deploymentMinimumHealthyPercent") == 100
    assert service.get("deploymentMaximumPercent") == 200
    assert service.get("waitForSteadyState") is True
    grace = service.get("healthCheckGracePeriodSeconds")
    # Only a service behind the load balancer has load-balancer checks to ignore while it starts.
    assert (grace == size(stack, key).health_check_grace_period_seconds and grace > 0) if key in APIS \
        else grace is None


@pytest.mark.parametrize("key", APIS)
def test_api_services_run_their_task_definition_behind_their_target_group(stack: Capture, key: str):
    service = part(stack, key, SERVICE)
    assert service.get("taskDefinition") == part(stack, key, TASK_DEFINITION).state["arn"]
    assert service.get("cluster") == in_platform(stack, CLUSTER).state["arn"]
    # A target group must belong to a load balancer (through a rule) before a service may register into it.
    for rule in parts(stack, key, LISTENER_RULE):
        assert rule.urn in service.dependencies
    assert in_platform(stack, CAPACITY).urn in service.dependencies


def test_the_worker_rolls_and_rolls_back_when_its_jobs_fail(stack: Capture):
    service = part(stack, "worker", SERVICE)
    assert service.get("deploymentConfiguration") == {"strategy": "ROLLING"}
    # A release that breaks the jobs sends them to the dead-letter queue: the alarm on its growth rolls it back.
    growing = stack.one(ALARM, where=lambda a: a.parent == stack.one("webstack:queue:WorkerQueue").urn
                        and any(q.get("expression") == "RATE(depth)" for q in a.get("metricQueries") or []))
    assert service.get("alarms") == {"alarmNames": [growing.state["name"]], "enable": True, "rollback": True}


@pytest.mark.parametrize("key", SERVICES)
def test_counts_capacity_and_exec_follow_the_stack(stack: Capture, key: str):
    service, config = part(stack, key, SERVICE), size(stack, key)
    desired = config.desired_count if isinstance(config, ServiceConfig) else config.min_count
    assert service.get("desiredCount") == desired
    assert "desiredCount" in service.ignore_changes  # autoscaling owns it after creation
    assert service.get("capacityProviderStrategies") == [{"capacityProvider": config.capacity_provider,
                                                          "weight": 1, "base": 0}]
    assert service.get("enableExecuteCommand") is platform_config(stack).exec_enabled


def test_prd_runs_the_public_api_in_every_az_and_the_admin_api_in_two_on_demand(prd: Capture):
    azs = prd.config["webstack:network"]["azCount"]
    assert part(prd, "api", SERVICE).get("desiredCount") >= azs
    assert part(prd, "admin", SERVICE).get("desiredCount") >= 2
    for key in SERVICES:
        assert [s["capacityProvider"] for s in part(prd, key, SERVICE).get("capacityProviderStrategies")] == [
            "FARGATE"]


def test_dev_runs_one_task_of_each_api_on_spot_and_no_worker_until_a_job_comes(dev: Capture):
    assert [part(dev, k, SERVICE).get("desiredCount") for k in SERVICES] == [1, 1, 0]
    for key in SERVICES:
        assert [s["capacityProvider"] for s in part(dev, key, SERVICE).get("capacityProviderStrategies")] == [
            "FARGATE_SPOT"]


def test_public_api_resources_carry_the_read_only_tag_and_the_writers_do_not(stack: Capture):
    # The tag is what the mandatory policy iam-read-only-service-cannot-write follows to the roles.
    def tagged(key: str) -> set[str]:
        return {r.name for r in stack.descendants_of(component(stack, key))
                if r.type in (TASK_DEFINITION, SERVICE, ROLE) and r.get("tags.access") == "read-only"}

    api = component(stack, "api").name
    assert tagged("api") == {f"{api}-task", f"{api}-service", f"{api}-roles-task", f"{api}-roles-execution"}
    assert tagged("admin") == set() and tagged("worker") == set()


# --- the task ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", SERVICES)
def test_container_is_hardened(stack: Capture, key: str):
    spec = container(stack, key)
    assert spec["readonlyRootFilesystem"] is True
    user, _, group = spec["user"].partition(":")
    assert user and user not in ("0", "root") and group not in ("", "0", "root"), spec["user"]
    assert spec["privileged"] is False
    assert spec["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
    assert not spec["linuxParameters"]["capabilities"].get("add")
    assert spec["essential"] is True


@pytest.mark.parametrize("key", SERVICES)
def test_each_service_runs_its_own_module(stack: Capture, key: str):
    assert container(stack, key)["command"] == COMMANDS[key]
    assert container(stack, key)["name"] == key


def test_every_service_runs_the_one_image_of_the_platform(stack: Capture):
    images = {container(stack, key)["image"] for key in SERVICES}
    assert images == {stack.outputs["imageUri"]}


def test_the_public_api_gets_the_table_and_the_bucket_it_reads(stack: Capture):
    assert environment(stack, "api") == {
        "AWS_REGION": stack.config["aws:region"], "HOST": "0.0.0.0", "PORT": str(APP_PORT),
        "TABLE_NAME": data_store(stack, TABLE).state["name"], "BUCKET_NAME": data_store(stack, BUCKET).state["bucket"]}


def test_the_admin_api_also_gets_the_stacks_user_pool_its_client_and_the_admin_group(stack: Capture):
    pool, client, group = stack.one(USER_POOL), stack.one(USER_POOL_CLIENT), stack.one(USER_GROUP)
    assert client.get("userPoolId") == pool.id and group.get("userPoolId") == pool.id
    assert environment(stack, "admin") == {
        **environment(stack, "api"), "COGNITO_USER_POOL_ID": pool.id, "COGNITO_CLIENT_ID": client.id,
        "ADMIN_GROUP": group.get("name")}


def test_the_worker_gets_its_queue_and_stops_before_ecs_kills_it(stack: Capture):
    config = size(stack, "worker")
    jobs = stack.one(QUEUE, where=lambda q: q.parent == stack.one("webstack:queue:WorkerQueue").urn
                     and not q.name.endswith("-dlq"))
    assert environment(stack, "worker") == {
        "AWS_REGION": stack.config["aws:region"], "TABLE_NAME": data_store(stack, TABLE).state["name"],
        "BUCKET_NAME": data_store(stack, BUCKET).state["bucket"], "QUEUE_URL": jobs.state["url"],
        # The worker receives and renews its jobs for the queue's own visibility timeout.
        "VISIBILITY_TIMEOUT_SECONDS": str(int(jobs.get("visibilityTimeoutSeconds"))),
        # SIGTERM, then stopTimeout before SIGKILL: the worker finishes or gives back its job 5 s before that.
        "STOP_TIMEOUT_SECONDS": str(config.stop_timeout_seconds - 5)}
    assert container(stack, "worker")["stopTimeout"] == config.stop_timeout_seconds
    assert config.stop_timeout_seconds <= 120  # Fargate's maximum


@pytest.mark.parametrize("key", APIS)
def test_api_containers_check_their_own_health_endpoint(stack: Capture, key: str):
    check = container(stack, key)["healthCheck"]
    assert check["command"][:3] == ["CMD", "python", "-c"]
    assert f"http://127.0.0.1:{APP_PORT}{HEALTH_PATH}" in check["command"][-1]
    compile(check["command"][-1], "<healthCheck>", "exec")  # the probe is valid Python
    assert check["timeout"] < check["interval"]


def test_the_worker_checks_its_health_with_its_own_module(stack: Capture):
    check = container(stack, "worker")["healthCheck"]
    assert check["command"] == ["CMD", "python", "-m", "app.worker.healthcheck"]
    assert check["timeout"] < check["interval"]
    # The worker serves no HTTP to the load balancer: no app port, no HOST/PORT.
    assert {"HOST", "PORT"}.isdisjoint(environment(stack, "worker"))


@pytest.mark.parametrize("key", SERVICES)
def test_container_logs_to_its_service_log_group(stack: Capture, key: str):
    logging, group = container(stack, key)["logConfiguration"], part(stack, key, LOG_GROUP)
    assert group.get("name") == f"/ecs/webstack-{stack.stack}-{key}"
    assert logging["logDriver"] == "awslogs"
    assert logging["options"]["awslogs-group"] == group.get("name")
    assert logging["options"]["awslogs-region"] == stack.config["aws:region"]
    # A slow logs endpoint must not block the app's writes to stdout.
    assert logging["options"]["mode"] == "non-blocking"


@pytest.mark.parametrize("key", SERVICES)
def test_log_retention_follows_the_stack(stack: Capture, key: str):
    assert part(stack, key, LOG_GROUP).get("retentionInDays") == platform_config(stack).log_retention_days


def test_prd_keeps_logs_longer_than_dev(dev: Capture, prd: Capture):
    assert all(part(dev, k, LOG_GROUP).get("retentionInDays") <= 14 for k in SERVICES)
    assert all(part(prd, k, LOG_GROUP).get("retentionInDays") >= 365 for k in SERVICES)


@pytest.mark.parametrize("key", SERVICES)
def test_task_definition_is_fargate_sized_from_config(stack: Capture, key: str):
    task, config = part(stack, key, TASK_DEFINITION), size(stack, key)
    assert task.get("requiresCompatibilities") == ["FARGATE"] and task.get("networkMode") == "awsvpc"
    assert (task.get("cpu"), task.get("memory")) == (str(config.cpu), str(config.memory))
    assert task.get("runtimePlatform") == {"operatingSystemFamily": "LINUX",
                                           "cpuArchitecture": platform_config(stack).cpu_architecture}


@pytest.mark.parametrize("key", SERVICES)
def test_writable_mounts_exist_only_for_ecs_exec(stack: Capture, key: str):
    spec, task = container(stack, key), part(stack, key, TASK_DEFINITION)
    if platform_config(stack).exec_enabled:
        assert {m["containerPath"] for m in spec["mountPoints"]} == {
            "/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}
        assert {v["name"] for v in task.get("volumes")} == {m["sourceVolume"] for m in spec["mountPoints"]}
        assert spec["linuxParameters"]["initProcessEnabled"] is True
    else:
        assert spec["mountPoints"] == [] and not task.get("volumes")
        assert spec["linuxParameters"]["initProcessEnabled"] is False


def test_exec_is_on_in_dev_and_off_in_prd(dev: Capture, prd: Capture):
    assert (platform_config(dev).exec_enabled, platform_config(prd).exec_enabled) == (True, False)


@pytest.mark.parametrize("key", SERVICES)
def test_execution_role_and_task_role_are_different_roles_of_this_service(stack: Capture, key: str):
    task = part(stack, key, TASK_DEFINITION)
    roles = {r.state["arn"]: r for r in parts(stack, key, ROLE)}
    assert task.get("executionRoleArn") in roles and task.get("taskRoleArn") in roles
    assert task.get("executionRoleArn") != task.get("taskRoleArn")
    assert task.property_dependencies["taskRoleArn"] == [roles[task.get("taskRoleArn")].urn]


@pytest.mark.parametrize("key", SERVICES)
def test_execution_role_may_pull_from_the_repository_and_write_this_log_group(stack: Capture, key: str):
    execution = {r.state["arn"]: r for r in parts(stack, key, ROLE)}[part(stack, key, TASK_DEFINITION).get(
        "executionRoleArn")]
    [policy] = [p for p in parts(stack, key, ROLE_POLICY) if p.get("role") == execution.id]
    resources = {r for s in json.loads(policy.get("policy"))["Statement"] for r in
                 ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])}
    assert resources == {in_platform(stack, REPOSITORY).state["arn"], "*",
                         f"{part(stack, key, LOG_GROUP).state['arn']}:*"}


# --- scaling -------------------------------------------------------------------------------------------------

def scaling_target(capture: Capture, key: str) -> Resource:
    return part(capture, key, SCALING_TARGET)


def policies_of(capture: Capture, key: str) -> dict[str, Resource]:
    return {p.name.removeprefix(f"{component(capture, key).name}-"): p for p in parts(capture, key, SCALING_POLICY)}


@pytest.mark.parametrize("key", SERVICES)
def test_autoscaling_holds_the_service_between_its_configured_bounds(stack: Capture, key: str):
    config, target = size(stack, key), scaling_target(stack, key)
    assert (target.get("minCapacity"), target.get("maxCapacity")) == (config.min_count, config.max_count)
    service = part(stack, key, SERVICE)
    assert target.get("resourceId") == f"service/{in_platform(stack, CLUSTER).state['name']}/{service.state['name']}"
    assert (target.get("serviceNamespace"), target.get("scalableDimension")) == ("ecs", "ecs:service:DesiredCount")
    for policy in policies_of(stack, key).values():
        assert policy.get("resourceId") == target.get("resourceId")


@pytest.mark.parametrize("key", APIS)
def test_apis_track_cpu_and_memory_scaling_out_fast_and_in_slowly(stack: Capture, key: str):
    config = size(stack, key)
    if config.min_count == config.max_count:
        assert policies_of(stack, key) == {}, "a fixed count needs no tracking (its alarms bill for nothing)"
        return
    tracked = {}
    for policy in policies_of(stack, key).values():
        assert policy.get("policyType") == "TargetTrackingScaling"
        tracking = policy.get("targetTrackingScalingPolicyConfiguration")
        tracked[tracking["predefinedMetricSpecification"]["predefinedMetricType"]] = tracking
    assert {m: t["targetValue"] for m, t in tracked.items()} == {
        "ECSServiceAverageCPUUtilization": config.cpu_target_percent,
        "ECSServiceAverageMemoryUtilization": config.memory_target_percent}
    for tracking in tracked.values():
        assert 60 <= tracking["scaleOutCooldown"] <= 180  # out fast
        assert 300 <= tracking["scaleInCooldown"] <= 900  # in slowly


def queue_name(capture: Capture) -> str:
    return capture.one(QUEUE, where=lambda q: q.parent == capture.one("webstack:queue:WorkerQueue").urn
                       and not q.name.endswith("-dlq")).state["name"]


def test_dev_worker_starts_from_zero_when_a_job_waits_and_stops_when_the_queue_is_empty(dev: Capture):
    config = size(dev, "worker")
    assert (config.min_count, config.max_count) == (0, 1)
    # Without Container Insights there is no running-task count to divide the backlog by: one task, on or off.
    assert platform_config(dev).container_insights == "off"
    policies = policies_of(dev, "worker")
    assert set(policies) == {"scale-from-zero", "scale-to-zero"}
    for short, capacity in (("scale-from-zero", 1), ("scale-to-zero", 0)):
        step = policies[short].get("stepScalingPolicyConfiguration")
        assert policies[short].get("policyType") == "StepScaling" and step["adjustmentType"] == "ExactCapacity"
        assert [s["scalingAdjustment"] for s in step["stepAdjustments"]] == [capacity]

    waiting = named(dev, "worker", "jobs-waiting")
    assert waiting.get("alarmActions") == [policies["scale-from-zero"].state["arn"]]
    [jobs] = waiting.get("metricQueries")
    assert jobs["returnData"] is True and jobs["metric"]["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert jobs["metric"]["dimensions"] == {"QueueName": queue_name(dev)}
    assert (waiting.get("comparisonOperator"), waiting.get("threshold")) == ("GreaterThanThreshold", 0)

    empty = named(dev, "worker", "queue-empty")
    assert empty.get("alarmActions") == [policies["scale-to-zero"].state["arn"]]
    metrics = {q["metric"]["metricName"] for q in empty.get("metricQueries") if "metric" in q}
    # A job in flight keeps the task: only an empty queue with nothing being worked on stops it.
    assert metrics == {"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible"}
    assert (empty.get("comparisonOperator"), empty.get("threshold")) == ("LessThanOrEqualToThreshold", 0)
    assert empty.get("evaluationPeriods") * 60 == config.scale_in_cooldown_seconds
    assert empty.get("treatMissingData") == "breaching"  # an idle queue publishes nothing


def test_prd_worker_tracks_the_backlog_per_running_task_from_container_insights(prd: Capture):
    config = size(prd, "worker")
    assert config.min_count == 1 and platform_config(prd).container_insights == "on"
    policies = policies_of(prd, "worker")
    assert set(policies) == {"scale-backlog"}  # minCount 1: tracking never has to leave zero
    tracking = policies["scale-backlog"].get("targetTrackingScalingPolicyConfiguration")
    assert tracking["targetValue"] == config.backlog_per_task
    metrics = {m["id"]: m for m in tracking["customizedMetricSpecification"]["metrics"]}
    assert metrics["jobs"]["metricStat"]["metric"] == {
        "namespace": "AWS/SQS", "metricName": "ApproximateNumberOfMessagesVisible",
        "dimensions": [{"name": "QueueName", "value": queue_name(prd)}]}
    assert metrics["running"]["metricStat"]["metric"] == {
        "namespace": "ECS/ContainerInsights", "metricName": "RunningTaskCount",
        "dimensions": [{"name": "ClusterName", "value": in_platform(prd, CLUSTER).state["name"]},
                       {"name": "ServiceName", "value": part(prd, "worker", SERVICE).state["name"]}]}
    # Jobs per running task, never divided by zero.
    assert metrics["backlog"]["expression"] == "jobs / MAX([FILL(running, 0), 1])"
    assert [m["id"] for m in metrics.values() if m["returnData"]] == ["backlog"]


def test_a_worker_with_container_insights_and_min_count_zero_both_tracks_and_wakes_from_zero():
    capture = standalone_worker(container_insights="on", min_count=0)
    policies = {p.name.removeprefix("webstack-test-worker-"): p for p in capture.of_type(SCALING_POLICY)}
    assert set(policies) == {"scale-backlog", "scale-from-zero"}  # tracking scales in to zero itself
    waiting = capture.named("webstack-test-worker-jobs-waiting")
    [idle] = [q for q in waiting.get("metricQueries") if q["returnData"]]
    # Only "jobs wait and no task runs" starts one; with a task running, tracking takes over.
    assert idle["expression"] == "IF(FILL(running, 0) == 0, jobs, 0)"


# --- alarms --------------------------------------------------------------------------------------------------

def alarms_of(capture: Capture, key: str) -> dict[str, Resource]:
    return {a.name.removeprefix(f"{component(capture, key).name}-"): a for a in parts(capture, key, ALARM)}


@pytest.mark.parametrize("key", SERVICES)
def test_every_alarm_says_what_it_means_and_what_to_look_at_first(stack: Capture, key: str):
    vague = {name: a.get("alarmDescription") for name, a in alarms_of(stack, key).items()
             if not says_what_it_means_and_where_to_look(a.get("alarmDescription"))}
    assert vague == {}
    # dev's worker has its scaling alarms; prd's (never below one task) the alarm on tasks it cannot start.
    assert alarms_of(stack, key)


@pytest.mark.parametrize("key", SERVICES)
def test_alarms_notify_the_topic_and_scaling_alarms_scale(stack: Capture, key: str):
    scaling = {p.state["arn"] for p in parts(stack, key, SCALING_POLICY)}
    for name, alarm in alarms_of(stack, key).items():
        actions = alarm.get("alarmActions")
        if set(actions) <= scaling:
            assert len(actions) == 1 and "Scaling alarm" in alarm.get("alarmDescription"), name
        else:
            assert actions == [topic_arn(stack)] and alarm.get("okActions") == [topic_arn(stack)], name


@pytest.mark.parametrize("key", APIS)
def test_every_target_group_alarms_on_unhealthy_targets(stack: Capture, key: str):
    for group in parts(stack, key, TARGET_GROUP):
        colour = group.name.rsplit("-", 1)[-1]
        alarm = alarms_of(stack, key)[f"{colour}-unhealthy"]
        assert (alarm.get("namespace"), alarm.get("metricName")) == ("AWS/ApplicationELB", "UnHealthyHostCount")
        assert alarm.get("dimensions") == {"LoadBalancer": in_platform(stack, "aws:lb/loadBalancer:LoadBalancer")
                                           .state["arnSuffix"], "TargetGroup": group.state["arnSuffix"]}


@pytest.mark.parametrize("key", APIS)
def test_prd_deployment_alarms_watch_both_colours(prd: Capture, key: str):
    groups = {g.state["arnSuffix"] for g in parts(prd, key, TARGET_GROUP)}
    errors, latency = alarms_of(prd, key)["release-5xx"], alarms_of(prd, key)["release-p99"]
    for alarm, metrics in ((errors, {"HTTPCode_Target_5XX_Count", "RequestCount"}), (latency, {"TargetResponseTime"})):
        queried = [q["metric"] for q in alarm.get("metricQueries") if "metric" in q]
        assert {m["metricName"] for m in queried} == metrics
        assert {m["dimensions"]["TargetGroup"] for m in queried} == groups
        assert [q["id"] for q in alarm.get("metricQueries") if q["returnData"]] == ["worst"]
    # 5xx as a share of each colour's own requests (no traffic is no failure), so a canary's errors are not diluted
    # by the old revision's traffic; the worse colour's rate, and the slower colour's p99.
    assert (errors.get("threshold"), latency.get("threshold")) == (5, 1.0)
    queries = {q["id"]: q for q in errors.get("metricQueries")}
    colour = {q["id"]: q["metric"]["dimensions"]["TargetGroup"] for q in queries.values() if "metric" in q}
    rates = {i: q["expression"] for i, q in queries.items() if "expression" in q and i != "worst"}
    assert len(rates) == len(groups)
    for expression in rates.values():
        referenced = {colour[i] for i in colour if f"({i}," in expression}
        assert len(referenced) == 1 and expression.startswith("100 * FILL(errors"), expression
    assert queries["worst"]["expression"] == "MAX([" + ", ".join(rates) + "])"


@pytest.mark.parametrize("key", APIS)
def test_the_tasks_missing_alarm_exists_only_where_container_insights_counts_tasks(stack: Capture, key: str):
    missing = alarms_of(stack, key).get("tasks-missing")
    if platform_config(stack).container_insights == "off":
        assert missing is None
        return
    queried = {q["metric"]["metricName"]: q["metric"] for q in missing.get("metricQueries") if "metric" in q}
    assert set(queried) == {"RunningTaskCount", "DesiredTaskCount"}
    assert all(m["namespace"] == "ECS/ContainerInsights" for m in queried.values())
    assert all(m["dimensions"]["ServiceName"] == part(stack, key, SERVICE).state["name"] for m in queried.values())
    assert missing.get("treatMissingData") == "breaching"  # Insights reports a running service every minute


def test_prd_has_a_tasks_missing_alarm_per_api_and_dev_none(dev: Capture, prd: Capture):
    assert [k for k in APIS if "tasks-missing" in alarms_of(prd, k)] == list(APIS)
    assert [k for k in SERVICES if "tasks-missing" in alarms_of(dev, k)] == []


# --- what the stack exports ----------------------------------------------------------------------------------

def test_stack_exports_each_service_its_task_definition_and_log_group(stack: Capture):
    assert stack.outputs["services"] == {
        key: {"name": part(stack, key, SERVICE).state["name"],
              "taskDefinitionArn": part(stack, key, TASK_DEFINITION).state["arn"],
              "logGroupName": part(stack, key, LOG_GROUP).get("name")} for key in SERVICES}


def test_load_balancer_names_of_every_service_fit_with_pulumi_suffix(stack: Capture):
    for key in APIS:
        for group in parts(stack, key, TARGET_GROUP):
            assert len(group.name) + 8 <= 32, group.name


# --- the component on its own --------------------------------------------------------------------------------

def _platform(container_insights: str = "on", architecture: str = "ARM64") -> FargatePlatform:
    return FargatePlatform("webstack-test", FargatePlatformArgs(
        config=PlatformConfig.model_validate({"containerInsights": container_insights, "imageTag": "3f2c1ab",
                                              "cpuArchitecture": architecture}),
        region=REGION, vpc_id="vpc-1", ingress_subnet_ids=["subnet-a", "subnet-b"], alarm_topic_arn=TOPIC))


def _service(platform: FargatePlatform, name: str, size_: ServiceConfig | WorkerServiceConfig, **args: Any
             ) -> FargateService:
    return FargateService(name, FargateServiceArgs(
        platform=platform, size=size_, command=["python", "-m", "app.api"], environment={"TABLE_NAME": "items"},
        grants=[], purpose="read the catalogue", subnet_ids=["subnet-c", "subnet-d"], **args))


def run_service(build: Callable[[FargatePlatform], Any], container_insights: str = "on") -> Capture:
    def program() -> None:
        build(_platform(container_insights))

    return run_program(program)


@cache
def standalone_api(release: str, token: str | None = None) -> Capture:
    config = ServiceConfig.model_validate({"release": release, "canaryPercent": 20, "linearStepPercent": 30,
                                           "stepMinutes": 3, "bakeMinutes": 15})
    return run_service(lambda p: _service(p, "webstack-test-api", config, route=Route(["/api/*"], 2),
                                          release_probe_token=token))


@cache
def standalone_worker(container_insights: str, min_count: int) -> Capture:
    config = WorkerServiceConfig.model_validate({"minCount": min_count, "maxCount": 1})
    return run_service(lambda p: _service(p, "webstack-test-worker", config, queue=QueueScaling(queue_name="jobs")),
                       container_insights)


@pytest.mark.parametrize("release, expected", [
    ("blueGreen", {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15"}),
    ("canary", {"strategy": "CANARY", "bakeTimeInMinutes": "15",
                "canaryConfiguration": {"canaryPercent": 20, "canaryBakeTimeInMinutes": "3"}}),
    ("linear", {"strategy": "LINEAR", "bakeTimeInMinutes": "15",
                "linearConfiguration": {"stepPercent": 30, "stepBakeTimeInMinutes": "3"}}),
    ("rolling", {"strategy": "ROLLING"}),
])
def test_the_release_setting_becomes_the_deployment_strategy(release: str, expected: dict[str, Any]):
    capture = standalone_api(release)
    service = capture.one(SERVICE)
    assert service.get("deploymentConfiguration") == expected
    # Every strategy but rolling moves traffic between two target groups and watches the deployment alarms.
    assert len(capture.of_type(TARGET_GROUP)) == (1 if release == "rolling" else 2)
    assert bool(service.get("alarms")) is (release != "rolling")
    assert bool(service.get("loadBalancers")[0].get("advancedConfiguration")) is (release != "rolling")


def test_a_service_given_a_probe_token_admits_that_one_and_otherwise_the_platforms():
    given = standalone_api("blueGreen", token="0123456789abcdef0123456789abcdef")
    rule = given.named("webstack-test-api-release-probe")
    assert {"httpHeader": {"httpHeaderName": PROBE_HEADER, "values": ["0123456789abcdef0123456789abcdef"]}} in \
        rule.get("conditions")
    default = standalone_api("blueGreen").named("webstack-test-api-release-probe")
    [header] = [c["httpHeader"] for c in default.get("conditions") if "httpHeader" in c]
    alb = standalone_api("blueGreen").one("aws:lb/loadBalancer:LoadBalancer")
    assert header["values"] != ["0123456789abcdef0123456789abcdef"] and alb.state["arn"] not in header["values"]


@pytest.mark.parametrize("extra", [{}, {"route": Route(["/api/*"], 2), "queue": QueueScaling(queue_name="jobs")}],
                         ids=["neither", "both"])
def test_a_service_needs_exactly_one_of_a_route_and_a_queue(extra: dict[str, Any]):
    with pytest.raises(StackRunFailed) as failure:
        run_service(lambda p: _service(p, "webstack-test-x", ServiceConfig(), **extra))
    assert "exactly one of route" in str(failure.value.error)
    assert [r for r in failure.value.capture.resources if r.parent.endswith("::webstack-test-x")] == []


def test_an_overlong_service_name_is_refused_before_it_declares_anything():
    with pytest.raises(StackRunFailed) as failure:
        run_service(lambda p: _service(p, "webstack-test-catalogue", ServiceConfig(), route=Route(["/api/*"], 2)))
    assert "too long" in str(failure.value.error)
    assert [r for r in failure.value.capture.resources if r.type == SERVICE_COMPONENT] == []


# --- configuration -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("section, override, key", [
    ("webstack:api", {"cpu": 256, "memory": 4096}, "webstack:api.memory"),
    ("webstack:api", {"cpu": 300}, "webstack:api.cpu"),
    ("webstack:api", {"minCount": 1, "desiredCount": 5, "maxCount": 3}, "webstack:api.desiredCount"),
    ("webstack:api", {"minCount": 4, "desiredCount": 4, "maxCount": 2}, "webstack:api.maxCount"),
    ("webstack:api", {"desiredCount": 0}, "webstack:api.desiredCount"),
    ("webstack:api", {"scaleOutCooldownSeconds": 600}, "webstack:api.scaleOutCooldownSeconds"),
    ("webstack:api", {"scaleInCooldownSeconds": 60}, "webstack:api.scaleInCooldownSeconds"),
    ("webstack:api", {"capacityProvider": "EC2"}, "webstack:api.capacityProvider"),
    ("webstack:api", {"release": "bluegreen"}, "webstack:api.release"),
    ("webstack:api", {"desiredcount": 2}, "webstack:api.desiredcount"),
    ("webstack:admin", {"allowedCidrs": ["203.0.113.0/24"], "service": {"cpu": 300}}, "webstack:admin.service.cpu"),
    ("webstack:worker", {"service": {"stopTimeoutSeconds": 130}}, "webstack:worker.service.stopTimeoutSeconds"),
    ("webstack:worker", {"service": {"minCount": 3, "maxCount": 2}}, "webstack:worker.service.maxCount"),
])
def test_bad_service_config_fails_before_any_resource_naming_the_key(section: str, override: dict[str, Any],
                                                                     key: str):
    with pytest.raises(StackRunFailed) as failure:
        run_stack("prd", {section: override})
    assert f"{key} " in str(failure.value.error) or f"{key}:" in str(failure.value.error), failure.value.error
    assert failure.value.capture.custom_resources == []


def test_a_worker_past_one_task_without_container_insights_is_refused():
    # Scaling past one task divides the backlog by the running count, which only Container Insights publishes.
    with pytest.raises(StackRunFailed) as failure:
        run_stack("dev", {"webstack:worker": {"service": {"minCount": 0, "maxCount": 2}}})
    assert "webstack:worker.service.maxCount = 2" in str(failure.value.error)
    assert failure.value.capture.custom_resources == []


def test_x86_platform_runs_x86_task_definitions():
    def program() -> None:
        _service(_platform(architecture="X86_64"), "webstack-test-api", ServiceConfig(), route=Route(["/api/*"], 2))

    assert run_program(program).one(TASK_DEFINITION).get("runtimePlatform.cpuArchitecture") == "X86_64"


def test_a_good_size_override_reaches_the_task_definition():
    def program() -> None:
        platform = _platform()
        _service(platform, "webstack-test-api", ServiceConfig.model_validate(
            {"cpu": 1024, "memory": 3072, "minCount": 2, "desiredCount": 2, "maxCount": 4}),
                 route=Route(["/api/*"], 2))

    capture = run_program(program)
    task = capture.one(TASK_DEFINITION)
    assert (task.get("cpu"), task.get("memory")) == ("1024", "3072")
    assert (capture.one(SCALING_TARGET).get("minCapacity"), capture.one(SCALING_TARGET).get("maxCapacity")) == (2, 4)
