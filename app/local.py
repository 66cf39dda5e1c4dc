"""``python -m app.local`` (``make dev``): the whole catalogue on this machine, no AWS account needed.

Starts an embedded AWS emulator (moto) on 127.0.0.1, creates the table and the bucket, the worker's queue
and dead-letter queue with the bucket's notification to it, loads the seed items and pictures (``app.seed``,
the same files the DataStore component seeds), runs the picture worker (``app.worker``) in a background
thread, and serves the page and the API on one origin — ``/`` the static page, ``/api/*`` and the health
routes the API — as CloudFront does on AWS, with the same Content-Security-Policy. Ctrl-C stops the server,
the worker and the emulator.

The admin side (``app.local_admin``): an emulated Cognito pool with one administrator, whose user name and
password are printed at start-up, the admin page at ``/admin/`` with its ``config.json`` and CSP, and the
admin API at ``/api/admin/*`` on the same origin.

Local runs talk only to the emulator, with fixed dummy credentials: real AWS credentials in the
environment are never used.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from moto.server import DomainDispatcherApplication, create_backend_app
from pydantic import ValidationError
from werkzeug.serving import ThreadedWSGIServer

from app.api.catalogue import Catalogue
from app.api.logs import configure_logging
from app.api.main import create_app
from app.api.settings import Settings
from app.local_admin import LocalCognito, add_admin
from app.seed import seed_catalogue
from app.worker.settings import WorkerSettings
from app.worker.worker import Worker

FRONTEND_DIR = Path(__file__).resolve().parent / "frontend"
LOCAL_REGION = "ap-northeast-1"
LOCAL_TABLE = "webstack-local-items"
LOCAL_BUCKET = "webstack-local-images"
LOCAL_QUEUE = "webstack-local-variants"
# Local retries are quick: a picture that cannot be decoded reaches the dead-letter queue within seconds.
LOCAL_MAX_RECEIVE_COUNT = 3
DEFAULT_PORT = 8000
# What StaticSite's response headers policy sends on AWS, so the page is tested under the same rules.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}

log = logging.getLogger("webstack.local")


def emulator_session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=LOCAL_REGION
    )


class _TrackedServer(ThreadedWSGIServer):
    """Remembers open connections so that stopping the emulator also drops its keep-alive connections,
    as a real outage would."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self.connections_lock:
            self.connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.connections_lock:
            connections, self.connections = self.connections, set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Emulator:
    """moto's AWS emulator on 127.0.0.1 (``port=0`` picks a free port). Its data lives in this process, so
    a new Emulator on the same port after ``stop()`` serves the same tables and buckets again."""

    def __init__(self, port: int = 0):
        self._requested_port = port
        self._server: _TrackedServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the emulator first"
        return int(self._server.server_address[1])

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Emulator:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        emulated_aws = DomainDispatcherApplication(create_backend_app)
        self._server = _TrackedServer("127.0.0.1", self._requested_port, emulated_aws)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="aws-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.drop_connections()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def create_variant_queue(
    endpoint_url: str,
    bucket_name: str,
    queue_name: str,
    max_receive_count: int = LOCAL_MAX_RECEIVE_COUNT,
    session: boto3.session.Session | None = None,
) -> tuple[str, str]:
    """The worker's queue and its dead-letter queue (``<queue>-dlq``, redrive after ``max_receive_count``
    receives), and the bucket's ObjectCreated notification for ``images/`` to the queue — as on AWS.
    moto delivers the notifications itself, synchronously with each PutObject. Returns both queue URLs."""
    session = session or emulator_session()
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    s3 = session.client("s3", endpoint_url=endpoint_url)
    dlq_url = sqs.create_queue(QueueName=f"{queue_name}-dlq", Attributes={"MessageRetentionPeriod": "1209600"})[
        "QueueUrl"
    ]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    queue_url = sqs.create_queue(QueueName=queue_name, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket_name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"}]}},
                }
            ]
        },
    )
    return queue_url, dlq_url


def provision(
    endpoint_url: str,
    table_name: str = LOCAL_TABLE,
    bucket_name: str = LOCAL_BUCKET,
    queue_name: str | None = None,
) -> str | None:
    """Create the table (hash key ``id``) and the bucket in the emulator if missing, then load the seed.

    With ``queue_name``, the worker's queue and the bucket notification are set up before the seed is
    loaded, so the seeded pictures become jobs too; returns the queue URL."""
    session = emulator_session()
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    s3 = session.client("s3", endpoint_url=endpoint_url)
    if table_name not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName=table_name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    if bucket_name not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket_name, CreateBucketConfiguration={"LocationConstraint": LOCAL_REGION})
    queue_url = create_variant_queue(endpoint_url, bucket_name, queue_name, session=session)[0] if queue_name else None
    seed_catalogue(dynamodb, s3, table_name, bucket_name)
    return queue_url


def local_settings(endpoint_url: str, port: int = DEFAULT_PORT, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "table_name": LOCAL_TABLE,
        "bucket_name": LOCAL_BUCKET,
        "aws_region": LOCAL_REGION,
        "aws_endpoint_url": endpoint_url,
        "host": "127.0.0.1",
        "port": port,
    }
    return Settings(**(values | overrides))


def local_worker_settings(endpoint_url: str, queue_url: str, **overrides: Any) -> WorkerSettings:
    """The worker's settings for the emulator: short polls, so it stops within a second or two, and quick
    retries, so a failure shows locally in seconds rather than minutes."""
    values: dict[str, Any] = {
        "queue_url": queue_url,
        "table_name": LOCAL_TABLE,
        "bucket_name": LOCAL_BUCKET,
        "aws_region": LOCAL_REGION,
        "aws_endpoint_url": endpoint_url,
        "receive_wait_seconds": 1,
        "visibility_timeout_seconds": 30,
        "retry_delay_seconds": 1,
        "pending_grace_seconds": 10,
        "stop_timeout_seconds": 5,
        "health_port": 0,
    }
    return WorkerSettings(**(values | overrides))


class BackgroundWorker:
    """The worker's job loop (``app.worker``) in a background thread, beside the API."""

    def __init__(self, settings: WorkerSettings):
        self.worker = Worker(settings, session=emulator_session())
        self._thread = threading.Thread(target=self.worker.run, name="worker", daemon=True)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.worker.request_stop()
        if self._thread.is_alive():
            self._thread.join(timeout=self.worker.settings.receive_wait_seconds + 10)

    def __enter__(self) -> BackgroundWorker:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class _SecurityHeaders:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def build_site(settings: Settings) -> FastAPI:
    """The API plus the static page on one origin, as CloudFront serves them."""
    app = create_app(settings, Catalogue(settings, session=emulator_session()))
    app.add_middleware(_SecurityHeaders)
    app.mount("/", StaticFiles(directory=FRONTEND_DIR, html=True), name="frontend")
    return app


class BackgroundServer:
    """Serves an ASGI app with uvicorn on 127.0.0.1 in a background thread (``port=0``: a free port)."""

    def __init__(self, app: Any, port: int = 0):
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)

    @property
    def url(self) -> str:
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server did not start within 10 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class LocalServer:
    """What ``make dev`` runs — emulator, seed, page, API and worker — in background threads, for tests
    and the benchmark; ``port=0`` picks a free port; ``worker=False`` leaves the pictures without variants."""

    def __init__(self, port: int = 0, worker: bool = True, **settings_overrides: Any):
        self._port = port
        self._overrides = settings_overrides
        self._with_worker = worker
        self.emulator = Emulator()
        self._server: BackgroundServer | None = None
        self._worker: BackgroundWorker | None = None
        self.queue_url: str | None = None
        self.cognito: LocalCognito | None = None  # the emulated user pool and its administrator

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        return self._server.url

    def start(self) -> LocalServer:
        self.emulator.start()
        try:
            self.queue_url = provision(self.emulator.endpoint_url, queue_name=LOCAL_QUEUE)
            assert self.queue_url is not None
            settings = local_settings(self.emulator.endpoint_url, port=self._port, **self._overrides)
            if self._with_worker:
                self._worker = BackgroundWorker(local_worker_settings(self.emulator.endpoint_url, self.queue_url))
                self._worker.start()
            site, self.cognito = add_admin(
                build_site(settings), self.emulator.endpoint_url, emulator_session(),
                settings.table_name, settings.bucket_name, SECURITY_HEADERS,
            )
            self._server = BackgroundServer(site, port=self._port).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.emulator.stop()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _port_from_environment() -> int:
    raw = os.environ.get("PORT", str(DEFAULT_PORT))
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise SystemExit(f"app.local: PORT must be a number from 1 to 65535, got {raw!r}")
    return int(raw)


def main() -> int:
    port = _port_from_environment()
    with Emulator() as emulator:
        try:
            settings = local_settings(emulator.endpoint_url, port=port)
        except ValidationError as error:
            raise SystemExit(f"app.local: invalid environment: {error}") from None
        configure_logging(settings.log_level)
        queue_url = provision(emulator.endpoint_url, queue_name=LOCAL_QUEUE)
        assert queue_url is not None
        site, cognito = add_admin(
            build_site(settings), emulator.endpoint_url, emulator_session(),
            settings.table_name, settings.bucket_name, SECURITY_HEADERS,
        )
        print(
            f"webstack: page and API on http://127.0.0.1:{port}/ (AWS emulator on {emulator.endpoint_url}); "
            "Ctrl-C stops both\n"
            f"webstack: admin page on http://127.0.0.1:{port}/admin/ — user name {cognito.username!r}, "
            f"password {cognito.password!r} (new at every start)",
            file=sys.stderr,
            flush=True,
        )
        server = uvicorn.Server(
            uvicorn.Config(site, host="127.0.0.1", port=port, log_config=None, access_log=False)
        )
        print(
            f"webstack: worker on {queue_url} (dead-letter queue {queue_url}-dlq; to re-drive it: "
            f"python -m app.worker.redrive --endpoint-url {emulator.endpoint_url} --from {queue_url}-dlq "
            f"--to {queue_url})",
            file=sys.stderr,
            flush=True,
        )
        # The worker turns every picture put under images/ (the seed's, the admin page's) into variants.
        with BackgroundWorker(local_worker_settings(emulator.endpoint_url, queue_url)):
            try:
                server.run()  # returns on Ctrl-C / SIGTERM; the worker and the emulator stop as the blocks exit
            except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled once it has shut down
                pass
        return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
