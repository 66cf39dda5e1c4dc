"""`webstack:alerts`: where the stack's alarms go — ALARM and OK alike — besides the alarm topic itself."""

import re

from pydantic import field_validator

from .base import Section

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
# Slack's own identifiers: workspaces (teams) start with T, channels with C (public) or G (private).
SLACK_WORKSPACE = re.compile(r"^T[A-Z0-9]{8,}$")
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{8,}$")


class SlackConfig(Section):
    workspace_id: str
    """The Slack workspace (team) id, `T…`; the workspace must first be authorised once in the AWS Chatbot console
    (Amazon Q Developer in chat applications), which no API can do."""
    channel_id: str
    """The channel that receives the alarms, `C…` (public) or `G…` (private; invite @Amazon Q first)."""

    @field_validator("workspace_id")
    @classmethod
    def _workspace(cls, value: str) -> str:
        if not SLACK_WORKSPACE.match(value):
            raise ValueError(f"{value!r} is not a Slack workspace id such as T0123ABCDE (Slack: workspace "
                             "settings, or the Chatbot console after authorising it)")
        return value

    @field_validator("channel_id")
    @classmethod
    def _channel(cls, value: str) -> str:
        if not SLACK_CHANNEL.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id such as C0123ABCDE (Slack: the channel's "
                             "details, at the bottom)")
        return value


class AlertsConfig(Section):
    email: str | None = None
    """An address subscribed to the alarm topic (it must confirm the subscription once)."""
    slack: SlackConfig | None = None
    """A Slack channel the alarms are posted to, through AWS Chatbot with a read-only channel role."""

    @field_validator("email")
    @classmethod
    def _email_address(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address such as oncall@example.com")
        return value
