"""Benchmark of the picture worker (app.worker) on this machine, against the embedded emulator (moto).

    .venv/bin/python bench/worker.py [--jobs 20] [--skip-browser]

Prints, from one run:

1. Jobs: N uploads of 12-megapixel phone-like JPEGs (4032x3024, ~3 MB, generated here; never stored in
   the repository) handled by one worker: jobs per second, job duration p50/p99 and CPU per job (the
   worker thread's CPU: decode, scale, encode, and its boto3 calls; moto's own work runs in other threads),
   and the pipeline alone (render_variants) for comparison. One worker handles one job at a time, so these
   are per-core figures.
2. Memory: peak RSS (VmHWM) of `python -m app.worker` — the process the container runs — idle, and while
   handling one 12 MP JPEG (the goal: under 300 MiB), one 48 MP JPEG, one 12 MP PNG and a 50 MP RGBA PNG
   (no DCT scaling for PNG, four bytes a pixel: the worst case MAX_PIXELS admits, which a task is sized for).
3. Bytes: what a first visit to the catalogue transfers at phone width (390x844 CSS px; 3x and 1x
   screens) in headless Chromium, when the three items show 12 MP photos: with the worker's variants, and
   with the originals (the page as it is before the worker has run, which /api/items is made to say),
   and with the JPEG variants only (a browser without WebP). The goal: at most 15% of the originals' bytes.

Everything listens on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import queue
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from app.local import (  # noqa: E402
    LOCAL_BUCKET,
    LOCAL_REGION,
    LOCAL_TABLE,
    Emulator,
    LocalServer,
    create_variant_queue,
    emulator_session,
)
from app.worker.pipeline import render_variants  # noqa: E402
from app.worker.settings import WorkerSettings  # noqa: E402
from app.worker.worker import Worker  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
R = Image.Resampling
# One photo per seed item, each in its fruit's colour: banana, apple, orange.
PHOTOS = {"1": (1, (235, 200, 60)), "2": (2, (200, 40, 40)), "3": (3, (240, 140, 30))}
PHONE = {"width": 390, "height": 844}


# -- phone-like photos ------------------------------------------------------------------------------


def _noise(size: tuple[int, int], sigma: float) -> Image.Image:
    return Image.merge("RGB", [Image.effect_noise(size, sigma) for _ in range(3)])


def _texture(size: tuple[int, int], octaves: tuple[tuple[int, float], ...]) -> Image.Image:
    # Structure at every scale, coarse octaves strongest: the roughly 1/f spectrum of natural scenes.
    layer = Image.new("RGB", size, (128, 128, 128))
    for divisor, weight in octaves:
        small = (max(2, size[0] // divisor), max(2, size[1] // divisor))
        layer = Image.blend(layer, _noise(small, 90).resize(size, R.BICUBIC), weight)
    return layer


def phone_photo(seed: int, tint: tuple[int, int, int], width: int = 4032, height: int = 3024) -> bytes:
    """A 12 MP JPEG as a phone writes it (quality 92, ~3 MB): a lit pile of shaded, textured round fruit
    on a textured table, with sensor grain — content that compresses like a photo, not like a test card."""
    rnd = random.Random(seed)
    light = Image.linear_gradient("L").rotate(rnd.randrange(-60, 60)).resize((width, height), R.BICUBIC)
    shadow = Image.new("RGB", (width, height), tuple(c // 3 for c in tint))
    table = Image.composite(shadow, Image.new("RGB", (width, height), (235, 230, 220)), light)
    scene = Image.blend(table, _texture((width, height), ((64, 0.5), (16, 0.3), (4, 0.2))), 0.35)
    for _ in range(16):
        rx = rnd.randrange(250, 900)
        ry = int(rx * rnd.uniform(0.7, 1.0))
        x, y = rnd.randrange(0, width), rnd.randrange(0, height)
        box = (2 * rx, 2 * ry)
        colour = tuple(min(255, max(0, c + rnd.randrange(-60, 60))) for c in tint)
        shade = Image.radial_gradient("L").resize((int(box[0] * 1.6), int(box[1] * 1.6)), R.BICUBIC)
        left, top = int(box[0] * 0.15), int(box[1] * 0.15)
        shade = shade.crop((left, top, left + box[0], top + box[1]))  # lit from the top left
        dark, lit = Image.new("RGB", box, tuple(c // 4 for c in colour)), Image.new("RGB", box, colour)
        body = Image.composite(dark, lit, shade)
        body = Image.blend(body, _texture(box, ((48, 0.5), (12, 0.35), (3, 0.25))), 0.25)
        mask = Image.new("L", box, 0)
        ImageDraw.Draw(mask).ellipse((0, 0, box[0] - 1, box[1] - 1), fill=255)
        scene.paste(body, (x - rx, y - ry), mask.filter(ImageFilter.GaussianBlur(2)))
    grain = _noise((width // 2, height // 2), 70).resize((width, height), R.BILINEAR)
    out = io.BytesIO()
    Image.blend(scene, grain, 0.18).save(out, "JPEG", quality=92)
    return out.getvalue()


def flat_png(width: int, height: int) -> bytes:
    """A logo-like RGBA PNG: compresses to little, decodes to width x height x 4 bytes."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for step in range(12):
        inset = step * width // 30
        draw.ellipse((inset, inset, width - inset, height - inset), fill=(20 * step, 120, 240 - 18 * step, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _photo_for(item_id: str) -> tuple[str, bytes]:
    seed, tint = PHOTOS[item_id]
    return item_id, phone_photo(seed, tint)


def make_photos() -> dict[str, bytes]:
    with ProcessPoolExecutor(max_workers=min(3, os.cpu_count() or 1)) as pool:
        return dict(pool.map(_photo_for, PHOTOS))


# -- 1. jobs ----------------------------------------------------------------------------------------


class _Fields(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[str, dict[str, Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.entries.append((record.getMessage(), getattr(record, "fields", {})))


def scratch_stack(endpoint_url: str, name: str) -> dict[str, Any]:
    session = emulator_session()
    clients = {service: session.client(service, endpoint_url=endpoint_url) for service in ("s3", "dynamodb", "sqs")}
    table, bucket = f"bench-{name}-items", f"bench-{name}-images"
    clients["dynamodb"].create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    clients["s3"].create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": LOCAL_REGION})
    queue_url, _ = create_variant_queue(endpoint_url, bucket, f"bench-{name}-jobs", session=session)
    # S3's test event is no job: take it off the queue so it does not count.
    for message in clients["sqs"].receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        clients["sqs"].delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return {"clients": clients, "table": table, "bucket": bucket, "queue_url": queue_url, "endpoint_url": endpoint_url}


def put_job(stack: dict[str, Any], item_id: str, key: str, data: bytes, content_type: str = "image/jpeg") -> None:
    stack["clients"]["dynamodb"].put_item(
        TableName=stack["table"],
        Item={"id": {"S": item_id}, "title": {"S": item_id}, "image_key": {"S": key}, "version": {"N": "1"}},
    )
    stack["clients"]["s3"].put_object(
        Bucket=stack["bucket"], Key=key, Body=data, ContentType=content_type, Metadata={"item-id": item_id}
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure_jobs(emulator: Emulator, photos: dict[str, bytes], jobs: int) -> dict[str, float]:
    stack = scratch_stack(emulator.endpoint_url, "jobs")
    pictures = list(photos.values())
    for index in range(jobs):
        put_job(stack, f"job-{index}", f"images/photo-{index}.jpg", pictures[index % len(pictures)])
    settings = WorkerSettings(
        queue_url=stack["queue_url"],
        table_name=stack["table"],
        bucket_name=stack["bucket"],
        aws_region=LOCAL_REGION,
        aws_endpoint_url=emulator.endpoint_url,
        receive_wait_seconds=0,
        health_port=0,
    )
    worker = Worker(settings, session=emulator_session())
    fields = _Fields()
    logger = logging.getLogger("webstack.worker")
    logger.addHandler(fields)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    started = time.perf_counter()
    while worker.poll_once(wait_seconds=0):
        pass
    elapsed = time.perf_counter() - started
    logger.removeHandler(fields)
    finished = [entry for message, entry in fields.entries if message == "job finished"]
    assert len(finished) == jobs and all(
        record["outcome"] == "done" for entry in finished for record in entry["records"]
    ), f"not every job finished: {fields.entries[-3:]}"
    durations = [entry["durationMs"] for entry in finished]
    cpus = [entry["cpuMs"] for entry in finished]
    pipeline_cpu = []
    for data in pictures:
        before = time.process_time()
        list(render_variants(data, "images/photo.jpg", settings.max_pixels))
        pipeline_cpu.append((time.process_time() - before) * 1000)
    return {
        "jobs": jobs,
        "jobs_per_second": jobs / elapsed,
        "p50_ms": percentile(durations, 0.50),
        "p99_ms": percentile(durations, 0.99),
        "max_ms": max(durations),
        "cpu_ms": statistics.fmean(cpus),
        "pipeline_cpu_ms": statistics.fmean(pipeline_cpu),
        "original_bytes": statistics.fmean(len(data) for data in pictures),
    }


# -- 2. memory --------------------------------------------------------------------------------------


def vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_rss(emulator: Emulator, name: str, data: bytes, content_type: str) -> dict[str, float]:
    """Peak RSS of a fresh `python -m app.worker`, idle and after handling one job with ``data``."""
    stack = scratch_stack(emulator.endpoint_url, f"rss-{name}")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")} | {
        "QUEUE_URL": stack["queue_url"],
        "TABLE_NAME": stack["table"],
        "BUCKET_NAME": stack["bucket"],
        "AWS_REGION": LOCAL_REGION,
        "AWS_ENDPOINT_URL": emulator.endpoint_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "RECEIVE_WAIT_SECONDS": "1",
        "HEALTH_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.worker"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    lines: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()

    def wait_for(message: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            entry = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if entry["message"] == message:
                return entry

    try:
        wait_for("worker started")
        time.sleep(1.5)  # a first empty receive: the idle footprint includes the SQS client at work
        idle = vm_hwm_mib(process.pid)
        put_job(stack, "rss", f"images/{name}", data, content_type)
        finished = wait_for("job finished")
        assert finished["records"][0]["outcome"] == "done", finished
        peak = vm_hwm_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    return {"idle_mib": idle, "peak_mib": peak, "duration_ms": finished["durationMs"], "bytes": len(data)}


# -- 3. bytes at phone width ------------------------------------------------------------------------


def first_visit_bytes(browser: Any, url: str, scale: int, keep: tuple[str, ...]) -> tuple[int, int]:
    """Bytes (headers and bodies, as sent) of a first visit, and the part of it that is pictures, when
    /api/items offers only the variants of the types in ``keep`` (none: the page shows the originals)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=scale, locale="ja-JP")
    try:
        page = context.new_page()

        def offering_only(route: Any) -> None:
            response = route.fetch()
            items = [
                item | {"variants": [variant for variant in item["variants"] if variant["type"] in keep]}
                for item in response.json()
            ]
            route.fulfill(response=response, body=json.dumps(items))

        page.route("**/api/items", offering_only)
        requests: list[Any] = []
        page.on("requestfinished", lambda request: requests.append(request))
        page.goto(url + "/", wait_until="networkidle")
        deadline = time.monotonic() + 30
        while not page.evaluate("[...document.images].length === 3 && [...document.images].every(i => i.complete)"):
            assert time.monotonic() < deadline, "the pictures did not load"
            time.sleep(0.05)
        page.wait_for_load_state("networkidle")
        total = pictures = 0
        for request in requests:
            sizes = request.sizes()
            size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            total += size
            if "/api/images/" in request.url:
                pictures += size
        return total, pictures
    finally:
        context.close()


def measure_bytes(photos: dict[str, bytes]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with LocalServer() as local:
        session = emulator_session()
        s3 = session.client("s3", endpoint_url=local.emulator.endpoint_url)
        dynamodb = session.client("dynamodb", endpoint_url=local.emulator.endpoint_url)
        # What the admin page does for each item: upload the photo, then point the item at it.
        for item_id, data in photos.items():
            key = f"images/photo-{item_id}.jpg"
            s3.put_object(
                Bucket=LOCAL_BUCKET, Key=key, Body=data, ContentType="image/jpeg", Metadata={"item-id": item_id}
            )
            dynamodb.update_item(
                TableName=LOCAL_TABLE,
                Key={"id": {"S": item_id}},
                UpdateExpression="SET image_key = :key REMOVE variants",
                ExpressionAttributeValues={":key": {"S": key}},
            )
        deadline = time.monotonic() + 60
        while True:
            items = dynamodb.scan(TableName=LOCAL_TABLE, ConsistentRead=True)["Items"]
            done = [item for item in items if item.get("variants", {}).get("M", {}).get("source") == item["image_key"]]
            if len(done) == len(photos):
                break
            assert time.monotonic() < deadline, "the local worker made no variants within 60 s"
            time.sleep(0.2)
        time.sleep(2.5)  # past ITEMS_CACHE_SECONDS: /api/items shows the new pictures
        results: dict[int, Any] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                for scale in (3, 1):
                    results[scale] = {
                        "variants": first_visit_bytes(browser, local.url, scale, ("image/webp", "image/jpeg")),
                        # A browser without WebP (or a worker making JPEG only) gets the JPEG variants.
                        "jpeg": first_visit_bytes(browser, local.url, scale, ("image/jpeg",)),
                        "originals": first_visit_bytes(browser, local.url, scale, ()),
                    }
            finally:
                browser.close()
        return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20, help="12 MP jobs to time (default 20)")
    parser.add_argument("--skip-browser", action="store_true", help="leave out the page-weight measurement")
    args = parser.parse_args()
    if not 3 <= args.jobs <= 200:
        parser.error("--jobs must be 3-200")
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "unknown CPU")
    print(f"machine: {os.cpu_count()} CPUs, {cpu}")
    started = time.perf_counter()
    photos = make_photos()
    sizes = ", ".join(f"{len(data) / 1e6:.1f} MB" for data in photos.values())
    print(f"generated three 4032x3024 phone-like JPEGs ({sizes}) in {time.perf_counter() - started:.1f} s")
    logging.getLogger("botocore").setLevel(logging.WARNING)

    with Emulator() as emulator:
        jobs = measure_jobs(emulator, photos, args.jobs)
        print(f"\n1. jobs: {jobs['jobs']} x 12 MP JPEG, one worker (one job at a time, so per core)")
        print(f"   jobs/s                {jobs['jobs_per_second']:.2f}")
        print(f"   duration p50 / p99    {jobs['p50_ms']:.0f} / {jobs['p99_ms']:.0f} ms (max {jobs['max_ms']:.0f} ms)")
        pipeline = jobs["pipeline_cpu_ms"]
        print(f"   CPU per job           {jobs['cpu_ms']:.0f} ms (the pipeline alone: {pipeline:.0f} ms)")
        # Durations stretch with whatever else the machine runs; CPU per job hardly does.
        print(f"   load average now      {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

        first = next(iter(photos.values()))
        big = Image.open(io.BytesIO(first)).resize((8064, 6048), R.BICUBIC)
        out = io.BytesIO()
        big.save(out, "JPEG", quality=90)
        forty_eight = out.getvalue()
        png = io.BytesIO()
        Image.open(io.BytesIO(first)).save(png, "PNG", compress_level=1)
        del big
        cases = [
            ("12 MP JPEG", "photo-12mp.jpg", first, "image/jpeg"),
            ("48 MP JPEG", "photo-48mp.jpg", forty_eight, "image/jpeg"),
            ("12 MP PNG", "photo-12mp.png", png.getvalue(), "image/png"),
            # The largest frame MAX_PIXELS admits, with alpha and no DCT scaling: what a task is sized for.
            ("50 MP RGBA PNG", "flat-50mp.png", flat_png(8160, 6120), "image/png"),
        ]
        print("\n2. memory: peak RSS of python -m app.worker (VmHWM)")
        twelve = None
        for label, name, data, content_type in cases:
            rss = measure_rss(emulator, name.replace(".", "-"), data, content_type)
            twelve = twelve or rss
            print(
                f"   {label:<14} ({rss['bytes'] / 1e6:4.1f} MB)  idle {rss['idle_mib']:.0f} MiB, "
                f"peak {rss['peak_mib']:.0f} MiB, job {rss['duration_ms']:.0f} ms"
            )
        assert twelve is not None
        met = twelve["peak_mib"] < 300
        print(f"   goal (12 MP JPEG under 300 MiB): {'met' if met else 'NOT met'}")

    if args.skip_browser:
        print("\n3. bytes: skipped (--skip-browser)")
        return 0
    if not CHROMIUM.exists():
        print(f"\n3. bytes: not measured: {CHROMIUM} is missing (apt-get install -y chromium)")
        return 0
    results = measure_bytes(photos)
    print(f"\n3. bytes: first visit at phone width ({PHONE['width']}x{PHONE['height']}), three 12 MP photos")
    for scale, result in results.items():
        (orig_total, orig_pictures) = result["originals"]
        print(f"   {scale}x screen: with originals {orig_total / 1024:,.0f} KiB (pictures {orig_pictures / 1024:,.0f})")
        for label, key in (("WebP variants", "variants"), ("JPEG variants only", "jpeg")):
            total, pictures = result[key]
            print(
                f"      {label:<19} {total / 1024:,.0f} KiB (pictures {pictures / 1024:,.0f}): "
                f"{total / orig_total:.1%} of the originals' bytes"
            )
    worst = max(result[key][0] / result["originals"][0] for result in results.values() for key in ("variants", "jpeg"))
    print(f"   goal (at most 15% of the originals' bytes): {'met' if worst <= 0.15 else 'NOT met'} (worst {worst:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
