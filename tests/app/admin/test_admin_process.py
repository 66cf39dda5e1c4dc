"""``python -m app.admin`` as the container runs it, its settings, its place in the image, the script that
adds an administrator, and the rules the OpenAPI documents state checked against the code that enforces
them."""

from __future__ import annotations

import itertools
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

from app.admin.create_user import main as create_user
from app.admin.settings import AdminSettings, load_admin_settings
from app.api.catalogue import IMAGE_NAME_PATTERN, ITEM_ID_PATTERN, check_item_id, image_key_for
from app.api.errors import ApiError
from app.api.settings import ConfigError

from ..conftest import SESSION, service_env, wait_until_healthy
from .conftest import AdminWorld, cognito_call

REPO_ROOT = Path(__file__).resolve().parents[3]
ADMIN_VARIABLES = ("TABLE_NAME", "BUCKET_NAME", "AWS_REGION", "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID")


def _env(**extra: str) -> dict[str, str]:
    return service_env("TABLE_NAME", "BUCKET_NAME", "HOST", "PORT", "ADMIN_GROUP", "MAX_IMAGE_BYTES",
                       prefixes=("AWS_", "COGNITO_"), **extra)


def test_missing_or_bad_settings_name_each_variable(monkeypatch):
    for name in (*ADMIN_VARIABLES, "COGNITO_ENDPOINT_URL", "MAX_IMAGE_BYTES"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as missing:
        load_admin_settings()
    for name in ADMIN_VARIABLES:
        assert name in str(missing.value)
    monkeypatch.setenv("TABLE_NAME", "items")
    monkeypatch.setenv("BUCKET_NAME", "images")
    monkeypatch.setenv("AWS_REGION", "ap-northeast-1")
    monkeypatch.setenv("COGNITO_USER_POOL_ID", "no-underscore")
    monkeypatch.setenv("COGNITO_CLIENT_ID", "abc")
    monkeypatch.setenv("MAX_IMAGE_BYTES", "12")
    with pytest.raises(ConfigError) as bad:
        load_admin_settings()
    assert "COGNITO_USER_POOL_ID" in str(bad.value) and "MAX_IMAGE_BYTES" in str(bad.value)
    assert "TABLE_NAME" not in str(bad.value)


def test_the_issuer_and_key_url_follow_the_pool_and_default_to_cognitos_public_endpoint():
    settings = AdminSettings(table_name="items", bucket_name="images", aws_region="ap-northeast-1",
                             cognito_user_pool_id="ap-northeast-1_AbC123", cognito_client_id="client")
    assert settings.issuer == "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_AbC123"
    assert settings.jwks_url == f"{settings.issuer}/.well-known/jwks.json"
    assert (settings.admin_group, settings.max_image_bytes) == ("admins", 10 * 1024 * 1024)
    local = settings.model_copy(update={"cognito_endpoint_url": "http://127.0.0.1:5000/"})
    assert local.jwks_url == "http://127.0.0.1:5000/ap-northeast-1_AbC123/.well-known/jwks.json"
    assert local.issuer == settings.issuer  # the emulator issues tokens under Cognito's issuer too


def test_entry_point_without_settings_names_what_to_set_and_loads_no_local_tooling():
    code = (
        "import sys; from app.admin.__main__ import main; code = main(); "
        "print([m for m in ('moto', 'playwright', 'werkzeug', 'app.local', 'app.seed', 'schemathesis') "
        "if m in sys.modules]); sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=_env(), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "COGNITO_USER_POOL_ID" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout.strip() == "[]", f"the image would need {result.stdout.strip()}"


def test_entry_point_serves_health_and_the_admin_api_with_json_logs(admin_world: AdminWorld, free_port):
    cognito = admin_world.cognito
    env = _env(
        TABLE_NAME=admin_world.table, BUCKET_NAME=admin_world.bucket, AWS_REGION=SESSION.region_name,
        AWS_ENDPOINT_URL=cognito.endpoint_url, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
        COGNITO_USER_POOL_ID=cognito.pool_id, COGNITO_CLIENT_ID=cognito.client_id,
        COGNITO_ENDPOINT_URL=cognito.endpoint_url, HOST="127.0.0.1", PORT=str(free_port),
    )
    process = subprocess.Popen([sys.executable, "-m", "app.admin"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{free_port}"
        wait_until_healthy(process, url)
        headers = {"Authorization": f"Bearer {admin_world.admin_token}"}
        assert httpx.get(f"{url}/api/admin/items/1", headers=headers, trust_env=False).json()["id"] == "1"
        assert httpx.get(f"{url}/api/admin/items", trust_env=False).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=15)
    entries = [json.loads(line) for line in stdout.decode().splitlines()]
    assert {entry.get("path") for entry in entries if entry.get("message") == "request"} >= {
        "/healthz", "/api/admin/items/1", "/api/admin/items"}


def test_the_image_carries_the_admin_package():
    dockerfile = (REPO_ROOT / "app" / "Dockerfile").read_text()
    copies = re.findall(r"^COPY (\S+) (\S+)$", dockerfile, flags=re.MULTILINE)
    assert ("admin/", "app/admin/") in copies
    requirements = (REPO_ROOT / "app" / "requirements.txt").read_text()
    assert re.search(r"^PyJWT\[crypto\]==[\d.]+$", requirements, flags=re.MULTILINE)


def test_create_user_adds_an_administrator_who_must_choose_a_password(admin_world: AdminWorld, capsys, monkeypatch):
    cognito = admin_world.cognito
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")  # the emulator's dummy credentials, never real ones
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    name = f"operator-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    code = create_user(["--pool-id", cognito.pool_id, "--username", name, "--endpoint-url", cognito.endpoint_url])
    assert code == 0
    printed = capsys.readouterr().out
    password = re.search(r"temporary password \(shown once\): (\S+)$", printed.strip()).group(1)
    idp = SESSION.client("cognito-idp", endpoint_url=cognito.endpoint_url, region_name=cognito.region)
    groups = idp.admin_list_groups_for_user(UserPoolId=cognito.pool_id, Username=name)["Groups"]
    assert [group["GroupName"] for group in groups] == ["admins"]
    first = cognito_call(cognito.endpoint_url, "InitiateAuth", {
        "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": cognito.client_id,
        "AuthParameters": {"USERNAME": name, "PASSWORD": password},
    }).json()
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert create_user(["--pool-id", cognito.pool_id, "--username", name, "--endpoint-url",
                        cognito.endpoint_url]) == 1  # already there: Cognito's error, no traceback
    assert "UsernameExists" in capsys.readouterr().err


def _alphabet_strings(alphabet: str, longest: int) -> list[str]:
    return ["".join(chars) for size in range(0, longest + 1) for chars in itertools.product(alphabet, repeat=size)]


def test_the_documented_patterns_accept_exactly_what_the_code_accepts():
    """The public API checks ids and image names in code; its document states the rules as patterns. Every
    short string over the characters that matter is judged alike by both."""
    for name in [*_alphabet_strings("a.-_~/ Z9", 4), "x" * 128, "x" * 129, "a" * 127 + ".", "banana.jpg"]:
        try:
            image_key_for(name)
            accepted = True
        except ApiError:
            accepted = False
        assert accepted == bool(re.fullmatch(IMAGE_NAME_PATTERN, name) and len(name) <= 128), repr(name)
    for item_id in [*_alphabet_strings("a.-_~/ %", 3), "x" * 128, "x" * 129]:
        try:
            check_item_id(item_id)
            accepted = True
        except ApiError:
            accepted = False
        assert accepted == bool(re.fullmatch(ITEM_ID_PATTERN, item_id)), repr(item_id)
