"""One Fargate service of the platform: its task size, capacity, count, scaling and release strategy.

The public API (`webstack:api`), the admin API (`webstack:admin.service`) and the worker (`webstack:worker.service`)
each carry one of these; the image, the CPU architecture and the cluster are the platform's (`webstack:platform`).
"""

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from .base import Section

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


class TaskSize(Section):
    cpu: int = 256
    """Fargate CPU units of one task (256 = 0.25 vCPU)."""
    memory: int = 512
    """MiB of one task; must be a size Fargate offers for `cpu`."""
    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"] = "FARGATE"
    """FARGATE_SPOT runs tasks on spare capacity at a discount, and AWS may stop them with two minutes' notice."""

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        if value not in FARGATE_MEMORY_BY_CPU:
            raise ValueError(f"Fargate offers no task with {value} CPU units; use one of "
                             f"{tuple(FARGATE_MEMORY_BY_CPU)}")
        return value

    # Fields validate in declaration order, so `info.data` holds the earlier ones (when they were valid).
    @field_validator("memory")
    @classmethod
    def _offered_with_cpu(cls, value: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        if cpu is None:  # cpu itself was invalid, and says so
            return value
        allowed = FARGATE_MEMORY_BY_CPU[cpu]
        if value in allowed:
            return value
        steps = ", ".join(map(str, allowed[:4])) + (", ..." if len(allowed) > 4 else "")
        raise ValueError(f"Fargate offers no task with {value} MiB and cpu = {cpu}; with {cpu} CPU units it offers "
                         f"{min(allowed)}..{max(allowed)} MiB ({steps})")

    # Every service declares min_count before max_count.
    @field_validator("max_count", check_fields=False)
    @classmethod
    def _not_below_min(cls, value: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min_count")
        if minimum is not None and value < minimum:
            raise ValueError(f"maxCount must be at least minCount = {minimum}")
        return value


class ServiceConfig(TaskSize):
    """A service behind the internal load balancer, scaled on CPU and memory."""

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
    release: Literal["rolling", "blueGreen", "canary", "linear"] = "blueGreen"
    """How ECS moves traffic to a new revision: `rolling` replaces tasks in place (circuit breaker only);
    `blueGreen` starts the new revision beside the old, probes it through the test listener rule, then moves all
    traffic at once; `canary` moves `canaryPercent` first; `linear` moves `linearStepPercent` at a time. In every
    strategy but rolling, a deployment alarm rolls the release back until the bake time has passed."""
    bake_minutes: int = Field(default=10, ge=0, le=1440)
    """How long the old revision stays ready to take traffic back after the new one has all of it."""
    canary_percent: float = Field(default=10.0, ge=0.1, le=100.0)
    """`canary`: the share of traffic the new revision takes first."""
    linear_step_percent: float = Field(default=25.0, ge=3.0, le=100.0)
    """`linear`: the share of traffic moved at each step."""
    step_minutes: int = Field(default=5, ge=0, le=1440)
    """`canary` and `linear`: minutes between the traffic steps."""

    @field_validator("desired_count")
    @classmethod
    def _within_min_and_max(cls, value: int, info: ValidationInfo) -> int:
        minimum, maximum = info.data.get("min_count"), info.data.get("max_count")
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            raise ValueError(f"desiredCount must lie between minCount = {minimum} and maxCount = {maximum}")
        return value


class WorkerServiceConfig(TaskSize):
    """A service with no load balancer, scaled on its queue's backlog per task."""

    memory: int = 1024
    """MiB of one task: the worst picture the worker accepts (a 50-megapixel PNG with transparency) peaks near
    520 MiB (bench/worker.py)."""

    min_count: int = Field(default=0, ge=0, le=100)
    """0 lets the service stop every task while the queue is empty; the first job starts one."""
    max_count: int = Field(default=2, ge=1, le=100)
    backlog_per_task: int = Field(default=10, ge=1, le=10000)
    """Target of the scaling: visible jobs per running task. Set it to the jobs one task clears in the latency
    a picture may wait (job seconds ÷ the acceptable wait)."""
    stop_timeout_seconds: int = Field(default=30, ge=10, le=120)
    """Time a stopping task gets after SIGTERM before SIGKILL (Fargate allows 120 s). The worker finishes the job
    in hand if it can within this less 5 s, and otherwise gives it back to the queue."""
    scale_in_cooldown_seconds: int = Field(default=300, ge=60, le=3600)
