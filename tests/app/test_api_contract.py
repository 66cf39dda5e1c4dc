"""The API's contract against DynamoDB and S3 emulated by moto: items, one item, images, health."""

from __future__ import annotations

import json
import logging
import time

import pytest

from app.api.logs import JsonFormatter
from app.seed import IMAGES_DIR

from .conftest import BUCKET, TABLE, make_client, make_settings

SEED_IMAGE_URLS = ["/api/images/banana.jpg", "/api/images/apple.jpg", "/api/images/orange.jpg"]


def test_items_are_listed_sorted_by_id_with_their_image_urls(client, contract):
    response = client.get("/api/items")
    contract.check(response)
    assert response.status_code == 200
    items = response.json()
    assert [item["id"] for item in items] == ["1", "2", "3"]
    assert [item["title"] for item in items] == ["バナナ", "リンゴ", "オレンジ"]
    assert [item["description"] for item in items] == ["バナナ。", "リンゴ。", "オレンジ。"]
    assert [item["imageUrl"] for item in items] == SEED_IMAGE_URLS


def test_price_is_a_number_whether_stored_as_string_or_number(client, aws):
    stored = {
        item_id: aws["dynamodb"].get_item(TableName=TABLE, Key={"id": {"S": item_id}})["Item"]["price"]
        for item_id in ("1", "2")
    }
    assert stored == {"1": {"S": "100"}, "2": {"N": "150"}}
    prices = [item["price"] for item in client.get("/api/items").json()]
    assert prices == [100, 150, 200]
    assert all(type(price) is int for price in prices)


def test_odd_prices_and_ids_are_normalised(emulator, aws, scratch_table):
    for item_id, price in [("10", {"S": " 12.5 "}), ("4", {"S": "not a price"}), ("apple-x", {"N": "80"})]:
        aws["dynamodb"].put_item(
            TableName=scratch_table,
            Item={"id": {"S": item_id}, "title": {"S": item_id}, "price": price, "description": {"S": ""}},
        )
    with make_client(make_settings(emulator.endpoint_url, table_name=scratch_table)) as api:
        items = api.get("/api/items").json()
    assert [item["id"] for item in items] == ["1", "2", "3", "4", "10", "apple-x"]
    by_id = {item["id"]: item for item in items}
    assert by_id["10"]["price"] == 12.5
    assert by_id["4"]["price"] is None
    assert by_id["apple-x"]["price"] == 80
    assert by_id["4"]["imageUrl"] is None


def test_one_item_by_id(client, contract):
    response = client.get("/api/items/1")
    contract.check(response)
    assert response.status_code == 200
    assert response.json() == {
        "id": "1",
        "title": "バナナ",
        "price": 100,
        "description": "バナナ。",
        "imageUrl": "/api/images/banana.jpg",
        "variants": [],  # no worker runs against this emulator: the page shows the original
    }


def test_unknown_item_is_404_with_json_error(client, contract):
    response = client.get("/api/items/999")
    contract.check(response)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "no item with id 999"}}


@pytest.mark.parametrize("item_id", ["a%20b", "x" * 129, "%E3%83%90", "1;drop"])
def test_malformed_item_id_is_400(client, contract, item_id):
    response = client.get(f"/api/items/{item_id}")
    contract.check(response)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_item_id"


def test_image_is_streamed_with_content_type_etag_and_cache_headers(client, contract):
    response = client.get("/api/images/banana.jpg")
    contract.check(response)
    assert response.status_code == 200
    assert response.content == (IMAGES_DIR / "banana.jpg").read_bytes()
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["etag"].startswith('"')
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "last-modified" in response.headers


def test_image_conditional_get_answers_304_without_body(client, contract):
    etag = client.get("/api/images/apple.jpg").headers["etag"]
    response = client.get("/api/images/apple.jpg", headers={"If-None-Match": etag})
    contract.check(response)
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    changed = client.get("/api/images/apple.jpg", headers={"If-None-Match": '"some-older-version"'})
    assert changed.status_code == 200
    assert changed.content == (IMAGES_DIR / "apple.jpg").read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "%2e%2e%2fsecret.txt",  # ../secret.txt
        "%2e%2e",
        "images%2fbanana.jpg",  # a full key: names are relative to images/
        "other/banana.jpg",
        "a%2f..%2fbanana.jpg",
        ".hidden",
        "banana..jpg",
        "%00banana.jpg",
        "back%5cslash.jpg",
        "sp%20ace.jpg",
        "x" * 129 + ".jpg",
    ],
)
def test_image_key_outside_images_or_malformed_is_400(client, contract, name):
    response = client.get(f"/api/images/{name}")
    contract.check(response)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_image_key"
    assert "banana.jpg" in response.json()["error"]["message"]


def test_missing_image_is_404(client, contract):
    response = client.get("/api/images/durian.jpg")
    contract.check(response)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "no image images/durian.jpg"}}


def test_object_that_is_not_an_image_is_never_served_as_a_page(client, aws):
    aws["s3"].put_object(
        Bucket=BUCKET, Key="images/page.jpg", Body=b"<script>alert(1)</script>", ContentType="text/html"
    )
    response = client.get("/api/images/page.jpg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_healthz_and_readyz(client, contract):
    for path, body in [("/healthz", {"status": "ok"}), ("/readyz", {"status": "ready"})]:
        response = client.get(path)
        contract.check(response)
        assert (response.status_code, response.json()) == (200, body)


def test_unknown_route_and_wrong_method_answer_in_the_error_shape(client):
    missing = client.get("/api/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "no route for GET /api/nothing"}}
    wrong_method = client.post("/api/items", json={})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_items_scan_is_reused_for_the_cache_period(emulator, aws, scratch_table):
    def add_item(item_id: str) -> None:
        aws["dynamodb"].put_item(TableName=scratch_table, Item={"id": {"S": item_id}, "price": {"N": "1"}})

    with make_client(make_settings(emulator.endpoint_url, table_name=scratch_table, items_cache_seconds=60)) as api:
        assert len(api.get("/api/items").json()) == 3
        add_item("7")
        assert len(api.get("/api/items").json()) == 3  # still the cached scan
    with make_client(make_settings(emulator.endpoint_url, table_name=scratch_table, items_cache_seconds=0)) as api:
        assert len(api.get("/api/items").json()) == 4
        add_item("8")
        assert len(api.get("/api/items").json()) == 5


def test_each_request_logs_one_json_line_with_latency(client, caplog):
    with caplog.at_level(logging.INFO, logger="webstack.api.request"):
        client.get("/api/items/2", headers={"X-Amzn-Trace-Id": "Root=1-abc"})
        deadline = time.monotonic() + 2  # the line is written just after the response is sent
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
    lines = [JsonFormatter().format(record) for record in caplog.records if record.name == "webstack.api.request"]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/items/2"
    assert entry["status"] == 200
    assert entry["bytes"] > 0
    assert entry["traceId"] == "Root=1-abc"
    assert isinstance(entry["latencyMs"], float) and entry["latencyMs"] >= 0
