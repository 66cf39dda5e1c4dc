"""A small IAM policy evaluator: IAM's verdict on one request, judged from the policy documents the program declares.

It implements the parts of IAM's evaluation logic the webstack policies use, and refuses the rest rather than guess:

- `Allow`/`Deny` statements; an explicit Deny wins over any Allow; nothing allowed is denied.
- `Action`/`NotAction` and `Resource`/`NotResource` with `*` and `?` wildcards (actions case-insensitive, resources
  case-sensitive, as IAM compares them). A statement with neither `Resource` nor `NotResource` (a trust policy's)
  applies to every resource; a `principal` given to the evaluation is then compared with the statement's
  `Principal`.
- Conditions: StringEquals, StringNotEquals, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals,
  ArnNotLike, Bool and Null; each with `IfExists`, and the set qualifiers `ForAnyValue:` and `ForAllValues:` for
  multi-valued keys. Every operator of a block and every key of an operator must hold. A key missing from the
  request makes a positive operator fail and a negated one (`...Not...`) hold, as IAM does; `IfExists` makes a
  missing key hold. Any other operator raises `UnsupportedCondition`.
- A permissions boundary: with `boundary=`, a request is allowed only if the identity policies allow it *and* the
  boundary allows it (a Deny in either denies).

Request context values are strings, or lists of strings for multi-valued keys (`aws:TagKeys`). A multi-valued key
needs a set qualifier, as IAM requires; without one the evaluator raises instead of choosing a meaning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ContextValue = str | Sequence[str]
Context = Mapping[str, ContextValue]

POSITIVE = {"StringEquals", "StringLike", "ArnEquals", "ArnLike", "Bool"}
NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals",
           "ArnNotLike": "ArnLike"}
SET_QUALIFIERS = ("ForAnyValue:", "ForAllValues:")


class UnsupportedCondition(AssertionError):
    """A condition operator this evaluator does not implement: extend it before a policy uses the operator."""


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: `*` is any run of characters, `?` any one character, the rest literal."""
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _matches(base: str, expected: list[str], actual: str) -> bool:
    """One context value against a positive operator's policy values (any of them)."""
    if base == "StringEquals":
        return actual in expected
    if base in ("StringLike", "ArnLike", "ArnEquals"):  # IAM lets ArnEquals take wildcards as ArnLike does
        return any(like(value, actual) for value in expected)
    if base == "Bool":
        return actual.lower() in (value.lower() for value in expected)
    raise UnsupportedCondition(f"the evaluator does not implement {base}; extend it before using it")


def _operator_holds(operator: str, key: str, expected_raw: Any, context: Context) -> bool:
    qualifier = next((q for q in SET_QUALIFIERS if operator.startswith(q)), "")
    name = operator[len(qualifier):]
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    expected = [_text(v) for v in as_list(expected_raw)]
    present = key in context and context[key] is not None

    if name == "Null":
        if qualifier or if_exists:
            raise UnsupportedCondition(f"{operator} is not an IAM operator")
        return all((value.lower() == "true") != present for value in expected)
    negated = name in NEGATED
    base = NEGATED.get(name, name)
    if base not in POSITIVE:
        raise UnsupportedCondition(f"the evaluator does not implement {operator}; extend it before using it")

    if qualifier:
        values = [_text(v) for v in as_list(context.get(key))] if present else []
        if qualifier == "ForAnyValue:":  # some value matches; an empty or missing set never does
            return any(_matches(base, expected, v) != negated for v in values)
        return all(_matches(base, expected, v) != negated for v in values)  # ForAllValues: vacuous when empty

    if not present:
        return if_exists or negated
    actual = context[key]
    if isinstance(actual, (list, tuple)):
        raise UnsupportedCondition(f"{key} is multi-valued in this request: {operator} needs ForAnyValue: or "
                                   "ForAllValues:, as IAM requires")
    return _matches(base, expected, _text(actual)) != negated


def condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Context) -> bool:
    """Every operator of a Condition block, and every key under it, holds for the request."""
    return all(_operator_holds(operator, key, expected, context)
               for operator, pairs in condition.items() for key, expected in pairs.items())


def _covers(statement: Mapping[str, Any], positive: str, negative: str, value: str, ignore_case: bool) -> bool:
    if positive in statement:
        return any(like(p, value, ignore_case) for p in as_list(statement[positive]))
    if negative in statement:
        return not any(like(p, value, ignore_case) for p in as_list(statement[negative]))
    return True


def statement_applies(statement: Mapping[str, Any], action: str, resource: str, context: Context,
                      principal: Mapping[str, Any] | None = None) -> bool:
    if "Action" not in statement and "NotAction" not in statement:
        raise ValueError(f"statement {statement.get('Sid', '')!r} names no Action or NotAction")
    if not _covers(statement, "Action", "NotAction", action, ignore_case=True):
        return False
    if not _covers(statement, "Resource", "NotResource", resource, ignore_case=False):
        return False
    if principal is not None and statement.get("Principal") != principal:
        return False
    return condition_holds(statement.get("Condition", {}), context)


@dataclass(frozen=True)
class Verdict:
    """IAM's answer, with the statements that decided it (by Sid) for messages."""
    allowed: bool
    allowed_by: tuple[str, ...] = ()
    denied_by: tuple[str, ...] = ()
    boundary: Verdict | None = field(default=None, compare=False)

    def __bool__(self) -> bool:
        return self.allowed

    def explain(self) -> str:
        if self.denied_by:
            return f"denied explicitly by {', '.join(self.denied_by)}"
        if not self.allowed_by:
            return "no statement allows it"
        if self.boundary is not None and not self.boundary.allowed:
            return f"allowed by {', '.join(self.allowed_by)} but outside the boundary ({self.boundary.explain()})"
        return f"allowed by {', '.join(self.allowed_by)}"


def _statements(documents: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [s for document in documents for s in as_list(document["Statement"])]


def evaluate(documents: Sequence[Mapping[str, Any]], action: str, resource: str = "*",
             context: Context | None = None, principal: Mapping[str, Any] | None = None,
             boundary: Sequence[Mapping[str, Any]] | None = None) -> Verdict:
    """IAM's verdict for one request: some Allow matches and no Deny does (in the policies, and in the boundary
    when one is given)."""
    context = context or {}
    allowed_by, denied_by = [], []
    for index, statement in enumerate(_statements(documents)):
        if statement_applies(statement, action, resource, context, principal):
            sid = statement.get("Sid") or f"statement {index}"
            (denied_by if statement["Effect"] == "Deny" else allowed_by).append(sid)
    verdict = Verdict(allowed=bool(allowed_by) and not denied_by, allowed_by=tuple(allowed_by),
                      denied_by=tuple(denied_by))
    if boundary is None:
        return verdict
    capped = evaluate(boundary, action, resource, context, principal)
    return Verdict(allowed=verdict.allowed and capped.allowed, allowed_by=verdict.allowed_by,
                   denied_by=verdict.denied_by + capped.denied_by, boundary=capped)


def allows(documents: Sequence[Mapping[str, Any]], action: str, resource: str = "*",
           context: Context | None = None, principal: Mapping[str, Any] | None = None,
           boundary: Sequence[Mapping[str, Any]] | None = None) -> bool:
    return evaluate(documents, action, resource, context, principal, boundary).allowed
