"""webstack's CrossGuard policy pack: the rules, grouped by service, as one list.

`from policies import POLICIES` only builds the policy objects; serving them is `policies/__main__.py`'s job
(`pulumi preview --policy-pack policies`), and `python -m policies.offline <stack>` runs the same rules against a
stack captured under mocks.
"""

from . import compute, edge, iam, security_groups, storage

PACK_NAME = "webstack-guardrails"

POLICIES = [
    *security_groups.POLICIES,
    *iam.POLICIES,
    *compute.POLICIES,
    *storage.POLICIES,
    *edge.POLICIES,
]

__all__ = ["PACK_NAME", "POLICIES"]
