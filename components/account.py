"""AccountDetection: the account's CloudTrail trail and GuardDuty detector, and what they find sent to people.

- **Trail**: multi-region, management events (read and write), log-file validation (an hourly signed digest, so
  a deleted or altered log file shows up in `aws cloudtrail validate-logs`), and CloudTrail Insights when
  `insights` is on. It writes into the owning stack's log archive under `cloudtrail/` rather than into a bucket of
  its own: the archive already is private, TLS-only, versioned, aged and expired by `webstack:logs`, optionally
  Object-Locked, and protected in prd; a second bucket would repeat all of that for one writer. The archive admits
  the trail by its ARN (components/logs.py), which the fixed name below makes known before the trail exists.
- **GuardDuty**: one detector in the stack's region, publishing updated findings every 15 minutes instead of
  GuardDuty's default 6 hours.
- **EventBridge rules** on the default bus of the stack's region, each targeting the stack's alarm topic
  (components/alerts.py lets events.amazonaws.com publish to it and use its key, for this account only):
  GuardDuty findings at or above `findingSeverity` (MEDIUM by default: GuardDuty's LOW band is activity that was
  attempted or blocked, which would drown the topic), CloudTrail Insights events, and API calls that stop, delete or
  reconfigure the trail or the detector — evidence someone is turning detection off.

**One owner per account.** A trail, a detector and the alarms on them belong to the account, not to a deployment of
the site. The trail (`webstack-account-trail`) and the ownership record (SSM parameter
`/webstack/account/detection-owner`, holding the owning stack's name) have fixed, account-wide names, and GuardDuty
allows one detector per account and region. A second stack that turns `webstack:account` on in the same account
therefore fails on its first `pulumi up` — ParameterAlreadyExists on the ownership record, which every other
account-level resource here waits for — instead of running a second trail or fighting over the first.

**prd owns it; dev must not.** dev is destroyed at will (destroy-dev.yml) and its archive with it; prd is
protected and outlives dev. If dev owned the trail, destroying dev would delete the account's audit trail and its
logs. The component refuses to run unless the owning stack protects what it holds (`protect`, from
`webstack:logs.protect`), and marks the ownership record, the trail and the detector `protect` and
`retainOnDelete`: removing them from prd leaves them running in AWS. To move ownership, delete the parameter and
`pulumi import` the trail and detector into the new owner.

Scope: GuardDuty and the rules watch the stack's region only; the trail records every region, but Insights events
and findings from other regions reach their own region's event bus, not this topic.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from stack_config.account import SEVERITY_FLOOR, AccountConfig

# Account-wide names: the same in every stack, so that a second claimant collides with the first.
TRAIL_NAME = "webstack-account-trail"
OWNER_PARAMETER = "/webstack/account/detection-owner"
# GuardDuty sends each new finding at once; this is how often it re-sends a finding that keeps recurring.
FINDING_UPDATES = "FIFTEEN_MINUTES"
INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")
# Calls that switch detection off or narrow it, by the service that receives them.
DETECTION_CHANGES = {
    "cloudtrail.amazonaws.com": ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors",
                                 "PutInsightSelectors"),
    "guardduty.amazonaws.com": ("DeleteDetector", "UpdateDetector"),
}


@dataclass(frozen=True)
class AccountDetectionArgs:
    config: AccountConfig
    owner: str
    """The owning stack (`webstack-prd`), written into the ownership record."""
    alarm_topic_arn: pulumi.Input[str]
    """The stack's alarm topic (components/alerts.py), which events.amazonaws.com may publish to."""
    protect: bool
    """Whether the owning stack protects what it holds (`webstack:logs.protect`); detection is refused otherwise."""
    archive_bucket_name: pulumi.Input[str] | None = None
    """The log archive the trail writes to (LogArchive.bucket_name); needed for `cloudtrail`."""
    trail_prefix: str | None = None
    """The archive's prefix for the trail (LogArchive.trail_prefix: the archive grants the trail only there)."""
    archive_ready: Sequence[pulumi.Resource] = ()
    """The archive's policy and settings (LogArchive.writes_ready): CloudTrail refuses a bucket it may not write."""


def _pattern(pattern: dict[str, Any]) -> str:
    return json.dumps(pattern, separators=(",", ":"))


class AccountDetection(pulumi.ComponentResource):
    owner_parameter_name: pulumi.Output[str]
    trail_arn: pulumi.Output[str] | None
    detector_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: AccountDetectionArgs, opts: pulumi.ResourceOptions | None = None):
        config = args.config
        if not args.protect:
            raise ValueError(
                "webstack:account is on in a stack whose log archive is not protected (webstack:logs.protect is "
                "false): `pulumi destroy` of this stack would delete the account's trail, its logs and the "
                "GuardDuty detector. Turn webstack:account on only in the long-lived stack (prd), whose archive is "
                "protected, and remove it from this stack's file")
        if config.cloudtrail and (args.archive_bucket_name is None or args.trail_prefix is None):
            raise ValueError("webstack:account.cloudtrail needs the log archive: build LogArchive with "
                             "account_trail=True and pass its bucket_name and trail_prefix")
        super().__init__("webstack:account:AccountDetection", name, None, opts)
        self._name = name
        self._topic = args.alarm_topic_arn
        # Account-level resources outlive the stack's own removal of them (see the module docstring).
        kept = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)

        # A stack name is no secret: insecure_value keeps it readable in previews.
        owner = aws.ssm.Parameter(
            f"{name}-owner", name=OWNER_PARAMETER, type="String", tier="Standard", insecure_value=args.owner,
            description="The one stack that owns this account's CloudTrail trail and GuardDuty detector",
            opts=kept)
        # Everything account-wide waits for the claim, so a second claimant stops before creating any of it.
        claimed = pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[owner]))

        self.trail_arn = None
        bucket, prefix = args.archive_bucket_name, args.trail_prefix
        if config.cloudtrail and bucket is not None and prefix is not None:  # both present, checked above
            trail = aws.cloudtrail.Trail(
                f"{name}-trail", name=TRAIL_NAME, s3_bucket_name=bucket, s3_key_prefix=prefix,
                is_multi_region_trail=True, include_global_service_events=True, enable_log_file_validation=True,
                enable_logging=True,
                event_selectors=[{"read_write_type": "All", "include_management_events": True}],
                insight_selectors=[{"insight_type": kind} for kind in INSIGHT_TYPES] if config.insights else None,
                tags={"Name": TRAIL_NAME},
                opts=pulumi.ResourceOptions.merge(claimed, pulumi.ResourceOptions(depends_on=list(args.archive_ready))))
            self.trail_arn = trail.arn
            if config.insights:
                self._alarm_on("cloudtrail-insights", "CloudTrail Insights: unusual API call or error rates",
                               {"source": ["aws.cloudtrail"], "detail-type": ["AWS Insight via CloudTrail"]})

        self.detector_id = None
        if config.guardduty:
            detector = aws.guardduty.Detector(f"{name}-guardduty", enable=True,
                                              finding_publishing_frequency=FINDING_UPDATES, opts=claimed)
            self.detector_id = detector.id
            floor = SEVERITY_FLOOR[config.finding_severity]
            self._alarm_on("guardduty-findings", f"GuardDuty findings of severity {config.finding_severity} and above",
                           {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"],
                            "detail": {"severity": [{"numeric": [">=", floor]}]}})

        switched_on = {"cloudtrail.amazonaws.com": config.cloudtrail, "guardduty.amazonaws.com": config.guardduty}
        watched = {source: calls for source, calls in DETECTION_CHANGES.items() if switched_on[source]}
        if watched:
            self._alarm_on("detection-changes", "The account's trail or detector was stopped, deleted or changed",
                           {"detail-type": ["AWS API Call via CloudTrail"],
                            "detail": {"eventSource": sorted(watched),
                                       "eventName": sorted(call for calls in watched.values() for call in calls)}})

        self.owner_parameter_name = owner.name
        self.register_outputs({"ownerParameterName": self.owner_parameter_name, "trailArn": self.trail_arn,
                               "detectorId": self.detector_id})

    def _alarm_on(self, short: str, description: str, pattern: dict[str, Any]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        rule = aws.cloudwatch.EventRule(f"{self._name}-{short}", description=description,
                                        event_pattern=_pattern(pattern), opts=child)
        aws.cloudwatch.EventTarget(f"{self._name}-{short}-alarm", rule=rule.name, arn=self._topic, opts=child)
