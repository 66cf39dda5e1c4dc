"""PrivateNetwork, as the real dev and prd stacks declare it."""

import ipaddress
import json

import pulumi
import pytest

from components.network import INTERFACE_ENDPOINT_SERVICES, AddressPlan, PrivateNetwork, PrivateNetworkArgs
from mock_engine import Capture, Resource, run_program, run_stack
from stack_config.network import NetworkConfig

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INSTANCE = "aws:ec2/instance:Instance"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
IGW = "aws:ec2/internetGateway:InternetGateway"


def subnets_by_tier(capture: Capture) -> dict[str, list[Resource]]:
    tiers: dict[str, list[Resource]] = {}
    for subnet in capture.of_type(SUBNET):
        tiers.setdefault(subnet.get("tags.tier"), []).append(subnet)
    return tiers


def route_table_of(capture: Capture, subnet: Resource) -> Resource:
    association = capture.one(ASSOCIATION, where=lambda a: a.get("subnetId") == subnet.id)
    return capture.by_id(association.get("routeTableId"))


def routes_of(capture: Capture, table: Resource) -> list[Resource]:
    return [r for r in capture.of_type(ROUTE) if r.get("routeTableId") == table.id]


def default_route(capture: Capture, subnet: Resource):
    routes = [r for r in routes_of(capture, route_table_of(capture, subnet))
              if r.get("destinationCidrBlock") == "0.0.0.0/0"]
    return routes[0] if routes else None


# --- both stacks ---------------------------------------------------------------------------------------------

def test_every_tier_spans_the_configured_azs(stack: Capture):
    az_count = stack.config["webstack:network"]["azCount"]
    tiers = subnets_by_tier(stack)
    for tier in ("ingress", "container", "data"):
        zones = [s.get("availabilityZone") for s in tiers[tier]]
        assert len(zones) == az_count and len(set(zones)) == az_count, (tier, zones)


def test_dev_spans_two_azs_and_prd_three(stack: Capture):
    zones = {s.get("availabilityZone") for s in subnets_by_tier(stack)["container"]}
    assert len(zones) == {"dev": 2, "prd": 3}[stack.stack]


def test_subnets_lie_inside_the_vpc_and_never_overlap(stack: Capture):
    vpc = ipaddress.IPv4Network(stack.one("aws:ec2/vpc:Vpc").get("cidrBlock"))
    cidrs = [ipaddress.IPv4Network(s.get("cidrBlock")) for s in stack.of_type(SUBNET)]
    assert all(c.subnet_of(vpc) for c in cidrs)
    for i, a in enumerate(cidrs):
        for b in cidrs[i + 1:]:
            assert not a.overlaps(b), (a, b)


def test_vpc_resolves_private_dns_names(stack: Capture):
    vpc = stack.one("aws:ec2/vpc:Vpc")
    assert vpc.get("enableDnsSupport") is True and vpc.get("enableDnsHostnames") is True


def test_no_subnet_maps_public_ips_on_launch(stack: Capture):
    assert [s.name for s in stack.of_type(SUBNET) if s.get("mapPublicIpOnLaunch")] == []


def test_internet_gateway_is_attached_for_the_cloudfront_vpc_origin(stack: Capture):
    igw = stack.one(IGW)
    assert igw.get("vpcId") == stack.one("aws:ec2/vpc:Vpc").id


def test_data_tier_has_no_route_out_of_the_vpc(stack: Capture):
    for subnet in subnets_by_tier(stack)["data"]:
        table = route_table_of(stack, subnet)
        assert routes_of(stack, table) == [], subnet.name


def test_ingress_tier_has_no_route_out_of_the_vpc(stack: Capture):
    for subnet in subnets_by_tier(stack)["ingress"]:
        assert routes_of(stack, route_table_of(stack, subnet)) == [], subnet.name


def test_container_tier_leaves_only_through_the_nat(stack: Capture):
    nat_ids = {r.id for r in stack.of_type(NAT_GATEWAY)}
    nat_enis = {r.state.get("primaryNetworkInterfaceId") for r in stack.of_type(INSTANCE)}
    for subnet in subnets_by_tier(stack)["container"]:
        route = default_route(stack, subnet)
        assert route is not None, subnet.name
        assert route.get("gatewayId") is None
        assert route.get("natGatewayId") in nat_ids or route.get("networkInterfaceId") in nat_enis


def test_s3_and_dynamodb_gateway_endpoints_serve_container_and_data_tiers(stack: Capture):
    tiers = subnets_by_tier(stack)
    expected = {route_table_of(stack, s).id for tier in ("container", "data") for s in tiers[tier]}
    region = stack.config["aws:region"]
    for service in ("s3", "dynamodb"):
        service_name = f"com.amazonaws.{region}.{service}"
        endpoint = stack.one(ENDPOINT, where=lambda e, service_name=service_name: e.get("serviceName") == service_name)
        assert endpoint.get("vpcEndpointType") == "Gateway"
        assert set(endpoint.get("routeTableIds")) == expected


def test_default_security_group_is_emptied(stack: Capture):
    default = stack.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.get("ingress") == [] and default.get("egress") == []


def test_every_resource_is_a_child_of_the_component(stack: Capture):
    component = stack.one("webstack:network:PrivateNetwork")
    children = stack.descendants_of(component)
    network_types = {SUBNET, ROUTE, ROUTE_TABLE, ENDPOINT, IGW, "aws:ec2/vpc:Vpc"}
    assert {r.urn for r in stack.resources if r.type in network_types} <= {r.urn for r in children}


def test_every_aws_resource_is_tagged_through_its_provider(stack: Capture):
    expected = {"project": "webstack", "stack": stack.stack, "owner": stack.config["webstack:owner"]}
    # Provider inputs reach the engine as JSON text.
    tagging = {p.urn for p in stack.of_type("pulumi:providers:aws")
               if json.loads(p.get("defaultTags"))["tags"] == expected}
    aws_resources = [r for r in stack.custom_resources if r.type.startswith("aws:")]
    assert tagging and aws_resources
    # A provider reference is "<provider urn>::<provider id>".
    assert [r.name for r in aws_resources if r.provider.rsplit("::", 1)[0] not in tagging] == []


def test_stack_exports_the_vpc_its_subnets_per_tier_and_the_nat(stack: Capture):
    outputs, tiers = stack.outputs, subnets_by_tier(stack)
    vpc = stack.one("aws:ec2/vpc:Vpc")
    assert (outputs["vpcId"], outputs["vpcCidr"]) == (vpc.id, stack.config["webstack:network"]["cidr"])
    for tier in ("ingress", "container", "data"):
        # Exported in AZ order (`<name>-<tier>-<index>`); registration order is not guaranteed.
        assert outputs[f"{tier}SubnetIds"] == [s.id for s in sorted(tiers[tier], key=lambda s: s.name)], tier
    nat = stack.one(NAT_GATEWAY if outputs["natKind"] == "regional" else INSTANCE)
    assert (outputs["natKind"], outputs["natId"]) == (stack.config["webstack:network"]["nat"], nat.id)


def test_component_reports_its_cidr_and_zones():
    def program() -> None:
        network = PrivateNetwork("webstack-test", PrivateNetworkArgs(
            config=NetworkConfig(cidr="172.16.32.0/20", azCount=2, nat="regional"), region="ap-northeast-1"))
        pulumi.export("vpcCidr", network.vpc_cidr)
        pulumi.export("availabilityZones", network.availability_zones)
        pulumi.export("publicSubnetId", network.public_subnet_id)

    outputs = run_program(program).outputs
    assert outputs["vpcCidr"] == "172.16.32.0/20"
    assert outputs["availabilityZones"] == ["ap-northeast-1a", "ap-northeast-1c"]  # of a, c and d
    assert outputs["publicSubnetId"] is None


# --- dev: cost first ---------------------------------------------------------------------------------------

def test_dev_has_exactly_one_public_subnet_routed_to_the_internet_gateway(dev: Capture):
    public = subnets_by_tier(dev)["public"]
    assert len(public) == 1
    route = default_route(dev, public[0])
    assert route.get("gatewayId") == dev.one(IGW).id
    assert ipaddress.IPv4Network(public[0].get("cidrBlock")).prefixlen == 28


def test_dev_runs_exactly_one_hardened_nat_instance(dev: Capture):
    assert dev.of_type(NAT_GATEWAY) == []
    nat = dev.one(INSTANCE)
    public = subnets_by_tier(dev)["public"][0]
    assert nat.get("subnetId") == public.id
    assert nat.get("instanceType") == "t4g.nano"  # Graviton, the smallest size
    assert nat.get("sourceDestCheck") is False
    assert nat.get("metadataOptions.httpTokens") == "required"
    assert nat.get("rootBlockDevice.encrypted") is True
    assert nat.get("keyName") is None  # no SSH key: Session Manager only
    assert "MASQUERADE" in nat.get("userData") and "ip_forward = 1" in nat.get("userData")


def test_dev_nat_instance_ami_is_looked_up_not_hard_coded(dev: Capture):
    # The mocked SSM parameter answers this value; a literal in the program would not track it.
    assert dev.one(INSTANCE).get("ami") == "ami-0a1b2c3d4e5f67890"


def test_dev_nat_instance_is_managed_through_session_manager(dev: Capture):
    nat = dev.one(INSTANCE)
    profile = dev.one("aws:iam/instanceProfile:InstanceProfile")
    assert nat.get("iamInstanceProfile") == profile.state["name"]
    attachment = dev.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                         where=lambda a: a.name.endswith("nat-ssm"))
    assert attachment.get("policyArn") == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def test_dev_nat_instance_admits_only_container_workloads(dev: Capture):
    nat_sg_id = dev.one(INSTANCE).get("vpcSecurityGroupIds")[0]
    ingress = [r for r in dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r.get("securityGroupId") == nat_sg_id]
    workload = dev.named("webstack-dev-workload-sg")
    assert ingress and all(r.get("referencedSecurityGroupId") == workload.id for r in ingress)
    assert all(r.get("cidrIpv4") is None and r.get("cidrIpv6") is None for r in ingress)


def test_dev_nat_instance_recovers_itself(dev: Capture):
    nat = dev.one(INSTANCE)
    alarm = dev.one("aws:cloudwatch/metricAlarm:MetricAlarm", where=lambda a: a.name.endswith("nat-recover"))
    assert alarm.get("dimensions") == {"InstanceId": nat.id}
    assert alarm.get("metricName") == "StatusCheckFailed_System"
    topic = dev.one("aws:sns/topic:Topic", where=lambda t: t.name.endswith("-alarms"))
    assert alarm.get("alarmActions") == ["arn:aws:automate:ap-northeast-1:ec2:recover", topic.state["arn"]]
    assert alarm.get("okActions") == [topic.state["arn"]], "people hear that the NAT came back"


# --- prd: availability first -------------------------------------------------------------------------------

def test_prd_has_no_public_subnet(prd: Capture):
    assert "public" not in subnets_by_tier(prd)
    assert prd.outputs["natKind"] == "regional"


def test_prd_uses_one_regional_nat_gateway_and_no_nat_instance(prd: Capture):
    nat = prd.one(NAT_GATEWAY)
    assert nat.get("availabilityMode") == "regional"
    assert nat.get("subnetId") is None and nat.get("vpcId") == prd.one("aws:ec2/vpc:Vpc").id
    assert prd.of_type(INSTANCE) == []


def test_prd_has_no_route_to_the_internet_gateway(prd: Capture):
    igw = prd.one(IGW)
    assert [r.name for r in prd.of_type(ROUTE) if r.get("gatewayId") == igw.id] == []


def test_prd_interface_endpoints_cover_each_az_and_admit_only_workloads(prd: Capture):
    region = prd.config["aws:region"]
    container = {s.id for s in subnets_by_tier(prd)["container"]}
    endpoints = [e for e in prd.of_type(ENDPOINT) if e.get("vpcEndpointType") == "Interface"]
    assert {e.get("serviceName") for e in endpoints} == {f"com.amazonaws.{region}.{s}"
                                                          for s in INTERFACE_ENDPOINT_SERVICES}
    for endpoint in endpoints:
        assert set(endpoint.get("subnetIds")) == container and endpoint.get("privateDnsEnabled") is True
    sg_id = endpoints[0].get("securityGroupIds")[0]
    rules = [r for r in prd.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.get("securityGroupId") == sg_id]
    assert [(r.get("fromPort"), r.get("referencedSecurityGroupId")) for r in rules] == [
        (443, prd.named("webstack-prd-workload-sg").id)]


def test_dev_has_no_interface_endpoints(dev: Capture):
    assert [e for e in dev.of_type(ENDPOINT) if e.get("vpcEndpointType") == "Interface"] == []


def test_prd_flow_logs_go_to_a_log_group_with_retention(prd: Capture):
    flow_log = prd.one("aws:ec2/flowLog:FlowLog")
    group = prd.one("aws:cloudwatch/logGroup:LogGroup", where=lambda g: g.name.endswith("flow-logs"))
    assert flow_log.get("logDestination") == group.state["arn"] and flow_log.get("trafficType") == "ALL"
    assert group.get("retentionInDays") == prd.config["webstack:network"]["flowLogRetentionDays"]
    role = prd.by_id(flow_log.get("iamRoleArn")) or prd.one(
        "aws:iam/role:Role", where=lambda r: r.state["arn"] == flow_log.get("iamRoleArn"))
    assert '"vpc-flow-logs.amazonaws.com"' in role.get("assumeRolePolicy")
    assert '"aws:SourceAccount"' in role.get("assumeRolePolicy")


def test_dev_has_no_flow_logs(dev: Capture):
    assert dev.of_type("aws:ec2/flowLog:FlowLog") == []


# --- switches and the address plan --------------------------------------------------------------------------

def test_switching_dev_to_regional_nat_removes_its_public_subnet():
    capture = run_stack("dev", {"webstack:network": {"nat": "regional"}})
    assert "public" not in subnets_by_tier(capture)
    assert len(capture.of_type(NAT_GATEWAY)) == 1 and capture.of_type(INSTANCE) == []


def test_flow_logs_and_endpoints_follow_their_switches():
    capture = run_stack("dev", {"webstack:network": {"flowLogs": True, "interfaceEndpoints": True}})
    assert len(capture.of_type("aws:ec2/flowLog:FlowLog")) == 1
    assert len([e for e in capture.of_type(ENDPOINT) if e.get("vpcEndpointType") == "Interface"]) == len(
        INTERFACE_ENDPOINT_SERVICES)


@pytest.mark.parametrize("cidr, subnet_prefix", [("10.0.0.0/16", 20), ("172.16.32.0/20", 24)])
def test_address_plan_is_deterministic_and_leaves_a_quarter_free(cidr, subnet_prefix):
    plan = AddressPlan.carve(cidr, 3)
    assert plan == AddressPlan.carve(cidr, 3)
    used = [ipaddress.IPv4Network(c) for cidrs in plan.tiers.values() for c in cidrs]
    assert all(n.prefixlen == subnet_prefix for n in used)
    vpc = ipaddress.IPv4Network(cidr)
    free = list(vpc.subnets(prefixlen_diff=2))[3]
    assert not any(n.overlaps(free) for n in used)
    assert ipaddress.IPv4Network(plan.public).subnet_of(free)
