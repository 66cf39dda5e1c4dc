"""``python -m app.admin``: serve the admin API with uvicorn on HOST:PORT (the container sets HOST=0.0.0.0)."""

from __future__ import annotations

import sys

from app.api.server import serve

from .main import create_app
from .settings import load_admin_settings


def main() -> int:
    return serve("app.admin", load_admin_settings, create_app)


if __name__ == "__main__":
    sys.exit(main())
