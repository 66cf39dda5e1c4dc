"""S3: CreateBucket and the bucket's configuration calls, PutObject.

The model leaves bucket names, object keys, lifecycle days and policy sizes to the S3 User Guide, which the rules
cite. Bucket names Pulumi generates are the logical name, "-" and 7 hex characters, lowercased, within 63.

Object Lock (PutObjectLockConfiguration): the model gives the mode's enumeration and says in words what a bucket
default needs, a mode and one period, in days or in years, never both; its periods are plain integers, whole and
positive (a period of no days is none).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from .fields import DOCUMENT, NAME, VALUE, AutoName, Request, Rule, Tagging, at_most, between, compact_json, fields

GUIDE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide"
API = "https://docs.aws.amazon.com/AmazonS3/latest/API"
NAMING_RULES = f"{GUIDE}/bucketnamingrules.html"

RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _bucket_name_problem(name: Any) -> str | None:
    text = str(name)
    if not 3 <= len(text) <= 63:
        return f"{text!r} is {len(text)} characters; bucket names are 3 to 63"
    if any(not (c.islower() or c.isdigit() or c in ".-") or not c.isascii() for c in text):
        return f"{text!r} has characters other than lowercase letters, digits, dots and hyphens"
    if not (text[0].isalnum() and text[-1].isalnum()):
        return f"{text!r} must begin and end with a letter or a digit"
    if ".." in text:
        return f"{text!r} has two adjacent periods"
    try:
        ipaddress.IPv4Address(text)
        return f"{text!r} is formatted as an IP address"
    except ValueError:
        pass
    prefix = next((p for p in RESERVED_PREFIXES if text.startswith(p)), None)
    suffix = next((s for s in RESERVED_SUFFIXES if text.endswith(s)), None)
    if prefix or suffix:
        return f"{text!r} uses the reserved {'prefix ' + prefix if prefix else 'suffix ' + str(suffix)}"
    return None


def _default_retention_problem(value: Any) -> str | None:
    """A bucket's default retention: a mode and a period."""
    if not isinstance(value, Mapping):
        return f"{value!r} is not a default retention (a mode with days or years)"
    missing = [part for part in ("mode",) if value.get(part) is None]
    if value.get("days") is None and value.get("years") is None:
        missing.append("days or years")
    return f"no {' and no '.join(missing)}: a default retention needs both a mode and a period" if missing else None


def _one_period_problem(value: Any) -> str | None:
    both = isinstance(value, Mapping) and value.get("days") is not None and value.get("years") is not None
    return "both days and years are set; a default retention takes one of them" if both else None


METADATA_BYTES = 2 * 1024


def _metadata_problem(value: Any) -> str | None:
    """User-defined metadata travels as x-amz-meta-* headers, keys and values 2 KB together."""
    size = sum(len(f"x-amz-meta-{key}".encode()) + len(str(item).encode()) for key, item in value.items()) \
        if isinstance(value, Mapping) else 0
    return None if size <= METADATA_BYTES else f"{size:,} bytes of metadata, more than the {METADATA_BYTES:,} allowed"


BUCKET_NAME = (Rule(_bucket_name_problem, f"{NAMING_RULES} (general purpose bucket naming rules)"),)
DAYS = (between(1, 2_147_483_647, f"{API}/API_LifecycleExpiration.html Days",
                quote="The value must be a non-zero positive integer"),)
TAG_LIMITS = (at_most(128, f"{GUIDE}/tagging-managing.html (tag keys up to 128 Unicode characters)"),)
TAG_VALUE_LIMITS = (at_most(256, f"{GUIDE}/tagging-managing.html (tag values up to 256 Unicode characters)"),)
BUCKET_TAGS = Tagging("s3", "ObjectKey", "Value", max_tags=50, rules=TAG_LIMITS, value_rules=TAG_VALUE_LIMITS)
# An object carries at most 10 tags (S3 User Guide, categorizing your objects using tags).
OBJECT_TAGS = Tagging("s3", "ObjectKey", "Value", max_tags=10, rules=TAG_LIMITS, value_rules=TAG_VALUE_LIMITS)

DEFAULT_RETENTION = f"{API}/API_DefaultRetention.html"
# A whole number (the model's Integer) of at least one: the guide's default retention period is a duration.
RETENTION_PERIOD = f"{GUIDE}/object-lock.html (a default retention period is a duration, in either days or years)"

# Every bucket setting and object names its bucket: a reference to the bucket judged above.
ON_A_BUCKET = ("bucket",)

REQUESTS = {
    "aws:s3/bucket:Bucket": Request((
        *fields("s3", NAME, ("bucket", "CreateBucket.Bucket", {"rules": BUCKET_NAME,
                                                               "autoname": AutoName(63, lowercase=True)})),
        *fields("s3", VALUE, ("objectLockEnabled", "CreateBucket.ObjectLockEnabledForBucket")),
    ), tags=BUCKET_TAGS, unchecked=("forceDestroy",)),
    "aws:s3/bucketPolicy:BucketPolicy": Request(fields("s3", DOCUMENT, ("policy", "PutBucketPolicy.Policy", {
        "to_api": compact_json, "rules": (at_most(
            20 * 1024, f"{GUIDE}/add-bucket-policy.html (bucket policies are limited to 20 KB in size)",
            unit="bytes", measure=lambda text: len(text.encode())),)})), unchecked=ON_A_BUCKET),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Request(fields(
        "s3", VALUE, *((key, f"PublicAccessBlockConfiguration.{key[0].upper()}{key[1:]}") for key in (
            "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))),
        unchecked=ON_A_BUCKET),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Request(fields(
        "s3", VALUE, ("rule.objectOwnership", "OwnershipControlsRule.ObjectOwnership")), unchecked=ON_A_BUCKET),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Request(fields(
        "s3", VALUE, ("rules[].applyServerSideEncryptionByDefault.sseAlgorithm",
                      "ServerSideEncryptionByDefault.SSEAlgorithm"),
        ("rules[].bucketKeyEnabled", "ServerSideEncryptionRule.BucketKeyEnabled")), unchecked=ON_A_BUCKET),
    "aws:s3/bucketVersioning:BucketVersioning": Request(fields(
        "s3", VALUE, ("versioningConfiguration.status", "VersioningConfiguration.Status")), unchecked=ON_A_BUCKET),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Request(fields(
        "s3", VALUE,
        ("transitionDefaultMinimumObjectSize", "PutBucketLifecycleConfiguration.TransitionDefaultMinimumObjectSize"),
        ("rules[].id", "LifecycleRule.ID", {"rules": (at_most(255, f"{API}/API_LifecycleRule.html ID",
                                                               quote="cannot be longer than 255 characters"),)}),
        ("rules[].status", "LifecycleRule.Status"),
        # An empty filter is every object of the bucket; a prefix narrows it.
        ("rules[].filter.prefix", "LifecycleRuleFilter.Prefix"),
        ("rules[].transitions[].days", "Transition.Days", {"rules": (between(
            0, 2_147_483_647, f"{API}/API_Transition.html Days",
            quote="The value can be 0 or any positive integer"),)}),
        ("rules[].transitions[].storageClass", "Transition.StorageClass"),
        ("rules[].expiration.days", "LifecycleExpiration.Days", {"rules": DAYS}),
        ("rules[].expiration.expiredObjectDeleteMarker", "LifecycleExpiration.ExpiredObjectDeleteMarker"),
        ("rules[].noncurrentVersionExpiration.noncurrentDays", "NoncurrentVersionExpiration.NoncurrentDays",
         {"rules": (between(1, 2_147_483_647, f"{API}/API_NoncurrentVersionExpiration.html NoncurrentDays",
                            quote="The value must be a non-zero positive integer"),)}),
        ("rules[].abortIncompleteMultipartUpload.daysAfterInitiation",
         "AbortIncompleteMultipartUpload.DaysAfterInitiation",
         {"rules": (between(1, 2_147_483_647, f"{API}/API_AbortIncompleteMultipartUpload.html "
                                              "DaysAfterInitiation"),)})), unchecked=ON_A_BUCKET),
    "aws:s3/bucketLogging:BucketLogging": Request(fields(
        "s3", VALUE, ("targetPrefix", "LoggingEnabled.TargetPrefix"),
        ("targetObjectKeyFormat.partitionedPrefix.partitionDateSource", "PartitionedPrefix.PartitionDateSource")),
        unchecked=(*ON_A_BUCKET, "targetBucket")),
    "aws:s3/bucketNotification:BucketNotification": Request(fields(
        "s3", VALUE, ("queues[].events", "QueueConfiguration.Events"),
        ("queues[].filterPrefix", "FilterRule.Value")), unchecked=(*ON_A_BUCKET, "queues")),
    "aws:s3/bucketObjectv2:BucketObjectv2": Request(fields(
        "s3", VALUE, ("key", "PutObject.Key", {"rules": (at_most(
            1024, f"{GUIDE}/object-keys.html (an object key is up to 1,024 bytes of UTF-8)", unit="bytes",
            measure=lambda text: len(text.encode())),)}),
        ("contentType", "PutObject.ContentType"), ("cacheControl", "PutObject.CacheControl"),
        ("metadata", "PutObject.Metadata", {"rules": (Rule(
            _metadata_problem, f"{GUIDE}/UsingMetadata.html (user-defined metadata is limited to 2 KB)"),)})),
        tags=OBJECT_TAGS,
        # The object's body: a file the provider uploads, or text.
        unchecked=(*ON_A_BUCKET, "source", "content")),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": Request(fields(
        "s3", VALUE, ("objectLockEnabled", "ObjectLockConfiguration.ObjectLockEnabled"),
        # Judged as a whole, the member of ObjectLockRule it becomes (its parts go to DefaultRetention below).
        ("rule.defaultRetention", "ObjectLockRule.DefaultRetention", {"model": False, "rules": (
            Rule(_default_retention_problem, f"{DEFAULT_RETENTION} (Mode, Days, Years)",
                 quote="The DefaultRetention settings require both a mode and a period."),
            Rule(_one_period_problem, f"{DEFAULT_RETENTION} (Mode, Days, Years)",
                 quote="You cannot specify Days and Years at the same time."))}),
        ("rule.defaultRetention.mode", "DefaultRetention.Mode"),
        ("rule.defaultRetention.days", "DefaultRetention.Days", {"rules": (
            between(1, 2_147_483_647, f"{DEFAULT_RETENTION} Days; {RETENTION_PERIOD}"),)}),
        ("rule.defaultRetention.years", "DefaultRetention.Years", {"rules": (
            between(1, 2_147_483_647, f"{DEFAULT_RETENTION} Years; {RETENTION_PERIOD}"),)})),
        # The bucket the lock applies to, created with Object Lock on (components/buckets.py).
        unchecked=ON_A_BUCKET),
}
