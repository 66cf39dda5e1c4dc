"""StaticSite: one CloudFront distribution in front of the private site bucket and the internal ALB.

Paths and what serves them (first match wins):

    /api/admin/*   VPC origin → ALB   the admin API: never cached, every method, the Authorization header
    /api/images/*  VPC origin → ALB   cached by the API's own Cache-Control (variants for a year, originals an hour)
    /api/*         VPC origin → ALB   never cached, every viewer header, cookie and query string forwarded
    /admin/*       S3 through OAC     the admin screen, with its own CSP (it talks to Cognito)
    /* (default)   S3 through OAC     managed CachingOptimized

The internet reaches only CloudFront: the bucket admits this distribution alone (Origin Access Control, policy
pinned to the distribution's ARN) and the ALB sits in private subnets behind a CloudFront VPC origin, spoken to
over HTTPS when the stack has a domain. Every response carries a response headers policy (HSTS, nosniff, frame
denial, referrer policy, CSP).

The admin paths answer only the admin allow-list: a web ACL rule (`webstack:admin.allowListAt: waf`) or the site's
CloudFront Function (`function`) refuses every other address with 403. The same function serves directory indexes
and answers unknown paths with the error page (components/edge_function.py).

The frontend (every file under `frontend_dir`) is uploaded by the program, with the admin screen's
`admin/config.json` (the Cognito pool it signs in to), so `pulumi up` alone yields a working site; the pages call
`/api/...` on their own origin and need neither an API URL nor CORS.
"""

import ipaddress
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.buckets import PrivateBucket
from components.domain import SiteDomain
from components.edge_function import RUNTIME, function_code
from stack_config.site import SiteConfig

S3_ORIGIN = "site-bucket"
API_ORIGIN = "api-alb"
API_PATH = "/api/*"
IMAGES_PATH = "/api/images/*"
ADMIN_API_PATH = "/api/admin/*"
ADMIN_PATH = "/admin/*"
ADMIN_CONFIG_KEY = "admin/config.json"

MANAGED_CACHING_OPTIMIZED = "Managed-CachingOptimized"
MANAGED_CACHING_DISABLED = "Managed-CachingDisabled"
# The ALB routes on path only and listens on plain HTTP, so the viewer's Host header is of no use to it. Sending
# the origin's own name (the ALB's DNS name) keeps every origin request addressed to the host the origin is,
# whichever name the viewer used, and stays valid if the listener later moves to HTTPS with a certificate for that
# name. Headers, cookies and query strings are forwarded as AllViewer would.
MANAGED_ALL_VIEWER_EXCEPT_HOST = "Managed-AllViewerExceptHostHeader"

# The site is files and the public API answers GET; only the admin API takes writes. OPTIONS reaches APIs only.
STATIC_METHODS = ["GET", "HEAD"]
API_METHODS = ["GET", "HEAD", "OPTIONS"]
ADMIN_API_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
CACHED_METHODS = ["GET", "HEAD"]

# Seconds. Images: the API's Cache-Control decides (it sends max-age=3600); a day when it says nothing; never past
# a year; `no-store` or `max-age=0` from the API is honoured because the minimum is 0.
IMAGE_TTL = {"min_ttl": 0, "default_ttl": 86_400, "max_ttl": 31_536_000}

HSTS_MAX_AGE = 63_072_000  # two years, the preload list's expectation
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
                           "frame-ancestors 'none'; form-action 'self'")


def admin_content_security_policy(region: str) -> str:
    """The admin screen's: the site's, plus Cognito's endpoint to sign in to and blob: previews of uploads."""
    return (f"default-src 'self'; img-src 'self' data: blob:; connect-src 'self' "
            f"https://cognito-idp.{region}.amazonaws.com; object-src 'none'; base-uri 'self'; "
            "frame-ancestors 'none'; form-action 'self'")

REFERRER_POLICY = "strict-origin-when-cross-origin"

ERROR_PAGE = "error.html"
# The admin API's Authorization header must reach the origin, and CloudFront forwards it only from the cache key
# (an origin request policy may not name it). A key needs a non-zero maximum TTL; the admin API answers
# `Cache-Control: no-store`, so nothing is ever kept.
ADMIN_API_TTL = {"min_ttl": 0, "default_ttl": 0, "max_ttl": 1}
ADMIN_FORBIDDEN_BODY = '{"error": {"code": "forbidden", "message": "this address may not use the admin API"}}'

# The page and the error page must be revalidated on every load, so a deploy shows at once. Other assets keep
# their names across deploys (no content hash), so a long lifetime would pair a new index.html with a stale
# app.js; five minutes bounds that window in browsers and at the edge without an invalidation.
REVALIDATE = "no-cache"
SHORT_LIVED = "public, max-age=300"
ALWAYS_REVALIDATED = {"index.html", ERROR_PAGE, "admin/index.html", ADMIN_CONFIG_KEY}
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
class AdminEdge:
    """What the edge knows of the admin screen: who may reach it, where that is enforced, what it signs in to."""

    allowed: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
    enforce_at: str
    """`waf` (a rule of the stack's web ACL) or `function` (the site's CloudFront Function)."""
    region: str
    user_pool_id: pulumi.Input[str]
    client_id: pulumi.Input[str]
    cognito_endpoint: str


@dataclass(frozen=True)
class StaticSiteArgs:
    config: SiteConfig
    alb_arn: pulumi.Input[str]
    alb_dns_name: pulumi.Input[str]
    alb_zone_id: pulumi.Input[str]
    listener_port: int
    frontend_dir: Path
    admin: AdminEdge
    domain: SiteDomain | None = None
    """The stack's own name and certificates: HTTPS to the origin, a custom name for viewers."""
    global_provider: aws.Provider | None = None
    """An AWS provider for us-east-1, where CloudFront's web ACLs live; needed for `waf`."""


class StaticSite(pulumi.ComponentResource):
    site_url: pulumi.Output[str]
    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    distribution_domain_name: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str] | None
    web_acl_metric_name: pulumi.Output[str] | None
    origin_protocol: str

    def __init__(self, name: str, args: StaticSiteArgs, opts: pulumi.ResourceOptions | None = None):
        config = args.config
        if config.waf and args.global_provider is None:
            raise ValueError("StaticSite needs global_provider (us-east-1) for webstack:site.waf: CloudFront takes "
                             "web ACLs from us-east-1 only")
        if args.admin.enforce_at == "waf" and not config.waf:
            raise ValueError("the admin allow-list is to be enforced by the web ACL, but the stack has none "
                             "(webstack:site.waf)")
        super().__init__("webstack:site:StaticSite", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        self._global = pulumi.ResourceOptions(parent=self, provider=args.global_provider)
        domain = args.domain
        https_origin = domain is not None

        # Every object is rebuilt from the frontend directory, so the bucket may go with its contents.
        site = PrivateBucket.create(f"{name}-site", force_destroy=True, opts=self._child)
        bucket = site.bucket
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac", description="CloudFront signs every request to the site bucket",
            origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4",
            opts=self._child)
        # With a domain, CloudFront speaks TLS to the load balancer under origin.<domain> (components/domain.py).
        # Without one the hop stays HTTP: it runs inside AWS's network over the VPC origin's private connection,
        # and the load balancer has no public name to hold a certificate for (README: the documented exception).
        vpc_origin = aws.cloudfront.VpcOrigin(f"{name}-api-origin", vpc_origin_endpoint_config={
            "name": f"{name}-alb", "arn": args.alb_arn, "http_port": 80, "https_port": 443,
            "origin_protocol_policy": "https-only" if https_origin else "http-only",
            "origin_ssl_protocols": {"items": ["TLSv1.2"], "quantity": 1},
        }, opts=self._child)
        self.origin_protocol = "https" if https_origin else "http"

        site_headers = self._response_headers_policy("security-headers", CONTENT_SECURITY_POLICY,
                                                     "Security headers on the catalogue and the APIs")
        admin_headers = self._response_headers_policy("admin-headers",
                                                      admin_content_security_policy(args.admin.region),
                                                      "Security headers on the admin screen")
        images_policy = aws.cloudfront.CachePolicy(
            f"{name}-images-cache", comment="API images: cached as the API Cache-Control says; the key is the path",
            min_ttl=IMAGE_TTL["min_ttl"], default_ttl=IMAGE_TTL["default_ttl"], max_ttl=IMAGE_TTL["max_ttl"],
            parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "none"},
                "query_strings_config": {"query_string_behavior": "none"},
                "enable_accept_encoding_gzip": True,
                "enable_accept_encoding_brotli": True,
            }, opts=self._child)
        admin_api_policy = aws.cloudfront.CachePolicy(
            f"{name}-admin-api-cache", comment="Admin API: forwards the Authorization header, caches nothing",
            min_ttl=ADMIN_API_TTL["min_ttl"], default_ttl=ADMIN_API_TTL["default_ttl"],
            max_ttl=ADMIN_API_TTL["max_ttl"],
            parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "whitelist", "headers": {"items": ["Authorization"]}},
                "query_strings_config": {"query_string_behavior": "all"},
                "enable_accept_encoding_gzip": False,
                "enable_accept_encoding_brotli": False,
            }, opts=self._child)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        caching_optimized = aws.cloudfront.get_cache_policy_output(name=MANAGED_CACHING_OPTIMIZED, opts=invoke)
        caching_disabled = aws.cloudfront.get_cache_policy_output(name=MANAGED_CACHING_DISABLED, opts=invoke)
        all_viewer = aws.cloudfront.get_origin_request_policy_output(name=MANAGED_ALL_VIEWER_EXCEPT_HOST,
                                                                      opts=invoke)

        files = frontend_files(args.frontend_dir)
        keys = {file.key for file in files} | {ERROR_PAGE, ADMIN_CONFIG_KEY}
        error_page = next((file.path.read_text() for file in files if file.key == ERROR_PAGE), DEFAULT_ERROR_PAGE)
        router = aws.cloudfront.Function(
            f"{name}-router", name=f"{name}-router", runtime=RUNTIME, publish=True,
            comment="Admin allow-list, directory indexes and the error page, at the edge",
            code=function_code(guard=args.admin.enforce_at == "function", allowed=args.admin.allowed, keys=keys,
                               not_found_page=error_page), opts=self._child)
        on_request: list[aws.cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgsDict] = [
            {"event_type": "viewer-request", "function_arn": router.arn}]
        guard_api = on_request if args.admin.enforce_at == "function" else []

        web_acl = self._web_acl(config, args.admin) if config.waf else None
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn", comment=f"{name}: site, admin screen and APIs", enabled=True, is_ipv6_enabled=True,
            http_version="http2and3", price_class=config.price_class, default_root_object="index.html",
            aliases=[domain.domain] if domain else None,
            origins=[
                {"origin_id": S3_ORIGIN, "domain_name": bucket.bucket_regional_domain_name,
                 "origin_access_control_id": oac.id},
                {"origin_id": API_ORIGIN, "domain_name": domain.origin_name if domain else args.alb_dns_name,
                 "vpc_origin_config": {"vpc_origin_id": vpc_origin.id, "origin_read_timeout": 30,
                                       "origin_keepalive_timeout": 5}},
            ],
            default_cache_behavior={
                "target_origin_id": S3_ORIGIN, "viewer_protocol_policy": "redirect-to-https", "compress": True,
                "allowed_methods": STATIC_METHODS, "cached_methods": CACHED_METHODS,
                "cache_policy_id": caching_optimized.id, "response_headers_policy_id": site_headers.id,
                "function_associations": on_request},
            ordered_cache_behaviors=[
                {"path_pattern": ADMIN_API_PATH, "target_origin_id": API_ORIGIN,
                 "viewer_protocol_policy": "redirect-to-https", "compress": True,
                 "allowed_methods": ADMIN_API_METHODS, "cached_methods": CACHED_METHODS,
                 "cache_policy_id": admin_api_policy.id, "origin_request_policy_id": all_viewer.id,
                 "response_headers_policy_id": site_headers.id, "function_associations": guard_api},
                {"path_pattern": IMAGES_PATH, "target_origin_id": API_ORIGIN,
                 "viewer_protocol_policy": "redirect-to-https", "compress": True, "allowed_methods": API_METHODS,
                 "cached_methods": CACHED_METHODS, "cache_policy_id": images_policy.id,
                 "response_headers_policy_id": site_headers.id},
                {"path_pattern": API_PATH, "target_origin_id": API_ORIGIN,
                 "viewer_protocol_policy": "redirect-to-https", "compress": True, "allowed_methods": API_METHODS,
                 "cached_methods": CACHED_METHODS, "cache_policy_id": caching_disabled.id,
                 "origin_request_policy_id": all_viewer.id, "response_headers_policy_id": site_headers.id},
                {"path_pattern": ADMIN_PATH, "target_origin_id": S3_ORIGIN,
                 "viewer_protocol_policy": "redirect-to-https", "compress": True,
                 "allowed_methods": STATIC_METHODS, "cached_methods": CACHED_METHODS,
                 "cache_policy_id": caching_optimized.id, "response_headers_policy_id": admin_headers.id,
                 "function_associations": on_request},
            ],
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=(
                {"acm_certificate_arn": domain.viewer_certificate_arn, "ssl_support_method": "sni-only",
                 "minimum_protocol_version": "TLSv1.2_2021"}
                if domain else {"cloudfront_default_certificate": True}),
            web_acl_id=web_acl.arn if web_acl is not None else None,
            opts=self._child)
        if config.additional_metrics:
            # The cache hit ratio and the other per-distribution metrics the dashboard shows.
            aws.cloudfront.MonitoringSubscription(
                f"{name}-metrics", distribution_id=distribution.id,
                monitoring_subscription={"realtime_metrics_subscription_config": {
                    "realtime_metrics_subscription_status": "Enabled"}}, opts=self._child)

        self._bucket_policy(site, distribution)
        self._upload(bucket, files, args.admin)
        if domain:
            self._records(domain, distribution, args)

        host = domain.domain if domain else distribution.domain_name
        self.site_url = pulumi.Output.concat("https://", host)
        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.distribution_domain_name = distribution.domain_name
        self.bucket_name = bucket.bucket
        self.web_acl_arn = web_acl.arn if web_acl is not None else None
        # WAF publishes the web ACL's CloudWatch metrics under its visibility config's metric name (the WebACL
        # dimension), not under the web ACL's own name.
        self.web_acl_metric_name = web_acl.visibility_config.metric_name if web_acl is not None else None
        self.register_outputs({
            "siteUrl": self.site_url, "distributionId": self.distribution_id,
            "distributionArn": self.distribution_arn, "distributionDomainName": self.distribution_domain_name,
            "bucketName": self.bucket_name, "webAclArn": self.web_acl_arn, "originProtocol": self.origin_protocol,
        })

    def _bucket_policy(self, site: PrivateBucket, distribution: aws.cloudfront.Distribution) -> None:
        site.policy([{"Sid": "ReadByThisDistributionOnly", "Effect": "Allow",
                      "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                      "Resource": pulumi.Output.concat(site.bucket.arn, "/*"),
                      "Condition": {"StringEquals": {"AWS:SourceArn": distribution.arn}}}])

    def _response_headers_policy(self, short: str, content_security_policy: str,
                                 comment: str) -> aws.cloudfront.ResponseHeadersPolicy:
        return aws.cloudfront.ResponseHeadersPolicy(
            f"{self._name}-{short}", comment=comment,
            security_headers_config={
                "strict_transport_security": {"access_control_max_age_sec": HSTS_MAX_AGE,
                                              "include_subdomains": True, "preload": True, "override": True},
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {"referrer_policy": REFERRER_POLICY, "override": True},
                "content_security_policy": {"content_security_policy": content_security_policy, "override": True},
                # The legacy XSS auditor is off: it opened more holes than it closed; the CSP does the work.
                "xss_protection": {"protection": False, "override": True},
            }, opts=self._child)

    def _records(self, domain: SiteDomain, distribution: aws.cloudfront.Distribution, args: StaticSiteArgs) -> None:
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{self._name}-alias-{record_type.lower()}", zone_id=domain.zone_id, name=domain.domain,
                type=record_type, aliases=[{"name": distribution.domain_name,
                                            "zone_id": distribution.hosted_zone_id,
                                            "evaluate_target_health": False}],
                opts=self._child)
        aws.route53.Record(
            f"{self._name}-origin", zone_id=domain.zone_id, name=domain.origin_name, type="A",
            aliases=[{"name": args.alb_dns_name, "zone_id": args.alb_zone_id, "evaluate_target_health": False}],
            opts=self._child)

    def _web_acl(self, config: SiteConfig, admin: AdminEdge) -> aws.wafv2.WebAcl:
        name = self._name
        rules: list[aws.wafv2.WebAclRuleArgsDict] = []
        forbidden_key = "admin-forbidden"
        if admin.enforce_at == "waf":
            rules.append(self._admin_allow_list_rule(admin, forbidden_key))
        for priority, group in ((1, "AWSManagedRulesCommonRuleSet"), (2, "AWSManagedRulesKnownBadInputsRuleSet")):
            rules.append({"name": group, "priority": priority, "override_action": {"none": {}},
                          "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                          "visibility_config": {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True,
                                                "metric_name": f"{name}-{group}"}})
        rules.append({
            "name": "rate-limit-per-ip", "priority": 3,
            # 429 tells a client to slow down, where a 403 would read as a refusal.
            "action": {"block": {"custom_response": {"response_code": 429}}},
            "statement": {"rate_based_statement": {"aggregate_key_type": "IP", "limit": config.rate_limit,
                                                   "evaluation_window_sec": 300}},
            "visibility_config": {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True,
                                  "metric_name": f"{name}-rate-limit"}})
        return aws.wafv2.WebAcl(
            f"{name}-waf", scope="CLOUDFRONT", description=f"{name}: edge protection of the site and APIs",
            default_action={"allow": {}}, rules=rules,
            custom_response_bodies=[{"key": forbidden_key, "content_type": "APPLICATION_JSON",
                                     "content": ADMIN_FORBIDDEN_BODY}] if admin.enforce_at == "waf" else None,
            visibility_config={"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True,
                               "metric_name": f"{name}-web-acl"},
            opts=self._global)

    def _admin_allow_list_rule(self, admin: AdminEdge, body_key: str) -> aws.wafv2.WebAclRuleArgsDict:
        """Block the admin paths for every address outside the allow-list: one IP set per address family."""
        name = self._name
        references: list[aws.wafv2.WebAclRuleStatementArgsDict] = []
        for family, version in (("IPV4", 4), ("IPV6", 6)):
            addresses = [str(n) for n in admin.allowed if n.version == version]
            if not addresses:
                continue
            ip_set = aws.wafv2.IpSet(
                f"{name}-admins-{family.lower()}", scope="CLOUDFRONT", ip_address_version=family,
                addresses=addresses, description="Address ranges the admin screen and API answer",
                opts=self._global)
            references.append({"ip_set_reference_statement": {"arn": ip_set.arn}})
        allowed_source: aws.wafv2.WebAclRuleStatementArgsDict = (
            references[0] if len(references) == 1 else {"or_statement": {"statements": references}})

        def starts_with(path: str) -> aws.wafv2.WebAclRuleStatementArgsDict:
            return {"byte_match_statement": {
                "search_string": path, "positional_constraint": "STARTS_WITH", "field_to_match": {"uri_path": {}},
                "text_transformations": [{"priority": 0, "type": "NONE"}]}}

        return {
            "name": "admin-allow-list", "priority": 0,
            "action": {"block": {"custom_response": {"response_code": 403, "custom_response_body_key": body_key}}},
            "statement": {"and_statement": {"statements": [
                {"or_statement": {"statements": [starts_with("/admin"), starts_with("/api/admin/")]}},
                {"not_statement": {"statement": allowed_source}},
            ]}},
            "visibility_config": {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True,
                                  "metric_name": f"{name}-admin-allow-list"},
        }

    def _upload(self, bucket: aws.s3.Bucket, files: list[FrontendFile], admin: AdminEdge) -> None:
        if not files:
            pulumi.log.warn("no frontend files: the site serves only its error page", resource=self)
        for file in files:
            aws.s3.BucketObjectv2(f"{self._name}-asset-{file.key}", bucket=bucket.id, key=file.key,
                                  source=pulumi.FileAsset(str(file.path)), content_type=file.content_type,
                                  cache_control=file.cache_control, opts=self._child)
        if ERROR_PAGE not in {file.key for file in files}:
            aws.s3.BucketObjectv2(f"{self._name}-asset-{ERROR_PAGE}", bucket=bucket.id, key=ERROR_PAGE,
                                  content=DEFAULT_ERROR_PAGE, content_type=content_type_of(ERROR_PAGE),
                                  cache_control=REVALIDATE, opts=self._child)
        # What the admin screen signs in to; the page reads it at start.
        aws.s3.BucketObjectv2(
            f"{self._name}-asset-{ADMIN_CONFIG_KEY}", bucket=bucket.id, key=ADMIN_CONFIG_KEY,
            content=pulumi.Output.json_dumps({"region": admin.region, "userPoolId": admin.user_pool_id,
                                              "clientId": admin.client_id,
                                              "cognitoEndpoint": admin.cognito_endpoint}),
            content_type=content_type_of(ADMIN_CONFIG_KEY), cache_control=REVALIDATE, opts=self._child)
