"""StaticSite: CloudFront in front of the private site bucket and the internal ALB, as the stacks declare it —
the public catalogue and API, the admin screen and API behind their allow-list, TLS to the origin with a domain."""

import ipaddress
import json
import mimetypes
from pathlib import Path

import pytest

from components.site import (
    ADMIN_API_PATH,
    ADMIN_CONFIG_KEY,
    ADMIN_PATH,
    API_PATH,
    CONTENT_SECURITY_POLICY,
    DEFAULT_ERROR_PAGE,
    ERROR_PAGE,
    IMAGES_PATH,
    AdminEdge,
    StaticSite,
    StaticSiteArgs,
    admin_content_security_policy,
    frontend_files,
)
from mock_engine import Capture, Resource, StackRunFailed, run_stack, statements
from stack_config.site import SiteConfig

BUCKET = "aws:s3/bucket:Bucket"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
CERTIFICATE = "aws:acm/certificate:Certificate"
CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
FUNCTION = "aws:cloudfront/function:Function"
IP_SET = "aws:wafv2/ipSet:IpSet"
MONITORING = "aws:cloudfront/monitoringSubscription:MonitoringSubscription"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"

FRONTEND_DIR = Path(__file__).resolve().parent.parent / "app" / "frontend"
DOMAIN = "shop.example.com"
ORIGIN_NAME = f"origin.{DOMAIN}"
WITH_DOMAIN = {"webstack:site": {"domain": DOMAIN, "hostedZone": "example.com"}}
MOCKED_ZONE_ID = "Z0123456789ABCDEFGHIJ"
OFFICE = {"webstack:admin": {"allowedCidrs": ["198.51.100.0/24", "2001:db8:1234::/48"]}}


@pytest.fixture(scope="module", params=["dev", "prd"])
def with_domain(request) -> Capture:
    """Each stack with a domain, through config overrides: HTTPS all the way to the load balancer."""
    return run_stack(request.param, WITH_DOMAIN)


def site(capture: Capture) -> Resource:
    return capture.one("webstack:site:StaticSite")


def site_bucket(capture: Capture) -> Resource:
    return capture.one(BUCKET, where=lambda r: r.parent == site(capture).urn)


def distribution(capture: Capture) -> Resource:
    return capture.one(DISTRIBUTION)


def behaviours(capture: Capture) -> dict[str, dict]:
    """Every cache behaviour by path pattern; the default one as "default"."""
    dist = distribution(capture)
    ordered = {b["pathPattern"]: b for b in dist.get("orderedCacheBehaviors", [])}
    return {"default": dist.get("defaultCacheBehavior"), **ordered}


def origin(capture: Capture, origin_id: str) -> dict:
    [found] = [o for o in distribution(capture).get("origins") if o["originId"] == origin_id]
    return found


def of_bucket(capture: Capture, type_: str) -> Resource:
    return capture.one(type_, where=lambda r: r.get("bucket") == site_bucket(capture).id)


def provider_named(capture: Capture, name: str) -> Resource:
    return capture.one("pulumi:providers:aws", where=lambda r: r.name == name)


def provided_by(resource: Resource, provider: Resource) -> bool:
    # A provider reference is "<provider urn>::<provider id>".
    return resource.provider == f"{provider.urn}::{provider.id}"


# --- the site bucket -----------------------------------------------------------------------------------------

def test_site_bucket_blocks_every_kind_of_public_access(stack: Capture):
    block = of_bucket(stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.get(setting) is True, setting


def test_site_bucket_is_encrypted_at_rest(stack: Capture):
    encryption = of_bucket(stack, "aws:s3/bucketServerSideEncryptionConfiguration:"
                                  "BucketServerSideEncryptionConfiguration")
    assert encryption.get("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm") in ("AES256", "aws:kms")


def test_site_bucket_disables_acls(stack: Capture):
    ownership = of_bucket(stack, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.get("rule.objectOwnership") == "BucketOwnerEnforced"


def test_site_bucket_is_readable_only_by_this_distribution(stack: Capture):
    bucket, dist = site_bucket(stack), distribution(stack)
    policy = of_bucket(stack, "aws:s3/bucketPolicy:BucketPolicy")
    allows = [s for s in statements(policy.get("policy")) if s["Effect"] == "Allow"]
    assert allows == [{
        "Sid": "ReadByThisDistributionOnly", "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
        "Resource": f"{bucket.state['arn']}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": dist.state["arn"]}},
    }]


def test_site_bucket_refuses_plain_http(stack: Capture):
    policy = of_bucket(stack, "aws:s3/bucketPolicy:BucketPolicy")
    bucket_arn = site_bucket(stack).state["arn"]
    denials = [s for s in statements(policy.get("policy"))
               if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(denials) == 1
    assert denials[0]["Principal"] == "*" and denials[0]["Action"] == "s3:*"
    assert set(denials[0]["Resource"]) == {bucket_arn, f"{bucket_arn}/*"}


def test_site_bucket_policy_is_applied_after_the_public_access_block(stack: Capture):
    # S3 aborts a policy write that races a change of the public access block (OperationAborted).
    policy = of_bucket(stack, "aws:s3/bucketPolicy:BucketPolicy")
    block = of_bucket(stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert block.urn in policy.dependencies


# --- origins -------------------------------------------------------------------------------------------------

def test_bucket_origin_is_signed_by_origin_access_control(stack: Capture):
    s3 = origin(stack, "site-bucket")
    assert s3["domainName"] == site_bucket(stack).state["bucketRegionalDomainName"]
    oac = stack.by_id(s3["originAccessControlId"])
    assert oac is not None and oac.type == OAC
    assert (oac.get("originAccessControlOriginType"), oac.get("signingProtocol"), oac.get("signingBehavior")) == \
        ("s3", "sigv4", "always")
    assert "s3OriginConfig" not in s3, "an origin access identity would bypass OAC"


def vpc_origin_endpoint(capture: Capture) -> dict:
    vpc_origin = capture.by_id(origin(capture, "api-alb")["vpcOriginConfig"]["vpcOriginId"])
    assert vpc_origin is not None and vpc_origin.type == VPC_ORIGIN
    return vpc_origin.get("vpcOriginEndpointConfig")


def test_api_origin_is_a_vpc_origin_for_the_internal_alb(stack: Capture):
    alb = stack.one(LOAD_BALANCER)
    api = origin(stack, "api-alb")
    assert "customOriginConfig" not in api, "a custom origin would need a public ALB"
    assert vpc_origin_endpoint(stack)["arn"] == alb.state["arn"]
    assert alb.get("internal") is True


def test_without_a_domain_the_origin_is_spoken_to_in_http_inside_the_vpc(stack: Capture):
    # The documented exception (README): no public name for the load balancer to hold a certificate for.
    alb, listener = stack.one(LOAD_BALANCER), stack.one(LISTENER)
    assert origin(stack, "api-alb")["domainName"] == alb.state["dnsName"]
    endpoint = vpc_origin_endpoint(stack)
    assert endpoint["originProtocolPolicy"] == "http-only"
    assert (listener.get("protocol"), listener.get("port"), endpoint["httpPort"]) == ("HTTP", 80, 80)
    assert site(stack).state.get("originProtocol", "http") == "http"


def test_with_a_domain_cloudfront_speaks_https_only_to_the_origin_under_its_own_name(with_domain: Capture):
    endpoint = vpc_origin_endpoint(with_domain)
    assert endpoint["originProtocolPolicy"] == "https-only" and endpoint["httpsPort"] == 443
    assert endpoint["originSslProtocols"] == {"items": ["TLSv1.2"], "quantity": 1}
    # CloudFront checks the origin's certificate against the origin's domain name, which is therefore ours.
    assert origin(with_domain, "api-alb")["domainName"] == ORIGIN_NAME


def test_with_a_domain_the_only_listener_is_https_with_a_regional_certificate_for_the_origin_name(
        with_domain: Capture):
    [listener] = with_domain.of_type(LISTENER)
    assert (listener.get("protocol"), listener.get("port")) == ("HTTPS", 443)
    assert listener.get("sslPolicy") == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    certificate = with_domain.one(CERTIFICATE, where=lambda c: c.get("domainName") == ORIGIN_NAME)
    validation = with_domain.one(CERTIFICATE_VALIDATION, where=lambda v: v.get("certificateArn") ==
                                 certificate.state["arn"])
    assert listener.get("certificateArn") == validation.state.get("certificateArn", certificate.state["arn"])
    assert provided_by(certificate, provider_named(with_domain, f"webstack-{with_domain.stack}-aws"))


def test_with_a_domain_the_origin_name_resolves_to_the_internal_load_balancer(with_domain: Capture):
    alb = with_domain.one(LOAD_BALANCER)
    record = with_domain.one(RECORD, where=lambda r: r.get("name") == ORIGIN_NAME)
    assert record.get("type") == "A" and record.get("zoneId") == MOCKED_ZONE_ID
    assert record.get("aliases") == [{"name": alb.state["dnsName"], "zoneId": alb.state["zoneId"],
                                      "evaluateTargetHealth": False}]


# --- behaviours ----------------------------------------------------------------------------------------------

def test_static_files_come_from_the_bucket_with_caching_optimized(stack: Capture):
    default = behaviours(stack)["default"]
    assert default["targetOriginId"] == "site-bucket"
    assert default["cachePolicyId"] == "cache-policy-Managed-CachingOptimized"
    assert set(default["allowedMethods"]) == {"GET", "HEAD"}


def test_api_goes_to_the_vpc_origin_uncached_with_the_viewer_request(stack: Capture):
    api = behaviours(stack)[API_PATH]
    assert api["targetOriginId"] == "api-alb"
    assert api["cachePolicyId"] == "cache-policy-Managed-CachingDisabled"
    assert api["originRequestPolicyId"] == "origin-request-policy-Managed-AllViewerExceptHostHeader"


def test_the_public_api_is_read_only_at_the_edge(stack: Capture):
    for path in (API_PATH, IMAGES_PATH):
        assert set(behaviours(stack)[path]["allowedMethods"]) == {"GET", "HEAD", "OPTIONS"}, path


def test_the_admin_api_takes_every_method_uncached_with_the_authorization_header(stack: Capture):
    admin = behaviours(stack)[ADMIN_API_PATH]
    assert admin["targetOriginId"] == "api-alb"
    assert set(admin["allowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    policy = stack.by_id(admin["cachePolicyId"])
    assert policy is not None and policy.type == CACHE_POLICY
    # Forwarded only through the cache key; with no TTL to keep anything (the API answers no-store).
    assert (policy.get("minTtl"), policy.get("defaultTtl"), policy.get("maxTtl")) == (0, 0, 1)
    headers = policy.get("parametersInCacheKeyAndForwardedToOrigin")["headersConfig"]
    assert headers == {"headerBehavior": "whitelist", "headers": {"items": ["Authorization"]}}
    assert admin["originRequestPolicyId"] == "origin-request-policy-Managed-AllViewerExceptHostHeader"


def test_admin_paths_are_matched_before_the_public_ones(stack: Capture):
    paths = [b["pathPattern"] for b in distribution(stack).get("orderedCacheBehaviors")]
    assert paths.index(ADMIN_API_PATH) < paths.index(API_PATH)
    assert behaviours(stack)[ADMIN_PATH]["targetOriginId"] == "site-bucket"


def test_images_are_cached_as_the_api_says(stack: Capture):
    images = behaviours(stack)[IMAGES_PATH]
    assert images["targetOriginId"] == "api-alb"
    policy = stack.by_id(images["cachePolicyId"])
    assert policy is not None and policy.type == CACHE_POLICY
    assert (policy.get("minTtl"), policy.get("defaultTtl"), policy.get("maxTtl")) == (0, 86_400, 31_536_000)
    key = policy.get("parametersInCacheKeyAndForwardedToOrigin")
    assert key["cookiesConfig"]["cookieBehavior"] == "none"
    assert key["headersConfig"]["headerBehavior"] == "none"
    assert key["queryStringsConfig"]["queryStringBehavior"] == "none"
    assert key["enableAcceptEncodingGzip"] is True and key["enableAcceptEncodingBrotli"] is True


def test_images_behaviour_is_matched_before_the_uncached_api(stack: Capture):
    paths = [b["pathPattern"] for b in distribution(stack).get("orderedCacheBehaviors")]
    assert paths.index(IMAGES_PATH) < paths.index(API_PATH)


def test_every_behaviour_redirects_http_to_https_and_compresses(stack: Capture):
    for path, behaviour in behaviours(stack).items():
        assert behaviour["viewerProtocolPolicy"] == "redirect-to-https", path
        assert behaviour["compress"] is True, path


def headers_policy(capture: Capture, short: str) -> Resource:
    return capture.named(f"webstack-{capture.stack}-{short}")


def test_every_behaviour_carries_a_security_headers_policy_the_admin_screen_its_own(stack: Capture):
    site_policy, admin_policy = headers_policy(stack, "security-headers"), headers_policy(stack, "admin-headers")
    for path, behaviour in behaviours(stack).items():
        expected = admin_policy if path == ADMIN_PATH else site_policy
        assert behaviour.get("responseHeadersPolicyId") == expected.id, path


def test_the_admin_screen_may_talk_to_cognito_and_show_local_previews_and_nothing_else(stack: Capture):
    csp = headers_policy(stack, "admin-headers").get("securityHeadersConfig")["contentSecurityPolicy"]
    assert csp["contentSecurityPolicy"] == admin_content_security_policy(stack.config["aws:region"])
    directives = dict(d.strip().split(" ", 1) for d in csp["contentSecurityPolicy"].split(";"))
    assert directives["connect-src"] == f"'self' https://cognito-idp.{stack.config['aws:region']}.amazonaws.com"
    assert directives["img-src"] == "'self' data: blob:" and directives["default-src"] == "'self'"
    assert "unsafe" not in csp["contentSecurityPolicy"]


def test_security_headers(stack: Capture):
    headers = headers_policy(stack, "security-headers").get("securityHeadersConfig")
    assert headers["strictTransportSecurity"] == {"accessControlMaxAgeSec": 63_072_000, "includeSubdomains": True,
                                                  "preload": True, "override": True}
    assert headers["contentTypeOptions"] == {"override": True}
    assert headers["frameOptions"] == {"frameOption": "DENY", "override": True}
    assert headers["referrerPolicy"]["referrerPolicy"] in ("strict-origin-when-cross-origin", "no-referrer")
    csp = headers["contentSecurityPolicy"]
    assert csp["override"] is True
    assert csp["contentSecurityPolicy"] == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in csp["contentSecurityPolicy"].split(";"))
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp["contentSecurityPolicy"]


# --- the distribution ----------------------------------------------------------------------------------------

def test_distribution_speaks_http2_and_http3_over_ipv4_and_ipv6(stack: Capture):
    dist = distribution(stack)
    assert dist.get("httpVersion") == "http2and3"
    assert dist.get("isIpv6Enabled") is True
    assert dist.get("defaultRootObject") == "index.html"


def test_the_distribution_maps_no_error_page_so_the_apis_json_errors_reach_the_viewer(stack: Capture):
    # Custom error responses apply to every origin: they would turn the admin API's 401/403/404 JSON into HTML.
    assert not distribution(stack).get("customErrorResponses")


def router(capture: Capture) -> Resource:
    return capture.one(FUNCTION)


def test_the_router_function_answers_unknown_paths_with_the_error_page(stack: Capture):
    function = router(stack)
    assert function.get("runtime") == "cloudfront-js-2.0" and function.get("publish") is True
    code = function.get("code")
    config = json.loads(code.split("var CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert set(config["keys"]) == set(uploaded(stack))
    page = stack.one(OBJECT, where=lambda o: o.get("key") == ERROR_PAGE)
    assert config["notFound"] == (page.get("content") or Path(page.get("source").path).read_text())


def test_the_router_runs_on_every_s3_behaviour(stack: Capture):
    function = router(stack)
    for path in ("default", ADMIN_PATH):
        assert behaviours(stack)[path]["functionAssociations"] == [
            {"eventType": "viewer-request", "functionArn": function.state["arn"]}], path


def function_config(capture: Capture) -> dict:
    return json.loads(router(capture).get("code").split("var CONFIG = ", 1)[1].split(";\n", 1)[0])


def test_dev_is_served_from_edges_in_japan(dev: Capture):
    assert distribution(dev).get("priceClass") in ("PriceClass_200", "PriceClass_All")


def test_prd_is_served_from_every_edge(prd: Capture):
    assert distribution(prd).get("priceClass") == "PriceClass_All"


def test_price_class_follows_the_stack_config():
    assert distribution(run_stack("dev", {"webstack:site": {"priceClass": "PriceClass_100"}})).get(
        "priceClass") == "PriceClass_100"


def test_outputs_name_the_site(stack: Capture):
    dist = distribution(stack)
    assert stack.outputs["siteUrl"] == f"https://{dist.state['domainName']}"
    assert stack.outputs["distributionId"] == dist.id
    assert stack.outputs["siteBucketName"] == site_bucket(stack).state["bucket"]


# --- certificate and names -----------------------------------------------------------------------------------

def test_without_a_domain_the_default_certificate_serves(stack: Capture):
    dist = distribution(stack)
    assert dist.get("viewerCertificate") == {"cloudfrontDefaultCertificate": True}
    assert not dist.get("aliases")
    assert stack.of_type(CERTIFICATE) == [] and stack.of_type(RECORD) == []


def viewer_certificate(capture: Capture) -> Resource:
    return capture.one(CERTIFICATE, where=lambda c: c.get("domainName") == DOMAIN)


def test_domain_certificate_is_issued_in_us_east_1(with_domain: Capture):
    global_provider = provider_named(with_domain, f"webstack-{with_domain.stack}-aws-global")
    assert global_provider.get("region") == "us-east-1"
    certificate = viewer_certificate(with_domain)
    assert certificate.get("validationMethod") == "DNS"
    assert provided_by(certificate, global_provider)
    assert certificate.state["arn"].startswith("arn:aws:acm:us-east-1:")


@pytest.mark.parametrize("name", [DOMAIN, ORIGIN_NAME])
def test_each_certificate_is_validated_in_the_hosted_zone(with_domain: Capture, name: str):
    certificate = with_domain.one(CERTIFICATE, where=lambda c: c.get("domainName") == name)
    [option] = certificate.state["domainValidationOptions"]
    record = with_domain.one(RECORD, where=lambda r: r.get("name") == option["resourceRecordName"])
    assert record.get("zoneId") == MOCKED_ZONE_ID and record.get("type") == option["resourceRecordType"]
    assert record.get("records") == [option["resourceRecordValue"]]
    validation = with_domain.one(CERTIFICATE_VALIDATION, where=lambda v: v.get("certificateArn") ==
                                 certificate.state["arn"])
    assert validation.get("validationRecordFqdns") == [record.state.get("fqdn", record.get("fqdn"))]
    assert validation.provider == certificate.provider


def test_domain_is_served_with_tls_1_2_or_later(with_domain: Capture):
    dist = distribution(with_domain)
    assert dist.get("aliases") == [DOMAIN]
    assert dist.get("viewerCertificate") == {
        "acmCertificateArn": viewer_certificate(with_domain).state["arn"], "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021"}


def test_domain_resolves_to_the_distribution_over_ipv4_and_ipv6(with_domain: Capture):
    dist = distribution(with_domain)
    aliases = {r.get("type"): r for r in with_domain.of_type(RECORD)
               if r.get("aliases") and r.get("name") == DOMAIN}
    assert set(aliases) == {"A", "AAAA"}
    for record in aliases.values():
        assert record.get("name") == DOMAIN and record.get("zoneId") == MOCKED_ZONE_ID
        assert record.get("aliases") == [{"name": dist.state["domainName"], "zoneId": dist.state["hostedZoneId"],
                                          "evaluateTargetHealth": False}]
    assert with_domain.outputs["siteUrl"] == f"https://{DOMAIN}"


def test_hosted_zone_may_be_given_by_id():
    capture = run_stack("dev", {"webstack:site": {"domain": DOMAIN, "hostedZone": MOCKED_ZONE_ID}})
    assert {r.get("zoneId") for r in capture.of_type(RECORD)} == {MOCKED_ZONE_ID}


# --- WAF -----------------------------------------------------------------------------------------------------

def test_dev_has_no_web_acl(dev: Capture):
    assert dev.of_type(WEB_ACL) == [] and not distribution(dev).get("webAclId")


def test_prd_distribution_is_guarded_by_a_cloudfront_web_acl(prd: Capture):
    acl = prd.one(WEB_ACL)
    assert acl.get("scope") == "CLOUDFRONT"
    assert provided_by(acl, provider_named(prd, "webstack-prd-aws-global"))
    assert distribution(prd).get("webAclId") == acl.state["arn"]


def test_web_acl_runs_the_managed_rule_groups_and_a_rate_limit(prd: Capture):
    rules = prd.one(WEB_ACL).get("rules")
    groups = {r["statement"]["managedRuleGroupStatement"]["name"] for r in rules
              if "managedRuleGroupStatement" in r["statement"]}
    assert rules[0]["name"] == "admin-allow-list"
    assert groups == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    [rate] = [r for r in rules if "rateBasedStatement" in r["statement"]]
    assert rate["statement"]["rateBasedStatement"]["limit"] == prd.config["webstack:site"]["rateLimit"]
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert "block" in rate["action"]
    assert len({r["priority"] for r in rules}) == len(rules)


def test_web_acl_reports_metrics_and_samples(prd: Capture):
    acl = prd.one(WEB_ACL)
    for visibility in [acl.get("visibilityConfig"), *(r["visibilityConfig"] for r in acl.get("rules"))]:
        assert visibility["cloudwatchMetricsEnabled"] is True and visibility["sampledRequestsEnabled"] is True


def test_web_acl_rate_limit_follows_the_stack_config():
    capture = run_stack("prd", {"webstack:site": {"rateLimit": 300}})
    [rate] = [r for r in capture.one(WEB_ACL).get("rules") if "rateBasedStatement" in r["statement"]]
    assert rate["statement"]["rateBasedStatement"]["limit"] == 300


def test_web_acl_can_be_asked_for_in_dev():
    capture = run_stack("dev", {"webstack:site": {"waf": True}})
    assert distribution(capture).get("webAclId") == capture.one(WEB_ACL).state["arn"]


# --- the admin allow-list ------------------------------------------------------------------------------------

def test_prd_enforces_the_admin_allow_list_in_its_web_acl_before_any_other_rule(prd: Capture):
    rules = sorted(prd.one(WEB_ACL).get("rules"), key=lambda r: r["priority"])
    rule = rules[0]
    assert rule["name"] == "admin-allow-list"
    assert rule["action"] == {"block": {"customResponse": {"responseCode": 403,
                                                           "customResponseBodyKey": "admin-forbidden"}}}
    paths, outside = rule["statement"]["andStatement"]["statements"]
    assert [s["byteMatchStatement"]["searchString"] for s in paths["orStatement"]["statements"]] == \
        ["/admin", "/api/admin/"]
    assert all(s["byteMatchStatement"]["positionalConstraint"] == "STARTS_WITH" for s in
               paths["orStatement"]["statements"])
    [ip_set] = prd.of_type(IP_SET)
    assert outside == {"notStatement": {"statement": {"ipSetReferenceStatement": {"arn": ip_set.state["arn"]}}}}
    assert ip_set.get("addresses") == prd.config["webstack:admin"]["allowedCidrs"]
    assert (ip_set.get("scope"), ip_set.get("ipAddressVersion")) == ("CLOUDFRONT", "IPV4")
    [body] = prd.one(WEB_ACL).get("customResponseBodies")
    assert json.loads(body["content"])["error"]["code"] == "forbidden" and body["contentType"] == "APPLICATION_JSON"


def test_an_ipv6_range_gets_an_ip_set_of_its_own_in_the_web_acl():
    capture = run_stack("prd", OFFICE)
    sets = {s.get("ipAddressVersion"): s.get("addresses") for s in capture.of_type(IP_SET)}
    assert sets == {"IPV4": ["198.51.100.0/24"], "IPV6": ["2001:db8:1234::/48"]}
    [rule] = [r for r in capture.one(WEB_ACL).get("rules") if r["name"] == "admin-allow-list"]
    inside = rule["statement"]["andStatement"]["statements"][1]["notStatement"]["statement"]
    assert len(inside["orStatement"]["statements"]) == 2


def test_prd_leaves_the_allow_list_to_the_web_acl_and_the_function_to_indexes(prd: Capture):
    assert function_config(prd)["guard"] is False
    assert not behaviours(prd)[ADMIN_API_PATH].get("functionAssociations")


def test_dev_without_a_web_acl_enforces_the_allow_list_in_the_function_on_both_admin_paths(dev: Capture):
    config = function_config(dev)
    assert config["guard"] is True
    networks = [ipaddress.ip_network(n) for n in dev.config["webstack:admin"]["allowedCidrs"]]
    assert config["allowed"] == [{"family": n.version, "prefix": n.prefixlen,
                                  "groups": [int.from_bytes(n.network_address.packed[i:i + 2], "big")
                                             for i in range(0, len(n.network_address.packed), 2)]}
                                 for n in networks]
    arn = router(dev).state["arn"]
    for path in (ADMIN_API_PATH, ADMIN_PATH):
        assert behaviours(dev)[path]["functionAssociations"] == [{"eventType": "viewer-request",
                                                                  "functionArn": arn}], path
    assert dev.of_type(IP_SET) == []


def test_the_admin_screen_is_told_which_cognito_pool_and_client_to_sign_in_to(stack: Capture):
    config = json.loads(uploaded(stack)[ADMIN_CONFIG_KEY].get("content"))
    pool, client = stack.one(USER_POOL), stack.one(USER_POOL_CLIENT)
    region = stack.config["aws:region"]
    assert config == {"region": region, "userPoolId": pool.id, "clientId": client.id,
                      "cognitoEndpoint": f"https://cognito-idp.{region}.amazonaws.com/"}
    assert uploaded(stack)[ADMIN_CONFIG_KEY].get("cacheControl") == "no-cache"


def test_cache_hit_ratio_metrics_only_where_the_stack_pays_for_them(dev: Capture, prd: Capture):
    assert dev.of_type(MONITORING) == []
    [subscription] = prd.of_type(MONITORING)
    assert subscription.get("distributionId") == distribution(prd).id


# --- the frontend --------------------------------------------------------------------------------------------

def uploaded(capture: Capture) -> dict[str, Resource]:
    return {o.get("key"): o for o in capture.of_type(OBJECT) if o.get("bucket") == site_bucket(capture).id}


def test_every_frontend_file_is_uploaded(stack: Capture):
    on_disk = {p.relative_to(FRONTEND_DIR).as_posix() for p in FRONTEND_DIR.rglob("*")
               if p.is_file() and not p.name.startswith(".") and p.relative_to(FRONTEND_DIR).as_posix()
               != ADMIN_CONFIG_KEY}
    assert on_disk <= set(uploaded(stack))
    for key in on_disk:
        source = uploaded(stack)[key].get("source")
        assert Path(source.path) == FRONTEND_DIR / key, key


def test_index_page_is_html_and_always_revalidated(stack: Capture):
    index = uploaded(stack)["index.html"]
    assert index.get("contentType").split(";")[0] == "text/html"
    assert index.get("cacheControl") == "no-cache"


def test_assets_carry_their_type_and_a_short_lifetime(stack: Capture):
    for key, obj in uploaded(stack).items():
        if key in ("index.html", ERROR_PAGE, "admin/index.html", ADMIN_CONFIG_KEY):
            continue
        expected, _ = mimetypes.guess_type(key, strict=False)
        assert obj.get("contentType").split(";")[0] == (expected or "application/octet-stream"), key
        assert obj.get("cacheControl") == "public, max-age=300", key


def test_frontend_listing_keys_files_by_relative_path(tmp_path: Path):
    (tmp_path / "css").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "css" / "site.css").write_text("body{}")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    (tmp_path / ".DS_Store").write_bytes(b"")
    files = {f.key: f for f in frontend_files(tmp_path)}
    assert set(files) == {"index.html", "css/site.css", "logo.png"}
    assert files["index.html"].content_type == "text/html; charset=utf-8"
    assert files["index.html"].cache_control == "no-cache"
    assert files["css/site.css"].content_type == "text/css; charset=utf-8"
    assert files["logo.png"].content_type == "image/png"
    assert files["logo.png"].cache_control == "public, max-age=300"


def test_an_empty_or_missing_frontend_uploads_nothing(tmp_path: Path):
    assert frontend_files(tmp_path) == []
    assert frontend_files(tmp_path / "absent") == []


def test_the_built_in_error_page_obeys_the_csp():
    assert "<script" not in DEFAULT_ERROR_PAGE and "<style" not in DEFAULT_ERROR_PAGE
    assert " style=" not in DEFAULT_ERROR_PAGE


# --- bad configuration ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("site", "key"), [
    ({"priceClass": "PriceClass_300"}, "webstack:site.priceClass"),
    ({"domain": "https://shop.example.com"}, "webstack:site.domain"),
    ({"domain": DOMAIN}, "webstack:site.hostedZone"),
    ({"domain": DOMAIN, "hostedZone": "example.org"}, "webstack:site.hostedZone"),
    ({"hostedZone": "example.com"}, "webstack:site.hostedZone"),
    ({"rateLimit": 5}, "webstack:site.rateLimit"),
    ({"waff": True}, "webstack:site.waff"),
])
def test_bad_site_config_names_the_key_and_declares_nothing(site: dict, key: str):
    with pytest.raises(StackRunFailed) as raised:
        run_stack("dev", {"webstack:site": site})
    assert key in str(raised.value.error)
    assert raised.value.capture.resources == []



ADMIN_EDGE = AdminEdge(allowed=[ipaddress.ip_network("198.51.100.0/24")], enforce_at="function",
                       region="ap-northeast-1", user_pool_id="pool", client_id="client",
                       cognito_endpoint="https://cognito-idp.ap-northeast-1.amazonaws.com/")


def test_waf_without_a_us_east_1_provider_is_refused():
    args = StaticSiteArgs(config=SiteConfig(waf=True), alb_arn="arn", alb_dns_name="alb", alb_zone_id="Z",
                          listener_port=80, frontend_dir=FRONTEND_DIR, admin=ADMIN_EDGE)
    with pytest.raises(ValueError, match="us-east-1"):
        StaticSite("site", args)


@pytest.mark.parametrize(("overrides", "key"), [
    ({"webstack:admin": {"allowedCidrs": []}}, "webstack:admin.allowedCidrs"),
    ({"webstack:admin": {"allowedCidrs": ["0.0.0.0/0"]}}, "webstack:admin.allowedCidrs"),
    ({"webstack:admin": {"allowedCidrs": ["198.51.100.1/24"]}}, "webstack:admin.allowedCidrs"),
    ({"webstack:admin": {"allowListAt": "waf"}}, "webstack:admin.allowListAt"),
])
def test_a_bad_admin_allow_list_is_refused_at_config_time_naming_the_key(overrides: dict, key: str):
    with pytest.raises(StackRunFailed) as raised:
        run_stack("dev", overrides)
    assert key in str(raised.value.error)
    assert raised.value.capture.resources == []
