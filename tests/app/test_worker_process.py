"""``python -m app.worker`` as the container runs it: settings from the environment, JSON logs, the loopback
health check, and SIGTERM in the middle of a job (finished within the stop budget, or given back)."""

from __future__ import annotations

import functools
import io
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from app.local import LOCAL_REGION

from .conftest import SESSION, service_env
from .pictures import Stack

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    return service_env("QUEUE_URL", "TABLE_NAME", "BUCKET_NAME", "HEALTH_PORT", "STOP_TIMEOUT_SECONDS",
                       **({"PYTHONUNBUFFERED": "1"} | extra))


def test_without_settings_the_worker_names_what_to_set_and_loads_no_local_tooling():
    code = (
        "import sys; from app.worker.__main__ import main; code = main(); "
        "print([m for m in ('moto', 'playwright', 'werkzeug', 'fastapi', 'app.local', 'app.seed', 'app.api') "
        "if m in sys.modules]); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    for name in ("QUEUE_URL", "TABLE_NAME", "BUCKET_NAME", "AWS_REGION"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == "[]", f"the worker would need {result.stdout.strip()}"


def test_a_bad_tuning_value_is_named():
    env = _env(QUEUE_URL="http://127.0.0.1:1/q", TABLE_NAME="items", BUCKET_NAME="images", AWS_REGION=LOCAL_REGION,
               RECEIVE_WAIT_SECONDS="30")
    result = subprocess.run(
        [sys.executable, "-m", "app.worker"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "RECEIVE_WAIT_SECONDS" in result.stderr and "20" in result.stderr


class WorkerProcess:
    """python -m app.worker against a scratch stack; its JSON log lines are read as they come."""

    def __init__(self, stack: Stack, **extra: str):
        env = _env(
            QUEUE_URL=stack.queue_url,
            TABLE_NAME=stack.table,
            BUCKET_NAME=stack.bucket,
            AWS_REGION=LOCAL_REGION,
            AWS_ENDPOINT_URL=stack.endpoint_url,
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            RECEIVE_WAIT_SECONDS="1",
            RETRY_DELAY_SECONDS="0",
            **extra,
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.worker"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.entries: list[dict] = []
        self._lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            entry = json.loads(line)
            self.entries.append(entry)
            self._lines.put(entry)

    def wait_for(self, message: str, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                entry = self._lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {message!r} log line within {timeout} s: {self.entries}") from None
            if entry["message"] == message:
                return entry

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture
def stack(emulator) -> Iterator[Stack]:
    created = Stack.create(emulator.endpoint_url, SESSION)
    sqs = created.clients["sqs"]
    # S3's test event: handled by the in-process tests; here only the upload is the job.
    for message in sqs.receive_message(QueueUrl=created.queue_url, MaxNumberOfMessages=10).get("Messages", []):
        sqs.delete_message(QueueUrl=created.queue_url, ReceiptHandle=message["ReceiptHandle"])
    yield created


@functools.cache
def twelve_megapixels() -> bytes:
    """4000x3000 of coarse noise (~4.7 MB): as costly to decode and scale as a phone photo, so a job lasts
    long enough (~0.5 s) to be interrupted."""
    noise = Image.merge("RGB", [Image.effect_noise((1000, 750), sigma) for sigma in (40, 60, 80)])
    image = noise.resize((4000, 3000), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def test_sigterm_mid_job_finishes_the_job_within_the_stop_budget_and_exits_0(stack, free_port):
    stack.put_item("1", "images/big.jpg")
    worker = WorkerProcess(stack, STOP_TIMEOUT_SECONDS="25", HEALTH_PORT=str(free_port))
    try:
        worker.wait_for("worker started")
        health = subprocess.run(
            [sys.executable, "-m", "app.worker.healthcheck"], cwd=REPO_ROOT, env=_env(HEALTH_PORT=str(free_port)),
            timeout=30,
        )
        assert health.returncode == 0
        stack.upload("images/big.jpg", twelve_megapixels(), item_id="1")
        worker.wait_for("job received")
        worker.process.send_signal(signal.SIGTERM)
        assert worker.stop() == 0
    finally:
        worker.stop()
    messages = [entry["message"] for entry in worker.entries]
    assert messages.index("stop requested") < messages.index("job finished") < messages.index("worker stopped")
    finished = next(entry for entry in worker.entries if entry["message"] == "job finished")
    assert finished["records"][0]["outcome"] == "done" and finished["durationMs"] > 0
    item = stack.item("1")
    assert item["variants"]["M"]["source"] == {"S": "images/big.jpg"}
    assert len(item["variants"]["M"]["items"]["L"]) == 6 == len(stack.variant_keys())
    assert stack.messages(stack.queue_url) == (0, 0)


def test_sigterm_mid_job_past_the_stop_budget_gives_the_job_back_and_records_nothing(stack):
    stack.put_item("2", "images/big.jpg")
    worker = WorkerProcess(stack, STOP_TIMEOUT_SECONDS="0", HEALTH_PORT="0")
    try:
        worker.wait_for("worker started")
        stack.upload("images/big.jpg", twelve_megapixels(), item_id="2")
        worker.wait_for("job received")
        worker.process.send_signal(signal.SIGTERM)
        assert worker.stop() == 0
    finally:
        worker.stop()
    messages = [entry["message"] for entry in worker.entries]
    assert "job given back to the queue" in messages and "job finished" not in messages
    assert messages[-1] == "worker stopped"
    assert "variants" not in stack.item("2")  # whatever was written, nothing refers to it
    assert stack.messages(stack.queue_url) == (1, 0)  # visible again at once, for the next worker


def test_the_image_carries_the_worker_and_a_pinned_pillow():
    from .test_container import APP_DIR, instructions

    steps = instructions()
    install = next(i for i, (op, value) in enumerate(steps) if op == "RUN" and "pip install" in value)
    assert steps.index(("COPY", "worker/ app/worker/")) > install  # code after the dependency layer
    requirements = (APP_DIR / "requirements.txt").read_text().splitlines()
    pins = [line for line in requirements if line.lower().startswith("pillow")]
    assert len(pins) == 1 and "==" in pins[0], pins
