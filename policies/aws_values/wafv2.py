"""WAFv2: CreateWebACL.

The model gives names, metric names and descriptions their patterns and the rate limit its bounds. A web ACL's
capacity is counted in web ACL capacity units (WCUs): AWS managed rule groups have fixed capacities (AWS WAF
Developer Guide, AWS Managed Rules rule groups list), a rate-based rule costs 2 (Rule statements list). A web ACL
includes 1,500 WCUs in its price; the April 2023 announcement lets it use up to 5,000, each 500 above 1,500 billed
per request (older CheckCapacity and DescribeManagedRuleGroup references still state 1,500 as the limit). The rule
holds this stack to the 1,500 its price includes, the CLOUDFRONT-scope default.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..core import MANDATORY, as_list, describe, get, is_mapping, resource_policy
from .fields import DESCRIPTION, NAME, VALUE, AutoName, Request, Rule, Tagging, at_most, fields, one_of

API = "https://docs.aws.amazon.com/waf/latest/APIReference"
GUIDE = "https://docs.aws.amazon.com/waf/latest/developerguide"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
IP_SET = "aws:wafv2/ipSet:IpSet"

INCLUDED_WCUS = 1_500
WCU_SOURCE = (f"{GUIDE}/aws-waf-capacity-units.html, {GUIDE}/aws-managed-rule-groups-list.html and "
              f"{GUIDE}/waf-rule-statements-list.html (1,500 WCUs "
              "included; up to 5,000 billed above 1,500 since "
              "https://aws.amazon.com/about-aws/whats-new/2023/04/aws-waf-web-acl-capacity-units-limits/)")
# Capacity of each AWS managed rule group (AWS Managed Rules rule groups list, "WCU" of each group).
MANAGED_GROUP_WCUS = {
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesAdminProtectionRuleSet": 100,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesSQLiRuleSet": 200,
    "AWSManagedRulesLinuxRuleSet": 200,
    "AWSManagedRulesUnixRuleSet": 100,
    "AWSManagedRulesWindowsRuleSet": 200,
    "AWSManagedRulesPHPRuleSet": 100,
    "AWSManagedRulesWordPressRuleSet": 100,
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
    "AWSManagedRulesBotControlRuleSet": 50,
}
# Rule statements' capacities (AWS WAF Developer Guide, rule statements list: each statement's "WCUs").
RATE_BASED_WCUS = 2  # plus its scope-down statement
IP_SET_WCUS = 1
SIMPLE_MATCH_WCUS = {"geoMatchStatement": 1, "labelMatchStatement": 1, "regexPatternSetReferenceStatement": 25}
# String match: by positional constraint, plus 10 for each text transformation other than NONE.
BYTE_MATCH_WCUS = {"EXACTLY": 2, "STARTS_WITH": 2, "ENDS_WITH": 2, "CONTAINS": 10, "CONTAINS_WORD": 10}
TRANSFORMATION_WCUS = 10
LOGICAL = {"andStatement": "statements", "orStatement": "statements", "notStatement": "statement"}

def _ip_block(value: Any) -> str | None:
    """A CIDR block of either family, other than /0."""
    try:
        network = ipaddress.ip_network(str(value))
    except ValueError as error:
        return f"{value!r} is not a CIDR block ({error})"
    return f"{value!r} is a /0, which WAF does not take" if network.prefixlen == 0 else None


def _response_bodies(value: Any) -> dict[str, Any]:
    """Pulumi's list of {key, content, contentType} is the API's map of key to {Content, ContentType}."""
    return {str(get(body, "key")): {"Content": get(body, "content"), "ContentType": get(body, "contentType")}
            for body in as_list(value)}


RULE_PATH = "rules[]"
RATE = f"{RULE_PATH}.statement.rateBasedStatement"
MANAGED = f"{RULE_PATH}.statement.managedRuleGroupStatement"
# The admin allow-list rule (components/site.py): an admin path AND NOT an address of the allow-list's IP set.
ALL_OF = f"{RULE_PATH}.statement.andStatement.statements[]"
BYTE_MATCH = f"{ALL_OF}.orStatement.statements[].byteMatchStatement"
REQUESTS = {
    WEB_ACL: Request((
        *fields("wafv2", NAME, ("name", "CreateWebACL.Name", {"autoname": AutoName(255)}),
                (f"{RULE_PATH}.name", "Rule.Name"),
                (f"{RULE_PATH}.visibilityConfig.metricName", "VisibilityConfig.MetricName"),
                ("visibilityConfig.metricName", "VisibilityConfig.MetricName"),
                (f"{MANAGED}.name", "ManagedRuleGroupStatement.Name"),
                (f"{MANAGED}.vendorName", "ManagedRuleGroupStatement.VendorName")),
        *fields("wafv2", DESCRIPTION, ("description", "CreateWebACL.Description")),
        *fields("wafv2", VALUE,
                ("scope", "CreateWebACL.Scope"),
                (f"{RULE_PATH}.priority", "Rule.Priority"),
                (f"{RATE}.limit", "RateBasedStatement.Limit"),
                (f"{RATE}.aggregateKeyType", "RateBasedStatement.AggregateKeyType"),
                (f"{RATE}.evaluationWindowSec", "RateBasedStatement.EvaluationWindowSec",
                 {"rules": (one_of((60, 120, 300, 600), f"{API}/API_RateBasedStatement.html EvaluationWindowSec",
                                   quote="Valid settings are 60, 120, 300, and 600"),)}),
                (f"{RULE_PATH}.action.block.customResponse.responseCode", "CustomResponse.ResponseCode"),
                (f"{RULE_PATH}.action.block.customResponse.customResponseBodyKey",
                 "CustomResponse.CustomResponseBodyKey"),
                (f"{RULE_PATH}.overrideAction.none", "OverrideAction.None"),
                (f"{ALL_OF}.notStatement.statement.ipSetReferenceStatement.arn", "IPSetReferenceStatement.ARN"),
                (f"{BYTE_MATCH}.fieldToMatch.uriPath", "FieldToMatch.UriPath"),
                (f"{BYTE_MATCH}.positionalConstraint", "ByteMatchStatement.PositionalConstraint"),
                (f"{BYTE_MATCH}.searchString", "ByteMatchStatement.SearchString", {"rules": (at_most(
                    200, f"{API}/API_ByteMatchStatement.html SearchString",
                    quote="The maximum length of the value is 200 bytes", unit="bytes",
                    measure=lambda text: len(text.encode())),)}),
                (f"{BYTE_MATCH}.textTransformations[].priority", "TextTransformation.Priority"),
                (f"{BYTE_MATCH}.textTransformations[].type", "TextTransformation.Type"),
                ("visibilityConfig.cloudwatchMetricsEnabled", "VisibilityConfig.CloudWatchMetricsEnabled"),
                ("visibilityConfig.sampledRequestsEnabled", "VisibilityConfig.SampledRequestsEnabled"),
                (f"{RULE_PATH}.visibilityConfig.cloudwatchMetricsEnabled", "VisibilityConfig.CloudWatchMetricsEnabled"),
                (f"{RULE_PATH}.visibilityConfig.sampledRequestsEnabled", "VisibilityConfig.SampledRequestsEnabled")),
        *fields("wafv2", VALUE, ("customResponseBodies", "CreateWebACL.CustomResponseBodies",
                                 {"to_api": _response_bodies})),
    ), tags=Tagging("wafv2", "TagKey", "TagValue"), unchecked=("defaultAction",)),
    IP_SET: Request((
        *fields("wafv2", NAME, ("name", "CreateIPSet.Name", {"autoname": AutoName(255)})),
        *fields("wafv2", DESCRIPTION, ("description", "CreateIPSet.Description")),
        *fields("wafv2", VALUE, ("scope", "CreateIPSet.Scope"), ("ipAddressVersion", "CreateIPSet.IPAddressVersion"),
                ("addresses[]", "CreateIPSet.Addresses[]", {"rules": (Rule(
                    _ip_block, f"{API}/API_CreateIPSet.html Addresses",
                    quote="WAF supports all IPv4 and IPv6 CIDR ranges except for /0"),)})),
    ), tags=Tagging("wafv2", "TagKey", "TagValue")),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": Request(fields(
        "wafv2", VALUE, ("logDestinationConfigs", "LoggingConfiguration.LogDestinationConfigs"),
        ("redactedFields[].singleHeader.name", "SingleHeader.Name")), unchecked=("resourceArn",)),
}


def statement_capacity(statement: Any) -> tuple[int, list[str]]:
    """(WCUs, statements no source gives a capacity) of a rule statement and the statements it nests. Logical
    statements cost what their nested statements cost."""
    if not is_mapping(statement):
        return 0, []
    for key, nested in LOGICAL.items():
        if is_mapping(get(statement, key)):
            parts = [statement_capacity(s) for s in as_list(get(statement, f"{key}.{nested}"))]
            return sum(w for w, _ in parts), [u for _, found in parts for u in found]
    managed = get(statement, "managedRuleGroupStatement")
    if is_mapping(managed):
        group = str(get(managed, "name"))
        return (MANAGED_GROUP_WCUS[group], []) if group in MANAGED_GROUP_WCUS else (0, [group])
    rate = get(statement, "rateBasedStatement")
    if is_mapping(rate):
        if get(rate, "customKeys"):
            return 0, ["a rate-based rule with custom keys"]
        scope_down, unknown = statement_capacity(get(rate, "scopeDownStatement"))
        return RATE_BASED_WCUS + scope_down, unknown
    if is_mapping(get(statement, "ipSetReferenceStatement")):
        return IP_SET_WCUS, []
    byte_match = get(statement, "byteMatchStatement")
    if is_mapping(byte_match):
        constraint = str(get(byte_match, "positionalConstraint"))
        transformations = [t for t in as_list(get(byte_match, "textTransformations")) if get(t, "type") != "NONE"]
        if constraint not in BYTE_MATCH_WCUS:
            return 0, [f"a string match {constraint}"]
        return BYTE_MATCH_WCUS[constraint] + TRANSFORMATION_WCUS * len(transformations), []
    for key, wcus in SIMPLE_MATCH_WCUS.items():
        if is_mapping(get(statement, key)):
            return wcus, []
    return 0, [", ".join(str(k) for k in statement) or "an empty statement"]


def web_acl_capacity(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    rules = [(str(get(rule, "name")), *statement_capacity(get(rule, "statement")))
             for rule in as_list(get(args.props, "rules"))]
    unknown = [f"{what} (rule {name})" for name, _, found in rules for what in found]
    if unknown:
        report_violation(f"{describe(args)}: no capacity is on record for {', '.join(unknown)}; add its WCUs from "
                         f"the AWS WAF Developer Guide to the tables in policies/aws_values/wafv2.py "
                         f"[{WCU_SOURCE}].", None)
    total = sum(wcus for _, wcus, _ in rules)
    if total > INCLUDED_WCUS:
        listed = ", ".join(f"{name} {wcus}" for name, wcus, _ in rules)
        report_violation(f"{describe(args)} needs {total:,} WCUs ({listed}), more than the {INCLUDED_WCUS:,} a web "
                         f"ACL includes [{WCU_SOURCE}].", None)

POLICIES = [
    resource_policy(
        "aws-waf-web-acl-capacity", web_acl_capacity, types=(WEB_ACL,), level=MANDATORY,
        description="A web ACL's rules fit the 1,500 WCUs its price includes, counting each AWS managed rule "
                    "group at its documented capacity (AWS WAF Developer Guide, web ACL capacity units and AWS "
                    "Managed Rules rule groups list).",
        fix="Drop or swap a managed rule group (e.g. the Common rule set is 700 WCUs), or accept the per-request "
            "charge above 1,500 and raise INCLUDED_WCUS with the reason."),
]
