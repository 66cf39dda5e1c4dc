"""The admin page in headless Debian Chromium at phone width, served as ``make dev`` serves it (page, public
API, admin API and /admin/config.json on one origin, the emulated Cognito on another, the admin CSP), over
a table and bucket of its own: sign-in and its challenges, adding an item with a picture that then shows on
the public page (and, with make dev's picture worker beside it, as variants within seconds), validation
errors by field, a conflict with its reload, expired sessions, sign-out."""

from __future__ import annotations

import base64
import io
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from PIL import Image

from app.admin.main import create_app as create_admin_app
from app.admin.store import AdminStore
from app.local import (
    SECURITY_HEADERS,
    BackgroundServer,
    BackgroundWorker,
    Emulator,
    build_site,
    local_settings,
    local_worker_settings,
    provision,
)
from app.local_admin import AdminOrigin, LocalCognito, admin_settings, provision_cognito

from ..conftest import SESSION
from ..pages import check_japanese_page_without_inline_code, wait_until
from ..pictures import photo
from .conftest import add_user, cognito_call

PHONE = {"width": 375, "height": 812}
TOKENS_KEY = "webstack.admin.tokens"

pytestmark = pytest.mark.browser


def melon_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 200, 90)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Site:
    url: str
    cognito: LocalCognito
    table: str
    bucket: str
    clients: dict[str, Any]

    def raw(self, item_id: str) -> dict[str, Any] | None:
        return self.clients["dynamodb"].get_item(TableName=self.table, Key={"id": {"S": item_id}}).get("Item")

    def find(self, title: str) -> dict[str, Any] | None:
        for raw in self.clients["dynamodb"].scan(TableName=self.table)["Items"]:
            if raw.get("title", {}).get("S") == title:
                return raw
        return None

    def object_keys(self) -> set[str]:
        return {entry["Key"] for entry in self.clients["s3"].list_objects_v2(Bucket=self.bucket).get("Contents", [])}


def serve_site(emulator: Emulator, cognito: LocalCognito, table: str, bucket: str) -> BackgroundServer:
    """What app.local composes, over the given pool, table and bucket."""
    # A shorter list cache than make dev's 2 s: the public page catches up sooner, and the test with it.
    public = build_site(local_settings(emulator.endpoint_url, port=0, table_name=table, bucket_name=bucket,
                                       items_cache_seconds=0.5))
    settings = admin_settings(cognito, table, bucket, SESSION.region_name)
    admin_api = create_admin_app(settings, AdminStore(settings, session=SESSION))
    return BackgroundServer(AdminOrigin(public, admin_api, cognito, SECURITY_HEADERS))


def world(emulator: Emulator, cognito: LocalCognito) -> tuple[str, str, dict[str, Any]]:
    suffix = uuid.uuid4().hex[:8]
    table, bucket = f"page-items-{suffix}", f"page-images-{suffix}"
    provision(emulator.endpoint_url, table, bucket)
    clients = {name: SESSION.client(name, endpoint_url=emulator.endpoint_url) for name in ("dynamodb", "s3")}
    return table, bucket, clients


@pytest.fixture(scope="module")
def site(emulator: Emulator) -> Iterator[Site]:
    cognito = provision_cognito(emulator.endpoint_url, SESSION, pool_name=f"page-{uuid.uuid4().hex[:8]}")
    table, bucket, clients = world(emulator, cognito)
    with serve_site(emulator, cognito, table, bucket) as server:
        yield Site(server.url, cognito, table, bucket, clients)


@pytest.fixture(scope="module")
def mfa_site(emulator: Emulator) -> Iterator[Site]:
    """The same over a pool that requires TOTP MFA, as prd's does."""
    cognito = provision_cognito(emulator.endpoint_url, SESSION, mfa="ON", pool_name=f"mfa-{uuid.uuid4().hex[:8]}")
    table, bucket, clients = world(emulator, cognito)
    with serve_site(emulator, cognito, table, bucket) as server:
        yield Site(server.url, cognito, table, bucket, clients)


@pytest.fixture(scope="module")
def worker_site(emulator: Emulator) -> Iterator[Site]:
    """The same with the picture worker beside it, set up as ``make dev`` sets it up (app.local): the queue,
    its dead-letter queue and the bucket's notification for images/ made by ``provision`` before the seed,
    and ``BackgroundWorker`` with ``local_worker_settings`` on them, over a table and bucket of its own."""
    suffix = uuid.uuid4().hex[:8]
    cognito = provision_cognito(emulator.endpoint_url, SESSION, pool_name=f"worker-{suffix}")
    table, bucket = f"worker-items-{suffix}", f"worker-images-{suffix}"
    queue_url = provision(emulator.endpoint_url, table, bucket, queue_name=f"worker-variants-{suffix}")
    assert queue_url is not None
    clients = {name: SESSION.client(name, endpoint_url=emulator.endpoint_url) for name in ("dynamodb", "s3")}
    settings = local_worker_settings(emulator.endpoint_url, queue_url, table_name=table, bucket_name=bucket)
    with BackgroundWorker(settings), serve_site(emulator, cognito, table, bucket) as server:
        yield Site(server.url, cognito, table, bucket, clients)


@dataclass
class Tab:
    page: Any
    problems: list[str]

    def unexpected(self, *allowed: str) -> list[str]:
        """Console errors and failed requests, but for the HTTP statuses the test provoked on purpose and
        the requests a navigation of the test's cancelled (ERR_ABORTED)."""
        return [problem for problem in self.problems
                if "net::ERR_ABORTED" not in problem and not any(status in problem for status in allowed)]


@pytest.fixture
def tab(chromium: Any) -> Iterator[Tab]:
    context = chromium.new_context(viewport=PHONE, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} {request.failure}"))
    yield Tab(page, problems)
    context.close()


def visible_text(page: Any, selector: str) -> str:
    page.wait_for_selector(selector, state="visible")
    return page.text_content(selector) or ""


def wait_for_text(page: Any, selector: str, text: str) -> None:
    """Until ``selector`` shows ``text`` (a message can change while it is visible)."""
    page.wait_for_selector(f"{selector}:has-text({json.dumps(text, ensure_ascii=False)})", state="visible")


def sign_in(page: Any, site: Site, username: str | None = None, password: str | None = None) -> None:
    page.goto(site.url + "/admin/")
    page.wait_for_selector("#sign-in", state="visible")
    page.fill("#username", username or site.cognito.username)
    page.fill("#password", password or site.cognito.password)
    page.click("#sign-in-submit")


def rows(page: Any) -> list[str]:
    return page.eval_on_selector_all("#items .admin-item h3", "titles => titles.map(t => t.textContent)")


def wait_for_rows(page: Any) -> list[str]:
    page.wait_for_selector("#catalogue", state="visible")
    wait_until(page, "() => document.querySelector('#items').getAttribute('aria-busy') === 'false' "
                     "&& document.querySelectorAll('#items .admin-item').length > 0")
    return rows(page)


def public_titles(page: Any, site: Site, until: Any, timeout: float = 10.0) -> list[str]:
    """The public page's item titles once ``until`` holds for them: the public API answers from a scan up
    to ITEMS_CACHE_SECONDS old, so the page is loaded again until the change shows (as a visitor would)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(site.url + "/")
        wait_until(page, "() => document.querySelector('#items').getAttribute('aria-busy') === 'false'")
        titles = page.eval_on_selector_all("#items .item h2", "titles => titles.map(t => t.textContent)")
        if until(titles):
            return titles
        assert time.monotonic() < deadline, f"the public page still shows {titles}"
        page.wait_for_timeout(250)


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def totp(secret_text: str, at: float | None = None) -> str:
    secret = secret_text.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    return TOTP(key, 6, SHA1(), 30, enforce_key_length=False).generate(int(at or time.time())).decode()


# --- Tests -----------------------------------------------------------------------------------------------


def test_the_page_is_japanese_and_has_nothing_inline_a_strict_csp_would_block():
    admin_dir = Path(__file__).resolve().parents[3] / "app" / "frontend" / "admin"
    scripts = check_japanese_page_without_inline_code(admin_dir / "index.html", admin_dir / "admin.js")
    assert scripts == [{"src": "admin.js", "defer": None}]
    script = (admin_dir / "admin.js").read_text(encoding="utf-8")
    assert "eval(" not in script and "localStorage.setItem" not in script


def test_the_admin_pages_are_served_with_their_config_and_csp_by_make_dev(local_site):
    import httpx

    with httpx.Client(base_url=local_site, trust_env=False, timeout=10) as browser:
        page = browser.get("/admin/")
        assert page.status_code == 200 and 'lang="ja"' in page.text
        csp = page.headers["content-security-policy"]
        config = browser.get("/admin/config.json").json()
        assert set(config) == {"region", "userPoolId", "clientId", "cognitoEndpoint"}
        emulator_origin = config["cognitoEndpoint"].rstrip("/")
        assert csp == (
            "default-src 'self'; img-src 'self' data: blob:; "
            f"connect-src 'self' {emulator_origin}; object-src 'none'; base-uri 'self'; "
            "frame-ancestors 'none'; form-action 'self'"
        )
        assert config["userPoolId"].startswith(config["region"] + "_")
        for asset in ("/admin/admin.js", "/admin/admin.css"):
            assert browser.get(asset).status_code == 200
        assert browser.get("/").headers["content-security-policy"].startswith("default-src 'self'; object-src")
        assert browser.get("/api/admin/items").status_code == 401  # the admin API, on the same origin
        assert browser.get("/api/items").status_code == 200  # the public API still answers /api/*


def test_sign_in_add_an_item_with_a_picture_see_it_on_the_public_page_and_delete_it(site, tab):
    page = tab.page
    sign_in(page, site)
    assert wait_for_rows(page) == ["バナナ", "リンゴ", "オレンジ"]
    assert page.text_content("#who") == site.cognito.username
    stored = page.evaluate(f"() => [sessionStorage.getItem('{TOKENS_KEY}'), localStorage.length]")
    assert json.loads(stored[0])["accessToken"] and stored[1] == 0, "tokens belong in sessionStorage only"
    assert no_sideways_scroll(page)

    page.click("#new-item")
    page.wait_for_selector("#editor", state="visible")
    page.fill("#title", "メロン")
    page.fill("#price", "800")
    page.fill("#description", "夕張メロン。")
    page.set_input_files("#image", files=[{"name": "melon.png", "mimeType": "image/png", "buffer": melon_png()}])
    page.wait_for_selector("#preview", state="visible")
    wait_until(page, "() => document.querySelector('#preview').naturalWidth === 64")
    assert page.get_attribute("#preview", "src").startswith("blob:")
    assert no_sideways_scroll(page)
    page.click("#save")
    wait_for_text(page, "#notice", "「メロン」を保存しました")
    assert "メロン" in wait_for_rows(page)
    stored_item = site.find("メロン")
    assert stored_item is not None and stored_item["price"] == {"N": "800"}
    image_key = stored_item["image_key"]["S"]
    assert image_key.endswith(".png") and image_key in site.object_keys()

    public = page.context.new_page()
    assert "メロン" in public_titles(public, site, until=lambda titles: "メロン" in titles)
    wait_until(public, "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")

    page.click("#items .admin-item:has(h3:text-is('メロン')) button.delete")
    page.wait_for_selector("#confirm-delete", state="visible")
    assert "メロン" in page.text_content("#confirm-delete-message")
    page.click("#confirm-delete-ok")
    wait_for_text(page, "#notice", "「メロン」を削除しました")
    assert "メロン" not in rows(page)
    assert site.find("メロン") is None and image_key not in site.object_keys()
    assert public_titles(public, site, until=lambda titles: "メロン" not in titles) == ["バナナ", "リンゴ", "オレンジ"]
    assert tab.unexpected() == []


PUBLIC_PICTURE = """title => {
  const card = [...document.querySelectorAll('#items .item')].find(c => c.querySelector('h2')?.textContent === title);
  const img = card && card.querySelector('picture img');
  if (!img) return null;
  const source = card.querySelector('picture source');
  return {img: img.getAttribute('srcset'), source: source && source.getAttribute('srcset'),
          sourceType: source && source.type, currentSrc: img.currentSrc, loaded: img.complete && img.naturalWidth > 0};
}"""


def srcset_urls(srcset: str) -> dict[str, int]:
    """``url 320w, url 640w`` as {url: width}."""
    entries = [entry.strip().rsplit(" ", 1) for entry in srcset.split(",")]
    return {url: int(width.removesuffix("w")) for url, width in entries}


def test_a_picture_added_on_the_admin_page_shows_as_variants_on_the_public_page_within_seconds(worker_site, tab):
    import httpx

    site, page = worker_site, tab.page
    sign_in(page, site)
    wait_for_rows(page)
    page.click("#new-item")
    page.wait_for_selector("#editor", state="visible")
    page.fill("#title", "スイカ")
    page.fill("#price", "1500")
    page.fill("#description", "大玉スイカ。")
    page.set_input_files("#image", files=[{"name": "suika.jpg", "mimeType": "image/jpeg", "buffer": photo(1600, 1200)}])
    page.wait_for_selector("#preview", state="visible")
    saved_at = time.monotonic()
    page.click("#save")
    wait_for_text(page, "#notice", "「スイカ」を保存しました")
    stored = site.find("スイカ")
    assert stored is not None and stored["image_key"]["S"].endswith(".jpg")
    item_id, stem = stored["id"]["S"], stored["image_key"]["S"].removeprefix("images/").removesuffix(".jpg")

    # The worker, woken by the bucket's notification, records the variants; the public page, reloaded as a
    # visitor would, then offers them in srcset. Everything within 15 s of the save.
    public = page.context.new_page()
    while True:
        public.goto(site.url + "/")
        wait_until(public, "() => document.querySelector('#items').getAttribute('aria-busy') === 'false'")
        picture = public.evaluate(PUBLIC_PICTURE, "スイカ")
        if picture and picture["img"] and picture["source"]:
            break
        assert time.monotonic() - saved_at < 15, f"no variants on the public page 15 s after the save: {picture}"
        public.wait_for_timeout(250)
    elapsed = time.monotonic() - saved_at
    assert picture["sourceType"] == "image/webp"
    webp, jpeg = srcset_urls(picture["source"]), srcset_urls(picture["img"])
    assert sorted(webp.values()) == sorted(jpeg.values()) == [320, 640, 1280], (webp, jpeg)
    assert all(url.startswith(f"/api/images/variants/{stem}-") for url in [*webp, *jpeg]), (stem, webp, jpeg)
    with httpx.Client(base_url=site.url, trust_env=False, timeout=10) as visitor:
        recorded = visitor.get(f"/api/items/{item_id}").json()["variants"]
        assert {variant["url"] for variant in recorded} == {*webp, *jpeg}
        for urls, media_type in ((webp, "image/webp"), (jpeg, "image/jpeg")):
            for url in urls:
                response = visitor.get(url)
                assert response.status_code == 200, url
                assert response.headers["content-type"] == media_type, url
                assert Image.open(io.BytesIO(response.content)).size[0] == urls[url], url
    # And the browser draws one of them (the card is below the fold at phone width: its picture is lazy).
    public.locator("#items .item:has(h2:text-is('スイカ')) picture img").scroll_into_view_if_needed()
    wait_until(public, f"() => ({PUBLIC_PICTURE})('スイカ').loaded")
    assert public.evaluate(PUBLIC_PICTURE, "スイカ")["currentSrc"] in {site.url + url for url in webp}
    assert elapsed < 15

    # Deleting the item on the admin page removes its picture and every variant.
    page.click("#items .admin-item:has(h3:text-is('スイカ')) button.delete")
    page.click("#confirm-delete-ok")
    wait_for_text(page, "#notice", "「スイカ」を削除しました")
    assert not {key for key in site.object_keys() if stem in key}
    assert tab.unexpected() == []


def test_the_editor_shows_the_apis_errors_by_field_and_resolves_a_conflict(site, tab):
    page = tab.page
    sign_in(page, site)
    wait_for_rows(page)
    page.click("#new-item")
    page.fill("#title", "　 ")  # only spaces (one of them ideographic): the API refuses it
    page.fill("#price", "12.5")
    page.fill("#description", "説明")
    page.click("#save")
    assert "商品名は1〜100文字" in visible_text(page, "#title-error")
    assert "価格は0〜99,999,999の整数" in visible_text(page, "#price-error")
    assert page.is_hidden("#description-error")
    assert page.get_attribute("#title", "aria-invalid") == "true"
    assert page.get_attribute("#price", "aria-invalid") == "true"
    assert page.is_visible("#editor"), "the editor stays open with what was typed"
    assert page.input_value("#description") == "説明"
    assert site.find("　 ") is None
    page.fill("#title", "スイカ")
    page.fill("#price", "1200")
    page.set_input_files("#image", files=[{"name": "fake.png", "mimeType": "image/png", "buffer": b"GIF89a..."}])
    page.click("#save")
    assert "画像ファイルが壊れているか" in visible_text(page, "#image-error")
    assert "商品は保存しましたが" in page.text_content("#form-error")
    assert page.is_hidden("#title-error") and page.is_hidden("#price-error")
    assert site.find("スイカ") is not None  # saved without a picture; a second save does not duplicate it
    page.set_input_files("#image", files=[{"name": "melon.png", "mimeType": "image/png", "buffer": melon_png()}])
    page.click("#save")
    wait_for_text(page, "#notice", "「スイカ」を保存しました")
    titles = rows(page)
    assert titles.count("スイカ") == 1

    # A conflicting edit is not saved, and the latest version is one click away.
    page.click("#items .admin-item:has(h3:text-is('リンゴ')) button.edit")
    page.wait_for_selector("#editor", state="visible")
    assert page.input_value("#title") == "リンゴ" and page.input_value("#price") == "150"
    # Someone else saves the item meanwhile.
    site.clients["dynamodb"].update_item(
        TableName=site.table, Key={"id": {"S": "2"}},
        UpdateExpression="SET title = :t, version = version + :one",
        ExpressionAttributeValues={":t": {"S": "ふじリンゴ"}, ":one": {"N": "1"}},
    )
    page.fill("#price", "180")
    page.click("#save")
    page.wait_for_selector("#conflict", state="visible")
    assert site.raw("2")["title"] == {"S": "ふじリンゴ"} and site.raw("2")["price"] == {"N": "150"}
    page.click("#conflict-reload")
    wait_until(page, "() => document.querySelector('#title').value === 'ふじリンゴ'")
    assert page.is_hidden("#conflict")
    page.fill("#price", "180")
    page.click("#save")
    wait_for_text(page, "#notice", "「ふじリンゴ」を保存しました")
    assert site.raw("2")["price"] == {"N": "180"}
    assert tab.unexpected("400", "409") == []


def test_a_rejected_token_is_refreshed_an_expired_session_asks_to_sign_in_and_sign_out_revokes(site, tab):
    page = tab.page
    sign_in(page, site)
    wait_for_rows(page)
    tokens = json.loads(page.evaluate(f"() => sessionStorage.getItem('{TOKENS_KEY}')"))
    broken = tokens | {"accessToken": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}
    page.evaluate(f"t => sessionStorage.setItem('{TOKENS_KEY}', t)", json.dumps(broken))
    page.reload()
    wait_for_rows(page)  # the 401 was answered by one refresh and one retry
    refreshed = json.loads(page.evaluate(f"() => sessionStorage.getItem('{TOKENS_KEY}')"))
    assert refreshed["accessToken"] not in (tokens["accessToken"], broken["accessToken"])
    assert refreshed["refreshToken"] == tokens["refreshToken"]

    page.evaluate(f"t => sessionStorage.setItem('{TOKENS_KEY}', t)",
                  json.dumps(broken | {"refreshToken": "revoked-long-ago"}))
    page.click("#new-item")
    page.fill("#title", "ブドウ")
    page.fill("#price", "500")
    page.click("#save")
    assert "セッションの有効期限が切れました" in visible_text(page, "#sign-in-notice")
    assert page.evaluate(f"() => sessionStorage.getItem('{TOKENS_KEY}')") is None
    assert site.find("ブドウ") is None

    # Signing out clears the tab and revokes the refresh token at Cognito.
    sign_in(page, site)
    wait_for_rows(page)
    refresh_token = json.loads(page.evaluate(f"() => sessionStorage.getItem('{TOKENS_KEY}')"))["refreshToken"]
    page.click("#sign-out")
    assert visible_text(page, "#sign-in-notice") == "サインアウトしました。"
    assert page.evaluate("() => sessionStorage.length") == 0
    assert page.is_hidden("#sign-out") and page.is_hidden("#catalogue")
    refresh = cognito_call(site.cognito.endpoint_url, "InitiateAuth", {
        "AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": site.cognito.client_id,
        "AuthParameters": {"REFRESH_TOKEN": refresh_token},
    })
    assert refresh.status_code == 400 and refresh.json()["__type"] == "NotAuthorizedException"
    page.reload()
    page.wait_for_selector("#sign-in", state="visible")
    assert tab.unexpected("401", "400") == []


def test_wrong_password_loading_state_and_a_member_who_is_not_an_admin(site, tab):
    page = tab.page
    sign_in(page, site, password="not-the-password")
    assert visible_text(page, "#sign-in-error") == "ユーザー名またはパスワードが違います。"
    held: list[Any] = []
    page.route("**/api/admin/items", lambda route: held.append(route))
    page.fill("#password", site.cognito.password)
    page.click("#sign-in-submit")
    deadline = time.monotonic() + 10
    while not held:
        assert time.monotonic() < deadline, "the page never asked for the items"
        page.wait_for_timeout(50)
    assert visible_text(page, "#list-status") == "読み込み中…"
    assert page.get_attribute("#items", "aria-busy") == "true"
    held[0].continue_()
    wait_for_rows(page)
    assert page.is_hidden("#list-status")
    page.unroute("**/api/admin/items")
    page.click("#sign-out")
    assert visible_text(page, "#sign-in-notice") == "サインアウトしました。"

    member = f"member-{uuid.uuid4().hex[:6]}"
    password = add_user(site.cognito, member, admin=False)
    sign_in(page, site, member, password)
    assert "管理者の権限がありません" in visible_text(page, "#error-message")
    assert page.is_visible("#sign-out")
    assert tab.unexpected("400", "403") == []


def test_first_sign_in_sets_a_new_password_and_an_authenticator_then_asks_for_its_codes(mfa_site, tab, monkeypatch):
    # The emulator checks TOTP codes only when told to; with it on, a wrong code is refused as on AWS.
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    page = tab.page
    editor = f"editor-{uuid.uuid4().hex[:6]}"
    add_user(mfa_site.cognito, editor, admin=True, temporary="Temp-0rary-pass!")
    sign_in(page, mfa_site, editor, "Temp-0rary-pass!")
    page.wait_for_selector("#new-password", state="visible")
    page.fill("#new-password-input", "short")
    page.fill("#new-password-confirm", "short")
    page.click("#new-password button[type=submit]")
    assert "条件を満たしていません" in visible_text(page, "#new-password-error")
    new_password = "Brand-new-passw0rd!"
    page.fill("#new-password-input", new_password)
    page.fill("#new-password-confirm", new_password)
    page.click("#new-password button[type=submit]")

    page.wait_for_selector("#mfa-setup", state="visible")
    secret = page.text_content("#mfa-secret") or ""
    uri = page.text_content("#mfa-uri") or ""
    assert re.fullmatch(r"[A-Z2-7a-z ]+", secret), secret
    assert uri == f"otpauth://totp/webstack%3A{editor}?secret={secret.replace(' ', '')}&issuer=webstack"
    assert no_sideways_scroll(page)
    page.fill("#mfa-setup-code", "000000" if totp(secret) != "000000" else "111111")
    page.click("#mfa-setup button[type=submit]")
    assert "確認コードが違います" in visible_text(page, "#mfa-setup-error")
    page.fill("#mfa-setup-code", totp(secret))
    page.click("#mfa-setup button[type=submit]")
    assert wait_for_rows(page) == ["バナナ", "リンゴ", "オレンジ"]

    page.click("#sign-out")
    assert visible_text(page, "#sign-in-notice") == "サインアウトしました。"
    sign_in(page, mfa_site, editor, new_password)
    page.wait_for_selector("#mfa", state="visible")
    page.fill("#mfa-code", totp(secret))
    page.click("#mfa button[type=submit]")
    assert wait_for_rows(page) == ["バナナ", "リンゴ", "オレンジ"]
    assert tab.unexpected("400") == []
