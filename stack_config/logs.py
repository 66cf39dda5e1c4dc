"""`webstack:logs`: the stack's log archive and what writes into it — who requested what, and when.

One private bucket per stack holds the access logs of CloudFront, the load balancer and the images bucket (and the
account's CloudTrail trail in the stack that owns `webstack:account`); the web ACL's logs go to a second bucket,
because WAF writes only into buckets named `aws-waf-logs-…` (components/logs.py). Objects move to cheaper storage
as they age and expire after `retentionDays`.
"""

from pydantic import Field, ValidationInfo, field_validator

from .base import Section

# S3 bills an object in Standard-IA for at least 30 days and one in Glacier Instant Retrieval for at least 90, and
# lifecycle moves an object out of Standard-IA only after it spent 30 days there.
STANDARD_IA_MINIMUM_DAYS = 30
GLACIER_IR_MINIMUM_DAYS = 90


def _outlasts_the_billed_minimum(retention: int | None, moved_after: int, minimum: int, storage: str) -> None:
    """Refuse an expiry that comes sooner after a move to `storage` than the `minimum` days S3 bills there."""
    if retention is not None and retention < moved_after + minimum:
        raise ValueError(f"a log would expire less than {minimum} days after moving to {storage}, which bills "
                         f"{minimum} days anyway; set retentionDays to at least {moved_after + minimum}, or this to 0")


class LogsConfig(Section):
    cloudfront: bool = True
    """CloudFront standard logging (v2): one record per viewer request, delivered to the archive."""
    waf: bool = True
    """The web ACL's logs (with `webstack:site.waf`), authorization and cookie headers redacted."""
    load_balancer: bool = True
    """The internal load balancer's access logs."""
    images_bucket: bool = True
    """S3 server access logs of the images bucket: who read, wrote or deleted which picture."""
    retention_days: int = Field(default=90, ge=1, le=3650)
    """Days an archived log is kept."""
    infrequent_access_days: int = Field(default=30, ge=0, le=3650)
    """Days before a log moves to S3 Standard-IA (S3's minimum is 30); 0 keeps logs in S3 Standard."""
    glacier_days: int = Field(default=0, ge=0, le=3650)
    """Days before a log moves to S3 Glacier Instant Retrieval; 0 never moves it."""
    object_lock: bool = False
    """S3 Object Lock in governance mode: no one without s3:BypassGovernanceRetention deletes or overwrites a log
    before `retentionDays`. Only on a new archive: S3 enables it at bucket creation."""
    protect: bool = False
    """Pulumi `protect` and `retainOnDelete` on the archive: `pulumi destroy` stops at it."""
    force_destroy: bool = True
    """Let `pulumi destroy` empty the archive. Only for stacks whose logs are disposable."""

    # Fields validate in declaration order, so `info.data` holds the earlier ones (when they were valid).
    @field_validator("infrequent_access_days")
    @classmethod
    def _infrequent_access_before_expiry(cls, value: int, info: ValidationInfo) -> int:
        if not value:
            return value
        if value < STANDARD_IA_MINIMUM_DAYS:
            raise ValueError(f"S3 moves objects to Standard-IA after {STANDARD_IA_MINIMUM_DAYS} days at the "
                             "earliest; use 30 or more, or 0 to keep logs in S3 Standard")
        _outlasts_the_billed_minimum(info.data.get("retention_days"), value, STANDARD_IA_MINIMUM_DAYS, "Standard-IA")
        return value

    @field_validator("glacier_days")
    @classmethod
    def _glacier_after_infrequent_access(cls, value: int, info: ValidationInfo) -> int:
        if not value:
            return value
        infrequent = info.data.get("infrequent_access_days")
        if infrequent and value < infrequent + STANDARD_IA_MINIMUM_DAYS:
            raise ValueError(f"glacierDays must be 0 or at least infrequentAccessDays + "
                             f"{STANDARD_IA_MINIMUM_DAYS} = {infrequent + STANDARD_IA_MINIMUM_DAYS}: S3 moves "
                             f"objects out of Standard-IA after {STANDARD_IA_MINIMUM_DAYS} days there")
        _outlasts_the_billed_minimum(info.data.get("retention_days"), value, GLACIER_IR_MINIMUM_DAYS,
                                     "Glacier Instant Retrieval")
        return value

    @field_validator("object_lock")
    @classmethod
    def _not_with_images_access_logs(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("images_bucket"):
            raise ValueError("S3 delivers no server access logs into a bucket with Object Lock, and the images "
                             "bucket's access logs go to the archive; set imagesBucket to false to lock the archive, "
                             "or objectLock to false to keep the images bucket's access logs")
        return value

    @field_validator("force_destroy")
    @classmethod
    def _not_with_protection(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("protect"):
            raise ValueError("forceDestroy empties the archive on destroy, which contradicts protect: true; set "
                             "forceDestroy to false, or protect to false for a stack whose logs are disposable")
        return value
