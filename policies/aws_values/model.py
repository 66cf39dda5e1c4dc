"""AWS's own API models, as botocore ships them: a shape by name, and a value checked against a shape.

botocore carries every service's model (`botocore/data/<service>/<api version>/service-2.json.gz`): each operation's
request shape, and for every member its type, enumeration, length or value bounds and pattern. These are the
constraints the service itself validates requests against, so a value that fails them fails `pulumi up`.

The models are read straight from botocore's data directory, newest API version first as botocore does, without
importing botocore itself (0.1 s the policy check does not need), and each one once, on first use. A full model is
mostly documentation; the checks need only the constraints, which are kept, per service, in a local cache keyed by
the model file (0.03 s to load all of them, against 0.23 s to parse the models): the cache is an optimisation only,
rebuilt whenever it is missing, stale or unreadable, and never written where it cannot be.

Patterns are Smithy/Java regular expressions: `\\p{L}` classes, `\\uXXXX` escapes (UTF-16, so characters outside the
Basic Multilingual Plane appear as surrogate pairs), and `\\w`, `\\d`, `\\s` and `\\p{Print}` meaning ASCII only. AWS
matches a pattern against the whole value, anchored or not; `java_pattern` compiles one with those meanings for the
`regex` package (whose `\\p{...}` classes `re` lacks), and every check uses a full match.
"""

from __future__ import annotations

import difflib
import gzip
import importlib.util
import json
import marshal
import os
import re
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import regex

Shape = Mapping[str, Any]


@dataclass(frozen=True)
class Problem:
    """What is wrong with one value: `where` is its path (`containerDefinitions[0].healthCheck.intervl`);
    `source` is set when the rule is not the model's own (a documented overlay)."""

    where: str
    message: str
    source: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


# --- the models ------------------------------------------------------------------------------------------------

@cache
def _data_dir() -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:
        raise RuntimeError("botocore is not installed; the AWS value rules read its service models "
                           "(pip install -r policies/requirements.txt)")
    return Path(spec.origin).parent / "data"


def _model_file(service: str) -> Path:
    """The service's model file, newest API version, as botocore's loader would pick it."""
    versions = sorted(p for p in (_data_dir() / service).iterdir() if (p / "service-2.json.gz").exists())
    if not versions:
        raise LookupError(f"botocore has no model for service {service!r}")
    return versions[-1] / "service-2.json.gz"


@cache
def service_model(service: str) -> Mapping[str, Any]:
    """The service's whole model (`ecs`, `elbv2`, ...), documentation included."""
    return json.loads(gzip.decompress(_model_file(service).read_bytes()))


# What a check reads of a shape, and of a structure's member or a list's or map's parts.
_CONSTRAINT_KEYS = ("type", "members", "member", "key", "value", "enum", "min", "max", "pattern", "required",
                    "union")


def _constraints_of(model: Mapping[str, Any]) -> dict[str, Any]:
    shapes = {}
    for name, spec in model["shapes"].items():
        kept = {k: v for k, v in spec.items() if k in _CONSTRAINT_KEYS}
        if "members" in kept:
            kept["members"] = {m: {"shape": ref["shape"]} for m, ref in kept["members"].items()}
        for part in ("member", "key", "value"):
            if part in kept:
                kept[part] = {"shape": kept[part]["shape"]}
        shapes[name] = kept
    inputs = {name: op["input"]["shape"] for name, op in model["operations"].items() if "input" in op}
    return {"inputs": inputs, "shapes": shapes}


# Bump when _constraints_of keeps something else: older cache files then no longer match.
CACHE_FORMAT = 1


def _cache_file(service: str, model_file: Path) -> Path:
    """Named after everything it depends on: the model file, the cache format and Python's marshal version."""
    stat = model_file.stat()
    key = (f"{service}-{model_file.parent.name}-{stat.st_size}-{stat.st_mtime_ns}-v{CACHE_FORMAT}-"
           f"py{sys.version_info[0]}{sys.version_info[1]}")
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "webstack" / "aws-models"
    return root / f"{key}.marshal"


@cache
def constraints(service: str) -> Mapping[str, Any]:
    """The service's operations' input shapes and every shape's constraints, from the cache when it holds them."""
    model_file = _model_file(service)
    cached = _cache_file(service, model_file)
    try:
        return marshal.loads(cached.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    kept = _constraints_of(service_model(service))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cached.parent, suffix=".tmp", delete=False) as temporary:
            temporary.write(marshal.dumps(kept))
        os.replace(temporary.name, cached)  # whole or not at all, whoever else writes it at the same time
    except OSError:
        pass  # a read-only home: the check only runs slower
    return kept


def shape(service: str, name: str) -> Shape:
    """A shape's constraints (type, members, enumeration, bounds, pattern), documentation left out."""
    try:
        return constraints(service)["shapes"][name]
    except KeyError:
        raise LookupError(f"botocore {service} has no shape {name!r}") from None


@dataclass(frozen=True)
class MemberRef:
    """A request member named the way the API reference names it: `CreateTargetGroup.HealthCheckIntervalSeconds`,
    or from any shape: `HealthCheck.interval`. The first part may be an operation (its input shape is meant) or a
    shape; `[]` steps into a list's member, `{}` into a map's value."""

    service: str
    path: str

    @property
    def source(self) -> str:
        return f"botocore {self.service} {self.path}"

    def resolve(self) -> tuple[str, Shape, Shape | None]:
        """(shape name, shape, the structure it is a member of) of the member."""
        name, parent = _resolve(self.service, self.path)
        return name, shape(self.service, name), shape(self.service, parent) if parent else None

    def documentation(self) -> str:
        """What the model says of the member, its shape and the structure holding it with its members (an
        attribute's Value is described under its Key), HTML as in the model."""
        name, parent = _resolve(self.service, self.path)
        shapes = service_model(self.service)["shapes"]
        holder = shapes[parent] if parent else {}
        parts = (shapes[name], holder, *holder.get("members", {}).values())
        return " ".join(str(part.get("documentation", "")) for part in parts)


@cache
def _resolve(service: str, path: str) -> tuple[str, str | None]:
    """(shape name, name of the structure it is a member of) of a member path."""
    inputs = constraints(service)["inputs"]
    first, *steps = re.findall(r"[^.\[\]{}]+|\[\]|\{\}", path)
    name, parent = inputs.get(first, first), None
    current = shape(service, name)
    for step in steps:
        if step == "[]":
            name = current["member"]["shape"]
        elif step == "{}":
            name = current["value"]["shape"]
        else:
            if step not in current.get("members", {}):
                raise LookupError(f"botocore {service}: {name} has no member {step!r} (in {path})")
            parent = name
            name = current["members"][step]["shape"]
        current = shape(service, name)
    return name, parent


# --- Java / Smithy patterns --------------------------------------------------------------------------------------

# Java's predefined classes are ASCII unless asked otherwise; the `regex` package's are Unicode.
_ASCII_CLASSES = {"w": "A-Za-z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r", "p{Print}": "\\x20-\\x7E"}
_NEGATED = {"W": "w", "D": "d", "S": "s"}
_SURROGATE_PAIR = re.compile(r"\\u(D[89AB][0-9A-Fa-f]{2})\\u(D[C-Fa-f][0-9A-Fa-f]{2})")


def _code_point(match: re.Match[str]) -> str:
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


def _translate(pattern: str) -> str:
    """A Java pattern in the `regex` package's syntax, with Java's meaning of each class."""
    pattern = _SURROGATE_PAIR.sub(_code_point, pattern)
    out: list[str] = []
    class_start = -1  # where the open character class began in `pattern`, or -1
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            token = "p{Print}" if pattern.startswith("p{Print}", i + 1) else pattern[i + 1]
            in_class = class_start >= 0
            if token in _ASCII_CLASSES:
                out.append(_ASCII_CLASSES[token] if in_class else f"[{_ASCII_CLASSES[token]}]")
            elif token in _NEGATED and not in_class:
                out.append(f"[^{_ASCII_CLASSES[_NEGATED[token]]}]")
            else:
                out.append(pattern[i:i + 1 + len(token)])
            i += 1 + len(token)
            # Java reads "-" after a class such as \w as a literal hyphen, never as a range.
            if in_class and token in _ASCII_CLASSES and pattern[i:i + 1] == "-":
                out.append("\\-")
                i += 1
            continue
        if char == "[" and class_start < 0:
            class_start = i
        # A "]" right after "[" or "[^" is a literal, not the end of the class.
        elif char == "]" and class_start >= 0 and i - class_start > (2 if pattern[class_start + 1] == "^" else 1):
            class_start = -1
        out.append(char)
        i += 1
    return "".join(out)


@cache
def java_pattern(pattern: str) -> regex.Pattern[str]:
    return regex.compile(_translate(pattern))


def full_match(pattern: str, value: str) -> bool:
    """Whether the whole value matches, as AWS applies a model's pattern (anchored or not)."""
    return java_pattern(pattern).fullmatch(value) is not None


# --- checking a value against a shape ------------------------------------------------------------------------------

Overlay = tuple[Callable[[Any], str | None], str]
"""A documented rule the model does not state, applied wherever its member is checked: (check, source), the check
giving a message or None."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _bounds(spec: Shape) -> str:
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None:
        return f"{low:g}..{high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def check_string(value: Any, spec: Shape) -> str | None:
    if not isinstance(value, str):
        return f"{value!r} is not a string"
    if "enum" in spec and value not in spec["enum"]:
        return f"{value!r} is not one of {', '.join(spec['enum'])}"
    if ("min" in spec and len(value) < spec["min"]) or ("max" in spec and len(value) > spec["max"]):
        return f"{value!r} is {len(value)} characters long; the length must be {_bounds(spec)}"
    if "pattern" in spec and not full_match(spec["pattern"], value):
        return f"{value!r} does not match the pattern {spec['pattern']}{_outside(spec['pattern'], value)}"
    return None


# A pattern that is one character class, repeated (`[\w+=,.@-]+`, `^([\p{L}\p{Z}...]*)$`): the characters
# outside the class are what is wrong.
_ONE_CLASS_REPEATED = re.compile(r"\^?\(?(\[.*\])[*+]\)?\$?")


def _outside(pattern: str, value: str) -> str:
    found = _ONE_CLASS_REPEATED.fullmatch(pattern)
    if not found:
        return ""
    bad = sorted({c for c in value if not full_match(found.group(1), c)})
    return f": {', '.join(f'{c!r} (U+{ord(c):04X})' for c in bad)} is not among its characters" if bad else ""


def check_number(value: Any, spec: Shape) -> str | None:
    number = _number(value)
    if number is None:
        return f"{value!r} is not a number"
    if spec["type"] in ("integer", "long") and not number.is_integer():
        return f"{value!r} is not a whole number"
    if ("min" in spec and number < spec["min"]) or ("max" in spec and number > spec["max"]):
        return f"{number:g} is outside {_bounds(spec)}"
    return None


def check_scalar(value: Any, spec: Shape) -> str | None:
    """A leaf value against its shape's type, enumeration, bounds and pattern: a message, or None."""
    kind = spec["type"]
    if kind == "string":
        return check_string(value, spec)
    if kind in ("integer", "long", "double", "float"):
        return check_number(value, spec)
    if kind == "boolean":
        return None if isinstance(value, bool) else f"{value!r} is not true or false"
    return None  # blob, timestamp: nothing the program sets


@dataclass(frozen=True)
class Checker:
    """Checks a value against a shape of one service, recursively. `overlays` adds documented rules by
    (shape name, member): `{("HealthCheck", "interval"): between(5, 300, ...)}`."""

    service: str
    overlays: Mapping[tuple[str, str], Sequence[Overlay]] = field(default_factory=dict)

    def check(self, value: Any, shape_name: str, where: str = "") -> list[Problem]:
        spec = shape(self.service, shape_name)
        kind = spec["type"]
        if kind == "structure":
            return self._structure(value, shape_name, spec, where)
        if kind == "list":
            return self._list(value, spec, where)
        if kind == "map":
            return self._map(value, spec, where)
        message = check_scalar(value, spec)
        return [Problem(where, message)] if message else []

    def _structure(self, value: Any, shape_name: str, spec: Shape, where: str) -> list[Problem]:
        if not isinstance(value, Mapping):
            return [Problem(where, f"expected an object ({shape_name}), got {value!r}")]
        members: Mapping[str, Any] = spec.get("members", {})
        problems = []
        for key, item in value.items():
            at = f"{where}.{key}" if where else str(key)
            if key not in members:
                problems.append(Problem(at, _unknown_key(str(key), shape_name, list(members))))
                continue
            member_shape = members[key]["shape"]
            problems += self.check(item, member_shape, at)
            for overlay, source in self.overlays.get((shape_name, key), ()):
                message = overlay(item)
                if message:
                    problems.append(Problem(at, message, source))
        for required in spec.get("required", []):
            if required not in value:
                problems.append(Problem(where, f"{shape_name} requires {required!r}"))
        if spec.get("union") and len([k for k in value if k in members]) != 1:
            problems.append(Problem(where, f"{shape_name} takes exactly one of {', '.join(members)}"))
        return problems

    def _list(self, value: Any, spec: Shape, where: str) -> list[Problem]:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            return [Problem(where, f"expected a list, got {value!r}")]
        problems = []
        if ("min" in spec and len(value) < spec["min"]) or ("max" in spec and len(value) > spec["max"]):
            problems.append(Problem(where, f"{len(value)} items; the list takes {_bounds(spec)}"))
        for index, item in enumerate(value):
            problems += self.check(item, spec["member"]["shape"], f"{where}[{index}]")
        return problems

    def _map(self, value: Any, spec: Shape, where: str) -> list[Problem]:
        if not isinstance(value, Mapping):
            return [Problem(where, f"expected an object, got {value!r}")]
        problems = []
        if ("min" in spec and len(value) < spec["min"]) or ("max" in spec and len(value) > spec["max"]):
            problems.append(Problem(where, f"{len(value)} entries; the map takes {_bounds(spec)}"))
        for key, item in value.items():
            problems += [Problem(f"{where}.{key}", f"key: {p.message}")
                         for p in self.check(key, spec["key"]["shape"])]
            problems += self.check(item, spec["value"]["shape"], f"{where}.{key}")
        return problems


def _unknown_key(key: str, shape_name: str, members: list[str]) -> str:
    close = difflib.get_close_matches(key, members, n=1, cutoff=0.6) or \
        [m for m in members if m.lower() == key.lower()]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {key!r} ({shape_name} has {', '.join(members)}){hint}"
