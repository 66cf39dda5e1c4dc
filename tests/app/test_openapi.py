"""The served OpenAPI document describes every route and every response the API actually sends."""

from __future__ import annotations

import pytest


def test_openapi_document_is_served_and_lists_every_route(client):
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/healthz",
        "/readyz",
        "/api/items",
        "/api/items/{item_id}",
        "/api/images/{name}",
        "/api/images/variants/{name}",
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], f"{method} {path} documents a 422 it never sends"
            assert "500" in operation["responses"], f"{method} {path} hides the JSON 500 it can send"
    assert set(document["components"]["schemas"]) >= {"Item", "ErrorResponse", "ErrorDetail"}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/healthz", 200),
        ("/readyz", 200),
        ("/api/items", 200),
        ("/api/items/3", 200),
        ("/api/items/404", 404),
        ("/api/items/bad%20id", 400),
        ("/api/images/orange.jpg", 200),
        ("/api/images/missing.jpg", 404),
        ("/api/images/%2e%2e%2fx", 400),
        ("/api/images/variants/banana-0123456789abcdef-640.webp", 404),
        ("/api/images/variants/..%2fbanana.jpg", 400),
        ("/no/such/route", 404),
    ],
)
def test_response_matches_the_documented_schema(client, contract, path, status):
    response = client.get(path)
    assert response.status_code == status
    contract.check(response)


def test_the_contract_check_rejects_an_undocumented_shape(client, contract):
    """The check above can fail: a body that breaks the Item schema is caught."""
    response = client.get("/api/items/1")
    response._content = b'{"id": 1, "title": "x"}'  # id not a string; price, description, imageUrl missing
    with pytest.raises(AssertionError, match="required property"):
        contract.check(response)
