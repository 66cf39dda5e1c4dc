"""Alerts: the stack's alarm topic and the people it reaches.

Every alarm of the stack sends ALARM and OK to one SNS topic, encrypted with a customer managed key: CloudWatch
and EventBridge can publish to an encrypted topic only when the key lets them use it, and the AWS managed key
(alias/aws/sns) has a fixed policy that does not. From the topic:

- email, when `webstack:alerts.email` is set (the address confirms once);
- Slack, when `webstack:alerts.slack` names a workspace and a channel: AWS Chatbot (Amazon Q Developer in chat
  applications) posts each notification. Its channel role may only read CloudWatch (for alarm graphs), and the
  channel's guardrail holds every member's commands to the same read-only policy.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# Aliases to the landed FargateApi's topic and key, until every stack has run one `up` with them
# (components/migration.py).
from components.migration import from_fargate_api
from components.policy_documents import allow, deny_insecure_transport, document, service_trust
from stack_config.alerts import AlertsConfig

PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")
CHATBOT = "chatbot.amazonaws.com"
# What Chatbot reads to draw an alarm's graph in the channel, and no more; none of these has a resource type.
CHANNEL_READS = ("cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics",
                 "cloudwatch:ListMetrics")
CHANNEL_GUARDRAIL = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"


@dataclass(frozen=True)
class AlertsArgs:
    config: AlertsConfig
    permissions_boundary_arn: pulumi.Input[str] | None = None
    """The stack's RoleBoundary (components/boundary.py), set on the Chatbot channel role."""


class Alerts(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    topic_name: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:alerts:Alerts", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        key = aws.kms.Key(
            f"{name}-key", description="Encrypts the stack's alarm topic", enable_key_rotation=True,
            deletion_window_in_days=30, policy=pulumi.Output.json_dumps(document(
                {"Sid": "AccountAdministersKey", "Effect": "Allow",
                 "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account, ":root")},
                 "Action": "kms:*", "Resource": "*"},
                {"Sid": "AlarmsAndEventsPublish", "Effect": "Allow", "Principal": {"Service": list(PUBLISHERS)},
                 "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
                 "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
            )), tags={"Name": f"{name}-key"}, opts=from_fargate_api(child, aws.kms.Key, "alarms-key"))
        # Replaced on the first `up` of a landed stack all the same: its topic had a generated name.
        topic = aws.sns.Topic(name, name=name, kms_master_key_id=key.arn, tags={"Name": name},
                              opts=from_fargate_api(child, aws.sns.Topic, "alarms"))
        aws.sns.TopicPolicy(f"{name}-policy", arn=topic.arn, policy=pulumi.Output.json_dumps(document(
            {"Sid": "AlarmsAndEventsOfThisAccountPublish", "Effect": "Allow",
             "Principal": {"Service": list(PUBLISHERS)}, "Action": "sns:Publish", "Resource": topic.arn,
             "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
            deny_insecure_transport("sns:Publish", topic.arn),
        )), opts=child)

        if config.email:
            aws.sns.TopicSubscription(f"{name}-email", topic=topic.arn, protocol="email", endpoint=config.email,
                                      opts=from_fargate_api(child, aws.sns.TopicSubscription, "alarms-email"))
        if config.slack:
            role = aws.iam.Role(
                f"{name}-chat", description="AWS Chatbot channel: read CloudWatch to show alarm graphs",
                assume_role_policy=pulumi.Output.json_dumps(service_trust(CHATBOT, account)),
                permissions_boundary=args.permissions_boundary_arn, opts=child)
            aws.iam.RolePolicy(f"{name}-chat-policy", role=role.id, policy=pulumi.Output.json_dumps(document(
                allow("ReadAlarmGraphs", CHANNEL_READS, "*"))), opts=child)
            aws.chatbot.SlackChannelConfiguration(
                f"{name}-slack", configuration_name=name, slack_team_id=config.slack.workspace_id,
                slack_channel_id=config.slack.channel_id, iam_role_arn=role.arn, sns_topic_arns=[topic.arn],
                guardrail_policy_arns=[CHANNEL_GUARDRAIL], logging_level="ERROR", tags={"Name": name},
                opts=child)

        self.topic_arn = topic.arn
        self.topic_name = topic.name
        self.key_arn = key.arn
        self.register_outputs({"topicArn": self.topic_arn, "topicName": self.topic_name, "keyArn": self.key_arn})
