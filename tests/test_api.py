"""FargateApi, as the real dev and prd stacks declare it: the request path, the container, scaling and alarms."""

import json
from pathlib import Path
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
import pytest

from components.api import (CONTAINER_PORT, HEALTH_PATH, LISTENER_PORT, MAX_LB_LOGICAL_NAME, FargateApi, FargateApiArgs,
                            build_context_tag)
from stack_config.api import ApiConfig
from mock_engine import (CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, ELB_ACCOUNT_ID, Capture, Resource, StackRunFailed,
                           run_program, run_stack, statements)

API = "webstack:api:FargateApi"
ALB = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
CLUSTER = "aws:ecs/cluster:Cluster"
CAPACITY = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KMS_KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
BUILT_IMAGE = "awsx:ecr:Image"
TASK_ROLES = "webstack:iam:TaskRoles"
ROLE = "aws:iam/role:Role"
SUBNET = "aws:ec2/subnet:Subnet"
OPEN_CIDRS_KEYS = ("cidrIpv4", "cidrIpv6", "cidrBlocks", "ipv6CidrBlocks")


def api_of(capture: Capture) -> Resource:
    return capture.one(API)


def part(capture: Capture, type_: str) -> Resource:
    """The one resource of `type_` inside the FargateApi component."""
    found = [r for r in capture.descendants_of(api_of(capture)) if r.type == type_]
    assert len(found) == 1, f"expected one {type_} in FargateApi, found {found}"
    return found[0]


def parts(capture: Capture, type_: str) -> list[Resource]:
    return [r for r in capture.descendants_of(api_of(capture)) if r.type == type_]


def container(capture: Capture) -> dict[str, Any]:
    definitions = json.loads(part(capture, TASK_DEFINITION).get("containerDefinitions"))
    assert len(definitions) == 1, definitions
    return definitions[0]


def api_config(capture: Capture) -> dict[str, Any]:
    return capture.config["webstack:api"]


def subnet_ids(capture: Capture, tier: str) -> list[str]:
    return sorted(s.id for s in capture.of_type(SUBNET) if s.get("tags.tier") == tier)


def cidr_ingress(capture: Capture) -> list[tuple[Resource, Any]]:
    """Every way the stack could admit traffic from an address range, in every rule form AWS offers."""
    found = []
    for rule in capture.of_type(INGRESS_RULE):
        found += [(rule, rule.get(key)) for key in ("cidrIpv4", "cidrIpv6") if rule.get(key)]
    for rule in capture.of_type(LEGACY_RULE):
        if rule.get("type") == "ingress":
            found += [(rule, rule.get(key)) for key in ("cidrBlocks", "ipv6CidrBlocks") if rule.get(key)]
    for group in capture.of_type(SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for inline in group.get("ingress") or []:
            found += [(group, inline.get(key)) for key in ("cidrBlocks", "ipv6CidrBlocks") if inline.get(key)]
    return found


def ingress_into(capture: Capture, group: Resource) -> list[Resource]:
    return [r for r in capture.of_type(INGRESS_RULE) if r.get("securityGroupId") == group.id]


def egress_from(capture: Capture, group: Resource) -> list[Resource]:
    return [r for r in capture.of_type(EGRESS_RULE) if r.get("securityGroupId") == group.id]


def alb_sg(capture: Capture) -> Resource:
    return capture.by_id(part(capture, ALB).get("securityGroups")[0])


def ecs_sg(capture: Capture) -> Resource:
    return [g for g in parts(capture, SECURITY_GROUP) if g.name.endswith("-ecs-sg")][0]


# --- the request path ----------------------------------------------------------------------------------------

def test_alb_is_internal_in_the_ingress_subnets(stack: Capture):
    alb = part(stack, ALB)
    assert alb.get("internal") is True
    assert alb.get("loadBalancerType") == "application"
    assert sorted(alb.get("subnets")) == subnet_ids(stack, "ingress")


def test_alb_drops_invalid_headers_and_mitigates_desync(stack: Capture):
    alb = part(stack, ALB)
    assert alb.get("dropInvalidHeaderFields") is True
    assert alb.get("desyncMitigationMode") in ("strictest", "defensive")


def test_no_security_group_anywhere_admits_a_cidr(stack: Capture):
    assert cidr_ingress(stack) == []


def test_the_cidr_check_sees_every_rule_form():
    def program() -> None:
        group = aws.ec2.SecurityGroup("probe", vpc_id="vpc-1",
                                      ingress=[{"protocol": "tcp", "from_port": 1, "to_port": 1,
                                                "cidr_blocks": ["10.0.0.0/8"]}])
        aws.ec2.DefaultSecurityGroup("probe-default", vpc_id="vpc-1",
                                     ingress=[{"protocol": "tcp", "from_port": 2, "to_port": 2,
                                               "ipv6_cidr_blocks": ["::/0"]}])
        aws.vpc.SecurityGroupIngressRule("probe-v4", security_group_id=group.id, ip_protocol="tcp", from_port=3,
                                         to_port=3, cidr_ipv4="0.0.0.0/0")
        aws.vpc.SecurityGroupIngressRule("probe-v6", security_group_id=group.id, ip_protocol="tcp", from_port=4,
                                         to_port=4, cidr_ipv6="::/0")
        aws.ec2.SecurityGroupRule("probe-legacy", type="ingress", security_group_id=group.id, protocol="tcp",
                                  from_port=5, to_port=5, cidr_blocks=["192.168.0.0/16"])
        aws.ec2.SecurityGroupRule("probe-legacy-out", type="egress", security_group_id=group.id, protocol="tcp",
                                  from_port=6, to_port=6, cidr_blocks=["0.0.0.0/0"])

    found = {resource.name for resource, _ in cidr_ingress(run_program(program))}
    assert found == {"probe", "probe-default", "probe-v4", "probe-v6", "probe-legacy"}


def test_ingress_is_exactly_the_chain_prefix_list_to_alb_to_tasks(stack: Capture):
    alb_group, ecs_group = alb_sg(stack), ecs_sg(stack)
    [into_alb] = ingress_into(stack, alb_group)
    assert into_alb.get("prefixListId") == CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST
    assert (into_alb.get("fromPort"), into_alb.get("toPort")) == (LISTENER_PORT, LISTENER_PORT)
    [into_tasks] = ingress_into(stack, ecs_group)
    assert into_tasks.get("referencedSecurityGroupId") == alb_group.id
    assert (into_tasks.get("fromPort"), into_tasks.get("toPort")) == (CONTAINER_PORT, CONTAINER_PORT)
    # Nothing else in the component admits traffic anywhere.
    assert {r.name for r in parts(stack, INGRESS_RULE)} == {into_alb.name, into_tasks.name}


def test_alb_sends_only_to_the_tasks_on_the_app_port(stack: Capture):
    [out] = egress_from(stack, alb_sg(stack))
    assert out.get("referencedSecurityGroupId") == ecs_sg(stack).id
    assert (out.get("ipProtocol"), out.get("fromPort"), out.get("toPort")) == ("tcp", CONTAINER_PORT,
                                                                                 CONTAINER_PORT)


def test_tasks_send_only_https(stack: Capture):
    rules = egress_from(stack, ecs_sg(stack))
    assert rules and all((r.get("ipProtocol"), r.get("fromPort"), r.get("toPort")) == ("tcp", 443, 443)
                         for r in rules)
    assert [(r.get("cidrIpv4"), r.get("prefixListId")) for r in rules] == [("0.0.0.0/0", None)]


def test_security_groups_use_standalone_rules_with_descriptions(stack: Capture):
    for group in parts(stack, SECURITY_GROUP):
        assert not group.get("ingress") and not group.get("egress"), group
        assert group.get("description")
    rules = parts(stack, INGRESS_RULE) + parts(stack, EGRESS_RULE)
    assert len(rules) == 4
    assert all(r.get("description") for r in rules), [r for r in rules if not r.get("description")]


def test_tasks_run_in_the_container_subnets_without_public_ip(stack: Capture):
    network = part(stack, SERVICE).get("networkConfiguration")
    assert network["assignPublicIp"] is False
    assert sorted(network["subnets"]) == subnet_ids(stack, "container")
    workload = stack.one(SECURITY_GROUP, where=lambda g: g.name.endswith("-workload-sg"))
    assert sorted(network["securityGroups"]) == sorted([ecs_sg(stack).id, workload.id])


def test_target_group_checks_the_health_path_of_ip_targets(stack: Capture):
    group = part(stack, TARGET_GROUP)
    assert (group.get("targetType"), group.get("port"), group.get("protocol")) == ("ip", CONTAINER_PORT, "HTTP")
    assert group.get("healthCheck.path") == HEALTH_PATH and group.get("healthCheck.matcher") == "200"
    assert 5 <= group.get("deregistrationDelay") <= 30


def test_listener_forwards_http_to_the_target_group(stack: Capture):
    listener = part(stack, LISTENER)
    assert (listener.get("port"), listener.get("protocol")) == (LISTENER_PORT, "HTTP")
    assert listener.get("loadBalancerArn") == part(stack, ALB).id
    [action] = listener.get("defaultActions")
    assert action["type"] == "forward" and action["targetGroupArn"] == part(stack, TARGET_GROUP).id


def test_load_balancer_names_fit_aws_limits_with_pulumi_suffix(stack: Capture):
    for resource in parts(stack, ALB) + parts(stack, TARGET_GROUP):
        assert len(resource.name) <= MAX_LB_LOGICAL_NAME, resource.name


# --- the service ---------------------------------------------------------------------------------------------

def test_deployments_roll_back_and_keep_capacity(stack: Capture):
    service = part(stack, SERVICE)
    assert service.get("deploymentCircuitBreaker") == {"enable": True, "rollback": True}
    assert service.get("deploymentMinimumHealthyPercent") == 100
    assert service.get("deploymentMaximumPercent") == 200
    assert service.get("healthCheckGracePeriodSeconds") > 0
    assert service.get("waitForSteadyState") is True


def test_service_runs_the_task_definition_behind_the_target_group(stack: Capture):
    service = part(stack, SERVICE)
    assert service.get("taskDefinition") == part(stack, TASK_DEFINITION).state["arn"]
    [target] = service.get("loadBalancers")
    assert target["targetGroupArn"] == part(stack, TARGET_GROUP).id
    assert (target["containerName"], target["containerPort"]) == (container(stack)["name"], CONTAINER_PORT)
    assert part(stack, LISTENER).urn in service.dependencies  # the target group must belong to an ALB first


def test_desired_count_and_exec_follow_the_stack(stack: Capture):
    service, config = part(stack, SERVICE), api_config(stack)
    assert service.get("desiredCount") == config["desiredCount"]
    assert service.get("enableExecuteCommand") is config["execEnabled"]
    assert "desiredCount" in service.ignore_changes  # autoscaling owns it after creation


def test_prd_runs_at_least_one_task_per_az_on_demand(prd: Capture):
    service = part(prd, SERVICE)
    assert service.get("desiredCount") >= prd.config["webstack:network"]["azCount"]
    assert [s["capacityProvider"] for s in service.get("capacityProviderStrategies")] == ["FARGATE"]


def test_dev_runs_one_task_on_spot(dev: Capture):
    service = part(dev, SERVICE)
    assert service.get("desiredCount") == 1
    assert [s["capacityProvider"] for s in service.get("capacityProviderStrategies")] == ["FARGATE_SPOT"]


def test_cluster_has_container_insights_and_both_fargate_providers(stack: Capture):
    cluster = part(stack, CLUSTER)
    assert {"name": "containerInsights", "value": "enabled"} in cluster.get("settings")
    capacity = part(stack, CAPACITY)
    assert capacity.get("clusterName") == cluster.state["name"]
    assert sorted(capacity.get("capacityProviders")) == ["FARGATE", "FARGATE_SPOT"]
    assert capacity.get("defaultCapacityProviderStrategies") == part(stack, SERVICE).get(
        "capacityProviderStrategies")


def test_autoscaling_tracks_cpu_and_memory_between_configured_bounds(stack: Capture):
    config = api_config(stack)
    target = part(stack, SCALING_TARGET)
    assert (target.get("minCapacity"), target.get("maxCapacity")) == (config["minCount"], config["maxCount"])
    service = part(stack, SERVICE)
    assert target.get("resourceId") == f"service/{part(stack, CLUSTER).state['name']}/{service.state['name']}"
    metrics = {}
    for policy in parts(stack, SCALING_POLICY):
        assert policy.get("policyType") == "TargetTrackingScaling"
        assert policy.get("resourceId") == target.get("resourceId")
        tracking = policy.get("targetTrackingScalingPolicyConfiguration")
        metrics[tracking["predefinedMetricSpecification"]["predefinedMetricType"]] = tracking
    assert set(metrics) == {"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"}
    for tracking in metrics.values():
        assert 60 <= tracking["scaleOutCooldown"] <= 180  # out fast
        assert 300 <= tracking["scaleInCooldown"] <= 900  # in slowly


# --- the container -------------------------------------------------------------------------------------------

def test_container_is_hardened(stack: Capture):
    spec = container(stack)
    assert spec["readonlyRootFilesystem"] is True
    user, _, group = spec["user"].partition(":")
    assert user and user not in ("0", "root") and group not in ("0", "root"), spec["user"]  # non-root, no root group
    assert spec["privileged"] is False
    assert spec["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
    assert not spec["linuxParameters"]["capabilities"].get("add")


def test_container_checks_its_own_health_endpoint(stack: Capture):
    check = container(stack)["healthCheck"]
    assert check["command"][0] == "CMD" and check["command"][1] == "python"
    assert f"http://127.0.0.1:{CONTAINER_PORT}{HEALTH_PATH}" in check["command"][-1]
    compile(check["command"][-1], "<healthCheck>", "exec")  # the probe is valid Python


def test_container_logs_to_the_stack_log_group(stack: Capture):
    logging = container(stack)["logConfiguration"]
    assert logging["logDriver"] == "awslogs"
    assert logging["options"]["awslogs-group"] == part(stack, LOG_GROUP).get("name")
    assert logging["options"]["awslogs-region"] == stack.config["aws:region"]


def test_container_listens_on_the_app_port_with_the_data_it_reads(stack: Capture):
    spec = container(stack)
    assert [m["containerPort"] for m in spec["portMappings"]] == [CONTAINER_PORT]
    env = {e["name"]: e["value"] for e in spec["environment"]}
    data = stack.one("webstack:data:DataStore")
    table = next(r for r in stack.descendants_of(data) if r.type == "aws:dynamodb/table:Table")
    bucket = next(r for r in stack.descendants_of(data) if r.type == BUCKET)
    assert env["TABLE_NAME"] == table.state["name"]
    assert env["BUCKET_NAME"] == bucket.state["bucket"]
    assert env["AWS_REGION"] == stack.config["aws:region"]
    assert env["PORT"] == str(CONTAINER_PORT)


def test_task_definition_is_fargate_sized_from_config(stack: Capture):
    task, config = part(stack, TASK_DEFINITION), api_config(stack)
    assert task.get("requiresCompatibilities") == ["FARGATE"] and task.get("networkMode") == "awsvpc"
    assert (task.get("cpu"), task.get("memory")) == (str(config["cpu"]), str(config["memory"]))
    assert task.get("runtimePlatform.cpuArchitecture") == config.get("cpuArchitecture", "ARM64")


def test_writable_mounts_exist_only_for_ecs_exec(stack: Capture):
    spec, task = container(stack), part(stack, TASK_DEFINITION)
    if api_config(stack)["execEnabled"]:
        assert {m["containerPath"] for m in spec["mountPoints"]} == {
            "/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}
    else:
        assert spec["mountPoints"] == [] and not task.get("volumes")


def test_execution_role_and_task_role_are_different_roles_of_this_api(stack: Capture):
    task = part(stack, TASK_DEFINITION)
    roles = part(stack, TASK_ROLES)
    role_arns = {r.state["arn"]: r for r in stack.descendants_of(roles) if r.type == ROLE}
    assert task.get("executionRoleArn") in role_arns and task.get("taskRoleArn") in role_arns
    assert task.get("executionRoleArn") != task.get("taskRoleArn")


def test_execution_role_may_pull_from_this_repository_and_write_this_log_group(stack: Capture):
    roles = part(stack, TASK_ROLES)
    policies = [r for r in stack.descendants_of(roles) if r.type == "aws:iam/rolePolicy:RolePolicy"]
    resources = json.dumps([statements(p.get("policy")) for p in policies])
    assert part(stack, REPOSITORY).state["arn"] in resources
    assert part(stack, LOG_GROUP).state["arn"] in resources


# --- the image -----------------------------------------------------------------------------------------------

def test_without_image_tag_the_program_builds_app_for_the_task_architecture(dev: Capture):
    assert "imageTag" not in api_config(dev)
    image = part(dev, BUILT_IMAGE)
    assert image.get("repositoryUrl") == part(dev, REPOSITORY).state["repositoryUrl"]
    assert (image.get("context"), image.get("dockerfile"), image.get("platform")) == (
        "app", "app/Dockerfile", "linux/arm64")
    assert image.get("imageTag") == build_context_tag()
    # The task runs exactly the pushed digest.
    assert container(dev)["image"] == image.state["imageUri"]
    assert "@sha256:" in container(dev)["image"]


def test_with_image_tag_the_task_runs_that_tag_and_nothing_is_built():
    capture = run_stack("prd", {"webstack:api": {"imageTag": "3f2c1ab"}})
    assert parts(capture, BUILT_IMAGE) == []
    assert container(capture)["image"] == f"{part(capture, REPOSITORY).state['repositoryUrl']}:3f2c1ab"


def standalone_api(config: ApiConfig) -> Capture:
    """FargateApi on its own, exporting what it promises its callers."""
    def program() -> None:
        api = FargateApi("webstack-test-api", FargateApiArgs(
            config=config, region="ap-northeast-1", vpc_id="vpc-1", ingress_subnet_ids=["subnet-a", "subnet-b"],
            container_subnet_ids=["subnet-c", "subnet-d"], workload_security_group_id="sg-workload",
            table_name="items", table_arn="arn:aws:dynamodb:ap-northeast-1:123456789012:table/items",
            bucket_name="images", bucket_arn="arn:aws:s3:::images"))
        for key in ("alb_arn", "alb_dns_name", "listener_arn", "listener_port", "alb_security_group_id",
                    "cluster_name", "service_name", "repository_url", "repository_name", "log_group_name",
                    "image_tag"):
            pulumi.export(key, getattr(api, key))

    return run_program(program)


@pytest.mark.parametrize("image_tag", [None, "3f2c1ab"])
def test_component_reports_the_image_tag_it_deploys_and_its_endpoints(image_tag: Optional[str]):
    capture = standalone_api(ApiConfig(image_tag=image_tag))
    assert capture.outputs["image_tag"] == (image_tag or build_context_tag())
    assert capture.outputs["listener_port"] == LISTENER_PORT
    assert capture.outputs["alb_dns_name"] == part(capture, ALB).state["dnsName"]
    assert capture.outputs["alb_security_group_id"] == alb_sg(capture).id
    assert capture.outputs["repository_url"].endswith("/" + capture.outputs["repository_name"])
    assert capture.outputs["alb_arn"] == part(capture, ALB).state["arn"]
    assert capture.outputs["listener_arn"] == part(capture, LISTENER).state["arn"]
    assert capture.outputs["cluster_name"] == part(capture, CLUSTER).state["name"]
    assert capture.outputs["service_name"] == part(capture, SERVICE).state["name"]
    assert capture.outputs["log_group_name"] == part(capture, LOG_GROUP).get("name")


def test_x86_tasks_get_an_x86_build():
    capture = run_stack("dev", {"webstack:api": {"cpuArchitecture": "X86_64"}})
    assert part(capture, BUILT_IMAGE).get("platform") == "linux/amd64"
    assert part(capture, TASK_DEFINITION).get("runtimePlatform.cpuArchitecture") == "X86_64"


def test_build_tag_follows_the_build_context(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "main.py").write_text("print('a')\n")
    first = build_context_tag(tmp_path)
    (tmp_path / "api" / "__pycache__").mkdir()
    (tmp_path / "api" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    assert build_context_tag(tmp_path) == first  # bytecode is not part of the image's source
    (tmp_path / "api" / "main.py").write_text("print('b')\n")
    assert build_context_tag(tmp_path) != first
    assert first.startswith("build-") and len(first) == len("build-") + 16


def test_build_tag_ignores_what_dockerignore_keeps_out_of_the_image(tmp_path: Path):
    (tmp_path / ".dockerignore").write_text("# the API only\n*\n!Dockerfile\n!api/\n**/*.md\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "main.py").write_text("print('a')\n")
    (tmp_path / "frontend").mkdir()
    (tmp_path / "frontend" / "index.html").write_text("<p>a</p>\n")
    first = build_context_tag(tmp_path)
    (tmp_path / "frontend" / "index.html").write_text("<p>b</p>\n")
    (tmp_path / "api" / "NOTES.md").write_text("notes\n")
    assert build_context_tag(tmp_path) == first
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\n")
    assert build_context_tag(tmp_path) != first


def test_repository_tags_are_immutable_and_scanned(stack: Capture):
    repository = part(stack, REPOSITORY)
    assert repository.get("imageTagMutability") == "IMMUTABLE"
    assert repository.get("imageScanningConfiguration.scanOnPush") is True
    assert repository.get("forceDelete") is api_config(stack)["forceDestroy"]


def test_repository_keeps_recent_tagged_images_and_expires_untagged(stack: Capture):
    rules = json.loads(part(stack, LIFECYCLE).get("policy"))["rules"]
    by_status = {r["selection"]["tagStatus"]: r["selection"] for r in rules}
    assert by_status["untagged"]["countType"] == "sinceImagePushed"
    assert by_status["untagged"]["countNumber"] <= 7
    assert by_status["tagged"]["countType"] == "imageCountMoreThan"
    assert by_status["tagged"]["countNumber"] == api_config(stack)["keepImages"]


def test_prd_images_survive_destroy(prd: Capture):
    assert part(prd, REPOSITORY).get("forceDelete") is False


# --- logs, protection, alarms --------------------------------------------------------------------------------

def test_log_retention_follows_the_stack(stack: Capture):
    assert part(stack, LOG_GROUP).get("retentionInDays") == api_config(stack)["logRetentionDays"]


def test_prd_keeps_logs_longer_than_dev(dev: Capture, prd: Capture):
    assert part(dev, LOG_GROUP).get("retentionInDays") <= 14
    assert part(prd, LOG_GROUP).get("retentionInDays") >= 365


def test_prd_alb_is_protected_and_logs_access(prd: Capture):
    alb = part(prd, ALB)
    assert alb.get("enableDeletionProtection") is True
    bucket = part(prd, BUCKET)
    assert alb.get("accessLogs") == {"bucket": bucket.state["bucket"], "enabled": True}


def test_dev_alb_is_destroyable_without_access_logs(dev: Capture):
    alb = part(dev, ALB)
    assert alb.get("enableDeletionProtection") is False
    assert not alb.get("accessLogs") and parts(dev, BUCKET) == []


def test_access_log_bucket_is_private_encrypted_tls_only_and_writable_by_elb_only(prd: Capture):
    bucket = part(prd, BUCKET)

    def on_bucket(type_: str) -> Resource:
        return prd.one(type_, where=lambda r: r.get("bucket") == bucket.id)

    block = on_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.get(flag) is True for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                     "restrictPublicBuckets"))
    assert on_bucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls").get(
        "rule.objectOwnership") == "BucketOwnerEnforced"
    encryption = on_bucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption.get("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm") == "AES256"
    policy = statements(on_bucket("aws:s3/bucketPolicy:BucketPolicy").get("policy"))
    deny = [s for s in policy if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    [allow] = [s for s in policy if s["Effect"] == "Allow"]
    assert allow["Action"] == "s3:PutObject"
    assert allow["Principal"] == {"AWS": f"arn:aws:iam::{ELB_ACCOUNT_ID}:root",
                                  "Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert allow["Resource"] == f"{bucket.state['arn']}/AWSLogs/123456789012/*"
    lifecycle = on_bucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.get("rules.0.expiration.days") == api_config(prd)["accessLogRetentionDays"]
    # The ALB verifies it can write when logging is switched on: the grant must exist first.
    assert prd.one("aws:s3/bucketPolicy:BucketPolicy", where=lambda r: r.get("bucket") == bucket.id).urn in \
        part(prd, ALB).dependencies


def test_alarms_cover_5xx_unhealthy_targets_and_missing_tasks(stack: Capture):
    alarms = parts(stack, ALARM)
    metrics = {a.get("metricName") for a in alarms if a.get("metricName")}
    assert metrics == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "UnHealthyHostCount"}
    [tasks] = [a for a in alarms if a.get("metricQueries")]
    queried = {q["metric"]["metricName"]: q["metric"] for q in tasks.get("metricQueries") if q.get("metric")}
    assert set(queried) == {"RunningTaskCount", "DesiredTaskCount"}
    assert all(m["namespace"] == "ECS/ContainerInsights" for m in queried.values())
    assert all(m["dimensions"]["ServiceName"] == part(stack, SERVICE).state["name"] for m in queried.values())
    topic = part(stack, TOPIC)
    for alarm in alarms:
        assert alarm.get("alarmActions") == [topic.state["arn"]], alarm


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(stack: Capture):
    topic, key = part(stack, TOPIC), part(stack, KMS_KEY)
    assert topic.get("kmsMasterKeyId") == key.state["arn"]
    assert key.get("enableKeyRotation") is True
    grants = [s for s in statements(key.get("policy")) if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert grants and set(grants[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_alarm_email_subscribes_only_when_configured(stack: Capture):
    assert parts(stack, SUBSCRIPTION) == []
    capture = run_stack("dev", {"webstack:api": {"alarmEmail": "oncall@example.com"}})
    subscription = part(capture, SUBSCRIPTION)
    assert (subscription.get("protocol"), subscription.get("endpoint")) == ("email", "oncall@example.com")
    assert subscription.get("topic") == part(capture, TOPIC).state["arn"]


def test_stack_exports_the_api_outputs(stack: Capture):
    outputs = stack.outputs
    assert outputs["albDnsName"] == part(stack, ALB).state["dnsName"]
    assert outputs["clusterName"] == part(stack, CLUSTER).state["name"]
    assert outputs["serviceName"] == part(stack, SERVICE).state["name"]
    assert outputs["repositoryUrl"] == part(stack, REPOSITORY).state["repositoryUrl"]
    assert outputs["logGroupName"] == part(stack, LOG_GROUP).get("name")


# --- bad configuration ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("override, key", [
    ({"cpu": 256, "memory": 4096}, "webstack:api.memory"),
    ({"cpu": 300}, "webstack:api.cpu"),
    ({"minCount": 1, "desiredCount": 5, "maxCount": 3}, "webstack:api.desiredCount"),
    ({"minCount": 4, "desiredCount": 4, "maxCount": 2}, "webstack:api.maxCount"),
    ({"desiredCount": 0}, "webstack:api.desiredCount"),
    ({"imageTag": "latest"}, "webstack:api.imageTag"),
    ({"imageTag": "feature/x"}, "webstack:api.imageTag"),
    ({"alarmEmail": "oncall"}, "webstack:api.alarmEmail"),
    ({"logRetentionDays": 10}, "webstack:api.logRetentionDays"),
    ({"scaleOutCooldownSeconds": 600}, "webstack:api.scaleOutCooldownSeconds"),
    ({"scaleInCooldownSeconds": 60}, "webstack:api.scaleInCooldownSeconds"),
    ({"capacityProvider": "EC2"}, "webstack:api.capacityProvider"),
    ({"desiredcount": 2}, "webstack:api.desiredcount"),
])
def test_bad_api_config_fails_before_any_resource_naming_the_key(override: dict[str, Any], key: str):
    with pytest.raises(StackRunFailed) as failure:
        run_stack("prd", {"webstack:api": override})
    assert f"{key} " in str(failure.value.error) or f"{key}:" in str(failure.value.error), failure.value.error
    assert failure.value.capture.custom_resources == []


def test_good_api_config_override_is_accepted():
    capture = run_stack("prd", {"webstack:api": {"cpu": 1024, "memory": 3072, "minCount": 2, "desiredCount": 2,
                                                 "maxCount": 4}})
    assert (part(capture, TASK_DEFINITION).get("cpu"), part(capture, TASK_DEFINITION).get("memory")) == (
        "1024", "3072")


def test_an_overlong_name_is_refused_before_the_component_declares_anything():
    def program() -> None:
        FargateApi("webstack-production-api-x", FargateApiArgs(
            config=ApiConfig(), region="ap-northeast-1", vpc_id="vpc-1", ingress_subnet_ids=["s-1"],
            container_subnet_ids=["s-2"], workload_security_group_id="sg-1", table_name="t", table_arn="arn:t",
            bucket_name="b", bucket_arn="arn:b"))

    with pytest.raises(StackRunFailed) as failure:
        run_program(program)
    assert "too long" in str(failure.value.error)
    assert failure.value.capture.resources == []
