"""``python -m app.admin``: serve the admin API with uvicorn on HOST:PORT (the container sets HOST=0.0.0.0)."""

from __future__ import annotations

import sys

import uvicorn

from app.api.logs import configure_logging
from app.api.settings import ConfigError

from .main import create_app
from .settings import load_admin_settings


def main() -> int:
    try:
        settings = load_admin_settings()
    except ConfigError as error:
        print(f"app.admin: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
