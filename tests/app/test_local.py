"""`make dev` (python -m app.local): page and API on one origin over the emulator; Ctrl-C stops it all."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.local import FRONTEND_DIR, _port_from_environment

from .pages import check_japanese_page_without_inline_code

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_page_is_japanese_and_has_nothing_inline_a_strict_csp_would_block():
    check_japanese_page_without_inline_code(FRONTEND_DIR / "index.html", FRONTEND_DIR / "app.js")


def test_local_server_serves_page_and_api_on_one_origin_with_the_sites_security_headers(local_site):
    with httpx.Client(base_url=local_site, trust_env=False, timeout=10) as browser:
        page = browser.get("/")
        assert page.status_code == 200 and 'lang="ja"' in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert page.headers["x-content-type-options"] == "nosniff"
        for asset in ("/app.js", "/styles.css", "/favicon.svg"):
            assert browser.get(asset).status_code == 200, asset
        items = browser.get("/api/items").json()
        assert [item["title"] for item in items] == ["バナナ", "リンゴ", "オレンジ"]
        assert browser.get(items[0]["imageUrl"]).headers["content-type"] == "image/jpeg"
        assert browser.get("/readyz").json() == {"status": "ready"}


def test_make_dev_entry_point_serves_and_stops_everything_on_ctrl_c(free_port):
    port = free_port
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")} | {"PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.local"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/items", timeout=2, trust_env=False)
                if response.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() >= deadline:
                # Stopped first: reading the stderr of a process still running would wait for it to end.
                process.kill()
                _, stderr = process.communicate(timeout=15)
                pytest.fail(f"app.local did not serve /api/items within 20 s:\n{stderr.decode()}")
            time.sleep(0.1)
        assert len(response.json()) == 3
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert f"http://127.0.0.1:{port}/" in stderr.decode()
    # The emulated pool's administrator, to sign in to the admin page with.
    assert re.search(
        rf"admin page on http://127\.0\.0\.1:{port}/admin/ — user name 'admin', password '[^']{{12,}}'", stderr.decode()
    ), stderr.decode()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2, trust_env=False)


@pytest.mark.parametrize("value", ["eighty", "0", "70000", "-1"])
def test_make_dev_rejects_a_bad_port(monkeypatch, value):
    monkeypatch.setenv("PORT", value)
    with pytest.raises(SystemExit, match=f"PORT must be a number from 1 to 65535, got '{value}'"):
        _port_from_environment()


def test_the_local_run_turns_seeded_and_new_pictures_into_variants_within_seconds():
    from app.local import LOCAL_BUCKET, LOCAL_QUEUE, LOCAL_TABLE, LocalServer, emulator_session

    from .pictures import photo

    def items(site: httpx.Client) -> dict[str, dict]:
        return {item["id"]: item for item in site.get("/api/items").json()}

    def eventually(condition, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "not within the time allowed"
            time.sleep(0.1)

    with LocalServer() as local, httpx.Client(base_url=local.url, trust_env=False, timeout=10) as site:
        eventually(lambda: all(item["variants"] for item in items(site).values()))  # the seed, at start-up
        session = emulator_session()
        endpoint = local.emulator.endpoint_url
        sqs = session.client("sqs", endpoint_url=endpoint)
        redrive = json.loads(
            sqs.get_queue_attributes(QueueUrl=local.queue_url, AttributeNames=["RedrivePolicy"])["Attributes"][
                "RedrivePolicy"
            ]
        )
        assert redrive["deadLetterTargetArn"].endswith(f":{LOCAL_QUEUE}-dlq") and int(redrive["maxReceiveCount"]) == 3
        # What the admin page does: a new picture under images/ with its item's id, then the item points at it.
        session.client("s3", endpoint_url=endpoint).put_object(
            Bucket=LOCAL_BUCKET, Key="images/banana-2.jpg", Body=photo(1600, 1200), Metadata={"item-id": "1"}
        )
        session.client("dynamodb", endpoint_url=endpoint).update_item(
            TableName=LOCAL_TABLE,
            Key={"id": {"S": "1"}},
            UpdateExpression="SET image_key = :key REMOVE variants",
            ExpressionAttributeValues={":key": {"S": "images/banana-2.jpg"}},
        )
        eventually(lambda: len(items(site)["1"]["variants"]) == 6)
        banana = items(site)["1"]
        assert banana["imageUrl"] == "/api/images/banana-2.jpg"
        assert sorted({variant["width"] for variant in banana["variants"]}) == [320, 640, 1280]
        assert all("/variants/banana-2-" in variant["url"] for variant in banana["variants"])
        assert site.get(banana["variants"][0]["url"]).status_code == 200
