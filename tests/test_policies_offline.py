"""The pack as a whole: what every policy declares, one source of settings for both paths, the offline check
(`python -m policies.offline`) against the real stacks, and its report and exit codes."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from mock_engine import PROJECT_ROOT, Capture, Resource, run_stack
from policies import POLICIES, offline
from policies.core import DEFAULT_SETTINGS, load_config_file

# A guardrail names the checkov ID or AWS control it follows; an AWS value rule names AWS's own source: the botocore
# model, or the API reference / user guide page that states the rule.
ANCHOR = re.compile(r"CKV2?_AWS_\d+|Security Hub [A-Za-z0-9]+\.\d+|AWS Config [a-z0-9-]+|pulumi-aws |botocore |"
                    r"API reference|User Guide|Developer Guide")
# Hygiene rules advise, and so does the report of written waivers; everything that guards access, exposure or
# evidence blocks the deployment.
ADVISORY_POLICIES = {"sg-groups-and-rules-described", "log-group-retention", "waived-exceptions"}


def test_importing_the_pack_starts_no_server() -> None:
    run = subprocess.run([sys.executable, "-c", "from policies import POLICIES; print(len(POLICIES))"],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"{len(POLICIES)}\n", "importing printed more than the count (a pack port?)"


def test_policy_names_are_unique() -> None:
    names = [p.name for p in POLICIES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_policy_declares_level_anchor_and_fix(policy) -> None:
    assert policy.enforcement_level is not None, "set the enforcement level explicitly"
    expected = EnforcementLevel.ADVISORY if policy.name in ADVISORY_POLICIES else EnforcementLevel.MANDATORY
    assert policy.enforcement_level == expected
    assert ANCHOR.search(policy.description), "name the checkov ID / Security Hub control in the description"
    assert policy.remediation_steps, "say how to fix a violation"


def test_the_pack_and_the_offline_check_read_the_same_settings_file() -> None:
    assert load_config_file() == DEFAULT_SETTINGS
    by_name = {p.name: p for p in POLICIES}
    assert set(DEFAULT_SETTINGS) <= set(by_name), "settings for a policy that does not exist"
    for name, settings in DEFAULT_SETTINGS.items():
        schema = by_name[name].config_schema
        assert {key: spec["default"] for key, spec in schema.properties.items()} == settings


def test_every_resource_policy_has_something_to_judge_in_the_real_stacks(dev, prd) -> None:
    present = {r.type for r in dev.resources + prd.resources}
    idle = [p.name for p in POLICIES if isinstance(p, ResourceValidationPolicy) and not p.resource_types & present]
    assert idle == [], "a policy whose resource types the program never declares passes vacuously"


def test_real_stack_has_no_mandatory_violations(stack: Capture) -> None:
    result = offline.check_capture(stack)
    assert not result.mandatory, offline.render(result)


def _with_ci_access(stack: str) -> Capture:
    return run_stack(stack, {"webstack:ci": {"repository": "acme/webstack", "deployEnvironment": stack}})


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_ci_roles_trust_one_pinned_repository_and_hold_no_admin_policy(stack_name: str) -> None:
    capture = _with_ci_access(stack_name)
    trusting_github = [r for r in capture.of_type("aws:iam/role:Role")
                       if "token.actions.githubusercontent.com" in str(r.inputs.get("assumeRolePolicy"))]
    assert len(trusting_github) == 2, "a preview role and a deploy role"
    judged = [p for p in POLICIES if p.name in {"iam-github-oidc-trust-pinned", "iam-trust-names-specific-principals",
                                                "iam-no-admin-managed-policies", "iam-no-wildcard-actions"}]
    result = offline.check_capture(capture, policies=judged)
    assert result.violations == [], offline.render(result)


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_stack_with_ci_access_has_no_mandatory_violations(stack_name: str) -> None:
    result = offline.check_capture(_with_ci_access(stack_name))
    assert not result.mandatory, offline.render(result)


def test_the_offline_check_hands_stack_policies_the_resource_graph(dev: Capture) -> None:
    seen: dict[str, Any] = {}

    def spy(args: StackValidationArgs, report_violation) -> None:
        seen["resources"] = args.resources

    offline.check_capture(dev, policies=[StackValidationPolicy("spy", "records what it is given", spy,
                                                               EnforcementLevel.ADVISORY)])
    assert [r.urn for r in seen["resources"]] == [r.urn for r in dev.resources]
    by_name = {r.name: r for r in seen["resources"]}
    rule = by_name["webstack-dev-nat-in-443"]
    assert rule.parent.resource_type == "webstack:network:PrivateNetwork"
    assert [g.name for g in rule.property_dependencies["securityGroupId"]] == ["webstack-dev-nat-sg"]
    assert rule.props["fromPort"] == 443.0
    assert rule.provider.resource_type == "pulumi:providers:aws"


def test_the_offline_check_hands_resource_policies_engine_shaped_args(dev: Capture) -> None:
    seen: list[Any] = []
    policy = ResourceValidationPolicy("spy", "records what it is given", lambda args, report: seen.append(args),
                                      EnforcementLevel.ADVISORY)
    offline.check_capture(dev, policies=[policy])
    task = next(a for a in seen if a.resource_type == "aws:ecs/taskDefinition:TaskDefinition")
    assert isinstance(task.props["containerDefinitions"], str), "container definitions arrive as JSON text"
    assert task.opts.parent and task.provider.name == "webstack-dev-aws"


def _capture_with_violations() -> Capture:
    def res(type_: str, name: str, inputs: dict[str, Any]) -> Resource:
        return Resource(type=type_, name=name, urn=f"urn:pulumi:dev::webstack::{type_}::{name}", inputs=inputs)

    return Capture(stack="dev", config={}, outputs={}, resources=[
        res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "alb-in", {
            "securityGroupId": "alb-sg-id", "ipProtocol": "tcp", "fromPort": 80.0, "toPort": 80.0,
            "cidrIpv4": "0.0.0.0/0", "description": "HTTP from anywhere"}),
        res("aws:cloudwatch/logGroup:LogGroup", "api-logs", {"name": "/ecs/api"}),
    ])


def test_a_value_unknown_until_deployment_is_reported_as_advisory() -> None:
    unknown_string = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for an unknown string
    capture = Capture(stack="dev", config={}, outputs={}, resources=[Resource(
        type="aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name="alb-in", urn="urn:alb-in",
        inputs={"securityGroupId": "alb-sg-id", "ipProtocol": "tcp", "fromPort": 80.0, "toPort": 80.0,
                "cidrIpv4": unknown_string, "description": "HTTP"})])
    result = offline.check_capture(capture)
    assert result.violations and not result.mandatory
    assert all(v.message.startswith("can't run during preview") for v in result.violations)


def test_the_report_groups_violations_by_level_with_the_fix() -> None:
    report = offline.render(offline.check_capture(_capture_with_violations()))
    assert report.index("MANDATORY — 1 violation") < report.index("ADVISORY — 1 violation")
    assert "[sg-no-ingress-from-internet] aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule alb-in" in report
    assert "fix:  Admit the calling security group" in report
    assert report.splitlines()[-1] == "FAIL: 1 mandatory, 1 advisory violation(s) in dev"


def test_the_cli_exits_non_zero_on_a_mandatory_violation(monkeypatch, capsys) -> None:
    monkeypatch.setattr(offline, "check_stack", lambda stack, config=None: offline.check_capture(
        _capture_with_violations(), config=config))
    assert offline.main(["dev"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_the_cli_lists_the_checklist(capsys) -> None:
    assert offline.main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert all(f" {p.name}\n" in listed for p in POLICIES)


def test_the_cli_names_a_stack_it_cannot_find(capsys) -> None:
    assert offline.main(["staging"]) == 2
    assert "Pulumi.staging.yaml" in capsys.readouterr().err


def test_the_cli_checks_several_stacks_in_one_run() -> None:
    run = subprocess.run([sys.executable, "-m", "policies.offline", "dev", "prd"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=300)
    assert "stack dev" in run.stdout and "stack prd" in run.stdout, run.stderr
    failed = [stack for stack in ("dev", "prd") if offline.check_capture(run_stack(stack)).mandatory]
    assert run.returncode == (1 if failed else 0), run.stdout


def test_the_cli_fails_a_real_stack_that_breaks_a_mandatory_rule(tmp_path) -> None:
    # With an empty allow-list, the execution role's ecr:GetAuthorizationToken on "*" is a violation.
    config = tmp_path / "strict.json"
    config.write_text('{"iam-no-wildcard-resource": {"allowedWildcardResourceActions": []}}')
    run = subprocess.run([sys.executable, "-m", "policies.offline", "dev", "--config", str(config)],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[1].startswith("MANDATORY — ") and "[iam-no-wildcard-resource]" in run.stdout
    assert "ecr:GetAuthorizationToken" in run.stdout and "fix:  Scope the statement" in run.stdout
    assert lines[-1].startswith("FAIL: ") and lines[-1].endswith(" in dev")
