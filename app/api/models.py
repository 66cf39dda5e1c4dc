"""Response bodies; every route declares one, so the OpenAPI document describes what is sent."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Variant(BaseModel):
    """One small rendition of an item's picture, made by the worker (app.worker)."""

    model_config = ConfigDict(frozen=True)

    url: str = Field(description="Same-origin path of the variant (/api/images/variants/<file>).")
    width: int = Field(ge=1, description="Width in pixels.")
    height: int = Field(ge=1, description="Height in pixels.")
    type: Literal["image/webp", "image/jpeg"] = Field(description="Media type, for <source type> in <picture>.")


class Item(BaseModel):
    # variants has a default but is always sent: the schema lists it as required.
    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    id: str = Field(description="The item's key in the table.")
    title: str
    price: int | float | None = Field(
        description="Price in yen. DynamoDB may hold it as a number or a string; null if it is not a number."
    )
    description: str
    imageUrl: str | None = Field(
        description="Same-origin path of the item's picture (/api/images/<file>); null if it has none."
    )
    variants: list[Variant] = Field(
        default_factory=list,
        description="Smaller renditions of the picture, by type then width; empty until the worker has made "
        "them from the current picture (show imageUrl meanwhile).",
    )


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable reason, e.g. not_found or upstream_unavailable.")
    message: str = Field(description="What went wrong, for people.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
