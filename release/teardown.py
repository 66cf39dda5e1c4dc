"""``python -m release.teardown --vpc-id vpc-… [--region …]``: remove what a CloudFront VPC origin leaves in the
VPC, so `pulumi destroy` of the stack can delete the VPC.

A VPC origin puts service-managed elastic network interfaces in the load balancer's subnets and one security group,
`CloudFront-VPCOrigins-Service-SG`, in the VPC (CloudFront Developer Guide, "Restrict access with VPC origins").
AWS documents no deletion of the group, the provider waits only for the VPC origin itself to go, and a VPC with a
security group of its own cannot be deleted. This waits, with a deadline, until no interface in the VPC carries the
group, then deletes it. It is idempotent: a VPC without the group, or a group already gone, is success; EC2 itself
refuses to delete a group still in use, so nothing another origin needs can go.

The destroy job (.github/workflows/deploy-stack.yml) runs it after a `pulumi destroy` that stopped at the VPC, then
destroys again. It needs ec2:DescribeSecurityGroups, ec2:DescribeNetworkInterfaces and ec2:DeleteSecurityGroup.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

GROUP_NAME = "CloudFront-VPCOrigins-Service-SG"
# The provider gives a subnet 20 minutes to lose its interfaces; the same bound here.
INTERFACES_TIMEOUT_SECONDS = 20 * 60
# A group whose last interface just went can stay "in use" for a moment.
DELETE_TIMEOUT_SECONDS = 5 * 60
POLL_SECONDS = 15
STILL_IN_USE = ("DependencyViolation", "InvalidGroup.InUse")


class TeardownError(Exception):
    """What stops the teardown, with what to look at."""


@dataclass
class Clock:
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


SYSTEM_CLOCK = Clock()


def leftover_group(ec2: Any, vpc_id: str) -> str | None:
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                   {"Name": "group-name", "Values": [GROUP_NAME]}])
    ids = [g["GroupId"] for g in groups.get("SecurityGroups", [])]
    return ids[0] if ids else None


def interfaces_using(ec2: Any, vpc_id: str, group_id: str) -> list[str]:
    found = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                     {"Name": "group-id", "Values": [group_id]}])
    return [i["NetworkInterfaceId"] for i in found.get("NetworkInterfaces", [])]


def teardown(ec2: Any, vpc_id: str, clock: Clock = SYSTEM_CLOCK,
             interfaces_timeout: float = INTERFACES_TIMEOUT_SECONDS,
             delete_timeout: float = DELETE_TIMEOUT_SECONDS, log: Callable[[str], None] = print) -> bool:
    """True if a leftover group was deleted, False if there was none; raises TeardownError past a deadline."""
    group_id = leftover_group(ec2, vpc_id)
    if group_id is None:
        log(f"no {GROUP_NAME} in {vpc_id}: nothing to remove")
        return False
    deadline = clock.now() + interfaces_timeout
    while interfaces := interfaces_using(ec2, vpc_id, group_id):
        if clock.now() >= deadline:
            raise TeardownError(
                f"{len(interfaces)} network interfaces still carry {group_id} ({GROUP_NAME}) in {vpc_id} after "
                f"{interfaces_timeout:.0f} s: {', '.join(interfaces)}. Check that the stack's CloudFront VPC "
                "origin is deleted (aws cloudfront list-vpc-origins), then run this again")
        log(f"waiting for {len(interfaces)} VPC-origin network interfaces to leave {vpc_id}")
        clock.sleep(POLL_SECONDS)
    deadline = clock.now() + delete_timeout
    while True:
        try:
            ec2.delete_security_group(GroupId=group_id)
            log(f"deleted {group_id} ({GROUP_NAME}) from {vpc_id}")
            return True
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "InvalidGroup.NotFound":
                log(f"{group_id} is already gone")
                return True
            if code not in STILL_IN_USE or clock.now() >= deadline:
                raise TeardownError(f"could not delete {group_id} ({GROUP_NAME}) from {vpc_id}: {code}: "
                                    f"{error.response.get('Error', {}).get('Message', '')}") from None
        clock.sleep(POLL_SECONDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.teardown", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--vpc-id", required=True, help="the stack's VPC (stack output vpcId)")
    parser.add_argument("--region", help="the stack's region (default: the AWS CLI's)")
    parser.add_argument("--endpoint-url", help=argparse.SUPPRESS)  # an emulator, in tests
    options = parser.parse_args(argv)
    ec2 = boto3.client("ec2", region_name=options.region, endpoint_url=options.endpoint_url)
    try:
        teardown(ec2, options.vpc_id)
    except (TeardownError, ClientError, BotoCoreError) as error:
        print(f"release.teardown: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
