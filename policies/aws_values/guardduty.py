"""GuardDuty: CreateDetector. Its tag keys take letters and +-=._:/ only, and no aws: prefix (the model's pattern)."""

from __future__ import annotations

from .fields import VALUE, Request, Tagging, fields

REQUESTS = {
    "aws:guardduty/detector:Detector": Request(fields(
        "guardduty", VALUE, ("enable", "CreateDetector.Enable"),
        ("findingPublishingFrequency", "CreateDetector.FindingPublishingFrequency")),
        tags=Tagging("guardduty", "TagKey", "TagValue", max_tags=200)),
}
