"""Private S3 buckets: the settings every webstack bucket shares, declared in one place.

Private by every switch S3 has — all four public-access-block flags, ACLs disabled by bucket-owner-enforced
ownership — and encrypted by default with SSE-S3. Every bucket policy denies requests made without TLS. SSE-S3
rather than SSE-KMS: ALB log delivery accepts nothing else, CloudFront's Origin Access Control would need a key
policy for SSE-KMS objects, and the images are read only through one task role, so a key would narrow nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.policy_documents import deny_insecure_transport, document


@dataclass(frozen=True)
class PrivateBucket:
    name: str
    bucket: aws.s3.Bucket
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    opts: pulumi.ResourceOptions

    @classmethod
    def create(cls, name: str, *, force_destroy: bool, opts: pulumi.ResourceOptions,
               object_lock: bool = False) -> "PrivateBucket":
        # S3 enables Object Lock only when it creates a bucket, so it is a creation argument (components/logs.py).
        bucket = aws.s3.Bucket(name, force_destroy=force_destroy, object_lock_enabled=True if object_lock else None,
                               tags={"Name": name}, opts=opts)
        return cls(
            name=name, bucket=bucket, opts=opts,
            public_access_block=aws.s3.BucketPublicAccessBlock(
                f"{name}-public-access", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                ignore_public_acls=True, restrict_public_buckets=True, opts=opts),
            ownership=aws.s3.BucketOwnershipControls(
                f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=opts),
            encryption=aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-encryption", bucket=bucket.id,
                rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}], opts=opts),
        )

    @property
    def settings(self) -> list[pulumi.Resource]:
        """What objects written into the bucket wait for: it is private and encrypted before they arrive."""
        return [self.public_access_block, self.ownership, self.encryption]

    def policy(self, statements: Sequence[dict[str, Any]] = ()) -> aws.s3.BucketPolicy:
        """The bucket's one policy: `statements`, and a deny of every request made without TLS."""
        insecure = deny_insecure_transport("s3:*", [self.bucket.arn, pulumi.Output.concat(self.bucket.arn, "/*")])
        return aws.s3.BucketPolicy(
            f"{self.name}-policy", bucket=self.bucket.id,
            policy=pulumi.Output.json_dumps(document(*statements, insecure)),
            # With the public-access block in place first, S3 judges this policy against it from the start.
            opts=pulumi.ResourceOptions.merge(self.opts, pulumi.ResourceOptions(depends_on=[self.public_access_block])))
