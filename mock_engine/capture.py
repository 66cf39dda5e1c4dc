"""What a mocked run of the program declared: every resource with its inputs and options, and the stack outputs.

Inputs are as the engine sees them: camelCase keys, numbers as floats, objects a provider receives as JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc


@dataclass
class Resource:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    provider: str = ""
    custom: bool = True
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    aliases: list[str | dict[str, Any]] = field(default_factory=list)
    """The `aliases` option as the engine receives it: a URN, or a spec (`name`, `type`, `stack`, `project`,
    `parentUrn`, `noParent`; empty where the spec leaves it to the resource's own). Only the resource's own: the
    engine, not the SDK, derives the aliases its children inherit."""

    def get(self, path: str, default: Any = None) -> Any:
        """Dotted lookup in the inputs: `res.get("metadataOptions.httpTokens")`."""
        value: Any = self.inputs
        for part in path.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return default
        return value

    def __repr__(self) -> str:
        return f"<{self.type} {self.name}>"


@dataclass
class Invoke:
    """One data-source call the program made: its token, arguments, the provider reference it went to, and the
    mock's answer."""
    token: str
    args: dict[str, Any]
    provider: str = ""
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class Capture:
    stack: str
    config: dict[str, Any]
    resources: list[Resource]
    outputs: dict[str, Any]
    invokes: list[Invoke] = field(default_factory=list)

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def one(self, type_: str, where: Callable[[Resource], bool] | None = None) -> Resource:
        found = [r for r in self.of_type(type_) if where is None or where(r)]
        assert len(found) == 1, f"expected exactly one {type_}, found {found}"
        return found[0]

    def named(self, name: str) -> Resource:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {found}"
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)

    def provider_of(self, reference: str) -> Resource | None:
        """The provider resource a provider reference (`<provider urn>::<provider id>`) names."""
        urn = reference.rsplit("::", 1)[0] if reference else ""
        return next((r for r in self.resources if r.urn == urn), None)

    def by_id(self, id_: Any) -> Resource | None:
        """The resource whose mocked physical id is `id_` (inputs reference other resources by id)."""
        for r in self.resources:
            if r.id and r.id == id_:
                return r
        return None

    def children_of(self, parent: Resource) -> list[Resource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def descendants_of(self, ancestor: Resource) -> list[Resource]:
        found, frontier = [], [ancestor.urn]
        while frontier:
            urn = frontier.pop()
            for r in self.resources:
                if r.parent == urn:
                    found.append(r)
                    frontier.append(r.urn)
        return found

    @property
    def custom_resources(self) -> list[Resource]:
        return [r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:")]


class StackRunFailed(Exception):
    """The program raised; `capture` holds whatever it had declared before it did."""

    def __init__(self, capture: Capture, error: BaseException):
        super().__init__(f"{type(error).__name__}: {error}")
        self.capture = capture
        self.error = error


class CapturingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps every registration request's options, not only its state."""

    def __init__(self, mocks: Any):
        super().__init__(mocks)
        self.captured: list[Resource] = []
        self.invokes: list[Invoke] = []

    def Invoke(self, request):
        response = super().Invoke(request)
        if request.tok != "pulumi:pulumi:getResource":
            self.invokes.append(Invoke(token=request.tok, args=rpc.deserialize_properties(request.args),
                                       provider=request.provider,
                                       result=rpc.deserialize_properties(getattr(response, "return"))))
        return response

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            urn = response.urn
            registration = self.resources.get(urn)
            self.captured.append(Resource(
                type=request.type, name=request.name, urn=urn,
                inputs=rpc.deserialize_properties(request.object),
                parent=request.parent, dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                provider=request.provider, custom=request.custom, protect=request.protect,
                retain_on_delete=request.retainOnDelete, delete_before_replace=request.deleteBeforeReplace,
                ignore_changes=list(request.ignoreChanges),
                state=dict(registration.state) if registration else {}, id=registration.id if registration else "",
                aliases=[*map(_alias, request.aliases), *request.aliasURNs],
            ))
        return response


def _alias(alias: Any) -> str | dict[str, Any]:
    if alias.HasField("urn"):
        return alias.urn
    spec = alias.spec
    return {"name": spec.name, "type": spec.type, "stack": spec.stack, "project": spec.project,
            "parentUrn": spec.parentUrn, "noParent": spec.noParent}


def policy_document(value: Any) -> dict[str, Any]:
    """An IAM policy as the engine sends it: JSON text or an object."""
    return json.loads(value) if isinstance(value, str) else value


def statements(value: Any) -> list[dict[str, Any]]:
    statement = policy_document(value).get("Statement", [])
    return statement if isinstance(statement, list) else [statement]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]

