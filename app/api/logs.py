"""Structured logs: one JSON object per line on stdout (CloudWatch Logs via awslogs parses them)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

# The formatter of the API's lines, for whoever reads them back (the tests).
from app.common.json_lines import JsonFormatter as JsonFormatter
from app.common.json_lines import log_to_stdout

from .errors import error_body

log = logging.getLogger("webstack.api")
request_log = logging.getLogger("webstack.api.request")


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stdout for our loggers and uvicorn's (its access log is replaced by the request log)."""
    # One log line per request: skip the record fields no line prints (caller lookup walks the stack).
    logging._srcfile = None  # documented switch (logging HOWTO, "Optimization")
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    log_to_stdout(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("botocore").setLevel("WARNING")


_INTERNAL_ERROR = json.dumps(error_body("internal_error", "internal server error")).encode()


class RequestLogMiddleware:
    """Logs one line per HTTP request (method, path, status, bytes, latency) and turns any exception that
    escaped the routes into a JSON 500 without a traceback (the traceback goes to the log only)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 0, "bytes": 0}

        async def send_and_note(message: dict) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception:
            log.error("unhandled error", exc_info=True, extra={"fields": {"path": scope.get("path")}})
            if state["status"] == 0:
                await send_and_note(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
                        ],
                    }
                )
                await send_and_note({"type": "http.response.body", "body": _INTERNAL_ERROR})
        finally:
            if request_log.isEnabledFor(logging.INFO):
                headers = dict(scope.get("headers") or [])
                fields = {
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": state["status"],
                    "bytes": state["bytes"],
                    "latencyMs": round((time.perf_counter() - started) * 1000, 2),
                }
                trace = headers.get(b"x-amzn-trace-id")
                if trace:
                    fields["traceId"] = trace.decode("latin-1")
                request_log.info("request", extra={"fields": fields})
