"""What an uploaded picture must be: one of three raster types, no larger than the limit, and starting
with the signature of the type it claims (so an HTML page or an SVG cannot be stored as a "picture")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.api.errors import ApiError


@dataclass(frozen=True)
class ImageType:
    media_type: str
    extension: str
    name: str

    def matches(self, data: bytes) -> bool:
        if self.media_type == "image/jpeg":
            return data[:3] == b"\xff\xd8\xff"
        if self.media_type == "image/png":
            return data[:8] == b"\x89PNG\r\n\x1a\n"
        return len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP"


IMAGE_TYPES = {
    image.media_type: image
    for image in (
        ImageType("image/jpeg", "jpg", "JPEG"),
        ImageType("image/png", "png", "PNG"),
        ImageType("image/webp", "webp", "WebP"),
    )
}


def image_type_for(content_type: str | None) -> ImageType:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    image = IMAGE_TYPES.get(media_type)
    if image is None:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type must be one of {', '.join(IMAGE_TYPES)}, got {media_type or 'none'}",
        )
    return image


def too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"the picture is larger than {limit} bytes ({limit // (1024 * 1024)} MiB)")


def check_declared_length(content_length: str | None, limit: int) -> None:
    """Refuses a body that announces itself too large before a byte of it is read."""
    if content_length is not None and content_length.strip().isdigit() and int(content_length) > limit:
        raise too_large(limit)


async def read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The body, read as it arrives; stops reading as soon as it exceeds ``limit`` (a 413)."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def check_signature(image: ImageType, data: bytes) -> None:
    if not data:
        raise ApiError(400, "invalid_image", "the body is empty: send the picture's bytes")
    if not image.matches(data):
        raise ApiError(
            400,
            "invalid_image",
            f"the body is not a {image.name} file (its first bytes are not a {image.name} signature), "
            f"though Content-Type says {image.media_type}",
        )
