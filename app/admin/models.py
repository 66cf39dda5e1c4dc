"""Request and response bodies of the admin API; their JSON Schemas are the OpenAPI document's, so the
rules here (lengths, patterns, ranges) are the documented ones and the enforced ones at once."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictStr

# Item ids as the public API accepts them, for the path of an existing item.
from app.api.catalogue import ITEM_ID_PATTERN as ITEM_ID_PATTERN

# A new item's id must also start with a letter or digit, so that "." and ".." never become ids whose
# URLs a browser would rewrite.
NEW_ITEM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$"
TITLE_MAX = 100
DESCRIPTION_MAX = 1000
PRICE_MAX = 99_999_999
# Control characters (C0, DEL, C1) never belong in a title; a title also needs one character that is
# not a space (U+0020, or the ideographic space U+3000 a Japanese keyboard types).
_TITLE_CHAR = r"[^\x00-\x1f\x7f-\x9f]"
TITLE_PATTERN = rf"^{_TITLE_CHAR}*[^\x00-\x20\x7f-\x9f\u3000]{_TITLE_CHAR}*$"
# A description may hold line breaks and tabs, no other control character.
DESCRIPTION_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
VERSION_MAX = 2**53 - 1  # the largest integer a browser's JSON keeps exact


def _unicode(value: str) -> str:
    # JSON may escape a lone surrogate (\ud800); it is no character and DynamoDB refuses it.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


Title = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=TITLE_MAX,
        pattern=TITLE_PATTERN,
        description=f"1-{TITLE_MAX} characters, not only spaces, no control characters.",
        examples=["メロン"],
    ),
    AfterValidator(_unicode),
]
Description = Annotated[
    StrictStr,
    Field(
        max_length=DESCRIPTION_MAX,
        pattern=DESCRIPTION_PATTERN,
        description=f"0-{DESCRIPTION_MAX} characters; line breaks and tabs allowed, no other control characters.",
        examples=["甘い夕張メロン。"],
    ),
    AfterValidator(_unicode),
]


def _whole_number(value: Any) -> Any:
    # JSON has one number type, and JSON Schema counts 800.0 as the integer 800; a fraction, a string, a
    # boolean, NaN or Infinity is no whole number, whatever the client meant.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a JSON number, not a string, a boolean or null")
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise ValueError("must be a whole number")
        return int(value)
    return value


Price = Annotated[
    int,
    Field(
        ge=0,
        le=PRICE_MAX,
        description=f"Whole yen, 0-{PRICE_MAX}: a JSON integer (800 or 800.0; not 800.5, \"800\" or true).",
        examples=[800],
    ),
    BeforeValidator(_whole_number),
]
Version = Annotated[
    int,
    Field(
        ge=0,
        le=VERSION_MAX,
        description="The version the edit is based on, as the item was read; 0 for an item written before versions.",
    ),
    BeforeValidator(_whole_number),
]


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[
        StrictStr | None,
        Field(
            default=None,
            min_length=1,
            max_length=128,
            pattern=NEW_ITEM_ID_PATTERN,
            description="Optional; left out, the API picks one that sorts after existing ones.",
        ),
    ] = None
    title: Title
    description: Description
    price: Price


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description
    price: Price
    version: Version


class AdminItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    description: str
    price: int | float | None = Field(
        description="Yen. Items written by this API hold an integer; an older item may hold a string, "
        "shown as a number here, or null if it is not one."
    )
    imageKey: str | None = Field(description="The S3 key of the picture (images/<file>); null if none.")
    imageUrl: str | None = Field(description="Same-origin path of the picture (/api/images/<file>); null if none.")
    version: int = Field(ge=0, description="Send it back with the next edit; every write increments it.")


class AdminErrorDetail(BaseModel):
    code: str = Field(description="invalid_request, or a more specific reason such as invalid_item_id.")
    message: str = Field(description="What went wrong, for people.")
    fields: dict[str, str] | None = Field(
        default=None,
        description="For a 400: each offending field (title, description, price, version, id, item_id, "
        "If-Match, Content-Type, body) with what it must be.",
    )


class AdminErrorResponse(BaseModel):
    error: AdminErrorDetail
