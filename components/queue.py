"""WorkerQueue: the picture jobs — one SQS message per new original — and the dead-letter queue behind them.

- The images bucket notifies the queue of every object created under `images/`: at-least-once, with no second
  write for the admin API to forget, and seeded pictures get variants too.
- A job received `maxReceives` times without being deleted moves to the dead-letter queue, kept long enough for an
  operator to re-drive it (README, "The worker"). Only this queue may redrive into it.
- Both queues: SQS-managed encryption (S3 notifications cannot use the AWS managed KMS key), and a policy that
  refuses every request without TLS. Only S3, for this bucket of this account, may send jobs.
- Alarms: a job in the dead-letter queue, and a job waiting longer than `oldestJobAlarmSeconds`.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import deny_insecure_transport, document
from stack_config.worker import WorkerConfig

JOB_PREFIX = "images/"
DAY_SECONDS = 86_400
# Receives wait up to 20 s for a job (SQS's maximum): an idle worker makes three calls a minute, not hundreds.
LONG_POLL_SECONDS = 20


@dataclass(frozen=True)
class WorkerQueueArgs:
    config: WorkerConfig
    bucket_id: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]


class WorkerQueue(pulumi.ComponentResource):
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_name: pulumi.Output[str]
    dead_letter_queue_url: pulumi.Output[str]
    dead_letter_queue_arn: pulumi.Output[str]
    dead_letter_queue_name: pulumi.Output[str]
    dead_letter_alarm_name: pulumi.Output[str]
    """The alarm that tells people a job waits in the dead-letter queue."""
    new_dead_letters_alarm_name: pulumi.Output[str]
    """The alarm that says jobs are failing now: the worker's deployment alarm, so a release that breaks them rolls
    back."""
    visibility_timeout_seconds: int
    """How long a received job stays invisible to other workers: the worker renews it for longer jobs."""
    notification: list[pulumi.Resource]
    """What an original must wait for to become a job: the bucket's notification to the queue."""

    def __init__(self, name: str, args: WorkerQueueArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:queue:WorkerQueue", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        dead_letters = aws.sqs.Queue(
            f"{name}-dlq", name=f"{name}-dlq", sqs_managed_sse_enabled=True,
            message_retention_seconds=config.dead_letter_retention_days * DAY_SECONDS,
            tags={"Name": f"{name}-dlq"}, opts=child)
        queue = aws.sqs.Queue(
            name, name=name, sqs_managed_sse_enabled=True,
            visibility_timeout_seconds=config.visibility_timeout_seconds,
            message_retention_seconds=config.retention_days * DAY_SECONDS,
            receive_wait_time_seconds=LONG_POLL_SECONDS,
            redrive_policy=pulumi.Output.json_dumps({"deadLetterTargetArn": dead_letters.arn,
                                                     "maxReceiveCount": config.max_receives}),
            tags={"Name": name}, opts=child)
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-sources", queue_url=dead_letters.url,
            redrive_allow_policy=pulumi.Output.json_dumps({"redrivePermission": "byQueue",
                                                           "sourceQueueArns": [queue.arn]}), opts=child)

        jobs_policy = aws.sqs.QueuePolicy(f"{name}-policy", queue_url=queue.url, policy=pulumi.Output.json_dumps(
            document(
                {"Sid": "ImagesBucketSendsJobs", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                 "Action": "sqs:SendMessage", "Resource": queue.arn,
                 "Condition": {"ArnEquals": {"aws:SourceArn": args.bucket_arn},
                               "StringEquals": {"aws:SourceAccount": account}}},
                deny_insecure_transport("sqs:*", queue.arn),
            )), opts=child)
        aws.sqs.QueuePolicy(f"{name}-dlq-policy", queue_url=dead_letters.url, policy=pulumi.Output.json_dumps(
            document(deny_insecure_transport("sqs:*", dead_letters.arn))), opts=child)

        # S3 checks it may send to the queue when the notification is set: the queue policy comes first.
        notification = aws.s3.BucketNotification(
            f"{name}-notification", bucket=args.bucket_id,
            queues=[{"queue_arn": queue.arn, "events": ["s3:ObjectCreated:*"], "filter_prefix": JOB_PREFIX}],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[jobs_policy]))

        topic = [args.alarm_topic_arn]
        dead_letter_alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-dead-letters",
            alarm_description=(
                "A picture job failed every attempt and waits in the dead-letter queue; its original stays in the "
                "catalogue without variants. Look first at the worker log's job failed lines for the reason, fix "
                "it, then re-drive the dead-letter queue (README, The worker)."),
            namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dead_letters.name}, statistic="Maximum", period=60, evaluation_periods=1,
            threshold=1, comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
            alarm_actions=topic, ok_actions=topic, opts=child)
        aws.cloudwatch.MetricAlarm(
            f"{name}-oldest-job",
            alarm_description=(
                f"A picture job has waited more than {config.oldest_job_alarm_seconds} s: no worker is taking jobs, "
                "or they cannot keep up. Look first at the worker service's running task count and its events "
                "(capacity, failing starts), then at the worker log."),
            namespace="AWS/SQS", metric_name="ApproximateAgeOfOldestMessage", dimensions={"QueueName": queue.name},
            statistic="Maximum", period=60, evaluation_periods=5, datapoints_to_alarm=3,
            threshold=config.oldest_job_alarm_seconds, comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching", alarm_actions=topic, ok_actions=topic, opts=child)

        self.queue_url = queue.url
        self.queue_arn = queue.arn
        self.queue_name = queue.name
        self.dead_letter_queue_url = dead_letters.url
        self.dead_letter_queue_arn = dead_letters.arn
        self.dead_letter_queue_name = dead_letters.name
        # The depth alarm stays in ALARM while a dead letter waits (up to the dead-letter retention), so it cannot
        # tell a release that breaks jobs from one corrupt upload last week: the deployment alarm watches the depth
        # grow instead, and is OK again a minute after the last job failed.
        new_dead_letters = aws.cloudwatch.MetricAlarm(
            f"{name}-new-dead-letters",
            alarm_description=(
                "Deployment alarm of the worker: a picture job reached the dead-letter queue within the last minute. "
                "During a release it rolls the worker back. Look first at the worker log's job failed lines; the "
                "dead-letters alarm tells people about what waits there."),
            metric_queries=[
                {"id": "depth", "return_data": False, "metric": {
                    "namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible",
                    "dimensions": {"QueueName": dead_letters.name}, "period": 60, "stat": "Maximum"}},
                {"id": "growth", "return_data": True, "expression": "RATE(depth)",
                 "label": "Jobs reaching the dead-letter queue, per second"},
            ],
            evaluation_periods=1, threshold=0, comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching", alarm_actions=topic, ok_actions=topic, opts=child)

        self.dead_letter_alarm_name = dead_letter_alarm.name
        self.new_dead_letters_alarm_name = new_dead_letters.name
        self.visibility_timeout_seconds = config.visibility_timeout_seconds
        self.notification = [notification]
        self.register_outputs({
            "queueUrl": self.queue_url, "queueArn": self.queue_arn, "queueName": self.queue_name,
            "deadLetterQueueUrl": self.dead_letter_queue_url, "deadLetterQueueArn": self.dead_letter_queue_arn,
            "deadLetterQueueName": self.dead_letter_queue_name,
        })
