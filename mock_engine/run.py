"""Run the whole webstack program for a stack under Pulumi mocks and capture what it declares.

`run_stack("dev")` reads the real `Pulumi.dev.yaml` (optionally with overrides), runs `__main__.py` in-process
against the mock engine, and returns a `Capture`. Results are cached per input, so the tests, the policy check and
the report pay for each stack once per process.
"""

from __future__ import annotations

import copy
import json
import runpy
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT = "webstack"

if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import pulumi  # noqa: E402
from pulumi.runtime import settings  # noqa: E402
from pulumi.runtime.stack import run_pulumi_func  # noqa: E402
from pulumi.runtime.sync_await import _sync_await  # noqa: E402

from .aws import WebstackMocks  # noqa: E402
from .capture import Capture, CapturingMonitor, StackRunFailed  # noqa: E402
from .speed import without_engine_overheads  # noqa: E402

without_engine_overheads()


def stack_file_config(stack: str) -> dict[str, Any]:
    path = PROJECT_ROOT / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name}; stacks here: "
                                f"{', '.join(sorted(p.name for p in PROJECT_ROOT.glob('Pulumi.*.yaml')))}")
    return (yaml.safe_load(path.read_text()) or {}).get("config", {})


def merged_config(stack: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """The stack file with overrides applied: an object override merges key by key; `None` removes the key."""
    config = copy.deepcopy(stack_file_config(stack))
    for key, value in (overrides or {}).items():
        if value is None:
            config.pop(key, None)
        elif isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def _serialise(config: dict[str, Any]) -> dict[str, str]:
    # The engine passes objects to the program as JSON text and scalars as strings.
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


async def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    return await output.future(with_unknowns=True)


def _run(stack: str, config: dict[str, Any], program: Callable[[], None] | None = None) -> Capture:
    region = config.get("aws:region", "ap-northeast-1")
    monitor = CapturingMonitor(WebstackMocks(region))
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(_serialise(config))
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    # Context properties of the SDK's settings, which its type hints describe as methods.
    engine_settings: Any = settings.SETTINGS
    engine_settings.rpc_manager.clear()
    engine_settings.outputs.clear()
    root: Any = settings.get_root_resource()
    capture = Capture(stack=stack, config=config, resources=monitor.captured, outputs={}, invokes=monitor.invokes)

    def main() -> None:
        runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__pulumi_program__")

    try:
        _sync_await(run_pulumi_func(program or main))
        capture.outputs = {k: _sync_await(_resolve(v)) for k, v in root.outputs.items()}
    except Exception as exc:  # the program's own error, re-raised with what it declared
        raise StackRunFailed(capture, exc) from exc
    return capture


@lru_cache(maxsize=32)
def _cached(stack: str, overrides_json: str) -> Capture:
    return _run(stack, merged_config(stack, json.loads(overrides_json)))


def run_stack(stack: str, overrides: dict[str, Any] | None = None) -> Capture:
    """Capture the program for `stack` (the real stack file, plus `overrides`). Results are cached per input."""
    return _cached(stack, json.dumps(overrides or {}, sort_keys=True))


def run_program(program: Callable[[], None], stack: str = "dev",
                overrides: dict[str, Any] | None = None) -> Capture:
    """Capture `program` (any function declaring resources) under the same mocks and stack config as
    `run_stack`: for a component on its own, with inputs the stacks do not use. Not cached."""
    return _run(stack, merged_config(stack, overrides), program)


def stacks() -> list[str]:
    return sorted(p.name.split(".")[1] for p in PROJECT_ROOT.glob("Pulumi.*.yaml"))


