"""When DynamoDB or S3 is down, throttling or misconfigured, the API answers 503 in the error shape after a
bounded number of attempts, and recovers by itself; nothing ever leaks a traceback."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from app.api.catalogue import Catalogue
from app.api.settings import ConfigError, load_settings
from app.local import Emulator

from .conftest import SESSION, make_client, make_settings


def assert_unavailable(response, service: str, contract) -> None:
    assert response.status_code == 503, response.text
    contract.check(response)  # the 503 is documented for the route, with the error schema
    assert response.headers["retry-after"] == "1"
    error = response.json()["error"]
    assert error["code"] == "upstream_unavailable"
    assert service in error["message"]
    assert "Traceback" not in response.text


def test_emulator_outage_gives_503_and_the_api_recovers_when_it_is_back(emulator, contract):
    outage = Emulator().start()  # same data as the session emulator: moto keeps it in this process
    port = outage.port
    settings = make_settings(outage.endpoint_url, aws_max_attempts=1)
    with make_client(settings) as api:
        assert api.get("/api/items").status_code == 200
        outage.stop()
        try:
            assert_unavailable(api.get("/api/items"), "DynamoDB", contract)
            assert_unavailable(api.get("/api/items/1"), "DynamoDB", contract)
            assert_unavailable(api.get("/readyz"), "DynamoDB", contract)
            assert_unavailable(api.get("/api/images/banana.jpg"), "S3", contract)
            assert api.get("/healthz").status_code == 200  # liveness never depends on AWS
        finally:
            restarted = Emulator(port=port).start()
        try:
            assert api.get("/readyz").status_code == 200
            assert [item["id"] for item in api.get("/api/items").json()] == ["1", "2", "3"]
            assert api.get("/api/images/banana.jpg").status_code == 200
        finally:
            restarted.stop()


class _ThrottlingAws(BaseHTTPRequestHandler):
    """Answers like DynamoDB and S3 under throttling, or like a healthy DynamoDB once ``throttling`` is off."""

    throttling = True
    requests: ClassVar[list[str]] = []

    def do_POST(self) -> None:  # DynamoDB: JSON over POST, operation in X-Amz-Target
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        type(self).requests.append(target)
        if type(self).throttling:
            self._send(400, "application/x-amz-json-1.0", {
                "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                "message": "Rate of requests exceeds the allowed throughput.",
            })
        else:
            item = {"id": {"S": "1"}, "title": {"S": "バナナ"}, "price": {"S": "100"},
                    "description": {"S": "バナナ。"}, "image_key": {"S": "images/banana.jpg"}}
            self._send(200, "application/x-amz-json-1.0", {"Items": [item], "Count": 1, "ScannedCount": 1})

    def do_GET(self) -> None:  # S3 GetObject
        type(self).requests.append(f"GET {self.path}")
        body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send(self, status: int, content_type: str, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def throttling_aws() -> Iterator[tuple[str, type[_ThrottlingAws]]]:
    handler = type("Handler", (_ThrottlingAws,), {"requests": [], "throttling": True})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_dynamodb_throttling_is_retried_a_bounded_number_of_times_then_503_then_recovers(throttling_aws, contract):
    endpoint, fake = throttling_aws
    with make_client(make_settings(endpoint, aws_max_attempts=2)) as api:
        assert_unavailable(api.get("/api/items"), "DynamoDB", contract)
        assert fake.requests == ["DynamoDB_20120810.Scan"] * 2
        fake.throttling = False
        response = api.get("/api/items")
    assert response.status_code == 200
    assert response.json()[0]["price"] == 100


def test_s3_slowdown_is_retried_a_bounded_number_of_times_then_503(throttling_aws, contract):
    endpoint, fake = throttling_aws
    with make_client(make_settings(endpoint, aws_max_attempts=2)) as api:
        assert_unavailable(api.get("/api/images/banana.jpg"), "S3", contract)
    assert fake.requests == ["GET /test-catalogue-images/images/banana.jpg"] * 2


def test_missing_table_is_503_not_500(emulator, contract):
    with make_client(make_settings(emulator.endpoint_url, table_name="no-such-table")) as api:
        assert_unavailable(api.get("/api/items"), "DynamoDB", contract)
        assert_unavailable(api.get("/readyz"), "DynamoDB", contract)


class _BrokenCatalogue(Catalogue):
    def list_items(self):  # type: ignore[override]
        raise RuntimeError("secret internal detail")


def test_unexpected_error_is_a_json_500_without_traceback(emulator, caplog, contract):
    settings = make_settings(emulator.endpoint_url)
    with caplog.at_level(logging.ERROR), make_client(settings, _BrokenCatalogue(settings, session=SESSION)) as api:
        response = api.get("/api/items")
    assert response.status_code == 500
    contract.check(response)
    assert response.json() == {"error": {"code": "internal_error", "message": "internal server error"}}
    assert "secret" not in response.text
    logged = [record for record in caplog.records if record.name == "webstack.api"]
    assert logged and logged[0].exc_info is not None  # the operator still gets the traceback, in the log


def test_missing_environment_names_the_variables_to_set(monkeypatch):
    for name in ("TABLE_NAME", "BUCKET_NAME", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "0")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    for expected in ("TABLE_NAME", "BUCKET_NAME", "AWS_REGION", "AWS_MAX_ATTEMPTS", "DynamoDB table"):
        assert expected in message
