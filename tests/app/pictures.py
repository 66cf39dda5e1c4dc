"""Helpers for the worker tests: pictures made on the fly (with the metadata a phone writes), a scratch
"stack" in the emulator (table, bucket, queue with its dead-letter queue, the bucket notification), and
readers of the metadata a JPEG or WebP file carries."""

from __future__ import annotations

import io
import struct
import uuid
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageCms

from app.local import LOCAL_REGION, create_variant_queue
from app.worker.settings import WorkerSettings

RED, BLUE = (220, 20, 20), (20, 20, 220)
# Strings a phone writes into EXIF and XMP, looked for in every variant's bytes.
CAMERA_MAKE, CAMERA_MODEL, XMP_SECRET = "PhoneMakerCo", "Model-X-Secret", "xmp-creator-secret"
GPS = {1: "N", 2: (35.0, 39.0, 31.0), 3: "E", 4: (139.0, 44.0, 28.0)}


def photo(
    width: int,
    height: int,
    *,
    orientation: int | None = None,
    phone_metadata: bool = False,
    icc: bytes | None = None,
    fmt: str = "JPEG",
    quality: int = 85,
) -> bytes:
    """A picture whose left half is red and right half blue, so a rotation shows in the pixels."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    options: dict[str, Any] = {}
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if phone_metadata:
        exif[0x010F] = CAMERA_MAKE
        exif[0x0110] = CAMERA_MODEL
        exif[0x8825] = GPS
        description = f"<rdf:Description>{XMP_SECRET}</rdf:Description>"
        options["xmp"] = f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{description}</x:xmpmeta>'.encode()
    if len(exif):
        options["exif"] = exif
    if icc is not None:
        options["icc_profile"] = icc
    if fmt == "JPEG":
        options["quality"] = quality
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def swapped_primaries_profile() -> bytes:
    """An ICC v2 RGB profile whose red primary is sRGB's green and whose green is sRGB's red (linear
    curves): a pure red pixel tagged with it is green on screen. A colour space no browser would guess."""

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    text = b"swapped primaries\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    linear = b"curv\0\0\0\0" + struct.pack(">I", 0)
    # sRGB's colorants, adapted to D50 (the profile connection space), as in every sRGB profile.
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(*green)),
        (b"gXYZ", xyz(*red)),
        (b"bXYZ", xyz(*blue)),
        (b"rTRC", linear),
        (b"gTRC", linear),
        (b"bTRC", linear),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " + b"\0" * 12
        + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small, valid JPEG whose frame header claims ``width`` x ``height``: what a decompression bomb
    looks like to a decoder before it allocates the frame."""
    data = bytearray(photo(16, 16))
    marker = data.index(b"\xff\xc0")  # baseline frame header: length(2) precision(1) height(2) width(2)
    struct.pack_into(">HH", data, marker + 5, height, width)
    return bytes(data)


def metadata_segments(data: bytes) -> list[str]:
    """Names of the metadata a JPEG or WebP file carries: JPEG APPn/COM segments other than the JFIF
    header, WebP EXIF/XMP/ICCP chunks. An empty list means: pixels only."""
    found: list[str] = []
    if data[:2] == b"\xff\xd8":
        position = 2
        while position + 4 <= len(data):
            assert data[position] == 0xFF, f"not a marker at {position}"
            marker = data[position + 1]
            if marker == 0xDA:  # start of scan: the headers are over
                break
            length = struct.unpack(">H", data[position + 2 : position + 4])[0]
            segment = data[position + 4 : position + 2 + length]
            if 0xE0 <= marker <= 0xEF and not (marker == 0xE0 and segment.startswith(b"JFIF\0")):
                found.append(f"APP{marker - 0xE0}:{segment[:12]!r}")
            elif marker == 0xFE:
                found.append("COM")
            position += 2 + length
        return found
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", "neither JPEG nor WebP"
    position = 12
    while position + 8 <= len(data):
        tag = data[position : position + 4].decode("latin-1")
        size = struct.unpack("<I", data[position + 4 : position + 8])[0]
        if tag in ("EXIF", "XMP ", "ICCP"):
            found.append(tag)
        position += 8 + size + (size & 1)
    return found


_CLIENTS: dict[str, dict[str, Any]] = {}


def _clients(endpoint_url: str, session: Any) -> dict[str, Any]:
    # Made once per emulator: creating boto3 clients is most of the cost of a scratch stack.
    if endpoint_url not in _CLIENTS:
        _CLIENTS[endpoint_url] = {
            name: session.client(name, endpoint_url=endpoint_url) for name in ("s3", "dynamodb", "sqs")
        }
    return _CLIENTS[endpoint_url]


@dataclass
class Stack:
    """A table, bucket, queue and dead-letter queue of its own in the session's emulator, wired as on AWS."""

    endpoint_url: str
    table: str
    bucket: str
    queue_url: str
    dlq_url: str
    clients: dict[str, Any]

    @classmethod
    def create(cls, endpoint_url: str, session: Any, max_receive_count: int = 2) -> Stack:
        suffix = uuid.uuid4().hex[:10]
        clients = _clients(endpoint_url, session)
        table, bucket = f"worker-items-{suffix}", f"worker-images-{suffix}"
        clients["dynamodb"].create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        clients["s3"].create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": LOCAL_REGION})
        queue_url, dlq_url = create_variant_queue(
            endpoint_url, bucket, f"worker-jobs-{suffix}", max_receive_count, session=session
        )
        return cls(endpoint_url, table, bucket, queue_url, dlq_url, clients)

    def settings(self, **overrides: Any) -> WorkerSettings:
        values: dict[str, Any] = {
            "queue_url": self.queue_url,
            "table_name": self.table,
            "bucket_name": self.bucket,
            "aws_region": LOCAL_REGION,
            "aws_endpoint_url": self.endpoint_url,
            "receive_wait_seconds": 0,
            "retry_delay_seconds": 0,
            "pending_grace_seconds": 0,
            "health_port": 0,
        }
        return WorkerSettings(**(values | overrides))

    def put_item(self, item_id: str, image_key: str, version: int = 1) -> None:
        self.clients["dynamodb"].put_item(
            TableName=self.table,
            Item={
                "id": {"S": item_id},
                "title": {"S": f"item {item_id}"},
                "price": {"N": "120"},
                "description": {"S": "from a test"},
                "image_key": {"S": image_key},
                "version": {"N": str(version)},
            },
        )

    def point_item_at(self, item_id: str, image_key: str) -> None:
        """What the admin API does after an upload: the item shows the new picture, its variants go."""
        self.clients["dynamodb"].update_item(
            TableName=self.table,
            Key={"id": {"S": item_id}},
            UpdateExpression="SET image_key = :key, version = version + :one REMOVE variants",
            ExpressionAttributeValues={":key": {"S": image_key}, ":one": {"N": "1"}},
        )

    def upload(self, key: str, data: bytes, item_id: str | None) -> str:
        response = self.clients["s3"].put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType="image/jpeg",
            Metadata={"item-id": item_id} if item_id else {},
        )
        return response["ETag"]

    def item(self, item_id: str) -> dict[str, Any]:
        return self.clients["dynamodb"].get_item(TableName=self.table, Key={"id": {"S": item_id}}, ConsistentRead=True)[
            "Item"
        ]

    def variant_keys(self) -> list[str]:
        listing = self.clients["s3"].list_objects_v2(Bucket=self.bucket, Prefix="variants/")
        return sorted(entry["Key"] for entry in listing.get("Contents", []))

    def messages(self, queue_url: str) -> tuple[int, int]:
        """(visible, in flight) messages of a queue."""
        attributes = self.clients["sqs"].get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def dead_letters(self) -> list[str]:
        """Bodies of the messages in the dead-letter queue (received once, then made visible again)."""
        response = self.clients["sqs"].receive_message(
            QueueUrl=self.dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0
        )
        return [message["Body"] for message in response.get("Messages", [])]


def drain(worker: Any, polls: int = 30) -> int:
    """Lets ``worker`` handle jobs until the queue answers empty; the number of messages handled."""
    handled = 0
    for _ in range(polls):
        received = worker.poll_once(wait_seconds=0)
        if received == 0:
            return handled
        handled += received
    raise AssertionError(f"the queue still held jobs after {polls} receives")
