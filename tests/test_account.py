"""AccountDetection (components/account.py) on each stack's settings, run on its own under the mocks: the trail, the
detector, the rules that reach the alarm topic, and the fixed names that keep a second stack from claiming them."""

import json
from functools import cache
from typing import Any

import pulumi
import pytest
from pydantic import ValidationError

from components.account import OWNER_PARAMETER, TRAIL_NAME, AccountDetection, AccountDetectionArgs
from components.alerts import Alerts, AlertsArgs
from components.logs import LogArchive, LogArchiveArgs
from mock_engine import ACCOUNT_ID, Capture, Resource, merged_config, run_program, statements
from provider_calls.iam import evaluate
from stack_config.account import AccountConfig
from stack_config.alerts import AlertsConfig
from stack_config.logs import LogsConfig
from tests.test_logs import PROPOSED_LOGS, logs_section

DETECTION = "webstack:account:AccountDetection"
TRAIL = "aws:cloudtrail/trail:Trail"
DETECTOR = "aws:guardduty/detector:Detector"
PARAMETER = "aws:ssm/parameter:Parameter"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
KEY = "aws:kms/key:Key"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"

# The `webstack:account` sections handed over for the stack files: prd owns the account's detection, dev leaves
# the section out. Until the program reads the section, the stack files cannot hold it.
PROPOSED_ACCOUNT: dict[str, dict[str, Any] | None] = {
    "dev": None,
    "prd": {"cloudtrail": True, "insights": True, "guardduty": True, "findingSeverity": "MEDIUM"},
}
EVENTS = "events.amazonaws.com"


def account_section(stack: str) -> dict[str, Any] | None:
    config = merged_config(stack, None)
    if "webstack:logs" in config:  # the stack files hold the new sections: theirs is the truth, absent or not
        return config.get("webstack:account")
    return PROPOSED_ACCOUNT[stack]


def detection_program(stack: str, account: AccountConfig, logs: LogsConfig | None = None) -> Capture:
    """The stack's alarm topic, log archive and account detection, wired as the program wires them."""
    logs = logs or LogsConfig.model_validate(logs_section(stack))
    region = merged_config(stack, None)["aws:region"]

    def program() -> None:
        alerts = Alerts(f"webstack-{stack}-alerts", AlertsArgs(config=AlertsConfig()))
        archive = LogArchive(f"webstack-{stack}-logs", LogArchiveArgs(
            config=logs, region=region, images_bucket_arn="arn:aws:s3:::images", account_trail=account.cloudtrail))
        detection = AccountDetection(f"webstack-{stack}-account", AccountDetectionArgs(
            config=account, owner=f"webstack-{stack}", alarm_topic_arn=alerts.topic_arn, protect=archive.protected,
            archive_bucket_name=archive.bucket_name, trail_prefix=archive.trail_prefix,
            archive_ready=archive.writes_ready))
        pulumi.export("trailArn", detection.trail_arn)
        pulumi.export("detectorId", detection.detector_id)
        pulumi.export("ownerParameterName", detection.owner_parameter_name)

    return run_program(program, stack)


@cache
def prd() -> Capture:
    section = account_section("prd")
    assert section is not None, "prd owns the account's detection: its stack file must hold webstack:account"
    return detection_program("prd", AccountConfig.model_validate(section))


def inside(capture: Capture, type_: str) -> list[Resource]:
    return [r for r in capture.descendants_of(capture.one(DETECTION)) if r.type == type_]


def one(capture: Capture, type_: str) -> Resource:
    [found] = inside(capture, type_)
    return found


def rule(capture: Capture, short: str) -> Resource:
    [found] = [r for r in inside(capture, RULE) if r.name.endswith(f"-account-{short}")]
    return found


def pattern(capture: Capture, short: str) -> dict[str, Any]:
    return json.loads(rule(capture, short).get("eventPattern"))


def target_of(capture: Capture, rule_: Resource) -> Resource:
    [found] = [t for t in inside(capture, TARGET) if t.get("rule") == rule_.state["name"]]
    return found


def archive_bucket(capture: Capture) -> Resource:
    return capture.one("aws:s3/bucket:Bucket", where=lambda r: r.name.endswith("-logs"))


# --- ownership -----------------------------------------------------------------------------------------------

def test_dev_leaves_the_account_to_prd():
    assert account_section("dev") is None
    assert account_section("prd") is not None


def test_the_ownership_record_has_one_account_wide_name_and_names_the_owner():
    capture = prd()
    owner = one(capture, PARAMETER)
    assert owner.get("name") == OWNER_PARAMETER == "/webstack/account/detection-owner"
    assert (owner.get("type"), owner.get("tier")) == ("String", "Standard")
    assert owner.get("insecureValue") == "webstack-prd"
    # A second claimant must fail on the existing parameter, not take it over.
    assert owner.get("overwrite") is not True
    assert capture.outputs["ownerParameterName"] == OWNER_PARAMETER


def test_the_trail_has_one_account_wide_name():
    trail = one(prd(), TRAIL)
    assert trail.get("name") == TRAIL_NAME == "webstack-account-trail"


def test_everything_account_wide_waits_for_the_claim():
    capture = prd()
    owner = one(capture, PARAMETER)
    for resource in (one(capture, TRAIL), one(capture, DETECTOR)):
        assert owner.urn in resource.dependencies, resource.name


def test_account_wide_resources_survive_their_removal_from_the_stack():
    capture = prd()
    for resource in (one(capture, PARAMETER), one(capture, TRAIL), one(capture, DETECTOR)):
        assert resource.protect and resource.retain_on_delete, resource.name


def test_a_stack_whose_archive_is_destroyable_may_not_own_the_account():
    dev_logs = LogsConfig.model_validate(logs_section("dev"))
    assert dev_logs.protect is False
    with pytest.raises(Exception) as raised:
        detection_program("dev", AccountConfig(), logs=dev_logs)
    message = str(raised.value)
    assert "webstack:logs.protect" in message and "prd" in message and "remove it" in message


def test_the_trail_needs_the_archive():
    def program() -> None:
        AccountDetection("webstack-prd-account", AccountDetectionArgs(
            config=AccountConfig(), owner="webstack-prd", alarm_topic_arn="arn:aws:sns:ap-northeast-1:1:t",
            protect=True))

    with pytest.raises(Exception) as raised:
        run_program(program, "prd")
    assert "account_trail=True" in str(raised.value)


# --- the trail -------------------------------------------------------------------------------------------------

def test_the_trail_records_management_events_of_every_region_with_validated_log_files():
    trail = one(prd(), TRAIL)
    assert trail.get("isMultiRegionTrail") is True
    assert trail.get("includeGlobalServiceEvents") is True
    assert trail.get("enableLogFileValidation") is True
    assert trail.get("enableLogging") is True
    assert trail.get("eventSelectors") == [{"readWriteType": "All", "includeManagementEvents": True}]
    assert trail.get("insightSelectors") == [{"insightType": "ApiCallRateInsight"},
                                             {"insightType": "ApiErrorRateInsight"}]


def test_the_trail_writes_where_the_archive_admits_it():
    capture = prd()
    trail, bucket = one(capture, TRAIL), archive_bucket(capture)
    assert trail.get("s3BucketName") == bucket.state["bucket"]
    assert trail.get("s3KeyPrefix") == "cloudtrail"
    policy = capture.one(BUCKET_POLICY, where=lambda r: r.get("bucket") == bucket.id)
    # The archive names the trail before it exists; the name it pins is the ARN the trail gets.
    documents = [{"Statement": statements(policy.get("policy"))}]
    context = {"aws:SecureTransport": "true", "aws:SourceArn": trail.state["arn"], "aws:SourceAccount": ACCOUNT_ID,
               "s3:x-amz-acl": "bucket-owner-full-control"}
    key = f"{bucket.state['arn']}/cloudtrail/AWSLogs/{ACCOUNT_ID}/CloudTrail/ap-northeast-1/2025/01/31/x.json.gz"
    assert evaluate(documents, "s3:PutObject", key, context)
    assert evaluate(documents, "s3:GetBucketAcl", bucket.state["arn"], context)
    # CloudTrail refuses a bucket it may not write: the trail waits for the policy.
    assert policy.urn in trail.dependencies


def test_without_insights_the_trail_has_no_insight_selectors_and_no_insights_rule():
    capture = detection_program("prd", AccountConfig(insights=False))
    assert one(capture, TRAIL).get("insightSelectors") is None
    assert not [r for r in inside(capture, RULE) if r.name.endswith("cloudtrail-insights")]


# --- GuardDuty -------------------------------------------------------------------------------------------------

def test_the_detector_is_on_and_reports_updates_every_15_minutes():
    detector = one(prd(), DETECTOR)
    assert detector.get("enable") is True
    assert detector.get("findingPublishingFrequency") == "FIFTEEN_MINUTES"
    assert prd().outputs["detectorId"] == detector.id


# --- rules to the alarm topic ----------------------------------------------------------------------------------

def test_guardduty_findings_of_medium_severity_and_above_reach_the_alarm_topic():
    capture = prd()
    assert pattern(capture, "guardduty-findings") == {
        "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 4.0]}]}}


@pytest.mark.parametrize("severity, floor", [("LOW", 1.0), ("HIGH", 7.0), ("CRITICAL", 9.0)])
def test_the_severity_floor_follows_the_setting(severity: str, floor: float):
    capture = detection_program("prd", AccountConfig.model_validate({"findingSeverity": severity}))
    assert pattern(capture, "guardduty-findings")["detail"] == {"severity": [{"numeric": [">=", floor]}]}


def test_cloudtrail_insights_events_reach_the_alarm_topic():
    assert pattern(prd(), "cloudtrail-insights") == {"source": ["aws.cloudtrail"],
                                                     "detail-type": ["AWS Insight via CloudTrail"]}


def test_turning_detection_off_or_changing_it_reaches_the_alarm_topic():
    watched = pattern(prd(), "detection-changes")
    assert watched["detail-type"] == ["AWS API Call via CloudTrail"]
    assert watched["detail"]["eventSource"] == ["cloudtrail.amazonaws.com", "guardduty.amazonaws.com"]
    assert {"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "DeleteDetector",
            "UpdateDetector"} <= set(watched["detail"]["eventName"])


def test_every_rule_targets_the_stacks_alarm_topic_and_that_topic_takes_events():
    capture = prd()
    topic = capture.one(TOPIC)
    rules = inside(capture, RULE)
    assert {r.name.rsplit("-account-", 1)[1] for r in rules} == {"guardduty-findings", "cloudtrail-insights",
                                                                  "detection-changes"}
    for rule_ in rules:
        assert target_of(capture, rule_).get("arn") == topic.state["arn"], rule_.name
    # EventBridge publishes to the encrypted topic only if the topic policy and the key let it, for this account.
    topic_policy = {"Statement": statements(capture.one(TOPIC_POLICY).get("policy"))}
    from_events = {"aws:SecureTransport": "true", "aws:SourceAccount": ACCOUNT_ID}
    events = [s for s in topic_policy["Statement"] if EVENTS in json.dumps(s.get("Principal"))]
    assert events and evaluate([{"Statement": events}], "sns:Publish", topic.state["arn"], from_events)
    key_policy = [s for s in statements(capture.one(KEY).get("policy")) if EVENTS in json.dumps(s.get("Principal"))]
    assert key_policy and evaluate([{"Statement": key_policy}], "kms:GenerateDataKey", "*", from_events)


def test_only_the_parts_switched_on_are_declared():
    trail_only = detection_program("prd", AccountConfig(guardduty=False))
    assert inside(trail_only, DETECTOR) == []
    assert pattern(trail_only, "detection-changes")["detail"]["eventSource"] == ["cloudtrail.amazonaws.com"]
    assert not [r for r in inside(trail_only, RULE) if r.name.endswith("guardduty-findings")]
    detector_only = detection_program("prd", AccountConfig(cloudtrail=False, insights=False))
    assert inside(detector_only, TRAIL) == []
    assert pattern(detector_only, "detection-changes")["detail"] == {
        "eventSource": ["guardduty.amazonaws.com"], "eventName": ["DeleteDetector", "UpdateDetector"]}
    # Without the trail, the archive admits no trail either.
    bucket = archive_bucket(detector_only)
    policy = detector_only.one(BUCKET_POLICY, where=lambda r: r.get("bucket") == bucket.id)
    assert not [s for s in statements(policy.get("policy")) if s["Sid"].startswith("AccountTrail")]


def test_insights_without_the_trail_are_refused_naming_the_fix():
    with pytest.raises(ValidationError) as raised:
        AccountConfig.model_validate({"cloudtrail": False, "insights": True})
    [error] = raised.value.errors()
    assert error["loc"] == ("insights",) and "set insights to false" in error["msg"]


def test_the_proposed_sections_are_valid():
    assert PROPOSED_LOGS["prd"]["protect"] is True
    for section in PROPOSED_ACCOUNT.values():
        if section is not None:
            assert AccountConfig.model_validate(section)


def test_the_components_resources_are_its_children_named_after_it():
    capture = prd()
    component = capture.one(DETECTION)
    children = capture.children_of(component)
    assert {r.type for r in children} == {PARAMETER, TRAIL, DETECTOR, RULE, TARGET}
    assert all(r.name.startswith(f"{component.name}-") for r in children)
