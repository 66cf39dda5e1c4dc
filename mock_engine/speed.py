"""Work the SDK does for a real engine that a mocked run never uses, skipped.

- Source positions: every registration walks the Python stack (`traceback.extract_stack`) so that the CLI can show
  where a resource was declared. The mock monitor reads no positions; an empty stack trace is what the engine
  receives from a program that sends none.
- Type introspection: deserialising each output walks its annotation (`Optional[...]`, unions of `Input[...]`)
  through `typing.get_args` again for every property. The answer depends on the type alone, so it is remembered.

Together they are about a third of a mocked run's time, and neither changes a registered input or output.
"""

from __future__ import annotations

import functools
from typing import Any

from pulumi import _types
from pulumi.runtime import resource
from pulumi.runtime.proto import source_pb2


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def _remembered(check: Any) -> Any:
    cached = functools.lru_cache(maxsize=None)(check)

    @functools.wraps(check)
    def is_optional(tp: Any) -> bool:
        try:
            return cached(tp)
        except TypeError:  # an unhashable annotation: ask the SDK itself
            return check(tp)

    return is_optional


def without_engine_overheads() -> None:
    if getattr(_types, "_webstack_remembered", False):
        return
    resource._get_stack_trace = _no_stack_trace
    _types._is_optional_type = _remembered(_types._is_optional_type)
    _types._webstack_remembered = True  # type: ignore[attr-defined]
