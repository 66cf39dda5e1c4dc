"""Evidence: every log the design promises is switched on, delivered, kept and only written by its service.

One rule per line of README's "What is logged, and where", and per scanner check on the same resources: CloudFront
standard logging (v2), the web ACL's logs with credentials redacted, the load balancer's access logs, S3 server
access logs, VPC flow logs, the account's trail and GuardDuty (declared at all: `account-detection-declared`; and
as declared), log retention, and the log buckets themselves: versioned, aged out after a floor, written by each log
service under its own prefix and pinned to its source.

Every rule here is a waivable stack policy (policies/waivers.py): a stack keeps a violation only with a written
waiver in policies/waivers.yaml, and the waiver shows in every preview as `waived-exceptions`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from .core import (
    allows,
    as_json,
    as_list,
    describe,
    each_known,
    get,
    is_mapping,
    known,
    number,
    principals,
    sid,
    statements,
)
from .graph import Stack, resource_name, stack_of
from .waivers import waivable_policy

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
DELIVERY_DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
BUCKET_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
BUCKET_LIFECYCLE = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
TRAIL = "aws:cloudtrail/trail:Trail"
DETECTOR = "aws:guardduty/detector:Detector"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER = "aws:ecs/cluster:Cluster"
AWS_PROVIDER = "pulumi:providers:aws"

# Headers that carry credentials: the admin API's bearer token and any session cookie.
CREDENTIAL_HEADERS = ("authorization", "cookie")
# A year: what CloudWatch.16 and CKV_AWS_338 ask of a log group, and what the design keeps in production.
RETENTION_FLOOR_DAYS = 365
# What a log service may do in a log bucket: write a log, and check the bucket's ACL before it does.
LOG_WRITE = "s3:PutObject"
ACL_CHECK = "s3:GetBucketAcl"
# ELB sends neither aws:SourceAccount nor aws:SourceArn: its grant is pinned by the account in the log path.
ACCOUNT_LOG_PATH = re.compile(r"/AWSLogs/\d{12}/")
SOURCE_ACCOUNT, SOURCE_ARN = "aws:sourceaccount", "aws:sourcearn"


def _companions(stack: Stack, bucket: PolicyResource, types: tuple[str, ...]) -> list[PolicyResource]:
    return stack.referring(bucket, "bucket", *types)


def log_buckets(stack: Stack) -> list[PolicyResource]:
    """The buckets a log service writes to: load balancer access logs, S3 server access logs, CloudWatch log
    deliveries (CloudFront), web ACL logging, trails and flow logs."""
    writers = [(lb, "accessLogs") for lb in stack.of(*LOAD_BALANCERS) if known(lb.props, "accessLogs.enabled")]
    writers += [(r, "targetBucket") for r in stack.of(*BUCKET_LOGGING)]
    writers += [(r, "deliveryDestinationConfiguration") for r in stack.of(DELIVERY_DESTINATION)]
    writers += [(r, "logDestinationConfigs") for r in stack.of(WEB_ACL_LOGGING)]
    writers += [(r, "s3BucketName") for r in stack.of(TRAIL)]
    writers += [(r, "logDestination") for r in stack.of(FLOW_LOG)]
    found: dict[str, PolicyResource] = {}
    for writer, key in writers:
        for bucket in stack.referred(writer, key, *BUCKETS):
            found.setdefault(bucket.urn, bucket)
    return list(found.values())


# --- CloudFront, WAF, load balancer ----------------------------------------------------------------------------

def _delivers(stack: Stack, source: PolicyResource) -> bool:
    for delivery in stack.referring(source, "deliverySourceName", DELIVERY):
        destinations = stack.referred(delivery, "deliveryDestinationArn", DELIVERY_DESTINATION)
        if any(get(d.props, "deliveryDestinationConfiguration.destinationResourceArn") for d in destinations):
            return True
    return False


def cloudfront_access_logging(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(distribution: PolicyResource) -> None:
        if get(distribution.props, "loggingConfig.bucket"):
            return
        sources = [s for s in stack.referring(distribution, "resourceArn", DELIVERY_SOURCE)
                   if get(s.props, "logType") == "ACCESS_LOGS"]
        if not sources:
            report_violation(f"{describe(distribution)} logs no viewer request: no LogDeliverySource of type "
                             "ACCESS_LOGS names it (standard logging v2), and it has no legacy loggingConfig.",
                             distribution.urn)
        elif not any(_delivers(stack, s) for s in sources):
            report_violation(f"{describe(distribution)}: its log delivery source {sources[0].name} delivers nowhere "
                             "(no LogDelivery from it to a LogDeliveryDestination with a destination).",
                             distribution.urn)

    each_known(stack.of(DISTRIBUTION), judge)


def web_acl_logging_redacts_credentials(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(acl: PolicyResource) -> None:
        configurations = stack.referring(acl, "resourceArn", WEB_ACL_LOGGING)
        if not configurations:
            report_violation(f"{describe(acl)} logs no request it judges: no WebAclLoggingConfiguration for it.",
                             acl.urn)
        for configuration in configurations:
            if not as_list(get(configuration.props, "logDestinationConfigs")):
                report_violation(f"{describe(acl)}: {configuration.name} names no log destination.", acl.urn)
            redacted = {str(get(field, "singleHeader.name") or "").lower()
                        for field in as_list(get(configuration.props, "redactedFields"))}
            clear = [header for header in CREDENTIAL_HEADERS if header not in redacted]
            if clear:
                report_violation(f"{describe(acl)}: {configuration.name} writes the {' and '.join(clear)} "
                                 f"header{'s' if len(clear) > 1 else ''} into its logs unredacted.", acl.urn)

    each_known(stack.of(WEB_ACL), judge)


def load_balancer_access_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(balancer: PolicyResource) -> None:
        enabled, bucket = get(balancer.props, "accessLogs.enabled"), get(balancer.props, "accessLogs.bucket")
        if enabled is not True or not bucket:
            report_violation(f"{describe(balancer)} writes no access logs (accessLogs.enabled = {enabled}, bucket = "
                             f"{bucket or 'unset'}).", balancer.urn)

    each_known(stack_of(args).of(*LOAD_BALANCERS), judge)


# --- S3 ---------------------------------------------------------------------------------------------------------

def bucket_access_logging(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(bucket: PolicyResource) -> None:
        inline = [get(entry, "targetBucket") for entry in as_list(get(bucket.props, "loggings"))]
        standalone = [get(r.props, "targetBucket") for r in _companions(stack, bucket, BUCKET_LOGGING)]
        if not any(inline + standalone + [get(bucket.props, "logging.targetBucket")]):
            report_violation(f"{describe(bucket)} records no request made to it: no server access logging "
                             "(BucketLogging) into a log bucket.", bucket.urn)

    each_known(stack.of(*BUCKETS), judge)


def bucket_versioning(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(bucket: PolicyResource) -> None:
        states = [get(r.props, "versioningConfiguration.status") for r in _companions(stack, bucket, BUCKET_VERSIONING)]
        inline = [get(v, "enabled") for v in as_list(get(bucket.props, "versionings"))]
        if "Enabled" not in states and True not in inline and get(bucket.props, "versioning.enabled") is not True:
            state = f"versioning {states[0]}" if states else "no BucketVersioning"
            report_violation(f"{describe(bucket)} keeps no earlier version of an object overwritten or deleted "
                             f"({state}).", bucket.urn)

    each_known(stack.of(*BUCKETS), judge)


def _enabled_rules(stack: Stack, bucket: PolicyResource) -> list[Any]:
    rules = [rule for lifecycle in _companions(stack, bucket, BUCKET_LIFECYCLE)
             for rule in as_list(get(lifecycle.props, "rules")) if get(rule, "status") == "Enabled"]
    return rules + [rule for rule in as_list(get(bucket.props, "lifecycleRules")) if get(rule, "enabled") is True]


def bucket_lifecycle(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(bucket: PolicyResource) -> None:
        if not _enabled_rules(stack, bucket):
            report_violation(f"{describe(bucket)} has no enabled lifecycle rule: nothing in it ever ages, expires "
                             "or has its incomplete uploads aborted.", bucket.urn)

    each_known(stack.of(*BUCKETS), judge)


def _whole_bucket(rule: Any) -> bool:
    return not get(rule, "filter.prefix") and not get(rule, "filter.and") and not get(rule, "filter.tag") \
        and not get(rule, "prefix")


def log_buckets_keep_a_year_then_expire(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(bucket: PolicyResource) -> None:
        days = [number(get(rule, "expiration.days")) for rule in _enabled_rules(stack, bucket) if _whole_bucket(rule)]
        kept = max((d for d in days if d), default=None)
        if kept is None:
            report_violation(f"Log bucket {bucket.name} never expires its logs: no enabled lifecycle rule with "
                             "expiration.days over the whole bucket.", bucket.urn)
        elif kept < RETENTION_FLOOR_DAYS:
            report_violation(f"Log bucket {bucket.name} keeps its logs {kept:g} days, under the "
                             f"{RETENTION_FLOOR_DAYS}-day floor.", bucket.urn)

    each_known(log_buckets(stack), judge)


def _policy_statements(stack: Stack, bucket: PolicyResource) -> list[Any]:
    documents = [get(bucket.props, "policy")] + [get(p.props, "policy")
                                                 for p in _companions(stack, bucket, (BUCKET_POLICY,))]
    return [s for document in documents for s in statements(document)]


def _service_grants(stack: Stack, bucket: PolicyResource) -> Iterator[tuple[Any, str]]:
    """(statement, who) for every Allow of the bucket's policies that names a service or an AWS principal."""
    for statement in _policy_statements(stack, bucket):
        if not allows(statement):
            continue
        grantees = [value for kind, value in principals(statement) if kind in ("Service", "AWS")]
        if grantees:
            yield statement, ", ".join(grantees)


def _resources(statement: Any) -> list[str]:
    return [str(r) for r in as_list(statement.get("Resource"))]


def _object_path_under_prefix(resource: str) -> bool:
    """`arn:aws:s3:::bucket/prefix/...`: an object path that names a prefix before any wildcard."""
    _, _, path = resource.partition(":::")
    _, slash, key = path.partition("/")
    return bool(slash) and bool(key) and not key.startswith("*")


def log_bucket_grants_write_only(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(bucket: PolicyResource) -> None:
        for statement, who in _service_grants(stack, bucket):
            actions = [str(a) for a in as_list(statement.get("Action"))]
            others = [a for a in actions if a not in (LOG_WRITE, ACL_CHECK)]
            if others:
                report_violation(f"Log bucket {bucket.name}: {sid(statement)} lets {who} {', '.join(others)}; a log "
                                 f"service may only write logs ({LOG_WRITE}) and read the bucket ACL.", bucket.urn)
            if LOG_WRITE in actions and not all(_object_path_under_prefix(r) for r in _resources(statement)):
                report_violation(f"Log bucket {bucket.name}: {sid(statement)} lets {who} write anywhere in the "
                                 f"bucket ({', '.join(_resources(statement))}), not under its own prefix.",
                                 bucket.urn)

    each_known(log_buckets(stack), judge)


def _condition_keys(statement: Any) -> set[str]:
    condition = statement.get("Condition") or {}
    return {str(key).lower() for block in condition.values() if is_mapping(block) for key in block}


def bucket_service_grants_pinned(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)
    logs = {b.urn for b in log_buckets(stack)}

    def judge(bucket: PolicyResource) -> None:
        for statement, who in _service_grants(stack, bucket):
            keys = _condition_keys(statement)
            if not keys & {SOURCE_ACCOUNT, SOURCE_ARN}:
                if all(ACCOUNT_LOG_PATH.search(r) for r in _resources(statement)):
                    continue  # the service sends no source; the account in the path is the pin
                report_violation(f"Bucket {bucket.name}: {sid(statement)} grants {who} "
                                 "with no aws:SourceArn or aws:SourceAccount: any account's resource could use it.",
                                 bucket.urn)
            elif bucket.urn in logs and not {SOURCE_ACCOUNT, SOURCE_ARN} <= keys:
                missing = "aws:SourceAccount" if SOURCE_ACCOUNT not in keys else "aws:SourceArn"
                report_violation(f"Log bucket {bucket.name}: {sid(statement)} grants {who} without {missing}: a log "
                                 "grant is pinned to this account and to its source.", bucket.urn)

    each_known(stack.of(*BUCKETS), judge)


# --- network, account, applications ----------------------------------------------------------------------------

def vpc_flow_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(vpc: PolicyResource) -> None:
        kinds = [get(f.props, "trafficType") for f in stack.referring(vpc, "vpcId", FLOW_LOG)]
        if "ALL" not in kinds:
            report_violation(f"{describe(vpc)} records {'only ' + '/'.join(map(str, kinds)) if kinds else 'no'} "
                             "flows: no flow log of trafficType ALL.", vpc.urn)

    each_known(stack.of(VPC), judge)


def trail_multi_region_management_events(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(trail: PolicyResource) -> None:
        props = trail.props
        gaps = []
        if get(props, "isMultiRegionTrail") is not True:
            gaps.append("records one region only (isMultiRegionTrail is not true)")
        if get(props, "includeGlobalServiceEvents") is False:
            gaps.append("leaves out global services (IAM, STS, CloudFront)")
        if get(props, "enableLogging") is False:
            gaps.append("is stopped (enableLogging = false)")
        selectors = as_list(get(props, "eventSelectors"))
        if selectors and not any(get(s, "includeManagementEvents") is not False
                                 and get(s, "readWriteType", "All") == "All" for s in selectors):
            gaps.append("records no read and write management events")
        for gap in gaps:
            report_violation(f"{describe(trail)} {gap}.", trail.urn)

    each_known(stack_of(args).of(TRAIL), judge)


def trail_log_file_validation(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(trail: PolicyResource) -> None:
        if get(trail.props, "enableLogFileValidation") is not True:
            report_violation(f"{describe(trail)} signs no digest of its log files: a deleted or altered log would go "
                             "unnoticed (enableLogFileValidation is not true).", trail.urn)

    each_known(stack_of(args).of(TRAIL), judge)


def guardduty_enabled(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(detector: PolicyResource) -> None:
        if get(detector.props, "enable") is False:
            report_violation(f"{describe(detector)} is switched off (enable = false).", detector.urn)

    each_known(stack_of(args).of(DETECTOR), judge)


def _home_provider(stack: Stack) -> tuple[str, str] | None:
    """The AWS provider most of the stack's resources deploy through, (URN, "provider <name> (<region>)"): the
    account and region the stack lives in. None for a stack that deploys nothing through an AWS provider."""
    used = Counter(r.provider.urn for r in stack.resources
                   if r.provider is not None and r.provider.resource_type == AWS_PROVIDER)
    declared = {p.urn: p for p in stack.of(AWS_PROVIDER)}
    urn = used.most_common(1)[0][0] if used else next(iter(declared), None)
    if urn is None:
        return None
    props = declared[urn].props if urn in declared else next(
        r.provider.props for r in stack.resources if r.provider is not None and r.provider.urn == urn)
    region = known(props, "region")
    return urn, f"provider {resource_name(urn)}{f' ({region})' if region else ''}"


def account_detection_declared(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)
    home = _home_provider(stack)
    if home is None:
        return  # no AWS account to watch
    urn, provider = home
    trails = stack.of(TRAIL)
    recording = [t for t in trails if get(t.props, "isMultiRegionTrail") is True
                 and get(t.props, "enableLogging") is not False]
    if not recording:
        others = f" ({', '.join(describe(t) for t in trails)} records one region or is stopped)" if trails else ""
        report_violation(f"The account of {provider} records no API call: the stack declares no logging "
                         f"multi-region CloudTrail trail{others}, and so no CloudTrail Insights either.", urn)
    elif not any(as_list(get(t.props, "insightSelectors")) for t in recording):
        for trail in recording:
            report_violation(f"{describe(trail)} runs no CloudTrail Insights (no insightSelectors): unusual API call "
                             "and error rates in the account reach no one.", trail.urn)
    if not any(get(d.props, "enable") is not False for d in stack.of(DETECTOR)):
        report_violation(f"The account of {provider} is watched by no threat detection: the stack declares no "
                         "enabled GuardDuty detector.", urn)


def _pattern(rule: PolicyResource) -> Any:
    return as_json(known(rule.props, "eventPattern")) or {}


def _alerted(stack: Stack, matches) -> bool:
    for rule in stack.of(EVENT_RULE):
        if not matches(_pattern(rule)):
            continue
        for target in stack.referring(rule, "rule", EVENT_TARGET):
            if stack.referred(target, "arn", TOPIC) or ":sns:" in str(known(target.props, "arn") or ""):
                return True
    return False


def _has(pattern: Any, key: str, value: str) -> bool:
    return value in [str(v) for v in as_list(get(pattern, key))]


def detection_reaches_people(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def detector(resource: PolicyResource) -> None:
        if not _alerted(stack, lambda p: _has(p, "source", "aws.guardduty")):
            report_violation(f"{describe(resource)}: no EventBridge rule sends its findings (source aws.guardduty) to "
                             "an SNS topic.", resource.urn)

    def trail(resource: PolicyResource) -> None:
        if as_list(get(resource.props, "insightSelectors")) and not _alerted(
                stack, lambda p: _has(p, "detail-type", "AWS Insight via CloudTrail")):
            report_violation(f"{describe(resource)}: no EventBridge rule sends its Insights events to an SNS topic.",
                             resource.urn)

    each_known(stack.of(DETECTOR), detector)
    each_known(stack.of(TRAIL), trail)


def log_group_retention_floor(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(group: PolicyResource) -> None:
        days = number(get(group.props, "retentionInDays")) or 0
        if 0 < days < RETENTION_FLOOR_DAYS:
            report_violation(f"{describe(group)} keeps its logs {days:g} days, under the {RETENTION_FLOOR_DAYS}-day "
                             "floor.", group.urn)

    each_known(stack_of(args).of(LOG_GROUP), judge)


def cluster_container_insights(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(cluster: PolicyResource) -> None:
        values = [get(s, "value") for s in as_list(get(cluster.props, "settings"))
                  if get(s, "name") == "containerInsights"]
        if not set(values) & {"enabled", "enhanced"}:
            report_violation(f"{describe(cluster)} records no per-service task, CPU and memory metrics (Container "
                             f"Insights {values[0] if values else 'unset'}).", cluster.urn)

    each_known(stack_of(args).of(CLUSTER), judge)


POLICIES = [
    waivable_policy(
        "cloudfront-access-logging", cloudfront_access_logging, scanners=("CKV_AWS_86", "CloudFront.5"),
        description="Every CloudFront distribution logs each viewer request: standard logging v2 (a "
                    "LogDeliverySource of type ACCESS_LOGS for it, delivered to a LogDeliveryDestination) or the "
                    "legacy loggingConfig (checkov CKV_AWS_86, Security Hub CloudFront.5).",
        fix="Declare aws.cloudwatch.LogDeliverySource(log_type=\"ACCESS_LOGS\", resource_arn=distribution.arn), a "
            "LogDeliveryDestination for the log archive and a LogDelivery between them (components/logs.py, "
            "LogDeliveries; webstack:logs.cloudfront)."),
    waivable_policy(
        "waf-logging-redacts-credentials", web_acl_logging_redacts_credentials,
        scanners=("CKV2_AWS_31", "WAF.11"),
        description="Every web ACL logs the requests it judges (a WebAclLoggingConfiguration with a destination), "
                    "with the authorization and cookie headers redacted (checkov CKV2_AWS_31, Security Hub WAF.11).",
        fix="Declare aws.wafv2.WebAclLoggingConfiguration(resource_arn=web_acl.arn, log_destination_configs=["
            "aws-waf-logs-… bucket ARN], redacted_fields=[{\"single_header\": {\"name\": \"authorization\"}}, "
            "{\"single_header\": {\"name\": \"cookie\"}}]) (webstack:logs.waf)."),
    waivable_policy(
        "alb-access-logs", load_balancer_access_logs, scanners=("CKV_AWS_91", "ELB.5"),
        description="Every load balancer writes access logs to a bucket (checkov CKV_AWS_91, Security Hub ELB.5).",
        fix="Set access_logs={\"enabled\": True, \"bucket\": <log archive>, \"prefix\": \"alb\"} "
            "(LogArchive.alb_access_logs; webstack:logs.loadBalancer)."),
    waivable_policy(
        "s3-bucket-access-logging", bucket_access_logging, scanners=("CKV_AWS_18", "S3.9"),
        description="Every S3 bucket has server access logging into a log bucket (checkov CKV_AWS_18, "
                    "Security Hub S3.9).",
        fix="Declare aws.s3.BucketLogging(bucket=bucket.id, target_bucket=<log archive>, target_prefix=\"s3/<name>/\")"
            " and grant logging.s3.amazonaws.com PutObject under that prefix, pinned to the bucket's ARN."),
    waivable_policy(
        "s3-bucket-versioning", bucket_versioning, scanners=("CKV_AWS_21", "S3.14"),
        description="Every S3 bucket is versioned: an overwritten or deleted object stays restorable "
                    "(checkov CKV_AWS_21, Security Hub S3.14).",
        fix="Declare aws.s3.BucketVersioning(bucket=bucket.id, versioning_configuration={\"status\": \"Enabled\"}) "
            "with a noncurrent-version expiry (webstack:data.versioning for the images bucket)."),
    waivable_policy(
        "s3-bucket-lifecycle", bucket_lifecycle, scanners=("CKV2_AWS_61", "S3.13"),
        description="Every S3 bucket has an enabled lifecycle rule (checkov CKV2_AWS_61, Security Hub S3.13).",
        fix="Declare aws.s3.BucketLifecycleConfiguration(bucket=bucket.id, rules=[...]) with at least an abort of "
            "incomplete uploads and, where versioned, a noncurrent-version expiry."),
    waivable_policy(
        "s3-log-buckets-keep-a-year-then-expire", log_buckets_keep_a_year_then_expire, scanners=("README",),
        description=f"Every bucket a log service writes to expires its logs, and not before "
                    f"{RETENTION_FLOOR_DAYS} days: an enabled whole-bucket lifecycle rule with expiration.days >= "
                    f"{RETENTION_FLOOR_DAYS} (checkov CKV2_AWS_61; the year Security Hub CloudWatch.16 asks of log "
                    "groups; README: prd keeps a year).",
        fix=f"Set webstack:logs.retentionDays to {RETENTION_FLOOR_DAYS} or more (components/logs.py writes it into "
            "the archive's lifecycle rule `age-and-expire-logs`)."),
    waivable_policy(
        "s3-log-bucket-grants-write-only", log_bucket_grants_write_only, scanners=("S3.6", "README"),
        description="A log bucket's policy lets each log service only write (s3:PutObject) under its own prefix "
                    "and read the bucket ACL: no read, list or delete of a log, no write across the bucket "
                    "(Security Hub S3.6 for the ELB account's grant; README: each log service granted write-only "
                    "access to its own prefix).",
        fix="Grant the log service s3:PutObject on arn:aws:s3:::<bucket>/<its prefix>/* (and s3:GetBucketAcl on "
            "the bucket if its delivery checks the ACL), nothing else."),
    waivable_policy(
        "s3-service-grants-pinned", bucket_service_grants_pinned, scanners=("IAM confused deputy", "README"),
        description="Every bucket-policy grant to a service names its source (aws:SourceArn or aws:SourceAccount; "
                    "a log bucket's grants both), so no other account's resource can use it (IAM User Guide, the "
                    "confused deputy problem; README: pinned to this account and its source). A service that sends "
                    "neither (ELB log delivery) is held to a path under AWSLogs/<account>/.",
        fix="Add Condition StringEquals aws:SourceAccount = <account> and ArnLike aws:SourceArn = <the one "
            "resource whose logs or requests the grant admits>."),
    waivable_policy(
        "vpc-flow-logs", vpc_flow_logs, scanners=("CKV2_AWS_11", "EC2.6"),
        description="Every VPC records all its flows (a flow log of trafficType ALL) (checkov CKV2_AWS_11, "
                    "Security Hub EC2.6).",
        fix="Set webstack:network.flowLogs: true (components/network.py declares aws.ec2.FlowLog(traffic_type="
            "\"ALL\") into a log group with flowLogRetentionDays)."),
    waivable_policy(
        "cloudtrail-multi-region", trail_multi_region_management_events, scanners=("CKV_AWS_67", "CloudTrail.1"),
        description="A CloudTrail trail records every region, global services and all read and write management "
                    "events, and is logging (checkov CKV_AWS_67, Security Hub CloudTrail.1).",
        fix="Set is_multi_region_trail=True, include_global_service_events=True, enable_logging=True and "
            "event_selectors=[{\"read_write_type\": \"All\", \"include_management_events\": True}]."),
    waivable_policy(
        "cloudtrail-log-file-validation", trail_log_file_validation, scanners=("CKV_AWS_36", "CloudTrail.4"),
        description="A CloudTrail trail validates its log files with signed digests (checkov CKV_AWS_36, "
                    "Security Hub CloudTrail.4).",
        fix="Set enable_log_file_validation=True on the trail (components/account.py)."),
    waivable_policy(
        "guardduty-enabled", guardduty_enabled, scanners=("CKV2_AWS_3", "GuardDuty.1"),
        description="A GuardDuty detector the stack declares is enabled (checkov CKV2_AWS_3, Security Hub "
                    "GuardDuty.1).",
        fix="Set enable=True on aws.guardduty.Detector (components/account.py, webstack:account.guardduty)."),
    waivable_policy(
        "account-detection-declared", account_detection_declared, scanners=("README", "CloudTrail.1", "GuardDuty.1"),
        description="The stack declares its account's detection: a logging multi-region CloudTrail trail with "
                    "CloudTrail Insights, and an enabled GuardDuty detector (Security Hub CloudTrail.1: at least one "
                    "multi-Region trail; Security Hub GuardDuty.1: GuardDuty enabled; README, account-level "
                    "detection is prd's: a multi-region trail and a GuardDuty detector, their findings and insights "
                    "sent to the alarm topic). A missing trail or detector is reported on the AWS provider most of "
                    "the stack deploys through (its account and region); a stack that must leave detection to "
                    "another stack of its account keeps this only under a written stack-choice waiver.",
        fix="Set webstack:account with cloudtrail, insights and guardduty true (components/account.py) in the one "
            "stack of the account that owns its detection (prd); every other stack waives this rule in "
            "policies/waivers.yaml (`while: no-account-detection`)."),
    waivable_policy(
        "detection-reaches-people", detection_reaches_people, scanners=("README",),
        description="What account detection finds reaches people: an EventBridge rule sends GuardDuty findings, "
                    "and a trail's Insights events when it has insight selectors, to an SNS topic (GuardDuty User "
                    "Guide, processing findings with EventBridge; README: findings and insights sent to the "
                    "stack's alarm topic).",
        fix="Declare aws.cloudwatch.EventRule(event_pattern={\"source\": [\"aws.guardduty\"], ...}) with an "
            "EventTarget(arn=<alarm topic ARN>) (components/account.py)."),
    waivable_policy(
        "log-group-retention-floor", log_group_retention_floor, scanners=("CKV_AWS_338", "CloudWatch.16"),
        description=f"CloudWatch log groups keep their logs at least {RETENTION_FLOOR_DAYS} days (checkov "
                    "CKV_AWS_338, Security Hub CloudWatch.16).",
        fix=f"Set webstack:platform.logRetentionDays (and webstack:network.flowLogRetentionDays) to "
            f"{RETENTION_FLOOR_DAYS} or more."),
    waivable_policy(
        "ecs-container-insights", cluster_container_insights, scanners=("CKV_AWS_65", "ECS.12"),
        description="ECS clusters record Container Insights (checkov CKV_AWS_65, Security Hub ECS.12).",
        fix="Set webstack:platform.containerInsights to on or enhanced."),
]
