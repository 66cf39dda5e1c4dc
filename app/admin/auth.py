"""Verifies the Cognito access token of every admin request, with no call to Cognito but for its public keys.

A token passes when it is an RS256 JWT signed by one of the pool's keys (JWKS), issued by the pool
(``iss``), for the admin page's app client (``client_id``), an access token (``token_use``), current
(``exp``, ``iat``, ``nbf``, with a small leeway for clock skew), and its user is in the admin group
(``cognito:groups``). Anything else is a 401, or a 403 for a valid token of a user who is not an admin.

The keys are fetched once and cached. A token naming an unknown key id (Cognito rotated its keys, or
the token is forged) refetches them once, but never more often than ``min_refetch_seconds``: a flood
of made-up key ids costs Cognito at most one request per period.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from app.api.errors import ApiError, UpstreamUnavailable

log = logging.getLogger("webstack.admin.auth")

# Clock skew tolerated between Cognito and this task, on exp, iat and nbf.
LEEWAY_SECONDS = 30
_FETCH_TIMEOUT_SECONDS = 3.0
_MAX_JWKS_BYTES = 256 * 1024
# After a failed fetch, the next one waits at most this long (or the refetch floor, if shorter), so
# requests fail fast with a 503 while Cognito cannot be reached, and recover soon after it can.
_RETRY_AFTER_FAILURE_SECONDS = 5.0


class Unauthenticated(ApiError):
    def __init__(self, message: str, *, missing: bool = False):
        # RFC 6750: no credentials → a bare challenge; bad credentials → error="invalid_token".
        challenge = 'Bearer realm="webstack-admin"'
        if not missing:
            challenge += ', error="invalid_token"'
        super().__init__(401, "unauthenticated", message, headers={"WWW-Authenticate": challenge})


class NotAnAdmin(ApiError):
    def __init__(self, group: str):
        super().__init__(
            403,
            "forbidden",
            f"signed in, but not a member of the {group} group",
            headers={"WWW-Authenticate": 'Bearer realm="webstack-admin", error="insufficient_scope"'},
        )


@dataclass(frozen=True)
class Admin:
    username: str
    sub: str


class JsonWebKeys:
    """The pool's public keys by key id, fetched over HTTPS from Cognito's public endpoint."""

    def __init__(self, url: str, min_refetch_seconds: float, timeout: float = _FETCH_TIMEOUT_SECONDS):
        self.url = url
        self._min_refetch = min_refetch_seconds
        self._timeout = timeout
        self._keys: dict[str, Any] = {}
        self._last_attempt: float | None = None  # of any fetch
        self._last_refresh: float | None = None  # of a fetch for an unknown key id, once keys were loaded
        self._lock = threading.Lock()
        self.fetches = 0  # how often Cognito was asked
        host = urllib.parse.urlsplit(url).hostname or ""
        # An emulator on loopback is reached directly, whatever proxy the environment names.
        handlers = [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
        self._opener = urllib.request.build_opener(*handlers)

    def key(self, kid: str) -> Any | None:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:  # one fetch at a time; concurrent requests for the same new key wait for it
            key = self._keys.get(kid)
            if key is not None:
                return key
            now = time.monotonic()
            if not self._keys:  # never loaded, or every load so far failed
                retry_floor = min(self._min_refetch, _RETRY_AFTER_FAILURE_SECONDS)
                if self._last_attempt is None or now - self._last_attempt >= retry_floor:
                    self._fetch()
                if not self._keys:
                    raise UpstreamUnavailable("Cognito", "its signing keys could not be fetched")
            elif self._last_refresh is None or now - self._last_refresh >= self._min_refetch:
                # A key id we do not know: Cognito may have rotated its keys. Ask once per period at most
                # (a failed refresh keeps the keys we have).
                self._last_refresh = now
                self._fetch()
            return self._keys.get(kid)

    def _fetch(self) -> None:
        self._last_attempt = time.monotonic()
        self.fetches += 1
        try:
            request = urllib.request.Request(self.url, headers={"Accept": "application/json"})
            with self._opener.open(request, timeout=self._timeout) as response:
                body = response.read(_MAX_JWKS_BYTES + 1)
            if len(body) > _MAX_JWKS_BYTES:
                raise ValueError("key set larger than expected")
            keys = {}
            for jwk in json.loads(body)["keys"]:
                if jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig" and isinstance(jwk.get("kid"), str):
                    keys[jwk["kid"]] = RSAAlgorithm.from_jwk(jwk)
        except (OSError, ValueError, KeyError, TypeError, jwt.InvalidKeyError) as error:
            log.warning("fetching the pool's keys failed", extra={"fields": {"url": self.url, "detail": str(error)}})
            return
        self._keys = keys
        log.info("fetched the pool's keys", extra={"fields": {"url": self.url, "keyIds": sorted(keys)}})


class TokenVerifier:
    def __init__(self, *, issuer: str, client_id: str, admin_group: str, keys: JsonWebKeys):
        self.issuer = issuer
        self.client_id = client_id
        self.admin_group = admin_group
        self.keys = keys

    def verify(self, authorization: str | None) -> Admin:
        """The admin a request's ``Authorization`` header proves, or Unauthenticated / NotAnAdmin."""
        if not authorization or not authorization.strip():
            raise Unauthenticated("sign in: send Authorization: Bearer <access token>", missing=True)
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("the Authorization header must be: Bearer <access token>")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthenticated("the bearer token is not a JWT") from None
        if header.get("alg") != "RS256":
            raise Unauthenticated("the token must be signed with RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("the token names no signing key")
        key = self.keys.key(kid)
        if key is None:
            raise Unauthenticated("the token is signed with a key this user pool does not have")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "sub", "token_use", "client_id"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired: sign in again") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("the token was issued by another user pool") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("the token is not valid yet") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("the token's signature does not verify") from None
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"the token is invalid ({error})") from None
        if claims["token_use"] != "access":
            raise Unauthenticated("send the access token, not the id token")
        if claims["client_id"] != self.client_id:
            raise Unauthenticated("the token was issued to another app client")
        if not isinstance(claims["iat"], int) or claims["iat"] > time.time() + LEEWAY_SECONDS:
            raise Unauthenticated("the token claims to be issued in the future")
        groups = claims.get("cognito:groups")
        if not isinstance(groups, list) or self.admin_group not in groups:
            raise NotAnAdmin(self.admin_group)
        username = claims.get("username")
        return Admin(username=username if isinstance(username, str) else claims["sub"], sub=str(claims["sub"]))
