"""CloudFront: CreateDistribution, CreateCachePolicy, CreateOriginAccessControl, CreateResponseHeadersPolicy and
CreateVpcOrigin.

Pulumi's inputs drop the API's Quantity/Items wrappers (`allowedMethods` is the API's `AllowedMethods.Items`);
the fields below name the member the values land in. The model's enumerations cover protocols, methods and
policies; lengths of comments and names, timeouts and method combinations are in its documentation only.
"""

from __future__ import annotations

from typing import Any

from ..core import as_list
from .fields import (
    DESCRIPTION,
    DOCUMENT,
    NAME,
    PORT,
    PROTOCOL,
    VALUE,
    AutoName,
    Request,
    Rule,
    Tagging,
    at_most,
    between,
    fields,
)

API = "https://docs.aws.amazon.com/cloudfront/latest/APIReference"
QUOTAS = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html"

# "There are three choices": GET and HEAD; GET, HEAD and OPTIONS; all seven methods.
METHOD_CHOICES = ({"GET", "HEAD"}, {"GET", "HEAD", "OPTIONS"},
                  {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"})
CACHED_CHOICES = METHOD_CHOICES[:2]


def _method_choice(choices: tuple[set[str], ...]) -> Any:
    def check(value: Any) -> str | None:
        methods = {str(m) for m in as_list(value)}
        if methods in choices:
            return None
        return f"{', '.join(sorted(methods))} is not one of: " + "; ".join(", ".join(sorted(c)) for c in choices)
    return check


ALLOWED_METHODS = (Rule(_method_choice(METHOD_CHOICES), f"{API}/API_AllowedMethods.html",
                        quote="There are three choices"),)
CACHED_METHODS = (Rule(_method_choice(CACHED_CHOICES), f"{API}/API_CachedMethods.html",
                       quote="Valid values for CachedMethods include GET , HEAD , and OPTIONS"),)


def _comment(member: str) -> tuple[Any, ...]:
    return (at_most(128, f"{API}/API_{member}.html Comment", quote="The comment cannot be longer than 128 characters"),)


def _behaviour(prefix: str, shape: str) -> tuple[tuple[Any, ...], ...]:
    return (
        (f"{prefix}.viewerProtocolPolicy", f"{shape}.ViewerProtocolPolicy"),
        (f"{prefix}.allowedMethods", "AllowedMethods.Items", {"rules": ALLOWED_METHODS}),
        (f"{prefix}.cachedMethods", "CachedMethods.Items", {"rules": CACHED_METHODS}),
        (f"{prefix}.compress", f"{shape}.Compress"),
        (f"{prefix}.targetOriginId", f"{shape}.TargetOriginId"),
        (f"{prefix}.cachePolicyId", f"{shape}.CachePolicyId"),
        (f"{prefix}.functionAssociations[].eventType", "FunctionAssociation.EventType"),
        (f"{prefix}.functionAssociations[].functionArn", "FunctionAssociation.FunctionARN"),
    )


def _at_most_10_headers(value: Any) -> str | None:
    count = len(as_list(value))
    return None if count <= 10 else f"{count} headers, more than the 10 a cache policy takes"


def _timeout(member: str) -> tuple[Any, ...]:
    return (between(1, 120, f"{API}/API_VpcOriginConfig.html {member}",
                    quote="The minimum timeout is 1 second, the maximum is 120 seconds"),)


TAGS = Tagging("cloudfront", "TagKey", "TagValue")
CACHE_KEY = "parametersInCacheKeyAndForwardedToOrigin"

REQUESTS = {
    "aws:cloudfront/distribution:Distribution": Request((
        *fields("cloudfront", DESCRIPTION, ("comment", "DistributionConfig.Comment",
                                            {"rules": _comment("DistributionConfig")})),
        *fields("cloudfront", PROTOCOL, ("httpVersion", "DistributionConfig.HttpVersion"),
                ("viewerCertificate.minimumProtocolVersion", "ViewerCertificate.MinimumProtocolVersion"),
                ("viewerCertificate.sslSupportMethod", "ViewerCertificate.SSLSupportMethod")),
        *fields("cloudfront", VALUE,
                ("enabled", "DistributionConfig.Enabled"), ("isIpv6Enabled", "DistributionConfig.IsIPV6Enabled"),
                ("priceClass", "DistributionConfig.PriceClass"),
                ("defaultRootObject", "DistributionConfig.DefaultRootObject"),
                ("aliases[]", "Aliases.Items[]"),
                ("webAclId", "DistributionConfig.WebACLId"),
                *_behaviour("defaultCacheBehavior", "DefaultCacheBehavior"),
                *_behaviour("orderedCacheBehaviors[]", "CacheBehavior"),
                ("orderedCacheBehaviors[].pathPattern", "CacheBehavior.PathPattern"),
                ("orderedCacheBehaviors[].originRequestPolicyId", "CacheBehavior.OriginRequestPolicyId"),
                ("origins[].originId", "Origin.Id"), ("origins[].domainName", "Origin.DomainName"),
                ("origins[].vpcOriginConfig.originReadTimeout", "VpcOriginConfig.OriginReadTimeout",
                 {"rules": _timeout("OriginReadTimeout")}),
                ("origins[].vpcOriginConfig.originKeepaliveTimeout", "VpcOriginConfig.OriginKeepaliveTimeout",
                 {"rules": _timeout("OriginKeepaliveTimeout")}),
                ("customErrorResponses[].errorCode", "CustomErrorResponse.ErrorCode", {"rules": (between(
                    400, 599, f"{API}/API_CustomErrorResponse.html ErrorCode (4xx and 5xx codes)"),)}),
                ("customErrorResponses[].responseCode", "CustomErrorResponse.ResponseCode",
                 {"to_api": lambda code: str(int(code)) if isinstance(code, (int, float)) else code}),
                ("customErrorResponses[].responsePagePath", "CustomErrorResponse.ResponsePagePath"),
                ("customErrorResponses[].errorCachingMinTtl", "CustomErrorResponse.ErrorCachingMinTTL"),
                ("restrictions.geoRestriction.restrictionType", "GeoRestriction.RestrictionType"),
                ("viewerCertificate.cloudfrontDefaultCertificate", "ViewerCertificate.CloudFrontDefaultCertificate")),
    ), tags=TAGS,
        # Ids and ARNs of the stack's own policies, origin access control, VPC origin and certificate: plain
        # strings in the model (no rule to check), each judged as the resource it names.
        unchecked=("defaultCacheBehavior.responseHeadersPolicyId", "orderedCacheBehaviors[].responseHeadersPolicyId",
                   "origins[].originAccessControlId", "origins[].vpcOriginConfig.vpcOriginId",
                   "viewerCertificate.acmCertificateArn")),
    "aws:cloudfront/cachePolicy:CachePolicy": Request((
        *fields("cloudfront", NAME, ("name", "CachePolicyConfig.Name", {"autoname": AutoName(255)})),
        *fields("cloudfront", DESCRIPTION, ("comment", "CachePolicyConfig.Comment",
                                            {"rules": _comment("CachePolicyConfig")})),
        *fields("cloudfront", VALUE,
                ("minTtl", "CachePolicyConfig.MinTTL"), ("defaultTtl", "CachePolicyConfig.DefaultTTL"),
                ("maxTtl", "CachePolicyConfig.MaxTTL"),
                (f"{CACHE_KEY}.cookiesConfig.cookieBehavior", "CachePolicyCookiesConfig.CookieBehavior"),
                (f"{CACHE_KEY}.headersConfig.headerBehavior", "CachePolicyHeadersConfig.HeaderBehavior"),
                (f"{CACHE_KEY}.headersConfig.headers.items", "Headers.Items", {"rules": (Rule(
                    _at_most_10_headers, f"{QUOTAS} (cache policies: headers per cache policy, 10)"),)}),
                (f"{CACHE_KEY}.queryStringsConfig.queryStringBehavior",
                 "CachePolicyQueryStringsConfig.QueryStringBehavior"),
                (f"{CACHE_KEY}.enableAcceptEncodingGzip",
                 "ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingGzip"),
                (f"{CACHE_KEY}.enableAcceptEncodingBrotli",
                 "ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingBrotli")),
    )),
    "aws:cloudfront/originAccessControl:OriginAccessControl": Request((
        *fields("cloudfront", NAME, ("name", "OriginAccessControlConfig.Name", {"autoname": AutoName(255), "rules": (
            at_most(64, f"{API}/API_OriginAccessControlConfig.html Name", quote="You can specify up to 64 characters"),
        )})),
        *fields("cloudfront", DESCRIPTION, ("description", "OriginAccessControlConfig.Description")),
        *fields("cloudfront", PROTOCOL, ("signingProtocol", "OriginAccessControlConfig.SigningProtocol")),
        *fields("cloudfront", VALUE, ("signingBehavior", "OriginAccessControlConfig.SigningBehavior"),
                ("originAccessControlOriginType", "OriginAccessControlConfig.OriginAccessControlOriginType")),
    )),
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": Request((
        *fields("cloudfront", NAME, ("name", "ResponseHeadersPolicyConfig.Name", {"autoname": AutoName(255)})),
        *fields("cloudfront", DESCRIPTION, ("comment", "ResponseHeadersPolicyConfig.Comment",
                                            {"rules": _comment("ResponseHeadersPolicyConfig")})),
        *fields("cloudfront", VALUE, *((f"securityHeadersConfig.{path}", member) for path, member in (
            ("frameOptions.frameOption", "ResponseHeadersPolicyFrameOptions.FrameOption"),
            ("frameOptions.override", "ResponseHeadersPolicyFrameOptions.Override"),
            ("referrerPolicy.referrerPolicy", "ResponseHeadersPolicyReferrerPolicy.ReferrerPolicy"),
            ("referrerPolicy.override", "ResponseHeadersPolicyReferrerPolicy.Override"),
            ("strictTransportSecurity.override", "ResponseHeadersPolicyStrictTransportSecurity.Override"),
            ("contentSecurityPolicy.override", "ResponseHeadersPolicyContentSecurityPolicy.Override"),
            ("xssProtection.override", "ResponseHeadersPolicyXSSProtection.Override"),
            ("strictTransportSecurity.accessControlMaxAgeSec",
             "ResponseHeadersPolicyStrictTransportSecurity.AccessControlMaxAgeSec"),
            ("strictTransportSecurity.includeSubdomains",
             "ResponseHeadersPolicyStrictTransportSecurity.IncludeSubdomains"),
            ("strictTransportSecurity.preload", "ResponseHeadersPolicyStrictTransportSecurity.Preload"),
            ("contentTypeOptions.override", "ResponseHeadersPolicyContentTypeOptions.Override"),
            ("xssProtection.protection", "ResponseHeadersPolicyXSSProtection.Protection"),
        )), ("securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy",
             "ResponseHeadersPolicyContentSecurityPolicy.ContentSecurityPolicy", {"rules": (at_most(
                 1783, f"{QUOTAS} (response headers policies: Content-Security-Policy value up to 1,783 "
                       "characters)"),)})),
    )),
    # The function's code goes to a blob of at most 40,960 bytes (the model's FunctionBlob), the rule used here.
    "aws:cloudfront/function:Function": Request((
        *fields("cloudfront", NAME, ("name", "CreateFunction.Name", {"autoname": AutoName(255)})),
        *fields("cloudfront", DESCRIPTION, ("comment", "FunctionConfig.Comment")),
        *fields("cloudfront", VALUE, ("runtime", "FunctionConfig.Runtime")),
        *fields("cloudfront", DOCUMENT, ("code", "CreateFunction.FunctionCode", {"model": False, "rules": (at_most(
            40_960, "botocore cloudfront CreateFunction.FunctionCode (FunctionBlob: at most 40,960 bytes)",
            unit="bytes", measure=lambda text: len(text.encode())),)})),
    ), unchecked=("publish",)),
    "aws:cloudfront/monitoringSubscription:MonitoringSubscription": Request(fields(
        "cloudfront", VALUE, ("monitoringSubscription.realtimeMetricsSubscriptionConfig."
                              "realtimeMetricsSubscriptionStatus",
                              "RealtimeMetricsSubscriptionConfig.RealtimeMetricsSubscriptionStatus")),
        unchecked=("distributionId",)),
    "aws:cloudfront/vpcOrigin:VpcOrigin": Request((
        *fields("cloudfront", NAME, ("vpcOriginEndpointConfig.name", "VpcOriginEndpointConfig.Name")),
        *fields("cloudfront", PORT, *((f"vpcOriginEndpointConfig.{key}", f"VpcOriginEndpointConfig.{member}",
                                       {"rules": (between(1, 65535, f"{API}/API_VpcOriginEndpointConfig.html "
                                                                    f"{member}"),)})
                                      for key, member in (("httpPort", "HTTPPort"), ("httpsPort", "HTTPSPort")))),
        *fields("cloudfront", PROTOCOL,
                ("vpcOriginEndpointConfig.originProtocolPolicy", "VpcOriginEndpointConfig.OriginProtocolPolicy"),
                ("vpcOriginEndpointConfig.originSslProtocols.items[]", "OriginSslProtocols.Items[]")),
        *fields("cloudfront", VALUE, ("vpcOriginEndpointConfig.arn", "VpcOriginEndpointConfig.Arn"),
                ("vpcOriginEndpointConfig.originSslProtocols.quantity", "OriginSslProtocols.Quantity")),
    ), tags=TAGS),
}
