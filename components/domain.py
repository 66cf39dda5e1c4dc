"""SiteDomain: the stack's own name (`webstack:site.domain`) and the two certificates that carry it.

- The viewer certificate, in us-east-1 (the only region CloudFront takes certificates from), for the domain itself:
  viewers reach the distribution as `https://<domain>`.
- The origin certificate, in the stack's region, for `origin.<domain>`: the name the distribution gives its VPC
  origin. CloudFront speaks TLS to a custom origin (a VPC origin included) under the origin's domain name — it is
  the SNI it sends and the name it checks the origin's certificate against — and ACM issues no certificate for the
  load balancer's own `*.elb.amazonaws.com` name. An alias record gives `origin.<domain>` the internal load
  balancer's addresses, so the name resolves to the origin wherever it is looked up.

Both are validated by DNS in the same hosted zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stack_config.site import SiteConfig

ORIGIN_LABEL = "origin"


@dataclass(frozen=True)
class SiteDomainArgs:
    config: SiteConfig
    global_provider: aws.Provider
    """us-east-1, for the viewer certificate."""


class SiteDomain(pulumi.ComponentResource):
    domain: str
    origin_name: str
    zone_id: pulumi.Output[str]
    viewer_certificate_arn: pulumi.Output[str]
    origin_certificate_arn: pulumi.Output[str]

    def __init__(self, name: str, args: SiteDomainArgs, opts: pulumi.ResourceOptions | None = None):
        config = args.config
        if not config.domain or not config.hosted_zone:
            raise ValueError("SiteDomain needs webstack:site.domain and webstack:site.hostedZone")
        super().__init__("webstack:domain:SiteDomain", name, None, opts)
        self._name = name
        self.domain = config.domain
        self.origin_name = f"{ORIGIN_LABEL}.{config.domain}"
        invoke = pulumi.InvokeOutputOptions(parent=self)
        if config.hosted_zone_is_id:
            self.zone_id = aws.route53.get_zone_output(zone_id=config.hosted_zone, opts=invoke).zone_id
        else:
            self.zone_id = aws.route53.get_zone_output(name=config.hosted_zone, private_zone=False,
                                                       opts=invoke).zone_id
        self.viewer_certificate_arn = self._validated(
            "viewer", self.domain, pulumi.ResourceOptions(parent=self, provider=args.global_provider))
        self.origin_certificate_arn = self._validated("origin", self.origin_name, pulumi.ResourceOptions(parent=self))
        self.register_outputs({"domain": self.domain, "originName": self.origin_name, "zoneId": self.zone_id,
                               "viewerCertificateArn": self.viewer_certificate_arn,
                               "originCertificateArn": self.origin_certificate_arn})

    def _validated(self, role: str, domain: str, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
        """The ARN of a certificate for `domain`, once ACM has validated it (it resolves only then)."""
        name = self._name
        certificate = aws.acm.Certificate(f"{name}-{role}-cert", domain_name=domain, validation_method="DNS",
                                          tags={"Name": domain}, opts=opts)
        record = certificate.domain_validation_options.apply(lambda options: options[0])
        validation_record = aws.route53.Record(
            f"{name}-{role}-cert-validation", zone_id=self.zone_id, name=record.resource_record_name,
            type=record.resource_record_type, records=[record.resource_record_value], ttl=300,
            allow_overwrite=True, opts=pulumi.ResourceOptions(parent=self))
        validation = aws.acm.CertificateValidation(
            f"{name}-{role}-cert-validated", certificate_arn=certificate.arn,
            validation_record_fqdns=[validation_record.fqdn], opts=opts)
        return validation.certificate_arn
