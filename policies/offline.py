"""Run the policy pack against stacks without the Pulumi CLI or AWS credentials.

    python -m policies.offline dev prd [--config policies/policy-config.json]
    python -m policies.offline --list

Each stack's program runs under mocks with its real `Pulumi.<stack>.yaml` (mock_engine). Every registered
resource goes to every resource policy with its inputs as props (camelCase, numbers as floats, wrapped like the
engine wraps them), its options and its provider; the whole stack, with parents, dependencies and property
dependencies, goes to every stack policy. Settings come from the same policy-config.json the pack reads; `--config`
takes a file in the `pulumi preview --policy-pack-config` shape, enforcement levels included.

Prints the violations grouped by enforcement level and exits 1 if any is mandatory (2 if a stack cannot be run).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from . import GROUPS, PACK_NAME, POLICIES
from .core import DEFAULT_SETTINGS, load_config_file

LEVEL_ORDER = (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)


@dataclass(frozen=True)
class Violation:
    policy: str
    level: EnforcementLevel
    description: str
    fix: str
    message: str
    resource_type: str
    resource_name: str
    urn: str


@dataclass
class StackResult:
    stack: str
    resources: int
    violations: list[Violation] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == EnforcementLevel.MANDATORY]


def _options(resource: Any) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect, ignore_changes=list(resource.ignore_changes), delete_before_replace=None,
        aliases=[], custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[],
        parent=resource.parent or None)


def _provider(resource: Any, by_urn: dict[str, Any]) -> PolicyProviderResource | None:
    # A provider reference is "<provider urn>::<provider id>".
    provider = by_urn.get(resource.provider.rsplit("::", 1)[0]) if resource.provider else None
    if provider is None:
        return None
    return PolicyProviderResource(provider.type, unknown_checking_proxy(dict(provider.inputs)), provider.urn,
                                  provider.name)


def _stack_resources(resources: list[Any], by_urn: dict[str, Any]) -> list[PolicyResource]:
    built = {r.urn: PolicyResource(r.type, unknown_checking_proxy(dict(r.inputs)), r.urn, r.name, _options(r),
                                   _provider(r, by_urn), None, [], {})
             for r in resources}
    for r in resources:
        policy_resource = built[r.urn]
        policy_resource.parent = built.get(r.parent)
        policy_resource.dependencies = [built[u] for u in r.dependencies if u in built]
        policy_resource.property_dependencies = {
            key: [built[u] for u in urns if u in built] for key, urns in r.property_dependencies.items()}
    return [built[r.urn] for r in resources]


def _level(policy: Policy, overrides: dict[str, Any]) -> EnforcementLevel:
    configured = overrides.get(policy.name, {}).get("enforcementLevel")
    if configured:
        return EnforcementLevel(configured)
    return policy.enforcement_level or EnforcementLevel.ADVISORY


def _run(validate_result: Any) -> None:
    if inspect.iscoroutine(validate_result):
        asyncio.run(validate_result)


def check_capture(capture: Any, policies: list[Policy] | None = None,
                  config: dict[str, dict[str, Any]] | None = None) -> StackResult:
    """Every policy against one captured stack. `config` is in the --policy-pack-config shape."""
    policies = POLICIES if policies is None else policies
    config = DEFAULT_SETTINGS if config is None else config
    resources = list(capture.resources)
    by_urn = {r.urn: r for r in resources}
    stack_resources = _stack_resources(resources, by_urn)
    # What each resource policy is handed, built once per resource rather than once per policy: the proxies are
    # read-only, and building them is most of what a cheap policy costs.
    handed = [(r, unknown_checking_proxy(dict(r.inputs)), _options(r), _provider(r, by_urn)) for r in resources]
    result = StackResult(capture.stack, len(resources))

    def reporter(policy: Policy, level: EnforcementLevel, resource_type: str, resource_name: str, resource_urn: str):
        def report_violation(message: str, urn: str | None = None) -> None:
            target = by_urn.get(urn) if urn else None
            result.violations.append(Violation(
                policy.name, level, policy.description, policy.remediation_steps or "", message,
                target.type if target else resource_type, target.name if target else resource_name,
                urn or resource_urn))
        return report_violation

    def judge(policy: Policy, level: EnforcementLevel, validation: Any, type_: str, name: str, urn: str) -> None:
        try:
            _run(validation(reporter(policy, level, type_, name, urn)))
        except UnknownValueError as error:  # only with unresolved inputs; reported the way the engine does
            result.violations.append(Violation(policy.name, EnforcementLevel.ADVISORY, policy.description, "",
                                               f"can't run during preview: {error.message}", type_, name, urn))

    for policy in policies:
        level = _level(policy, config)
        if level == EnforcementLevel.DISABLED:
            continue
        settings = {k: v for k, v in config.get(policy.name, {}).items() if k != "enforcementLevel"}

        if isinstance(policy, ResourceValidationPolicy):
            validate_resource = policy.validate
            for resource, props, options, provider in handed:
                resource_args = ResourceValidationArgs(resource.type, props, resource.urn, resource.name, options,
                                                       provider, settings)
                judge(policy, level,
                      lambda report, args=resource_args, validate=validate_resource: validate(args, report),
                      resource.type, resource.name, resource.urn)
        elif isinstance(policy, StackValidationPolicy):
            validate_stack, stack_args = policy.validate, StackValidationArgs(stack_resources, settings)
            judge(policy, level, lambda report, args=stack_args, validate=validate_stack: validate(args, report),
                  "stack", capture.stack, "")
    return result


def check_stack(stack: str, config: dict[str, dict[str, Any]] | None = None) -> StackResult:
    from mock_engine import run_stack  # the mock engine; imported only when a stack is actually run

    return check_capture(run_stack(stack), config=config)


def render(result: StackResult) -> str:
    lines = [f"== {PACK_NAME}: stack {result.stack} — {result.resources} resources, {len(POLICIES)} policies"]
    for level in LEVEL_ORDER:
        found = [v for v in result.violations if v.level == level]
        if not found:
            continue
        lines.append(f"{level.value.upper()} — {len(found)} violation{'s' if len(found) != 1 else ''}")
        for v in sorted(found, key=lambda v: (v.policy, v.resource_name)):
            lines.append(f"  [{v.policy}] {v.resource_type} {v.resource_name}")
            lines.append(f"      {v.message}")
            lines.append(f"      rule: {v.description}")
            if v.fix:
                lines.append(f"      fix:  {v.fix}")
    verdict = "FAIL" if result.mandatory else "PASS"
    lines.append(f"{verdict}: {len(result.mandatory)} mandatory, "
                 f"{len(result.violations) - len(result.mandatory)} advisory violation(s) in {result.stack}")
    return "\n".join(lines)


def checklist() -> str:
    """Every policy by group, one entry each: level, type, name and description (with its anchor or source)."""
    lines = []
    for group, policies in GROUPS.items():
        lines.append(f"== {group} ({len(policies)})")
        lines += [f"{(p.enforcement_level or EnforcementLevel.ADVISORY).value:<9} "
                  f"{'stack' if isinstance(p, StackValidationPolicy) else 'resource':<8} {p.name}\n"
                  f"{'':<19}{p.description}" for p in policies]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from mock_engine import StackRunFailed, stacks

    parser = argparse.ArgumentParser(prog="python -m policies.offline", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("stacks", nargs="*", metavar="stack", help=f"stack name(s): {', '.join(stacks())}")
    parser.add_argument("--config", type=Path, help="policy settings in the --policy-pack-config shape "
                                                    "(default: policies/policy-config.json)")
    parser.add_argument("--list", action="store_true", help="print the policies and exit")
    options = parser.parse_args(argv)
    if options.list:
        print(checklist())
        return 0
    if not options.stacks:
        parser.error(f"name at least one stack ({', '.join(stacks())})")
    config = load_config_file(options.config) if options.config else None

    failed = False
    for stack in options.stacks:
        try:
            result = check_stack(stack, config)
        except (StackRunFailed, FileNotFoundError) as error:
            print(f"== stack {stack}: the program could not be run under mocks: {error}", file=sys.stderr)
            return 2
        print(render(result))
        failed = failed or bool(result.mandatory)
    return 1 if failed else 0


if __name__ == "__main__":
    from mock_engine.speed import run_command

    run_command(main)
