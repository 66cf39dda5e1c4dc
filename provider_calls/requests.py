"""Concrete IAM requests: the table's calls for one declared resource (or invoke) of a mocked stack.

A request is what IAM would be asked when the provider makes the call for that resource in that stack: the action,
the ARN built from the resource's mocked name, id and state, and the request context (region, tags, boundary,
passed service, ...).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mock_engine import ACCOUNT_ID, Capture, Invoke, Resource

from . import Call, Entry, Table, TableError

PARTITION = "aws"
GENERATED_ID = "0123456789abcdef0"
"""Stands for an id AWS assigns on creation (a scalable target's, a web ACL's), unknown to the program."""

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
Subject = Resource | Invoke


@dataclass(frozen=True)
class Request:
    type: str
    name: str
    operation: str
    action: str
    resource: str
    context: dict[str, Any]
    call: Call
    administered: bool = False

    def describe(self) -> str:
        keys = {k: v for k, v in self.context.items() if k != "aws:TagKeys"}
        return f"{self.type} {self.name} ({self.operation}): {self.action} on {self.resource} with {keys}"


@dataclass
class Resolver:
    """Reads values out of a capture: a resource's fields, references between resources, providers' settings."""
    capture: Capture
    _by_ref: dict[str, Resource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.capture.resources:
            if not r.custom or r.type.startswith("pulumi:providers:"):
                continue
            for ref in (r.id, r.state.get("arn"), r.state.get("name")):
                if isinstance(ref, str) and ref:
                    self._by_ref.setdefault(ref, r)

    # --- providers -----------------------------------------------------------------------------------------

    def region(self, reference: str) -> str:
        provider = self.capture.provider_of(reference)
        region = provider.inputs.get("region") if provider else None
        return region or self.capture.config.get("aws:region", "ap-northeast-1")

    def default_tags(self, reference: str) -> dict[str, str]:
        provider = self.capture.provider_of(reference)
        raw = provider.inputs.get("defaultTags") if provider else None
        if isinstance(raw, str):  # providers receive objects as JSON text
            raw = json.loads(raw)
        return dict((raw or {}).get("tags") or {})

    def tags(self, resource: Resource) -> dict[str, str]:
        return {**self.default_tags(resource.provider), **(resource.inputs.get("tags") or {})}

    def referenced_tags(self, subject: Subject, view: dict[str, Any], path: str, where: str) -> dict[str, str]:
        """The tags of the resource `path` refers to (by its id, ARN or name)."""
        found = [self._by_ref[v] for v in self.values(subject, view, path) if isinstance(v, str) and v in self._by_ref]
        if not found:
            raise TableError(f"{where}: resource-tags={path} names no resource the stack declares")
        return self.tags(found[0])

    # --- values --------------------------------------------------------------------------------------------

    def values(self, subject: Subject, view: dict[str, Any], path: str) -> list[Any]:
        """Every value at `path` (`inputs.a[].b>name|last`), following references with `>`."""
        path, _, filters = path.partition("|")
        hops = path.split(">")
        current: list[Any] = [view]
        for number, hop in enumerate(hops):
            if number:  # follow each value to the resource it names, then read from that resource's view
                current = [self.view(self._by_ref[v]) for v in current if isinstance(v, str) and v in self._by_ref]
            for part in hop.split("."):
                expand = part.endswith("[]")
                key = part.removesuffix("[]")
                found: list[Any] = []
                for value in current:
                    value = value.get(key) if isinstance(value, dict) else None
                    if value is None:
                        continue
                    found.extend(value if expand and isinstance(value, list) else [value])
                current = found
        for name in filter(None, filters.split("|")):
            if name == "last":
                current = [str(v).rsplit("/", 1)[-1] for v in current]
            elif name == "first":
                current = [str(v).split("/", 1)[0] for v in current]
            else:
                raise TableError(f"unknown filter |{name} in {path}")
        return [v for v in current if v not in (None, "", [], {})]

    def view(self, subject: Subject, region: str | None = None) -> dict[str, Any]:
        common = {"partition": PARTITION, "account": ACCOUNT_ID, "generated": GENERATED_ID}
        if isinstance(subject, Invoke):
            return {**common, "region": region or self.region(subject.provider), "args": subject.args,
                    "result": subject.result}
        return {**common, "region": region or self.region(subject.provider), "id": subject.id,
                "name": subject.state.get("name"), "arn": subject.state.get("arn"), "inputs": subject.inputs,
                "state": subject.state}

    def expand(self, subject: Subject, view: dict[str, Any], template: str, where: str) -> list[str]:
        """The template filled in every way the resource's values allow; [] when an optional value is unset."""
        choices: list[list[str]] = []
        for placeholder in _PLACEHOLDER.findall(template):
            optional = placeholder.endswith("?")
            values = self.values(subject, view, placeholder.removesuffix("?"))
            if not values:
                if optional:
                    return []
                raise TableError(f"{where}: {{{placeholder}}} has no value for this resource; mark it optional "
                                 "with `?` if the provider makes the call only when the input is set, or fix the path")
            choices.append([str(v) for v in values])
        parts = _PLACEHOLDER.split(template)
        results = []
        for combination in itertools.product(*choices):
            text = "".join(parts[i] if i % 2 == 0 else combination[i // 2] for i in range(len(parts)))
            results.append(text)
        return sorted(set(results))


def _applies(resolver: Resolver, subject: Subject, view: dict[str, Any], call: Call) -> bool:
    if not call.when:
        return True
    path, _, pattern = call.when.partition("~")
    values = resolver.values(subject, view, path)
    if not pattern:
        return any(v is not False for v in values)
    return any(re.search(pattern, str(v)) for v in values)


def _requests(resolver: Resolver, subject: Subject, entry: Entry, operation: str, calls: tuple[Call, ...],
              administered: bool) -> Iterator[Request]:
    name = subject.name if isinstance(subject, Resource) else subject.token
    for call in calls:
        # `region=provider`: a call to a regional service from a global resource goes to the provider's region.
        region = None if call.region == "provider" else call.region or entry.region or None
        view = resolver.view(subject, region)
        where = f"{entry.type} {operation} `{call.text}`"
        if not _applies(resolver, subject, view, call):
            continue
        context: dict[str, Any] = {"aws:RequestedRegion": view["region"]}
        if isinstance(subject, Resource) and (call.tags or call.resource_tags):
            tags = resolver.tags(subject)
            if call.tags:
                context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
                context["aws:TagKeys"] = sorted(tags)
            if call.resource_tags:
                owner = tags if call.resource_tags is True else \
                    resolver.referenced_tags(subject, view, str(call.resource_tags), where)
                context.update({f"aws:ResourceTag/{k}": v for k, v in owner.items()})
        for key, template in (("iam:PermissionsBoundary", call.boundary), ("iam:PolicyARN", call.policy)):
            if template:
                values = resolver.expand(subject, view, template, where)
                if values:
                    context[key] = values[0]
        if call.passed_to:
            context["iam:PassedToService"] = call.passed_to
        if call.service_name:
            context["iam:AWSServiceName"] = call.service_name
        targets = ["*"] if call.target == "*" else resolver.expand(subject, view, call.target, where)
        for target in targets:
            yield Request(type=entry.type, name=name, operation=operation, action=call.action, resource=target,
                          context=context, call=call, administered=administered)


def requests_for(capture: Capture, table: Table, subject: Subject, operations: tuple[str, ...],
                 administered: bool = False, resolver: Resolver | None = None) -> list[Request]:
    """The requests of `operations` for one resource or invoke; raises KeyError for a type without an entry."""
    resolver = resolver or Resolver(capture)
    type_ = subject.type if isinstance(subject, Resource) else subject.token
    entry = table.entry(type_)
    if entry is None:
        raise KeyError(type_)
    found: list[Request] = []
    for operation in operations:
        found.extend(_requests(resolver, subject, entry, operation, entry.calls(operation), administered))
    return found


def denied_requests(capture: Capture, table: Table, subject: Resource,
                    resolver: Resolver | None = None) -> list[Request]:
    resolver = resolver or Resolver(capture)
    entry = table.entry(subject.type)
    if entry is None:
        raise KeyError(subject.type)
    return list(_requests(resolver, subject, entry, "denied", entry.denied, False))
