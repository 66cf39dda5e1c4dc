"""How long the offline policy check takes, relative to the floor it cannot go below, measured in one run.

    .venv/bin/python bench/policy_check.py [dev prd] [--repeat 3]

The floor is a fresh interpreter that imports every pulumi-aws resource class the program declares for the stacks
(the modules the program cannot run without), timed as a whole process from start to exit, like every figure here.
Beside it, for reference, the same imports with the two process settings the check itself uses (the garbage
collector off, no interpreter teardown: mock_engine/speed.py), the least any process could take for them. Against
the floor, in fresh interpreters too:

- `make policy` as CI runs it: `python -m policies.offline <stacks>`, every stack in one process (goal: ≤ 1.6×);
- the check of each stack alone, and inside one process its phases: importing the pack and the offline engine,
  running the program under mocks, evaluating the policies.

Each figure is the median of `--repeat` runs. Imports are byte-compiled first (as `make` leaves them), so no run
pays for compiling what another compiled.
"""

from __future__ import annotations

import argparse
import gc
import json
import keyword
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.6
# `make` runs Python with bytecode writing on; so do these measurements.
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True, timeout=600,
                         env=ENVIRONMENT)
    # 1 is a finished check that found violations; anything else did not run the check, so its time means nothing.
    if run.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed (exit {run.returncode}):\n{run.stderr}")
    return run


def _seconds_of(command: list[str]) -> float:
    started = time.perf_counter()
    _run(command)
    return time.perf_counter() - started


def declared_classes(stacks: list[str]) -> list[tuple[str, str]]:
    """(module, class) of every pulumi-aws resource type the stacks declare, from one capture of each."""
    run = _run([sys.executable, __file__, "--classes-of", *stacks])
    return [tuple(pair) for pair in json.loads(run.stdout.splitlines()[-1])]


def print_declared_classes(stacks: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    from mock_engine import run_stack

    found = set()
    for stack in stacks:
        for resource in run_stack(stack).custom_resources:
            package, module_path, name = resource.type.split(":")
            if package != "aws":
                continue  # awsx's image is remote: the program imports its SDK, timed as part of the check
            module = module_path.split("/")[0]
            module += "_" if keyword.iskeyword(module) else ""  # aws:lambda/... lives in pulumi_aws.lambda_
            found.add((f"pulumi_aws.{module}" if module != "index" else "pulumi_aws", name))
    print(json.dumps(sorted(found)))


def floor_script(classes: list[tuple[str, str]], *, as_the_check_runs: bool = False) -> str:
    lines = ["import gc, os", "gc.disable()"] if as_the_check_runs else []
    lines += ["import importlib"]
    lines += [f"getattr(importlib.import_module({module!r}), {name!r})" for module, name in classes]
    lines += ["os._exit(0)"] if as_the_check_runs else []
    return "\n".join(lines)


def _floor(script: str) -> float:
    started = time.perf_counter()
    run = _run([sys.executable, "-c", script])
    if run.returncode:
        sys.exit(f"the floor's imports failed:\n{run.stderr}")
    return time.perf_counter() - started


def _phases(stack: str) -> dict[str, float]:
    return json.loads(_run([sys.executable, __file__, "--phases-of", stack]).stdout.splitlines()[-1])


def measure_phases(stack: str) -> None:
    """(In a fresh interpreter) time the check's phases for one stack and print them as JSON."""
    gc.disable()  # as the check runs (mock_engine.speed.run_command)
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    from mock_engine import run_stack
    from policies.offline import check_capture
    imported = time.perf_counter()
    capture = run_stack(stack)
    captured = time.perf_counter()
    check_capture(capture)
    checked = time.perf_counter()
    print(json.dumps({"import the pack and the offline engine": imported - started,
                      "run the program under mocks (imports pulumi_aws)": captured - imported,
                      "evaluate every policy": checked - captured}))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("stacks", nargs="*", default=["dev", "prd"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phases-of", help=argparse.SUPPRESS)
    parser.add_argument("--classes-of", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.phases_of:
        measure_phases(options.phases_of)
        return
    if options.classes_of:
        print_declared_classes(options.classes_of)
        return

    classes = declared_classes(options.stacks)  # also byte-compiles everything the runs below import
    floor = statistics.median(_floor(floor_script(classes)) for _ in range(options.repeat))
    least = statistics.median(_floor(floor_script(classes, as_the_check_runs=True)) for _ in range(options.repeat))
    print(f"floor: a fresh interpreter importing the {len(classes)} pulumi-aws resource classes the stacks declare "
          f"(median of {options.repeat}): {floor:.2f} s = 1.00x\n")
    print(f"{'measurement':<58} {'seconds':>8} {'× floor':>8}")
    print(f"{'  the same imports, collector off and no teardown':<58} {least:>8.2f} {least / floor:>7.2f}x")
    make_policy = statistics.median(_seconds_of([sys.executable, "-m", "policies.offline", *options.stacks])
                                    for _ in range(options.repeat))
    verdict = "within" if make_policy / floor <= GOAL else "OVER"
    print(f"{'make policy: python -m policies.offline ' + ' '.join(options.stacks):<58} {make_policy:>8.2f} "
          f"{make_policy / floor:>7.2f}x  ({verdict} the {GOAL}x goal)")
    print(f"{'  the same, against the imports with the check settings':<58} {'':>8} "
          f"{make_policy / least:>7.2f}x  (what the program run and the policies add to the imports)")
    for stack in options.stacks:
        whole = statistics.median(_seconds_of([sys.executable, "-m", "policies.offline", stack])
                                  for _ in range(options.repeat))
        runs = [_phases(stack) for _ in range(options.repeat)]
        rows = [(f"python -m policies.offline {stack}", whole)]
        rows += [(f"  {phase}", statistics.median(run[phase] for run in runs)) for phase in runs[0]]
        for label, seconds in rows:
            print(f"{label:<58} {seconds:>8.2f} {seconds / floor:>7.2f}x")


if __name__ == "__main__":
    main()
