"""``python -m app.worker.redrive``: move the jobs in a dead-letter queue back to the worker's queue.

On AWS use SQS's own redrive (``aws sqs start-message-move-task --source-arn <dead-letter queue ARN>``):
it keeps the messages' attributes and needs nothing running. The emulator of ``make dev`` (moto) has no
message move tasks, so this does the same by hand — receive, send to the queue, delete — and works against
either (credentials: sqs:ReceiveMessage and sqs:DeleteMessage on the dead-letter queue, sqs:SendMessage on
the queue; never the worker's role, which cannot send).

    python -m app.worker.redrive --from <dead-letter queue URL> --to <queue URL> \\
        [--endpoint-url http://127.0.0.1:<port>] [--region ap-northeast-1] [--max 1000]

Fix what sent the jobs there first (the worker logs the reason of every failure): a picture that cannot be
decoded comes straight back.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3


def redrive(sqs: Any, source_url: str, destination_url: str, limit: int) -> int:
    """Moves up to ``limit`` messages; returns how many. A message is deleted only once it is sent, so a
    failure halfway leaves it in the dead-letter queue (or, at worst, in both: the worker is idempotent)."""
    moved = 0
    while moved < limit:
        response = sqs.receive_message(
            QueueUrl=source_url, MaxNumberOfMessages=min(10, limit - moved), WaitTimeSeconds=1, VisibilityTimeout=60
        )
        messages = response.get("Messages", [])
        if not messages:
            break
        for message in messages:
            sqs.send_message(QueueUrl=destination_url, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", required=True, help="URL of the dead-letter queue")
    parser.add_argument("--to", dest="destination", required=True, help="URL of the worker's queue")
    parser.add_argument("--endpoint-url", help="an emulator's endpoint (make dev prints it)")
    parser.add_argument("--region", default=None, help="the queues' region (default: from the environment)")
    parser.add_argument("--max", type=int, default=1000, help="stop after this many messages (default 1000)")
    args = parser.parse_args(argv)
    if args.max < 1:
        parser.error("--max must be at least 1")
    # Against an emulator, its fixed dummy credentials: real ones from the environment are never sent there.
    credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"} if args.endpoint_url else {}
    region = args.region or ("ap-northeast-1" if args.endpoint_url else None)
    session = boto3.session.Session(region_name=region, **credentials)
    sqs = session.client("sqs", endpoint_url=args.endpoint_url)
    moved = redrive(sqs, args.source, args.destination, args.max)
    print(f"moved {moved} message(s) from {args.source} to {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
