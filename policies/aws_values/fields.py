"""From the Pulumi inputs the program sets to the API request members they become, and the rules each must meet.

Every resource type the program declares has a `Request`: its `Field`s, each one Pulumi input path (camelCase, as
the engine sends it: `healthCheck.interval`, `rules[].name`) and the API member the provider turns it into
(`elbv2 CreateTargetGroup.HealthCheckIntervalSeconds`). A field is checked against that member's shape in the
botocore model (type, enumeration, length, bounds, pattern), and against the documented `Rule`s the model does not
state, each naming the AWS API reference page it comes from.

Names the program leaves to Pulumi are checked as AWS will receive them: pulumi-aws auto-names a resource as its
logical name, "-" and 7 random hex characters (`AutoName`), within a maximum length per resource type.

A value not known until deployment (an ARN of a resource not yet created) is skipped here; the engine judges the
resource again once it is known.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

from ..core import as_list, describe, is_mapping, number, statements
from .model import Checker, MemberRef, full_match

# What a field is, which decides the policy that judges it.
NAME, DESCRIPTION, PORT, PROTOCOL, VALUE, DOCUMENT = "name", "description", "port", "protocol", "value", "document"

# pulumi-aws: every resource with a `name` input is auto-named "<logical name>-<7 random hex>" within 255
# characters unless its entry says otherwise (provider/resources.go, setAutonaming and the per-resource overrides).
PULUMI_AUTONAMING = ("https://github.com/pulumi/pulumi-aws/blob/master/provider/resources.go (setAutonaming; "
                     "tfbridge.AutoName per resource)")
RANDOM_SUFFIX_LENGTH = 7


@dataclass(frozen=True)
class Rule:
    """A constraint the API reference states and the model does not. `check` gets the value as the API receives
    it and returns what is wrong, or None. `quote` is the rule in the words of the member's own documentation in the
    botocore model (tests/test_aws_values.py holds the two together), when the model documents it."""

    check: Callable[[Any], str | None]
    source: str
    quote: str = ""


def _as_number(value: Any) -> float | None:
    # A flag is no number here, though float() reads True as 1.
    return None if isinstance(value, bool) else number(value)


def between(low: float, high: float, source: str, quote: str = "") -> Rule:
    """A whole number from `low` to `high` (numbers the provider sends as text, such as attributes, too)."""
    def check(value: Any) -> str | None:
        number = _as_number(value)
        if number is None:
            return f"{value!r} is not a number"
        if not number.is_integer():
            return f"{value!r} is not a whole number"
        return None if low <= number <= high else f"{number:g} is outside {low:g}..{high:g}"
    return Rule(check, source, quote)


def one_of(allowed: tuple[Any, ...], source: str, quote: str = "") -> Rule:
    def check(value: Any) -> str | None:
        number = _as_number(value) if not isinstance(value, str) else None
        ok = value in allowed or (number is not None and number in allowed)
        shown = f"{number:g}" if number is not None else repr(value)
        return None if ok else f"{shown} is not one of {', '.join(str(a) for a in allowed)}"
    return Rule(check, source, quote)


def at_most(length: int, source: str, quote: str = "", unit: str = "characters",
            measure: Callable[[str], int] = len) -> Rule:
    def check(value: Any) -> str | None:
        size = measure(str(value))
        return None if size <= length else f"{size:,} {unit}, more than the {length:,} allowed"
    return Rule(check, source, quote)


def statements_at_most(limit: int, source: str, quote: str = "") -> Rule:
    """A policy document, text or object, of at most `limit` statements."""
    def check(document: Any) -> str | None:
        count = len(statements(document))
        return None if count <= limit else f"{count} statements, more than the {limit} allowed"
    return Rule(check, source, quote)


def charset(pattern: str, allowed: str, source: str, quote: str = "") -> Rule:
    """Only characters of `pattern` (a regular expression for one character); `allowed` says which in words."""
    def check(value: Any) -> str | None:
        bad = sorted({c for c in str(value) if not full_match(pattern, c)})
        return None if not bad else f"{value!r} contains {', '.join(repr(c) for c in bad)}; allowed: {allowed}"
    return Rule(check, source, quote)


def matches(pattern: str, what: str, source: str, quote: str = "") -> Rule:
    def check(value: Any) -> str | None:
        return None if full_match(pattern, str(value)) else f"{value!r} is not {what}"
    return Rule(check, source, quote)


def ipv4_cidr(source: str, quote: str = "") -> Rule:
    """An IPv4 network address with its prefix length (no host bits set)."""
    def check(value: Any) -> str | None:
        try:
            ipaddress.IPv4Network(str(value))
        except ValueError as error:
            return f"{value!r} is not an IPv4 CIDR block ({error})"
        return None
    return Rule(check, source, quote)


def plain(value: Any) -> Any:
    """The engine's read-only mapping and sequence proxies as dicts and lists (reading every value)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    return value


def compact_json(value: Any) -> str:
    """A JSON document (text or object) without the whitespace between tokens: what IAM counts, and the size the
    provider sends. Text that is not JSON stays as it is."""
    if isinstance(value, str):
        try:
            document = json.loads(value)
        except ValueError:
            return value
    else:
        document = plain(value)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class AutoName:
    """How pulumi-aws names a resource whose `name` the program leaves unset."""

    maxlen: int = 255
    lowercase: bool = False
    source: str = PULUMI_AUTONAMING

    def name_for(self, logical_name: str) -> str:
        # The suffix is random; any 7 hex characters stand for it (hex: lowercase letters and digits).
        suffix = hashlib.sha256(logical_name.encode()).hexdigest()[:RANDOM_SUFFIX_LENGTH]
        name = f"{logical_name}-{suffix}"
        return name.lower() if self.lowercase else name


def same(value: Any) -> Any:
    """The value as the program sets it: most inputs reach the API unchanged."""
    return value


@dataclass(frozen=True)
class Field:
    input: str
    """The Pulumi input, dotted, `[]` for each element of a list: `rules[].statement.rateBasedStatement.limit`."""
    member: MemberRef
    kind: str
    to_api: Callable[[Any], Any] = same
    """How the provider turns the input into the member's value (a bool into "ENABLED", a map into a list, ...)."""
    rules: tuple[Rule, ...] = ()
    autoname: AutoName | None = None
    model: bool = True
    """Check the value against the member's shape in the model; off where the provider sends the member a
    different type than the input (an attribute value as text) and the rules say everything."""
    when: Callable[[Any], bool] | None = None
    """Only for resources whose props pass this test (the member a value goes to can depend on another input)."""

    @property
    def api_member(self) -> str:
        return f"{self.member.service} {self.member.path}"


@dataclass(frozen=True)
class Tagging:
    """The tags a resource type carries go to its service's tag shapes: key and value."""

    service: str
    key: str
    value: str
    max_tags: int = 50
    rules: tuple[Rule, ...] = ()
    """Documented rules for keys (EC2's model states none: its Tag shape has plain strings)."""
    value_rules: tuple[Rule, ...] = ()
    documented_at: str = "Tag"
    """The shape whose documentation states the rules (their quotes are checked against it)."""


@dataclass(frozen=True)
class Request:
    """What the program's inputs for one resource type become in the API."""

    fields: tuple[Field, ...] = ()
    tags: Tagging | None = None
    unchecked: tuple[str, ...] = ()
    """Inputs no AWS rule constrains: references to other resources (ids, ARNs, names Pulumi resolves) and
    settings the provider keeps for itself (forceDestroy, assets). Listed, so every input is accounted for."""


def fields(service: str, kind: str, *entries: tuple[Any, ...]) -> tuple[Field, ...]:
    """Field table rows: (input, member[, keyword arguments])."""
    made = []
    for input_, member, *rest in entries:
        options: Mapping[str, Any] = rest[0] if rest else {}
        made.append(Field(input=input_, member=MemberRef(service, member), kind=kind, **options))
    return tuple(made)


# --- reading the inputs ----------------------------------------------------------------------------------------

def values_at(props: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(where, value) for every value at `path`; nothing where the program set nothing."""
    parts = path.split(".")

    def walk(node: Any, index: int, where: str) -> Iterator[tuple[str, Any]]:
        if index == len(parts):
            yield where, node
            return
        part = parts[index]
        each = part.endswith("[]")
        key = part[:-2] if each else part
        if not is_mapping(node) or key not in node or node[key] is None:
            return
        prefix = f"{where}.{key}" if where else key
        if each:
            for position, item in enumerate(as_list(node[key])):
                yield from walk(item, index + 1, f"{prefix}[{position}]")
        else:
            yield from walk(node[key], index + 1, prefix)

    yield from walk(props, 0, "")


@dataclass(frozen=True)
class FieldValue:
    where: str
    value: Any
    generated: bool = False
    """The name pulumi-aws will give the resource, the program having set none."""


def field_values(entry: Field, args: ResourceValidationArgs) -> Iterator[FieldValue]:
    """The field's values as the program sets them, or the name pulumi-aws will generate."""
    if entry.when is not None and not entry.when(args.props):
        return
    found = False
    for where, value in values_at(args.props, entry.input):
        found = True
        yield FieldValue(where, value)
    if not found and entry.autoname is not None:
        yield FieldValue(f"{entry.input} (unset: pulumi-aws names it {args.name}-<7 random hex>)",
                         entry.autoname.name_for(args.name), generated=True)


def field_problems(entry: Field, args: ResourceValidationArgs) -> list[str]:
    """What is wrong with the field's values, each message naming the API member and the source of its rule."""
    messages = []
    try:
        found = list(field_values(entry, args))
    except UnknownValueError:
        return []  # not known before deployment: judged again once it is
    for found_value in found:
        try:
            messages += _value_problems(entry, args, found_value)
        except UnknownValueError:
            continue  # a part of the value (an ARN in a document) is not known yet
    return messages


def _value_problems(entry: Field, args: ResourceValidationArgs, found: FieldValue) -> list[str]:
    where = found.where
    try:
        api_value = entry.to_api(found.value)
    except (TypeError, ValueError, AttributeError) as error:
        return [f"{describe(args)}: {where} = {found.value!r} cannot become {entry.api_member} ({error})."]
    problems: list[tuple[str, str]] = []
    if found.generated and entry.autoname is not None and len(api_value) > entry.autoname.maxlen:
        problems.append((f"pulumi-aws generates names of at most {entry.autoname.maxlen} characters, and "
                         f"{api_value!r} is {len(api_value)}", entry.autoname.source))
    if entry.model:
        shape_name = entry.member.resolve()[0]
        problems += [(str(p), entry.member.source) for p in Checker(entry.member.service).check(api_value, shape_name)]
    problems += [(message, rule.source) for rule in entry.rules for message in [rule.check(api_value)] if message]
    return [f"{describe(args)}: {where} becomes {entry.api_member}: {problem} [{source}]."
            for problem, source in problems]
