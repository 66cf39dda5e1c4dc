"""The admin FastAPI application: ``create_app`` wires settings, the token check, the store and the errors."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header, Path, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Match

from app.api.errors import ApiError, error_response, handle_api_error, handle_http_exception, openapi_as_sent
from app.api.logs import RequestLogMiddleware
from app.api.models import Health

from . import models
from .auth import Admin, JsonWebKeys, TokenVerifier
from .images import IMAGE_TYPES, check_declared_length, check_signature, image_type_for, read_limited
from .models import AdminErrorResponse, AdminItem, ItemCreate, ItemUpdate
from .settings import AdminSettings, load_admin_settings
from .store import AdminStore, ItemFields, new_item_id

log = logging.getLogger("webstack.admin")

PREFIX = "/api/admin"
OPENAPI_URL = f"{PREFIX}/openapi.json"
IF_MATCH_PATTERN = r'^("[0-9]{1,15}"|[0-9]{1,15})$'

_bearer = HTTPBearer(
    auto_error=False,  # AdminAuth below answers 401/403 before routing; this only documents the scheme
    bearerFormat="JWT",
    scheme_name="CognitoAccessToken",
    description="A Cognito access token of the stack's user pool, for the admin app client, of a member "
    "of the admin group.",
)

ItemId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=128,
        pattern=models.ITEM_ID_PATTERN,
        description="1-128 characters of A-Z a-z 0-9 . _ ~ -",
    ),
]
IfMatch = Annotated[
    str,
    Header(
        alias="If-Match",
        pattern=IF_MATCH_PATTERN,
        description='The item version the change is based on, as its ETag ("3") or bare (3).',
    ),
]

_ERROR_DESCRIPTIONS = {
    400: "Malformed request: `fields` names each offending field and what it must be.",
    401: "No access token, or one that fails verification (signature, issuer, client, use, expiry). "
    "Sent with `WWW-Authenticate: Bearer`.",
    403: "A valid token of a user who is not in the admin group.",
    404: "No item with that id.",
    409: "The item changed since the version given (someone saved first), or the id is taken; nothing "
    "was written.",
    413: "The picture is larger than MAX_IMAGE_BYTES.",
    415: "Content-Type is not image/jpeg, image/png or image/webp.",
    503: "DynamoDB, S3 or Cognito's key endpoint is unavailable; retry after the Retry-After seconds.",
}
_ETAG = {"ETag": {"description": 'The item version, e.g. "3": send it back as If-Match.', "schema": {"type": "string"}}}
# How a new item's id and version feed the next requests (used by clients and by the stateful fuzzer).
_LINKS_FROM_NEW_ITEM = {
    "GetItem": {"operationId": "getItem", "parameters": {"item_id": "$response.body#/id"}},
    "UpdateItem": {"operationId": "updateItem", "parameters": {"item_id": "$response.body#/id"}},
    "PutItemImage": {
        "operationId": "putItemImage",
        "parameters": {"item_id": "$response.body#/id", "header.If-Match": "$response.header.ETag"},
    },
    "DeleteItem": {
        "operationId": "deleteItem",
        "parameters": {"item_id": "$response.body#/id", "header.If-Match": "$response.header.ETag"},
    },
}
_AUTH_HEADER = {
    "WWW-Authenticate": {"description": "The Bearer challenge (RFC 6750).", "schema": {"type": "string"}}
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    documented: dict[int | str, dict[str, Any]] = {}
    for status in (401, 403, *statuses):
        entry: dict[str, Any] = {"model": AdminErrorResponse, "description": _ERROR_DESCRIPTIONS[status]}
        if status in (401, 403):
            entry["headers"] = _AUTH_HEADER
        if status == 503:
            entry["headers"] = _RETRY_AFTER
        documented[status] = entry
    return documented


def _image_body_document(max_bytes: int) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": f"The picture's bytes, at most {max_bytes} bytes; they must start with the "
            "signature of the declared type (JPEG FF D8 FF; PNG 89 50 4E 47 0D 0A 1A 0A; WebP RIFF....WEBP).",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in IMAGE_TYPES
            },
        }
    }


def create_app(
    settings: AdminSettings | None = None,
    store: AdminStore | None = None,
    verifier: TokenVerifier | None = None,
) -> FastAPI:
    settings = settings or load_admin_settings()
    store = store or AdminStore(settings)
    verifier = verifier or TokenVerifier(
        issuer=settings.issuer,
        client_id=settings.cognito_client_id,
        admin_group=settings.admin_group,
        keys=JsonWebKeys(settings.jwks_url, settings.jwks_min_refetch_seconds),
    )
    app = FastAPI(
        title="webstack admin API",
        version="1.0.0",
        description="Create, edit and delete catalogue items and their pictures. Every route but /healthz and "
        "this document needs a Cognito access token of an administrator. Every write is conditional on the "
        "item's version. Errors: "
        '`{"error": {"code": "...", "message": "...", "fields": {...}}}` (`fields` only on a 400).',
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    app.state.verifier = verifier
    app.add_exception_handler(ApiError, handle_api_error)
    app.add_exception_handler(HTTPException, handle_http_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_middleware(AdminAuth, verifier=verifier)
    app.add_middleware(RequestLogMiddleware)
    secured = [Security(_bearer)]

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        """Liveness: the process answers. Touches no AWS service and needs no token."""
        return Health(status="ok")

    @app.get(f"{PREFIX}/items", operation_id="listItems", response_model=list[AdminItem], responses=errors(503),
             dependencies=secured, tags=["items"])
    def list_items() -> list[AdminItem]:
        """Every item with its version, sorted by id (a consistent view: no cache)."""
        return store.list_items()

    @app.post(
        f"{PREFIX}/items",
        operation_id="createItem",
        status_code=201,
        response_model=AdminItem,
        responses={
            201: {
                "headers": {"Location": {"description": "The new item's path.", "schema": {"type": "string"}}, **_ETAG},
                "links": _LINKS_FROM_NEW_ITEM,
            },
            **errors(400, 409, 503),
        },
        dependencies=secured,
        tags=["items"],
    )
    def create_item(request: Request, item: Annotated[ItemCreate, Body()], response: Response) -> AdminItem:
        """A new item at version 1, without a picture (upload one with PUT .../image)."""
        created = store.create_item(item.id or new_item_id(), _fields(item))
        _audit(request, "item created", created)
        response.headers["Location"] = f"{PREFIX}/items/{created.id}"
        response.headers["ETag"] = f'"{created.version}"'
        return created

    @app.get(
        f"{PREFIX}/items/{{item_id}}",
        operation_id="getItem",
        response_model=AdminItem,
        responses={200: {"headers": _ETAG}, **errors(400, 404, 503)},
        dependencies=secured,
        tags=["items"],
    )
    def get_item(item_id: ItemId, response: Response) -> AdminItem:
        """One item as it is now (a strongly consistent read), e.g. to reload it after a 409."""
        item = store.get_item(item_id)
        response.headers["ETag"] = f'"{item.version}"'
        return item

    @app.put(
        f"{PREFIX}/items/{{item_id}}",
        operation_id="updateItem",
        response_model=AdminItem,
        responses={200: {"headers": _ETAG}, **errors(400, 404, 409, 503)},
        dependencies=secured,
        tags=["items"],
    )
    def update_item(
        request: Request, item_id: ItemId, item: Annotated[ItemUpdate, Body()], response: Response
    ) -> AdminItem:
        """Replaces title, description and price if the item is still at `version`; the answer holds the
        new version. A stale version is a 409 and changes nothing."""
        updated = store.update_item(item_id, item.version, _fields(item))
        _audit(request, "item updated", updated)
        response.headers["ETag"] = f'"{updated.version}"'
        return updated

    @app.delete(
        f"{PREFIX}/items/{{item_id}}",
        operation_id="deleteItem",
        status_code=204,
        response_class=Response,
        responses={204: {"description": "Deleted, with its picture and variants."}, **errors(400, 404, 409, 503)},
        dependencies=secured,
        tags=["items"],
    )
    def delete_item(request: Request, item_id: ItemId, if_match: IfMatch) -> Response:
        """Deletes the item if it is still at the If-Match version, then its picture and variants (an
        object whose deletion fails stays behind as an orphan; no item points to it)."""
        version = _version(if_match)
        store.delete_item(item_id, version)
        log.info("item deleted", extra={"fields": {"itemId": item_id, "version": version, "admin": _who(request)}})
        return Response(status_code=204)

    @app.put(
        f"{PREFIX}/items/{{item_id}}/image",
        operation_id="putItemImage",
        response_model=AdminItem,
        responses={200: {"headers": _ETAG}, **errors(400, 404, 409, 413, 415, 503)},
        openapi_extra=_image_body_document(settings.max_image_bytes),
        dependencies=secured,
        tags=["items"],
    )
    async def put_image(request: Request, item_id: ItemId, if_match: IfMatch, response: Response) -> AdminItem:
        """Stores the body as the item's new picture under a fresh key and points the item at it (removing
        the variants of the old one), if the item is still at the If-Match version; then deletes the old
        picture and its variants."""
        version = _version(if_match)
        image = image_type_for(request.headers.get("content-type"))
        check_declared_length(request.headers.get("content-length"), settings.max_image_bytes)
        data = await read_limited(request.stream(), settings.max_image_bytes)
        check_signature(image, data)
        updated = await run_in_threadpool(
            store.replace_image, item_id, version, data, image.media_type, image.extension
        )
        _audit(request, "picture replaced", updated)
        response.headers["ETag"] = f'"{updated.version}"'
        return updated

    app.openapi = lambda: openapi_as_sent(app, "AdminErrorResponse")
    return app


def _fields(item: ItemCreate | ItemUpdate) -> ItemFields:
    return ItemFields(title=item.title, description=item.description, price=item.price)


def _version(if_match: str) -> int:
    return int(if_match.strip('"'))


def _who(request: Request) -> str | None:
    admin = getattr(request.state, "admin", None)
    return admin.username if isinstance(admin, Admin) else None


def _audit(request: Request, message: str, item: AdminItem) -> None:
    # Who changed what: the request log has no user, so each write logs one line of its own.
    log.info(message, extra={"fields": {"itemId": item.id, "version": item.version, "admin": _who(request)}})


class AdminAuth:
    """Verifies the bearer token of every request under /api/admin/ but the OpenAPI document, before
    routing and before a byte of the body is read: an unauthenticated caller learns nothing of the
    routes and cannot make the task read an upload."""

    def __init__(self, app: Any, verifier: TokenVerifier):
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")) or path == OPENAPI_URL:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        try:
            admin = await run_in_threadpool(self.verifier.verify, authorization)
        except ApiError as error:
            await error_response(error.status, error.code, error.message, error.headers)(scope, receive, send)
            return
        scope.setdefault("state", {})["admin"] = admin
        await self.app(scope, receive, send)


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        # Each method of a path is its own route, and Starlette's Allow names only the first one's.
        methods: set[str] = set()
        for route in request.app.router.routes:
            match, _ = route.matches(request.scope)
            if match != Match.NONE:
                methods.update(getattr(route, "methods", None) or ())
        exc = HTTPException(405, "method not allowed", headers={"Allow": ", ".join(sorted(methods))})
    return await handle_http_exception(request, exc)


# What each field must be, as the 400 body says it: the same rules as the models' schemas.
_RULES = {
    "id": "1-128 characters of A-Z a-z 0-9 . _ ~ -, starting with a letter or digit",
    "item_id": "1-128 characters of A-Z a-z 0-9 . _ ~ -",
    "title": f"1-{models.TITLE_MAX} characters, not only spaces, no control characters",
    "description": f"0-{models.DESCRIPTION_MAX} characters, no control characters but line breaks and tabs",
    "price": f"a whole number of yen from 0 to {models.PRICE_MAX}, as a JSON integer (not a string, a fraction "
    "or a boolean)",
    "version": "the item's version the edit is based on: an integer from 0",
    "If-Match": 'the item\'s version the change is based on, e.g. "3"',
    "body": "a JSON object",
}
_HEADER_NAMES = {"if-match": "If-Match"}


def _field_of(location: tuple[Any, ...]) -> str:
    if not location:
        return "body"
    where, rest = location[0], location[1:]
    if where == "body":
        return str(rest[0]) if rest and isinstance(rest[0], str) else "body"
    if where == "header" and rest:
        return _HEADER_NAMES.get(str(rest[0]).lower(), str(rest[0]))
    return str(rest[0]) if rest else str(where)


async def handle_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields: dict[str, str] = {}
    for detail in exc.errors():
        field = _field_of(tuple(detail.get("loc", ())))
        kind = detail.get("type", "")
        if kind == "extra_forbidden":
            problem = "unknown field"
        elif kind == "missing":
            problem = f"required: {_RULES.get(field, 'missing')}"
        elif kind == "json_invalid":
            problem = "the body is not valid JSON"
        else:
            problem = _RULES.get(field, str(detail.get("msg", "invalid")))
            if "lone surrogates" in str(detail.get("msg", "")):
                problem += " (and valid Unicode: no lone surrogates)"
        fields.setdefault(field, problem)
    code = "invalid_item_id" if set(fields) == {"item_id"} else "invalid_request"
    message = "; ".join(f"{field}: {problem}" for field, problem in fields.items()) or "invalid request"
    return JSONResponse({"error": {"code": code, "message": message, "fields": fields}}, status_code=400)
