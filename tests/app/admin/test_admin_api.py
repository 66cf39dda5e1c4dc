"""The admin API against DynamoDB, S3 and Cognito emulated by moto, with real tokens of the emulated pool:
every route, every error it documents, the conditional writes, and the order of its two-store operations."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import EndpointConnectionError
from PIL import Image

from app.admin.store import AdminStore
from app.local import BackgroundServer, Emulator
from app.seed import IMAGES_DIR

from ..conftest import SESSION
from .conftest import MAX_IMAGE_BYTES, AdminWorld

JPEG = (IMAGES_DIR / "apple.jpg").read_bytes()


def picture(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, format=fmt)
    return out.getvalue()


PNG, WEBP = picture("PNG"), picture("WEBP")


def new_item(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"title": "メロン", "description": "甘い。", "price": 800} | fields
    response = api.post("/api/admin/items", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def upload(api: httpx.Client, item: dict[str, Any], data: bytes, content_type: str = "image/jpeg",
           version: int | None = None) -> httpx.Response:
    etag = f'"{item["version"] if version is None else version}"'
    return api.put(
        f"/api/admin/items/{item['id']}/image", content=data, headers={"Content-Type": content_type, "If-Match": etag}
    )


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    return response.json()["error"]


# --- Reading -----------------------------------------------------------------------------------------


def test_the_list_holds_every_item_with_its_version_and_bananas_string_price_as_a_number(api, admin_contract):
    response = api.get("/api/admin/items")
    admin_contract.check(response)
    assert response.status_code == 200
    seed = {item["id"]: item for item in response.json() if item["id"] in ("1", "2", "3")}
    assert seed["1"] == {
        "id": "1",
        "title": "バナナ",
        "description": "バナナ。",
        "price": 100,
        "imageKey": "images/banana.jpg",
        "imageUrl": "/api/images/banana.jpg",
        "version": 1,
    }
    assert [seed[key]["price"] for key in ("1", "2", "3")] == [100, 150, 200]


def test_one_item_with_its_version_as_etag(api, admin_contract):
    response = api.get("/api/admin/items/2")
    admin_contract.check(response)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    missing = api.get("/api/admin/items/no-such-item")
    admin_contract.check(missing)
    assert missing.status_code == 404
    assert error_of(missing) == {"code": "not_found", "message": "no item with id no-such-item"}


@pytest.mark.parametrize("item_id", ["a%20b", "x" * 129, "%E3%83%90", "1;drop"])
def test_a_malformed_id_in_the_path_is_a_400_naming_it(api, admin_contract, item_id):
    for response in (
        api.get(f"/api/admin/items/{item_id}"),
        api.put(f"/api/admin/items/{item_id}", json={"title": "a", "description": "", "price": 1, "version": 1}),
        api.delete(f"/api/admin/items/{item_id}", headers={"If-Match": '"1"'}),
    ):
        admin_contract.check(response)
        assert response.status_code == 400, response.text
        assert error_of(response)["code"] == "invalid_item_id"
        assert list(error_of(response)["fields"]) == ["item_id"]


# --- Creating ------------------------------------------------------------------------------------------


def test_a_created_item_is_at_version_1_and_shows_on_the_public_api(admin_world, api, admin_contract):
    response = api.post("/api/admin/items", json={"title": "メロン", "description": "夕張。\n甘い。", "price": 800})
    admin_contract.check(response)
    assert response.status_code == 201
    item = response.json()
    assert item | {"id": "x"} == {
        "id": "x",
        "title": "メロン",
        "description": "夕張。\n甘い。",
        "price": 800,
        "imageKey": None,
        "imageUrl": None,
        "version": 1,
    }
    assert response.headers["location"] == f"/api/admin/items/{item['id']}"
    assert response.headers["etag"] == '"1"'
    stored = admin_world.raw(item["id"])
    assert stored["price"] == {"N": "800"} and stored["version"] == {"N": "1"}
    public = httpx.get(f"{admin_world.public_url}/api/items/{item['id']}", trust_env=False).json()
    assert (public["title"], public["price"], public["imageUrl"]) == ("メロン", 800, None)


def test_new_ids_sort_after_the_ones_before(api):
    first, second = new_item(api)["id"], new_item(api)["id"]
    assert first < second


def test_an_item_may_be_created_under_a_chosen_id_once(admin_world, api, admin_contract):
    item_id = f"kiwi-{uuid.uuid4().hex[:6]}"
    assert new_item(api, id=item_id, title="キウイ")["id"] == item_id
    again = api.post("/api/admin/items", json={"id": item_id, "title": "別物", "description": "", "price": 1})
    admin_contract.check(again)
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_exists"
    assert admin_world.raw(item_id)["title"] == {"S": "キウイ"}  # nothing overwritten


VALID = {"title": "メロン", "description": "", "price": 800}
MISSING = object()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": MISSING}, "title"),
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "\u3000"}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "a\nb"}, "title"),
        ({"title": 5}, "title"),
        ({"description": "x" * 1001}, "description"),
        ({"description": "a\x07b"}, "description"),
        ({"description": MISSING}, "description"),
        ({"price": "800"}, "price"),
        ({"price": 800.5}, "price"),
        ({"price": -1}, "price"),
        ({"price": True}, "price"),
        ({"price": None}, "price"),
        ({"price": MISSING}, "price"),
        ({"price": 100_000_000}, "price"),
        ({"price": [800]}, "price"),
        ({"id": "../x"}, "id"),
        ({"id": ".hidden"}, "id"),
        ({"id": ""}, "id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_each_bad_field_is_a_400_naming_that_field_and_nothing_is_written(admin_world, api, admin_contract, change,
                                                                          field):
    body = {key: value for key, value in (VALID | change).items() if value is not MISSING}
    before = admin_world.clients["dynamodb"].scan(TableName=admin_world.table, Select="COUNT")["Count"]
    response = api.post("/api/admin/items", json=body)
    admin_contract.check(response)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert set(error["fields"]) == {field}, error
    assert field in error["message"]
    assert admin_world.clients["dynamodb"].scan(TableName=admin_world.table, Select="COUNT")["Count"] == before


def test_several_bad_fields_are_all_named(api):
    response = api.post("/api/admin/items", json={"title": "", "description": 1, "price": "x"})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"title", "description", "price"}


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b""])
def test_a_body_that_is_not_a_json_object_is_a_400(api, admin_contract, body):
    response = api.post("/api/admin/items", content=body, headers={"Content-Type": "application/json"})
    admin_contract.check(response)
    assert response.status_code == 400, response.text
    assert "body" in error_of(response)["fields"]


def test_a_whole_price_written_with_a_fraction_of_zero_is_that_integer(api):
    # JSON has one number type and JSON Schema counts 800.0 as the integer 800; 800.5 is refused above.
    assert new_item(api, price=800.0)["price"] == 800


def test_a_lone_surrogate_is_refused_as_not_unicode(api):
    response = api.post(
        "/api/admin/items", content=b'{"title": "a\\ud800", "description": "", "price": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"title"}


# --- Updating ------------------------------------------------------------------------------------------


def test_an_update_based_on_the_current_version_succeeds_and_increments_it(admin_world, api, admin_contract):
    item = new_item(api)
    response = api.put(
        f"/api/admin/items/{item['id']}", json={"title": "赤肉メロン", "description": "", "price": 900, "version": 1}
    )
    admin_contract.check(response)
    assert response.status_code == 200, response.text
    assert response.json() | {"id": None} == item | {"id": None, "title": "赤肉メロン", "description": "", "price": 900,
                                                     "version": 2}
    assert response.headers["etag"] == '"2"'
    assert admin_world.raw(item["id"])["version"] == {"N": "2"}


def test_a_stale_update_is_a_409_and_overwrites_nothing(admin_world, api, admin_contract):
    item = new_item(api)
    first = {"title": "一人目", "description": "", "price": 1, "version": 1}
    assert api.put(f"/api/admin/items/{item['id']}", json=first).status_code == 200
    stale = api.put(f"/api/admin/items/{item['id']}", json={**first, "title": "二人目"})
    admin_contract.check(stale)
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "version_conflict"
    assert "is at version 2, not 1" in error_of(stale)["message"]
    stored = admin_world.raw(item["id"])
    assert stored["title"] == {"S": "一人目"} and stored["version"] == {"N": "2"}


def test_updating_an_unknown_item_is_a_404_and_creates_nothing(admin_world, api, admin_contract):
    response = api.put("/api/admin/items/ghost-item", json={"title": "a", "description": "", "price": 1, "version": 1})
    admin_contract.check(response)
    assert response.status_code == 404
    assert admin_world.raw("ghost-item") is None


@pytest.mark.parametrize(("change", "field"), [({"version": None}, "version"), ({"version": "1"}, "version"),
                                               ({"version": -1}, "version"), ({"price": 1.5}, "price")])
def test_an_update_with_a_bad_field_is_a_400_naming_it(api, change, field):
    item = new_item(api)
    body = {"title": "a", "description": "", "price": 1, "version": 1} | change
    body = {key: value for key, value in body.items() if value is not None}
    response = api.put(f"/api/admin/items/{item['id']}", json=body)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {field}


def test_an_item_from_before_versions_counts_as_version_0_and_a_string_price_becomes_a_number(admin_world, api):
    legacy = f"legacy-{uuid.uuid4().hex[:6]}"
    admin_world.clients["dynamodb"].put_item(
        TableName=admin_world.table,
        Item={"id": {"S": legacy}, "title": {"S": "古い"}, "price": {"S": "120"}, "description": {"S": ""}},
    )
    listed = api.get(f"/api/admin/items/{legacy}").json()
    assert (listed["version"], listed["price"]) == (0, 120)
    assert api.put(f"/api/admin/items/{legacy}", json={"title": "古い", "description": "", "price": 130,
                                                       "version": 1}).status_code == 409
    response = api.put(f"/api/admin/items/{legacy}", json={"title": "古い", "description": "", "price": 130,
                                                           "version": 0})
    assert response.status_code == 200 and response.json()["version"] == 1
    assert admin_world.raw(legacy)["price"] == {"N": "130"}


# --- Pictures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "content_type", "extension"),
                         [(JPEG, "image/jpeg", "jpg"), (PNG, "image/png", "png"), (WEBP, "image/webp", "webp")],
                         ids=["jpeg", "png", "webp"])
def test_a_picture_is_stored_under_a_fresh_key_with_its_type_and_item_id(admin_world, api, admin_contract, data,
                                                                         content_type, extension):
    item = new_item(api)
    response = upload(api, item, data, content_type)
    admin_contract.check(response)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["version"] == 2 and response.headers["etag"] == '"2"'
    key = updated["imageKey"]
    assert key.startswith("images/") and key.endswith(f".{extension}") and len(key) == len("images/") + 33 + len(
        extension)
    assert updated["imageUrl"] == "/api/" + key
    stored = admin_world.clients["s3"].get_object(Bucket=admin_world.bucket, Key=key)
    assert stored["Body"].read() == data
    assert stored["ContentType"] == content_type
    assert stored["Metadata"] == {"item-id": item["id"]}
    served = httpx.get(admin_world.public_url + updated["imageUrl"], trust_env=False)
    assert served.status_code == 200 and served.content == data


def test_replacing_a_picture_removes_the_variants_and_deletes_the_old_objects(admin_world, api):
    item = new_item(api)
    old = upload(api, item, JPEG).json()
    s3, dynamodb = admin_world.clients["s3"], admin_world.clients["dynamodb"]
    variant_keys = [f"variants/{old['id']}-0123456789abcdef-{width}.webp" for width in (320, 640)]
    for key in variant_keys:
        s3.put_object(Bucket=admin_world.bucket, Key=key, Body=b"RIFF....WEBP")
    variants = {"M": {"source": {"S": old["imageKey"]}, "items": {"L": [
        {"M": {"key": {"S": key}, "width": {"N": "320"}, "format": {"S": "webp"}}} for key in variant_keys]}}}
    dynamodb.update_item(TableName=admin_world.table, Key={"id": {"S": old["id"]}},
                         UpdateExpression="SET variants = :v", ExpressionAttributeValues={":v": variants})
    new = upload(api, old, PNG, "image/png").json()
    assert new["version"] == 3 and new["imageKey"] != old["imageKey"]
    assert "variants" not in admin_world.raw(old["id"])
    remaining = admin_world.object_keys()
    assert new["imageKey"] in remaining
    assert old["imageKey"] not in remaining
    assert not remaining & set(variant_keys)


def test_a_stale_upload_is_a_409_and_leaves_no_object_behind(admin_world, api, admin_contract):
    item = new_item(api)
    before = admin_world.object_keys("images/")
    response = upload(api, item, JPEG, version=7)
    admin_contract.check(response)
    assert response.status_code == 409
    assert admin_world.object_keys("images/") == before
    assert "image_key" not in admin_world.raw(item["id"])


def test_an_upload_that_loses_a_race_deletes_its_object_and_changes_nothing(admin_world, api):
    """Another admin saves between the upload's read and its conditional write: the write is refused and
    the object just uploaded is deleted again."""
    item = new_item(api)
    store: AdminStore = admin_world.store
    before = admin_world.object_keys("images/")

    def someone_else_saves(**_kwargs: Any) -> None:
        admin_world.clients["dynamodb"].update_item(
            TableName=admin_world.table, Key={"id": {"S": item["id"]}},
            UpdateExpression="SET title = :t, version = :v",
            ExpressionAttributeValues={":t": {"S": "先に保存"}, ":v": {"N": "2"}},
        )

    events = store._dynamodb.meta.events
    events.register_first("before-call.dynamodb.UpdateItem", someone_else_saves, unique_id="race")
    try:
        response = upload(api, item, JPEG)
    finally:
        events.unregister("before-call.dynamodb.UpdateItem", unique_id="race")
    assert response.status_code == 409, response.text
    assert admin_world.object_keys("images/") == before
    stored = admin_world.raw(item["id"])
    assert stored["title"] == {"S": "先に保存"} and "image_key" not in stored


def test_a_picture_for_an_unknown_item_is_a_404_and_stores_nothing(admin_world, api, admin_contract):
    before = admin_world.object_keys("images/")
    response = upload(api, {"id": "ghost-item", "version": 1}, JPEG)
    admin_contract.check(response)
    assert response.status_code == 404
    assert admin_world.object_keys("images/") == before


@pytest.mark.parametrize("content_type", ["image/gif", "text/html", "image/svg+xml", "application/octet-stream", ""])
def test_an_unsupported_content_type_is_a_415(api, admin_contract, content_type):
    item = new_item(api)
    response = upload(api, item, JPEG, content_type)
    admin_contract.check(response)
    assert response.status_code == 415, response.text
    assert error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (PNG, "image/jpeg"),
        (JPEG, "image/png"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "image/webp"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png"),
        (b"GIF89a" + b"\x00" * 20, "image/jpeg"),
        (b"", "image/jpeg"),
    ],
    ids=["png-as-jpeg", "jpeg-as-png", "wave-as-webp", "svg-as-png", "gif-as-jpeg", "empty"],
)
def test_bytes_that_are_not_the_declared_type_are_a_400(admin_world, api, admin_contract, data, content_type):
    item = new_item(api)
    before = admin_world.object_keys("images/")
    response = upload(api, item, data, content_type)
    admin_contract.check(response)
    assert response.status_code == 400, response.text
    assert error_of(response)["code"] == "invalid_image"
    assert admin_world.object_keys("images/") == before


def test_a_picture_over_the_limit_is_a_413_whether_announced_or_streamed(admin_world, api, admin_contract):
    item = new_item(api)
    before = admin_world.object_keys("images/")
    too_big = b"\xff\xd8\xff" + b"\x00" * MAX_IMAGE_BYTES
    announced = upload(api, item, too_big)
    admin_contract.check(announced)
    assert announced.status_code == 413
    assert error_of(announced)["code"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        for _ in range(2 * MAX_IMAGE_BYTES // 8192):
            yield b"\xff\xd8\xff" + b"\x00" * 8189

    streamed = api.put(f"/api/admin/items/{item['id']}/image", content=chunks(),
                       headers={"Content-Type": "image/jpeg", "If-Match": '"1"'})
    assert streamed.status_code == 413
    assert admin_world.object_keys("images/") == before
    exactly = upload(api, item, b"\xff\xd8\xff" + b"\x00" * (MAX_IMAGE_BYTES - 3))
    assert exactly.status_code == 200, "the limit itself is allowed"


@pytest.mark.parametrize("if_match", [None, "", "W/\"1\"", "\"1", "one", "\"1\", \"2\"", "*"])
def test_an_upload_or_delete_without_a_valid_if_match_is_a_400_naming_it(api, admin_contract, if_match):
    item = new_item(api)
    headers = {"Content-Type": "image/jpeg"} | ({"If-Match": if_match} if if_match is not None else {})
    for response in (
        api.put(f"/api/admin/items/{item['id']}/image", content=JPEG, headers=headers),
        api.delete(f"/api/admin/items/{item['id']}", headers=headers),
    ):
        admin_contract.check(response)
        assert response.status_code == 400, response.text
        assert list(error_of(response)["fields"]) == ["If-Match"]


def test_if_match_may_be_a_bare_number(api):
    item = new_item(api)
    response = api.put(f"/api/admin/items/{item['id']}/image", content=JPEG,
                       headers={"Content-Type": "image/jpeg", "If-Match": "1"})
    assert response.status_code == 200


# --- Deleting ------------------------------------------------------------------------------------------


def test_delete_removes_the_item_then_its_picture_and_variants(admin_world, api, admin_contract):
    item = upload(api, new_item(api), JPEG).json()
    variant = f"variants/{item['id']}-0123456789abcdef-320.webp"
    admin_world.clients["s3"].put_object(Bucket=admin_world.bucket, Key=variant, Body=b"x")
    admin_world.clients["dynamodb"].update_item(
        TableName=admin_world.table, Key={"id": {"S": item["id"]}}, UpdateExpression="SET variants = :v",
        ExpressionAttributeValues={":v": {"M": {"source": {"S": item["imageKey"]}, "items": {"L": [
            {"M": {"key": {"S": variant}, "width": {"N": "320"}, "format": {"S": "webp"}}}]}}}},
    )
    calls: list[str] = []
    store: AdminStore = admin_world.store

    def note(event_name: str, **_kwargs: Any) -> None:
        calls.append(event_name.rsplit(".", 1)[-1])

    for client in (store._dynamodb, store._s3):
        client.meta.events.register("before-call", note, unique_id="order")
    try:
        response = api.delete(f"/api/admin/items/{item['id']}", headers={"If-Match": '"2"'})
    finally:
        for client in (store._dynamodb, store._s3):
            client.meta.events.unregister("before-call", unique_id="order")
    admin_contract.check(response)
    assert response.status_code == 204 and response.content == b""
    assert calls == ["DeleteItem", "DeleteObject", "DeleteObject"]
    assert admin_world.raw(item["id"]) is None
    assert not admin_world.object_keys() & {item["imageKey"], variant}
    assert httpx.get(f"{admin_world.public_url}/api/items/{item['id']}", trust_env=False).status_code == 404
    again = api.delete(f"/api/admin/items/{item['id']}", headers={"If-Match": '"2"'})
    assert again.status_code == 404


def test_a_stale_delete_is_a_409_and_keeps_the_item_and_its_picture(admin_world, api, admin_contract):
    item = upload(api, new_item(api), JPEG).json()
    response = api.delete(f"/api/admin/items/{item['id']}", headers={"If-Match": '"1"'})
    admin_contract.check(response)
    assert response.status_code == 409
    assert error_of(response)["code"] == "version_conflict"
    assert admin_world.raw(item["id"]) is not None
    assert item["imageKey"] in admin_world.object_keys()


def test_when_s3_fails_after_the_item_is_deleted_the_objects_stay_as_logged_orphans(admin_world, api, caplog):
    item = upload(api, new_item(api), JPEG).json()
    store: AdminStore = admin_world.store

    def s3_down(**_kwargs: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://s3.test")

    store._s3.meta.events.register_first("before-call.s3.DeleteObject", s3_down, unique_id="down")
    try:
        with caplog.at_level(logging.WARNING, logger="webstack.admin.store"):
            response = api.delete(f"/api/admin/items/{item['id']}", headers={"If-Match": '"2"'})
    finally:
        store._s3.meta.events.unregister("before-call.s3.DeleteObject", unique_id="down")
    assert response.status_code == 204
    assert admin_world.raw(item["id"]) is None  # no item points at anything
    assert item["imageKey"] in admin_world.object_keys()  # the orphan
    assert any(getattr(record, "fields", {}).get("key") == item["imageKey"] for record in caplog.records)


# --- Tokens, over the real emulated pool ---------------------------------------------------------------


def test_the_pools_id_token_is_refused_and_a_member_who_is_not_an_admin_is_forbidden(admin_world, admin_contract):
    with admin_world.client(admin_world.id_token) as with_id_token:
        response = with_id_token.get("/api/admin/items")
        admin_contract.check(response)
        assert response.status_code == 401
    with admin_world.client(admin_world.member_token) as member:
        for response in (member.get("/api/admin/items"), member.post("/api/admin/items", json=VALID),
                         member.delete("/api/admin/items/1", headers={"If-Match": '"1"'})):
            admin_contract.check(response)
            assert response.status_code == 403
    assert admin_world.raw("1") is not None


def test_each_write_logs_who_made_it(admin_world, api, caplog):
    with caplog.at_level(logging.INFO, logger="webstack.admin"):
        item = new_item(api)
        api.delete(f"/api/admin/items/{item['id']}", headers={"If-Match": '"1"'})
    lines = [(record.getMessage(), getattr(record, "fields", {})) for record in caplog.records
             if record.name == "webstack.admin"]
    assert ("item created", {"itemId": item["id"], "version": 1, "admin": admin_world.cognito.username}) in lines
    assert ("item deleted", {"itemId": item["id"], "version": 1, "admin": admin_world.cognito.username}) in lines


def test_unsupported_methods_are_405_with_every_allowed_method(api):
    response = api.patch("/api/admin/items/1", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PUT"
    assert error_of(response)["code"] == "method_not_allowed"


# --- Outages -------------------------------------------------------------------------------------------


def test_aws_unavailable_is_a_503_on_every_route_and_the_api_recovers(admin_world, outage_client):
    api, outage, port = outage_client
    item = new_item(api)
    outage.stop()
    try:
        for response in (
            api.get("/api/admin/items"),
            api.get(f"/api/admin/items/{item['id']}"),
            api.post("/api/admin/items", json=VALID),
            api.put(f"/api/admin/items/{item['id']}", json={**VALID, "version": 1}),
            upload(api, item, JPEG),
            api.delete(f"/api/admin/items/{item['id']}", headers={"If-Match": '"1"'}),
        ):
            assert response.status_code == 503, response.text
            assert error_of(response)["code"] == "upstream_unavailable"
            assert response.headers["retry-after"] == "1"
        assert api.get("/healthz").status_code == 200
    finally:
        restarted = Emulator(port=port).start()
    try:
        assert api.get(f"/api/admin/items/{item['id']}").json()["version"] == 1  # nothing half-written
        assert api.delete(f"/api/admin/items/{item['id']}", headers={"If-Match": '"1"'}).status_code == 204
    finally:
        restarted.stop()


@pytest.fixture
def outage_client(admin_world: AdminWorld) -> Iterator[tuple[httpx.Client, Emulator, int]]:
    """The admin API over a second emulator on its own port (moto keeps one state per process, so it
    serves the same pool, table and bucket), which the test stops and starts again."""
    outage = Emulator().start()
    port = outage.port
    settings = admin_world.settings.model_copy(
        update={"aws_endpoint_url": outage.endpoint_url, "cognito_endpoint_url": outage.endpoint_url,
                "aws_max_attempts": 1}
    )
    try:
        with (
            BackgroundServer(_admin_app(settings)) as server,
            httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {admin_world.admin_token}"},
                         timeout=20, trust_env=False) as client,
        ):
            assert client.get("/api/admin/items").status_code == 200  # the pool's keys are cached from here
            yield client, outage, port
    finally:
        outage.stop()


def _admin_app(settings: Any) -> Any:
    from app.admin.main import create_app

    return create_app(settings, AdminStore(settings, session=SESSION))


def test_the_document_lists_every_route_with_patterns_and_errors(admin_world):
    document = httpx.get(f"{admin_world.url}/api/admin/openapi.json", trust_env=False).json()
    assert set(document["paths"]) == {
        "/healthz",
        "/api/admin/items",
        "/api/admin/items/{item_id}",
        "/api/admin/items/{item_id}/image",
    }
    expected = {
        ("get", "/api/admin/items"): {"200", "401", "403", "500", "503"},
        ("post", "/api/admin/items"): {"201", "400", "401", "403", "409", "500", "503"},
        ("get", "/api/admin/items/{item_id}"): {"200", "400", "401", "403", "404", "500", "503"},
        ("put", "/api/admin/items/{item_id}"): {"200", "400", "401", "403", "404", "409", "500", "503"},
        ("delete", "/api/admin/items/{item_id}"): {"204", "400", "401", "403", "404", "409", "500", "503"},
        ("put", "/api/admin/items/{item_id}/image"): {"200", "400", "401", "403", "404", "409", "413", "415", "500",
                                                      "503"},
    }
    for (method, path), statuses in expected.items():
        operation = document["paths"][path][method]
        assert set(operation["responses"]) == statuses, (method, path)
        assert operation["security"] == [{"CognitoAccessToken": []}]
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "item_id":
                assert parameter["schema"] | {"title": None} == {
                    "type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9._~-]{1,128}$",
                    "title": None, "description": "1-128 characters of A-Z a-z 0-9 . _ ~ -"}
            if parameter["name"] == "If-Match":
                assert parameter["required"] and parameter["schema"]["pattern"]
    image_body = document["paths"]["/api/admin/items/{item_id}/image"]["put"]["requestBody"]["content"]
    assert set(image_body) == {"image/jpeg", "image/png", "image/webp"}
    scheme = document["components"]["securitySchemes"]["CognitoAccessToken"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert "422" not in json.dumps(document["paths"])
