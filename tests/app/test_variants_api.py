"""The public API's side of the variants: items list the variants made from their current picture, and
/api/images/variants/{name} serves them, cacheable for good."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.worker.worker import Worker

from .conftest import SESSION, make_client, make_settings
from .pictures import Stack, drain, photo


@pytest.fixture(scope="module")
def stack(emulator) -> Stack:
    made = Stack.create(emulator.endpoint_url, SESSION)
    made.put_item("1", "images/plum.jpg")
    made.upload("images/plum.jpg", photo(400, 300), item_id="1")
    drain(Worker(made.settings(), session=SESSION))
    return made


@pytest.fixture(scope="module")
def api(stack) -> Iterator[httpx.Client]:
    with make_client(make_settings(stack.endpoint_url, table_name=stack.table, bucket_name=stack.bucket)) as client:
        yield client


def test_an_item_lists_its_variants_by_type_and_width(api, contract, stack):
    response = api.get("/api/items/1")
    contract.check(response)
    variants = response.json()["variants"]
    recorded = {entry["M"]["key"]["S"] for entry in stack.item("1")["variants"]["M"]["items"]["L"]}
    assert {variant["url"].removeprefix("/api/images/") for variant in variants} == recorded
    assert [(variant["type"], variant["width"], variant["height"]) for variant in variants] == [
        ("image/jpeg", 320, 240), ("image/jpeg", 400, 300), ("image/webp", 320, 240), ("image/webp", 400, 300),
    ]
    assert api.get("/api/items").json()[0]["variants"] == variants


def test_a_variant_is_served_with_its_type_an_etag_and_a_year_of_immutable_caching(api, contract):
    webp = next(v for v in api.get("/api/items/1").json()["variants"] if v["type"] == "image/webp")
    response = api.get(webp["url"])
    contract.check(response)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp" and response.content[8:12] == b"WEBP"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    again = api.get(webp["url"], headers={"If-None-Match": response.headers["etag"]})
    contract.check(again)
    assert again.status_code == 304 and again.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_variants_made_from_another_picture_are_not_offered(api, stack):
    # The item now shows another picture, but still carries the old variants (an item written outside the
    # admin API, which removes them): the page must fall back to the original, not show the old picture.
    dynamodb = stack.clients["dynamodb"]
    old = stack.item("1")
    dynamodb.put_item(TableName=stack.table, Item=old | {"id": {"S": "2"}, "image_key": {"S": "images/other.jpg"}})
    item = api.get("/api/items/2").json()
    assert item["imageUrl"] == "/api/images/other.jpg" and item["variants"] == []


def test_malformed_variant_entries_are_left_out(api, stack):
    good = stack.item("1")["variants"]["M"]["items"]["L"][0]["M"]
    broken = [
        good | {"key": {"S": "variants/../images/plum.jpg"}},
        good | {"key": {"S": "images/plum.jpg"}},
        good | {"format": {"S": "gif"}},
        good | {"width": {"S": "640"}},
        good | {"height": {"N": "0"}},
        {k: v for k, v in good.items() if k != "height"},
    ]
    raw = stack.item("1") | {"id": {"S": "3"}}
    raw["variants"] = {"M": {"source": raw["image_key"], "items": {"L": [{"M": entry} for entry in [*broken, good]]}}}
    stack.clients["dynamodb"].put_item(TableName=stack.table, Item=raw)
    variants = api.get("/api/items/3").json()["variants"]
    assert [variant["url"] for variant in variants] == ["/api/images/" + good["key"]["S"]]


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("plum-0123456789abcdef-640.webp", 404),  # well-formed, not there
        ("plum-0123456789abcdef-640.png", 400),
        ("plum.webp", 400),
        ("..%2Fimages%2Fplum.jpg", 400),
        ("-plum-0123456789abcdef-640.jpg", 400),
        ("a%2Fb-0123456789abcdef-640.jpg", 400),
    ],
)
def test_variant_names_follow_the_workers_pattern_and_nothing_else(api, contract, name, status):
    response = api.get(f"/api/images/variants/{name}")
    contract.check(response)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == ("not_found" if status == 404 else "invalid_image_key")
