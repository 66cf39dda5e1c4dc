"""The policy pack as `pulumi preview --policy-pack policies` runs it: a separate process serving pulumi's Analyzer
gRPC service, spoken to with the SDK's own stub.

The CLI starts a Python pack as `python -u -m pulumi.policy <engine address> <pack dir>` from the pack's
directory and reads the port from the first line of stdout; the pack never calls the engine back, so any
address will do. The process listens on 127.0.0.1 only and is terminated after the module's tests.
"""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policies import PACK_NAME, POLICIES

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
STARTUP_SECONDS = 60
RPC_SECONDS = 30
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value unknown in preview
LEVELS = {"mandatory": analyzer_pb2.MANDATORY, "advisory": analyzer_pb2.ADVISORY}


def _read_port(process: subprocess.Popen) -> int:
    deadline = time.monotonic() + STARTUP_SECONDS
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the pack exited ({process.returncode}): {process.stderr.read().decode()}")
            if selector.select(timeout=0.5):
                line = process.stdout.readline().decode().strip()
                if line:
                    return int(line)
    raise AssertionError(f"the pack printed no port within {STARTUP_SECONDS}s")


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."], cwd=PACK_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    channel = None
    try:
        port = _read_port(process)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=RPC_SECONDS)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        if channel is not None:
            channel.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    value = struct_pb2.Struct()
    value.update(props)
    return value


def _urn(type_: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::webstack::{type_}::{name}"


def analyze(stub, type_: str, name: str, props: dict[str, Any]) -> list:
    request = analyzer_pb2.AnalyzeRequest(type=type_, properties=_struct(props), urn=_urn(type_, name), name=name)
    return list(stub.Analyze(request, timeout=RPC_SECONDS).diagnostics)


def analyze_stack(stub, resources: list[tuple[str, str, dict[str, Any], dict[str, list[str]]]],
                  protected: tuple[str, ...] = (), stack: str = "dev") -> list:
    """`protected`: names of the resources declared with Pulumi's `protect` option."""
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            type=type_, name=name, urn=_urn(type_, name, stack), properties=_struct(props),
            options=analyzer_pb2.AnalyzerResourceOptions(protect=name in protected),
            propertyDependencies={key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                                  for key, urns in deps.items()})
        for type_, name, props, deps in resources])
    return list(stub.AnalyzeStack(request, timeout=RPC_SECONDS).diagnostics)


INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ALB_INGRESS = {"securityGroupId": "alb-sg-id", "ipProtocol": "tcp", "fromPort": 80.0, "toPort": 80.0,
               "description": "HTTP from CloudFront origin-facing servers"}
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_URN = _urn(BUCKET, "images")
# What a bare bucket lacks: the storage guardrails' protections and the evidence rules' records and safeguards.
BARE_BUCKET_RULES = sorted([
    "s3-buckets-block-public-access", "s3-buckets-encrypted", "s3-buckets-require-tls", "s3-bucket-access-logging",
    "s3-bucket-versioning", "s3-bucket-lifecycle", "s3-bucket-acls-disabled", "stateful-resources-protected"])


def _bucket_companions() -> list[tuple[str, str, dict[str, Any], dict[str, list[str]]]]:
    on_bucket = {"bucket": [BUCKET_URN]}
    tls_only = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::images/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    return [
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "images-pab",
         {"bucket": "images", "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
          "restrictPublicBuckets": True}, on_bucket),
        ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "images-sse",
         {"bucket": "images", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
         on_bucket),
        ("aws:s3/bucketPolicy:BucketPolicy", "images-tls", {"bucket": "images", "policy": json.dumps(tls_only)},
         on_bucket),
        ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "images-ownership",
         {"bucket": "images", "rule": {"objectOwnership": "BucketOwnerEnforced"}}, on_bucket),
        ("aws:s3/bucketLogging:BucketLogging", "images-logging",
         {"bucket": "images", "targetBucket": "archive", "targetPrefix": "s3/images/"}, on_bucket),
        ("aws:s3/bucketVersioning:BucketVersioning", "images-versioning",
         {"bucket": "images", "versioningConfiguration": {"status": "Enabled"}}, on_bucket),
        ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "images-lifecycle",
         {"bucket": "images", "rules": [{"id": "abort-incomplete-uploads", "status": "Enabled", "filter": {},
                                         "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}]},
         on_bucket),
    ]


def test_the_pack_lists_every_policy_with_its_enforcement_level(analyzer) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=RPC_SECONDS)
    assert info.name == PACK_NAME
    served = {p.name: p.enforcementLevel for p in info.policies}
    assert served == {p.name: LEVELS[p.enforcement_level.value] for p in POLICIES}


def test_analyze_reports_internet_ingress_as_mandatory(analyzer) -> None:
    diagnostics = analyze(analyzer, INGRESS, "alb-in", {**ALB_INGRESS, "cidrIpv4": "0.0.0.0/0"})
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("sg-no-ingress-from-internet", analyzer_pb2.MANDATORY)]
    assert "admits 0.0.0.0/0 on tcp 80" in diagnostics[0].message


def test_analyze_passes_ingress_from_the_cloudfront_prefix_list(analyzer) -> None:
    assert analyze(analyzer, INGRESS, "alb-in", {**ALB_INGRESS, "prefixListId": "pl-58a04531"}) == []


def test_analyze_reads_an_iam_document_sent_as_json_text(analyzer) -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::images/*"}]})
    diagnostics = analyze(analyzer, "aws:iam/rolePolicy:RolePolicy", "task-policy", {"role": "task", "policy": policy})
    assert [d.policyName for d in diagnostics] == ["iam-no-wildcard-actions"]


def test_analyze_stack_reports_an_unprotected_bucket(analyzer) -> None:
    diagnostics = analyze_stack(analyzer, [(BUCKET, "images", {"bucket": "images"}, {})])
    assert sorted(d.policyName for d in diagnostics) == BARE_BUCKET_RULES
    assert {d.urn for d in diagnostics} == {BUCKET_URN}
    assert {d.enforcementLevel for d in diagnostics} == {analyzer_pb2.MANDATORY}


def test_analyze_stack_passes_a_bucket_with_its_protections(analyzer) -> None:
    resources = [(BUCKET, "images", {"bucket": "images"}, {}), *_bucket_companions()]
    assert analyze_stack(analyzer, resources, protected=("images",)) == []


def test_a_value_unknown_in_preview_is_reported_not_crashed_on(analyzer) -> None:
    diagnostics = analyze(analyzer, INGRESS, "alb-in", {**ALB_INGRESS, "cidrIpv4": UNKNOWN_STRING})
    assert diagnostics, "each policy reading the unknown CIDR says it cannot judge it yet"
    assert all("can't run policy" in d.message and d.enforcementLevel == analyzer_pb2.ADVISORY for d in diagnostics)


def test_analyze_stack_still_judges_what_is_known_in_preview(analyzer) -> None:
    # A new bucket's policy embeds the bucket's ARN: unknown until `pulumi up`. The other bucket is still judged.
    pending = [(type_, name, {**props, "policy": UNKNOWN_STRING} if "policy" in props else props, deps)
               for type_, name, props, deps in _bucket_companions()]
    logs = _urn(BUCKET, "logs")
    diagnostics = analyze_stack(analyzer, [(BUCKET, "images", {"bucket": "images"}, {}), *pending,
                                           (BUCKET, "logs", {"bucket": "logs"}, {})], protected=("images",))
    assert sorted((d.policyName, d.urn) for d in diagnostics) == [(name, logs) for name in BARE_BUCKET_RULES]


def _through_a_provider(stub, stack: str) -> list:
    """A stack's diagnostics when its one bucket deploys through an AWS provider the engine hands over beside it, as
    `pulumi preview` does (providers are resources of the stack)."""
    provider_type, provider_name = "pulumi:providers:aws", f"webstack-{stack}-aws"
    provider_urn = _urn(provider_type, provider_name, stack)
    provider_props = _struct({"region": "ap-northeast-1"})
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=provider_type, name=provider_name, urn=provider_urn,
                                      properties=provider_props),
        analyzer_pb2.AnalyzerResource(
            type=BUCKET, name="images", urn=_urn(BUCKET, "images", stack), properties=_struct({"bucket": "images"}),
            provider=analyzer_pb2.AnalyzerProviderResource(type=provider_type, name=provider_name, urn=provider_urn,
                                                           properties=provider_props))])
    return list(stub.AnalyzeStack(request, timeout=RPC_SECONDS).diagnostics)


@pytest.mark.parametrize("stack, level", [("staging", analyzer_pb2.MANDATORY), ("dev", analyzer_pb2.ADVISORY)])
def test_analyze_stack_reports_missing_account_detection_on_the_provider(analyzer, stack: str, level) -> None:
    # A stack that declares no trail and no detector fails on its provider; dev keeps it under its written waiver.
    diagnostics = _through_a_provider(analyzer, stack)
    provider_urn = _urn("pulumi:providers:aws", f"webstack-{stack}-aws", stack)
    on_provider = [d for d in diagnostics if d.urn == provider_urn]
    expected = "account-detection-declared" if level == analyzer_pb2.MANDATORY else "waived-exceptions"
    assert {(d.policyName, d.enforcementLevel) for d in on_provider} == {(expected, level)}
    assert len(on_provider) == 2, "no trail, and no detector"


def test_policy_pack_config_from_the_engine_extends_the_allow_list(analyzer) -> None:
    name = "sg-ingress-only-from-groups-or-allowed-prefix-lists"
    vpc_cidr = {**ALB_INGRESS, "cidrIpv4": "10.0.0.0/16"}
    assert [d.policyName for d in analyze(analyzer, INGRESS, "alb-in", vpc_cidr)] == [name]
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={name: analyzer_pb2.PolicyConfig(
        enforcementLevel=analyzer_pb2.MANDATORY,
        properties=_struct({"allowedPrefixListIds": ["pl-58a04531"], "allowedIngressCidrs": ["10.0.0.0/16"]}))}),
        timeout=RPC_SECONDS)
    try:
        assert analyze(analyzer, INGRESS, "alb-in", vpc_cidr) == []
    finally:
        analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(), timeout=RPC_SECONDS)
