"""What every rule module shares: policy declaration, settings from `policy-config.json`, reading props.

Props arrive the way the engine sends them: camelCase keys, numbers as floats, read-only mappings and sequences
(the engine wraps them to detect values unknown during preview), IAM documents and container definitions as JSON
text or as objects. The helpers here accept every one of those shapes so each rule can stay a few lines long.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

CONFIG_FILE = Path(__file__).with_name("policy-config.json")


def load_config_file(path: Path = CONFIG_FILE) -> dict[str, dict[str, Any]]:
    """Policy settings in the `--policy-pack-config` shape: `{policy name: {setting: value}}`."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"{path}: expected an object of policy names to setting objects")
    return data


DEFAULT_SETTINGS = load_config_file()


def settings(policy_name: str, args: ResourceValidationArgs | StackValidationArgs) -> dict[str, Any]:
    """The policy's settings: defaults from policy-config.json, overridden by what the engine configured."""
    return {**DEFAULT_SETTINGS.get(policy_name, {}), **dict(args.get_config() or {})}


def _schema(policy_name: str) -> PolicyConfigSchema | None:
    defaults = DEFAULT_SETTINGS.get(policy_name)
    if not defaults:
        return None
    return PolicyConfigSchema(properties={
        key: {"type": "array", "items": {"type": "string"}, "default": list(value)}
        for key, value in defaults.items()
    })


ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]


def resource_policy(name: str, check: ResourceCheck, *, types: Iterable[str], level: EnforcementLevel,
                    description: str, fix: str) -> ResourceValidationPolicy:
    """A policy that runs `check` on every resource whose type is one of `types`."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in wanted:
            check(args, report_violation)

    validate.__name__ = check.__name__
    policy = ResourceValidationPolicy(name=name, description=description, validate=validate, enforcement_level=level,
                                      config_schema=_schema(name), remediation_steps=fix)
    policy.resource_types = wanted  # type: ignore[attr-defined]  # what the policy judges, for reports and tests
    return policy


def stack_policy(name: str, check: StackCheck, *, level: EnforcementLevel, description: str,
                 fix: str) -> StackValidationPolicy:
    return StackValidationPolicy(name=name, description=description, validate=check, enforcement_level=level,
                                 config_schema=_schema(name), remediation_steps=fix)


T = TypeVar("T")


def each_known(items: Iterable[T], judge: Callable[[T], None]) -> None:
    """Judge every item on its own. In a preview, an item whose props hold a value not known before deployment
    is skipped instead of voiding the whole stack policy; the engine judges it again once the value is known."""
    for item in items:
        try:
            judge(item)
        except UnknownValueError:
            continue


def known(props: Any, path: str, default: Any = None) -> Any:
    """`get`, with a value unknown during preview read as `default`: for joining resources, never for judging."""
    try:
        return get(props, path, default)
    except UnknownValueError:
        return default


# --- reading props ---------------------------------------------------------------------------------------------

def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def as_list(value: Any) -> list[Any]:
    """A scalar, a list (or the engine's list proxy), or nothing, as a list."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    return [value]


def get(props: Any, path: str, default: Any = None) -> Any:
    """Dotted lookup: `get(props, "metadataOptions.httpTokens")`."""
    value = props
    for part in path.split("."):
        if is_mapping(value) and part in value:
            value = value[part]
        else:
            return default
    return value


def as_json(value: Any) -> Any:
    """JSON text parsed, or the object as it came; `None` if it is neither."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- IAM documents ---------------------------------------------------------------------------------------------

def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of an IAM policy document given as JSON text or an object."""
    parsed = as_json(document)
    if not is_mapping(parsed):
        return []
    return [s for s in as_list(parsed.get("Statement")) if is_mapping(s)]


def allows(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect", "Allow") == "Allow"


def sid(statement: Mapping[str, Any]) -> str:
    return f"statement {statement['Sid']!r}" if statement.get("Sid") else "a statement"


def principals(statement: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, value) pairs of a statement's Principal: ("*", "*"), ("Service", "ecs-tasks.amazonaws.com"), ..."""
    principal = statement.get("Principal")
    if principal is None:
        return
    if isinstance(principal, str):
        yield ("*", principal) if principal == "*" else ("AWS", principal)
        return
    if is_mapping(principal):
        for kind, values in principal.items():
            for value in as_list(values):
                yield str(kind), str(value)


def describe(subject: ResourceValidationArgs | PolicyResource) -> str:
    """The type's short name and the logical name (`Bucket logs`): how a message names the resource it is about."""
    return f"{subject.resource_type.rsplit(':', 1)[-1]} {subject.name}"
