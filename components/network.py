"""PrivateNetwork: a VPC whose subnets are all private, in three tiers per AZ.

Address plan (deterministic, from the VPC CIDR): the VPC splits into four equal blocks — ingress, container,
data, and one kept free. Each tier block holds four equal per-AZ subnets, of which `az_count` are used, so a
/16 gives /20 subnets (4,091 usable addresses, room for many Fargate ENIs) and a /20 gives /24 ones. The NAT
instance's public subnet, when there is one, is the first /28 of the free block.

Egress: the container tier's default route goes to the NAT (a regional NAT gateway, or a NAT instance); the
ingress and data tiers have no route out at all. S3 and DynamoDB are reached through gateway endpoints.
"""

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import document
from stack_config.network import NetworkConfig

TIERS = ("ingress", "container", "data")
GATEWAY_ENDPOINT_SERVICES = ("s3", "dynamodb")
# What a Fargate task in a private subnet calls besides S3 and DynamoDB: image pulls, logs, role credentials.
INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "logs", "sts")
# Ports the NAT instance forwards for the container tier: the tasks speak only HTTPS.
NAT_FORWARDED_PORTS = (443,)
# What VPC flow logs' role does with its log group.
FLOW_LOG_DELIVERY_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
# Amazon Linux 2023 for Graviton, resolved at deploy time so the NAT instance starts patched.
NAT_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"

NAT_USER_DATA = """#!/bin/bash
# Turn this instance into a NAT for the container tier: forward and masquerade.
set -euo pipefail
for attempt in 1 2 3 4 5; do dnf install -y iptables-services && break; sleep $((attempt * 10)); done
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
sysctl --system
iface=$(ip route show default | awk '{print $5; exit}')
iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE
iptables -F FORWARD
service iptables save
systemctl enable --now iptables
"""


@dataclass(frozen=True)
class AddressPlan:
    """Subnet CIDRs per tier and AZ index, and the public /28 for a NAT instance."""

    tiers: dict[str, list[str]]
    public: str

    @classmethod
    def carve(cls, vpc_cidr: str, az_count: int) -> "AddressPlan":
        vpc = ipaddress.IPv4Network(vpc_cidr)
        ingress, container, data, free = vpc.subnets(prefixlen_diff=2)
        tiers = {
            tier: [str(subnet) for subnet in list(block.subnets(prefixlen_diff=2))[:az_count]]
            for tier, block in zip(TIERS, (ingress, container, data), strict=True)
        }
        return cls(tiers=tiers, public=str(next(free.subnets(new_prefix=28))))


@dataclass(frozen=True)
class PrivateNetworkArgs:
    config: NetworkConfig
    region: str
    permissions_boundary_arn: pulumi.Input[str] | None = None
    """The stack's RoleBoundary (components/boundary.py), set on the NAT instance's and the flow logs' roles."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Where the NAT instance's recovery alarm also tells people (the stack's Alerts topic)."""


class PrivateNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    availability_zones: pulumi.Output[list[str]]
    ingress_subnet_ids: pulumi.Output[list[str]]
    container_subnet_ids: pulumi.Output[list[str]]
    data_subnet_ids: pulumi.Output[list[str]]
    public_subnet_id: pulumi.Output[str] | None
    nat_id: pulumi.Output[str]
    """The regional NAT gateway's id, or the NAT instance's id."""
    nat_kind: str
    workload_security_group_id: pulumi.Output[str]
    """Attach to container-tier workloads: the NAT instance and interface endpoints admit exactly this group."""

    def __init__(self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:network:PrivateNetwork", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        plan = AddressPlan.carve(config.cidr, config.az_count)
        self._name = name
        self._child = child
        self._boundary = args.permissions_boundary_arn
        self._topic = [args.alarm_topic_arn] if args.alarm_topic_arn is not None else []

        zones = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        zone_names = zones.names.apply(lambda names: self._first_zones(names, config.az_count))

        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=config.cidr, enable_dns_support=True,
                          enable_dns_hostnames=True, tags={"Name": f"{name}-vpc"}, opts=child)
        # Adopt the default security group and strip every rule: nothing may use it by accident.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[],
                                     tags={"Name": f"{name}-default-closed"}, opts=child)
        # A CloudFront VPC origin requires the VPC to have an internet gateway; no private subnet routes to it.
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": f"{name}-igw"}, opts=child)

        subnets = {tier: [aws.ec2.Subnet(f"{name}-{tier}-{index}", vpc_id=vpc.id, cidr_block=cidr,
                                         availability_zone=zone_names[index], map_public_ip_on_launch=False,
                                         tags={"Name": f"{name}-{tier}-{index}", "tier": tier}, opts=child)
                          for index, cidr in enumerate(cidrs)]
                   for tier, cidrs in plan.tiers.items()}
        route_tables = {tier: self._route_table(tier, vpc, subnets[tier]) for tier in TIERS}

        self.workload_security_group = aws.ec2.SecurityGroup(
            f"{name}-workload-sg", vpc_id=vpc.id,
            description="Member workloads of the container tier; grants reach to the NAT and interface endpoints",
            tags={"Name": f"{name}-workload"}, opts=child)

        self.public_subnet_id = None
        if config.nat == "regional":
            nat = aws.ec2.NatGateway(f"{name}-nat", availability_mode="regional", connectivity_type="public",
                                     vpc_id=vpc.id, tags={"Name": f"{name}-regional-nat"},
                                     opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]))
            aws.ec2.Route(f"{name}-container-default", route_table_id=route_tables["container"].id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id, opts=child)
            self.nat_id = nat.id
        else:
            instance = self._nat_instance(config, vpc, igw, plan.public, zone_names[0])
            aws.ec2.Route(f"{name}-container-default", route_table_id=route_tables["container"].id,
                          destination_cidr_block="0.0.0.0/0",
                          network_interface_id=instance.primary_network_interface_id, opts=child)
            self.nat_id = instance.id
        self.nat_kind = config.nat

        for service in GATEWAY_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(f"{name}-{service}-gateway", vpc_id=vpc.id,
                                service_name=f"com.amazonaws.{args.region}.{service}", vpc_endpoint_type="Gateway",
                                route_table_ids=[route_tables["container"].id, route_tables["data"].id],
                                tags={"Name": f"{name}-{service}-gateway"}, opts=child)
        if config.interface_endpoints:
            self._interface_endpoints(args.region, vpc, subnets["container"])
        if config.flow_logs:
            self._flow_logs(vpc, config.flow_log_retention_days)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.availability_zones = zone_names
        self.ingress_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["ingress"]])
        self.container_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["container"]])
        self.data_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["data"]])
        self.workload_security_group_id = self.workload_security_group.id
        self.register_outputs({
            "vpcId": self.vpc_id, "vpcCidr": self.vpc_cidr, "availabilityZones": self.availability_zones,
            "ingressSubnetIds": self.ingress_subnet_ids, "containerSubnetIds": self.container_subnet_ids,
            "dataSubnetIds": self.data_subnet_ids, "publicSubnetId": self.public_subnet_id,
            "natId": self.nat_id, "natKind": self.nat_kind,
            "workloadSecurityGroupId": self.workload_security_group_id,
        })

    @staticmethod
    def _first_zones(names: list[str], count: int) -> list[str]:
        if len(names) < count:
            raise ValueError(f"the region offers {len(names)} availability zones ({', '.join(names)}) but "
                             f"webstack:network.azCount asks for {count}; lower azCount")
        return sorted(names)[:count]

    def _route_table(self, tier: str, vpc: aws.ec2.Vpc, subnets: list[aws.ec2.Subnet]) -> aws.ec2.RouteTable:
        table = aws.ec2.RouteTable(f"{self._name}-{tier}-rt", vpc_id=vpc.id,
                                   tags={"Name": f"{self._name}-{tier}", "tier": tier}, opts=self._child)
        for index, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(f"{self._name}-{tier}-rta-{index}", subnet_id=subnet.id,
                                          route_table_id=table.id, opts=self._child)
        return table

    def _nat_instance(self, config: NetworkConfig, vpc: aws.ec2.Vpc, igw: aws.ec2.InternetGateway,
                      public_cidr: str, zone: pulumi.Input[str]) -> aws.ec2.Instance:
        name, child = self._name, self._child
        public = aws.ec2.Subnet(f"{name}-public-nat", vpc_id=vpc.id, cidr_block=public_cidr,
                                availability_zone=zone, map_public_ip_on_launch=False,
                                tags={"Name": f"{name}-public-nat", "tier": "public"}, opts=child)
        table = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": f"{name}-public"}, opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=table.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=igw.id, opts=child)
        aws.ec2.RouteTableAssociation(f"{name}-public-rta", subnet_id=public.id, route_table_id=table.id,
                                      opts=child)
        self.public_subnet_id = public.id

        security_group = aws.ec2.SecurityGroup(
            f"{name}-nat-sg", vpc_id=vpc.id, description="NAT instance: forwards web traffic of the container tier",
            tags={"Name": f"{name}-nat"}, opts=child)
        for port in NAT_FORWARDED_PORTS:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-nat-in-{port}", security_group_id=security_group.id, ip_protocol="tcp", from_port=port,
                to_port=port, referenced_security_group_id=self.workload_security_group.id,
                description=f"TCP {port} from container-tier workloads, to be forwarded", opts=child)
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-nat-out-{port}", security_group_id=security_group.id, ip_protocol="tcp", from_port=port,
                to_port=port, cidr_ipv4="0.0.0.0/0", description=f"TCP {port} to the internet, forwarded",
                opts=child)

        # Session Manager instead of SSH: no key pair, no port 22. The stack's boundary holds the managed policy
        # to its Session Manager part.
        role = aws.iam.Role(f"{name}-nat-role", description="NAT instance: Session Manager access only",
                            assume_role_policy=pulumi.Output.json_dumps(document(
                                {"Effect": "Allow", "Action": "sts:AssumeRole",
                                 "Principal": {"Service": "ec2.amazonaws.com"}})),
                            permissions_boundary=self._boundary, opts=child)
        aws.iam.RolePolicyAttachment(f"{name}-nat-ssm", role=role.name,
                                     policy_arn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", opts=child)
        profile = aws.iam.InstanceProfile(f"{name}-nat-profile", role=role.name, opts=child)

        ami = aws.ssm.get_parameter_output(name=NAT_AMI_PARAMETER, opts=pulumi.InvokeOutputOptions(parent=self))
        instance = aws.ec2.Instance(
            f"{name}-nat", ami=ami.value, instance_type=config.nat_instance_type, subnet_id=public.id,
            vpc_security_group_ids=[security_group.id], iam_instance_profile=profile.name,
            associate_public_ip_address=True, source_dest_check=False, user_data=NAT_USER_DATA,
            user_data_replace_on_change=True,
            metadata_options={"http_tokens": "required", "http_endpoint": "enabled",
                              "http_put_response_hop_limit": 1},
            root_block_device={"encrypted": True, "volume_type": "gp3", "delete_on_termination": True},
            maintenance_options={"auto_recovery": "default"}, monitoring=False,
            tags={"Name": f"{name}-nat"},
            # A newer AMI must not replace the NAT under running tasks; roll it deliberately.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[igw], ignore_changes=["ami"]))
        # Recover onto healthy hardware when the host fails: same instance id, ENI and addresses, so the
        # container tier's route stays valid.
        aws.cloudwatch.MetricAlarm(
            f"{name}-nat-recover",
            alarm_description=(
                "The NAT instance's host failed its system status check for 2 minutes: EC2 recovers the instance "
                "onto healthy hardware (same id, addresses and route), and the tasks lose outbound HTTPS meanwhile. "
                "Nothing to do unless it repeats or stays in ALARM: then look at the instance's status checks and "
                "its system log in the EC2 console."),
            namespace="AWS/EC2", metric_name="StatusCheckFailed_System", statistic="Maximum", period=60,
            evaluation_periods=2, threshold=1, comparison_operator="GreaterThanOrEqualToThreshold",
            dimensions={"InstanceId": instance.id},
            alarm_actions=[pulumi.Output.concat("arn:aws:automate:", aws.get_region_output(
                opts=pulumi.InvokeOutputOptions(parent=self)).region, ":ec2:recover"), *self._topic],
            ok_actions=self._topic, opts=child)
        return instance

    def _interface_endpoints(self, region: str, vpc: aws.ec2.Vpc, subnets: list[aws.ec2.Subnet]) -> None:
        name, child = self._name, self._child
        security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg", vpc_id=vpc.id, description="Interface endpoints: HTTPS from workloads only",
            tags={"Name": f"{name}-endpoints"}, opts=child)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-in-443", security_group_id=security_group.id, ip_protocol="tcp", from_port=443,
            to_port=443, referenced_security_group_id=self.workload_security_group.id,
            description="HTTPS from container-tier workloads", opts=child)
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint", vpc_id=vpc.id,
                service_name=f"com.amazonaws.{region}.{service}", vpc_endpoint_type="Interface",
                private_dns_enabled=True, subnet_ids=[s.id for s in subnets],
                security_group_ids=[security_group.id], tags={"Name": f"{name}-{service}"}, opts=child)

    def _flow_logs(self, vpc: aws.ec2.Vpc, retention_days: int) -> None:
        name, child = self._name, self._child
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        log_group = aws.cloudwatch.LogGroup(f"{name}-flow-logs", retention_in_days=retention_days, opts=child)
        role = aws.iam.Role(f"{name}-flow-logs-role", description="VPC flow logs: deliver to one log group",
                            assume_role_policy=pulumi.Output.json_dumps(document(
                                {"Effect": "Allow", "Action": "sts:AssumeRole",
                                 "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                                 "Condition": {"StringEquals": {"aws:SourceAccount": account}}})),
                            permissions_boundary=self._boundary, opts=child)
        aws.iam.RolePolicy(f"{name}-flow-logs-write", role=role.id, policy=pulumi.Output.json_dumps(document(
            {"Effect": "Allow", "Action": list(FLOW_LOG_DELIVERY_ACTIONS),
             "Resource": [log_group.arn, pulumi.Output.concat(log_group.arn, ":*")]})), opts=child)
        aws.ec2.FlowLog(f"{name}-flow-log", vpc_id=vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
                        log_destination=log_group.arn, iam_role_arn=role.arn, max_aggregation_interval=60,
                        tags={"Name": f"{name}-flow-log"}, opts=child)
