"""IAM: least privilege in permission policies, named principals in trust policies, one owner per role policy.

Documents are read wherever they live: `aws.iam.RolePolicy` / `Policy` / `UserPolicy` / `GroupPolicy` (`policy`),
a role's `inlinePolicies[].policy`, and a role's `assumeRolePolicy` for trust.

A service that writes no data says so with the tag `access: read-only` on its task definition and roles
(components/service.py); `iam-read-only-service-cannot-write` follows the tag to every permission its roles hold.
Which services must carry the tag is found from the load balancer, not from the tag: `iam-public-service-is-read-only`
follows every listener rule that answers a path outside the write paths (`writePathPatterns`) to the target groups
it forwards to, and those to the ECS services behind them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from .core import (
    MANDATORY,
    allows,
    as_list,
    describe,
    each_known,
    get,
    known,
    principals,
    resource_policy,
    settings,
    sid,
    stack_policy,
    statements,
)

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
ROLE_POLICIES_EXCLUSIVE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive"
ROLE_POLICY_ATTACHMENTS_EXCLUSIVE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
PERMISSION_DOCUMENT_HOLDERS = (ROLE, ROLE_POLICY, POLICY, USER_POLICY, GROUP_POLICY)
ATTACHMENTS = (ROLE_POLICY_ATTACHMENT, USER_POLICY_ATTACHMENT, GROUP_POLICY_ATTACHMENT, POLICY_ATTACHMENT)

GITHUB_OIDC_PROVIDER = "oidc-provider/token.actions.githubusercontent.com"
GITHUB_AUDIENCE_KEY = "token.actions.githubusercontent.com:aud"
GITHUB_SUBJECT_KEY = "token.actions.githubusercontent.com:sub"
STS_AUDIENCE = "sts.amazonaws.com"
# repo:<owner>/<repo>:<anything>, with owner and repository spelled out (no wildcard before the second colon).
PINNED_GITHUB_SUBJECT = re.compile(r"^repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:.+$")


def permission_documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    """(where, document) for every permission policy the resource holds."""
    if args.resource_type == ROLE:
        for index, inline in enumerate(as_list(get(args.props, "inlinePolicies"))):
            yield f"inlinePolicies[{index}] {get(inline, 'name') or ''}".strip(), get(inline, "policy")
    else:
        yield "policy", get(args.props, "policy")


def _actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def _condition_values(condition: Any, operator: str, key: str) -> list[str]:
    block = get(condition, operator) if condition is not None else None
    if not isinstance(block, Mapping):
        return []
    return [str(v) for k, values in block.items() if k.lower() == key.lower() for v in as_list(values)]


# --- permission policies ---------------------------------------------------------------------------------------

def no_wildcard_actions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for where, document in permission_documents(args):
        for statement in statements(document):
            if not allows(statement):
                continue
            if "NotAction" in statement:
                report_violation(f"{describe(args)}: {sid(statement)} of {where} allows NotAction, i.e. every "
                                 "other action.", None)
            wildcards = [a for a in _actions(statement) if a == "*" or a.endswith(":*")]
            if wildcards:
                report_violation(f"{describe(args)}: {sid(statement)} of {where} allows {', '.join(wildcards)}.", None)


def no_wildcard_resource(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allowed = set(settings("iam-no-wildcard-resource", args).get("allowedWildcardResourceActions", []))
    for where, document in permission_documents(args):
        for statement in statements(document):
            if not allows(statement):
                continue
            if "NotResource" in statement:
                report_violation(f"{describe(args)}: {sid(statement)} of {where} uses NotResource, i.e. every other "
                                 "resource.", None)
            if "*" not in [str(r) for r in as_list(statement.get("Resource"))]:
                continue
            beyond = [a for a in _actions(statement) if a not in allowed]
            if beyond:
                report_violation(f"{describe(args)}: {sid(statement)} of {where} allows {', '.join(beyond)} on "
                                 "Resource \"*\".", None)


def no_admin_managed_policies(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    forbidden = set(settings("iam-no-admin-managed-policies", args).get("forbiddenManagedPolicies", []))
    arns = as_list(get(args.props, "managedPolicyArns")) if args.resource_type == ROLE else \
        as_list(get(args.props, "policyArn"))
    for arn in arns:
        if str(arn) in forbidden:
            report_violation(f"{describe(args)} attaches {arn}.", None)


# --- trust policies --------------------------------------------------------------------------------------------

def _is_github_oidc(kind: str, value: str) -> bool:
    return kind == "Federated" and value.endswith(GITHUB_OIDC_PROVIDER)


def trust_names_specific_principals(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allowed_services = set(settings("iam-trust-names-specific-principals", args).get("allowedServicePrincipals", []))
    for statement in statements(get(args.props, "assumeRolePolicy")):
        if not allows(statement):
            continue
        if "NotPrincipal" in statement:
            report_violation(f"{describe(args)}: {sid(statement)} of the trust policy uses NotPrincipal.", None)
        where = f"{describe(args)}: {sid(statement)} of the trust policy"
        for kind, value in principals(statement):
            if value == "*" or kind == "*":
                report_violation(f"{where} lets any principal assume the role.", None)
            elif kind == "Service" and value not in allowed_services:
                report_violation(f"{where} names service {value}, which is not in allowedServicePrincipals.", None)
            elif kind == "AWS" and not value.startswith("arn:") and not value.isdigit():
                report_violation(f"{where} names AWS principal {value!r}; name an account or role ARN.", None)
            elif kind == "Federated" and not _is_github_oidc(kind, value):
                report_violation(f"{where} names identity provider {value}, which no rule here vouches for.", None)


def github_oidc_trust_pinned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for statement in statements(get(args.props, "assumeRolePolicy")):
        if not allows(statement) or not any(_is_github_oidc(k, v) for k, v in principals(statement)):
            continue
        condition = statement.get("Condition")
        audiences = _condition_values(condition, "StringEquals", GITHUB_AUDIENCE_KEY)
        if audiences != [STS_AUDIENCE]:
            report_violation(f"{describe(args)}: {sid(statement)} of the GitHub OIDC trust must require StringEquals "
                             f"{GITHUB_AUDIENCE_KEY} = {STS_AUDIENCE} (found {audiences or 'none'}).", None)
        subjects = (_condition_values(condition, "StringEquals", GITHUB_SUBJECT_KEY)
                    + _condition_values(condition, "StringLike", GITHUB_SUBJECT_KEY))
        if not subjects:
            report_violation(f"{describe(args)}: {sid(statement)} of the GitHub OIDC trust has no {GITHUB_SUBJECT_KEY} "
                             "condition: every repository on GitHub could assume the role.", None)
        for subject in subjects:
            if not PINNED_GITHUB_SUBJECT.match(subject):
                report_violation(f"{describe(args)}: {sid(statement)} of the GitHub OIDC trust accepts subject "
                                 f"{subject!r}; pin owner and repository (repo:<owner>/<repo>:...).", None)
        unsupported = [k for k in (condition or {}) if k not in ("StringEquals", "StringLike")]
        for operator in unsupported:
            for key in get(condition, operator) or {}:
                if key.lower() == GITHUB_SUBJECT_KEY:
                    report_violation(f"{describe(args)}: {sid(statement)} of the GitHub OIDC trust tests the subject "
                                     f"with {operator}; use StringEquals or StringLike.", None)


# --- who manages a role's policies -----------------------------------------------------------------------------

def _roles_referenced(resource: PolicyResource) -> list[PolicyResource]:
    found = []
    for key in ("role", "roleName", "roles"):
        found += [r for r in resource.property_dependencies.get(key, []) if r.resource_type == ROLE]
    return found


def no_conflicting_role_policy_management(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    managers: dict[str, list[PolicyResource]] = {}
    for resource in args.resources:
        for role in _roles_referenced(resource):
            managers.setdefault(role.urn, []).append(resource)

    def judge(role: PolicyResource) -> None:
        def managing(*types: str) -> list[PolicyResource]:
            return [r for r in managers.get(role.urn, []) if r.resource_type in types]

        # A deployed role reports every inline and attached policy AWS holds, standalone ones included: only an
        # entry that no standalone resource accounts for was declared on the role itself.
        standalone_inline = {known(r.props, "name") for r in managing(ROLE_POLICY)} | {
            name for r in managing(ROLE_POLICIES_EXCLUSIVE) for name in as_list(known(r.props, "policyNames"))}
        standalone_attached = {known(r.props, "policyArn") for r in managing(ROLE_POLICY_ATTACHMENT)} | {
            arn for r in managing(ROLE_POLICY_ATTACHMENTS_EXCLUSIVE) for arn in as_list(known(r.props, "policyArns"))}
        inline_on_role = [get(p, "name") for p in as_list(get(role.props, "inlinePolicies"))
                          if get(p, "name") not in standalone_inline]
        managed_on_role = [arn for arn in as_list(get(role.props, "managedPolicyArns"))
                           if arn not in standalone_attached]

        conflicts = []
        inline_resources = managing(ROLE_POLICY, ROLE_POLICIES_EXCLUSIVE)
        if inline_on_role and inline_resources:
            conflicts.append(f"inlinePolicies on the role and {', '.join(r.name for r in inline_resources)}")
        attachment_resources = managing(ROLE_POLICY_ATTACHMENT, ROLE_POLICY_ATTACHMENTS_EXCLUSIVE)
        if managed_on_role and attachment_resources:
            conflicts.append(f"managedPolicyArns on the role and {', '.join(r.name for r in attachment_resources)}")
        for exclusive in (ROLE_POLICIES_EXCLUSIVE, ROLE_POLICY_ATTACHMENTS_EXCLUSIVE):
            if len(managing(exclusive)) > 1:
                conflicts.append(f"several {exclusive.rsplit(':', 1)[-1]} "
                                 f"({', '.join(r.name for r in managing(exclusive))})")
        for conflict in conflicts:
            report_violation(f"Role {role.name}: its policies are managed twice: {conflict}.", role.urn)

    each_known([r for r in args.resources if r.resource_type == ROLE], judge)


# --- a read-only service holds no write ------------------------------------------------------------------------

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
READ_ONLY_TAG = ("access", "read-only")
TASK_ROLE_KEYS = ("taskRoleArn", "executionRoleArn")
# Verbs of actions that change stored data, its configuration or who may reach it (IAM's Write, Permissions
# management and Tagging access levels, by the name's leading verb). Matched case-insensitively, as IAM matches
# actions; a verb is a prefix of the action name (`Put` covers PutItem, PutObject, PutRecordBatch ...).
WRITE_VERBS = (
    "Put", "Update", "Delete", "Create", "BatchWrite", "Write", "Send", "Publish", "Restore", "Copy", "Upload",
    "Replace", "Tag", "Untag", "Modify", "Import", "Start", "Stop", "Change", "Set", "Attach", "Detach", "Abort",
    "Complete", "Add", "Remove", "Purge", "TransactWrite", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete",
    "Execute", "BatchExecute", "Reboot", "Enable", "Disable", "Increase", "Decrease", "Merge", "Split", "Register",
    "Deregister", "Associate", "Disassociate", "Reset", "Rotate", "Cancel", "Apply", "Promote", "Failover",
    "Backtrack", "Revoke", "Authorize", "Schedule", "Replicate", "Rename", "Bypass", "Initiate",
)
# Data services and the action names of theirs that write, as IAM patterns. Services whose writes are operational
# (logs, ssmmessages, ecr) are not listed: a task cannot start or log without them.
DATA_WRITES: dict[str, tuple[str, ...]] = {
    **{service: tuple(f"{verb}*" for verb in WRITE_VERBS) for service in (
        "dynamodb", "dax", "s3", "s3express", "s3-object-lambda", "sqs", "kinesis", "firehose", "aoss",
        "rds", "rds-data", "secretsmanager", "elasticfilesystem", "glacier", "backup")},
    "sns": tuple(f"{verb}*" for verb in (*WRITE_VERBS, "Subscribe", "Unsubscribe", "Confirm")),
    # OpenSearch: its domains' writes, and the data plane's, which are HTTP verbs.
    "es": (*(f"{verb}*" for verb in WRITE_VERBS), "ESHttpPut", "ESHttpPost", "ESHttpPatch", "ESHttpDelete"),
    # Systems Manager: its parameters only (commands and sessions are no stored data).
    "ssm": ("PutParameter", "DeleteParameter*", "LabelParameterVersion", "UnlabelParameterVersion"),
    # KMS: encrypting is writing ciphertext only this key opens; the key's own lifecycle decides whether any data
    # it encrypted stays readable.
    "kms": ("Encrypt", "ReEncrypt*", "GenerateDataKey*", *(f"{verb}*" for verb in WRITE_VERBS)),
}


@lru_cache(maxsize=4096)
def _patterns_overlap(first: str, second: str) -> bool:
    """Whether two IAM wildcard patterns (`*` any run, `?` one character, case-insensitive) match a common name:
    a search over both patterns' positions, each step reading one character both accept."""
    a, b = first.lower(), second.lower()
    seen: set[tuple[int, int]] = set()
    frontier = [(0, 0)]
    while frontier:
        i, j = frontier.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        # A star may match nothing.
        if i < len(a) and a[i] == "*":
            frontier.append((i + 1, j))
        if j < len(b) and b[j] == "*":
            frontier.append((i, j + 1))
        if i < len(a) and j < len(b) and (a[i] in "*?" or b[j] in "*?" or a[i] == b[j]):
            # Both read one character; a star stays where it is to read more.
            frontier.append((i if a[i] == "*" else i + 1, j if b[j] == "*" else j + 1))
    return False


def data_write(action: str) -> str | None:
    """The data write an allowed action (or action pattern) could be, as `service:name`, or None."""
    service, _, name = action.partition(":")
    if action == "*":
        return "*"
    for data_service, writes in DATA_WRITES.items():
        if not _patterns_overlap(service, data_service):
            continue
        for write in writes:
            if _patterns_overlap(name, write):
                return f"{data_service}:{write}"
    return None


def _tagged_read_only(resource: PolicyResource) -> bool:
    tags = known(resource.props, "tags") or {}
    return isinstance(tags, Mapping) and tags.get(READ_ONLY_TAG[0]) == READ_ONLY_TAG[1]


def _role_arn_names(arn: Any) -> str | None:
    # arn:aws:iam::<account>:role/<path/><name>: the name is the last segment.
    return str(arn).rsplit("/", 1)[-1] if isinstance(arn, str) and ":role/" in arn else None


def _referenced(resource: PolicyResource, key: str, type_: str, candidates: list[PolicyResource],
                named: str | None) -> list[PolicyResource]:
    """The resources of `type_` an input points at: by property dependency, else by the explicit name in the
    ARN or name it holds."""
    by_dependency = [r for r in resource.property_dependencies.get(key, []) if r.resource_type == type_]
    if by_dependency or not named:
        return by_dependency
    return [r for r in candidates if known(r.props, "name") == named]


def _inline_and_standalone(role: PolicyResource, resources: list[PolicyResource]) -> Iterator[tuple[str, Any]]:
    for index, inline in enumerate(as_list(known(role.props, "inlinePolicies"))):
        yield f"its inlinePolicies[{index}]", get(inline, "policy")
    role_name = known(role.props, "name")
    for resource in resources:
        if resource.resource_type != ROLE_POLICY:
            continue
        targets = _roles_referenced(resource)
        if role in targets or (not targets and role_name and known(resource.props, "role") == role_name):
            yield f"RolePolicy {resource.name}", get(resource.props, "policy")


def _attached(role: PolicyResource, resources: list[PolicyResource]) -> Iterator[tuple[str, Any]]:
    """Per attached policy: its ARN, and (the resource that attaches it, the input naming it)."""
    role_name = known(role.props, "name")
    for arn in as_list(known(role.props, "managedPolicyArns")):
        yield str(arn), (role, "managedPolicyArns")
    for resource in resources:
        if resource.resource_type not in (ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT):
            continue
        targets = _roles_referenced(resource)
        named = known(resource.props, "role") == role_name or role_name in as_list(known(resource.props, "roles"))
        if role in targets or (not targets and role_name and named):
            yield str(known(resource.props, "policyArn") or ""), (resource, "policyArn")


def _judge_document(where: str, document: Any, role: PolicyResource, service: str,
                    report_violation: ReportViolation, urn: str) -> None:
    for statement in statements(document):
        if not allows(statement):
            continue  # a Deny restricts; it grants nothing
        intro = f"Role {role.name} of read-only {service}: {sid(statement)} of {where}"
        if "NotAction" in statement:
            report_violation(f"{intro} allows NotAction, i.e. every other action, writes included.", urn)
        for action in _actions(statement):
            write = data_write(action)
            if write:
                shown = action if write in ("*", action) else f"{action} (which matches {write})"
                report_violation(f"{intro} allows {shown}, a write to stored data.", urn)


def read_only_service_cannot_write(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    readable = set(settings("iam-read-only-service-cannot-write", args).get("readOnlyManagedPolicies", []))
    resources = list(args.resources)
    roles = [r for r in resources if r.resource_type == ROLE]
    policies = [r for r in resources if r.resource_type == POLICY]

    # The roles a read-only service runs with: its task definitions' task and execution roles, and roles that
    # carry the tag themselves.
    held: dict[str, tuple[PolicyResource, str]] = {}
    for resource in resources:
        if not _tagged_read_only(resource):
            continue
        if resource.resource_type == ROLE:
            held.setdefault(resource.urn, (resource, f"role {resource.name}"))
        if resource.resource_type == TASK_DEFINITION:
            for key in TASK_ROLE_KEYS:
                arn = known(resource.props, key)
                found = _referenced(resource, key, ROLE, roles, _role_arn_names(arn))
                if arn and not found:
                    report_violation(f"Task definition {resource.name} is tagged access: read-only, but its {key} "
                                     f"{arn} is no role of this stack, so no rule can show it writes nothing.",
                                     resource.urn)
                for role in found:
                    held.setdefault(role.urn, (role, f"task definition {resource.name}"))

    def judge(entry: tuple[PolicyResource, str]) -> None:
        role, service = entry
        for where, document in _inline_and_standalone(role, resources):
            _judge_document(where, document, role, service, report_violation, role.urn)
        for arn, (attacher, key) in _attached(role, resources):
            declared = _referenced(attacher, key, POLICY, policies, arn.rsplit("/", 1)[-1] if arn else None)
            if declared:
                for policy in declared:
                    _judge_document(f"attached policy {policy.name}", get(policy.props, "policy"), role, service,
                                    report_violation, attacher.urn)
            elif arn not in readable:
                report_violation(f"Role {role.name} of read-only {service} attaches {arn or 'a policy'}, whose "
                                 "document the stack does not declare: nothing shows it grants no write.",
                                 attacher.urn)

    each_known(list(held.values()), judge)


# --- a public service is a read-only one ------------------------------------------------------------------------

ECS_SERVICE = "aws:ecs/service:Service"
TARGET_GROUPS = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")


def _values(props: Any, path: str) -> list[Any]:
    """`get(props, path)` as a list; nothing where it reads a value unknown during preview."""
    try:
        return as_list(get(props, path))
    except UnknownValueError:
        return []


def _forwarded_arns(holder: PolicyResource, key: str) -> list[str]:
    """The target group ARNs the actions in input `key` forward to: `targetGroupArn` and
    `forward.targetGroups[].arn`."""
    arns: list[Any] = []
    for action in _values(holder.props, key):
        arns += _values(action, "targetGroupArn")
        for group in _values(action, "forward.targetGroups"):
            arns += _values(group, "arn")
    return [str(arn) for arn in arns if isinstance(arn, str) and arn]


def _service_arns(service: PolicyResource) -> list[str]:
    """The target groups an ECS service registers its tasks in, a blue/green release's alternate one included."""
    arns: list[Any] = []
    for entry in _values(service.props, "loadBalancers"):
        arns += _values(entry, "targetGroupArn")
        arns += _values(entry, "advancedConfiguration.alternateTargetGroupArn")
    return [str(arn) for arn in arns if isinstance(arn, str) and arn]


def _groups(resource: PolicyResource, key: str, arns: list[str], groups: list[PolicyResource]) -> set[str]:
    """What target groups an input points at, each as its URN: by property dependency, else by its ARN output;
    an ARN no target group of the stack holds stands for itself."""
    found = {r.urn for r in resource.property_dependencies.get(key, []) if r.resource_type in TARGET_GROUPS}
    for arn in arns:
        holders = {g.urn for g in groups if known(g.props, "arn") == arn}
        found |= holders or {arn}
    return found


@lru_cache(maxsize=1024)
def _covering(outer: str) -> re.Pattern[str]:
    # The load balancer's path wildcards: `*` any run of characters, `?` exactly one. Read over another pattern's
    # characters, `*` covers any run of them (wildcards included), `?` one character that is no `*`.
    return re.compile("".join(".*" if c == "*" else "[^*]" if c == "?" else re.escape(c) for c in outer), re.DOTALL)


def path_within(pattern: str, outer: str) -> bool:
    """Whether every path the listener-rule path pattern `pattern` matches, `outer` matches too."""
    return _covering(outer).fullmatch(pattern) is not None


def _public_paths(rule: PolicyResource, write_paths: list[str]) -> list[str]:
    """The rule's path patterns that reach beyond the write paths; `*` for a rule that tests no path."""
    paths = [str(v) for condition in _values(rule.props, "conditions")
             for v in _values(condition, "pathPattern.values")]
    if not paths:
        return ["*"]
    return [p for p in paths if not any(path_within(p, outer) for outer in write_paths)]


def _task_definition_of(service: PolicyResource, definitions: list[PolicyResource]) -> list[PolicyResource]:
    """The task definition a service runs: by property dependency, else by its ARN output, else by the family in
    the ARN (`arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`)."""
    by_dependency = [r for r in service.property_dependencies.get("taskDefinition", [])
                     if r.resource_type == TASK_DEFINITION]
    if by_dependency:
        return by_dependency
    value = known(service.props, "taskDefinition")
    if not isinstance(value, str) or not value:
        return []
    by_arn = [d for d in definitions if known(d.props, "arn") == value]
    family = value.rsplit("/", 1)[-1].split(":", 1)[0]
    return by_arn or [d for d in definitions if known(d.props, "family") == family]


def public_service_is_read_only(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    write_paths = [str(p) for p in settings("iam-public-service-is-read-only", args).get("writePathPatterns", [])]
    resources = list(args.resources)
    groups = [r for r in resources if r.resource_type in TARGET_GROUPS]
    definitions = [r for r in resources if r.resource_type == TASK_DEFINITION]

    # Every target group a public path reaches, with how: a listener rule with a path outside the write paths, or
    # a listener's default action (every path no rule takes).
    public: dict[str, str] = {}
    for rule in (r for r in resources if r.resource_type in LISTENER_RULES):
        paths = _public_paths(rule, write_paths)
        if paths:
            for group in _groups(rule, "actions", _forwarded_arns(rule, "actions"), groups):
                public.setdefault(group, f"listener rule {rule.name} ({', '.join(paths)})")
    for listener in (r for r in resources if r.resource_type in LISTENERS):
        for group in _groups(listener, "defaultActions", _forwarded_arns(listener, "defaultActions"), groups):
            public.setdefault(group, f"the default action of listener {listener.name} (every path)")

    def judge(service: PolicyResource) -> None:
        reached = sorted({how for group in _groups(service, "loadBalancers", _service_arns(service), groups)
                          if (how := public.get(group))})
        if not reached:
            return
        intro = f"ECS service {service.name} answers public paths through {' and '.join(reached)}"
        found = _task_definition_of(service, definitions)
        if not found:
            report_violation(f"{intro}, and its task definition {known(service.props, 'taskDefinition')} is no task "
                             "definition of this stack: nothing shows its roles cannot write.", service.urn)
        for definition in found:
            if not _tagged_read_only(definition):
                report_violation(f"{intro}, yet its task definition {definition.name} is not tagged access: "
                                 "read-only, so no rule holds its roles to reads.", definition.urn)

    each_known([r for r in resources if r.resource_type == ECS_SERVICE], judge)


POLICIES = [
    resource_policy(
        "iam-no-wildcard-actions", no_wildcard_actions, types=PERMISSION_DOCUMENT_HOLDERS, level=MANDATORY,
        description="IAM permission policies allow no \"*\" or \"service:*\" actions and no NotAction "
                    "(checkov CKV_AWS_62, CKV_AWS_63; a service-wide \"s3:*\" is held to the same bar).",
        fix="List the exact actions the workload calls (e.g. dynamodb:GetItem, s3:GetObject)."),
    resource_policy(
        "iam-no-wildcard-resource", no_wildcard_resource, types=PERMISSION_DOCUMENT_HOLDERS, level=MANDATORY,
        description="IAM permission policies name their resources; Resource \"*\" only for allow-listed actions "
                    "that have no resource type (checkov CKV_AWS_355, CKV_AWS_111).",
        fix="Scope the statement to the ARNs it serves; actions AWS defines without a resource type go into "
            "policies/policy-config.json (allowedWildcardResourceActions)."),
    resource_policy(
        "iam-trust-names-specific-principals", trust_names_specific_principals, types=(ROLE,), level=MANDATORY,
        description="Role trust policies name specific principals: no \"*\", services only from the allow-list, "
                    "accounts or roles by ARN (checkov CKV_AWS_60, CKV_AWS_61).",
        fix="Trust the one service (e.g. ecs-tasks.amazonaws.com) with an aws:SourceAccount condition, or a role "
            "ARN; add a new service principal to allowedServicePrincipals in policies/policy-config.json."),
    resource_policy(
        "iam-github-oidc-trust-pinned", github_oidc_trust_pinned, types=(ROLE,), level=MANDATORY,
        description="A role trusting GitHub's OIDC provider requires aud = sts.amazonaws.com and a sub pinned to "
                    "one repository (checkov CKV_AWS_358).",
        fix="Add Condition StringEquals token.actions.githubusercontent.com:aud = sts.amazonaws.com and "
            "StringEquals/StringLike token.actions.githubusercontent.com:sub = repo:<owner>/<repo>:<ref or env>."),
    resource_policy(
        "iam-no-admin-managed-policies", no_admin_managed_policies, types=(ROLE, *ATTACHMENTS), level=MANDATORY,
        description="No AdministratorAccess, IAMFullAccess or PowerUserAccess attachments (checkov CKV_AWS_274).",
        fix="Attach a policy scoped to the resources the principal manages."),
    stack_policy(
        "iam-read-only-service-cannot-write", read_only_service_cannot_write, level=MANDATORY,
        description="No role of a read-only service (tag access: read-only on its task definition or the role) can "
                    "write stored data: no Allow, in its inline, standalone or attached policies, of a write action "
                    "(Put, Update, Delete, Create, BatchWrite, Send, Publish, Copy, Upload, Tag, Modify, Start, "
                    "Set, Attach, ...) or of a wildcard that could match one (\"*\", \"s3:*\", "
                    "\"dynamodb:*Item\"), on DynamoDB, S3, SQS, SNS, Kinesis, Firehose, OpenSearch, RDS, Secrets "
                    "Manager, EFS, Backup, SSM parameters, or KMS encryption. The operational writes every task "
                    "makes are no data writes and pass: the execution role's logs:CreateLogStream and "
                    "logs:PutLogEvents, ECS Exec's ssmmessages channels. Source: the design card's "
                    "least-privilege rule; AWS Well-Architected SEC03-BP02 (grant least privilege access); IAM "
                    "User Guide, security best practices (apply least-privilege permissions).",
        fix="Give the read-only service's task role read actions only (components/access.py public_api: "
            "dynamodb:GetItem/Scan, s3:GetObject); a service that must write drops read_only=True and gets its "
            "own grants; an AWS-managed policy known to grant no write goes into readOnlyManagedPolicies in "
            "policies/policy-config.json."),
    stack_policy(
        "iam-public-service-is-read-only", public_service_is_read_only, level=MANDATORY,
        description="Every ECS service the public reaches is tagged read-only, so "
                    "iam-read-only-service-cannot-write judges its roles: a service whose load balancer target "
                    "groups (loadBalancers[].targetGroupArn, and a blue/green release's alternateTargetGroupArn) a "
                    "listener rule forwards to (actions[].targetGroupArn, actions[].forward.targetGroups[].arn) "
                    "with a path pattern outside writePathPatterns, or with no path condition, or that a "
                    "listener's default action forwards to, runs a task definition tagged access: read-only. "
                    "Found by the load balancer's routes, not by the tag, so a public service cannot leave the "
                    "read-only rule by dropping it. Source: README (the public API only reads; no role of the "
                    "public API that can write data); the design card's least-privilege rule; AWS "
                    "Well-Architected SEC03-BP02 (grant least privilege access); IAM User Guide, security best "
                    "practices (apply least-privilege permissions).",
        fix="Declare the public service with read_only=True (components/service.py tags its task definition and "
            "roles access: read-only) and read-only grants (components/access.py public_api); a route that must "
            "write goes under a write path (writePathPatterns in policies/policy-config.json, e.g. /api/admin/*) "
            "and to its own service."),
    stack_policy(
        "iam-no-conflicting-role-policy-management", no_conflicting_role_policy_management, level=MANDATORY,
        description="A role's inline and managed policies each have one owner: the role's inlinePolicies / "
                    "managedPolicyArns, or RolePolicy / RolePolicyAttachment resources, or one *Exclusive resource "
                    "(pulumi-aws Role: conflicting policy management).",
        fix="Keep one form: declare aws.iam.RolePolicy / RolePolicyAttachment and drop inlinePolicies / "
            "managedPolicyArns from the role."),
]
