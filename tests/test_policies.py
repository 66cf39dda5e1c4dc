"""Every policy of the pack, on realistic resources: one case (at least) where it fires and one where it passes.

Resources are written the way the engine hands them to the pack: camelCase inputs, numbers as floats, IAM
documents as JSON text or objects, container definitions as JSON text. Each case runs through the offline check
(`policies.offline.check_capture`), i.e. the same argument building the real stack check uses.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from mock_engine import Capture, Resource
from policies import GUARDRAILS
from policies.offline import check_capture
from tests.policy_cases import doc, messages, res

# The security guardrails; AWS's value rules have their cases in tests/test_aws_values.py.
BY_NAME = {policy.name: policy for policy in GUARDRAILS}
ACCOUNT = "123456789012"
CLOUDFRONT_PREFIX_LIST = "pl-58a04531"
GITHUB_PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def violations(policy_name: str, resources: list[Resource], config: dict | None = None) -> list[str]:
    return messages([BY_NAME[policy_name]], resources, config or None)


# --- realistic building blocks ---------------------------------------------------------------------------------

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_OUT = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET = "aws:s3/bucket:Bucket"


def sg(name: str = "alb-sg", **inputs: Any) -> Resource:
    return res(SG, name, {"vpcId": "vpc-id", "description": "Internal ALB: HTTP from CloudFront only", **inputs})


def ingress(name: str = "alb-in", **inputs: Any) -> Resource:
    return res(VPC_IN, name, {"securityGroupId": "alb-sg-id", "ipProtocol": "tcp", "fromPort": 80.0, "toPort": 80.0,
                              "description": "HTTP from CloudFront origin-facing servers", **inputs})


def egress(name: str = "ecs-out", **inputs: Any) -> Resource:
    return res(VPC_OUT, name, {"securityGroupId": "ecs-sg-id", "ipProtocol": "tcp", "fromPort": 443.0,
                               "toPort": 443.0, "description": "HTTPS to AWS APIs via the NAT", **inputs})


def ecs_trust(**extra: Any) -> str:
    return doc({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, **extra})


def github_trust(condition: dict[str, Any]) -> str:
    return doc({"Effect": "Allow", "Principal": {"Federated": GITHUB_PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})


def role(name: str = "task-role", trust: str | None = None, **inputs: Any) -> Resource:
    return res(ROLE, name, {"assumeRolePolicy": trust or ecs_trust(), "description": "Application role", **inputs})


def role_policy(*statements: dict[str, Any], on: Resource | None = None, name: str = "task-policy") -> Resource:
    return res(ROLE_POLICY, name, {"role": "task-role-id", "policy": doc(*statements)},
               deps={"role": [on]} if on else None)


def allow(actions: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


TABLE_ARN = f"arn:aws:dynamodb:ap-northeast-1:{ACCOUNT}:table/webstack-dev-items"
EXEC_ACTIONS = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]


def task_definition(**container: Any) -> Resource:
    definition = {"name": "api", "image": f"{ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com/api:abc123",
                  "essential": True, "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                  "readonlyRootFilesystem": True, "user": "10001", "privileged": False, **container}
    definition = {k: v for k, v in definition.items() if v is not None}
    return res("aws:ecs/taskDefinition:TaskDefinition", "api-task", {
        "family": "webstack-dev-api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512", "containerDefinitions": json.dumps([definition]),
        "taskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/api-task",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/api-exec"})


def nat_instance(**inputs: Any) -> Resource:
    return res("aws:ec2/instance:Instance", "nat", {
        "ami": "ami-0a1b2c3d4e5f67890", "instanceType": "t4g.nano", "subnetId": "public-nat-id",
        "associatePublicIpAddress": True, "sourceDestCheck": False,
        "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 1.0},
        "rootBlockDevice": {"encrypted": True, "volumeType": "gp3", "deleteOnTermination": True}, **inputs})


def subnet(tier: str, public: bool, name: str | None = None) -> Resource:
    name = name or f"webstack-dev-{tier}-0"
    return res("aws:ec2/subnet:Subnet", name, {"vpcId": "vpc-id", "cidrBlock": "10.0.192.0/28",
                                               "mapPublicIpOnLaunch": public, "tags": {"Name": name, "tier": tier}})


def bucket(name: str = "images") -> Resource:
    return res(BUCKET, name, {"forceDestroy": False, "tags": {"Name": name}})


def on_bucket(type_: str, target: Resource, name: str, **inputs: Any) -> Resource:
    return res(type_, name, {"bucket": f"{target.name}-id", **inputs}, deps={"bucket": [target]})


def public_access_block(target: Resource, **flags: bool) -> Resource:
    values = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
              "restrictPublicBuckets": True, **flags}
    return on_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", target, f"{target.name}-pab", **values)


def encryption(target: Resource) -> Resource:
    return on_bucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                     target, f"{target.name}-sse",
                     rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}])


TLS_DENY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::images", "arn:aws:s3:::images/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
CLOUDFRONT_READ = {"Sid": "CloudFrontReadsSite", "Effect": "Allow",
                   "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                   "Resource": "arn:aws:s3:::site/*",
                   "Condition": {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"}}}


def bucket_policy(target: Resource, *statements: dict[str, Any]) -> Resource:
    return on_bucket("aws:s3/bucketPolicy:BucketPolicy", target, f"{target.name}-policy", policy=doc(*statements))


def behaviour(path: str | None = None, **inputs: Any) -> dict[str, Any]:
    value = {"targetOriginId": "api-alb" if path else "site-bucket", "viewerProtocolPolicy": "redirect-to-https",
             "allowedMethods": ["GET", "HEAD"], "cachedMethods": ["GET", "HEAD"],
             "cachePolicyId": "cache-policy-Managed-CachingOptimized",
             "responseHeadersPolicyId": "security-headers-id", **inputs}
    if path:
        value["pathPattern"] = path
    return {k: v for k, v in value.items() if v is not None}


SITE_ORIGIN = {"originId": "site-bucket", "domainName": "site.s3.ap-northeast-1.amazonaws.com",
               "originAccessControlId": "oac-id"}
API_ORIGIN = {"originId": "api-alb", "domainName": "internal-api-alb.ap-northeast-1.elb.amazonaws.com",
              "vpcOriginConfig": {"vpcOriginId": "api-origin-id", "originReadTimeout": 30.0}}


def distribution(default: dict | None = None, ordered: list | None = None, origins: list | None = None,
                 certificate: dict | None = None) -> Resource:
    return res("aws:cloudfront/distribution:Distribution", "site-cdn", {
        "enabled": True, "defaultRootObject": "index.html", "origins": origins or [SITE_ORIGIN, API_ORIGIN],
        "defaultCacheBehavior": default or behaviour(), "orderedCacheBehaviors": ordered or [behaviour("/api/*")],
        "viewerCertificate": certificate or {"cloudfrontDefaultCertificate": True},
        "restrictions": {"geoRestriction": {"restrictionType": "none"}}})


def one(type_: str, resource_name: str, **inputs: Any) -> list[Resource]:
    return [res(type_, resource_name, inputs)]


def case(policy: str, label: str, resources: Any, fires: bool, config: dict | None = None):
    resources = resources if isinstance(resources, list) else [resources]
    return pytest.param(policy, resources, fires, config, id=f"{policy}: {label}")


def _mixed_group() -> list[Resource]:
    group = sg(ingress=[{"protocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "prefixListIds": [CLOUDFRONT_PREFIX_LIST],
                         "description": "HTTP from CloudFront"}])
    extra = res(VPC_IN, "alb-in-8080", {"securityGroupId": "alb-sg-id", "ipProtocol": "tcp", "fromPort": 8080.0,
                                        "toPort": 8080.0, "prefixListId": CLOUDFRONT_PREFIX_LIST,
                                        "description": "Alternate port"}, deps={"securityGroupId": [group]})
    return [group, extra]


def _standalone_only_group(echo_inline: bool) -> list[Resource]:
    # After deployment the engine reports a group's rules as AWS holds them, standalone ones included.
    echoed = [{"protocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "prefixListIds": [CLOUDFRONT_PREFIX_LIST],
               "description": "HTTP from CloudFront"}] if echo_inline else []
    group = sg(ingress=echoed) if echo_inline else sg()
    rule = res(VPC_IN, "alb-in", {"securityGroupId": "alb-sg-id", "ipProtocol": "tcp", "fromPort": 80.0,
                                  "toPort": 80.0, "prefixListId": CLOUDFRONT_PREFIX_LIST,
                                  "description": "HTTP from CloudFront"}, deps={"securityGroupId": [group]})
    return [group, rule]


def _role_with(inline: bool, standalone: bool, managed: bool = False, attachment: bool = False) -> list[Resource]:
    inputs: dict[str, Any] = {}
    if inline:
        inputs["inlinePolicies"] = [{"name": "read", "policy": doc(allow("dynamodb:GetItem", TABLE_ARN))}]
    if managed:
        inputs["managedPolicyArns"] = ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
    target = role(**inputs)
    found = [target]
    if standalone:
        found.append(role_policy(allow("dynamodb:Query", TABLE_ARN), on=target))
    if attachment:
        found.append(res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ssm", {
            "role": "task-role-id", "policyArn": "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"},
            deps={"role": [target]}))
    return found


def _deployed_role_echoing_its_standalone_policies() -> list[Resource]:
    # After deployment the engine reports a role's inline and attached policies as AWS holds them.
    read = doc(allow("dynamodb:Query", TABLE_ARN))
    ssm = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    target = role(inlinePolicies=[{"name": "task-read", "policy": read}], managedPolicyArns=[ssm])
    return [target,
            res(ROLE_POLICY, "task-policy", {"role": "task-role", "name": "task-read", "policy": read},
                deps={"role": [target]}),
            res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ssm", {"role": "task-role", "policyArn": ssm},
                deps={"role": [target]})]


def _bucket_with(pab: bool = True, pab_flags: dict | None = None, sse: bool = True,
                 policy: list | None = None) -> list[Resource]:
    target = bucket()
    found = [target]
    if pab:
        found.append(public_access_block(target, **(pab_flags or {})))
    if sse:
        found.append(encryption(target))
    found.append(bucket_policy(target, *(policy if policy is not None else [TLS_DENY])))
    return found



# A read-only service as components/service.py declares it: a task definition tagged access: read-only whose task
# and execution roles are found by property dependency (or, without one, by the role name in the ARN).
READ_ONLY = {"access": "read-only"}
IMAGES_ARN = "arn:aws:s3:::webstack-dev-images"
QUEUE_ARN = f"arn:aws:sqs:ap-northeast-1:{ACCOUNT}:webstack-dev-jobs"
TASK_READS = [allow(["dynamodb:GetItem", "dynamodb:Scan"], TABLE_ARN),
              allow("s3:GetObject", [f"{IMAGES_ARN}/images/*", f"{IMAGES_ARN}/variants/*"])]
EXECUTION_GRANTS = [
    allow(["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
          f"arn:aws:ecr:ap-northeast-1:{ACCOUNT}:repository/webstack-dev-repo"),
    allow("ecr:GetAuthorizationToken", "*"),
    allow(["logs:CreateLogStream", "logs:PutLogEvents"],
          f"arn:aws:logs:ap-northeast-1:{ACCOUNT}:log-group:/ecs/webstack-dev-api:*")]


def _read_only_service(*task_statements: dict[str, Any], tagged: bool = True, by_name: bool = False,
                       execution: list[dict[str, Any]] | None = None,
                       execution_inline: list[dict[str, Any]] | None = None) -> list[Resource]:
    names = {"task": "webstack-dev-api-task", "execution": "webstack-dev-api-execution"}
    roles = {kind: res(ROLE, f"api-{kind}-role", {
        "assumeRolePolicy": ecs_trust(), "description": "Application role", **({"name": name} if by_name else {}),
        **({"inlinePolicies": [{"name": "inline", "policy": doc(*execution_inline)}]}
           if kind == "execution" and execution_inline else {})}) for kind, name in names.items()}
    policies = [res(ROLE_POLICY, f"api-{kind}-policy",
                    {"role": names[kind] if by_name else f"api-{kind}-role-id", "policy": doc(*grants)},
                    deps=None if by_name else {"role": [roles[kind]]})
                for kind, grants in (("task", list(task_statements or TASK_READS)),
                                     ("execution", execution if execution is not None else EXECUTION_GRANTS))]
    definition = res("aws:ecs/taskDefinition:TaskDefinition", "api-task-definition", {
        **task_definition().inputs, "tags": READ_ONLY if tagged else {"service": "admin"},
        "taskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{names['task']}",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{names['execution']}"},
        deps=None if by_name else {"taskRoleArn": [roles["task"]], "executionRoleArn": [roles["execution"]]})
    return [*roles.values(), *policies, definition]


def _with_attached_policy(policy_arn: str, declared: dict[str, Any] | None = None) -> list[Resource]:
    service = _read_only_service()
    task_role = service[0]
    found = list(service)
    deps: dict[str, list[Resource]] = {"role": [task_role]}
    if declared is not None:
        managed = res("aws:iam/policy:Policy", "api-extra", {"policy": doc(declared)})
        found.append(managed)
        deps["policyArn"] = [managed]
    found.append(res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "api-extra-attachment",
                     {"role": "api-task-role-id", "policyArn": policy_arn}, deps=deps))
    return found


def _role_tagged_read_only_on_its_own(*statements: dict[str, Any]) -> list[Resource]:
    tagged = role("reporting-role", tags=READ_ONLY)
    return [tagged, role_policy(*statements, on=tagged, name="reporting-policy")]


# The three services as components/service.py and __main__.py declare them behind the load balancer: the public API
# on /api/*, the admin API on /api/admin/* (the write path), the worker behind no load balancer. Target groups and
# task definitions are found by property dependency or, without one, by the ARNs the inputs hold.
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def _target_group_arn(name: str) -> str:
    return f"arn:aws:elasticloadbalancing:ap-northeast-1:{ACCOUNT}:targetgroup/{name}/0123456789"


def _paths(*values: str) -> list[dict[str, Any]]:
    return [{"pathPattern": {"values": list(values)}}]


def _routed_services(api_tags: dict[str, str] = READ_ONLY, admin_conditions: list[dict[str, Any]] | None = None,
                     api_rule_targets: tuple[str, ...] = ("api-blue", "api-green"), by_arn: bool = False,
                     api_definition: bool = True) -> list[Resource]:
    """`by_arn`: no property dependencies, as a stack handed over without them; `api_definition`: the public API's
    task definition is one of the stack's."""
    groups = {name: res(TARGET_GROUP, name, {"arn": _target_group_arn(name), "port": 8080.0, "protocol": "HTTP"})
              for name in ("api-blue", "api-green", "admin-blue")}
    definitions = {key: res(TASK_DEFINITION, f"{key}-task", {
        **task_definition().inputs, "family": f"webstack-dev-{key}", "tags": {"service": key, **tags},
        "arn": f"arn:aws:ecs:ap-northeast-1:{ACCOUNT}:task-definition/webstack-dev-{key}:1"})
        for key, tags in (("api", api_tags), ("admin", {}), ("worker", {}))}

    def rule(name: str, conditions: list[dict[str, Any]], targets: tuple[str, ...]) -> Resource:
        forward = [{"arn": _target_group_arn(t), "weight": 100.0 if i == 0 else 0.0} for i, t in enumerate(targets)]
        return res("aws:lb/listenerRule:ListenerRule", name, {
            "listenerArn": "listener-arn", "priority": 10.0, "conditions": conditions,
            "actions": [{"type": "forward", "forward": {"targetGroups": forward}}]},
            deps=None if by_arn else {"actions": [groups[t] for t in targets]})

    def service(key: str, blue: str | None = None, green: str | None = None, declared: bool = True) -> Resource:
        balancers = [{"containerName": key, "containerPort": 8080.0, "targetGroupArn": _target_group_arn(blue),
                      **({"advancedConfiguration": {"alternateTargetGroupArn": _target_group_arn(green)}}
                         if green else {})}] if blue else []
        definition = definitions[key]
        deps = {} if by_arn or not declared else {"taskDefinition": [definition]}
        if blue and not by_arn:
            deps["loadBalancers"] = [groups[g] for g in (blue, green) if g]
        arn = definition.get("arn") if declared else f"arn:aws:ecs:ap-northeast-1:{ACCOUNT}:task-definition/other:3"
        return res(ECS_SERVICE, f"{key}-service", {"cluster": "cluster-arn", "launchType": "FARGATE",
                                                  "loadBalancers": balancers, "taskDefinition": arn}, deps=deps)

    return [*groups.values(), *(d for d in definitions.values() if api_definition or d.name != "api-task"),
            rule("api-route", _paths("/api/*"), api_rule_targets),
            rule("admin-route", _paths("/api/admin/*") if admin_conditions is None else admin_conditions,
                 ("admin-blue",)),
            service("api", "api-blue", "api-green", declared=api_definition), service("admin", "admin-blue"),
            service("worker")]

CASES = [
    # --- security groups ---
    case("sg-no-ingress-from-internet", "inline HTTPS from 0.0.0.0/0",
         sg(ingress=[{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"],
                      "description": "HTTPS from anywhere"}]), fires=True),
    case("sg-no-ingress-from-internet", "SecurityGroupRule SSH from ::/0",
         one(SG_RULE, "ssh", type="ingress", securityGroupId="sg-id", protocol="tcp", fromPort=22.0, toPort=22.0,
             ipv6CidrBlocks=["::/0"], description="SSH"), fires=True),
    case("sg-no-ingress-from-internet", "vpc ingress rule HTTP from 0.0.0.0/0",
         ingress(cidrIpv4="0.0.0.0/0"), fires=True),
    case("sg-no-ingress-from-internet", "ingress from the CloudFront prefix list",
         ingress(prefixListId=CLOUDFRONT_PREFIX_LIST), fires=False),
    case("sg-no-ingress-from-internet", "NAT egress TCP 443 to 0.0.0.0/0 is not ingress",
         egress(cidrIpv4="0.0.0.0/0"), fires=False),

    case("sg-ingress-only-from-groups-or-allowed-prefix-lists", "ingress from a VPC CIDR",
         ingress(cidrIpv4="10.0.0.0/16"), fires=True),
    case("sg-ingress-only-from-groups-or-allowed-prefix-lists", "ingress from an unknown prefix list",
         ingress(prefixListId="pl-0123456789abcdef0"), fires=True),
    case("sg-ingress-only-from-groups-or-allowed-prefix-lists", "inline ingress from a CIDR",
         sg(ingress=[{"protocol": "tcp", "fromPort": 8080.0, "toPort": 8080.0, "cidrBlocks": ["10.0.64.0/20"],
                      "description": "from the container tier"}]), fires=True),
    case("sg-ingress-only-from-groups-or-allowed-prefix-lists", "ingress from the CloudFront prefix list",
         ingress(prefixListId=CLOUDFRONT_PREFIX_LIST), fires=False),
    case("sg-ingress-only-from-groups-or-allowed-prefix-lists", "ingress from the ALB's security group",
         ingress(referencedSecurityGroupId="alb-sg-id", fromPort=8080.0, toPort=8080.0), fires=False),
    case("sg-ingress-only-from-groups-or-allowed-prefix-lists", "CIDR allow-listed in the policy config",
         ingress(cidrIpv4="10.0.0.0/16"), fires=False,
         config={"sg-ingress-only-from-groups-or-allowed-prefix-lists": {
             "allowedPrefixListIds": [CLOUDFRONT_PREFIX_LIST], "allowedIngressCidrs": ["10.0.0.0/16"]}}),

    case("sg-no-all-traffic-ingress", "all protocols from a group",
         ingress(ipProtocol="-1", fromPort=None, toPort=None, referencedSecurityGroupId="alb-sg-id"), fires=True),
    case("sg-no-all-traffic-ingress", "inline TCP 0-65535",
         sg(ingress=[{"protocol": "tcp", "fromPort": 0.0, "toPort": 65535.0, "securityGroups": ["alb-sg-id"],
                      "description": "everything from the ALB"}]), fires=True),
    case("sg-no-all-traffic-ingress", "the app port only",
         ingress(referencedSecurityGroupId="alb-sg-id", fromPort=8080.0, toPort=8080.0), fires=False),

    case("sg-no-all-protocol-egress-to-internet", "inline all-protocol egress to 0.0.0.0/0",
         sg(egress=[{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"],
                     "description": "everything out"}]), fires=True),
    case("sg-no-all-protocol-egress-to-internet", "vpc egress rule all protocols to ::/0",
         egress(ipProtocol="-1", fromPort=None, toPort=None, cidrIpv6="::/0"), fires=True),
    case("sg-no-all-protocol-egress-to-internet", "NAT instance TCP 443 to 0.0.0.0/0",
         egress(cidrIpv4="0.0.0.0/0"), fires=False),
    case("sg-no-all-protocol-egress-to-internet", "all protocols to a security group",
         egress(ipProtocol="-1", fromPort=None, toPort=None, referencedSecurityGroupId="ecs-sg-id"), fires=False),

    case("sg-groups-and-rules-described", "group with the default description",
         sg(description="Managed by Pulumi"), fires=True),
    case("sg-groups-and-rules-described", "rule without description",
         ingress(prefixListId=CLOUDFRONT_PREFIX_LIST, description=""), fires=True),
    case("sg-groups-and-rules-described", "described group and rule",
         [sg(), ingress(prefixListId=CLOUDFRONT_PREFIX_LIST)], fires=False),

    case("sg-default-group-closed", "default group keeps self-referencing ingress",
         one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg", vpcId="vpc-id",
             ingress=[{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": True}], egress=[]), fires=True),
    case("sg-default-group-closed", "default group stripped",
         one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg", vpcId="vpc-id", ingress=[],
             egress=[]), fires=False),

    case("sg-no-mixed-inline-and-standalone-rules", "inline ingress plus a standalone rule", _mixed_group(),
         fires=True),
    case("sg-no-mixed-inline-and-standalone-rules", "standalone rules only", _standalone_only_group(False),
         fires=False),
    case("sg-no-mixed-inline-and-standalone-rules", "deployed group echoing its standalone rule",
         _standalone_only_group(True), fires=False),

    # --- IAM ---
    case("iam-no-wildcard-actions", "RolePolicy allows s3:*",
         role_policy(allow("s3:*", "arn:aws:s3:::images/*")), fires=True),
    case("iam-no-wildcard-actions", "managed Policy (document as object) allows *",
         one("aws:iam/policy:Policy", "admin", policy={"Version": "2012-10-17",
                                                       "Statement": allow("*", "*")}), fires=True),
    case("iam-no-wildcard-actions", "role inline policy with NotAction",
         role(inlinePolicies=[{"name": "all-but", "policy": doc({"Effect": "Allow", "NotAction": "iam:*",
                                                                  "Resource": "*"})}]), fires=True),
    case("iam-no-wildcard-actions", "exact read actions",
         role_policy(allow(["dynamodb:GetItem", "dynamodb:Query"], TABLE_ARN)), fires=False),
    case("iam-no-wildcard-actions", "a Deny on s3:* restricts, it does not grant",
         role_policy(allow("s3:GetObject", "arn:aws:s3:::images/*"),
                     {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                      "Condition": {"Bool": {"aws:SecureTransport": "false"}}}), fires=False),

    case("iam-no-wildcard-resource", "table reads on Resource *", role_policy(allow("dynamodb:GetItem", "*")),
         fires=True),
    case("iam-no-wildcard-resource", "allow-listed and scoped actions mixed on *",
         role_policy(allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImage"], "*")), fires=True),
    case("iam-no-wildcard-resource", "ecr:GetAuthorizationToken on *",
         role_policy(allow("ecr:GetAuthorizationToken", "*")), fires=False),
    case("iam-no-wildcard-resource", "ECS Exec's ssmmessages channels on *",
         role_policy(allow(EXEC_ACTIONS, "*")), fires=False),
    case("iam-no-wildcard-resource", "reads scoped to the table", role_policy(allow("dynamodb:GetItem", TABLE_ARN)),
         fires=False),

    case("iam-trust-names-specific-principals", "Principal *",
         role(trust=doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})), fires=True),
    case("iam-trust-names-specific-principals", "AWS: *",
         role(trust=doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})), fires=True),
    case("iam-trust-names-specific-principals", "service outside the allow-list",
         role(trust=doc({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                         "Action": "sts:AssumeRole"})), fires=True),
    case("iam-trust-names-specific-principals", "ecs-tasks for this account", role(), fires=False),
    case("iam-trust-names-specific-principals", "GitHub's OIDC provider",
         role(trust=github_trust({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                                   "token.actions.githubusercontent.com:sub":
                                                       "repo:acme/webstack:environment:prd"}})), fires=False),

    case("iam-github-oidc-trust-pinned", "no audience condition",
         role(trust=github_trust({"StringLike": {"token.actions.githubusercontent.com:sub":
                                                     "repo:acme/webstack:*"}})), fires=True),
    case("iam-github-oidc-trust-pinned", "any repository (repo:*)",
         role(trust=github_trust({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                                  "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}})), fires=True),
    case("iam-github-oidc-trust-pinned", "bare wildcard subject",
         role(trust=github_trust({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                                  "StringLike": {"token.actions.githubusercontent.com:sub": "*"}})), fires=True),
    case("iam-github-oidc-trust-pinned", "every repository of the owner",
         role(trust=github_trust({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                                  "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*:*"}})),
         fires=True),
    case("iam-github-oidc-trust-pinned", "no subject condition",
         role(trust=github_trust({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}})),
         fires=True),
    case("iam-github-oidc-trust-pinned", "repository and environment pinned",
         role(trust=github_trust({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                                   "token.actions.githubusercontent.com:sub":
                                                       "repo:acme/webstack:environment:prd"}})), fires=False),
    case("iam-github-oidc-trust-pinned", "repository pinned, pull requests by StringLike",
         role(trust=github_trust({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                                  "StringLike": {"token.actions.githubusercontent.com:sub":
                                                     ["repo:acme/webstack:pull_request",
                                                      "repo:acme/webstack:ref:refs/heads/*"]}})), fires=False),

    case("iam-no-admin-managed-policies", "AdministratorAccess attached",
         one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "admin", role="ci-role-id",
             policyArn="arn:aws:iam::aws:policy/AdministratorAccess"), fires=True),
    case("iam-no-admin-managed-policies", "IAMFullAccess in managedPolicyArns",
         role(managedPolicyArns=["arn:aws:iam::aws:policy/IAMFullAccess"]), fires=True),
    case("iam-no-admin-managed-policies", "Session Manager core policy",
         one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "nat-ssm", role="nat-role-id",
             policyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"), fires=False),

    case("iam-no-conflicting-role-policy-management", "inlinePolicies and a RolePolicy",
         _role_with(inline=True, standalone=True), fires=True),
    case("iam-no-conflicting-role-policy-management", "managedPolicyArns and a RolePolicyAttachment",
         _role_with(inline=False, standalone=False, managed=True, attachment=True), fires=True),
    case("iam-no-conflicting-role-policy-management", "RolePolicy and attachment only",
         _role_with(inline=False, standalone=True, attachment=True), fires=False),
    case("iam-no-conflicting-role-policy-management", "deployed role echoing its RolePolicy and attachment",
         _deployed_role_echoing_its_standalone_policies(), fires=False),

    case("iam-read-only-service-cannot-write", "PutItem on the task role",
         _read_only_service(*TASK_READS, allow("dynamodb:PutItem", TABLE_ARN)), fires=True),
    case("iam-read-only-service-cannot-write", "s3:Put* on the task role",
         _read_only_service(allow("s3:Put*", f"{IMAGES_ARN}/variants/*")), fires=True),
    case("iam-read-only-service-cannot-write", "* on the task role", _read_only_service(allow("*", "*")), fires=True),
    case("iam-read-only-service-cannot-write", "dynamodb:*Item, which matches PutItem",
         _read_only_service(allow("dynamodb:*Item", TABLE_ARN)), fires=True),
    case("iam-read-only-service-cannot-write", "NotAction on the task role",
         _read_only_service({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), fires=True),
    case("iam-read-only-service-cannot-write", "an attached managed policy of the stack granting BatchWriteItem",
         _with_attached_policy("arn:aws:iam::123456789012:policy/api-extra",
                               declared=allow("dynamodb:BatchWriteItem", TABLE_ARN)), fires=True),
    case("iam-read-only-service-cannot-write", "an AWS managed policy the stack does not declare",
         _with_attached_policy("arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"), fires=True),
    case("iam-read-only-service-cannot-write", "SendMessage in the execution role's inline policy",
         _read_only_service(execution_inline=[allow("sqs:SendMessage", QUEUE_ARN)]), fires=True),
    case("iam-read-only-service-cannot-write", "roles found by the names in their ARNs, one encrypting with KMS",
         _read_only_service(allow("kms:GenerateDataKey",
                                  f"arn:aws:kms:ap-northeast-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
                            by_name=True), fires=True),
    case("iam-read-only-service-cannot-write", "a role tagged read-only on its own publishing to SNS",
         _role_tagged_read_only_on_its_own(allow("sns:Publish", f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:alarms")),
         fires=True),
    case("iam-read-only-service-cannot-write", "a task role outside the stack",
         one("aws:ecs/taskDefinition:TaskDefinition", "api-task-definition",
             **{**task_definition().inputs, "tags": READ_ONLY}), fires=True),
    case("iam-read-only-service-cannot-write", "reads, the execution role's pull and logs, ECS Exec's channels",
         _read_only_service(*TASK_READS, allow(EXEC_ACTIONS, "*")), fires=False),
    case("iam-read-only-service-cannot-write", "the same write on a service not tagged read-only",
         _read_only_service(allow("dynamodb:PutItem", TABLE_ARN), tagged=False), fires=False),
    case("iam-read-only-service-cannot-write", "a Deny of s3:* restricts, it grants nothing",
         _read_only_service(*TASK_READS, {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
         fires=False),
    case("iam-read-only-service-cannot-write", "dynamodb:Get* and s3:Get?bject cannot match a write",
         _read_only_service(allow("dynamodb:Get*", TABLE_ARN), allow("s3:Get?bject", f"{IMAGES_ARN}/*")),
         fires=False),
    case("iam-read-only-service-cannot-write", "the allow-listed AWS managed execution policy",
         _with_attached_policy("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"),
         fires=False),

    case("iam-public-service-is-read-only", "the public API's task definition without the tag",
         _routed_services(api_tags={}), fires=True),
    case("iam-public-service-is-read-only", "tag dropped; the rule forwards to the release's alternate group only, "
         "matched by ARN", _routed_services(api_tags={}, api_rule_targets=("api-green",), by_arn=True), fires=True),
    case("iam-public-service-is-read-only", "admin API also answering a path outside the write paths",
         _routed_services(admin_conditions=_paths("/api/admin/*", "/api/items/*")), fires=True),
    case("iam-public-service-is-read-only", "admin API on /api/admin*, which also matches /api/administrators",
         _routed_services(admin_conditions=_paths("/api/admin*")), fires=True),
    case("iam-public-service-is-read-only", "admin API behind a rule that tests no path",
         _routed_services(admin_conditions=[{"hostHeader": {"values": ["admin.example.com"]}}]), fires=True),
    case("iam-public-service-is-read-only", "a public service whose task definition the stack does not declare",
         _routed_services(api_definition=False), fires=True),
    case("iam-public-service-is-read-only", "public API tagged read-only; admin API on the write path; worker",
         _routed_services(), fires=False),
    case("iam-public-service-is-read-only", "the same, found by ARN without property dependencies",
         _routed_services(by_arn=True), fires=False),
    case("iam-public-service-is-read-only", "admin API on paths inside the write path",
         _routed_services(admin_conditions=_paths("/api/admin/items/*", "/api/admin/items/?")), fires=False),
    case("iam-public-service-is-read-only", "a path the settings make a write path",
         _routed_services(api_tags={}), fires=False,
         config={"iam-public-service-is-read-only": {"writePathPatterns": ["/api/*"]}}),

    # --- compute ---
    case("alb-internal-only", "internet-facing ALB",
         one("aws:lb/loadBalancer:LoadBalancer", "alb", internal=False, loadBalancerType="application",
             dropInvalidHeaderFields=True), fires=True),
    case("alb-internal-only", "scheme left to the default (internet-facing)",
         one("aws:alb/loadBalancer:LoadBalancer", "alb", dropInvalidHeaderFields=True), fires=True),
    case("alb-internal-only", "internal ALB",
         one("aws:lb/loadBalancer:LoadBalancer", "alb", internal=True, loadBalancerType="application",
             dropInvalidHeaderFields=True), fires=False),

    case("alb-drops-invalid-headers", "invalid headers forwarded",
         one("aws:lb/loadBalancer:LoadBalancer", "alb", internal=True, loadBalancerType="application"), fires=True),
    case("alb-drops-invalid-headers", "invalid headers dropped",
         one("aws:lb/loadBalancer:LoadBalancer", "alb", internal=True, dropInvalidHeaderFields=True), fires=False),
    case("alb-drops-invalid-headers", "network load balancers have no HTTP headers",
         one("aws:lb/loadBalancer:LoadBalancer", "nlb", internal=True, loadBalancerType="network"), fires=False),

    case("ecs-service-no-public-ip", "tasks with public IPs",
         one("aws:ecs/service:Service", "api", launchType="FARGATE", networkConfiguration={
             "subnets": ["container-0-id"], "securityGroups": ["ecs-sg-id"], "assignPublicIp": True}), fires=True),
    case("ecs-service-no-public-ip", "tasks in private subnets",
         one("aws:ecs/service:Service", "api", networkConfiguration={
             "subnets": ["container-0-id"], "securityGroups": ["ecs-sg-id"], "assignPublicIp": False}), fires=False),

    case("ecs-containers-not-privileged", "privileged container", task_definition(privileged=True), fires=True),
    case("ecs-containers-not-privileged", "unprivileged container", task_definition(), fires=False),

    case("ecs-containers-read-only-root", "writable root filesystem",
         task_definition(readonlyRootFilesystem=None), fires=True),
    case("ecs-containers-read-only-root", "read-only root filesystem", task_definition(), fires=False),

    case("ecs-task-and-execution-roles-differ", "one role for both",
         res("aws:ecs/taskDefinition:TaskDefinition", "api-task", {
             **task_definition().inputs, "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/api-task"}), fires=True),
    case("ecs-task-and-execution-roles-differ", "separate roles", task_definition(), fires=False),

    case("subnet-no-public-ip-on-launch", "container subnet maps public IPs", subnet("container", True), fires=True),
    case("subnet-no-public-ip-on-launch", "private subnet", subnet("container", False), fires=False),
    case("subnet-no-public-ip-on-launch", "the NAT's public-tier subnet", subnet("public", True), fires=False),
    case("subnet-no-public-ip-on-launch", "a subnet allow-listed by name",
         subnet("edge", True, name="webstack-dev-bastion"), fires=False,
         config={"subnet-no-public-ip-on-launch": {"publicSubnetTiers": ["public"],
                                                   "publicSubnetNames": ["webstack-dev-bastion"]}}),

    case("ec2-public-ip-only-for-nat", "an app server with a public IP",
         nat_instance(sourceDestCheck=None), fires=True),
    case("ec2-public-ip-only-for-nat", "NAT instance (source/dest check off)", nat_instance(), fires=False),

    case("ec2-imdsv2-required", "IMDSv1 still answers",
         nat_instance(metadataOptions={"httpTokens": "optional", "httpEndpoint": "enabled"}), fires=True),
    case("ec2-imdsv2-required", "no metadata options at all", nat_instance(metadataOptions=None), fires=True),
    case("ec2-imdsv2-required", "IMDSv2 only", nat_instance(), fires=False),

    case("ec2-volumes-encrypted", "unencrypted root volume",
         nat_instance(rootBlockDevice={"volumeType": "gp3"}), fires=True),
    case("ec2-volumes-encrypted", "encrypted root volume", nat_instance(), fires=False),

    case("ecr-tags-immutable", "mutable tags",
         one("aws:ecr/repository:Repository", "repo", imageTagMutability="MUTABLE",
             imageScanningConfiguration={"scanOnPush": True}), fires=True),
    case("ecr-tags-immutable", "immutable tags",
         one("aws:ecr/repository:Repository", "repo", imageTagMutability="IMMUTABLE",
             imageScanningConfiguration={"scanOnPush": True}), fires=False),

    case("ecr-scan-on-push", "no scanning",
         one("aws:ecr/repository:Repository", "repo", imageTagMutability="IMMUTABLE"), fires=True),
    case("ecr-scan-on-push", "scan on push",
         one("aws:ecr/repository:Repository", "repo", imageTagMutability="IMMUTABLE",
             imageScanningConfiguration={"scanOnPush": True}), fires=False),

    case("log-group-retention", "kept forever", one("aws:cloudwatch/logGroup:LogGroup", "logs", name="/ecs/api"),
         fires=True),
    case("log-group-retention", "14 days",
         one("aws:cloudwatch/logGroup:LogGroup", "logs", name="/ecs/api", retentionInDays=14.0), fires=False),

    # --- storage ---
    case("s3-buckets-block-public-access", "bucket without a public-access block", _bucket_with(pab=False),
         fires=True),
    case("s3-buckets-block-public-access", "block with public policies allowed",
         _bucket_with(pab_flags={"restrictPublicBuckets": False, "blockPublicPolicy": False}), fires=True),
    case("s3-buckets-block-public-access", "all four flags on", _bucket_with(), fires=False),

    case("s3-buckets-encrypted", "no default encryption", _bucket_with(sse=False), fires=True),
    case("s3-buckets-encrypted", "SSE-S3 configuration", _bucket_with(), fires=False),

    case("s3-buckets-require-tls", "policy without a TLS deny", _bucket_with(policy=[CLOUDFRONT_READ]), fires=True),
    case("s3-buckets-require-tls", "no policy at all", [bucket(), encryption(bucket())], fires=True),
    case("s3-buckets-require-tls", "TLS-only policy", _bucket_with(policy=[CLOUDFRONT_READ, TLS_DENY]), fires=False),

    case("s3-bucket-policy-no-public-allow", "anyone may read",
         bucket_policy(bucket(), {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                  "Resource": "arn:aws:s3:::images/*"}), fires=True),
    case("s3-bucket-policy-no-public-allow", "CloudFront by distribution ARN",
         bucket_policy(bucket(), CLOUDFRONT_READ, TLS_DENY), fires=False),

    case("dynamodb-sse-enabled", "AWS owned key only",
         one("aws:dynamodb/table:Table", "items", billingMode="PAY_PER_REQUEST", hashKey="id",
             pointInTimeRecovery={"enabled": True}), fires=True),
    case("dynamodb-sse-enabled", "KMS encryption",
         one("aws:dynamodb/table:Table", "items", hashKey="id", serverSideEncryption={"enabled": True}), fires=False),

    case("dynamodb-point-in-time-recovery", "no PITR",
         one("aws:dynamodb/table:Table", "items", hashKey="id", serverSideEncryption={"enabled": True},
             pointInTimeRecovery={"enabled": False}), fires=True),
    case("dynamodb-point-in-time-recovery", "PITR on",
         one("aws:dynamodb/table:Table", "items", hashKey="id", pointInTimeRecovery={"enabled": True}), fires=False),

    # --- edge ---
    case("cloudfront-https-only", "API behaviour allows HTTP",
         distribution(ordered=[behaviour("/api/*", viewerProtocolPolicy="allow-all")]), fires=True),
    case("cloudfront-https-only", "custom certificate accepting TLS 1.0",
         distribution(certificate={"acmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
                                   "sslSupportMethod": "sni-only", "minimumProtocolVersion": "TLSv1"}), fires=True),
    case("cloudfront-https-only", "redirect to HTTPS, TLS 1.2 certificate",
         distribution(certificate={"acmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
                                   "sslSupportMethod": "sni-only", "minimumProtocolVersion": "TLSv1.2_2021"}),
         fires=False),

    case("cloudfront-security-headers", "API behaviour without headers",
         distribution(ordered=[behaviour("/api/*", responseHeadersPolicyId=None)]), fires=True),
    case("cloudfront-security-headers", "headers on every behaviour", distribution(), fires=False),

    case("cloudfront-s3-origins-use-oac", "S3 origin without OAC",
         distribution(origins=[{"originId": "site-bucket", "domainName": "site.s3.ap-northeast-1.amazonaws.com"},
                               API_ORIGIN]), fires=True),
    case("cloudfront-s3-origins-use-oac", "legacy OAI",
         distribution(origins=[{"originId": "site-bucket", "domainName": "site.s3.amazonaws.com",
                                "s3OriginConfig": {"originAccessIdentity": "origin-access-identity/cloudfront/E1"}},
                               API_ORIGIN]), fires=True),
    case("cloudfront-s3-origins-use-oac", "OAC on the S3 origin, VPC origin for the API", distribution(),
         fires=False),
]


@pytest.mark.parametrize("policy, resources, fires, config", CASES)
def test_policy(policy: str, resources: list[Resource], fires: bool, config: dict | None) -> None:
    found = violations(policy, resources, config)
    if fires:
        assert found, f"{policy} should fire"
    else:
        assert found == [], f"{policy} should pass"


def test_every_policy_has_a_firing_and_a_passing_case() -> None:
    # The evidence and protection rules and the waiver report have theirs in tests/test_evidence.py.
    from policies import evidence, protection
    from policies.waivers import WAIVED_POLICY

    elsewhere = {p.name for p in [*evidence.POLICIES, *protection.POLICIES, WAIVED_POLICY]}
    fires = {p.values[0] for p in CASES if p.values[2]}
    passes = {p.values[0] for p in CASES if not p.values[2]}
    assert set(BY_NAME) - elsewhere - fires == set(), "policies without a case where they fire"
    assert set(BY_NAME) - elsewhere - passes == set(), "policies without a case where they pass"


def test_violation_names_the_resource_and_what_is_wrong() -> None:
    [message] = violations("sg-no-ingress-from-internet", [ingress(cidrIpv4="0.0.0.0/0")])
    assert message == "SecurityGroupIngressRule alb-in: rule admits 0.0.0.0/0 on tcp 80."


# --- iam-read-only-service-cannot-write ------------------------------------------------------------------------

@pytest.mark.parametrize("action, write", [
    ("*", True), ("s3:*", True), ("s3:Put*", True), ("dynamodb:*Item", True), ("dynamodb:PutItem", True),
    ("DynamoDB:putitem", True), ("dynamodb:BatchWriteItem", True), ("dynamo*:Update*", True), ("*:Delete*", True),
    ("sqs:SendMessage", True), ("sqs:ChangeMessageVisibility", True), ("sns:Publish", True),
    ("kinesis:PutRecords", True), ("firehose:PutRecordBatch", True), ("es:ESHttpPost", True),
    ("rds:ModifyDBInstance", True), ("secretsmanager:PutSecretValue", True), ("ssm:PutParameter", True),
    ("kms:Encrypt", True), ("kms:GenerateDataKeyWithoutPlaintext", True), ("s3:CopyObject", True),
    ("s3:TagResource", True), ("dynamodb:RestoreTableFromBackup", True),
    ("dynamodb:GetItem", False), ("dynamodb:Scan", False), ("dynamodb:Get*", False), ("dynamodb:BatchGetItem", False),
    ("s3:GetObject", False), ("s3:Get*", False), ("s3:List*", False), ("sqs:ReceiveMessage", False),
    ("kms:Decrypt", False), ("es:ESHttpGet", False), ("ssm:GetParameter", False), ("ssm:StartSession", False),
    ("logs:CreateLogStream", False), ("logs:PutLogEvents", False), ("ssmmessages:CreateDataChannel", False),
    ("ecr:BatchGetImage", False), ("ecr:GetAuthorizationToken", False),
])
def test_an_action_is_a_data_write_when_it_or_a_name_it_matches_writes(action: str, write: bool) -> None:
    from policies.iam import data_write

    assert bool(data_write(action)) is write


def test_read_only_violation_names_the_role_the_statement_and_the_write() -> None:
    service = _read_only_service(*TASK_READS, {**allow("dynamodb:*Item", TABLE_ARN), "Sid": "Oops"})
    [message] = violations("iam-read-only-service-cannot-write", service)
    assert message == ("Role api-task-role of read-only task definition api-task-definition: statement 'Oops' of "
                       "RolePolicy api-task-policy allows dynamodb:*Item (which matches dynamodb:Put*), a write to "
                       "stored data.")


def _public_api_holding_the_admins_grants(capture: Capture) -> Capture:
    """The real stack, with the public API's task policy swapped for the admin API's."""
    def task_policy(key: str) -> Resource:
        return capture.named(f"webstack-{capture.stack}-{key}-roles-task-policy")

    writer, reader = task_policy("admin"), task_policy("api")
    swapped = [replace(r, inputs={**r.inputs, "policy": writer.get("policy")}) if r is reader else r
               for r in capture.resources]
    return Capture(stack=capture.stack, config=capture.config, resources=swapped, outputs={})


def test_both_real_stacks_hold_their_public_api_to_reads(stack: Capture) -> None:
    rule = [BY_NAME["iam-read-only-service-cannot-write"]]
    assert check_capture(stack, policies=rule).violations == []
    # Not vacuously: the rule reaches the public API's roles, and fires the moment they can write.
    found = check_capture(_public_api_holding_the_admins_grants(stack), policies=rule).violations
    assert {v.resource_name for v in found} == {f"webstack-{stack.stack}-api-roles-task"}
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "s3:PutObject", "s3:DeleteObject"} \
        <= {word for v in found for word in v.message.split() if ":" in word}


# --- iam-public-service-is-read-only -----------------------------------------------------------------------------

def _without_the_read_only_tag(capture: Capture, name: str) -> Capture:
    """The real stack, with one task definition's `access` tag removed (as if read_only=True were dropped)."""
    def untagged(r: Resource) -> Resource:
        return replace(r, inputs={**r.inputs, "tags": {k: v for k, v in r.inputs["tags"].items() if k != "access"}})

    assert "access" in capture.named(name).inputs["tags"]
    changed = [untagged(r) if r.name == name else r for r in capture.resources]
    return Capture(stack=capture.stack, config=capture.config, resources=changed, outputs={})


@pytest.mark.parametrize("path, outer, within", [
    ("/api/admin/*", "/api/admin/*", True), ("/api/admin/items", "/api/admin/*", True),
    ("/api/admin/items/?", "/api/admin/*", True), ("/api/admin/*", "/api/*", True),
    ("/api/*", "/api/admin/*", False), ("/api/admin*", "/api/admin/*", False), ("/api/admin", "/api/admin/*", False),
    ("/api/admin/*", "/api/admin/?", False), ("/API/admin/x", "/api/admin/*", False),
])
def test_a_path_pattern_lies_within_a_write_path_only_if_every_path_it_matches_does(path: str, outer: str,
                                                                                    within: bool) -> None:
    from policies.iam import path_within

    assert path_within(path, outer) is within


def test_both_real_stacks_require_the_tag_of_their_public_api_alone(stack: Capture) -> None:
    rule = [BY_NAME["iam-public-service-is-read-only"]]
    # The admin API answers only /api/admin/* and the worker sits behind no load balancer: neither carries the tag.
    untagged = {r.name for r in stack.of_type("aws:ecs/taskDefinition:TaskDefinition")
                if r.inputs["tags"].get("access") != "read-only"}
    assert untagged == {f"webstack-{stack.stack}-admin-task", f"webstack-{stack.stack}-worker-task"}
    assert check_capture(stack, policies=rule).violations == []
    # Not vacuously: the public API is found by its routes, and fails the moment its task definition drops the tag.
    found = check_capture(_without_the_read_only_tag(stack, f"webstack-{stack.stack}-api-task"), policies=rule)
    assert [(v.resource_name, v.level.value) for v in found.violations] == [
        (f"webstack-{stack.stack}-api-task", "mandatory")]
    assert f"ECS service webstack-{stack.stack}-api-service answers public paths through listener rule " \
           f"webstack-{stack.stack}-api-" in found.violations[0].message


def test_prd_fails_the_whole_pack_when_its_public_api_drops_the_read_only_tag(prd: Capture) -> None:
    result = check_capture(_without_the_read_only_tag(prd, "webstack-prd-api-task"))
    assert {(v.policy, v.resource_name) for v in result.mandatory} == {
        ("iam-public-service-is-read-only", "webstack-prd-api-task")}
