"""DataStore: the catalogue table in DynamoDB and the bucket holding the item pictures.

Table: on-demand, hash key `id` (string), point-in-time recovery, encrypted with the AWS managed KMS key.
Bucket: a PrivateBucket (components/buckets.py: no public access, ACLs disabled, SSE-S3, TLS only). Versioning per
stack; old versions expire after `noncurrentVersionDays`.

A protected stack (`protect: true`) marks the table, the bucket and the bucket's security settings `protect`
and `retainOnDelete`: `pulumi destroy` stops before touching them, and dropping them from the program leaves them
in AWS. The sample catalogue is SampleCatalogue's (components/seed.py).
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.buckets import PrivateBucket
from stack_config.data import DataConfig

HASH_KEY = "id"


@dataclass(frozen=True)
class DataStoreArgs:
    config: DataConfig


class DataStore(pulumi.ComponentResource):
    table_name: pulumi.Output[str]
    table_arn: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    hash_key: str
    bucket_ready: list[pulumi.Resource]
    """What objects written into the bucket wait for: it is private and encrypted before they arrive."""

    def __init__(self, name: str, args: DataStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:data:DataStore", name, None, opts)
        config = args.config
        kept = pulumi.ResourceOptions(parent=self, protect=config.protect, retain_on_delete=config.protect)

        table = aws.dynamodb.Table(
            f"{name}-items", billing_mode="PAY_PER_REQUEST", hash_key=HASH_KEY,
            attributes=[{"name": HASH_KEY, "type": "S"}],
            server_side_encryption={"enabled": True}, point_in_time_recovery={"enabled": True},
            deletion_protection_enabled=config.deletion_protection, tags={"Name": f"{name}-items"}, opts=kept)

        images = PrivateBucket.create(f"{name}-images", force_destroy=config.force_destroy, opts=kept)
        images.policy()
        bucket = images.bucket
        # "Suspended" rather than absent: switching versioning off later must be a change, not a deletion.
        versioning = aws.s3.BucketVersioning(
            f"{name}-images-versioning", bucket=bucket.id,
            versioning_configuration={"status": "Enabled" if config.versioning else "Suspended"}, opts=kept)
        self._lifecycle(name, bucket, versioning, config, kept)

        self.bucket_ready = images.settings
        self.table_name = table.name
        self.table_arn = table.arn
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.hash_key = HASH_KEY
        self.register_outputs({"tableName": self.table_name, "tableArn": self.table_arn,
                               "bucketName": self.bucket_name, "bucketArn": self.bucket_arn})

    @staticmethod
    def _lifecycle(name: str, bucket: aws.s3.Bucket, versioning: aws.s3.BucketVersioning, config: DataConfig,
                   kept: pulumi.ResourceOptions) -> None:
        rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            {"id": "abort-incomplete-uploads", "status": "Enabled", "filter": {},
             "abort_incomplete_multipart_upload": {"days_after_initiation": 7}}]
        if config.versioning:
            rules.append({"id": "expire-noncurrent-versions", "status": "Enabled", "filter": {},
                          "noncurrent_version_expiration": {"noncurrent_days": config.noncurrent_version_days},
                          "expiration": {"expired_object_delete_marker": True}})
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-images-lifecycle", bucket=bucket.id, rules=rules,
            # Noncurrent-version rules presuppose the versioning state: set it first.
            opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[versioning])))
