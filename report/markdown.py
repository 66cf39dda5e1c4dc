"""Cost reports as Markdown: one stack's table, and stacks side by side with the NAT comparison."""

from collections.abc import Sequence
from dataclasses import dataclass

from .cost import CHOICES, GROUPS, NAT, CostLine, CostReport


def money(amount: float) -> str:
    sign = "−" if round(amount, 2) < 0 else ""  # a difference that rounds to nothing has no sign
    return f"{sign}${abs(amount):,.2f}"


def unit_price(value: float) -> str:
    return f"${value:.6g}" if value < 1 else f"${value:,.2f}"


def quantity(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    # Three decimals, or as many as a small quantity needs to show its first digit (60 publishes are 0.00006
    # million, not 0).
    decimals = 3
    while abs(value) < 10 ** -decimals and decimals < 9:
        decimals += 1
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def _unit_singular(unit: str) -> str:
    if unit.startswith(("million ", "thousand ", "ten thousand ", "hundred thousand ")):
        return unit  # "per million requests"
    return unit[:-1] if unit.endswith("s") and not unit.endswith("ss") else unit


def _row(line: CostLine, region: str) -> str:
    unit = _unit_singular(line.unit) if quantity(line.quantity) == "1" else line.unit
    # A line billed at another region's price says so: CloudFront's global side bills in us-east-1.
    elsewhere = f" ({line.region})" if line.region and line.region != region else ""
    return (f"| {line.group} | {line.item} | {quantity(line.quantity)} {unit} | "
            f"{unit_price(line.unit_price)} / {_unit_singular(line.unit)}{elsewhere} | {money(line.monthly)} |")


def cost_table(report: CostReport) -> str:
    """The at-rest and usage-driven tables with their subtotals and the total."""
    head = "| Group | Item | Quantity | Unit price | Monthly |\n|---|---|---:|---:|---:|"
    parts = ["### At rest: billed whether or not anyone visits", "", head]
    parts += [_row(line, report.region) for line in report.at_rest]
    parts += [f"| | **At rest** | | | **{money(report.at_rest_total)}** |", "",
              "### Usage-driven: volumes from `report/usage.json`", "", head]
    parts += [_row(line, report.region) for line in report.usage_driven]
    parts += [f"| | **Usage-driven** | | | **{money(report.usage_total)}** |", "",
              f"**Total: {money(report.total)} a month** ({report.prices.currency}, {report.region})"]
    return "\n".join(parts)


def _dates(report: CostReport) -> str:
    dates = sorted({d for book in report.books for d in book.read_dates})
    return dates[0] if len(dates) == 1 else f"{', '.join(dates[:-1])} and {dates[-1]}"


def choices_table(report: CostReport) -> str:
    """What each per-stack setting brings to this stack: its lines (and its free items), and their sum."""
    parts = ["| Choice | Setting | Lines here | Monthly |", "|---|---|---|---:|"]
    for choice in CHOICES:
        lines = [f"{line.item} {money(line.monthly)}" for line in choice.lines(report)]
        lines += [f"{item.item} (no charge)" for item in choice.free_items(report)]
        parts.append(f"| {choice.label} | `{choice.setting}` | {'; '.join(lines) or '— (not in this stack)'} | "
                     f"{money(choice.monthly(report))} |")
    return "\n".join(parts)


def cost_document(report: CostReport) -> str:
    prices = report.prices
    used = sorted({(line.price.split("[")[0]) for line in report.lines})
    regions = sorted({line.region for line in report.lines} - {report.region})
    parts = [
        f"# Monthly cost estimate: {report.stack}",
        "",
        f"Stack `{report.stack}` in {report.region}, computed from the resources the program declares for it "
        f"(captured under mocks, as the tests see them). Unit prices are AWS list prices as read on {_dates(report)} "
        f"(`report/prices.json`, each with its source and date), {prices.hours_per_month:g} hours a month, no "
        "discounts and no free tier — not even AWS's always-free allowances (3 dashboards, 10 alarm metrics, the "
        "first million SQS and SNS requests, 10,000 Cognito users...): a free tier is the account's, shared by every "
        "stack in it, and counting it here would understate the others. Traffic and activity volumes are the "
        "assumptions in `report/usage.json`"
        + (f", where this stack sets its own {', '.join(f'`{key}`' for key in report.usage.own)}. "
           if report.usage.own else ". ")
        + (f"Lines marked ({', '.join(regions)}) bill at that region's price, where the resource runs. "
           if regions else "")
        + f"Regenerate with `make report STACK={report.stack}`.",
        "",
        cost_table(report),
        "",
        "### What the per-stack choices cost here",
        "",
        "The settings that differ between stack files, and the lines each brings to this stack (a choice a stack "
        "turns off shows no line).",
        "",
        choices_table(report),
        "",
        "### How each quantity follows from the stack",
        "",
        "| Item | Basis | Resources |",
        "|---|---|---|",
    ]
    parts += [f"| {line.item} | {line.basis} | {', '.join(f'`{r}`' for r in line.resources)} |"
              for line in report.lines]
    parts += ["", "### Declared, not billed", "",
              "Every other resource the stack declares, and why it carries no charge of its own.", "",
              "| What | Why | Resources |", "|---|---|---|"]
    parts += [f"| {item.item} | {item.reason} | {', '.join(f'`{r}`' for r in item.resources)} |"
              for item in report.free]
    parts += ["", "### Price sources", ""]
    parts += [f"- `{key}` ({prices.units.get(key, '')}): {prices.sources[key]}" for key in used]
    return "\n".join(parts) + "\n"


@dataclass(frozen=True)
class NatComparison:
    cheaper: CostReport
    dearer: CostReport

    @property
    def saving(self) -> float:
        return self.dearer.group_total(NAT) - self.cheaper.group_total(NAT)

    @property
    def saving_percent(self) -> float:
        """How much less the cheaper stack's NAT lines cost, as a percentage of the dearer stack's."""
        dearer = self.dearer.group_total(NAT)
        return 100 * self.saving / dearer if dearer else 0.0


def compare_nat(a: CostReport, b: CostReport) -> NatComparison:
    cheaper, dearer = sorted((a, b), key=lambda r: r.group_total(NAT))
    return NatComparison(cheaper=cheaper, dearer=dearer)


def _nat_kind(report: CostReport) -> str:
    items = [line.item for line in report.lines if line.group == NAT and not line.usage_driven]
    return items[0] if items else "no NAT"


def comparison_document(reports: Sequence[CostReport]) -> str:
    """Stacks side by side, line by line; with two stacks, the difference and the NAT comparison."""
    names = [r.stack for r in reports]
    two = len(reports) == 2
    order = {group: i for i, group in enumerate(GROUPS)}
    keys: dict[str, CostLine] = {}
    for report in reports:
        for line in report.lines:
            keys.setdefault(line.key, line)
    rows = sorted(keys.values(), key=lambda line: (line.usage_driven, order[line.group]))
    diff_head = f" {names[1]} − {names[0]} |" if two else ""
    parts = [f"# Monthly cost: {' vs '.join(names)}", "",
             "Each stack's lines as in its `cost.md`, side by side: the same unit prices, and the same usage "
             "assumptions except those a stack sets for itself (its `cost.md` names them), so the at-rest "
             "difference is the architecture. Regenerate with `python -m report " + " ".join(names) + "`.", "",
             "| Group | Item | " + " | ".join(names) + " |" + diff_head,
             "|---|---|" + "---:|" * len(names) + ("---:|" if two else "")]

    def cells(values: list[float]) -> str:
        text = " | ".join(money(v) if v else "—" for v in values)
        return text + (f" | {money(values[1] - values[0])}" if two else "")

    for line, previous in zip(rows, [None, *rows], strict=False):
        if line.usage_driven and (previous is None or not previous.usage_driven):
            parts.append("| | *usage-driven, from `report/usage.json`* |" + " |" * (len(names) + two))
        parts.append(f"| {line.group} | {line.item} | {cells([r.monthly(line.key) for r in reports])} |")
    for label, attribute in (("At rest", "at_rest_total"), ("Usage-driven", "usage_total"), ("Total", "total")):
        values = [getattr(r, attribute) for r in reports]
        text = " | ".join(f"**{money(v)}**" for v in values)
        diff = f" | **{money(values[1] - values[0])}**" if two else ""
        parts.append(f"| | **{label}** | {text}{diff} |")
    parts += ["", "## The per-stack choices", "",
              "What each setting that differs between the stack files brings to each stack (its lines in "
              "`cost.md`, \"What the per-stack choices cost here\").", "",
              "| Choice | Setting | " + " | ".join(names) + " |" + diff_head,
              "|---|---|" + "---:|" * len(names) + ("---:|" if two else "")]
    for choice in CHOICES:
        parts.append(f"| {choice.label} | `{choice.setting}` | {cells([choice.monthly(r) for r in reports])} |")
    if two:
        nat = compare_nat(*reports)
        parts += ["", "## NAT: the cost of egress for the container tier", "",
                  "| Stack | NAT | Lines | Monthly |", "|---|---|---|---:|"]
        for report in reports:
            lines = [line for line in report.lines if line.group == NAT]
            detail = "; ".join(f"{line.item} {money(line.monthly)}" for line in lines) or "—"
            parts.append(f"| {report.stack} | {_nat_kind(report)} | {detail} | {money(report.group_total(NAT))} |")
        parts += ["", f"{nat.cheaper.stack}'s NAT costs {money(nat.saving)} a month less than "
                      f"{nat.dearer.stack}'s: **−{nat.saving_percent:.1f}%**."]
    return "\n".join(parts) + "\n"
