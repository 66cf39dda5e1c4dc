"""The seed data: the three items of the sample catalogue and their pictures, loaded from one place."""

from __future__ import annotations

import json

import pytest

from app.seed import IMAGES_DIR, image_objects, load_items


def test_seed_holds_banana_apple_orange_with_bananas_price_as_a_string():
    items = {item["id"]["S"]: item for item in load_items()}
    titles = {key: item["title"]["S"] for key, item in items.items()}
    assert titles == {"1": "バナナ", "2": "リンゴ", "3": "オレンジ"}
    assert items["1"]["price"] == {"S": "100"}
    assert items["2"]["price"] == {"N": "150"}
    assert items["3"]["price"] == {"N": "200"}
    assert {item["image_key"]["S"] for item in items.values()} == {
        "images/banana.jpg",
        "images/apple.jpg",
        "images/orange.jpg",
    }


def test_every_picture_is_a_small_distinct_jpeg_referenced_by_an_item():
    images = image_objects()
    assert {image.key for image in images} == {item["image_key"]["S"] for item in load_items()}
    contents = [image.path.read_bytes() for image in images]
    for image, data in zip(images, contents, strict=True):
        assert image.content_type == "image/jpeg"
        assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9", f"{image.path} is not a JPEG"
        assert 1_000 < len(data) < 30_000, f"{image.path} is {len(data)} bytes"
    assert len(set(contents)) == len(contents)


@pytest.mark.parametrize(
    ("item", "complaint"),
    [
        ({"id": {"N": "1"}, "image_key": {"S": "images/banana.jpg"}}, '"id" must be a DynamoDB string'),
        ({"id": {"S": "1"}, "image_key": {"S": "banana.jpg"}}, '"image_key" must be'),
        ({"id": {"S": "1"}, "image_key": {"S": "images/kiwi.jpg"}}, "has no file in"),
    ],
)
def test_a_broken_seed_file_is_rejected_with_what_to_fix(tmp_path, item, complaint):
    broken = tmp_path / "items.json"
    broken.write_text(json.dumps([item]), encoding="utf-8")
    with pytest.raises(ValueError, match=complaint):
        load_items(broken)
    assert IMAGES_DIR.is_dir()
