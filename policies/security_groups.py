"""Security groups: who may reach what, on every form a rule can take.

A rule can be written inline on `aws.ec2.SecurityGroup` (`ingress` / `egress` lists), as `aws.ec2.SecurityGroupRule`,
or as `aws.vpc.SecurityGroupIngressRule` / `SecurityGroupEgressRule`. Each form is read into the same `SgRule`, so
every check below sees all three alike.

Ingress is chained: the ALB admits only the CloudFront origin-facing managed prefix list
(`com.amazonaws.global.cloudfront.origin-facing`, `pl-58a04531` in ap-northeast-1), tasks admit only the ALB's
group, and so on. A CIDR source is an exception that must be allow-listed in policy-config.json.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from .core import (
    ADVISORY,
    MANDATORY,
    as_list,
    describe,
    each_known,
    get,
    number,
    resource_policy,
    settings,
    stack_policy,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
STANDALONE_RULES = (SECURITY_GROUP_RULE, VPC_INGRESS_RULE, VPC_EGRESS_RULE)
RULE_BEARERS = (SECURITY_GROUP, *STANDALONE_RULES)

INTERNET = ("0.0.0.0/0", "::/0")
ALL_PROTOCOLS = "-1"
PROTOCOL_NAMES = {"-1": ALL_PROTOCOLS, "all": ALL_PROTOCOLS, "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
# The default description AWS and the provider give a group nobody described.
DEFAULT_GROUP_DESCRIPTION = "Managed by Pulumi"


@dataclass(frozen=True)
class SgRule:
    """One security-group rule, whatever form it was written in. `peers` are (kind, value) pairs:
    kind is cidr4, cidr6, prefixList, group or self."""

    direction: str
    protocol: str
    from_port: float | None
    to_port: float | None
    peers: tuple[tuple[str, str], ...]
    description: str
    where: str

    @property
    def all_traffic(self) -> bool:
        if self.protocol == ALL_PROTOCOLS:
            return True
        if self.protocol in ("tcp", "udp"):
            return (self.from_port or 0) <= 0 and (self.to_port or 0) >= 65535
        return False

    @property
    def ports(self) -> str:
        if self.protocol == ALL_PROTOCOLS:
            return "all protocols and ports"
        if self.from_port == self.to_port:
            return f"{self.protocol} {self.from_port:g}" if self.from_port is not None else self.protocol
        return f"{self.protocol} {self.from_port:g}-{self.to_port:g}"

    def identities(self) -> set[tuple[Any, ...]]:
        """What the rule grants, one tuple per peer: equal tuples grant the same thing."""
        ports = (None, None) if self.protocol == ALL_PROTOCOLS else (self.from_port, self.to_port)
        return {(self.direction, self.protocol, *ports, kind, value) for kind, value in self.peers}


def _protocol(value: Any) -> str:
    text = str(value if value is not None else "").lower()
    return PROTOCOL_NAMES.get(text, text)


def _inline_rules(props: Any) -> Iterator[SgRule]:
    for direction in ("ingress", "egress"):
        for index, entry in enumerate(as_list(get(props, direction))):
            peers = [("cidr4", c) for c in as_list(get(entry, "cidrBlocks"))]
            peers += [("cidr6", c) for c in as_list(get(entry, "ipv6CidrBlocks"))]
            peers += [("prefixList", p) for p in as_list(get(entry, "prefixListIds"))]
            peers += [("group", g) for g in as_list(get(entry, "securityGroups"))]
            if get(entry, "self"):
                peers.append(("self", "self"))
            yield SgRule(direction, _protocol(get(entry, "protocol")), number(get(entry, "fromPort")),
                         number(get(entry, "toPort")), tuple(peers), str(get(entry, "description") or ""),
                         f"inline {direction}[{index}]")


def _security_group_rule(props: Any) -> SgRule:
    peers = [("cidr4", c) for c in as_list(get(props, "cidrBlocks"))]
    peers += [("cidr6", c) for c in as_list(get(props, "ipv6CidrBlocks"))]
    peers += [("prefixList", p) for p in as_list(get(props, "prefixListIds"))]
    if get(props, "sourceSecurityGroupId"):
        peers.append(("group", get(props, "sourceSecurityGroupId")))
    if get(props, "self"):
        peers.append(("self", "self"))
    return SgRule(str(get(props, "type") or ""), _protocol(get(props, "protocol")), number(get(props, "fromPort")),
                  number(get(props, "toPort")), tuple(peers), str(get(props, "description") or ""), "rule")


def _vpc_rule(direction: str, props: Any) -> SgRule:
    peers = []
    for kind, key in (("cidr4", "cidrIpv4"), ("cidr6", "cidrIpv6"), ("prefixList", "prefixListId"),
                      ("group", "referencedSecurityGroupId")):
        if get(props, key):
            peers.append((kind, get(props, key)))
    return SgRule(direction, _protocol(get(props, "ipProtocol")), number(get(props, "fromPort")),
                  number(get(props, "toPort")), tuple(peers), str(get(props, "description") or ""), "rule")


def rules_of(resource_type: str, props: Any) -> list[SgRule]:
    """Every rule a resource declares (a group's inline rules, or the one rule a rule resource is)."""
    if resource_type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        return list(_inline_rules(props))
    if resource_type == SECURITY_GROUP_RULE:
        return [_security_group_rule(props)]
    if resource_type == VPC_INGRESS_RULE:
        return [_vpc_rule("ingress", props)]
    if resource_type == VPC_EGRESS_RULE:
        return [_vpc_rule("egress", props)]
    return []


def _ingress(args: ResourceValidationArgs) -> list[SgRule]:
    return [r for r in rules_of(args.resource_type, args.props) if r.direction == "ingress"]


# --- rules -----------------------------------------------------------------------------------------------------

def no_ingress_from_internet(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for rule in _ingress(args):
        for kind, value in rule.peers:
            if kind in ("cidr4", "cidr6") and value in INTERNET:
                report_violation(f"{describe(args)}: {rule.where} admits {value} on {rule.ports}.", None)


def ingress_only_from_groups_or_allowed_prefix_lists(args: ResourceValidationArgs,
                                                     report_violation: ReportViolation) -> None:
    config = settings("sg-ingress-only-from-groups-or-allowed-prefix-lists", args)
    allowed_prefix_lists = set(config.get("allowedPrefixListIds", []))
    allowed_cidrs = set(config.get("allowedIngressCidrs", []))
    for rule in _ingress(args):
        for kind, value in rule.peers:
            if kind in ("cidr4", "cidr6") and value not in INTERNET and value not in allowed_cidrs:
                report_violation(f"{describe(args)}: {rule.where} admits the CIDR {value} on {rule.ports}; "
                                 "ingress comes from security groups or allowed prefix lists.", None)
            elif kind == "prefixList" and value not in allowed_prefix_lists:
                report_violation(f"{describe(args)}: {rule.where} admits prefix list {value}, which is not in "
                                 f"allowedPrefixListIds ({', '.join(sorted(allowed_prefix_lists)) or 'none'}).",
                                 None)


def no_all_traffic_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for rule in _ingress(args):
        if rule.all_traffic:
            report_violation(f"{describe(args)}: {rule.where} admits {rule.ports}.", None)


def no_all_protocol_egress_to_internet(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for rule in rules_of(args.resource_type, args.props):
        if rule.direction != "egress" or rule.protocol != ALL_PROTOCOLS:
            continue
        for _kind, value in rule.peers:
            if value in INTERNET:
                report_violation(f"{describe(args)}: {rule.where} sends all protocols to {value}.", None)


def groups_and_rules_described(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == SECURITY_GROUP:
        description = str(get(args.props, "description") or "").strip()
        if not description or description == DEFAULT_GROUP_DESCRIPTION:
            report_violation(f"{describe(args)} has no description of its own (it reads {description!r}).", None)
    for rule in rules_of(args.resource_type, args.props):
        if not rule.description.strip():
            report_violation(f"{describe(args)}: {rule.where} ({rule.direction} {rule.ports}) has no description.",
                             None)


def default_security_group_closed(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for rule in rules_of(args.resource_type, args.props):
        report_violation(f"{describe(args)}: the VPC's default group keeps {rule.where} ({rule.ports}).", None)


def _group_of(rule: PolicyResource) -> list[PolicyResource]:
    return [r for r in rule.property_dependencies.get("securityGroupId", []) if r.resource_type == SECURITY_GROUP]


def no_mixed_inline_and_standalone_rules(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    standalone: dict[str, set[tuple[Any, ...]]] = {}

    def collect(resource: PolicyResource) -> None:
        for group in _group_of(resource):
            for rule in rules_of(resource.resource_type, resource.props):
                standalone.setdefault(group.urn, set()).update(rule.identities())

    def judge(group: PolicyResource) -> None:
        # A deployed group lists every rule AWS holds, standalone ones included: only a grant that no standalone
        # rule accounts for was written inline.
        inline_only = [rule for rule in rules_of(SECURITY_GROUP, group.props)
                       if rule.identities() - standalone[group.urn]]
        if inline_only:
            listed = ", ".join(f"{r.direction} {r.ports}" for r in inline_only)
            report_violation(f"SecurityGroup {group.name} has inline rules ({listed}) and standalone rule "
                             "resources; each form overwrites the other on every update.", group.urn)

    each_known([r for r in args.resources if r.resource_type in STANDALONE_RULES], collect)
    each_known([r for r in args.resources if r.resource_type == SECURITY_GROUP and r.urn in standalone], judge)


POLICIES = [
    resource_policy(
        "sg-no-ingress-from-internet", no_ingress_from_internet, types=RULE_BEARERS, level=MANDATORY,
        description="No security-group ingress from 0.0.0.0/0 or ::/0, on any port or rule form "
                    "(checkov CKV_AWS_24, CKV_AWS_25, CKV_AWS_260, CKV_AWS_277; Security Hub EC2.53/EC2.54).",
        fix="Admit the calling security group (referencedSecurityGroupId / sourceSecurityGroupId) or the "
            "CloudFront origin-facing managed prefix list instead of an internet CIDR."),
    resource_policy(
        "sg-ingress-only-from-groups-or-allowed-prefix-lists", ingress_only_from_groups_or_allowed_prefix_lists,
        types=RULE_BEARERS, level=MANDATORY,
        description="Security-group ingress comes only from other security groups or allow-listed managed prefix "
                    "lists; CIDR sources only from the config allow-list (chained groups, Security Hub EC2.18).",
        fix="Reference the upstream security group, or the CloudFront origin-facing prefix list; a deliberate "
            "exception goes into policies/policy-config.json (allowedPrefixListIds / allowedIngressCidrs)."),
    resource_policy(
        "sg-no-all-traffic-ingress", no_all_traffic_ingress, types=RULE_BEARERS, level=MANDATORY,
        description="No security-group ingress on all protocols or on the whole port range "
                    "(checkov CKV_AWS_277).",
        fix="Open only the protocol and port the listener uses (e.g. tcp 80 or 8080)."),
    resource_policy(
        "sg-no-all-protocol-egress-to-internet", no_all_protocol_egress_to_internet, types=RULE_BEARERS,
        level=MANDATORY,
        description="No security-group egress on all protocols to 0.0.0.0/0 or ::/0 (checkov CKV_AWS_382).",
        fix="Allow egress per protocol and port (e.g. tcp 443 to 0.0.0.0/0 through the NAT, or to the S3 / "
            "DynamoDB prefix lists, or to the next security group)."),
    resource_policy(
        "sg-groups-and-rules-described", groups_and_rules_described, types=RULE_BEARERS, level=ADVISORY,
        description="Every security group and every rule has a description (checkov CKV_AWS_23).",
        fix="Set `description` saying what the group is for / why the rule exists."),
    resource_policy(
        "sg-default-group-closed", default_security_group_closed, types=(DEFAULT_SECURITY_GROUP,),
        level=MANDATORY,
        description="The VPC's default security group has no rules (checkov CKV2_AWS_12, Security Hub EC2.2).",
        fix="Adopt it with aws.ec2.DefaultSecurityGroup(ingress=[], egress=[])."),
    stack_policy(
        "sg-no-mixed-inline-and-standalone-rules", no_mixed_inline_and_standalone_rules, level=MANDATORY,
        description="A security group's rules are managed either inline or as rule resources, never both "
                    "(pulumi-aws SecurityGroup: 'NOTE on Security Groups and Security Group Rules').",
        fix="Move the inline ingress/egress entries into aws.vpc.SecurityGroupIngressRule / "
            "SecurityGroupEgressRule resources (or the other way round)."),
]
