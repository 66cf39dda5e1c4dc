"""`webstack:site`: the CloudFront distribution in front of the site bucket and the API, and its edge options."""

import re
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .base import Section

# A DNS name of two or more labels, lowercase, no trailing dot: `shop.example.com`.
HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
# A Route 53 hosted zone id: `Z0123456789ABCDEFGHIJ`.
HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
# AWS WAF's bounds for a rate-based rule's limit, per client IP per 5-minute window.
RATE_LIMIT_BOUNDS = (10, 2_000_000_000)


class SiteConfig(Section):
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_200"
    """Edge locations that serve viewers. PriceClass_100 (North America, Europe, Israel) leaves Japan out, so
    viewers there would be served from the other side of the world; PriceClass_200 includes Japan and the rest of
    Asia; PriceClass_All is every edge location."""
    domain: str | None = None
    """Custom name of the site, e.g. `shop.example.com`: an ACM certificate in us-east-1, validated in
    `hostedZone`, and A/AAAA alias records. Unset: the distribution's own `*.cloudfront.net` name."""
    hosted_zone: str | None = None
    """Route 53 public hosted zone holding `domain`, by name (`example.com`) or id (`Z0123456789ABCDEFGHIJ`)."""
    waf: bool = False
    """Attach an AWS WAF web ACL (managed common and known-bad-inputs rules, per-IP rate limit)."""
    rate_limit: int = Field(default=1000, ge=RATE_LIMIT_BOUNDS[0], le=RATE_LIMIT_BOUNDS[1])
    """Requests per client IP per 5 minutes before the web ACL answers 429 (only with `waf: true`)."""
    additional_metrics: bool = False
    """CloudFront's additional distribution metrics (cache hit ratio, origin latency, errors by status), billed
    as CloudWatch metrics; the dashboard shows the cache hit ratio only with them."""

    @field_validator("domain")
    @classmethod
    def _a_dns_name(cls, value: str | None) -> str | None:
        if value is not None and not HOSTNAME.match(value):
            raise ValueError(f"{value!r} is not a lowercase DNS name of two or more labels such as "
                             "shop.example.com (no scheme, path or trailing dot)")
        return value

    @field_validator("hosted_zone")
    @classmethod
    def _a_zone_name_or_id(cls, value: str | None) -> str | None:
        if value is None or HOSTED_ZONE_ID.match(value):
            return value
        zone = value.rstrip(".").lower()
        if not HOSTNAME.match(zone):
            raise ValueError(f"{value!r} is neither a hosted zone name such as example.com nor an id such as "
                             "Z0123456789ABCDEFGHIJ")
        return zone

    @model_validator(mode="after")
    def _zone_holds_the_domain(self) -> "SiteConfig":
        if self.domain and self.hosted_zone is None:
            raise _problem("hostedZone", f"domain {self.domain} needs the Route 53 hosted zone that holds it (its "
                           "name, e.g. example.com, or its id) for certificate validation and alias records", None)
        if self.hosted_zone and self.domain is None:
            raise _problem("hostedZone", "a hosted zone without a domain does nothing; set domain too, or remove "
                           "hostedZone", self.hosted_zone)
        if self.domain and self.hosted_zone and not self.hosted_zone_is_id:
            zone = self.hosted_zone
            if self.domain != zone and not self.domain.endswith(f".{zone}"):
                raise _problem("hostedZone", f"domain {self.domain} is not inside the zone {zone}; use the zone "
                               "that holds it", self.hosted_zone)
        return self

    @property
    def hosted_zone_is_id(self) -> bool:
        return self.hosted_zone is not None and HOSTED_ZONE_ID.match(self.hosted_zone) is not None


def _problem(key: str, message: str, value: object) -> ValidationError:
    """A validation error located at `key`, for rules that span several keys."""
    return ValidationError.from_exception_data(SiteConfig.__name__, [InitErrorDetails(
        type=PydanticCustomError("site_config", "{message}", {"message": message}), loc=(key,), input=value)])
