"""Monthly cost of one stack: one line per thing that bills, each computed from the resources that cause it.

A line holds its quantity (hours, GB, requests...), the unit price it is multiplied by (from `prices.json`, for the
region the resource bills in: the stack's, or us-east-1 for what CloudFront's global side runs there) and how the
quantity follows from the resources (`basis`). Lines that bill whether or not anyone visits are "at rest"; lines
that scale with traffic or activity take their volume from `usage.json`. A line appears only when the stack declares
the resource that bills it.

Every resource the stack declares is accounted for: it is named by a line, or by a "declared, not billed" item
saying why it carries no charge. A resource that is neither is an error, so a new kind of resource cannot slip into
the stack unpriced. No free tier is counted (AWS's always-free allowances included): a free tier is shared by the
whole account, and a report that spent it on one stack would understate every other.
"""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any

from mock_engine import Capture, Resource, as_list

from . import inventory as inv
from .assumptions import AssumptionError, PriceBook, Usage, load_prices, load_usage
from .inventory import FargateService, Inventory

# Groups, in the order tables show them. The NAT group is what the NAT comparison adds up.
NAT = "NAT"
GROUPS = (NAT, "Network", "Load balancer", "Compute", "Messaging", "Monitoring", "Logs", "Security", "Identity",
          "Edge", "Data", "Registry")
# AWS Managed Rules groups that carry a subscription and per-request fee on top of the rule price.
PREMIUM_RULE_GROUPS = ("AWSManagedRulesBotControlRuleSet", "AWSManagedRulesATPRuleSet",
                       "AWSManagedRulesACFPRuleSet", "AWSManagedRulesAntiDDoSRuleSet")
CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"
# A distribution's additional metrics (CloudFront Developer Guide, "Viewing additional CloudFront distribution
# metrics"): cache hit rate, origin latency and the error rates of six status codes, billed as CloudWatch custom
# metrics in us-east-1, where CloudFront publishes its metrics.
ADDITIONAL_CLOUDFRONT_METRICS = ("CacheHitRate", "OriginLatency", "401ErrorRate", "403ErrorRate", "404ErrorRate",
                                 "502ErrorRate", "503ErrorRate", "504ErrorRate")
CLOUDFRONT_METRICS_REGION = "us-east-1"
DEFAULT_BEHAVIOUR = "*"
# Target tracking removes the last task only after its scale-in alarm has seen 15 one-minute datapoints below target
# (Application Auto Scaling User Guide, target tracking policies): the idle tail of a service woken from zero that
# has no scale-to-zero alarm of its own.
TRACKING_SCALE_IN_SECONDS = 15 * 60
SECONDS_PER_HOUR = 3600.0


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
    region: str = ""
    """The region whose price the line is billed at."""

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class FreeItem:
    """Declared resources that carry no charge of their own, and why."""

    key: str
    item: str
    reason: str
    resources: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    """A per-stack setting, and the lines that exist (or grow) because of it."""

    label: str
    setting: str
    patterns: tuple[str, ...]
    """Line keys (fnmatch patterns) the choice brings."""
    free: tuple[str, ...] = ()
    """Keys of the free items it brings."""

    def lines(self, report: "CostReport") -> list[CostLine]:
        return [line for line in report.lines if any(fnmatch(line.key, p) for p in self.patterns)]

    def free_items(self, report: "CostReport") -> list[FreeItem]:
        return [item for item in report.free if item.key in self.free]

    def monthly(self, report: "CostReport") -> float:
        return sum(line.monthly for line in self.lines(report))


# The settings a stack file chooses between, and the lines each brings.
CHOICES = (
    Choice("NAT kind", "webstack:network.nat", ("nat-*", "regional-nat-*")),
    Choice("Interface endpoints", "webstack:network.interfaceEndpoints", ("interface-endpoint-*",)),
    Choice("VPC flow logs", "webstack:network.flowLogs", ("flow-log-*",)),
    Choice("Container Insights", "webstack:platform.containerInsights",
           ("container-insights-*", "cloudwatch-alarms-container-insights*",
            "target-tracking-alarms-container-insights")),
    Choice("Web ACL", "webstack:site.waf", ("waf-*", "log-archive-waf-*"), ("waf-ip-sets",)),
    Choice("Release strategy: the new revision beside the old, release alarms, release hook",
           "webstack:api.release, webstack:admin.service.release",
           ("fargate-*-releases", "cloudwatch-alarms-release*", "lambda-*", "function-log-*"),
           ("alternate-target-groups",)),
    Choice("CloudFront additional metrics", "webstack:site.additionalMetrics", ("cloudfront-additional-metrics",)),
    Choice("Account detection: CloudTrail and GuardDuty", "webstack:account",
           ("cloudtrail-*", "guardduty-*", "log-archive-cloudtrail-*"), ("cloudtrail-first-copy",
                                                                         "eventbridge-aws-events")),
)


@dataclass(frozen=True)
class CostReport:
    stack: str
    region: str
    prices: PriceBook
    usage: Usage
    lines: tuple[CostLine, ...]
    free: tuple[FreeItem, ...] = ()
    books: tuple[PriceBook, ...] = ()
    """Every price book a line reads (the stack region's first)."""

    def line(self, key: str) -> CostLine | None:
        return next((line for line in self.lines if line.key == key), None)

    def monthly(self, key: str) -> float:
        """The line's monthly figure, 0 when the stack has no such line."""
        line = self.line(key)
        return line.monthly if line else 0.0

    def free_item(self, key: str) -> FreeItem | None:
        return next((item for item in self.free if item.key == key), None)

    def book(self, region: str) -> PriceBook:
        return next(book for book in self.books if book.region == region)

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
    stock: Inventory
    prices: PriceBook
    usage: Usage
    lines: list[CostLine] = field(default_factory=list)
    free: list[FreeItem] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)
    books: dict[str, PriceBook] = field(default_factory=dict)

    @property
    def hours(self) -> float:
        return self.prices.hours_per_month

    def book(self, region: str | None) -> PriceBook:
        region = region or self.prices.region
        if region == self.prices.region:
            return self.prices
        if region not in self.books:
            self.books[region] = load_prices(region, self.prices.path)
        return self.books[region]

    def add(self, key: str, group: str, item: str, quantity: float, unit: str, price: str, basis: str,
            resources: Iterable[Resource], variant: str | None = None, usage_driven: bool = False,
            region: str | None = None) -> None:
        book = self.book(region)
        named = self._cover(resources)
        self.lines.append(CostLine(
            key=key, group=group, item=item, quantity=quantity, unit=unit, unit_price=book.price(price, variant),
            price=f"{price}[{variant}]" if variant else price, basis=basis, resources=named,
            usage_driven=usage_driven, region=book.region))

    def no_charge(self, key: str, item: str, reason: str, resources: Iterable[Resource]) -> None:
        named = self._cover(resources)
        if named:
            self.free.append(FreeItem(key=key, item=item, reason=reason, resources=named))

    def _cover(self, resources: Iterable[Resource]) -> tuple[str, ...]:
        unique = {r.urn: r for r in resources}
        self.covered.update(unique)
        return tuple(sorted(r.name for r in unique.values()))


def estimate(capture: Capture, prices: PriceBook | None = None, usage: Usage | None = None) -> CostReport:
    """The cost report of a captured stack, priced for its region."""
    stock = Inventory(capture)
    prices = prices or load_prices(stock.region)
    usage = usage or load_usage(stack=capture.stack)
    out = _Lines(stock=stock, prices=prices, usage=usage)
    for add_lines in (_nat, _public_addresses, _interface_endpoints, _load_balancers, _fargate, _queues, _alarms,
                      _container_insights, _dashboards, _logs, _log_archive, _kms, _web_acls, _account_detection,
                      _notifications, _functions, _user_pools, _edge, _dynamodb, _s3, _ecr, _not_billed):
        add_lines(stock, out)
    _check_every_resource_is_accounted_for(stock, out)
    order = {group: i for i, group in enumerate(GROUPS)}
    lines = sorted(out.lines, key=lambda line: (line.usage_driven, order[line.group]))
    books = (prices, *sorted(out.books.values(), key=lambda b: b.region))
    return CostReport(stack=capture.stack, region=stock.region, prices=prices, usage=usage, lines=tuple(lines),
                      free=tuple(sorted(out.free, key=lambda item: item.item)), books=books)


PLURALS = {"policy": "policies", "address": "addresses", "repository": "repositories", "entry": "entries"}


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word if n == 1 else PLURALS.get(word, word + 's')}"


def _names(resources: Iterable[Resource]) -> str:
    return ", ".join(r.name for r in resources)


# -- network -------------------------------------------------------------------------------------------------------

def _nat(stock: Inventory, out: _Lines) -> None:
    h = out.hours
    by_type: dict[str, list] = defaultdict(list)
    for instance in stock.nat_instances:
        by_type[instance.get("instanceType")].append(instance)
    for instance_type, instances in sorted(by_type.items()):
        out.add(f"nat-instance-hours-{instance_type}", NAT, f"NAT instance ({instance_type})",
                len(instances) * h, "instance-hours", "ec2InstanceHour",
                f"{_plural(len(instances), 'instance')} × {h:g} h", instances, variant=instance_type)
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
                [i for i, *_ in volumes])
    with_ip = [i for i in stock.nat_instances if i.get("associatePublicIpAddress")]
    if with_ip:
        out.add("nat-instance-public-ipv4", NAT, "NAT instance public IPv4 address", len(with_ip) * h,
                "address-hours", "publicIpv4Hour", f"{_plural(len(with_ip), 'address')} "
                "(associatePublicIpAddress) × " f"{h:g} h", with_ip)

    regional = [(nat, stock.regional_nat_azs(nat)) for nat in stock.regional_nat_gateways]
    if regional:
        az_hours = sum(len(azs) for _, azs in regional) * h
        spans = "; ".join(f"{nat.name} in {len(azs)} AZs ({', '.join(azs)})" for nat, azs in regional)
        out.add("regional-nat-gateway-hours", NAT, "Regional NAT gateway, per AZ with workloads", az_hours,
                "NAT gateway AZ-hours", "natGatewayHour", f"{spans} × {h:g} h; the AZs are those of the "
                "subnets routed to it", [nat for nat, _ in regional])
        auto = [(nat, azs) for nat, azs in regional if not as_list(nat.get("availabilityZoneAddresses"))]
        if auto:
            addresses = sum(len(azs) for _, azs in auto)
            out.add("regional-nat-public-ipv4", NAT, "Regional NAT gateway public IPv4 addresses (auto mode)",
                    addresses * h, "address-hours", "publicIpv4Hour",
                    f"auto mode allocates one Amazon-provided address per AZ: {_plural(addresses, 'address')} × "
                    f"{h:g} h", [nat for nat, _ in auto])
    zonal = stock.zonal_nat_gateways
    if zonal:
        out.add("nat-gateway-hours", NAT, "NAT gateway (zonal)", len(zonal) * h, "NAT gateway-hours",
                "natGatewayHour", f"{_plural(len(zonal), 'gateway')} × {h:g} h", zonal)
    if regional or zonal:
        gb = out.usage["natProcessedGbPerMonth"]
        out.add("nat-gateway-processing", NAT, "NAT gateway data processing", gb, "GB", "natGatewayGb",
                "usage natProcessedGbPerMonth", stock.of_type(inv.NAT_GATEWAY), usage_driven=True)


def _public_addresses(stock: Inventory, out: _Lines) -> None:
    eips = stock.of_type(inv.EIP)
    if eips:
        out.add("elastic-ip-public-ipv4", "Network", "Elastic IP addresses", len(eips) * out.hours, "address-hours",
                "publicIpv4Hour", f"{_plural(len(eips), 'Elastic IP')} × {out.hours:g} h", eips)
    others = [i for i in stock.of_type(inv.INSTANCE) if i not in stock.nat_instances]
    for instance in others:
        out.add(f"instance-hours-{instance.name}", "Compute", f"EC2 instance {instance.name}", out.hours,
                "instance-hours", "ec2InstanceHour", f"1 × {out.hours:g} h", [instance],
                variant=instance.get("instanceType"))


def _interface_endpoints(stock: Inventory, out: _Lines) -> None:
    endpoints = stock.interface_endpoints
    if endpoints:
        enis = sum(max(len(e.azs), 1) for e in endpoints)
        listing = ", ".join(f"{e.service} × {len(e.azs)} AZ" for e in endpoints)
        resources = [e.resource for e in endpoints]
        out.add("interface-endpoint-hours", "Network", "Interface VPC endpoints, per AZ", enis * out.hours,
                "endpoint AZ-hours", "interfaceEndpointHour", f"{listing} = {enis} × {out.hours:g} h", resources)
        out.add("interface-endpoint-processing", "Network", "Interface endpoint data processing",
                out.usage["interfaceEndpointProcessedGbPerMonth"], "GB", "interfaceEndpointGb",
                "usage interfaceEndpointProcessedGbPerMonth", resources, usage_driven=True)
    gateways = [endpoint for endpoint, _ in stock.gateway_endpoints]
    out.no_charge("gateway-endpoints", "Gateway VPC endpoints", "S3 and DynamoDB gateway endpoints carry no "
                  "charge (https://aws.amazon.com/privatelink/pricing/): the tasks reach both without the NAT",
                  gateways)


def _load_balancers(stock: Inventory, out: _Lines) -> None:
    balancers = stock.of_type(inv.LOAD_BALANCER)
    for lb in balancers:
        if (lb.get("loadBalancerType") or "application") != "application":
            raise AssumptionError(f"{lb.name}: a {lb.get('loadBalancerType')} load balancer has no price model in "
                                  "the report; add its hourly and capacity-unit prices")
    if not balancers:
        return
    out.add("alb-hours", "Load balancer", "Application Load Balancer", len(balancers) * out.hours,
            "load balancer-hours", "albHour", f"{_plural(len(balancers), 'ALB')} × {out.hours:g} h", balancers)
    lcu = out.usage["albAverageLcu"]
    out.add("alb-lcu-hours", "Load balancer", "ALB capacity units (baseline)", len(balancers) * lcu * out.hours,
            "LCU-hours", "albLcuHour", f"{_plural(len(balancers), 'ALB')} × usage albAverageLcu {lcu:g} × "
            f"{out.hours:g} h", balancers)


# -- compute -------------------------------------------------------------------------------------------------------

def _fargate_kind(provider: str) -> tuple[str, str, str, str]:
    """(key part, label, vCPU price key, memory price key) of a Fargate capacity provider."""
    if provider == inv.SPOT:
        return "spot", "Fargate Spot", "fargateSpotVcpuHour", "fargateSpotGbHour"
    return "on-demand", "Fargate on-demand", "fargateVcpuHour", "fargateGbHour"


def _add_task_hours(out: _Lines, suffix: str, label: str, parts: dict[tuple[str, str], list[tuple]],
                    usage_driven: bool) -> None:
    """One vCPU line and one memory line per capacity kind and CPU architecture: parts hold (task-hours, how,
    service) per (provider, architecture)."""
    for (provider, arch), entries in sorted(parts.items()):
        kind, name, vcpu_price, memory_price = _fargate_kind(provider)
        services = [service for *_, service in entries]
        how = "; ".join(f"{how} × {service.vcpu:g} vCPU" for _, how, service in entries)
        out.add(f"fargate-{kind}-{arch.lower()}-vcpu{suffix}", "Compute", f"{name} vCPU ({arch}){label}",
                sum(hours * s.vcpu for hours, _, s in entries), "vCPU-hours", vcpu_price, how,
                [s.resource for s in services], variant=arch, usage_driven=usage_driven)
        how = "; ".join(f"{how} × {service.memory_gb:g} GB" for _, how, service in entries)
        out.add(f"fargate-{kind}-{arch.lower()}-memory{suffix}", "Compute", f"{name} memory ({arch}){label}",
                sum(hours * s.memory_gb for hours, _, s in entries), "GB-hours", memory_price, how,
                [s.resource for s in services], variant=arch, usage_driven=usage_driven)


def _fargate(stock: Inventory, out: _Lines) -> None:
    at_rest: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for service in stock.fargate_services:
        for provider, tasks in service.tasks_by_provider.items():
            how = (f"{service.resource.name}: {_plural(tasks, 'task')} ({service.strategy_source}, desired "
                   f"{service.desired_count}) × {out.hours:g} h")
            at_rest[(provider, service.architecture)].append((tasks * out.hours, how, service))
    _add_task_hours(out, "", "", at_rest, usage_driven=False)

    woken: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for service in stock.fargate_services:
        if service.desired_count == 0:
            hours, how = _woken_task_hours(stock, service, out)
            if hours:
                provider = next(iter(split_one(service)))
                woken[(provider, service.architecture)].append((hours, how, service))
            else:
                out.no_charge("services-at-zero", "ECS services at 0 tasks", "no Fargate charge while no task "
                              "runs", [service.resource])
    _add_task_hours(out, "-jobs", ", tasks started for jobs", woken, usage_driven=True)

    releases: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    per_month = out.usage["releasesPerMonth"]
    start = out.usage["fargateTaskStartSeconds"]
    for service in stock.fargate_services:
        if not service.desired_count or not per_month:
            continue
        seconds = start + service.bake_minutes * 60
        kind = service.deployment_strategy.lower().replace("_", "/")
        overlap = (f"starts ({start:g} s) and bakes {service.bake_minutes:g} min beside the old" if service.bake_minutes
                   else f"overlaps the old only while it starts ({start:g} s)")
        for provider, tasks in service.tasks_by_provider.items():
            hours = per_month * tasks * seconds / SECONDS_PER_HOUR
            how = (f"{service.resource.name}: usage releasesPerMonth {per_month:g} × {_plural(tasks, 'task')}; a "
                   f"{kind} release's new revision {overlap}")
            releases[(provider, service.architecture)].append((hours, how, service))
    _add_task_hours(out, "-releases", ", new revisions during releases", releases, usage_driven=True)


def split_one(service: FargateService) -> dict[str, int]:
    """Where ECS places a service's first task (its strategy's base, else its weights)."""
    return inv.split_tasks(1, list(service.strategy)) if service.strategy else {inv.ON_DEMAND: 1}


def _queues_polled(stock: Inventory, service: FargateService) -> list[Resource]:
    """Queues a service's containers are pointed at (an environment value that is a queue's URL)."""
    found = [stock.resolve(value) for _, value in service.environment]
    return [q for q in found if q is not None and q.type == inv.QUEUE]


def _wake_alarms(stock: Inventory, target: Resource, capacity: float) -> list[Resource]:
    """Alarms that set the scalable target to exactly `capacity` tasks through a step policy."""
    steps = []
    for policy in stock.scaling_policies_of(target):
        configuration = policy.get("stepScalingPolicyConfiguration") or {}
        adjustments = as_list(configuration.get("stepAdjustments"))
        if policy.get("policyType") == "StepScaling" and configuration.get("adjustmentType") == "ExactCapacity" \
                and adjustments and all(float(a.get("scalingAdjustment", -1)) == capacity for a in adjustments):
            steps.append(policy)
    return [a for a in stock.of_type(inv.METRIC_ALARM)
            if any(stock.resolve(action) in steps for action in as_list(a.get("alarmActions")))]


def _alarm_window(alarm: Resource) -> float:
    """Seconds an alarm must see its condition before it acts: evaluation periods × the period."""
    periods = [q["metric"].get("period") for q in as_list(alarm.get("metricQueries")) if q.get("metric")]
    period = float(alarm.get("period") or max((float(p) for p in periods if p), default=60.0))
    return float(alarm.get("evaluationPeriods") or 1) * period


def _woken_task_hours(stock: Inventory, service: FargateService, out: _Lines) -> tuple[float, str]:
    """Task-hours of a service that runs no task at rest and is woken by jobs on the queue it polls: each wake-up
    bills the task's start and the idle tail before it stops, and each job its duration."""
    target = service.scalable_target
    queues = _queues_polled(stock, service)
    if target is None or not float(target.get("maxCapacity") or 0) or not queues or not _wake_alarms(stock, target, 1):
        return 0.0, ""
    stops = _wake_alarms(stock, target, 0)
    if stops:
        tail = max(_alarm_window(a) for a in stops)
        stopped_by = f"{_names(stops)} stops it after {tail:g} s without jobs"
    else:
        tail = TRACKING_SCALE_IN_SECONDS
        stopped_by = f"target tracking stops it after its scale-in alarm's {tail:g} s"
    wakeups, start = out.usage["workerWakeupsPerMonth"], out.usage["fargateTaskStartSeconds"]
    jobs, job_seconds = out.usage["pictureJobsPerMonth"], out.usage["workerJobSeconds"]
    hours = (wakeups * (start + tail) + jobs * job_seconds) / SECONDS_PER_HOUR
    how = (f"{service.resource.name} runs 0 tasks at rest; usage workerWakeupsPerMonth {wakeups:g} × (start "
           f"{start:g} s + {stopped_by}) + pictureJobsPerMonth {jobs:g} × workerJobSeconds {job_seconds:g} s = "
           f"{hours:.3g} task-hours")
    return hours, how


# -- messaging -----------------------------------------------------------------------------------------------------

def _queues(stock: Inventory, out: _Lines) -> None:
    polled: dict[str, list[FargateService]] = defaultdict(list)
    for service in stock.fargate_services:
        for queue in _queues_polled(stock, service):
            polled[queue.urn].append(service)
    standing, standing_how, standing_queues = 0.0, [], []
    usage, usage_how, usage_queues = 0.0, [], []
    for queue in stock.of_type(inv.QUEUE):
        services = polled.get(queue.urn, [])
        if not services:
            continue
        if queue.get("fifoQueue"):
            raise AssumptionError(f"{queue.name}: FIFO queues bill at another rate, which prices.json does not hold")
        wait = float(queue.get("receiveWaitTimeSeconds") or 0)
        if not wait:
            raise AssumptionError(f"{queue.name}: short polling makes as many receives as the worker loops; the "
                                  "report prices long polling (receiveWaitTimeSeconds) only")
        per_task_hour = SECONDS_PER_HOUR / wait
        for service in services:
            if service.desired_count:
                requests = service.desired_count * per_task_hour * out.hours
                standing += requests
                standing_how.append(f"{service.resource.name}: {_plural(service.desired_count, 'task')} × "
                                    f"{per_task_hour:g} empty receives an hour ({wait:g} s long polls) × "
                                    f"{out.hours:g} h")
                standing_queues += [queue, service.resource]
            woken, _ = _woken_task_hours(stock, service, out)
            if woken:
                usage += woken * per_task_hour
                usage_how.append(f"{service.resource.name}: {woken:.3g} task-hours × {per_task_hour:g} receives")
        jobs, per_job = out.usage["pictureJobsPerMonth"], out.usage["sqsRequestsPerJob"]
        usage += jobs * per_job
        usage_how.append(f"{queue.name}: usage pictureJobsPerMonth {jobs:g} × sqsRequestsPerJob {per_job:g}")
        usage_queues += [queue, *[s.resource for s in services]]
    if standing:
        out.add("sqs-polling-requests", "Messaging", "SQS receives of waiting workers", standing / 1e6,
                "million requests", "sqsMillionRequests", "; ".join(standing_how), standing_queues)
    if usage:
        out.add("sqs-job-requests", "Messaging", "SQS requests of jobs", usage / 1e6, "million requests",
                "sqsMillionRequests", "; ".join(usage_how), usage_queues, usage_driven=True)
    dead_letters = {q.get("deadLetterTargetArn") for q in _redrive_policies(stock)}
    for queue in stock.of_type(inv.QUEUE):
        if queue.urn in polled:
            continue
        why = ("a dead-letter queue bills only its requests: nothing polls it, and a re-drive is a handful"
               if queue.state.get("arn") in dead_letters else "a queue bills only its requests, and nothing the "
               "stack declares polls it")
        out.no_charge("unpolled-queues", "SQS queues nothing polls", why, [queue])


def _redrive_policies(stock: Inventory) -> list[dict[str, Any]]:
    policies = []
    for queue in stock.of_type(inv.QUEUE):
        value = queue.get("redrivePolicy")
        if isinstance(value, str) and value:
            policies.append(json.loads(value))
        elif isinstance(value, dict):
            policies.append(value)
    return policies


def _notifications(stock: Inventory, out: _Lines) -> None:
    topics = stock.of_type(inv.TOPIC)
    published = [t for t in topics if _publishers(stock, t)]
    if not published:
        return
    notes = out.usage["alarmNotificationsPerMonth"]
    basis = "; ".join(f"{t.name}: {_plural(len(_publishers(stock, t)), 'publisher')} (alarms, event rules)"
                      for t in published)
    out.add("sns-publishes", "Messaging", "SNS publishes to the alarm topic", len(published) * notes / 1e6,
            "million publishes", "snsMillionPublishes", f"{basis}; usage alarmNotificationsPerMonth {notes:g}",
            published, usage_driven=True)
    for subscription in stock.of_type(inv.TOPIC_SUBSCRIPTION):
        protocol = subscription.get("protocol")
        if protocol in ("sqs", "lambda", "firehose"):
            continue  # SNS delivers to AWS services without a delivery charge
        if protocol not in ("email", "email-json"):
            raise AssumptionError(f"{subscription.name}: {protocol} deliveries have no price in the report")
        out.add(f"sns-email-{subscription.name}", "Messaging", "SNS email notifications", notes / 1e5,
                "hundred thousand emails", "snsHundredThousandEmails",
                "one email per notification: usage alarmNotificationsPerMonth", [subscription], usage_driven=True)
    encrypted = [t for t in published if t.get("kmsMasterKeyId")]
    if encrypted:
        keys = [k for k in (stock.resolve(t.get("kmsMasterKeyId")) for t in encrypted) if k is not None]
        out.add("kms-requests", "Security", "KMS requests of the encrypted topic", len(encrypted) * notes / 1e4,
                "ten thousand requests", "kmsTenThousandRequests", "at most one data-key request per publish to a "
                "topic encrypted with a customer managed key: usage alarmNotificationsPerMonth",
                [*encrypted, *keys], usage_driven=True)


def _publishers(stock: Inventory, topic: Resource) -> list[Resource]:
    arn = topic.state.get("arn")
    alarms = [a for a in stock.of_type(inv.METRIC_ALARM)
              if arn in as_list(a.get("alarmActions")) + as_list(a.get("okActions"))]
    targets = [t for t in stock.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.get("arn") == arn]
    return alarms + targets


# -- monitoring ----------------------------------------------------------------------------------------------------

def _alarm_metrics(alarm: Resource) -> list[dict[str, Any]]:
    """The metrics an alarm reads: one for a single-metric alarm, each metric of a metric-math one."""
    queries = [q["metric"] for q in as_list(alarm.get("metricQueries")) if q.get("metric")]
    if queries:
        return queries
    return [{"namespace": alarm.get("namespace"), "metricName": alarm.get("metricName"),
             "dimensions": alarm.get("dimensions") or {}, "period": alarm.get("period")}]


ALARM_KINDS = {
    "standard": ("cloudwatch-alarms", "CloudWatch metric alarms"),
    "release": ("cloudwatch-alarms-release", "Release alarms: deployment alarms and alternate target groups"),
    "container-insights": ("cloudwatch-alarms-container-insights", "Alarms on Container Insights metrics"),
    "scaling": ("cloudwatch-alarms-scaling", "Alarms that drive step scaling"),
}


def _alarm_kind(stock: Inventory, alarm: Resource, deployment_alarms: set[str], alternates: list[str]) -> str:
    """Which choice an alarm exists for: a Container Insights metric it reads, a release (ECS watches it during
    deployments and it reads a target group, or it reads only alternate target groups), step scaling (its actions
    are scaling policies), or none in particular."""
    metrics = _alarm_metrics(alarm)
    if any(m.get("namespace") == CONTAINER_INSIGHTS_NAMESPACE for m in metrics):
        return "container-insights"
    groups = {(m.get("dimensions") or {}).get("TargetGroup") for m in metrics} - {None}
    alternate = {g for g in groups if any(arn.endswith(str(g)) for arn in alternates)}
    if groups and (alarm.state.get("name") in deployment_alarms or alternate == groups):
        return "release"
    actions = [stock.resolve(a) for a in as_list(alarm.get("alarmActions"))]
    if actions and all(a is not None and a.type == inv.SCALING_POLICY for a in actions):
        return "scaling"
    return "standard"


def _alarms(stock: Inventory, out: _Lines) -> None:
    services = stock.fargate_services
    deployment_alarms = {name for s in services for name in as_list(s.resource.get("alarms.alarmNames"))}
    alternates = _alternate_target_groups(stock)
    counted: dict[tuple[str, bool], list[tuple[Resource, int]]] = defaultdict(list)
    for alarm in stock.of_type(inv.METRIC_ALARM):
        metrics = _alarm_metrics(alarm)
        high = any(m.get("period") is not None and float(m["period"]) < 60 for m in metrics)
        counted[(_alarm_kind(stock, alarm, deployment_alarms, alternates), high)].append((alarm, len(metrics)))
    for kind, (key, item) in ALARM_KINDS.items():
        for high in (False, True):
            alarms = counted.get((kind, high))
            if not alarms:
                continue
            metrics = sum(n for _, n in alarms)
            reading = ", ".join(f"{a.name} {n}" for a, n in alarms)
            out.add(key + ("-high-resolution" if high else ""), "Monitoring",
                    item + (" (high resolution)" if high else ""), metrics, "alarm metrics",
                    "cloudwatchHighResolutionAlarmMonth" if high else "cloudwatchAlarmMonth",
                    f"{_plural(len(alarms), 'alarm')}, each billed per metric it reads ({reading}) at "
                    + ("periods under 60 s" if high else "1-minute or longer periods"), [a for a, _ in alarms])
    # Target tracking creates and bills a scale-out alarm per policy, and a scale-in one unless scale-in is off;
    # each reads the policy's metrics (a customized metric-math specification, one metric per entry).
    tracking: dict[bool, list[tuple[Resource, int, int]]] = defaultdict(list)
    for policy in stock.of_type(inv.SCALING_POLICY):
        if policy.get("policyType") != "TargetTrackingScaling":
            continue
        configuration = policy.get("targetTrackingScalingPolicyConfiguration") or {}
        custom = configuration.get("customizedMetricSpecification") or {}
        entries = [m.get("metricStat", {}).get("metric", {}) for m in as_list(custom.get("metrics"))
                   if m.get("metricStat")]
        metrics = len(entries) if entries else 1
        alarms = 1 if configuration.get("disableScaleIn") else 2
        insights = any(m.get("namespace") == CONTAINER_INSIGHTS_NAMESPACE for m in entries) or \
            custom.get("namespace") == CONTAINER_INSIGHTS_NAMESPACE
        tracking[insights].append((policy, alarms, metrics))
    for insights, policies in sorted(tracking.items()):
        key = "target-tracking-alarms" + ("-container-insights" if insights else "")
        item = "Alarms created by target-tracking scaling" + (" on Container Insights metrics" if insights else "")
        scale_out = len(policies)
        scale_in = sum(alarms - 1 for _, alarms, _ in policies)
        out.add(key, "Monitoring", item, sum(a * m for _, a, m in policies), "alarm metrics", "cloudwatchAlarmMonth",
                f"{scale_out} scale-out + {scale_in} scale-in alarms of {_plural(len(policies), 'policy')}, each "
                f"reading {', '.join(f'{p.name} {m}' for p, _, m in policies)} metrics", [p for p, _, _ in policies])


def _container_insights(stock: Inventory, out: _Lines) -> None:
    metrics, log_gb, clusters, bases, services = 0.0, 0.0, [], [], []
    for cluster in stock.of_type(inv.ECS_CLUSTER):
        mode = stock.container_insights(cluster)
        if mode == "disabled":
            continue
        if mode != "enabled":
            raise AssumptionError(f"{cluster.name}: Container Insights '{mode}' bills differently from the standard "
                                  "metrics the report prices; add its price model before trusting the estimate")
        members = stock.services_of(cluster)
        tasks = sum(s.desired_count for s in members)
        metrics += out.usage["containerInsightsMetricsPerCluster"] + \
            len(members) * out.usage["containerInsightsMetricsPerService"]
        log_gb += tasks * out.usage["containerInsightsLogGbPerTaskMonth"]
        clusters.append(cluster)
        services += [s.resource for s in members]
        bases.append(f"{cluster.name} ({mode}): 1 cluster, {_plural(len(members), 'service')} "
                     f"({', '.join(s.resource.name for s in members)}), {_plural(tasks, 'task')}")
    if not clusters:
        return
    out.add("container-insights-metrics", "Monitoring", "Container Insights metrics", metrics, "metrics",
            "cloudwatchMetricMonth", "; ".join(bases) + " × usage containerInsightsMetricsPerCluster/PerService",
            [*clusters, *services])
    out.add("container-insights-logs", "Monitoring", "Container Insights performance log ingestion", log_gb, "GB",
            "logsIngestGb", "tasks at rest × usage containerInsightsLogGbPerTaskMonth", clusters)


def _dashboards(stock: Inventory, out: _Lines) -> None:
    dashboards = stock.of_type(inv.DASHBOARD)
    if dashboards:
        out.add("cloudwatch-dashboards", "Monitoring", "CloudWatch dashboards", len(dashboards), "dashboard-months",
                "cloudwatchDashboardMonth", f"{_plural(len(dashboards), 'dashboard')}: $3.00 a dashboard-month, "
                "metered by the hour a dashboard exists, so one kept all month bills one dashboard-month; AWS's "
                "always-free 3 dashboards (of up to 50 metrics) are not counted, like every other free tier",
                dashboards)
    subscriptions = [m for m in stock.of_type(inv.MONITORING_SUBSCRIPTION) if m.get(
        "monitoringSubscription.realtimeMetricsSubscriptionConfig.realtimeMetricsSubscriptionStatus") == "Enabled"]
    if subscriptions:
        distributions = [d for d in (stock.resolve(m.get("distributionId")) for m in subscriptions) if d]
        count = len(subscriptions) * len(ADDITIONAL_CLOUDFRONT_METRICS)
        out.add("cloudfront-additional-metrics", "Monitoring", "CloudFront additional metrics", count, "metrics",
                "cloudwatchMetricMonth", f"{_plural(len(subscriptions), 'distribution')} × "
                f"{len(ADDITIONAL_CLOUDFRONT_METRICS)} metrics ({', '.join(ADDITIONAL_CLOUDFRONT_METRICS)}), billed "
                f"as custom metrics in {CLOUDFRONT_METRICS_REGION}, where CloudFront publishes them",
                [*subscriptions, *distributions], region=CLOUDFRONT_METRICS_REGION)


# -- logs ----------------------------------------------------------------------------------------------------------

def _logs(stock: Inventory, out: _Lines) -> None:
    flow_logs = stock.of_type(inv.FLOW_LOG)
    for role, usage_key, price, label in (
            ("application", "applicationLogGbPerMonth", "logsIngestGb", "Application logs"),
            ("function", "functionLogGbPerMonth", "logsIngestGb", "Function logs"),
            ("flow", "flowLogGbPerMonth", "logsVendedIngestGb", "VPC flow logs")):
        groups = [g for g in stock.of_type(inv.LOG_GROUP) if stock.log_group_role(g) == role]
        if not groups:
            continue
        # Application logs follow the stack's requests and jobs, not its number of services: the usage is the
        # stack's total, shared evenly between its groups. Function and flow logs are per group.
        per_group = out.usage[usage_key] / len(groups) if role == "application" else out.usage[usage_key]
        how = (f"usage {usage_key}, shared by {_plural(len(groups), 'log group')}" if role == "application"
               else f"{_plural(len(groups), 'log group')} × usage {usage_key}")
        writers = flow_logs if role == "flow" else []
        out.add(f"{role}-log-ingestion", "Logs", f"{label}: ingestion", per_group * len(groups), "GB", price, how,
                [*groups, *writers])
        # Steady state: a group keeps `retention` worth of monthly ingestion.
        stored, held = 0.0, []
        for group in groups:
            days = group.get("retentionInDays")
            months = float(days) * 12 / 365 if days else out.usage["logStorageMonthsWhenNeverExpiring"]
            stored += per_group * months
            held.append(f"{int(days)} days" if days else "never expires")
        out.add(f"{role}-log-storage", "Logs", f"{label}: storage", stored, "GB-months", "logsStorageGbMonth",
                f"usage {usage_key} held for the retention ({', '.join(held)})", groups)


LOG_KINDS = {
    "cloudfront": "CloudFront standard logs (v2)",
    "waf": "Web ACL logs",
    "alb": "Load balancer access logs",
    "s3": "S3 server access logs",
    "cloudtrail": "CloudTrail logs",
}


def _log_archive(stock: Inventory, out: _Lines) -> None:
    requests = out.usage["cloudfrontRequestsPerMonth"]
    by_kind: dict[str, list[tuple[inv.LogWriter, float, str]]] = defaultdict(list)
    for writer in stock.log_writers():
        if writer.kind == "cloudfront":
            key = "cloudfrontLogBytesPerRequest"
            gb, how = requests * out.usage[key] / 1e9, f"usage cloudfrontRequestsPerMonth × {key}"
        elif writer.kind == "waf":
            key = "wafLogBytesPerRequest"
            gb, how = requests * out.usage[key] / 1e9, f"every inspected request: cloudfrontRequestsPerMonth × {key}"
        elif writer.kind in ("alb", "s3", "cloudtrail"):
            key = {"alb": "albAccessLogGbPerMonth", "s3": "s3AccessLogGbPerMonth",
                   "cloudtrail": "cloudtrailLogGbPerMonth"}[writer.kind]
            gb, how = out.usage[key], f"usage {key}"
        else:
            raise AssumptionError(f"{_names(writer.resources)}: a vended-log delivery of a kind the report has no "
                                  "volume for; add a usage key for it")
        by_kind[writer.kind].append((writer, gb, how))
    for kind, writers in by_kind.items():
        label = LOG_KINDS[kind]
        delivered = [(w, gb, how) for w, gb, how in writers if w.delivery_region]
        for region in sorted({str(w.delivery_region) for w, _, _ in delivered}):
            here = [(w, gb, how) for w, gb, how in delivered if w.delivery_region == region]
            out.add(f"log-archive-{kind}-delivery", "Logs", f"{label}: delivery to S3", sum(g for _, g, _ in here),
                    "GB", "logsVendedS3Gb", "; ".join(f"{how} = {gb:.3g} GB, delivered as vended logs from {region}"
                                                      for _, gb, how in here),
                    [r for w, _, _ in here for r in w.resources], region=region, usage_driven=True)
        stored, held, resources = 0.0, [], []
        for writer, gb, _ in writers:
            days = stock.expiration_days(writer.bucket, writer.prefix)
            months = days * 12 / 365 if days else out.usage["logStorageMonthsWhenNeverExpiring"]
            stored += gb * months
            where = f"{writer.bucket.name}/{writer.prefix}".rstrip("/")
            held.append(f"{gb:.3g} GB a month in {where}, expired after {days:g} days" if days else
                        f"{gb:.3g} GB a month in {where}, never expired (usage logStorageMonthsWhenNeverExpiring)")
            resources += [writer.bucket, *writer.resources]
        out.add(f"log-archive-{kind}-storage", "Logs", f"{label}: storage", stored, "GB-months", "s3StorageGbMonth",
                "; ".join(held) + ". Priced at S3 Standard throughout, an upper bound: the lifecycle moves only "
                "objects of 128 KB and more to the colder classes, and the sizes of the delivered objects are not "
                "known here", resources,
                usage_driven=True)


# -- security ------------------------------------------------------------------------------------------------------

def _kms(stock: Inventory, out: _Lines) -> None:
    keys = stock.of_type(inv.KMS_KEY)
    if keys:
        out.add("kms-keys", "Security", "KMS customer managed keys", len(keys), "keys", "kmsKeyMonth",
                _plural(len(keys), "key"), keys)


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
    region = stock.region_of(acls[0])
    out.add("waf-web-acls", "Security", "WAF web ACL", len(acls), "web ACLs", "wafWebAclMonth",
            _plural(len(acls), "web ACL"), acls, region=region)
    out.add("waf-rules", "Security", "WAF rules", len(rules), "rules", "wafRuleMonth",
            f"{', '.join(rules)} (a managed rule group counts as one rule)", acls, region=region)
    requests = out.usage["cloudfrontRequestsPerMonth"] / 1e6
    out.add("waf-requests", "Security", "WAF requests inspected", requests * len(acls), "million requests",
            "wafMillionRequests", "usage cloudfrontRequestsPerMonth, every viewer request", acls,
            usage_driven=True, region=region)
    out.no_charge("waf-ip-sets", "WAF IP sets", "no charge of their own: web ACLs, rules (here the rule that "
                  "references the set) and requests are WAF's three core costs (https://aws.amazon.com/waf/pricing/; "
                  "aws.github.io/aws-security-services-best-practices, WAF cost)",
                  stock.of_type("aws:wafv2/ipSet:IpSet"))


def _account_detection(stock: Inventory, out: _Lines) -> None:
    reads, writes = out.usage["cloudtrailReadEventsPerMonth"], out.usage["cloudtrailWriteEventsPerMonth"]
    trails = [t for t in stock.of_type(inv.TRAIL) if t.get("enableLogging") is not False]
    management = [t for t in trails if any(s.get("includeManagementEvents", True) is not False
                                           for s in as_list(t.get("eventSelectors")) or [{}])]
    for trail in trails:
        if as_list(trail.get("advancedEventSelectors")) or any(as_list(s.get("dataResources"))
                                                               for s in as_list(trail.get("eventSelectors"))):
            raise AssumptionError(f"{trail.name}: data events bill per event, which the report does not price")
    if len(management) > 1:
        raise AssumptionError(f"{', '.join(t.name for t in management)}: only the first trail's management events "
                              "are free; the report has no price for further copies")
    out.no_charge("cloudtrail-first-copy", "CloudTrail trail (first copy of management events)",
                  "the first copy of management events a trail delivers is free "
                  "(https://aws.amazon.com/cloudtrail/pricing/); its files bill as log archive storage", management)
    for trail in trails:
        kinds = {s.get("insightType") for s in as_list(trail.get("insightSelectors"))}
        if not kinds:
            continue
        read_write = {s.get("readWriteType", "All") for s in as_list(trail.get("eventSelectors")) or [{}]}
        logged_reads = reads if read_write & {"All", "ReadOnly"} else 0.0
        logged_writes = writes if read_write & {"All", "WriteOnly"} else 0.0
        # CloudTrail analyzes write events once for the call rate and every logged event once for the error rate.
        analyzed = (logged_writes if "ApiCallRateInsight" in kinds else 0.0) + \
            (logged_reads + logged_writes if "ApiErrorRateInsight" in kinds else 0.0)
        out.add("cloudtrail-insights", "Security", "CloudTrail Insights events analyzed", analyzed / 1e5,
                "hundred thousand events", "cloudtrailHundredThousandInsightsEvents",
                f"{trail.name}: {', '.join(sorted(kinds))} over usage cloudtrailWriteEventsPerMonth {writes:g} "
                f"(twice with both types) and cloudtrailReadEventsPerMonth {reads:g} (error rate only)", [trail],
                usage_driven=True, region=stock.region_of(trail))

    for detector in stock.of_type(inv.DETECTOR):
        if detector.get("enable") is False:
            out.no_charge("guardduty-suspended", "GuardDuty detector, suspended", "a suspended detector analyzes "
                          "nothing", [detector])
            continue
        features = {f.get("name"): f.get("status") for f in stock.of_type(inv.DETECTOR_FEATURE)
                    if stock.resolve(f.get("detectorId")) is detector}
        if features.get("RUNTIME_MONITORING") == "ENABLED" or features.get("EKS_RUNTIME_MONITORING") == "ENABLED":
            raise AssumptionError(f"{detector.name}: GuardDuty Runtime Monitoring bills per vCPU monitored, which "
                                  "the report does not price")
        region = stock.region_of(detector)
        events = reads + writes
        out.add("guardduty-management-events", "Security", "GuardDuty: CloudTrail management events", events / 1e6,
                "million events", "guarddutyMillionManagementEvents",
                f"{detector.name}, foundational: usage cloudtrailReadEventsPerMonth + cloudtrailWriteEventsPerMonth",
                [detector], usage_driven=True, region=region)
        gb = out.usage["guarddutyFlowAndDnsLogGbPerMonth"]
        out.add("guardduty-flow-dns-logs", "Security", "GuardDuty: VPC flow and DNS logs", gb, "GB",
                "guarddutyFlowDnsGb", f"{detector.name}, foundational: usage guarddutyFlowAndDnsLogGbPerMonth",
                [detector], usage_driven=True, region=region)
        s3_off = detector.get("datasources.s3Logs.enable") is False or features.get("S3_DATA_EVENTS") == "DISABLED"
        if not s3_off:
            events = out.usage["s3GetRequestsPerMonth"] + out.usage["s3PutRequestsPerMonth"]
            out.add("guardduty-s3-data-events", "Security", "GuardDuty: S3 Protection data events", events / 1e6,
                    "million events", "guarddutyMillionS3DataEvents",
                    f"{detector.name} declares no S3 data-events setting, and GuardDuty turns S3 Protection on for "
                    "an account enabling it for the first time: usage s3GetRequestsPerMonth + s3PutRequestsPerMonth "
                    "(this stack's buckets; the account's other stacks add theirs)", [detector], usage_driven=True,
                    region=region)


# -- compute beyond Fargate ------------------------------------------------------------------------------------------

def _functions(stock: Inventory, out: _Lines) -> None:
    hooked: dict[str, list[FargateService]] = defaultdict(list)
    for service in stock.fargate_services:
        for arn in service.hook_targets:
            hooked[arn].append(service)
    invocations, gb_seconds, how, invoked = 0.0, defaultdict(float), [], []
    for function in stock.of_type(inv.LAMBDA_FUNCTION):
        services = hooked.get(str(function.state.get("arn")), [])
        if not services:
            out.no_charge("uninvoked-functions", "Lambda functions nothing invokes", "a function bills per "
                          "invocation and duration, and nothing the stack declares invokes it", [function])
            continue
        per_month, seconds = out.usage["releasesPerMonth"], out.usage["releaseHookSeconds"]
        count = per_month * len(services)
        memory_gb = float(function.get("memorySize") or 128) / 1024
        arch = "ARM64" if "arm64" in as_list(function.get("architectures")) else "X86_64"
        invocations += count
        gb_seconds[arch] += count * seconds * memory_gb
        how.append(f"{function.name}: release hook of {_names(s.resource for s in services)}, usage "
                   f"releasesPerMonth {per_month:g} each × releaseHookSeconds {seconds:g} s × {memory_gb:g} GB")
        invoked += [function, *[s.resource for s in services]]
    if invocations:
        out.add("lambda-requests", "Compute", "Lambda invocations", invocations / 1e6, "million requests",
                "lambdaMillionRequests", "; ".join(how), invoked, usage_driven=True)
        for arch, seconds in sorted(gb_seconds.items()):
            out.add(f"lambda-duration-{arch.lower()}", "Compute", f"Lambda duration ({arch})", seconds, "GB-seconds",
                    "lambdaGbSecond", "; ".join(how), invoked, variant=arch, usage_driven=True)


# -- identity ------------------------------------------------------------------------------------------------------

def _user_pools(stock: Inventory, out: _Lines) -> None:
    pools = stock.of_type(inv.USER_POOL)
    if not pools:
        return
    for pool in pools:
        # New user pools are on Essentials unless they name another tier (Cognito Developer Guide, feature plans).
        tier = pool.get("userPoolTier") or "ESSENTIALS"
        if tier != "ESSENTIALS":
            raise AssumptionError(f"{pool.name}: the {tier} tier has no price in the report; prices.json holds "
                                  "Essentials only")
    users = out.usage["cognitoMonthlyActiveUsers"]
    out.add("cognito-mau", "Identity", "Cognito monthly active users (Essentials)", users * len(pools),
            "monthly active users", "cognitoEssentialsMau",
            f"{_plural(len(pools), 'user pool')} on the Essentials tier × usage cognitoMonthlyActiveUsers", pools,
            usage_driven=True)


# -- edge and data -------------------------------------------------------------------------------------------------

def _behaviours(distribution: Resource) -> list[dict[str, Any]]:
    default = {**(distribution.get("defaultCacheBehavior") or {}), "pathPattern": DEFAULT_BEHAVIOUR}
    return [default, *as_list(distribution.get("orderedCacheBehaviors"))]


def _edge(stock: Inventory, out: _Lines) -> None:
    distributions = stock.of_type(inv.DISTRIBUTION)
    if not distributions:
        return
    out.add("cloudfront-requests", "Edge", "CloudFront HTTPS requests", out.usage["cloudfrontRequestsPerMonth"] / 1e6,
            "million requests", "cloudfrontMillionHttpsRequests", "usage cloudfrontRequestsPerMonth", distributions,
            usage_driven=True)
    out.add("cloudfront-transfer", "Edge", "CloudFront data transfer out", out.usage["cloudfrontTransferGbPerMonth"],
            "GB", "cloudfrontTransferGb", "usage cloudfrontTransferGbPerMonth (VPC origins and origin fetches "
            "from AWS origins are free)", distributions, usage_driven=True)
    requests = out.usage["cloudfrontRequestsPerMonth"]
    share_key = "cloudfrontRequestShareByPathPattern"
    invocations, how, resources = 0.0, [], []
    for function in stock.of_type(inv.CLOUDFRONT_FUNCTION):
        arn = function.state.get("arn")
        for distribution in distributions:
            patterns = [b["pathPattern"] for b in _behaviours(distribution)
                        if any(a.get("functionArn") == arn for a in as_list(b.get("functionAssociations")))]
            if not patterns:
                continue
            share = sum(out.usage.share(share_key, p) for p in patterns)
            invocations += requests * share
            how.append(f"{function.name} on {distribution.name}'s {', '.join(f'`{p}`' for p in patterns)}: usage "
                       f"cloudfrontRequestsPerMonth × {share_key} {share:g}")
            resources += [function, distribution]
    if invocations:
        out.add("cloudfront-function-invocations", "Edge", "CloudFront Functions invocations", invocations / 1e6,
                "million invocations", "cloudfrontFunctionMillionInvocations", "; ".join(how), resources,
                usage_driven=True)
    else:
        out.no_charge("unassociated-functions", "CloudFront Functions no behaviour runs", "a function bills per "
                      "invocation, and no cache behaviour is associated with it",
                      stock.of_type(inv.CLOUDFRONT_FUNCTION))


def _dynamodb(stock: Inventory, out: _Lines) -> None:
    tables = stock.of_type(inv.TABLE)
    if not tables:
        return
    on_demand = [t for t in tables if t.get("billingMode") == "PAY_PER_REQUEST"]
    provisioned = [t for t in tables if t not in on_demand]
    if on_demand:
        out.add("dynamodb-reads", "Data", "DynamoDB on-demand reads",
                out.usage["dynamodbReadRequestUnitsPerMonth"] / 1e6, "million read units",
                "dynamodbMillionReadUnits", "usage dynamodbReadRequestUnitsPerMonth", on_demand, usage_driven=True)
        out.add("dynamodb-writes", "Data", "DynamoDB on-demand writes",
                out.usage["dynamodbWriteRequestUnitsPerMonth"] / 1e6, "million write units",
                "dynamodbMillionWriteUnits", "usage dynamodbWriteRequestUnitsPerMonth", on_demand, usage_driven=True)
    if provisioned:
        reads = sum(float(t.get("readCapacity") or 0) for t in provisioned) * out.hours
        writes = sum(float(t.get("writeCapacity") or 0) for t in provisioned) * out.hours
        out.add("dynamodb-provisioned-reads", "Data", "DynamoDB provisioned read capacity", reads, "RCU-hours",
                "dynamodbReadCapacityUnitHour", f"readCapacity × {out.hours:g} h", provisioned)
        out.add("dynamodb-provisioned-writes", "Data", "DynamoDB provisioned write capacity", writes, "WCU-hours",
                "dynamodbWriteCapacityUnitHour", f"writeCapacity × {out.hours:g} h", provisioned)
    gb = out.usage["dynamodbStorageGb"]
    out.add("dynamodb-storage", "Data", "DynamoDB storage", gb, "GB-months", "dynamodbStorageGbMonth",
            "usage dynamodbStorageGb", tables, usage_driven=True)
    recovered = [t for t in tables if t.get("pointInTimeRecovery.enabled")]
    if recovered:
        out.add("dynamodb-pitr", "Data", "DynamoDB point-in-time recovery", gb, "GB-months", "dynamodbPitrGbMonth",
                "usage dynamodbStorageGb, continuously backed up", recovered, usage_driven=True)


def _s3(stock: Inventory, out: _Lines) -> None:
    log_buckets = {w.bucket.urn for w in stock.log_writers()}
    buckets = [b for b in stock.of_type(*inv.BUCKETS) if b.urn not in log_buckets]
    if not buckets:
        return
    out.add("s3-storage", "Data", "S3 Standard storage", out.usage["s3StorageGb"], "GB-months", "s3StorageGbMonth",
            f"usage s3StorageGb across {_plural(len(buckets), 'bucket')} (log buckets have lines of their own)",
            buckets, usage_driven=True)
    out.add("s3-get-requests", "Data", "S3 GET requests", out.usage["s3GetRequestsPerMonth"] / 1000,
            "thousand requests", "s3ThousandGetRequests", "usage s3GetRequestsPerMonth", buckets, usage_driven=True)
    out.add("s3-put-requests", "Data", "S3 PUT/LIST requests", out.usage["s3PutRequestsPerMonth"] / 1000,
            "thousand requests", "s3ThousandPutRequests", "usage s3PutRequestsPerMonth", buckets, usage_driven=True)


def _ecr(stock: Inventory, out: _Lines) -> None:
    repositories = stock.of_type(inv.ECR_REPOSITORY)
    if repositories:
        out.add("ecr-storage", "Registry", "ECR image storage", out.usage["ecrStorageGb"], "GB-months",
                "ecrStorageGbMonth", f"usage ecrStorageGb across {_plural(len(repositories), 'repository')}",
                repositories, usage_driven=True)


# -- what carries no charge ------------------------------------------------------------------------------------------

VPC_BUILDING_BLOCKS = ("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable",
                       "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation",
                       "aws:ec2/internetGateway:InternetGateway", "aws:ec2/securityGroup:SecurityGroup",
                       "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                       "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                       "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
# Resource types that never bill by themselves: (key, item, why), by type or type prefix.
FREE_TYPES: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (VPC_BUILDING_BLOCKS, "vpc-networking", "VPC networking",
     "VPCs, subnets, route tables, routes, internet gateways and security groups carry no charge "
     "(https://aws.amazon.com/vpc/pricing/)"),
    (("aws:iam/",), "iam", "IAM roles, policies and identity providers", "IAM carries no charge"),
    (("aws:ecs/cluster:Cluster", "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
      "aws:ecs/taskDefinition:TaskDefinition"), "ecs-definitions", "ECS clusters and task definitions",
     "no charge on Fargate: the tasks bill as Fargate vCPU and memory"),
    (("aws:ecr/lifecyclePolicy:LifecyclePolicy",), "registry-settings", "ECR lifecycle policy",
     "no charge: the images bill as storage"),
    (("aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule", "aws:lb/targetGroup:TargetGroup"),
     "load-balancer-parts", "Load balancer listeners, rules and target groups",
     "no charge of their own: the load balancer bills hours and capacity units, and a request's first 10 rule "
     "evaluations are within an LCU (https://aws.amazon.com/elasticloadbalancing/pricing/)"),
    (("aws:appautoscaling/",), "autoscaling", "Application Auto Scaling targets and policies",
     "no charge: the alarms scaling reads bill under Monitoring"),
    (("aws:cloudfront/cachePolicy:CachePolicy", "aws:cloudfront/originAccessControl:OriginAccessControl",
      "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "aws:cloudfront/vpcOrigin:VpcOrigin"),
     "cloudfront-settings", "CloudFront policies, origin access control and VPC origins",
     "no charge: the distribution bills requests and transfer"),
    (("aws:cognito/userGroup:UserGroup", "aws:cognito/userPoolClient:UserPoolClient"), "cognito-settings",
     "Cognito groups and app clients", "no charge: the user pool bills per monthly active user"),
    (("aws:dynamodb/tableItem:TableItem",), "table-items", "Table items", "bill as the table's storage and writes"),
    (("aws:s3/bucketLifecycleConfiguration", "aws:s3/bucketOwnershipControls", "aws:s3/bucketPolicy",
      "aws:s3/bucketPublicAccessBlock", "aws:s3/bucketServerSideEncryptionConfiguration", "aws:s3/bucketVersioning",
      "aws:s3/bucketNotification", "aws:s3/bucketObject"), "bucket-settings", "Bucket settings and objects",
     "no charge of their own: objects bill as the bucket's storage, SSE-S3 is free, and an S3 event notification "
     "bills only as the queue's SendMessage"),
    (("aws:sns/topicPolicy:TopicPolicy", "aws:sqs/queuePolicy:QueuePolicy",
      "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"), "messaging-policies", "Topic and queue policies",
     "no charge"),
    (("aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget"), "eventbridge-aws-events",
     "EventBridge rules on AWS service events", "events AWS services send to the default event bus, their "
     "matching and their delivery to targets carry no charge (https://aws.amazon.com/eventbridge/pricing/); SNS "
     "bills the publishes"),
    (("aws:chatbot/",), "chatbot", "AWS Chatbot channel", "no charge (https://aws.amazon.com/chatbot/pricing/); "
     "the topic's deliveries to it are a few HTTPS notifications a month, not priced"),
    (("aws:acm/",), "certificates", "Public ACM certificates", "no charge"),
    (("aws:route53/record:Record",), "dns-records", "DNS records", "alias queries to AWS resources are free; a "
     "validation record is queried a handful of times"),
    (("aws:kms/alias:Alias",), "kms-aliases", "KMS aliases", "no charge: the key bills"),
    (("aws:lambda/permission:Permission",), "lambda-permissions", "Lambda permissions", "no charge"),
)


def _free_type(resource: Resource) -> tuple[str, str, str] | None:
    if resource.type == "aws:ssm/parameter:Parameter":
        if (resource.get("tier") or "Standard") == "Standard":
            return "ssm-standard-parameters", "SSM standard parameters", "standard parameters carry no charge " \
                "(https://aws.amazon.com/systems-manager/pricing/)"
        return None
    for types, key, item, why in FREE_TYPES:
        if any(resource.type == t or resource.type.startswith(t) for t in types):
            return key, item, why
    return None


def _alternate_target_groups(stock: Inventory) -> list[str]:
    """ARNs of the second target groups blue/green releases move traffic to."""
    arns = [(b.get("advancedConfiguration") or {}).get("alternateTargetGroupArn") for s in stock.fargate_services
            for b in as_list(s.resource.get("loadBalancers"))]
    return [str(arn) for arn in arns if arn]


def _not_billed(stock: Inventory, out: _Lines) -> None:
    alternates = set(_alternate_target_groups(stock))
    groups = [g for g in stock.of_type(inv.TARGET_GROUP) if g.state.get("arn") in alternates]
    out.no_charge("alternate-target-groups", "Alternate target groups (blue/green releases)", "a release's "
                  "second target group carries no charge of its own; its health and deployment alarms bill under "
                  "Monitoring", groups)
    by_key: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
    for resource in stock.custom_resources:
        if resource.urn in out.covered:
            continue
        free = _free_type(resource)
        if free is not None:
            by_key[free].append(resource)
    for (key, item, why), resources in sorted(by_key.items()):
        out.no_charge(key, item, why, resources)


def _check_every_resource_is_accounted_for(stock: Inventory, out: _Lines) -> None:
    missing = [r for r in stock.custom_resources if r.urn not in out.covered]
    if missing:
        raise AssumptionError(
            "the report neither prices nor knows to be free: " + ", ".join(f"{r.name} ({r.type})" for r in missing)
            + ". Add the line that bills it (report/cost.py, with its price in report/prices.json), or, if it "
            "carries no charge, say why in FREE_TYPES")
