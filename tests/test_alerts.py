"""Alerts: one encrypted topic every alarm of the stack reports to, and the people it reaches — email, and Slack
through AWS Chatbot only when the stack names a channel."""

from __future__ import annotations

from functools import cache

import pytest

from components.alerts import CHANNEL_GUARDRAIL, CHANNEL_READS, PUBLISHERS
from mock_engine import ACCOUNT_ID, Capture, Resource, StackRunFailed, as_list, policy_document, run_stack, statements

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SLACK = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CHANNEL = {"workspaceId": "T0123ABCDE", "channelId": "C0123ABCDE"}


@cache
def with_slack(stack: str) -> Capture:
    return run_stack(stack, {"webstack:alerts": {"email": "oncall@example.com", "slack": CHANNEL}})


def topic(capture: Capture) -> Resource:
    return capture.one(TOPIC)


def test_the_topic_is_encrypted_with_a_rotating_key_cloudwatch_and_eventbridge_may_use(stack: Capture):
    key = stack.by_id(topic(stack).get("kmsMasterKeyId")) or next(
        k for k in stack.of_type(KEY) if k.state["arn"] == topic(stack).get("kmsMasterKeyId"))
    assert key.get("enableKeyRotation") is True
    [publish] = [s for s in statements(key.get("policy")) if s.get("Sid") == "AlarmsAndEventsPublish"]
    assert publish["Principal"] == {"Service": list(PUBLISHERS)}
    assert sorted(as_list(publish["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_only_alarms_and_events_of_this_account_publish_and_only_over_tls(stack: Capture):
    [policy] = stack.of_type(TOPIC_POLICY)
    assert policy.get("arn") == topic(stack).state["arn"]
    allow, deny = statements(policy.get("policy"))
    assert allow["Principal"] == {"Service": list(PUBLISHERS)} and allow["Action"] == "sns:Publish"
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_every_people_facing_alarm_reports_alarm_and_ok_to_the_topic(stack: Capture):
    arn = topic(stack).state["arn"]
    for alarm in stack.of_type(ALARM):
        actions = as_list(alarm.get("alarmActions"))
        if alarm.get("alarmDescription", "").startswith("Scaling alarm"):
            assert arn not in actions, alarm.name  # it starts or stops a worker task; nobody needs to act
            continue
        assert arn in actions and as_list(alarm.get("okActions")) == [arn], alarm.name


def test_every_alarm_says_what_it_means_and_what_to_look_at(stack: Capture):
    for alarm in stack.of_type(ALARM):
        description = alarm.get("alarmDescription") or ""
        assert len(description) > 60, alarm.name
        assert "look first" in description.lower() or "nothing to do" in description.lower(), alarm.name


def test_without_slack_there_is_no_chat_channel(stack: Capture):
    assert stack.of_type(SLACK) == []
    assert not [r for r in stack.of_type(ROLE) if r.name.endswith("-alarms-chat")]


def test_an_email_address_is_subscribed_when_given():
    capture = with_slack("dev")
    [email] = capture.of_type(SUBSCRIPTION)
    assert (email.get("protocol"), email.get("endpoint")) == ("email", "oncall@example.com")
    assert email.get("topic") == topic(capture).state["arn"]


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_a_named_slack_channel_gets_the_topic_through_chatbot(stack_name: str):
    capture = with_slack(stack_name)
    [channel] = capture.of_type(SLACK)
    assert (channel.get("slackTeamId"), channel.get("slackChannelId")) == (CHANNEL["workspaceId"],
                                                                           CHANNEL["channelId"])
    assert channel.get("snsTopicArns") == [topic(capture).state["arn"]]
    assert channel.get("guardrailPolicyArns") == [CHANNEL_GUARDRAIL]


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_the_channel_role_only_reads_cloudwatch_and_answers_only_to_chatbot_of_this_account(stack_name: str):
    capture = with_slack(stack_name)
    [channel] = capture.of_type(SLACK)
    role = next(r for r in capture.of_type(ROLE) if r.state["arn"] == channel.get("iamRoleArn"))
    [trust] = statements(role.get("assumeRolePolicy"))
    assert trust["Principal"] == {"Service": "chatbot.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    [policy] = [p for p in capture.of_type(ROLE_POLICY) if p.get("role") == role.id]
    [grant] = policy_document(policy.get("policy"))["Statement"]
    assert sorted(grant["Action"]) == sorted(CHANNEL_READS)
    assert all(action.split(":")[1].startswith(("Describe", "Get", "List")) for action in CHANNEL_READS)
    assert role.get("permissionsBoundary") == capture.one("aws:iam/policy:Policy",
                                                          where=lambda p: p.name.endswith("-boundary")).state["arn"]


@pytest.mark.parametrize(("alerts", "key"), [
    ({"email": "not-an-address"}, "webstack:alerts.email"),
    ({"slack": {"workspaceId": "acme", "channelId": "C0123ABCDE"}}, "webstack:alerts.slack.workspaceId"),
    ({"slack": {"workspaceId": "T0123ABCDE", "channelId": "#alarms"}}, "webstack:alerts.slack.channelId"),
    ({"slack": {"workspaceId": "T0123ABCDE"}}, "webstack:alerts.slack.channelId"),
])
def test_bad_alert_settings_stop_before_any_resource_naming_the_key(alerts: dict, key: str):
    with pytest.raises(StackRunFailed) as raised:
        run_stack("dev", {"webstack:alerts": alerts})
    assert key in str(raised.value.error) and raised.value.capture.resources == []
