"""IAM: CreateRole, CreatePolicy, PutRolePolicy, AttachRolePolicy, CreateInstanceProfile and
CreateOpenIDConnectProvider.

IAM's model has patterns for names, role descriptions and policy documents: a role description takes tab, line
breaks and U+0020..U+007E and U+00A1..U+00FF only, so an em dash or a curly quote fails CreateRole. Document sizes
are account quotas (IAM User Guide, IAM and STS quotas), counted without white space: a trust policy 2,048
characters, a managed policy 6,144, and all inline policies of one role together 10,240.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from ..core import MANDATORY, as_list, each_known, get, known, stack_policy
from .fields import DESCRIPTION, DOCUMENT, NAME, VALUE, AutoName, Request, Tagging, at_most, compact_json, fields

QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

TRUST_POLICY_CHARACTERS = 2_048
MANAGED_POLICY_CHARACTERS = 6_144
INLINE_POLICIES_PER_ROLE_CHARACTERS = 10_240


def policy_characters(document: str) -> int:
    """What IAM counts against its quotas: the characters of the document, white space excluded."""
    return len(re.sub(r"\s", "", document))


def _size(limit: int, what: str) -> tuple[Any, ...]:
    return (at_most(limit, f"{QUOTAS} ({what}: {limit:,} characters, white space not counted)",
                    measure=policy_characters),)


def _document(input_: str, member: str, limit: int, what: str) -> tuple[str, str, dict[str, Any]]:
    return (input_, member, {"to_api": compact_json, "rules": _size(limit, what)})


TAGS = Tagging("iam", "tagKeyType", "tagValueType")

REQUESTS = {
    ROLE: Request((
        *fields("iam", NAME, ("name", "CreateRole.RoleName", {"autoname": AutoName(64)}),
                ("inlinePolicies[].name", "PutRolePolicy.PolicyName")),
        *fields("iam", DESCRIPTION, ("description", "CreateRole.Description")),
        *fields("iam", VALUE, ("maxSessionDuration", "CreateRole.MaxSessionDuration"),
                ("permissionsBoundary", "CreateRole.PermissionsBoundary"),
                ("path", "CreateRole.Path"),
                ("managedPolicyArns[]", "AttachRolePolicy.PolicyArn")),
        *fields("iam", DOCUMENT,
                _document("assumeRolePolicy", "CreateRole.AssumeRolePolicyDocument", TRUST_POLICY_CHARACTERS,
                          "Role trust policy length"),
                ("inlinePolicies[].policy", "PutRolePolicy.PolicyDocument", {"to_api": compact_json})),
    ), tags=TAGS),
    "aws:iam/policy:Policy": Request((
        # pulumi-aws auto-names policies within 255 characters; IAM takes 128.
        *fields("iam", NAME, ("name", "CreatePolicy.PolicyName", {"autoname": AutoName(255)})),
        *fields("iam", DESCRIPTION, ("description", "CreatePolicy.Description")),
        *fields("iam", VALUE, ("path", "CreatePolicy.Path")),
        *fields("iam", DOCUMENT, _document("policy", "CreatePolicy.PolicyDocument", MANAGED_POLICY_CHARACTERS,
                                           "Managed policy length")),
    ), tags=TAGS),
    ROLE_POLICY: Request((
        *fields("iam", NAME, ("name", "PutRolePolicy.PolicyName", {"autoname": AutoName(255)})),
        # A role's inline policies count together: aws-iam-inline-policies-per-role adds them up.
        *fields("iam", DOCUMENT, _document("policy", "PutRolePolicy.PolicyDocument",
                                           INLINE_POLICIES_PER_ROLE_CHARACTERS, "Role policy aggregate")),
    ), unchecked=("role",)),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Request(fields(
        "iam", VALUE, ("policyArn", "AttachRolePolicy.PolicyArn")), unchecked=("role",)),
    "aws:iam/instanceProfile:InstanceProfile": Request((
        *fields("iam", NAME, ("name", "CreateInstanceProfile.InstanceProfileName", {"autoname": AutoName(255)})),
        *fields("iam", VALUE, ("path", "CreateInstanceProfile.Path")),
    ), tags=TAGS, unchecked=("role",)),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": Request(fields(
        "iam", VALUE, ("url", "CreateOpenIDConnectProvider.Url"),
        ("clientIdLists[]", "CreateOpenIDConnectProvider.ClientIDList[]"),
        ("thumbprintLists[]", "CreateOpenIDConnectProvider.ThumbprintList[]")), tags=TAGS),
}


# --- inline policies of one role, together -------------------------------------------------------------------------

def _roles_of(resource: PolicyResource) -> list[PolicyResource]:
    return [r for r in resource.property_dependencies.get("role", []) if r.resource_type == ROLE]


def inline_policies_per_role(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    documents: dict[str, list[tuple[str, int]]] = {}

    def collect(policy: PolicyResource) -> None:
        size = policy_characters(compact_json(get(policy.props, "policy") or ""))
        for role in _roles_of(policy):
            documents.setdefault(role.urn, []).append((policy.name, size))

    def judge(role: PolicyResource) -> None:
        own = [(str(get(p, "name") or "inline"), policy_characters(compact_json(get(p, "policy") or "")))
               for p in as_list(get(role.props, "inlinePolicies")) if known(p, "policy")]
        # A deployed role reports its standalone policies inline too: count each name once.
        standalone = documents.get(role.urn, [])
        names = {name for name, _ in standalone}
        parts = standalone + [(name, size) for name, size in own if name not in names]
        total = sum(size for _, size in parts)
        if total > INLINE_POLICIES_PER_ROLE_CHARACTERS:
            listed = ", ".join(f"{name} {size:,}" for name, size in parts)
            report_violation(f"Role {role.name}: its inline policies hold {total:,} characters ({listed}), more "
                             f"than the {INLINE_POLICIES_PER_ROLE_CHARACTERS:,} IAM allows per role [{QUOTAS}, "
                             "Role policy aggregate, white space not counted].", role.urn)

    each_known([r for r in args.resources if r.resource_type == ROLE_POLICY], collect)
    each_known([r for r in args.resources if r.resource_type == ROLE], judge)


POLICIES = [
    stack_policy(
        "aws-iam-inline-policies-per-role", inline_policies_per_role, level=MANDATORY,
        description="The inline policies of one role hold at most 10,240 characters together, white space not "
                    "counted (IAM User Guide, IAM and AWS STS quotas: role policy aggregate).",
        fix="Move statements into customer managed policies (aws.iam.Policy + RolePolicyAttachment, 6,144 "
            "characters each, 10 per role) or tighten them."),
]
