"""The worker (app.worker) against the emulator: S3's ObjectCreated notification puts each upload under
images/ on the queue (moto delivers it as S3 does), the worker writes the variants and records them on the
item. Each test has its own table, bucket, queue and dead-letter queue (redrive after 2 receives)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from PIL import Image

from app.seed import ITEM_ID_METADATA as SEED_ITEM_ID_METADATA
from app.worker.pipeline import CACHE_CONTROL, PIPELINE_VERSION, content_digest, render_variants, target_widths
from app.worker.worker import ITEM_ID_METADATA, Worker

from .conftest import SESSION
from .pictures import (
    BLUE,
    CAMERA_MAKE,
    CAMERA_MODEL,
    RED,
    XMP_SECRET,
    Stack,
    drain,
    jpeg_claiming,
    metadata_segments,
    photo,
    srgb_profile,
    swapped_primaries_profile,
)


@pytest.fixture
def stack(emulator) -> Iterator[Stack]:
    yield Stack.create(emulator.endpoint_url, SESSION)


@pytest.fixture
def worker_log(caplog) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="webstack.worker")
    return caplog


def fields_of(log: pytest.LogCaptureFixture, message: str) -> list[dict]:
    return [getattr(record, "fields", {}) for record in log.records if record.getMessage().startswith(message)]


def close_to(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 40 for a, b in zip(colour[:3], expected, strict=True))


def test_an_upload_becomes_upright_stripped_variants_recorded_on_its_item(stack, worker_log):
    # Stored 1600x1200 with EXIF orientation 6 (turn 90° clockwise to view): upright it is 1200x1600,
    # red on top. It carries GPS, camera and XMP metadata and an ICC profile.
    original = photo(1600, 1200, orientation=6, phone_metadata=True, icc=srgb_profile())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS is really in there
    stack.put_item("7", "images/IMG 0042.jpg", version=4)
    stack.upload("images/IMG 0042.jpg", original, item_id="7")

    assert drain(Worker(stack.settings(), session=SESSION)) == 2  # S3's test event, then the upload
    assert stack.messages(stack.queue_url) == (0, 0)
    assert fields_of(worker_log, "test event from S3 deleted")

    item = stack.item("7")
    assert item["version"] == {"N": "4"} and item["image_key"] == {"S": "images/IMG 0042.jpg"}
    recorded = item["variants"]["M"]
    assert recorded["source"] == {"S": "images/IMG 0042.jpg"}
    entries = [
        {name: next(iter(value.values())) for name, value in entry["M"].items()} for entry in recorded["items"]["L"]
    ]
    digest = content_digest(original)
    # Never wider than the upright original (1200), each width as WebP and JPEG.
    assert [(entry["width"], entry["format"]) for entry in entries] == [
        ("320", "webp"), ("320", "jpeg"), ("640", "webp"), ("640", "jpeg"), ("1200", "webp"), ("1200", "jpeg"),
    ]
    assert [entry["key"] for entry in entries][:2] == [
        f"variants/IMG-0042-{digest}-320.webp",
        f"variants/IMG-0042-{digest}-320.jpg",
    ]
    assert stack.variant_keys() == sorted(entry["key"] for entry in entries)
    for entry in entries:
        stored = stack.clients["s3"].get_object(Bucket=stack.bucket, Key=entry["key"])
        body = stored["Body"].read()
        assert stored["CacheControl"] == "public, max-age=31536000, immutable" == CACHE_CONTROL
        assert stored["ContentType"] == {"webp": "image/webp", "jpeg": "image/jpeg"}[entry["format"]]
        picture = Image.open(io.BytesIO(body))
        assert picture.format == entry["format"].upper()
        width = int(entry["width"])
        assert picture.size == (width, int(entry["height"])) == (width, round(width * 1600 / 1200))
        rgb = picture.convert("RGB")
        assert close_to(rgb.getpixel((width // 2, picture.height // 4)), RED), "orientation not applied"
        assert close_to(rgb.getpixel((width // 2, picture.height * 3 // 4)), BLUE), "orientation not applied"
        assert metadata_segments(body) == [], entry["key"]
        assert not picture.getexif() and "icc_profile" not in picture.info and "xmp" not in picture.info
        for secret in (CAMERA_MAKE, CAMERA_MODEL, XMP_SECRET):
            assert secret.encode() not in body
    finished = fields_of(worker_log, "job finished")[-1]
    assert finished["records"][0]["outcome"] == "done" and finished["records"][0]["itemId"] == "7"


def test_the_worker_and_the_seed_agree_on_the_item_id_metadata():
    assert ITEM_ID_METADATA == SEED_ITEM_ID_METADATA == "item-id"


def test_a_redelivered_job_writes_the_same_keys_and_leaves_the_same_item(stack):
    stack.put_item("1", "images/pear.jpg")
    stack.upload("images/pear.jpg", photo(900, 600), item_id="1")
    first = Worker(stack.settings(), session=SESSION)
    # Keep a copy of the upload's message before the worker deletes it: SQS may deliver it again.
    drain_test_event(stack, first)
    job = stack.clients["sqs"].receive_message(QueueUrl=stack.queue_url, VisibilityTimeout=0)["Messages"][0]
    drain(first)
    item, keys = stack.item("1"), stack.variant_keys()
    modified = {key: head(stack, key)["LastModified"] for key in keys}

    # Delivered again, to a fresh worker (nothing remembered in memory): same keys, same item, objects
    # already there are left as they are.
    stack.clients["sqs"].send_message(QueueUrl=stack.queue_url, MessageBody=job["Body"])
    assert drain(Worker(stack.settings(), session=SESSION)) == 1
    assert stack.item("1") == item
    assert stack.variant_keys() == keys and len(keys) == 6
    assert {key: head(stack, key)["LastModified"] for key in keys} == modified
    assert stack.messages(stack.queue_url) == (0, 0)


def drain_test_event(stack: Stack, worker: Worker) -> None:
    message = stack.clients["sqs"].receive_message(QueueUrl=stack.queue_url, VisibilityTimeout=0)["Messages"][0]
    assert json.loads(message["Body"])["Event"] == "s3:TestEvent"
    worker.handle(message)


def head(stack: Stack, key: str) -> dict:
    return stack.clients["s3"].head_object(Bucket=stack.bucket, Key=key)


def test_a_poison_message_reaches_the_dead_letter_queue_after_the_retries(stack, worker_log):
    stack.clients["sqs"].send_message(QueueUrl=stack.queue_url, MessageBody="{not json")
    drain(Worker(stack.settings(), session=SESSION))
    assert stack.messages(stack.queue_url) == (0, 0)
    assert stack.dead_letters() == ["{not json"]
    failures = fields_of(worker_log, "job failed and cannot succeed")
    assert [failure["receiveCount"] for failure in failures] == [1, 2]  # maxReceiveCount 2, then the DLQ
    assert all(failure["reason"] == "the message is not an S3 event notification" for failure in failures)


def test_a_corrupt_picture_goes_to_the_dead_letter_queue_and_the_item_keeps_its_original(stack, worker_log):
    stack.put_item("3", "images/broken.jpg")
    whole = photo(800, 600)
    stack.upload("images/broken.jpg", whole[: len(whole) // 2], item_id="3")  # a JPEG cut in half
    drain(Worker(stack.settings(), session=SESSION))
    item = stack.item("3")
    assert item["image_key"] == {"S": "images/broken.jpg"} and "variants" not in item
    assert stack.variant_keys() == []
    [dead] = stack.dead_letters()
    assert json.loads(dead)["Records"][0]["s3"]["object"]["key"] == "images%2Fbroken.jpg"
    reasons = [failure["reason"] for failure in fields_of(worker_log, "job failed and cannot succeed")]
    assert len(reasons) == 2 and all("cannot decode the picture" in reason for reason in reasons), reasons


@pytest.mark.parametrize(
    ("picture", "max_pixels", "complaint"),
    [
        # A 60000x60000 header: 3.6 gigapixels claimed by a file of a few hundred bytes.
        (jpeg_claiming(60000, 60000), 50_000_000, "decompression bomb"),
        # A real picture just over a lowered limit: refused before it is decoded, too.
        (photo(1100, 1000), 1_000_000, "decompression bomb"),
    ],
    ids=["60000x60000-header", "over-a-lowered-limit"],
)
# As app.worker.pipeline sets it for the process (pytest resets warning filters for each test).
@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_a_picture_with_too_many_pixels_is_refused(stack, worker_log, picture, max_pixels, complaint):
    stack.put_item("9", "images/bomb.jpg")
    stack.upload("images/bomb.jpg", picture, item_id="9")
    drain(Worker(stack.settings(max_pixels=max_pixels), session=SESSION))
    assert "variants" not in stack.item("9") and stack.variant_keys() == []
    assert len(stack.dead_letters()) == 1
    reasons = [failure["reason"] for failure in fields_of(worker_log, "job failed and cannot succeed")]
    assert reasons and all(complaint in reason for reason in reasons), reasons


def test_the_pixel_limit_holds_even_if_pillows_own_is_lifted(monkeypatch):
    from app.worker import pipeline

    # _decode sets Pillow's limit; if something lifts it after that, the explicit check still refuses.
    monkeypatch.setattr(pipeline.Image, "_decompression_bomb_check", lambda *_args, **_kwargs: None)
    with pytest.raises(pipeline.PermanentImageError, match="decompression bomb: 1100x1000 is 1100000 pixels, over"):
        list(render_variants(photo(1100, 1000), "images/x.jpg", max_pixels=1_000_000))


def test_a_stale_job_after_a_newer_upload_records_nothing(stack, worker_log):
    stack.put_item("5", "images/old.jpg")
    stack.upload("images/old.jpg", photo(700, 500), item_id="5")
    stack.upload("images/new.jpg", photo(500, 700), item_id="5")
    stack.point_item_at("5", "images/new.jpg")  # the newer upload wins before the worker gets to the old one
    drain(Worker(stack.settings(), session=SESSION))
    item = stack.item("5")
    assert item["variants"]["M"]["source"] == {"S": "images/new.jpg"}
    widths = [int(entry["M"]["width"]["N"]) for entry in item["variants"]["M"]["items"]["L"]]
    assert widths == [320, 320, 500, 500]
    outcomes = [record["outcome"] for job in fields_of(worker_log, "job finished") for record in job.get("records", [])]
    assert sorted(outcomes) == ["done", "stale"]
    assert stack.messages(stack.queue_url) == (0, 0) and stack.dead_letters() == []


def test_an_upload_the_item_does_not_point_at_yet_is_retried_until_it_does(stack, worker_log):
    # The admin API stores the picture first and points the item at it next: the job may come first.
    stack.put_item("6", "images/before.jpg")
    stack.upload("images/after.jpg", photo(640, 480), item_id="6")
    worker = Worker(stack.settings(pending_grace_seconds=60), session=SESSION)
    drain_test_event(stack, worker)
    assert worker.poll_once(wait_seconds=0) == 1
    assert "variants" not in stack.item("6")
    assert fields_of(worker_log, "job will be retried")[-1]["records"][0]["outcome"] == "pending"
    stack.point_item_at("6", "images/after.jpg")
    drain(worker)
    assert stack.item("6")["variants"]["M"]["source"] == {"S": "images/after.jpg"}
    assert stack.messages(stack.queue_url) == (0, 0)


def test_an_overwritten_or_deleted_original_is_a_stale_job(stack, worker_log):
    stack.put_item("8", "images/same.jpg")
    stack.upload("images/same.jpg", photo(400, 300), item_id="8")
    stack.upload("images/same.jpg", photo(300, 400), item_id="8")  # same key, new content: two events
    stack.upload("images/gone.jpg", photo(400, 300), item_id="8")
    stack.clients["s3"].delete_object(Bucket=stack.bucket, Key="images/gone.jpg")
    drain(Worker(stack.settings(), session=SESSION))
    reasons = [record["reason"] for job in fields_of(worker_log, "job finished") for record in job.get("records", [])]
    assert "images/same.jpg was overwritten after this event" in reasons
    assert any(reason.startswith("images/gone.jpg is gone") for reason in reasons)
    # Only the newer content at images/same.jpg (300 wide) became variants.
    widths = [int(entry["M"]["width"]["N"]) for entry in stack.item("8")["variants"]["M"]["items"]["L"]]
    assert widths == [300, 300]


def test_a_message_with_several_records_handles_each(stack):
    stack.put_item("a", "images/a.jpg")
    stack.put_item("b", "images/b.jpg")
    stack.upload("images/a.jpg", photo(400, 300), item_id="a")
    stack.upload("images/b.jpg", photo(400, 300), item_id="b")
    sqs = stack.clients["sqs"]
    received = sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10)["Messages"]
    bodies = [json.loads(message["Body"]) for message in received]
    records = [record for body in bodies for record in body.get("Records", [])]
    assert len(records) == 2
    removal = {"bucket": {"name": stack.bucket}, "object": {"key": "images/a.jpg"}}
    records.append({"eventName": "ObjectRemoved:Delete", "s3": removal})  # not an upload: left alone
    sqs.purge_queue(QueueUrl=stack.queue_url)
    sqs.send_message(QueueUrl=stack.queue_url, MessageBody=json.dumps({"Records": records}))
    assert drain(Worker(stack.settings(), session=SESSION)) == 1
    assert stack.item("a")["variants"]["M"]["source"] == {"S": "images/a.jpg"}
    assert stack.item("b")["variants"]["M"]["source"] == {"S": "images/b.jpg"}
    assert stack.messages(stack.queue_url) == (0, 0)


def test_an_original_without_an_item_id_is_left_alone(stack, worker_log):
    stack.upload("images/stray.jpg", photo(400, 300), item_id=None)
    drain(Worker(stack.settings(), session=SESSION))
    assert stack.variant_keys() == [] and stack.messages(stack.queue_url) == (0, 0) and stack.dead_letters() == []
    [job] = [job for job in fields_of(worker_log, "job finished") if job.get("records")]
    assert job["records"][0] == {
        "outcome": "ignored",
        "reason": f"the original has no {ITEM_ID_METADATA} metadata",
        "key": "images/stray.jpg",
        "eTag": job["records"][0]["eTag"],
        "sequencer": None,
    }


def test_variant_keys_change_with_the_content_and_the_pipeline_version():
    one, other = photo(400, 300), photo(401, 300)
    assert content_digest(one) == content_digest(one) != content_digest(other)
    assert len(content_digest(one)) == 16 and PIPELINE_VERSION >= 1
    assert target_widths(4032) == [320, 640, 1280] and target_widths(500) == [320, 500] and target_widths(200) == [200]


def test_transparency_survives_in_webp_and_is_flattened_on_white_in_jpeg():
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (0, 0, 200, 300))
    out = io.BytesIO()
    image.save(out, "PNG")
    renditions = {(r.width, r.format): r for r in render_variants(out.getvalue(), "images/logo.png", 50_000_000)}
    webp = Image.open(io.BytesIO(renditions[(320, "webp")].body))
    jpeg = Image.open(io.BytesIO(renditions[(320, "jpeg")].body)).convert("RGB")
    assert webp.mode == "RGBA" and webp.getpixel((300, 150))[3] == 0
    assert close_to(jpeg.getpixel((300, 150)), (255, 255, 255)) and close_to(jpeg.getpixel((20, 150)), (200, 30, 30))


def test_a_picture_in_another_colour_space_is_converted_to_srgb_and_carries_no_profile():
    # Tagged with a profile whose red primary is sRGB's green, the "red" half of this picture is green on
    # any colour-managed screen. Dropping the profile without converting would show it red.
    original = photo(400, 300, icc=swapped_primaries_profile())
    for rendition in render_variants(original, "images/tagged.jpg", 50_000_000):
        picture = Image.open(io.BytesIO(rendition.body))
        assert "icc_profile" not in picture.info and metadata_segments(rendition.body) == []
        left = picture.convert("RGB").getpixel((picture.width // 8, picture.height // 2))
        assert left[1] > 200 and left[0] < 120 and left[2] < 120, (rendition.key, left)


def test_jobs_in_the_dead_letter_queue_can_be_re_driven_to_the_queue(stack):
    from app.worker.redrive import main as redrive_main

    stack.clients["sqs"].send_message(QueueUrl=stack.queue_url, MessageBody="{not json")
    drain(Worker(stack.settings(), session=SESSION))
    assert stack.messages(stack.dlq_url) == (1, 0)
    # The command make dev prints, against the emulator (moto has no StartMessageMoveTask).
    assert redrive_main(["--endpoint-url", stack.endpoint_url, "--from", stack.dlq_url, "--to", stack.queue_url]) == 0
    assert stack.messages(stack.dlq_url) == (0, 0)
    message = stack.clients["sqs"].receive_message(QueueUrl=stack.queue_url, VisibilityTimeout=0)["Messages"][0]
    assert message["Body"] == "{not json"
