"""LogArchive and LogDeliveries: where the stack's access logs are kept, and the deliveries that write them.

**LogArchive** is one PrivateBucket per stack (components/buckets.py: no public access, ACLs disabled, SSE-S3, TLS
only; SSE-S3 because ALB log delivery accepts nothing else), versioned, and laid out by writer:

    alb/AWSLogs/<account>/elasticloadbalancing/<region>/...     the internal load balancer's access logs
    cloudfront/<distribution id>/<yyyy>/<MM>/<dd>/<HH>/...      CloudFront standard logging (v2), JSON
    s3/images/<account>/<region>/<bucket>/<yyyy>/<MM>/<dd>/...  S3 server access logs of the images bucket
    cloudtrail/AWSLogs/<account>/CloudTrail/...                 the account's trail, in the stack that owns it

The bucket policy grants each writer `s3:PutObject` under its own prefix, and the bucket-ACL read that CloudTrail
and WAF's log delivery make before writing; no writer may read, list or delete a log. Each grant is pinned to this
account and to the one resource whose logs it admits, by `aws:SourceAccount` and `aws:SourceArn` wherever the
service sends them (each statement says what it pins, and why it is as wide as it is).

**The web ACL's logs go to a second bucket, `aws-waf-logs-<archive>-…`**, of the same make, in the stack's region.
WAF writes only to a destination whose name starts with `aws-waf-logs-`: a bucket, a log group or a Firehose
stream. A web ACL of CloudFront scope lives in us-east-1, and so would a log group it writes to; a bucket may be in
any region of the account. The bucket keeps every log of the stack in one region under one lifecycle (retention,
aging, Object Lock, protection) for S3 storage prices, where a log group would add CloudWatch Logs' per-GB
ingestion (about twice S3's delivery charge), a separate retention setting and an account-wide resource policy in
us-east-1. The archive bucket itself cannot take WAF's logs without being named `aws-waf-logs-…`, which would
mislabel everything else in it.

Lifecycle (`webstack:logs`): Standard-IA after `infrequentAccessDays`, Glacier Instant Retrieval after
`glacierDays`, expiry after `retentionDays`; objects under 128 KB stay in Standard (S3's default, stated here),
since a transition request and the 128 KB minimum of the colder classes would cost more than they save; a deleted
or overwritten log stays restorable for 30 days as a noncurrent version; incomplete uploads are aborted after a day.
`objectLock` adds S3 Object Lock in governance mode with a default retention of `retentionDays` (S3 enables it only
when it creates a bucket: switching it on later replaces the archive, which `protect` then stops). S3 delivers no
server access logs into a locked bucket, so the configuration refuses `objectLock` with `imagesBucket`; CloudTrail
documents locked buckets as supported, the ALB and CloudWatch's log delivery do not say — check their first
deliveries after switching it on. `protect` marks the buckets and their settings `protect` and `retainOnDelete`;
`forceDestroy` lets `pulumi destroy` empty them (dev).

**LogDeliveries** is declared once the site exists, and switches on what writes to the archive:

- CloudFront standard logging (v2) through CloudWatch's log delivery: a delivery source (the distribution), a
  delivery destination (the archive, `cloudfront/`) and the delivery between them. CloudFront takes these calls in
  us-east-1 only, and delivers from there to a bucket in any region, so the three live in us-east-1 and the bucket
  stays in the stack's region. Into the archive rather than a CloudWatch Logs group, which v2 offers too: the
  bucket keeps the viewer logs with the rest of the evidence under one lifecycle (retention, aging, Object Lock,
  protection) at S3 storage prices, and their delivery costs $0.25 a GB in us-east-1 against $0.50 for
  ingestion into a log group there, which would keep them at CloudWatch's storage price besides. v2 rather than
  the legacy logging, which writes through a bucket ACL and so needs
  ACLs enabled on the bucket, which PrivateBucket disables. Output is JSON: each record names its fields, so adding
  a field breaks no reader, and Athena and jq read it as it is; Parquet would add a conversion charge per GB, worth
  it only once queries scan far more than they do here. The fields are CloudFront's standard log fields plus the
  viewer's country, ASN and the cache behaviour that matched, without `cs(Cookie)` (session cookies have no place
  in an archive) and without field-level encryption and range fields, which this site does not use.
- The web ACL's logging configuration, with the `authorization` and `cookie` headers redacted.
- S3 server access logging of the images bucket into `s3/images/`, partitioned by the day of the request.

The load balancer is pointed at the archive directly: `LogArchive.alb_access_logs` is its `access_logs` argument,
and `LogArchive.writes_ready` what it must wait for (the ALB checks it can write when logging is switched on).
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.account import TRAIL_NAME
from components.buckets import PrivateBucket
from components.providers import GLOBAL_REGION
from stack_config.logs import LogsConfig

ALB_PREFIX = "alb"
CLOUDFRONT_PREFIX = "cloudfront"
IMAGES_PREFIX = "s3/images/"
WAF_BUCKET_ACCESS_PREFIX = "s3/waf-logs/"
TRAIL_PREFIX = "cloudtrail"
WAF_BUCKET_PREFIX = "aws-waf-logs-"

ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
VENDED_LOG_DELIVERY = "delivery.logs.amazonaws.com"  # CloudWatch's log delivery: CloudFront v2 and WAF
S3_LOG_DELIVERY = "logging.s3.amazonaws.com"
CLOUDTRAIL = "cloudtrail.amazonaws.com"
# What log delivery and CloudTrail send with each object; with ACLs disabled the bucket owns every object anyway.
OWNER_FULL_CONTROL = {"s3:x-amz-acl": "bucket-owner-full-control"}

NONCURRENT_VERSION_DAYS = 30
ABORT_UPLOADS_AFTER_DAYS = 1
SMALL_OBJECTS_STAY = "all_storage_classes_128K"
LOCK_MODE = "GOVERNANCE"

# CloudWatch log delivery names: 1 to 60 of [A-Za-z0-9_-].
MAX_DELIVERY_NAME = 60
# Bucket names are at most 63 characters, and Pulumi appends "-" and 7 characters to the logical name.
MAX_WAF_BUCKET_LOGICAL_NAME = 63 - 8

CLOUDFRONT_OUTPUT_FORMAT = "json"
CLOUDFRONT_SUFFIX_PATH = "{DistributionId}/{yyyy}/{MM}/{dd}/{HH}"
CLOUDFRONT_FIELDS = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem", "sc-status",
    "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "x-edge-result-type", "x-edge-request-id", "x-host-header",
    "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "c-port", "time-to-first-byte",
    "x-edge-detailed-result-type", "sc-content-type", "sc-content-len", "c-country", "asn",
    "cache-behavior-path-pattern",
)
# Headers that carry credentials: the admin API's bearer token and any session cookie.
WAF_REDACTED_HEADERS = ("authorization", "cookie")
# S3 server access log keys: <prefix><account>/<region>/<bucket>/<yyyy>/<MM>/<dd>/…, dated by the request.
IMAGES_LOG_PARTITION = "EventTime"


def _grant(sid: str, principal: dict[str, Any], actions: list[str], resource: Any,
           condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": actions,
                                 "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


@dataclass(frozen=True)
class LogArchiveArgs:
    config: LogsConfig
    region: str
    images_bucket_arn: pulumi.Input[str] | None = None
    """The images bucket (DataStore.bucket_arn): the one bucket whose server access logs the archive admits; needed
    for `imagesBucket`."""
    web_acl: bool = False
    """Whether the stack has a web ACL (`webstack:site.waf`); with `waf`, its logs get the aws-waf-logs- bucket."""
    account_trail: bool = False
    """Whether this stack owns the account's trail (`webstack:account.cloudtrail`, components/account.py)."""


class LogArchive(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    waf_bucket_name: pulumi.Output[str] | None
    waf_bucket_arn: pulumi.Output[str] | None
    alb_access_logs: aws.lb.LoadBalancerAccessLogsArgsDict | None
    cloudfront_delivery_source_name: str | None
    cloudfront_destination_arn: pulumi.Output[str] | None
    images_log_prefix: str | None
    waf_bucket_log_prefix: str | None
    """Where the WAF log bucket's own server access logs go in the archive, if they do."""
    trail_prefix: str | None
    protected: bool
    writes_ready: list[pulumi.Resource]
    """The archive's policy and settings: what every delivery into it waits for."""
    waf_writes_ready: list[pulumi.Resource]

    def __init__(self, name: str, args: LogArchiveArgs, opts: pulumi.ResourceOptions | None = None):
        config = args.config
        source_name = f"{name}-{CLOUDFRONT_PREFIX}"
        if len(f"{source_name}-s3") > MAX_DELIVERY_NAME or len(WAF_BUCKET_PREFIX + name) > MAX_WAF_BUCKET_LOGICAL_NAME:
            raise ValueError(f"LogArchive name {name!r} is too long: the CloudFront delivery names derived from it "
                             f"must stay within {MAX_DELIVERY_NAME} characters and the WAF bucket's within 63; "
                             "shorten the project or stack name")
        if config.images_bucket and args.images_bucket_arn is None:
            raise ValueError("webstack:logs.imagesBucket admits the images bucket's access logs by its ARN: pass "
                             "images_bucket_arn (DataStore.bucket_arn), or set imagesBucket to false")
        super().__init__("webstack:logs:LogArchive", name, None, opts)
        self._name = name
        self._config = config
        # The archive and its settings are the evidence: with `protect` no destroy or removal touches them.
        self._kept = pulumi.ResourceOptions(parent=self, protect=config.protect, retain_on_delete=config.protect)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id

        archive, settings = self._bucket(name)
        arn = archive.bucket.arn
        statements: list[dict[str, Any]] = []

        self.alb_access_logs = None
        if config.load_balancer:
            # In regions older than August 2022 (ap-northeast-1 among them) the region's ELB account writes the
            # logs, elsewhere this service principal. Neither sends aws:SourceAccount or aws:SourceArn (the ELB
            # guide's policy has no condition), so the path is the pin: ELB writes a load balancer's logs under
            # AWSLogs/<the balancer's account>/, and only this account's path is granted.
            writers = {"AWS": aws.elb.get_service_account_output(opts=invoke).arn, "Service": ELB_LOG_DELIVERY}
            this_account = pulumi.Output.concat(arn, f"/{ALB_PREFIX}/AWSLogs/", account, "/")
            statements += [
                _grant("LoadBalancerAccessLogsWrite", writers, ["s3:PutObject"],
                       pulumi.Output.concat(this_account, "*")),
                # The ELB account writes for every customer in the region: a balancer of another account whose log
                # prefix were `alb/AWSLogs/<this account>/x` would land inside the granted path. This account's own
                # log keys never hold a second AWSLogs/ segment.
                {"Sid": "DenyForeignLoadBalancerLogsNestedHere", "Effect": "Deny", "Principal": writers,
                 "Action": ["s3:PutObject"], "Resource": pulumi.Output.concat(this_account, "*/AWSLogs/*")},
            ]
            self.alb_access_logs = {"bucket": archive.bucket.bucket, "prefix": ALB_PREFIX, "enabled": True}

        self.cloudfront_delivery_source_name = None
        self.cloudfront_destination_arn = None
        if config.cloudfront:
            # The delivery source's ARN is known before it exists (LogDeliveries names it so): the grant admits the
            # one distribution's delivery, from us-east-1, where CloudFront's log delivery runs.
            source_arn = pulumi.Output.concat(f"arn:aws:logs:{GLOBAL_REGION}:", account, ":delivery-source:",
                                              source_name)
            statements.append(_grant(
                "CloudFrontStandardLogsWrite", {"Service": VENDED_LOG_DELIVERY}, ["s3:PutObject"],
                pulumi.Output.concat(arn, f"/{CLOUDFRONT_PREFIX}/*"),
                {"StringEquals": {**OWNER_FULL_CONTROL, "aws:SourceAccount": account},
                 "ArnLike": {"aws:SourceArn": source_arn}}))
            self.cloudfront_delivery_source_name = source_name
            self.cloudfront_destination_arn = pulumi.Output.concat(arn, f"/{CLOUDFRONT_PREFIX}")

        self.images_log_prefix = None
        if config.images_bucket:
            # S3 sends the source bucket's ARN and account with every access log it writes.
            statements.append(_grant(
                "ImagesBucketAccessLogsWrite", {"Service": S3_LOG_DELIVERY}, ["s3:PutObject"],
                pulumi.Output.concat(arn, f"/{IMAGES_PREFIX}*"),
                {"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": args.images_bucket_arn}}))
            self.images_log_prefix = IMAGES_PREFIX

        self.trail_prefix = None
        if args.account_trail:
            # The trail's name is fixed account-wide (components/account.py), so its ARN is known here. CloudTrail
            # reads the bucket's ACL to check it may write, and writes with bucket-owner-full-control.
            trail_arn = pulumi.Output.concat(f"arn:aws:cloudtrail:{args.region}:", account, f":trail/{TRAIL_NAME}")
            from_the_trail = {"aws:SourceArn": trail_arn, "aws:SourceAccount": account}
            statements += [
                _grant("AccountTrailAclCheck", {"Service": CLOUDTRAIL}, ["s3:GetBucketAcl"], arn,
                       {"StringEquals": from_the_trail}),
                _grant("AccountTrailWrite", {"Service": CLOUDTRAIL}, ["s3:PutObject"],
                       pulumi.Output.concat(arn, f"/{TRAIL_PREFIX}/AWSLogs/", account, "/*"),
                       {"StringEquals": {**OWNER_FULL_CONTROL, **from_the_trail}}),
            ]
            self.trail_prefix = TRAIL_PREFIX

        self.waf_bucket_name = None
        self.waf_bucket_arn = None
        self.waf_writes_ready = []
        self.waf_bucket_log_prefix = None
        waf, waf_settings = None, []
        if config.waf and args.web_acl:
            waf, waf_settings = self._bucket(WAF_BUCKET_PREFIX + name)
            if not config.object_lock:
                # The WAF log bucket's own server access logs come to the archive, as the images bucket's do (S3
                # delivers none into a locked archive).
                statements.append(_grant(
                    "WafLogBucketAccessLogsWrite", {"Service": S3_LOG_DELIVERY}, ["s3:PutObject"],
                    pulumi.Output.concat(arn, f"/{WAF_BUCKET_ACCESS_PREFIX}*"),
                    {"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": waf.bucket.arn}}))
                self.waf_bucket_log_prefix = WAF_BUCKET_ACCESS_PREFIX

        policy = archive.policy(statements)
        self.writes_ready = [policy, *settings]

        if waf is not None:
            waf_arn = waf.bucket.arn
            # WAF's logs come through CloudWatch's log delivery in the web ACL's region (us-east-1 for CloudFront
            # scope), whose aws:SourceArn is a delivery of its own making, not the web ACL: the region and account
            # are the narrowest pin WAF's guide names. The bucket holds nothing but this web ACL's logs.
            from_waf = {"ArnLike": {"aws:SourceArn": pulumi.Output.concat(f"arn:aws:logs:{GLOBAL_REGION}:", account,
                                                                          ":*")}}
            waf_policy = waf.policy([
                _grant("WebAclLogsWrite", {"Service": VENDED_LOG_DELIVERY}, ["s3:PutObject"],
                       pulumi.Output.concat(waf_arn, "/AWSLogs/", account, "/*"),
                       {"StringEquals": {**OWNER_FULL_CONTROL, "aws:SourceAccount": account}, **from_waf}),
                # The delivery checks the bucket's ACL before writing; the ACL names only the owner.
                _grant("WebAclLogsAclCheck", {"Service": VENDED_LOG_DELIVERY}, ["s3:GetBucketAcl"], waf_arn,
                       {"StringEquals": {"aws:SourceAccount": account}, **from_waf}),
            ])
            self.waf_bucket_name = waf.bucket.bucket
            self.waf_bucket_arn = waf_arn
            self.waf_writes_ready = [waf_policy, *waf_settings]

        self.bucket_name = archive.bucket.bucket
        self.bucket_arn = arn
        self.protected = config.protect
        self.register_outputs({
            "bucketName": self.bucket_name, "bucketArn": self.bucket_arn, "wafBucketName": self.waf_bucket_name,
            "wafBucketArn": self.waf_bucket_arn, "cloudfrontDestinationArn": self.cloudfront_destination_arn,
        })

    def _bucket(self, name: str) -> tuple[PrivateBucket, list[pulumi.Resource]]:
        """A private, versioned bucket aged and expired by `webstack:logs`, and the settings writes wait for."""
        config, kept = self._config, self._kept
        store = PrivateBucket.create(name, force_destroy=config.force_destroy, opts=kept,
                                     object_lock=config.object_lock)
        bucket = store.bucket
        # Object Lock needs versioning, and a deleted log should be restorable in any case.
        versioning = aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket.id,
                                             versioning_configuration={"status": "Enabled"}, opts=kept)
        after_versioning = pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[versioning]))
        settings: list[pulumi.Resource] = [*store.settings, versioning]
        if config.object_lock:
            settings.append(aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock", bucket=bucket.id,
                rule={"default_retention": {"mode": LOCK_MODE, "days": config.retention_days}}, opts=after_versioning))

        aging: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
            "id": "age-and-expire-logs", "status": "Enabled", "filter": {},
            "expiration": {"days": config.retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_UPLOADS_AFTER_DAYS},
        }
        transitions: list[aws.s3.BucketLifecycleConfigurationRuleTransitionArgsDict] = []
        if config.infrequent_access_days:
            transitions.append({"days": config.infrequent_access_days, "storage_class": "STANDARD_IA"})
        if config.glacier_days:
            transitions.append({"days": config.glacier_days, "storage_class": "GLACIER_IR"})
        if transitions:
            aging["transitions"] = transitions
        settings.append(aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket.id, transition_default_minimum_object_size=SMALL_OBJECTS_STAY,
            rules=[aging,
                   # Expiry leaves a delete marker over the last version; once that version is gone, so is it.
                   {"id": "remove-expired-delete-markers", "status": "Enabled", "filter": {},
                    "expiration": {"expired_object_delete_marker": True}}],
            opts=after_versioning))
        return store, settings


@dataclass(frozen=True)
class LogDeliveriesArgs:
    archive: LogArchive
    distribution_arn: pulumi.Input[str] | None = None
    """The CloudFront distribution (StaticSite.distribution_arn); needed when the archive admits CloudFront."""
    web_acl_arn: pulumi.Input[str] | None = None
    """The web ACL (StaticSite.web_acl_arn); needed when the archive has a WAF bucket."""
    images_bucket: pulumi.Input[str] | None = None
    """The images bucket's name (DataStore.bucket_name); needed when the archive admits its access logs."""
    global_provider: aws.Provider | None = None
    """An AWS provider for us-east-1, where CloudFront's log delivery and the web ACL's logging are configured."""


class LogDeliveries(pulumi.ComponentResource):
    cloudfront_delivery_id: pulumi.Output[str] | None
    waf_logging_id: pulumi.Output[str] | None
    images_logging_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: LogDeliveriesArgs, opts: pulumi.ResourceOptions | None = None):
        archive = args.archive
        missing = [what for what, needed, given in (
            ("distribution_arn (StaticSite.distribution_arn)", archive.cloudfront_delivery_source_name,
             args.distribution_arn),
            ("web_acl_arn (StaticSite.web_acl_arn)", archive.waf_bucket_arn, args.web_acl_arn),
            ("images_bucket (DataStore.bucket_name)", archive.images_log_prefix, args.images_bucket),
        ) if needed is not None and given is None]
        if missing:
            raise ValueError(f"LogDeliveries needs {', '.join(missing)}: the archive admits those logs "
                             "(webstack:logs); pass them, or switch the log off in webstack:logs")
        edge_logs = archive.cloudfront_delivery_source_name is not None or archive.waf_bucket_arn is not None
        if edge_logs and args.global_provider is None:
            raise ValueError("LogDeliveries needs global_provider (us-east-1): CloudFront's log delivery and the "
                             "web ACL's logging are configured there only")
        super().__init__("webstack:logs:LogDeliveries", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def waiting_for(ready: list[pulumi.Resource], provider: aws.Provider | None) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=provider, depends_on=ready)

        # The source's and destination's names are fixed (the archive's grant names the source before it exists).
        # CloudWatch's Put calls update a same-named one in place, so a replacement must remove the old one first,
        # or deleting the old one would delete the new.
        named = pulumi.ResourceOptions(parent=self, provider=args.global_provider, delete_before_replace=True)

        self.cloudfront_delivery_id = None
        source_name, destination_arn = archive.cloudfront_delivery_source_name, archive.cloudfront_destination_arn
        if source_name is not None and destination_arn is not None and args.distribution_arn is not None:
            source = aws.cloudwatch.LogDeliverySource(
                f"{name}-cloudfront-source", name=source_name, log_type="ACCESS_LOGS",
                resource_arn=args.distribution_arn, opts=named)
            destination = aws.cloudwatch.LogDeliveryDestination(
                f"{name}-cloudfront-destination", name=f"{source_name}-s3", output_format=CLOUDFRONT_OUTPUT_FORMAT,
                delivery_destination_type="S3",
                delivery_destination_configuration={"destination_resource_arn": destination_arn},
                opts=pulumi.ResourceOptions.merge(named, pulumi.ResourceOptions(depends_on=archive.writes_ready)))
            delivery = aws.cloudwatch.LogDelivery(
                f"{name}-cloudfront", delivery_source_name=source.name, delivery_destination_arn=destination.arn,
                record_fields=list(CLOUDFRONT_FIELDS),
                s3_delivery_configurations=[{"suffix_path": CLOUDFRONT_SUFFIX_PATH,
                                             "enable_hive_compatible_path": False}],
                # CreateDelivery checks the bucket policy admits the delivery.
                opts=waiting_for(archive.writes_ready, args.global_provider))
            self.cloudfront_delivery_id = delivery.id

        self.waf_logging_id = None
        if archive.waf_bucket_arn is not None and args.web_acl_arn is not None:
            logging = aws.wafv2.WebAclLoggingConfiguration(
                f"{name}-waf", resource_arn=args.web_acl_arn, log_destination_configs=[archive.waf_bucket_arn],
                redacted_fields=[{"single_header": {"name": header}} for header in WAF_REDACTED_HEADERS],
                # With the grant already in the bucket policy, WAF leaves the policy alone instead of adding its own.
                opts=waiting_for(archive.waf_writes_ready, args.global_provider))
            self.waf_logging_id = logging.id

        def access_logs(short: str, bucket: pulumi.Input[str], prefix: str) -> aws.s3.BucketLogging:
            return aws.s3.BucketLogging(
                f"{name}-{short}", bucket=bucket, target_bucket=archive.bucket_name, target_prefix=prefix,
                target_object_key_format={"partitioned_prefix": {"partition_date_source": IMAGES_LOG_PARTITION}},
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=archive.writes_ready)))

        self.images_logging_id = None
        if archive.images_log_prefix is not None and args.images_bucket is not None:
            self.images_logging_id = access_logs("images", args.images_bucket, archive.images_log_prefix).id

        if archive.waf_bucket_log_prefix is not None and archive.waf_bucket_name is not None:
            access_logs("waf-bucket", archive.waf_bucket_name, archive.waf_bucket_log_prefix)

        self.register_outputs({"cloudfrontDeliveryId": self.cloudfront_delivery_id,
                               "wafLoggingId": self.waf_logging_id, "imagesLoggingId": self.images_logging_id})
