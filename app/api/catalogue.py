"""Reads the catalogue from DynamoDB and the pictures from S3.

Every AWS call has bounded retries (standard mode, ``AWS_MAX_ATTEMPTS`` attempts) and short connect/read
timeouts; whatever still fails becomes ``UpstreamUnavailable`` (a 503), never an unhandled exception.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol, TypeGuard

from boto3.dynamodb.types import TypeDeserializer
from boto3.session import Session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .errors import ApiError, UpstreamUnavailable
from .models import Item, Variant
from .settings import Settings

log = logging.getLogger("webstack.api.catalogue")

IMAGE_PREFIX = "images/"
IMAGE_ROUTE = "/api/images/"
VARIANT_PREFIX = "variants/"
VARIANT_ROUTE = "/api/images/variants/"
# What the worker names a variant, <stem>-<16 hex of the content>-<width>.<webp|jpg>: one file name with one
# dot, so a name can only ever address variants/<name>. Also the path pattern in the OpenAPI document.
VARIANT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}-[0-9a-f]{16}-[1-9][0-9]{0,4}\.(?:webp|jpg)$"
_VARIANT_NAME = re.compile(VARIANT_NAME_PATTERN)
_VARIANT_TYPES: dict[Any, Literal["image/webp", "image/jpeg"]] = {"webp": "image/webp", "jpeg": "image/jpeg"}
# A single file name: no slash, no leading dot, no "..", so a name can only ever address images/<name>.
_IMAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
ITEM_ID_PATTERN = r"^[A-Za-z0-9._~-]{1,128}$"
_ITEM_ID = re.compile(ITEM_ID_PATTERN)
# The image-name rule as the OpenAPI document states it (with maxLength 128): JSON Schema patterns have no
# lookahead, so "no .." is spelt out as "every dot is followed by another character, or ends the name".
IMAGE_NAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9_-]|\.[A-Za-z0-9_-])*\.?$"
_THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "TooManyRequestsException",
    }
)
_CONNECT_TIMEOUT_SECONDS = 1.0
_READ_TIMEOUT_SECONDS = 2.0
_CHUNK_BYTES = 64 * 1024
_deserializer = TypeDeserializer()


def check_item_id(item_id: str) -> str:
    if not _ITEM_ID.fullmatch(item_id):
        raise ApiError(400, "invalid_item_id", "item id must be 1-128 characters of A-Z a-z 0-9 . _ ~ -")
    return item_id


def image_key_for(name: str) -> str:
    """The S3 key for an image name from the URL, or a 400 if the name could reach outside images/."""
    if ".." in name or not _IMAGE_NAME.fullmatch(name):
        raise ApiError(
            400,
            "invalid_image_key",
            "image name must be one file name under images/ (letters, digits, . _ -), e.g. banana.jpg",
        )
    return IMAGE_PREFIX + name


def variant_key_for(name: str) -> str:
    """The S3 key for a variant name from the URL, or a 400 if it is not a name the worker gives."""
    if not _VARIANT_NAME.fullmatch(name):
        raise ApiError(
            400,
            "invalid_image_key",
            "variant name must be <name>-<16 hex>-<width>.webp or .jpg, e.g. banana-0123456789abcdef-640.webp",
        )
    return VARIANT_PREFIX + name


def variants_for(recorded: Any, image_key: Any) -> list[Variant]:
    """The item's variants, if the worker made them from its current picture (``source == image_key``);
    otherwise none, and the page shows the original. Malformed entries are left out."""
    if not isinstance(recorded, dict) or not isinstance(image_key, str) or recorded.get("source") != image_key:
        return []
    variants = []
    for entry in recorded.get("items") or []:
        if not isinstance(entry, dict):
            continue
        key, width, height = entry.get("key"), entry.get("width"), entry.get("height")
        media_type = _VARIANT_TYPES.get(entry.get("format"))
        if not (isinstance(key, str) and key.startswith(VARIANT_PREFIX) and media_type):
            continue
        name = key.removeprefix(VARIANT_PREFIX)
        if not _VARIANT_NAME.fullmatch(name):
            continue
        if not (_is_pixel_count(width) and _is_pixel_count(height)):
            continue
        variants.append(Variant(url=VARIANT_ROUTE + name, width=int(width), height=int(height), type=media_type))
    return sorted(variants, key=lambda variant: (variant.type, variant.width))


def _is_pixel_count(value: Any) -> TypeGuard[Decimal]:
    return isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value() and value >= 1


def image_url_for(key: Any) -> str | None:
    if isinstance(key, str) and key.startswith(IMAGE_PREFIX):
        name = key.removeprefix(IMAGE_PREFIX)
        if ".." not in name and _IMAGE_NAME.fullmatch(name):
            return IMAGE_ROUTE + name
    return None


def normalise_price(value: Any) -> int | float | None:
    """DynamoDB holds prices as numbers (Decimal) or strings; the API sends a number, or null if neither."""
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            return None
    if not isinstance(value, Decimal) or not value.is_finite():
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def id_order(item_id: str) -> tuple[int, int, str]:
    """The sort key of an item list: numeric ids in numeric order ("2" before "10"), then any others by
    their text."""
    if item_id.isascii() and item_id.isdigit():
        return (0, int(item_id), item_id)
    return (1, 0, item_id)


def to_item(raw: dict[str, Any]) -> Item:
    data = {name: _deserializer.deserialize(value) for name, value in raw.items()}
    price = normalise_price(data.get("price"))
    if price is None:
        log.warning("item has no numeric price", extra={"fields": {"itemId": str(data.get("id"))}})
    title, description = data.get("title"), data.get("description")
    return Item(
        id=str(data.get("id", "")),
        title=title if isinstance(title, str) else "",
        price=price,
        description=description if isinstance(description, str) else "",
        imageUrl=image_url_for(data.get("image_key")),
        variants=variants_for(data.get("variants"), data.get("image_key")),
    )


@dataclass(frozen=True)
class Image:
    etag: str | None
    content_type: str
    length: int | None
    last_modified: str | None
    chunks: Iterator[bytes] | None  # None: the client's copy (If-None-Match) is current


def _safe_content_type(content_type: str | None) -> str:
    # Only raster images are served as such: an object uploaded as HTML or SVG must not run as a page
    # on the site's origin.
    if content_type and content_type.startswith("image/") and "svg" not in content_type:
        return content_type
    return "application/octet-stream"


class AwsSettings(Protocol):
    aws_region: str
    aws_max_attempts: int
    aws_endpoint_url: str | None


def aws_clients(
    settings: AwsSettings, session: Session | None, read_timeout: float, **config: Any
) -> tuple[Any, Any]:
    """DynamoDB and S3 clients with bounded retries (standard mode, ``AWS_MAX_ATTEMPTS`` attempts) and a
    short connect timeout; ``config`` adds botocore Config options."""
    session = session or Session()
    shared = Config(
        region_name=settings.aws_region,
        retries={"mode": "standard", "total_max_attempts": settings.aws_max_attempts},
        connect_timeout=_CONNECT_TIMEOUT_SECONDS,
        read_timeout=read_timeout,
        # An emulator answers on one host:port, so buckets go in the path there.
        s3={"addressing_style": "path"} if settings.aws_endpoint_url else None,
        **config,
    )
    return (
        session.client("dynamodb", endpoint_url=settings.aws_endpoint_url, config=shared),
        session.client("s3", endpoint_url=settings.aws_endpoint_url, config=shared),
    )


def scan_table(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Every item of ``table`` in DynamoDB JSON, page after page."""
    request: dict[str, Any] = {"TableName": table}
    items: list[dict[str, Any]] = []
    while True:
        page = call_aws("DynamoDB", dynamodb.scan, **request)
        items.extend(page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def call_aws(service: str, operation: Any, **request: Any) -> dict[str, Any]:
    """``operation(**request)``, or UpstreamUnavailable once its retries are spent."""
    try:
        return operation(**request)
    except (ClientError, BotoCoreError) as error:
        raise unavailable(service, operation.__name__, error) from None


def unavailable(service: str, operation: str, error: Exception) -> UpstreamUnavailable:
    """The 503 for an AWS call that failed after its retries, logged with the AWS error."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        reason = "throttled" if code in _THROTTLING_CODES else "request failed"
    else:
        code, reason = type(error).__name__, "unreachable"
    log.warning(
        "AWS call failed after retries",
        extra={"fields": {"service": service, "operation": operation, "awsError": code, "detail": str(error)}},
    )
    return UpstreamUnavailable(service, reason)


class Catalogue:
    def __init__(self, settings: Settings, session: Session | None = None):
        self._dynamodb, self._s3 = aws_clients(settings, session, _READ_TIMEOUT_SECONDS, max_pool_connections=64)
        self._table = settings.table_name
        self._bucket = settings.bucket_name
        self._cache_seconds = settings.items_cache_seconds
        self._snapshot: tuple[float, list[Item]] | None = None
        self._refresh_lock = threading.Lock()

    def cached_items(self) -> list[Item] | None:
        """The items of a scan younger than ``items_cache_seconds``, or None; never calls AWS."""
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() < snapshot[0]:
            return snapshot[1]
        return None

    def list_items(self) -> list[Item]:
        """Every item, sorted by id; one scan serves all requests for ``items_cache_seconds``."""
        cached = self.cached_items()
        if cached is not None:
            return cached
        with self._refresh_lock:  # one scan at a time; the others wait and reuse its result
            snapshot = self._snapshot
            if snapshot is not None and time.monotonic() < snapshot[0]:
                return snapshot[1]
            items = sorted(
                (to_item(raw) for raw in scan_table(self._dynamodb, self._table)), key=lambda item: id_order(item.id)
            )
            if self._cache_seconds > 0:
                self._snapshot = (time.monotonic() + self._cache_seconds, items)
            return items

    def get_item(self, item_id: str) -> Item | None:
        response = call_aws("DynamoDB", self._dynamodb.get_item, TableName=self._table, Key={"id": {"S": item_id}})
        raw = response.get("Item")
        return to_item(raw) if raw else None

    def check_ready(self) -> None:
        # GetItem of a key that does not exist: proves the table is reachable with the task role's read
        # permissions, costs half a read unit, and needs no extra IAM action.
        call_aws("DynamoDB", self._dynamodb.get_item, TableName=self._table, Key={"id": {"S": "__readyz__"}})

    def get_image(self, key: str, if_none_match: str | None) -> Image:
        request: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if if_none_match:
            request["IfNoneMatch"] = if_none_match
        try:
            response = self._s3.get_object(**request)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = error.response.get("Error", {}).get("Code")
            if status == 304 or code in ("304", "NotModified"):
                headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
                etag = headers.get("etag") or if_none_match
                return Image(etag=etag, content_type="", length=None, last_modified=None, chunks=None)
            if code in ("NoSuchKey", "404", "AccessDenied", "403"):
                # Without s3:ListBucket, S3 answers AccessDenied for a key that does not exist.
                if code in ("AccessDenied", "403"):
                    log.warning("S3 denied reading an image", extra={"fields": {"key": key}})
                raise ApiError(404, "not_found", f"no image {key}") from None
            raise unavailable("S3", "GetObject", error) from None
        except BotoCoreError as error:
            raise unavailable("S3", "GetObject", error) from None
        last_modified = response.get("LastModified")
        return Image(
            etag=response.get("ETag"),
            content_type=_safe_content_type(response.get("ContentType")),
            length=response.get("ContentLength"),
            last_modified=last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT") if last_modified else None,
            chunks=_stream(response["Body"]),
        )


def _stream(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(_CHUNK_BYTES)
    finally:
        body.close()
