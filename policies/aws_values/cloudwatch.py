"""CloudWatch Logs (CreateLogGroup, PutRetentionPolicy) and CloudWatch alarms (PutMetricAlarm).

Log retention takes only the periods PutRetentionPolicy lists; an alarm's period is 10, 20, 30 or a multiple of 60
seconds, and its evaluation range (period × evaluation periods) is at most seven days, one day for periods under an
hour. The PutMetricAlarm reference states the 20-second period and the seven-day range, newer than the CloudWatch
User Guide's "10, 30 or a multiple of 60" and "one day"; the rules follow the API reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..core import MANDATORY, as_list, describe, get, number, resource_policy
from .fields import (
    DESCRIPTION,
    NAME,
    VALUE,
    AutoName,
    Request,
    Rule,
    Tagging,
    fields,
    matches,
    one_of,
)

LOGS_API = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference"
API = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference"
ALARM_EVALUATION = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html"

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
                  3653)
HIGH_RESOLUTION_PERIODS = (10, 20, 30)
PERIOD_SOURCE = f"{API}/API_PutMetricAlarm.html Period"
ONE_DAY, SEVEN_DAYS, ONE_HOUR = 86_400, 604_800, 3_600


def _alarm_period(value: Any) -> str | None:
    period = number(value)
    if period is not None and (period in HIGH_RESOLUTION_PERIODS or (period > 0 and period % 60 == 0)):
        return None
    return f"{value!r} seconds is neither 10, 20, 30 nor a multiple of 60"


PERIOD = (Rule(_alarm_period, PERIOD_SOURCE, quote="Valid values are 10, 20, 30, and any multiple of 60"),)
# A metric an alarm's expression reads takes the alarm's periods too (MetricStat alone would also take 1 and 5).
QUERY_PERIOD = (Rule(_alarm_period, PERIOD_SOURCE),)


def _dimensions(value: Any) -> list[dict[str, Any]]:
    """Pulumi's `dimensions` map is the API's list of Name/Value pairs."""
    if not isinstance(value, Mapping):
        raise TypeError("dimensions must be a map of name to value")
    return [{"Name": name, "Value": dimension} for name, dimension in value.items()]


REQUESTS = {
    LOG_GROUP: Request((
        *fields("logs", NAME, ("name", "CreateLogGroup.logGroupName", {"autoname": AutoName(255)})),
        *fields("logs", VALUE, ("retentionInDays", "PutRetentionPolicy.retentionInDays", {"rules": (one_of(
            RETENTION_DAYS, f"{LOGS_API}/API_PutRetentionPolicy.html retentionInDays",
            quote="Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, "
                  "2192, 2557, 2922, 3288, and 3653"),)}),
                ("kmsKeyId", "CreateLogGroup.kmsKeyId"), ("logGroupClass", "CreateLogGroup.logGroupClass")),
    ), tags=Tagging("logs", "TagKey", "TagValue")),
    METRIC_ALARM: Request((
        *fields("cloudwatch", NAME, ("name", "PutMetricAlarm.AlarmName", {"autoname": AutoName(255), "rules": (
            matches(r"[^\x00-\x1F\x7F]+", "free of ASCII control characters", f"{API}/API_PutMetricAlarm.html "
                    "AlarmName", quote="can't contain ASCII control characters"),)})),
        *fields("cloudwatch", DESCRIPTION, ("alarmDescription", "PutMetricAlarm.AlarmDescription")),
        *fields("cloudwatch", VALUE,
                ("namespace", "PutMetricAlarm.Namespace"), ("metricName", "PutMetricAlarm.MetricName"),
                ("statistic", "PutMetricAlarm.Statistic"), ("comparisonOperator", "PutMetricAlarm.ComparisonOperator"),
                ("threshold", "PutMetricAlarm.Threshold"), ("evaluationPeriods", "PutMetricAlarm.EvaluationPeriods"),
                ("datapointsToAlarm", "PutMetricAlarm.DatapointsToAlarm"),
                ("period", "PutMetricAlarm.Period", {"rules": PERIOD}),
                ("treatMissingData", "PutMetricAlarm.TreatMissingData", {"rules": (one_of(
                    ("breaching", "notBreaching", "ignore", "missing"), f"{API}/API_PutMetricAlarm.html "
                    "TreatMissingData", quote="Valid Values: breaching | notBreaching | ignore | missing"),)}),
                ("alarmActions", "PutMetricAlarm.AlarmActions"), ("okActions", "PutMetricAlarm.OKActions"),
                ("insufficientDataActions", "PutMetricAlarm.InsufficientDataActions"),
                ("dimensions", "PutMetricAlarm.Dimensions", {"to_api": _dimensions}),
                ("metricQueries[].id", "MetricDataQuery.Id", {"rules": (matches(
                    r"[a-z][A-Za-z0-9_]*", "a lowercase letter followed by letters, digits or underscores",
                    f"{API}/API_MetricDataQuery.html Id", quote="The valid characters are letters, numbers, and "
                    "underscore. The first character must be a lowercase letter"),)}),
                ("metricQueries[].expression", "MetricDataQuery.Expression"),
                ("metricQueries[].label", "MetricDataQuery.Label"),
                ("metricQueries[].returnData", "MetricDataQuery.ReturnData"),
                ("metricQueries[].metric.namespace", "Metric.Namespace"),
                ("metricQueries[].metric.metricName", "Metric.MetricName"),
                ("metricQueries[].metric.dimensions", "Metric.Dimensions", {"to_api": _dimensions}),
                ("metricQueries[].metric.period", "MetricStat.Period", {"rules": QUERY_PERIOD}),
                ("metricQueries[].metric.stat", "MetricStat.Stat")),
    ), tags=Tagging("cloudwatch", "TagKey", "TagValue")),
    "aws:cloudwatch/dashboard:Dashboard": Request((
        *fields("cloudwatch", NAME, ("dashboardName", "PutDashboard.DashboardName", {"rules": (matches(
            r"[A-Za-z0-9_-]{1,255}", "1 to 255 of A-Z, a-z, 0-9, - and _", f"{API}/API_PutDashboard.html "
            "DashboardName", quote='The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_"'),
        )})),
    ), unchecked=("dashboardBody",)),
    # Log deliveries (CloudFront access logs to S3, through CloudWatch Logs' vended-log delivery).
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": Request(fields(
        "logs", VALUE, ("name", "PutDeliverySource.name"), ("logType", "PutDeliverySource.logType")),
        tags=Tagging("logs", "TagKey", "TagValue"), unchecked=("resourceArn",)),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": Request(fields(
        "logs", VALUE, ("name", "PutDeliveryDestination.name"), ("outputFormat", "PutDeliveryDestination.outputFormat"),
        ("deliveryDestinationType", "PutDeliveryDestination.deliveryDestinationType")),
        tags=Tagging("logs", "TagKey", "TagValue"), unchecked=("deliveryDestinationConfiguration",)),
    "aws:cloudwatch/logDelivery:LogDelivery": Request(fields(
        "logs", VALUE, ("deliverySourceName", "CreateDelivery.deliverySourceName"),
        ("recordFields", "CreateDelivery.recordFields"),
        ("s3DeliveryConfigurations[].suffixPath", "S3DeliveryConfiguration.suffixPath"),
        ("s3DeliveryConfigurations[].enableHiveCompatiblePath", "S3DeliveryConfiguration.enableHiveCompatiblePath")),
        tags=Tagging("logs", "TagKey", "TagValue"), unchecked=("deliveryDestinationArn",)),
}


def _periods(props: Any) -> list[float]:
    """The alarm's period, or the periods of the metrics its expression reads."""
    periods = [number(get(props, "period"))]
    periods += [number(get(query, "metric.period")) for query in as_list(get(props, "metricQueries"))]
    return [p for p in periods if p is not None]


def alarm_evaluation_range(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    evaluations = number(get(args.props, "evaluationPeriods"))
    periods = _periods(args.props)
    if evaluations is None or not periods:
        return
    period = max(periods)
    limit = ONE_DAY if period < ONE_HOUR else SEVEN_DAYS
    if period * evaluations > limit:
        report_violation(f"{describe(args)}: {evaluations:g} evaluation periods of {period:g} s cover "
                         f"{period * evaluations:,.0f} s, more than the {limit:,} s CloudWatch evaluates for "
                         f"{'a period under an hour' if limit == ONE_DAY else 'any alarm'} [{PERIOD_SOURCE}].", None)


def alarm_datapoints_within_evaluation_periods(args: ResourceValidationArgs,
                                               report_violation: ReportViolation) -> None:
    datapoints, evaluations = number(get(args.props, "datapointsToAlarm")), number(get(args.props,
                                                                                       "evaluationPeriods"))
    if datapoints is not None and evaluations is not None and datapoints > evaluations:
        report_violation(f"{describe(args)}: datapointsToAlarm {datapoints:g} (M) exceeds evaluationPeriods "
                         f"{evaluations:g} (N); an M out of N alarm needs M <= N [{ALARM_EVALUATION}].", None)


POLICIES = [
    resource_policy(
        "aws-alarm-evaluation-range", alarm_evaluation_range, types=(METRIC_ALARM,), level=MANDATORY,
        description="An alarm's period × evaluation periods is at most seven days, and one day for periods under "
                    "an hour (CloudWatch API reference, PutMetricAlarm Period; newer than the User Guide's one-day "
                    "limit for every alarm).",
        fix="Fewer evaluation periods, or a longer period (e.g. 5 of 60 s, or 24 of 3,600 s)."),
    resource_policy(
        "aws-alarm-datapoints-within-evaluation-periods", alarm_datapoints_within_evaluation_periods,
        types=(METRIC_ALARM,), level=MANDATORY,
        description="An M out of N alarm's datapointsToAlarm (M) is at most its evaluationPeriods (N) (CloudWatch "
                    "User Guide, evaluating an alarm).",
        fix="Set datapoints_to_alarm <= evaluation_periods (e.g. 3 of 5)."),
]
