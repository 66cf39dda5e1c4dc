"""The first `pulumi up` of a stack the landed program deployed (git e2ea550, before FargateApi was split).

Every resource that program declared (tests/fixtures/landed_urns.json, written by tests/fixtures/landed_urns.py
under that commit's own mock engine) must either keep its identity in the current program — the same URN, or an
alias the engine resolves to it (components/migration.py) — or be in DROPPED, which says why it goes and how.

The engine resolves aliases, not the SDK, so this module does what its step generator does
(pulumi pkg/resource/deploy/step_generator.go: collapseAliasToUrn, inheritedChildAlias, generateAliases,
getOldResource), in registration order: a resource is found in the old state under its own URN, else under the
first of its aliases there; a child of a resource found through an alias also answers to its name under that old
parent. The captured URNs are the mock monitor's and are converted to the engine's first (see the fixture's
generator).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mock_engine import PROJECT, Capture, Resource, run_stack

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "landed_urns.json").read_text())
STACKS = sorted(FIXTURE["stacks"])
API = "webstack:api:FargateApi"

# Landed resources with no counterpart, by qualified type and name (`{p}`: `<project>-<stack>`), and the stacks
# that had them. Nothing else may disappear.
DROPPED: dict[str, tuple[str, ...]] = {
    # The load balancer's access-log bucket and its settings (prd only: dev had access logs off). ALB logs go to
    # the stack's log archive now (components/logs.py), which must not take this bucket's identity; the bucket may
    # hold logs, which are evidence, so the README's first-deploy step takes these six out of the state before the
    # `up` and leaves them, and their lifecycle expiry, in AWS.
    f"{API}$aws:s3/bucket:Bucket::{{p}}-api-alb-logs": ("prd",),
    f"{API}$aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::{{p}}-api-alb-logs-lifecycle": ("prd",),
    f"{API}$aws:s3/bucketOwnershipControls:BucketOwnershipControls::{{p}}-api-alb-logs-ownership": ("prd",),
    f"{API}$aws:s3/bucketPolicy:BucketPolicy::{{p}}-api-alb-logs-policy": ("prd",),
    f"{API}$aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::{{p}}-api-alb-logs-public-access": ("prd",),
    f"{API}$aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::"
    "{p}-api-alb-logs-encryption": ("prd",),
    # `/<project>/<stack>/api/image-tag`: the deploy pipeline writes it now, once its deploy check has passed
    # (README, CI/CD). Deleted by the `up`, the parameter the pipeline reads would be gone; the same step takes it
    # out of the state instead.
    "webstack:ssm:DeployParameters$aws:ssm/parameter:Parameter::{p}-deploy-api--image-tag": ("dev", "prd"),
    # The load balancer's target 5xx count over every target group: each API's deployment alarms (the 5xx rate of
    # its own target groups, components/service.py) took its place. An alarm holds nothing but its history.
    f"{API}$aws:cloudwatch/metricAlarm:MetricAlarm::{{p}}-api-target-5xx": ("dev", "prd"),
    # dev runs without Container Insights now (webstack:platform.containerInsights off): no running-task count to
    # alarm on.
    f"{API}$aws:cloudwatch/metricAlarm:MetricAlarm::{{p}}-api-tasks-missing": ("dev",),
}

# Where each landed resource lives now, when its name changed (`{p}`: `<project>-<stack>`). A kept resource whose
# name stayed needs no entry; every entry must be a resource the alias actually reaches.
COUNTERPARTS: dict[str, str] = {
    # The platform's: repository, image, cluster, load balancer path.
    "{p}-api-repo": "{p}-repo",
    "{p}-api-repo-lifecycle": "{p}-repo-lifecycle",
    "{p}-api-image": "{p}-image",
    "{p}-api-cluster": "{p}-cluster",
    "{p}-api-capacity": "{p}-capacity",
    "{p}-api-alb": "{p}-alb",
    "{p}-api-alb-sg": "{p}-alb-sg",
    "{p}-api-alb-in-cloudfront": "{p}-alb-in-cloudfront",
    "{p}-api-http": "{p}-http",  # `{p}-https` in a stack with a domain (neither stack file sets one)
    "{p}-api-alb-5xx": "{p}-alb-5xx",
    # Alerts: the alarm topic and its key.
    "{p}-api-alarms": "{p}-alarms",
    "{p}-api-alarms-key": "{p}-alarms-key",
    # The public API's service: its target group is the blue one, its task security group and rules renamed.
    "{p}-api-tg": "{p}-api-blue",
    "{p}-api-unhealthy": "{p}-api-blue-unhealthy",
    "{p}-api-ecs-sg": "{p}-api-sg",
    "{p}-api-ecs-in-alb": "{p}-api-in-alb",
    "{p}-api-alb-out-ecs": "{p}-api-alb-out",
    "{p}-api-ecs-out-https": "{p}-api-out-https",
    # dev's sample data, from DataStore to SampleCatalogue.
    **{f"{{p}}-item-{i}": f"{{p}}-sample-item-{i}" for i in (1, 2, 3)},
    **{f"{{p}}-images-{fruit}.jpg": f"{{p}}-sample-images-{fruit}.jpg" for fruit in ("apple", "banana", "orange")},
}

# Kept by an alias but replaced by the first `up` all the same: an input the provider cannot change in place
# changed (tests/fixtures/landed_urns.py, FORCE_NEW). Replaced with them, which no literal input shows: the rules
# of both security groups (a rule's group is fixed), and the task definition, whose container definitions change
# (a new revision, as on every release).
REPLACED: dict[str, str] = {
    "{p}-api-alb-sg": "description: the landed one had an apostrophe, which EC2 refuses",
    "{p}-api-ecs-sg": "description: now names the service",
    "{p}-api-alarms": "name: fixed at `<prefix>-alarms`, where the landed topic had a generated one",
}


def prefix(stack: str) -> str:
    return f"{PROJECT}-{stack}"


def urn(stack: str, qualified_type: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{qualified_type}::{name}"


def qualified_type(of_urn: str) -> str:
    return of_urn.split("::")[2]


def name_of(of_urn: str) -> str:
    return of_urn.split("::", 3)[3]


def engine_urns(capture: Capture) -> dict[str, str]:
    """Mock URN → the URN the engine gives the same resource: the parent's whole qualified type, no root stack."""
    by_urn = {r.urn: r for r in capture.resources}
    found: dict[str, str] = {}

    def engine(r: Resource) -> str:
        if r.urn not in found:
            parent = by_urn.get(r.parent)
            typ = r.type if parent is None else f"{qualified_type(engine(parent))}${r.type}"
            found[r.urn] = urn(capture.stack, typ, r.name)
        return found[r.urn]

    for r in capture.resources:
        engine(r)
    return found


@dataclass
class Migration:
    """What the engine would make of the landed state given the current program."""

    stack: str
    landed: set[str]
    kept: dict[str, str] = field(default_factory=dict)
    """Landed URN → the current resource that takes it over (the same URN, or through an alias)."""
    claims: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Every alias URN a current resource answers to → the resources that do."""
    current: dict[str, Resource] = field(default_factory=dict)
    """Current engine URN → resource."""
    errors: list[str] = field(default_factory=list)
    """What the engine would refuse: a landed resource claimed twice."""


def migrate(capture: Capture) -> Migration:
    landed = set(FIXTURE["stacks"][capture.stack]["urns"])
    result = Migration(capture.stack, landed)
    to_engine = engine_urns(capture)
    took_over: dict[str, str] = {}  # current URN → the landed URN it was found under (the step generator's aliases)

    def collapse(alias: str | dict[str, Any], r: Resource, parent: str | None) -> str:
        if isinstance(alias, str):
            return alias
        alias_parent = parent
        if alias["parentUrn"]:
            alias_parent = to_engine.get(alias["parentUrn"], alias["parentUrn"])
            alias_parent = took_over.get(alias_parent, alias_parent)
        if alias["noParent"]:
            alias_parent = None
        typ = alias["type"] or r.type
        return urn(alias["stack"] or capture.stack, f"{qualified_type(alias_parent)}${typ}" if alias_parent else typ,
                   alias["name"] or r.name)

    def inherited(typ: str, name: str, parent: str, parent_alias: str) -> str:
        parent_name = name_of(parent)
        if name.startswith(parent_name):
            name = name_of(parent_alias) + name[len(parent_name):]
        return urn(capture.stack, f"{qualified_type(parent_alias)}${typ}", name)

    for r in capture.resources:  # registration order: a parent before its children
        own = to_engine[r.urn]
        parent = to_engine.get(r.parent)  # None under the root stack
        result.current[own] = r
        explicit = [collapse(alias, r, parent) for alias in r.aliases]
        aliases = list(explicit)
        if parent in took_over:  # the parent was found under an old URN: so are its children, and their aliases
            old_parent = took_over[parent]
            aliases.append(inherited(r.type, r.name, parent, old_parent))
            aliases += [inherited(qualified_type(a).rsplit("$", 1)[-1], name_of(a), parent, old_parent)
                        for a in explicit]
        aliases = list(dict.fromkeys(aliases))
        for alias in aliases:
            result.claims[alias].append(own)
        for candidate in [own, *aliases]:
            if candidate in landed:
                if candidate in result.kept:
                    result.errors.append(f"{candidate} claimed by {result.kept[candidate]} and {own}")
                result.kept[candidate] = own
                if candidate != own:
                    took_over[own] = candidate
                break
    return result


@pytest.fixture(scope="module", params=STACKS)
def migration(request) -> Migration:
    return migrate(run_stack(request.param))


def dropped(stack: str) -> set[str]:
    return {urn(stack, *entry.format(p=prefix(stack)).split("::", 1))
            for entry, stacks in DROPPED.items() if stack in stacks}


def test_the_fixture_is_the_landed_program_of_each_stack():
    assert FIXTURE["commit"] == "e2ea550" and STACKS == ["dev", "prd"]
    for stack in STACKS:
        urns = FIXTURE["stacks"][stack]["urns"]
        assert all(u.startswith(f"urn:pulumi:{stack}::{PROJECT}::") for u in urns)
        assert urn(stack, API, f"{prefix(stack)}-api") in urns
        # Engine URNs: a grandchild carries its whole parent chain.
        assert urn(stack, f"{API}$webstack:iam:TaskRoles$aws:iam/role:Role",
                   f"{prefix(stack)}-api-roles-execution") in urns


def test_every_landed_resource_is_kept_or_deliberately_dropped(migration: Migration):
    lost = sorted(migration.landed - set(migration.kept) - dropped(migration.stack))
    assert not lost, f"{migration.stack}: the first `up` would delete these (alias them or list them in DROPPED):\n" \
                     + "\n".join(lost)


def test_the_dropped_list_names_only_what_is_landed_and_not_kept(migration: Migration):
    names = dropped(migration.stack)
    assert names <= migration.landed, sorted(names - migration.landed)
    assert not names & set(migration.kept), sorted(names & set(migration.kept))


def test_no_landed_resource_and_no_alias_is_claimed_twice(migration: Migration):
    assert not migration.errors
    shared = {alias: owners for alias, owners in migration.claims.items() if len(owners) > 1}
    assert not shared, shared
    # Nor may an alias name another resource of the program as it is.
    assert not {alias: owners for alias, owners in migration.claims.items()
                if alias in migration.current and owners != [alias]}


def test_each_landed_resource_lands_on_its_counterpart(migration: Migration):
    p = prefix(migration.stack)
    expected = {old.format(p=p): new.format(p=p) for old, new in COUNTERPARTS.items()}
    moved = {name_of(old): name_of(new) for old, new in migration.kept.items() if name_of(old) != name_of(new)}
    landed_names = {name_of(u) for u in migration.landed}
    assert moved == {old: new for old, new in expected.items() if old in landed_names}
    # An alias moves a resource; it never turns it into another kind, but for the component FargateApi itself.
    retyped = {(qualified_type(old), qualified_type(new)) for old, new in migration.kept.items()
               if qualified_type(old).rsplit("$", 1)[-1] != qualified_type(new).rsplit("$", 1)[-1]}
    assert retyped == {(API, "webstack:service:FargateService")}


def test_the_public_api_service_takes_over_the_fargate_api_and_the_others_start_new(migration: Migration):
    p, stack = prefix(migration.stack), migration.stack
    services = {name_of(u): r for u, r in migration.current.items() if r.type == "webstack:service:FargateService"}
    assert services[f"{p}-api"].aliases == [urn(stack, API, f"{p}-api")]
    for name in (f"{p}-admin", f"{p}-worker"):
        assert not services[name].aliases
        assert not [old for old, new in migration.kept.items() if old != new and name_of(new).startswith(name)]
    # The service, its task definition, log group (`/ecs/<prefix>-api`, whose name would collide), scaling and
    # roles keep their names and reach their landed selves through the component's alias.
    kept_names = {name_of(new) for old, new in migration.kept.items() if qualified_type(old).startswith(API)}
    for child in ("service", "task", "logs", "scaling", "scale-cpu", "scale-memory", "roles", "roles-execution",
                  "roles-execution-policy", "roles-task", "roles-task-policy"):
        assert f"{p}-api-{child}" in kept_names, child


def test_every_alias_is_derived_from_the_running_stack(migration: Migration):
    for r in migration.current.values():
        for alias in r.aliases:
            if isinstance(alias, str):
                assert alias.startswith(f"urn:pulumi:{migration.stack}::{PROJECT}::"), (r, alias)


def test_what_is_kept_in_place_and_what_the_first_up_replaces_anyway(migration: Migration):
    p = prefix(migration.stack)
    landed_inputs = FIXTURE["stacks"][migration.stack]["forceNew"]
    replaced = {}
    for old, new in migration.kept.items():
        if old not in landed_inputs:
            continue
        current = migration.current[new]
        changed = sorted(key for key, value in landed_inputs[old].items() if current.inputs.get(key) != value)
        if changed:
            replaced[name_of(old)] = changed
    assert set(replaced) == {name.format(p=p) for name in REPLACED}, replaced
    # The landed target group becomes the blue one unchanged: the same port, protocol, version and target type.
    tg = landed_inputs[urn(migration.stack, f"{API}$aws:lb/targetGroup:TargetGroup", f"{p}-api-tg")]
    assert tg["port"] == 8080 and tg["protocol"] == "HTTP" and tg["targetType"] == "ip"
    assert f"{p}-api-tg" not in replaced and f"{p}-api-logs" not in replaced
