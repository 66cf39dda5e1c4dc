"""webstack: CloudFront → (private S3 site | VPC origin → internal ALB → Fargate services) → DynamoDB + S3, with
administrators signing in through Cognito and a worker turning uploaded pictures into variants from an SQS queue."""

from pathlib import Path

import pulumi

from components import access
from components.account import AccountDetection, AccountDetectionArgs
from components.admin import AdminSignIn, AdminSignInArgs
from components.alerts import Alerts, AlertsArgs
from components.boundary import RoleBoundary, RoleBoundaryArgs
from components.ci import CiAccess, CiAccessArgs
from components.dashboard import Dashboard, DashboardArgs, ServiceMetrics
from components.data import DataStore, DataStoreArgs
from components.domain import SiteDomain, SiteDomainArgs
from components.logs import LogArchive, LogArchiveArgs, LogDeliveries, LogDeliveriesArgs
from components.network import PrivateNetwork, PrivateNetworkArgs
from components.parameters import DeployParameters
from components.platform import FargatePlatform, FargatePlatformArgs
from components.providers import global_provider, regional_provider, using
from components.queue import WorkerQueue, WorkerQueueArgs
from components.release_probe import Probe, ReleaseProbe, ReleaseProbeArgs
from components.seed import SampleCatalogue, SampleCatalogueArgs
from components.service import (
    FargateService,
    FargateServiceArgs,
    QueueScaling,
    ReleaseHook,
    Route,
    ecs_service_prefix,
)
from components.site import AdminEdge, StaticSite, StaticSiteArgs
from stack_config import load_stack_config

config = load_stack_config()  # fails here, before any resource, on a bad stack file
aws_provider = regional_provider(config)
edge_provider = global_provider(config)  # us-east-1: CloudFront certificates, functions' logs and web ACLs
regional = using(aws_provider)
prefix = config.prefix

# The ceiling on every role of the stack: the roles below carry it, and the CI deploy role creates roles only with it.
boundary = RoleBoundary(prefix, RoleBoundaryArgs(prefix=prefix, region=config.region), opts=regional)

alerts = Alerts(f"{prefix}-alarms", AlertsArgs(config=config.alerts, permissions_boundary_arn=boundary.arn),
                opts=regional)
network = PrivateNetwork(prefix, PrivateNetworkArgs(
    config=config.network, region=config.region, permissions_boundary_arn=boundary.arn,
    alarm_topic_arn=alerts.topic_arn), opts=regional)
data = DataStore(prefix, DataStoreArgs(config=config.data), opts=regional)
archive = LogArchive(f"{prefix}-logs", LogArchiveArgs(
    config=config.logs, region=config.region, images_bucket_arn=data.bucket_arn, web_acl=config.site.waf,
    account_trail=bool(config.account and config.account.cloudtrail)), opts=regional)
domain = SiteDomain(f"{prefix}-domain", SiteDomainArgs(config=config.site, global_provider=edge_provider),
                    opts=regional) if config.site.domain else None

# The Fargate platform and its three services, one image.
platform = FargatePlatform(prefix, FargatePlatformArgs(
    config=config.platform, region=config.region, vpc_id=network.vpc_id,
    ingress_subnet_ids=network.ingress_subnet_ids, alarm_topic_arn=alerts.topic_arn,
    access_logs=archive.alb_access_logs, access_logs_ready=archive.writes_ready,
    certificate_arn=domain.origin_certificate_arn if domain else None, permissions_boundary_arn=boundary.arn,
), opts=regional)
sign_in = AdminSignIn(prefix, AdminSignInArgs(config=config.admin, region=config.region), opts=regional)
jobs = WorkerQueue(f"{prefix}-jobs", WorkerQueueArgs(
    config=config.worker, bucket_id=data.bucket_name, bucket_arn=data.bucket_arn, alarm_topic_arn=alerts.topic_arn,
), opts=regional)
data_env = {"TABLE_NAME": data.table_name, "BUCKET_NAME": data.bucket_name}
in_containers = {"subnet_ids": network.container_subnet_ids,
                 "security_group_ids": [network.workload_security_group_id],
                 "permissions_boundary_arn": boundary.arn}

# The release probe: blue/green releases of the APIs wait, once their test listener rule reaches the new revision,
# for these requests to be answered as the new revision must (an admin request without a token gets the admin API's
# own JSON 401). Rolling releases have no test traffic, so a stack whose APIs all roll (dev) declares no probe.
admin_name, api_name = f"{prefix}-admin", f"{prefix}-api"
probed = {name: probes for name, probes, release in (
    (admin_name, [Probe(path="/api/admin/items", status=401, json="error")], config.admin.service.release),
    (api_name, [Probe(path="/api/items", status=200, json="list")], config.api.release)) if release != "rolling"}
release_probe = ReleaseProbe(f"{prefix}-release-probe", ReleaseProbeArgs(
    platform=platform, subnet_ids=network.container_subnet_ids,
    probes={ecs_service_prefix(name): probes for name, probes in probed.items()},
    token=platform.release_probe_token, server_name=domain.origin_name if domain else None,
    permissions_boundary_arn=boundary.arn), opts=regional) if probed else None


def release_hook(name: str) -> ReleaseHook | None:
    """The hook a service's release waits for, if it is probed (its test listener rule admits the platform's
    probe token)."""
    return release_probe.hook if release_probe and name in probed else None


admin_api = FargateService(admin_name, FargateServiceArgs(
    platform=platform, size=config.admin.service, command=["python", "-m", "app.admin"],
    environment={**data_env, "COGNITO_USER_POOL_ID": sign_in.user_pool_id, "COGNITO_CLIENT_ID": sign_in.client_id,
                 "ADMIN_GROUP": sign_in.group_name},
    grants=access.admin_api(data.table_arn, data.bucket_arn), purpose="edit the catalogue items and their pictures",
    route=Route(path_patterns=["/api/admin/*"], priority=1), release_hook=release_hook(admin_name), **in_containers,
), opts=regional)
public_api = FargateService(api_name, FargateServiceArgs(
    platform=platform, size=config.api, command=["python", "-m", "app.api"], environment=data_env,
    grants=access.public_api(data.table_arn, data.bucket_arn), purpose="read the catalogue and its pictures",
    route=Route(path_patterns=["/api/*"], priority=2), read_only=True, release_hook=release_hook(api_name),
    **in_containers,
), opts=regional)
worker = FargateService(f"{prefix}-worker", FargateServiceArgs(
    platform=platform, size=config.worker.service, command=["python", "-m", "app.worker"],
    environment={**data_env, "QUEUE_URL": jobs.queue_url,
                 "VISIBILITY_TIMEOUT_SECONDS": str(jobs.visibility_timeout_seconds)},
    grants=access.worker(data.table_arn, data.bucket_arn, jobs.queue_arn),
    purpose="turn uploaded pictures into variants and record them on their items",
    queue=QueueScaling(queue_name=jobs.queue_name, deployment_alarm_name=jobs.new_dead_letters_alarm_name),
    **in_containers,
), opts=regional)
services = {"api": public_api, "admin": admin_api, "worker": worker}

if config.data.seed:
    SampleCatalogue(f"{prefix}-sample", SampleCatalogueArgs(
        table_name=data.table_name, hash_key=data.hash_key, bucket_id=data.bucket_name,
        after=[*data.bucket_ready, *jobs.notification]), opts=regional)

site = StaticSite(prefix, StaticSiteArgs(
    config=config.site, alb_arn=platform.alb_arn, alb_dns_name=platform.alb_dns_name,
    alb_zone_id=platform.alb_zone_id, listener_port=platform.listener_port,
    frontend_dir=Path(__file__).parent / "app" / "frontend", domain=domain, global_provider=edge_provider,
    admin=AdminEdge(allowed=config.admin.networks, enforce_at=config.admin.allow_list_at, region=config.region,
                    user_pool_id=sign_in.user_pool_id, client_id=sign_in.client_id,
                    cognito_endpoint=sign_in.endpoint),
), opts=regional)
LogDeliveries(f"{prefix}-log-deliveries", LogDeliveriesArgs(
    archive=archive, distribution_arn=site.distribution_arn, web_acl_arn=site.web_acl_arn,
    images_bucket=data.bucket_name, global_provider=edge_provider), opts=regional)
if config.account:
    AccountDetection(f"{prefix}-account", AccountDetectionArgs(
        config=config.account, owner=prefix, alarm_topic_arn=alerts.topic_arn, protect=config.logs.protect,
        archive_bucket_name=archive.bucket_name, trail_prefix=archive.trail_prefix,
        archive_ready=archive.writes_ready), opts=regional)

Dashboard(prefix, DashboardArgs(
    region=config.region, distribution_id=site.distribution_id, load_balancer_suffix=platform.alb_arn_suffix,
    services=[ServiceMetrics(title, platform.cluster_name, service.service_name, service.target_group_suffixes)
              for title, service in (("public API", public_api), ("admin API", admin_api), ("worker", worker))],
    table_name=data.table_name, container_insights=platform.container_insights,
    cache_hit_ratio=config.site.additional_metrics, web_acl_metric_name=site.web_acl_metric_name,
    queue_name=jobs.queue_name, dead_letter_queue_name=jobs.dead_letter_queue_name,
    user_pool_id=sign_in.user_pool_id, user_pool_client_id=sign_in.client_id,
), opts=regional)

DeployParameters(f"{prefix}-deploy", {
    "site/bucket-name": site.bucket_name,
    "site/distribution-id": site.distribution_id,
    "api/repository-url": platform.repository_url,
    "api/repository-name": platform.repository_name,
    "api/cluster-name": platform.cluster_name,
    "api/service-name": public_api.service_name,
    "admin/service-name": admin_api.service_name,
    "worker/service-name": worker.service_name,
}, opts=regional)

# GitHub Actions' way in (OIDC roles), declared only when the stack file names the repository (`webstack:ci`).
ci = CiAccess(prefix, CiAccessArgs(config=config.ci, prefix=prefix, region=config.region,
                                   role_boundary_arn=boundary.arn), opts=regional) if config.ci else None

pulumi.export("vpcId", network.vpc_id)
pulumi.export("vpcCidr", network.vpc_cidr)
pulumi.export("ingressSubnetIds", network.ingress_subnet_ids)
pulumi.export("containerSubnetIds", network.container_subnet_ids)
pulumi.export("dataSubnetIds", network.data_subnet_ids)
pulumi.export("natKind", network.nat_kind)
pulumi.export("natId", network.nat_id)
pulumi.export("tableName", data.table_name)
pulumi.export("imagesBucketName", data.bucket_name)
pulumi.export("albDnsName", platform.alb_dns_name)
pulumi.export("clusterName", platform.cluster_name)
pulumi.export("repositoryUrl", platform.repository_url)
pulumi.export("imageUri", platform.image)
pulumi.export("services", {key: {"name": service.service_name, "taskDefinitionArn": service.task_definition_arn,
                                 "logGroupName": service.log_group_name} for key, service in services.items()})
pulumi.export("queueUrl", jobs.queue_url)
pulumi.export("deadLetterQueueUrl", jobs.dead_letter_queue_url)
pulumi.export("userPoolId", sign_in.user_pool_id)
pulumi.export("userPoolClientId", sign_in.client_id)
pulumi.export("alarmTopicArn", alerts.topic_arn)
pulumi.export("logArchiveBucketName", archive.bucket_name)
pulumi.export("siteUrl", site.site_url)
pulumi.export("distributionId", site.distribution_id)
pulumi.export("siteBucketName", site.bucket_name)
if ci:
    pulumi.export("ciPreviewRoleArn", ci.preview_role_arn)
    pulumi.export("ciDeployRoleArn", ci.deploy_role_arn)
