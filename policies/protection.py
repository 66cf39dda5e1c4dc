"""Protection: the HTTPS chain to the origin, encryption at rest, what survives a destroy, who may sign in, and the
network's exposure — each a claim of README.md or a stack file, and the scanner check that says the same.

- The HTTPS chain: viewer → CloudFront is `cloudfront-https-only` (edge.py); CloudFront → the load balancer is
  `cloudfront-origin-https` and `alb-listeners-https`. A stack without a domain keeps the HTTP hop only under its
  written waiver, which ends with the domain (`while: no-domain`).
- At rest: queues, topics, key rotation, point-in-time recovery.
- What a destroy or a console click cannot take: deletion protection of the table, the load balancer and the user
  pool, and Pulumi `protect` on the stateful resources.
- The edge and sign-in: the web ACL and its managed rules, the admin allow-list, the administrators' pool.
- Exposure: no public subnet, private tiers without a route out, the load balancer and the tasks reachable only
  along the chain, every role inside the stack's boundary, no long-lived IAM credentials.

Every rule here is a waivable stack policy (policies/waivers.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from .core import as_list, describe, each_known, get, is_mapping, known, number, settings, statements
from .graph import Stack, stack_of
from .iam import GITHUB_OIDC_PROVIDER
from .security_groups import SECURITY_GROUP, STANDALONE_RULES, SgRule, rules_of
from .waivers import account_records, waivable_policy

VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
FUNCTION = "aws:cloudfront/function:Function"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
KEY = "aws:kms/key:Key"
TABLE = "aws:dynamodb/table:Table"
USER_POOL = "aws:cognito/userPool:UserPool"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
ECS_SERVICE = "aws:ecs/service:Service"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
IAM_USER = "aws:iam/user:User"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
TRAIL = "aws:cloudtrail/trail:Trail"
DETECTOR = "aws:guardduty/detector:Detector"

# Origin TLS versions CloudFront offers; only TLS 1.2 is current.
CURRENT_ORIGIN_TLS = ("TLSv1.2",)
# ELB security policies whose oldest protocol is TLS 1.2 (or 1.3): the TLS13-1-2/1-3, TLS-1-2 and FS-1-2 families.
TLS12_ELB_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-")
ELB_DEFAULT_POLICY = "ELBSecurityPolicy-2016-08"
DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")
PRIVATE_TIERS = ("ingress", "data")
REQUIRED_MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
ADMIN_PATHS = ("/admin", "/api/admin")
# The site's CloudFront Function enforces the allow-list when its configuration says so (components/edge_function.py).
GUARDING_FUNCTION = '"guard":true'
# Cognito's password classes and the floor the design sets (README, Administrators).
PASSWORD_CLASSES = ("requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols")
PASSWORD_MINIMUM_LENGTH = 14
PASSWORD_HISTORY = 5


# --- the HTTPS chain -------------------------------------------------------------------------------------------

def _origin_tls_gaps(config: Any) -> list[str]:
    gaps = []
    policy = get(config, "originProtocolPolicy")
    if policy != "https-only":
        gaps.append(f"speaks {policy or 'an unset protocol'} to its origin (originProtocolPolicy is not https-only)")
    old = [p for p in as_list(get(config, "originSslProtocols.items")) + as_list(get(config, "originSslProtocols"))
           if isinstance(p, str) and p not in CURRENT_ORIGIN_TLS]
    if old:
        gaps.append(f"accepts {', '.join(old)} towards its origin")
    return gaps


def cloudfront_origin_https(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def vpc_origin(origin: PolicyResource) -> None:
        for gap in _origin_tls_gaps(get(origin.props, "vpcOriginEndpointConfig")):
            report_violation(f"{describe(origin)} {gap}.", origin.urn)

    def distribution(resource: PolicyResource) -> None:
        for origin in as_list(get(resource.props, "origins")):
            if get(origin, "customOriginConfig") is not None:
                for gap in _origin_tls_gaps(get(origin, "customOriginConfig")):
                    report_violation(f"{describe(resource)}: origin {get(origin, 'originId')!r} {gap}.", resource.urn)

    each_known(stack.of(VPC_ORIGIN), vpc_origin)
    each_known(stack.of(DISTRIBUTION), distribution)


def _redirects_to_https(action: Any) -> bool:
    return get(action, "type") == "redirect" and str(get(action, "redirect.protocol") or "").upper() == "HTTPS"


def alb_listeners_https(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(listener: PolicyResource) -> None:
        protocol = str(get(listener.props, "protocol") or "").upper()
        if protocol == "HTTPS":
            policy = get(listener.props, "sslPolicy") or ELB_DEFAULT_POLICY
            if not TLS12_ELB_POLICY.match(str(policy)):
                report_violation(f"{describe(listener)} accepts TLS older than 1.2 (sslPolicy {policy}).", listener.urn)
        elif protocol == "HTTP":
            actions = as_list(get(listener.props, "defaultActions"))
            if not actions or not all(_redirects_to_https(a) for a in actions):
                port = number(get(listener.props, "port")) or 0
                report_violation(f"{describe(listener)} serves plain HTTP on port {port:g} instead of redirecting to "
                                 "HTTPS.", listener.urn)

    each_known(stack_of(args).of(*LISTENERS), judge)


# --- at rest ---------------------------------------------------------------------------------------------------

def queues_encrypted(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(queue: PolicyResource) -> None:
        if get(queue.props, "sqsManagedSseEnabled") is not True and not get(queue.props, "kmsMasterKeyId"):
            report_violation(f"{describe(queue)} stores messages unencrypted (neither sqsManagedSseEnabled nor "
                             "kmsMasterKeyId).", queue.urn)

    each_known(stack_of(args).of(QUEUE), judge)


def topics_encrypted(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(topic: PolicyResource) -> None:
        if not get(topic.props, "kmsMasterKeyId"):
            report_violation(f"{describe(topic)} stores messages unencrypted (no kmsMasterKeyId).", topic.urn)

    each_known(stack_of(args).of(TOPIC), judge)


def keys_rotate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(key: PolicyResource) -> None:
        symmetric = get(key.props, "customerMasterKeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and \
            get(key.props, "keySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
        if symmetric and get(key.props, "enableKeyRotation") is not True:
            report_violation(f"{describe(key)} never rotates its key material (enableKeyRotation is not true).",
                             key.urn)

    each_known(stack_of(args).of(KEY), judge)


def table_point_in_time_recovery(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(table: PolicyResource) -> None:
        if get(table.props, "pointInTimeRecovery.enabled") is not True:
            report_violation(f"{describe(table)} has no point-in-time recovery.", table.urn)

    each_known(stack_of(args).of(TABLE), judge)


# --- what a destroy cannot take --------------------------------------------------------------------------------

def table_deletion_protection(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(table: PolicyResource) -> None:
        if get(table.props, "deletionProtectionEnabled") is not True:
            report_violation(f"{describe(table)} can be deleted by one call (deletionProtectionEnabled is not true).",
                             table.urn)

    each_known(stack_of(args).of(TABLE), judge)


def load_balancer_deletion_protection(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(balancer: PolicyResource) -> None:
        if get(balancer.props, "enableDeletionProtection") is not True:
            report_violation(f"{describe(balancer)} can be deleted by one call (enableDeletionProtection is not true).",
                             balancer.urn)

    each_known(stack_of(args).of(*LOAD_BALANCERS), judge)


def user_pool_deletion_protection(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(pool: PolicyResource) -> None:
        if get(pool.props, "deletionProtection") != "ACTIVE":
            report_violation(f"{describe(pool)} can be deleted with its users (deletionProtection = "
                             f"{get(pool.props, 'deletionProtection') or 'INACTIVE'}).", pool.urn)

    each_known(stack_of(args).of(USER_POOL), judge)


def stateful_resources_protected(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(resource: PolicyResource) -> None:
        if not resource.opts.protect:
            report_violation(f"{describe(resource)} is not `protect`ed: `pulumi destroy` deletes it with its data.",
                             resource.urn)
        if get(resource.props, "forceDestroy") is True:
            report_violation(f"{describe(resource)} has forceDestroy: a destroy empties it first.", resource.urn)

    each_known(stack_of(args).of(TABLE, *BUCKETS), judge)


def account_detection_protected(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(resource: PolicyResource) -> None:
        if not resource.opts.protect:
            report_violation(f"{describe(resource)} belongs to the account, yet is not `protect`ed: destroying this "
                             "stack would switch the account's detection off.", resource.urn)

    each_known([*stack.of(TRAIL, DETECTOR), *account_records(stack)], judge)


def bucket_acls_disabled(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(bucket: PolicyResource) -> None:
        owners = [get(c.props, "rule.objectOwnership") for c in stack.referring(bucket, "bucket", OWNERSHIP_CONTROLS)]
        if "BucketOwnerEnforced" not in owners:
            report_violation(f"{describe(bucket)} still honours ACLs (object ownership "
                             f"{owners[0] if owners else 'unset'}, not BucketOwnerEnforced).", bucket.urn)

    each_known(stack.of(*BUCKETS), judge)


# --- the edge and sign-in --------------------------------------------------------------------------------------

def distribution_has_web_acl(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(distribution: PolicyResource) -> None:
        if not get(distribution.props, "webAclId"):
            report_violation(f"{describe(distribution)} has no web ACL (webAclId unset).", distribution.urn)

    each_known(stack_of(args).of(DISTRIBUTION), judge)


def _managed_groups(rules: Iterable[Any]) -> dict[str, Any]:
    return {str(get(r, "statement.managedRuleGroupStatement.name")): r for r in rules
            if get(r, "statement.managedRuleGroupStatement.name")}


def web_acl_managed_rules_and_rate_limit(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(acl: PolicyResource) -> None:
        rules = as_list(get(acl.props, "rules"))
        groups = _managed_groups(rules)
        for group in REQUIRED_MANAGED_RULE_GROUPS:
            if group not in groups:
                report_violation(f"{describe(acl)} does not run AWS managed rule group {group}.", acl.urn)
            elif get(groups[group], "overrideAction.count") is not None:
                report_violation(f"{describe(acl)} runs {group} in count mode: it blocks nothing.", acl.urn)
        if not any(get(r, "statement.rateBasedStatement") and get(r, "action.block") is not None for r in rules):
            report_violation(f"{describe(acl)} has no blocking per-IP rate-based rule.", acl.urn)

    each_known(stack_of(args).of(WEB_ACL), judge)


def _walk(value: Any) -> Iterable[Any]:
    """Every mapping nested in a WAF statement, the statement first."""
    if is_mapping(value):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        for item in value:
            yield from _walk(item)


def _allow_list_rule(acl: PolicyResource) -> Any:
    """The web ACL's rule that blocks the admin paths for every address outside an IP set, if it is first."""
    rules = sorted(as_list(get(acl.props, "rules")), key=lambda r: number(get(r, "priority")) or 0)
    for rule in rules[:1]:
        nodes = list(_walk(get(rule, "statement")))
        paths = {str(get(n, "byteMatchStatement.searchString")) for n in nodes}
        outside_ip_set = any(get(inner, "ipSetReferenceStatement") for n in nodes
                             for inner in _walk(get(n, "notStatement")))
        if get(rule, "action.block") is not None and outside_ip_set and all(
                any(p.startswith(a) for p in paths) for a in ADMIN_PATHS):
            return rule
    return None


def _guarded_by_function(stack: Stack, behaviour: Any) -> bool:
    arns = {str(get(f, "functionArn")) for f in as_list(get(behaviour, "functionAssociations"))
            if get(f, "eventType") == "viewer-request"}
    for function in stack.of(FUNCTION):
        identities = {str(known(function.props, k)) for k in ("arn", "name") if known(function.props, k)}
        named = any(a == i or a.endswith(f"function/{i}") for a in arns for i in identities)
        if named and GUARDING_FUNCTION in str(known(function.props, "code") or ""):
            return True
    return False


def admin_paths_allow_listed(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(distribution: PolicyResource) -> None:
        acls = stack.referred(distribution, "webAclId", WEB_ACL)
        by_acl = any(_allow_list_rule(acl) is not None for acl in acls)
        for behaviour in as_list(get(distribution.props, "orderedCacheBehaviors")):
            path = str(get(behaviour, "pathPattern") or "")
            if path.startswith(ADMIN_PATHS) and not by_acl and not _guarded_by_function(stack, behaviour):
                report_violation(f"{describe(distribution)}: behaviour {path!r} answers every address: neither the web "
                                 "ACL's first rule nor a guarding viewer-request function holds it to the admin "
                                 "allow-list.", distribution.urn)

    each_known(stack.of(DISTRIBUTION), judge)


def user_pool_requires_mfa(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(pool: PolicyResource) -> None:
        if get(pool.props, "mfaConfiguration") != "ON" or get(pool.props, "softwareTokenMfaConfiguration.enabled") \
                is not True:
            report_violation(f"{describe(pool)} lets administrators sign in without a second factor (mfaConfiguration "
                             f"= {get(pool.props, 'mfaConfiguration') or 'OFF'}).", pool.urn)

    each_known(stack_of(args).of(USER_POOL), judge)


def user_pool_admin_created_strong_passwords(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(pool: PolicyResource) -> None:
        props = pool.props
        if get(props, "adminCreateUserConfig.allowAdminCreateUserOnly") is not True:
            report_violation(f"{describe(pool)} lets anyone sign up (allowAdminCreateUserOnly is not true).", pool.urn)
        length = number(get(props, "passwordPolicy.minimumLength")) or 8
        missing = [c for c in PASSWORD_CLASSES if get(props, f"passwordPolicy.{c}") is not True]
        history = number(get(props, "passwordPolicy.passwordHistorySize")) or 0
        if length < PASSWORD_MINIMUM_LENGTH or missing or history < PASSWORD_HISTORY:
            report_violation(f"{describe(pool)} accepts weaker passwords than {PASSWORD_MINIMUM_LENGTH} characters of "
                             f"four kinds, the last {PASSWORD_HISTORY} not reused (minimumLength {length:g}, "
                             f"missing {', '.join(missing) or 'none'}, history {history:g}).", pool.urn)

    each_known(stack_of(args).of(USER_POOL), judge)


# --- exposure --------------------------------------------------------------------------------------------------

def _default_routes(stack: Stack, table: PolicyResource) -> list[tuple[str, Any, PolicyResource]]:
    """(destination, route, holder) of every default route of a route table, inline or as a Route."""
    found = [(str(get(r, "cidrBlock") or get(r, "ipv6CidrBlock")), r, table)
             for r in as_list(get(table.props, "routes"))]
    found += [(str(get(r.props, "destinationCidrBlock") or get(r.props, "destinationIpv6CidrBlock")), r.props, r)
              for r in stack.referring(table, "routeTableId", ROUTE)]
    return [entry for entry in found if entry[0] in DEFAULT_ROUTES]


def _to_internet_gateway(stack: Stack, route: Any, holder: PolicyResource) -> bool:
    if holder.resource_type == ROUTE and stack.referred(holder, "gatewayId", INTERNET_GATEWAY):
        return True
    return str(get(route, "gatewayId") or "").startswith("igw-")


def _tables_of(stack: Stack, subnet: PolicyResource) -> list[PolicyResource]:
    return [table for association in stack.referring(subnet, "subnetId", ASSOCIATION)
            for table in stack.referred(association, "routeTableId", ROUTE_TABLE)]


def no_public_subnet(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(subnet: PolicyResource) -> None:
        if get(subnet.props, "mapPublicIpOnLaunch") is True:
            report_violation(f"{describe(subnet)} is public: it gives every instance a public IP.", subnet.urn)
        for table in _tables_of(stack, subnet):
            if any(_to_internet_gateway(stack, route, holder) for _, route, holder in _default_routes(stack, table)):
                report_violation(f"{describe(subnet)} is public: its route table {table.name} sends the default route "
                                 "to the internet gateway.", subnet.urn)

    each_known(stack.of(SUBNET), judge)


def private_tiers_no_route_out(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(subnet: PolicyResource) -> None:
        tier = (get(subnet.props, "tags") or {}).get("tier")
        if tier not in PRIVATE_TIERS:
            return
        for table in _tables_of(stack, subnet):
            for destination, _, holder in _default_routes(stack, table):
                report_violation(f"{describe(subnet)} of the {tier} tier routes {destination} out of the VPC "
                                 f"({holder.name}).", subnet.urn)

    each_known(stack.of(SUBNET), judge)


def _ingress_of(stack: Stack, group: PolicyResource) -> list[tuple[SgRule, PolicyResource]]:
    found = [(rule, group) for rule in rules_of(SECURITY_GROUP, group.props) if rule.direction == "ingress"]
    for holder in stack.referring(group, "securityGroupId", *STANDALONE_RULES):
        found += [(rule, holder) for rule in rules_of(holder.resource_type, holder.props)
                  if rule.direction == "ingress"]
    return found


def _peer_groups(stack: Stack, holder: PolicyResource, value: str) -> list[PolicyResource]:
    """The stack's security groups a rule's group peer names: a rule resource's by dependency, or by a known id."""
    if holder.resource_type != SECURITY_GROUP:
        found = [g for key in ("referencedSecurityGroupId", "sourceSecurityGroupId")
                 for g in stack.referred(holder, key, SECURITY_GROUP)]
        if found:
            return found
    return [g for g in stack.of(SECURITY_GROUP) if value in {str(known(g.props, k)) for k in ("id", "name", "arn")}]


def load_balancer_reached_only_through_the_chain(args: StackValidationArgs,
                                                 report_violation: ReportViolation) -> None:
    stack = stack_of(args)
    allowed = set(settings("sg-ingress-only-from-groups-or-allowed-prefix-lists", args).get("allowedPrefixListIds", []))

    def judge(balancer: PolicyResource) -> None:
        for group in stack.referred(balancer, "securityGroups", SECURITY_GROUP):
            for rule, holder in _ingress_of(stack, group):
                for kind, value in rule.peers:
                    if kind == "prefixList" and value in allowed:
                        continue
                    if kind == "group" and _peer_groups(stack, holder, value):
                        continue
                    report_violation(f"{describe(balancer)}: its group {group.name} admits {kind} {value} on "
                                     f"{rule.ports} ({holder.name}); only CloudFront's origin-facing prefix list and "
                                     "the stack's own groups may reach it.", balancer.urn)

    each_known(stack.of(*LOAD_BALANCERS), judge)


def tasks_admit_only_the_load_balancer(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)
    balancer_groups = {g.urn for lb in stack.of(*LOAD_BALANCERS)
                       for g in stack.referred(lb, "securityGroups", SECURITY_GROUP)}

    def judge(service: PolicyResource) -> None:
        for group in stack.referred(service, "networkConfiguration", SECURITY_GROUP):
            for rule, holder in _ingress_of(stack, group):
                for kind, value in rule.peers:
                    if kind == "group" and {g.urn for g in _peer_groups(stack, holder, value)} & balancer_groups:
                        continue
                    report_violation(f"{describe(service)}: its group {group.name} admits {kind} {value} on "
                                     f"{rule.ports} ({holder.name}); a service's tasks admit only the load "
                                     "balancer's group.", service.urn)

    each_known(stack.of(ECS_SERVICE), judge)


def _trusts_github(role: PolicyResource) -> bool:
    return any(GITHUB_OIDC_PROVIDER in str(v) for s in statements(get(role.props, "assumeRolePolicy"))
               for v in as_list(get(s, "Principal.Federated")))


def roles_carry_the_boundary(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = stack_of(args)

    def judge(role: PolicyResource) -> None:
        if _trusts_github(role):
            return  # the CI roles: their limits are their own policies (components/ci.py)
        boundary = get(role.props, "permissionsBoundary")
        if not boundary:
            report_violation(f"{describe(role)} carries no permissions boundary.", role.urn)
        elif not stack.referred(role, "permissionsBoundary", POLICY):
            report_violation(f"{describe(role)}'s boundary {boundary} is no policy of this stack.", role.urn)

    each_known(stack.of(ROLE), judge)


def no_long_lived_credentials(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for resource in stack_of(args).of(IAM_USER, ACCESS_KEY):
        report_violation(f"{describe(resource)}: the stack reaches AWS through roles (GitHub OIDC, task roles), never "
                         "through IAM users or stored access keys.", resource.urn)


POLICIES = [
    waivable_policy(
        "cloudfront-origin-https", cloudfront_origin_https, scanners=("CloudFront.9", "CloudFront.10"),
        description="CloudFront speaks only HTTPS with TLS 1.2 to custom and VPC origins (Security Hub "
                    "CloudFront.9, CloudFront.10; AWS Config cloudfront-traffic-to-origin-encrypted).",
        fix="Give the stack a domain (webstack:site.domain and hostedZone): the VPC origin becomes https-only "
            "with TLSv1.2 under origin.<domain> (components/site.py, components/domain.py)."),
    waivable_policy(
        "alb-listeners-https", alb_listeners_https, scanners=("CKV_AWS_2", "CKV_AWS_103", "ELB.1"),
        description="Load balancer listeners speak HTTPS with a TLS 1.2+ security policy; an HTTP listener only "
                    "redirects to HTTPS (checkov CKV_AWS_2, CKV_AWS_103, CKV2_AWS_20; Security Hub ELB.1).",
        fix="Give the stack a domain: the listener becomes HTTPS on 443 with a regional certificate and "
            "ssl_policy=\"ELBSecurityPolicy-TLS13-1-2-Res-2021-06\" (components/platform.py)."),
    waivable_policy(
        "sqs-encrypted", queues_encrypted, scanners=("CKV_AWS_27", "SQS.1"),
        description="SQS queues encrypt messages at rest (checkov CKV_AWS_27, Security Hub SQS.1).",
        fix="Set sqs_managed_sse_enabled=True (or kms_master_key_id)."),
    waivable_policy(
        "sns-encrypted", topics_encrypted, scanners=("CKV_AWS_26", "SNS.1"),
        description="SNS topics encrypt messages at rest with a KMS key (checkov CKV_AWS_26, Security Hub SNS.1).",
        fix="Set kms_master_key_id to a key whose policy lets the publishers use it (components/alerts.py)."),
    waivable_policy(
        "kms-key-rotation", keys_rotate, scanners=("CKV_AWS_7", "KMS.4"),
        description="Symmetric KMS keys rotate their key material (checkov CKV_AWS_7, Security Hub KMS.4).",
        fix="Set enable_key_rotation=True."),
    waivable_policy(
        "dynamodb-point-in-time-recovery", table_point_in_time_recovery, scanners=("CKV_AWS_28", "DynamoDB.2"),
        description="DynamoDB tables have point-in-time recovery (checkov CKV_AWS_28, Security Hub DynamoDB.2).",
        fix="Set point_in_time_recovery={\"enabled\": True}."),
    waivable_policy(
        "dynamodb-deletion-protection", table_deletion_protection, scanners=("DynamoDB.6",),
        description="DynamoDB tables refuse deletion (Security Hub DynamoDB.6, AWS Config "
                    "dynamodb-table-deletion-protection-enabled).",
        fix="Set webstack:data.deletionProtection: true (deletion_protection_enabled on the table)."),
    waivable_policy(
        "alb-deletion-protection", load_balancer_deletion_protection, scanners=("CKV_AWS_150", "ELB.6"),
        description="Load balancers refuse deletion (checkov CKV_AWS_150, Security Hub ELB.6).",
        fix="Set webstack:platform.deletionProtection: true (enable_deletion_protection on the load balancer)."),
    waivable_policy(
        "cognito-deletion-protection", user_pool_deletion_protection,
        scanners=("cognito-user-pool-deletion-protection-enabled",),
        description="Cognito user pools refuse deletion (AWS Config cognito-user-pool-deletion-protection-enabled).",
        fix="Set webstack:admin.deletionProtection: true (deletion_protection=\"ACTIVE\")."),
    waivable_policy(
        "stateful-resources-protected", stateful_resources_protected, scanners=("README",),
        description="Tables and buckets are Pulumi-`protect`ed and not forceDestroy: `pulumi destroy` stops at them "
                    "(pulumi-aws Bucket forceDestroy; Pulumi's protect resource option; README: prd's table, bucket "
                    "and log archive are protected).",
        fix="Set webstack:data.protect and webstack:logs.protect to true and forceDestroy to false."),
    waivable_policy(
        "account-detection-protected", account_detection_protected, scanners=("README",),
        description="The account's trail, GuardDuty detector and ownership record are Pulumi-`protect`ed: no "
                    "destroy of the owning stack switches account detection off (CloudTrail User Guide, "
                    "security best practices; README: destroying dev must never take the account's trail).",
        fix="Declare them with protect=True and retain_on_delete=True (components/account.py), in the stack "
            "whose archive is protected."),
    waivable_policy(
        "s3-bucket-acls-disabled", bucket_acls_disabled, scanners=("CKV2_AWS_65", "S3.12"),
        description="Every S3 bucket disables ACLs: object ownership BucketOwnerEnforced, so access is decided by "
                    "policies alone (checkov CKV2_AWS_65, Security Hub S3.12).",
        fix="Declare aws.s3.BucketOwnershipControls(bucket=bucket.id, rule={\"object_ownership\": "
            "\"BucketOwnerEnforced\"}) (components/buckets.py, PrivateBucket)."),
    waivable_policy(
        "cloudfront-web-acl", distribution_has_web_acl, scanners=("CKV_AWS_68", "CloudFront.6"),
        description="CloudFront distributions are protected by a WAF web ACL (checkov CKV_AWS_68, Security Hub "
                    "CloudFront.6).",
        fix="Set webstack:site.waf: true (components/site.py declares the web ACL)."),
    waivable_policy(
        "waf-managed-rules-and-rate-limit", web_acl_managed_rules_and_rate_limit,
        scanners=("CKV2_AWS_47", "WAF.10"),
        description="Web ACLs block with AWS's common and known-bad-inputs managed rule groups (the latter covers "
                    "Log4j, checkov CKV2_AWS_47) and a per-IP rate-based rule (Security Hub WAF.10: a web ACL has "
                    "rules; README: managed common and known-bad-inputs rules and a per-IP rate limit).",
        fix="Add managed_rule_group_statement rules for AWSManagedRulesCommonRuleSet and "
            "AWSManagedRulesKnownBadInputsRuleSet with override_action={\"none\": {}}, and a rate_based_statement "
            "rule with action block (webstack:site.rateLimit)."),
    waivable_policy(
        "admin-paths-allow-listed", admin_paths_allow_listed, scanners=("README",),
        description="The admin paths (/admin/*, /api/admin/*) answer only the admin allow-list: the distribution's "
                    "web ACL blocks them first for every address outside its IP set, or their behaviour runs the "
                    "site's guarding viewer-request function (AWS WAF Developer Guide, IP set match; README: the "
                    "allow-list).",
        fix="Set webstack:admin.allowListAt: waf (with webstack:site.waf) or function (components/site.py, "
            "components/edge_function.py)."),
    waivable_policy(
        "cognito-mfa-required", user_pool_requires_mfa, scanners=("cognito-user-pool-mfa-enabled",),
        description="The administrators' user pool requires a second factor (TOTP) at every sign-in (AWS Config "
                    "cognito-user-pool-mfa-enabled, held to ON; README: prd requires MFA).",
        fix="Set webstack:admin.mfa: required."),
    waivable_policy(
        "cognito-admin-created-strong-passwords", user_pool_admin_created_strong_passwords, scanners=("README",),
        description=f"The administrators' pool admits no self sign-up and passwords of at least "
                    f"{PASSWORD_MINIMUM_LENGTH} characters of four kinds, the last {PASSWORD_HISTORY} not reused "
                    "(Amazon Cognito Developer Guide, password policies; README: Administrators).",
        fix="Set admin_create_user_config={\"allow_admin_create_user_only\": True} and password_policy with "
            "minimum_length=14, all four require_* and password_history_size=5 (components/admin.py)."),
    waivable_policy(
        "vpc-no-public-subnet", no_public_subnet, scanners=("EC2.15", "README"),
        description="No subnet is public: none maps public IPs on launch (Security Hub EC2.15) or routes its "
                    "default route to an internet gateway (Amazon VPC User Guide, subnet types; README: no public "
                    "subnet in production).",
        fix="Set webstack:network.nat: regional: the regional NAT gateway needs no public subnet."),
    waivable_policy(
        "vpc-private-tiers-no-route-out", private_tiers_no_route_out, scanners=("README",),
        description="Subnets of the ingress and data tiers (tag tier) have no default route out of the VPC "
                    "(Amazon VPC User Guide, route tables; README: only the container tier routes out).",
        fix="Route 0.0.0.0/0 only from the container tier's route table (components/network.py)."),
    waivable_policy(
        "alb-reached-only-from-cloudfront", load_balancer_reached_only_through_the_chain, scanners=("README",),
        description="A load balancer's security groups admit only allowed prefix lists (CloudFront's "
                    "origin-facing list) and security groups of the stack itself: no CIDR, no foreign group "
                    "(CloudFront Developer Guide, restricting access to VPC origins; README: the load balancer "
                    "admits only CloudFront).",
        fix="Admit the CloudFront origin-facing prefix list (allowedPrefixListIds in policies/policy-config.json) "
            "or a group the stack declares (the release probe's)."),
    waivable_policy(
        "ecs-tasks-admit-only-the-load-balancer", tasks_admit_only_the_load_balancer, scanners=("README",),
        description="An ECS service's security groups admit only the load balancer's group (Amazon ECS Developer "
                    "Guide, security groups for awsvpc tasks; README: each service's tasks admit only the load "
                    "balancer's group).",
        fix="Reference the load balancer's security group (referenced_security_group_id) on the service's port "
            "only (components/service.py)."),
    waivable_policy(
        "iam-roles-carry-the-boundary", roles_carry_the_boundary, scanners=("README",),
        description="Every role but the GitHub OIDC (CI) roles carries the stack's permissions boundary, a policy "
                    "the stack declares (IAM User Guide, permissions boundaries; README: every role of the stack "
                    "but the CI roles carries it).",
        fix="Set permissions_boundary=boundary.arn (components/boundary.py, RoleBoundary) on the role."),
    waivable_policy(
        "iam-no-long-lived-credentials", no_long_lived_credentials, scanners=("IAM.3", "README"),
        description="The stack declares no IAM user and no access key: AWS is reached through roles only "
                    "(IAM User Guide, use temporary credentials; Security Hub IAM.3; README: GitHub OIDC, never "
                    "stored keys).",
        fix="Use a role (GitHub OIDC for CI, task roles for workloads) instead of aws.iam.User / AccessKey."),
]
