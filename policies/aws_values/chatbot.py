"""AWS Chatbot (Amazon Q Developer in chat applications): CreateSlackChannelConfiguration.

botocore names the service `chatbot`. Its model states every rule the program's values meet: the configuration
name (1 to 128 of letters, digits, hyphens and underscores), the Slack workspace and channel IDs (upper-case letters
and digits; letters and digits), the logging level (ERROR, INFO or NONE, as a pattern), the guardrail policies' ARNs
(IAM policies, no service-linked role) and its tags (keys 1 to 128, values up to 256 characters). pulumi-aws does
not auto-name a channel configuration: its name is required.
"""

from __future__ import annotations

from .fields import NAME, VALUE, Request, Tagging, fields

CREATE = "CreateSlackChannelConfiguration"

REQUESTS = {
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": Request((
        *fields("chatbot", NAME, ("configurationName", f"{CREATE}.ConfigurationName")),
        *fields("chatbot", VALUE, ("slackTeamId", f"{CREATE}.SlackTeamId"),
                ("slackChannelId", f"{CREATE}.SlackChannelId"), ("loggingLevel", f"{CREATE}.LoggingLevel"),
                ("guardrailPolicyArns", f"{CREATE}.GuardrailPolicyArns"),
                ("userAuthorizationRequired", f"{CREATE}.UserAuthorizationRequired")),
    ), tags=Tagging("chatbot", "TagKey", "TagValue"),
        # The channel role and the alarm topic: references to resources of the stack, judged as those resources.
        unchecked=("iamRoleArn", "snsTopicArns")),
}
