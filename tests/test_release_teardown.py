"""release.teardown against moto's EC2: what a CloudFront VPC origin leaves in the VPC goes, once its interfaces
have, and never while they remain."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from release.teardown import GROUP_NAME, Clock, TeardownError, main, teardown

REGION = "ap-northeast-1"


class FakeClock(Clock):
    """Time that passes only when the teardown sleeps, so deadlines are tested without waiting."""

    def __init__(self, on_sleep=None):
        self.time = 0.0
        self.sleeps = 0
        self.on_sleep = on_sleep
        super().__init__(now=lambda: self.time, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.time += seconds
        self.sleeps += 1
        if self.on_sleep:
            self.on_sleep(self.sleeps)


@pytest.fixture
def ec2():
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")


def vpc_with_origin_leftovers(ec2, interfaces: int = 1) -> tuple[str, str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/20")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(VpcId=vpc, GroupName=GROUP_NAME,
                                      Description="CloudFront configured SecurityGroup")["GroupId"]
    enis = [ec2.create_network_interface(SubnetId=subnet, Groups=[group])["NetworkInterface"]["NetworkInterfaceId"]
            for _ in range(interfaces)]
    return vpc, group, enis


def groups_named(ec2, vpc: str) -> list[str]:
    found = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                  {"Name": "group-name", "Values": [GROUP_NAME]}])
    return [g["GroupId"] for g in found["SecurityGroups"]]


def test_the_leftover_group_goes_once_the_origins_interfaces_have(ec2):
    vpc, _, [eni] = vpc_with_origin_leftovers(ec2)
    # CloudFront removes its interfaces a while after the VPC origin is deleted: here, on the second poll.
    clock = FakeClock(on_sleep=lambda n: n == 2 and ec2.delete_network_interface(NetworkInterfaceId=eni))
    assert teardown(ec2, vpc, clock=clock, log=lambda _: None) is True
    assert groups_named(ec2, vpc) == [] and clock.sleeps == 2


def test_interfaces_that_never_leave_stop_the_teardown_at_its_deadline_naming_them(ec2):
    vpc, group, enis = vpc_with_origin_leftovers(ec2, interfaces=2)
    with pytest.raises(TeardownError) as raised:
        teardown(ec2, vpc, clock=FakeClock(), interfaces_timeout=60, log=lambda _: None)
    assert all(eni in str(raised.value) for eni in enis) and "list-vpc-origins" in str(raised.value)
    assert groups_named(ec2, vpc) == [group], "a group still in use is never deleted"


def test_a_vpc_without_the_group_needs_nothing(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    assert teardown(ec2, vpc, clock=FakeClock(), log=lambda _: None) is False


def test_the_teardown_is_idempotent(ec2):
    vpc, _, [eni] = vpc_with_origin_leftovers(ec2)
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    assert teardown(ec2, vpc, clock=FakeClock(), log=lambda _: None) is True
    assert teardown(ec2, vpc, clock=FakeClock(), log=lambda _: None) is False


def test_a_group_of_another_name_is_left_alone(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_security_group(VpcId=vpc, GroupName="webstack-dev-alb-sg", Description="ALB")["GroupId"]
    assert teardown(ec2, vpc, clock=FakeClock(), log=lambda _: None) is False
    assert other in [g["GroupId"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]]


def test_the_command_needs_the_vpc():
    with pytest.raises(SystemExit):
        main([])
