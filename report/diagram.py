"""Architecture diagram of one stack, drawn from its captured resources.

`build(capture)` reads the resources into a `Diagram` — nodes (what each stands for, which cluster it sits in:
region, VPC, AZ, subnet tier) and edges — so the picture can be checked without looking at it. `render` draws
that model with the `diagrams` library (AWS icons, Graphviz layout) into PNG and SVG, and writes the node set
next to them as `architecture.nodes.json`.

Rendering is deterministic: node ids come from resource names, nodes are emitted in a fixed order, and the SVG
embeds its icons (no paths of this machine, no timestamps), so regenerating unchanged files leaves them unchanged.
"""

import base64
import itertools
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mock_engine import Capture, Resource, as_list

from . import inventory as inv
from .inventory import Inventory

TIER_ORDER = ("public", "ingress", "container", "data")
SERVICE_NAMES = {"s3": "S3", "dynamodb": "DynamoDB"}
TIER_LABELS = {"public": "public subnet", "ingress": "ingress subnet", "container": "container subnet",
               "data": "data subnet"}


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    label: str
    cluster: tuple[str, ...] = ()
    """Enclosing clusters, outermost first: ("AWS ap-northeast-1", "VPC 10.0.0.0/16", "ap-northeast-1a", ...)."""
    resource: str = ""
    """Logical name of the resource the node stands for."""
    az: str = ""
    tier: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    style: str = "solid"


@dataclass
class Diagram:
    stack: str
    title: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def kinds(self) -> Counter:
        return Counter(node.kind for node in self.nodes)

    def of_kind(self, kind: str) -> list[Node]:
        return [node for node in self.nodes if node.kind == kind]

    def node(self, node_id: str) -> Node:
        return next(node for node in self.nodes if node.id == node_id)

    @property
    def clusters(self) -> list[tuple[str, ...]]:
        """Every cluster path, parents before children."""
        paths = {node.cluster[:depth] for node in self.nodes for depth in range(1, len(node.cluster) + 1)}
        return sorted(paths, key=lambda path: (len(path), path))

    @property
    def az_clusters(self) -> list[str]:
        return sorted({node.az for node in self.nodes if node.az})

    def to_json(self) -> str:
        return json.dumps({"stack": self.stack, "title": self.title,
                           "nodes": [asdict(n) for n in self.nodes], "edges": [asdict(e) for e in self.edges],
                           "clusters": [list(path) for path in self.clusters]}, indent=2) + "\n"

    def _add(self, node: Node) -> Node:
        self.nodes.append(node)
        return node

    def _link(self, source: Node, target: Node, label: str = "", style: str = "solid") -> None:
        self.edges.append(Edge(source.id, target.id, label, style))


def _slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", "-".join(p for p in parts if p).lower()).strip("_")


def build(capture: Capture) -> Diagram:
    """The stack's architecture as nodes in clusters and edges between them."""
    stock = Inventory(capture)
    region = f"AWS {stock.region}"
    vpc = (region, f"VPC {', '.join(stock.vpc_cidrs)}") if stock.vpc_cidrs else (region,)
    diagram = Diagram(stack=capture.stack, title=f"{capture.stack} — {stock.region}")

    subnets = stock.subnets
    tier_cluster: dict[tuple[str, str], tuple[str, ...]] = {}
    for subnet in sorted(subnets, key=lambda s: (s.az, TIER_ORDER.index(s.tier) if s.tier in TIER_ORDER else 9)):
        tier_cluster[(subnet.az, subnet.tier)] = (*vpc, subnet.az, f"{TIER_LABELS.get(subnet.tier, subnet.tier)} "
                                                                   f"{subnet.cidr}")
    occupied: set[tuple[str, str]] = set()

    def place(az: str, tier: str) -> tuple[str, ...]:
        occupied.add((az, tier))
        return tier_cluster.get((az, tier), vpc)

    viewers = diagram._add(Node("viewers", "viewers", "Viewers"))

    # Edge: CloudFront, its web ACL, and what it serves.
    edge = ("CloudFront (global)",)
    distributions = [diagram._add(Node(_slug("cloudfront", d.name), "cloudfront",
                                       f"CloudFront\n{d.get('priceClass') or 'PriceClass_All'}", edge, d.name))
                     for d in stock.of_type(inv.DISTRIBUTION)]
    for distribution_node in distributions:
        diagram._link(viewers, distribution_node, "HTTPS")
    for acl in stock.of_type(inv.WEB_ACL):
        rules = len(as_list(acl.get("rules")))
        waf = diagram._add(Node(_slug("waf", acl.name), "waf", f"WAF web ACL\n{rules} rules", edge, acl.name))
        for distribution, distribution_node in zip(stock.of_type(inv.DISTRIBUTION), distributions, strict=False):
            if stock.resolve(distribution.get("webAclId")) is acl:
                diagram._link(waf, distribution_node, "inspects", "dashed")

    site_buckets = stock.site_buckets()
    for bucket in site_buckets:
        node = diagram._add(Node(_slug("site", bucket.name), "site-bucket", "S3 site bucket\nprivate, OAC",
                                 (region,), bucket.name))
        for distribution_node in distributions:
            diagram._link(distribution_node, node, "/*")

    # The internal load balancer: one node per AZ it has a foot in (its ingress subnets).
    alb_nodes: dict[str, list[Node]] = {}
    for lb in stock.of_type(inv.LOAD_BALANCER):
        kind = "internal ALB" if lb.get("internal") else "internet-facing ALB"
        for subnet in stock.subnets_of(lb.get("subnets") or []):
            node = diagram._add(Node(_slug("alb", lb.name, subnet.az), "alb", kind, place(subnet.az, subnet.tier),
                                     lb.name, subnet.az, subnet.tier))
            alb_nodes.setdefault(lb.name, []).append(node)
    for origin in stock.of_type(inv.VPC_ORIGIN):
        node = diagram._add(Node(_slug("vpc-origin", origin.name), "vpc-origin", "CloudFront\nVPC origin", vpc,
                                 origin.name))
        for distribution_node in distributions:
            diagram._link(distribution_node, node, "/api/*")
        target = stock.vpc_origin_targets(origin)
        for alb_node in alb_nodes.get(target.name if target else "", []):
            diagram._link(node, alb_node)

    # Fargate: each service, and its tasks where ECS places them.
    task_nodes: list[Node] = []
    service_nodes: list[Node] = []
    service_node_of: dict[str, Node] = {}
    for service in stock.fargate_services:
        size = f"{service.vcpu:g} vCPU / {service.memory_gb:g} GB {service.architecture}"
        role = _service_role(service.resource)
        service_node = diagram._add(Node(_slug("ecs-service", service.resource.name), "ecs-service",
                                         f"ECS service {role}\n{service.desired_count} × {size}", vpc,
                                         service.resource.name))
        service_nodes.append(service_node)
        service_node_of[service.resource.urn] = service_node
        target_groups = set()
        for balancer in as_list(service.resource.get("loadBalancers")):
            target_groups |= {balancer.get("targetGroupArn"),
                              (balancer.get("advancedConfiguration") or {}).get("alternateTargetGroupArn")}
        balancers = [lb for lb in stock.of_type(inv.LOAD_BALANCER) if _forwards_to(stock, lb, target_groups - {None})]
        for placement in service.placements:
            spot = "Fargate Spot" if placement.capacity_provider == inv.SPOT else "Fargate"
            task = diagram._add(Node(_slug("task", service.resource.name, str(placement.number)), "ecs-task",
                                     f"{role} task {placement.number}\n{spot}", place(placement.az, "container"),
                                     service.resource.name, placement.az, "container"))
            task_nodes.append(task)
            diagram._link(service_node, task, style="dotted")
            for lb in balancers:
                for alb_node in alb_nodes.get(lb.name, []):
                    if alb_node.az == placement.az:
                        diagram._link(alb_node, task, ":8080")

    # Egress: NAT instance or NAT gateway, then the internet gateway.
    internet = None
    gateways = [diagram._add(Node(_slug("igw", g.name), "internet-gateway", "Internet gateway", vpc, g.name))
                for g in stock.of_type(inv.INTERNET_GATEWAY)]
    if gateways:
        internet = diagram._add(Node("internet", "internet", "Internet"))
        for gateway in gateways:
            diagram._link(gateway, internet)
    nats: list[tuple[Node, set[str]]] = []
    for instance in stock.nat_instances:
        subnet = stock.instance_subnet(instance)
        az, tier = (subnet.az, subnet.tier) if subnet else ("", "")
        node = diagram._add(Node(_slug("nat-instance", instance.name), "nat-instance",
                                 f"NAT instance\n{instance.get('instanceType')}", place(az, tier), instance.name, az,
                                 tier))
        nats.append((node, {s.az for s in stock.subnets_routed_to(instance)}))
    for gateway in stock.regional_nat_gateways:
        azs = stock.regional_nat_azs(gateway)
        node = diagram._add(Node(_slug("regional-nat", gateway.name), "regional-nat",
                                 f"Regional NAT gateway\n{len(azs)} AZs, no public subnet", vpc, gateway.name))
        nats.append((node, set(azs)))
    for gateway in stock.zonal_nat_gateways:
        subnet = next(iter(stock.subnets_of([gateway.get("subnetId")])), None)
        node = diagram._add(Node(_slug("nat-gateway", gateway.name), "nat-gateway", "NAT gateway",
                                 place(subnet.az, subnet.tier) if subnet else vpc, gateway.name,
                                 subnet.az if subnet else "", subnet.tier if subnet else ""))
        nats.append((node, {s.az for s in stock.subnets_routed_to(gateway)}))
    for nat_node, routed_azs in nats:
        for task in task_nodes:
            if task.az in routed_azs:
                diagram._link(task, nat_node, style="dashed")
        for gateway in gateways:
            diagram._link(nat_node, gateway)

    # Private paths to AWS services: interface endpoints for the platform, gateway endpoints for the data.
    for endpoint in stock.interface_endpoints:
        node = diagram._add(Node(_slug("endpoint", endpoint.resource.name), "interface-endpoint",
                                 f"{endpoint.service}\n{len(endpoint.azs)} AZs", (*vpc, "interface endpoints"),
                                 endpoint.resource.name))
        for service_node in service_nodes:
            diagram._link(service_node, node, style="dashed")

    data_targets: dict[str, list[Node]] = {"dynamodb": [], "s3": []}
    for table in stock.of_type(inv.TABLE):
        mode = "on-demand" if table.get("billingMode") == "PAY_PER_REQUEST" else "provisioned"
        pitr = ", PITR" if table.get("pointInTimeRecovery.enabled") else ""
        data_targets["dynamodb"].append(diagram._add(Node(_slug("dynamodb", table.name), "dynamodb",
                                                          f"DynamoDB\n{mode}{pitr}", (region,), table.name)))
    for bucket in stock.of_type(*inv.BUCKETS):
        if bucket in site_buckets:
            continue
        if stock.in_data_store(bucket):
            data_targets["s3"].append(diagram._add(Node(_slug("images", bucket.name), "images-bucket",
                                                        "S3 images bucket", (region,), bucket.name)))
            continue
        node = diagram._add(Node(_slug("bucket", bucket.name), "bucket", f"S3 bucket\n{bucket.name}", (region,),
                                 bucket.name))
        for lb in stock.of_type(inv.LOAD_BALANCER):
            if lb.get("accessLogs.enabled") and stock.resolve(lb.get("accessLogs.bucket")) is bucket:
                first = alb_nodes.get(lb.name, [])[:1]
                for alb_node in first:
                    diagram._link(alb_node, node, "access logs", "dashed")
    # The worker's queue: the images bucket notifies it of each new picture, and the services pointed at it poll it.
    images = {n.resource: n for n in diagram.of_kind("images-bucket")}
    for queue in stock.of_type(inv.QUEUE):
        pollers = [s for s in stock.fargate_services if any(stock.resolve(v) is queue for _, v in s.environment)]
        notifiers = [b for b in stock.of_type("aws:s3/bucketNotification:BucketNotification")
                     if any(q.get("queueArn") == queue.state.get("arn") for q in as_list(b.get("queues")))]
        if not pollers and not notifiers:
            continue  # a dead-letter queue: nothing sends to it or reads it directly
        node = diagram._add(Node(_slug("queue", queue.name), "queue", f"SQS queue\n{queue.name}", (region,),
                                 queue.name))
        for notification in notifiers:
            bucket = stock.resolve(notification.get("bucket"))
            if bucket is not None and bucket.name in images:
                diagram._link(images[bucket.name], node, "new pictures", "dashed")
        for poller in pollers:
            diagram._link(service_node_of[poller.resource.urn], node, "jobs", "dashed")

    # The administrators' user pool: the admin service verifies its tokens.
    for pool in stock.of_type(inv.USER_POOL):
        node = diagram._add(Node(_slug("user-pool", pool.name), "user-pool", f"Cognito user pool\n{pool.name}",
                                 (region,), pool.name))
        for service in stock.fargate_services:
            if any(value == pool.id for _, value in service.environment):
                diagram._link(service_node_of[service.resource.urn], node, "verifies tokens", "dashed")

    for endpoint, service_name in stock.gateway_endpoints:
        label = f"{SERVICE_NAMES.get(service_name, service_name)} gateway\nendpoint"
        node = diagram._add(Node(_slug("gateway-endpoint", endpoint.name), "gateway-endpoint", label, vpc,
                                 endpoint.name))
        for task in task_nodes:
            diagram._link(task, node)
        for target in data_targets.get(service_name, []):
            diagram._link(node, target)

    # Tiers with nothing drawn in them still show: the subnet itself.
    for subnet in subnets:
        if (subnet.az, subnet.tier) not in occupied:
            note = "isolated: no route out" if subnet.tier == "data" else "no tasks here"
            diagram._add(Node(_slug("subnet", subnet.name), "subnet", note, tier_cluster[(subnet.az, subnet.tier)],
                              subnet.name, subnet.az, subnet.tier))
    return diagram


def _service_role(service: Resource) -> str:
    """What the service is, as its `service` tag says (api, admin, worker), else its name."""
    return (service.get("tags") or {}).get("service") or service.name


def _forwarded(action: dict) -> set:
    """Target groups an action forwards to: one (`targetGroupArn`) or weighted (`forward.targetGroups`)."""
    groups = {action.get("targetGroupArn")}
    groups |= {g.get("arn") for g in as_list((action.get("forward") or {}).get("targetGroups"))}
    return groups - {None}


def _forwards_to(stock: Inventory, lb: Resource, target_groups: set) -> bool:
    """Whether a listener of `lb`, by its default action or one of its rules, forwards to one of `target_groups`."""
    listeners = [listener for listener in stock.capture.of_type("aws:lb/listener:Listener")
                 if stock.resolve(listener.get("loadBalancerArn")) is lb]
    arns = {listener.state.get("arn") for listener in listeners}
    actions = [a for listener in listeners for a in as_list(listener.get("defaultActions"))]
    actions += [a for rule in stock.capture.of_type("aws:lb/listenerRule:ListenerRule")
                if rule.get("listenerArn") in arns for a in as_list(rule.get("actions"))]
    return any(_forwarded(action) & target_groups for action in actions)


# -- drawing -----------------------------------------------------------------------------------------------------

def _icon_classes() -> dict[str, type]:
    from diagrams.aws.compute import EC2Instance, ElasticContainerServiceService, Fargate
    from diagrams.aws.database import Dynamodb
    from diagrams.aws.general import Users
    from diagrams.aws.integration import SimpleQueueServiceSqsQueue
    from diagrams.aws.network import (
        CloudFront,
        ElbApplicationLoadBalancer,
        Endpoint,
        InternetGateway,
        NATGateway,
        Privatelink,
        PrivateSubnet,
    )
    from diagrams.aws.security import WAF, Cognito
    from diagrams.aws.storage import SimpleStorageServiceS3Bucket
    from diagrams.onprem.network import Internet

    return {"viewers": Users, "cloudfront": CloudFront, "waf": WAF, "site-bucket": SimpleStorageServiceS3Bucket,
            "vpc-origin": Privatelink, "alb": ElbApplicationLoadBalancer, "ecs-service": ElasticContainerServiceService,
            "ecs-task": Fargate, "nat-instance": EC2Instance, "regional-nat": NATGateway, "nat-gateway": NATGateway,
            "internet-gateway": InternetGateway, "internet": Internet, "interface-endpoint": Endpoint,
            "gateway-endpoint": Endpoint, "dynamodb": Dynamodb, "images-bucket": SimpleStorageServiceS3Bucket,
            "bucket": SimpleStorageServiceS3Bucket, "subnet": PrivateSubnet, "queue": SimpleQueueServiceSqsQueue,
            "user-pool": Cognito}


def render(diagram: Diagram, directory: Path, name: str = "architecture") -> dict[str, Path]:
    """Draw `diagram` into `<directory>/<name>.png`, `.svg` and `.nodes.json`; returns the paths."""
    import diagrams

    directory.mkdir(parents=True, exist_ok=True)
    icons = _icon_classes()
    base = directory / name
    graph = {"fontsize": "20", "pad": "0.5", "nodesep": "0.5", "ranksep": "0.9", "splines": "spline",
             "labelloc": "t"}
    with diagrams.Diagram(diagram.title, filename=str(base), outformat=["png", "svg"], show=False,
                          direction="LR", graph_attr=graph):
        drawn: dict[str, diagrams.Node] = {}
        _draw_clusters(diagram, (), icons, drawn)
        # `>>` connects nodes in the diagram being drawn; its value (the right-hand node) is not needed.
        for edge in diagram.edges:
            _ = drawn[edge.source] >> diagrams.Edge(label=edge.label, style=edge.style, color="#545B64") \
                >> drawn[edge.target]
        for source, target in _layout_hints(diagram):
            _ = drawn[source] >> diagrams.Edge(style="invis") >> drawn[target]
    svg = base.with_suffix(".svg")
    svg.write_text(_embed_icons(svg.read_text()))
    nodes = base.with_name(f"{name}.nodes.json")
    nodes.write_text(diagram.to_json())
    return {"png": base.with_suffix(".png"), "svg": svg, "nodes": nodes}


def _layout_hints(diagram: Diagram) -> list[tuple[str, str]]:
    """Invisible edges that only order the picture: in each AZ the tiers left to right as traffic meets them
    (ingress, container, data), and the interface endpoints two to a row."""
    hints = []
    linked = {(e.source, e.target) for e in diagram.edges}
    for az in diagram.az_clusters:
        tiers = [[n.id for n in diagram.nodes if n.az == az and n.tier == tier]
                 for tier in ("ingress", "container", "data")]
        for left, right in itertools.pairwise(tiers):
            hints += [(a, b) for a in left[:1] for b in right if (a, b) not in linked]
    endpoints = [n.id for n in diagram.of_kind("interface-endpoint")]
    hints += list(zip(endpoints[0::2], endpoints[1::2], strict=False))
    return hints


def _draw_clusters(diagram: Diagram, path: tuple[str, ...], icons: dict, drawn: dict) -> None:
    import diagrams

    for node in diagram.nodes:
        if node.cluster == path:
            drawn[node.id] = icons[node.kind](node.label, nodeid=node.id)
    children = [c for c in diagram.clusters if len(c) == len(path) + 1 and c[:len(path)] == path][::-1]
    for child in children:
        with diagrams.Cluster(child[-1], graph_attr=_cluster_style(child)):
            _draw_clusters(diagram, child, icons, drawn)


def _cluster_style(path: tuple[str, ...]) -> dict[str, str]:
    label = path[-1]
    if label.startswith("public subnet"):
        return {"bgcolor": "#E9F3E6", "pencolor": "#7AA116"}
    if " subnet " in label:
        return {"bgcolor": "#E6F2F8", "pencolor": "#147EBA"}
    if label.startswith("VPC"):
        return {"bgcolor": "#FFFFFF", "pencolor": "#8C4FFF", "penwidth": "2"}
    return {}


def _embed_icons(svg: str) -> str:
    """Replace the icons' file paths (of this machine) with the icons themselves, as data URIs."""
    def inline(match: re.Match) -> str:
        path = Path(match.group(2))
        data = base64.b64encode(path.read_bytes()).decode()
        return f'{match.group(1)}="data:image/png;base64,{data}"'

    return re.sub(r'(xlink:href)="(/[^"]+\.png)"', inline, svg)

