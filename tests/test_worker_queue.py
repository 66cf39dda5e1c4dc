"""WorkerQueue: the picture jobs, their dead-letter queue, who may send them, and the alarms, on both stacks."""

from __future__ import annotations

import json

import pytest

from mock_engine import ACCOUNT_ID, Capture, Resource, StackRunFailed, as_list, run_stack, statements

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
REDRIVE_ALLOW = "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DAY = 86_400


def jobs(capture: Capture) -> Resource:
    return capture.one(QUEUE, where=lambda q: q.name == f"webstack-{capture.stack}-jobs")


def dead_letters(capture: Capture) -> Resource:
    return capture.one(QUEUE, where=lambda q: q.name == f"webstack-{capture.stack}-jobs-dlq")


def policy_of(capture: Capture, queue: Resource) -> list[dict]:
    [policy] = [p for p in capture.of_type(QUEUE_POLICY) if p.get("queueUrl") == queue.state["url"]]
    return statements(policy.get("policy"))


def worker_setting(capture: Capture, key: str, default):
    return capture.config.get("webstack:worker", {}).get(key, default)


def test_a_job_moves_to_the_dead_letter_queue_after_the_configured_receives(stack: Capture):
    redrive = json.loads(jobs(stack).get("redrivePolicy"))
    assert redrive == {"deadLetterTargetArn": dead_letters(stack).state["arn"],
                       "maxReceiveCount": worker_setting(stack, "maxReceives", 5)}


def test_only_the_job_queue_may_redrive_into_the_dead_letter_queue(stack: Capture):
    [allow] = stack.of_type(REDRIVE_ALLOW)
    assert allow.get("queueUrl") == dead_letters(stack).state["url"]
    assert json.loads(allow.get("redriveAllowPolicy")) == {"redrivePermission": "byQueue",
                                                           "sourceQueueArns": [jobs(stack).state["arn"]]}


def test_both_queues_are_encrypted_and_refuse_requests_without_tls(stack: Capture):
    for queue in (jobs(stack), dead_letters(stack)):
        assert queue.get("sqsManagedSseEnabled") is True, queue.name
        denials = [s for s in policy_of(stack, queue) if s["Effect"] == "Deny"]
        assert denials == [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                            "Resource": queue.state["arn"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}], queue.name


def test_only_s3_for_this_bucket_of_this_account_may_send_jobs(stack: Capture):
    bucket = stack.named(f"webstack-{stack.stack}-images")
    [send] = [s for s in policy_of(stack, jobs(stack)) if s["Effect"] == "Allow"]
    assert send["Principal"] == {"Service": "s3.amazonaws.com"} and as_list(send["Action"]) == ["sqs:SendMessage"]
    assert send["Resource"] == jobs(stack).state["arn"]
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": bucket.state["arn"]},
                                 "StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    assert not [s for s in policy_of(stack, dead_letters(stack)) if s["Effect"] == "Allow"]


def test_every_new_original_under_images_becomes_one_job(stack: Capture):
    notification = stack.one(NOTIFICATION)
    bucket = stack.named(f"webstack-{stack.stack}-images")
    assert notification.get("bucket") == bucket.state["bucket"]
    assert notification.get("queues") == [{"queueArn": jobs(stack).state["arn"], "events": ["s3:ObjectCreated:*"],
                                           "filterPrefix": "images/"}]
    # S3 checks it may send before it accepts the notification.
    [policy] = [p for p in stack.of_type(QUEUE_POLICY) if p.get("queueUrl") == jobs(stack).state["url"]]
    assert policy.urn in notification.dependencies


def test_retention_and_visibility_follow_the_stack(stack: Capture):
    queue = jobs(stack)
    assert queue.get("visibilityTimeoutSeconds") == worker_setting(stack, "visibilityTimeoutSeconds", 60)
    assert queue.get("messageRetentionSeconds") == worker_setting(stack, "retentionDays", 4) * DAY
    assert dead_letters(stack).get("messageRetentionSeconds") == \
        worker_setting(stack, "deadLetterRetentionDays", 14) * DAY
    assert queue.get("receiveWaitTimeSeconds") == 20, "long polling: an idle worker makes three calls a minute"


def alarm(capture: Capture, short: str) -> Resource:
    return capture.named(f"webstack-{capture.stack}-jobs-{short}")


def test_a_job_in_the_dead_letter_queue_alarms_people(stack: Capture):
    dead = alarm(stack, "dead-letters")
    topic = stack.outputs["alarmTopicArn"]
    assert (dead.get("namespace"), dead.get("metricName")) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert dead.get("dimensions") == {"QueueName": dead_letters(stack).state["name"]}
    assert dead.get("threshold") == 1 and dead.get("comparisonOperator") == "GreaterThanOrEqualToThreshold"
    assert dead.get("alarmActions") == [topic] and dead.get("okActions") == [topic]
    assert "re-drive" in dead.get("alarmDescription") and "Look first" in dead.get("alarmDescription")


def test_a_job_waiting_too_long_alarms_people(stack: Capture):
    oldest = alarm(stack, "oldest-job")
    assert oldest.get("metricName") == "ApproximateAgeOfOldestMessage"
    assert oldest.get("dimensions") == {"QueueName": jobs(stack).state["name"]}
    assert oldest.get("threshold") == worker_setting(stack, "oldestJobAlarmSeconds", 900)
    assert oldest.get("alarmActions") == [stack.outputs["alarmTopicArn"]]


def test_jobs_reaching_the_dead_letter_queue_now_are_the_workers_deployment_alarm(stack: Capture):
    service = stack.named(f"webstack-{stack.stack}-worker-service")
    deployment = alarm(stack, "new-dead-letters")
    assert service.get("alarms") == {"alarmNames": [deployment.state["name"]], "enable": True, "rollback": True}
    # Growth of the depth, not the depth: a dead letter from last week must not hold every release in ALARM.
    depth, growth = deployment.get("metricQueries")
    assert depth["metric"]["metricName"] == "ApproximateNumberOfMessagesVisible" and not depth["returnData"]
    assert depth["metric"]["dimensions"] == {"QueueName": dead_letters(stack).state["name"]}
    assert growth == {"id": "growth", "returnData": True, "expression": "RATE(depth)",
                      "label": "Jobs reaching the dead-letter queue, per second"}
    assert (deployment.get("threshold"), deployment.get("comparisonOperator")) == (0, "GreaterThanThreshold")
    assert deployment.get("treatMissingData") == "notBreaching"


def test_the_worker_renews_its_jobs_for_the_queues_visibility_timeout():
    capture = run_stack("dev", {"webstack:worker": {"visibilityTimeoutSeconds": 600}})
    definition = capture.named("webstack-dev-worker-task")
    [container] = json.loads(definition.get("containerDefinitions"))
    environment = {item["name"]: item["value"] for item in container["environment"]}
    assert environment["VISIBILITY_TIMEOUT_SECONDS"] == "600"
    assert jobs(capture).get("visibilityTimeoutSeconds") == 600


def test_the_stack_exports_both_queues(stack: Capture):
    assert stack.outputs["queueUrl"] == jobs(stack).state["url"]
    assert stack.outputs["deadLetterQueueUrl"] == dead_letters(stack).state["url"]


@pytest.mark.parametrize(("worker", "key"), [
    ({"maxReceives": 0}, "webstack:worker.maxReceives"),
    ({"retentionDays": 15}, "webstack:worker.retentionDays"),
    ({"retentionDays": 7, "deadLetterRetentionDays": 3}, "webstack:worker.deadLetterRetentionDays"),
    ({"retentionDays": 1, "maxReceives": 100, "visibilityTimeoutSeconds": 900}, "webstack:worker.retentionDays"),
    ({"visibilityTimeoutSeconds": 5}, "webstack:worker.visibilityTimeoutSeconds"),
    ({"service": {"minCount": 3, "maxCount": 2}}, "webstack:worker.service.maxCount"),
    ({"service": {"maxCount": 2}}, "webstack:worker.service.maxCount"),  # dev: no Container Insights
    ({"service": {"stopTimeoutSeconds": 300}}, "webstack:worker.service.stopTimeoutSeconds"),
])
def test_bad_worker_settings_stop_before_any_resource_naming_the_key(worker: dict, key: str):
    with pytest.raises(StackRunFailed) as raised:
        run_stack("dev", {"webstack:worker": worker})
    assert key in str(raised.value.error) and raised.value.capture.resources == []
