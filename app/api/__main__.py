"""``python -m app.api``: serve the API with uvicorn on HOST:PORT (the container sets HOST=0.0.0.0)."""

from __future__ import annotations

import sys

from .main import create_app
from .server import serve
from .settings import load_settings


def main() -> int:
    return serve("app.api", load_settings, create_app)


if __name__ == "__main__":
    sys.exit(main())
