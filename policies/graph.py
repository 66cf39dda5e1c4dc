"""The stack as a graph, for rules that join resources: what refers to what, found once per stack.

A resource refers to another through an input computed from it: the engine records the other's URN among the
input's property dependencies (in a preview too, where the value itself may still be unknown). Where a rule is
handed resources without dependencies, an input whose known value is the other's name or ARN counts as well.

`stack_of(args)` indexes the stack's resources by type. The offline check hands every stack policy the same list,
so the index is built once per stack there; the engine hands each policy a list of its own and pays the (small)
indexing per policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs

from .core import as_list, known

# The inputs that name a resource to others: a bucket's name, an ARN, an id.
IDENTITIES = ("bucket", "arn", "id", "name")


def stack_name(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` → `<stack>`."""
    return urn.split("::", 1)[0].rsplit(":", 1)[-1] if urn.startswith("urn:pulumi:") else ""


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


class Stack:
    """The resources of one stack by type, and the references between them."""

    def __init__(self, resources: Iterable[PolicyResource]):
        self.resources = list(resources)
        self._by_type: dict[str, list[PolicyResource]] = defaultdict(list)
        for resource in self.resources:
            self._by_type[resource.resource_type].append(resource)

    def of(self, *types: str) -> list[PolicyResource]:
        return [r for t in types for r in self._by_type.get(t, ())]

    def refers(self, resource: PolicyResource, key: str, target: PolicyResource) -> bool:
        """Whether `resource`'s input `key` was computed from `target`, or names it by a known value."""
        if any(dependency.urn == target.urn for dependency in resource.property_dependencies.get(key, ())):
            return True
        values = {str(v) for v in as_list(known(resource.props, key)) if isinstance(v, str) and v}
        if not values:
            return False
        names = {str(v) for attribute in IDENTITIES if isinstance(v := known(target.props, attribute), str) and v}
        return bool(values & names)

    def referring(self, target: PolicyResource, key: str, *types: str) -> list[PolicyResource]:
        """The resources of `types` whose input `key` refers to `target`."""
        return [r for r in self.of(*types) if self.refers(r, key, target)]

    def referred(self, resource: PolicyResource, key: str, *types: str) -> list[PolicyResource]:
        """The resources of `types` that `resource`'s input `key` refers to."""
        return [r for r in self.of(*types) if self.refers(resource, key, r)]


_last: tuple[Any, Stack] | None = None


def stack_of(args: StackValidationArgs) -> Stack:
    """The index of `args.resources`, reused while the same list is judged."""
    global _last
    if _last is None or _last[0] is not args.resources:
        _last = (args.resources, Stack(args.resources))
    return _last[1]
