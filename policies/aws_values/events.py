"""EventBridge: PutRule and PutTargets. pulumi-aws auto-names a rule within 64 characters, EventBridge's own limit,
and a target's id likewise."""

from __future__ import annotations

from .fields import DESCRIPTION, DOCUMENT, NAME, AutoName, Request, Tagging, compact_json, fields

REQUESTS = {
    "aws:cloudwatch/eventRule:EventRule": Request((
        *fields("events", NAME, ("name", "PutRule.Name", {"autoname": AutoName(64)})),
        *fields("events", DESCRIPTION, ("description", "PutRule.Description")),
        *fields("events", DOCUMENT, ("eventPattern", "PutRule.EventPattern", {"to_api": compact_json})),
    ), tags=Tagging("events", "TagKey", "TagValue")),
    "aws:cloudwatch/eventTarget:EventTarget": Request(fields(
        "events", NAME, ("targetId", "Target.Id", {"autoname": AutoName(64)})), unchecked=("rule", "arn")),
}
