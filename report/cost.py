"""Monthly cost of one stack: one line per thing that bills, each computed from the resources that cause it.

A line holds its quantity (hours, GB, requests...), the unit price it is multiplied by (from `prices.json`, for
the stack's region) and how the quantity follows from the resources (`basis`). Lines that bill whether or not
anyone visits are "at rest"; lines that scale with traffic take their volume from `usage.json`. A line appears
only when the stack declares the resource that bills it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from mock_engine import Capture, as_list

from . import inventory as inv
from .assumptions import AssumptionError, PriceBook, Usage, load_prices, load_usage
from .inventory import Inventory

# Groups, in the order tables show them. The NAT group is what the NAT comparison adds up.
NAT = "NAT"
GROUPS = (NAT, "Network", "Load balancer", "Compute", "Monitoring", "Logs", "Security", "Edge", "Data", "Registry")
# AWS Managed Rules groups that carry a subscription and per-request fee on top of the rule price.
PREMIUM_RULE_GROUPS = ("AWSManagedRulesBotControlRuleSet", "AWSManagedRulesATPRuleSet",
                       "AWSManagedRulesACFPRuleSet", "AWSManagedRulesAntiDDoSRuleSet")


@dataclass(frozen=True)
class CostLine:
    key: str
    """Stable across stacks (`regional-nat-gateway-hours`), so stacks can be compared line by line."""
    group: str
    item: str
    quantity: float
    unit: str
    unit_price: float
    price: str
    """The prices.json key(s) the unit price comes from."""
    basis: str
    """How the quantity follows from the resources and usage assumptions."""
    resources: tuple[str, ...] = ()
    usage_driven: bool = False

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class CostReport:
    stack: str
    region: str
    prices: PriceBook
    usage: Usage
    lines: tuple[CostLine, ...]

    def line(self, key: str) -> Optional[CostLine]:
        return next((line for line in self.lines if line.key == key), None)

    def monthly(self, key: str) -> float:
        """The line's monthly figure, 0 when the stack has no such line."""
        line = self.line(key)
        return line.monthly if line else 0.0

    @property
    def at_rest(self) -> list[CostLine]:
        return [line for line in self.lines if not line.usage_driven]

    @property
    def usage_driven(self) -> list[CostLine]:
        return [line for line in self.lines if line.usage_driven]

    def group_total(self, group: str) -> float:
        return sum(line.monthly for line in self.lines if line.group == group)

    @property
    def at_rest_total(self) -> float:
        return sum(line.monthly for line in self.at_rest)

    @property
    def usage_total(self) -> float:
        return sum(line.monthly for line in self.usage_driven)

    @property
    def total(self) -> float:
        return self.at_rest_total + self.usage_total


@dataclass
class _Lines:
    prices: PriceBook
    usage: Usage
    lines: list[CostLine] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return self.prices.hours_per_month

    def add(self, key: str, group: str, item: str, quantity: float, unit: str, price: str, basis: str,
            resources: list[str], variant: Optional[str] = None, usage_driven: bool = False) -> None:
        self.lines.append(CostLine(
            key=key, group=group, item=item, quantity=quantity, unit=unit,
            unit_price=self.prices.price(price, variant),
            price=f"{price}[{variant}]" if variant else price, basis=basis, resources=tuple(resources),
            usage_driven=usage_driven))


def estimate(capture: Capture, prices: Optional[PriceBook] = None, usage: Optional[Usage] = None) -> CostReport:
    """The cost report of a captured stack, priced for its region."""
    stock = Inventory(capture)
    prices = prices or load_prices(stock.region)
    usage = usage or load_usage()
    out = _Lines(prices=prices, usage=usage)
    for add_lines in (_nat, _public_addresses, _interface_endpoints, _load_balancers, _fargate, _alarms,
                      _container_insights, _logs, _kms, _web_acls, _edge, _dynamodb, _s3, _ecr):
        add_lines(stock, out)
    order = {group: i for i, group in enumerate(GROUPS)}
    lines = sorted(out.lines, key=lambda line: (line.usage_driven, order[line.group]))
    return CostReport(stack=capture.stack, region=stock.region, prices=prices, usage=usage, lines=tuple(lines))


PLURALS = {"policy": "policies", "address": "addresses", "repository": "repositories"}


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word if n == 1 else PLURALS.get(word, word + 's')}"


def _nat(stock: Inventory, out: _Lines) -> None:
    h = out.hours
    by_type: dict[str, list] = defaultdict(list)
    for instance in stock.nat_instances:
        by_type[instance.get("instanceType")].append(instance)
    for instance_type, instances in sorted(by_type.items()):
        out.add(f"nat-instance-hours-{instance_type}", NAT, f"NAT instance ({instance_type})",
                len(instances) * h, "instance-hours", "ec2InstanceHour",
                f"{_plural(len(instances), 'instance')} × {h:g} h", [i.name for i in instances],
                variant=instance_type)
    volumes = []
    for instance in stock.nat_instances:
        root = instance.get("rootBlockDevice") or {}
        volume_type = root.get("volumeType") or "gp3"
        if volume_type != "gp3":
            raise AssumptionError(f"{instance.name}: root volume type {volume_type} has no price in the report; "
                                  "prices.json holds gp3 only")
        size = root.get("volumeSize")
        volumes.append((instance, float(size) if size else out.usage["rootVolumeGbWhenUnset"], size is None))
    if volumes:
        gb = sum(size for _, size, _ in volumes)
        defaulted = " (size left to the AMI: usage rootVolumeGbWhenUnset)" if any(d for *_, d in volumes) else ""
        out.add("nat-instance-root-volume", NAT, "NAT instance root volume (gp3)", gb, "GB-months",
                "ebsGp3GbMonth", f"{_plural(len(volumes), 'volume')}, {gb:g} GB{defaulted}",
                [i.name for i, *_ in volumes])
    with_ip = [i for i in stock.nat_instances if i.get("associatePublicIpAddress")]
    if with_ip:
        out.add("nat-instance-public-ipv4", NAT, "NAT instance public IPv4 address", len(with_ip) * h,
                "address-hours", "publicIpv4Hour", f"{_plural(len(with_ip), 'address')} "
                "(associatePublicIpAddress) × " f"{h:g} h", [i.name for i in with_ip])

    regional = [(nat, stock.regional_nat_azs(nat)) for nat in stock.regional_nat_gateways]
    if regional:
        az_hours = sum(len(azs) for _, azs in regional) * h
        spans = "; ".join(f"{nat.name} in {len(azs)} AZs ({', '.join(azs)})" for nat, azs in regional)
        out.add("regional-nat-gateway-hours", NAT, "Regional NAT gateway, per AZ with workloads", az_hours,
                "NAT gateway AZ-hours", "natGatewayHour", f"{spans} × {h:g} h; the AZs are those of the "
                "subnets routed to it", [nat.name for nat, _ in regional])
        # In auto mode AWS gives the gateway one public address per AZ; manual mode names EIPs (priced as Eips).
        auto = [(nat, azs) for nat, azs in regional if not as_list(nat.get("availabilityZoneAddresses"))]
        if auto:
            addresses = sum(len(azs) for _, azs in auto)
            out.add("regional-nat-public-ipv4", NAT, "Regional NAT gateway public IPv4 addresses (auto mode)",
                    addresses * h, "address-hours", "publicIpv4Hour",
                    f"{_plural(addresses, 'address')}, one per AZ × {h:g} h", [nat.name for nat, _ in auto])
    zonal = stock.zonal_nat_gateways
    if zonal:
        out.add("nat-gateway-hours", NAT, "NAT gateway (zonal)", len(zonal) * h, "NAT gateway-hours",
                "natGatewayHour", f"{_plural(len(zonal), 'gateway')} × {h:g} h", [n.name for n in zonal])
    if regional or zonal:
        gb = out.usage["natProcessedGbPerMonth"]
        out.add("nat-gateway-processing", NAT, "NAT gateway data processing", gb, "GB", "natGatewayGb",
                "usage natProcessedGbPerMonth", [n.name for n in stock.of_type(inv.NAT_GATEWAY)], usage_driven=True)


def _public_addresses(stock: Inventory, out: _Lines) -> None:
    eips = stock.of_type(inv.EIP)
    if eips:
        out.add("elastic-ip-public-ipv4", "Network", "Elastic IP addresses", len(eips) * out.hours, "address-hours",
                "publicIpv4Hour", f"{_plural(len(eips), 'Elastic IP')} × {out.hours:g} h", [e.name for e in eips])
    others = [i for i in stock.of_type(inv.INSTANCE) if i not in stock.nat_instances]
    for instance in others:
        out.add(f"instance-hours-{instance.name}", "Compute", f"EC2 instance {instance.name}", out.hours,
                "instance-hours", "ec2InstanceHour", f"1 × {out.hours:g} h", [instance.name],
                variant=instance.get("instanceType"))


def _interface_endpoints(stock: Inventory, out: _Lines) -> None:
    endpoints = stock.interface_endpoints
    if not endpoints:
        return
    enis = sum(max(len(e.azs), 1) for e in endpoints)
    listing = ", ".join(f"{e.service} × {len(e.azs)} AZ" for e in endpoints)
    out.add("interface-endpoint-hours", "Network", "Interface VPC endpoints, per AZ", enis * out.hours,
            "endpoint AZ-hours", "interfaceEndpointHour", f"{listing} = {enis} × {out.hours:g} h",
            [e.resource.name for e in endpoints])
    out.add("interface-endpoint-processing", "Network", "Interface endpoint data processing",
            out.usage["interfaceEndpointProcessedGbPerMonth"], "GB", "interfaceEndpointGb",
            "usage interfaceEndpointProcessedGbPerMonth", [e.resource.name for e in endpoints], usage_driven=True)


def _load_balancers(stock: Inventory, out: _Lines) -> None:
    balancers = stock.of_type(inv.LOAD_BALANCER)
    for lb in balancers:
        if (lb.get("loadBalancerType") or "application") != "application":
            raise AssumptionError(f"{lb.name}: a {lb.get('loadBalancerType')} load balancer has no price model in "
                                  "the report; add its hourly and capacity-unit prices")
    if not balancers:
        return
    names = [lb.name for lb in balancers]
    out.add("alb-hours", "Load balancer", "Application Load Balancer", len(balancers) * out.hours,
            "load balancer-hours", "albHour", f"{_plural(len(balancers), 'ALB')} × {out.hours:g} h", names)
    lcu = out.usage["albAverageLcu"]
    out.add("alb-lcu-hours", "Load balancer", "ALB capacity units (baseline)", len(balancers) * lcu * out.hours,
            "LCU-hours", "albLcuHour", f"{_plural(len(balancers), 'ALB')} × usage albAverageLcu {lcu:g} × "
            f"{out.hours:g} h", names)


def _fargate(stock: Inventory, out: _Lines) -> None:
    # One vCPU line and one memory line per capacity kind and CPU architecture, summed over the services.
    vcpu_hours: dict[tuple[str, str], list] = defaultdict(list)
    gb_hours: dict[tuple[str, str], list] = defaultdict(list)
    for service in stock.fargate_services:
        for provider, tasks in service.tasks_by_provider.items():
            key = (provider, service.architecture)
            how = (f"{service.resource.name}: {_plural(tasks, 'task')} ({service.strategy_source}, desired "
                   f"{service.desired_count})")
            vcpu_hours[key].append((tasks * service.vcpu * out.hours, f"{how} × {service.vcpu:g} vCPU",
                                    service.resource.name))
            gb_hours[key].append((tasks * service.memory_gb * out.hours, f"{how} × {service.memory_gb:g} GB",
                                  service.resource.name))
    for (provider, arch), parts in sorted(vcpu_hours.items()):
        spot = provider == inv.SPOT
        kind = "spot" if spot else "on-demand"
        label = "Fargate Spot" if spot else "Fargate on-demand"
        out.add(f"fargate-{kind}-{arch.lower()}-vcpu", "Compute", f"{label} vCPU ({arch})",
                sum(q for q, _, _ in parts), "vCPU-hours", "fargateSpotVcpuHour" if spot else "fargateVcpuHour",
                "; ".join(b for _, b, _ in parts) + f" × {out.hours:g} h", [n for *_, n in parts], variant=arch)
        memory = gb_hours[(provider, arch)]
        out.add(f"fargate-{kind}-{arch.lower()}-memory", "Compute", f"{label} memory ({arch})",
                sum(q for q, _, _ in memory), "GB-hours", "fargateSpotGbHour" if spot else "fargateGbHour",
                "; ".join(b for _, b, _ in memory) + f" × {out.hours:g} h", [n for *_, n in memory], variant=arch)


def _alarms(stock: Inventory, out: _Lines) -> None:
    standard, high, names = 0, 0, []
    for alarm in stock.of_type(inv.METRIC_ALARM):
        # A metric-math alarm bills once per metric it reads.
        queries = [q for q in as_list(alarm.get("metricQueries")) if q.get("metric")]
        periods = [q["metric"].get("period") for q in queries] if queries else [alarm.get("period")]
        metrics = max(len(queries), 1)
        if any(p is not None and float(p) < 60 for p in periods):
            high += metrics
        else:
            standard += metrics
        names.append(alarm.name)
    if standard:
        out.add("cloudwatch-alarms", "Monitoring", "CloudWatch metric alarms", standard, "alarm metrics",
                "cloudwatchAlarmMonth", f"{_plural(len(names), 'alarm')} reading {standard} metrics at 1-minute "
                "or longer periods", names)
    if high:
        out.add("cloudwatch-alarms-high-resolution", "Monitoring", "CloudWatch high-resolution alarms", high,
                "alarm metrics", "cloudwatchHighResolutionAlarmMonth", f"{high} metrics at periods under 60 s",
                names)
    # Target tracking creates and bills a scale-out alarm per policy, and a scale-in one unless scale-in is off.
    policies = [p for p in stock.of_type(inv.SCALING_POLICY) if p.get("policyType") == "TargetTrackingScaling"]
    scale_in = [p for p in policies if not p.get("targetTrackingScalingPolicyConfiguration.disableScaleIn")]
    created = len(policies) + len(scale_in)
    if created:
        out.add("target-tracking-alarms", "Monitoring", "Alarms created by target-tracking scaling", created,
                "alarms", "cloudwatchAlarmMonth", f"{len(policies)} scale-out + {len(scale_in)} scale-in alarms of "
                f"{_plural(len(policies), 'policy')}", [p.name for p in policies])


def _container_insights(stock: Inventory, out: _Lines) -> None:
    metrics, log_gb, names, bases = 0.0, 0.0, [], []
    for cluster in stock.of_type(inv.ECS_CLUSTER):
        mode = stock.container_insights(cluster)
        if mode == "disabled":
            continue
        services = stock.services_of(cluster)
        tasks = sum(s.desired_count for s in services)
        metrics += out.usage["containerInsightsMetricsPerCluster"] + \
            len(services) * out.usage["containerInsightsMetricsPerService"]
        log_gb += tasks * out.usage["containerInsightsLogGbPerTaskMonth"]
        names.append(cluster.name)
        bases.append(f"{cluster.name} ({mode}): 1 cluster, {_plural(len(services), 'service')}, "
                     f"{_plural(tasks, 'task')}")
    if not names:
        return
    out.add("container-insights-metrics", "Monitoring", "Container Insights metrics", metrics, "metrics",
            "cloudwatchMetricMonth", "; ".join(bases) + " × usage containerInsightsMetricsPerCluster/PerService",
            names)
    out.add("container-insights-logs", "Monitoring", "Container Insights performance log ingestion", log_gb, "GB",
            "logsIngestGb", "tasks × usage containerInsightsLogGbPerTaskMonth", names)


def _logs(stock: Inventory, out: _Lines) -> None:
    for role, usage_key, price, label in (
            ("application", "applicationLogGbPerMonth", "logsIngestGb", "Application logs"),
            ("flow", "flowLogGbPerMonth", "logsVendedIngestGb", "VPC flow logs")):
        groups = [g for g in stock.of_type(inv.LOG_GROUP) if stock.log_group_role(g) == role]
        if not groups:
            continue
        gb = out.usage[usage_key] * len(groups)
        names = [g.name for g in groups]
        out.add(f"{role}-log-ingestion", "Logs", f"{label}: ingestion", gb, "GB", price,
                f"{_plural(len(groups), 'log group')} × usage {usage_key}", names)
        # Steady state: a group keeps `retention` worth of monthly ingestion.
        stored, held = 0.0, []
        for group in groups:
            days = group.get("retentionInDays")
            months = float(days) * 12 / 365 if days else out.usage["logStorageMonthsWhenNeverExpiring"]
            stored += out.usage[usage_key] * months
            held.append(f"{int(days)} days" if days else "never expires")
        out.add(f"{role}-log-storage", "Logs", f"{label}: storage", stored, "GB-months", "logsStorageGbMonth",
                f"usage {usage_key} held for the retention ({', '.join(held)})", names)


def _kms(stock: Inventory, out: _Lines) -> None:
    keys = stock.of_type(inv.KMS_KEY)
    if keys:
        out.add("kms-keys", "Security", "KMS customer managed keys", len(keys), "keys", "kmsKeyMonth",
                _plural(len(keys), "key"), [k.name for k in keys])


def _web_acls(stock: Inventory, out: _Lines) -> None:
    acls = stock.of_type(inv.WEB_ACL)
    if not acls:
        return
    rules = []
    for acl in acls:
        for rule in as_list(acl.get("rules")):
            group = ((rule.get("statement") or {}).get("managedRuleGroupStatement") or {}).get("name")
            if group in PREMIUM_RULE_GROUPS:
                raise AssumptionError(f"{acl.name}: managed rule group {group} carries fees the report does not "
                                      "price; add them before trusting the estimate")
            rules.append(rule.get("name"))
    names = [a.name for a in acls]
    out.add("waf-web-acls", "Security", "WAF web ACL", len(acls), "web ACLs", "wafWebAclMonth",
            _plural(len(acls), "web ACL"), names)
    out.add("waf-rules", "Security", "WAF rules", len(rules), "rules", "wafRuleMonth",
            f"{', '.join(rules)} (a managed rule group counts as one rule)", names)
    requests = out.usage["cloudfrontRequestsPerMonth"] / 1e6
    out.add("waf-requests", "Security", "WAF requests inspected", requests * len(acls), "million requests",
            "wafMillionRequests", "usage cloudfrontRequestsPerMonth, every viewer request", names,
            usage_driven=True)


def _edge(stock: Inventory, out: _Lines) -> None:
    distributions = stock.of_type(inv.DISTRIBUTION)
    if not distributions:
        return
    names = [d.name for d in distributions]
    out.add("cloudfront-requests", "Edge", "CloudFront HTTPS requests", out.usage["cloudfrontRequestsPerMonth"] / 1e6,
            "million requests", "cloudfrontMillionHttpsRequests", "usage cloudfrontRequestsPerMonth", names,
            usage_driven=True)
    out.add("cloudfront-transfer", "Edge", "CloudFront data transfer out", out.usage["cloudfrontTransferGbPerMonth"],
            "GB", "cloudfrontTransferGb", "usage cloudfrontTransferGbPerMonth (VPC origins and origin fetches "
            "from AWS origins are free)", names, usage_driven=True)


def _dynamodb(stock: Inventory, out: _Lines) -> None:
    tables = stock.of_type(inv.TABLE)
    if not tables:
        return
    on_demand = [t for t in tables if t.get("billingMode") == "PAY_PER_REQUEST"]
    provisioned = [t for t in tables if t not in on_demand]
    if on_demand:
        names = [t.name for t in on_demand]
        out.add("dynamodb-reads", "Data", "DynamoDB on-demand reads",
                out.usage["dynamodbReadRequestUnitsPerMonth"] / 1e6, "million read units",
                "dynamodbMillionReadUnits", "usage dynamodbReadRequestUnitsPerMonth", names, usage_driven=True)
        out.add("dynamodb-writes", "Data", "DynamoDB on-demand writes",
                out.usage["dynamodbWriteRequestUnitsPerMonth"] / 1e6, "million write units",
                "dynamodbMillionWriteUnits", "usage dynamodbWriteRequestUnitsPerMonth", names, usage_driven=True)
    if provisioned:
        names = [t.name for t in provisioned]
        reads = sum(float(t.get("readCapacity") or 0) for t in provisioned) * out.hours
        writes = sum(float(t.get("writeCapacity") or 0) for t in provisioned) * out.hours
        out.add("dynamodb-provisioned-reads", "Data", "DynamoDB provisioned read capacity", reads, "RCU-hours",
                "dynamodbReadCapacityUnitHour", f"readCapacity × {out.hours:g} h", names)
        out.add("dynamodb-provisioned-writes", "Data", "DynamoDB provisioned write capacity", writes, "WCU-hours",
                "dynamodbWriteCapacityUnitHour", f"writeCapacity × {out.hours:g} h", names)
    gb = out.usage["dynamodbStorageGb"]
    out.add("dynamodb-storage", "Data", "DynamoDB storage", gb, "GB-months", "dynamodbStorageGbMonth",
            "usage dynamodbStorageGb", [t.name for t in tables], usage_driven=True)
    recovered = [t for t in tables if t.get("pointInTimeRecovery.enabled")]
    if recovered:
        out.add("dynamodb-pitr", "Data", "DynamoDB point-in-time recovery", gb, "GB-months", "dynamodbPitrGbMonth",
                "usage dynamodbStorageGb, continuously backed up", [t.name for t in recovered], usage_driven=True)


def _s3(stock: Inventory, out: _Lines) -> None:
    buckets = stock.of_type(*inv.BUCKETS)
    if not buckets:
        return
    names = [b.name for b in buckets]
    out.add("s3-storage", "Data", "S3 Standard storage", out.usage["s3StorageGb"], "GB-months", "s3StorageGbMonth",
            f"usage s3StorageGb across {_plural(len(buckets), 'bucket')}", names, usage_driven=True)
    out.add("s3-get-requests", "Data", "S3 GET requests", out.usage["s3GetRequestsPerMonth"] / 1000,
            "thousand requests", "s3ThousandGetRequests", "usage s3GetRequestsPerMonth", names, usage_driven=True)
    out.add("s3-put-requests", "Data", "S3 PUT/LIST requests", out.usage["s3PutRequestsPerMonth"] / 1000,
            "thousand requests", "s3ThousandPutRequests", "usage s3PutRequestsPerMonth", names, usage_driven=True)


def _ecr(stock: Inventory, out: _Lines) -> None:
    repositories = stock.of_type(inv.ECR_REPOSITORY)
    if repositories:
        out.add("ecr-storage", "Registry", "ECR image storage", out.usage["ecrStorageGb"], "GB-months",
                "ecrStorageGbMonth", f"usage ecrStorageGb across {_plural(len(repositories), 'repository')}",
                [r.name for r in repositories], usage_driven=True)
