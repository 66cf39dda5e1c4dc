"""Dashboard: one CloudWatch dashboard per stack, from the edge to the data, generated from the stack's resources.

Rows, top to bottom, in the order a request travels: CloudFront and the web ACL; the load balancer per target
group; each ECS service; DynamoDB; the worker's queue; the administrators' sign-ins. Every name and dimension comes
from the resources the program declares (Outputs), never from text copied into the body, so a renamed or replaced
resource keeps its widgets.

Metrics Container Insights provides (running and desired tasks) appear only where the stack turns it on; CloudFront's
cache hit ratio only where the distribution's additional metrics are on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.providers import GLOBAL_REGION

GRID_WIDTH = 24
CHART_HEIGHT = 6
PERIOD = 60
EDGE_REGION = GLOBAL_REGION  # CloudFront's and a CLOUDFRONT-scope web ACL's metrics live there


@dataclass(frozen=True)
class ServiceMetrics:
    title: str
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    target_group_suffixes: Sequence[pulumi.Input[str]] = field(default_factory=list)
    """The service's target groups (blue and green) behind the load balancer; none for the worker."""


@dataclass(frozen=True)
class DashboardArgs:
    region: str
    distribution_id: pulumi.Input[str]
    load_balancer_suffix: pulumi.Input[str]
    services: list[ServiceMetrics]
    table_name: pulumi.Input[str]
    container_insights: bool
    cache_hit_ratio: bool
    """The distribution's additional metrics are on (aws.cloudfront.MonitoringSubscription)."""
    web_acl_metric_name: pulumi.Input[str] | None = None
    """The web ACL's visibility-config metric name: WAF's WebACL dimension."""
    queue_name: pulumi.Input[str] | None = None
    dead_letter_queue_name: pulumi.Input[str] | None = None
    user_pool_id: pulumi.Input[str] | None = None
    user_pool_client_id: pulumi.Input[str] | None = None


def chart(title: str, metrics: list[list[Any]], *, region: str, stat: str = "Sum", width: int = 8,
          y_label: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"title": title, "view": "timeSeries", "region": region, "stat": stat,
                                  "period": PERIOD, "metrics": metrics}
    if y_label:
        properties["yAxis"] = {"left": {"label": y_label, "showUnits": False}}
    return {"type": "metric", "width": width, "height": CHART_HEIGHT, "properties": properties}


def note(markdown: str, width: int = 8) -> dict[str, Any]:
    return {"type": "text", "width": width, "height": CHART_HEIGHT, "properties": {"markdown": markdown}}


def place(rows: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Lay rows out on CloudWatch's 24-column grid, left to right, wrapping where a row is full."""
    placed, y = [], 0
    for row in rows:
        x, row_height = 0, 0
        for widget in row:
            if x + widget["width"] > GRID_WIDTH:
                x, y = 0, y + row_height
                row_height = 0
            placed.append({**widget, "x": x, "y": y})
            x += widget["width"]
            row_height = max(row_height, widget["height"])
        y += row_height
    return placed


def body(args: DashboardArgs, values: dict[str, Any]) -> dict[str, Any]:
    """The dashboard body, once every input is known (`values` holds them by name)."""
    region = args.region
    distribution = ["DistributionId", values["distribution_id"], "Region", "Global"]
    edge = [
        chart("CloudFront requests", [["AWS/CloudFront", "Requests", *distribution]], region=EDGE_REGION),
        chart("CloudFront error rate (%)", [["AWS/CloudFront", name, *distribution]
                                            for name in ("4xxErrorRate", "5xxErrorRate", "TotalErrorRate")],
              region=EDGE_REGION, stat="Average", y_label="%"),
        chart("CloudFront cache hit ratio (%)", [["AWS/CloudFront", "CacheHitRate", *distribution]],
              region=EDGE_REGION, stat="Average", y_label="%") if args.cache_hit_ratio else
        note("### Cache hit ratio\nThe distribution's additional metrics are off in this stack "
             "(`webstack:site.additionalMetrics`)."),
    ]
    if values.get("web_acl_metric_name"):
        acl = ["WebACL", values["web_acl_metric_name"], "Rule", "ALL"]
        edge.append(chart("Web ACL: blocked and allowed requests",
                          [["AWS/WAFV2", "BlockedRequests", *acl], ["AWS/WAFV2", "AllowedRequests", *acl]],
                          region=EDGE_REGION))

    balancer = ["LoadBalancer", values["load_balancer_suffix"]]
    groups = [(service.title, suffix)
              for service, suffixes in zip(args.services, values["target_groups"], strict=True)
              for suffix in suffixes]

    def per_group(metric: str, **options: Any) -> list[list[Any]]:
        return [["AWS/ApplicationELB", metric, "TargetGroup", suffix, *balancer,
                 {"label": f"{title} {suffix.split('/')[1]}", **options}] for title, suffix in groups]

    load_balancer = [
        chart("Requests per target group", per_group("RequestCount"), region=region),
        chart("Latency p50 / p90 / p99 (s)",
              [line for stat in ("p50", "p90", "p99") for line in per_group("TargetResponseTime", stat=stat)],
              region=region, stat="p99", y_label="seconds"),
        chart("4xx and 5xx per target group",
              per_group("HTTPCode_Target_4XX_Count") + per_group("HTTPCode_Target_5XX_Count")
              + [["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", *balancer, {"label": "load balancer 5xx"}]],
              region=region),
        chart("Healthy hosts per target group", per_group("HealthyHostCount"), region=region, stat="Minimum"),
    ]

    services = []
    for service, cluster, name in zip(args.services, values["clusters"], values["service_names"], strict=True):
        on_service = ["ClusterName", cluster, "ServiceName", name]
        services.append(chart(f"{service.title}: CPU and memory (%)",
                              [["AWS/ECS", "CPUUtilization", *on_service],
                               ["AWS/ECS", "MemoryUtilization", *on_service]],
                              region=region, stat="Average", y_label="%"))
        if args.container_insights:
            services.append(chart(f"{service.title}: running and desired tasks",
                                  [["ECS/ContainerInsights", "RunningTaskCount", *on_service],
                                   ["ECS/ContainerInsights", "DesiredTaskCount", *on_service]],
                                  region=region, stat="Average"))
    if not args.container_insights:
        services.append(note("### Task counts\nContainer Insights is off in this stack "
                             "(`webstack:platform.containerInsights`); the ECS console shows running and desired "
                             "tasks."))

    table = ["TableName", values["table_name"]]
    data = [
        chart("DynamoDB consumed capacity", [["AWS/DynamoDB", "ConsumedReadCapacityUnits", *table],
                                             ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", *table]], region=region),
        chart("DynamoDB throttles", [["AWS/DynamoDB", name, *table]
                                     for name in ("ReadThrottleEvents", "WriteThrottleEvents")], region=region),
    ]
    rows = [edge, load_balancer, services, data]

    if values.get("queue_name"):
        queue, dead = ["QueueName", values["queue_name"]], ["QueueName", values["dead_letter_queue_name"]]
        rows.append([
            chart("Picture jobs waiting", [["AWS/SQS", "ApproximateNumberOfMessagesVisible", *queue],
                                           ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", *queue]],
                  region=region, stat="Maximum"),
            chart("Oldest waiting job (s)", [["AWS/SQS", "ApproximateAgeOfOldestMessage", *queue]], region=region,
                  stat="Maximum", y_label="seconds"),
            chart("Dead-letter queue", [["AWS/SQS", "ApproximateNumberOfMessagesVisible", *dead]], region=region,
                  stat="Maximum"),
        ])
    if values.get("user_pool_id"):
        pool = ["UserPool", values["user_pool_id"], "UserPoolClient", values["user_pool_client_id"]]
        rows.append([chart("Administrator sign-ins", [["AWS/Cognito", name, *pool]
                                                      for name in ("SignInSuccesses", "TokenRefreshSuccesses")],
                           region=region)])
    return {"start": "-PT6H", "periodOverride": "inherit", "widgets": place(rows)}


class Dashboard(pulumi.ComponentResource):
    dashboard_name: pulumi.Output[str]

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:dashboard:Dashboard", name, None, opts)
        inputs = pulumi.Output.all(
            distribution_id=args.distribution_id, load_balancer_suffix=args.load_balancer_suffix,
            table_name=args.table_name, web_acl_metric_name=args.web_acl_metric_name, queue_name=args.queue_name,
            dead_letter_queue_name=args.dead_letter_queue_name, user_pool_id=args.user_pool_id,
            user_pool_client_id=args.user_pool_client_id,
            clusters=pulumi.Output.all(*[s.cluster_name for s in args.services]),
            service_names=pulumi.Output.all(*[s.service_name for s in args.services]),
            target_groups=pulumi.Output.all(*[pulumi.Output.all(*s.target_group_suffixes) for s in args.services]),
        )
        dashboard = aws.cloudwatch.Dashboard(
            name, dashboard_name=name,
            dashboard_body=pulumi.Output.json_dumps(inputs.apply(lambda values: body(args, values))),
            opts=pulumi.ResourceOptions(parent=self))
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"dashboardName": self.dashboard_name})
