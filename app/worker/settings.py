"""The worker's settings from the environment (names are the upper-case field names, e.g. ``QUEUE_URL``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.common.settings import ConfigError, from_environment

__all__ = ["ConfigError", "WorkerSettings", "load_settings"]

_HINTS = {
    "queue_url": "the SQS queue the bucket's ObjectCreated notifications for images/ go to",
    "table_name": "the DynamoDB table that holds the items",
    "bucket_name": "the S3 bucket whose images/ prefix holds the originals and variants/ the results",
    "aws_region": "the AWS region of the queue, table and bucket, e.g. ap-northeast-1",
}


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    queue_url: str = Field(pattern=r"^https?://\S+$")
    table_name: str = Field(min_length=3, max_length=255)
    bucket_name: str = Field(min_length=3, max_length=63)
    aws_region: str = Field(min_length=1)
    # Set only against an emulator (moto); on AWS the SDK finds the regional endpoints itself.
    aws_endpoint_url: str | None = None
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    # Long polling: one ReceiveMessage waits this long for a job, so an idle worker costs ~3 requests a
    # minute. It is also how long a SIGTERM may wait for the receive in flight to return.
    receive_wait_seconds: int = Field(default=20, ge=0, le=20)
    # Visibility a received job gets, renewed every third of it while the job runs: a worker that dies
    # gives its job back to the queue within this time.
    visibility_timeout_seconds: int = Field(default=60, ge=5, le=43200)
    # How long after SIGTERM a job in hand may still be finished; past it the job is given back
    # (ChangeMessageVisibility 0). Keep it a few seconds under the task's stopTimeout.
    stop_timeout_seconds: float = Field(default=25, ge=0, le=115)
    # First delay before a failed job is received again; doubles with every receive (capped at 15 min).
    retry_delay_seconds: int = Field(default=10, ge=0, le=900)
    # For this long after an upload, an item that does not (yet) point at the picture is waited for: the
    # admin API stores the picture before it updates the item. After it, the job is stale and dropped.
    pending_grace_seconds: int = Field(default=60, ge=0, le=3600)
    # Decompression-bomb guard: a picture with more pixels is refused before it is decoded. 50 MP admits
    # every phone camera (48 MP sensors) and caps a decoded frame at ~150 MB.
    max_pixels: int = Field(default=50_000_000, ge=1, le=200_000_000)
    # An original larger than this is refused without being read into memory.
    max_source_bytes: int = Field(default=40 * 1024 * 1024, ge=1, le=512 * 1024 * 1024)
    # Loopback port of the container health check (python -m app.worker.healthcheck); 0 turns it off.
    health_port: int = Field(default=8081, ge=0, le=65535)


def load_settings() -> WorkerSettings:
    """Read the settings from the environment, or raise ConfigError naming what to set."""
    return from_environment(WorkerSettings, _HINTS)
