"""The edge: every CloudFront behaviour speaks HTTPS to viewers and adds security headers; S3 origins are reached
only through Origin Access Control."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from .core import MANDATORY, as_list, describe, get, resource_policy

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
HTTPS_VIEWER_POLICIES = ("redirect-to-https", "https-only")


def behaviours(props: Any) -> Iterator[tuple[str, Any]]:
    """(label, behaviour) for the default behaviour and every ordered one."""
    if get(props, "defaultCacheBehavior") is not None:
        yield "default behaviour", get(props, "defaultCacheBehavior")
    for behaviour in as_list(get(props, "orderedCacheBehaviors")):
        yield f"behaviour {get(behaviour, 'pathPattern')!r}", behaviour


def _is_s3_origin(origin: Any) -> bool:
    domain = str(get(origin, "domainName") or "")
    return get(origin, "s3OriginConfig") is not None or (".s3." in domain and domain.endswith(".amazonaws.com")) \
        or domain.endswith(".s3.amazonaws.com")


def https_only_behaviours(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for label, behaviour in behaviours(args.props):
        policy = get(behaviour, "viewerProtocolPolicy")
        if policy not in HTTPS_VIEWER_POLICIES:
            report_violation(f"{describe(args)}: {label} serves viewers over HTTP (viewerProtocolPolicy = "
                             f"{policy!r}).", None)
    certificate = get(args.props, "viewerCertificate") or {}
    if not get(certificate, "cloudfrontDefaultCertificate"):
        version = str(get(certificate, "minimumProtocolVersion") or "")
        if not version.startswith(("TLSv1.2", "TLSv1.3")):
            report_violation(f"{describe(args)} accepts viewer TLS older than 1.2 (minimumProtocolVersion = "
                             f"{version or 'unset'}).", None)


def security_headers_on_every_behaviour(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for label, behaviour in behaviours(args.props):
        if not get(behaviour, "responseHeadersPolicyId"):
            report_violation(f"{describe(args)}: {label} has no response headers policy.", None)


def s3_origins_use_origin_access_control(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for origin in as_list(get(args.props, "origins")):
        if not _is_s3_origin(origin):
            continue
        name = get(origin, "originId")
        if "s3-website" in str(get(origin, "domainName")):
            report_violation(f"{describe(args)}: origin {name!r} is an S3 website endpoint, which only serves a "
                             "public bucket.", None)
        elif not get(origin, "originAccessControlId"):
            report_violation(f"{describe(args)}: S3 origin {name!r} has no Origin Access Control.", None)
        if get(origin, "s3OriginConfig.originAccessIdentity"):
            report_violation(f"{describe(args)}: S3 origin {name!r} still uses a legacy Origin Access Identity.",
                             None)


POLICIES = [
    resource_policy(
        "cloudfront-https-only", https_only_behaviours, types=(DISTRIBUTION,), level=MANDATORY,
        description="Every CloudFront behaviour redirects or restricts viewers to HTTPS, with TLS 1.2 or newer on "
                    "a custom certificate (checkov CKV_AWS_34, CKV_AWS_174).",
        fix="Set viewer_protocol_policy=\"redirect-to-https\" on every behaviour and "
            "minimum_protocol_version=\"TLSv1.2_2021\" with a custom certificate."),
    resource_policy(
        "cloudfront-security-headers", security_headers_on_every_behaviour, types=(DISTRIBUTION,),
        level=MANDATORY,
        description="Every CloudFront behaviour attaches a response headers policy (HSTS, nosniff, frame options, "
                    "referrer policy, CSP) (checkov CKV2_AWS_32).",
        fix="Set response_headers_policy_id on the default and every ordered behaviour."),
    resource_policy(
        "cloudfront-s3-origins-use-oac", s3_origins_use_origin_access_control, types=(DISTRIBUTION,),
        level=MANDATORY,
        description="CloudFront reaches S3 origins through Origin Access Control, not a public bucket or a legacy "
                    "OAI (Security Hub CloudFront.13).",
        fix="Create aws.cloudfront.OriginAccessControl(origin_access_control_origin_type=\"s3\", "
            "signing_behavior=\"always\", signing_protocol=\"sigv4\") and set origin_access_control_id on the "
            "origin; grant cloudfront.amazonaws.com in the bucket policy with an AWS:SourceArn condition."),
]
