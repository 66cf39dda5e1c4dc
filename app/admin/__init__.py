"""The admin API: administrators create, edit and delete catalogue items and their pictures.

Routes (JSON unless noted; errors are ``{"error": {"code", "message", "fields"?}}``):

- ``GET /api/admin/items`` — every item with its ``version``.
- ``POST /api/admin/items`` — a new item (201).
- ``GET /api/admin/items/{id}`` — one item, ``ETag: "<version>"``.
- ``PUT /api/admin/items/{id}`` — new title, description and price, given the ``version`` they are based on.
- ``DELETE /api/admin/items/{id}`` — with ``If-Match: "<version>"`` (204); then its picture and variants.
- ``PUT /api/admin/items/{id}/image`` — the picture's bytes (image/jpeg, image/png, image/webp), with
  ``If-Match``.
- ``GET /healthz`` (no token, no AWS call); ``GET /api/admin/openapi.json`` (no token).

Every ``/api/admin/*`` request needs ``Authorization: Bearer <Cognito access token>`` of a member of
``ADMIN_GROUP``, verified here (``app.admin.auth``). Settings: ``app.admin.settings``. ``python -m app.admin``
serves it; ``python -m app.admin.create_user`` adds an administrator to a pool on AWS.
"""
