"""Compute and its network placement: the internal ALB, the Fargate service and its containers, subnets, the NAT
instance, the image repository and the log groups."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from .core import ADVISORY, MANDATORY, as_json, as_list, describe, get, is_mapping, number, resource_policy, settings

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SUBNET = "aws:ec2/subnet:Subnet"
INSTANCE = "aws:ec2/instance:Instance"
REPOSITORY = "aws:ecr/repository:Repository"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _containers(args: ResourceValidationArgs) -> list:
    definitions = as_json(get(args.props, "containerDefinitions"))
    return [c for c in as_list(definitions) if is_mapping(c)]


# --- load balancer ---------------------------------------------------------------------------------------------

def load_balancer_internal(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if get(args.props, "internal") is not True:
        report_violation(f"{describe(args)} is internet-facing (internal = {get(args.props, 'internal')!r}).", None)


def load_balancer_drops_invalid_headers(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if (get(args.props, "loadBalancerType") or "application") != "application":
        return
    if get(args.props, "dropInvalidHeaderFields") is not True:
        report_violation(f"{describe(args)} forwards requests with invalid header fields.", None)


# --- ECS -------------------------------------------------------------------------------------------------------

def service_without_public_ip(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if get(args.props, "networkConfiguration.assignPublicIp") is True:
        report_violation(f"{describe(args)} gives its tasks public IP addresses.", None)


def containers_not_privileged(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for container in _containers(args):
        if container.get("privileged") is True:
            report_violation(f"{describe(args)}: container {container.get('name')!r} runs privileged.", None)


def containers_read_only_root(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    containers = _containers(args)
    if not containers:
        report_violation(f"{describe(args)} has no readable containerDefinitions.", None)
    for container in containers:
        if container.get("readonlyRootFilesystem") is not True:
            report_violation(f"{describe(args)}: container {container.get('name')!r} can write its root "
                             "filesystem.", None)


def task_and_execution_roles_differ(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    task_role, execution_role = get(args.props, "taskRoleArn"), get(args.props, "executionRoleArn")
    if task_role and task_role == execution_role:
        report_violation(f"{describe(args)} uses {task_role} as both task and execution role.", None)


# --- subnets and instances -------------------------------------------------------------------------------------

def subnet_no_public_ip_on_launch(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if get(args.props, "mapPublicIpOnLaunch") is not True:
        return
    config = settings("subnet-no-public-ip-on-launch", args)
    tags = get(args.props, "tags") or {}
    if tags.get("tier") in config.get("publicSubnetTiers", []) or \
            tags.get("Name") in config.get("publicSubnetNames", []) or args.name in config.get("publicSubnetNames", []):
        return
    report_violation(f"{describe(args)} gives every instance launched in it a public IP address.", None)


def instance_public_ip_only_for_nat(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    # A NAT instance forwards traffic for others: it needs a public address and has source/dest check off.
    if get(args.props, "associatePublicIpAddress") is True and get(args.props, "sourceDestCheck") is not False:
        report_violation(f"{describe(args)} has a public IP address but is not a NAT instance.", None)


def instance_requires_imdsv2(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if get(args.props, "metadataOptions.httpEndpoint") == "disabled":
        return
    if get(args.props, "metadataOptions.httpTokens") != "required":
        report_violation(f"{describe(args)} answers IMDSv1 (metadataOptions.httpTokens = "
                         f"{get(args.props, 'metadataOptions.httpTokens')!r}).", None)


def instance_volumes_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if get(args.props, "rootBlockDevice.encrypted") is not True:
        report_violation(f"{describe(args)}: the root volume is not encrypted.", None)
    for device in as_list(get(args.props, "ebsBlockDevices")):
        if get(device, "encrypted") is not True:
            report_violation(f"{describe(args)}: volume {get(device, 'deviceName')} is not encrypted.", None)


# --- ECR and logs ----------------------------------------------------------------------------------------------

def repository_tags_immutable(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if get(args.props, "imageTagMutability") != "IMMUTABLE":
        report_violation(f"{describe(args)} lets a pushed tag be overwritten (imageTagMutability = "
                         f"{get(args.props, 'imageTagMutability') or 'MUTABLE'}).", None)


def repository_scans_on_push(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if get(args.props, "imageScanningConfiguration.scanOnPush") is not True:
        report_violation(f"{describe(args)} does not scan images on push.", None)


def log_group_has_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not (number(get(args.props, "retentionInDays")) or 0) > 0:
        report_violation(f"{describe(args)} keeps its logs forever (no retentionInDays).", None)


POLICIES = [
    resource_policy(
        "alb-internal-only", load_balancer_internal, types=LOAD_BALANCERS, level=MANDATORY,
        description="Load balancers are internal; CloudFront reaches them through a VPC origin "
                    "(AWS Config alb-internal-scheme-check).",
        fix="Set internal=True and place the load balancer in the ingress subnets."),
    resource_policy(
        "alb-drops-invalid-headers", load_balancer_drops_invalid_headers, types=LOAD_BALANCERS, level=MANDATORY,
        description="Application load balancers drop invalid HTTP header fields (checkov CKV_AWS_131, "
                    "Security Hub ELB.4).",
        fix="Set drop_invalid_header_fields=True."),
    resource_policy(
        "ecs-service-no-public-ip", service_without_public_ip, types=(ECS_SERVICE,), level=MANDATORY,
        description="ECS services give their tasks no public IP (checkov CKV_AWS_333, Security Hub ECS.2).",
        fix="Set network_configuration.assign_public_ip=False and run the tasks in the container subnets."),
    resource_policy(
        "ecs-containers-not-privileged", containers_not_privileged, types=(TASK_DEFINITION,), level=MANDATORY,
        description="ECS containers do not run privileged (Security Hub ECS.4).",
        fix="Remove \"privileged\": true from the container definition."),
    resource_policy(
        "ecs-containers-read-only-root", containers_read_only_root, types=(TASK_DEFINITION,), level=MANDATORY,
        description="ECS containers have a read-only root filesystem (checkov CKV_AWS_336, Security Hub ECS.5).",
        fix="Set \"readonlyRootFilesystem\": true and mount a volume for the paths the app writes (e.g. /tmp)."),
    resource_policy(
        "ecs-task-and-execution-roles-differ", task_and_execution_roles_differ, types=(TASK_DEFINITION,),
        level=MANDATORY,
        description="A task definition's task role and execution role are different roles (checkov CKV_AWS_249).",
        fix="Give the ECS agent its own execution role (image pull, logs) and the application its task role."),
    resource_policy(
        "subnet-no-public-ip-on-launch", subnet_no_public_ip_on_launch, types=(SUBNET,), level=MANDATORY,
        description="Subnets do not assign public IPs on launch, except allow-listed public (NAT) subnets "
                    "(checkov CKV_AWS_130, Security Hub EC2.15).",
        fix="Set map_public_ip_on_launch=False; a NAT subnet carries the tag tier=public or is listed in "
            "publicSubnetNames in policies/policy-config.json."),
    resource_policy(
        "ec2-public-ip-only-for-nat", instance_public_ip_only_for_nat, types=(INSTANCE,), level=MANDATORY,
        description="Only a NAT instance (source/dest check off) has a public IP address "
                    "(checkov CKV_AWS_88, Security Hub EC2.9).",
        fix="Set associate_public_ip_address=False and reach the instance through Session Manager."),
    resource_policy(
        "ec2-imdsv2-required", instance_requires_imdsv2, types=(INSTANCE,), level=MANDATORY,
        description="Instances accept only IMDSv2 (checkov CKV_AWS_79, Security Hub EC2.8).",
        fix="Set metadata_options={\"http_tokens\": \"required\", \"http_put_response_hop_limit\": 1}."),
    resource_policy(
        "ec2-volumes-encrypted", instance_volumes_encrypted, types=(INSTANCE,), level=MANDATORY,
        description="Instance root and EBS volumes are encrypted (checkov CKV_AWS_8, CKV_AWS_3).",
        fix="Set root_block_device={\"encrypted\": True, ...} and encrypted=True on every ebs_block_device."),
    resource_policy(
        "ecr-tags-immutable", repository_tags_immutable, types=(REPOSITORY,), level=MANDATORY,
        description="ECR repositories have immutable tags (checkov CKV_AWS_51).",
        fix="Set image_tag_mutability=\"IMMUTABLE\"; deploy by pushing a new tag (the git sha)."),
    resource_policy(
        "ecr-scan-on-push", repository_scans_on_push, types=(REPOSITORY,), level=MANDATORY,
        description="ECR repositories scan images on push (checkov CKV_AWS_163).",
        fix="Set image_scanning_configuration={\"scan_on_push\": True}."),
    resource_policy(
        "log-group-retention", log_group_has_retention, types=(LOG_GROUP,), level=ADVISORY,
        description="CloudWatch log groups set a retention period (checkov CKV_AWS_66).",
        fix="Set retention_in_days (per stack, e.g. 14 in dev, 365 in prd)."),
]
