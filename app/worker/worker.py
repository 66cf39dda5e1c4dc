"""The job loop: S3 event notifications from SQS in, variants in S3 and on the item out.

One job at a time (the memory bound holds per task; more work means more tasks, scaled on the backlog):

1. ``ReceiveMessage`` (long poll) with ``VISIBILITY_TIMEOUT_SECONDS``; a thread renews the visibility while
   the job runs.
2. Each record of the message: ``GetObject`` of the original with ``If-Match`` its event ETag (an object
   overwritten or deleted since is a stale job: nothing to do), the item id from its metadata ``item-id``.
3. Every variant is written (``PutObject`` with ``If-None-Match: *``: a key names one content, so an object
   already there is already right), and only then recorded on the item in one ``UpdateItem`` conditioned on
   ``image_key`` still being this original. A job stopped before that records nothing, and no item refers
   to a variant that is not complete.
4. The message is deleted when every record is done or moot. Otherwise it becomes visible again: at once
   for a picture that can never be decoded (the queue's redrive policy moves it to the dead-letter queue
   after maxReceiveCount receives), after a doubling delay for a failure that may pass (S3 or DynamoDB
   unavailable, the item not yet pointing at a fresh upload).

Permissions used: s3:GetObject on images/*, s3:PutObject on variants/*, sqs:ReceiveMessage,
sqs:DeleteMessage, sqs:ChangeMessageVisibility on the queue, dynamodb:UpdateItem on the table touching only
``id``, ``image_key`` and ``variants``, always with a condition.
"""

from __future__ import annotations

import enum
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .pipeline import CACHE_CONTROL, PermanentImageError, render_variants
from .settings import WorkerSettings

log = logging.getLogger("webstack.worker")

IMAGE_PREFIX = "images/"
ITEM_ID_METADATA = "item-id"  # S3 user metadata (x-amz-meta-item-id) naming the item an original belongs to
_ITEM_ID = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")  # the API's id rule
_MAX_RETRY_DELAY_SECONDS = 900
_DONE_CACHE_SIZE = 32
# Errors that mean the queue cannot be used at all: restarting the task is the only remedy.
_FATAL_QUEUE_ERRORS = frozenset(
    {
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "AccessDenied",
        "AccessDeniedException",
        "InvalidAddress",
        "InvalidSecurity",
        "KMS.AccessDeniedException",
    }
)
_MISSING_OBJECT = frozenset({"NoSuchKey", "404", "NotFound", "AccessDenied", "403"})
_OVERWRITTEN_OBJECT = frozenset({"PreconditionFailed", "412"})


class FatalQueueError(Exception):
    """The queue is missing or not ours to read: the worker exits and the task restarts."""


class _GiveBack(Exception):
    """Raised at a checkpoint once the stop budget is spent: the job goes back to the queue."""


class Outcome(enum.Enum):
    DONE = "done"  # variants written and recorded
    STALE = "stale"  # the original was replaced or removed, or the item moved on: nothing to record
    IGNORED = "ignored"  # not a job for this worker (another event type, prefix, no item id)
    PENDING = "pending"  # the item does not point at this original yet: try again shortly
    TRANSIENT = "transient"  # S3/DynamoDB failed: try again later
    PERMANENT = "permanent"  # the picture can never become variants: let the redrive policy take it


@dataclass
class RecordResult:
    outcome: Outcome
    reason: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return type(error).__name__


class Worker:
    def __init__(self, settings: WorkerSettings, session: boto3.session.Session | None = None):
        session = session or boto3.session.Session()
        common: dict[str, Any] = {
            "region_name": settings.aws_region,
            "retries": {"mode": "standard", "total_max_attempts": 4},
            "connect_timeout": 2,
        }
        endpoint = settings.aws_endpoint_url
        # The long poll holds the connection for up to receive_wait_seconds: the read timeout must outlast it.
        self._sqs = session.client(
            "sqs", endpoint_url=endpoint, config=Config(**common, read_timeout=settings.receive_wait_seconds + 10)
        )
        self._s3 = session.client(
            "s3",
            endpoint_url=endpoint,
            config=Config(**common, read_timeout=20, s3={"addressing_style": "path"} if endpoint else None),
        )
        self._dynamodb = session.client("dynamodb", endpoint_url=endpoint, config=Config(**common, read_timeout=5))
        self.settings = settings
        self._stop = threading.Event()
        self._stop_requested_at: float | None = None
        # Jobs whose variants are all written, by (key, ETag): a retry while the item catches up with a
        # fresh upload goes straight to recording instead of decoding the picture again.
        self._done: OrderedDict[tuple[str, str], tuple[str, dict[str, Any]]] = OrderedDict()
        self.last_progress = time.monotonic()
        self.jobs_done = 0

    # -- stopping ---------------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Stop receiving; a job in hand is finished within ``stop_timeout_seconds`` or given back."""
        if self._stop_requested_at is None:
            self._stop_requested_at = time.monotonic()
            log.info("stop requested", extra={"fields": {"budgetSeconds": self.settings.stop_timeout_seconds}})
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _checkpoint(self) -> None:
        self.last_progress = time.monotonic()
        started = self._stop_requested_at
        if started is not None and time.monotonic() - started >= self.settings.stop_timeout_seconds:
            raise _GiveBack()

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> int:
        """Receive and handle jobs until ``request_stop``; 0 on a clean stop, 1 if the queue is unusable."""
        log.info(
            "worker started",
            extra={"fields": {"queueUrl": self.settings.queue_url, "bucket": self.settings.bucket_name}},
        )
        failures = 0
        while not self.stopping:
            try:
                self.poll_once()
                failures = 0
            except FatalQueueError as error:
                log.error("queue unusable, exiting", extra={"fields": {"detail": str(error)}})
                return 1
            except (ClientError, BotoCoreError) as error:
                # SQS unreachable or throttling: back off (1 s doubling to 30 s), still responsive to stop.
                failures += 1
                delay = min(30.0, 2.0 ** (failures - 1))
                log.warning(
                    "receive failed",
                    extra={"fields": {"awsError": _error_code(error), "detail": str(error), "retryInSeconds": delay}},
                )
                self._stop.wait(delay)
        log.info("worker stopped", extra={"fields": {"jobsDone": self.jobs_done}})
        return 0

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """One ReceiveMessage and the handling of what it returned; the number of messages received."""
        self.last_progress = time.monotonic()
        try:
            response = self._sqs.receive_message(
                QueueUrl=self.settings.queue_url,
                MaxNumberOfMessages=1,
                WaitTimeSeconds=self.settings.receive_wait_seconds if wait_seconds is None else wait_seconds,
                VisibilityTimeout=self.settings.visibility_timeout_seconds,
                MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
            )
        except ClientError as error:
            if _error_code(error) in _FATAL_QUEUE_ERRORS:
                raise FatalQueueError(f"{_error_code(error)}: {error}") from None
            raise
        messages = response.get("Messages", [])
        for message in messages:
            if self.stopping:
                # Received while stopping (the long poll was in flight): not started, so handed straight back.
                self._give_back(message, "received while stopping")
            else:
                self.handle(message)
        return len(messages)

    # -- one message ------------------------------------------------------------------------------

    def handle(self, message: dict[str, Any]) -> None:
        attributes = message.get("Attributes", {})
        receives = int(attributes.get("ApproximateReceiveCount", "1"))
        sent = int(attributes.get("SentTimestamp", str(int(time.time() * 1000)))) / 1000
        context = {"messageId": message.get("MessageId"), "receiveCount": receives}
        started, cpu_started = time.perf_counter(), time.thread_time()
        log.info("job received", extra={"fields": context})
        try:
            body = json.loads(message.get("Body", ""))
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("Event") == "s3:TestEvent":
            # S3 sends this once when the notification is configured; it is no job.
            log.info("test event from S3 deleted", extra={"fields": context})
            self._delete(message, context)
            return
        records = body.get("Records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            results = [RecordResult(Outcome.PERMANENT, "the message is not an S3 event notification")]
        else:
            extender = _VisibilityExtender(self._sqs, self.settings, message["ReceiptHandle"])
            extender.start()
            try:
                results = [self._process_record(record, time.time() - sent) for record in records]
            except _GiveBack:
                results = None
            finally:
                extender.stop()  # before the visibility is set below, so a renewal cannot undo it
            if results is None:
                self._give_back(message, "the stop timeout ran out during the job")
                return
        fields = context | {
            "durationMs": round((time.perf_counter() - started) * 1000, 1),
            "cpuMs": round((time.thread_time() - cpu_started) * 1000, 1),
            "records": [
                {"outcome": result.outcome.value, "reason": result.reason, **result.fields} for result in results
            ],
        }
        outcomes = {result.outcome for result in results}
        if Outcome.PERMANENT in outcomes:
            reasons = "; ".join(result.reason for result in results if result.outcome is Outcome.PERMANENT)
            log.error(
                "job failed and cannot succeed; the redrive policy moves it to the dead-letter queue after "
                "maxReceiveCount receives",
                extra={"fields": fields | {"reason": reasons}},
            )
            self._set_visibility(message, 0, fields)
        elif outcomes & {Outcome.TRANSIENT, Outcome.PENDING}:
            delay = min(_MAX_RETRY_DELAY_SECONDS, self.settings.retry_delay_seconds * 2 ** (receives - 1))
            log.warning("job will be retried", extra={"fields": fields | {"retryInSeconds": delay}})
            self._set_visibility(message, delay, fields)
        else:
            self.jobs_done += Outcome.DONE in outcomes
            log.info("job finished", extra={"fields": fields})
            self._delete(message, fields)

    def _process_record(self, record: Any, age_seconds: float) -> RecordResult:
        try:
            event = str(record["eventName"])
            bucket = str(record["s3"]["bucket"]["name"])
            key = unquote_plus(str(record["s3"]["object"]["key"]))
            etag = record["s3"]["object"].get("eTag")
        except (KeyError, TypeError):
            return RecordResult(Outcome.PERMANENT, "a record without eventName, s3.bucket.name or s3.object.key")
        where = {"key": key, "eTag": etag, "sequencer": record["s3"]["object"].get("sequencer")}
        if not event.startswith("ObjectCreated:"):
            return RecordResult(Outcome.IGNORED, f"event {event} is not an upload", where)
        if bucket != self.settings.bucket_name:
            return RecordResult(
                Outcome.PERMANENT, f"event for bucket {bucket}; this worker serves {self.settings.bucket_name}", where
            )
        if not key.startswith(IMAGE_PREFIX):
            return RecordResult(Outcome.IGNORED, f"{key} is not under {IMAGE_PREFIX}", where)
        try:
            cached = self._done.get((key, etag)) if etag else None
            if cached is not None:
                item_id, variants = cached
            else:
                fetched = self._fetch(key, etag)
                self._checkpoint()
                if isinstance(fetched, str):
                    return RecordResult(Outcome.STALE, fetched, where)
                data, item_id = fetched
                if item_id is None:
                    return RecordResult(Outcome.IGNORED, f"the original has no {ITEM_ID_METADATA} metadata", where)
                if not _ITEM_ID.fullmatch(item_id):
                    return RecordResult(Outcome.PERMANENT, f"{ITEM_ID_METADATA} {item_id!r} is not an item id", where)
                variants = self._store_variants(data, key)
                del data
                if etag:
                    self._remember(key, etag, item_id, variants)
            where["itemId"] = item_id
            where["variants"] = len(variants["items"])
            self._checkpoint()  # past the stop budget: give the job back rather than start recording
            if self._record(item_id, key, variants):
                return RecordResult(Outcome.DONE, "", where)
            if age_seconds < self.settings.pending_grace_seconds:
                return RecordResult(Outcome.PENDING, f"item {item_id} does not point at {key} (yet)", where)
            return RecordResult(Outcome.STALE, f"item {item_id} no longer points at {key}, or is gone", where)
        except PermanentImageError as error:
            return RecordResult(Outcome.PERMANENT, str(error), where)
        except (ClientError, BotoCoreError) as error:
            return RecordResult(Outcome.TRANSIENT, f"{_error_code(error)}: {error}", where)
        except _GiveBack:
            raise
        except Exception as error:  # a bug or an exhausted machine: retried, and visible in the log
            log.exception("unexpected error in a job", extra={"fields": where})
            return RecordResult(Outcome.TRANSIENT, f"{type(error).__name__}: {error}", where)

    # -- AWS calls --------------------------------------------------------------------------------

    def _fetch(self, key: str, etag: str | None) -> tuple[bytes, str | None] | str:
        """The original's bytes and item id, or why there is nothing to do (a str)."""
        request: dict[str, Any] = {"Bucket": self.settings.bucket_name, "Key": key}
        if etag:
            request["IfMatch"] = f'"{etag.strip(chr(34))}"'
        try:
            response = self._s3.get_object(**request)
        except ClientError as error:
            code = _error_code(error)
            if code in _OVERWRITTEN_OBJECT:
                return f"{key} was overwritten after this event"
            if code in _MISSING_OBJECT:
                # Without s3:ListBucket, S3 answers AccessDenied for a key that does not exist.
                return f"{key} is gone ({code})"
            raise
        body = response["Body"]
        try:
            length = response.get("ContentLength")
            limit = self.settings.max_source_bytes
            if length is not None and length > limit:
                raise PermanentImageError(f"{length} bytes, over the limit of {limit}")
            data = body.read(limit + 1)
            if len(data) > limit:
                raise PermanentImageError(f"more than {limit} bytes")
        finally:
            body.close()
        metadata = {name.lower(): value for name, value in (response.get("Metadata") or {}).items()}
        return data, metadata.get(ITEM_ID_METADATA)

    def _store_variants(self, data: bytes, key: str) -> dict[str, Any]:
        items = []
        for rendition in render_variants(data, key, self.settings.max_pixels, self._checkpoint):
            try:
                self._s3.put_object(
                    Bucket=self.settings.bucket_name,
                    Key=rendition.key,
                    Body=rendition.body,
                    ContentType=rendition.content_type,
                    CacheControl=CACHE_CONTROL,
                    IfNoneMatch="*",
                )
            except ClientError as error:
                # A key names one content: the object is there from an earlier delivery, and it is right.
                if _error_code(error) not in _OVERWRITTEN_OBJECT:
                    raise
            items.append(
                {"key": rendition.key, "width": rendition.width, "height": rendition.height, "format": rendition.format}
            )
            self._checkpoint()
        return {"source": key, "items": items}

    def _record(self, item_id: str, key: str, variants: dict[str, Any]) -> bool:
        """Set the item's variants if its image_key is still ``key``; False if it is not (or no item)."""
        value = {
            "M": {
                "source": {"S": variants["source"]},
                "items": {
                    "L": [
                        {
                            "M": {
                                "key": {"S": entry["key"]},
                                "width": {"N": str(entry["width"])},
                                "height": {"N": str(entry["height"])},
                                "format": {"S": entry["format"]},
                            }
                        }
                        for entry in variants["items"]
                    ]
                },
            }
        }
        try:
            self._dynamodb.update_item(
                TableName=self.settings.table_name,
                Key={"id": {"S": item_id}},
                UpdateExpression="SET #variants = :variants",
                # A newer upload wins: the item must still show this original (which also means it exists;
                # UpdateItem would otherwise create it).
                ConditionExpression="#image_key = :source",
                ExpressionAttributeNames={"#variants": "variants", "#image_key": "image_key"},
                ExpressionAttributeValues={":variants": value, ":source": {"S": key}},
            )
        except ClientError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _remember(self, key: str, etag: str, item_id: str, variants: dict[str, Any]) -> None:
        self._done[(key, etag)] = (item_id, variants)
        self._done.move_to_end((key, etag))
        while len(self._done) > _DONE_CACHE_SIZE:
            self._done.popitem(last=False)

    def _delete(self, message: dict[str, Any], fields: dict[str, Any]) -> None:
        try:
            self._sqs.delete_message(QueueUrl=self.settings.queue_url, ReceiptHandle=message["ReceiptHandle"])
        except (ClientError, BotoCoreError) as error:
            # The job is done; if its message comes back, the rerun writes the same keys and the same item.
            log.warning("could not delete a finished job", extra={"fields": fields | {"detail": str(error)}})

    def _set_visibility(self, message: dict[str, Any], seconds: int, fields: dict[str, Any]) -> None:
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self.settings.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=seconds
            )
        except (ClientError, BotoCoreError) as error:
            # The message comes back anyway once its current visibility runs out.
            log.warning("could not change a job's visibility", extra={"fields": fields | {"detail": str(error)}})

    def _give_back(self, message: dict[str, Any], why: str) -> None:
        fields = {"messageId": message.get("MessageId"), "reason": why}
        log.warning("job given back to the queue", extra={"fields": fields})
        self._set_visibility(message, 0, fields)


class _VisibilityExtender:
    """Renews a job's visibility every third of VISIBILITY_TIMEOUT_SECONDS while it runs, so a long job is
    not handed to another worker, and a dead worker's job returns within one timeout."""

    def __init__(self, sqs: Any, settings: WorkerSettings, receipt_handle: str):
        self._sqs = sqs
        self._settings = settings
        self._receipt = receipt_handle
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="visibility-extender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        interval = max(1.0, self._settings.visibility_timeout_seconds / 3)
        while not self._done.wait(interval):
            try:
                self._sqs.change_message_visibility(
                    QueueUrl=self._settings.queue_url,
                    ReceiptHandle=self._receipt,
                    VisibilityTimeout=self._settings.visibility_timeout_seconds,
                )
                log.debug("job visibility extended")
            except (ClientError, BotoCoreError) as error:
                log.warning("could not extend a job's visibility", extra={"fields": {"detail": str(error)}})
