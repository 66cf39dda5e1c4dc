"""Stack report: costs and the diagram follow from the captured resources, never from stack names or constants.

Expected amounts are computed here from report/prices.json and report/usage.json, so the tests hold when a
price or an assumption is edited; what they pin is which resource drives which line, and by how much.
"""

import json
from dataclasses import replace

import pytest

from report.__main__ import main
from report.assumptions import USAGE_KEYS, AssumptionError, Usage, load_prices, load_usage
from report.cost import NAT, estimate
from report.diagram import build, render
from report.inventory import ON_DEMAND, SPOT, split_tasks
from report.markdown import compare_nat, comparison_document, cost_document
from mock_engine import PROJECT_ROOT, Capture, run_stack

PRICES = load_prices("ap-northeast-1")
USAGE = load_usage()
HOURS = PRICES.hours_per_month
price = PRICES.price


def with_inputs(capture: Capture, type_: str, **changes) -> Capture:
    """The capture with every resource of `type_` given these inputs: for code paths no stack setting reaches."""
    resources = [replace(r, inputs={**r.inputs, **changes}) if r.type == type_ else r for r in capture.resources]
    return replace(capture, resources=resources)


def container_azs(capture: Capture) -> int:
    return len({s.get("availabilityZone") for s in capture.of_type("aws:ec2/subnet:Subnet")
                if s.get("tags.tier") == "container"})


# -- NAT ---------------------------------------------------------------------------------------------------------

def test_dev_nat_is_an_instance_its_root_volume_and_its_public_address(dev):
    report = estimate(dev)
    instance = dev.one("aws:ec2/instance:Instance")
    instance_type = instance.get("instanceType")
    assert report.monthly(f"nat-instance-hours-{instance_type}") == pytest.approx(
        HOURS * price("ec2InstanceHour", instance_type))
    assert report.monthly("nat-instance-public-ipv4") == pytest.approx(HOURS * price("publicIpv4Hour"))
    assert report.line("nat-instance-root-volume").quantity == USAGE["rootVolumeGbWhenUnset"]
    assert report.line("regional-nat-gateway-hours") is None
    assert report.line("nat-gateway-processing") is None, "a NAT instance has no per-GB charge"


def test_prd_regional_nat_bills_each_container_az_and_its_addresses(prd):
    report = estimate(prd)
    azs = container_azs(prd)
    assert azs == 3
    assert report.monthly("regional-nat-gateway-hours") == pytest.approx(azs * HOURS * price("natGatewayHour"))
    assert report.monthly("regional-nat-public-ipv4") == pytest.approx(azs * HOURS * price("publicIpv4Hour"))
    assert report.monthly("nat-gateway-processing") == pytest.approx(
        USAGE["natProcessedGbPerMonth"] * price("natGatewayGb"))
    assert not [line for line in report.lines if line.key.startswith("nat-instance")]


def test_switching_dev_to_the_regional_nat_replaces_the_instance_lines(dev):
    regional = estimate(run_stack("dev", {"webstack:network": {"nat": "regional"}}))
    azs = container_azs(dev)
    expected = azs * HOURS * (price("natGatewayHour") + price("publicIpv4Hour")) \
        + USAGE["natProcessedGbPerMonth"] * price("natGatewayGb")
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

def fargate(report, kind: str, arch: str = "arm64") -> tuple[float, float]:
    return report.monthly(f"fargate-{kind}-{arch}-vcpu"), report.monthly(f"fargate-{kind}-{arch}-memory")


def test_dev_tasks_run_on_spot_at_the_task_definitions_size(dev):
    task = dev.one("aws:ecs/taskDefinition:TaskDefinition")
    service = dev.one("aws:ecs/service:Service")
    tasks, vcpu, gb = service.get("desiredCount"), float(task.get("cpu")) / 1024, float(task.get("memory")) / 1024
    assert task.get("runtimePlatform.cpuArchitecture") == "ARM64"
    assert fargate(estimate(dev), "spot") == pytest.approx((
        tasks * vcpu * HOURS * price("fargateSpotVcpuHour", "ARM64"),
        tasks * gb * HOURS * price("fargateSpotGbHour", "ARM64")))
    assert fargate(estimate(dev), "on-demand") == (0, 0)


def test_a_larger_task_costs_the_size_difference():
    small = estimate(run_stack("dev"))
    large = estimate(run_stack("dev", {"webstack:api": {"cpu": 1024, "memory": 4096}}))
    vcpu_delta, gb_delta = (1 - 0.25), (4 - 0.5)
    assert fargate(large, "spot")[0] - fargate(small, "spot")[0] == pytest.approx(
        vcpu_delta * HOURS * price("fargateSpotVcpuHour", "ARM64"))
    assert fargate(large, "spot")[1] - fargate(small, "spot")[1] == pytest.approx(
        gb_delta * HOURS * price("fargateSpotGbHour", "ARM64"))


def test_x86_tasks_are_priced_at_x86_rates():
    report = estimate(run_stack("dev", {"webstack:api": {"cpuArchitecture": "X86_64"}}))
    assert fargate(report, "spot", "arm64") == (0, 0)
    assert fargate(report, "spot", "x86_64")[0] == pytest.approx(0.25 * HOURS * price("fargateSpotVcpuHour", "X86_64"))


def test_more_desired_tasks_cost_that_many_more_task_hours(prd):
    more = estimate(run_stack("prd", {"webstack:api": {"desiredCount": 5}}))
    task = prd.one("aws:ecs/taskDefinition:TaskDefinition")
    vcpu = float(task.get("cpu")) / 1024
    added = 5 - prd.one("aws:ecs/service:Service").get("desiredCount")
    assert fargate(more, "on-demand")[0] - fargate(estimate(prd), "on-demand")[0] == pytest.approx(
        added * vcpu * HOURS * price("fargateVcpuHour", "ARM64"))


def test_spot_moves_every_task_to_spot_rates(prd):
    spot = estimate(run_stack("prd", {"webstack:api": {"capacityProvider": "FARGATE_SPOT"}}))
    on_demand = estimate(prd)
    assert fargate(spot, "on-demand") == (0, 0)
    ratio = price("fargateSpotVcpuHour", "ARM64") / price("fargateVcpuHour", "ARM64")
    assert fargate(spot, "spot")[0] == pytest.approx(fargate(on_demand, "on-demand")[0] * ratio)


def test_tasks_split_across_capacity_providers_by_base_then_weight():
    assert split_tasks(5, [(ON_DEMAND, 1, 1), (SPOT, 0, 3)]) == {ON_DEMAND: 2, SPOT: 3}
    assert split_tasks(1, [(SPOT, 0, 1)]) == {SPOT: 1}
    assert split_tasks(2, [(ON_DEMAND, 2, 0), (SPOT, 0, 1)]) == {ON_DEMAND: 2}


def test_a_mixed_strategy_on_the_service_splits_the_fargate_lines(prd):
    mixed = with_inputs(prd, "aws:ecs/service:Service", capacityProviderStrategies=[
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    report = estimate(mixed)
    vcpu = float(prd.one("aws:ecs/taskDefinition:TaskDefinition").get("cpu")) / 1024
    # 3 tasks: the base one on demand, the other two shared 1:1.
    assert fargate(report, "on-demand")[0] == pytest.approx(2 * vcpu * HOURS * price("fargateVcpuHour", "ARM64"))
    assert fargate(report, "spot")[0] == pytest.approx(1 * vcpu * HOURS * price("fargateSpotVcpuHour", "ARM64"))


# -- everything else at rest -------------------------------------------------------------------------------------

def test_alb_bills_hours_and_the_baseline_capacity_units(stack):
    report = estimate(stack)
    balancers = len(stack.of_type("aws:lb/loadBalancer:LoadBalancer"))
    assert balancers >= 1
    assert report.monthly("alb-hours") == pytest.approx(balancers * HOURS * price("albHour"))
    assert report.monthly("alb-lcu-hours") == pytest.approx(
        balancers * USAGE["albAverageLcu"] * HOURS * price("albLcuHour"))


def test_interface_endpoints_bill_per_endpoint_per_az_only_when_switched_on(dev):
    assert estimate(dev).line("interface-endpoint-hours") is None
    with_endpoints = run_stack("dev", {"webstack:network": {"interfaceEndpoints": True}})
    enis = sum(len(e.get("subnetIds")) for e in with_endpoints.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
               if e.get("vpcEndpointType") == "Interface")
    assert enis == 4 * container_azs(dev)
    assert estimate(with_endpoints).monthly("interface-endpoint-hours") == pytest.approx(
        enis * HOURS * price("interfaceEndpointHour"))


def test_alarms_bill_per_metric_they_read_and_target_tracking_adds_two_each(stack):
    report = estimate(stack)
    metrics = sum(max(len([q for q in (a.get("metricQueries") or []) if q.get("metric")]), 1)
                  for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))
    policies = [p for p in stack.of_type("aws:appautoscaling/policy:Policy")
                if p.get("policyType") == "TargetTrackingScaling"]
    assert report.monthly("cloudwatch-alarms") == pytest.approx(metrics * price("cloudwatchAlarmMonth"))
    assert report.monthly("target-tracking-alarms") == pytest.approx(
        2 * len(policies) * price("cloudwatchAlarmMonth"))


def test_a_target_tracking_policy_without_scale_in_adds_one_alarm_not_two(prd):
    policies = [p for p in prd.of_type("aws:appautoscaling/policy:Policy")
                if p.get("policyType") == "TargetTrackingScaling"]
    assert policies
    first = policies[0]
    no_scale_in = {**first.inputs, "targetTrackingScalingPolicyConfiguration": {
        **first.get("targetTrackingScalingPolicyConfiguration"), "disableScaleIn": True}}
    changed = replace(prd, resources=[replace(r, inputs=no_scale_in) if r is first else r for r in prd.resources])
    assert estimate(changed).monthly("target-tracking-alarms") == pytest.approx(
        (2 * len(policies) - 1) * price("cloudwatchAlarmMonth"))


def test_container_insights_bills_only_when_the_cluster_turns_it_on(dev):
    assert estimate(dev).line("container-insights-metrics") is not None
    off = with_inputs(dev, "aws:ecs/cluster:Cluster", settings=[{"name": "containerInsights", "value": "disabled"}])
    assert estimate(off).line("container-insights-metrics") is None


def test_flow_logs_bill_ingestion_and_storage_for_their_retention(dev):
    assert estimate(dev).line("flow-log-ingestion") is None
    report = estimate(run_stack("dev", {"webstack:network": {"flowLogs": True, "flowLogRetentionDays": 365}}))
    assert report.monthly("flow-log-ingestion") == pytest.approx(
        USAGE["flowLogGbPerMonth"] * price("logsVendedIngestGb"))
    assert report.line("flow-log-storage").quantity == pytest.approx(12 * USAGE["flowLogGbPerMonth"])


def test_waf_lines_follow_the_web_acl_and_its_rules(dev, prd):
    assert estimate(dev).line("waf-web-acls") is None
    acl = prd.one("aws:wafv2/webAcl:WebAcl")
    report = estimate(prd)
    assert report.monthly("waf-web-acls") == pytest.approx(price("wafWebAclMonth"))
    assert report.monthly("waf-rules") == pytest.approx(len(acl.get("rules")) * price("wafRuleMonth"))
    assert report.monthly("waf-requests") == pytest.approx(
        USAGE["cloudfrontRequestsPerMonth"] / 1e6 * price("wafMillionRequests"))


def test_usage_lines_scale_with_usage_and_leave_the_at_rest_lines_alone(prd):
    doubled = Usage(path=USAGE.path, notes=USAGE.notes,
                    values={**USAGE.values, "cloudfrontRequestsPerMonth": 2 * USAGE["cloudfrontRequestsPerMonth"]})
    base, more = estimate(prd), estimate(prd, usage=doubled)
    assert more.monthly("cloudfront-requests") == pytest.approx(2 * base.monthly("cloudfront-requests"))
    assert more.at_rest_total == pytest.approx(base.at_rest_total)


def test_every_line_is_priced_from_prices_json(stack):
    for line in estimate(stack).lines:
        key, _, variant = line.price.partition("[")
        assert line.unit_price == price(key, variant.rstrip("]") or None), line
        assert line.unit_price > 0


def test_prd_costs_more_than_dev_at_rest_and_in_total(dev, prd):
    dev_report, prd_report = estimate(dev), estimate(prd)
    assert prd_report.at_rest_total > dev_report.at_rest_total
    assert prd_report.total > dev_report.total
    assert dev_report.total == pytest.approx(sum(line.monthly for line in dev_report.lines))


# -- what each setting moves -------------------------------------------------------------------------------------

def task_size(capture: Capture) -> tuple[float, float]:
    task = capture.one("aws:ecs/taskDefinition:TaskDefinition")
    return float(task.get("cpu")) / 1024, float(task.get("memory")) / 1024


def _nat_to_regional(dev: Capture) -> dict[str, float]:
    instance_type = dev.one("aws:ec2/instance:Instance").get("instanceType")
    azs = container_azs(dev)
    return {
        f"nat-instance-hours-{instance_type}": -HOURS * price("ec2InstanceHour", instance_type),
        "nat-instance-root-volume": -USAGE["rootVolumeGbWhenUnset"] * price("ebsGp3GbMonth"),
        "nat-instance-public-ipv4": -HOURS * price("publicIpv4Hour"),
        "cloudwatch-alarms": -price("cloudwatchAlarmMonth"),  # the NAT instance's recovery alarm goes with it
        "regional-nat-gateway-hours": azs * HOURS * price("natGatewayHour"),
        "regional-nat-public-ipv4": azs * HOURS * price("publicIpv4Hour"),
        "nat-gateway-processing": USAGE["natProcessedGbPerMonth"] * price("natGatewayGb"),
    }


def _third_az(two_azs: Capture) -> dict[str, float]:
    services = len([e for e in two_azs.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                    if e.get("vpcEndpointType") == "Interface"])
    return {"regional-nat-gateway-hours": HOURS * price("natGatewayHour"),
            "regional-nat-public-ipv4": HOURS * price("publicIpv4Hour"),
            "interface-endpoint-hours": services * HOURS * price("interfaceEndpointHour")}


def _larger_task(dev: Capture) -> dict[str, float]:
    vcpu, gb = task_size(dev)
    return {"fargate-spot-arm64-vcpu": (1 - vcpu) * HOURS * price("fargateSpotVcpuHour", "ARM64"),
            "fargate-spot-arm64-memory": (4 - gb) * HOURS * price("fargateSpotGbHour", "ARM64")}


def _two_more_tasks(prd: Capture) -> dict[str, float]:
    vcpu, gb = task_size(prd)
    return {"fargate-on-demand-arm64-vcpu": 2 * vcpu * HOURS * price("fargateVcpuHour", "ARM64"),
            "fargate-on-demand-arm64-memory": 2 * gb * HOURS * price("fargateGbHour", "ARM64"),
            "container-insights-logs": 2 * USAGE["containerInsightsLogGbPerTaskMonth"] * price("logsIngestGb")}


def _all_on_spot(prd: Capture) -> dict[str, float]:
    (vcpu, gb), tasks = task_size(prd), prd.one("aws:ecs/service:Service").get("desiredCount")
    return {"fargate-on-demand-arm64-vcpu": -tasks * vcpu * HOURS * price("fargateVcpuHour", "ARM64"),
            "fargate-on-demand-arm64-memory": -tasks * gb * HOURS * price("fargateGbHour", "ARM64"),
            "fargate-spot-arm64-vcpu": tasks * vcpu * HOURS * price("fargateSpotVcpuHour", "ARM64"),
            "fargate-spot-arm64-memory": tasks * gb * HOURS * price("fargateSpotGbHour", "ARM64")}


@pytest.mark.parametrize("stack_name, before, after, expected", [
    pytest.param("dev", {}, {"webstack:network": {"nat": "regional"}}, _nat_to_regional, id="nat"),
    pytest.param("prd", {"webstack:network": {"azCount": 2}}, {}, _third_az, id="azCount"),
    pytest.param("dev", {}, {"webstack:api": {"cpu": 1024, "memory": 4096}}, _larger_task, id="task size"),
    pytest.param("prd", {}, {"webstack:api": {"desiredCount": 5}}, _two_more_tasks, id="desiredCount"),
    pytest.param("prd", {}, {"webstack:api": {"capacityProvider": "FARGATE_SPOT"}}, _all_on_spot, id="Spot"),
])
def test_a_setting_changes_exactly_its_lines_by_their_amounts(stack_name, before, after, expected):
    base = run_stack(stack_name, before) if before else run_stack(stack_name)
    changed = run_stack(stack_name, after) if after else run_stack(stack_name)
    old, new = estimate(base), estimate(changed)
    keys = {line.key for line in old.lines} | {line.key for line in new.lines}
    moved = {key: new.monthly(key) - old.monthly(key) for key in keys
             if new.monthly(key) != pytest.approx(old.monthly(key))}
    want = expected(base)
    assert set(moved) == set(want), "lines that moved, or should have"
    assert moved == pytest.approx(want)
    assert new.total - old.total == pytest.approx(sum(want.values()))


def test_a_service_left_to_autoscaling_is_priced_at_its_minimum_task_count(prd):
    unset = with_inputs(prd, "aws:ecs/service:Service", desiredCount=None)
    scaled = with_inputs(unset, "aws:appautoscaling/target:Target", minCapacity=2.0)
    vcpu, _ = task_size(prd)
    assert fargate(estimate(scaled), "on-demand")[0] == pytest.approx(
        2 * vcpu * HOURS * price("fargateVcpuHour", "ARM64"))


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
    with pytest.raises(AssumptionError, match="c7gn.16xlarge"):
        estimate(unpriced)


def test_usage_file_rejects_unknown_missing_and_negative_values(tmp_path):
    raw = json.loads(USAGE.path.read_text())
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
                 "dynamodb", "images-bucket", "internet-gateway"):
        assert kinds[kind] >= 1, kind


def test_diagram_follows_the_nat_switch():
    diagram = build(run_stack("dev", {"webstack:network": {"nat": "regional"}}))
    assert diagram.of_kind("regional-nat") and not diagram.of_kind("nat-instance")


def test_diagram_places_tasks_across_the_azs_by_desired_count():
    diagram = build(run_stack("prd", {"webstack:api": {"desiredCount": 4}}))
    per_az = sorted(sum(1 for t in diagram.of_kind("ecs-task") if t.az == az) for az in diagram.az_clusters)
    assert per_az == [1, 1, 2]
    assert all(t.cluster[-1].startswith("container subnet") for t in diagram.of_kind("ecs-task"))


def test_render_writes_png_svg_and_node_set_reproducibly(dev, tmp_path):
    diagram = build(dev)
    first = render(diagram, tmp_path / "one")
    second = render(build(dev), tmp_path / "two")
    assert first["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = first["svg"].read_text()
    assert "<svg" in svg and 'xlink:href="/' not in svg, "icons must be embedded, not paths of this machine"
    assert json.loads(first["nodes"].read_text())["nodes"] == json.loads(diagram.to_json())["nodes"]
    for kind in ("png", "svg", "nodes"):
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind


def test_report_command_writes_both_stacks_and_the_comparison(tmp_path, capsys):
    assert main(["dev", "prd", "--output", str(tmp_path)]) == 0
    for stack in ("dev", "prd"):
        for name in ("cost.md", "architecture.png", "architecture.svg", "architecture.nodes.json"):
            assert (tmp_path / stack / name).exists(), (stack, name)
    comparison = (tmp_path / "comparison.md").read_text()
    saving = compare_nat(estimate(run_stack("dev")), estimate(run_stack("prd"))).saving_percent
    assert f"−{saving:.1f}%" in comparison
    assert "dev vs prd" in capsys.readouterr().out


def test_report_command_names_an_unknown_stack(tmp_path, capsys):
    assert main(["staging", "--output", str(tmp_path)]) == 2
    assert "Pulumi.staging.yaml" in capsys.readouterr().err


def test_the_committed_report_and_the_readme_figures_are_what_the_command_produces_now(dev, prd):
    """docs/report is the command's output, not a copy edited by hand: a change to the program or to the prices
    that moves a figure needs `make report STACK="dev prd"` (the pictures are compared through their node sets,
    which Graphviz versions do not change)."""
    docs = PROJECT_ROOT / "docs" / "report"
    reports = {capture.stack: estimate(capture) for capture in (dev, prd)}
    stale = "stale: regenerate with `.venv/bin/python -m report dev prd`"
    for capture in (dev, prd):
        assert (docs / capture.stack / "cost.md").read_text() == cost_document(reports[capture.stack]), stale
        assert (docs / capture.stack / "architecture.nodes.json").read_text() == build(capture).to_json(), stale
        for picture in ("architecture.png", "architecture.svg"):
            assert (docs / capture.stack / picture).is_file(), picture
    assert (docs / "comparison.md").read_text() == comparison_document([reports["dev"], reports["prd"]]), stale

    readme = (PROJECT_ROOT / "README.md").read_text()
    comparison = compare_nat(reports["prd"], reports["dev"])
    figures = [f"{comparison.saving_percent:.1f}%"] + [
        f"${amount:,.2f}" for report in reports.values()
        for amount in (report.group_total(NAT), report.at_rest_total, report.total)]
    assert [figure for figure in figures if figure not in readme] == [], "README figures differ from the report"
    for stack in ("dev", "prd"):
        assert f"docs/report/{stack}/architecture.svg" in readme
