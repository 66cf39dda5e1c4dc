"""The one error shape of the API: ``{"error": {"code": "...", "message": "..."}}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .models import ErrorResponse


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


class UpstreamUnavailable(ApiError):
    """DynamoDB or S3 could not answer (unreachable, timed out, throttled, failing) after bounded retries."""

    def __init__(self, service: str, reason: str):
        super().__init__(
            503,
            "upstream_unavailable",
            f"{service} is unavailable ({reason}); try again shortly",
            headers={"Retry-After": "1"},
        )
        self.service = service
        self.reason = reason


# Documented on every route that can produce them.
def error_responses(*statuses: int) -> dict[int | str, dict]:
    descriptions = {
        400: "Malformed request (the message says which part).",
        404: "No such item or image.",
        503: "DynamoDB or S3 is unavailable or throttling; retry after the Retry-After seconds.",
    }
    return {status: {"model": ErrorResponse, "description": descriptions[status]} for status in statuses}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


async def handle_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = f"no route for {request.method} {request.url.path}" if exc.status_code == 404 else str(exc.detail)
    return error_response(exc.status_code, code, message, getattr(exc, "headers", None))


async def handle_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for detail in exc.errors():
        where = ".".join(str(part) for part in detail.get("loc", ()))
        parts.append(f"{where}: {detail.get('msg', 'invalid')}")
    return error_response(400, "invalid_request", "; ".join(parts) or "invalid request")


def openapi_as_sent(app: FastAPI, error_schema: str) -> dict[str, Any]:
    """`app`'s OpenAPI document as the app answers: invalid requests get 400 in the common error shape
    (handle_validation_error), so the 422 FastAPI documents by default would describe a response that is never
    sent, and any route can answer the JSON 500 of RequestLogMiddleware, in `error_schema`."""
    if app.openapi_schema is None:
        unexpected = {
            "description": "Unexpected error (internal_error); the details go to the log only.",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{error_schema}"}}},
        }
        schema = FastAPI.openapi(app)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
                operation.setdefault("responses", {})["500"] = unexpected
        for unused in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema
