"""Fixtures for the app tests: moto's AWS emulator on 127.0.0.1 holding the seed catalogue, an API client
against it, and the OpenAPI contract check every response goes through."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from app.api.catalogue import Catalogue
from app.api.main import create_app
from app.api.settings import Settings
from app.local import LOCAL_REGION, BackgroundServer, Emulator, LocalServer, emulator_session, provision

TABLE = "test-catalogue-items"
BUCKET = "test-catalogue-images"
# One boto3 session for every client the tests make: loading the service models once keeps tests fast.
SESSION = emulator_session()
CHROMIUM = Path("/usr/bin/chromium")


def make_settings(endpoint_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "table_name": TABLE,
        "bucket_name": BUCKET,
        "aws_region": LOCAL_REGION,
        "aws_endpoint_url": endpoint_url,
        "items_cache_seconds": 0,
        "aws_max_attempts": 2,
    }
    return Settings(**(values | overrides))


@contextmanager
def make_client(settings: Settings, catalogue: Catalogue | None = None) -> Iterator[httpx.Client]:
    """The API served by uvicorn on 127.0.0.1, and an HTTP client for it."""
    catalogue = catalogue or Catalogue(settings, session=SESSION)
    with (
        BackgroundServer(create_app(settings, catalogue)) as server,
        httpx.Client(base_url=server.url, timeout=10, trust_env=False) as api,
    ):
        yield api


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto on 127.0.0.1 with the seed table and bucket."""
    with Emulator() as running:
        provision(running.endpoint_url, TABLE, BUCKET)
        yield running


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    """What `make dev` runs, with its emulated user pool and administrator (``.cognito``)."""
    with LocalServer() as local:
        yield local


@pytest.fixture(scope="session")
def local_site(local_server: LocalServer) -> str:
    """What `make dev` serves (emulator, seed, page and API on one origin), at this URL."""
    return local_server.url


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def aws(emulator: Emulator) -> dict[str, Any]:
    return {
        "dynamodb": SESSION.client("dynamodb", endpoint_url=emulator.endpoint_url),
        "s3": SESSION.client("s3", endpoint_url=emulator.endpoint_url),
    }


@pytest.fixture(scope="session")
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with make_client(make_settings(emulator.endpoint_url)) as api:
        yield api


@pytest.fixture
def scratch_table(emulator: Emulator, aws: dict[str, Any]) -> Iterator[str]:
    """A fresh table holding the seed items, for tests that add odd items."""
    name = f"scratch-{uuid.uuid4().hex[:12]}"
    provision(emulator.endpoint_url, name, BUCKET)
    yield name
    aws["dynamodb"].delete_table(TableName=name)


class OpenApiContract:
    """Checks a response against the API's own OpenAPI document: the status is documented for the
    operation, and a JSON body validates against the documented schema."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self._routes = []
        for template, operations in document["paths"].items():
            pattern = re.sub(r"\{[^}]+\}", "(.+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
            # Fewer parameters first, then the longer template: /items/{id}/image before /items/{id}.
            self._routes.append(((template.count("{"), -len(template)), re.compile(f"^{pattern}$"), operations))
        self._routes.sort(key=lambda route: route[0])

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        for _, pattern, operations in self._routes:
            if pattern.match(path) and method.lower() in operations:
                return operations[method.lower()]
        return None

    def check(self, response: httpx.Response) -> None:
        request = response.request
        operation = self.operation(request.method, request.url.path)
        if operation is None:
            # No such route: the body must still be the documented error shape.
            schema: dict[str, Any] = {"$ref": "#/components/schemas/ErrorResponse"}
        else:
            documented = operation["responses"]
            assert str(response.status_code) in documented, (
                f"{request.method} {request.url.path} answered {response.status_code}, "
                f"not documented (documented: {sorted(documented)})"
            )
            content = documented[str(response.status_code)].get("content", {})
            if "application/json" not in content:
                assert not response.headers.get("content-type", "").startswith("application/json"), content
                return
            schema = content["application/json"]["schema"]
        assert response.headers["content-type"].startswith("application/json")
        root = {**schema, "components": self.document["components"]}
        errors = sorted(Draft202012Validator(root).iter_errors(response.json()), key=str)
        assert not errors, f"{request.method} {request.url.path}: {[error.message for error in errors]}"


@pytest.fixture(scope="session")
def contract(emulator: Emulator) -> OpenApiContract:
    with make_client(make_settings(emulator.endpoint_url)) as api:
        return OpenApiContract(api.get("/api/openapi.json").json())


def service_env(*unset: str, prefixes: tuple[str, ...] = ("AWS_",), **extra: str) -> dict[str, str]:
    """The environment to start a service of app/ in: this run's, without its AWS settings (nor any other variable
    starting with one of `prefixes`) and the service's own variables (`unset`), so that `extra` alone configures
    it; no bytecode written."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes) and key not in unset}
    return env | {"PYTHONDONTWRITEBYTECODE": "1"} | extra


def wait_until_healthy(process: subprocess.Popen[bytes], url: str, timeout: float = 15) -> None:
    """Poll `url`/healthz until it answers 200; fail if the process exits or `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, f"{process.args} did not start"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (whose own browsers are never installed)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            timeout=20_000,
        )
        yield browser
        browser.close()
