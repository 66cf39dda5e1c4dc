"""Data at rest: S3 buckets (private, encrypted, TLS only) and DynamoDB tables (encrypted; point-in-time recovery and
deletion protection are protection.py's, as waivable rules).

A bucket's protections are separate resources (public-access block, encryption configuration, bucket policy), so
the S3 rules are stack policies: they join each bucket to the resources whose `bucket` input refers to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from .core import (
    MANDATORY,
    allows,
    as_list,
    describe,
    each_known,
    get,
    known,
    principals,
    resource_policy,
    sid,
    stack_policy,
    statements,
)

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION_CONFIGURATIONS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TABLE = "aws:dynamodb/table:Table"

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
ENCRYPTION_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def _bucket_name(bucket: PolicyResource) -> Any:
    return known(bucket.props, "bucket")


def _companions(bucket: PolicyResource, resources: Iterable[PolicyResource], types: Iterable[str]) -> list:
    """Resources of `types` whose `bucket` input is this bucket (by dependency, or by name once it is known)."""
    wanted, name = tuple(types), _bucket_name(bucket)
    found = []
    for resource in resources:
        if resource.resource_type not in wanted:
            continue
        referenced = [r.urn for r in resource.property_dependencies.get("bucket", [])]
        if bucket.urn in referenced or (name and known(resource.props, "bucket") == name):
            found.append(resource)
    return found


def _buckets(args: StackValidationArgs) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in BUCKETS]


def buckets_block_public_access(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(bucket: PolicyResource) -> None:
        blocks = _companions(bucket, args.resources, [PUBLIC_ACCESS_BLOCK])
        if not blocks:
            report_violation(f"Bucket {bucket.name} has no BucketPublicAccessBlock.", bucket.urn)
        for block in blocks:
            off = [flag for flag in PUBLIC_ACCESS_FLAGS if get(block.props, flag) is not True]
            if off:
                report_violation(f"Bucket {bucket.name}: {block.name} leaves {', '.join(off)} off.", block.urn)

    each_known(_buckets(args), judge)


def _encrypts(rules: Any) -> bool:
    return any(get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm") in ENCRYPTION_ALGORITHMS
               for rule in as_list(rules))


def buckets_encrypted(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(bucket: PolicyResource) -> None:
        inline = get(bucket.props, "serverSideEncryptionConfiguration")
        inline_rules = as_list(get(inline, "rules")) + as_list(get(inline, "rule"))
        configurations = _companions(bucket, args.resources, ENCRYPTION_CONFIGURATIONS)
        if not _encrypts(inline_rules) and not any(_encrypts(get(c.props, "rules")) for c in configurations):
            report_violation(f"Bucket {bucket.name} declares no default encryption.", bucket.urn)

    each_known(_buckets(args), judge)


def _denies_insecure_transport(statement: Any) -> bool:
    secure_transport = [str(v).lower() for v in as_list(get(statement, "Condition.Bool.aws:SecureTransport"))]
    actions = [str(a) for a in as_list(statement.get("Action"))]
    return (statement.get("Effect") == "Deny" and secure_transport == ["false"]
            and any(v == "*" for _, v in principals(statement)) and ("s3:*" in actions or "*" in actions))


def buckets_require_tls(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    def judge(bucket: PolicyResource) -> None:
        documents = [get(bucket.props, "policy")] + [
            get(p.props, "policy") for p in _companions(bucket, args.resources, [BUCKET_POLICY])]
        if not any(_denies_insecure_transport(s) for document in documents for s in statements(document)):
            report_violation(f"Bucket {bucket.name} has no policy statement denying requests without TLS.",
                             bucket.urn)

    each_known(_buckets(args), judge)


def bucket_policy_no_public_allow(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for statement in statements(get(args.props, "policy")):
        if allows(statement) and any(v == "*" for _, v in principals(statement)) and not statement.get("Condition"):
            report_violation(f"{describe(args)}: {sid(statement)} allows {statement.get('Action')} to anyone.", None)


def table_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if get(args.props, "serverSideEncryption.enabled") is not True:
        report_violation(f"{describe(args)} is encrypted only with the AWS owned key (serverSideEncryption off).",
                         None)


POLICIES = [
    stack_policy(
        "s3-buckets-block-public-access", buckets_block_public_access, level=MANDATORY,
        description="Every S3 bucket has a public-access block with all four flags on "
                    "(checkov CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56, CKV2_AWS_6).",
        fix="Add aws.s3.BucketPublicAccessBlock(bucket=bucket.id, block_public_acls=True, block_public_policy=True, "
            "ignore_public_acls=True, restrict_public_buckets=True)."),
    stack_policy(
        "s3-buckets-encrypted", buckets_encrypted, level=MANDATORY,
        description="Every S3 bucket declares default encryption (checkov CKV_AWS_19, CKV_AWS_145).",
        fix="Add aws.s3.BucketServerSideEncryptionConfiguration(bucket=bucket.id, rules=[{"
            "\"apply_server_side_encryption_by_default\": {\"sse_algorithm\": \"AES256\"}}])."),
    stack_policy(
        "s3-buckets-require-tls", buckets_require_tls, level=MANDATORY,
        description="Every S3 bucket's policy denies requests without TLS (Security Hub S3.5, AWS Config "
                    "s3-bucket-ssl-requests-only).",
        fix="Add a statement {Effect: Deny, Principal: \"*\", Action: \"s3:*\", Resource: [bucket, bucket/*], "
            "Condition: {Bool: {aws:SecureTransport: \"false\"}}} to the bucket policy."),
    resource_policy(
        "s3-bucket-policy-no-public-allow", bucket_policy_no_public_allow, types=(BUCKET_POLICY, *BUCKETS),
        level=MANDATORY,
        description="Bucket policies allow nothing to every principal without a condition "
                    "(checkov CKV_AWS_70).",
        fix="Grant the one service principal (e.g. cloudfront.amazonaws.com with an AWS:SourceArn condition) or "
            "role that reads the bucket."),
    resource_policy(
        "dynamodb-sse-enabled", table_encrypted, types=(TABLE,), level=MANDATORY,
        description="DynamoDB tables are encrypted with a KMS key (checkov CKV_AWS_119; the AWS managed key is "
                    "accepted).",
        fix="Set server_side_encryption={\"enabled\": True} (optionally with kms_key_arn)."),
]
