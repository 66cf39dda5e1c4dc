"""`webstack:worker`: the queue of picture jobs and the service that turns originals into variants (seed 002).

Each new original under `images/` in the images bucket becomes one job (an S3 event notification to the queue).
A job that keeps failing moves to the dead-letter queue after `maxReceives` attempts, where it waits, with its
reason in the worker's log, for an operator to re-drive it (README, "The worker").
"""

from pydantic import Field, ValidationInfo, field_validator

from .base import Section
from .service import WorkerServiceConfig


class WorkerConfig(Section):
    max_receives: int = Field(default=5, ge=1, le=1000)
    """Attempts at a job before SQS moves it to the dead-letter queue. The worker backs off 10, 20, 40 and 80 s
    between them, and a job that arrives before the admin API has pointed its item at the picture uses up to three
    receives waiting for it (bench/worker.py measures a 12-megapixel job at about 0.6 s, 2 s at p99)."""
    visibility_timeout_seconds: int = Field(default=60, ge=10, le=43200)
    """How long a received job stays hidden from other workers: thirty times a slow job. The worker renews it
    every third of it while a job runs, so this bounds how soon a job whose worker died is retried."""
    retention_days: int = Field(default=4, ge=1, le=14)
    """How long a job waits in the queue before SQS drops it. A job's own time in the queue is short: every attempt
    at it fits in `maxReceives` visibility timeouts (5 minutes by default), and retention must outlast those or SQS
    drops a failing job before it reaches the dead-letter queue. The rest is for the worker being down: 4 days
    (SQS's default) carries the jobs of an upload through a long weekend's outage, long after the oldest-job alarm
    has called someone."""
    dead_letter_retention_days: int = Field(default=14, ge=1, le=14)
    """How long a failed job waits in the dead-letter queue for a re-drive; it must outlast the queue's retention."""
    oldest_job_alarm_seconds: int = Field(default=900, ge=60, le=86400)
    """Alarm when the oldest waiting job is older than this: the worker is down or cannot keep up."""
    service: WorkerServiceConfig = WorkerServiceConfig()

    @field_validator("retention_days")
    @classmethod
    def _outlasts_the_attempts(cls, value: int, info: ValidationInfo) -> int:
        receives, visibility = info.data.get("max_receives"), info.data.get("visibility_timeout_seconds")
        if receives is not None and visibility is not None and value * 86400 <= receives * visibility:
            raise ValueError(f"the queue must keep a job longer than its {receives} attempts take "
                             f"(maxReceives × visibilityTimeoutSeconds = {receives * visibility} s): raise it, or "
                             f"lower maxReceives or visibilityTimeoutSeconds")
        return value

    @field_validator("dead_letter_retention_days")
    @classmethod
    def _outlasts_the_queue(cls, value: int, info: ValidationInfo) -> int:
        retention = info.data.get("retention_days")
        # SQS keeps a moved message's original enqueue time, so a shorter DLQ retention could drop it on arrival.
        if retention is not None and value < retention:
            raise ValueError(f"the dead-letter queue must keep jobs at least as long as the queue does "
                             f"(retentionDays = {retention})")
        return value
