"""CiAccess: how GitHub Actions reaches this stack's AWS account, with no stored keys.

GitHub signs a short-lived OIDC token for every job; STS trades it for a role session when the role's trust
policy matches the token's claims. Every trust here pins both claims AWS can check:

- `aud` = `sts.amazonaws.com` (what aws-actions/configure-aws-credentials asks for), and
- `sub` = exactly one subject of the configured repository, compared with StringEquals (no wildcards):
  - preview role: `repo:<owner>/<repo>:pull_request` — jobs of pull requests. GitHub gives no token to the
    `pull_request` runs of forks, so only branches of the repository itself get here.
  - deploy role: `repo:<owner>/<repo>:ref:refs/heads/<deployBranch>` — jobs of the main branch; or, with
    `deployEnvironment`, only `repo:<owner>/<repo>:environment:<name>` (GitHub replaces the ref by the
    environment in `sub` when a job runs in one, so that environment's required reviewers and branch rules gate
    every session).

Sessions last at most an hour.

What the roles may do:

- Preview runs the pull request's own code, so its role only reads *configuration* (describe/list/get of the
  services the program uses), the stack's SSM parameters, the public AMI parameter and the stack's state. It
  cannot read data: no S3 objects outside the state, no DynamoDB items, no log events, no other SSM parameters.
  It may list the stack's buckets, because S3 authorizes a refresh's HeadBucket as s3:ListBucket: that shows
  object keys, never their contents. Refreshing the seed items and the uploaded objects would read them, so the
  preview role does not refresh those (provider_calls/calls.yaml marks such reads).
  AWS's `ReadOnlyAccess` would grant all of those, and `ViewOnlyAccess` misses the reads a Pulumi preview makes.
- Deploy may change exactly the services the program declares. Where a service names resources in its ARNs,
  the grant is limited to names starting with the stack's prefix (`webstack-dev-…`): IAM roles, policies and
  instance profiles, S3 buckets (and the web ACL's `aws-waf-logs-webstack-dev-…`), the DynamoDB table, SQS
  queues, ECS, ECR, Lambda, load balancers and their rules, log groups, SNS, alarms, the dashboard, EventBridge
  rules, CloudFront functions, CloudWatch log delivery sources and destinations, the Chatbot channel, SSM
  parameters under `/webstack/<stack>/`, WAF web ACLs and IP sets. KMS keys, Cognito user pools and the GuardDuty
  detector carry generated ids, and the account's trail and its ownership record (`/webstack/account/…`) fixed
  account-wide names: those are created only with the stack's tags and changed only while they carry them, which
  the provider's default tags put on everything, so no stack's pipeline touches another's. EC2, CloudFront, ACM,
  Route 53, Application Auto Scaling and log deliveries name resources by generated ids only; those grants list
  the actions the program needs, limited to this account and the regions the calls go to (the stack's, us-east-1,
  and for Chatbot's API the region the provider sends it to). Each statement says why it is as wide as it is.
- The deploy role cannot change the CI access itself (the OIDC provider, the CI roles and their policies): an
  explicit Deny, so a workflow cannot widen its own rights. Create and change CI access with an administrator's
  `pulumi up`. The resources are protected, so destroying dev from the pipeline keeps them.
- A role that manages IAM roles can give them permissions. Here every role it creates, and every policy it puts
  on or attaches to one, must come with the stack's permissions boundary (components/boundary.py), which it can
  neither remove from a role nor rewrite: a stack role, whatever its policies or trust, can do no more than the
  stack's own roles need. Beyond that, roles are scoped to the stack's prefix, iam:PassRole goes only to the
  services that run the stack's roles, and managed-policy attachments are limited to the stack's own policies and
  the one AWS policy the NAT instance uses. The deploy role still answers only to the main branch and, for
  production, to a reviewed environment.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.account import TRAIL_NAME
from components.policy_documents import allow, deny, document
from components.providers import GLOBAL_REGION
from stack_config.ci import CiConfig

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
MAX_SESSION_SECONDS = 3600
# The one AWS-managed policy a role of the stack attaches (the NAT instance's Session Manager access).
ATTACHABLE_AWS_POLICIES = ("AmazonSSMManagedInstanceCore",)
# Services that run the stack's roles, the only ones iam:PassRole may hand them to: ECS tasks, the NAT instance,
# flow logs, ECS itself (a blue/green release's load-balancer role and the release hook's role, both passed in the
# service's deployment settings), the Chatbot channel and the release probe's Lambda function.
ROLE_CONSUMERS = ("ecs-tasks.amazonaws.com", "ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com", "ecs.amazonaws.com",
                  "chatbot.amazonaws.com", "lambda.amazonaws.com")
# The deploy role's managed policies: together they exceed the 10,240 characters IAM allows inline per role, and
# each stays under the 6,144 of one managed policy; ten is IAM's default quota of managed policies per role.
DEPLOY_POLICY_PARTS = ("read", "read-services", "network", "compute", "identity", "storage", "edge", "operations")
# Service-linked roles AWS creates on first use of: ECS, the ALB, ECS service autoscaling, CloudFront VPC origins,
# CloudWatch alarm actions on EC2 (the NAT instance's recovery), GuardDuty and Chatbot. CloudWatch Logs' vended
# deliveries (CloudFront's logs, WAF's to a bucket) use no such role: the bucket policy admits the delivery service.
SERVICE_LINKED_ROLES = ("ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com",
                        "ecs.application-autoscaling.amazonaws.com", "vpcorigin.cloudfront.amazonaws.com",
                        "events.amazonaws.com", "guardduty.amazonaws.com", "management.chatbot.amazonaws.com")
# Chatbot's API answers in these regions only; from any other, the provider sends its calls to us-west-2
# (internal/service/chatbot/service_package.go of the Terraform AWS provider).
CHATBOT_API_REGIONS = ("us-east-2", "us-west-2", "eu-west-1", "ap-southeast-1")
CHATBOT_DEFAULT_REGION = "us-west-2"
# The account-wide detection (components/account.py) has fixed names, the same in every stack.
ACCOUNT_TRAIL = TRAIL_NAME
ACCOUNT_PARAMETERS = "/webstack/account/"

# What EC2 calls the program makes: the VPC, its subnets, routes, gateways, endpoints, security groups, flow logs
# and the NAT instance. Named one by one, so snapshot, AMI and peering changes stay out.
EC2_WRITE_ACTIONS = (
    "ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute",
    "ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute",
    "ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute",
    "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation",
    "ec2:CreateInternetGateway", "ec2:DeleteInternetGateway", "ec2:AttachInternetGateway",
    "ec2:DetachInternetGateway",
    "ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:AssociateNatGatewayAddress",
    "ec2:DisassociateNatGatewayAddress", "ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:AssociateAddress",
    "ec2:DisassociateAddress",
    "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
    "ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints",
    "ec2:CreateFlowLogs", "ec2:DeleteFlowLogs",
    "ec2:RunInstances", "ec2:TerminateInstances", "ec2:StartInstances", "ec2:StopInstances",
    "ec2:ModifyInstanceAttribute", "ec2:ModifyInstanceMetadataOptions", "ec2:ModifyInstanceMaintenanceOptions",
    "ec2:ModifyInstanceCreditSpecification", "ec2:ModifyNetworkInterfaceAttribute",
    "ec2:AssociateIamInstanceProfile", "ec2:DisassociateIamInstanceProfile",
    "ec2:ReplaceIamInstanceProfileAssociation", "ec2:MonitorInstances", "ec2:UnmonitorInstances",
    "ec2:CreateTags", "ec2:DeleteTags",
    # a changed root volume (type, size) of the NAT instance is modified in place
    "ec2:ModifyVolume",
    # deleting a subnet or security group, the provider removes the interfaces a VPC Lambda (the release probe)
    # leaves behind
    "ec2:DeleteNetworkInterface",
)

# Actions AWS defines without a resource type (Service Authorization Reference; for the Describe/List families,
# mostly without one): the only ones granted on Resource "*", each time held to the regions the calls go to.
# policies/policy-config.json allows exactly these under iam-no-wildcard-resource.
UNSCOPED_READ_ACTIONS = (
    "ec2:Describe*", "elasticloadbalancing:Describe*", "ecs:Describe*", "ecs:List*", "logs:DescribeLogGroups",
    "cloudfront:List*", "cloudfront:GetMonitoringSubscription", "wafv2:ListWebACLs", "wafv2:DescribeManagedRuleGroup",
    "acm:ListCertificates", "route53:ListHostedZones", "route53:ListHostedZonesByName", "ssm:DescribeParameters",
    "application-autoscaling:Describe*", "cloudtrail:DescribeTrails",
)
CHATBOT_READ_ACTIONS = ("chatbot:DescribeSlackChannelConfigurations",)
# Creating these takes no resource type either; those that accept tags are created only with the stack's.
TAGGED_CREATE_ACTIONS = ("kms:CreateKey", "cloudfront:CreateDistribution", "cloudfront:CreateVpcOrigin",
                         "cloudfront:CreateFunction", "cognito-idp:CreateUserPool", "guardduty:CreateDetector")
UNSCOPED_WRITE_ACTIONS = (
    "ecs:DeregisterTaskDefinition", "wafv2:CheckCapacity", "acm:RequestCertificate",
    "cloudfront:CreateOriginAccessControl", "cloudfront:CreateCachePolicy", "cloudfront:CreateResponseHeadersPolicy",
    "cloudfront:CreateMonitoringSubscription", "cloudfront:DeleteMonitoringSubscription",
    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "chatbot:CreateSlackChannelConfiguration",
    *TAGGED_CREATE_ACTIONS,
)
NO_RESOURCE_TYPE_ACTIONS = ("ecr:GetAuthorizationToken", *UNSCOPED_READ_ACTIONS, *CHATBOT_READ_ACTIONS,
                            *UNSCOPED_WRITE_ACTIONS)


@dataclass(frozen=True)
class CiAccessArgs:
    config: CiConfig
    prefix: str
    """Name stem of every resource of the stack (`webstack-dev`): the deploy role manages names under it."""
    region: str
    """The stack's region; with us-east-1 (CloudFront's certificate and WAF) the only ones the roles act in."""
    role_boundary_arn: pulumi.Input[str]
    """The stack's RoleBoundary (components/boundary.py): the deploy role creates and changes roles only with it."""


@dataclass(frozen=True)
class Scope:
    """Where one stack lives; every ARN pattern of the policies derives from it."""
    prefix: str
    project: str
    stack: str
    region: str
    account: str
    role_boundary_arn: str
    partition: str = "aws"
    state_bucket: str | None = None
    secrets_key_arn: str | None = None

    def arn(self, service: str, resource: str, region: str | None = None, account: str | None = None) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region is None else region}:" \
               f"{self.account if account is None else account}:{resource}"

    @property
    def regions(self) -> list[str]:
        return sorted({self.region, GLOBAL_REGION})

    @property
    def parameters(self) -> str:
        """The stack's SSM parameters (see components/parameters.py)."""
        return self.arn("ssm", f"parameter/{self.project}/{self.stack}/*")

    @property
    def public_ami_parameters(self) -> str:
        return self.arn("ssm", "parameter/aws/service/*", account="")

    @property
    def account_parameters(self) -> str:
        """The account-wide ownership record of the detection (components/account.py)."""
        return self.arn("ssm", f"parameter{ACCOUNT_PARAMETERS}*")

    @property
    def trail(self) -> str:
        return self.arn("cloudtrail", f"trail/{ACCOUNT_TRAIL}")

    @property
    def buckets(self) -> list[str]:
        """The stack's buckets, and the web ACL's log bucket, which WAF wants named `aws-waf-logs-…`."""
        return [f"arn:{self.partition}:s3:::{self.prefix}-*", f"arn:{self.partition}:s3:::aws-waf-logs-{self.prefix}-*"]

    @property
    def log_groups(self) -> list[str]:
        """The stack's log groups (flow logs), the services' (`/ecs/…`) and the release probe's (`/aws/lambda/…`),
        and their streams."""
        names = [f"{self.prefix}-*", f"/ecs/{self.prefix}-*", f"/aws/lambda/{self.prefix}-*"]
        return [self.arn("logs", f"log-group:{name}{streams}") for name in names for streams in ("", ":*")]

    @property
    def log_deliveries(self) -> list[str]:
        """CloudFront's log delivery in us-east-1: the stack's named sources and destinations, and the deliveries,
        which CloudWatch names by generated ids."""
        return [self.arn("logs", f"delivery-source:{self.prefix}-*", region=GLOBAL_REGION),
                self.arn("logs", f"delivery-destination:{self.prefix}-*", region=GLOBAL_REGION),
                self.arn("logs", "delivery:*", region=GLOBAL_REGION)]

    @property
    def certificates(self) -> list[str]:
        return [self.arn("acm", "certificate/*", region=region) for region in self.regions]

    @property
    def alarms(self) -> list[str]:
        """The stack's alarms, and the target-tracking alarms Application Auto Scaling names after its service."""
        return [self.arn("cloudwatch", f"alarm:{self.prefix}-*"),
                self.arn("cloudwatch", f"alarm:TargetTracking-service/{self.prefix}-*")]

    @property
    def dashboards(self) -> list[str]:
        """Dashboards are global: no region in their ARNs. The stack's is named after the stack itself."""
        return [self.arn("cloudwatch", f"dashboard/{self.prefix}", region=""),
                self.arn("cloudwatch", f"dashboard/{self.prefix}-*", region="")]

    @property
    def chatbot_region(self) -> str:
        return chatbot_region(self.region)

    @property
    def request_tags(self) -> dict[str, str]:
        """A request that creates or tags a resource for this stack (the provider's default tags)."""
        return {"aws:RequestTag/project": self.project, "aws:RequestTag/stack": self.stack}

    @property
    def resource_tags(self) -> dict[str, str]:
        """A resource tagged as this stack's."""
        return {"aws:ResourceTag/project": self.project, "aws:ResourceTag/stack": self.stack}

    def iam(self, resource: str) -> str:
        return self.arn("iam", resource, region="")

    @property
    def ci_resources(self) -> list[str]:
        return [self.iam(f"role/{self.prefix}-ci-*"), self.iam(f"policy/{self.prefix}-ci-*"),
                self.iam(f"oidc-provider/{GITHUB_OIDC_HOST}")]


def subject(repository: str, qualifier: str) -> str:
    return f"repo:{repository}:{qualifier}"


def preview_subjects(config: CiConfig) -> list[str]:
    return [subject(config.repository, "pull_request")]


def deploy_subjects(config: CiConfig) -> list[str]:
    if config.deploy_environment:
        return [subject(config.repository, f"environment:{config.deploy_environment}")]
    return [subject(config.repository, f"ref:refs/heads/{config.deploy_branch}")]


def trust_policy(provider_arn: str, subjects: list[str]) -> dict[str, Any]:
    return document({
        "Sid": "GitHubActionsOfThisRepository",
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                                       f"{GITHUB_OIDC_HOST}:sub": subjects}},
    })


def chatbot_region(region: str) -> str:
    """Where the provider sends Chatbot's calls for a stack in `region`."""
    return region if region in CHATBOT_API_REGIONS else CHATBOT_DEFAULT_REGION


def read_statements(scope: Scope) -> list[dict[str, Any]]:
    """Configuration reads of every service the program uses, as a refresh or a preview makes them; none
    returns stored data (no objects, items, log events or parameter values but the stack's own)."""
    p, n = scope.partition, scope.prefix
    return [
        # Describe/List calls accept no resource but `*`; the region condition keeps them to the stack's regions
        # (global services such as IAM, CloudFront and Route 53 count as us-east-1).
        allow("DescribeAndListInTheStacksRegions", UNSCOPED_READ_ACTIONS, "*",
              StringEquals={"aws:RequestedRegion": scope.regions}),
        # Chatbot answers in a few regions only, where the provider sends its calls (chatbot_region).
        allow("DescribeChatChannels", CHATBOT_READ_ACTIONS, "*",
              StringEquals={"aws:RequestedRegion": scope.chatbot_region}),
        allow("ReadTheStacksIdentities", (
            "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
            "iam:ListRoleTags", "iam:GetInstanceProfile", "iam:ListInstanceProfilesForRole", "iam:GetPolicy",
            "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:GetOpenIDConnectProvider",
        ), [scope.iam(f"role/{n}-*"), scope.iam(f"instance-profile/{n}-*"), scope.iam(f"policy/{n}-*"),
            scope.iam(f"oidc-provider/{GITHUB_OIDC_HOST}")]),
        # The provider finds a bucket with HeadBucket, which S3 authorizes as s3:ListBucket: every refresh of a
        # bucket needs it. It lists keys, never objects. WAF writes only to buckets named aws-waf-logs-….
        allow("FindTheStacksBuckets", ("s3:ListBucket",), scope.buckets),
        allow("ReadTheStacksBucketSettings", (
            "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
            "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration", "s3:ListTagsForResource",
        ), scope.buckets),
        allow("ReadTheStacksTableSettings", (
            "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive",
            "dynamodb:ListTagsOfResource",
        ), scope.arn("dynamodb", f"table/{n}-*")),
        allow("ReadTheStacksRepositorySettings", (
            "ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:ListImages", "ecr:GetLifecyclePolicy",
            "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource",
        ), scope.arn("ecr", f"repository/{n}-*")),
        allow("ReadTheStacksLogGroupSettings", ("logs:ListTagsForResource", "logs:ListTagsLogGroup"),
              scope.log_groups),
        allow("ReadPrefixLists", ("ec2:GetManagedPrefixListEntries",),
              scope.arn("ec2", "prefix-list/*", account="*")),
        # CloudFront's own managed cache and origin-request policies belong to AWS, hence any account.
        allow("ReadCloudFrontSettings", (
            "cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:GetOriginAccessControl",
            "cloudfront:GetVpcOrigin", "cloudfront:GetCachePolicy", "cloudfront:GetOriginRequestPolicy",
            "cloudfront:GetResponseHeadersPolicy", "cloudfront:ListTagsForResource",
        ), f"arn:{p}:cloudfront::*:*"),
        allow("ReadTheStacksCloudFrontFunctions", ("cloudfront:DescribeFunction", "cloudfront:GetFunction"),
              f"arn:{p}:cloudfront::{scope.account}:function/{n}-*"),
        allow("ReadTheWebAcl", ("wafv2:GetWebACL", "wafv2:GetIPSet", "wafv2:GetLoggingConfiguration",
                                "wafv2:ListTagsForResource"), scope.arn("wafv2", "global/*", region=GLOBAL_REGION)),
        # The CloudFront certificate in us-east-1, the load balancer's in the stack's region.
        allow("ReadCertificates", ("acm:DescribeCertificate", "acm:ListTagsForCertificate"), scope.certificates),
        allow("ReadDnsZones", ("route53:GetHostedZone", "route53:ListResourceRecordSets",
                               "route53:ListTagsForResource"), f"arn:{p}:route53:::hostedzone/*"),
        allow("ReadDnsChanges", ("route53:GetChange",), f"arn:{p}:route53:::change/*"),
        allow("ReadTheStacksTopicSettings", ("sns:GetTopicAttributes", "sns:ListTagsForResource",
                                             "sns:ListSubscriptionsByTopic", "sns:GetSubscriptionAttributes"),
              scope.arn("sns", f"{n}-*")),
        allow("ReadTheStacksQueueSettings", ("sqs:GetQueueAttributes", "sqs:ListQueueTags"),
              scope.arn("sqs", f"{n}-*")),
        # Scalable target ARNs carry generated ids: this account's targets in the stack's region.
        allow("ReadScalableTargetTags", ("application-autoscaling:ListTagsForResource",),
              scope.arn("application-autoscaling", "scalable-target/*")),
        allow("ReadTheStacksAlarms", ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"), scope.alarms),
        allow("ReadTheStacksDashboard", ("cloudwatch:GetDashboard",), scope.dashboards),
        allow("ReadKeySettings", ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
                                  "kms:ListResourceTags"), scope.arn("kms", "key/*")),
        # User pools and the GuardDuty detector carry generated ids, and the trail and the ownership record
        # account-wide names: each is the stack's by its stack tag.
        allow("ReadTheStacksTaggedResources", (
            "cognito-idp:DescribeUserPool", "cognito-idp:GetUserPoolMfaConfig", "cognito-idp:GetGroup",
            "cognito-idp:DescribeUserPoolClient", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
            "cloudtrail:GetInsightSelectors", "cloudtrail:ListTags", "guardduty:GetDetector", "ssm:GetParameter",
            "ssm:ListTagsForResource",
        ), [scope.arn("cognito-idp", "userpool/*"), scope.trail, scope.arn("guardduty", "detector/*"),
            scope.account_parameters], StringEquals=scope.resource_tags),
        allow("ReadTheStacksRules", ("events:DescribeRule", "events:ListTagsForResource", "events:ListTargetsByRule"),
              scope.arn("events", f"rule/{n}-*")),
        # CloudFront's log delivery is configured in us-east-1; deliveries are named by generated ids.
        allow("ReadTheStacksLogDeliveries", ("logs:GetDeliverySource", "logs:GetDeliveryDestination",
                                             "logs:GetDelivery", "logs:ListTagsForResource"), scope.log_deliveries),
        allow("ReadTheStacksFunctions", (
            "lambda:GetFunction", "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig",
        ), scope.arn("lambda", f"function:{n}-*")),
        # The NAT instance's AMI comes from AWS's public parameter.
        allow("ReadPublicAmiParameters", ("ssm:GetParameter", "ssm:GetParameters"), scope.public_ami_parameters),
    ]


def preview_policy(scope: Scope) -> dict[str, Any]:
    statements = [
        *read_statements(scope),
        # The deployed image tag the pipelines pass back in, and the other names the stack publishes.
        allow("ReadTheStacksParameters", ("ssm:GetParameter", "ssm:GetParameters", "ssm:ListTagsForResource"),
              scope.parameters),
        # awsx builds the image when no tag is given, and asks for a registry token even in a preview; the token
        # carries only the rights of this role, which pulls and pushes nothing.
        allow("RegistryToken", ("ecr:GetAuthorizationToken",), "*",
              StringEquals={"aws:RequestedRegion": scope.region}),
    ]
    statements += _state_statements(scope, write=False)
    return document(*statements)


def deploy_policies(scope: Scope) -> dict[str, dict[str, Any]]:
    """The deploy role's managed policies by part: together they exceed the 10 KiB IAM allows inline."""
    p, n = scope.partition, scope.prefix
    in_region = {"StringEquals": {"aws:RequestedRegion": scope.region}}
    in_global_region = {"StringEquals": {"aws:RequestedRegion": GLOBAL_REGION}}
    within_boundary = {"iam:PermissionsBoundary": scope.role_boundary_arn}
    reads = read_statements(scope)
    split = next(i for i, s in enumerate(reads) if s["Sid"] == "ReadScalableTargetTags")
    read, read_services = reads[:split], reads[split:]
    network = [
        # EC2 ARNs carry generated ids, not names, and a tag condition would lock out the adopted default
        # security group (untagged until the program tags it): the actions are listed one by one, on this
        # account's resources in the stack's region, plus the public Amazon Linux image the NAT instance boots.
        allow("NetworkAndNatInstance", EC2_WRITE_ACTIONS, [scope.arn("ec2", "*"),
                                                           scope.arn("ec2", "image/*", account="")]),
        # A rule whose source is CloudFront's prefix list is authorized on that list too, which AWS owns.
        allow("RulesFromManagedPrefixLists", ("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
                                             "ec2:ModifySecurityGroupRules"),
              scope.arn("ec2", "prefix-list/*", account="aws")),
        # Interface endpoints with private DNS (prd): creating one associates the VPC with the private hosted
        # zone of the endpoint's service, a zone AWS owns and names by id only, and removing it disassociates;
        # EC2 makes those Route 53 calls with the caller's rights.
        allow("PrivateDnsOfInterfaceEndpoints", ("route53:AssociateVPCWithHostedZone",
                                                 "route53:DisassociateVPCFromHostedZone"),
              f"arn:{p}:route53:::hostedzone/*"),

        allow("LoadBalancersOfTheStack", (
            "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets", "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:DeleteRule", "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags",
        ), [scope.arn("elasticloadbalancing", f"loadbalancer/app/{n}-*/*"),
            scope.arn("elasticloadbalancing", f"targetgroup/{n}-*/*"),
            scope.arn("elasticloadbalancing", f"listener/app/{n}-*/*/*"),
            scope.arn("elasticloadbalancing", f"listener-rule/app/{n}-*/*/*/*")]),
    ]
    compute = [
        # Task definition revisions are named `<family>:<revision>`, the family after the service.
        allow("EcsClusterServicesAndTasksOfTheStack", (
            "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:UpdateCluster", "ecs:UpdateClusterSettings",
            "ecs:PutClusterCapacityProviders", "ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService",
            "ecs:RegisterTaskDefinition", "ecs:TagResource", "ecs:UntagResource",
        ), [scope.arn("ecs", f"cluster/{n}-*"), scope.arn("ecs", f"service/{n}-*/*"),
            scope.arn("ecs", f"task-definition/{n}-*:*")]),
        # Retiring a revision takes no resource.
        allow("EcsTaskDefinitionRetirement", ("ecs:DeregisterTaskDefinition",), "*", **in_region),

        allow("EcrRepositoryOfTheStack", (
            "ecr:CreateRepository", "ecr:DeleteRepository", "ecr:TagResource", "ecr:UntagResource",
            "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy", "ecr:PutImageScanningConfiguration",
            "ecr:PutImageTagMutability", "ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy",
            "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
        ), scope.arn("ecr", f"repository/{n}-*")),
        # Docker login to ECR; AWS defines no resource for it.
        allow("RegistryToken", ("ecr:GetAuthorizationToken",), "*", **in_region),

        allow("LogGroupsOfTheStack", (
            "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
            "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup",
            "logs:AssociateKmsKey", "logs:DisassociateKmsKey",
        ), scope.log_groups),
        # The release probe (components/release_probe.py), named after the stack.
        allow("FunctionsOfTheStack", (
            "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionConfiguration",
            "lambda:UpdateFunctionCode", "lambda:GetFunctionConfiguration", "lambda:TagResource",
            "lambda:UntagResource",
        ), scope.arn("lambda", f"function:{n}-*")),
        # Scalable target ARNs carry generated ids: this account's targets in the stack's region.
        allow("ServiceAutoscaling", (
            "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:TagResource", "application-autoscaling:UntagResource",
        ), scope.arn("application-autoscaling", "scalable-target/*")),
    ]
    identity = [
        allow("RolesPoliciesAndInstanceProfilesOfTheStack", (
            "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
            "iam:TagRole", "iam:UntagRole", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
            "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile",
            "iam:UntagInstanceProfile", "iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion",
            "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
        ), [scope.iam(f"role/{n}-*"), scope.iam(f"instance-profile/{n}-*"), scope.iam(f"policy/{n}-*")]),
        # Whatever a role's own policies say, its boundary caps it: roles are created, and given permissions,
        # only with the stack's boundary. iam:UpdateAssumeRolePolicy takes no boundary condition, so the deploy
        # role could make a stack role trust another account; that account then gets no more than the boundary
        # allows (the stack's own table, images, repository and log groups), never IAM or the deploy role's rights.
        allow("RolesOnlyWithinTheBoundary", (
            "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary",
        ), scope.iam(f"role/{n}-*"), StringEquals=within_boundary),
        # Attach only the stack's own managed policies and the AWS ones named in ATTACHABLE_AWS_POLICIES, so an
        # attachment cannot hand a stack role AdministratorAccess.
        allow("AttachOnlyKnownManagedPolicies", ("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
              scope.iam(f"role/{n}-*"), StringEquals=within_boundary,
              ArnEquals={"iam:PolicyARN": [f"arn:{p}:iam::aws:policy/{name}" for name in ATTACHABLE_AWS_POLICIES]}),
        allow("AttachTheStacksManagedPolicies", ("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
              scope.iam(f"role/{n}-*"), StringEquals=within_boundary,
              ArnLike={"iam:PolicyARN": scope.iam(f"policy/{n}-*")}),
        allow("PassTheStacksRolesToTheirServices", ("iam:PassRole",), scope.iam(f"role/{n}-*"),
              StringEquals={"iam:PassedToService": list(ROLE_CONSUMERS)}),
        allow("ServiceLinkedRolesOnFirstUse", ("iam:CreateServiceLinkedRole",),
              scope.iam("role/aws-service-role/*"),
              StringEquals={"iam:AWSServiceName": list(SERVICE_LINKED_ROLES)}),
        # The administrators' sign-in: pools carry generated ids; created only tagged for the stack, and managed
        # (with their groups and clients) only while they carry its tags.
        allow("CreateUserPoolsTaggedForTheStack", ("cognito-idp:CreateUserPool",), "*",
              StringEquals={"aws:RequestedRegion": scope.region, **scope.request_tags}),
        allow("UserPoolsOfTheStack", (
            "cognito-idp:UpdateUserPool", "cognito-idp:DeleteUserPool", "cognito-idp:SetUserPoolMfaConfig",
            "cognito-idp:CreateGroup", "cognito-idp:UpdateGroup", "cognito-idp:DeleteGroup",
            "cognito-idp:CreateUserPoolClient", "cognito-idp:UpdateUserPoolClient",
            "cognito-idp:DeleteUserPoolClient", "cognito-idp:TagResource", "cognito-idp:UntagResource",
        ), scope.arn("cognito-idp", "userpool/*"), StringEquals=scope.resource_tags),
        # Absolute: the pipeline never touches its own access, nor hands the CI policies to a stack role.
        deny("NeverChangeCiAccess", (
            "iam:Create*", "iam:Delete*", "iam:Update*", "iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Add*",
            "iam:Remove*", "iam:Tag*", "iam:Untag*", "iam:SetDefaultPolicyVersion", "iam:PassRole",
        ), scope.ci_resources),
        deny("NeverAttachCiPolicies", ("iam:AttachRolePolicy",), "*",
             ArnLike={"iam:PolicyARN": scope.iam(f"policy/{n}-ci-*")}),
        # Once set, a boundary stays, and only an administrator's `pulumi up` changes what it allows.
        deny("NeverLiftTheBoundary", ("iam:DeleteRolePermissionsBoundary",), scope.iam(f"role/{n}-*")),
        deny("NeverChangeTheBoundary", (
            "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
            "iam:SetDefaultPolicyVersion",
        ), scope.role_boundary_arn),
    ]
    storage = [
        # Bucket configuration, objects (seed images, site assets, ALB logs on `force_destroy`) of the stack's
        # buckets only: verb wildcards, because the provider reads and writes a dozen bucket sub-configurations.
        # The bucket-policy reads and writes include those CloudWatch Logs and WAF make with the caller's rights
        # when they set up delivery into the log archives.
        allow("BucketsOfTheStack", ("s3:CreateBucket", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucket*",
                                    "s3:PutBucket*", "s3:DeleteBucket*", "s3:GetEncryptionConfiguration",
                                    "s3:PutEncryptionConfiguration", "s3:GetLifecycleConfiguration",
                                    "s3:PutLifecycleConfiguration", "s3:GetAccelerateConfiguration",
                                    "s3:GetReplicationConfiguration",
                                    # the provider tags buckets through S3's resource-tagging API
                                    "s3:TagResource", "s3:UntagResource", "s3:ListTagsForResource"),
              scope.buckets),
        allow("ObjectsOfTheStacksBuckets", ("s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*"),
              [f"{bucket}/*" for bucket in scope.buckets]),

        allow("TableOfTheStack", (
            "dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:Describe*",
            "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTimeToLive", "dynamodb:TagResource",
            "dynamodb:UntagResource", "dynamodb:ListTagsOfResource",
            # the seed items (aws.dynamodb.TableItem)
            "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        ), [scope.arn("dynamodb", f"table/{n}-*"), scope.arn("dynamodb", f"table/{n}-*/*")]),
        # SQS names queues in their ARNs: the worker's queue and its dead-letter queue.
        allow("QueuesOfTheStack", ("sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue",
                                   "sqs:UntagQueue"), scope.arn("sqs", f"{n}-*")),
        *_state_statements(scope, write=True),
    ]
    edge = [
        # CloudFront ARNs carry generated ids only: the distribution, its OAC, VPC origin and policies of this
        # account. Invalidations publish a new frontend; AllowVendedLogDeliveryForResource lets CloudWatch's log
        # delivery take the distribution's access logs (CloudFront standard logging v2).
        allow("CloudFrontOfThisAccount", (
            "cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution", "cloudfront:TagResource",
            "cloudfront:UntagResource", "cloudfront:UpdateOriginAccessControl", "cloudfront:DeleteOriginAccessControl",
            "cloudfront:UpdateVpcOrigin", "cloudfront:DeleteVpcOrigin", "cloudfront:UpdateCachePolicy",
            "cloudfront:DeleteCachePolicy", "cloudfront:UpdateResponseHeadersPolicy",
            "cloudfront:DeleteResponseHeadersPolicy", "cloudfront:UpdateOriginRequestPolicy",
            "cloudfront:DeleteOriginRequestPolicy", "cloudfront:CreateInvalidation", "cloudfront:GetInvalidation",
            "cloudfront:AllowVendedLogDeliveryForResource",
        ), f"arn:{p}:cloudfront::{scope.account}:*"),
        # CloudFront's Create actions take no resource (SAR): those that accept tags only with the stack's.
        allow("CreateCloudFrontResourcesTaggedForTheStack", (
            "cloudfront:CreateDistribution", "cloudfront:CreateVpcOrigin", "cloudfront:CreateFunction",
        ), "*", StringEquals={"aws:RequestedRegion": GLOBAL_REGION, **scope.request_tags}),
        allow("CreateCloudFrontPoliciesAndMetrics", (
            "cloudfront:CreateOriginAccessControl", "cloudfront:CreateCachePolicy",
            "cloudfront:CreateResponseHeadersPolicy", "cloudfront:CreateMonitoringSubscription",
            "cloudfront:DeleteMonitoringSubscription",
        ), "*", **in_global_region),
        # Functions are named: the stack's router.
        allow("CloudFrontFunctionsOfTheStack", ("cloudfront:UpdateFunction", "cloudfront:PublishFunction",
                                                "cloudfront:DeleteFunction"),
              f"arn:{p}:cloudfront::{scope.account}:function/{n}-*"),

        allow("WebAclOfTheStack", (
            "wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL", "wafv2:CreateIPSet",
            "wafv2:UpdateIPSet", "wafv2:DeleteIPSet", "wafv2:PutLoggingConfiguration",
            "wafv2:DeleteLoggingConfiguration", "wafv2:TagResource", "wafv2:UntagResource",
        ), [scope.arn("wafv2", f"global/webacl/{n}-*/*", region=GLOBAL_REGION),
            scope.arn("wafv2", f"global/ipset/{n}-*/*", region=GLOBAL_REGION),
            scope.arn("wafv2", "global/managedruleset/*/*", region=GLOBAL_REGION)]),
        # Capacity checks take no resource.
        allow("WebAclCapacity", ("wafv2:CheckCapacity",), "*", **in_global_region),
        # WAF sets up its delivery into the log bucket with the legacy vended-logs calls, which take no resource.
        allow("WebAclLogDelivery", ("logs:CreateLogDelivery", "logs:DeleteLogDelivery"), "*", **in_global_region),

        # Certificate ARNs carry generated ids; requesting one takes no resource. CloudFront's certificate lives
        # in us-east-1, the load balancer's (a custom domain's origin name) in the stack's region.
        allow("RequestCertificates", ("acm:RequestCertificate",), "*",
              StringEquals={"aws:RequestedRegion": scope.regions}),
        allow("Certificates", ("acm:DeleteCertificate", "acm:AddTagsToCertificate",
                               "acm:RemoveTagsFromCertificate"), scope.certificates),
        # The hosted zone comes from a lookup, so its id is unknown here: record changes in this account's zones.
        allow("SiteDnsRecords", ("route53:ChangeResourceRecordSets",), f"arn:{p}:route53:::hostedzone/*"),
        # CloudFront's log delivery, configured in us-east-1: named sources and destinations, deliveries by id.
        allow("LogDeliveriesOfTheStack", (
            "logs:PutDeliverySource", "logs:DeleteDeliverySource", "logs:PutDeliveryDestination",
            "logs:DeleteDeliveryDestination", "logs:CreateDelivery", "logs:UpdateDeliveryConfiguration",
            "logs:DeleteDelivery", "logs:TagResource", "logs:UntagResource",
        ), scope.log_deliveries),
    ]
    operations = [
        allow("ParametersOfTheStack", (
            "ssm:PutParameter", "ssm:DeleteParameter", "ssm:GetParameter", "ssm:GetParameters",
            "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource", "ssm:ListTagsForResource",
        ), scope.parameters),
        allow("AlarmTopicOfTheStack", (
            "sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe",
            "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:TagResource",
            "sns:UntagResource",
        ), scope.arn("sns", f"{n}-*")),
        # The stack's alarms, and the target-tracking alarms Application Auto Scaling names after its service.
        allow("AlarmsOfTheStack", (
            "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource",
            "cloudwatch:UntagResource", "cloudwatch:EnableAlarmActions", "cloudwatch:DisableAlarmActions",
        ), scope.alarms),
        # KMS keys have no names in their ARNs: create only with the stack's tags, manage only keys carrying them.
        allow("CreateKeysTaggedForTheStack", ("kms:CreateKey",), "*",
              StringEquals={"aws:RequestedRegion": scope.region, **scope.request_tags}),
        allow("TagNewKeysForTheStack", ("kms:TagResource",), scope.arn("kms", "key/*"),
              StringEquals=scope.request_tags),
        allow("KeysOfTheStack", (
            "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:UpdateKeyDescription",
            "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:TagResource", "kms:UntagResource",
            "kms:Decrypt", "kms:GenerateDataKey*",
        ), scope.arn("kms", "key/*"), StringEquals=scope.resource_tags),
    ]
    operations += [
        # The account's trail and detector and their ownership record (components/account.py): fixed names or
        # generated ids, the same in every stack of the account, so each is this stack's by its stack tag. A
        # stack creates them only tagged as its own and changes only those tagged so: dev's pipeline cannot stop,
        # change or delete what prd owns, and a second claimant fails as the component intends.
        allow("ClaimTheAccountDetection", ("cloudtrail:CreateTrail", "cloudtrail:AddTags", "ssm:PutParameter",
                                           "ssm:AddTagsToResource"),
              [scope.trail, scope.account_parameters], StringEquals=scope.request_tags),
        allow("CreateTheDetectorTaggedForTheStack", ("guardduty:CreateDetector",), "*",
              StringEquals={"aws:RequestedRegion": scope.region, **scope.request_tags}),
        allow("TheAccountDetectionThisStackOwns", (
            "cloudtrail:UpdateTrail", "cloudtrail:DeleteTrail", "cloudtrail:StartLogging", "cloudtrail:StopLogging",
            "cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors", "cloudtrail:AddTags",
            "cloudtrail:RemoveTags", "guardduty:UpdateDetector", "guardduty:DeleteDetector", "guardduty:TagResource",
            "guardduty:UntagResource", "ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource",
            "ssm:RemoveTagsFromResource",
        ), [scope.trail, scope.arn("guardduty", "detector/*"), scope.account_parameters],
            StringEquals=scope.resource_tags),
        # EventBridge names rules: the stack's, on the default bus, targeting the stack's alarm topic.
        allow("RulesOfTheStack", ("events:PutRule", "events:DeleteRule", "events:TagResource",
                                  "events:UntagResource", "events:PutTargets", "events:RemoveTargets"),
              scope.arn("events", f"rule/{n}-*")),
        allow("DashboardOfTheStack", ("cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"), scope.dashboards),
        # The alarm channel in Slack: Chatbot takes its calls in chatbot_region, and creating a configuration
        # takes no resource, so it is held to the stack's tags; the configuration is then named after the stack.
        allow("CreateChatChannelsTaggedForTheStack", ("chatbot:CreateSlackChannelConfiguration",), "*",
              StringEquals={"aws:RequestedRegion": scope.chatbot_region, **scope.request_tags}),
        allow("ChatChannelsOfTheStack", (
            "chatbot:UpdateSlackChannelConfiguration", "chatbot:DeleteSlackChannelConfiguration",
            "chatbot:TagResource", "chatbot:UntagResource",
        ), f"arn:{p}:chatbot::{scope.account}:chat-configuration/slack-channel/{n}-*"),
    ]
    parts = {"read": read, "read-services": read_services, "network": network, "compute": compute,
             "identity": identity, "storage": storage, "edge": edge, "operations": operations}
    assert tuple(parts) == DEPLOY_POLICY_PARTS
    return {part: document(*statements) for part, statements in parts.items()}


def _state_statements(scope: Scope, write: bool) -> list[dict[str, Any]]:
    """The stack's own files of a `s3://` Pulumi backend (under any key prefix): one stack cannot touch another's."""
    statements: list[dict[str, Any]] = []
    if scope.state_bucket:
        bucket = f"arn:{scope.partition}:s3:::{scope.state_bucket}"
        project, stack = scope.project, scope.stack
        checkpoint = f"{bucket}/*.pulumi/stacks/{project}/{stack}.json*"
        statements.append(allow("FindStateFiles", ("s3:ListBucket", "s3:GetBucketLocation"), bucket))
        statements.append(allow("ReadTheStacksState", ("s3:GetObject",),
                                [f"{bucket}/*.pulumi/meta.yaml", checkpoint]))
        if write:
            statements.append(allow("WriteTheStacksState", ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), [
                checkpoint, f"{bucket}/*.pulumi/history/{project}/{stack}/*",
                f"{bucket}/*.pulumi/backups/{project}/{stack}/*", f"{bucket}/*.pulumi/locks/{project}/{stack}/*",
            ]))
    if scope.secrets_key_arn:
        actions = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey") if write else ("kms:Decrypt",)
        statements.append(allow("StackSecrets", actions, scope.secrets_key_arn))
    return statements


class CiAccess(pulumi.ComponentResource):
    oidc_provider_arn: pulumi.Output[str]
    preview_role: aws.iam.Role
    deploy_role: aws.iam.Role
    preview_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CiAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:ci:CiAccess", name, None, opts)
        # Protected: `pulumi destroy --exclude-protected` (destroy-dev) leaves them, and removing CI access takes
        # a deliberate `pulumi state unprotect` by an administrator.
        child = pulumi.ResourceOptions(parent=self, protect=True)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        config = args.config

        if config.oidc_provider_arn:
            self.oidc_provider_arn = pulumi.Output.from_input(config.oidc_provider_arn)
        else:
            # No thumbprint: IAM verifies GitHub's token signing certificate against its own trusted CAs for
            # this host, and ignores a thumbprint list there (AWS, July 2023).
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc", url=f"https://{GITHUB_OIDC_HOST}", client_id_lists=[STS_AUDIENCE],
                tags={"Name": f"{name}-github-oidc"}, opts=child)
            self.oidc_provider_arn = provider.arn

        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke).partition
        scope = pulumi.Output.all(identity.account_id, partition, args.role_boundary_arn).apply(lambda values: Scope(
            prefix=args.prefix, project=pulumi.get_project(), stack=pulumi.get_stack(), region=args.region,
            account=values[0], partition=values[1], role_boundary_arn=values[2], state_bucket=config.state_bucket,
            secrets_key_arn=config.secrets_key_arn))

        self.preview_role = self._role(f"{name}-ci-preview", "GitHub Actions pull requests: pulumi preview "
                                       "(read-only)", preview_subjects(config), child)
        aws.iam.RolePolicy(f"{name}-ci-preview-policy", role=self.preview_role.id,
                           policy=pulumi.Output.json_dumps(scope.apply(preview_policy)), opts=child)

        self.deploy_role = self._role(f"{name}-ci-deploy", "GitHub Actions deploys: pulumi up of this stack",
                                      deploy_subjects(config), child)
        policies = scope.apply(deploy_policies)
        for part in DEPLOY_POLICY_PARTS:
            policy = aws.iam.Policy(
                f"{name}-ci-deploy-{part}", description=f"GitHub Actions deploys of {args.prefix}: {part}",
                policy=pulumi.Output.json_dumps(policies.apply(lambda documents, part=part: documents[part])),
                opts=child)
            aws.iam.RolePolicyAttachment(f"{name}-ci-deploy-{part}", role=self.deploy_role.name,
                                         policy_arn=policy.arn, opts=child)

        self.preview_role_arn = self.preview_role.arn
        self.deploy_role_arn = self.deploy_role.arn
        self.register_outputs({"oidcProviderArn": self.oidc_provider_arn, "previewRoleArn": self.preview_role_arn,
                               "deployRoleArn": self.deploy_role_arn})

    def _role(self, role_name: str, description: str, subjects: list[str],
              child: pulumi.ResourceOptions) -> aws.iam.Role:
        # A fixed name: the workflows' repository variables hold these ARNs, which must survive replacements.
        return aws.iam.Role(
            role_name, name=role_name, description=description, max_session_duration=MAX_SESSION_SECONDS,
            assume_role_policy=pulumi.Output.json_dumps(
                self.oidc_provider_arn.apply(lambda arn: trust_policy(arn, subjects))),
            opts=child)
