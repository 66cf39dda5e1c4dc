"""Route 53: ChangeResourceRecordSets. Records carry no tags."""

from __future__ import annotations

from .fields import NAME, VALUE, Request, fields

REQUESTS = {
    "aws:route53/record:Record": Request((
        *fields("route53", NAME, ("name", "ResourceRecordSet.Name"), ("aliases[].name", "AliasTarget.DNSName")),
        *fields("route53", VALUE,
                ("type", "ResourceRecordSet.Type"), ("ttl", "ResourceRecordSet.TTL"),
                ("records[]", "ResourceRecord.Value"), ("zoneId", "ChangeResourceRecordSets.HostedZoneId"),
                ("aliases[].zoneId", "AliasTarget.HostedZoneId"),
                ("aliases[].evaluateTargetHealth", "AliasTarget.EvaluateTargetHealth")),
    ), unchecked=("allowOverwrite",)),
}
