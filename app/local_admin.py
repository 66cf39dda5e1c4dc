"""The admin side of ``make dev``: an emulated Cognito user pool with one administrator, the admin API at
``/api/admin/*`` and the admin page's ``/admin/config.json``, on the same origin as the catalogue.

The pool is set up as the stack's is (no self sign-up, an ``admins`` group, the password policy, a public
app client with USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH), except that MFA is off: the emulator's
TOTP is one fixed secret, so locally it would prove nothing (the page's MFA screens are still tested,
against a pool with MFA on). The administrator gets a fresh random password at every start.

The pool lives in us-east-1 although the table and bucket are in ap-northeast-1: the emulator answers the
browser's unsigned Cognito calls from its us-east-1 backend when it cannot tell the region (GlobalSignOut
among them), so a pool elsewhere could not sign out. On AWS the pool's region is the stack's; the admin
API takes the region from the pool id either way.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from boto3.session import Session

from app.admin.main import PREFIX, create_app
from app.admin.settings import AdminSettings
from app.admin.store import AdminStore

ADMIN_GROUP = "admins"
LOCAL_ADMIN = "admin"
PASSWORD_POLICY = {
    "MinimumLength": 14,  # as the stacks' pools (components/admin.py)
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 3,
}
CONFIG_PATH = "/admin/config.json"
POOL_REGION = "us-east-1"


@dataclass(frozen=True)
class LocalCognito:
    endpoint_url: str
    region: str
    pool_id: str
    client_id: str
    username: str
    password: str

    def page_config(self) -> dict[str, str]:
        """What /admin/config.json holds; on AWS the program writes the same keys with the real endpoint."""
        return {
            "region": self.region,
            "userPoolId": self.pool_id,
            "clientId": self.client_id,
            "cognitoEndpoint": self.endpoint_url.rstrip("/") + "/",
        }


def random_password() -> str:
    # token_urlsafe may lack a class the policy requires: end with one of each.
    return secrets.token_urlsafe(12) + "Aa7!"


def provision_cognito(
    endpoint_url: str, session: Session, *, mfa: str = "OFF", pool_name: str = "webstack-local-admins"
) -> LocalCognito:
    """A user pool, its admins group, the page's app client and one administrator with a permanent password."""
    idp = session.client("cognito-idp", endpoint_url=endpoint_url, region_name=POOL_REGION)
    pool = idp.create_user_pool(
        PoolName=pool_name,
        Policies={"PasswordPolicy": PASSWORD_POLICY},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        UsernameConfiguration={"CaseSensitive": False},
        MfaConfiguration=mfa,
    )["UserPool"]
    if mfa != "OFF":
        idp.set_user_pool_mfa_config(
            UserPoolId=pool["Id"], SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration=mfa
        )
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="admin-page",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
    )["UserPoolClient"]
    idp.create_group(UserPoolId=pool["Id"], GroupName=ADMIN_GROUP, Description="catalogue administrators")
    password = random_password()
    idp.admin_create_user(UserPoolId=pool["Id"], Username=LOCAL_ADMIN, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username=LOCAL_ADMIN, Password=password, Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool["Id"], Username=LOCAL_ADMIN, GroupName=ADMIN_GROUP)
    return LocalCognito(
        endpoint_url=endpoint_url,
        region=pool["Id"].split("_", 1)[0],
        pool_id=pool["Id"],
        client_id=client["ClientId"],
        username=LOCAL_ADMIN,
        password=password,
    )


def admin_settings(
    cognito: LocalCognito, table_name: str, bucket_name: str, aws_region: str, **overrides: Any
) -> AdminSettings:
    values: dict[str, Any] = {
        "table_name": table_name,
        "bucket_name": bucket_name,
        "aws_region": aws_region,
        "aws_endpoint_url": cognito.endpoint_url,
        "cognito_user_pool_id": cognito.pool_id,
        "cognito_client_id": cognito.client_id,
        "cognito_endpoint_url": cognito.endpoint_url,
    }
    return AdminSettings(**(values | overrides))


def admin_csp(cognito_origin: str) -> str:
    """The admin pages' Content-Security-Policy; on AWS connect-src names https://cognito-idp.<region>.amazonaws.com."""
    return (
        "default-src 'self'; img-src 'self' data: blob:; "
        f"connect-src 'self' {cognito_origin.rstrip('/')}; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    )


class AdminOrigin:
    """One origin, as CloudFront makes it: ``/api/admin/*`` to the admin API, ``/admin/config.json`` from
    here, everything else to the site (page and public API); the admin pages get their own CSP."""

    def __init__(self, site: Any, admin_api: Any, cognito: LocalCognito, security_headers: dict[str, str]):
        self.site = site
        self.admin_api = admin_api
        self._config = json.dumps(cognito.page_config()).encode()
        self._headers = security_headers
        self._admin_csp = admin_csp(cognito.endpoint_url)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == PREFIX or path.startswith(PREFIX + "/"):
            await self.admin_api(scope, receive, self._with_headers(send, admin_page=False))
        elif path == CONFIG_PATH and scope.get("method") in ("GET", "HEAD"):
            await self._send_config(scope, send)
        elif path == "/admin" or path.startswith("/admin/"):
            await self.site(scope, receive, self._with_headers(send, admin_page=True))
        else:
            await self.site(scope, receive, send)

    def _with_headers(self, send: Any, admin_page: bool) -> Any:
        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                wanted = dict(self._headers)
                if admin_page:
                    wanted["content-security-policy"] = self._admin_csp
                kept = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in wanted]
                message["headers"] = kept + [(k.encode(), v.encode()) for k, v in wanted.items()]
            await send(message)

        return send_with_headers

    async def _send_config(self, scope: dict, send: Any) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self._config)).encode()),
            (b"cache-control", b"no-cache"),
            *((k.encode(), v.encode()) for k, v in self._headers.items() if k != "content-security-policy"),
            (b"content-security-policy", self._admin_csp.encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else self._config})


def add_admin(
    site: Any,
    endpoint_url: str,
    session: Session,
    table_name: str,
    bucket_name: str,
    security_headers: dict[str, str],
) -> tuple[AdminOrigin, LocalCognito]:
    """The site with the admin API, page config and pool added, and the pool's administrator."""
    cognito = provision_cognito(endpoint_url, session)
    settings = admin_settings(cognito, table_name, bucket_name, session.region_name or POOL_REGION)
    admin_api = create_app(settings, AdminStore(settings, session=session))
    return AdminOrigin(site, admin_api, cognito, security_headers), cognito
