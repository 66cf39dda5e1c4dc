"""Dashboard: one per stack, its widgets naming the stack's own resources, generated from them."""

from __future__ import annotations

import json
from typing import Any

from components.dashboard import GRID_WIDTH
from mock_engine import Capture

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


def body(capture: Capture) -> dict[str, Any]:
    return json.loads(capture.one(DASHBOARD).get("dashboardBody"))


def widgets(capture: Capture) -> list[dict[str, Any]]:
    return body(capture)["widgets"]


def titled(capture: Capture, fragment: str) -> list[dict[str, Any]]:
    return [w for w in widgets(capture) if fragment in w["properties"].get("title", "")]


def metric_lines(widget: dict[str, Any]) -> list[list[Any]]:
    return [[part for part in line if not isinstance(part, dict)] for line in widget["properties"]["metrics"]]


def dimensions(line: list[Any]) -> dict[str, Any]:
    return dict(zip(line[2::2], line[3::2], strict=True))


def test_one_dashboard_per_stack_named_after_it(stack: Capture):
    assert stack.one(DASHBOARD).get("dashboardName") == f"webstack-{stack.stack}"


def test_widgets_sit_on_cloudwatchs_grid_without_overlapping(stack: Capture):
    taken: set[tuple[int, int]] = set()
    for widget in widgets(stack):
        assert widget["x"] + widget["width"] <= GRID_WIDTH
        cells = {(x, y) for x in range(widget["x"], widget["x"] + widget["width"])
                 for y in range(widget["y"], widget["y"] + widget["height"])}
        assert not cells & taken, widget["properties"].get("title")
        taken |= cells


def test_the_edge_row_shows_cloudfronts_requests_errors_and_cache_hits_of_this_distribution(stack: Capture):
    distribution = stack.one("aws:cloudfront/distribution:Distribution").id
    for fragment in ("CloudFront requests", "CloudFront error rate"):
        [widget] = titled(stack, fragment)
        assert widget["properties"]["region"] == "us-east-1"
        assert all(dimensions(line) == {"DistributionId": distribution, "Region": "Global"}
                   for line in metric_lines(widget))


def test_prd_shows_the_cache_hit_ratio_it_pays_for_and_dev_says_why_not(dev: Capture, prd: Capture):
    assert titled(prd, "cache hit ratio")
    assert not titled(dev, "cache hit ratio")
    assert any("additionalMetrics" in w["properties"].get("markdown", "") for w in widgets(dev))


def test_the_web_acl_widget_reads_this_stacks_web_acl_by_its_metric_name(prd: Capture, dev: Capture):
    # WAF's WebACL dimension is the visibility config's MetricName (WAF API reference, VisibilityConfig).
    acl = prd.one("aws:wafv2/webAcl:WebAcl").get("visibilityConfig")["metricName"]
    assert acl != prd.one("aws:wafv2/webAcl:WebAcl").state["name"]
    [widget] = titled(prd, "Web ACL")
    assert {dimensions(line)["WebACL"] for line in metric_lines(widget)} == {acl}
    assert not titled(dev, "Web ACL")


def test_load_balancer_widgets_cover_every_target_group_of_the_stack(stack: Capture):
    balancer = stack.one("aws:lb/loadBalancer:LoadBalancer").state["arnSuffix"]
    groups = {g.state["arnSuffix"] for g in stack.of_type("aws:lb/targetGroup:TargetGroup")}
    for fragment in ("Requests per target group", "Latency p50 / p90 / p99", "4xx and 5xx", "Healthy hosts"):
        [widget] = titled(stack, fragment)
        seen = {dimensions(line).get("TargetGroup") for line in metric_lines(widget)} - {None}
        assert seen == groups, fragment
        assert {dimensions(line)["LoadBalancer"] for line in metric_lines(widget)} == {balancer}
    [latency] = titled(stack, "Latency")
    assert {part.get("stat") for line in latency["properties"]["metrics"] for part in line
            if isinstance(part, dict)} == {"p50", "p90", "p99"}


def service_names(capture: Capture) -> dict[str, str]:
    return {r.name.removeprefix(f"webstack-{capture.stack}-").removesuffix("-service"): r.state["name"]
            for r in capture.of_type("aws:ecs/service:Service")}


def test_each_service_shows_its_cpu_and_memory(stack: Capture):
    cluster = stack.one("aws:ecs/cluster:Cluster").state["name"]
    for title, key in (("public API", "api"), ("admin API", "admin"), ("worker", "worker")):
        [widget] = titled(stack, f"{title}: CPU and memory")
        assert {tuple(sorted(dimensions(line).items())) for line in metric_lines(widget)} == {
            (("ClusterName", cluster), ("ServiceName", service_names(stack)[key]))}


def test_task_counts_appear_where_container_insights_runs(dev: Capture, prd: Capture):
    assert len(titled(prd, "running and desired tasks")) == 3
    assert not titled(dev, "running and desired tasks")
    assert any("containerInsights" in w["properties"].get("markdown", "") for w in widgets(dev))


def test_data_queue_and_sign_in_rows_name_this_stacks_table_queues_and_pool(stack: Capture):
    table = stack.one("aws:dynamodb/table:Table").state["name"]
    for fragment in ("DynamoDB consumed capacity", "DynamoDB throttles"):
        [widget] = titled(stack, fragment)
        assert {dimensions(line)["TableName"] for line in metric_lines(widget)} == {table}
    queues = {q.name: q.state["name"] for q in stack.of_type("aws:sqs/queue:Queue")}
    [waiting] = titled(stack, "Picture jobs waiting")
    assert {dimensions(line)["QueueName"] for line in metric_lines(waiting)} == {queues[f"webstack-{stack.stack}-jobs"]}
    [dead] = titled(stack, "Dead-letter queue")
    assert {dimensions(line)["QueueName"] for line in metric_lines(dead)} == {
        queues[f"webstack-{stack.stack}-jobs-dlq"]}
    pool, client = stack.one("aws:cognito/userPool:UserPool"), stack.one("aws:cognito/userPoolClient:UserPoolClient")
    [sign_ins] = titled(stack, "Administrator sign-ins")
    assert {tuple(sorted(dimensions(line).items())) for line in metric_lines(sign_ins)} == {
        (("UserPool", pool.id), ("UserPoolClient", client.id))}


def test_the_body_is_computed_from_the_resources_it_names(stack: Capture):
    # Each name reached the body as an output of the resource it names: the engine records that dependency.
    sources = set(stack.one(DASHBOARD).property_dependencies.get("dashboardBody", []))
    named = [*stack.of_type("aws:ecs/service:Service"), stack.one("aws:cloudfront/distribution:Distribution"),
             stack.one("aws:dynamodb/table:Table"), stack.one("aws:lb/loadBalancer:LoadBalancer"),
             *stack.of_type("aws:lb/targetGroup:TargetGroup"), *stack.of_type("aws:sqs/queue:Queue")]
    assert {r.urn for r in named} <= sources
