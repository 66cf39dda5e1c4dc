"""SQS: CreateQueue and SetQueueAttributes. The model types every attribute as text; the ranges are in its
documentation, quoted below. pulumi-aws auto-names a queue within 80 characters, SQS's limit."""

from __future__ import annotations

from .fields import DOCUMENT, NAME, VALUE, AutoName, Request, Tagging, between, compact_json, fields, matches

API = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"


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
                           "An integer from 0 to 43,200 (12 hours)"),
                ("sqsManagedSseEnabled", "CreateQueue.Attributes{}", {"model": False})),
        *fields("sqs", DOCUMENT, ("redrivePolicy", "CreateQueue.Attributes{}", {"to_api": compact_json})),
    ), tags=Tagging("sqs", "TagKey", "TagValue")),
    "aws:sqs/queuePolicy:QueuePolicy": Request(fields(
        "sqs", DOCUMENT, ("policy", "SetQueueAttributes.Attributes{}", {"to_api": compact_json})),
        unchecked=("queueUrl",)),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": Request(fields(
        "sqs", DOCUMENT, ("redriveAllowPolicy", "SetQueueAttributes.Attributes{}", {"to_api": compact_json})),
        unchecked=("queueUrl",)),
}
