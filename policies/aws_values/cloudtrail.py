"""CloudTrail: CreateTrail, PutEventSelectors and PutInsightSelectors. The model leaves the trail name and key
prefix to its documentation, quoted below."""

from __future__ import annotations

from .fields import NAME, VALUE, Request, Rule, Tagging, at_most, fields

API = "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html"


def _trail_name_problem(value: object) -> str | None:
    from .model import full_match

    text = str(value)
    if not full_match(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{1,126})[A-Za-z0-9]", text):
        return f"{text!r} is not 3 to 128 ASCII letters, digits, periods, underscores or dashes, starting and ending " \
               "with a letter or digit"
    if full_match(r".*[._-]{2}.*", text):
        return f"{text!r} has adjacent periods, underscores or dashes"
    return None


REQUESTS = {
    "aws:cloudtrail/trail:Trail": Request((
        *fields("cloudtrail", NAME, ("name", "CreateTrail.Name", {"rules": (Rule(
            _trail_name_problem, f"{API} Name", quote="Have no adjacent periods, underscores or dashes"),)}),
                ("s3KeyPrefix", "CreateTrail.S3KeyPrefix", {"rules": (at_most(
                    200, f"{API} S3KeyPrefix", quote="The maximum length is 200 characters"),)})),
        *fields("cloudtrail", VALUE,
                ("enableLogFileValidation", "CreateTrail.EnableLogFileValidation"),
                ("includeGlobalServiceEvents", "CreateTrail.IncludeGlobalServiceEvents"),
                ("isMultiRegionTrail", "CreateTrail.IsMultiRegionTrail"),
                ("eventSelectors[].readWriteType", "EventSelector.ReadWriteType"),
                ("eventSelectors[].includeManagementEvents", "EventSelector.IncludeManagementEvents"),
                ("insightSelectors[].insightType", "InsightSelector.InsightType")),
    ), tags=Tagging("cloudtrail", "TagKey", "TagValue"), unchecked=("s3BucketName", "enableLogging")),
}
