"""EC2 and VPC: what the program sends to CreateVpc, CreateSubnet, CreateSecurityGroup, the security-group rule
calls, CreateNatGateway, CreateVpcEndpoint, CreateFlowLogs and RunInstances.

EC2's model states almost no patterns or bounds (its strings are plain `String`), so most rules here come from the
EC2 API reference, whose parameter descriptions the model carries as documentation; each rule quotes it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from ..core import MANDATORY, describe, each_known, get, known, resource_policy, stack_policy
from ..security_groups import RULE_BEARERS, rules_of
from .fields import (
    DESCRIPTION,
    NAME,
    PORT,
    PROTOCOL,
    VALUE,
    AutoName,
    Request,
    Tagging,
    at_most,
    between,
    charset,
    fields,
    ipv4_cidr,
    matches,
    one_of,
)

API = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference"
VPC_GUIDE = "https://docs.aws.amazon.com/vpc/latest/userguide"

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"

# CreateSecurityGroup: "Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" (names and
# descriptions alike); rules that reference a prefix list or a group allow the same set without "&".
GROUP_CHARACTERS = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]"
GROUP_CHARACTERS_TEXT = "a-z A-Z 0-9 space ._-:/()#,@[]+=&;{}!$*"
RULE_CHARACTERS_WITHOUT_AMPERSAND = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=;{}!$*]"

GROUP_DESCRIPTION = (
    charset(GROUP_CHARACTERS, GROUP_CHARACTERS_TEXT, f"{API}/API_CreateSecurityGroup.html GroupDescription",
            quote="Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*"),
    at_most(255, f"{API}/API_CreateSecurityGroup.html GroupDescription", quote="Up to 255 characters in length"),
)
GROUP_NAME = (
    *GROUP_DESCRIPTION,
    matches(r"(?i)(?!sg-).*", "allowed to start with sg-", f"{API}/API_CreateSecurityGroup.html GroupName",
            quote="Can't start with sg-"),
)


def _rule_description(member: str, characters: str, text: str, quote: str) -> tuple[Any, ...]:
    source = f"{API}/API_{member}.html Description"
    return (charset(characters, text, source, quote=quote),
            at_most(255, source, quote="Up to 255 characters in length"))


CIDR_RULE_DESCRIPTION = _rule_description("IpRange", GROUP_CHARACTERS, GROUP_CHARACTERS_TEXT,
                                          "Allowed characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*")
PEER_RULE_DESCRIPTION = {
    member: _rule_description(member, RULE_CHARACTERS_WITHOUT_AMPERSAND, "a-z A-Z 0-9 space ._-:/()#,@[]+=;{}!$*",
                              "Allowed characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=;{}!$*")
    for member in ("PrefixListId", "UserIdGroupPair")}


def _peer_is(*keys: str) -> Any:
    return lambda props: any(get(props, key) for key in keys)


def _rule_fields() -> tuple[Any, ...]:
    # A rule's description goes to the entry of the peer it names, and each entry documents its own characters.
    return (
        *fields("ec2", PROTOCOL, ("ipProtocol", "IpPermission.IpProtocol")),
        *fields("ec2", PORT, ("fromPort", "IpPermission.FromPort"), ("toPort", "IpPermission.ToPort")),
        *fields("ec2", DESCRIPTION,
                ("description", "IpRange.Description",
                 {"rules": CIDR_RULE_DESCRIPTION, "when": _peer_is("cidrIpv4")}),
                ("description", "PrefixListId.Description",
                 {"rules": PEER_RULE_DESCRIPTION["PrefixListId"], "when": _peer_is("prefixListId")}),
                ("description", "UserIdGroupPair.Description",
                 {"rules": PEER_RULE_DESCRIPTION["UserIdGroupPair"], "when": _peer_is("referencedSecurityGroupId")})),
        *fields("ec2", VALUE, ("cidrIpv4", "IpRange.CidrIp",
                               {"rules": (ipv4_cidr(f"{API}/API_IpRange.html CidrIp"),)})),
    )


RULE_PEERS = ("securityGroupId", "referencedSecurityGroupId", "prefixListId")

# EC2's Tag shape has plain strings; its documentation states the limits.
TAGS = Tagging("ec2", "String", "String", rules=(
    at_most(127, f"{API}/API_Tag.html Key", quote="accept a maximum of 127 Unicode characters"),
    matches(r"(?i)(?!aws:).*", "allowed to begin with aws:", f"{API}/API_Tag.html Key",
            quote="May not begin with aws:"),
), value_rules=(at_most(256, f"{API}/API_Tag.html Value", quote="accept a maximum of 256 Unicode characters"),))

SG_RULE = Request(_rule_fields(), tags=TAGS, unchecked=RULE_PEERS)

REQUESTS = {
    # CIDR blocks are judged together, subnets against their VPC, by aws-vpc-and-subnet-cidrs.
    VPC: Request(tags=TAGS, unchecked=("cidrBlock", "enableDnsSupport", "enableDnsHostnames")),
    SUBNET: Request(fields("ec2", VALUE, ("availabilityZone", "CreateSubnet.AvailabilityZone")), tags=TAGS,
                    unchecked=("cidrBlock", "vpcId", "mapPublicIpOnLaunch")),
    "aws:ec2/internetGateway:InternetGateway": Request(tags=TAGS, unchecked=("vpcId",)),
    # Adopted, not created; its (empty) rule lists replace the default group's rules.
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Request(tags=TAGS, unchecked=("vpcId", "ingress", "egress")),
    "aws:ec2/routeTable:RouteTable": Request(tags=TAGS, unchecked=("vpcId",)),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Request(unchecked=("routeTableId", "subnetId")),
    "aws:ec2/route:Route": Request(fields("ec2", VALUE, (
        "destinationCidrBlock", "CreateRoute.DestinationCidrBlock",
        {"rules": (ipv4_cidr(f"{API}/API_CreateRoute.html DestinationCidrBlock"),)})),
        unchecked=("routeTableId", "gatewayId", "natGatewayId", "networkInterfaceId")),
    "aws:ec2/securityGroup:SecurityGroup": Request((
        *fields("ec2", NAME, ("name", "CreateSecurityGroup.GroupName",
                              {"rules": GROUP_NAME, "autoname": AutoName(255)})),
        *fields("ec2", DESCRIPTION, ("description", "CreateSecurityGroup.Description", {"rules": GROUP_DESCRIPTION})),
    ), tags=TAGS, unchecked=("vpcId",)),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": SG_RULE,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": SG_RULE,
    NAT_GATEWAY: Request(fields("ec2", VALUE, ("connectivityType", "CreateNatGateway.ConnectivityType"),
                                ("availabilityMode", "CreateNatGateway.AvailabilityMode")), tags=TAGS,
                         unchecked=("vpcId", "subnetId", "allocationId")),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Request(fields(
        "ec2", VALUE, ("vpcEndpointType", "CreateVpcEndpoint.VpcEndpointType"),
        ("serviceName", "CreateVpcEndpoint.ServiceName"),
        ("privateDnsEnabled", "CreateVpcEndpoint.PrivateDnsEnabled")), tags=TAGS,
        unchecked=("vpcId", "routeTableIds", "subnetIds", "securityGroupIds")),
    "aws:ec2/flowLog:FlowLog": Request(fields(
        "ec2", VALUE, ("trafficType", "CreateFlowLogs.TrafficType"),
        ("logDestinationType", "CreateFlowLogs.LogDestinationType"),
        ("maxAggregationInterval", "CreateFlowLogs.MaxAggregationInterval", {"rules": (one_of(
            (60, 600), f"{API}/API_CreateFlowLogs.html MaxAggregationInterval",
            quote="The possible values are 60 seconds (1 minute) or 600 seconds (10 minutes)"),)})), tags=TAGS,
        unchecked=("vpcId", "iamRoleArn", "logDestination")),
    "aws:ec2/instance:Instance": Request(fields(
        "ec2", VALUE, ("instanceType", "RunInstances.InstanceType"), ("ami", "RunInstances.ImageId"),
        ("associatePublicIpAddress", "InstanceNetworkInterfaceSpecification.AssociatePublicIpAddress"),
        ("monitoring", "RunInstancesMonitoringEnabled.Enabled"),
        ("metadataOptions.httpTokens", "InstanceMetadataOptionsRequest.HttpTokens"),
        ("metadataOptions.httpEndpoint", "InstanceMetadataOptionsRequest.HttpEndpoint"),
        ("metadataOptions.httpPutResponseHopLimit", "InstanceMetadataOptionsRequest.HttpPutResponseHopLimit",
         {"rules": (between(1, 64, f"{API}/API_InstanceMetadataOptionsRequest.html HttpPutResponseHopLimit",
                            quote="Integers from 1 to 64"),)}),
        ("rootBlockDevice.volumeType", "EbsBlockDevice.VolumeType"),
        ("rootBlockDevice.encrypted", "EbsBlockDevice.Encrypted"),
        ("rootBlockDevice.deleteOnTermination", "EbsBlockDevice.DeleteOnTermination"),
        ("maintenanceOptions.autoRecovery", "InstanceMaintenanceOptionsRequest.AutoRecovery"),
        # 16 KB of user data before base64 encoding (EC2 User Guide, "Run commands at launch using user data").
        ("userData", "RunInstances.UserData", {"model": False, "rules": (at_most(
            16 * 1024, "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html (user data is limited "
                       "to 16 KB, in raw form, before it is base64-encoded)", unit="bytes",
            measure=lambda text: len(text.encode())),)})), tags=TAGS,
        # sourceDestCheck goes to ModifyInstanceAttribute; userDataReplaceOnChange is the provider's own.
        unchecked=("subnetId", "vpcSecurityGroupIds", "iamInstanceProfile", "sourceDestCheck",
                   "userDataReplaceOnChange")),
}


# --- security-group rules: protocol and ports ---------------------------------------------------------------------

PROTOCOL_NAMES = ("tcp", "udp", "icmp", "icmpv6", "-1")
SG_RULE_SOURCE = f"{API}/API_IpPermission.html (IpProtocol, FromPort, ToPort)"


def _protocol_problem(protocol: str) -> str | None:
    if protocol in PROTOCOL_NAMES:
        return None
    if protocol.isdigit() and 0 <= int(protocol) <= 255:
        return None
    return f"protocol {protocol!r} is neither tcp, udp, icmp, icmpv6, -1 nor a protocol number 0..255"


def _ports_problem(protocol: str, low: float | None, high: float | None) -> str | None:
    if protocol in ("tcp", "udp"):
        if low is None or high is None:
            return f"{protocol} needs fromPort and toPort"
        if not (0 <= low <= high <= 65535):
            return f"{protocol} ports {low:g}-{high:g} are not a range within 0..65535"
    elif protocol in ("icmp", "icmpv6"):
        for label, value in (("type (fromPort)", low), ("code (toPort)", high)):
            if value is not None and not -1 <= value <= 255:
                return f"{protocol} {label} {value:g} is outside -1..255"
        if low == -1 and high not in (None, -1):
            return f"{protocol} with every type (fromPort -1) takes every code (toPort -1), not {high:g}"
    elif low is not None or high is not None:
        return (f"protocol {protocol!r} opens every port whatever the range says; drop fromPort/toPort "
                "or use tcp/udp")
    return None


def security_group_rule_ports(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for rule in rules_of(args.resource_type, args.props):
        problem = _protocol_problem(rule.protocol) or _ports_problem(rule.protocol, rule.from_port, rule.to_port)
        if problem:
            report_violation(f"{describe(args)}: {rule.where}: {problem} [{SG_RULE_SOURCE}].", None)


# --- NAT gateway ---------------------------------------------------------------------------------------------------

NAT_SOURCE = (f"{API}/API_CreateNatGateway.html (AvailabilityMode, SubnetId, VpcId) and "
              f"{VPC_GUIDE}/nat-gateways-regional.html")


def regional_nat_gateway_takes_no_subnet(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    mode = get(args.props, "availabilityMode") or "zonal"
    if mode == "regional" and get(args.props, "subnetId"):
        report_violation(f"{describe(args)} is regional (availabilityMode = regional) and names subnet "
                         f"{get(args.props, 'subnetId')!r}; a regional NAT gateway spans the VPC's AZs and takes "
                         f"its VPC, not a subnet [{NAT_SOURCE}].", None)
    if mode == "regional" and not get(args.props, "vpcId"):
        report_violation(f"{describe(args)} is regional but names no vpcId [{NAT_SOURCE}].", None)
    if mode == "zonal" and not get(args.props, "subnetId"):
        report_violation(f"{describe(args)} is zonal and names no subnetId [{NAT_SOURCE}].", None)


# --- CIDRs ---------------------------------------------------------------------------------------------------------

BLOCK_SIZES = (16, 28)
CIDR_SOURCE = f"{VPC_GUIDE}/vpc-cidr-blocks.html (block sizes /16 to /28) and {VPC_GUIDE}/subnet-sizing.html"


def _network(value: Any) -> tuple[ipaddress.IPv4Network | None, str | None]:
    try:
        network = ipaddress.IPv4Network(str(value))
    except ValueError as error:
        return None, f"{value!r} is not an IPv4 network address with a prefix ({error})"
    if not BLOCK_SIZES[0] <= network.prefixlen <= BLOCK_SIZES[1]:
        return network, f"{value} is a /{network.prefixlen}; AWS takes /{BLOCK_SIZES[0]} to /{BLOCK_SIZES[1]}"
    return network, None


def _vpc_of(subnet: PolicyResource) -> PolicyResource | None:
    return next((r for r in subnet.property_dependencies.get("vpcId", []) if r.resource_type == VPC), None)


def vpc_and_subnet_cidrs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    vpcs: dict[str, ipaddress.IPv4Network] = {}
    placed: dict[str, list[tuple[ipaddress.IPv4Network, PolicyResource]]] = {}

    def judge_vpc(vpc: PolicyResource) -> None:
        network, problem = _network(get(vpc.props, "cidrBlock"))
        if problem:
            report_violation(f"Vpc {vpc.name}: cidrBlock {problem} [{CIDR_SOURCE}].", vpc.urn)
        if network is not None:
            vpcs[vpc.urn] = network

    def judge_subnet(subnet: PolicyResource) -> None:
        network, problem = _network(get(subnet.props, "cidrBlock"))
        if problem:
            report_violation(f"Subnet {subnet.name}: cidrBlock {problem} [{CIDR_SOURCE}].", subnet.urn)
        vpc = _vpc_of(subnet)
        if network is None or vpc is None or vpc.urn not in vpcs:
            return
        if not network.subnet_of(vpcs[vpc.urn]):
            report_violation(f"Subnet {subnet.name}: {network} lies outside its VPC {vpc.name} "
                             f"({vpcs[vpc.urn]}) [{CIDR_SOURCE}].", subnet.urn)
        for other_network, other in placed.get(vpc.urn, []):
            if network.overlaps(other_network):
                report_violation(f"Subnet {subnet.name}: {network} overlaps subnet {other.name} "
                                 f"({other_network}) of the same VPC [{CIDR_SOURCE}].", subnet.urn)
        placed.setdefault(vpc.urn, []).append((network, subnet))

    each_known([r for r in args.resources if r.resource_type == VPC and known(r.props, "cidrBlock")], judge_vpc)
    each_known([r for r in args.resources if r.resource_type == SUBNET and known(r.props, "cidrBlock")],
               judge_subnet)


POLICIES = [
    stack_policy(
        "aws-vpc-and-subnet-cidrs", vpc_and_subnet_cidrs, level=MANDATORY,
        description="VPC and subnet CIDR blocks are valid IPv4 networks of /16 to /28, every subnet lies inside "
                    "its VPC, and no two subnets of a VPC overlap (Amazon VPC User Guide, VPC CIDR blocks and "
                    "subnet sizing).",
        fix="Carve the subnets from the VPC's block without overlap (components/network.py AddressPlan), and keep "
            "webstack:network.cidr a /16 to /20 network address."),
    resource_policy(
        "aws-security-group-rule-ports", security_group_rule_ports, types=RULE_BEARERS, level=MANDATORY,
        description="Security-group rules name a protocol EC2 knows (tcp, udp, icmp, icmpv6, -1 or 0..255) and the "
                    "ports it takes: a tcp/udp range within 0..65535, an ICMP type and code within -1..255, no "
                    "range for protocols that open every port (EC2 API reference, IpPermission).",
        fix="Use ip_protocol=\"tcp\" with from_port <= to_port, or drop the port range for -1."),
    resource_policy(
        "aws-nat-gateway-regional-takes-no-subnet", regional_nat_gateway_takes_no_subnet, types=(NAT_GATEWAY,),
        level=MANDATORY,
        description="A regional NAT gateway (availabilityMode regional) names its VPC and no subnet; a zonal one "
                    "names its subnet (EC2 API reference, CreateNatGateway; Amazon VPC User Guide, regional NAT "
                    "gateways).",
        fix="For availability_mode=\"regional\" pass vpc_id and drop subnet_id; for a zonal gateway pass the "
            "public subnet's id."),
]
