"""How long the offline policy check takes per stack, relative to a bare `import pulumi_aws` measured in the same run.

    .venv/bin/python bench/policy_check.py [dev prd] [--repeat 3]

Every measurement runs in a fresh interpreter, so no run profits from modules another one imported. For each stack
it reports the whole check as CI runs it (`python -m policies.offline <stack>`, wall clock) and, inside one
process, its phases: importing the program's dependencies, running the program under mocks, and evaluating the
policies. Each figure is the median of `--repeat` runs; ratios are to the median bare import.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_IMPORT = "import time; t = time.perf_counter(); import pulumi_aws; print(time.perf_counter() - t)"


def _seconds_of(command: list[str]) -> float:
    started = time.perf_counter()
    run = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    # 1 is a finished check that found violations; anything else did not run the check, so its time means nothing.
    if run.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed (exit {run.returncode}):\n{run.stderr}")
    return seconds


def _bare_import() -> float:
    run = subprocess.run([sys.executable, "-c", BARE_IMPORT], cwd=ROOT, check=True, capture_output=True, text=True,
                         timeout=600)
    return float(run.stdout)


def _phases(stack: str) -> dict[str, float]:
    run = subprocess.run([sys.executable, __file__, "--phases-of", stack], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=600)
    return json.loads(run.stdout.splitlines()[-1])


def measure_phases(stack: str) -> None:
    """(In a fresh interpreter) time the check's phases for one stack and print them as JSON."""
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    from policies.offline import check_capture  # noqa: E402  (the imports are what is being timed)
    from mock_engine import run_stack  # noqa: E402
    imported = time.perf_counter()
    capture = run_stack(stack)
    captured = time.perf_counter()
    check_capture(capture)
    checked = time.perf_counter()
    print(json.dumps({"import the pack and the offline engine": imported - started,
                      "run the program under mocks (imports pulumi_aws)": captured - imported,
                      "evaluate every policy": checked - captured}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", nargs="*", default=["dev", "prd"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phases-of", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.phases_of:
        measure_phases(options.phases_of)
        return

    baseline = statistics.median(_bare_import() for _ in range(options.repeat))
    print(f"bare `import pulumi_aws` (fresh interpreter, median of {options.repeat}): {baseline:.2f} s = 1.00x\n")
    print(f"{'stack':<6} {'measurement':<52} {'seconds':>8} {'× import':>9}")
    for stack in options.stacks:
        whole = statistics.median(_seconds_of([sys.executable, "-m", "policies.offline", stack])
                                  for _ in range(options.repeat))
        runs = [_phases(stack) for _ in range(options.repeat)]
        rows = [(f"python -m policies.offline {stack} (wall clock)", whole)]
        rows += [(f"  {phase}", statistics.median(run[phase] for run in runs)) for phase in runs[0]]
        for label, seconds in rows:
            print(f"{stack:<6} {label:<52} {seconds:>8.2f} {seconds / baseline:>8.2f}x")


if __name__ == "__main__":
    main()
