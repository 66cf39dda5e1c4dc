"""A typed reading of one captured stack: what the cost model and the diagram both need to know.

Everything is derived from resource types and inputs, the way the engine receives them: subnets and their AZs,
which route tables send traffic to which NAT, the Fargate services with their task size, count and capacity
providers. Inputs reference other resources by id or ARN (`Inventory.resolve`).
"""

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mock_engine import Capture, Resource, as_list

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
VPC = "aws:ec2/vpc:Vpc"
INSTANCE = "aws:ec2/instance:Instance"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
ECS_CAPACITY_PROVIDERS = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
ECS_SERVICE = "aws:ecs/service:Service"
ECS_TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
TABLE = "aws:dynamodb/table:Table"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ECR_REPOSITORY = "aws:ecr/repository:Repository"
DATA_STORE = "webstack:data:DataStore"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
MONITORING_SUBSCRIPTION = "aws:cloudfront/monitoringSubscription:MonitoringSubscription"
CLOUDFRONT_FUNCTION = "aws:cloudfront/function:Function"
USER_POOL = "aws:cognito/userPool:UserPool"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TRAIL = "aws:cloudtrail/trail:Trail"
DETECTOR = "aws:guardduty/detector:Detector"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DELIVERY_DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
BUCKET_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
BUCKET_LIFECYCLE = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
LAMBDA_FUNCTION = "aws:lambda/function:Function"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
PROVIDER_PREFIX = "pulumi:providers:"

ON_DEMAND, SPOT = "FARGATE", "FARGATE_SPOT"


class InventoryError(Exception):
    """The capture holds something the report cannot describe truthfully."""


@dataclass(frozen=True)
class Subnet:
    resource: Resource
    az: str
    cidr: str
    tier: str
    """The subnet's `tier` tag (ingress, container, data, public), else "subnet"."""

    @property
    def name(self) -> str:
        return self.resource.name


@dataclass(frozen=True)
class TaskPlacement:
    number: int
    az: str
    capacity_provider: str


@dataclass(frozen=True)
class FargateService:
    resource: Resource
    task_definition: Resource
    cluster: Resource | None
    vcpu: float
    memory_gb: float
    architecture: str
    desired_count: int
    tasks_by_provider: dict[str, int]
    azs: tuple[str, ...]
    strategy_source: str
    """Where the capacity provider strategy came from (the service, its launch type, the cluster default)."""
    strategy: tuple[tuple[str, int, float], ...] = ()
    """The capacity provider strategy: (provider, base, weight) entries."""
    deployment_strategy: str = "ROLLING"
    bake_minutes: float = 0.0
    """How long a blue/green, canary or linear release keeps the new revision beside the old before finishing."""
    hook_targets: tuple[str, ...] = ()
    """ARNs of the lifecycle hooks (Lambda functions) ECS invokes during each release."""
    scalable_target: Resource | None = None
    """The service's Application Auto Scaling target, when autoscaling owns its count."""
    environment: tuple[tuple[str, str], ...] = ()
    """The containers' environment variables (name, value)."""

    @property
    def placements(self) -> list[TaskPlacement]:
        """Tasks spread over the service's AZs in turn (ECS spreads Fargate tasks across AZs)."""
        providers = [p for p in (ON_DEMAND, SPOT) for _ in range(self.tasks_by_provider.get(p, 0))]
        return [TaskPlacement(number=i + 1, az=self.azs[i % len(self.azs)] if self.azs else "", capacity_provider=p)
                for i, p in enumerate(providers)]


@dataclass(frozen=True)
class InterfaceEndpoint:
    resource: Resource
    service: str
    azs: tuple[str, ...]


@dataclass(frozen=True)
class LogWriter:
    """One AWS service writing logs into a bucket of the stack."""

    kind: str
    """cloudfront, waf, vended (another vended-log source), alb, s3 (server access logs) or cloudtrail."""
    bucket: Resource
    prefix: str
    resources: tuple[Resource, ...]
    delivery_region: str | None = None
    """Where a vended-log delivery runs, and so which region's price it bills at; None for free deliveries."""


@dataclass
class Inventory:
    capture: Capture
    _index: dict[str, Resource] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # Later keys never shadow earlier ones: ids first, then ARNs and physical names from the mocked state.
        for key in ("id", "arn", "name", "bucket"):
            for r in self.capture.resources:
                value = r.id if key == "id" else r.state.get(key)
                if isinstance(value, str) and value and value not in self._index:
                    self._index[value] = r

    # -- basics ------------------------------------------------------------------------------------------------
    @property
    def stack(self) -> str:
        return self.capture.stack

    @property
    def region(self) -> str:
        region = self.capture.config.get("aws:region")
        if not region:
            raise InventoryError(f"stack {self.stack} sets no aws:region; the report prices per region")
        return region

    def of_type(self, *types: str) -> list[Resource]:
        """Resources of these types, by logical name (registration order varies between runs)."""
        return sorted(self.capture.of_type(*types), key=lambda r: r.name)

    def resolve(self, reference: Any) -> Resource | None:
        return self._index.get(reference) if isinstance(reference, str) else None

    def region_of(self, resource: Resource) -> str:
        """The region of the provider the resource is declared with (`urn::id`), else the stack's."""
        provider = self.capture.provider_of(resource.provider)
        if provider is not None and provider.type.startswith(PROVIDER_PREFIX):
            return provider.get("region") or self.region
        return self.region

    @property
    def custom_resources(self) -> list[Resource]:
        """What the stack declares in AWS: every resource but components and providers."""
        return sorted(self.capture.custom_resources, key=lambda r: (r.type, r.name))

    def bucket_named(self, reference: Any) -> Resource | None:
        """A bucket by its name, its ARN, or an S3 ARN with a key prefix (`arn:aws:s3:::bucket/prefix`)."""
        if not isinstance(reference, str):
            return None
        name = reference.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        found = self.resolve(name) or self.resolve(reference)
        return found if found is not None and found.type in BUCKETS else None

    def in_data_store(self, resource: Resource) -> bool:
        by_urn = {r.urn: r for r in self.capture.resources}
        owner = by_urn.get(resource.parent)
        while owner is not None:
            if owner.type == DATA_STORE:
                return True
            owner = by_urn.get(owner.parent)
        return False

    # -- network -----------------------------------------------------------------------------------------------
    @property
    def vpc_cidrs(self) -> list[str]:
        return [r.get("cidrBlock", "") for r in self.of_type(VPC)]

    @property
    def subnets(self) -> list[Subnet]:
        return [Subnet(resource=r, az=r.get("availabilityZone") or "", cidr=r.get("cidrBlock") or "",
                       tier=(r.get("tags") or {}).get("tier", "subnet")) for r in self.of_type(SUBNET)]

    @property
    def azs(self) -> list[str]:
        return sorted({s.az for s in self.subnets if s.az})

    def subnets_of(self, references: Iterable[Any]) -> list[Subnet]:
        by_resource = {s.resource.urn: s for s in self.subnets}
        found = [by_resource.get(str(getattr(self.resolve(ref), "urn", ""))) for ref in references]
        return [s for s in found if s is not None]

    def azs_of(self, references: Iterable[Any]) -> tuple[str, ...]:
        return tuple(sorted({s.az for s in self.subnets_of(references) if s.az}))

    def subnets_routed_to(self, target: Resource) -> list[Subnet]:
        """Subnets whose route table sends some destination to `target` (a NAT gateway or instance)."""
        target_refs = {target.id, target.state.get("primaryNetworkInterfaceId")} - {None, ""}
        tables = {r.get("routeTableId") for r in self.of_type(ROUTE)
                  if {r.get("natGatewayId"), r.get("networkInterfaceId"), r.get("instanceId")} & target_refs}
        associated = [a.get("subnetId") for a in self.of_type(ROUTE_TABLE_ASSOCIATION)
                      if a.get("routeTableId") in tables]
        return self.subnets_of(associated)

    @property
    def nat_instances(self) -> list[Resource]:
        """Instances some route table forwards traffic to."""
        return [i for i in self.of_type(INSTANCE) if self.subnets_routed_to(i)]

    @property
    def regional_nat_gateways(self) -> list[Resource]:
        return [n for n in self.of_type(NAT_GATEWAY) if n.get("availabilityMode") == "regional"]

    @property
    def zonal_nat_gateways(self) -> list[Resource]:
        return [n for n in self.of_type(NAT_GATEWAY) if n.get("availabilityMode", "zonal") != "regional"]

    def regional_nat_azs(self, nat: Resource) -> tuple[str, ...]:
        """AZs a regional NAT gateway runs in: those named in manual mode, else those of the subnets routed to it
        (in auto mode AWS expands it to every AZ where a workload sends through it)."""
        manual = as_list(nat.get("availabilityZoneAddresses"))
        if manual:
            return tuple(sorted({a.get("availabilityZone") or a.get("availabilityZoneId") for a in manual}))
        return tuple(sorted({s.az for s in self.subnets_routed_to(nat) if s.az}))

    def instance_subnet(self, instance: Resource) -> Subnet | None:
        found = self.subnets_of([instance.get("subnetId")])
        return found[0] if found else None

    @property
    def interface_endpoints(self) -> list[InterfaceEndpoint]:
        return [InterfaceEndpoint(resource=e, service=_endpoint_service(e), azs=self.azs_of(e.get("subnetIds") or []))
                for e in self.of_type(VPC_ENDPOINT) if e.get("vpcEndpointType") == "Interface"]

    @property
    def gateway_endpoints(self) -> list[tuple[Resource, str]]:
        return [(e, _endpoint_service(e)) for e in self.of_type(VPC_ENDPOINT)
                if e.get("vpcEndpointType") == "Gateway"]

    # -- compute -----------------------------------------------------------------------------------------------
    @cached_property
    def fargate_services(self) -> list[FargateService]:
        # Read once: the cost lines, the diagram and services_of all ask for it, and the capture does not change.
        services = []
        for service in self.of_type(ECS_SERVICE):
            task_definition = self.resolve(service.get("taskDefinition"))
            if task_definition is None:
                raise InventoryError(f"ECS service {service.name} names task definition "
                                     f"{service.get('taskDefinition')!r}, which the stack does not declare")
            strategy, source = self._strategy(service)
            if not all(p in (ON_DEMAND, SPOT) for p, _, _ in strategy):
                continue  # EC2 capacity: priced by its instances, not here
            platform = task_definition.get("runtimePlatform") or {}
            if (platform.get("operatingSystemFamily") or "LINUX") != "LINUX":
                raise InventoryError(f"task definition {task_definition.name} runs "
                                     f"{platform['operatingSystemFamily']}; the report prices Linux tasks only")
            desired = self._desired_count(service)
            deployment = service.get("deploymentConfiguration") or {}
            services.append(FargateService(
                resource=service, task_definition=task_definition, cluster=self.resolve(service.get("cluster")),
                vcpu=_number(task_definition, "cpu") / 1024, memory_gb=_number(task_definition, "memory") / 1024,
                architecture=platform.get("cpuArchitecture") or "X86_64", desired_count=desired,
                tasks_by_provider=split_tasks(desired, strategy),
                azs=self.azs_of(service.get("networkConfiguration.subnets") or []), strategy_source=source,
                strategy=tuple(strategy), deployment_strategy=deployment.get("strategy") or "ROLLING",
                bake_minutes=float(deployment.get("bakeTimeInMinutes") or 0),
                hook_targets=tuple(h.get("hookTargetArn") for h in as_list(deployment.get("lifecycleHooks"))
                                   if h.get("hookTargetArn")),
                scalable_target=self.scalable_target_of(service),
                environment=tuple((e.get("name"), e.get("value")) for c in _container_definitions(task_definition)
                                  for e in as_list(c.get("environment")))))
        return services

    def scalable_target_of(self, service: Resource) -> Resource | None:
        physical = service.state.get("name", "")
        for target in self.of_type(SCALABLE_TARGET):
            if physical and str(target.get("resourceId", "")).endswith(f"/{physical}"):
                return target
        return None

    def scaling_policies_of(self, target: Resource) -> list[Resource]:
        return [p for p in self.of_type(SCALING_POLICY) if p.get("resourceId") == target.get("resourceId")]

    def _strategy(self, service: Resource) -> tuple[list[tuple[str, int, float]], str]:
        def entries(items: Any) -> list[tuple[str, int, float]]:
            return [(i["capacityProvider"], int(i.get("base") or 0), float(i.get("weight") or 0))
                    for i in as_list(items)]

        if service.get("capacityProviderStrategies"):
            return entries(service.get("capacityProviderStrategies")), "service capacity provider strategy"
        if service.get("launchType"):
            launch_type = service.get("launchType")
            return [(launch_type if launch_type == "FARGATE" else "EC2", 0, 1.0)], f"launch type {launch_type}"
        cluster = self.resolve(service.get("cluster"))
        for providers in self.of_type(ECS_CAPACITY_PROVIDERS):
            if cluster is not None and self.resolve(providers.get("clusterName")) is cluster \
                    and providers.get("defaultCapacityProviderStrategies"):
                return entries(providers.get("defaultCapacityProviderStrategies")), "cluster default strategy"
        return [(ON_DEMAND, 0, 1.0)], "no strategy (ECS default)"

    def _desired_count(self, service: Resource) -> int:
        if service.get("desiredCount") is not None:
            return int(service.get("desiredCount"))
        # Left to autoscaling: at rest the service runs its minimum.
        target = self.scalable_target_of(service)
        return int(target.get("minCapacity") or 0) if target is not None else 0

    def container_insights(self, cluster: Resource) -> str:
        """The cluster's containerInsights setting: disabled, enabled or enhanced."""
        for setting in as_list(cluster.get("settings")):
            if setting.get("name") == "containerInsights":
                return setting.get("value") or "disabled"
        return "disabled"

    def services_of(self, cluster: Resource) -> list[FargateService]:
        return [s for s in self.fargate_services if s.cluster is cluster]

    # -- logs --------------------------------------------------------------------------------------------------
    def log_group_role(self, group: Resource) -> str:
        """flow (a flow log delivers to it), application (a container logs to it), function (a Lambda function
        logs to it), or other."""
        names = {group.get("name"), group.state.get("name"), group.state.get("arn")} - {None}
        for function in self.of_type(LAMBDA_FUNCTION):
            if function.get("loggingConfig.logGroup") in names or \
                    f"/aws/lambda/{function.get('name') or function.state.get('name')}" in names:
                return "function"
        for flow_log in self.of_type(FLOW_LOG):
            destination = flow_log.get("logDestination") or flow_log.get("logGroupName")
            if destination in names or str(destination).removesuffix(":*") in names:
                return "flow"
        for task_definition in self.of_type(ECS_TASK_DEFINITION):
            for container in _container_definitions(task_definition):
                options = (container.get("logConfiguration") or {}).get("options") or {}
                if options.get("awslogs-group") in names:
                    return "application"
        return "other"

    def log_writers(self) -> list["LogWriter"]:
        """Every delivery of AWS service logs into a bucket: CloudFront standard logging (v2) and web ACL logging
        (vended logs, billed per GB delivered), load balancer and S3 server access logs and the trail (free to
        deliver; storage only)."""
        writers = []
        destinations = {d.state.get("arn"): d for d in self.of_type(LOG_DELIVERY_DESTINATION)}
        for delivery in self.of_type(LOG_DELIVERY):
            destination = destinations.get(delivery.get("deliveryDestinationArn"))
            arn = destination.get("deliveryDestinationConfiguration.destinationResourceArn") if destination else None
            bucket = self.bucket_named(arn)
            if destination is None or destination.get("deliveryDestinationType") != "S3" or bucket is None:
                raise InventoryError(f"{delivery.name}: a log delivery to something other than an S3 bucket of the "
                                     "stack has no price model in the report")
            sources = [s for s in self.of_type(LOG_DELIVERY_SOURCE)
                       if s.get("name") == delivery.get("deliverySourceName")]
            source = sources[0] if sources else None
            origin = self.resolve(source.get("resourceArn")) if source is not None else None
            kind = "cloudfront" if origin is not None and origin.type == DISTRIBUTION else "vended"
            prefix = str(arn).split("/", 1)[1] if "/" in str(arn) else ""
            writers.append(LogWriter(kind=kind, bucket=bucket, prefix=prefix,
                                     resources=tuple(r for r in (delivery, source, destination) if r is not None),
                                     delivery_region=self.region_of(delivery)))
        for logging in self.of_type(WAF_LOGGING):
            for destination in as_list(logging.get("logDestinationConfigs")):
                bucket = self.bucket_named(destination)
                if bucket is None:
                    raise InventoryError(f"{logging.name}: web ACL logs to {destination}, which is not an S3 bucket "
                                         "of the stack; the report prices bucket deliveries only")
                writers.append(LogWriter(kind="waf", bucket=bucket, prefix="", resources=(logging,),
                                         delivery_region=self.region_of(logging)))
        for lb in self.of_type(LOAD_BALANCER):
            if lb.get("accessLogs.enabled"):
                bucket = self.bucket_named(lb.get("accessLogs.bucket"))
                if bucket is not None:
                    writers.append(LogWriter(kind="alb", bucket=bucket, prefix=lb.get("accessLogs.prefix") or "",
                                             resources=(lb,)))
        for logging in self.of_type(*BUCKET_LOGGING):
            bucket = self.bucket_named(logging.get("targetBucket"))
            if bucket is not None:
                writers.append(LogWriter(kind="s3", bucket=bucket, prefix=logging.get("targetPrefix") or "",
                                         resources=(logging,)))
        for trail in self.of_type(TRAIL):
            bucket = self.bucket_named(trail.get("s3BucketName"))
            if bucket is not None:
                writers.append(LogWriter(kind="cloudtrail", bucket=bucket, prefix=trail.get("s3KeyPrefix") or "",
                                         resources=(trail,)))
        return writers

    def expiration_days(self, bucket: Resource, prefix: str) -> float | None:
        """The days after which the bucket's lifecycle expires objects under `prefix` (the soonest rule that
        applies to the whole bucket or to a prefix containing it), None when nothing expires them."""
        days = []
        for configuration in self.of_type(*BUCKET_LIFECYCLE):
            if self.bucket_named(configuration.get("bucket")) is not bucket:
                continue
            for rule in as_list(configuration.get("rules")):
                rule_prefix = (rule.get("filter") or {}).get("prefix") or rule.get("prefix") or ""
                expiry = (rule.get("expiration") or {}).get("days")
                if rule.get("status") == "Enabled" and expiry and prefix.startswith(rule_prefix):
                    days.append(float(expiry))
        return min(days) if days else None

    # -- edge --------------------------------------------------------------------------------------------------
    def site_buckets(self) -> list[Resource]:
        """Buckets a CloudFront distribution serves as an origin."""
        domains = {o.get("domainName") for d in self.of_type(DISTRIBUTION) for o in as_list(d.get("origins"))}
        return [b for b in self.of_type(*BUCKETS) if b.state.get("bucketRegionalDomainName") in domains]

    def vpc_origin_targets(self, vpc_origin: Resource) -> Resource | None:
        return self.resolve(vpc_origin.get("vpcOriginEndpointConfig.arn"))


def split_tasks(desired: int, strategy: list[tuple[str, int, float]]) -> dict[str, int]:
    """Tasks per capacity provider, as ECS places them: each provider's `base` first, the rest by weight
    (largest remainder; ties go to the provider listed first)."""
    counts = {provider: 0 for provider, _, _ in strategy}
    remaining = desired
    for provider, base, _ in strategy:
        taken = min(base, remaining)
        counts[provider] += taken
        remaining -= taken
    weights = [(provider, weight) for provider, _, weight in strategy if weight > 0]
    if remaining and not weights:
        raise InventoryError(f"capacity provider strategy {strategy} places {remaining} tasks beyond its bases "
                             "but gives no provider a weight")
    total = sum(w for _, w in weights)
    shares = [(provider, remaining * weight / total) for provider, weight in weights]
    for provider, share in shares:
        counts[provider] += math.floor(share)
    left = remaining - sum(math.floor(share) for _, share in shares)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i][1] - math.floor(shares[i][1])), i))
    for i in by_remainder[:left]:
        counts[shares[i][0]] += 1
    return {provider: n for provider, n in counts.items() if n}


def _endpoint_service(endpoint: Resource) -> str:
    """`com.amazonaws.ap-northeast-1.ecr.api` → `ecr.api`."""
    parts = str(endpoint.get("serviceName", "")).split(".")
    return ".".join(parts[3:]) if len(parts) > 3 else ".".join(parts)


def _number(resource: Resource, key: str) -> float:
    value = resource.get(key)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InventoryError(f"{resource.name}: {key} = {value!r} is not a number; the report needs the task "
                             "size at the task definition level") from None


def _container_definitions(task_definition: Resource) -> list[dict[str, Any]]:
    value = task_definition.get("containerDefinitions")
    try:
        return json.loads(value) if isinstance(value, str) else as_list(value)
    except json.JSONDecodeError:
        return []
