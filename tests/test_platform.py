"""FargatePlatform, as the real dev and prd stacks declare it and on its own: what every service shares — the
request path up to the listener, the cluster, the one image and its repository, the release role, the load
balancer's alarm. What each service adds is tests/test_service.py's."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.alerts import Alerts, AlertsArgs
from components.platform import (
    APP_DIR,
    MAX_LB_LOGICAL_NAME,
    FargatePlatform,
    FargatePlatformArgs,
    _dockerignore_rules,
    _sent_to_docker,
    build_context_tag,
)
from mock_engine import (
    ACCOUNT_ID,
    CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST,
    Capture,
    Resource,
    StackRunFailed,
    run_program,
    run_stack,
    statements,
)
from provider_calls.iam import allows
from stack_config.alerts import AlertsConfig
from stack_config.platform import PlatformConfig

PLATFORM = "webstack:platform:FargatePlatform"
SERVICE_COMPONENT = "webstack:service:FargateService"
RELEASE_PROBE = "webstack:release:ReleaseProbe"
ALB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
CLUSTER = "aws:ecs/cluster:Cluster"
CAPACITY = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
BUILT_IMAGE = "awsx:ecr:Image"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BOUNDARY = "aws:iam/policy:Policy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KMS_KEY = "aws:kms/key:Key"
CERTIFICATE = "aws:acm/certificate:Certificate"
CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
SUBNET = "aws:ec2/subnet:Subnet"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"

REGION = "ap-northeast-1"
# The override test_site.py uses too: run_stack caches per input, so the suite pays for it once.
DOMAIN = "shop.example.com"
WITH_DOMAIN = {"webstack:site": {"domain": DOMAIN, "hostedZone": "example.com"}}
# Expected values are written out, not imported from the component: a test that compares the component with its
# own constant would pass with a wrong constant.
TLS13_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
# EC2 CreateSecurityGroup GroupDescription and rule descriptions (API reference): up to 255 characters of
# a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*
EC2_DESCRIPTION = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}")
# CloudWatch PutMetricAlarm AlarmDescription: 0 to 1024 characters.
MAX_ALARM_DESCRIPTION = 1024
RELEASE_ACTIONS = {
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"}


def platform_of(capture: Capture) -> Resource:
    return capture.one(PLATFORM)


def parts(capture: Capture, type_: str) -> list[Resource]:
    return [r for r in capture.descendants_of(platform_of(capture)) if r.type == type_]


def part(capture: Capture, type_: str) -> Resource:
    """The one resource of `type_` inside the FargatePlatform component."""
    found = parts(capture, type_)
    assert len(found) == 1, f"expected one {type_} in FargatePlatform, found {found}"
    return found[0]


def platform_config(capture: Capture) -> dict[str, Any]:
    return capture.config.get("webstack:platform", {})


def containers(capture: Capture) -> list[dict[str, Any]]:
    """Every container of every task definition of the stack."""
    return [c for task in capture.of_type(TASK_DEFINITION) for c in json.loads(task.get("containerDefinitions"))]


def ingress_into(capture: Capture, group: Resource) -> list[Resource]:
    return [r for r in capture.of_type(INGRESS_RULE) if r.get("securityGroupId") == group.id]


def alb_sg(capture: Capture) -> Resource:
    group = capture.by_id(part(capture, ALB).get("securityGroups")[0])
    assert group is not None and group.type == SECURITY_GROUP
    return group


def cidr_ingress(capture: Capture) -> list[tuple[Resource, Any]]:
    """Every way the stack could admit traffic from an address range, in every rule form AWS offers."""
    found = []
    for rule in capture.of_type(INGRESS_RULE):
        found += [(rule, rule.get(key)) for key in ("cidrIpv4", "cidrIpv6") if rule.get(key)]
    for rule in capture.of_type(LEGACY_RULE):
        if rule.get("type") == "ingress":
            found += [(rule, rule.get(key)) for key in ("cidrBlocks", "ipv6CidrBlocks") if rule.get(key)]
    for group in capture.of_type(SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for inline in group.get("ingress") or []:
            found += [(group, inline.get(key)) for key in ("cidrBlocks", "ipv6CidrBlocks") if inline.get(key)]
    return found


def fargate_descendants(capture: Capture) -> list[Resource]:
    """The platform's resources and every service's."""
    components = [platform_of(capture), *capture.of_type(SERVICE_COMPONENT)]
    return [r for component in components for r in capture.descendants_of(component)]


def says_what_it_means_and_where_to_look(description: str | None) -> bool:
    """An alarm description an on-call engineer can act on: what happened, then where to look first (or, for a
    scaling alarm, that nothing needs doing)."""
    if not description or len(description) > MAX_ALARM_DESCRIPTION:
        return False
    meaning, _, advice = description.partition(". ")
    return len(meaning.split()) >= 4 and bool(re.search(r"\b(look first at|nothing to do)\b", advice, re.I))


@cache
def with_domain() -> Capture:
    return run_stack("dev", WITH_DOMAIN)


@cache
def with_image_tag() -> Capture:
    return run_stack("prd", {"webstack:platform": {"imageTag": "3f2c1ab"}})


def standalone_platform(config: PlatformConfig, certificate_arn: str | None = None,
                        name: str = "webstack-test") -> Capture:
    """FargatePlatform on its own, exporting what it promises the services and the site."""
    def program() -> None:
        platform = FargatePlatform(name, FargatePlatformArgs(
            config=config, region=REGION, vpc_id="vpc-1", ingress_subnet_ids=["subnet-a", "subnet-b"],
            alarm_topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:alarms", certificate_arn=certificate_arn))
        for key in ("alb_arn", "alb_dns_name", "listener_arn", "listener_port", "listener_protocol",
                    "alb_security_group_id", "cluster_name", "repository_url", "repository_name", "image",
                    "image_tag", "release_role_arn", "container_insights", "cpu_architecture"):
            pulumi.export(key, getattr(platform, key))

    return run_program(program)


@cache
def standalone(image_tag: str | None = None, architecture: str = "ARM64", certificate_arn: str | None = None,
               container_insights: str = "on") -> Capture:
    config = PlatformConfig.model_validate({"imageTag": image_tag, "cpuArchitecture": architecture,
                                            "containerInsights": container_insights})
    return standalone_platform(config, certificate_arn=certificate_arn)


# --- the request path ----------------------------------------------------------------------------------------

def test_alb_is_internal_in_the_ingress_subnets(stack: Capture):
    alb = part(stack, ALB)
    assert alb.get("internal") is True
    assert alb.get("loadBalancerType") == "application"
    ingress = sorted(s.id for s in stack.of_type(SUBNET) if s.get("tags.tier") == "ingress")
    assert ingress and sorted(alb.get("subnets")) == ingress


def test_alb_drops_invalid_headers_and_refuses_ambiguous_requests(stack: Capture):
    alb = part(stack, ALB)
    assert alb.get("dropInvalidHeaderFields") is True
    # Every request comes through CloudFront, which sends well-formed HTTP: the strictest mode costs no client.
    assert alb.get("desyncMitigationMode") == "strictest"


def release_probe_groups(capture: Capture) -> set[str]:
    """The security groups of the stack's release probe (a Lambda function in the container subnets that asks a
    blue/green release's new revision through the test listener rule), if the stack has one."""
    return {g.id for probe in capture.of_type(RELEASE_PROBE) for g in capture.descendants_of(probe)
            if g.type == SECURITY_GROUP}


def test_alb_admits_only_cloudfront_origin_facing_servers_and_the_release_probe(stack: Capture):
    into_alb = ingress_into(stack, alb_sg(stack))
    from_cloudfront = [r for r in into_alb if r.get("prefixListId")]
    [cloudfront] = from_cloudfront
    assert cloudfront.get("prefixListId") == CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST
    # The prefix list is looked up by its AWS name, not pinned to one region's id.
    lookups = [i for i in stack.invokes if i.token == "aws:ec2/getManagedPrefixList:getManagedPrefixList"
               and i.result.get("id") == cloudfront.get("prefixListId")]
    assert lookups and {i.args.get("name") for i in lookups} == {CLOUDFRONT_ORIGIN_FACING}
    # Nothing else but the release probe's own group, where releases are probed (blue/green: prd).
    others = [r for r in into_alb if r is not cloudfront]
    assert {r.get("referencedSecurityGroupId") for r in others} == release_probe_groups(stack)
    assert len(others) == len(release_probe_groups(stack)) == (1 if stack.stack == "prd" else 0)
    for rule in into_alb:
        assert (rule.get("ipProtocol"), rule.get("fromPort"), rule.get("toPort")) == ("tcp", 80, 80), rule.name


def test_no_security_group_anywhere_admits_a_cidr(stack: Capture):
    assert cidr_ingress(stack) == []


def test_the_cidr_check_sees_every_rule_form():
    def program() -> None:
        group = aws.ec2.SecurityGroup("probe", vpc_id="vpc-1",
                                      ingress=[{"protocol": "tcp", "from_port": 1, "to_port": 1,
                                                "cidr_blocks": ["10.0.0.0/8"]}])
        aws.ec2.DefaultSecurityGroup("probe-default", vpc_id="vpc-1",
                                     ingress=[{"protocol": "tcp", "from_port": 2, "to_port": 2,
                                               "ipv6_cidr_blocks": ["::/0"]}])
        aws.vpc.SecurityGroupIngressRule("probe-v4", security_group_id=group.id, ip_protocol="tcp", from_port=3,
                                         to_port=3, cidr_ipv4="0.0.0.0/0")
        aws.vpc.SecurityGroupIngressRule("probe-v6", security_group_id=group.id, ip_protocol="tcp", from_port=4,
                                         to_port=4, cidr_ipv6="::/0")
        aws.ec2.SecurityGroupRule("probe-legacy", type="ingress", security_group_id=group.id, protocol="tcp",
                                  from_port=5, to_port=5, cidr_blocks=["192.168.0.0/16"])
        aws.ec2.SecurityGroupRule("probe-legacy-out", type="egress", security_group_id=group.id, protocol="tcp",
                                  from_port=6, to_port=6, cidr_blocks=["0.0.0.0/0"])

    found = {resource.name for resource, _ in cidr_ingress(run_program(program))}
    assert found == {"probe", "probe-default", "probe-v4", "probe-v6", "probe-legacy"}


def test_alb_group_keeps_its_rules_standalone_and_described(stack: Capture):
    group = alb_sg(stack)
    assert not group.get("ingress") and not group.get("egress")
    rules = [r for r in stack.of_type(INGRESS_RULE, EGRESS_RULE) if r.get("securityGroupId") == group.id]
    assert rules and all(r.get("description") for r in rules)


@pytest.mark.parametrize("variant", ["dev", "prd", "dev with a domain"])
def test_security_group_and_rule_descriptions_use_only_characters_ec2_accepts(variant: str):
    # Mocks accept any text; EC2 refuses the first `pulumi up` of a description with, say, an apostrophe.
    capture = with_domain() if variant == "dev with a domain" else run_stack(variant)
    described = capture.of_type(SECURITY_GROUP, INGRESS_RULE, EGRESS_RULE)
    assert alb_sg(capture) in described and all(r in described for r in fargate_descendants(capture)
                                                if r.type == SECURITY_GROUP)
    refused = {r.name: r.get("description") for r in described
               if not EC2_DESCRIPTION.fullmatch(r.get("description") or "")}
    assert refused == {}


def test_the_description_check_refuses_what_ec2_refuses():
    assert EC2_DESCRIPTION.fullmatch("Internal ALB: HTTPS from CloudFront origin-facing servers only")
    assert not EC2_DESCRIPTION.fullmatch("Internal ALB: HTTPS from CloudFront's origin-facing servers")
    assert not EC2_DESCRIPTION.fullmatch("HTTPS from CloudFront \u2192 ALB")
    assert not EC2_DESCRIPTION.fullmatch("x" * 256)


def test_without_a_domain_the_listener_speaks_http_on_port_80(stack: Capture):
    [listener] = parts(stack, LISTENER)
    assert (listener.get("port"), listener.get("protocol")) == (80, "HTTP")
    assert not listener.get("certificateArn") and not listener.get("sslPolicy")
    assert listener.get("loadBalancerArn") == part(stack, ALB).id


def test_the_listener_answers_a_path_no_service_claims_with_a_json_404(stack: Capture):
    [action] = part(stack, LISTENER).get("defaultActions")
    assert action["type"] == "fixed-response"
    response = action["fixedResponse"]
    assert (response["statusCode"], response["contentType"]) == ("404", "application/json")
    # The APIs' own error shape (app/api/errors.py), so a client parses a missing route like any other 404.
    body = json.loads(response["messageBody"])
    assert set(body) == {"error"} and body["error"]["code"] == "not_found" and body["error"]["message"]


def test_with_a_domain_the_listener_speaks_tls13_with_the_regional_origin_certificate():
    capture = with_domain()
    [listener] = parts(capture, LISTENER)
    assert (listener.get("port"), listener.get("protocol"), listener.get("sslPolicy")) == (443, "HTTPS",
                                                                                             TLS13_POLICY)
    certificate = capture.one(CERTIFICATE, where=lambda c: c.get("domainName") == f"origin.{DOMAIN}")
    assert certificate.state["arn"].startswith(f"arn:aws:acm:{REGION}:"), "the ALB needs a certificate of its region"
    assert listener.get("certificateArn") == certificate.state["arn"]
    # The listener takes the certificate only once it is validated (ELB refuses a pending one).
    validation = capture.one(CERTIFICATE_VALIDATION, where=lambda v: v.get("certificateArn") ==
                             certificate.state["arn"])
    assert listener.property_dependencies["certificateArn"] == [validation.urn]


def test_with_a_domain_the_alb_admits_https_from_cloudfront_only():
    capture = with_domain()
    group = alb_sg(capture)
    [into_alb] = ingress_into(capture, group)  # dev rolls its releases: no release probe
    assert into_alb.get("prefixListId") == CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST
    assert (into_alb.get("ipProtocol"), into_alb.get("fromPort"), into_alb.get("toPort")) == ("tcp", 443, 443)
    assert "HTTPS" in group.get("description") and "HTTP " not in group.get("description")


def test_the_platform_tells_the_site_which_port_and_protocol_its_listener_speaks():
    assert (standalone().outputs["listener_port"], standalone().outputs["listener_protocol"]) == (80, "HTTP")
    tls = standalone(certificate_arn=f"arn:aws:acm:{REGION}:{ACCOUNT_ID}:certificate/origin")
    assert (tls.outputs["listener_port"], tls.outputs["listener_protocol"]) == (443, "HTTPS")
    [listener] = tls.of_type(LISTENER)
    assert listener.get("sslPolicy") == TLS13_POLICY


# --- names ---------------------------------------------------------------------------------------------------

def test_load_balancer_names_fit_aws_limits_with_pulumi_suffix(stack: Capture):
    # ALB and target group names may be 32 characters; Pulumi appends "-" and 7 random characters.
    balancers = stack.of_type(ALB, TARGET_GROUP)
    assert len(balancers) >= 3
    assert [r.name for r in balancers if len(r.name) + 8 > 32] == []


def test_an_overlong_platform_name_is_refused_before_anything_is_declared():
    with pytest.raises(StackRunFailed) as failure:
        standalone_platform(PlatformConfig(), name="webstack-production-eu")
    assert "too long" in str(failure.value.error)
    assert failure.value.capture.resources == []
    assert len("webstack-production-eu-alb") > MAX_LB_LOGICAL_NAME >= len("webstack-prd-alb")


# --- the cluster ---------------------------------------------------------------------------------------------

def test_container_insights_is_off_in_dev_and_on_in_prd(dev: Capture, prd: Capture):
    # dev reads task counts in the console (Insights would bill about $24 a month); prd alarms and scales on them.
    assert part(dev, CLUSTER).get("settings") == [{"name": "containerInsights", "value": "disabled"}]
    assert part(prd, CLUSTER).get("settings") == [{"name": "containerInsights", "value": "enabled"}]


@pytest.mark.parametrize("setting, value, publishes", [("off", "disabled", False), ("on", "enabled", True),
                                                       ("enhanced", "enhanced", True)])
def test_the_platform_tells_its_services_whether_container_insights_counts_tasks(setting: str, value: str,
                                                                                 publishes: bool):
    # The services alarm and scale on Insights' task counts only when the cluster publishes them.
    capture = standalone(container_insights=setting)
    assert part(capture, CLUSTER).get("settings") == [{"name": "containerInsights", "value": value}]
    assert capture.outputs["container_insights"] is publishes


def test_cluster_offers_both_fargate_capacity_providers(stack: Capture):
    cluster, capacity = part(stack, CLUSTER), part(stack, CAPACITY)
    assert capacity.get("clusterName") == cluster.state["name"]
    assert sorted(capacity.get("capacityProviders")) == ["FARGATE", "FARGATE_SPOT"]


# --- the image -----------------------------------------------------------------------------------------------

def test_without_image_tag_the_program_builds_app_for_the_task_architecture(dev: Capture):
    assert "imageTag" not in platform_config(dev)
    image = part(dev, BUILT_IMAGE)
    assert image.get("repositoryUrl") == part(dev, REPOSITORY).state["repositoryUrl"]
    assert (image.get("context"), image.get("dockerfile"), image.get("platform")) == (
        "app", "app/Dockerfile", "linux/arm64")
    assert image.get("imageTag") == build_context_tag()
    # Every task runs exactly the pushed digest.
    assert {c["image"] for c in containers(dev)} == {image.state["imageUri"]}
    assert "@sha256:" in image.state["imageUri"]
    assert dev.outputs["imageUri"] == image.state["imageUri"]


def test_with_image_tag_every_service_runs_that_tag_and_nothing_is_built():
    capture = with_image_tag()
    assert parts(capture, BUILT_IMAGE) == []
    repository = part(capture, REPOSITORY).state["repositoryUrl"]
    assert {c["image"] for c in containers(capture)} == {f"{repository}:3f2c1ab"}
    assert len(capture.of_type(TASK_DEFINITION)) == 3


def test_x86_tasks_get_an_x86_build():
    capture = standalone(architecture="X86_64")
    assert part(capture, BUILT_IMAGE).get("platform") == "linux/amd64"
    assert capture.outputs["cpu_architecture"] == "X86_64"


def test_build_tag_follows_the_build_context(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "main.py").write_text("print('a')\n")
    first = build_context_tag(tmp_path)
    (tmp_path / "api" / "__pycache__").mkdir()
    (tmp_path / "api" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    assert build_context_tag(tmp_path) == first  # bytecode is not part of the image's source
    (tmp_path / "api" / "main.py").write_text("print('b')\n")
    assert build_context_tag(tmp_path) != first
    assert first.startswith("build-") and len(first) == len("build-") + 16


def test_build_tag_ignores_what_dockerignore_keeps_out_of_the_image(tmp_path: Path):
    (tmp_path / ".dockerignore").write_text("# the API only\n*\n!Dockerfile\n!api/\n**/*.md\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "main.py").write_text("print('a')\n")
    (tmp_path / "frontend").mkdir()
    (tmp_path / "frontend" / "index.html").write_text("<p>a</p>\n")
    first = build_context_tag(tmp_path)
    (tmp_path / "frontend" / "index.html").write_text("<p>b</p>\n")
    (tmp_path / "api" / "NOTES.md").write_text("notes\n")
    assert build_context_tag(tmp_path) == first
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\n")
    assert build_context_tag(tmp_path) != first


def sent_to_docker(relative: str) -> bool:
    path = APP_DIR / relative
    return path.is_file() and _sent_to_docker(Path(relative), _dockerignore_rules(APP_DIR))


def test_the_one_image_holds_every_module_a_service_runs(stack: Capture):
    # Every service runs the same image with its own command: a module left out of the build context fails the
    # docker build (the Dockerfile copies it) or, worse, leaves the image tag unchanged when that module changes.
    modules = set()
    for container in containers(stack):
        command = container["command"]
        assert command[:2] == ["python", "-m"], command
        modules.add(command[2])
        health = container.get("healthCheck", {}).get("command", [])
        if health[:3] == ["CMD", "python", "-m"]:
            modules.add(health[3])
    assert modules >= {"app.api", "app.admin", "app.worker", "app.worker.healthcheck"}
    for module in modules:
        relative = module.removeprefix("app.").replace(".", "/")
        entry = f"{relative}/__main__.py" if (APP_DIR / relative).is_dir() else f"{relative}.py"
        assert sent_to_docker(entry), f"{module}: app/{entry} is not in the build context (app/.dockerignore)"


def test_every_directory_the_dockerfile_copies_is_in_the_build_context():
    sources = [line.split()[1] for line in (APP_DIR / "Dockerfile").read_text().splitlines()
               if line.startswith("COPY ")]
    assert "api/" in sources
    for source in sources:
        files = [p for p in (APP_DIR / source).rglob("*.py")] if source.endswith("/") else [APP_DIR / source]
        assert files and all(sent_to_docker(str(f.relative_to(APP_DIR))) for f in files), source


def test_the_build_context_check_sees_an_excluded_module(tmp_path: Path):
    (tmp_path / ".dockerignore").write_text("*\n!api/\n")
    (tmp_path / "worker").mkdir()
    (tmp_path / "worker" / "__main__.py").write_text("")
    rules = _dockerignore_rules(tmp_path)
    assert not _sent_to_docker(Path("worker/__main__.py"), rules)
    assert _sent_to_docker(Path("api/__main__.py"), rules)


@pytest.mark.parametrize("image_tag", [None, "3f2c1ab"])
def test_component_reports_the_image_tag_it_deploys_and_its_endpoints(image_tag: str | None):
    capture = standalone(image_tag=image_tag)
    assert capture.outputs["image_tag"] == (image_tag or build_context_tag())
    repository = part(capture, REPOSITORY)
    assert capture.outputs["image"] == (f"{repository.state['repositoryUrl']}:{image_tag}" if image_tag
                                        else part(capture, BUILT_IMAGE).state["imageUri"])
    assert capture.outputs["alb_dns_name"] == part(capture, ALB).state["dnsName"]
    assert capture.outputs["alb_arn"] == part(capture, ALB).state["arn"]
    assert capture.outputs["alb_security_group_id"] == alb_sg(capture).id
    assert capture.outputs["listener_arn"] == part(capture, LISTENER).state["arn"]
    assert capture.outputs["repository_url"].endswith("/" + capture.outputs["repository_name"])
    assert capture.outputs["cluster_name"] == part(capture, CLUSTER).state["name"]
    assert capture.outputs["release_role_arn"] == part(capture, ROLE).state["arn"]


def test_repository_tags_are_immutable_and_scanned(stack: Capture):
    repository = part(stack, REPOSITORY)
    assert repository.get("imageTagMutability") == "IMMUTABLE"
    assert repository.get("imageScanningConfiguration.scanOnPush") is True
    assert repository.get("forceDelete") is platform_config(stack).get("forceDestroy", False)


def test_repository_keeps_recent_tagged_images_and_expires_untagged(stack: Capture):
    rules = json.loads(part(stack, LIFECYCLE).get("policy"))["rules"]
    by_status = {r["selection"]["tagStatus"]: r["selection"] for r in rules}
    assert by_status["untagged"]["countType"] == "sinceImagePushed"
    assert by_status["untagged"]["countNumber"] <= 7
    assert by_status["tagged"]["countType"] == "imageCountMoreThan"
    assert by_status["tagged"]["countNumber"] == platform_config(stack)["keepImages"]


def test_prd_images_survive_destroy(prd: Capture):
    assert part(prd, REPOSITORY).get("forceDelete") is False


# --- protection and access logs ------------------------------------------------------------------------------

def test_prd_alb_is_protected_and_dev_alb_is_destroyable(dev: Capture, prd: Capture):
    assert part(prd, ALB).get("enableDeletionProtection") is True
    assert part(dev, ALB).get("enableDeletionProtection") is False


def test_alb_writes_access_logs_to_the_archive_once_it_may(stack: Capture):
    alb = part(stack, ALB)
    archive = stack.one(BUCKET, where=lambda b: b.parent == stack.one("webstack:logs:LogArchive").urn
                        and b.get("bucket", b.state.get("bucket")) == alb.get("accessLogs.bucket"))
    assert alb.get("accessLogs.enabled") is True
    # The load balancer checks it may write when logging is switched on: the archive's grant must exist first.
    grant = stack.one(BUCKET_POLICY, where=lambda p: p.get("bucket") == archive.id)
    assert grant.urn in alb.dependencies


# --- the release role ----------------------------------------------------------------------------------------

def release_role(capture: Capture) -> Resource:
    return part(capture, ROLE)


def release_documents(capture: Capture) -> list[dict[str, Any]]:
    role = release_role(capture)
    return [json.loads(p.get("policy")) for p in parts(capture, ROLE_POLICY) if p.get("role") == role.id]


def other(capture: Capture) -> Capture:
    return run_stack("prd" if capture.stack == "dev" else "dev")


def routing_arns(capture: Capture) -> dict[str, list[str]]:
    return {"targets": [g.state["arn"] for g in capture.of_type(TARGET_GROUP)],
            "routing": [r.state["arn"] for r in capture.of_type(LISTENER, LISTENER_RULE)]}


def test_release_role_trusts_only_ecs_acting_for_this_account(stack: Capture):
    [trust] = statements(release_role(stack).get("assumeRolePolicy"))
    assert (trust["Effect"], trust["Action"]) == ("Allow", "sts:AssumeRole")
    # ECS's infrastructure role principal (not ecs-tasks: no task ever assumes it).
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_release_role_carries_the_stack_boundary(stack: Capture):
    boundary = stack.one(BOUNDARY, where=lambda p: p.get("name") == f"webstack-{stack.stack}-boundary")
    assert release_role(stack).get("permissionsBoundary") == boundary.state["arn"]


def test_release_role_moves_this_stacks_release_traffic_and_no_other_stacks(stack: Capture):
    documents, own, theirs = release_documents(stack), routing_arns(stack), routing_arns(other(stack))
    assert own["targets"] and own["routing"] and theirs["targets"] and theirs["routing"]
    for action, kind in (("elasticloadbalancing:RegisterTargets", "targets"),
                         ("elasticloadbalancing:DeregisterTargets", "targets"),
                         ("elasticloadbalancing:ModifyRule", "routing"),
                         ("elasticloadbalancing:ModifyListener", "routing")):
        for arn in own[kind]:
            assert allows(documents, action, arn), (action, arn)
        for arn in theirs[kind]:
            assert not allows(documents, action, arn), f"{action} reaches the other stack's {arn}"
    assert not allows(documents, "elasticloadbalancing:ModifyRule",
                      f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:listener-rule/app/other-alb/1/2/3")


def test_release_role_is_allowed_only_what_ecs_does_in_a_release(stack: Capture):
    granted = {a for d in release_documents(stack) for s in d["Statement"] for a in s["Action"]}
    assert granted == RELEASE_ACTIONS
    for statement in (s for d in release_documents(stack) for s in d["Statement"]):
        # Describe calls take no resource but "*"; the moves are scoped.
        assert (statement["Resource"] == "*") == all(a.split(":")[1].startswith("Describe")
                                                     for a in statement["Action"]), statement


# --- the load balancer's alarm, and where alarms go ----------------------------------------------------------

def topic_arn(capture: Capture) -> str:
    return capture.one(TOPIC, where=lambda t: t.parent == capture.one("webstack:alerts:Alerts").urn).state["arn"]


def test_alb_5xx_alarm_says_what_it_means_and_what_to_look_at_first(stack: Capture):
    [alarm] = parts(stack, ALARM)
    assert (alarm.get("namespace"), alarm.get("metricName")) == ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count")
    assert alarm.get("dimensions") == {"LoadBalancer": part(stack, ALB).state["arnSuffix"]}
    assert says_what_it_means_and_where_to_look(alarm.get("alarmDescription")), alarm.get("alarmDescription")
    assert alarm.get("alarmActions") == [topic_arn(stack)] and alarm.get("okActions") == [topic_arn(stack)]
    assert alarm.get("treatMissingData") == "notBreaching"  # no traffic is no failure


def test_the_alarm_description_check_refuses_a_bare_name():
    assert not says_what_it_means_and_where_to_look("ALB 5xx")
    assert not says_what_it_means_and_where_to_look("The load balancer answered 5xx for 3 minutes.")
    assert not says_what_it_means_and_where_to_look("The load balancer answered 5xx. " + "x" * 1024)
    assert says_what_it_means_and_where_to_look(
        "The load balancer answered 5xx for 3 minutes. Look first at the target groups' healthy hosts.")


def test_alarms_reach_an_encrypted_topic_cloudwatch_may_publish_to(stack: Capture):
    topic, key = stack.one(TOPIC), stack.one(KMS_KEY, where=lambda k: "alarm topic" in (k.get("description") or ""))
    assert topic.get("kmsMasterKeyId") == key.state["arn"]
    assert key.get("enableKeyRotation") is True
    publishers = [s for s in statements(key.get("policy"))
                  if "cloudwatch.amazonaws.com" in json.dumps(s.get("Principal"))]
    assert publishers and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(publishers[0]["Action"])


def test_no_alarm_email_subscribes_unless_configured(stack: Capture):
    assert "email" not in stack.config.get("webstack:alerts", {})
    assert stack.of_type(SUBSCRIPTION) == []


def test_a_configured_alarm_email_subscribes_to_the_topic():
    def program() -> None:
        Alerts("alarms", AlertsArgs(config=AlertsConfig(email="oncall@example.com")))

    capture = run_program(program)
    subscription = capture.one(SUBSCRIPTION)
    assert (subscription.get("protocol"), subscription.get("endpoint")) == ("email", "oncall@example.com")
    assert subscription.get("topic") == capture.one(TOPIC).state["arn"]


def test_stack_exports_the_platform_outputs(stack: Capture):
    outputs = stack.outputs
    assert outputs["albDnsName"] == part(stack, ALB).state["dnsName"]
    assert outputs["clusterName"] == part(stack, CLUSTER).state["name"]
    assert outputs["repositoryUrl"] == part(stack, REPOSITORY).state["repositoryUrl"]


# --- bad configuration ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("override, key", [
    ({"imageTag": "latest"}, "webstack:platform.imageTag"),
    ({"imageTag": "feature/x"}, "webstack:platform.imageTag"),
    ({"logRetentionDays": 10}, "webstack:platform.logRetentionDays"),
    ({"containerInsights": "yes"}, "webstack:platform.containerInsights"),
    ({"cpuArchitecture": "arm64"}, "webstack:platform.cpuArchitecture"),
    ({"keepImages": 0}, "webstack:platform.keepImages"),
    ({"idleTimeoutSeconds": 0}, "webstack:platform.idleTimeoutSeconds"),
    ({"imagetag": "3f2c1ab"}, "webstack:platform.imagetag"),
])
def test_bad_platform_config_fails_before_any_resource_naming_the_key(override: dict[str, Any], key: str):
    with pytest.raises(StackRunFailed) as failure:
        run_stack("prd", {"webstack:platform": override})
    assert f"{key} " in str(failure.value.error) or f"{key}:" in str(failure.value.error), failure.value.error
    assert failure.value.capture.custom_resources == []
