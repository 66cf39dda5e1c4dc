"""CiAccess: who can assume the CI roles, and what the roles can then do.

Trust and permissions are judged by evaluating the policies the program declares with the IAM evaluator of
provider_calls/iam.py (Allow/Deny, NotAction/NotResource, the string, ARN, Bool and Null operators with IfExists
and the set qualifiers; explicit Deny wins). It refuses operators it does not know rather than guess. Whether the
roles can make every call the providers make is tests/test_ci_roles_sufficient.py.
"""

import json
import re
from functools import cache
from typing import Any

import pytest

from components.account import OWNER_PARAMETER, TRAIL_NAME
from components.ci import NO_RESOURCE_TYPE_ACTIONS, chatbot_region
from mock_engine import ACCOUNT_ID, PROJECT_ROOT, Capture, Resource, StackRunFailed, as_list, policy_document, run_stack
from provider_calls import iam
from provider_calls.check import deploy_documents, preview_documents

REPOSITORY = "acme/webstack"
REGION = "ap-northeast-1"
OIDC_HOST = "token.actions.githubusercontent.com"
CI = {
    "dev": {"repository": REPOSITORY},
    "prd": {"repository": REPOSITORY, "deployEnvironment": "prd", "stateBucket": "acme-pulumi-state",
            "secretsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
}


def allows(documents: list[dict[str, Any]], action: str, resource: str = "*",
           context: dict[str, Any] | None = None, principal: dict[str, str] | None = None) -> bool:
    """IAM's verdict for one request made in the stack's region (unless the context names another)."""
    return iam.allows(documents, action, resource, {"aws:RequestedRegion": REGION, **(context or {})}, principal)


def github_token(sub: str, aud: str = "sts.amazonaws.com") -> dict[str, str]:
    return {f"{OIDC_HOST}:sub": sub, f"{OIDC_HOST}:aud": aud}


def can_assume(role: Resource, claims: dict[str, str], provider_arn: str) -> bool:
    return allows([policy_document(role.inputs["assumeRolePolicy"])], "sts:AssumeRoleWithWebIdentity",
                  context=claims, principal={"Federated": provider_arn})


def test_the_evaluator_catches_a_wildcard_subject():
    """Guards the guard: a StringLike subject with a wildcard admits a fork, and the evaluator sees it."""
    loose = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                            "Principal": {"Federated": "p"},
                            "Condition": {"StringLike": {f"{OIDC_HOST}:sub": "repo:*/webstack:*"}}}]}
    assert allows([loose], "sts:AssumeRoleWithWebIdentity", context=github_token("repo:someone/webstack:ref:x"),
                  principal={"Federated": "p"})
    assert not allows([loose], "sts:AssumeRoleWithWebIdentity", context=github_token("repo:acme/other:ref:x"),
                      principal={"Federated": "p"})
    with pytest.raises(iam.UnsupportedCondition, match="does not implement"):
        iam.condition_holds({"NumericLessThan": {"k": "1"}}, {"k": "0"})


# --- the stacks with CI access configured ------------------------------------------------------------------------

@cache
def with_ci(stack: str) -> Capture:
    return run_stack(stack, {"webstack:ci": CI[stack]})


def ci_component(cap: Capture) -> Resource:
    return cap.one("webstack:ci:CiAccess")


def role(cap: Capture, kind: str) -> Resource:
    return cap.named(f"webstack-{cap.stack}-ci-{kind}")


def provider_arn(cap: Capture) -> str:
    return cap.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").state["arn"]


def boundary_arn(cap: Capture) -> str:
    return cap.one("aws:iam/policy:Policy", where=lambda p: p.name == f"webstack-{cap.stack}-boundary").state["arn"]


def arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


def iam_arn(resource: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:{resource}"


# --- when CI access exists -----------------------------------------------------------------------------------------

def test_stacks_declare_no_ci_access_until_the_repository_is_configured(stack):
    assert stack.of_type("webstack:ci:CiAccess") == []
    assert stack.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert not {"ciPreviewRoleArn", "ciDeployRoleArn"} & set(stack.outputs)


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_configured_ci_access_exports_both_role_arns(stack_name):
    cap = with_ci(stack_name)
    assert cap.outputs["ciPreviewRoleArn"] == iam_arn(f"role/webstack-{stack_name}-ci-preview")
    assert cap.outputs["ciDeployRoleArn"] == iam_arn(f"role/webstack-{stack_name}-ci-deploy")
    assert {r.name for r in cap.children_of(ci_component(cap))} >= {
        f"webstack-{stack_name}-ci-preview", f"webstack-{stack_name}-ci-deploy"}


def test_the_github_provider_trusts_the_sts_audience_without_a_pinned_thumbprint():
    provider = with_ci("dev").one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == f"https://{OIDC_HOST}"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert not provider.inputs.get("thumbprintLists")


def test_an_existing_provider_is_trusted_instead_of_creating_a_second_one():
    existing = iam_arn(f"oidc-provider/{OIDC_HOST}")
    cap = run_stack("prd", {"webstack:ci": {**CI["prd"], "oidcProviderArn": existing}})
    assert cap.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert can_assume(role(cap, "deploy"), github_token(f"repo:{REPOSITORY}:environment:prd"), existing)


def test_ci_access_is_protected_so_destroying_dev_from_the_pipeline_keeps_it():
    cap = with_ci("dev")
    parts = [r for r in cap.descendants_of(ci_component(cap)) if r.custom]
    assert parts and all(r.protect for r in parts)


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_ci_sessions_last_at_most_an_hour(stack_name):
    cap = with_ci(stack_name)
    assert role(cap, "preview").inputs["maxSessionDuration"] == 3600
    assert role(cap, "deploy").inputs["maxSessionDuration"] == 3600


# --- trust -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack_name", ["dev", "prd"])
@pytest.mark.parametrize("kind", ["preview", "deploy"])
def test_every_ci_trust_pins_audience_and_subject_exactly(stack_name, kind):
    cap = with_ci(stack_name)
    [statement] = as_list(policy_document(role(cap, kind).inputs["assumeRolePolicy"])["Statement"])
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": provider_arn(cap)}
    assert set(statement["Condition"]) == {"StringEquals"}, "exact matches only, no StringLike wildcards"
    pinned = statement["Condition"]["StringEquals"]
    assert pinned[f"{OIDC_HOST}:aud"] == "sts.amazonaws.com"
    subjects = as_list(pinned[f"{OIDC_HOST}:sub"])
    assert subjects and all(s.startswith(f"repo:{REPOSITORY}:") and "*" not in s and "?" not in s
                            for s in subjects)


def test_preview_role_answers_to_pull_requests_of_the_repository_only():
    cap = with_ci("dev")
    preview, provider = role(cap, "preview"), provider_arn(cap)
    assert can_assume(preview, github_token(f"repo:{REPOSITORY}:pull_request"), provider)
    for sub in ("repo:someone/webstack:pull_request", "repo:acme/other:pull_request",
                f"repo:{REPOSITORY}:ref:refs/heads/main", f"repo:{REPOSITORY}:environment:prd"):
        assert not can_assume(preview, github_token(sub), provider), sub


@pytest.mark.parametrize("sub", [
    "repo:someone/webstack:ref:refs/heads/main",       # a fork
    "repo:acme/other:ref:refs/heads/main",             # another repository of the owner
    "repo:acme/webstack-fork:ref:refs/heads/main",     # a name that merely starts the same
    "repo:ACME/WEBSTACK:ref:refs/heads/main",          # subjects compare case-sensitively
    f"repo:{REPOSITORY}:ref:refs/heads/feature",       # another branch
    f"repo:{REPOSITORY}:ref:refs/heads/main-hotfix",
    f"repo:{REPOSITORY}:ref:refs/tags/v1.0.0",
    f"repo:{REPOSITORY}:pull_request",                 # a pull request
    f"repo:{REPOSITORY}:environment:prd",
])
def test_dev_deploy_role_cannot_be_assumed_from_anywhere_but_main(sub):
    cap = with_ci("dev")
    deploy, provider = role(cap, "deploy"), provider_arn(cap)
    assert can_assume(deploy, github_token(f"repo:{REPOSITORY}:ref:refs/heads/main"), provider)
    assert not can_assume(deploy, github_token(sub), provider)


def test_deploy_role_needs_the_sts_audience_and_the_federated_provider():
    cap = with_ci("dev")
    deploy, provider = role(cap, "deploy"), provider_arn(cap)
    main = f"repo:{REPOSITORY}:ref:refs/heads/main"
    assert not can_assume(deploy, github_token(main, aud="https://github.com/acme"), provider)
    assert not can_assume(deploy, {f"{OIDC_HOST}:sub": main}, provider)
    assert not can_assume(deploy, github_token(main), iam_arn("oidc-provider/gitlab.com"))


@pytest.mark.parametrize("sub", [
    f"repo:{REPOSITORY}:ref:refs/heads/main",          # main itself must go through the reviewed environment
    f"repo:{REPOSITORY}:environment:dev",
    f"repo:{REPOSITORY}:environment:prd-preview",
    f"repo:{REPOSITORY}:pull_request",
    "repo:someone/webstack:environment:prd",
])
def test_prd_deploy_role_answers_only_to_the_prd_environment(sub):
    cap = with_ci("prd")
    deploy, provider = role(cap, "deploy"), provider_arn(cap)
    assert can_assume(deploy, github_token(f"repo:{REPOSITORY}:environment:prd"), provider)
    assert not can_assume(deploy, github_token(sub), provider)


# --- permissions: shape ------------------------------------------------------------------------------------------

def ci_policy_documents(cap: Capture) -> list[dict[str, Any]]:
    return preview_documents(cap) + deploy_documents(cap)


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_no_ci_policy_grants_every_action_of_a_service(stack_name):
    for document in ci_policy_documents(with_ci(stack_name)):
        for statement in as_list(document["Statement"]):
            if statement["Effect"] == "Allow":
                for action in as_list(statement["Action"]):
                    assert action != "*" and not action.endswith(":*"), (statement["Sid"], action)


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_grants_on_every_resource_are_held_to_the_stacks_regions(stack_name):
    for document in ci_policy_documents(with_ci(stack_name)):
        for statement in as_list(document["Statement"]):
            if statement["Effect"] == "Allow" and "*" in as_list(statement["Resource"]):
                regions = statement.get("Condition", {}).get("StringEquals", {}).get("aws:RequestedRegion")
                # Chatbot's API answers in a few regions only; the provider calls it in chatbot_region.
                chatbot = all(a.startswith("chatbot:") for a in as_list(statement["Action"]))
                expected = {chatbot_region(REGION)} if chatbot else {REGION, "us-east-1"}
                assert regions and set(as_list(regions)) <= expected, statement["Sid"]


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_only_actions_without_a_resource_type_are_granted_on_every_resource(stack_name):
    for document in ci_policy_documents(with_ci(stack_name)):
        for statement in as_list(document["Statement"]):
            if statement["Effect"] == "Allow" and "*" in as_list(statement["Resource"]):
                assert set(as_list(statement["Action"])) <= set(NO_RESOURCE_TYPE_ACTIONS), statement["Sid"]


def test_the_policy_pack_allows_the_actions_without_a_resource_type():
    config = json.loads((PROJECT_ROOT / "policies" / "policy-config.json").read_text())
    allowed = set(config["iam-no-wildcard-resource"]["allowedWildcardResourceActions"])
    assert set(NO_RESOURCE_TYPE_ACTIONS) <= allowed, sorted(set(NO_RESOURCE_TYPE_ACTIONS) - allowed)


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_ci_policies_fit_iams_size_limits(stack_name):
    cap = with_ci(stack_name)
    deploy = role(cap, "deploy")
    attachments = [a for a in cap.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                   if a.inputs["role"] == deploy.state["name"]]
    assert len(attachments) <= 10, "the default quota of managed policies per role"
    for policy in cap.of_type("aws:iam/policy:Policy"):
        if policy.name.startswith(f"webstack-{stack_name}-ci-"):
            assert len(re.sub(r"\s", "", policy.inputs["policy"])) <= 6144, policy.name
    inline = sum(len(re.sub(r"\s", "", json.dumps(d))) for d in preview_documents(cap))
    assert inline <= 10240


# --- permissions: the preview role -------------------------------------------------------------------------------

def test_preview_reads_configuration_the_stacks_parameters_and_state():
    documents = preview_documents(with_ci("prd"))
    for action in ("ec2:DescribeVpcs", "ecs:DescribeServices", "elasticloadbalancing:DescribeLoadBalancers"):
        assert allows(documents, action), action
    for action, resource in [("iam:GetRole", iam_arn("role/webstack-prd-api-task-0123456")),
                             ("dynamodb:DescribeTable", arn("dynamodb", "table/webstack-prd-items-0123456")),
                             ("s3:GetBucketPolicy", "arn:aws:s3:::webstack-prd-site-0123456"),
                             ("cloudfront:GetDistribution", f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E1")]:
        assert allows(documents, action, resource, {"aws:RequestedRegion": "us-east-1"}), action
    assert allows(documents, "cloudfront:ListCachePolicies", context={"aws:RequestedRegion": "us-east-1"})
    assert allows(documents, "ssm:GetParameter", arn("ssm", "parameter/webstack/prd/api/image-tag"))
    ami = "ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    assert allows(documents, "ssm:GetParameter", f"arn:aws:ssm:{REGION}::parameter/aws/service/{ami}")
    assert allows(documents, "s3:GetObject", "arn:aws:s3:::acme-pulumi-state/.pulumi/stacks/webstack/prd.json")
    assert allows(documents, "kms:Decrypt", CI["prd"]["secretsKeyArn"])


def test_preview_reads_no_data():
    cap = with_ci("prd")
    documents = preview_documents(cap)
    bucket = cap.outputs["imagesBucketName"]
    table = cap.outputs["tableName"]
    for action, resource in [
        ("s3:GetObject", f"arn:aws:s3:::{bucket}/images/banana.jpg"),
        ("s3:GetObjectVersion", f"arn:aws:s3:::{bucket}/images/banana.jpg"),
        # it may list the stack's own buckets (a refresh's HeadBucket), never another's
        ("s3:ListBucket", "arn:aws:s3:::payroll-exports"),
        ("dynamodb:GetItem", arn("dynamodb", f"table/{table}")),
        ("dynamodb:Scan", arn("dynamodb", f"table/{table}")),
        ("dynamodb:Query", arn("dynamodb", f"table/{table}")),
        ("logs:GetLogEvents", arn("logs", "log-group:/ecs/webstack-prd-api:log-stream:x")),
        ("logs:FilterLogEvents", arn("logs", "log-group:/ecs/webstack-prd-api")),
        ("ssm:GetParameter", arn("ssm", "parameter/other-app/database-password")),
        ("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:anything")),
        ("kms:Decrypt", arn("kms", "key/another-key")),
        ("s3:GetObject", "arn:aws:s3:::acme-pulumi-state/.pulumi/stacks/webstack/dev.json"),
        ("wafv2:GetSampledRequests", "*"),
        ("ecr:BatchGetImage", arn("ecr", "repository/webstack-prd-api")),
    ]:
        assert not allows(documents, action, resource), (action, resource)


def test_preview_changes_nothing():
    documents = preview_documents(with_ci("prd"))
    for action, resource in [
        ("ec2:CreateVpc", "*"), ("ec2:RunInstances", "*"), ("iam:CreateRole", iam_arn("role/webstack-prd-x")),
        ("iam:PassRole", iam_arn("role/webstack-prd-x")), ("s3:PutObject", "arn:aws:s3:::webstack-prd-site/x"),
        ("s3:PutObject", "arn:aws:s3:::acme-pulumi-state/.pulumi/stacks/webstack/prd.json"),
        ("ssm:PutParameter", arn("ssm", "parameter/webstack/prd/api/image-tag")),
        ("ecs:UpdateService", arn("ecs", "service/webstack-prd-api-cluster/x")),
        ("cloudfront:CreateInvalidation", f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E1"),
        ("kms:Encrypt", CI["prd"]["secretsKeyArn"]),
    ]:
        assert not allows(documents, action, resource), (action, resource)


# --- permissions: the deploy role --------------------------------------------------------------------------------

def _resource_under_test(cap: Capture, res: Resource) -> tuple[str, str, dict[str, str]] | None:
    """(a write action, the ARN, request context) that deploying `res` needs, for named resources."""
    name = res.state.get("name")
    context: dict[str, str] = {}
    match res.type:
        case "aws:iam/role:Role":
            # Roles are created only with the stack's boundary; the request names the boundary the role carries.
            boundary = res.inputs.get("permissionsBoundary")
            return "iam:CreateRole", iam_arn(f"role/{name}"), {"iam:PermissionsBoundary": boundary} if boundary else {}
        case "aws:iam/instanceProfile:InstanceProfile":
            return "iam:CreateInstanceProfile", iam_arn(f"instance-profile/{name}"), context
        case "aws:iam/policy:Policy":
            return "iam:CreatePolicy", iam_arn(f"policy/{name}"), context
        case "aws:s3/bucket:Bucket" | "aws:s3/bucketV2:BucketV2":
            return "s3:CreateBucket", f"arn:aws:s3:::{res.state['bucket']}", context
        case "aws:dynamodb/table:Table":
            return "dynamodb:CreateTable", arn("dynamodb", f"table/{name}"), context
        case "aws:cloudwatch/logGroup:LogGroup":
            return "logs:CreateLogGroup", arn("logs", f"log-group:{name}"), context
        case "aws:ecr/repository:Repository":
            return "ecr:CreateRepository", arn("ecr", f"repository/{name}"), context
        case "aws:ecs/cluster:Cluster":
            return "ecs:CreateCluster", arn("ecs", f"cluster/{name}"), context
        case "aws:ecs/service:Service":
            cluster = cap.by_id(res.inputs["cluster"]) or next(
                c for c in cap.of_type("aws:ecs/cluster:Cluster") if c.state.get("arn") == res.inputs["cluster"])
            return "ecs:CreateService", arn("ecs", f"service/{cluster.state['name']}/{name}"), context
        case "aws:ecs/taskDefinition:TaskDefinition":
            return "ecs:TagResource", arn("ecs", f"task-definition/{res.inputs['family']}:1"), context
        case "aws:lb/loadBalancer:LoadBalancer":
            return "elasticloadbalancing:CreateLoadBalancer", arn("elasticloadbalancing",
                                                                  f"loadbalancer/app/{name}/0123456789"), context
        case "aws:lb/targetGroup:TargetGroup":
            return "elasticloadbalancing:CreateTargetGroup", arn("elasticloadbalancing",
                                                                 f"targetgroup/{name}/0123456789"), context
        case "aws:sns/topic:Topic":
            return "sns:CreateTopic", arn("sns", name), context
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return "cloudwatch:PutMetricAlarm", arn("cloudwatch", f"alarm:{name}"), context
        case "aws:ssm/parameter:Parameter":
            # with the provider's default tags: the account-wide ownership record is held by the stack tag
            return "ssm:PutParameter", arn("ssm", f"parameter{name}"), {
                "aws:RequestTag/project": "webstack", "aws:RequestTag/stack": cap.stack}
        case "aws:sqs/queue:Queue":
            return "sqs:CreateQueue", arn("sqs", name), context
        case "aws:cloudwatch/eventRule:EventRule":
            return "events:PutRule", arn("events", f"rule/{name}"), context
        case "aws:cloudwatch/dashboard:Dashboard":
            dashboard = res.inputs["dashboardName"]
            return "cloudwatch:PutDashboard", f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{dashboard}", context
        case "aws:cloudfront/function:Function":
            return "cloudfront:UpdateFunction", f"arn:aws:cloudfront::{ACCOUNT_ID}:function/{name}", context
        case "aws:lambda/function:Function":
            return "lambda:CreateFunction", arn("lambda", f"function:{name}"), context
        case "aws:wafv2/ipSet:IpSet":
            return ("wafv2:CreateIPSet", arn("wafv2", f"global/ipset/{name}/0123", region="us-east-1"),
                    {"aws:RequestedRegion": "us-east-1"})
        case "aws:cloudwatch/logDeliverySource:LogDeliverySource":
            return ("logs:PutDeliverySource", arn("logs", f"delivery-source:{name}", region="us-east-1"),
                    {"aws:RequestedRegion": "us-east-1"})
        case "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination":
            return ("logs:PutDeliveryDestination", arn("logs", f"delivery-destination:{name}", region="us-east-1"),
                    {"aws:RequestedRegion": "us-east-1"})
        case "aws:wafv2/webAcl:WebAcl":
            return ("wafv2:CreateWebACL", arn("wafv2", f"global/webacl/{name}/0123", region="us-east-1"),
                    {"aws:RequestedRegion": "us-east-1"})
        case "aws:kms/key:Key":
            return "kms:PutKeyPolicy", arn("kms", "key/0123"), {
                "aws:ResourceTag/project": "webstack", "aws:ResourceTag/stack": cap.stack}
    return None


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_deploy_role_can_manage_every_named_resource_of_the_stack(stack_name):
    cap = with_ci(stack_name)
    documents = deploy_documents(cap)
    # The CI access and the role boundary are an administrator's to change (tested below).
    administered = {r.urn for r in cap.descendants_of(ci_component(cap))} | {
        r.urn for r in cap.descendants_of(cap.one("webstack:iam:RoleBoundary"))}
    checked = []
    for res in cap.custom_resources:
        if res.urn in administered:
            continue
        request = _resource_under_test(cap, res)
        if request is None:
            continue
        action, resource, context = request
        assert allows(documents, action, resource, context), f"{res.type} {res.name}: {action} on {resource}"
        checked.append(res.type)
    assert {"aws:iam/role:Role", "aws:s3/bucket:Bucket", "aws:dynamodb/table:Table",
            "aws:cloudwatch/logGroup:LogGroup", "aws:ecr/repository:Repository", "aws:ecs/cluster:Cluster",
            "aws:lb/loadBalancer:LoadBalancer", "aws:ssm/parameter:Parameter", "aws:sqs/queue:Queue",
            "aws:cloudwatch/dashboard:Dashboard", "aws:cloudfront/function:Function",
            "aws:cloudwatch/logDeliverySource:LogDeliverySource"} <= set(checked)
    if stack_name == "prd":  # the account detection, the release probe and the web ACL's IP set
        assert {"aws:cloudwatch/eventRule:EventRule", "aws:lambda/function:Function",
                "aws:wafv2/ipSet:IpSet"} <= set(checked)


def test_kms_keys_are_managed_only_when_tagged_for_the_stack():
    cap = with_ci("dev")
    provider = cap.one("pulumi:providers:aws", where=lambda r: r.name == "webstack-dev-aws")
    tags = policy_document(provider.inputs["defaultTags"])["tags"]  # providers receive objects as JSON text
    assert (tags["project"], tags["stack"]) == ("webstack", "dev")  # what the tag condition relies on
    documents = deploy_documents(cap)
    key = arn("kms", "key/0123")
    assert allows(documents, "kms:ScheduleKeyDeletion", key,
                  {"aws:ResourceTag/project": "webstack", "aws:ResourceTag/stack": "dev"})
    assert not allows(documents, "kms:ScheduleKeyDeletion", key,
                      {"aws:ResourceTag/project": "webstack", "aws:ResourceTag/stack": "prd"})
    assert not allows(documents, "kms:ScheduleKeyDeletion", key)
    assert not allows(documents, "kms:CreateKey", "*", {"aws:RequestTag/project": "other"})


def test_dev_deploy_role_cannot_touch_production_or_other_applications():
    documents = deploy_documents(with_ci("dev"))
    for action, resource in [
        ("s3:PutObject", "arn:aws:s3:::webstack-prd-site-0123456/index.html"),
        ("s3:DeleteBucket", "arn:aws:s3:::payroll-exports"),
        ("dynamodb:DeleteTable", arn("dynamodb", "table/webstack-prd-items-0123456")),
        ("dynamodb:GetItem", arn("dynamodb", "table/customers")),
        ("iam:CreateRole", iam_arn("role/admin")),
        ("iam:PutRolePolicy", iam_arn("role/webstack-prd-api-task-0123456")),
        ("ecs:UpdateService", arn("ecs", "service/webstack-prd-api-cluster-0123456/svc")),
        ("ecr:PutImage", arn("ecr", "repository/webstack-prd-api-repo-0123456")),
        ("ssm:PutParameter", arn("ssm", "parameter/webstack/prd/api/image-tag")),
        ("logs:DeleteLogGroup", arn("logs", "log-group:/ecs/webstack-prd-api")),
        ("ec2:CreateVpc", arn("ec2", "vpc/*", region="us-west-2")),
        ("ec2:CreateSnapshot", "*"), ("ec2:ModifySnapshotAttribute", "*"), ("ec2:ModifyImageAttribute", "*"),
        ("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:anything")),
    ]:
        context = {"aws:RequestedRegion": resource.split(":")[3]} if resource.startswith("arn:aws:ec2") else None
        assert not allows(documents, action, resource, context), (action, resource)


def test_account_detection_is_changed_only_by_the_stack_that_owns_it():
    """The trail, the detector and the ownership record have account-wide names or generated ids: each stack's
    deploy role changes only those tagged as its own, so dev's pipeline cannot stop or delete prd's detection."""
    trail = arn("cloudtrail", f"trail/{TRAIL_NAME}")
    detector = arn("guardduty", "detector/12abc34d567e8fa901bc2d34e56789f0")
    record = arn("ssm", f"parameter{OWNER_PARAMETER}")
    changes = [("cloudtrail:StopLogging", trail), ("cloudtrail:DeleteTrail", trail),
               ("cloudtrail:PutEventSelectors", trail), ("guardduty:DeleteDetector", detector),
               ("guardduty:UpdateDetector", detector), ("ssm:DeleteParameter", record), ("ssm:PutParameter", record)]
    for stack in ("dev", "prd"):
        documents = deploy_documents(with_ci(stack))
        for owner in ("dev", "prd"):
            tags = {"aws:ResourceTag/project": "webstack", "aws:ResourceTag/stack": owner}
            for action, resource in changes:
                assert allows(documents, action, resource, tags) == (owner == stack), (stack, owner, action)
            assert not allows(documents, "cloudtrail:DeleteTrail", trail), "untagged"
        claim = {"aws:RequestTag/project": "webstack", "aws:RequestTag/stack": stack}
        assert allows(documents, "cloudtrail:CreateTrail", trail, claim)
        assert not allows(documents, "cloudtrail:CreateTrail", arn("cloudtrail", "trail/other"), claim)
        assert not allows(documents, "cloudtrail:CreateTrail", trail,
                          {"aws:RequestTag/project": "webstack", "aws:RequestTag/stack": "other"})
        assert allows(documents, "guardduty:CreateDetector", "*", {"aws:RequestedRegion": REGION, **claim})
        assert not allows(documents, "guardduty:CreateDetector", "*", {"aws:RequestedRegion": REGION})


def test_resources_with_generated_ids_are_the_stacks_by_its_tags():
    documents = deploy_documents(with_ci("dev"))
    pool = arn("cognito-idp", f"userpool/{REGION}_a1B2c3D4e")
    dev = {"aws:ResourceTag/project": "webstack", "aws:ResourceTag/stack": "dev"}
    prd = {"aws:ResourceTag/project": "webstack", "aws:ResourceTag/stack": "prd"}
    for action in ("cognito-idp:DeleteUserPool", "cognito-idp:CreateGroup", "cognito-idp:UpdateUserPoolClient"):
        assert allows(documents, action, pool, dev), action
        assert not allows(documents, action, pool, prd), action
    assert allows(documents, "cognito-idp:CreateUserPool", "*",
                  {"aws:RequestedRegion": REGION, "aws:RequestTag/project": "webstack", "aws:RequestTag/stack": "dev"})
    assert not allows(documents, "cognito-idp:CreateUserPool", "*", {"aws:RequestedRegion": REGION})
    created = {"aws:RequestedRegion": "us-east-1", "aws:RequestTag/project": "webstack", "aws:RequestTag/stack": "dev"}
    for action in ("cloudfront:CreateDistribution", "cloudfront:CreateVpcOrigin", "cloudfront:CreateFunction"):
        assert allows(documents, action, "*", created), action
        assert not allows(documents, action, "*", {"aws:RequestedRegion": "us-east-1"}), action


def test_the_chat_channel_is_configured_where_chatbot_answers():
    documents = deploy_documents(with_ci("dev"))
    channel = f"arn:aws:chatbot::{ACCOUNT_ID}:chat-configuration/slack-channel/webstack-dev-alarms"
    assert chatbot_region(REGION) == "us-west-2" and chatbot_region("eu-west-1") == "eu-west-1"
    tags = {"aws:RequestTag/project": "webstack", "aws:RequestTag/stack": "dev"}
    create = "chatbot:CreateSlackChannelConfiguration"
    assert allows(documents, create, "*", {"aws:RequestedRegion": "us-west-2", **tags})
    assert not allows(documents, create, "*", {"aws:RequestedRegion": REGION, **tags})
    assert allows(documents, "chatbot:DeleteSlackChannelConfiguration", channel)
    assert not allows(documents, "chatbot:DeleteSlackChannelConfiguration",
                      channel.replace("webstack-dev-", "webstack-prd-"))


def test_the_web_acl_log_bucket_is_the_stacks_by_its_waf_name():
    documents = deploy_documents(with_ci("dev"))
    assert allows(documents, "s3:CreateBucket", "arn:aws:s3:::aws-waf-logs-webstack-dev-logs-0123456")
    assert allows(documents, "s3:GetBucketPolicy", "arn:aws:s3:::aws-waf-logs-webstack-dev-logs-0123456")
    for bucket in ("aws-waf-logs-webstack-prd-logs-0123456", "aws-waf-logs-other"):
        assert not allows(documents, "s3:PutBucketPolicy", f"arn:aws:s3:::{bucket}"), bucket


def test_deploy_role_cannot_change_ci_access_or_borrow_its_policies():
    cap = with_ci("dev")
    documents = deploy_documents(cap)
    own_policy = next(p.state["arn"] for p in cap.of_type("aws:iam/policy:Policy") if "-ci-deploy-" in p.name)
    task_role = iam_arn("role/webstack-dev-api-task-0123456")
    for action, resource in [
        ("iam:PutRolePolicy", iam_arn("role/webstack-dev-ci-deploy")),
        ("iam:UpdateAssumeRolePolicy", iam_arn("role/webstack-dev-ci-deploy")),
        ("iam:UpdateAssumeRolePolicy", iam_arn("role/webstack-dev-ci-preview")),
        ("iam:CreatePolicyVersion", own_policy),
        ("iam:DeleteOpenIDConnectProvider", iam_arn(f"oidc-provider/{OIDC_HOST}")),
        ("iam:UpdateOpenIDConnectProviderThumbprint", iam_arn(f"oidc-provider/{OIDC_HOST}")),
    ]:
        assert not allows(documents, action, resource), (action, resource)
    within = {"iam:PermissionsBoundary": boundary_arn(cap)}
    assert allows(documents, "iam:PutRolePolicy", task_role, within)
    assert not allows(documents, "iam:AttachRolePolicy", task_role, {"iam:PolicyARN": own_policy, **within})
    assert not allows(documents, "iam:AttachRolePolicy", task_role,
                      {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess", **within})
    assert allows(documents, "iam:AttachRolePolicy", iam_arn("role/webstack-dev-nat-role-0123456"),
                  {"iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", **within})


ROLE_PERMISSION_CHANGES = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                           "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy", "iam:DetachRolePolicy"]


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
@pytest.mark.parametrize("action", ROLE_PERMISSION_CHANGES)
def test_deploy_role_gives_roles_permissions_only_within_the_boundary(stack_name, action):
    cap = with_ci(stack_name)
    documents = deploy_documents(cap)
    stack_role = iam_arn(f"role/webstack-{stack_name}-api-task-0123456")
    # AttachRolePolicy/DetachRolePolicy: one of the policies the deploy role may attach at all.
    request = {"iam:PolicyARN": iam_arn(f"policy/webstack-{stack_name}-app-0123456")}
    assert allows(documents, action, stack_role, {**request, "iam:PermissionsBoundary": boundary_arn(cap)})
    assert not allows(documents, action, stack_role, request), "without a boundary"
    for other in (iam_arn(f"policy/webstack-{stack_name}-ci-deploy-identity-0123456"),
                  iam_arn(f"policy/webstack-{stack_name}-wide-0123456"), "arn:aws:iam::aws:policy/AdministratorAccess"):
        assert not allows(documents, action, stack_role, {**request, "iam:PermissionsBoundary": other}), other


def test_deploy_role_cannot_lift_or_rewrite_the_boundary():
    cap = with_ci("dev")
    documents = deploy_documents(cap)
    boundary = boundary_arn(cap)
    within = {"iam:PermissionsBoundary": boundary}
    denied = {(action, resource) for document in documents for statement in as_list(document["Statement"])
              if statement["Effect"] == "Deny"
              for action in as_list(statement["Action"]) for resource in as_list(statement["Resource"])}
    task_role = iam_arn("role/webstack-dev-api-task-0123456")
    assert ("iam:DeleteRolePermissionsBoundary", iam_arn("role/webstack-dev-*")) in denied
    assert not allows(documents, "iam:DeleteRolePermissionsBoundary", task_role, within)
    for action in ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                   "iam:SetDefaultPolicyVersion"):
        assert (action, boundary) in denied, action
        assert not allows(documents, action, boundary, within), action
    # The deny names the boundary alone: the stack's other managed policies stay the pipeline's.
    for action in ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion"):
        assert allows(documents, action, iam_arn("policy/webstack-dev-app-0123456")), action


def test_a_role_made_to_trust_another_account_gets_only_the_boundary():
    """iam:UpdateAssumeRolePolicy takes no boundary condition; the boundary is what holds then."""
    cap = with_ci("dev")
    documents = deploy_documents(cap)
    assert allows(documents, "iam:UpdateAssumeRolePolicy", iam_arn("role/webstack-dev-api-task-0123456"))
    assert not allows(documents, "iam:DeleteRolePermissionsBoundary", iam_arn("role/webstack-dev-api-task-0123456"))
    boundary = [policy_document(cap.one("aws:iam/policy:Policy",
                                        where=lambda p: p.name == "webstack-dev-boundary").inputs["policy"])]
    for action, resource in [
        ("iam:CreateRole", iam_arn("role/webstack-dev-x")), ("iam:PassRole", iam_arn("role/webstack-dev-x")),
        ("sts:AssumeRole", iam_arn("role/OrganizationAccountAccessRole")),
        ("s3:GetObject", "arn:aws:s3:::payroll-exports/2026.csv"), ("s3:PutObject", "arn:aws:s3:::webstack-dev-x/y"),
        ("dynamodb:DeleteTable", arn("dynamodb", "table/webstack-dev-items-0123456")),
        ("dynamodb:GetItem", arn("dynamodb", "table/webstack-prd-items-0123456")),
        ("ssm:GetParameter", arn("ssm", "parameter/prod/database-password")),
        ("ssm:UpdateInstanceInformation", "*"),
    ]:
        assert not allows(boundary, action, resource), (action, resource)


def test_deploy_role_may_create_interface_endpoints_with_private_dns():
    cap = with_ci("prd")
    assert all(e.inputs.get("privateDnsEnabled") for e in cap.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
               if e.inputs["vpcEndpointType"] == "Interface")
    documents = deploy_documents(cap)
    assert allows(documents, "ec2:CreateVpcEndpoint", arn("ec2", "vpc-endpoint/*"))
    for action in ("route53:AssociateVPCWithHostedZone", "route53:DisassociateVPCFromHostedZone"):
        assert allows(documents, action, "arn:aws:route53:::hostedzone/Z0123456789"), action
        assert not allows(documents, action, "arn:aws:route53:::change/C1"), action


def test_deploy_role_passes_stack_roles_only_to_the_services_that_run_them():
    documents = deploy_documents(with_ci("dev"))
    task_role = iam_arn("role/webstack-dev-api-task-0123456")
    for service in ("ecs-tasks.amazonaws.com", "ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com",
                    "ecs.amazonaws.com", "chatbot.amazonaws.com", "lambda.amazonaws.com"):
        assert allows(documents, "iam:PassRole", task_role, {"iam:PassedToService": service})
    for service in ("glue.amazonaws.com", "cloudformation.amazonaws.com", "events.amazonaws.com"):
        assert not allows(documents, "iam:PassRole", task_role, {"iam:PassedToService": service}), service
    assert not allows(documents, "iam:PassRole", task_role)
    assert not allows(documents, "iam:PassRole", iam_arn("role/OrganizationAccountAccessRole"),
                      {"iam:PassedToService": "ec2.amazonaws.com"})


def test_deploy_role_rolls_out_images_and_frontends_of_its_own_stack():
    cap = with_ci("dev")
    documents = deploy_documents(cap)
    repository = next(r.state["name"] for r in cap.of_type("aws:ecr/repository:Repository"))
    assert allows(documents, "ecr:GetAuthorizationToken")
    assert allows(documents, "ecr:PutImage", arn("ecr", f"repository/{repository}"))
    assert allows(documents, "cloudfront:CreateInvalidation", f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E1",
                  {"aws:RequestedRegion": "us-east-1"})
    assert allows(documents, "ssm:GetParameter", arn("ssm", "parameter/webstack/dev/api/image-tag"))


def test_each_deploy_role_writes_only_its_own_stacks_state():
    documents = deploy_documents(with_ci("prd"))
    state = "arn:aws:s3:::acme-pulumi-state"
    for key in (".pulumi/stacks/webstack/prd.json", ".pulumi/stacks/webstack/prd.json.bak",
                "team/.pulumi/stacks/webstack/prd.json", ".pulumi/history/webstack/prd/prd-1.history.json",
                ".pulumi/backups/webstack/prd/prd.1.json", ".pulumi/locks/webstack/prd/lock.json"):
        assert allows(documents, "s3:PutObject", f"{state}/{key}"), key
    for key in (".pulumi/stacks/webstack/dev.json", ".pulumi/stacks/other/prd.json",
                ".pulumi/history/webstack/dev/dev-1.history.json", ".pulumi/locks/webstack/prd2/lock.json"):
        assert not allows(documents, "s3:PutObject", f"{state}/{key}"), key
    assert allows(documents, "kms:Encrypt", CI["prd"]["secretsKeyArn"])


# --- configuration errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, key", [
    ({"repository": "OWNER/REPO"}, "webstack:ci.repository"),
    ({"repository": "acme/*"}, "webstack:ci.repository"),
    ({"repository": "https://github.com/acme/webstack"}, "webstack:ci.repository"),
    ({"repository": "acme"}, "webstack:ci.repository"),
    ({}, "webstack:ci.repository"),
    ({"repository": REPOSITORY, "deployBranch": "release/*"}, "webstack:ci.deployBranch"),
    ({"repository": REPOSITORY, "deployEnvironment": "pr?"}, "webstack:ci.deployEnvironment"),
    ({"repository": REPOSITORY, "oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
     "webstack:ci.oidcProviderArn"),
    ({"repository": REPOSITORY, "stateBucket": "s3://acme-pulumi-state"}, "webstack:ci.stateBucket"),
    ({"repository": REPOSITORY, "secretsKeyArn": "alias/pulumi"}, "webstack:ci.secretsKeyArn"),
    ({"repository": REPOSITORY, "deployRole": "admin"}, "webstack:ci.deployRole"),
])
def test_bad_ci_settings_stop_before_any_resource_naming_the_key(settings, key):
    with pytest.raises(StackRunFailed) as failure:
        run_stack("dev", {"webstack:ci": settings})
    assert key in str(failure.value.error)
    assert failure.value.capture.custom_resources == []


def test_the_placeholder_repository_is_refused_with_what_to_do():
    with pytest.raises(StackRunFailed) as failure:
        run_stack("dev", {"webstack:ci": {"repository": "OWNER/REPO"}})
    assert "set your repository's owner/name" in str(failure.value.error)


def test_deploy_branch_setting_moves_the_deploy_trust():
    cap = run_stack("dev", {"webstack:ci": {"repository": REPOSITORY, "deployBranch": "trunk"}})
    deploy, provider = role(cap, "deploy"), provider_arn(cap)
    assert can_assume(deploy, github_token(f"repo:{REPOSITORY}:ref:refs/heads/trunk"), provider)
    assert not can_assume(deploy, github_token(f"repo:{REPOSITORY}:ref:refs/heads/main"), provider)
