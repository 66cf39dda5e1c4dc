"""Are the CI roles sufficient? Every call of the table, for every resource and invoke of a captured stack, judged
against the policies the stack declares for its CI roles.

- The deploy role (the managed policies attached to it, and any inline one) must allow every call of every
  operation of every resource, except the resources of the CI access and of the role boundary, which are an
  administrator's to change: of those it must allow the reads (a refresh reads them too). It must allow every
  invoke's calls, and be refused every call the table lists under `denied:`.
- The preview role must allow every read and every invoke, except the reads the table marks as `data` (an item, an
  object): those it must be refused, and it then does not refresh such resources.
- A type the capture holds that needs an entry and has none is a finding of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mock_engine import Capture, Resource, as_list, policy_document

from . import NO_CALL_PREFIXES, OPERATIONS, Table
from .iam import Verdict, evaluate
from .requests import Request, Resolver, denied_requests, requests_for

ADMINISTERED_COMPONENTS = ("webstack:ci:CiAccess", "webstack:iam:RoleBoundary")


@dataclass(frozen=True)
class Finding:
    role: str
    request: Request
    verdict: Verdict
    expected: str = "allowed"

    def __str__(self) -> str:
        return f"{self.role} role: {self.request.describe()} should be {self.expected}: {self.verdict.explain()}"


@dataclass
class Report:
    stack: str
    findings: list[Finding] = field(default_factory=list)
    missing_types: list[str] = field(default_factory=list)
    checked: list[tuple[str, Request, Verdict, Verdict | None]] = field(default_factory=list)
    """(type, request, deploy verdict, preview verdict or None when preview is not asked) of every request."""

    @property
    def types(self) -> set[str]:
        return {t for t, *_ in self.checked}


def _role(capture: Capture, kind: str) -> Resource:
    return capture.named(f"webstack-{capture.stack}-ci-{kind}")


def preview_documents(capture: Capture) -> list[dict[str, Any]]:
    preview = _role(capture, "preview")
    return [policy_document(p.inputs["policy"]) for p in capture.of_type("aws:iam/rolePolicy:RolePolicy")
            if p.inputs["role"] == preview.id]


def deploy_documents(capture: Capture) -> list[dict[str, Any]]:
    """Every managed policy attached to the deploy role, plus any inline one."""
    deploy = _role(capture, "deploy")
    attached = [a.inputs["policyArn"] for a in capture.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.inputs["role"] == deploy.state["name"]]
    managed = [p for p in capture.of_type("aws:iam/policy:Policy") if p.state["arn"] in attached]
    if len(managed) != len(attached):
        raise AssertionError("an attachment of the deploy role names a policy the stack does not declare")
    inline = [p for p in capture.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == deploy.id]
    return [policy_document(p.inputs["policy"]) for p in managed + inline]


def administered(capture: Capture) -> set[str]:
    """URNs of the resources only an administrator changes: the CI access and the role boundary."""
    return {r.urn for c in capture.of_type(*ADMINISTERED_COMPONENTS) for r in capture.descendants_of(c)}


def checked_resources(capture: Capture) -> list[Resource]:
    """Every resource a provider acts on: all but the program's components and the providers themselves."""
    return [r for r in capture.resources if not r.type.startswith(NO_CALL_PREFIXES)]


def check(capture: Capture, table: Table, deploy: list[dict[str, Any]] | None = None,
          preview: list[dict[str, Any]] | None = None) -> Report:
    """Judge the stack's CI policies (or the documents given) against the table."""
    deploy = deploy_documents(capture) if deploy is None else deploy
    preview = preview_documents(capture) if preview is None else preview
    report = Report(stack=capture.stack)
    resolver = Resolver(capture)
    held_back = administered(capture)
    resources = checked_resources(capture)
    types = {r.type for r in resources} | {i.token for i in capture.invokes}
    report.missing_types = table.missing(types)

    def judge(request: Request, preview_asked: bool, preview_refused: bool = False) -> None:
        deploy_verdict = evaluate(deploy, request.action, request.resource, request.context)
        preview_verdict = evaluate(preview, request.action, request.resource, request.context) \
            if preview_asked or preview_refused else None
        report.checked.append((request.type, request, deploy_verdict, preview_verdict))
        if not deploy_verdict:
            report.findings.append(Finding("deploy", request, deploy_verdict))
        if preview_asked and preview_verdict is not None and not preview_verdict:
            report.findings.append(Finding("preview", request, preview_verdict))
        if preview_refused and preview_verdict:
            report.findings.append(Finding("preview", request, preview_verdict, expected="refused (it reads data)"))

    for resource in resources:
        entry = table.entry(resource.type)
        if entry is None:
            continue
        is_held_back = resource.urn in held_back
        operations = ("read",) if is_held_back else OPERATIONS
        for request in requests_for(capture, table, resource, operations, is_held_back, resolver):
            reads = request.operation == "read"
            judge(request, preview_asked=reads and not entry.data_reads,
                  preview_refused=reads and bool(entry.data_reads) and request.call.data)
        if not is_held_back:
            for request in denied_requests(capture, table, resource, resolver):
                verdict = evaluate(deploy, request.action, request.resource, request.context)
                if verdict:
                    report.findings.append(Finding("deploy", request, verdict, expected="denied"))

    seen = set()
    for invoke in capture.invokes:
        key = (invoke.token, repr(sorted(invoke.args.items())), invoke.provider)
        if key in seen or table.entry(invoke.token) is None:
            continue
        seen.add(key)
        for request in requests_for(capture, table, invoke, ("read",), resolver=resolver):
            judge(request, preview_asked=True)
    return report


def without_action(documents: Iterable[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """The documents with `action` taken out of every Allow statement (to show the check notices)."""
    changed = []
    for document in documents:
        statements = []
        for statement in as_list(document["Statement"]):
            if statement["Effect"] == "Allow" and "Action" in statement:
                actions = [a for a in as_list(statement["Action"]) if a != action]
                if not actions:
                    continue
                statement = {**statement, "Action": actions}
            statements.append(statement)
        changed.append({**document, "Statement": statements})
    return changed
