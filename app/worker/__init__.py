"""The background worker: each new original under ``images/`` becomes small responsive variants.

An S3 event notification (ObjectCreated on ``images/``) puts every new original on an SQS queue;
``python -m app.worker`` receives those jobs (``worker.Worker``), renders 320/640/1280 px WebP and JPEG
variants without metadata (``pipeline``), writes them under ``variants/`` and records them on the item
(attribute ``variants``), for the API to offer and the page to choose from. Settings: ``settings``.
"""
