"""The catalogue API: items from DynamoDB, their pictures from S3.

Routes (all JSON unless noted; errors are ``{"error": {"code": ..., "message": ...}}``):

- ``GET /api/items`` — every item, sorted by id, ``price`` as a number.
- ``GET /api/items/{id}`` — one item; 404 if unknown.
- ``GET /api/images/{name}`` — the picture stored at S3 key ``images/{name}`` (``name`` is a single file
  name such as ``banana.jpg``; ``imageUrl`` in an item points here). Streams the bytes with
  ``ETag``/``If-None-Match`` and ``Cache-Control``.
- ``GET /healthz`` — liveness, touches no AWS service; ``GET /readyz`` — readiness, reaches the table.
- ``GET /api/openapi.json`` — the OpenAPI document.

Settings come from the environment (``app.api.settings``); ``python -m app.api`` serves the API.
"""
