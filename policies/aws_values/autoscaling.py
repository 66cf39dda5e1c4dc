"""Application Auto Scaling: RegisterScalableTarget and PutScalingPolicy."""

from __future__ import annotations

from .fields import NAME, VALUE, AutoName, Request, Tagging, fields, matches

API = "https://docs.aws.amazon.com/autoscaling/application/APIReference"
TARGET_TRACKING = "targetTrackingScalingPolicyConfiguration"
# A target-tracking policy on a metric of its own: metric math over CloudWatch metrics.
QUERY = f"{TARGET_TRACKING}.customizedMetricSpecification.metrics[]"
STEP = "stepScalingPolicyConfiguration"
SCALED = (("serviceNamespace", "ServiceNamespace"), ("scalableDimension", "ScalableDimension"),
          ("resourceId", "ResourceId"))

REQUESTS = {
    "aws:appautoscaling/target:Target": Request(fields(
        "application-autoscaling", VALUE,
        *((key, f"RegisterScalableTarget.{member}") for key, member in SCALED),
        ("minCapacity", "RegisterScalableTarget.MinCapacity"), ("maxCapacity", "RegisterScalableTarget.MaxCapacity")),
        tags=Tagging("application-autoscaling", "TagKey", "TagValue")),
    "aws:appautoscaling/policy:Policy": Request((
        *fields("application-autoscaling", NAME, ("name", "PutScalingPolicy.PolicyName", {"autoname": AutoName(255)})),
        *fields("application-autoscaling", VALUE,
                *((key, f"PutScalingPolicy.{member}") for key, member in SCALED),
                ("policyType", "PutScalingPolicy.PolicyType"),
                (f"{TARGET_TRACKING}.targetValue", "TargetTrackingScalingPolicyConfiguration.TargetValue"),
                (f"{TARGET_TRACKING}.predefinedMetricSpecification.predefinedMetricType",
                 "PredefinedMetricSpecification.PredefinedMetricType"),
                (f"{TARGET_TRACKING}.scaleOutCooldown", "TargetTrackingScalingPolicyConfiguration.ScaleOutCooldown"),
                (f"{TARGET_TRACKING}.scaleInCooldown", "TargetTrackingScalingPolicyConfiguration.ScaleInCooldown"),
                (f"{TARGET_TRACKING}.disableScaleIn", "TargetTrackingScalingPolicyConfiguration.DisableScaleIn"),
                (f"{QUERY}.id", "TargetTrackingMetricDataQuery.Id", {"rules": (matches(
                    r"[a-z][A-Za-z0-9_]*", "a lowercase letter followed by letters, digits and underscores",
                    f"{API}/API_TargetTrackingMetricDataQuery.html Id", quote="The valid characters are letters, "
                    "numbers, and underscores. The first character must be a lowercase letter."),)}),
                (f"{QUERY}.expression", "TargetTrackingMetricDataQuery.Expression"),
                (f"{QUERY}.label", "TargetTrackingMetricDataQuery.Label"),
                (f"{QUERY}.returnData", "TargetTrackingMetricDataQuery.ReturnData"),
                (f"{QUERY}.metricStat.stat", "TargetTrackingMetricStat.Stat"),
                (f"{QUERY}.metricStat.metric.namespace", "TargetTrackingMetric.Namespace"),
                (f"{QUERY}.metricStat.metric.metricName", "TargetTrackingMetric.MetricName"),
                (f"{QUERY}.metricStat.metric.dimensions[].name", "TargetTrackingMetricDimension.Name"),
                (f"{QUERY}.metricStat.metric.dimensions[].value", "TargetTrackingMetricDimension.Value"),
                (f"{STEP}.adjustmentType", "StepScalingPolicyConfiguration.AdjustmentType"),
                (f"{STEP}.cooldown", "StepScalingPolicyConfiguration.Cooldown"),
                (f"{STEP}.metricAggregationType", "StepScalingPolicyConfiguration.MetricAggregationType"),
                (f"{STEP}.stepAdjustments[].scalingAdjustment", "StepAdjustment.ScalingAdjustment"),
                # The provider takes the bounds as text and sends numbers.
                *((f"{STEP}.stepAdjustments[].metricInterval{side}Bound", f"StepAdjustment.MetricInterval{side}Bound",
                   {"to_api": float}) for side in ("Lower", "Upper"))),
    )),
}
