"""Fixtures for the admin tests: an admin API over its own table and bucket in the session's emulator,
an emulated Cognito pool with an administrator and a user who is not one, and their real tokens, got the
way the admin page gets them (Cognito's JSON API over HTTP)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.admin.main import create_app
from app.admin.settings import AdminSettings
from app.admin.store import AdminStore
from app.api.catalogue import Catalogue
from app.api.main import create_app as create_public_app
from app.local import BackgroundServer, Emulator, provision
from app.local_admin import ADMIN_GROUP, LocalCognito, admin_settings, provision_cognito, random_password

from ..conftest import SESSION, OpenApiContract, make_settings

# Small enough that a test sends a body past it in a moment.
MAX_IMAGE_BYTES = 64 * 1024


def cognito_call(endpoint_url: str, action: str, payload: dict[str, Any]) -> httpx.Response:
    """One call of Cognito's JSON API, as the browser makes it (unsigned, no SDK)."""
    return httpx.post(
        endpoint_url.rstrip("/") + "/",
        headers={
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=json.dumps(payload),
        timeout=10,
        trust_env=False,
    )


def sign_in(cognito: LocalCognito, username: str, password: str) -> dict[str, Any]:
    response = cognito_call(
        cognito.endpoint_url,
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": cognito.client_id,
            "AuthParameters": {"USERNAME": username, "PASSWORD": password},
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["AuthenticationResult"]


def add_user(cognito: LocalCognito, username: str, *, admin: bool, temporary: str | None = None) -> str:
    """A user of the pool with a permanent password (returned), or a temporary one to change."""
    idp = SESSION.client("cognito-idp", endpoint_url=cognito.endpoint_url, region_name=cognito.region)
    password = temporary or random_password()
    idp.admin_create_user(
        UserPoolId=cognito.pool_id, Username=username, MessageAction="SUPPRESS", TemporaryPassword=password
    )
    if temporary is None:
        idp.admin_set_user_password(UserPoolId=cognito.pool_id, Username=username, Password=password, Permanent=True)
    if admin:
        idp.admin_add_user_to_group(UserPoolId=cognito.pool_id, Username=username, GroupName=ADMIN_GROUP)
    return password


@dataclass
class AdminWorld:
    """The admin API and the public API over one scratch table and bucket."""

    table: str
    bucket: str
    cognito: LocalCognito
    settings: AdminSettings
    store: AdminStore
    url: str
    public_url: str
    admin_token: str
    id_token: str
    member_token: str  # a signed-in user who is not in the admins group
    clients: dict[str, Any]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10, trust_env=False)

    def raw(self, item_id: str) -> dict[str, Any] | None:
        return self.clients["dynamodb"].get_item(TableName=self.table, Key={"id": {"S": item_id}}).get("Item")

    def object_keys(self, prefix: str = "") -> set[str]:
        listing = self.clients["s3"].list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return {entry["Key"] for entry in listing.get("Contents", [])}


@pytest.fixture(scope="session")
def admin_world(emulator: Emulator) -> Iterator[AdminWorld]:
    suffix = uuid.uuid4().hex[:8]
    table, bucket = f"admin-items-{suffix}", f"admin-images-{suffix}"
    provision(emulator.endpoint_url, table, bucket)
    cognito = provision_cognito(emulator.endpoint_url, SESSION, pool_name=f"admin-test-{suffix}")
    settings = admin_settings(
        cognito, table, bucket, SESSION.region_name, aws_max_attempts=2, max_image_bytes=MAX_IMAGE_BYTES
    )
    store = AdminStore(settings, session=SESSION)
    public_settings = make_settings(emulator.endpoint_url, table_name=table, bucket_name=bucket)
    admin_tokens = sign_in(cognito, cognito.username, cognito.password)
    member = f"member-{suffix}"
    member_tokens = sign_in(cognito, member, add_user(cognito, member, admin=False))
    with (
        BackgroundServer(create_app(settings, store)) as admin_server,
        BackgroundServer(create_public_app(public_settings, Catalogue(public_settings, session=SESSION))) as public,
    ):
        yield AdminWorld(
            table=table,
            bucket=bucket,
            cognito=cognito,
            settings=settings,
            store=store,
            url=admin_server.url,
            public_url=public.url,
            admin_token=admin_tokens["AccessToken"],
            id_token=admin_tokens["IdToken"],
            member_token=member_tokens["AccessToken"],
            clients={
                "dynamodb": SESSION.client("dynamodb", endpoint_url=emulator.endpoint_url),
                "s3": SESSION.client("s3", endpoint_url=emulator.endpoint_url),
            },
        )


@pytest.fixture
def api(admin_world: AdminWorld) -> Iterator[httpx.Client]:
    with admin_world.client() as client:
        yield client


@pytest.fixture(scope="session")
def admin_contract(admin_world: AdminWorld) -> OpenApiContract:
    document = httpx.get(f"{admin_world.url}/api/admin/openapi.json", timeout=10, trust_env=False).json()
    return OpenApiContract(document)
