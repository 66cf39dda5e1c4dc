"""LogArchive and LogDeliveries (components/logs.py), each stack's settings, run on their own under the mocks.

The bucket policies are judged twice: statement by statement (principal, actions, resource, conditions), and as IAM
would judge requests against them (provider_calls/iam.py): each writer may put objects under its own prefix, from
this account and its one source, and nothing else — no reads, no deletes, no other source, no plain HTTP.
"""

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pydantic import ValidationError

from components.logs import (
    CLOUDFRONT_FIELDS,
    NONCURRENT_VERSION_DAYS,
    LogArchive,
    LogArchiveArgs,
    LogDeliveries,
    LogDeliveriesArgs,
)
from mock_engine import ACCOUNT_ID, ELB_ACCOUNT_ID, Capture, Resource, merged_config, run_program, statements
from provider_calls.iam import evaluate
from stack_config.logs import LogsConfig

ARCHIVE = "webstack:logs:LogArchive"
DELIVERIES = "webstack:logs:LogDeliveries"
BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
STACKS = ("dev", "prd")

# The `webstack:logs` sections handed over for the stack files. Until the program reads that section
# (stack_config.SECTIONS), the stack files cannot hold it; from then on the tests judge the files' own.
PROPOSED_LOGS = {
    "dev": {"retentionDays": 30, "infrequentAccessDays": 0, "protect": False, "forceDestroy": True},
    "prd": {"retentionDays": 365, "infrequentAccessDays": 30, "glacierDays": 90, "protect": True,
            "forceDestroy": False},
}
IMAGES_BUCKET = "webstack-test-images-1a2b3c4"
IMAGES_ARN = f"arn:aws:s3:::{IMAGES_BUCKET}"
DISTRIBUTION_ARN = f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E2QWRUHEXAMPLE"
WEB_ACL_ARN = f"arn:aws:wafv2:us-east-1:{ACCOUNT_ID}:global/webacl/webstack-prd-waf/a1b2c3d4"
OTHER_ACCOUNT = "210987654321"
# Headers and condition keys of a request S3 receives, as the evaluator takes them.
TLS = {"aws:SecureTransport": "true"}
OWNER_FULL_CONTROL = {"s3:x-amz-acl": "bucket-owner-full-control"}


def logs_section(stack: str) -> dict[str, Any]:
    return merged_config(stack, None).get("webstack:logs", PROPOSED_LOGS[stack])


def has_web_acl(stack: str) -> bool:
    return bool(merged_config(stack, None).get("webstack:site", {}).get("waf", False))


def region_of(stack: str) -> str:
    return merged_config(stack, None)["aws:region"]


def archive_program(stack: str, config: LogsConfig, *, web_acl: bool, account_trail: bool,
                    deliveries: bool = True) -> Capture:
    """LogArchive and LogDeliveries as the program wires them, with the site's and the data store's outputs
    standing in as plain values."""
    def program() -> None:
        edge = aws.Provider("edge", region="us-east-1")
        archive = LogArchive(f"webstack-{stack}-logs", LogArchiveArgs(
            config=config, region=region_of(stack), images_bucket_arn=IMAGES_ARN, web_acl=web_acl,
            account_trail=account_trail))
        if deliveries:
            LogDeliveries(f"webstack-{stack}-log-deliveries", LogDeliveriesArgs(
                archive=archive, distribution_arn=DISTRIBUTION_ARN, web_acl_arn=WEB_ACL_ARN if web_acl else None,
                images_bucket=IMAGES_BUCKET, global_provider=edge))
        pulumi.export("albAccessLogs", archive.alb_access_logs)
        pulumi.export("bucketName", archive.bucket_name)
        pulumi.export("wafBucketName", archive.waf_bucket_name)
        pulumi.export("writesReady", [resource.urn for resource in archive.writes_ready])
        pulumi.export("wafWritesReady", [resource.urn for resource in archive.waf_writes_ready])

    return run_program(program, stack)


@cache
def captured(stack: str) -> Capture:
    """The stack's archive and deliveries; prd's archive also admits the account's trail (webstack:account)."""
    return archive_program(stack, LogsConfig.model_validate(logs_section(stack)), web_acl=has_web_acl(stack),
                           account_trail=stack == "prd")


@pytest.fixture(params=STACKS)
def stack(request) -> str:
    return request.param


# --- reading the capture ---------------------------------------------------------------------------------------

def buckets(capture: Capture) -> list[Resource]:
    return capture.of_type(BUCKET)


def archive_bucket(capture: Capture) -> Resource:
    return capture.one(BUCKET, where=lambda r: not r.name.startswith("aws-waf-logs-"))


def waf_bucket(capture: Capture) -> Resource:
    return capture.one(BUCKET, where=lambda r: r.name.startswith("aws-waf-logs-"))


def on_bucket(capture: Capture, type_: str, bucket: Resource) -> Resource:
    return capture.one(type_, where=lambda r: r.get("bucket") == bucket.id)


def policy_of(capture: Capture, bucket: Resource) -> list[dict[str, Any]]:
    return statements(on_bucket(capture, POLICY, bucket).get("policy"))


def statement(capture: Capture, bucket: Resource, sid: str) -> dict[str, Any]:
    [found] = [s for s in policy_of(capture, bucket) if s.get("Sid") == sid]
    return found


def arn(bucket: Resource) -> str:
    return bucket.state["arn"]


def principals(s: Mapping[str, Any]) -> set[tuple[str, str]]:
    if s["Principal"] == "*":
        return {("*", "*")}
    return {(kind, value) for kind, values in s["Principal"].items()
            for value in (values if isinstance(values, list) else [values])}


def verdict(capture: Capture, bucket: Resource, principal: tuple[str, str], action: str, key: str = "",
            **context: str):
    """IAM's verdict on `principal` doing `action` on the bucket (or on `key` in it) with the request's `context`
    (TLS unless it says otherwise)."""
    relevant = [s for s in policy_of(capture, bucket)
                if principal in principals(s) or ("*", "*") in principals(s)]
    resource = f"{arn(bucket)}/{key}" if key else arn(bucket)
    return evaluate([{"Statement": relevant}], action, resource, {**TLS, **context})


ELB = ("AWS", f"arn:aws:iam::{ELB_ACCOUNT_ID}:root")
ELB_SERVICE = ("Service", "logdelivery.elasticloadbalancing.amazonaws.com")
VENDED = ("Service", "delivery.logs.amazonaws.com")
S3_LOGGING = ("Service", "logging.s3.amazonaws.com")
CLOUDTRAIL = ("Service", "cloudtrail.amazonaws.com")


def delivery_source_arn(capture: Capture) -> str:
    return capture.one(SOURCE).state["arn"]


def trail_arn(stack: str) -> str:
    return f"arn:aws:cloudtrail:{region_of(stack)}:{ACCOUNT_ID}:trail/webstack-account-trail"


def from_cloudfront(capture: Capture, **override: str) -> dict[str, str]:
    return {**OWNER_FULL_CONTROL, "aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": delivery_source_arn(capture),
            **override}


def from_images(**override: str) -> dict[str, str]:
    return {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": IMAGES_ARN, **override}


def from_trail(stack: str, **override: str) -> dict[str, str]:
    return {**OWNER_FULL_CONTROL, "aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": trail_arn(stack), **override}


def from_waf(**override: str) -> dict[str, str]:
    return {**OWNER_FULL_CONTROL, "aws:SourceAccount": ACCOUNT_ID,
            "aws:SourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:delivery:c0ffee", **override}


# --- the buckets -----------------------------------------------------------------------------------------------

def test_each_stack_has_one_archive_and_a_waf_bucket_only_with_a_web_acl(stack: str):
    capture = captured(stack)
    assert archive_bucket(capture)
    waf = [b for b in buckets(capture) if b.name.startswith("aws-waf-logs-")]
    assert len(waf) == (1 if has_web_acl(stack) else 0)
    assert capture.outputs["wafBucketName"] == (waf[0].state["bucket"] if waf else None)


def test_the_waf_bucket_is_named_as_waf_requires():
    bucket = waf_bucket(captured("prd"))
    assert bucket.state["bucket"].startswith("aws-waf-logs-")
    assert len(bucket.state["bucket"]) <= 63


def test_the_waf_bucket_needs_both_the_web_acl_and_the_setting():
    config = LogsConfig.model_validate({**logs_section("prd"), "waf": False})
    capture = archive_program("prd", config, web_acl=True, account_trail=False)
    assert [b for b in buckets(capture) if b.name.startswith("aws-waf-logs-")] == []
    assert capture.of_type(WAF_LOGGING) == []


def test_buckets_are_private_encrypted_with_sse_s3_and_acl_free(stack: str):
    capture = captured(stack)
    for bucket in buckets(capture):
        block = on_bucket(capture, PUBLIC_ACCESS_BLOCK, bucket)
        assert all(block.get(flag) is True for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                         "restrictPublicBuckets")), bucket.name
        assert on_bucket(capture, OWNERSHIP, bucket).get("rule.objectOwnership") == "BucketOwnerEnforced"
        # ALB log delivery writes to SSE-S3 buckets only.
        assert on_bucket(capture, ENCRYPTION, bucket).get(
            "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm") == "AES256"


def test_buckets_deny_every_request_without_tls(stack: str):
    capture = captured(stack)
    for bucket in buckets(capture):
        [deny] = [s for s in policy_of(capture, bucket) if s["Sid"] == "DenyInsecureTransport"]
        assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
        assert sorted(deny["Resource"]) == [arn(bucket), f"{arn(bucket)}/*"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for principal in (VENDED, ELB, S3_LOGGING, CLOUDTRAIL):
            assert not verdict(capture, bucket, principal, "s3:PutObject", "cloudfront/x",
                               **{**from_cloudfront(capture), "aws:SecureTransport": "false"})


def test_buckets_are_versioned_before_their_lifecycle_applies(stack: str):
    capture = captured(stack)
    for bucket in buckets(capture):
        versioning = on_bucket(capture, VERSIONING, bucket)
        assert versioning.get("versioningConfiguration.status") == "Enabled"
        assert versioning.urn in on_bucket(capture, LIFECYCLE, bucket).dependencies


# --- the grants ------------------------------------------------------------------------------------------------

def test_load_balancer_logs_are_admitted_under_alb_for_this_account_only(stack: str):
    capture = captured(stack)
    bucket = archive_bucket(capture)
    grant = statement(capture, bucket, "LoadBalancerAccessLogsWrite")
    assert grant["Effect"] == "Allow" and grant["Action"] == ["s3:PutObject"]
    assert principals(grant) == {ELB, ELB_SERVICE}
    assert grant["Resource"] == f"{arn(bucket)}/alb/AWSLogs/{ACCOUNT_ID}/*"
    # Neither ELB writer sends source keys: the account's path is the pin.
    assert "Condition" not in grant
    for writer in (ELB, ELB_SERVICE):
        key = f"alb/AWSLogs/{ACCOUNT_ID}/elasticloadbalancing/{region_of(stack)}/2025/01/31/x.log.gz"
        assert verdict(capture, bucket, writer, "s3:PutObject", key)
        assert verdict(capture, bucket, writer, "s3:PutObject", f"alb/AWSLogs/{ACCOUNT_ID}/ELBAccessLogTestFile")
        assert not verdict(capture, bucket, writer, "s3:PutObject", f"alb/AWSLogs/{OTHER_ACCOUNT}/x.log.gz")
        assert not verdict(capture, bucket, writer, "s3:PutObject", f"AWSLogs/{ACCOUNT_ID}/x.log.gz")
        assert not verdict(capture, bucket, writer, "s3:PutObject", "cloudfront/x")


def test_another_accounts_balancer_cannot_nest_its_logs_under_this_accounts_path(stack: str):
    capture = captured(stack)
    bucket = archive_bucket(capture)
    deny = statement(capture, bucket, "DenyForeignLoadBalancerLogsNestedHere")
    assert deny["Effect"] == "Deny" and principals(deny) == {ELB, ELB_SERVICE}
    assert deny["Resource"] == f"{arn(bucket)}/alb/AWSLogs/{ACCOUNT_ID}/*/AWSLogs/*"
    # A foreign balancer configured with the prefix alb/AWSLogs/<this account>/x:
    nested = f"alb/AWSLogs/{ACCOUNT_ID}/x/AWSLogs/{OTHER_ACCOUNT}/elasticloadbalancing/r/2025/01/31/y.log.gz"
    assert not verdict(capture, bucket, ELB, "s3:PutObject", nested)


def test_cloudfront_logs_are_admitted_from_this_distributions_delivery_source_only(stack: str):
    capture = captured(stack)
    bucket = archive_bucket(capture)
    grant = statement(capture, bucket, "CloudFrontStandardLogsWrite")
    assert principals(grant) == {VENDED} and grant["Action"] == ["s3:PutObject"]
    assert grant["Resource"] == f"{arn(bucket)}/cloudfront/*"
    # The ARN the archive pins is the one the delivery source gets, in us-east-1.
    assert delivery_source_arn(capture).startswith(f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:delivery-source:")
    assert grant["Condition"] == {
        "StringEquals": {**OWNER_FULL_CONTROL, "aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": delivery_source_arn(capture)},
    }
    key = "cloudfront/E2QWRUHEXAMPLE/2025/01/31/09/x.gz"
    assert verdict(capture, bucket, VENDED, "s3:PutObject", key, **from_cloudfront(capture))
    other_source = f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:delivery-source:someone-elses"
    for refused in ({"aws:SourceArn": other_source}, {"aws:SourceAccount": OTHER_ACCOUNT},
                    {"s3:x-amz-acl": "private"}):
        assert not verdict(capture, bucket, VENDED, "s3:PutObject", key, **from_cloudfront(capture, **refused))
    assert not verdict(capture, bucket, VENDED, "s3:PutObject", "alb/AWSLogs/x", **from_cloudfront(capture))


def test_images_access_logs_are_admitted_from_the_images_bucket_only(stack: str):
    capture = captured(stack)
    bucket = archive_bucket(capture)
    grant = statement(capture, bucket, "ImagesBucketAccessLogsWrite")
    assert principals(grant) == {S3_LOGGING} and grant["Action"] == ["s3:PutObject"]
    assert grant["Resource"] == f"{arn(bucket)}/s3/images/*"
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                                  "ArnLike": {"aws:SourceArn": IMAGES_ARN}}
    key = f"s3/images/{ACCOUNT_ID}/{region_of(stack)}/{IMAGES_BUCKET}/2025/01/31/x"
    assert verdict(capture, bucket, S3_LOGGING, "s3:PutObject", key, **from_images())
    assert not verdict(capture, bucket, S3_LOGGING, "s3:PutObject", key,
                       **from_images(**{"aws:SourceArn": "arn:aws:s3:::some-other-bucket"}))
    assert not verdict(capture, bucket, S3_LOGGING, "s3:PutObject", key,
                       **from_images(**{"aws:SourceAccount": OTHER_ACCOUNT}))
    assert not verdict(capture, bucket, S3_LOGGING, "s3:PutObject", "cloudtrail/x", **from_images())


def test_the_account_trail_is_admitted_only_where_the_stack_owns_it():
    prd, dev = captured("prd"), captured("dev")
    bucket = archive_bucket(prd)
    check = statement(prd, bucket, "AccountTrailAclCheck")
    assert principals(check) == {CLOUDTRAIL} and check["Action"] == ["s3:GetBucketAcl"]
    assert check["Resource"] == arn(bucket)
    assert check["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn("prd"), "aws:SourceAccount": ACCOUNT_ID}}
    write = statement(prd, bucket, "AccountTrailWrite")
    assert principals(write) == {CLOUDTRAIL} and write["Action"] == ["s3:PutObject"]
    assert write["Resource"] == f"{arn(bucket)}/cloudtrail/AWSLogs/{ACCOUNT_ID}/*"
    assert write["Condition"] == {"StringEquals": {**OWNER_FULL_CONTROL, "aws:SourceArn": trail_arn("prd"),
                                                   "aws:SourceAccount": ACCOUNT_ID}}
    key = f"cloudtrail/AWSLogs/{ACCOUNT_ID}/CloudTrail/ap-northeast-1/2025/01/31/x.json.gz"
    assert verdict(prd, bucket, CLOUDTRAIL, "s3:PutObject", key, **from_trail("prd"))
    other_trail = f"arn:aws:cloudtrail:ap-northeast-1:{ACCOUNT_ID}:trail/another-trail"
    assert not verdict(prd, bucket, CLOUDTRAIL, "s3:PutObject", key, **from_trail("prd", **{
        "aws:SourceArn": other_trail}))
    assert not verdict(prd, bucket, CLOUDTRAIL, "s3:GetBucketAcl", **from_trail("prd", **{
        "aws:SourceArn": other_trail}))
    # dev does not own the account's detection: no trail writes into its archive.
    assert not [s for s in policy_of(dev, archive_bucket(dev)) if ("Service", "cloudtrail.amazonaws.com")
                in principals(s) or s["Sid"].startswith("AccountTrail")]


def test_web_acl_logs_are_admitted_from_this_accounts_us_east_1_log_delivery_only():
    capture = captured("prd")
    bucket = waf_bucket(capture)
    write = statement(capture, bucket, "WebAclLogsWrite")
    assert principals(write) == {VENDED} and write["Action"] == ["s3:PutObject"]
    assert write["Resource"] == f"{arn(bucket)}/AWSLogs/{ACCOUNT_ID}/*"
    source = {"ArnLike": {"aws:SourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:*"}}
    assert write["Condition"] == {"StringEquals": {**OWNER_FULL_CONTROL, "aws:SourceAccount": ACCOUNT_ID}, **source}
    check = statement(capture, bucket, "WebAclLogsAclCheck")
    assert principals(check) == {VENDED} and check["Action"] == ["s3:GetBucketAcl"]
    assert check["Resource"] == arn(bucket)
    assert check["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}, **source}
    key = f"AWSLogs/{ACCOUNT_ID}/WAFLogs/cloudfront/webstack-prd-waf/2025/01/31/09/05/x.log.gz"
    assert verdict(capture, bucket, VENDED, "s3:PutObject", key, **from_waf())
    for refused in ({"aws:SourceArn": f"arn:aws:logs:ap-northeast-1:{ACCOUNT_ID}:delivery:c0ffee"},
                    {"aws:SourceArn": f"arn:aws:logs:us-east-1:{OTHER_ACCOUNT}:delivery:c0ffee"},
                    {"aws:SourceAccount": OTHER_ACCOUNT}, {"s3:x-amz-acl": "private"}):
        assert not verdict(capture, bucket, VENDED, "s3:PutObject", key, **from_waf(**refused))


def test_writers_can_neither_read_list_nor_delete_a_log(stack: str):
    capture = captured(stack)
    contexts = {VENDED: from_cloudfront(capture), S3_LOGGING: from_images(), CLOUDTRAIL: from_trail(stack),
                ELB: {}, ELB_SERVICE: {}}
    for bucket in buckets(capture):
        allowed = [s for s in policy_of(capture, bucket) if s["Effect"] == "Allow"]
        assert allowed, bucket.name
        for s in allowed:
            # Writes, and the bucket-ACL read that CloudTrail and log delivery make before writing: nothing else.
            assert set(s["Action"]) <= {"s3:PutObject", "s3:GetBucketAcl"}, s["Sid"]
            if "s3:GetBucketAcl" in s["Action"]:
                assert s["Action"] == ["s3:GetBucketAcl"] and s["Resource"] == arn(bucket), s["Sid"]
            assert ("*", "*") not in principals(s), s["Sid"]
        for principal, context in contexts.items():
            for action in ("s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl",
                           "s3:BypassGovernanceRetention", "s3:PutLifecycleConfiguration"):
                assert not verdict(capture, bucket, principal, action, "cloudfront/x", **context), (principal, action)
            for action in ("s3:ListBucket", "s3:PutBucketPolicy", "s3:DeleteBucket"):
                assert not verdict(capture, bucket, principal, action, **context), (principal, action)


def test_every_service_grant_but_elbs_is_pinned_to_this_account_and_a_source(stack: str):
    capture = captured(stack)
    # S3 server access logs name their source bucket, whose ARN holds no account: the images and WAF log buckets.
    logged_buckets = {IMAGES_ARN, *(arn(b) for b in buckets(capture) if b.name.startswith("aws-waf-logs-"))}
    for bucket in buckets(capture):
        for s in policy_of(capture, bucket):
            if s["Effect"] != "Allow" or s["Sid"] == "LoadBalancerAccessLogsWrite":
                continue
            keys = {key: value for block in s["Condition"].values() for key, value in block.items()}
            assert keys["aws:SourceAccount"] == ACCOUNT_ID, s["Sid"]
            assert ACCOUNT_ID in keys["aws:SourceArn"] or keys["aws:SourceArn"] in logged_buckets, s["Sid"]


def test_each_writer_has_its_own_prefix(stack: str):
    capture = captured(stack)
    bucket = archive_bucket(capture)
    writes = {s["Sid"]: s["Resource"].removeprefix(arn(bucket) + "/") for s in policy_of(capture, bucket)
              if s["Effect"] == "Allow" and s["Action"] == ["s3:PutObject"]}
    prefixes = {sid: resource.removesuffix("*") for sid, resource in writes.items()}
    for sid, prefix in prefixes.items():
        assert not [other for other, theirs in prefixes.items() if other != sid and theirs.startswith(prefix)], sid
    assert {prefix.split("/")[0] for prefix in prefixes.values()} <= {"alb", "cloudfront", "s3", "cloudtrail"}


def test_switched_off_logs_get_no_grant_and_no_delivery():
    config = LogsConfig(cloudfront=False, waf=False, load_balancer=False, images_bucket=False)
    capture = archive_program("prd", config, web_acl=True, account_trail=False)
    bucket = archive_bucket(capture)
    assert [s["Sid"] for s in policy_of(capture, bucket)] == ["DenyInsecureTransport"]
    assert capture.of_type(SOURCE, DESTINATION, DELIVERY, WAF_LOGGING, BUCKET_LOGGING) == []
    assert capture.outputs["albAccessLogs"] is None


# --- lifecycle, Object Lock, protection --------------------------------------------------------------------------

def lifecycle_rules(capture: Capture, bucket: Resource) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in on_bucket(capture, LIFECYCLE, bucket).get("rules")}


def test_logs_age_and_expire_as_the_stack_says(stack: str):
    config = LogsConfig.model_validate(logs_section(stack))
    capture = captured(stack)
    expected_transitions = [t for t in ({"days": config.infrequent_access_days, "storageClass": "STANDARD_IA"},
                                        {"days": config.glacier_days, "storageClass": "GLACIER_IR"}) if t["days"]]
    for bucket in buckets(capture):
        lifecycle = on_bucket(capture, LIFECYCLE, bucket)
        assert lifecycle.get("transitionDefaultMinimumObjectSize") == "all_storage_classes_128K"
        aging = lifecycle_rules(capture, bucket)["age-and-expire-logs"]
        assert aging["status"] == "Enabled" and aging["filter"] == {}
        assert aging["expiration"] == {"days": config.retention_days}
        assert aging.get("transitions", []) == expected_transitions
        assert aging["noncurrentVersionExpiration"] == {"noncurrentDays": NONCURRENT_VERSION_DAYS}
        assert aging["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
        markers = lifecycle_rules(capture, bucket)["remove-expired-delete-markers"]
        assert markers["expiration"] == {"expiredObjectDeleteMarker": True}


def test_prd_keeps_a_year_moving_to_colder_storage_and_dev_a_month_in_standard():
    prd = lifecycle_rules(captured("prd"), archive_bucket(captured("prd")))["age-and-expire-logs"]
    assert prd["expiration"] == {"days": 365}
    assert [t["storageClass"] for t in prd["transitions"]] == ["STANDARD_IA", "GLACIER_IR"]
    dev = lifecycle_rules(captured("dev"), archive_bucket(captured("dev")))["age-and-expire-logs"]
    assert dev["expiration"] == {"days": 30} and "transitions" not in dev


def test_no_stack_locks_its_archive_by_default(stack: str):
    capture = captured(stack)
    assert capture.of_type(OBJECT_LOCK) == []
    assert all(not b.get("objectLockEnabled") for b in buckets(capture))


def test_object_lock_is_set_at_creation_in_governance_mode_for_the_retention():
    config = LogsConfig.model_validate({**logs_section("prd"), "objectLock": True, "imagesBucket": False})
    capture = archive_program("prd", config, web_acl=True, account_trail=True)
    assert len(buckets(capture)) == 2
    for bucket in buckets(capture):
        assert bucket.get("objectLockEnabled") is True, bucket.name
        lock = on_bucket(capture, OBJECT_LOCK, bucket)
        assert lock.get("rule.defaultRetention") == {"mode": "GOVERNANCE", "days": 365}
        assert on_bucket(capture, VERSIONING, bucket).urn in lock.dependencies


def test_prd_protects_the_archive_and_dev_can_destroy_it():
    for stack, kept in (("prd", True), ("dev", False)):
        capture = captured(stack)
        held = capture.descendants_of(capture.one(ARCHIVE))
        assert held and all(r.protect is kept and r.retain_on_delete is kept for r in held), stack
        assert all(b.get("forceDestroy") is (not kept) for b in buckets(capture)), stack


# --- the deliveries --------------------------------------------------------------------------------------------

def edge_provider(capture: Capture) -> Resource:
    return capture.one("pulumi:providers:aws", where=lambda r: r.name == "edge")


def on_edge(capture: Capture, resource: Resource) -> bool:
    provider = edge_provider(capture)
    return resource.provider == f"{provider.urn}::{provider.id}"


def test_cloudfront_v2_delivery_runs_in_us_east_1_from_the_distribution_to_the_archive(stack: str):
    capture = captured(stack)
    source, destination, delivery = capture.one(SOURCE), capture.one(DESTINATION), capture.one(DELIVERY)
    assert all(on_edge(capture, r) for r in (source, destination, delivery))
    assert source.get("logType") == "ACCESS_LOGS" and source.get("resourceArn") == DISTRIBUTION_ARN
    assert destination.get("deliveryDestinationType") == "S3"
    assert destination.get("deliveryDestinationConfiguration.destinationResourceArn") == \
        f"{arn(archive_bucket(capture))}/cloudfront"
    assert destination.get("outputFormat") == "json"
    assert delivery.get("deliverySourceName") == source.state["name"]
    assert delivery.get("deliveryDestinationArn") == destination.state["arn"]
    assert delivery.get("s3DeliveryConfigurations") == [
        {"suffixPath": "{DistributionId}/{yyyy}/{MM}/{dd}/{HH}", "enableHiveCompatiblePath": False}]
    # CreateDelivery checks that the bucket admits it.
    policy = on_bucket(capture, POLICY, archive_bucket(capture))
    assert policy.urn in delivery.dependencies and policy.urn in destination.dependencies


def test_fixed_delivery_names_are_removed_before_they_are_replaced():
    capture = captured("prd")
    source, destination = capture.one(SOURCE), capture.one(DESTINATION)
    # The archive's grant names the source: its name is fixed, and a replacement may not overlap the old one.
    assert source.get("name") == "webstack-prd-logs-cloudfront"
    assert destination.get("name") == "webstack-prd-logs-cloudfront-s3"
    assert source.delete_before_replace and destination.delete_before_replace


def test_cloudfront_logs_record_no_cookie():
    fields = captured("prd").one(DELIVERY).get("recordFields")
    assert fields == list(CLOUDFRONT_FIELDS)
    assert "cs(Cookie)" not in fields
    assert {"date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status", "x-edge-request-id"} <= set(fields)
    assert len(fields) == len(set(fields))


def test_web_acl_logs_redact_authorization_and_cookie_into_the_waf_bucket():
    capture = captured("prd")
    logging = capture.one(WAF_LOGGING)
    assert on_edge(capture, logging)
    assert logging.get("resourceArn") == WEB_ACL_ARN
    assert logging.get("logDestinationConfigs") == [arn(waf_bucket(capture))]
    assert logging.get("redactedFields") == [{"singleHeader": {"name": "authorization"}},
                                             {"singleHeader": {"name": "cookie"}}]
    # With its grant in place first, WAF does not write a bucket policy of its own.
    assert on_bucket(capture, POLICY, waf_bucket(capture)).urn in logging.dependencies
    assert captured("dev").of_type(WAF_LOGGING) == []


def test_images_bucket_logs_into_the_archive_under_s3_images(stack: str):
    capture = captured(stack)
    logging = capture.one(BUCKET_LOGGING, where=lambda r: r.get("bucket") == IMAGES_BUCKET)
    assert not on_edge(capture, logging)
    assert logging.get("bucket") == IMAGES_BUCKET
    assert logging.get("targetBucket") == archive_bucket(capture).state["bucket"]
    assert logging.get("targetPrefix") == "s3/images/"
    assert logging.get("targetObjectKeyFormat") == {"partitionedPrefix": {"partitionDateSource": "EventTime"}}
    assert on_bucket(capture, POLICY, archive_bucket(capture)).urn in logging.dependencies


def test_the_waf_log_bucket_logs_into_the_archive_unless_the_archive_is_locked():
    capture = captured("prd")
    logging = capture.one(BUCKET_LOGGING, where=lambda r: r.get("bucket") == waf_bucket(capture).state["bucket"])
    assert logging.get("targetBucket") == archive_bucket(capture).state["bucket"]
    assert logging.get("targetPrefix") == "s3/waf-logs/"
    grant = statement(capture, archive_bucket(capture), "WafLogBucketAccessLogsWrite")
    assert grant["Resource"] == f"{arn(archive_bucket(capture))}/s3/waf-logs/*"
    assert grant["Condition"]["ArnLike"] == {"aws:SourceArn": arn(waf_bucket(capture))}
    assert [r for r in captured("dev").of_type(BUCKET_LOGGING) if r.get("bucket").startswith("aws-waf")] == []


def test_the_load_balancer_gets_the_archive_its_prefix_and_what_to_wait_for(stack: str):
    capture = captured(stack)
    bucket = archive_bucket(capture)
    assert capture.outputs["albAccessLogs"] == {"bucket": bucket.state["bucket"], "prefix": "alb", "enabled": True}
    ready = set(capture.outputs["writesReady"])
    assert on_bucket(capture, POLICY, bucket).urn in ready
    assert {on_bucket(capture, t, bucket).urn for t in (PUBLIC_ACCESS_BLOCK, OWNERSHIP, ENCRYPTION)} <= ready


def test_deliveries_belong_to_their_component():
    capture = captured("prd")
    component = capture.one(DELIVERIES)
    assert {r.type for r in capture.children_of(component)} == {SOURCE, DESTINATION, DELIVERY, WAF_LOGGING,
                                                                 BUCKET_LOGGING}
    assert all(r.name.startswith(component.name) for r in capture.children_of(component))
    archive = capture.one(ARCHIVE)
    assert all(r.name.startswith(archive.name) or r.name.startswith(f"aws-waf-logs-{archive.name}")
               for r in capture.descendants_of(archive))


# --- refusals --------------------------------------------------------------------------------------------------

def refusal(program) -> str:
    with pytest.raises(Exception) as raised:
        run_program(program)
    return str(raised.value)


def test_deliveries_refuse_to_leave_an_admitted_log_unconnected():
    def program() -> None:
        archive = LogArchive("webstack-dev-logs", LogArchiveArgs(config=LogsConfig(), region="ap-northeast-1",
                                                                  images_bucket_arn=IMAGES_ARN))
        LogDeliveries("webstack-dev-log-deliveries", LogDeliveriesArgs(
            archive=archive, global_provider=aws.Provider("edge", region="us-east-1")))

    message = refusal(program)
    assert "distribution_arn" in message and "images_bucket" in message and "webstack:logs" in message


def test_deliveries_refuse_edge_logs_without_a_us_east_1_provider():
    def program() -> None:
        archive = LogArchive("webstack-dev-logs", LogArchiveArgs(config=LogsConfig(images_bucket=False),
                                                                  region="ap-northeast-1"))
        LogDeliveries("webstack-dev-log-deliveries", LogDeliveriesArgs(archive=archive,
                                                                       distribution_arn=DISTRIBUTION_ARN))

    assert "global_provider (us-east-1)" in refusal(program)


def test_the_archive_refuses_images_logs_without_the_images_bucket():
    def program() -> None:
        LogArchive("webstack-dev-logs", LogArchiveArgs(config=LogsConfig(), region="ap-northeast-1"))

    assert "images_bucket_arn" in refusal(program)


def test_the_archive_refuses_a_name_its_delivery_names_would_outgrow():
    def program() -> None:
        LogArchive("webstack-" + "x" * 50 + "-logs", LogArchiveArgs(config=LogsConfig(images_bucket=False),
                                                                   region="ap-northeast-1"))

    assert "too long" in refusal(program)


@pytest.mark.parametrize("settings, key, says", [
    ({"objectLock": True}, "objectLock", "set imagesBucket to false"),
    ({"infrequentAccessDays": 10}, "infrequentAccessDays", "30 or more"),
    ({"retentionDays": 45, "infrequentAccessDays": 30}, "infrequentAccessDays", "at least 60"),
    ({"infrequentAccessDays": 30, "glacierDays": 45, "retentionDays": 365}, "glacierDays", "= 60"),
    ({"infrequentAccessDays": 0, "glacierDays": 30, "retentionDays": 90}, "glacierDays", "at least 120"),
    ({"protect": True, "forceDestroy": True}, "forceDestroy", "contradicts protect"),
    ({"retentionDays": 0}, "retentionDays", "greater than or equal to 1"),
])
def test_settings_that_cannot_work_are_refused_naming_the_fix(settings: dict, key: str, says: str):
    with pytest.raises(ValidationError) as raised:
        LogsConfig.model_validate(settings)
    [error] = raised.value.errors()
    assert error["loc"] == (key,)
    assert says in error["msg"]


def test_the_proposed_stack_settings_are_valid_and_json_clean(stack: str):
    section = logs_section(stack)
    assert LogsConfig.model_validate(json.loads(json.dumps(section)))
