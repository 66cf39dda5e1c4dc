"""Written exceptions (policies/waivers.yaml) and the claims they leave standing, on the real stacks.

- The waiver file keeps its own rules: every waiver names a real waivable check and one of its scanner IDs, a
  stack and a resource, its kind, its reason and its end; a production stack waives only what AWS cannot do, what
  its data does not need and what a documented choice rules out; a cost-first or choice waiver names the setting,
  and the stack file holds that setting; every waiver matches a violation (no stale waivers).
- Both stacks pass the whole pack with their waivers, with and without a domain, and dev with and without
  `webstack:account`; the tests show each log destination, each grant, the HTTPS chain and what is waived.
- prd fails the pack the moment it turns off a log, a grant's pin, TLS to the origin (with a domain) or the
  account's detection (`webstack:account` removed or one of its switches off) that no waiver covers; dev's waiver
  of account detection lapses once dev claims any of it; and the engine (`pulumi preview --policy-pack policies`)
  honours the same file.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
import yaml
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import StackValidationArgs

from mock_engine import Capture, run_stack
from mock_engine.run import stack_file_config
from policies import offline
from policies.evidence import log_buckets
from policies.graph import Stack
from policies.waivers import (
    KINDS,
    STANCES,
    WAIVABLE,
    WAIVERS,
    WAIVERS_FILE,
    Waiver,
    WaiverFileError,
    parse,
    waived,
)
from stack_config import OPTIONAL_SECTIONS, SECTIONS
from tests.test_policy_pack_server import BUCKET, analyze_stack, analyzer  # noqa: F401  (the pack, as the CLI runs it)

DOMAIN = {"webstack:site": {"domain": "shop.example.com", "hostedZone": "example.com"}}
ACCOUNT = {"webstack:account": {"cloudtrail": True, "guardduty": True},
           "webstack:logs": {"protect": True, "forceDestroy": False}}
VARIANTS = {
    "dev": ("dev", None),
    "prd": ("prd", None),
    "dev with a domain": ("dev", DOMAIN),
    "prd with a domain": ("prd", DOMAIN),
    "prd without webstack:account": ("prd", {"webstack:account": None}),
    "prd with a domain, without webstack:account": ("prd", {**DOMAIN, "webstack:account": None}),
    "dev with webstack:account": ("dev", ACCOUNT),
}
# Account-level detection is prd's (README): without webstack:account prd fails, on that rule alone.
WITHOUT_ACCOUNT = ("prd without webstack:account", "prd with a domain, without webstack:account")
PASSING = [variant for variant in VARIANTS if variant not in WITHOUT_ACCOUNT]


def capture_of(variant: str) -> Capture:
    stack, overrides = VARIANTS[variant]
    return run_stack(stack, overrides)


def stack_args(capture: Capture) -> StackValidationArgs:
    resources = offline._stack_resources(capture.resources, {r.urn: r for r in capture.resources})
    return StackValidationArgs(resources, {})


def mandatory(capture: Capture) -> set[tuple[str, str]]:
    return {(v.policy, v.resource_name) for v in offline.check_capture(capture).mandatory}


def with_inputs(capture: Capture, name: str, **inputs: Any) -> Capture:
    """The capture, with one resource's inputs changed (what no stack setting can turn off)."""
    changed = [replace(r, inputs=_merged(r.inputs, inputs)) if r.name == name else r for r in capture.resources]
    assert changed != capture.resources, f"no resource {name}"
    return Capture(stack=capture.stack, config=capture.config, resources=changed, outputs=capture.outputs)


def _merged(inputs: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(inputs)
    for key, value in changes.items():
        merged[key] = _merged(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else value
    return merged


def effective_setting(stack: str, key: str) -> Any:
    """`webstack:site.domain` as the program sees it: the stack file's value, or its model's default."""
    section, _, path = key.partition(".")
    name = section.removeprefix("webstack:")
    raw = stack_file_config(stack).get(section)
    if raw is None and name in OPTIONAL_SECTIONS:
        return None
    value: Any = SECTIONS[name].model_validate(raw or {}).model_dump(by_alias=True)
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# --- the file's own rules ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("waiver", WAIVERS.entries, ids=lambda w: w.label)
def test_a_waiver_names_a_waivable_check_and_one_of_its_scanner_ids(waiver: Waiver) -> None:
    assert waiver.check in WAIVABLE, f"{waiver.check} is no waivable policy"
    assert waiver.scanner in WAIVABLE[waiver.check].scanners, \
        f"{waiver.check} follows {', '.join(WAIVABLE[waiver.check].scanners)}, not {waiver.scanner}"


@pytest.mark.parametrize("waiver", WAIVERS.entries, ids=lambda w: w.label)
def test_a_waiver_keeps_to_its_stacks_stance(waiver: Waiver) -> None:
    assert waiver.kind in STANCES[WAIVERS.stances[waiver.stack]]
    if WAIVERS.stances[waiver.stack] == "production":
        assert waiver.kind in ("aws-cannot", "data-does-not-need", "stack-choice")
    assert len(waiver.reason) > 40 and len(waiver.ends) > 10, "say why, and what would end it"


@pytest.mark.parametrize("waiver", [w for w in WAIVERS.entries if w.setting], ids=lambda w: w.label)
def test_a_named_choice_is_what_the_stack_file_says(waiver: Waiver) -> None:
    for key, value in waiver.setting.items():
        assert effective_setting(waiver.stack, key) == value, \
            f"{waiver.stack} no longer has {key} = {value!r}: end the waiver ({waiver.ends})"


def test_every_waiver_matches_a_violation_of_its_stack() -> None:
    used: set[int] = set()
    for stack in WAIVERS.stances:
        used |= {id(waiver) for waiver, _, _ in waived(stack_args(run_stack(stack)))}
    stale = [w.label for w in WAIVERS.entries if id(w) not in used]
    assert stale == [], "waivers no violation needs any more: remove them"


def test_the_stances_are_the_stacks_there_are() -> None:
    assert set(WAIVERS.stances) == {p.name.split(".")[1] for p in WAIVERS_FILE.parents[1].glob("Pulumi.*.yaml")}
    assert WAIVERS.stances == {"prd": "production", "dev": "cost-first"}


def _entry(**changes: Any) -> dict[str, Any]:
    entry = {"check": "s3-bucket-versioning", "scanner": "CKV_AWS_21", "stack": "prd", "resource": "webstack-prd-site",
             "kind": "data-does-not-need", "reason": "copies of app/frontend", "ends": "it holds anything else"}
    return {k: v for k, v in {**entry, **changes}.items() if v is not None}


def _file(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"stacks": {"prd": "production", "dev": "cost-first"}, "waivers": list(entries)}


def test_the_shipped_file_parses_as_the_pack_reads_it() -> None:
    assert parse(yaml.safe_load(WAIVERS_FILE.read_text())) == WAIVERS
    assert parse(_file(_entry())).entries[0].kind == "data-does-not-need"


@pytest.mark.parametrize("entry, refusal", [
    (_entry(reason=None), "says nothing under 'reason'"),
    (_entry(ends=None), "says nothing under 'ends'"),
    (_entry(reason="  "), "says nothing under 'reason'"),
    (_entry(scanner=None), "says nothing under 'scanner'"),
    (_entry(kind="cost-first", setting={"webstack:data.versioning": False}),
     "a production stack may not waive cost-first"),
    (_entry(kind="convenience"), "kind 'convenience' is none of"),
    (_entry(stack="dev", kind="cost-first"), "names the stack setting that makes the choice"),
    (_entry(kind="stack-choice"), "names the stack setting that makes the choice"),
    (_entry(stack="staging"), "stack 'staging' is not listed"),
    (_entry(**{"while": "forever"}), "`while` is none of"),
    (_entry(owner="me"), "unknown key 'owner'"),
])
def test_a_waiver_that_breaks_the_rules_is_refused(entry: dict[str, Any], refusal: str) -> None:
    with pytest.raises(WaiverFileError, match="refused") as error:
        parse(_file(entry))
    assert refusal in str(error.value)


def test_a_cost_first_waiver_that_names_its_choice_is_accepted_in_dev() -> None:
    [waiver] = parse(_file(_entry(stack="dev", kind="cost-first", resource="webstack-dev-images",
                                  setting={"webstack:data.versioning": False}))).entries
    assert waiver.setting == {"webstack:data.versioning": False} and set(KINDS) >= {waiver.kind}


# --- both stacks, with and without a domain and webstack:account --------------------------------------------------

@pytest.mark.parametrize("variant", PASSING)
def test_the_stack_passes_the_pack_with_its_waivers(variant: str) -> None:
    result = offline.check_capture(capture_of(variant))
    assert not result.mandatory, offline.render(result)


@pytest.mark.parametrize("variant", WITHOUT_ACCOUNT)
def test_prd_without_webstack_account_fails_on_its_account_detection_alone(variant: str) -> None:
    # No waiver covers prd: the missing trail and detector are reported on the account's provider.
    assert mandatory(capture_of(variant)) == {("account-detection-declared", "webstack-prd-aws")}


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_waived_violation_shows_as_advisory_with_its_reason(variant: str) -> None:
    result = offline.check_capture(capture_of(variant))
    shown = [v for v in result.violations if v.policy == "waived-exceptions"]
    assert shown and all(v.message.startswith("waived: ") and "; ends when " in v.message for v in shown)
    assert {v.resource_name for v in shown} >= {f"webstack-{capture_of(variant).stack}-site"}


WAIVED = {
    "dev": {("cloudfront-origin-https", "webstack-dev-api-origin"), ("alb-listeners-https", "webstack-dev-http"),
            ("cloudfront-web-acl", "webstack-dev-cdn"), ("vpc-no-public-subnet", "webstack-dev-public-nat"),
            ("vpc-flow-logs", "webstack-dev-vpc"), ("s3-bucket-versioning", "webstack-dev-images"),
            ("s3-bucket-access-logging", "webstack-dev-logs"), ("s3-bucket-access-logging", "webstack-dev-site"),
            ("s3-log-buckets-keep-a-year-then-expire", "webstack-dev-logs"),
            ("ecs-container-insights", "webstack-dev-cluster"), ("cognito-mfa-required", "webstack-dev-admins"),
            ("account-detection-declared", "webstack-dev-aws")},
    "prd": {("cloudfront-origin-https", "webstack-prd-api-origin"), ("alb-listeners-https", "webstack-prd-http"),
            ("s3-bucket-access-logging", "webstack-prd-site"), ("s3-bucket-access-logging", "webstack-prd-logs"),
            ("s3-bucket-versioning", "webstack-prd-site"), ("s3-bucket-lifecycle", "webstack-prd-site"),
            ("stateful-resources-protected", "webstack-prd-site")},
}


@pytest.mark.parametrize("stack", ["dev", "prd"])
def test_what_each_stack_waives(stack: str) -> None:
    found = {(w.check, urn.rsplit("::", 1)[-1]) for w, _, urn in waived(stack_args(run_stack(stack)))}
    assert WAIVED[stack] <= found
    if stack == "prd":
        assert found == WAIVED["prd"], "prd waives only the site bucket's, the archive's and the no-domain hop's"


@pytest.mark.parametrize("variant", ["dev with a domain", "prd with a domain",
                                     "prd with a domain, without webstack:account"])
def test_with_a_domain_the_https_chain_holds_and_its_waivers_lapse(variant: str) -> None:
    capture = capture_of(variant)
    prefix = f"webstack-{capture.stack}"
    distribution = capture.one("aws:cloudfront/distribution:Distribution")
    origin = capture.one("aws:cloudfront/vpcOrigin:VpcOrigin").get("vpcOriginEndpointConfig")
    [listener] = capture.of_type("aws:lb/listener:Listener")
    # viewer → CloudFront → load balancer, HTTPS at every hop
    assert {b["viewerProtocolPolicy"] for b in [distribution.get("defaultCacheBehavior"),
                                                *distribution.get("orderedCacheBehaviors")]} == {"redirect-to-https"}
    assert distribution.get("viewerCertificate.minimumProtocolVersion") == "TLSv1.2_2021"
    assert origin["originProtocolPolicy"] == "https-only" and origin["originSslProtocols"]["items"] == ["TLSv1.2"]
    assert (listener.name, listener.get("protocol"), listener.get("port")) == (f"{prefix}-https", "HTTPS", 443.0)
    assert listener.get("sslPolicy") == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    shown = {(w.check, urn.rsplit("::", 1)[-1]) for w, _, urn in waived(stack_args(capture))}
    assert not {c for c, _ in shown} & {"cloudfront-origin-https", "alb-listeners-https"}


@pytest.mark.parametrize("stack", ["dev", "prd"])
def test_without_a_domain_the_http_hop_is_only_waived(stack: str) -> None:
    capture = run_stack(stack)
    origin = capture.one("aws:cloudfront/vpcOrigin:VpcOrigin").get("vpcOriginEndpointConfig")
    assert origin["originProtocolPolicy"] == "http-only"
    found = {(w.check, w.kind, w.while_) for w, _, _ in waived(stack_args(capture))}
    assert {("cloudfront-origin-https", "stack-choice", "no-domain"),
            ("alb-listeners-https", "stack-choice", "no-domain")} <= found


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_log_destination_and_its_grants(variant: str) -> None:
    capture = capture_of(variant)
    prefix = f"webstack-{capture.stack}"
    graph = Stack(stack_args(capture).resources)
    destinations = {b.name for b in log_buckets(graph)}
    has_waf = bool(capture.of_type("aws:wafv2/webAcl:WebAcl"))
    assert destinations == {f"{prefix}-logs", *([f"aws-waf-logs-{prefix}-logs"] if has_waf else [])}
    grants = {}
    for policy in capture.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        statements = json.loads(policy.get("policy"))["Statement"]
        grants[policy.name] = {s["Sid"] for s in statements if s["Effect"] == "Allow"}
    trail = bool(capture.of_type("aws:cloudtrail/trail:Trail"))
    # Server access logs reach the archive from the images bucket and, where it logs, the WAF log bucket.
    logged = {urn for r in capture.of_type("aws:s3/bucketLogging:BucketLogging")
              for urn in r.property_dependencies.get("bucket", [])}
    waf_logged = any(capture.by_urn(urn).name.startswith("aws-waf-logs-") for urn in logged)
    assert grants[f"{prefix}-logs-policy"] == {
        "LoadBalancerAccessLogsWrite", "CloudFrontStandardLogsWrite", "ImagesBucketAccessLogsWrite",
        *(["AccountTrailAclCheck", "AccountTrailWrite"] if trail else []),
        *(["WafLogBucketAccessLogsWrite"] if waf_logged else [])}
    if has_waf:
        assert grants[f"aws-waf-logs-{prefix}-logs-policy"] == {"WebAclLogsWrite", "WebAclLogsAclCheck"}
    # Every one of those grants is write-only under its prefix and pinned: the two rules pass on the real stack.
    judged = [p for p in offline.POLICIES if p.name in ("s3-log-bucket-grants-write-only", "s3-service-grants-pinned")]
    assert offline.check_capture(capture, policies=judged).violations == []


# --- prd fails the moment it turns a claim off ---------------------------------------------------------------------

# Without Container Insights the worker scales to one task at most (stack_config/worker.py).
WORKER_OF_ONE = {"cpu": 512, "memory": 1024, "capacityProvider": "FARGATE", "minCount": 1, "maxCount": 1}


@pytest.mark.parametrize("overrides, policy, resource", [
    ({"webstack:logs": {"cloudfront": False}}, "cloudfront-access-logging", "webstack-prd-cdn"),
    ({"webstack:logs": {"waf": False}}, "waf-logging-redacts-credentials", "webstack-prd-waf"),
    ({"webstack:logs": {"loadBalancer": False}}, "alb-access-logs", "webstack-prd-alb"),
    ({"webstack:logs": {"imagesBucket": False}}, "s3-bucket-access-logging", "webstack-prd-images"),
    ({"webstack:logs": {"retentionDays": 180}}, "s3-log-buckets-keep-a-year-then-expire", "webstack-prd-logs"),
    ({"webstack:data": {"versioning": False}}, "s3-bucket-versioning", "webstack-prd-images"),
    ({"webstack:data": {"deletionProtection": False}}, "dynamodb-deletion-protection", "webstack-prd-items"),
    ({"webstack:data": {"protect": False, "forceDestroy": True}}, "stateful-resources-protected",
     "webstack-prd-images"),
    ({"webstack:platform": {"deletionProtection": False}}, "alb-deletion-protection", "webstack-prd-alb"),
    ({"webstack:platform": {"logRetentionDays": 30}}, "log-group-retention-floor", "webstack-prd-api-logs"),
    ({"webstack:platform": {"containerInsights": "off"}, "webstack:worker": {"service": WORKER_OF_ONE}},
     "ecs-container-insights", "webstack-prd-cluster"),
    ({"webstack:network": {"flowLogs": False}}, "vpc-flow-logs", "webstack-prd-vpc"),
    ({"webstack:admin": {"mfa": "optional"}}, "cognito-mfa-required", "webstack-prd-admins"),
    ({"webstack:admin": {"deletionProtection": False}}, "cognito-deletion-protection", "webstack-prd-admins"),
    # Account-level detection is prd's: the section and each of its switches (stack_config/account.py).
    ({"webstack:account": None}, "account-detection-declared", "webstack-prd-aws"),
    ({"webstack:account": {"guardduty": False}}, "account-detection-declared", "webstack-prd-aws"),
    ({"webstack:account": {"insights": False}}, "account-detection-declared", "webstack-prd-account-trail"),
    # Insights analyse the trail's events: cloudtrail: false is accepted only with insights: false.
    ({"webstack:account": {"cloudtrail": False, "insights": False}}, "account-detection-declared",
     "webstack-prd-aws"),
], ids=lambda value: json.dumps(value) if isinstance(value, dict) else None)
def test_prd_fails_when_a_setting_turns_a_claim_off(overrides: dict, policy: str, resource: str) -> None:
    assert (policy, resource) in mandatory(run_stack("prd", overrides))


@pytest.mark.parametrize("name, inputs, policy", [
    ("webstack-prd-account-trail", {"enableLogFileValidation": False}, "cloudtrail-log-file-validation"),
    ("webstack-prd-account-trail", {"isMultiRegionTrail": False}, "cloudtrail-multi-region"),
    ("webstack-prd-account-guardduty", {"enable": False}, "guardduty-enabled"),
    ("webstack-prd-account-trail", {"isMultiRegionTrail": False}, "account-detection-declared"),
    ("webstack-prd-account-trail", {"enableLogging": False}, "account-detection-declared"),
    ("webstack-prd-account-trail", {"insightSelectors": None}, "account-detection-declared"),
    ("webstack-prd-account-guardduty", {"enable": False}, "account-detection-declared"),
    ("webstack-prd-log-deliveries-waf", {"redactedFields": [{"singleHeader": {"name": "authorization"}}]},
     "waf-logging-redacts-credentials"),
])
def test_prd_fails_when_its_account_detection_is_weakened(name: str, inputs: dict, policy: str) -> None:
    found = {p for p, _ in mandatory(with_inputs(run_stack("prd"), name, **inputs))}
    assert policy in found


@pytest.mark.parametrize("switch, resource", [
    ({"guardduty": False}, "webstack-dev-aws"),
    ({"insights": False}, "webstack-dev-account-trail"),
], ids=lambda value: json.dumps(value) if isinstance(value, dict) else None)
def test_dev_waiver_of_account_detection_lapses_once_dev_claims_any_of_it(switch: dict, resource: str) -> None:
    # dev waives the rule while it declares no trail, detector or ownership record (`while: no-account-detection`):
    # a dev that turns webstack:account on owns detection, and is held to all of it.
    capture = run_stack("dev", {**ACCOUNT, "webstack:account": {"cloudtrail": True, "guardduty": True, **switch}})
    assert ("account-detection-declared", resource) in mandatory(capture)
    assert not [w for w, _, _ in waived(stack_args(capture)) if w.check == "account-detection-declared"]


def test_prd_fails_when_the_accounts_trail_could_go_with_a_destroy() -> None:
    capture = run_stack("prd")
    unprotected = [replace(r, protect=False) if r.type == "aws:cloudtrail/trail:Trail" else r
                   for r in capture.resources]
    found = mandatory(Capture(stack="prd", config={}, resources=unprotected, outputs={}))
    assert ("account-detection-protected", "webstack-prd-account-trail") in found


def test_prd_fails_when_a_log_grant_loses_its_pin() -> None:
    capture = run_stack("prd")
    archive_policy = capture.named("webstack-prd-logs-policy")
    document = json.loads(archive_policy.get("policy"))
    for statement in document["Statement"]:
        if statement.get("Sid") == "CloudFrontStandardLogsWrite":
            del statement["Condition"]["ArnLike"]
    found = mandatory(with_inputs(capture, archive_policy.name, policy=json.dumps(document)))
    assert ("s3-service-grants-pinned", "webstack-prd-logs") in found


@pytest.mark.parametrize("name, inputs, policy", [
    ("webstack-prd-api-origin", {"vpcOriginEndpointConfig": {"originProtocolPolicy": "http-only"}},
     "cloudfront-origin-https"),
    ("webstack-prd-https", {"protocol": "HTTP", "port": 80.0, "sslPolicy": None}, "alb-listeners-https"),
    ("webstack-prd-https", {"sslPolicy": "ELBSecurityPolicy-2016-08"}, "alb-listeners-https"),
])
def test_prd_with_a_domain_fails_when_the_origin_hop_drops_tls(name: str, inputs: dict, policy: str) -> None:
    # The no-domain waivers do not reach a stack with a domain: the HTTP hop is mandatory again.
    assert (policy, name) in mandatory(with_inputs(run_stack("prd", DOMAIN), name, **inputs))


# --- the engine reads the same file --------------------------------------------------------------------------------

def test_the_engine_reports_a_waived_violation_as_advisory(analyzer) -> None:  # noqa: F811
    site = analyze_stack(analyzer, [(BUCKET, "webstack-prd-site", {"bucket": "webstack-prd-site"}, {})],
                         stack="prd")
    mandatory_names = {d.policyName for d in site if d.enforcementLevel == analyzer_pb2.MANDATORY}
    assert mandatory_names == {"s3-buckets-block-public-access", "s3-buckets-encrypted", "s3-buckets-require-tls",
                               "s3-bucket-acls-disabled"}, "no waiver covers what the site bucket must have"
    # The engine sends each message after the policy's description, on a line of its own.
    shown = [d.message.split("\n", 1)[1] for d in site if d.policyName == "waived-exceptions"]
    assert {d.enforcementLevel for d in site if d.policyName == "waived-exceptions"} == {analyzer_pb2.ADVISORY}
    assert all(message.startswith("waived: ") for message in shown)
    assert sorted(message.split("[", 1)[1].split(",", 1)[0] for message in shown) == [
        "s3-bucket-access-logging", "s3-bucket-lifecycle", "s3-bucket-versioning", "stateful-resources-protected"]


def test_the_engine_keeps_the_same_bucket_mandatory_in_another_stack(analyzer) -> None:  # noqa: F811
    diagnostics = analyze_stack(analyzer, [(BUCKET, "webstack-prd-site", {"bucket": "webstack-prd-site"}, {})],
                                stack="staging")
    assert "waived-exceptions" not in {d.policyName for d in diagnostics}
    assert "s3-bucket-access-logging" in {d.policyName for d in diagnostics
                                          if d.enforcementLevel == analyzer_pb2.MANDATORY}
