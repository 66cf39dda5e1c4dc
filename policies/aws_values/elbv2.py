"""Elastic Load Balancing v2: CreateLoadBalancer, CreateTargetGroup, CreateListener and the attributes the provider
sets with Modify*Attributes (idle timeout, desync mitigation, deregistration delay).

The model bounds ports and health-check settings; names, attribute values and the health-check matcher are
described only in prose (the model's documentation, which is the API reference's text), quoted below.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..core import MANDATORY, describe, get, number, resource_policy
from .fields import NAME, PORT, PROTOCOL, VALUE, AutoName, Request, Rule, Tagging, between, fields, matches, one_of

API = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference"
HEALTH_CHECKS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html"

LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
FIXED_RESPONSE_TYPES = ("text/plain", "text/css", "text/html", "application/javascript", "application/json")

# Load balancer and target group names: "a maximum of 32 characters, must contain only alphanumeric characters or
# hyphens, must not begin or end with a hyphen" (and a load balancer's "must not begin with internal-").
NAME_PATTERN = r"(?!-)[A-Za-z0-9-]{1,32}(?<!-)"
LB_NAME = (
    matches(NAME_PATTERN, "1 to 32 letters, digits or hyphens, not starting or ending with a hyphen",
            f"{API}/API_CreateLoadBalancer.html Name", quote="can have a maximum of 32 characters, must contain "
            "only alphanumeric characters or hyphens, must not begin or end with a hyphen"),
    matches(r"(?!internal-).*", "allowed to begin with internal-", f"{API}/API_CreateLoadBalancer.html Name",
            quote='must not begin with "internal-"'),
)
TG_NAME = (matches(NAME_PATTERN, "1 to 32 letters, digits or hyphens, not starting or ending with a hyphen",
                   f"{API}/API_CreateTargetGroup.html Name", quote="can have a maximum of 32 characters, must "
                   "contain only alphanumeric characters or hyphens, and must not begin or end with a hyphen"),)

ATTRIBUTES = f"{API}/API_LoadBalancerAttribute.html Key"
TG_ATTRIBUTES = f"{API}/API_TargetGroupAttribute.html Key"
# Application Load Balancers accept success codes 200..499: one code, a list ("200,202") or a range ("200-299").
HTTP_CODES = r"[2-4][0-9]{2}((,[2-4][0-9]{2})*|-[2-4][0-9]{2})"

TAGS = Tagging("elbv2", "TagKey", "TagValue")


def _traffic_port_or_number(value: Any) -> str | None:
    if value == "traffic-port" or (str(value).isdigit() and 1 <= int(value) <= 65535):
        return None
    return f"{value!r} is neither traffic-port nor a port 1..65535"


REQUESTS = {
    LOAD_BALANCER: Request((
        *fields("elbv2", NAME, ("name", "CreateLoadBalancer.Name", {"rules": LB_NAME, "autoname": AutoName(255)})),
        *fields("elbv2", VALUE,
                ("loadBalancerType", "CreateLoadBalancer.Type"),
                ("internal", "CreateLoadBalancer.Scheme",
                 {"to_api": lambda internal: "internal" if internal else "internet-facing"}),
                ("idleTimeout", "LoadBalancerAttribute.Value", {"model": False, "rules": (
                    between(1, 4000, f"{ATTRIBUTES} idle_timeout.timeout_seconds",
                            quote="The valid range is 1-4000 seconds"),)}),
                ("desyncMitigationMode", "LoadBalancerAttribute.Value", {"model": False, "rules": (
                    one_of(("monitor", "defensive", "strictest"), f"{ATTRIBUTES} routing.http.desync_mitigation_mode",
                           quote="The possible values are monitor , defensive , and strictest"),)})),
    ), tags=TAGS,
        # Attributes sent as "true"/"false" or a bucket the access-log rules already name; and references.
        unchecked=("subnets", "securityGroups", "accessLogs", "dropInvalidHeaderFields", "enableDeletionProtection")),
    TARGET_GROUP: Request((
        *fields("elbv2", NAME, ("name", "CreateTargetGroup.Name", {"rules": TG_NAME, "autoname": AutoName(32)})),
        *fields("elbv2", PORT, ("port", "CreateTargetGroup.Port"),
                ("healthCheck.port", "CreateTargetGroup.HealthCheckPort", {"rules": (
                    Rule(_traffic_port_or_number, f"{API}/API_CreateTargetGroup.html HealthCheckPort",
                         quote="the default is traffic-port"),)})),
        *fields("elbv2", PROTOCOL, ("protocol", "CreateTargetGroup.Protocol"),
                ("healthCheck.protocol", "CreateTargetGroup.HealthCheckProtocol"),
                ("protocolVersion", "CreateTargetGroup.ProtocolVersion", {"rules": (one_of(
                    ("HTTP1", "HTTP2", "GRPC"), f"{API}/API_CreateTargetGroup.html ProtocolVersion",
                    quote="Specify GRPC to send requests to targets using gRPC. Specify HTTP2"),)})),
        *fields("elbv2", VALUE,
                ("targetType", "CreateTargetGroup.TargetType"),
                ("healthCheck.enabled", "CreateTargetGroup.HealthCheckEnabled"),
                ("healthCheck.path", "CreateTargetGroup.HealthCheckPath"),
                ("healthCheck.interval", "CreateTargetGroup.HealthCheckIntervalSeconds"),
                ("healthCheck.timeout", "CreateTargetGroup.HealthCheckTimeoutSeconds"),
                ("healthCheck.healthyThreshold", "CreateTargetGroup.HealthyThresholdCount"),
                ("healthCheck.unhealthyThreshold", "CreateTargetGroup.UnhealthyThresholdCount"),
                ("healthCheck.matcher", "Matcher.HttpCode", {"rules": (matches(
                    HTTP_CODES, "HTTP codes 200..499, as one code, a comma-separated list or a range",
                    f"{API}/API_Matcher.html HttpCode",
                    quote="For Application Load Balancers, you can specify values between 200 and 499"),)}),
                ("deregistrationDelay", "TargetGroupAttribute.Value", {"model": False, "rules": (
                    between(0, 3600, f"{TG_ATTRIBUTES} deregistration_delay.timeout_seconds",
                            quote="The range is 0-3600 seconds"),)})),
    ), tags=TAGS, unchecked=("vpcId",)),
    "aws:lb/listenerRule:ListenerRule": Request((
        *fields("elbv2", VALUE,
                ("priority", "CreateRule.Priority"),
                ("actions[].type", "Action.Type"),
                ("actions[].forward.targetGroups[].weight", "TargetGroupTuple.Weight", {"rules": (between(
                    0, 999, f"{API}/API_TargetGroupTuple.html Weight", quote="The range is 0 to 999"),)}),
                ("conditions[].pathPattern.values", "PathPatternConditionConfig.Values"),
                ("conditions[].httpHeader.httpHeaderName", "HttpHeaderConditionConfig.HttpHeaderName"),
                ("conditions[].httpHeader.values", "HttpHeaderConditionConfig.Values")),
    ), tags=TAGS,
        # The target groups forwarded to: references, plain strings in the model.
        unchecked=("listenerArn", "actions[].forward.targetGroups[].arn")),
    "aws:lb/listener:Listener": Request((
        *fields("elbv2", PORT, ("port", "CreateListener.Port")),
        *fields("elbv2", PROTOCOL, ("protocol", "CreateListener.Protocol"), ("sslPolicy", "CreateListener.SslPolicy")),
        *fields("elbv2", VALUE, ("defaultActions[].type", "Action.Type"),
                ("defaultActions[].fixedResponse.contentType", "FixedResponseActionConfig.ContentType", {"rules": (
                    one_of(FIXED_RESPONSE_TYPES, f"{API}/API_FixedResponseActionConfig.html ContentType",
                           quote="Valid Values: text/plain | text/css | text/html | application/javascript | "
                                 "application/json"),)}),
                ("defaultActions[].fixedResponse.messageBody", "FixedResponseActionConfig.MessageBody"),
                ("defaultActions[].fixedResponse.statusCode", "FixedResponseActionConfig.StatusCode")),
    ), tags=TAGS, unchecked=("loadBalancerArn", "certificateArn")),
}


def health_check_timeout_below_interval(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    # ELB answers "Health check interval must be greater than the timeout" to a timeout of the interval or more.
    timeout, interval = number(get(args.props, "healthCheck.timeout")), number(get(args.props, "healthCheck.interval"))
    if timeout is not None and interval is not None and timeout >= interval:
        report_violation(f"{describe(args)}: healthCheck.timeout {timeout:g} s is not shorter than "
                         f"healthCheck.interval {interval:g} s [{HEALTH_CHECKS}].", None)


POLICIES = [
    resource_policy(
        "aws-target-group-health-check-timeout-below-interval", health_check_timeout_below_interval,
        types=(TARGET_GROUP,), level=MANDATORY,
        description="A target group's health-check timeout is shorter than its interval (Elastic Load Balancing "
                    "User Guide, health checks for target groups; CreateTargetGroup rejects it otherwise).",
        fix="Lower health_check.timeout below health_check.interval (e.g. timeout 5, interval 15)."),
]
