"""The admin API's token check, claim by claim, against a pool whose keys this test holds: a JWKS endpoint
on 127.0.0.1 that counts its fetches, and tokens signed here with the pool's key (or another)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app.admin.auth import LEEWAY_SECONDS
from app.admin.main import create_app
from app.admin.store import AdminStore
from app.local import BackgroundServer

from ..conftest import SESSION
from .conftest import AdminWorld

POOL_ID = "ap-northeast-1_TestPool1"
CLIENT_ID = "testclient0123456789"
ISSUER = f"https://cognito-idp.ap-northeast-1.amazonaws.com/{POOL_ID}"


# Key generation takes a while: two keys serve every test (the pool's, and a stranger's for forgeries).
_PRIVATE_KEYS = [rsa.generate_private_key(65537, 2048) for _ in range(2)]


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(default_factory=lambda: _PRIVATE_KEYS[0])

    def jwk(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return public | {"kid": self.kid, "alg": "RS256", "use": "sig"}


class _Jwks(BaseHTTPRequestHandler):
    # Set per server (jwks_endpoint makes a subclass of its own).
    keys: ClassVar[list[SigningKey]] = []
    fetches: ClassVar[list[str]] = []
    failing = False

    def do_GET(self) -> None:
        type(self).fetches.append(self.path)
        if type(self).failing or self.path != f"/{POOL_ID}/.well-known/jwks.json":
            self.send_response(503 if type(self).failing else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"keys": [key.jwk() for key in type(self).keys]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@dataclass
class Pool:
    url: str
    handler: type[_Jwks]
    key: SigningKey

    def token(self, key: SigningKey | None = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": str(uuid.uuid4()),
            "iss": ISSUER,
            "client_id": CLIENT_ID,
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": now,
            "iat": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
            "username": "admin",
            "cognito:groups": ["admins"],
        }
        for name, value in claims.items():
            name = name.replace("__", ":")
            if value is None:
                payload.pop(name, None)
            else:
                payload[name] = value
        signer = key or self.key
        return jwt.encode(payload, signer.private, algorithm="RS256", headers={"kid": signer.kid, **(headers or {})})


@contextmanager
def jwks_endpoint() -> Iterator[Pool]:
    key = SigningKey("key-1")
    handler = type("Jwks", (_Jwks,), {"keys": [key], "fetches": [], "failing": False})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Pool(url=f"http://127.0.0.1:{server.server_address[1]}", handler=handler, key=key)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@contextmanager
def serve(world: AdminWorld, pool: Pool, min_refetch_seconds: float = 60) -> Iterator[httpx.Client]:
    """The admin API trusting ``pool`` (its data: the admin world's table)."""
    settings = world.settings.model_copy(
        update={
            "cognito_user_pool_id": POOL_ID,
            "cognito_client_id": CLIENT_ID,
            "cognito_endpoint_url": pool.url,
            "jwks_min_refetch_seconds": min_refetch_seconds,
        }
    )
    with (
        BackgroundServer(create_app(settings, AdminStore(settings, session=SESSION))) as server,
        httpx.Client(base_url=server.url, timeout=10, trust_env=False) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with jwks_endpoint() as shared:
        yield shared


@pytest.fixture(scope="module")
def served(admin_world: AdminWorld, pool: Pool) -> Iterator[httpx.Client]:
    """One admin API for the tests that do not count key fetches."""
    with serve(admin_world, pool) as client:
        yield client


@pytest.fixture
def fresh_pool() -> Iterator[Pool]:
    """A pool of its own, for an API of its own: its key fetches are counted from zero."""
    with jwks_endpoint() as fresh:
        yield fresh


@pytest.fixture
def fresh(admin_world: AdminWorld, fresh_pool: Pool) -> Iterator[httpx.Client]:
    with serve(admin_world, fresh_pool) as client:
        yield client


def get_items(client: httpx.Client, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get("/api/admin/items", headers=headers)


def assert_unauthenticated(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthenticated"
    assert reason in response.json()["error"]["message"]
    assert response.headers["www-authenticate"].startswith("Bearer ")


def test_a_valid_admin_token_is_accepted_and_the_keys_are_fetched_once(fresh, fresh_pool):
    pool = fresh_pool
    for _ in range(3):
        response = get_items(fresh, pool.token())
        assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()][:3] == ["1", "2", "3"]
    assert pool.handler.fetches == [f"/{POOL_ID}/.well-known/jwks.json"]


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_Other"}, "another user pool"),
        ({"iss": f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"}, "another user pool"),
        ({"client_id": "someotherclient"}, "another app client"),
        # An id token: token_use "id", the client in "aud" instead of "client_id".
        ({"token_use": "id", "client_id": None, "aud": CLIENT_ID}, "client_id"),
        ({"token_use": "id"}, "not the id token"),
        ({"exp": int(time.time()) - LEEWAY_SECONDS - 5}, "expired"),
        ({"iat": int(time.time()) + LEEWAY_SECONDS + 60}, "not valid yet"),
        ({"nbf": int(time.time()) + LEEWAY_SECONDS + 60}, "not valid yet"),
        ({"exp": None}, "exp"),
        ({"iat": None}, "iat"),
        ({"iss": None}, "iss"),
        ({"iat": "yesterday"}, "invalid"),
    ],
)
def test_each_wrong_or_missing_claim_is_a_401(served, pool, claims, reason):
    assert_unauthenticated(get_items(served, pool.token(**claims)), reason)


def test_expiry_and_issue_time_allow_a_little_clock_skew(served, pool):
    skewed = pool.token(exp=int(time.time()) - 5, iat=int(time.time()) + 5)
    assert get_items(served, skewed).status_code == 200


@pytest.mark.parametrize("groups", [["editors"], [], None, "admins"])
def test_a_valid_token_of_a_user_outside_the_admins_group_is_a_403(served, pool, groups):
    response = get_items(served, pool.token(cognito__groups=groups))
    assert response.status_code == 403, response.text
    assert response.json()["error"] == {
        "code": "forbidden", "message": "signed in, but not a member of the admins group"
    }
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


def test_no_authorization_header_is_a_401_with_a_bare_bearer_challenge(served):
    response = served.get("/api/admin/items")
    assert_unauthenticated(response, "sign in")
    assert response.headers["www-authenticate"] == 'Bearer realm="webstack-admin"'


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Basic YWRtaW46cGFzcw==", "Bearer not-a-jwt", "Bearer a.b.c", "Token abc.def.ghi"],
)
def test_a_malformed_authorization_header_is_a_401(served, pool, authorization):
    response = served.get("/api/admin/items", headers={"Authorization": authorization})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthenticated"
    assert "Traceback" not in response.text


def test_a_token_signed_with_another_key_under_the_pools_key_id_is_a_401(served, pool):
    forged = pool.token(key=SigningKey(pool.key.kid, _PRIVATE_KEYS[1]))
    assert_unauthenticated(get_items(served, forged), "signature")


def test_unsigned_and_symmetric_tokens_are_401s(served, pool):
    claims = jwt.decode(pool.token(), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none", headers={"kid": pool.key.kid})
    assert_unauthenticated(get_items(served, unsigned), "RS256")
    # The classic confusion: HMAC keyed with the public key, which anyone can fetch.
    public_pem = pool.key.jwk()["n"].encode()
    hmac = jwt.encode(claims, public_pem, algorithm="HS256", headers={"kid": pool.key.kid})
    assert_unauthenticated(get_items(served, hmac), "RS256")


def test_an_unknown_key_id_refetches_the_keys_exactly_once_then_is_a_401(fresh, fresh_pool):
    served, pool = fresh, fresh_pool
    assert get_items(served, pool.token()).status_code == 200
    assert len(pool.handler.fetches) == 1
    stranger = SigningKey("key-unknown")
    assert_unauthenticated(get_items(served, pool.token(key=stranger)), "key this user pool does not have")
    assert len(pool.handler.fetches) == 2
    # A flood of unknown key ids within the refetch floor asks Cognito nothing more.
    for index in range(5):
        response = get_items(served, pool.token(key=SigningKey(f"key-flood-{index}")))
        assert response.status_code == 401
    assert len(pool.handler.fetches) == 2
    assert get_items(served, pool.token()).status_code == 200  # the known key still works


def test_a_rotated_key_is_picked_up_once_the_floor_has_passed(admin_world, fresh_pool):
    pool = fresh_pool
    with serve(admin_world, pool, min_refetch_seconds=0.2) as client:
        assert get_items(client, pool.token()).status_code == 200
        rotated = SigningKey("key-2", _PRIVATE_KEYS[1])
        pool.handler.keys.append(rotated)
        time.sleep(0.25)
        assert get_items(client, pool.token(key=rotated)).status_code == 200
        assert len(pool.handler.fetches) == 2


def test_keys_that_cannot_be_fetched_give_503_not_401_and_recover(admin_world, fresh_pool):
    pool = fresh_pool
    with serve(admin_world, pool, min_refetch_seconds=0.2) as client:
        pool.handler.failing = True
        for _ in range(3):  # within the floor the failure is answered without asking again
            response = get_items(client, pool.token())
            assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "upstream_unavailable"
        assert "Cognito" in response.json()["error"]["message"]
        assert response.headers["retry-after"] == "1"
        assert len(pool.handler.fetches) == 1
        pool.handler.failing = False
        time.sleep(0.25)
        assert get_items(client, pool.token()).status_code == 200


def test_health_and_the_document_need_no_token(served):
    assert served.get("/healthz").json() == {"status": "ok"}
    assert served.get("/api/admin/openapi.json").status_code == 200


def test_unknown_admin_routes_answer_401_before_routing(served, pool):
    # Without a token nothing is revealed, not even which routes exist.
    assert served.get("/api/admin/nothing").status_code == 401
    assert served.post("/api/admin/items", content=b"{not json").status_code == 401
    assert get_items(served, pool.token()).status_code == 200
    assert served.get("/api/admin/nothing", headers={"Authorization": f"Bearer {pool.token()}"}).status_code == 404
