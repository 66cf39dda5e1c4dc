"""SNS: CreateTopic and Subscribe. pulumi-aws auto-names a topic within 80 characters; SNS takes 256 of ASCII
letters, digits, underscores and hyphens (the model documents it; its shape is a plain string)."""

from __future__ import annotations

from .fields import (
    DOCUMENT,
    NAME,
    VALUE,
    AutoName,
    Request,
    Tagging,
    at_most,
    compact_json,
    fields,
    matches,
    one_of,
    statements_at_most,
)

API = "https://docs.aws.amazon.com/sns/latest/api"
POLICY_QUOTAS = "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html"


REQUESTS = {
    "aws:sns/topic:Topic": Request((
        *fields("sns", NAME, ("name", "CreateTopic.Name", {"autoname": AutoName(80), "rules": (matches(
            r"[A-Za-z0-9_-]{1,256}(\.fifo)?", "1 to 256 ASCII letters, digits, underscores or hyphens",
            f"{API}/API_CreateTopic.html Name", quote="must be made up of only uppercase and lowercase ASCII "
            "letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long"),)})),
        *fields("sns", VALUE, ("kmsMasterKeyId", "TopicAttributesMap{}")),
    ), tags=Tagging("sns", "TagKey", "TagValue")),
    "aws:sns/topicPolicy:TopicPolicy": Request(fields(
        "sns", DOCUMENT, ("policy", "SetTopicAttributes.AttributeValue", {"to_api": compact_json, "rules": (
            at_most(30 * 1024, f"{POLICY_QUOTAS} (Bytes: 30 kb)", unit="bytes",
                    measure=lambda text: len(text.encode())),
            statements_at_most(100, f"{POLICY_QUOTAS} (Statements: 100)"))})),
        unchecked=("arn",)),
    "aws:sns/topicSubscription:TopicSubscription": Request(fields(
        "sns", VALUE, ("protocol", "Subscribe.Protocol", {"rules": (one_of(
            ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"),
            f"{API}/API_Subscribe.html Protocol", quote="Supported protocols include"),)}),
        ("endpoint", "Subscribe.Endpoint")), unchecked=("topic",)),
}
