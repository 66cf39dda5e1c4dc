"""webstack: CloudFront → (private S3 site | VPC origin → internal ALB → Fargate) → DynamoDB + S3."""

from pathlib import Path

import pulumi

from components.api import FargateApi, FargateApiArgs
from components.boundary import RoleBoundary, RoleBoundaryArgs
from components.ci import CiAccess, CiAccessArgs
from components.data import DataStore, DataStoreArgs
from components.network import PrivateNetwork, PrivateNetworkArgs
from components.parameters import DeployParameters
from components.providers import global_provider, regional_provider, using
from components.site import StaticSite, StaticSiteArgs
from stack_config import load_stack_config

config = load_stack_config()  # fails here, before any resource, on a bad stack file
aws_provider = regional_provider(config)
edge_provider = global_provider(config)  # us-east-1: CloudFront certificates and web ACLs

# The ceiling on every role of the stack: the roles below carry it, and the CI deploy role creates roles only with it.
boundary = RoleBoundary(config.prefix, RoleBoundaryArgs(prefix=config.prefix, region=config.region),
                        opts=using(aws_provider))

network = PrivateNetwork(config.prefix, PrivateNetworkArgs(
    config=config.network, region=config.region, permissions_boundary_arn=boundary.arn), opts=using(aws_provider))

data = DataStore(config.prefix, DataStoreArgs(config=config.data), opts=using(aws_provider))

api = FargateApi(f"{config.prefix}-api", FargateApiArgs(
    config=config.api, region=config.region, vpc_id=network.vpc_id,
    ingress_subnet_ids=network.ingress_subnet_ids, container_subnet_ids=network.container_subnet_ids,
    workload_security_group_id=network.workload_security_group_id,
    table_name=data.table_name, table_arn=data.table_arn, bucket_name=data.bucket_name, bucket_arn=data.bucket_arn,
    permissions_boundary_arn=boundary.arn,
), opts=using(aws_provider))

site = StaticSite(config.prefix, StaticSiteArgs(
    config=config.site, alb_arn=api.alb_arn, alb_dns_name=api.alb_dns_name, listener_port=api.listener_port,
    frontend_dir=Path(__file__).parent / "app" / "frontend", global_provider=edge_provider,
), opts=using(aws_provider))

DeployParameters(f"{config.prefix}-deploy", {
    "site/bucket-name": site.bucket_name,
    "site/distribution-id": site.distribution_id,
    "api/repository-url": api.repository_url,
    "api/repository-name": api.repository_name,
    "api/cluster-name": api.cluster_name,
    "api/service-name": api.service_name,
    "api/image-tag": api.image_tag,
}, opts=using(aws_provider))

# GitHub Actions' way in (OIDC roles), declared only when the stack file names the repository (`webstack:ci`).
ci = CiAccess(config.prefix, CiAccessArgs(config=config.ci, prefix=config.prefix, region=config.region,
                                          role_boundary_arn=boundary.arn),
              opts=using(aws_provider)) if config.ci else None

pulumi.export("vpcId", network.vpc_id)
pulumi.export("vpcCidr", network.vpc_cidr)
pulumi.export("ingressSubnetIds", network.ingress_subnet_ids)
pulumi.export("containerSubnetIds", network.container_subnet_ids)
pulumi.export("dataSubnetIds", network.data_subnet_ids)
pulumi.export("natKind", network.nat_kind)
pulumi.export("natId", network.nat_id)
pulumi.export("tableName", data.table_name)
pulumi.export("imagesBucketName", data.bucket_name)
pulumi.export("albDnsName", api.alb_dns_name)
pulumi.export("clusterName", api.cluster_name)
pulumi.export("serviceName", api.service_name)
pulumi.export("repositoryUrl", api.repository_url)
pulumi.export("logGroupName", api.log_group_name)
pulumi.export("siteUrl", site.site_url)
pulumi.export("distributionId", site.distribution_id)
pulumi.export("siteBucketName", site.bucket_name)
if ci:
    pulumi.export("ciPreviewRoleArn", ci.preview_role_arn)
    pulumi.export("ciDeployRoleArn", ci.deploy_role_arn)
