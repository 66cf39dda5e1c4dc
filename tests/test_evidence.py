"""The evidence and protection rules (policies/evidence.py, policies/protection.py) and the waiver report: for
each, at least one case where it fires and one where it passes, on resources written as the engine hands them
(camelCase inputs, numbers as floats, property dependencies for every input computed from another resource).

Each case runs through the offline check in a stack no waiver names (`test`), so every violation is mandatory.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel

from mock_engine import Capture, Resource
from policies import evidence, protection
from policies.offline import check_capture
from policies.waivers import WAIVED_POLICY
from tests.policy_cases import doc, messages, res

RULES = [*evidence.POLICIES, *protection.POLICIES, WAIVED_POLICY]
BY_NAME = {policy.name: policy for policy in RULES}
ACCOUNT = "123456789012"
CLOUDFRONT_PREFIX_LIST = "pl-58a04531"


def found(policy: str, resources: list[Resource]) -> list[str]:
    return messages([BY_NAME[policy]], resources)


def case(policy: str, label: str, resources: list[Resource], fires: bool):
    return pytest.param(policy, resources, fires, id=f"{policy}: {label}")


# --- building blocks ---------------------------------------------------------------------------------------------

BUCKET = "aws:s3/bucket:Bucket"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LB = "aws:lb/loadBalancer:LoadBalancer"
SG = "aws:ec2/securityGroup:SecurityGroup"
VPC_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def bucket(name: str = "images", **inputs: Any) -> Resource:
    return res(BUCKET, name, inputs)


def on(type_: str, target: Resource, name: str, **inputs: Any) -> Resource:
    return res(type_, name, {"bucket": f"{target.name}-id", **inputs}, deps={"bucket": [target]})


def logging_into(source: Resource, archive: Resource) -> Resource:
    return res("aws:s3/bucketLogging:BucketLogging", f"{source.name}-logging",
               {"bucket": f"{source.name}-id", "targetBucket": f"{archive.name}-id", "targetPrefix": "s3/images/"},
               deps={"bucket": [source], "targetBucket": [archive]})


def logged_images() -> list[Resource]:
    """The images bucket and its access logging into an archive (the archive itself is left out)."""
    images = bucket("images")
    return [images, logging_into(images, bucket("archive"))]


def lifecycle(target: Resource, *rules: dict[str, Any]) -> Resource:
    return on("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", target, f"{target.name}-lifecycle",
              rules=list(rules))


def expire_after(days: float) -> dict[str, Any]:
    return {"id": "age-and-expire-logs", "status": "Enabled", "filter": {}, "expiration": {"days": days}}


ABORT_UPLOADS = {"id": "abort-incomplete-uploads", "status": "Enabled", "filter": {},
                 "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7.0}}


def archive_with_policy(*statements: dict[str, Any]) -> list[Resource]:
    """An images bucket logging into an archive whose policy holds `statements`."""
    images, archive = bucket("images"), bucket("archive")
    return [images, archive, logging_into(images, archive),
            on("aws:s3/bucketPolicy:BucketPolicy", archive, "archive-policy", policy=doc(*statements))]


ARCHIVE = "arn:aws:s3:::archive"
S3_LOGS_WRITE = {"Sid": "ImagesBucketAccessLogsWrite", "Effect": "Allow",
                 "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": ["s3:PutObject"],
                 "Resource": f"{ARCHIVE}/s3/images/*",
                 "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                               "ArnLike": {"aws:SourceArn": "arn:aws:s3:::images"}}}
TRAIL_ARN = f"arn:aws:cloudtrail:ap-northeast-1:{ACCOUNT}:trail/t"
TRAIL_ACL_CHECK = {"Sid": "AccountTrailAclCheck", "Effect": "Allow",
                   "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": ["s3:GetBucketAcl"],
                   "Resource": ARCHIVE,
                   "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": TRAIL_ARN}}}
ELB_WRITE = {"Sid": "LoadBalancerAccessLogsWrite", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::582318560864:root",
                           "Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
             "Action": ["s3:PutObject"], "Resource": f"{ARCHIVE}/alb/AWSLogs/{ACCOUNT}/*"}
TLS_DENY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [ARCHIVE, f"{ARCHIVE}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def cloudfront_logging(distribution: Resource, *, delivered: bool = True) -> list[Resource]:
    archive = bucket("archive")
    source = res("aws:cloudwatch/logDeliverySource:LogDeliverySource", "cdn-source",
                 {"name": "logs-cloudfront", "logType": "ACCESS_LOGS",
                  "resourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"},
                 deps={"resourceArn": [distribution]})
    destination = res("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination", "cdn-destination",
                      {"name": "logs-cloudfront-s3", "outputFormat": "json", "deliveryDestinationType": "S3",
                       "deliveryDestinationConfiguration": {"destinationResourceArn": f"{ARCHIVE}/cloudfront"}},
                      deps={"deliveryDestinationConfiguration": [archive]})
    delivery = res("aws:cloudwatch/logDelivery:LogDelivery", "cdn-delivery",
                   {"deliverySourceName": "logs-cloudfront",
                    "deliveryDestinationArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery-destination:cdn-s3"},
                   deps={"deliverySourceName": [source], "deliveryDestinationArn": [destination]})
    return [archive, source, destination, *([delivery] if delivered else [])]


def cdn(name: str = "cdn", **inputs: Any) -> Resource:
    return res(DISTRIBUTION, name, {"enabled": True, "origins": [], **inputs})


def web_acl(rules: list[dict[str, Any]], name: str = "waf") -> Resource:
    return res("aws:wafv2/webAcl:WebAcl", name, {"scope": "CLOUDFRONT", "defaultAction": {"allow": {}},
                                                  "rules": rules})


def waf_logging(acl: Resource, headers: tuple[str, ...] = ("authorization", "cookie")) -> Resource:
    return res("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "waf-logging",
               {"resourceArn": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/waf/1",
                "logDestinationConfigs": ["arn:aws:s3:::aws-waf-logs-archive"],
                "redactedFields": [{"singleHeader": {"name": h}} for h in headers]}, deps={"resourceArn": [acl]})


def managed(group: str, priority: float, **extra: Any) -> dict[str, Any]:
    return {"name": group, "priority": priority, "overrideAction": {"none": {}},
            "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": group}}, **extra}


RATE_LIMIT = {"name": "rate-limit-per-ip", "priority": 3.0, "action": {"block": {}},
              "statement": {"rateBasedStatement": {"aggregateKeyType": "IP", "limit": 1000.0}}}


def starts_with(path: str) -> dict[str, Any]:
    return {"byteMatchStatement": {"searchString": path, "positionalConstraint": "STARTS_WITH",
                                   "fieldToMatch": {"uriPath": {}}}}


def admin_allow_list(priority: float) -> dict[str, Any]:
    return {"name": "admin-allow-list", "priority": priority, "action": {"block": {}},
            "statement": {"andStatement": {"statements": [
                {"orStatement": {"statements": [starts_with("/admin"), starts_with("/api/admin/")]}},
                {"notStatement": {"statement": {"ipSetReferenceStatement": {"arn": "arn:aws:wafv2:ip-set"}}}}]}}}


ROUTER_ARN = f"arn:aws:cloudfront::{ACCOUNT}:function/router"


def router(guard: bool) -> Resource:
    config = json.dumps({"guard": guard, "allowed": []}, separators=(",", ":"))
    return res("aws:cloudfront/function:Function", "router", {"name": "router", "runtime": "cloudfront-js-2.0",
                                                               "code": f"var CONFIG = {config};"})


def admin_behaviours(with_function: bool) -> list[dict[str, Any]]:
    associations = [{"eventType": "viewer-request", "functionArn": ROUTER_ARN}] if with_function else []
    return [{"pathPattern": path, "targetOriginId": "origin", "viewerProtocolPolicy": "redirect-to-https",
             "functionAssociations": associations} for path in ("/api/admin/*", "/admin/*")]


def site_guarded_by(*, function: bool | None = None, acl_rules: list | None = None) -> list[Resource]:
    resources: list[Resource] = []
    inputs: dict[str, Any] = {"orderedCacheBehaviors": admin_behaviours(function is not None)}
    deps: dict[str, list[Resource]] = {}
    if function is not None:
        resources.append(router(function))
    if acl_rules is not None:
        acl = web_acl(acl_rules)
        resources.append(acl)
        inputs["webAclId"] = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/waf/1"
        deps["webAclId"] = [acl]
    return [*resources, res(DISTRIBUTION, "cdn", inputs, deps=deps)]


def vpc_origin(policy: str, protocols: tuple[str, ...] = ("TLSv1.2",)) -> Resource:
    return res("aws:cloudfront/vpcOrigin:VpcOrigin", "api-origin", {"vpcOriginEndpointConfig": {
        "name": "alb", "arn": "arn:alb", "httpPort": 80.0, "httpsPort": 443.0, "originProtocolPolicy": policy,
        "originSslProtocols": {"quantity": float(len(protocols)), "items": list(protocols)}}})


def listener(protocol: str, **inputs: Any) -> Resource:
    return res("aws:lb/listener:Listener", f"{protocol.lower()}-listener", {
        "loadBalancerArn": "arn:alb", "protocol": protocol, "port": 443.0 if protocol == "HTTPS" else 80.0,
        "defaultActions": [{"type": "fixed-response", "fixedResponse": {"statusCode": "404"}}], **inputs})


REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]


def network(route_to: str, tier: str = "ingress", public_ip: bool = False) -> list[Resource]:
    """A subnet of `tier`, its route table, and a default route to an internet gateway or a NAT gateway."""
    subnet = res("aws:ec2/subnet:Subnet", f"{tier}-0", {"vpcId": "vpc", "cidrBlock": "10.0.0.0/20",
                                                        "mapPublicIpOnLaunch": public_ip, "tags": {"tier": tier}})
    table = res("aws:ec2/routeTable:RouteTable", f"{tier}-rt", {"vpcId": "vpc"})
    association = res("aws:ec2/routeTableAssociation:RouteTableAssociation", f"{tier}-rta",
                      {"subnetId": "s", "routeTableId": "t"}, deps={"subnetId": [subnet], "routeTableId": [table]})
    resources = [subnet, table, association]
    if route_to == "igw":
        igw = res("aws:ec2/internetGateway:InternetGateway", "igw", {"vpcId": "vpc"})
        resources += [igw, res("aws:ec2/route:Route", f"{tier}-default", {
            "routeTableId": "t", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-id"},
            deps={"routeTableId": [table], "gatewayId": [igw]})]
    elif route_to == "nat":
        nat = res("aws:ec2/natGateway:NatGateway", "nat", {"vpcId": "vpc", "availabilityMode": "regional"})
        resources += [nat, res("aws:ec2/route:Route", f"{tier}-default", {
            "routeTableId": "t", "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-id"},
            deps={"routeTableId": [table], "natGatewayId": [nat]})]
    return resources


def balancer_admitting(**peer: Any) -> list[Resource]:
    group = res(SG, "alb-sg", {"vpcId": "vpc", "description": "ALB"})
    balancer = res(LB, "alb", {"internal": True, "securityGroups": ["alb-sg-id"]}, deps={"securityGroups": [group]})
    deps = {"securityGroupId": [group]}
    if "group" in peer:
        deps["referencedSecurityGroupId"] = [peer["group"]]
    rule = res(VPC_IN, "alb-in", {"securityGroupId": "alb-sg-id", "ipProtocol": "tcp", "fromPort": 80.0,
                                  "toPort": 80.0, **{k: v for k, v in peer.items() if k != "group"},
                                  **({"referencedSecurityGroupId": "probe-sg-id"} if "group" in peer else {})},
               deps=deps)
    return [group, balancer, rule] + ([peer["group"]] if "group" in peer else [])


def service_admitting(source: str) -> list[Resource]:
    """An ECS service whose group admits the load balancer's group, or CloudFront's prefix list."""
    alb_group = res(SG, "alb-sg", {"vpcId": "vpc", "description": "ALB"})
    balancer = res(LB, "alb", {"internal": True, "securityGroups": ["alb-sg-id"]}, deps={"securityGroups": [alb_group]})
    task_group = res(SG, "api-sg", {"vpcId": "vpc", "description": "API tasks"})
    service = res("aws:ecs/service:Service", "api", {"networkConfiguration": {
        "subnets": ["s"], "securityGroups": ["api-sg-id"], "assignPublicIp": False}},
        deps={"networkConfiguration": [task_group]})
    peer: dict[str, Any] = ({"referencedSecurityGroupId": "alb-sg-id"} if source == "alb"
                            else {"prefixListId": CLOUDFRONT_PREFIX_LIST})
    deps = {"securityGroupId": [task_group], **({"referencedSecurityGroupId": [alb_group]} if source == "alb" else {})}
    rule = res(VPC_IN, "api-in", {"securityGroupId": "api-sg-id", "ipProtocol": "tcp", "fromPort": 8080.0,
                                  "toPort": 8080.0, **peer}, deps=deps)
    return [alb_group, balancer, task_group, service, rule]


def role(name: str = "task", trust: dict | None = None, boundary: Resource | None = None,
         boundary_arn: str | None = None) -> list[Resource]:
    trust = trust or {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                      "Action": "sts:AssumeRole"}
    inputs: dict[str, Any] = {"assumeRolePolicy": doc(trust)}
    if boundary is not None or boundary_arn:
        inputs["permissionsBoundary"] = boundary_arn or f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    return [*( [boundary] if boundary is not None else []),
            res("aws:iam/role:Role", name, inputs, deps={"permissionsBoundary": [boundary]} if boundary else None)]


BOUNDARY = res("aws:iam/policy:Policy", "boundary", {"name": "boundary", "policy": doc()})
GITHUB_TRUST = {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}}


def user_pool(**overrides: Any) -> list[Resource]:
    inputs = {"name": "admins", "mfaConfiguration": "ON", "softwareTokenMfaConfiguration": {"enabled": True},
              "adminCreateUserConfig": {"allowAdminCreateUserOnly": True}, "deletionProtection": "ACTIVE",
              "passwordPolicy": {"minimumLength": 14.0, "requireLowercase": True, "requireUppercase": True,
                                 "requireNumbers": True, "requireSymbols": True, "passwordHistorySize": 5.0}}
    for key, value in overrides.items():
        if value is None:
            inputs.pop(key, None)
        elif isinstance(value, dict) and isinstance(inputs.get(key), dict):
            inputs[key] = {**inputs[key], **value}
        else:
            inputs[key] = value
    return [res("aws:cognito/userPool:UserPool", "admins", inputs)]


def one(type_: str, logical_name: str, protect: bool = False, **inputs: Any) -> list[Resource]:
    return [res(type_, logical_name, inputs, protect=protect)]


def trail(**overrides: Any) -> list[Resource]:
    inputs = {"name": "trail", "s3BucketName": "archive", "isMultiRegionTrail": True,
              "includeGlobalServiceEvents": True, "enableLogFileValidation": True, "enableLogging": True,
              "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": True}], **overrides}
    return [res("aws:cloudtrail/trail:Trail", "trail", {k: v for k, v in inputs.items() if v is not None})]


def detection(*, alerted: bool) -> list[Resource]:
    detector = res("aws:guardduty/detector:Detector", "guardduty", {"enable": True})
    topic = res("aws:sns/topic:Topic", "alarms", {"name": "alarms", "kmsMasterKeyId": "key"})
    rule = res("aws:cloudwatch/eventRule:EventRule", "findings",
               {"eventPattern": json.dumps({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]})})
    target = res("aws:cloudwatch/eventTarget:EventTarget", "findings-alarm",
                 {"rule": "findings-id", "arn": "arn:aws:sns:ap-northeast-1:123456789012:alarms"},
                 deps={"rule": [rule], "arn": [topic]})
    return [detector, topic, rule, *([target] if alerted else [])]


AWS_PROVIDER = "pulumi:providers:aws"
INSIGHTS = [{"insightType": "ApiCallRateInsight"}, {"insightType": "ApiErrorRateInsight"}]


def in_account(*groups: list[Resource], region: str = "ap-northeast-1") -> list[Resource]:
    """The resources deployed through one AWS provider (an account and region), the provider among them."""
    provider = res(AWS_PROVIDER, "aws", {"region": region})
    return [provider, *(replace(r, provider=f"{provider.urn}::provider-id") for group in groups for r in group)]


def watched_account(**trail_overrides: Any) -> list[Resource]:
    """A multi-region trail with Insights and an enabled detector (overrides change the trail)."""
    return in_account(trail(**{"insightSelectors": INSIGHTS, **trail_overrides}),
                      one("aws:guardduty/detector:Detector", "guardduty", enable=True))


# --- the cases ---------------------------------------------------------------------------------------------------

CASES = [
    # --- evidence ---
    case("cloudfront-access-logging", "no log delivery source", [cdn()], fires=True),
    case("cloudfront-access-logging", "a source delivered nowhere",
         (d := [cdn()]) + cloudfront_logging(d[0], delivered=False), fires=True),
    case("cloudfront-access-logging", "standard logging v2 to the archive",
         (d := [cdn()]) + cloudfront_logging(d[0]), fires=False),
    case("cloudfront-access-logging", "legacy logging",
         [cdn(loggingConfig={"bucket": "archive.s3.amazonaws.com", "prefix": "cloudfront/"})], fires=False),

    case("waf-logging-redacts-credentials", "web ACL without logging", [web_acl([])], fires=True),
    case("waf-logging-redacts-credentials", "cookie logged in clear",
         (a := [web_acl([])]) + [waf_logging(a[0], ("authorization",))], fires=True),
    case("waf-logging-redacts-credentials", "logging with both headers redacted",
         (a := [web_acl([])]) + [waf_logging(a[0])], fires=False),

    case("alb-access-logs", "logging off", one(LB, "alb", accessLogs={"enabled": False, "bucket": ""}), fires=True),
    case("alb-access-logs", "no access logs at all", one(LB, "alb", internal=True), fires=True),
    case("alb-access-logs", "into the archive",
         one(LB, "alb", accessLogs={"enabled": True, "bucket": "archive", "prefix": "alb"}), fires=False),

    case("s3-bucket-access-logging", "bucket without access logs", [bucket()], fires=True),
    case("s3-bucket-access-logging", "images bucket logging into the archive", logged_images(), fires=False),

    case("s3-bucket-versioning", "versioning suspended",
         [(b := bucket()), on("aws:s3/bucketVersioning:BucketVersioning", b, "images-versioning",
                              versioningConfiguration={"status": "Suspended"})], fires=True),
    case("s3-bucket-versioning", "no versioning resource", [bucket()], fires=True),
    case("s3-bucket-versioning", "versioning enabled",
         [(b := bucket()), on("aws:s3/bucketVersioning:BucketVersioning", b, "images-versioning",
                              versioningConfiguration={"status": "Enabled"})], fires=False),

    case("s3-bucket-lifecycle", "no lifecycle", [bucket()], fires=True),
    case("s3-bucket-lifecycle", "only a disabled rule",
         [(b := bucket()), lifecycle(b, {**ABORT_UPLOADS, "status": "Disabled"})], fires=True),
    case("s3-bucket-lifecycle", "aborts incomplete uploads", [(b := bucket()), lifecycle(b, ABORT_UPLOADS)],
         fires=False),

    case("s3-log-buckets-keep-a-year-then-expire", "archive kept 30 days",
         (r := archive_with_policy(S3_LOGS_WRITE)) + [lifecycle(r[1], expire_after(30.0))], fires=True),
    case("s3-log-buckets-keep-a-year-then-expire", "archive never expires", archive_with_policy(S3_LOGS_WRITE),
         fires=True),
    case("s3-log-buckets-keep-a-year-then-expire", "expiry under one prefix only",
         (r := archive_with_policy(S3_LOGS_WRITE)) + [lifecycle(r[1], {**expire_after(400.0),
                                                                      "filter": {"prefix": "alb/"}})], fires=True),
    case("s3-log-buckets-keep-a-year-then-expire", "archive kept a year, then expired",
         (r := archive_with_policy(S3_LOGS_WRITE)) + [lifecycle(r[1], expire_after(365.0))], fires=False),
    case("s3-log-buckets-keep-a-year-then-expire", "a bucket no log service writes to", [bucket()], fires=False),

    case("s3-log-bucket-grants-write-only", "a log service may read logs",
         archive_with_policy({**S3_LOGS_WRITE, "Action": ["s3:PutObject", "s3:GetObject"]}), fires=True),
    case("s3-log-bucket-grants-write-only", "a log service may write across the bucket",
         archive_with_policy({**S3_LOGS_WRITE, "Resource": f"{ARCHIVE}/*"}), fires=True),
    case("s3-log-bucket-grants-write-only", "writes under its prefix, ACL check on the bucket",
         archive_with_policy(S3_LOGS_WRITE, TRAIL_ACL_CHECK, ELB_WRITE, TLS_DENY), fires=False),

    case("s3-service-grants-pinned", "CloudFront read with no source",
         [(s := bucket("site")), on("aws:s3/bucketPolicy:BucketPolicy", s, "site-policy", policy=doc(
             {"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
              "Resource": "arn:aws:s3:::site/*"}))], fires=True),
    case("s3-service-grants-pinned", "log grant pinned to its source but not the account",
         archive_with_policy({**S3_LOGS_WRITE, "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::images"}}}),
         fires=True),
    case("s3-service-grants-pinned", "ELB write outside this account's AWSLogs path",
         archive_with_policy({**ELB_WRITE, "Resource": f"{ARCHIVE}/alb/*"}), fires=True),
    case("s3-service-grants-pinned", "every grant pinned (ELB by its path)",
         archive_with_policy(S3_LOGS_WRITE, TRAIL_ACL_CHECK, ELB_WRITE, TLS_DENY), fires=False),
    case("s3-service-grants-pinned", "CloudFront read pinned to the distribution",
         [(s := bucket("site")), on("aws:s3/bucketPolicy:BucketPolicy", s, "site-policy", policy=doc(
             {"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
              "Resource": "arn:aws:s3:::site/*",
              "Condition": {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"}}}))],
         fires=False),

    case("vpc-flow-logs", "no flow log", one("aws:ec2/vpc:Vpc", "vpc", cidrBlock="10.0.0.0/16"), fires=True),
    case("vpc-flow-logs", "rejected flows only",
         [(v := res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})),
          res("aws:ec2/flowLog:FlowLog", "flow", {"vpcId": "vpc-id", "trafficType": "REJECT"}, deps={"vpcId": [v]})],
         fires=True),
    case("vpc-flow-logs", "all flows",
         [(v := res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})),
          res("aws:ec2/flowLog:FlowLog", "flow", {"vpcId": "vpc-id", "trafficType": "ALL"}, deps={"vpcId": [v]})],
         fires=False),

    case("cloudtrail-multi-region", "one region", trail(isMultiRegionTrail=False), fires=True),
    case("cloudtrail-multi-region", "write events only",
         trail(eventSelectors=[{"readWriteType": "WriteOnly", "includeManagementEvents": True}]), fires=True),
    case("cloudtrail-multi-region", "stopped", trail(enableLogging=False), fires=True),
    case("cloudtrail-multi-region", "every region, all management events", trail(), fires=False),

    case("cloudtrail-log-file-validation", "no digests", trail(enableLogFileValidation=False), fires=True),
    case("cloudtrail-log-file-validation", "validated log files", trail(), fires=False),

    case("guardduty-enabled", "detector switched off",
         one("aws:guardduty/detector:Detector", "guardduty", enable=False), fires=True),
    case("guardduty-enabled", "detector on", one("aws:guardduty/detector:Detector", "guardduty", enable=True),
         fires=False),

    case("account-detection-declared", "an account with neither trail nor detector", in_account([bucket()]),
         fires=True),
    case("account-detection-declared", "a trail of one region", watched_account(isMultiRegionTrail=False), fires=True),
    case("account-detection-declared", "a stopped trail", watched_account(enableLogging=False), fires=True),
    case("account-detection-declared", "a trail without Insights", watched_account(insightSelectors=None),
         fires=True),
    case("account-detection-declared", "no GuardDuty detector", in_account(trail(insightSelectors=INSIGHTS)),
         fires=True),
    case("account-detection-declared", "the detector switched off",
         in_account(trail(insightSelectors=INSIGHTS), one("aws:guardduty/detector:Detector", "guardduty",
                                                          enable=False)), fires=True),
    case("account-detection-declared", "a multi-region trail with Insights and an enabled detector",
         watched_account(), fires=False),
    case("account-detection-declared", "resources deployed through no AWS provider", [bucket()], fires=False),

    case("detection-reaches-people", "findings go nowhere", detection(alerted=False), fires=True),
    case("detection-reaches-people", "insights go nowhere",
         trail(insightSelectors=[{"insightType": "ApiCallRateInsight"}]), fires=True),
    case("detection-reaches-people", "findings to the alarm topic", detection(alerted=True), fires=False),

    case("log-group-retention-floor", "a week",
         one("aws:cloudwatch/logGroup:LogGroup", "api-logs", retentionInDays=7.0), fires=True),
    case("log-group-retention-floor", "a year",
         one("aws:cloudwatch/logGroup:LogGroup", "api-logs", retentionInDays=365.0), fires=False),

    case("ecs-container-insights", "off",
         one("aws:ecs/cluster:Cluster", "cluster", settings=[{"name": "containerInsights", "value": "disabled"}]),
         fires=True),
    case("ecs-container-insights", "on",
         one("aws:ecs/cluster:Cluster", "cluster", settings=[{"name": "containerInsights", "value": "enabled"}]),
         fires=False),

    # --- the HTTPS chain ---
    case("cloudfront-origin-https", "HTTP to the VPC origin", [vpc_origin("http-only")], fires=True),
    case("cloudfront-origin-https", "HTTPS, but TLS 1.1 allowed",
         [vpc_origin("https-only", ("TLSv1.1", "TLSv1.2"))], fires=True),
    case("cloudfront-origin-https", "custom origin matching the viewer",
         [cdn(origins=[{"originId": "api", "domainName": "api.example.com", "customOriginConfig": {
             "originProtocolPolicy": "match-viewer", "httpPort": 80.0, "httpsPort": 443.0,
             "originSslProtocols": ["TLSv1.2"]}}])], fires=True),
    case("cloudfront-origin-https", "HTTPS with TLS 1.2 only", [vpc_origin("https-only")], fires=False),

    case("alb-listeners-https", "HTTP listener serving requests", [listener("HTTP")], fires=True),
    case("alb-listeners-https", "HTTPS with ELB's default policy (TLS 1.0)", [listener("HTTPS")], fires=True),
    case("alb-listeners-https", "HTTPS with TLS 1.3 and 1.2",
         [listener("HTTPS", sslPolicy="ELBSecurityPolicy-TLS13-1-2-Res-2021-06")], fires=False),
    case("alb-listeners-https", "HTTP that only redirects", [listener("HTTP", defaultActions=REDIRECT)],
         fires=False),

    # --- at rest ---
    case("sqs-encrypted", "plain queue", one("aws:sqs/queue:Queue", "jobs", name="jobs"), fires=True),
    case("sqs-encrypted", "SQS-managed SSE", one("aws:sqs/queue:Queue", "jobs", sqsManagedSseEnabled=True),
         fires=False),
    case("sns-encrypted", "plain topic", one("aws:sns/topic:Topic", "alarms", name="alarms"), fires=True),
    case("sns-encrypted", "customer managed key", one("aws:sns/topic:Topic", "alarms", kmsMasterKeyId="arn:key"),
         fires=False),
    case("kms-key-rotation", "no rotation", one("aws:kms/key:Key", "key", enableKeyRotation=False), fires=True),
    case("kms-key-rotation", "rotating", one("aws:kms/key:Key", "key", enableKeyRotation=True), fires=False),
    case("kms-key-rotation", "asymmetric key (cannot rotate)",
         one("aws:kms/key:Key", "signing", customerMasterKeySpec="RSA_2048", keyUsage="SIGN_VERIFY"), fires=False),
    case("dynamodb-point-in-time-recovery", "no PITR",
         one("aws:dynamodb/table:Table", "items", pointInTimeRecovery={"enabled": False}), fires=True),
    case("dynamodb-point-in-time-recovery", "PITR on",
         one("aws:dynamodb/table:Table", "items", pointInTimeRecovery={"enabled": True}), fires=False),

    # --- what a destroy cannot take ---
    case("dynamodb-deletion-protection", "unprotected table", one("aws:dynamodb/table:Table", "items"), fires=True),
    case("dynamodb-deletion-protection", "protected table",
         one("aws:dynamodb/table:Table", "items", deletionProtectionEnabled=True), fires=False),
    case("alb-deletion-protection", "unprotected", one(LB, "alb", enableDeletionProtection=False), fires=True),
    case("alb-deletion-protection", "protected", one(LB, "alb", enableDeletionProtection=True), fires=False),
    case("cognito-deletion-protection", "inactive", user_pool(deletionProtection="INACTIVE"), fires=True),
    case("cognito-deletion-protection", "active", user_pool(), fires=False),
    case("stateful-resources-protected", "bucket without protect", [bucket()], fires=True),
    case("stateful-resources-protected", "protected bucket that empties itself on destroy",
         one(BUCKET, "images", protect=True, forceDestroy=True), fires=True),
    case("stateful-resources-protected", "protected table and bucket",
         one(BUCKET, "images", protect=True, forceDestroy=False)
         + one("aws:dynamodb/table:Table", "items", protect=True), fires=False),

    case("account-detection-protected", "a trail a destroy would take", trail(), fires=True),
    case("account-detection-protected", "an unprotected ownership record",
         one("aws:ssm/parameter:Parameter", "owner", name="/webstack/account/detection-owner", type="String"),
         fires=True),
    case("account-detection-protected", "trail, detector and record protected",
         [replace(r, protect=True) for r in trail() + one("aws:guardduty/detector:Detector", "guardduty", enable=True)
          + one("aws:ssm/parameter:Parameter", "owner", name="/webstack/account/detection-owner")]
         + one("aws:ssm/parameter:Parameter", "site-bucket-name", name="/webstack/prd/site/bucket-name"),
         fires=False),
    case("s3-bucket-acls-disabled", "no ownership controls", [bucket()], fires=True),
    case("s3-bucket-acls-disabled", "ACLs still honoured",
         [(b := bucket()), on("aws:s3/bucketOwnershipControls:BucketOwnershipControls", b, "images-ownership",
                              rule={"objectOwnership": "ObjectWriter"})], fires=True),
    case("s3-bucket-acls-disabled", "bucket owner enforced",
         [(b := bucket()), on("aws:s3/bucketOwnershipControls:BucketOwnershipControls", b, "images-ownership",
                              rule={"objectOwnership": "BucketOwnerEnforced"})], fires=False),

    # --- the edge and sign-in ---
    case("cloudfront-web-acl", "no web ACL", [cdn()], fires=True),
    case("cloudfront-web-acl", "web ACL attached", [cdn(webAclId="arn:aws:wafv2:acl")], fires=False),
    case("waf-managed-rules-and-rate-limit", "no known-bad-inputs group",
         [web_acl([managed("AWSManagedRulesCommonRuleSet", 1.0), RATE_LIMIT])], fires=True),
    case("waf-managed-rules-and-rate-limit", "common rules only counted",
         [web_acl([{**managed("AWSManagedRulesCommonRuleSet", 1.0), "overrideAction": {"count": {}}},
                   managed("AWSManagedRulesKnownBadInputsRuleSet", 2.0), RATE_LIMIT])], fires=True),
    case("waf-managed-rules-and-rate-limit", "no rate limit",
         [web_acl([managed("AWSManagedRulesCommonRuleSet", 1.0),
                   managed("AWSManagedRulesKnownBadInputsRuleSet", 2.0)])], fires=True),
    case("waf-managed-rules-and-rate-limit", "both groups blocking and a rate limit",
         [web_acl([managed("AWSManagedRulesCommonRuleSet", 1.0), managed("AWSManagedRulesKnownBadInputsRuleSet", 2.0),
                   RATE_LIMIT])], fires=False),

    case("admin-paths-allow-listed", "no guard at all", site_guarded_by(), fires=True),
    case("admin-paths-allow-listed", "the function runs but does not guard", site_guarded_by(function=False),
         fires=True),
    case("admin-paths-allow-listed", "the allow-list rule is not the web ACL's first",
         site_guarded_by(acl_rules=[managed("AWSManagedRulesCommonRuleSet", 0.0), admin_allow_list(1.0)]),
         fires=True),
    case("admin-paths-allow-listed", "the guarding function (dev)", site_guarded_by(function=True), fires=False),
    case("admin-paths-allow-listed", "the web ACL's first rule (prd)",
         site_guarded_by(acl_rules=[admin_allow_list(0.0), managed("AWSManagedRulesCommonRuleSet", 1.0)]),
         fires=False),

    case("cognito-mfa-required", "MFA optional", user_pool(mfaConfiguration="OPTIONAL"), fires=True),
    case("cognito-mfa-required", "MFA required", user_pool(), fires=False),
    case("cognito-admin-created-strong-passwords", "self sign-up",
         user_pool(adminCreateUserConfig={"allowAdminCreateUserOnly": False}), fires=True),
    case("cognito-admin-created-strong-passwords", "8-character passwords without symbols",
         user_pool(passwordPolicy={"minimumLength": 8.0, "requireSymbols": False}), fires=True),
    case("cognito-admin-created-strong-passwords", "the design's pool", user_pool(), fires=False),

    # --- exposure ---
    case("vpc-no-public-subnet", "default route to the internet gateway", network("igw", tier="public"), fires=True),
    case("vpc-no-public-subnet", "public IPs on launch", network("none", tier="container", public_ip=True),
         fires=True),
    case("vpc-no-public-subnet", "default route to the regional NAT gateway", network("nat", tier="container"),
         fires=False),
    case("vpc-private-tiers-no-route-out", "ingress tier routed to the NAT", network("nat", tier="ingress"),
         fires=True),
    case("vpc-private-tiers-no-route-out", "data tier without a route out", network("none", tier="data"),
         fires=False),
    case("vpc-private-tiers-no-route-out", "container tier routed to the NAT", network("nat", tier="container"),
         fires=False),

    case("alb-reached-only-from-cloudfront", "a CIDR", balancer_admitting(cidrIpv4="10.0.0.0/16"), fires=True),
    case("alb-reached-only-from-cloudfront", "another prefix list", balancer_admitting(prefixListId="pl-00000000"),
         fires=True),
    case("alb-reached-only-from-cloudfront", "a group the stack does not declare",
         balancer_admitting(referencedSecurityGroupId="sg-0foreign"), fires=True),
    case("alb-reached-only-from-cloudfront", "CloudFront's origin-facing list",
         balancer_admitting(prefixListId=CLOUDFRONT_PREFIX_LIST), fires=False),
    case("alb-reached-only-from-cloudfront", "the stack's release probe group",
         balancer_admitting(group=res(SG, "probe-sg", {"vpcId": "vpc", "description": "probe"})), fires=False),

    case("ecs-tasks-admit-only-the-load-balancer", "tasks admit CloudFront directly", service_admitting("cloudfront"),
         fires=True),
    case("ecs-tasks-admit-only-the-load-balancer", "tasks admit the load balancer's group", service_admitting("alb"),
         fires=False),

    case("iam-roles-carry-the-boundary", "no boundary", role(), fires=True),
    case("iam-roles-carry-the-boundary", "a boundary from elsewhere",
         role(boundary_arn="arn:aws:iam::aws:policy/PowerUserAccess"), fires=True),
    case("iam-roles-carry-the-boundary", "the stack's boundary", role(boundary=BOUNDARY), fires=False),
    case("iam-roles-carry-the-boundary", "a CI role (GitHub OIDC)", role("ci-deploy", trust=GITHUB_TRUST),
         fires=False),

    case("iam-no-long-lived-credentials", "an IAM user and its key",
         one("aws:iam/user:User", "deployer") + one("aws:iam/accessKey:AccessKey", "deployer-key", user="deployer"),
         fires=True),
    case("iam-no-long-lived-credentials", "roles only", role(boundary=BOUNDARY), fires=False),
]


@pytest.mark.parametrize("policy, resources, fires", CASES)
def test_policy(policy: str, resources: list[Resource], fires: bool) -> None:
    messages = found(policy, resources)
    if fires:
        assert messages, f"{policy} should fire"
    else:
        assert messages == [], f"{policy} should pass"


def test_every_rule_has_a_firing_and_a_passing_case() -> None:
    covered = {p.values[0] for p in CASES}
    fires = {p.values[0] for p in CASES if p.values[2]}
    passes = {p.values[0] for p in CASES if not p.values[2]}
    waivable = set(BY_NAME) - {WAIVED_POLICY.name}
    assert waivable - fires == set(), "rules without a case where they fire"
    assert waivable - passes == set(), "rules without a case where they pass"
    assert covered <= set(BY_NAME)


def test_every_rule_is_mandatory_and_the_waiver_report_advisory() -> None:
    assert {p.name for p in RULES if p.enforcement_level == EnforcementLevel.ADVISORY} == {WAIVED_POLICY.name}


def test_a_message_names_the_resource_what_is_wrong_and_the_floor() -> None:
    [message] = found("log-group-retention-floor", one("aws:cloudwatch/logGroup:LogGroup", "api-logs",
                                                        retentionInDays=7.0))
    assert message == "LogGroup api-logs keeps its logs 7 days, under the 365-day floor."
    [redaction] = found("waf-logging-redacts-credentials",
                        (a := [web_acl([])]) + [waf_logging(a[0], ("authorization",))])
    assert redaction == "WebAcl waf: waf-logging writes the cookie header into its logs unredacted."


def test_a_violation_is_reported_on_the_resource_a_waiver_would_name() -> None:
    capture = Capture(stack="prd", config={}, outputs={}, resources=[
        res(BUCKET, "webstack-prd-images", stack="prd")])
    result = check_capture(capture, policies=[BY_NAME["s3-bucket-access-logging"]])
    assert [(v.resource_type, v.resource_name) for v in result.violations] == [(BUCKET, "webstack-prd-images")]


def test_missing_account_detection_is_reported_on_the_accounts_provider() -> None:
    # The provider most of the stack deploys through stands for its account and region: a waiver names it.
    global_provider = res(AWS_PROVIDER, "aws-global", {"region": "us-east-1"})
    resources = [*in_account([bucket("images"), bucket("logs")]), global_provider,
                 replace(bucket("site"), provider=f"{global_provider.urn}::global-id")]
    result = check_capture(Capture(stack="test", config={}, outputs={}, resources=resources),
                           policies=[BY_NAME["account-detection-declared"]])
    assert [(v.resource_type, v.resource_name) for v in result.violations] == [(AWS_PROVIDER, "aws")] * 2
    assert [v.message for v in result.violations] == [
        "The account of provider aws (ap-northeast-1) records no API call: the stack declares no logging "
        "multi-region CloudTrail trail, and so no CloudTrail Insights either.",
        "The account of provider aws (ap-northeast-1) is watched by no threat detection: the stack declares no "
        "enabled GuardDuty detector."]
    [insights] = found("account-detection-declared", watched_account(insightSelectors=None))
    assert insights.startswith("Trail trail runs no CloudTrail Insights")


# --- waived-exceptions -------------------------------------------------------------------------------------------

def test_a_waived_violation_is_advisory_and_says_why() -> None:
    site = res(BUCKET, "webstack-prd-site", stack="prd")
    capture = Capture(stack="prd", config={}, outputs={}, resources=[site])
    result = check_capture(capture, policies=[BY_NAME["s3-bucket-access-logging"], WAIVED_POLICY])
    # The bucket's other waived gaps (versioning, lifecycle, protect) are reported beside it, all advisory.
    assert result.mandatory == [] and {v.policy for v in result.violations} == {"waived-exceptions"}
    [waived] = [v for v in result.violations if "[s3-bucket-access-logging," in v.message]
    assert waived.resource_name == "webstack-prd-site"
    assert waived.message.startswith("waived: The site bucket holds copies of app/frontend")
    assert "[s3-bucket-access-logging, CKV_AWS_18; data-does-not-need; ends when" in waived.message


def test_the_same_violation_elsewhere_stays_mandatory() -> None:
    # The waiver names prd's site bucket: the images bucket of prd, and a site bucket of another stack, keep theirs.
    resources = [res(BUCKET, "webstack-prd-images", stack="prd"), res(BUCKET, "webstack-staging-site",
                                                                      stack="staging")]
    result = check_capture(Capture(stack="prd", config={}, outputs={}, resources=resources),
                           policies=[BY_NAME["s3-bucket-access-logging"], WAIVED_POLICY])
    assert sorted((v.policy, v.resource_name) for v in result.mandatory) == [
        ("s3-bucket-access-logging", "webstack-prd-images"), ("s3-bucket-access-logging", "webstack-staging-site")]
    assert [v for v in result.violations if v.policy == "waived-exceptions"] == []


@pytest.mark.parametrize("fires", [True, False], ids=["a waived violation", "nothing waived"])
def test_waived_exceptions_reports_only_what_a_waiver_covers(fires: bool) -> None:
    # prd's VPC origin may speak HTTP while the stack has no domain (its waiver); over HTTPS nothing is waived.
    origin = vpc_origin("http-only" if fires else "https-only")
    origin = res(origin.type, "webstack-prd-api-origin", origin.inputs, stack="prd")
    result = check_capture(Capture(stack="prd", config={}, outputs={}, resources=[origin]), policies=[WAIVED_POLICY])
    assert [v.resource_name for v in result.violations] == (["webstack-prd-api-origin"] if fires else [])
