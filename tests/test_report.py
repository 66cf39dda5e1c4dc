"""Stack report: costs, the diagram and the dashboard picture follow from the captured resources, never from stack
names or constants.

Expected amounts are computed here from report/prices.json and report/usage.json, so the tests hold when a
price or an assumption is edited; what they pin is which resource drives which line, and by how much.
"""

import ast
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mock_engine import PROJECT_ROOT, Capture, Resource, run_stack, stacks
from report.__main__ import main
from report.assumptions import USAGE_KEYS, AssumptionError, Usage, load_prices, load_usage
from report.cost import CHOICES, NAT, estimate
from report.dashboard import dashboard_name, layouts, parse_svg, svg
from report.dashboard import render as render_dashboards
from report.diagram import build, render
from report.inventory import ON_DEMAND, SPOT, split_tasks
from report.markdown import compare_nat, comparison_document, cost_document

PRICES = load_prices("ap-northeast-1")
EDGE_PRICES = load_prices("us-east-1")
SHARED = load_usage()
HOURS = PRICES.hours_per_month


def usage(capture: Capture) -> Usage:
    """The usage the report reads for this stack: the shared values and what its section of the file sets."""
    return load_usage(stack=capture.stack)


price = PRICES.price
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
POLICY = "aws:appautoscaling/policy:Policy"


def with_inputs(capture: Capture, type_: str, where: Callable[[Resource], bool] | None = None,
                **changes: Any) -> Capture:
    """The capture with every resource of `type_` (that `where` picks) given these inputs: for code paths no stack
    setting reaches."""
    resources = [replace(r, inputs={**r.inputs, **changes}) if r.type == type_ and (where is None or where(r))
                 else r for r in capture.resources]
    return replace(capture, resources=resources)


def container_azs(capture: Capture) -> int:
    return len({s.get("availabilityZone") for s in capture.of_type("aws:ec2/subnet:Subnet")
                if s.get("tags.tier") == "container"})


def role_of(resource: Resource) -> str:
    """A service's (or its task definition's) `service` tag: api, admin or worker."""
    return (resource.get("tags") or {}).get("service", "")


def service(capture: Capture, role: str) -> Resource:
    return capture.one(SERVICE, lambda r: role_of(r) == role)


def roles(capture: Capture) -> list[str]:
    return sorted(role_of(s) for s in capture.of_type(SERVICE))


def task_size(capture: Capture, role: str) -> tuple[float, float]:
    task = capture.one(TASK_DEFINITION, lambda r: role_of(r) == role)
    return float(task.get("cpu")) / 1024, float(task.get("memory")) / 1024


def desired(capture: Capture, role: str) -> int:
    return int(service(capture, role).get("desiredCount"))


def alarm_metrics(alarm: Resource) -> int:
    return max(len([q for q in (alarm.get("metricQueries") or []) if q.get("metric")]), 1)


def total(report, prefix: str) -> float:
    return sum(line.monthly for line in report.lines if line.key.startswith(prefix))


# -- NAT ---------------------------------------------------------------------------------------------------------

def test_dev_nat_is_an_instance_its_root_volume_and_its_public_address(dev):
    report = estimate(dev)
    instance = dev.one("aws:ec2/instance:Instance")
    instance_type = instance.get("instanceType")
    assert report.monthly(f"nat-instance-hours-{instance_type}") == pytest.approx(
        HOURS * price("ec2InstanceHour", instance_type))
    assert report.monthly("nat-instance-public-ipv4") == pytest.approx(HOURS * price("publicIpv4Hour"))
    assert report.line("nat-instance-root-volume").quantity == usage(dev)["rootVolumeGbWhenUnset"]
    assert report.line("regional-nat-gateway-hours") is None
    assert report.line("nat-gateway-processing") is None, "a NAT instance has no per-GB charge"


def test_prd_regional_nat_bills_each_container_az_and_its_addresses(prd):
    report = estimate(prd)
    azs = container_azs(prd)
    assert azs == 3
    assert report.monthly("regional-nat-gateway-hours") == pytest.approx(azs * HOURS * price("natGatewayHour"))
    assert report.monthly("regional-nat-public-ipv4") == pytest.approx(azs * HOURS * price("publicIpv4Hour"))
    assert report.monthly("nat-gateway-processing") == pytest.approx(
        usage(prd)["natProcessedGbPerMonth"] * price("natGatewayGb"))
    assert not [line for line in report.lines if line.key.startswith("nat-instance")]


def test_switching_dev_to_the_regional_nat_replaces_the_instance_lines(dev):
    regional = estimate(run_stack("dev", {"webstack:network": {"nat": "regional"}}))
    azs = container_azs(dev)
    expected = azs * HOURS * (price("natGatewayHour") + price("publicIpv4Hour")) \
        + usage(dev)["natProcessedGbPerMonth"] * price("natGatewayGb")
    assert regional.group_total(NAT) == pytest.approx(expected)
    assert not [line for line in regional.lines if line.key.startswith("nat-instance")]


def test_a_third_az_adds_one_nat_az_one_address_and_an_endpoint_per_service():
    two = run_stack("prd", {"webstack:network": {"azCount": 2}})
    three = run_stack("prd")
    before, after = estimate(two), estimate(three)
    endpoints = len([e for e in three.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                     if e.get("vpcEndpointType") == "Interface"])
    assert after.monthly("regional-nat-gateway-hours") - before.monthly("regional-nat-gateway-hours") == \
        pytest.approx(HOURS * price("natGatewayHour"))
    assert after.monthly("regional-nat-public-ipv4") - before.monthly("regional-nat-public-ipv4") == \
        pytest.approx(HOURS * price("publicIpv4Hour"))
    assert after.monthly("interface-endpoint-hours") - before.monthly("interface-endpoint-hours") == \
        pytest.approx(endpoints * HOURS * price("interfaceEndpointHour"))


def test_the_nat_instance_is_priced_by_its_instance_type():
    small = estimate(run_stack("dev", {"webstack:network": {"natInstanceType": "t4g.small"}}))
    assert small.monthly("nat-instance-hours-t4g.small") == pytest.approx(HOURS * price("ec2InstanceHour", "t4g.small"))


def test_nat_saving_is_computed_from_the_two_stacks_nat_lines(dev, prd):
    dev_report, prd_report = estimate(dev), estimate(prd)
    dev_nat = sum(line.monthly for line in dev_report.lines if line.group == NAT)
    prd_nat = sum(line.monthly for line in prd_report.lines if line.group == NAT)
    comparison = compare_nat(prd_report, dev_report)
    assert (comparison.cheaper.stack, comparison.dearer.stack) == ("dev", "prd")
    assert comparison.saving_percent == pytest.approx(100 * (prd_nat - dev_nat) / prd_nat)
    # The design's trade-off: the instance is an order of magnitude cheaper than a gateway in every AZ.
    assert comparison.saving_percent > 90
    assert f"**−{comparison.saving_percent:.1f}%**" in comparison_document([dev_report, prd_report])


# -- Fargate -----------------------------------------------------------------------------------------------------

def fargate(report, kind: str, arch: str = "arm64", suffix: str = "") -> tuple[float, float]:
    return (report.monthly(f"fargate-{kind}-{arch}-vcpu{suffix}"),
            report.monthly(f"fargate-{kind}-{arch}-memory{suffix}"))


def test_each_service_bills_its_desired_tasks_at_its_task_size_and_the_worker_none_at_rest(dev):
    assert roles(dev) == ["admin", "api", "worker"]
    assert desired(dev, "worker") == 0
    vcpu = sum(desired(dev, r) * task_size(dev, r)[0] for r in roles(dev))
    gb = sum(desired(dev, r) * task_size(dev, r)[1] for r in roles(dev))
    assert all(t.get("runtimePlatform.cpuArchitecture") == "ARM64" for t in dev.of_type(TASK_DEFINITION))
    report = estimate(dev)
    assert fargate(report, "spot") == pytest.approx((vcpu * HOURS * price("fargateSpotVcpuHour", "ARM64"),
                                                     gb * HOURS * price("fargateSpotGbHour", "ARM64")))
    assert fargate(report, "on-demand") == (0, 0)
    assert service(dev, "worker").name not in report.line("fargate-spot-arm64-vcpu").resources
    assert report.free_item("services-at-zero") is None, "a worker that jobs wake is priced by its job lines"


def _window_of_the_stop_alarm(capture: Capture, role: str) -> float:
    """Seconds the alarm that sets the service to 0 tasks waits: evaluation periods × period."""
    physical = service(capture, role).state["name"]
    stops = {p.state["arn"] for p in capture.of_type(POLICY)
             if p.get("resourceId", "").endswith(f"/{physical}") and p.get("policyType") == "StepScaling"
             and all(a["scalingAdjustment"] == 0 for a in p.get("stepScalingPolicyConfiguration.stepAdjustments"))}
    alarm = capture.one(ALARM, lambda a: set(a.get("alarmActions") or []) & stops)
    return alarm.get("evaluationPeriods") * alarm.get("metricQueries")[0]["metric"]["period"]


def test_a_worker_at_zero_bills_the_task_hours_its_jobs_wake_it_for(dev):
    window = _window_of_the_stop_alarm(dev, "worker")
    hours = (usage(dev)["workerWakeupsPerMonth"] * (usage(dev)["fargateTaskStartSeconds"] + window)
             + usage(dev)["pictureJobsPerMonth"] * usage(dev)["workerJobSeconds"]) / 3600
    vcpu, gb = task_size(dev, "worker")
    report = estimate(dev)
    line = report.line("fargate-spot-arm64-vcpu-jobs")
    assert line.usage_driven and line.resources == (service(dev, "worker").name,)
    assert fargate(report, "spot", suffix="-jobs") == pytest.approx(
        (hours * vcpu * price("fargateSpotVcpuHour", "ARM64"), hours * gb * price("fargateSpotGbHour", "ARM64")))
    # More jobs, more task time; at rest nothing moves.
    more = Usage(path=usage(dev).path, notes=usage(dev).notes,
                 values={**usage(dev).values, "pictureJobsPerMonth": 10 * usage(dev)["pictureJobsPerMonth"]})
    busier = estimate(dev, usage=more)
    assert busier.monthly("fargate-spot-arm64-vcpu-jobs") > report.monthly("fargate-spot-arm64-vcpu-jobs")
    assert busier.at_rest_total == pytest.approx(report.at_rest_total)


def test_a_worker_that_always_runs_one_task_bills_it_at_rest_and_its_long_polls(prd):
    report = estimate(prd)
    assert desired(prd, "worker") == 1
    assert report.line("fargate-on-demand-arm64-vcpu-jobs") is None
    queue = prd.one("aws:sqs/queue:Queue", lambda q: q.get("redrivePolicy"))
    receives = 3600 / queue.get("receiveWaitTimeSeconds") * HOURS
    assert report.line("sqs-polling-requests").quantity == pytest.approx(receives / 1e6)
    assert report.monthly("sqs-job-requests") == pytest.approx(
        usage(prd)["pictureJobsPerMonth"] * usage(prd)["sqsRequestsPerJob"] / 1e6 * price("sqsMillionRequests"))
    dead_letters = prd.one("aws:sqs/queue:Queue", lambda q: not q.get("redrivePolicy"))
    assert dead_letters.name in report.free_item("unpolled-queues").resources


def test_a_larger_task_costs_the_size_difference():
    small = estimate(run_stack("dev"))
    large = estimate(run_stack("dev", {"webstack:api": {"cpu": 1024, "memory": 4096}}))
    vcpu_delta, gb_delta = (1 - 0.25), (4 - 0.5)
    assert fargate(large, "spot")[0] - fargate(small, "spot")[0] == pytest.approx(
        vcpu_delta * HOURS * price("fargateSpotVcpuHour", "ARM64"))
    assert fargate(large, "spot")[1] - fargate(small, "spot")[1] == pytest.approx(
        gb_delta * HOURS * price("fargateSpotGbHour", "ARM64"))


def test_x86_tasks_are_priced_at_x86_rates(dev):
    report = estimate(run_stack("dev", {"webstack:platform": {"cpuArchitecture": "X86_64"}}))
    vcpu = sum(desired(dev, r) * task_size(dev, r)[0] for r in roles(dev))
    assert fargate(report, "spot", "arm64") == (0, 0)
    assert fargate(report, "spot", "x86_64")[0] == pytest.approx(vcpu * HOURS * price("fargateSpotVcpuHour", "X86_64"))


def test_more_desired_tasks_cost_that_many_more_task_hours(prd):
    more = estimate(run_stack("prd", {"webstack:api": {"desiredCount": 5}}))
    vcpu, _ = task_size(prd, "api")
    added = 5 - desired(prd, "api")
    assert fargate(more, "on-demand")[0] - fargate(estimate(prd), "on-demand")[0] == pytest.approx(
        added * vcpu * HOURS * price("fargateVcpuHour", "ARM64"))


def test_spot_moves_a_services_tasks_to_spot_rates(prd):
    spot = estimate(run_stack("prd", {"webstack:api": {"capacityProvider": "FARGATE_SPOT"}}))
    vcpu, _ = task_size(prd, "api")
    api = desired(prd, "api") * vcpu * HOURS
    assert fargate(spot, "spot")[0] == pytest.approx(api * price("fargateSpotVcpuHour", "ARM64"))
    assert fargate(estimate(prd), "on-demand")[0] - fargate(spot, "on-demand")[0] == pytest.approx(
        api * price("fargateVcpuHour", "ARM64"))


def test_tasks_split_across_capacity_providers_by_base_then_weight():
    assert split_tasks(5, [(ON_DEMAND, 1, 1), (SPOT, 0, 3)]) == {ON_DEMAND: 2, SPOT: 3}
    assert split_tasks(1, [(SPOT, 0, 1)]) == {SPOT: 1}
    assert split_tasks(2, [(ON_DEMAND, 2, 0), (SPOT, 0, 1)]) == {ON_DEMAND: 2}


def test_a_mixed_strategy_on_a_service_splits_its_fargate_lines(prd):
    mixed = with_inputs(prd, SERVICE, lambda r: role_of(r) == "api", capacityProviderStrategies=[
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    before, after = estimate(prd), estimate(mixed)
    vcpu, _ = task_size(prd, "api")
    # 3 tasks: the base one on demand, the other two shared 1:1.
    assert fargate(before, "on-demand")[0] - fargate(after, "on-demand")[0] == pytest.approx(
        1 * vcpu * HOURS * price("fargateVcpuHour", "ARM64"))
    assert fargate(after, "spot")[0] == pytest.approx(1 * vcpu * HOURS * price("fargateSpotVcpuHour", "ARM64"))


def test_a_service_left_to_autoscaling_is_priced_at_its_minimum_task_count(prd):
    api = service(prd, "api")
    unset = with_inputs(prd, SERVICE, lambda r: r is api, desiredCount=None)
    scaled = with_inputs(unset, "aws:appautoscaling/target:Target",
                         lambda t: t.get("resourceId", "").endswith(f"/{api.state['name']}"), minCapacity=1.0)
    vcpu, _ = task_size(prd, "api")
    assert fargate(estimate(prd), "on-demand")[0] - fargate(estimate(scaled), "on-demand")[0] == pytest.approx(
        (desired(prd, "api") - 1) * vcpu * HOURS * price("fargateVcpuHour", "ARM64"))


def test_releases_bill_each_new_revision_for_its_start_and_bake(stack):
    report = estimate(stack)
    expected = 0.0
    for role in roles(stack):
        bake = float(service(stack, role).get("deploymentConfiguration.bakeTimeInMinutes") or 0)
        seconds = usage(stack)["fargateTaskStartSeconds"] + 60 * bake
        vcpu, _ = task_size(stack, role)
        expected += usage(stack)["releasesPerMonth"] * desired(stack, role) * seconds / 3600 * vcpu
    lines = [line for line in report.lines if line.key.endswith("-vcpu-releases")]
    assert sum(line.quantity for line in lines) == pytest.approx(expected)
    assert all(line.usage_driven for line in lines)


# -- everything else at rest -------------------------------------------------------------------------------------

def test_alb_bills_hours_and_the_baseline_capacity_units(stack):
    report = estimate(stack)
    balancers = len(stack.of_type("aws:lb/loadBalancer:LoadBalancer"))
    assert balancers >= 1
    assert report.monthly("alb-hours") == pytest.approx(balancers * HOURS * price("albHour"))
    assert report.monthly("alb-lcu-hours") == pytest.approx(
        balancers * usage(stack)["albAverageLcu"] * HOURS * price("albLcuHour"))


def test_target_groups_carry_no_charge_and_a_blue_green_release_adds_one_per_service(dev, prd):
    for capture in (dev, prd):
        report = estimate(capture)
        groups = {g.name for g in capture.of_type("aws:lb/targetGroup:TargetGroup")}
        free = set(report.free_item("load-balancer-parts").resources)
        alternate = report.free_item("alternate-target-groups")
        assert groups == (free & groups) | set(alternate.resources if alternate else ())
    assert estimate(dev).free_item("alternate-target-groups") is None
    assert len(estimate(prd).free_item("alternate-target-groups").resources) == 2


def test_interface_endpoints_bill_per_endpoint_per_az_only_when_switched_on(dev):
    assert estimate(dev).line("interface-endpoint-hours") is None
    with_endpoints = run_stack("dev", {"webstack:network": {"interfaceEndpoints": True}})
    enis = sum(len(e.get("subnetIds")) for e in with_endpoints.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
               if e.get("vpcEndpointType") == "Interface")
    assert enis == 4 * container_azs(dev)
    assert estimate(with_endpoints).monthly("interface-endpoint-hours") == pytest.approx(
        enis * HOURS * price("interfaceEndpointHour"))


def test_alarms_bill_per_metric_they_read(stack):
    report = estimate(stack)
    metrics = sum(alarm_metrics(a) for a in stack.of_type(ALARM))
    assert total(report, "cloudwatch-alarms") == pytest.approx(metrics * price("cloudwatchAlarmMonth"))
    named = {n for line in report.lines if line.key.startswith("cloudwatch-alarms") for n in line.resources}
    assert named == {a.name for a in stack.of_type(ALARM)}


def _tracking_metrics(policy: Resource) -> int:
    custom = policy.get("targetTrackingScalingPolicyConfiguration.customizedMetricSpecification") or {}
    return len(custom.get("metrics") or []) - len([m for m in custom.get("metrics") or [] if "expression" in m]) \
        if custom else 1


def test_target_tracking_adds_a_scale_out_and_a_scale_in_alarm_reading_its_metrics(stack):
    policies = [p for p in stack.of_type(POLICY) if p.get("policyType") == "TargetTrackingScaling"]
    assert policies
    assert total(estimate(stack), "target-tracking-alarms") == pytest.approx(
        sum(2 * _tracking_metrics(p) for p in policies) * price("cloudwatchAlarmMonth"))


def test_a_target_tracking_policy_without_scale_in_adds_one_alarm_not_two(prd):
    first = next(p for p in prd.of_type(POLICY) if p.get("policyType") == "TargetTrackingScaling"
                 and _tracking_metrics(p) == 1)
    no_scale_in = {**first.inputs, "targetTrackingScalingPolicyConfiguration": {
        **first.get("targetTrackingScalingPolicyConfiguration"), "disableScaleIn": True}}
    changed = replace(prd, resources=[replace(r, inputs=no_scale_in) if r is first else r for r in prd.resources])
    assert total(estimate(prd), "target-tracking-alarms") - total(estimate(changed), "target-tracking-alarms") == \
        pytest.approx(price("cloudwatchAlarmMonth"))


def test_a_blue_green_release_brings_its_deployment_alarms_and_the_alternate_groups_health(dev):
    assert estimate(dev).line("cloudwatch-alarms-release") is None
    changed = run_stack("dev", {"webstack:api": {"release": "blueGreen"}})
    api = service(changed, "api")
    watched = set(api.get("alarms.alarmNames"))
    green = (api.get("loadBalancers")[0].get("advancedConfiguration") or {})["alternateTargetGroupArn"]
    release = [a for a in changed.of_type(ALARM) if a.state["name"] in watched or any(
        green.endswith(str((q.get("metric") or {}).get("dimensions", a.get("dimensions") or {}).get("TargetGroup")))
        for q in (a.get("metricQueries") or [{}]))]
    report = estimate(changed)
    assert set(report.line("cloudwatch-alarms-release").resources) == {a.name for a in release}
    assert report.monthly("cloudwatch-alarms-release") == pytest.approx(
        sum(alarm_metrics(a) for a in release) * price("cloudwatchAlarmMonth"))
    assert report.free_item("alternate-target-groups").resources == (
        changed.one("aws:lb/targetGroup:TargetGroup", lambda g: g.state["arn"] == green).name,)


def test_container_insights_bills_per_cluster_and_service_only_when_the_cluster_turns_it_on(dev):
    assert not [line for line in estimate(dev).lines if "container-insights" in line.key]
    on = run_stack("dev", {"webstack:platform": {"containerInsights": "on"}})
    report = estimate(on)
    metrics = usage(dev)["containerInsightsMetricsPerCluster"] + \
        len(on.of_type(SERVICE)) * usage(dev)["containerInsightsMetricsPerService"]
    assert report.monthly("container-insights-metrics") == pytest.approx(metrics * price("cloudwatchMetricMonth"))
    reading = [a for a in on.of_type(ALARM) if any((q.get("metric") or {}).get("namespace") == "ECS/ContainerInsights"
                                                   for q in a.get("metricQueries") or [])]
    assert reading and set(report.line("cloudwatch-alarms-container-insights").resources) == {a.name for a in reading}
    enhanced = with_inputs(on, "aws:ecs/cluster:Cluster", settings=[{"name": "containerInsights", "value": "enhanced"}])
    with pytest.raises(AssumptionError, match="enhanced"):
        estimate(enhanced)


def test_each_dashboard_bills_a_dashboard_month_and_the_free_ones_are_not_counted(stack):
    line = estimate(stack).line("cloudwatch-dashboards")
    dashboards = stack.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert line.quantity == len(dashboards) == 1
    assert line.monthly == pytest.approx(price("cloudwatchDashboardMonth"))
    assert "not counted" in line.basis and "free" in line.basis


def test_cloudfront_additional_metrics_bill_as_custom_metrics_in_us_east_1(dev, prd):
    assert estimate(dev).line("cloudfront-additional-metrics") is None
    line = estimate(prd).line("cloudfront-additional-metrics")
    assert line.region == "us-east-1"
    assert line.monthly == pytest.approx(8 * EDGE_PRICES.price("cloudwatchMetricMonth"))
    turned_on = estimate(run_stack("dev", {"webstack:site": {"additionalMetrics": True}}))
    assert turned_on.monthly("cloudfront-additional-metrics") == pytest.approx(line.monthly)


def test_flow_logs_bill_ingestion_and_storage_for_their_retention(dev):
    assert estimate(dev).line("flow-log-ingestion") is None
    report = estimate(run_stack("dev", {"webstack:network": {"flowLogs": True, "flowLogRetentionDays": 365}}))
    assert report.monthly("flow-log-ingestion") == pytest.approx(
        usage(dev)["flowLogGbPerMonth"] * price("logsVendedIngestGb"))
    assert report.line("flow-log-storage").quantity == pytest.approx(12 * usage(dev)["flowLogGbPerMonth"])


def test_the_services_log_groups_share_the_stacks_application_log_volume(stack):
    groups = [g for g in stack.of_type("aws:cloudwatch/logGroup:LogGroup") if g.get("name", "").startswith("/ecs/")]
    assert len(groups) == len(stack.of_type(SERVICE)) > 1
    report = estimate(stack)
    assert report.monthly("application-log-ingestion") == pytest.approx(
        usage(stack)["applicationLogGbPerMonth"] * price("logsIngestGb"))
    assert sorted(report.line("application-log-ingestion").resources) == sorted(g.name for g in groups)


def test_waf_lines_follow_the_web_acl_and_its_rules(dev, prd):
    assert not [line for line in estimate(dev).lines if "waf" in line.key]
    acl = prd.one("aws:wafv2/webAcl:WebAcl")
    report = estimate(prd)
    assert report.monthly("waf-web-acls") == pytest.approx(price("wafWebAclMonth"))
    assert report.monthly("waf-rules") == pytest.approx(len(acl.get("rules")) * price("wafRuleMonth"))
    assert report.monthly("waf-requests") == pytest.approx(
        usage(prd)["cloudfrontRequestsPerMonth"] / 1e6 * price("wafMillionRequests"))
    assert report.free_item("waf-ip-sets").resources == tuple(
        sorted(s.name for s in prd.of_type("aws:wafv2/ipSet:IpSet")))


def test_the_kms_key_and_the_alarm_topics_publishes(stack):
    report = estimate(stack)
    assert report.monthly("kms-keys") == pytest.approx(len(stack.of_type("aws:kms/key:Key")) * price("kmsKeyMonth"))
    assert report.monthly("sns-publishes") == pytest.approx(
        usage(stack)["alarmNotificationsPerMonth"] / 1e6 * price("snsMillionPublishes"))
    assert report.line("kms-requests").quantity == pytest.approx(usage(stack)["alarmNotificationsPerMonth"] / 1e4)


# -- usage-driven ------------------------------------------------------------------------------------------------

def test_cognito_bills_its_monthly_active_users_on_the_pools_tier(stack):
    pool = stack.one("aws:cognito/userPool:UserPool")
    assert pool.get("userPoolTier") == "ESSENTIALS"
    assert estimate(stack).monthly("cognito-mau") == pytest.approx(
        usage(stack)["cognitoMonthlyActiveUsers"] * price("cognitoEssentialsMau"))
    with pytest.raises(AssumptionError, match="PLUS"):
        estimate(with_inputs(stack, "aws:cognito/userPool:UserPool", userPoolTier="PLUS"))


def _function_share(capture: Capture) -> float:
    function = capture.one("aws:cloudfront/function:Function")
    distribution = capture.one("aws:cloudfront/distribution:Distribution")
    behaviours = [{**distribution.get("defaultCacheBehavior"), "pathPattern": "*"},
                  *distribution.get("orderedCacheBehaviors")]
    shares = usage(capture).shares("cloudfrontRequestShareByPathPattern")
    return sum(shares[b["pathPattern"]] for b in behaviours
               if any(a["functionArn"] == function.state["arn"] for a in b.get("functionAssociations") or []))


def test_the_cloudfront_function_runs_once_per_request_of_each_behaviour_it_is_associated_with(stack):
    assert estimate(stack).line("cloudfront-function-invocations").quantity == pytest.approx(
        usage(stack)["cloudfrontRequestsPerMonth"] * _function_share(stack) / 1e6)


def test_enforcing_the_admin_allow_list_in_the_function_adds_the_admin_apis_requests(dev):
    by_waf = run_stack("dev", {"webstack:site": {"waf": True}, "webstack:admin": {"allowListAt": "waf"}})
    by_function = run_stack("dev", {"webstack:site": {"waf": True}})
    difference = estimate(by_function).line("cloudfront-function-invocations").quantity - \
        estimate(by_waf).line("cloudfront-function-invocations").quantity
    assert difference == pytest.approx(
        usage(dev)["cloudfrontRequestsPerMonth"]
        * usage(dev).share("cloudfrontRequestShareByPathPattern", "/api/admin/*") / 1e6)


def _archive_days(capture: Capture) -> float:
    archive = capture.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                          lambda c: c.get("bucket").startswith(capture.one(
                              "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination").get(
                              "deliveryDestinationConfiguration.destinationResourceArn").split(":::")[1].split("/")[0]))
    return next(r["expiration"]["days"] for r in archive.get("rules") if (r.get("expiration") or {}).get("days"))


def test_cloudfront_logs_bill_their_delivery_in_us_east_1_and_their_storage_for_the_archives_retention(stack):
    report = estimate(stack)
    gb = usage(stack)["cloudfrontRequestsPerMonth"] * usage(stack)["cloudfrontLogBytesPerRequest"] / 1e9
    delivery = report.line("log-archive-cloudfront-delivery")
    assert delivery.region == "us-east-1"
    assert delivery.monthly == pytest.approx(gb * EDGE_PRICES.price("logsVendedS3Gb"))
    assert report.line("log-archive-cloudfront-storage").quantity == pytest.approx(
        gb * _archive_days(stack) * 12 / 365)


def test_access_logs_of_the_load_balancer_and_the_images_bucket_bill_storage_only(stack):
    report = estimate(stack)
    assert report.line("log-archive-alb-delivery") is None and report.line("log-archive-s3-delivery") is None
    months = _archive_days(stack) * 12 / 365
    assert report.line("log-archive-alb-storage").quantity == pytest.approx(
        usage(stack)["albAccessLogGbPerMonth"] * months)
    logged = len(stack.of_type("aws:s3/bucketLogging:BucketLogging"))  # the images bucket; prd's WAF log bucket too
    assert logged == (2 if stack.stack == "prd" else 1)
    assert report.line("log-archive-s3-storage").quantity == pytest.approx(
        logged * usage(stack)["s3AccessLogGbPerMonth"] * months)


def test_web_acl_logs_bill_every_inspected_request(dev, prd):
    assert estimate(dev).line("log-archive-waf-delivery") is None
    gb = usage(prd)["cloudfrontRequestsPerMonth"] * usage(prd)["wafLogBytesPerRequest"] / 1e9
    assert estimate(prd).monthly("log-archive-waf-delivery") == pytest.approx(gb * EDGE_PRICES.price("logsVendedS3Gb"))


def test_account_detection_bills_insights_and_guardduty_in_the_stack_that_owns_it(dev, prd):
    assert not [line for line in estimate(dev).lines if line.key.startswith(("cloudtrail", "guardduty"))]
    report = estimate(prd)
    reads, writes = usage(prd)["cloudtrailReadEventsPerMonth"], usage(prd)["cloudtrailWriteEventsPerMonth"]
    kinds = {s["insightType"] for s in prd.one("aws:cloudtrail/trail:Trail").get("insightSelectors")}
    assert kinds == {"ApiCallRateInsight", "ApiErrorRateInsight"}
    assert report.monthly("cloudtrail-insights") == pytest.approx(
        (2 * writes + reads) / 1e5 * price("cloudtrailHundredThousandInsightsEvents"))
    assert report.free_item("cloudtrail-first-copy").resources == (prd.one("aws:cloudtrail/trail:Trail").name,)
    assert report.monthly("guardduty-management-events") == pytest.approx(
        (reads + writes) / 1e6 * price("guarddutyMillionManagementEvents"))
    assert report.monthly("guardduty-flow-dns-logs") == pytest.approx(
        usage(prd)["guarddutyFlowAndDnsLogGbPerMonth"] * price("guarddutyFlowDnsGb"))
    assert report.monthly("guardduty-s3-data-events") == pytest.approx(
        (usage(prd)["s3GetRequestsPerMonth"] + usage(prd)["s3PutRequestsPerMonth"]) / 1e6
        * price("guarddutyMillionS3DataEvents"))
    off = with_inputs(prd, "aws:guardduty/detector:Detector", datasources={"s3Logs": {"enable": False}})
    assert estimate(off).line("guardduty-s3-data-events") is None
    assert set(report.free_item("eventbridge-aws-events").resources) == {
        r.name for r in prd.of_type("aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget")}
    without = estimate(run_stack("prd", {"webstack:account": None}))
    assert not [line for line in without.lines if line.key.startswith(("cloudtrail", "guardduty"))]


def test_a_second_trail_of_management_events_is_an_error_not_free(prd):
    trail = prd.one("aws:cloudtrail/trail:Trail")
    second = replace(trail, name="second-trail", urn=trail.urn + "-second", id="second")
    with pytest.raises(AssumptionError, match="second-trail"):
        estimate(replace(prd, resources=[*prd.resources, second]))


def test_the_release_hook_bills_per_release_of_each_service_it_holds(prd):
    function = prd.one("aws:lambda/function:Function")
    hooked = [s for s in prd.of_type(SERVICE) if any(
        h["hookTargetArn"] == function.state["arn"]
        for h in s.get("deploymentConfiguration.lifecycleHooks") or [])]
    assert len(hooked) == 2
    report = estimate(prd)
    invocations = usage(prd)["releasesPerMonth"] * len(hooked)
    assert report.line("lambda-requests").quantity == pytest.approx(invocations / 1e6)
    assert report.line("lambda-duration-arm64").quantity == pytest.approx(
        invocations * usage(prd)["releaseHookSeconds"] * function.get("memorySize") / 1024)


def test_usage_lines_scale_with_usage_and_leave_the_at_rest_lines_alone(prd):
    doubled = Usage(path=usage(prd).path, notes=usage(prd).notes,
                    values={**usage(prd).values,
                            "cloudfrontRequestsPerMonth": 2 * usage(prd)["cloudfrontRequestsPerMonth"]})
    base, more = estimate(prd), estimate(prd, usage=doubled)
    for key in ("cloudfront-requests", "waf-requests", "cloudfront-function-invocations",
                "log-archive-cloudfront-delivery", "log-archive-waf-delivery"):
        assert more.monthly(key) == pytest.approx(2 * base.monthly(key)), key
    assert more.at_rest_total == pytest.approx(base.at_rest_total)


# -- the whole report ----------------------------------------------------------------------------------------------

def test_every_line_is_priced_from_prices_json_for_its_region(stack):
    for line in estimate(stack).lines:
        key, _, variant = line.price.partition("[")
        assert line.unit_price == load_prices(line.region).price(key, variant.rstrip("]") or None), line
        assert line.unit_price > 0


def test_every_declared_resource_is_billed_by_a_line_or_said_to_be_free(stack):
    report = estimate(stack)
    named = {n for line in report.lines for n in line.resources} | {n for item in report.free for n in item.resources}
    declared = {r.name for r in stack.resources if r.custom and not r.type.startswith("pulumi:providers:")}
    assert declared <= named
    assert all(item.reason for item in report.free)


def test_a_resource_the_report_cannot_price_is_an_error_naming_it(dev):
    unknown = Resource(type="aws:opensearch/domain:Domain", name="search", urn="urn:pulumi:dev::webstack::search",
                       inputs={}, custom=True)
    with pytest.raises(AssumptionError, match=r"search \(aws:opensearch/domain:Domain\)"):
        estimate(replace(dev, resources=[*dev.resources, unknown]))


def test_prd_costs_more_than_dev_at_rest_and_in_total(dev, prd):
    dev_report, prd_report = estimate(dev), estimate(prd)
    assert prd_report.at_rest_total > dev_report.at_rest_total
    assert prd_report.total > dev_report.total
    assert dev_report.total == pytest.approx(sum(line.monthly for line in dev_report.lines))


def test_prd_stays_within_its_cost_bound(prd):
    """Issue 15: prd at most $450 a month with everything that has landed."""
    assert estimate(prd).total <= 450


def test_dev_stays_within_its_cost_bound(dev):
    """Issue 15: dev at most $40 a month with everything that has landed."""
    assert estimate(dev).total <= 40


def test_each_per_stack_choice_shows_the_lines_it_brings(dev, prd):
    reports = [estimate(dev), estimate(prd)]
    comparison = comparison_document(reports)
    for choice in CHOICES:
        assert f"| {choice.label} |" in comparison
        for report in reports:
            assert choice.monthly(report) == pytest.approx(sum(line.monthly for line in choice.lines(report)))
            assert f"| {choice.label} |" in cost_document(report)
    # Off in dev, on in prd: each of these choices brings lines to prd alone.
    for label in ("Interface endpoints", "Container Insights", "Web ACL", "CloudFront additional metrics",
                  "Account detection: CloudTrail and GuardDuty"):
        choice = next(c for c in CHOICES if c.label == label)
        assert not choice.lines(reports[0]) and choice.lines(reports[1]), label


# -- what each setting moves -------------------------------------------------------------------------------------

def _releases(capture: Capture, role: str, vcpu_delta: float, gb_delta: float, kind: str) -> dict[str, float]:
    """What a change of a service's task size moves in its release lines."""
    bake = float(service(capture, role).get("deploymentConfiguration.bakeTimeInMinutes") or 0)
    hours = (usage(capture)["releasesPerMonth"] * desired(capture, role)
             * (usage(capture)["fargateTaskStartSeconds"] + 60 * bake) / 3600)
    vcpu_price, gb_price = (("fargateSpotVcpuHour", "fargateSpotGbHour") if kind == "spot"
                            else ("fargateVcpuHour", "fargateGbHour"))
    return {f"fargate-{kind}-arm64-vcpu-releases": vcpu_delta * hours * price(vcpu_price, "ARM64"),
            f"fargate-{kind}-arm64-memory-releases": gb_delta * hours * price(gb_price, "ARM64")}


def _nat_to_regional(dev: Capture, _: Capture) -> dict[str, float]:
    instance_type = dev.one("aws:ec2/instance:Instance").get("instanceType")
    azs = container_azs(dev)
    return {
        f"nat-instance-hours-{instance_type}": -HOURS * price("ec2InstanceHour", instance_type),
        "nat-instance-root-volume": -usage(dev)["rootVolumeGbWhenUnset"] * price("ebsGp3GbMonth"),
        "nat-instance-public-ipv4": -HOURS * price("publicIpv4Hour"),
        "cloudwatch-alarms": -price("cloudwatchAlarmMonth"),  # the NAT instance's recovery alarm goes with it
        "regional-nat-gateway-hours": azs * HOURS * price("natGatewayHour"),
        "regional-nat-public-ipv4": azs * HOURS * price("publicIpv4Hour"),
        "nat-gateway-processing": usage(dev)["natProcessedGbPerMonth"] * price("natGatewayGb"),
    }


def _third_az(two_azs: Capture, _: Capture) -> dict[str, float]:
    services = len([e for e in two_azs.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                    if e.get("vpcEndpointType") == "Interface"])
    return {"regional-nat-gateway-hours": HOURS * price("natGatewayHour"),
            "regional-nat-public-ipv4": HOURS * price("publicIpv4Hour"),
            "interface-endpoint-hours": services * HOURS * price("interfaceEndpointHour")}


def _larger_task(dev: Capture, _: Capture) -> dict[str, float]:
    vcpu, gb = task_size(dev, "api")
    return {"fargate-spot-arm64-vcpu": (1 - vcpu) * HOURS * price("fargateSpotVcpuHour", "ARM64"),
            "fargate-spot-arm64-memory": (4 - gb) * HOURS * price("fargateSpotGbHour", "ARM64"),
            **_releases(dev, "api", 1 - vcpu, 4 - gb, "spot")}


def _two_more_tasks(prd: Capture, _: Capture) -> dict[str, float]:
    vcpu, gb = task_size(prd, "api")
    before = _releases(prd, "api", vcpu, gb, "on-demand")
    per_task = {key: value / desired(prd, "api") for key, value in before.items()}
    return {"fargate-on-demand-arm64-vcpu": 2 * vcpu * HOURS * price("fargateVcpuHour", "ARM64"),
            "fargate-on-demand-arm64-memory": 2 * gb * HOURS * price("fargateGbHour", "ARM64"),
            "container-insights-logs": 2 * usage(prd)["containerInsightsLogGbPerTaskMonth"] * price("logsIngestGb"),
            **{key: 2 * value for key, value in per_task.items()}}


def _api_on_spot(prd: Capture, _: Capture) -> dict[str, float]:
    (vcpu, gb), tasks = task_size(prd, "api"), desired(prd, "api")
    moved = {"fargate-on-demand-arm64-vcpu": -tasks * vcpu * HOURS * price("fargateVcpuHour", "ARM64"),
             "fargate-on-demand-arm64-memory": -tasks * gb * HOURS * price("fargateGbHour", "ARM64"),
             "fargate-spot-arm64-vcpu": tasks * vcpu * HOURS * price("fargateSpotVcpuHour", "ARM64"),
             "fargate-spot-arm64-memory": tasks * gb * HOURS * price("fargateSpotGbHour", "ARM64")}
    for key, value in _releases(prd, "api", vcpu, gb, "on-demand").items():
        moved[key] = -value
    moved.update(_releases(prd, "api", vcpu, gb, "spot"))
    return moved


def _web_acl(_: Capture, changed: Capture) -> dict[str, float]:
    rules = len(changed.one("aws:wafv2/webAcl:WebAcl").get("rules"))
    requests, edge = usage(changed)["cloudfrontRequestsPerMonth"], EDGE_PRICES.price
    gb = requests * usage(changed)["wafLogBytesPerRequest"] / 1e9
    return {"waf-web-acls": edge("wafWebAclMonth"), "waf-rules": rules * edge("wafRuleMonth"),
            "waf-requests": requests / 1e6 * edge("wafMillionRequests"),
            "log-archive-waf-delivery": gb * edge("logsVendedS3Gb"),
            "log-archive-waf-storage": gb * _archive_days(changed) * 12 / 365 * price("s3StorageGbMonth"),
            # The WAF log bucket's own server access logs.
            "log-archive-s3-storage": usage(changed)["s3AccessLogGbPerMonth"] * _archive_days(changed) * 12 / 365
            * price("s3StorageGbMonth")}


def _additional_metrics(_: Capture, __: Capture) -> dict[str, float]:
    return {"cloudfront-additional-metrics": 8 * EDGE_PRICES.price("cloudwatchMetricMonth")}


@pytest.mark.parametrize("stack_name, before, after, expected", [
    pytest.param("dev", {}, {"webstack:network": {"nat": "regional"}}, _nat_to_regional, id="nat"),
    pytest.param("prd", {"webstack:network": {"azCount": 2}}, {}, _third_az, id="azCount"),
    pytest.param("dev", {}, {"webstack:api": {"cpu": 1024, "memory": 4096}}, _larger_task, id="task size"),
    pytest.param("prd", {}, {"webstack:api": {"desiredCount": 5}}, _two_more_tasks, id="desiredCount"),
    pytest.param("prd", {}, {"webstack:api": {"capacityProvider": "FARGATE_SPOT"}}, _api_on_spot, id="Spot"),
    pytest.param("dev", {}, {"webstack:site": {"waf": True}}, _web_acl, id="waf"),
    pytest.param("dev", {}, {"webstack:site": {"additionalMetrics": True}}, _additional_metrics,
                 id="additionalMetrics"),
])
def test_a_setting_changes_exactly_its_lines_by_their_amounts(stack_name, before, after, expected):
    base = run_stack(stack_name, before) if before else run_stack(stack_name)
    changed = run_stack(stack_name, after) if after else run_stack(stack_name)
    old, new = estimate(base), estimate(changed)
    keys = {line.key for line in old.lines} | {line.key for line in new.lines}
    moved = {key: new.monthly(key) - old.monthly(key) for key in keys
             if new.monthly(key) != pytest.approx(old.monthly(key), abs=1e-9)}
    want = {key: value for key, value in expected(base, changed).items() if value}
    assert set(moved) == set(want), "lines that moved, or should have"
    assert moved == pytest.approx(want)
    assert new.total - old.total == pytest.approx(sum(want.values()))


# -- prices and usage files --------------------------------------------------------------------------------------

def test_an_unknown_region_is_an_error_naming_the_region_and_the_file():
    capture = run_stack("dev", {"aws:region": "eu-south-2"})
    with pytest.raises(AssumptionError) as error:
        estimate(capture)
    assert "eu-south-2" in str(error.value) and "prices.json" in str(error.value)


def test_us_east_1_has_its_own_prices():
    report = estimate(run_stack("dev", {"aws:region": "us-east-1"}))
    assert report.region == "us-east-1"
    assert report.line("alb-hours").unit_price == load_prices("us-east-1").price("albHour") != price("albHour")


def test_every_price_names_the_page_it_was_read_from_and_the_day(tmp_path):
    for book in (PRICES, EDGE_PRICES):
        assert set(book.sources) == set(book.units)
        for key, source in book.sources.items():
            assert source.url.startswith("https://") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", source.read), key
    raw = json.loads(PRICES.path.read_text())
    del raw["sources"]["cloudwatchDashboardMonth"]
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(AssumptionError, match="cloudwatchDashboardMonth"):
        load_prices("ap-northeast-1", path)


def test_a_region_missing_a_price_is_an_error_not_a_zero(tmp_path):
    raw = json.loads(PRICES.path.read_text())
    del raw["regions"]["ap-northeast-1"]["natGatewayHour"]
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(AssumptionError, match="natGatewayHour"):
        load_prices("ap-northeast-1", path)
    raw["regions"]["ap-northeast-1"]["natGatewayHour"] = 0
    path.write_text(json.dumps(raw))
    with pytest.raises(AssumptionError, match="positive"):
        load_prices("ap-northeast-1", path)


def test_an_instance_type_without_a_price_is_an_error(dev):
    unpriced = with_inputs(dev, "aws:ec2/instance:Instance", instanceType="c7gn.16xlarge")
    with pytest.raises(AssumptionError, match=r"c7gn\.16xlarge"):
        estimate(unpriced)


def test_usage_file_rejects_unknown_missing_and_negative_values(tmp_path):
    raw = json.loads(SHARED.path.read_text())
    path = tmp_path / "usage.json"
    raw["values"]["lambdaInvocations"] = {"value": 1}
    path.write_text(json.dumps(raw))
    with pytest.raises(AssumptionError, match="lambdaInvocations"):
        load_usage(path)
    del raw["values"]["lambdaInvocations"]
    raw["values"][USAGE_KEYS[0]]["value"] = -1
    path.write_text(json.dumps(raw))
    with pytest.raises(AssumptionError, match=USAGE_KEYS[0]):
        load_usage(path)
    del raw["values"][USAGE_KEYS[0]]
    path.write_text(json.dumps(raw))
    with pytest.raises(AssumptionError, match="missing"):
        load_usage(path)


def test_a_stack_sets_its_own_traffic_and_shares_the_rest(dev, prd):
    shared, own = load_usage(), usage(dev)
    assert own.own and "cloudfrontRequestsPerMonth" in own.own
    assert own["cloudfrontRequestsPerMonth"] < shared["cloudfrontRequestsPerMonth"]
    assert {key: own.values[key] for key in USAGE_KEYS if key not in own.own} == \
        {key: shared.values[key] for key in USAGE_KEYS if key not in own.own}
    assert usage(prd).values == shared.values and usage(prd).own == ()
    assert estimate(dev).line("cloudfront-requests").quantity == pytest.approx(
        own["cloudfrontRequestsPerMonth"] / 1e6)
    document = cost_document(estimate(dev))
    assert all(f"`{key}`" in document.split("Regenerate")[0] for key in own.own)
    assert "sets its own" not in cost_document(estimate(prd))


def test_a_stacks_section_of_the_usage_file_is_checked_like_the_shared_values(tmp_path):
    raw = json.loads(SHARED.path.read_text())
    path = tmp_path / "usage.json"
    raw["stacks"]["dev"]["values"]["cloudfrontRequestsPerSecond"] = {"value": 1}
    path.write_text(json.dumps(raw))
    with pytest.raises(AssumptionError, match=r"cloudfrontRequestsPerSecond in stacks\.dev\.values"):
        load_usage(path, stack="prd")
    del raw["stacks"]["dev"]["values"]["cloudfrontRequestsPerSecond"]
    raw["stacks"]["dev"]["values"]["cloudfrontRequestsPerMonth"]["value"] = -5
    path.write_text(json.dumps(raw))
    with pytest.raises(AssumptionError, match=r"stacks\.dev\.values\.cloudfrontRequestsPerMonth"):
        load_usage(path, stack="dev")


def test_request_shares_must_add_up_to_one_and_cover_every_behaviour(tmp_path, dev):
    raw = json.loads(SHARED.path.read_text())
    path = tmp_path / "usage.json"
    raw["values"]["cloudfrontRequestShareByPathPattern"]["value"]["*"] += 0.1
    path.write_text(json.dumps(raw))
    with pytest.raises(AssumptionError, match="add up to"):
        load_usage(path)
    shares = dict(usage(dev).shares("cloudfrontRequestShareByPathPattern"))
    shares["/api/*"] += shares.pop("/admin/*")
    short = Usage(path=usage(dev).path, notes=usage(dev).notes, values={**usage(dev).values,
                                                              "cloudfrontRequestShareByPathPattern": shares})
    with pytest.raises(AssumptionError, match="/admin/"):
        estimate(dev, usage=short)


# -- diagram -----------------------------------------------------------------------------------------------------

def test_dev_diagram_draws_a_nat_instance_in_a_public_subnet_and_two_azs(dev):
    diagram = build(dev)
    assert len(diagram.of_kind("nat-instance")) == 1 and not diagram.of_kind("regional-nat")
    assert diagram.of_kind("nat-instance")[0].cluster[-1].startswith("public subnet")
    assert len(diagram.az_clusters) == 2
    assert not diagram.of_kind("waf")


def test_prd_diagram_draws_the_regional_nat_three_azs_and_the_waf(prd):
    diagram = build(prd)
    assert len(diagram.of_kind("regional-nat")) == 1 and not diagram.of_kind("nat-instance")
    assert len(diagram.az_clusters) == 3
    assert not [path for path in diagram.clusters if path[-1].startswith("public subnet")]
    waf, cloudfront = diagram.of_kind("waf")[0], diagram.of_kind("cloudfront")[0]
    assert (waf.id, cloudfront.id) in {(e.source, e.target) for e in diagram.edges}
    assert {n.label.split("\n")[0] for n in diagram.of_kind("interface-endpoint")} == {
        "ecr.api", "ecr.dkr", "logs", "sts"}


def test_every_request_path_node_is_drawn(stack):
    kinds = build(stack).kinds()
    for kind in ("cloudfront", "site-bucket", "vpc-origin", "alb", "ecs-service", "ecs-task", "gateway-endpoint",
                 "dynamodb", "images-bucket", "internet-gateway", "queue", "user-pool"):
        assert kinds[kind] >= 1, kind
    assert kinds["ecs-service"] == len(stack.of_type(SERVICE))


def test_the_load_balancer_reaches_the_tasks_of_the_services_its_rules_forward_to(stack):
    diagram = build(stack)
    edges = {(e.source, e.target) for e in diagram.edges}
    albs = diagram.of_kind("alb")
    routed = {role_of(s) for s in stack.of_type(SERVICE) if s.get("loadBalancers")}
    for task in diagram.of_kind("ecs-task"):
        reached = any((alb.id, task.id) in edges for alb in albs)
        assert reached == (task.label.split(" ")[0] in routed), task.label


def test_the_worker_polls_the_queue_the_images_bucket_feeds(stack):
    diagram = build(stack)
    edges = {(e.source, e.target, e.label) for e in diagram.edges}
    queue = diagram.of_kind("queue")[0]
    worker = next(n for n in diagram.of_kind("ecs-service") if n.resource == service(stack, "worker").name)
    images = diagram.of_kind("images-bucket")[0]
    assert (worker.id, queue.id, "jobs") in edges and (images.id, queue.id, "new pictures") in edges


def test_diagram_follows_the_nat_switch():
    diagram = build(run_stack("dev", {"webstack:network": {"nat": "regional"}}))
    assert diagram.of_kind("regional-nat") and not diagram.of_kind("nat-instance")


def test_diagram_places_tasks_across_the_azs_by_desired_count():
    capture = run_stack("prd", {"webstack:api": {"desiredCount": 4}})
    diagram = build(capture)
    api = [t for t in diagram.of_kind("ecs-task") if t.resource == service(capture, "api").name]
    per_az = sorted(sum(1 for t in api if t.az == az) for az in diagram.az_clusters)
    assert per_az == [1, 1, 2]
    assert all(t.cluster[-1].startswith("container subnet") for t in diagram.of_kind("ecs-task"))


def test_render_writes_png_svg_and_node_set_reproducibly(dev, tmp_path):
    diagram = build(dev)
    first = render(diagram, tmp_path / "one")
    second = render(build(dev), tmp_path / "two")
    assert first["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg_text = first["svg"].read_text()
    assert "<svg" in svg_text and 'xlink:href="/' not in svg_text, "icons must be embedded, not paths of this machine"
    assert json.loads(first["nodes"].read_text())["nodes"] == json.loads(diagram.to_json())["nodes"]
    for kind in ("png", "svg", "nodes"):
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind


# -- dashboard picture -------------------------------------------------------------------------------------------

def _body(capture: Capture) -> dict:
    return json.loads(capture.one("aws:cloudwatch/dashboard:Dashboard").get("dashboardBody"))


def _drawn_as_declared(widgets: list[dict], body: dict) -> None:
    declared = [{"type": w["type"], "x": w["x"], "y": w["y"], "width": w["width"], "height": w["height"]}
                for w in body["widgets"]]
    assert [{k: w[k] for k in ("type", "x", "y", "width", "height")} for w in widgets] == declared
    for drawn, widget in zip(widgets, body["widgets"], strict=False):
        properties = widget["properties"]
        if widget["type"] == "text":
            heading = next(line for line in properties["markdown"].splitlines() if line.strip())
            assert drawn["title"] == heading.lstrip("#").strip()
        else:
            assert drawn["title"] == properties["title"]


def test_the_dashboard_picture_draws_each_widget_of_the_body_in_its_place(stack, tmp_path):
    written = render_dashboards(stack, tmp_path)
    text = written["svg"][0].read_text()
    _drawn_as_declared(parse_svg(text), _body(stack))
    assert dashboard_name(text) == stack.one("aws:cloudwatch/dashboard:Dashboard").get("dashboardName")
    assert written["png"][0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = render_dashboards(stack, tmp_path / "again")
    assert again["svg"][0].read_bytes() == written["svg"][0].read_bytes()
    assert again["png"][0].read_bytes() == written["png"][0].read_bytes()


def test_the_dashboard_picture_follows_the_body(dev):
    body = _body(dev)
    moved = {**body, "widgets": [{**body["widgets"][0], "x": 4, "y": 100, "width": 20,
                                  "properties": {**body["widgets"][0]["properties"], "title": "Moved widget"}},
                                 *body["widgets"][1:]]}
    changed = with_inputs(dev, "aws:cloudwatch/dashboard:Dashboard", dashboardBody=json.dumps(moved))
    widgets = parse_svg(svg(layouts(changed)[0]))
    _drawn_as_declared(widgets, moved)
    assert widgets[0]["title"] == "Moved widget"
    assert layouts(changed)[0].rows == 100 + body["widgets"][0]["height"]


def test_the_dashboard_picture_shows_what_the_stack_turns_on(dev, prd):
    titles = {capture.stack: {w.title for w in layouts(capture)[0].widgets} for capture in (dev, prd)}
    assert "Web ACL: blocked and allowed requests" in titles["prd"] - titles["dev"]
    assert "Task counts" in titles["dev"] - titles["prd"]


# -- the command and the committed report -------------------------------------------------------------------------

def test_report_command_writes_both_stacks_and_the_comparison(tmp_path, capsys):
    assert main(["dev", "prd", "--output", str(tmp_path)]) == 0
    for stack in ("dev", "prd"):
        for name in ("cost.md", "architecture.png", "architecture.svg", "architecture.nodes.json", "dashboard.png",
                     "dashboard.svg"):
            assert (tmp_path / stack / name).exists(), (stack, name)
    comparison = (tmp_path / "comparison.md").read_text()
    saving = compare_nat(estimate(run_stack("dev")), estimate(run_stack("prd"))).saving_percent
    assert f"−{saving:.1f}%" in comparison
    assert "dev vs prd" in capsys.readouterr().out


def test_report_command_names_an_unknown_stack(tmp_path, capsys):
    assert main(["staging", "--output", str(tmp_path)]) == 2
    assert "Pulumi.staging.yaml" in capsys.readouterr().err


def test_the_report_code_knows_no_stack_by_name():
    names = set(stacks())
    assert {"dev", "prd"} <= names
    for path in sorted((PROJECT_ROOT / "report").glob("*.py")):
        literals = {node.value for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        assert not literals & names, f"{path.name} names a stack"


def test_the_committed_report_and_the_readme_figures_are_what_the_command_produces_now(dev, prd):
    """docs/report is the command's output, not a copy edited by hand: a change to the program or to the prices
    that moves a figure needs `make report STACK="dev prd"` (the architecture pictures are compared through their
    node sets, which Graphviz versions do not change; the dashboard picture's SVG is drawn by hand, so it is
    compared whole)."""
    docs = PROJECT_ROOT / "docs" / "report"
    reports = {capture.stack: estimate(capture) for capture in (dev, prd)}
    stale = "stale: regenerate with `.venv/bin/python -m report dev prd`"
    for capture in (dev, prd):
        directory: Path = docs / capture.stack
        assert (directory / "cost.md").read_text() == cost_document(reports[capture.stack]), stale
        assert (directory / "architecture.nodes.json").read_text() == build(capture).to_json(), stale
        assert (directory / "dashboard.svg").read_text() == svg(layouts(capture)[0]), stale
        for picture in ("architecture.png", "architecture.svg", "dashboard.png"):
            assert (directory / picture).is_file(), picture
    assert (docs / "comparison.md").read_text() == comparison_document([reports["dev"], reports["prd"]]), stale

    readme = (PROJECT_ROOT / "README.md").read_text()
    comparison = compare_nat(reports["prd"], reports["dev"])
    figures = [f"{comparison.saving_percent:.1f}%"] + [
        f"${amount:,.2f}" for report in reports.values()
        for amount in (report.group_total(NAT), report.at_rest_total, report.total)]
    assert [figure for figure in figures if figure not in readme] == [], "README figures differ from the report"
    # dev at the shared traffic, the figure the README gives beside dev's own.
    shared = estimate(dev, usage=load_usage())
    assert f"${shared.total:,.2f}" in readme, "README: dev's total at the shared traffic differs from the report"
    # What is logged, and where: each row's prd cost is the sum of its report lines.
    logged = {"every viewer request to CloudFront": ("log-archive-cloudfront-",),
              "every request the web ACL judged": ("log-archive-waf-",),
              "every request to the load balancer": ("log-archive-alb-",),
              "every read and write of a picture": ("log-archive-s3-",),
              "every flow in the VPC": ("flow-log-",),
              "every API call in the account": ("log-archive-cloudtrail-",),
              "the applications": ("application-log-", "function-log-")}
    rows = {line.split("|")[1].strip(): line.split("|")[-2].strip() for line in readme.splitlines()
            if line.startswith("| ") and line.count("|") == 5}
    for row, prefixes in logged.items():
        [cost] = [cost for label, cost in rows.items() if label.startswith(row)]
        amount = sum(line.monthly for line in reports["prd"].lines if line.key.startswith(prefixes))
        assert cost == f"${amount:,.2f}", f"README, What is logged: {row!r} costs {cost}, the report says {amount:.2f}"
    for stack in ("dev", "prd"):
        assert f"docs/report/{stack}/architecture.svg" in readme
        assert f"docs/report/{stack}/dashboard.svg" in readme
