"""Written exceptions: the mandatory violations a stack may keep, each with its reason and its end.

`waivers.yaml` (beside this file, so `pulumi preview --policy-pack policies` ships it) lists the stacks and their
stance, and the waivers. A waiver names the check (the policy and the scanner ID it follows), the stack, the
resource (its logical name, a glob), its kind, why it is waived and what would end it:

- `aws-cannot`: what AWS cannot do;
- `data-does-not-need`: what the stack's data does not need (the site bucket holds copies of `app/frontend`);
- `stack-choice`: what a documented per-stack choice rules out (no domain), naming the `setting` that makes it;
- `cost-first`: a cost-first choice, named by its `setting`: only in a stack whose stance is `cost-first`.

A production stack may waive only the first three kinds. `while` ties a waiver to a condition the pack checks on
the stack's own resources (`no-domain`, `no-account-detection`), so a waiver ends by itself once the stack no longer
meets it.

A waivable policy (`waivable_policy`) runs its check, reports what no waiver covers as its own (mandatory)
violations, and leaves the rest to `waived-exceptions`, an advisory policy that reports each waived violation as
"waived: <reason>", so an exception stays in sight in every preview. The stack and the resource come from the
URN the check reports, `urn:pulumi:<stack>::<project>::<type>::<name>`: rules stay generic, and what each stack
may keep is written here, not in their logic. A file that breaks these rules is refused when the pack loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy

from .core import ADVISORY, MANDATORY, StackCheck, as_list, known, stack_policy
from .graph import Stack, resource_name, stack_name, stack_of

WAIVERS_FILE = Path(__file__).with_name("waivers.yaml")

KINDS = {
    "aws-cannot": "what AWS cannot do",
    "data-does-not-need": "what the stack's data does not need",
    "stack-choice": "what a documented per-stack choice rules out",
    "cost-first": "a cost-first choice, by name",
}
STANCES = {
    "production": ("aws-cannot", "data-does-not-need", "stack-choice"),
    "cost-first": ("aws-cannot", "data-does-not-need", "stack-choice", "cost-first"),
}
# Kinds that exist because of a stack setting, which the waiver names.
NAMED_CHOICES = ("stack-choice", "cost-first")
REQUIRED = ("check", "scanner", "stack", "resource", "kind", "reason", "ends")
OPTIONAL = ("setting", "while")

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
TRAIL = "aws:cloudtrail/trail:Trail"
DETECTOR = "aws:guardduty/detector:Detector"
PARAMETER = "aws:ssm/parameter:Parameter"
# Where the stack that owns account detection records itself (components/account.py, OWNER_PARAMETER).
ACCOUNT_RECORDS = "/webstack/account/"


def _has_no_domain(stack: Stack) -> bool:
    return not any(as_list(known(d.props, "aliases")) for d in stack.of(DISTRIBUTION))


def account_records(stack: Stack) -> list[PolicyResource]:
    """The parameters by which a stack records that it owns its account's detection."""
    return [p for p in stack.of(PARAMETER) if str(known(p.props, "name") or "").startswith(ACCOUNT_RECORDS)]


def _claims_no_account_detection(stack: Stack) -> bool:
    return not stack.of(TRAIL, DETECTOR) and not account_records(stack)


# Conditions a waiver may hold `while`, judged on the stack's resources: (what it means, the test).
CONDITIONS: dict[str, tuple[str, Callable[[Stack], bool]]] = {
    "no-domain": ("the stack has no custom domain (no CloudFront alias)", _has_no_domain),
    "no-account-detection": ("the stack claims no account-level detection (no trail, no GuardDuty detector, no "
                             f"ownership record under {ACCOUNT_RECORDS})", _claims_no_account_detection),
}


class WaiverFileError(ValueError):
    """waivers.yaml breaks the rules for written exceptions."""


@dataclass(frozen=True)
class Waiver:
    check: str
    scanner: str
    stack: str
    resource: str
    kind: str
    reason: str
    ends: str
    setting: Mapping[str, Any] = field(default_factory=dict)
    while_: str | None = None

    def covers(self, check: str, urn: str, stack: Stack) -> bool:
        return (check == self.check and stack_name(urn) == self.stack
                and fnmatchcase(resource_name(urn), self.resource)
                and (self.while_ is None or CONDITIONS[self.while_][1](stack)))

    @property
    def label(self) -> str:
        return f"{self.check} ({self.scanner}) on {self.stack} {self.resource}"


@dataclass(frozen=True)
class Waivers:
    stances: Mapping[str, str]
    entries: tuple[Waiver, ...]

    def covering(self, check: str, urn: str | None, stack: Stack) -> Waiver | None:
        if not urn:
            return None
        return next((w for w in self.entries if w.covers(check, urn, stack)), None)


def _problems_of(index: int, entry: Any, stances: Mapping[str, str]) -> list[str]:
    where = f"waiver {index + 1}"
    if not isinstance(entry, Mapping):
        return [f"{where} is not a mapping"]
    where = f"waiver {index + 1} ({entry.get('check', '?')} on {entry.get('stack', '?')} {entry.get('resource', '?')})"
    problems = [f"{where}: unknown key {key!r}" for key in entry if key not in REQUIRED + OPTIONAL]
    problems += [f"{where}: says nothing under {key!r}" for key in REQUIRED
                 if not isinstance(entry.get(key), str) or not entry[key].strip()]
    stack, kind = str(entry.get("stack")), str(entry.get("kind"))
    stance = stances.get(stack)
    if stance is None:
        problems.append(f"{where}: stack {stack!r} is not listed under `stacks`")
    if kind not in KINDS:
        problems.append(f"{where}: kind {kind!r} is none of {', '.join(KINDS)}")
    elif stance in STANCES and kind not in STANCES[stance]:
        problems.append(f"{where}: a {stance} stack may not waive {kind} ({KINDS[kind]}); it may waive "
                        f"only {', '.join(STANCES[stance])}")
    setting = entry.get("setting")
    if kind in NAMED_CHOICES and (not isinstance(setting, Mapping) or not setting):
        problems.append(f"{where}: a {kind} waiver names the stack setting that makes the choice (`setting`)")
    if setting is not None and not isinstance(setting, Mapping):
        problems.append(f"{where}: `setting` maps a stack setting (webstack:<section>.<key>) to its value")
    if entry.get("while") is not None and entry.get("while") not in CONDITIONS:
        problems.append(f"{where}: `while` is none of {', '.join(CONDITIONS)}")
    return problems


def parse(document: Any) -> Waivers:
    """Waivers from the file's content; every broken rule at once in one WaiverFileError."""
    if not isinstance(document, Mapping):
        raise WaiverFileError("waivers.yaml holds `stacks` (stack: stance) and `waivers` (a list)")
    stances = document.get("stacks") or {}
    if not isinstance(stances, Mapping):
        raise WaiverFileError("waivers.yaml: `stacks` maps each stack to its stance")
    problems = [f"stack {name!r}: stance {stance!r} is none of {', '.join(STANCES)}"
                for name, stance in stances.items() if stance not in STANCES]
    entries = document.get("waivers") or []
    if not isinstance(entries, list):
        raise WaiverFileError("waivers.yaml: `waivers` is a list")
    for index, entry in enumerate(entries):
        problems += _problems_of(index, entry, stances)
    if problems:
        raise WaiverFileError("waivers.yaml is refused:\n  " + "\n  ".join(problems))
    return Waivers(stances=dict(stances), entries=tuple(
        Waiver(**{k: v.strip() for k, v in e.items() if k in REQUIRED}, setting=dict(e.get("setting") or {}),
               while_=e.get("while")) for e in entries))


def load(path: Path = WAIVERS_FILE) -> Waivers:
    # libyaml's safe loader where PyYAML was built with it: the pure-Python one costs the pack's start 60 ms.
    return parse(yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


WAIVERS = load()


# --- waivable policies -------------------------------------------------------------------------------------------

Finding = tuple[str, str | None]


@dataclass(frozen=True)
class Waivable:
    name: str
    check: StackCheck
    scanners: tuple[str, ...]


WAIVABLE: dict[str, Waivable] = {}
_findings: tuple[Any, dict[str, list[Finding]]] = (None, {})


def findings(name: str, args: StackValidationArgs) -> list[Finding]:
    """What the waivable policy `name` finds in the stack, waived or not (computed once per stack offline)."""
    global _findings
    if _findings[0] is not args.resources:
        _findings = (args.resources, {})
    cached = _findings[1]
    if name not in cached:
        found: list[Finding] = []
        WAIVABLE[name].check(args, lambda message, urn=None: found.append((message, urn)))
        cached[name] = found
    return cached[name]


def waivable_policy(name: str, check: StackCheck, *, scanners: Iterable[str], description: str,
                    fix: str) -> StackValidationPolicy:
    """A mandatory stack policy whose violations a written waiver may set aside (see the module docstring).
    `scanners`: the IDs a waiver of it may cite (checkov, Security Hub, AWS Config; README for a design rule)."""
    WAIVABLE[name] = Waivable(name, check, tuple(scanners))

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        stack = stack_of(args)
        for message, urn in findings(name, args):
            if WAIVERS.covering(name, urn, stack) is None:
                report_violation(message, urn)

    validate.__name__ = check.__name__
    return stack_policy(name, validate, level=MANDATORY, description=description, fix=fix)


def waived(args: StackValidationArgs, waivers: Waivers | None = None) -> list[tuple[Waiver, str, str]]:
    """(waiver, message, urn) for every violation of a waivable policy that a waiver covers."""
    stack, book = stack_of(args), waivers or WAIVERS
    found = []
    for name in WAIVABLE:
        for message, urn in findings(name, args):
            waiver = book.covering(name, urn, stack)
            if waiver is not None and urn:
                found.append((waiver, message, urn))
    return found


def report_waived(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for waiver, message, urn in waived(args):
        report_violation(f"waived: {waiver.reason} [{waiver.check}, {waiver.scanner}; {waiver.kind}; ends when "
                         f"{waiver.ends}] {message}", urn)


WAIVED_POLICY = stack_policy(
    "waived-exceptions", report_waived, level=ADVISORY,
    description="Violations of a mandatory rule that policies/waivers.yaml waives for this stack and resource, "
                "each shown with its reason, kind and end (e.g. checkov CKV_AWS_18 on a bucket whose objects every "
                "deploy rebuilds). A production stack waives only what AWS cannot do, what its data does not need "
                "and what a documented per-stack choice rules out.",
    fix="Nothing to do while the reason holds; when the waiver's end comes, fix the resource and remove the "
        "waiver from policies/waivers.yaml.")
