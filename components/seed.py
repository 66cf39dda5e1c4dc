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
        for item in load_items():
            item_id = item[args.hash_key]["S"]
            aws.dynamodb.TableItem(f"{name}-item-{item_id}", table_name=args.table_name, hash_key=args.hash_key,
                                   item=json.dumps(item, ensure_ascii=False), opts=child)
            self.item_ids.append(item_id)
        for image in image_objects():
            aws.s3.BucketObjectv2(
                f"{name}-{image.key.replace('/', '-')}", bucket=args.bucket_id, key=image.key,
                source=pulumi.FileAsset(str(image.path)), content_type=image.content_type, metadata=image.metadata,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.after)))
        self.register_outputs({"itemIds": self.item_ids})
