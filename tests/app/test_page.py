"""The page in headless Debian Chromium, served by the same code as `make dev`: three items with their
pictures, prices in yen, no console errors under the site's CSP, usable at phone width, a loading state
while the API answers, and an error state with retry when it fails; the worker's variants chosen by
`<picture>`/`sizes` (never the original at phone width), and the original while there are none."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator

import pytest

from .pages import wait_until

PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(local_site: str) -> str:
    return local_site


@pytest.fixture
def page(chromium) -> Iterator[tuple[object, list[str]]]:
    context = chromium.new_context(viewport=PHONE, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    yield page, problems
    context.close()


def test_page_shows_three_items_with_pictures_and_yen_prices(site, page):
    page, problems = page
    page.goto(site + "/")
    wait_until(page, "() => document.querySelectorAll('#items .item').length === 3")
    wait_until(page, "() => [...document.images].length === 3 && [...document.images].every(i => i.complete)")
    cards = page.eval_on_selector_all(
        "#items .item",
        """cards => cards.map(card => ({
            title: card.querySelector('h2').textContent,
            price: card.querySelector('.price').textContent,
            description: card.querySelector('.description').textContent,
            imageWidth: card.querySelector('img').naturalWidth,
        }))""",
    )
    assert [card["title"] for card in cards] == ["バナナ", "リンゴ", "オレンジ"]
    assert [card["price"] for card in cards] == ["￥100", "￥150", "￥200"]
    assert [card["description"] for card in cards] == ["バナナ。", "リンゴ。", "オレンジ。"]
    assert all(card["imageWidth"] > 0 for card in cards), cards
    assert page.is_hidden("#status") and page.is_hidden("#error")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "page scrolls sideways"
    assert problems == []


def test_page_shows_an_error_when_the_api_fails_and_recovers_on_retry(site, page):
    page, problems = page
    failure = json.dumps({"error": {"code": "upstream_unavailable", "message": "DynamoDB is unavailable"}})
    page.route(
        "**/api/items",
        lambda route: route.fulfill(status=503, content_type="application/json", body=failure),
    )
    page.goto(site + "/")
    page.wait_for_selector("#error", state="visible")
    assert "DynamoDB is unavailable" in page.text_content("#error-message")
    assert page.eval_on_selector_all("#items .item", "cards => cards.length") == 0
    page.unroute("**/api/items")
    page.click("#retry")
    wait_until(page, "() => document.querySelectorAll('#items .item').length === 3")
    assert page.is_hidden("#error")
    # The only console error is the browser reporting the 503 we injected.
    assert [problem for problem in problems if "503" not in problem] == []


def test_page_says_it_is_loading_until_the_items_arrive(site, page):
    page, problems = page
    held = []
    page.route("**/api/items", lambda route: held.append(route))  # held until the test lets it through
    page.goto(site + "/")
    deadline = time.monotonic() + 10
    while not held:
        assert time.monotonic() < deadline, "the page never asked for /api/items"
        page.wait_for_timeout(50)
    assert page.is_visible("#status") and page.text_content("#status") == "読み込み中…"
    assert page.eval_on_selector_all("#items .item", "cards => cards.length") == 0
    held[0].continue_()
    wait_until(page, "() => document.querySelectorAll('#items .item').length === 3")
    assert page.is_hidden("#status")
    assert page.get_attribute("#items", "aria-busy") == "false"
    assert problems == []


def wait_for_variants(site: str, timeout: float = 15.0) -> list[dict]:
    """The items with a picture, once the worker of the local run has made variants of every one (the
    seeded ones at start-up; others that tests sharing this site uploaded, within seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(site + "/api/items", timeout=5) as response:
            items = [item for item in json.load(response) if item["imageUrl"]]
        if items and all(item["variants"] for item in items):
            return items
        assert time.monotonic() < deadline, f"no variants after {timeout} s: {items}"
        time.sleep(0.1)


def all_loaded(count: int) -> str:
    return f"() => [...document.images].length === {count} && [...document.images].every(i => i.complete)"


def picture_report(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#items .item picture",
        """pictures => pictures.map(picture => {
            const img = picture.querySelector('img');
            const source = picture.querySelector('source');
            return {
                currentSrc: img.currentSrc, naturalWidth: img.naturalWidth, loading: img.loading,
                drawnWidth: img.getBoundingClientRect().width,
                width: img.getAttribute('width'), height: img.getAttribute('height'), sizes: img.sizes,
                sourceType: source && source.type,
            };
        })""",
    )


def test_at_phone_width_the_page_loads_webp_variants_not_the_originals(site, page):
    page, problems = page
    items = wait_for_variants(site)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(site + "/")
    wait_until(page, all_loaded(len(items)))
    pictures = picture_report(page)
    originals = {site + item["imageUrl"] for item in items}
    assert not originals & set(requested), "an original was downloaded"
    for picture, item in zip(pictures, items, strict=True):
        webp = {site + v["url"]: v["width"] for v in item["variants"] if v["type"] == "image/webp"}
        # 390 px wide at 1x: the card's picture is drawn 366 px wide, and `sizes` says so (naturalWidth is
        # the width it announces), so the smallest WebP variant at least 366 px wide is the one fetched.
        assert picture["naturalWidth"] == round(picture["drawnWidth"]) == 366
        wanted = min((width for width in webp.values() if width >= 366), default=max(webp.values()))
        assert webp.get(picture["currentSrc"]) == wanted, (picture, webp)
        assert picture["sourceType"] == "image/webp" and picture["sizes"].startswith("(max-width: 30rem)")
        assert (picture["width"], picture["height"]) == ("480", "360")
    assert [picture["loading"] for picture in pictures] == ["eager", "eager"] + ["lazy"] * (len(items) - 2)
    assert problems == []


def test_the_page_shows_the_originals_while_an_item_has_no_variants(site, page):
    page, problems = page
    items = [item | {"variants": []} for item in wait_for_variants(site)]
    page.route(
        "**/api/items",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(items)),
    )
    page.goto(site + "/")
    wait_until(page, all_loaded(len(items)))
    pictures = picture_report(page)
    assert [picture["currentSrc"] for picture in pictures] == [site + item["imageUrl"] for item in items]
    assert all(picture["naturalWidth"] > 0 and picture["sourceType"] is None for picture in pictures)
    assert problems == []


def test_a_variant_that_cannot_be_loaded_falls_back_to_the_original(site, page):
    page, problems = page
    items = wait_for_variants(site)
    page.route("**/api/images/variants/**", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(site + "/")
    wait_until(
        page,
        f"() => [...document.images].length === {len(items)} && "
        "[...document.images].every(i => i.complete && i.currentSrc.indexOf('/variants/') < 0)",
    )
    assert [picture["currentSrc"] for picture in picture_report(page)] == [site + item["imageUrl"] for item in items]
    # The only console errors are the browser reporting the 404s we injected.
    assert [problem for problem in problems if "404" not in problem] == []


# 390 px (one column) is checked above; these are the other clauses of `sizes`.
@pytest.mark.parametrize("width", [500, 700, 900, 1400])
def test_sizes_matches_the_drawn_width_of_the_pictures_at_every_layout(site, chromium, width):
    # The browser picks a variant for the width `sizes` announces (naturalWidth is that width); if the
    # layout drew the picture wider, it would be blurred, if narrower, bytes would be wasted.
    items = wait_for_variants(site)
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(site + "/")
        wait_until(page, all_loaded(len(items)))
        for picture in picture_report(page):
            assert abs(picture["naturalWidth"] - picture["drawnWidth"]) <= 2, (width, picture)
    finally:
        context.close()
