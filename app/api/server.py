"""Serve an ASGI app of this image the way its containers do: settings from the environment, JSON logs, uvicorn."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import uvicorn

from .logs import configure_logging
from .settings import ConfigError


class ServerSettings(Protocol):
    host: str
    port: int
    log_level: str


Settings = TypeVar("Settings", bound=ServerSettings)


def serve(program: str, load: Callable[[], Settings], create_app: Callable[[Settings], Any]) -> int:
    """Run `create_app(load())` on HOST:PORT until stopped; a settings error is exit 2 with its message."""
    try:
        settings = load()
    except ConfigError as error:
        print(f"{program}: {error}", file=sys.stderr)
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
