"""`webstack:api`: the container service behind the internal load balancer — size, scaling, image, protection."""

import re
from typing import Literal, Optional

from pydantic import Field, ValidationInfo, field_validator

from .base import Section
from .network import LogRetentionDays

# Task sizes Fargate accepts: CPU units → the memory sizes (MiB) allowed with them.
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
# What ECR accepts as a tag.
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class ApiConfig(Section):
    cpu: int = 256
    """Fargate CPU units of one task (256 = 0.25 vCPU)."""
    memory: int = 512
    """MiB of one task; must be a size Fargate offers for `cpu`."""
    cpu_architecture: Literal["ARM64", "X86_64"] = "ARM64"
    """ARM64 (Graviton) costs about 20% less for the same size; the image is built for linux/arm64."""
    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"] = "FARGATE"
    """FARGATE_SPOT runs tasks on spare capacity at a discount, and AWS may stop them with two minutes' notice."""
    min_count: int = Field(default=1, ge=1)
    """Autoscaling never goes below this many tasks."""
    max_count: int = Field(default=2, ge=1, le=100)
    desired_count: int = Field(default=1, ge=1)
    """Tasks at creation; afterwards autoscaling owns the count, between minCount and maxCount."""
    cpu_target_percent: int = Field(default=60, ge=10, le=90)
    """Average CPU utilisation that target tracking holds the service at."""
    memory_target_percent: int = Field(default=70, ge=10, le=90)
    scale_out_cooldown_seconds: int = Field(default=60, ge=60, le=180)
    """Scale out fast: the next step out may follow this soon."""
    scale_in_cooldown_seconds: int = Field(default=300, ge=300, le=900)
    """Scale in slowly, so a short lull does not remove tasks a returning peak needs."""
    health_check_grace_period_seconds: int = Field(default=60, ge=0, le=600)
    """How long a new task's failing load-balancer checks are ignored while the app starts."""
    deregistration_delay_seconds: int = Field(default=15, ge=5, le=120)
    """In-flight requests get this long to finish on a task being stopped; the API answers in well under a second."""
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)
    log_retention_days: LogRetentionDays = 30
    exec_enabled: bool = False
    """ECS Exec (a shell in a running task through Session Manager), for debugging."""
    image_tag: Optional[str] = None
    """The image to run, as a tag in the stack's repository (the app pipeline sets it to the commit). Unset: the
    program builds app/Dockerfile and pushes it under a tag derived from the build context."""
    keep_images: int = Field(default=30, ge=1, le=1000)
    """Tagged images the repository keeps; older ones expire (rollback needs the recent ones only)."""
    force_destroy: bool = False
    """`pulumi destroy` also deletes the repository's images and the access-log bucket's objects."""
    deletion_protection: bool = False
    """Load balancer deletion protection: it must be switched off before the stack can be destroyed."""
    access_logs: bool = False
    """Load balancer access logs to a private S3 bucket made for them."""
    access_log_retention_days: int = Field(default=90, ge=1, le=3650)
    alarm_email: Optional[str] = None
    """An address subscribed to the alarm topic (it must confirm the subscription once)."""

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        if value not in FARGATE_MEMORY_BY_CPU:
            raise ValueError(f"Fargate offers no task with {value} CPU units; use one of "
                             f"{tuple(FARGATE_MEMORY_BY_CPU)}")
        return value

    @field_validator("image_tag")
    @classmethod
    def _immutable_ecr_tag(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return value
        if not IMAGE_TAG.match(value):
            raise ValueError(f"{value!r} is not an ECR image tag (letters, digits, '.', '_', '-'; at most 128, "
                             "not starting with '.' or '-'); use the commit SHA the app pipeline pushed")
        if value == "latest":
            raise ValueError("'latest' names no particular image, and the repository's tags are immutable; use "
                             "the commit SHA the app pipeline pushed, or unset it to build from app/")
        return value

    @field_validator("alarm_email")
    @classmethod
    def _email_address(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address such as oncall@example.com")
        return value

    # Fields validate in declaration order, so `info.data` holds the earlier ones (when they were valid).
    @field_validator("memory")
    @classmethod
    def _offered_with_cpu(cls, value: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        allowed = FARGATE_MEMORY_BY_CPU.get(cpu, ())
        if cpu is not None and value not in allowed:
            steps = ", ".join(map(str, allowed[:4])) + (", ..." if len(allowed) > 4 else "")
            raise ValueError(f"Fargate offers no task with {value} MiB and cpu = {cpu}; with {cpu} CPU units it "
                             f"offers {allowed[0]}..{allowed[-1]} MiB ({steps})")
        return value

    @field_validator("max_count")
    @classmethod
    def _not_below_min(cls, value: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min_count")
        if minimum is not None and value < minimum:
            raise ValueError(f"maxCount must be at least minCount = {minimum}")
        return value

    @field_validator("desired_count")
    @classmethod
    def _within_min_and_max(cls, value: int, info: ValidationInfo) -> int:
        minimum, maximum = info.data.get("min_count"), info.data.get("max_count")
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            raise ValueError(f"desiredCount must lie between minCount = {minimum} and maxCount = {maximum}")
        return value
