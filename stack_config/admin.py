"""`webstack:admin`: who may edit the catalogue, from where, and the service that writes it (seed 002).

Administrators sign in to a Cognito user pool of the stack; only members of its `admins` group get past the admin
API. The admin screen (`/admin/*`) and its API (`/api/admin/*`) answer only the address ranges in `allowedCidrs`;
CloudFront refuses every other address with 403 before a request reaches the origin.
"""

import ipaddress
from typing import Literal

from pydantic import Field, field_validator

from .base import Section
from .service import ServiceConfig

# RFC 5737 and RFC 3849 ranges: placeholders in documentation, reachable by no one.
DOCUMENTATION_RANGES = tuple(ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))


class AdminConfig(Section):
    allowed_cidrs: list[str]
    """Address ranges (IPv4 or IPv6 CIDR) that may reach the admin screen and API, e.g. the office's egress."""
    allow_list_at: Literal["waf", "function"] = "waf"
    """Where CloudFront enforces the allow-list: `waf`, an IP-set rule in the stack's web ACL (needs
    `webstack:site.waf`); or `function`, a CloudFront Function on the admin paths, for a stack without a web ACL."""
    mfa: Literal["off", "optional", "required"] = "required"
    """TOTP (authenticator app) second factor: `required` asks every administrator for it at every sign-in."""
    deletion_protection: bool = True
    """Cognito refuses to delete the user pool (and so its administrators) until this is switched off."""
    access_token_minutes: int = Field(default=60, ge=5, le=1440)
    """How long a sign-in's access token is good for; the admin page refreshes it while the session lasts."""
    session_hours: int = Field(default=8, ge=1, le=720)
    """Refresh-token lifetime: after this long an administrator signs in again."""
    temporary_password_days: int = Field(default=3, ge=1, le=365)
    """How long the first password an operator hands out stays valid."""
    service: ServiceConfig = ServiceConfig()
    """The admin API's Fargate service (`python -m app.admin`), sized like `webstack:api`."""

    @field_validator("allowed_cidrs")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("the allow-list is empty, so no one could reach the admin screen; list the address "
                             "ranges administrators work from, e.g. [\"198.51.100.0/24\"]")
        ranges = []
        for entry in value:
            try:
                network = ipaddress.ip_network(entry, strict=True)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not a CIDR range such as 198.51.100.0/24 or 2001:db8::/48 "
                                 f"({exc})") from None
            if network.prefixlen == 0:
                raise ValueError(f"{entry} admits every address; list the ranges administrators work from")
            ranges.append(str(network))
        if len(set(ranges)) != len(ranges):
            raise ValueError("the allow-list names a range twice")
        return ranges

    @property
    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(entry) for entry in self.allowed_cidrs]

    @property
    def only_documentation_ranges(self) -> bool:
        """True while the allow-list holds only placeholder ranges: then no real address reaches the admin screen."""
        return all(any(network.subnet_of(doc) for doc in DOCUMENTATION_RANGES  # type: ignore[arg-type]
                       if doc.version == network.version) for network in self.networks)
