"""webstack's CrossGuard policy pack: the rules, in two groups, as one list.

- Security guardrails, grouped by service: what the design allows (who may reach what, least privilege, encryption).
- AWS value rules (`aws_values/`): what AWS itself accepts, the constraints of its API models and reference on every
  value the program sends, so that a value `pulumi up` would be refused fails the preview instead.

Both groups are mandatory where they say so, and `pulumi preview --policy-pack policies` enforces both.

`from policies import POLICIES` only builds the policy objects; serving them is `policies/__main__.py`'s job
(`pulumi preview --policy-pack policies`), and `python -m policies.offline <stack>` runs the same rules against a
stack captured under mocks.
"""

from . import compute, edge, evidence, iam, protection, security_groups, storage
from .aws_values import AWS_VALUE_RULES
from .waivers import WAIVED_POLICY

PACK_NAME = "webstack-guardrails"

GUARDRAILS = [
    *security_groups.POLICIES,
    *iam.POLICIES,
    *compute.POLICIES,
    *storage.POLICIES,
    *edge.POLICIES,
    *evidence.POLICIES,
    *protection.POLICIES,
    WAIVED_POLICY,  # last: it reports what the waivable rules above left to their written waivers
]

GROUPS = {"Security guardrails": GUARDRAILS, "AWS value rules": AWS_VALUE_RULES}

POLICIES = [*GUARDRAILS, *AWS_VALUE_RULES]

__all__ = ["AWS_VALUE_RULES", "GROUPS", "GUARDRAILS", "PACK_NAME", "POLICIES"]
