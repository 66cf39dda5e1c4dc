"""SQS: CreateQueue and SetQueueAttributes. The model types every attribute as text; the ranges are in its
documentation, quoted below. pulumi-aws auto-names a queue within 80 characters, SQS's limit."""

from __future__ import annotations

from typing import Any

from ..core import as_json, as_list, get, is_mapping
from .fields import (
    DOCUMENT,
    NAME,
    VALUE,
    AutoName,
    Request,
    Rule,
    Tagging,
    at_most,
    between,
    compact_json,
    fields,
    matches,
    statements_at_most,
)

API = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"
POLICY_QUOTAS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html"


def _redrive_allow_problem(document: Any) -> str | None:
    parsed = as_json(document)
    permission = get(parsed, "redrivePermission") if is_mapping(parsed) else None
    if permission not in ("allowAll", "denyAll", "byQueue"):
        return f"redrivePermission {permission!r} is not allowAll, denyAll or byQueue"
    sources = as_list(get(parsed, "sourceQueueArns"))
    if permission == "byQueue" and not 1 <= len(sources) <= 10:
        return f"byQueue names {len(sources)} source queues; it takes 1 to 10"
    return None


def _attribute(key: str, name: str, low: int, high: int, quote: str) -> tuple[str, str, dict[str, object]]:
    return (key, "CreateQueue.Attributes{}", {"model": False, "rules": (between(low, high, f"{API} {name}",
                                                                                 quote=quote),)})


REQUESTS = {
    "aws:sqs/queue:Queue": Request((
        *fields("sqs", NAME, ("name", "CreateQueue.QueueName", {"autoname": AutoName(80), "rules": (matches(
            r"[A-Za-z0-9_-]{1,80}(\.fifo)?", "1 to 80 letters, digits, hyphens or underscores",
            f"{API} QueueName", quote="A queue name can have up to 80 characters"),)})),
        *fields("sqs", VALUE,
                _attribute("delaySeconds", "DelaySeconds", 0, 900, "An integer from 0 to 900 seconds"),
                _attribute("maxMessageSize", "MaximumMessageSize", 1024, 1_048_576,
                           "An integer from 1,024 bytes (1 KiB) to 1,048,576 bytes (1 MiB)"),
                _attribute("messageRetentionSeconds", "MessageRetentionPeriod", 60, 1_209_600,
                           "An integer from 60 seconds (1 minute) to 1,209,600 seconds (14 days)"),
                _attribute("receiveWaitTimeSeconds", "ReceiveMessageWaitTimeSeconds", 0, 20,
                           "An integer from 0 to 20 (seconds)"),
                _attribute("visibilityTimeoutSeconds", "VisibilityTimeout", 0, 43_200,
                           "An integer from 0 to 43,200 (12 hours)")),
    ), tags=Tagging("sqs", "TagKey", "TagValue"),
        # The redrive policy names the dead-letter queue (a reference) and a receive count.
        unchecked=("sqsManagedSseEnabled", "redrivePolicy")),
    "aws:sqs/queuePolicy:QueuePolicy": Request(fields(
        "sqs", DOCUMENT, ("policy", "SetQueueAttributes.Attributes{}", {"to_api": compact_json, "rules": (
            at_most(8_192, f"{POLICY_QUOTAS} (Bytes: 8,192)", unit="bytes", measure=lambda text: len(text.encode())),
            statements_at_most(20, f"{POLICY_QUOTAS} (Statements: 20)"))})),
        unchecked=("queueUrl",)),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": Request(fields(
        "sqs", DOCUMENT, ("redriveAllowPolicy", "SetQueueAttributes.Attributes{}", {"to_api": compact_json, "rules": (
            Rule(_redrive_allow_problem, f"{API} RedriveAllowPolicy",
                 quote="You can specify up to 10 source queue ARNs"),)})),
        unchecked=("queueUrl",)),
}
