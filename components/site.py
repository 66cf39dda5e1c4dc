"""StaticSite: one CloudFront distribution in front of the private site bucket and the internal ALB.

Paths and what serves them (first match wins):

    /api/images/*  VPC origin → ALB   cached by the API's own Cache-Control (images change rarely)
    /api/*         VPC origin → ALB   never cached, every viewer header, cookie and query string forwarded
    /* (default)   S3 through OAC     managed CachingOptimized

The internet reaches only CloudFront: the bucket admits this distribution alone (Origin Access Control, policy
pinned to the distribution's ARN) and the ALB sits in private subnets behind a CloudFront VPC origin. Every
response carries one response headers policy (HSTS, nosniff, frame denial, referrer policy, CSP).

The frontend (every file under `frontend_dir`) is uploaded by the program, so `pulumi up` alone yields a working
site; the page calls `/api/...` on its own origin and needs neither an API URL nor CORS.
"""

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.buckets import PrivateBucket
from stack_config.site import SiteConfig

S3_ORIGIN = "site-bucket"
API_ORIGIN = "api-alb"
API_PATH = "/api/*"
IMAGES_PATH = "/api/images/*"

MANAGED_CACHING_OPTIMIZED = "Managed-CachingOptimized"
MANAGED_CACHING_DISABLED = "Managed-CachingDisabled"
# The ALB routes on path only and listens on plain HTTP, so the viewer's Host header is of no use to it. Sending
# the origin's own name (the ALB's DNS name) keeps every origin request addressed to the host the origin is,
# whichever name the viewer used, and stays valid if the listener later moves to HTTPS with a certificate for that
# name. Headers, cookies and query strings are forwarded as AllViewer would.
MANAGED_ALL_VIEWER_EXCEPT_HOST = "Managed-AllViewerExceptHostHeader"

# Read-only everywhere: the site is files and the API answers GET. OPTIONS reaches the API only.
STATIC_METHODS = ["GET", "HEAD"]
API_METHODS = ["GET", "HEAD", "OPTIONS"]
CACHED_METHODS = ["GET", "HEAD"]

# Seconds. Images: the API's Cache-Control decides (it sends max-age=3600); a day when it says nothing; never past
# a year; `no-store` or `max-age=0` from the API is honoured because the minimum is 0.
IMAGE_TTL = {"min_ttl": 0, "default_ttl": 86_400, "max_ttl": 31_536_000}

HSTS_MAX_AGE = 63_072_000  # two years, the preload list's expectation
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
                           "frame-ancestors 'none'; form-action 'self'")
REFERRER_POLICY = "strict-origin-when-cross-origin"

ERROR_PAGE = "error.html"
# CloudFront's error pages apply to every origin, so only S3's answer for a missing object is mapped: without
# s3:ListBucket the bucket says 403 for a key it lacks. The API is read-only and unauthenticated and never answers
# 403, and its 404/400/503 JSON bodies reach the viewer untouched. WAF's rate limit answers 429, not 403; a
# request the managed rule groups block (403) does get the error page, as a 404.
MISSING_OBJECT_STATUS = 403
ERROR_CACHING_SECONDS = 60

# The page and the error page must be revalidated on every load, so a deploy shows at once. Other assets keep
# their names across deploys (no content hash), so a long lifetime would pair a new index.html with a stale
# app.js; five minutes bounds that window in browsers and at the edge without an invalidation.
REVALIDATE = "no-cache"
SHORT_LIVED = "public, max-age=300"
ALWAYS_REVALIDATED = {"index.html", ERROR_PAGE}
# Text types are served with their charset so browsers never guess.
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")

# Served when the frontend brings no error page of its own: no inline script or style, as the CSP demands.
DEFAULT_ERROR_PAGE = """<!doctype html>
<html lang="ja">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>ページが見つかりません</title>
  <link rel="stylesheet" href="/styles.css">
</head>
<body>
  <main>
    <h1>ページが見つかりません</h1>
    <p>お探しのページは存在しないか、移動しました。</p>
    <p><a href="/">トップページへ戻る</a></p>
  </main>
</body>
</html>
"""


@dataclass(frozen=True)
class FrontendFile:
    key: str
    path: Path
    content_type: str
    cache_control: str


def frontend_files(frontend_dir: Path) -> list[FrontendFile]:
    """Every file under `frontend_dir` (dotfiles excluded), keyed by its path relative to it, sorted."""
    if not frontend_dir.is_dir():
        return []
    files = []
    for path in sorted(p for p in frontend_dir.rglob("*") if p.is_file()):
        key = path.relative_to(frontend_dir).as_posix()
        if any(part.startswith(".") for part in key.split("/")):
            continue
        files.append(FrontendFile(key=key, path=path, content_type=content_type_of(key),
                                  cache_control=REVALIDATE if key in ALWAYS_REVALIDATED else SHORT_LIVED))
    return files


def content_type_of(key: str) -> str:
    guessed, _ = mimetypes.guess_type(key, strict=False)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith(TEXT_TYPES) else guessed


@dataclass(frozen=True)
class StaticSiteArgs:
    config: SiteConfig
    alb_arn: pulumi.Input[str]
    alb_dns_name: pulumi.Input[str]
    listener_port: pulumi.Input[int]
    frontend_dir: Path
    global_provider: Optional[aws.Provider] = None
    """An AWS provider for us-east-1, where CloudFront certificates and web ACLs live; needed for `domain` or
    `waf`."""


class StaticSite(pulumi.ComponentResource):
    site_url: pulumi.Output[str]
    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    distribution_domain_name: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    web_acl_arn: Optional[pulumi.Output[str]]

    def __init__(self, name: str, args: StaticSiteArgs, opts: Optional[pulumi.ResourceOptions] = None):
        config = args.config
        if (config.domain or config.waf) and args.global_provider is None:
            raise ValueError("StaticSite needs global_provider (us-east-1) for webstack:site.domain and "
                             "webstack:site.waf: CloudFront takes certificates and web ACLs from us-east-1 only")
        super().__init__("webstack:site:StaticSite", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        self._global = pulumi.ResourceOptions(parent=self, provider=args.global_provider)

        # Every object is rebuilt from the frontend directory, so the bucket may go with its contents.
        site = PrivateBucket.create(f"{name}-site", force_destroy=True, opts=self._child)
        bucket = site.bucket
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac", description="CloudFront signs every request to the site bucket",
            origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4",
            opts=self._child)
        # TLS ends at CloudFront: the hop to the ALB runs inside AWS's network over the VPC origin's PrivateLink
        # connection, and the internal ALB has no certificate for a public name to present.
        vpc_origin = aws.cloudfront.VpcOrigin(f"{name}-api-origin", vpc_origin_endpoint_config={
            "name": f"{name}-alb", "arn": args.alb_arn, "http_port": args.listener_port, "https_port": 443,
            "origin_protocol_policy": "http-only",
            "origin_ssl_protocols": {"items": ["TLSv1.2"], "quantity": 1},
        }, opts=self._child)

        headers_policy = self._response_headers_policy()
        images_policy = aws.cloudfront.CachePolicy(
            f"{name}-images-cache", comment="API images: cached as the API's Cache-Control says; key is the path",
            **IMAGE_TTL, parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "none"},
                "query_strings_config": {"query_string_behavior": "none"},
                "enable_accept_encoding_gzip": True,
                "enable_accept_encoding_brotli": True,
            }, opts=self._child)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        caching_optimized = aws.cloudfront.get_cache_policy_output(name=MANAGED_CACHING_OPTIMIZED, opts=invoke)
        caching_disabled = aws.cloudfront.get_cache_policy_output(name=MANAGED_CACHING_DISABLED, opts=invoke)
        all_viewer = aws.cloudfront.get_origin_request_policy_output(name=MANAGED_ALL_VIEWER_EXCEPT_HOST,
                                                                      opts=invoke)

        def behaviour(origin: str, cache_policy_id: pulumi.Input[str], **extra) -> dict:
            return {"target_origin_id": origin, "viewer_protocol_policy": "redirect-to-https", "compress": True,
                    "allowed_methods": STATIC_METHODS if origin == S3_ORIGIN else API_METHODS,
                    "cached_methods": CACHED_METHODS,
                    "cache_policy_id": cache_policy_id, "response_headers_policy_id": headers_policy.id, **extra}

        certificate = self._certificate(config) if config.domain else None
        web_acl = self._web_acl(config) if config.waf else None
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn", comment=f"{name}: site and API", enabled=True, is_ipv6_enabled=True,
            http_version="http2and3", price_class=config.price_class, default_root_object="index.html",
            aliases=[config.domain] if config.domain else None,
            origins=[
                {"origin_id": S3_ORIGIN, "domain_name": bucket.bucket_regional_domain_name,
                 "origin_access_control_id": oac.id},
                {"origin_id": API_ORIGIN, "domain_name": args.alb_dns_name,
                 "vpc_origin_config": {"vpc_origin_id": vpc_origin.id, "origin_read_timeout": 30,
                                       "origin_keepalive_timeout": 5}},
            ],
            default_cache_behavior=behaviour(S3_ORIGIN, caching_optimized.id),
            ordered_cache_behaviors=[
                behaviour(API_ORIGIN, images_policy.id, path_pattern=IMAGES_PATH),
                behaviour(API_ORIGIN, caching_disabled.id, path_pattern=API_PATH,
                          origin_request_policy_id=all_viewer.id),
            ],
            custom_error_responses=[{"error_code": MISSING_OBJECT_STATUS, "response_code": 404,
                                     "response_page_path": f"/{ERROR_PAGE}",
                                     "error_caching_min_ttl": ERROR_CACHING_SECONDS}],
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=(
                {"acm_certificate_arn": certificate, "ssl_support_method": "sni-only",
                 "minimum_protocol_version": "TLSv1.2_2021"}
                if certificate is not None else {"cloudfront_default_certificate": True}),
            web_acl_id=web_acl.arn if web_acl is not None else None,
            opts=self._child)

        self._bucket_policy(site, distribution)
        self._upload(bucket, args.frontend_dir)
        if config.domain:
            self._alias_records(config, distribution)

        host = config.domain or distribution.domain_name
        self.site_url = pulumi.Output.concat("https://", host)
        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.distribution_domain_name = distribution.domain_name
        self.bucket_name = bucket.bucket
        self.web_acl_arn = web_acl.arn if web_acl is not None else None
        self.register_outputs({
            "siteUrl": self.site_url, "distributionId": self.distribution_id,
            "distributionArn": self.distribution_arn, "distributionDomainName": self.distribution_domain_name,
            "bucketName": self.bucket_name, "webAclArn": self.web_acl_arn,
        })

    def _bucket_policy(self, site: PrivateBucket, distribution: aws.cloudfront.Distribution) -> None:
        site.policy([{"Sid": "ReadByThisDistributionOnly", "Effect": "Allow",
                      "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                      "Resource": pulumi.Output.concat(site.bucket.arn, "/*"),
                      "Condition": {"StringEquals": {"AWS:SourceArn": distribution.arn}}}])

    def _response_headers_policy(self) -> aws.cloudfront.ResponseHeadersPolicy:
        return aws.cloudfront.ResponseHeadersPolicy(
            f"{self._name}-security-headers", comment="Security headers on every response, site and API",
            security_headers_config={
                "strict_transport_security": {"access_control_max_age_sec": HSTS_MAX_AGE,
                                              "include_subdomains": True, "preload": True, "override": True},
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {"referrer_policy": REFERRER_POLICY, "override": True},
                "content_security_policy": {"content_security_policy": CONTENT_SECURITY_POLICY, "override": True},
                # The legacy XSS auditor is off: it opened more holes than it closed; the CSP does the work.
                "xss_protection": {"protection": False, "override": True},
            }, opts=self._child)

    def _certificate(self, config: SiteConfig) -> pulumi.Output[str]:
        """The ARN of a validated us-east-1 certificate for the domain (resolves once validation completes)."""
        name = self._name
        certificate = aws.acm.Certificate(f"{name}-cert", domain_name=config.domain, validation_method="DNS",
                                          tags={"Name": config.domain}, opts=self._global)
        record = certificate.domain_validation_options.apply(lambda options: options[0])
        validation_record = aws.route53.Record(
            f"{name}-cert-validation", zone_id=self._zone_id(config), name=record.resource_record_name,
            type=record.resource_record_type, records=[record.resource_record_value], ttl=300,
            allow_overwrite=True, opts=self._child)
        validation = aws.acm.CertificateValidation(
            f"{name}-cert-validated", certificate_arn=certificate.arn,
            validation_record_fqdns=[validation_record.fqdn], opts=self._global)
        return validation.certificate_arn

    def _zone_id(self, config: SiteConfig) -> pulumi.Output[str]:
        if not hasattr(self, "_zone"):
            invoke = pulumi.InvokeOutputOptions(parent=self)
            if config.hosted_zone_is_id:
                self._zone = aws.route53.get_zone_output(zone_id=config.hosted_zone, opts=invoke).zone_id
            else:
                self._zone = aws.route53.get_zone_output(name=config.hosted_zone, private_zone=False,
                                                         opts=invoke).zone_id
        return self._zone

    def _alias_records(self, config: SiteConfig, distribution: aws.cloudfront.Distribution) -> None:
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{self._name}-alias-{record_type.lower()}", zone_id=self._zone_id(config), name=config.domain,
                type=record_type, aliases=[{"name": distribution.domain_name,
                                            "zone_id": distribution.hosted_zone_id,
                                            "evaluate_target_health": False}],
                opts=self._child)

    def _web_acl(self, config: SiteConfig) -> aws.wafv2.WebAcl:
        name = self._name

        def visibility(metric: str) -> dict:
            return {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True,
                    "metric_name": f"{name}-{metric}"}

        def managed(priority: int, group: str) -> dict:
            return {"name": group, "priority": priority, "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                    "visibility_config": visibility(group)}

        return aws.wafv2.WebAcl(
            f"{name}-waf", scope="CLOUDFRONT", description=f"{name}: edge protection of the site and API",
            default_action={"allow": {}},
            rules=[
                managed(1, "AWSManagedRulesCommonRuleSet"),
                managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
                {"name": "rate-limit-per-ip", "priority": 3,
                 # 429 tells a client to slow down, and keeps the distribution's 403 error page out of it.
                 "action": {"block": {"custom_response": {"response_code": 429}}},
                 "statement": {"rate_based_statement": {"aggregate_key_type": "IP", "limit": config.rate_limit,
                                                        "evaluation_window_sec": 300}},
                 "visibility_config": visibility("rate-limit")},
            ],
            visibility_config=visibility("web-acl"), opts=self._global)

    def _upload(self, bucket: aws.s3.Bucket, frontend_dir: Path) -> None:
        files = frontend_files(frontend_dir)
        if not files:
            pulumi.log.warn(f"no frontend files under {frontend_dir}: the site serves only its error page",
                            resource=self)
        for file in files:
            aws.s3.BucketObjectv2(f"{self._name}-asset-{file.key}", bucket=bucket.id, key=file.key,
                                  source=pulumi.FileAsset(str(file.path)), content_type=file.content_type,
                                  cache_control=file.cache_control, opts=self._child)
        if ERROR_PAGE not in {file.key for file in files}:
            aws.s3.BucketObjectv2(f"{self._name}-asset-{ERROR_PAGE}", bucket=bucket.id, key=ERROR_PAGE,
                                  content=DEFAULT_ERROR_PAGE, content_type=content_type_of(ERROR_PAGE),
                                  cache_control=REVALIDATE, opts=self._child)
