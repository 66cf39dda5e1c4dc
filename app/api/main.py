"""The FastAPI application. ``create_app`` wires settings, the catalogue and the error handlers."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Header, Path
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from .catalogue import (
    IMAGE_NAME_PATTERN,
    ITEM_ID_PATTERN,
    VARIANT_NAME_PATTERN,
    Catalogue,
    Image,
    check_item_id,
    image_key_for,
    variant_key_for,
)
from .errors import (
    ApiError,
    error_responses,
    handle_api_error,
    handle_http_exception,
    handle_validation_error,
    openapi_as_sent,
)
from .logs import RequestLogMiddleware
from .models import Health, Item, Readiness
from .settings import Settings, load_settings

IMAGE_CACHE_CONTROL = "public, max-age=3600"
# A variant's name changes with its content (app.worker), so browsers and CloudFront may keep it for good.
VARIANT_CACHE_CONTROL = "public, max-age=31536000, immutable"
OPENAPI_URL = "/api/openapi.json"


def create_app(settings: Settings | None = None, catalogue: Catalogue | None = None) -> FastAPI:
    settings = settings or load_settings()
    catalogue = catalogue or Catalogue(settings)
    app = FastAPI(
        title="webstack catalogue API",
        version="1.0.0",
        description="Items from DynamoDB and their pictures from S3. Errors: "
        '`{"error": {"code": "...", "message": "..."}}`.',
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(ApiError, handle_api_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_middleware(RequestLogMiddleware)

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        """Liveness: the process answers. Touches no AWS service."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Readiness, responses=error_responses(503), tags=["health"])
    def readyz() -> Readiness:
        """Readiness: the item table answers a read."""
        catalogue.check_ready()
        return Readiness(status="ready")

    items_body = _ItemsBody()

    @app.get("/api/items", response_model=list[Item], responses=error_responses(503), tags=["items"])
    async def list_items() -> Response:
        """Every item, sorted by id (numeric ids in numeric order)."""
        # A fresh cached scan is answered on the event loop; only a scan goes to the thread pool.
        items = catalogue.cached_items()
        if items is None:
            items = await run_in_threadpool(catalogue.list_items)
        return Response(items_body.render(items), media_type="application/json")

    @app.get("/api/items/{item_id}", response_model=Item, responses=error_responses(400, 404, 503), tags=["items"])
    def get_item(
        # The rule is checked by check_item_id (a 400 invalid_item_id); the schema states the same rule.
        item_id: Annotated[
            str,
            Path(
                description="1-128 characters of A-Z a-z 0-9 . _ ~ -",
                json_schema_extra={"pattern": ITEM_ID_PATTERN, "minLength": 1, "maxLength": 128},
            ),
        ],
    ) -> Item:
        """One item by id."""
        item = catalogue.get_item(check_item_id(item_id))
        if item is None:
            raise ApiError(404, "not_found", f"no item with id {item_id}")
        return item

    # Declared before /api/images/{name:path}, which would otherwise take variants/<file> as a name.
    @app.get(
        "/api/images/variants/{name}",
        response_class=StreamingResponse,
        responses={
            200: {"description": "The variant's bytes (WebP or JPEG).", "content": {"image/*": {}}},
            304: {"description": "The client's copy (If-None-Match) is current."},
            **error_responses(400, 404, 503),
        },
        tags=["images"],
    )
    def get_variant(
        # Checked by variant_key_for (a 400 invalid_image_key); the schema states the same rule.
        name: Annotated[
            str,
            Path(
                description="File name under variants/ in the bucket, as an item's variants[].url gives it, "
                "e.g. banana-0123456789abcdef-640.webp",
                json_schema_extra={"pattern": VARIANT_NAME_PATTERN},
            ),
        ],
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """A small rendition of a picture, stored at S3 key variants/{name} by the worker."""
        return _image_response(catalogue.get_image(variant_key_for(name), if_none_match), VARIANT_CACHE_CONTROL)

    @app.get(
        "/api/images/{name:path}",
        response_class=StreamingResponse,
        responses={
            200: {"description": "The picture's bytes.", "content": {"image/*": {}}},
            304: {"description": "The client's copy (If-None-Match) is current."},
            **error_responses(400, 404, 503),
        },
        tags=["images"],
    )
    def get_image(
        # Checked by image_key_for (a 400 invalid_image_key); the schema states the same rule.
        name: Annotated[
            str,
            Path(
                description="File name under images/ in the bucket, e.g. banana.jpg: letters, digits, . _ -, "
                "starting with a letter or digit, no '..'",
                json_schema_extra={"pattern": IMAGE_NAME_PATTERN, "minLength": 1, "maxLength": 128},
            ),
        ],
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The picture stored at S3 key images/{name}."""
        return _image_response(catalogue.get_image(image_key_for(name), if_none_match), IMAGE_CACHE_CONTROL)

    app.openapi = lambda: openapi_as_sent(app, "ErrorResponse")
    return app


def _image_response(image: Image, cache_control: str) -> Response:
    headers = {"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if image.etag:
        headers["ETag"] = image.etag
    if image.chunks is None:
        return Response(status_code=304, headers=headers)
    if image.length is not None:
        headers["Content-Length"] = str(image.length)
    if image.last_modified:
        headers["Last-Modified"] = image.last_modified
    return StreamingResponse(image.chunks, media_type=image.content_type, headers=headers)


class _ItemsBody:
    """The JSON of the last item list, re-rendered only when the catalogue hands out a new list."""

    _adapter = TypeAdapter(list[Item])

    def __init__(self) -> None:
        self._items: list[Item] | None = None
        self._body = b""

    def render(self, items: list[Item]) -> bytes:
        if items is not self._items:
            self._body = self._adapter.dump_json(items)
            self._items = items
        return self._body
