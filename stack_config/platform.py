"""`webstack:platform`: what every Fargate service of the stack shares — the cluster, the internal load balancer,
the image and its repository, the service logs."""

import re
from typing import Literal

from pydantic import Field, field_validator

from .base import Section
from .network import LogRetentionDays

# What ECR accepts as a tag.
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


class PlatformConfig(Section):
    cpu_architecture: Literal["ARM64", "X86_64"] = "ARM64"
    """ARM64 (Graviton) costs about 20% less for the same size; the image is built for linux/arm64."""
    image_tag: str | None = None
    """The image every service runs, as a tag in the stack's repository (the app pipeline sets it to the commit).
    Unset: the program builds app/Dockerfile and pushes it under a tag derived from the build context."""
    keep_images: int = Field(default=30, ge=1, le=1000)
    """Tagged images the repository keeps; older ones expire (rollback needs the recent ones only)."""
    container_insights: Literal["off", "on", "enhanced"] = "on"
    """CloudWatch Container Insights on the cluster: `on` adds per-service task counts, CPU and memory (about
    $0.30 a metric a month); `enhanced` adds per-task and per-container metrics at a higher price; `off` leaves the
    free AWS/ECS service metrics only."""
    log_retention_days: LogRetentionDays = 30
    """Retention of every service's application log group."""
    exec_enabled: bool = False
    """ECS Exec (a shell in a running task through Session Manager), for debugging."""
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)
    """Load balancer idle timeout."""
    deletion_protection: bool = False
    """Load balancer deletion protection: it must be switched off before the stack can be destroyed."""
    force_destroy: bool = False
    """`pulumi destroy` also deletes the repository's images."""

    @field_validator("image_tag")
    @classmethod
    def _immutable_ecr_tag(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not IMAGE_TAG.match(value):
            raise ValueError(f"{value!r} is not an ECR image tag (letters, digits, '.', '_', '-'; at most 128, "
                             "not starting with '.' or '-'); use the commit SHA the app pipeline pushed")
        if value == "latest":
            raise ValueError("'latest' names no particular image, and the repository's tags are immutable; use "
                             "the commit SHA the app pipeline pushed, or unset it to build from app/")
        return value
