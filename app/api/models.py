"""Response bodies; every route declares one, so the OpenAPI document describes what is sent."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Item(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The item's key in the table.")
    title: str
    price: int | float | None = Field(
        description="Price in yen. DynamoDB may hold it as a number or a string; null if it is not a number."
    )
    description: str
    imageUrl: str | None = Field(
        description="Same-origin path of the item's picture (/api/images/<file>); null if it has none."
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
