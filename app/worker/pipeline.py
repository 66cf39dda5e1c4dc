"""The picture pipeline: one original in, small responsive variants out. No AWS here.

- Widths ``WIDTHS`` (never wider than the original), each as WebP and JPEG.
- EXIF orientation applied to the pixels; then every byte of metadata dropped: no EXIF (GPS, camera,
  time), no XMP, no ICC profile. Colour is kept right by converting the pixels to sRGB when the original
  carries a profile (an iPhone's Display P3, Adobe RGB, CMYK): an untagged image is sRGB to every browser,
  so the variants look as intended, need no profile, and leak nothing a profile could tell (maker, device).
- Keys change when the content does: ``variants/<stem>-<16 hex>-<width>.<ext>``, the hex from sha256 of
  the original's bytes and ``PIPELINE_VERSION``, so a redelivered job writes the same keys and a new
  pipeline writes new ones (immutable objects, cacheable for a year).
- Bounded work: the pixel count is checked from the header before anything is decoded, Pillow's
  decompression-bomb warning is an error, and JPEGs are decoded already scaled down (``Image.draft``:
  libjpeg's DCT scaling, 1/2 to 1/8), so a 12 MP photo is never held at full size.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps

PIPELINE_VERSION = 1
WIDTHS = (320, 640, 1280)
VARIANT_PREFIX = "variants/"
# Decoders for what a phone or a camera produces; every other format Pillow knows stays out of reach.
# The JPEG decoder also opens the multi-picture JPEGs (MPO) many phones write.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
FORMATS = {
    # format: (extension, content type, Pillow save options)
    "webp": ("webp", "image/webp", {"quality": 75, "method": 4}),
    "jpeg": ("jpg", "image/jpeg", {"quality": 80, "optimize": True, "progressive": True}),
}
CACHE_CONTROL = "public, max-age=31536000, immutable"
_EXIF_ORIENTATION = 0x0112
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})  # 90° turns: the stored width is the display height
_STEM_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

# A bomb warning must stop the job, not scroll past in a log.
warnings.simplefilter("error", Image.DecompressionBombWarning)


class PermanentImageError(Exception):
    """The original can never become variants (not a picture, corrupt, too large): retrying cannot help."""


@dataclass(frozen=True)
class Rendition:
    key: str
    width: int
    height: int
    format: str  # "webp" or "jpeg"
    content_type: str
    body: bytes


def content_digest(data: bytes) -> str:
    """16 hex characters naming this content under this pipeline version."""
    return hashlib.sha256(f"webstack-variants-v{PIPELINE_VERSION}\0".encode() + data).hexdigest()[:16]


def variant_stem(image_key: str) -> str:
    """A readable, URL-safe stem from the original's file name (``images/IMG 0042.JPG`` -> ``IMG-0042``)."""
    name = image_key.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = _STEM_UNSAFE.sub("-", stem).strip("-_")[:48].strip("-_")
    return stem or "image"


def variant_key(stem: str, digest: str, width: int, fmt: str) -> str:
    return f"{VARIANT_PREFIX}{stem}-{digest}-{width}.{FORMATS[fmt][0]}"


def target_widths(display_width: int) -> list[int]:
    """``WIDTHS`` capped at the original's width: a small original gives fewer, never upscaled, variants."""
    return sorted({min(width, display_width) for width in WIDTHS})


def render_variants(
    data: bytes,
    image_key: str,
    max_pixels: int,
    checkpoint: Callable[[], None] = lambda: None,
) -> Iterator[Rendition]:
    """Yields every variant of ``data``, smallest width first, WebP before JPEG.

    Raises PermanentImageError for anything that is not a decodable picture within ``max_pixels``.
    ``checkpoint`` is called between the expensive steps, so the caller can stop a job (by raising).
    """
    digest = content_digest(data)
    stem = variant_stem(image_key)
    largest = _decode_for(data, max_pixels)
    checkpoint()
    display_width, display_height = largest.size
    # Each smaller width is scaled from the next larger one (a 2x step with Lanczos loses nothing
    # visible): far less work than from the original each time.
    scaled = {display_width: largest}
    current = largest
    for width in reversed(target_widths(display_width)[:-1]):
        current = _fit(current, width, display_width, display_height)
        scaled[width] = current
    checkpoint()
    for width in sorted(scaled):
        picture = scaled.pop(width)
        for fmt in FORMATS:
            yield _encode(picture, stem, digest, width, fmt)
            checkpoint()


def _decode_for(data: bytes, max_pixels: int) -> Image.Image:
    """The picture upright, as wide as its largest variant, 8-bit RGB(A) in sRGB.

    Everything costly after decoding (mode, alpha, colour conversion) happens at that width, not at the
    original's: only the decoded frame is ever large, and for a JPEG even that is DCT-scaled."""
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own check (warning above it, error at twice) agrees
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        width, height = image.size
        if width * height > max_pixels:
            raise PermanentImageError(
                f"refused as a decompression bomb: {width}x{height} is {width * height} pixels, "
                f"over the limit of {max_pixels}"
            )
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
        wanted = max(target_widths(height if orientation in _TRANSPOSED_ORIENTATIONS else width))
        if image.format in ("JPEG", "MPO"):
            # DCT scaling to the smallest size still at least `wanted` wide once upright.
            image.draft(None, (1, wanted) if orientation in _TRANSPOSED_ORIENTATIONS else (wanted, 1))
        image.load()
        icc = image.info.get("icc_profile")
        ImageOps.exif_transpose(image, in_place=True)
        image = _resizable(image)
        upright_width, upright_height = image.size
        # Again from the upright frame: a PNG's orientation is only known once it is loaded.
        wanted = max(target_widths(upright_width))
        height = max(1, round(upright_height * wanted / upright_width))
        if image.size != (wanted, height):
            image = image.resize((wanted, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        return _to_srgb(_to_8bit(image), icc)
    except PermanentImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PermanentImageError(f"refused as a decompression bomb: {error}") from None
    except Image.UnidentifiedImageError:
        raise PermanentImageError(f"not a picture in an accepted format ({', '.join(ALLOWED_FORMATS)})") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error) as error:
        # What Pillow's decoders raise for a damaged file (truncated data, broken chunks, bad headers).
        raise PermanentImageError(f"cannot decode the picture: {type(error).__name__}: {error}") from None


def _resizable(image: Image.Image) -> Image.Image:
    """A mode Lanczos scaling works in (Pillow scales palette and 1-bit images by nearest neighbour)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit grayscale: scale to 8 bits (a plain convert would clip everything above 255 to white).
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("1", "F"):
        return image.convert("L")
    if image.mode == "PA":
        return image.convert("RGBA")
    return image


def _to_8bit(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        image = image if image.mode == "RGBA" else image.convert("RGBA")
        if image.getchannel("A").getextrema() == (255, 255):
            return image.convert("RGB")  # an alpha channel that hides nothing only costs bytes
        return image
    if image.mode == "CMYK":
        return image  # converted with its profile in _to_srgb
    return image if image.mode == "RGB" else image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image,
                source,
                _SRGB,
                renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                outputMode=mode,
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: take the pixels as sRGB, as a browser would
    return image if image.mode == mode else image.convert(mode)


def _fit(image: Image.Image, width: int, display_width: int, display_height: int) -> Image.Image:
    height = max(1, round(display_height * width / display_width))
    if image.size == (width, height):
        return image
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: Image.Image, stem: str, digest: str, width: int, fmt: str) -> Rendition:
    _, content_type, options = FORMATS[fmt]
    if fmt == "jpeg" and image.mode == "RGBA":
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    out = io.BytesIO()
    # No exif=, icc_profile= or xmp= options: Pillow writes no metadata the call does not pass.
    image.save(out, format=fmt.upper(), **options)
    return Rendition(
        key=variant_key(stem, digest, width, fmt),
        width=width,
        height=image.height,
        format=fmt,
        content_type=content_type,
        body=out.getvalue(),
    )
