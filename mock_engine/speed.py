"""Work the SDK does for a real engine that a mocked run never uses, skipped.

- Source positions: every registration walks the Python stack (`traceback.extract_stack`) so that the CLI can show
  where a resource was declared. The mock monitor reads no positions; an empty stack trace is what the engine
  receives from a program that sends none.
- Type introspection: deserialising each output walks its annotation (`Optional[...]`, unions of `Input[...]`)
  through `typing.get_args` again for every property. The answer depends on the type alone, so it is remembered.

Together they are about a third of a mocked run's time, and neither changes a registered input or output.

A command that runs stacks and ends (`python -m policies.offline`, `python -m report`) also goes through
`run_command`, which leaves the garbage collector and the interpreter's teardown out of it.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

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


def run_command(main: Callable[[], int]) -> NoReturn:
    """Run a command-line entry point that runs stacks under mocks, and exit with its status.

    The collector is off for the command: pulumi_aws's type objects (hundreds of thousands, none of them ever
    garbage) made each of its full passes cost a tenth of a second or more, about a third of `make policy`, to free
    a few megabytes in a process that ends seconds later. The exit skips the interpreter's teardown, which frees
    those same objects one by one for about a second, after flushing what the command printed."""
    gc.disable()
    try:
        code = main()
    except SystemExit as exit_:  # argparse's usage errors, and sys.exit inside the command
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if not isinstance(exit_.code, int | None):
            print(exit_.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
