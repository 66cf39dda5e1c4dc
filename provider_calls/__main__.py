"""`python -m provider_calls dev prd`: for each stack (with CI access configured, every optional resource on), a
table of the resource types it declares or invokes, the calls each costs, and how many the deploy and preview roles
allow; then every call they cannot make. Exits 1 when a role falls short or a type has no entry."""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

from mock_engine import run_stack, stacks

from . import load
from .check import check
from .settings import EXAMPLE_CI, OBJECT_LOCK, everything


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m provider_calls", description=__doc__)
    parser.add_argument("stacks", nargs="*", default=stacks())
    parser.add_argument("--as-configured", action="store_true",
                        help="the stack file's settings only (default: every optional resource switched on)")
    args = parser.parse_args(argv)
    table, failed = load(), False
    runs = [(stack, {"webstack:ci": EXAMPLE_CI, **({} if args.as_configured else everything(stack))})
            for stack in args.stacks]
    if not args.as_configured and "prd" in args.stacks:
        runs.append(("prd", {"webstack:ci": EXAMPLE_CI, **OBJECT_LOCK}))
    for stack, overrides in runs:
        report = check(run_stack(stack, overrides), table)
        rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for type_, _, deploy, preview in report.checked:
            row = rows[type_]
            row[0] += 1
            row[1] += bool(deploy)
            row[2] += preview is not None
            row[3] += bool(preview) if preview is not None else 0
        width = max(map(len, rows), default=10)
        settings = ", ".join(sorted(k for k in overrides if k != "webstack:ci")) or "as configured"
        print(f"\n{stack} ({settings}): {len(report.checked)} requests, {len(report.findings)} findings")
        print(f"{'type'.ljust(width)}  deploy allows   preview allows")
        for type_ in sorted(rows):
            calls, deploy, reads, preview = rows[type_]
            print(f"{type_.ljust(width)}  {deploy:>5}/{calls:<5}    {preview:>5}/{reads:<5}")
        for type_ in report.missing_types:
            print(f"{type_.ljust(width)}  NO ENTRY in provider_calls/calls.yaml")
        for finding in report.findings:
            print(f"  {finding}")
        failed = failed or bool(report.findings or report.missing_types)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
