"""The policy tests' cases: resources written the way the engine hands them to the pack (camelCase inputs, numbers
as floats, IAM documents as JSON text, property dependencies for every input computed from another resource),
judged through the offline check (`policies.offline.check_capture`), the same argument building the real stack
check uses."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import Policy

from mock_engine import Capture, Resource
from policies.offline import check_capture


def res(type_: str, name: str, inputs: dict[str, Any] | None = None, deps: dict[str, list[Resource]] | None = None,
        *, protect: bool = False, stack: str = "test", provider: str = "") -> Resource:
    """A captured resource; `deps` maps an input to the resources it was computed from."""
    return Resource(type=type_, name=name, urn=f"urn:pulumi:{stack}::webstack::{type_}::{name}",
                    inputs={} if inputs is None else inputs, protect=protect, provider=provider,
                    property_dependencies={k: [r.urn for r in v] for k, v in (deps or {}).items()})


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def messages(policies: list[Policy], resources: list[Resource],
             config: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """What `policies` report on `resources`, in a stack no waiver names (`test`), under `config` or the pack's
    own settings."""
    capture = Capture(stack="test", config={}, resources=resources, outputs={})
    return [v.message for v in check_capture(capture, policies=policies, config=config).violations]
