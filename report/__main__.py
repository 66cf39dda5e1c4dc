"""`python -m report STACK [STACK...]`: cost estimate, architecture diagram and dashboard picture per stack, and a
comparison.

Writes docs/report/<stack>/{cost.md, architecture.png, architecture.svg, architecture.nodes.json, dashboard.png,
dashboard.svg} and, for two or more stacks, docs/report/comparison.md; prints the cost tables (and the comparison).
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mock_engine import PROJECT_ROOT, StackRunFailed, run_stack, stacks

from .assumptions import AssumptionError
from .cost import estimate
from .dashboard import render as render_dashboards
from .diagram import build, render
from .inventory import InventoryError
from .markdown import comparison_document, cost_document, cost_table

DOCS = PROJECT_ROOT / "docs" / "report"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("stacks", nargs="+", metavar="STACK", help=f"stack name ({', '.join(stacks())})")
    parser.add_argument("--output", type=Path, default=DOCS, help="directory for the report (default docs/report)")
    args = parser.parse_args(argv)

    reports = []
    try:
        for stack in args.stacks:
            if stack not in stacks():
                raise AssumptionError(f"no stack {stack!r}: there is no Pulumi.{stack}.yaml (stacks: "
                                      f"{', '.join(stacks())})")
            capture = run_stack(stack)
            report = estimate(capture)
            directory = args.output / stack
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "cost.md").write_text(cost_document(report))
            render(build(capture), directory)
            render_dashboards(capture, directory)
            reports.append(report)
            print(f"## {stack}: monthly cost ({directory / 'cost.md'})\n\n{cost_table(report)}\n")
    except StackRunFailed as exc:
        print(f"report: the program fails for this stack: {exc}", file=sys.stderr)
        return 2
    except (AssumptionError, InventoryError) as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    if len(reports) > 1:
        comparison = comparison_document(reports)
        (args.output / "comparison.md").write_text(comparison)
        print(comparison)
    return 0


if __name__ == "__main__":
    from mock_engine.speed import run_command

    run_command(main)
