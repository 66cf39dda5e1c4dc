"""The page in headless Debian Chromium, served by the same code as `make dev`: three items with their
pictures, prices in yen, no console errors under the site's CSP, usable at phone width, a loading state
while the API answers, and an error state with retry when it fails."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(local_site: str) -> str:
    return local_site


def wait_until(page, condition: str, timeout: float = 10.0) -> None:
    """Polls a JS function from Python: Playwright's wait_for_function evaluates a string in the page,
    which the page's CSP (no 'unsafe-eval') rightly forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
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
