"""Settings from the environment (names are the upper-case field names, e.g. ``TABLE_NAME``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.common.settings import ConfigError, from_environment

__all__ = ["ConfigError", "Settings", "load_settings"]

_HINTS = {
    "table_name": "the DynamoDB table that holds the items",
    "bucket_name": "the S3 bucket whose images/ prefix holds the pictures",
    "aws_region": "the AWS region of the table and bucket, e.g. ap-northeast-1",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(min_length=3, max_length=255)
    bucket_name: str = Field(min_length=3, max_length=63)
    aws_region: str = Field(min_length=1)
    # Set only against an emulator (moto); on AWS the SDK finds the regional endpoints itself.
    aws_endpoint_url: str | None = None
    # Total attempts per AWS call (1 = no retry). Each attempt is bounded by short connect/read timeouts,
    # so an unreachable or throttling service turns into a 503 within a few seconds.
    aws_max_attempts: int = Field(default=3, ge=1, le=10)
    # How long one DynamoDB scan answers /api/items; 0 scans on every request.
    items_cache_seconds: float = Field(default=2.0, ge=0, le=300)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")


def load_settings() -> Settings:
    """Read the settings from the environment, or raise ConfigError naming what to set."""
    return from_environment(Settings, _HINTS)
