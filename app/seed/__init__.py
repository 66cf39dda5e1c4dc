"""The sample catalogue: three items in DynamoDB JSON (``items.json``) and their pictures (``images/``).

The same files seed the local emulator (``app.local``), the tests and the DataStore component, so the
shape of an item is defined once: ``id`` (S, the hash key), ``title`` (S), ``price`` (S or N — the sample
holds banana's price as a string on purpose; the API normalises both), ``description`` (S),
``image_key`` (S, an object key under ``images/``) and ``version`` (N, 1: the admin API's optimistic
concurrency counter; an item without it counts as version 0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED_DIR = Path(__file__).resolve().parent
ITEMS_FILE = SEED_DIR / "items.json"
IMAGES_DIR = SEED_DIR / "images"
IMAGE_PREFIX = "images/"

_CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


# S3 user metadata (x-amz-meta-item-id) on every original: the worker finds the item a picture belongs to
# by it, having no read access to the table. The admin API sets the same on its uploads.
ITEM_ID_METADATA = "item-id"


@dataclass(frozen=True)
class SeedImage:
    key: str
    path: Path
    content_type: str
    item_id: str | None = None  # the item whose image_key is this picture

    @property
    def metadata(self) -> dict[str, str]:
        """The S3 user metadata to store the picture with (without the x-amz-meta- prefix)."""
        return {ITEM_ID_METADATA: self.item_id} if self.item_id else {}


def load_items(items_file: Path = ITEMS_FILE) -> list[dict[str, Any]]:
    """The seed items in DynamoDB JSON, checked so that a broken seed file fails loudly."""
    items = json.loads(items_file.read_text(encoding="utf-8"))
    if not isinstance(items, list) or not items:
        raise ValueError(f"{items_file}: expected a non-empty JSON list of DynamoDB items")
    for index, item in enumerate(items):
        where = f"{items_file} item {index}"
        if not isinstance(item.get("id"), dict) or not item["id"].get("S"):
            raise ValueError(f'{where}: "id" must be a DynamoDB string, e.g. {{"S": "1"}}')
        image_key = item.get("image_key", {}).get("S", "")
        if not image_key.startswith(IMAGE_PREFIX):
            raise ValueError(f'{where}: "image_key" must be {{"S": "{IMAGE_PREFIX}<file>"}}, got {image_key!r}')
        if not (IMAGES_DIR / image_key.removeprefix(IMAGE_PREFIX)).is_file():
            raise ValueError(f"{where}: image {image_key!r} has no file in {IMAGES_DIR}")
    return items


def image_objects(images_dir: Path = IMAGES_DIR, items_file: Path = ITEMS_FILE) -> list[SeedImage]:
    """The seed pictures as S3 objects under ``images/``, each with the id of the item that shows it."""
    owners = {item["image_key"]["S"]: item["id"]["S"] for item in load_items(items_file)}
    images = []
    for path in sorted(images_dir.iterdir()):
        content_type = _CONTENT_TYPES.get(path.suffix.lower())
        if path.is_file() and content_type:
            key = IMAGE_PREFIX + path.name
            images.append(SeedImage(key=key, path=path, content_type=content_type, item_id=owners.get(key)))
    return images


def seed_catalogue(dynamodb: Any, s3: Any, table_name: str, bucket_name: str) -> None:
    """Write the seed items to ``table_name`` and the pictures to ``bucket_name`` (idempotent).

    ``dynamodb`` and ``s3`` are boto3 clients; the table and bucket must already exist.
    """
    for item in load_items():
        dynamodb.put_item(TableName=table_name, Item=item)
    for image in image_objects():
        s3.put_object(
            Bucket=bucket_name,
            Key=image.key,
            Body=image.path.read_bytes(),
            ContentType=image.content_type,
            Metadata=image.metadata,
        )
