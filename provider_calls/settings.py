"""The stack settings the CI-role check runs under: every optional resource type switched on, per stack.

Each override turns on what its stack file leaves off, so that every resource type the program can declare is
judged against the CI roles by some setting:

- both stacks: e-mail and Slack alarm delivery (SNS subscription, Chatbot channel and its role), ECS Exec, VPC flow
  logs and interface endpoints;
- dev: a custom domain with its certificates, validation and records, and the web ACL with its logging;
- prd: the sample catalogue (table items, seed objects), besides the account trail and detector its file turns on;
- prd with Object Lock on the log archive (which refuses the images bucket's access logs, so those go off).
"""

from __future__ import annotations

from typing import Any

EXAMPLE_CI = {"repository": "acme/webstack"}
BOTH = {
    "webstack:alerts": {"email": "oncall@example.com",
                        "slack": {"workspaceId": "T0123ABCDE", "channelId": "C0123ABCDE"}},
    "webstack:platform": {"execEnabled": True},
    "webstack:network": {"flowLogs": True, "interfaceEndpoints": True},
}
EVERYTHING = {
    "dev": {**BOTH, "webstack:site": {"domain": "shop.example.com", "hostedZone": "example.com", "waf": True}},
    "prd": {**BOTH, "webstack:data": {"seed": True}},
}
OBJECT_LOCK = {"webstack:logs": {"objectLock": True, "imagesBucket": False}}


def everything(stack: str) -> dict[str, Any]:
    """The overrides that switch every optional resource of `stack` on (for another stack, those of both)."""
    return dict(EVERYTHING.get(stack, BOTH))
