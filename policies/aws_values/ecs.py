"""ECS: CreateCluster, PutClusterCapacityProviders, CreateService and RegisterTaskDefinition, including the container
definitions, which the provider decodes into ECS's `ContainerDefinition` shape.

The provider silently drops a container-definition key it does not know, so a misspelt key (`"healthcheck"`,
`"readOnlyRootFilesystem"`) deploys as if it were absent. `aws-ecs-container-definitions-shape` checks the JSON
against the shape itself: unknown keys, types, enumerations and required members, plus the bounds the API reference
gives for the health check.

Fargate Spot and ARM64: the ECS Developer Guide's Fargate capacity provider considerations still say Linux tasks
with the ARM64 architecture don't support the Fargate Spot capacity provider, while the ECS API reference states no
such limit and AWS announced Graviton support on Fargate Spot in September 2024. The rule follows the newer sources
and admits ARM64 on FARGATE_SPOT; should a region refuse it, the documented fallback is
`capacityProvider: FARGATE` (or `webstack:platform.cpuArchitecture: X86_64`), see README.md.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from ..core import (
    MANDATORY,
    as_json,
    as_list,
    describe,
    each_known,
    get,
    is_mapping,
    known,
    resource_policy,
    stack_policy,
)
from .fields import (
    DOCUMENT,
    NAME,
    PORT,
    VALUE,
    AutoName,
    Request,
    Rule,
    Tagging,
    at_most,
    between,
    compact_json,
    fields,
    matches,
    one_of,
)
from .model import Checker

API = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference"
GUIDE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide"

CLUSTER = "aws:ecs/cluster:Cluster"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
CLUSTER_CAPACITY_PROVIDERS = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"


def _ecs_name(member: str) -> Rule:
    return matches(r"[A-Za-z0-9_-]{1,255}", "1 to 255 letters, digits, underscores or hyphens", f"{API}/API_{member}",
                   quote="Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are "
                         "allowed")


def _assign_public_ip(value: Any) -> str:
    return "ENABLED" if value else "DISABLED"


TAGS = Tagging("ecs", "TagKey", "TagValue", rules=(
    matches(r"(?i)(?!aws:).*", "allowed to begin with aws:", f"{API}/API_Tag.html key",
            quote="Do not use aws: , AWS: , or any upper or lowercase combination of such as a prefix"),))

STRATEGY = ("capacityProvider", "weight", "base")

REQUESTS = {
    CLUSTER: Request((
        *fields("ecs", NAME, ("name", "CreateCluster.clusterName",
                              {"rules": (_ecs_name("CreateCluster.html clusterName"),), "autoname": AutoName(255)})),
        *fields("ecs", VALUE, ("settings[].name", "ClusterSetting.name"),
                ("settings[].value", "ClusterSetting.value", {"rules": (one_of(
                    ("enhanced", "enabled", "disabled"), f"{API}/API_ClusterSetting.html value",
                    quote="The supported values are enhanced , enabled , and disabled"),)})),
    ), tags=TAGS),
    CLUSTER_CAPACITY_PROVIDERS: Request(fields(
        "ecs", VALUE, ("capacityProviders[]", "PutClusterCapacityProviders.capacityProviders[]"),
        *((f"defaultCapacityProviderStrategies[].{key}", f"CapacityProviderStrategyItem.{key}") for key in STRATEGY)),
        unchecked=("clusterName",)),
    SERVICE: Request((
        *fields("ecs", NAME, ("name", "CreateService.serviceName",
                              {"rules": (_ecs_name("CreateService.html serviceName"),), "autoname": AutoName(255)})),
        *fields("ecs", PORT, ("loadBalancers[].containerPort", "LoadBalancer.containerPort",
                              {"rules": (between(1, 65535, f"{API}/API_LoadBalancer.html containerPort"),)})),
        *fields("ecs", VALUE,
                ("desiredCount", "CreateService.desiredCount"),
                *((f"capacityProviderStrategies[].{key}", f"CapacityProviderStrategyItem.{key}") for key in STRATEGY),
                ("platformVersion", "CreateService.platformVersion"),
                ("networkConfiguration.assignPublicIp", "AwsVpcConfiguration.assignPublicIp",
                 {"to_api": _assign_public_ip}),
                ("loadBalancers[].containerName", "LoadBalancer.containerName",
                 {"rules": (replace(_ecs_name("ContainerDefinition.html name"), quote=""),)}),
                ("deploymentMaximumPercent", "DeploymentConfiguration.maximumPercent"),
                ("deploymentMinimumHealthyPercent", "DeploymentConfiguration.minimumHealthyPercent"),
                ("deploymentCircuitBreaker.enable", "DeploymentCircuitBreaker.enable"),
                ("deploymentCircuitBreaker.rollback", "DeploymentCircuitBreaker.rollback"),
                ("healthCheckGracePeriodSeconds", "CreateService.healthCheckGracePeriodSeconds",
                 {"rules": (between(0, 2_147_483_647,
                                    f"{API}/API_CreateService.html healthCheckGracePeriodSeconds"),)}),
                ("propagateTags", "CreateService.propagateTags"),
                ("enableEcsManagedTags", "CreateService.enableECSManagedTags"),
                ("enableExecuteCommand", "CreateService.enableExecuteCommand"),
                ("deploymentConfiguration.strategy", "DeploymentConfiguration.strategy"),
                ("deploymentConfiguration.lifecycleHooks[].lifecycleStages",
                 "DeploymentLifecycleHook.lifecycleStages"),
                # The provider takes the bake time as text and sends a number.
                ("deploymentConfiguration.bakeTimeInMinutes", "DeploymentConfiguration.bakeTimeInMinutes",
                 {"to_api": int}),
                ("alarms.alarmNames", "DeploymentAlarms.alarmNames"), ("alarms.enable", "DeploymentAlarms.enable"),
                ("alarms.rollback", "DeploymentAlarms.rollback")),
    ), tags=TAGS, unchecked=("cluster", "taskDefinition", "loadBalancers", "networkConfiguration",
                             "waitForSteadyState",
                             # The release probe's function and the role ECS invokes it with: references, plain
                             # strings in the model.
                             "deploymentConfiguration.lifecycleHooks[].hookTargetArn",
                             "deploymentConfiguration.lifecycleHooks[].roleArn")),
    TASK_DEFINITION: Request((
        *fields("ecs", NAME, ("family", "RegisterTaskDefinition.family",
                              {"rules": (_ecs_name("RegisterTaskDefinition.html family"),)}),
                ("volumes[].name", "Volume.name", {"rules": (_ecs_name("Volume.html name"),)})),
        *fields("ecs", VALUE,
                ("cpu", "RegisterTaskDefinition.cpu"), ("memory", "RegisterTaskDefinition.memory"),
                ("networkMode", "RegisterTaskDefinition.networkMode"),
                ("requiresCompatibilities[]", "RegisterTaskDefinition.requiresCompatibilities[]"),
                ("runtimePlatform.cpuArchitecture", "RuntimePlatform.cpuArchitecture"),
                ("runtimePlatform.operatingSystemFamily", "RuntimePlatform.operatingSystemFamily")),
        # The shape of the definitions is aws-ecs-container-definitions-shape's; their size is a document rule.
        *fields("ecs", DOCUMENT, ("containerDefinitions", "RegisterTaskDefinition.containerDefinitions", {
            "model": False, "to_api": compact_json, "rules": (at_most(
                64 * 1024, f"{GUIDE}/service-quotas.html (Task definition size: 64 KiB)", unit="bytes",
                measure=lambda text: len(text.encode())),)})),
    ), tags=TAGS, unchecked=("taskRoleArn", "executionRoleArn")),
}


# --- container definitions ----------------------------------------------------------------------------------------

# The health check's bounds, which the model documents only in words.
CONTAINER_RULES = {
    ("HealthCheck", member): between(low, high, f"{API}/API_HealthCheck.html {member}",
                                     quote=f"between {low} and {high}")
    for member, low, high in (("interval", 5, 300), ("timeout", 2, 60), ("retries", 1, 10), ("startPeriod", 0, 300))
}
CONTAINER_RULES[("ContainerDefinition", "name")] = _ecs_name("ContainerDefinition.html name")
CONTAINER_OVERLAYS = {key: ((rule.check, rule.source),) for key, rule in CONTAINER_RULES.items()}
CONTAINER_SOURCE = "botocore ecs RegisterTaskDefinition.containerDefinitions (ContainerDefinition)"


def _container_definitions(args: ResourceValidationArgs) -> Any:
    return as_json(get(args.props, "containerDefinitions"))


def container_definitions_shape(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    definitions = _container_definitions(args)
    if definitions is None:
        report_violation(f"{describe(args)}: containerDefinitions is not JSON the provider can decode.", None)
        return
    checker = Checker("ecs", overlays=CONTAINER_OVERLAYS)
    for problem in checker.check(definitions, "ContainerDefinitions", "containerDefinitions"):
        report_violation(f"{describe(args)}: {problem} [{problem.source or CONTAINER_SOURCE}].", None)


# --- Fargate task size ---------------------------------------------------------------------------------------------

# CPU units → the memory sizes (MiB) Fargate offers with them (ECS Developer Guide, "Task CPU and memory").
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
FARGATE_SIZES = f"{GUIDE}/fargate-tasks-services.html#fargate-tasks-size"


def _units(value: Any, unit: str, per_unit: int) -> int | None:
    """ECS takes CPU as units or "0.5 vCPU", memory as MiB or "1 GB"."""
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    found = re.fullmatch(rf"(\d+(?:\.\d+)?)\s*{unit}", text, flags=re.IGNORECASE)
    return round(float(found.group(1)) * per_unit) if found else None


def fargate_cpu_memory_pair(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if "FARGATE" not in [str(c) for c in as_list(get(args.props, "requiresCompatibilities"))]:
        return
    cpu = _units(get(args.props, "cpu"), "vcpu", 1024)
    memory = _units(get(args.props, "memory"), "gb", 1024)
    if cpu not in FARGATE_MEMORY_BY_CPU:
        report_violation(f"{describe(args)}: Fargate offers no task with cpu = {get(args.props, 'cpu')!r}; it offers "
                         f"{', '.join(map(str, FARGATE_MEMORY_BY_CPU))} CPU units [{FARGATE_SIZES}].", None)
        return
    allowed = FARGATE_MEMORY_BY_CPU[cpu]
    if memory not in allowed:
        report_violation(f"{describe(args)}: Fargate offers no task with cpu = {cpu} and memory = "
                         f"{get(args.props, 'memory')!r}; with {cpu} CPU units it offers "
                         f"{', '.join(map(str, allowed))} MiB [{FARGATE_SIZES}].", None)


# --- Fargate Spot ----------------------------------------------------------------------------------------------------

FARGATE_SPOT_SOURCES = (
    f"{GUIDE}/fargate-capacity-providers.html (Windows containers on Fargate don't support Fargate Spot; Linux "
    "tasks need platform version 1.3.0 or later); ARM64 allowed following "
    "https://aws.amazon.com/about-aws/whats-new/2024/09/amazon-ecs-graviton-spot-compute-fargate/ and "
    f"{API}/API_CapacityProviderStrategyItem.html, newer than the guide's ARM64 restriction")


def _uses_fargate_spot(service: PolicyResource) -> bool:
    return any(get(item, "capacityProvider") == "FARGATE_SPOT"
               for item in as_list(get(service.props, "capacityProviderStrategies")))


def _task_definition_of(service: PolicyResource) -> PolicyResource | None:
    return next((r for r in service.property_dependencies.get("taskDefinition", [])
                 if r.resource_type == TASK_DEFINITION), None)


def _platform_version_problem(version: Any) -> str | None:
    text = str(version or "LATEST")
    found = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    if text == "LATEST" or (found and tuple(map(int, found.groups())) >= (1, 3, 0)):
        return None
    return f"platform version {text}, older than the 1.3.0 Fargate Spot needs"


def fargate_spot_platform(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(service: PolicyResource) -> None:
        task = _task_definition_of(service)
        platform = get(task.props, "runtimePlatform") if task is not None else None
        family = str(get(platform, "operatingSystemFamily") or "LINUX") if is_mapping(platform) else "LINUX"
        if family.startswith("WINDOWS"):
            report_violation(f"Service {service.name} runs {family} tasks ({task.name if task else '?'}) on "
                             f"FARGATE_SPOT, which runs Linux tasks only [{FARGATE_SPOT_SOURCES}].", service.urn)
        problem = _platform_version_problem(known(service.props, "platformVersion"))
        if problem:
            report_violation(f"Service {service.name} uses FARGATE_SPOT with {problem} [{FARGATE_SPOT_SOURCES}].",
                             service.urn)

    each_known([r for r in args.resources if r.resource_type == SERVICE and _uses_fargate_spot(r)], judge)


POLICIES = [
    resource_policy(
        "aws-ecs-container-definitions-shape", container_definitions_shape, types=(TASK_DEFINITION,),
        level=MANDATORY,
        description="Container definitions match ECS's ContainerDefinition shape: no unknown or misspelt key (the "
                    "provider would drop it silently), every value of its member's type, enumeration and bounds, "
                    "health-check bounds per the API reference (botocore ecs ContainerDefinition; ECS API "
                    "reference, HealthCheck).",
        fix="Spell the key as ECS does (the message names the shape's members and the closest one); keep "
            "healthCheck interval 5-300, timeout 2-60, retries 1-10, startPeriod 0-300."),
    resource_policy(
        "aws-fargate-cpu-memory-pair", fargate_cpu_memory_pair, types=(TASK_DEFINITION,), level=MANDATORY,
        description="A Fargate task's cpu and memory are a pair Fargate offers (ECS Developer Guide, Task CPU and "
                    "memory).",
        fix="Pick a pair from the table, e.g. 256/512, 512/1024, 1024/2048 (webstack:api cpu and memory)."),
    stack_policy(
        "aws-fargate-spot-platform", fargate_spot_platform, level=MANDATORY,
        description="A service on FARGATE_SPOT runs Linux tasks on platform version 1.3.0 or later (ECS Developer "
                    "Guide, Fargate capacity providers). ARM64 is allowed: the rule follows the ECS API reference "
                    "and the September 2024 announcement of Graviton on Fargate Spot, newer than the guide's "
                    "statement that ARM64 tasks can't use it; fallback: capacityProvider FARGATE or "
                    "webstack:platform cpuArchitecture X86_64.",
        fix="Run Windows tasks on FARGATE; should a region refuse ARM64 on Spot, set the service's capacityProvider "
            "to FARGATE (or webstack:platform.cpuArchitecture to X86_64)."),
]

