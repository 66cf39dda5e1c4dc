"""What each application of the stack may do in AWS: the grants of its task role, one function per service.

The public API only reads; the admin API writes items and originals; the worker reads originals, writes variants,
takes jobs from its own queue, and records variants on an item and nothing else. The stack's permissions boundary
(components/boundary.py) allows the union of these, by the stack's name prefix.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.policy_documents import allow

IMAGE_PREFIX = "images/"
VARIANT_PREFIX = "variants/"
TABLE_READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Scan")
# Every admin write is conditional (the item's version); IAM has no key that could demand the condition.
TABLE_WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
QUEUE_CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility")
# The only attributes the worker's UpdateItem may name: the key, the condition's image_key, and variants.
WORKER_ATTRIBUTES = ("id", "image_key", "variants")

Statement = dict[str, Any]


def objects(bucket_arn: pulumi.Input[str], prefix: str) -> pulumi.Output[str]:
    return pulumi.Output.concat(bucket_arn, f"/{prefix}*")


def public_api(table_arn: pulumi.Input[str], bucket_arn: pulumi.Input[str]) -> list[Statement]:
    return [
        allow("ReadTheCatalogue", TABLE_READ_ACTIONS, table_arn),
        allow("ReadPictures", ("s3:GetObject",), [objects(bucket_arn, IMAGE_PREFIX),
                                                  objects(bucket_arn, VARIANT_PREFIX)]),
    ]


def admin_api(table_arn: pulumi.Input[str], bucket_arn: pulumi.Input[str]) -> list[Statement]:
    return [
        allow("ReadTheCatalogue", TABLE_READ_ACTIONS, table_arn),
        allow("WriteItems", TABLE_WRITE_ACTIONS, table_arn),
        allow("UploadOriginals", ("s3:PutObject",), objects(bucket_arn, IMAGE_PREFIX)),
        # A replaced or deleted item's pictures: its original and the variants made from it.
        allow("RemovePictures", ("s3:DeleteObject",), [objects(bucket_arn, IMAGE_PREFIX),
                                                       objects(bucket_arn, VARIANT_PREFIX)]),
    ]


def worker(table_arn: pulumi.Input[str], bucket_arn: pulumi.Input[str],
           queue_arn: pulumi.Input[str]) -> list[Statement]:
    return [
        allow("ReadOriginals", ("s3:GetObject",), objects(bucket_arn, IMAGE_PREFIX)),
        allow("WriteVariants", ("s3:PutObject",), objects(bucket_arn, VARIANT_PREFIX)),
        allow("TakeJobs", QUEUE_CONSUME_ACTIONS, queue_arn),
        # Fine-grained access as the DynamoDB guide writes it: only these attribute names, and no return value
        # that would hand back the rest of the item.
        allow("RecordVariants", ("dynamodb:UpdateItem",), table_arn,
              **{"ForAllValues:StringEquals": {"dynamodb:Attributes": list(WORKER_ATTRIBUTES)},
                 "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_NEW"]}}),
    ]
