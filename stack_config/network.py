"""`webstack:network`: the VPC, its tiers and how the container tier reaches the internet."""

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, field_validator

from .base import Section

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)


def _retention_cloudwatch_accepts(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(f"{value} is not a CloudWatch Logs retention period; use one of {LOG_RETENTION_DAYS}")
    return value


LogRetentionDays = Annotated[int, AfterValidator(_retention_cloudwatch_accepts)]


class NetworkConfig(Section):
    cidr: str = "10.0.0.0/16"
    """Private IPv4 range of the VPC, /16 to /20. Keep stacks apart so they can be peered later."""
    az_count: Literal[2, 3] = 2
    """Availability zones spanned by every tier (an ALB needs two)."""
    nat: Literal["instance", "regional"] = "instance"
    """instance: one NAT instance in the only public subnet (cost first); regional: a regional NAT gateway and no
    public subnet at all (availability first)."""
    nat_instance_type: Literal["t4g.nano", "t4g.micro", "t4g.small"] = "t4g.nano"
    interface_endpoints: bool = False
    """PrivateLink endpoints for ECR, CloudWatch Logs and STS, so image pulls and logs bypass the NAT."""
    flow_logs: bool = False
    flow_log_retention_days: LogRetentionDays = 30

    @field_validator("cidr")
    @classmethod
    def _private_range_of_usable_size(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IPv4 network in CIDR notation such as 10.0.0.0/16 ({exc})") from None
        if not network.is_private:
            raise ValueError(f"{value} is not a private range; use one inside 10.0.0.0/8, 172.16.0.0/12 or "
                             "192.168.0.0/16")
        if not 16 <= network.prefixlen <= 20:
            raise ValueError(f"/{network.prefixlen} is outside /16../20: three tiers in up to four AZs need at "
                             "least a /20, and AWS allows no VPC larger than /16")
        return str(network)
