"""SampleCatalogue: the sample items and their pictures from `app/seed/` (the files the local run uses too).

Sample data is disposable: never protected, so switching `webstack:data.seed` off removes it. The pictures are
written once the bucket is private and encrypted and once the worker's queue hears of new originals, so seeded
pictures get their variants like uploaded ones; each carries the `item-id` metadata the worker finds its item by.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from app.seed import image_objects, load_items
from components.migration import from_data_store


@dataclass(frozen=True)
class SampleCatalogueArgs:
    table_name: pulumi.Input[str]
    hash_key: str
    bucket_id: pulumi.Input[str]
    after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the pictures wait for: the bucket's settings and the queue's notification."""


class SampleCatalogue(pulumi.ComponentResource):
    item_ids: list[str]

    def __init__(self, name: str, args: SampleCatalogueArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:seed:SampleCatalogue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.item_ids = []
        # Each item and picture answers to its landed URN under DataStore too (aliases, until every stack has run
        # one `up` with them: components/migration.py).
        for item in load_items():
            item_id = item[args.hash_key]["S"]
            aws.dynamodb.TableItem(f"{name}-item-{item_id}", table_name=args.table_name, hash_key=args.hash_key,
                                   item=json.dumps(item, ensure_ascii=False),
                                   opts=from_data_store(child, aws.dynamodb.TableItem, f"item-{item_id}"))
            self.item_ids.append(item_id)
        for image in image_objects():
            short = image.key.replace("/", "-")
            aws.s3.BucketObjectv2(
                f"{name}-{short}", bucket=args.bucket_id, key=image.key,
                source=pulumi.FileAsset(str(image.path)), content_type=image.content_type, metadata=image.metadata,
                opts=from_data_store(pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
                                     aws.s3.BucketObjectv2, short))
        self.register_outputs({"itemIds": self.item_ids})
