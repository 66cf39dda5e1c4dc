"""The IAM actions the pinned providers call for each resource type the program declares: `calls.yaml`, loaded.

`calls.yaml` is a table, taken from the providers' source, of what creating, reading (refresh, and the reads a
preview makes of an existing resource), updating, tagging, untagging and deleting each resource type costs in IAM
terms, with the ARN each action is authorized against and the request-context keys our policies condition on.
tests/test_ci_roles_sufficient.py evaluates the CI roles' policies against it for every resource of both stacks;
`python -m provider_calls dev prd` prints the same as a table.

Types that need no entry, because no provider call stands behind them:

- `webstack:*` — the program's own component resources: they group resources and call nothing.
- `pulumi:providers:*` — provider resources: configuring a provider makes no AWS call (its credentials check,
  `sts:GetCallerIdentity`, needs no permission).

Every other type a capture holds must have an entry, or the check fails naming the type.

## A call

Each operation lists calls, one a line: `<action> <target> [<key>...]`.

- `<action>` is the IAM action (`service:Operation`), not the SDK operation, where the two differ.
- `<target>` is what the action is authorized against, as the AWS Service Authorization Reference defines it:
  `*` for actions that take no resource type, a name from the entry's `arn:` map, or an ARN template.
- Templates fill `{partition}`, `{account}`, `{region}` (the region the call is made in), `{id}`, `{name}`,
  `{arn}`, `{generated}` (an id AWS assigns on creation), and dotted paths into the resource: `{inputs.x.y}`,
  `{state.x}`; for invokes `{args.x}` and `{result.x}`. `{inputs.role>name}` follows a reference: the declared
  resource whose id, ARN or name is the value, then its field. `a[].b` expands a list (one request per value).
  `|last` keeps the text after the last `/`, `|first` the text before the first `/` (an S3 object ARN's
  bucket). A trailing `?` (`{inputs.taskRoleArn?}`) marks an optional input: without it the provider makes no such
  call.
- Keys add request context: `tags` (aws:RequestTag/<k> and aws:TagKeys of the tags the request sets: the
  provider's default tags and the resource's own), `resource-tags` (aws:ResourceTag/<k> of the tags the resource
  carries), `resource-tags=<path>` (those of the resource the path refers to, when the call acts on another
  resource: a group's calls on its user pool), `boundary` or `boundary=<template>` (iam:PermissionsBoundary),
  `policy=<template>` (iam:PolicyARN),
  `passed-to=<service>` (iam:PassedToService), `service-name=<service>` (iam:AWSServiceName), `region=<name>`
  (the call goes to another region than the resource's), `when=<path>` or `when=<path>~<regex>` (made only when
  the input is set, or one of its values matches), and `data` (the call returns stored data, see below).

Every request also carries aws:RequestedRegion: the provider's region, or `us-east-1` for entries with
`region: us-east-1` (IAM, CloudFront, Route 53: their endpoints are in us-east-1).

## Operations

`create`, `read`, `update`, `delete`, `tag`, `untag`. `read` is what a refresh calls, and what a preview calls
for a resource that exists; the provider also reads after every create and update, so the deploy role needs
`read` too. `update` lists the calls for the arguments the program sets. An entry whose reads return stored data
(`data` calls: an item, an object) says so in `data_reads:`; the preview role is refused those by design and does
not refresh such resources. `denied:` lists calls the provider can make that the deploy role must never be allowed
(`why:` says why); the check asserts they are denied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TABLE = Path(__file__).with_name("calls.yaml")
OPERATIONS = ("create", "read", "update", "delete", "tag", "untag")
NO_CALL_PREFIXES = ("webstack:", "pulumi:providers:")
"""Type prefixes that make no provider call: the program's components and provider resources."""
GLOBAL_REGION = "us-east-1"

_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_KEYS = ("tags", "resource-tags", "boundary", "data")
_VALUED_KEYS = ("boundary", "policy", "passed-to", "service-name", "region", "when", "resource-tags")


class TableError(ValueError):
    """calls.yaml says something the loader cannot read; the message names the entry and the line."""


@dataclass(frozen=True)
class Call:
    action: str
    target: str
    """An ARN template, or `*`."""
    tags: bool = False
    resource_tags: bool | str = False
    """True: the resource's own tags; a path (`inputs.userPoolId`): the tags of the resource it refers to."""
    boundary: str | None = None
    policy: str | None = None
    passed_to: str | None = None
    service_name: str | None = None
    region: str | None = None
    when: str | None = None
    data: bool = False
    text: str = ""

    @property
    def service(self) -> str:
        return self.action.split(":", 1)[0]


@dataclass(frozen=True)
class Entry:
    type: str
    source: tuple[str, ...]
    operations: dict[str, tuple[Call, ...]]
    region: str | None = None
    denied: tuple[Call, ...] = ()
    why_denied: str = ""
    data_reads: str = ""
    invoke: bool = False
    note: str = ""

    def calls(self, operation: str) -> tuple[Call, ...]:
        return self.operations.get(operation, ())

    @property
    def actions(self) -> set[str]:
        return {c.action for calls in self.operations.values() for c in calls}


@dataclass(frozen=True)
class Table:
    pinned: dict[str, str]
    entries: dict[str, Entry] = field(default_factory=dict)

    def entry(self, type_: str) -> Entry | None:
        return self.entries.get(type_)

    def missing(self, types: set[str]) -> list[str]:
        """The types among `types` that need an entry and have none."""
        return sorted(t for t in types if not t.startswith(NO_CALL_PREFIXES) and t not in self.entries)


def _call(text: Any, arns: dict[str, str], where: str) -> Call:
    if not isinstance(text, str):
        raise TableError(f"{where}: {text!r} is not one line of text; quote it if YAML read it as something else")
    tokens = text.split()
    if len(tokens) < 2:
        raise TableError(f"{where}: {text!r} needs an action and a target (`*`, an arn: name or a template)")
    action, target, *keys = tokens
    if not _ACTION.match(action):
        raise TableError(f"{where}: {action!r} is not an IAM action (service:Operation)")
    if target != "*" and "{" not in target and not target.startswith("arn:"):
        if target not in arns:
            raise TableError(f"{where}: {text!r} targets {target!r}, which the entry's arn: map does not name "
                             f"(it names {', '.join(sorted(arns)) or 'nothing'})")
        target = arns[target]
    options: dict[str, Any] = {}
    for key in keys:
        name, _, value = key.partition("=")
        if value and name in _VALUED_KEYS:
            options[name.replace("-", "_")] = arns.get(value, value)
        elif not value and name in _KEYS:
            options[name.replace("-", "_")] = True if name != "boundary" else "{inputs.permissionsBoundary?}"
        else:
            raise TableError(f"{where}: {key!r} in {text!r} is not a key the table knows "
                             f"({', '.join(_KEYS)}, or {'=, '.join(_VALUED_KEYS)}=...)")
    for placeholder in _PLACEHOLDER.findall(target):
        if not placeholder:
            raise TableError(f"{where}: empty placeholder in {target!r}")
    return Call(action=action, target=target, text=text, **options)


def _entry(type_: str, raw: dict[str, Any], invoke: bool) -> Entry:
    unknown = set(raw) - {"source", "arn", "region", "denied", "why", "data_reads", "note", *OPERATIONS}
    if unknown:
        raise TableError(f"{type_}: unknown fields {sorted(unknown)}")
    source = tuple(raw.get("source") or ())
    if not source:
        raise TableError(f"{type_}: every entry names the provider file(s) it came from under source:")
    arns = dict(raw.get("arn") or {})
    operations = {op: tuple(_call(text, arns, f"{type_} {op}") for text in raw.get(op) or ())
                  for op in OPERATIONS if op in raw}
    if "read" not in operations:
        raise TableError(f"{type_}: every entry lists its read (refresh) calls, `read: []` if there are none")
    denied = tuple(_call(text, arns, f"{type_} denied") for text in raw.get("denied") or ())
    if denied and not raw.get("why"):
        raise TableError(f"{type_}: denied: calls need a why:")
    return Entry(type=type_, source=source, operations=operations, region=raw.get("region"), denied=denied,
                 why_denied=raw.get("why", ""), data_reads=raw.get("data_reads", ""), invoke=invoke,
                 note=raw.get("note", ""))


def parse(raw: dict[str, Any]) -> Table:
    entries: dict[str, Entry] = {}
    for section, invoke in (("resources", False), ("invokes", True)):
        for type_, body in (raw.get(section) or {}).items():
            if type_.startswith(NO_CALL_PREFIXES):
                raise TableError(f"{type_} makes no provider call and needs no entry (see provider_calls)")
            if type_ in entries:
                raise TableError(f"{type_} has two entries")
            entries[type_] = _entry(type_, body or {}, invoke)
    return Table(pinned={k: str(v) for k, v in (raw.get("pinned") or {}).items()}, entries=entries)


@cache
def load(path: Path = TABLE) -> Table:
    return parse(yaml.safe_load(path.read_text()))
