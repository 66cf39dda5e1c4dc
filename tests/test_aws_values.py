"""AWS's value rules (policies/aws_values/): each rule fires on a value AWS would refuse and passes one it accepts,
both real stacks (and their optional parts, in the variants the CI-roles check runs) pass every rule, and the rules'
tables agree with AWS's own models and with pulumi-aws's inputs, down to every nested input the stacks set.

Resources are written the way the engine hands them to the pack (camelCase inputs, numbers as floats, documents as
JSON text) and judged through the offline check, as tests/test_policies.py does.
"""

from __future__ import annotations

import html
import importlib
import inspect
import json
import keyword
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from mock_engine import Capture, Resource, run_stack
from policies import AWS_VALUE_RULES, GROUPS, GUARDRAILS, POLICIES
from policies.aws_values import REQUESTS, model
from policies.aws_values.ecs import CONTAINER_RULES
from policies.aws_values.fields import AutoName, Field, same
from policies.aws_values.model import Checker, full_match, java_pattern, service_model, shape
from policies.offline import check_capture, checklist
from provider_calls.settings import EXAMPLE_CI, OBJECT_LOCK, everything
from tests.policy_cases import doc, messages
from tests.policy_cases import res as declared

BY_NAME = {policy.name: policy for policy in AWS_VALUE_RULES}
ACCOUNT = "123456789012"
PROVIDER_URN = "urn:pulumi:test::webstack::pulumi:providers:aws::test-aws"
DEFAULT_TAGS = {"project": "webstack", "stack": "test", "owner": "platform-team"}
OPTIONAL_PARTS = {
    "webstack:site": {"domain": "shop.example.com", "hostedZone": "example.com", "waf": True},
    "webstack:platform": {"execEnabled": True},
    "webstack:network": {"flowLogs": True, "interfaceEndpoints": True},
    "webstack:alerts": {"email": "oncall@example.com"},
    "webstack:admin": {"allowListAt": "waf"},
    "webstack:ci": {"repository": "acme/webstack", "stateBucket": "acme-pulumi-state"},
}


def _stack_variants() -> dict[str, tuple[str, dict[str, Any] | None]]:
    """Each stack as configured, with OPTIONAL_PARTS, and in the settings the CI-roles check runs under
    (provider_calls/settings.py: Slack alarms, the sample catalogue, prd's log archive under Object Lock, ...), so
    that every resource type the program can declare is judged by some variant."""
    variants: dict[str, tuple[str, dict[str, Any] | None]] = {}
    for stack in ("dev", "prd"):
        variants[f"{stack} as configured"] = (stack, None)
        variants[f"{stack} with every optional part"] = (stack, OPTIONAL_PARTS)
        variants[f"{stack} with everything"] = (stack, {"webstack:ci": EXAMPLE_CI, **everything(stack)})
    variants["prd with object lock"] = ("prd", {"webstack:ci": EXAMPLE_CI, **OBJECT_LOCK})
    return variants


VARIANTS = _stack_variants()


def provider(tags: dict[str, str] | None = None) -> Resource:
    return Resource(type="pulumi:providers:aws", name="test-aws", urn=PROVIDER_URN, custom=True,
                    inputs={"region": "ap-northeast-1", "defaultTags": json.dumps({"tags": tags or DEFAULT_TAGS})})


def res(type_: str, name: str, inputs: dict[str, Any], deps: dict[str, list[Resource]] | None = None) -> Resource:
    return declared(type_, name, inputs, deps, provider=f"{PROVIDER_URN}::provider-id")


def violations(policy_name: str, resources: list[Resource], tags: dict[str, str] | None = None) -> list[str]:
    return messages([BY_NAME[policy_name]], [provider(tags), *resources])


# --- building blocks, as the program declares them -----------------------------------------------------------------

SG = "aws:ec2/securityGroup:SecurityGroup"
ROLE = "aws:iam/role:Role"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SLACK = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
OBJECT_LOCK_CONFIGURATION = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"

ECS_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})


def security_group(description: str, **inputs: Any) -> Resource:
    return res(SG, "webstack-dev-api-alb-sg", {"vpcId": "vpc-id", "description": description,
                                               "tags": {"Name": "webstack-dev-api-alb"}, **inputs})


def role(name: str = "webstack-dev-api-roles-task", **inputs: Any) -> Resource:
    return res(ROLE, name, {"assumeRolePolicy": ECS_TRUST, "description": "Application role", **inputs})


def target_group(name: str = "webstack-dev-api-tg", **health: Any) -> Resource:
    check = {"enabled": True, "path": "/healthz", "protocol": "HTTP", "port": "traffic-port", "matcher": "200",
             "interval": 15.0, "timeout": 5.0, "healthyThreshold": 2.0, "unhealthyThreshold": 3.0, **health}
    return res(TARGET_GROUP, name, {"targetType": "ip", "port": 8080.0, "protocol": "HTTP", "protocolVersion": "HTTP1",
                                    "vpcId": "vpc-id", "deregistrationDelay": 15.0, "healthCheck": check})


CONTAINER = {
    "name": "api", "image": f"{ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com/api:abc123", "essential": True,
    "portMappings": [{"containerPort": 8080, "protocol": "tcp", "name": "http"}],
    "environment": [{"name": "PORT", "value": "8080"}], "readonlyRootFilesystem": True, "user": "10001:10001",
    "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": False},
    "healthCheck": {"command": ["CMD", "python", "-c", "print(1)"], "interval": 15, "timeout": 5, "retries": 3,
                    "startPeriod": 20},
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api", "mode": "non-blocking"}},
}


def task_definition(container: dict[str, Any] | None = None, **inputs: Any) -> Resource:
    return res(TASK, "webstack-dev-api-task", {
        "family": "webstack-dev-api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256",
        "memory": "512", "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"},
        "containerDefinitions": json.dumps([container if container is not None else CONTAINER]), **inputs})


def service(task: Resource, capacity_provider: str = "FARGATE_SPOT", **inputs: Any) -> Resource:
    return res(SERVICE, "webstack-dev-api-service", {
        "cluster": "cluster-arn", "taskDefinition": "task-arn", "desiredCount": 1.0, "platformVersion": "LATEST",
        "capacityProviderStrategies": [{"capacityProvider": capacity_provider, "weight": 1.0, "base": 0.0}],
        **inputs}, deps={"taskDefinition": [task]})


def alarm(**inputs: Any) -> Resource:
    return res(ALARM, "webstack-dev-api-alb-5xx", {
        "namespace": "AWS/ApplicationELB", "metricName": "HTTPCode_ELB_5XX_Count", "statistic": "Sum",
        "dimensions": {"LoadBalancer": "app/webstack-dev-api-alb/0123456789"}, "threshold": 5.0,
        "comparisonOperator": "GreaterThanOrEqualToThreshold", "treatMissingData": "notBreaching",
        "period": 60.0, "evaluationPeriods": 5.0, "datapointsToAlarm": 3.0, **inputs})


def ingress(**inputs: Any) -> Resource:
    return res(INGRESS, "webstack-dev-api-alb-in", {
        "securityGroupId": "sg-id", "ipProtocol": "tcp", "fromPort": 80.0, "toPort": 80.0,
        "prefixListId": "pl-58a04531", "description": "HTTP from CloudFront origin-facing servers", **inputs})


def vpc(cidr: str = "10.0.0.0/16") -> Resource:
    return res("aws:ec2/vpc:Vpc", "webstack-dev-vpc", {"cidrBlock": cidr, "enableDnsSupport": True})


def subnet(name: str, cidr: str, of: Resource) -> Resource:
    return res("aws:ec2/subnet:Subnet", name, {"vpcId": "vpc-id", "cidrBlock": cidr, "mapPublicIpOnLaunch": False},
               deps={"vpcId": [of]})


def web_acl(*groups: str) -> Resource:
    rules = [{"name": group, "priority": float(index), "overrideAction": {"none": {}},
              "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": group}},
              "visibilityConfig": {"cloudwatchMetricsEnabled": True, "sampledRequestsEnabled": True,
                                   "metricName": f"webstack-prd-{group}"}} for index, group in enumerate(groups)]
    rules.append({"name": "rate-limit-per-ip", "priority": 99.0,
                  "action": {"block": {"customResponse": {"responseCode": 429.0}}},
                  "statement": {"rateBasedStatement": {"aggregateKeyType": "IP", "limit": 1000.0,
                                                       "evaluationWindowSec": 300.0}},
                  "visibilityConfig": {"cloudwatchMetricsEnabled": True, "sampledRequestsEnabled": True,
                                       "metricName": "webstack-prd-rate-limit"}})
    return res("aws:wafv2/webAcl:WebAcl", "webstack-prd-waf", {
        "scope": "CLOUDFRONT", "description": "webstack-prd: edge protection of the site and API",
        "defaultAction": {"allow": {}}, "rules": rules,
        "visibilityConfig": {"cloudwatchMetricsEnabled": True, "sampledRequestsEnabled": True,
                             "metricName": "webstack-prd-web-acl"}})


def padded_policy(characters: int) -> str:
    """A managed-policy document of about `characters` characters (white space excluded)."""
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/" + "k" * characters}
    return doc(statement)


def one(type_: str, resource_name: str, /, **inputs: Any) -> list[Resource]:
    return [res(type_, resource_name, inputs)]


def case(policy: str, label: str, resources: Any, fires: bool, expect: str = "",
         tags: dict[str, str] | None = None) -> Any:
    resources = resources if isinstance(resources, list) else [resources]
    return pytest.param(policy, resources, fires, expect, tags, id=f"{policy}: {label}")


def user_pool_client(**inputs: Any) -> Resource:
    return res("aws:cognito/userPoolClient:UserPoolClient", "webstack-dev-admin-page", {
        "userPoolId": "ap-northeast-1_abc", "name": "webstack-dev-admin-page", "generateSecret": False,
        "accessTokenValidity": 60.0, "idTokenValidity": 60.0, "refreshTokenValidity": 8.0,
        "tokenValidityUnits": {"accessToken": "minutes", "idToken": "minutes", "refreshToken": "hours"}, **inputs})


def slack_channel(**inputs: Any) -> Resource:
    """The alarm topic's Slack channel, as components/alerts.py declares it."""
    return res(SLACK, "webstack-dev-alarms-slack", {
        "configurationName": "webstack-dev-alarms", "slackTeamId": "T0123ABCDE", "slackChannelId": "C0123ABCDE",
        "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/webstack-dev-alarms-chat-0000066",
        "snsTopicArns": [f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:webstack-dev-alarms"],
        "guardrailPolicyArns": ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"], "loggingLevel": "ERROR",
        "tags": {"Name": "webstack-dev-alarms"}, **inputs})


def object_lock(**retention: Any) -> Resource:
    """The log archive's Object Lock, as components/logs.py declares it, its default retention changed."""
    default = {"mode": "GOVERNANCE", "days": 365.0, **retention}
    return res(OBJECT_LOCK_CONFIGURATION, "webstack-prd-logs-object-lock", {
        "bucket": "webstack-prd-logs-0000018",
        "rule": {"defaultRetention": {k: v for k, v in default.items() if v is not None}}})


def network_with(*subnet_cidrs: str) -> list[Resource]:
    network = vpc()
    return [network, *(subnet(f"webstack-dev-subnet-{n}", cidr, network) for n, cidr in enumerate(subnet_cidrs))]


def web_acl_rule(**changes: Any) -> Resource:
    """The site's web ACL with its first rule changed."""
    acl = web_acl("AWSManagedRulesCommonRuleSet")
    rules = acl.inputs["rules"]
    return res(acl.type, acl.name, {**acl.inputs, "rules": [{**rules[0], **changes}, *rules[1:]]})


def spot_service(task: Resource, **inputs: Any) -> list[Resource]:
    return [task, service(task, **inputs)]


def _inline_policies(size: int) -> list[Resource]:
    owner = role()
    policies = [res("aws:iam/rolePolicy:RolePolicy", f"webstack-dev-policy-{n}",
                    {"role": "role-id", "policy": padded_policy(size)}, deps={"role": [owner]}) for n in range(2)]
    return [owner, *policies]


CASES = [
    # names and descriptions
    case("aws-names-and-descriptions", "a security-group description with an apostrophe (EC2's character set)",
         security_group("Internal ALB: HTTP from CloudFront's origin-facing servers only"), True,
         expect="API_CreateSecurityGroup.html"),
    case("aws-names-and-descriptions", "a security-group description of EC2's characters",
         security_group("Internal ALB: HTTP from CloudFront origin-facing servers only"), False),
    case("aws-names-and-descriptions", "a role description with an em dash (IAM's pattern)",
         role(description="Application \u2014 reads the catalogue"), True,
         expect="botocore iam CreateRole.Description"),
    case("aws-names-and-descriptions", "a role description in IAM's characters (an apostrophe is one)",
         role(description="ECS agent: pull this service's image"), False),
    case("aws-names-and-descriptions", "an auto-named target group beyond 32 characters",
         target_group("webstack-staging-api-tg-extra"), True, expect="API_CreateTargetGroup.html Name"),
    case("aws-names-and-descriptions", "an auto-named target group within 32", target_group(), False),
    case("aws-names-and-descriptions", "a load balancer named internal-...",
         one("aws:lb/loadBalancer:LoadBalancer", "alb", name="internal-api", internal=True), True,
         expect="not allowed to begin with internal-"),
    case("aws-names-and-descriptions", "an upper-case bucket name",
         one("aws:s3/bucket:Bucket", "images", bucket="Webstack-Images"), True, expect="bucketnamingrules"),
    case("aws-names-and-descriptions", "an auto-named role beyond 64 characters",
         role("webstack-dev-api-roles-execution-with-a-much-longer-name-than-iam-takes"), True,
         expect="pulumi-aws generates names of at most 64"),
    case("aws-names-and-descriptions", "a WAF rule name with a space", web_acl_rule(name="rate limit"), True,
         expect="botocore wafv2 Rule.Name"),
    case("aws-names-and-descriptions", "a Slack channel configuration name with a dot (Chatbot's pattern)",
         slack_channel(configurationName="webstack.dev.alarms"), True,
         expect="botocore chatbot CreateSlackChannelConfiguration.ConfigurationName"),
    case("aws-names-and-descriptions", "a Slack channel configuration name of 129 characters",
         slack_channel(configurationName="a" * 129), True, expect="the length must be 1..128"),
    case("aws-names-and-descriptions", "the alarm topic's Slack channel as the program names it", slack_channel(),
         False),
    case("aws-names-and-descriptions", "a web ACL as the site declares it",
         web_acl("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"), False),
    # ports and protocols
    case("aws-ports-and-protocols", "a target group on port 70000", res(TARGET_GROUP, "webstack-dev-api-tg", {
        **target_group().inputs, "port": 70000.0}), True, expect="botocore elbv2 CreateTargetGroup.Port"),
    case("aws-ports-and-protocols", "a listener protocol ELB does not know",
         one("aws:lb/listener:Listener", "http", port=80.0, protocol="HTTP2",
             defaultActions=[{"type": "forward", "targetGroupArn": "tg-arn"}]), True, expect="is not one of"),
    case("aws-ports-and-protocols", "a health-check port that is neither traffic-port nor a number",
         target_group(port="eighty"), True, expect="traffic-port"),
    case("aws-ports-and-protocols", "the program's target group and listener", [
        target_group(), *one("aws:lb/listener:Listener", "http", port=80.0, protocol="HTTP",
                             defaultActions=[{"type": "forward", "targetGroupArn": "tg-arn"}])], False),
    # ranges and enumerations
    case("aws-ranges-and-enumerations", "a log retention CloudWatch does not offer",
         one("aws:cloudwatch/logGroup:LogGroup", "logs", name="/ecs/api", retentionInDays=10.0), True,
         expect="API_PutRetentionPolicy.html"),
    case("aws-ranges-and-enumerations", "a health-check interval above 300", target_group(interval=400.0), True,
         expect="5..300"),
    case("aws-ranges-and-enumerations", "a deregistration delay above 3600", res(TARGET_GROUP, "webstack-dev-api-tg", {
        **target_group().inputs, "deregistrationDelay": 4000.0}), True, expect="deregistration_delay"),
    case("aws-ranges-and-enumerations", "an alarm period of 45 s", alarm(period=45.0), True,
         expect="API_PutMetricAlarm.html Period"),
    case("aws-ranges-and-enumerations", "a WAF rate limit below 10", web_acl_rule(statement={"rateBasedStatement": {
        "aggregateKeyType": "IP", "limit": 5.0, "evaluationWindowSec": 300.0}}), True,
         expect="botocore wafv2 RateBasedStatement.Limit"),
    case("aws-ranges-and-enumerations", "a KMS deletion window of 5 days",
         one("aws:kms/key:Key", "key", description="alarms", deletionWindowInDays=5.0), True, expect="7..30"),
    case("aws-ranges-and-enumerations", "a Chatbot logging level of DEBUG", slack_channel(loggingLevel="DEBUG"), True,
         expect="botocore chatbot CreateSlackChannelConfiguration.LoggingLevel"),
    case("aws-ranges-and-enumerations", "a Slack workspace ID in lower case", slack_channel(slackTeamId="t0123abcde"),
         True, expect="botocore chatbot CreateSlackChannelConfiguration.SlackTeamId"),
    case("aws-ranges-and-enumerations", "a Slack channel ID with a '#'", slack_channel(slackChannelId="#alarms"), True,
         expect="botocore chatbot CreateSlackChannelConfiguration.SlackChannelId"),
    case("aws-ranges-and-enumerations", "a service-linked role as a channel guardrail", slack_channel(
        guardrailPolicyArns=[f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/chatbot.amazonaws.com/x"]), True,
         expect="botocore chatbot CreateSlackChannelConfiguration.GuardrailPolicyArns"),
    case("aws-ranges-and-enumerations", "the alarm topic's Slack channel: ERROR only, read-only guardrail",
         [slack_channel(), slack_channel(loggingLevel="NONE")], False),
    case("aws-ranges-and-enumerations", "an Object Lock mode S3 does not know", object_lock(mode="LEGAL_HOLD"), True,
         expect="botocore s3 DefaultRetention.Mode"),
    case("aws-ranges-and-enumerations", "an Object Lock retention of 0 days", object_lock(days=0.0), True,
         expect="API_DefaultRetention.html Days"),
    case("aws-ranges-and-enumerations", "an Object Lock retention of half a year in days", object_lock(days=182.5),
         True, expect="not a whole number"),
    case("aws-ranges-and-enumerations", "an Object Lock retention in days and in years", object_lock(years=1.0), True,
         expect="both days and years"),
    case("aws-ranges-and-enumerations", "an Object Lock mode without a period", object_lock(days=None), True,
         expect="needs both a mode and a period"),
    case("aws-ranges-and-enumerations", "an Object Lock period without a mode", object_lock(mode=None), True,
         expect="needs both a mode and a period"),
    case("aws-ranges-and-enumerations", "the log archive's governance lock of 365 days, and one of 7 years",
         [object_lock(), object_lock(mode="COMPLIANCE", days=None, years=7.0)], False),
    case("aws-ranges-and-enumerations", "the program's target group, alarm, log group and key", [
        target_group(), alarm(), *one("aws:cloudwatch/logGroup:LogGroup", "logs", name="/ecs/api",
                                      retentionInDays=30.0),
        *one("aws:kms/key:Key", "key", description="alarms", deletionWindowInDays=30.0)], False),
    # documents
    case("aws-document-sizes", "a managed policy over 6,144 characters",
         one("aws:iam/policy:Policy", "deploy", policy=padded_policy(6200)), True, expect="reference_iam-quotas"),
    case("aws-document-sizes", "white space is not counted: 5,900 characters padded with spaces",
         one("aws:iam/policy:Policy", "deploy", policy=json.dumps(json.loads(padded_policy(5900)), indent=40)), False),
    case("aws-document-sizes", "a trust policy over 2,048 characters", role(assumeRolePolicy=doc(
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:SourceAccount": [ACCOUNT] * 180}}})), True, expect="trust policy"),
    case("aws-document-sizes", "a policy with a character outside IAM's document pattern",
         one("aws:iam/policy:Policy", "deploy", policy=doc({"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
                                                             "Resource": "arn:aws:s3:::b/\u753b\u50cf/*"})), True,
         expect="botocore iam CreatePolicy.PolicyDocument"),
    case("aws-document-sizes", "a bucket policy over 20 KB", one("aws:s3/bucketPolicy:BucketPolicy", "policy",
                                                              bucket="b", policy=padded_policy(21000)), True,
         expect="20 KB"),
    case("aws-document-sizes", "the program's task definition and a small policy",
         [task_definition(), *one("aws:iam/policy:Policy", "deploy", policy=padded_policy(100))], False),
    # tags
    case("aws-tags", "a default tag value with '#' on an IAM role (IAM's pattern)", role(), True,
         expect="botocore iam tagValueType", tags={**DEFAULT_TAGS, "owner": "team#1"}),
    case("aws-tags", "the same tag on a VPC (EC2 takes any character)", vpc(), False,
         tags={**DEFAULT_TAGS, "owner": "team#1"}),
    case("aws-tags", "an EC2 tag key of 128 characters", res("aws:ec2/vpc:Vpc", "vpc", {
        "cidrBlock": "10.0.0.0/16", "tags": {"k" * 128: "v"}}), True, expect="API_Tag.html Key"),
    case("aws-tags", "a tag key beginning with aws:", res("aws:sns/topic:Topic", "alarms", {
        "tags": {"aws:owner": "me"}}), True, expect="aws:"),
    case("aws-tags", "an S3 object with 11 tags (default and its own)", res("aws:s3/bucketObjectv2:BucketObjectv2",
                                                                           "index", {"bucket": "b", "key": "index.html",
                                                                                     "tags": {f"t{n}": "v" for n in
                                                                                              range(8)}}), True,
         expect="takes 10"),
    case("aws-tags", "a Slack channel tag value of 257 characters (Chatbot's TagValue)",
         slack_channel(tags={"Name": "n" * 257}), True, expect="botocore chatbot TagValue"),
    case("aws-tags", "the Slack channel with the stacks' default tags and its Name", slack_channel(), False),
    case("aws-tags", "the stacks' default tags with a Name on a role and a topic",
         [role(tags={"Name": "webstack-dev-task"}), *one("aws:sns/topic:Topic", "alarms", tags={"Name": "alarms"})],
         False),
    # CIDRs
    case("aws-vpc-and-subnet-cidrs", "a subnet outside its VPC", network_with("10.1.0.0/20"), True,
         expect="outside its VPC"),
    case("aws-vpc-and-subnet-cidrs", "two overlapping subnets", network_with("10.0.0.0/20", "10.0.8.0/24"), True,
         expect="overlaps"),
    case("aws-vpc-and-subnet-cidrs", "a /12 VPC", vpc("10.0.0.0/12"), True, expect="/16 to /28"),
    case("aws-vpc-and-subnet-cidrs", "a CIDR with host bits set", vpc("10.0.0.1/16"), True, expect="not an IPv4"),
    case("aws-vpc-and-subnet-cidrs", "subnets carved from the VPC", network_with("10.0.0.0/20", "10.0.16.0/20"),
         False),
    # security-group rule ports
    case("aws-security-group-rule-ports", "a reversed tcp range", ingress(fromPort=443.0, toPort=80.0), True,
         expect="API_IpPermission.html"),
    case("aws-security-group-rule-ports", "protocol -1 with a port range", ingress(ipProtocol="-1"), True,
         expect="opens every port"),
    case("aws-security-group-rule-ports", "an unknown protocol name", ingress(ipProtocol="tcpp"), True,
         expect="neither tcp"),
    case("aws-security-group-rule-ports", "an ICMP code without every type", ingress(
        ipProtocol="icmp", fromPort=-1.0, toPort=4.0), True, expect="every type"),
    case("aws-security-group-rule-ports", "tcp 80, and every ICMP type and code",
         [ingress(), res(INGRESS, "icmp", {**ingress().inputs, "ipProtocol": "icmp", "fromPort": -1.0,
                                          "toPort": -1.0})], False),
    # NAT gateway
    case("aws-nat-gateway-regional-takes-no-subnet", "a regional NAT gateway with a subnet",
         one("aws:ec2/natGateway:NatGateway", "nat", availabilityMode="regional", connectivityType="public",
             vpcId="vpc-id", subnetId="subnet-id"), True, expect="takes its VPC, not a subnet"),
    case("aws-nat-gateway-regional-takes-no-subnet", "a zonal NAT gateway without one",
         one("aws:ec2/natGateway:NatGateway", "nat", connectivityType="public"), True, expect="zonal"),
    case("aws-nat-gateway-regional-takes-no-subnet", "a regional NAT gateway in its VPC",
         one("aws:ec2/natGateway:NatGateway", "nat", availabilityMode="regional", connectivityType="public",
             vpcId="vpc-id"), False),
    # health-check timeout below interval
    case("aws-target-group-health-check-timeout-below-interval", "timeout equal to the interval",
         target_group(timeout=15.0, interval=15.0), True, expect="not shorter"),
    case("aws-target-group-health-check-timeout-below-interval", "5 s within 15 s", target_group(), False),
    # container definitions
    case("aws-ecs-container-definitions-shape", "a misspelt health-check key",
         task_definition({**CONTAINER, "healthCheck": {"command": ["CMD", "true"], "intervl": 15}}), True,
         expect="did you mean 'interval'"),
    case("aws-ecs-container-definitions-shape", "readOnlyRootFilesystem in the wrong case",
         task_definition({**{k: v for k, v in CONTAINER.items() if k != "readonlyRootFilesystem"},
                          "readOnlyRootFilesystem": True}), True, expect="did you mean 'readonlyRootFilesystem'"),
    case("aws-ecs-container-definitions-shape", "a health-check interval of 2 s",
         task_definition({**CONTAINER, "healthCheck": {**CONTAINER["healthCheck"], "interval": 2}}), True,
         expect="API_HealthCheck.html interval"),
    case("aws-ecs-container-definitions-shape", "a log driver ECS does not know",
         task_definition({**CONTAINER, "logConfiguration": {"logDriver": "cloudwatch"}}), True,
         expect="is not one of"),
    case("aws-ecs-container-definitions-shape", "a number where ECS wants text",
         task_definition({**CONTAINER, "environment": [{"name": "PORT", "value": 8080}]}), True,
         expect="is not a string"),
    case("aws-ecs-container-definitions-shape", "the program's container", task_definition(), False),
    # Fargate size
    case("aws-fargate-cpu-memory-pair", "256 CPU units with 4 GB", task_definition(memory="4096"), True,
         expect="offers 512, 1024, 2048 MiB"),
    case("aws-fargate-cpu-memory-pair", "300 CPU units", task_definition(cpu="300"), True,
         expect="Fargate offers no task"),
    case("aws-fargate-cpu-memory-pair", "512/1024, and 1 vCPU with 2 GB",
         [task_definition(cpu="512", memory="1024"),
          res(TASK, "other", {**task_definition().inputs, "cpu": "1 vCPU", "memory": "2 GB"})], False),
    # Fargate Spot
    case("aws-fargate-spot-platform", "Windows tasks on FARGATE_SPOT", spot_service(task_definition(runtimePlatform={
        "operatingSystemFamily": "WINDOWS_SERVER_2022_CORE", "cpuArchitecture": "X86_64"})), True,
         expect="Linux tasks only"),
    case("aws-fargate-spot-platform", "platform version 1.2.0 on FARGATE_SPOT",
         spot_service(task_definition(), platformVersion="1.2.0"), True, expect="1.3.0"),
    case("aws-fargate-spot-platform", "ARM64 on FARGATE_SPOT (following the newer sources)",
         spot_service(task_definition()), False),
    # inline policies of one role
    case("aws-iam-inline-policies-per-role", "two inline policies of 5,200 characters each",
         _inline_policies(5200), True, expect="10,240"),
    case("aws-iam-inline-policies-per-role", "two of 4,000", _inline_policies(4000), False),
    # alarms
    case("aws-alarm-evaluation-range", "1,441 periods of a minute", alarm(evaluationPeriods=1441.0), True,
         expect="86,400"),
    case("aws-alarm-evaluation-range", "169 periods of an hour", alarm(period=3600.0, evaluationPeriods=169.0), True,
         expect="604,800"),
    case("aws-alarm-evaluation-range", "5 minutes, and 168 hours", [alarm(), res(ALARM, "weekly", {
        **alarm().inputs, "period": 3600.0, "evaluationPeriods": 168.0, "datapointsToAlarm": 1.0})], False),
    case("aws-alarm-datapoints-within-evaluation-periods", "6 of 5", alarm(datapointsToAlarm=6.0), True,
         expect="M <= N"),
    case("aws-alarm-datapoints-within-evaluation-periods", "3 of 5", alarm(), False),
    # Cognito token lifetimes
    case("aws-cognito-token-validity", "an access token of 2 days", user_pool_client(
        accessTokenValidity=2.0, tokenValidityUnits={"accessToken": "days"}), True, expect="86,400"),
    case("aws-cognito-token-validity", "a refresh token of 30 minutes", user_pool_client(
        refreshTokenValidity=30.0, tokenValidityUnits={"refreshToken": "minutes"}), True, expect="3,600"),
    case("aws-cognito-token-validity", "an hour's access and an 8-hour refresh, in their units", user_pool_client(),
         False),
    # WAF capacity
    case("aws-waf-web-acl-capacity", "managed groups beyond 1,500 WCUs", web_acl(
        "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesLinuxRuleSet", "AWSManagedRulesWindowsRuleSet"), True, expect="1,502 WCUs"),
    case("aws-waf-web-acl-capacity", "a managed group no source gives a capacity",
         web_acl("AWSManagedRulesSomethingNew"), True, expect="no capacity is on record"),
    case("aws-waf-web-acl-capacity", "the site's two managed groups and a rate limit",
         web_acl("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"), False),
]


@pytest.mark.parametrize("policy,resources,fires,expect,tags", CASES)
def test_rule(policy: str, resources: list[Resource], fires: bool, expect: str,
              tags: dict[str, str] | None) -> None:
    found = violations(policy, resources, tags)
    if fires:
        assert found, f"{policy} should fire"
        assert any(expect in message for message in found), found
        # Every violation names the source of its rule: the botocore model or an AWS page.
        assert all(re.search(r"\[[^\]]*(botocore [a-z0-9-]+ |https://)", m) for m in found), found
    else:
        assert found == [], found


def test_every_value_rule_has_a_case_where_it_fires_and_one_where_it_passes() -> None:
    covered = {(p.values[0], p.values[2]) for p in CASES}
    missing = [(rule.name, fires) for rule in AWS_VALUE_RULES for fires in (True, False)
               if (rule.name, fires) not in covered]
    assert missing == []


# --- the real stacks -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_the_stacks_pass_every_value_rule(variant: str) -> None:
    capture = run_stack(*VARIANTS[variant])
    result = check_capture(capture, policies=AWS_VALUE_RULES)
    assert result.violations == [], "\n".join(f"[{v.policy}] {v.message}" for v in result.violations)


def _variants() -> list[Capture]:
    return [run_stack(stack, overrides) for stack, overrides in VARIANTS.values()]


def test_every_resource_type_the_stacks_declare_is_mapped() -> None:
    declared = {r.type for capture in _variants() for r in capture.custom_resources}
    assert sorted(declared - set(REQUESTS)) == []
    # Types only an optional setting declares: a variant that stopped switching one on would check less, silently.
    assert {SLACK, OBJECT_LOCK_CONFIGURATION, "aws:sns/topicSubscription:TopicSubscription",
            "aws:wafv2/webAcl:WebAcl", "aws:dynamodb/tableItem:TableItem"} <= declared


def test_a_misspelt_key_in_the_real_container_definitions_fails(dev: Capture) -> None:
    task = dev.of_type(TASK)[0]
    containers = json.loads(task.inputs["containerDefinitions"])
    containers[0]["healthcheck"] = containers[0].pop("healthCheck")  # the provider would drop it silently
    broken = Resource(type=task.type, name=task.name, urn=task.urn,
                      inputs={**task.inputs, "containerDefinitions": json.dumps(containers)})
    result = check_capture(Capture("dev", {}, [broken], {}), policies=[BY_NAME["aws-ecs-container-definitions-shape"]])
    messages = [v.message for v in result.mandatory]
    assert any("containerDefinitions[0].healthcheck: unknown key 'healthcheck'" in m and "'healthCheck'" in m
               for m in messages), messages


def test_names_pulumi_generates_are_judged_as_aws_receives_them(dev: Capture) -> None:
    group = next(g for g in dev.of_type(TARGET_GROUP) if "name" not in g.inputs)
    generated = AutoName(32).name_for(group.name)
    assert generated.startswith(f"{group.name}-") and len(generated) == len(group.name) + 8
    assert re.fullmatch(r"images-[0-9a-f]{7}", AutoName(63, lowercase=True).name_for("Images")), \
        "bucket names are lowercased, as pulumi-aws lowercases them"


# --- the tables agree with AWS's models and pulumi-aws's inputs ----------------------------------------------------

def _all_fields() -> list[tuple[str, Field]]:
    return [(token, entry) for token, request in REQUESTS.items() for entry in request.fields]


def _plain_text(value: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", value)))


@pytest.mark.parametrize("token,entry", _all_fields(), ids=lambda v: v if isinstance(v, str) else v.input)
def test_every_field_names_a_member_of_the_model_and_quotes_it_right(token: str, entry: Field) -> None:
    entry.member.resolve()  # raises for a member the model does not have
    documentation = _plain_text(entry.member.documentation())
    for rule in entry.rules:
        assert not rule.quote or _plain_text(rule.quote) in documentation, \
            f"{entry.member.source} does not say {rule.quote!r}"


def test_container_definition_rules_quote_the_ecs_model() -> None:
    for (shape_name, member), rule in CONTAINER_RULES.items():
        documentation = _plain_text(service_model("ecs")["shapes"][shape_name]["members"][member].get("documentation",
                                                                                                     ""))
        assert not rule.quote or _plain_text(rule.quote) in documentation, (shape_name, member, rule.quote)


def test_tag_rules_quote_their_service_model() -> None:
    for request in REQUESTS.values():
        tagging = request.tags
        if tagging is None:
            continue
        shape(tagging.service, tagging.key)  # raise for a shape the model does not have
        shape(tagging.service, tagging.value)
        if not any(rule.quote for rule in (*tagging.rules, *tagging.value_rules)):
            continue
        documented = service_model(tagging.service)["shapes"][tagging.documented_at]
        text = _plain_text(" ".join([documented.get("documentation", "")] + [
            m.get("documentation", "") for m in documented.get("members", {}).values()]))
        for rule in (*tagging.rules, *tagging.value_rules):
            assert not rule.quote or _plain_text(rule.quote) in text, (tagging.service, rule.quote)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _input_types(token: str) -> tuple[dict[str, Any], Any]:
    package, module_path, class_name = token.split(":")
    name = module_path.split("/")[0]
    module = importlib.import_module(f"pulumi_{package}.{name}_" if keyword.iskeyword(name) else
                                     f"pulumi_{package}.{name}")
    parameters = inspect.signature(getattr(module, class_name)._internal_init).parameters
    return {name: p.annotation for name, p in parameters.items()}, importlib.import_module(f"{module.__name__}._inputs")


def _assert_pulumi_aws_has(token: str, path: str) -> None:
    """Follow a dotted input path (`[]` for each element of a list) through pulumi-aws's input types."""
    parameters, inputs = _input_types(token)
    parts = [part.removesuffix("[]") for part in path.split(".")]
    annotation: Any = parameters.get(_snake(parts[0]))
    assert annotation is not None, f"{token} has no input {parts[0]!r}"
    for part in parts[1:]:
        names = re.findall(r"\w+Args(?:Dict)?\b", str(annotation))
        typed = next((getattr(inputs, n if n.endswith("Dict") else f"{n}Dict", None) for n in names
                      if getattr(inputs, n if n.endswith("Dict") else f"{n}Dict", None)), None)
        assert typed is not None, f"{path}: {annotation} holds no object"
        annotation = typed.__annotations__.get(_snake(part))
        assert annotation is not None, f"{path}: {typed.__name__} has no {part!r}"


@pytest.mark.parametrize("token,entry", _all_fields(), ids=lambda v: v if isinstance(v, str) else v.input)
def test_every_field_is_an_input_pulumi_aws_has(token: str, entry: Field) -> None:
    """A misspelt input path in the tables would never see a value: follow it through pulumi-aws's input types."""
    _assert_pulumi_aws_has(token, entry.input)


@pytest.mark.parametrize("token,path", [(token, path) for token, request in REQUESTS.items()
                                        for path in request.unchecked])
def test_every_unchecked_input_is_one_pulumi_aws_has(token: str, path: str) -> None:
    """An unchecked entry acknowledges an input: a misspelt or stale one acknowledges nothing."""
    _assert_pulumi_aws_has(token, path)


def _input_paths(value: Any, path: str = "") -> Iterator[tuple[str, bool]]:
    """(path, empty) for every value an input sets, object by object and list element by list element, down to its
    leaves: `healthCheck.interval`, `rules[].statement.rateBasedStatement.limit`. A list of plain values, a JSON
    document (text) and a map of tags are leaves; an empty object or list is one too (`filter: {}`), and `empty`
    says so."""
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from _input_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
        for item in value:
            if isinstance(item, Mapping):
                yield from _input_paths(item, f"{path}[]")
            else:
                yield path, False
    else:
        yield path, isinstance(value, (Mapping, list)) and not value


def _steps(path: str) -> tuple[str, ...]:
    return tuple(path.replace("[]", "").split("."))


def _accounted(token: str) -> list[tuple[str, ...]]:
    request = REQUESTS.get(token)
    if request is None:
        return []
    return [*(_steps(entry.input) for entry in request.fields), *(_steps(path) for path in request.unchecked),
            *([("tags",)] if request.tags is not None else [])]


def _is_accounted(path: str, empty: bool, accounted: list[tuple[str, ...]]) -> bool:
    steps = _steps(path)
    # A field judges its value whole (a structure, a document, a map), and an unchecked entry acknowledges its
    # value whole (a reference, an asset, a block of references): both cover everything beneath them.
    if any(steps[:len(entry)] == entry for entry in accounted):
        return True
    # An empty object or list sets nothing beneath it: accounted for when what it would hold is.
    return empty and any(entry[:len(steps)] == steps for entry in accounted)


def test_every_input_the_stacks_set_is_judged_or_listed_as_unchecked() -> None:
    """Every input of every resource, in every variant, nested ones included (objects and lists of objects, to any
    depth), is a field, within one, the tags, or listed as unchecked (`Request.unchecked`, each with its reason)."""
    unaccounted = {(resource.type, path) for capture in _variants() for resource in capture.custom_resources
                   for path, empty in _input_paths(dict(resource.inputs))
                   if not _is_accounted(path, empty, _accounted(resource.type))}
    assert sorted(unaccounted) == []


def test_the_input_walk_reaches_nested_inputs_and_accounts_them_by_path() -> None:
    inputs = {"healthCheck": {"interval": 15.0, "matcher": "200"}, "rules": [{"filter": {}, "id": "a"}],
              "tags": {"Name": "n"}, "subnetIds": ["subnet-1"], "policy": doc()}
    assert sorted(_input_paths(inputs)) == [
        ("healthCheck.interval", False), ("healthCheck.matcher", False), ("policy", False),
        ("rules[].filter", True), ("rules[].id", False), ("subnetIds", False), ("tags.Name", False)]
    accounted = [_steps("healthCheck.interval"), _steps("rules[].filter.prefix"), ("tags",)]
    assert _is_accounted("healthCheck.interval", False, accounted)
    assert not _is_accounted("healthCheck.matcher", False, accounted), "a sibling of a field is not judged by it"
    assert _is_accounted("rules[].filter", True, accounted), "an empty filter: its prefix would be judged"
    assert not _is_accounted("rules[].id", False, accounted)
    assert _is_accounted("tags.Name", False, accounted)


# --- wrong values fire, field by field -----------------------------------------------------------------------------

def _wrong_values(entry: Field) -> list[Any]:
    """Values the field's member or rules refuse: out of bounds, off the enumeration, too long, or of a wrong type."""
    wrong: list[Any] = []
    if entry.model:
        spec = entry.member.resolve()[1]
        kind = spec["type"]
        if "enum" in spec:
            wrong.append("NOT-A-VALUE")
        if "max" in spec and kind in ("integer", "long", "double", "float"):
            wrong.append(float(spec["max"]) + 1)
        if "min" in spec and kind in ("integer", "long", "double", "float"):
            wrong.append(float(spec["min"]) - 1)
        if "max" in spec and kind == "string":
            wrong.append("a" * (spec["max"] + 1))
        wrong.append(12345.0 if kind == "string" else "not-this")
    wrong += ["\u2014" * 150_000, -1.0, 1e9, "NOT-A-VALUE", "?"]
    return wrong


def _inputs_with(path: str, value: Any) -> dict[str, Any]:
    parts = path.split(".")
    node: Any = value
    for part in reversed(parts):
        node = {part.removesuffix("[]"): [node] if part.endswith("[]") else node}
    return node


GENERIC = {"name": "aws-names-and-descriptions", "description": "aws-names-and-descriptions",
           "port": "aws-ports-and-protocols", "protocol": "aws-ports-and-protocols",
           "value": "aws-ranges-and-enumerations", "document": "aws-document-sizes"}


@pytest.mark.parametrize("token,entry", _all_fields(), ids=lambda v: v if isinstance(v, str) else v.input)
def test_every_field_fires_on_a_value_aws_refuses(token: str, entry: Field) -> None:
    for wrong in _wrong_values(entry):
        inputs = _inputs_with(entry.input, wrong)
        if entry.when is not None:
            inputs.update({"cidrIpv4": "10.0.0.0/16", "prefixListId": "pl-1", "referencedSecurityGroupId": "sg-1"})
        found = violations(GENERIC[entry.kind], [res(token, "resource", inputs)])
        if any(entry.api_member in message for message in found):
            return
    if entry.to_api is not same:
        pytest.skip("the provider turns any input into a valid value here (a bool into internal/internet-facing)")
    pytest.fail(f"no value made {entry.input} → {entry.api_member} fire")


# --- the botocore models and Java patterns -------------------------------------------------------------------------

def test_every_pattern_of_the_services_used_compiles_and_reads_as_java_does() -> None:
    services = {entry.member.service for _, entry in _all_fields()}
    for service in sorted(services):
        for spec in service_model(service)["shapes"].values():
            if "pattern" in spec:
                java_pattern(spec["pattern"])  # raises if the translation is not a valid pattern
    assert full_match(r"[\w+=,.@-]+", "webstack-dev_role") and not full_match(r"[\w+=,.@-]+", "r\u00f4le")
    assert full_match(r"\p{Print}+", "a b~") and not full_match(r"\p{Print}+", "\u00e9")
    assert full_match(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF]*", "\U0001F600 ok")
    assert not full_match(r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*", "a \u2014 b")
    assert full_match(r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)", "\u30d0\u30ca\u30ca team"), "\\p{L} stays Unicode"
    assert not full_match(r"[a-z]+", "abc1"), "a pattern matches the whole value, anchored or not"


def test_the_constraints_come_from_the_model_and_survive_a_broken_cache(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model.constraints.cache_clear()
    try:
        built = model.constraints("sns")
        assert built == model._constraints_of(service_model("sns")), "the cache holds the model's constraints"
        assert "documentation" not in built["shapes"]["CreateTopicInput"]
        [cached] = (tmp_path / "webstack" / "aws-models").glob("sns-*.marshal")
        cached.write_bytes(b"not what marshal wrote")
        model.constraints.cache_clear()
        assert model.constraints("sns") == built
    finally:
        model.constraints.cache_clear()


def test_a_structure_reports_unknown_and_missing_members_with_their_path() -> None:
    problems = Checker("ecs").check([{"name": "api", "logConfiguration": {"options": {}}}], "ContainerDefinitions",
                                    "containerDefinitions")
    assert [str(p) for p in problems] == ["containerDefinitions[0].logConfiguration: LogConfiguration requires "
                                          "'logDriver'"]


# --- the pack ------------------------------------------------------------------------------------------------------

def test_the_value_rules_are_their_own_mandatory_group_in_the_pack() -> None:
    assert [*GUARDRAILS, *AWS_VALUE_RULES] == POLICIES
    assert list(GROUPS) == ["Security guardrails", "AWS value rules"]
    assert all(p.enforcement_level is not None and p.enforcement_level.value == "mandatory" for p in AWS_VALUE_RULES)
    assert all(p.name.startswith("aws-") for p in AWS_VALUE_RULES)
    listed = checklist()
    assert listed.index("== Security guardrails") < listed.index("== AWS value rules") < listed.index(
        " aws-names-and-descriptions\n")
