"""Writes the catalogue: items in DynamoDB, their pictures in S3, within the admin task role's permissions
(dynamodb GetItem/Scan/PutItem/UpdateItem/DeleteItem; s3 PutObject on images/*, DeleteObject on images/*
and variants/*).

Every write is conditional. An item's ``version`` (N) counts its writes; an item written before
versions existed counts as version 0. A write names the version it was based on and succeeds only if
the item is still at it, incrementing it in the same request, so two administrators editing the same
item cannot overwrite each other: the second gets a 409 and nothing changes.

The order of the two-store operations makes a failure halfway leave, at worst, an object no item
points to (an orphan under images/ or variants/, harmless but billed), never an item pointing at a
picture that is gone:

- replacing a picture uploads the new object first, then points the item at it (removing the item's
  ``variants``, which were made from the old picture), and only then deletes the old original and its
  variants; if the item changed meanwhile, the new object is deleted again;
- deleting an item deletes the item first, then its objects.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from boto3.session import Session
from botocore.exceptions import BotoCoreError, ClientError

from app.api.catalogue import (
    IMAGE_PREFIX,
    VARIANT_PREFIX,
    aws_clients,
    call_aws,
    id_order,
    image_url_for,
    normalise_price,
    scan_table,
    unavailable,
)
from app.api.errors import ApiError

from .models import AdminItem
from .settings import AdminSettings

log = logging.getLogger("webstack.admin.store")

# Uploads carry up to MAX_IMAGE_BYTES: give S3 longer than a read of the table.
_READ_TIMEOUT_SECONDS = 10.0
_deserializer = TypeDeserializer()


class NotFound(ApiError):
    def __init__(self, item_id: str):
        super().__init__(404, "not_found", f"no item with id {item_id}")


class VersionConflict(ApiError):
    def __init__(self, item_id: str, expected: int, current: int | None):
        now = f"is at version {current}" if current is not None else "has changed"
        super().__init__(
            409,
            "version_conflict",
            f"item {item_id} {now}, not {expected}: someone else saved it first; reload it and try again",
        )
        self.current = current


class AlreadyExists(ApiError):
    def __init__(self, item_id: str):
        super().__init__(409, "already_exists", f"an item with id {item_id} already exists")


def version_of(raw: dict[str, Any]) -> int:
    value = raw.get("version")
    if value is None:
        return 0  # written before versions existed
    try:
        return int(Decimal(value.get("N", "0")))
    except (ArithmeticError, AttributeError, ValueError):
        return 0


def to_admin_item(raw: dict[str, Any]) -> AdminItem:
    data = {name: _deserializer.deserialize(value) for name, value in raw.items()}
    title, description, image_key = data.get("title"), data.get("description"), data.get("image_key")
    return AdminItem(
        id=str(data.get("id", "")),
        title=title if isinstance(title, str) else "",
        description=description if isinstance(description, str) else "",
        price=normalise_price(data.get("price")),
        imageKey=image_key if isinstance(image_key, str) else None,
        imageUrl=image_url_for(image_key),
        version=version_of(raw),
    )


def _version_condition(expected: int) -> tuple[str, dict[str, Any]]:
    values = {":expected": {"N": str(expected)}}
    if expected == 0:
        return "attribute_exists(id) AND (attribute_not_exists(version) OR version = :expected)", values
    return "attribute_exists(id) AND version = :expected", values


def new_item_id() -> str:
    """A fresh id that sorts after the ones made before it: hex milliseconds, then random hex."""
    return f"{int(time.time() * 1000):012x}-{secrets.token_hex(3)}"


def new_image_key(extension: str) -> str:
    # Never reuse a key: the public page and CloudFront cache a picture by its URL for an hour.
    return f"{IMAGE_PREFIX}{secrets.token_hex(16)}.{extension}"


def _object_keys(raw: dict[str, Any]) -> list[str]:
    """The objects an item in DynamoDB JSON points to: its picture under images/, then its variants."""
    keys = []
    image_key = raw.get("image_key", {}).get("S")
    if isinstance(image_key, str) and image_key.startswith(IMAGE_PREFIX):
        keys.append(image_key)
    for entry in raw.get("variants", {}).get("M", {}).get("items", {}).get("L", []):
        key = entry.get("M", {}).get("key", {}).get("S")
        if isinstance(key, str) and key.startswith(VARIANT_PREFIX):
            keys.append(key)
    return keys


@dataclass(frozen=True)
class ItemFields:
    title: str
    description: str
    price: int


class AdminStore:
    def __init__(self, settings: AdminSettings, session: Session | None = None):
        self._dynamodb, self._s3 = aws_clients(settings, session, _READ_TIMEOUT_SECONDS)
        self._table = settings.table_name
        self._bucket = settings.bucket_name

    # Reads

    def list_items(self) -> list[AdminItem]:
        items = (to_admin_item(raw) for raw in scan_table(self._dynamodb, self._table))
        return sorted(items, key=lambda item: id_order(item.id))

    def get_raw(self, item_id: str) -> dict[str, Any] | None:
        response = call_aws(
            "DynamoDB", self._dynamodb.get_item, TableName=self._table, Key={"id": {"S": item_id}}, ConsistentRead=True
        )
        return response.get("Item")

    def get_item(self, item_id: str) -> AdminItem:
        raw = self.get_raw(item_id)
        if raw is None:
            raise NotFound(item_id)
        return to_admin_item(raw)

    # Writes

    def create_item(self, item_id: str, fields: ItemFields) -> AdminItem:
        raw = {
            "id": {"S": item_id},
            "title": {"S": fields.title},
            "description": {"S": fields.description},
            "price": {"N": str(fields.price)},
            "version": {"N": "1"},
        }
        self._conditional_write(
            "PutItem",
            self._dynamodb.put_item,
            lambda _error: AlreadyExists(item_id),
            TableName=self._table,
            Item=raw,
            ConditionExpression="attribute_not_exists(id)",
        )
        return to_admin_item(raw)

    def update_item(self, item_id: str, expected: int, fields: ItemFields) -> AdminItem:
        condition, values = _version_condition(expected)
        response = self._conditional_update(
            item_id,
            expected,
            UpdateExpression="SET title = :title, description = :description, price = :price, version = :next",
            ConditionExpression=condition,
            ExpressionAttributeValues=values
            | {
                ":title": {"S": fields.title},
                ":description": {"S": fields.description},
                ":price": {"N": str(fields.price)},
                ":next": {"N": str(expected + 1)},
            },
            ReturnValues="ALL_NEW",
        )
        return to_admin_item(response["Attributes"])

    def replace_image(self, item_id: str, expected: int, body: bytes, content_type: str, extension: str) -> AdminItem:
        current = self.get_raw(item_id)
        if current is None:
            raise NotFound(item_id)
        if version_of(current) != expected:
            raise VersionConflict(item_id, expected, version_of(current))
        key = new_image_key(extension)
        call_aws(
            "S3",
            self._s3.put_object,
            Bucket=self._bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            # The worker finds the item an uploaded picture belongs to by this.
            Metadata={"item-id": item_id},
        )
        condition, values = _version_condition(expected)
        try:
            response = self._conditional_update(
                item_id,
                expected,
                UpdateExpression="SET image_key = :key, version = :next REMOVE variants",
                ConditionExpression=condition,
                ExpressionAttributeValues=values | {":key": {"S": key}, ":next": {"N": str(expected + 1)}},
                ReturnValues="ALL_OLD",
            )
        except ApiError:
            # Nothing points at the new object: remove it (if this fails too, it stays an orphan).
            self._delete_objects([key], reason="upload superseded")
            raise
        old = response["Attributes"]
        self._delete_objects([stale for stale in _object_keys(old) if stale != key], reason="picture replaced")
        new = {name: value for name, value in old.items() if name != "variants"}
        new["image_key"] = {"S": key}
        new["version"] = {"N": str(expected + 1)}
        return to_admin_item(new)

    def delete_item(self, item_id: str, expected: int) -> None:
        condition, values = _version_condition(expected)
        response = self._conditional_write(
            "DeleteItem",
            self._dynamodb.delete_item,
            lambda error: self._conflict_or_missing(item_id, expected, error),
            TableName=self._table,
            Key={"id": {"S": item_id}},
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        self._delete_objects(_object_keys(response.get("Attributes", {})), reason="item deleted")

    # Helpers

    def _conditional_update(self, item_id: str, expected: int, **request: Any) -> dict[str, Any]:
        return self._conditional_write(
            "UpdateItem",
            self._dynamodb.update_item,
            lambda error: self._conflict_or_missing(item_id, expected, error),
            TableName=self._table,
            Key={"id": {"S": item_id}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **request,
        )

    @staticmethod
    def _conditional_write(
        name: str, operation: Any, on_condition_failure: Callable[[ClientError], ApiError], **request: Any
    ) -> dict[str, Any]:
        """``operation(**request)``: a failed condition raises what ``on_condition_failure`` makes of it, any
        other failure UpstreamUnavailable."""
        try:
            return operation(**request)
        except ClientError as error:
            if _is_condition_failure(error):
                raise on_condition_failure(error) from None
            raise unavailable("DynamoDB", name, error) from None
        except BotoCoreError as error:
            raise unavailable("DynamoDB", name, error) from None

    @staticmethod
    def _conflict_or_missing(item_id: str, expected: int, error: ClientError) -> ApiError:
        # ReturnValuesOnConditionCheckFailure hands back the item as it is: none means it is gone.
        current = error.response.get("Item")
        if not current:
            return NotFound(item_id)
        return VersionConflict(item_id, expected, version_of(current))

    def _delete_objects(self, keys: list[str], reason: str) -> None:
        for key in keys:
            try:
                self._s3.delete_object(Bucket=self._bucket, Key=key)
            except (ClientError, BotoCoreError) as error:
                # The item no longer points here, so the object is an orphan: logged for a clean-up.
                log.warning(
                    "could not delete an object; it stays as an orphan",
                    extra={"fields": {"key": key, "reason": reason, "detail": str(error)}},
                )


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"

