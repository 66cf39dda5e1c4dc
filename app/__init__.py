"""The catalogue application: the API (``app.api``), the page (``frontend/``), the picture worker
(``app.worker``), the seed data (``app.seed``) and the local run on an emulated AWS (``app.local``)."""
