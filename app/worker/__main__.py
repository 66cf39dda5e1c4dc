"""``python -m app.worker``: receive jobs until SIGTERM (or Ctrl-C), then stop cleanly with exit 0.

On SIGTERM the worker stops receiving; the job in hand is finished if it can be within
STOP_TIMEOUT_SECONDS, otherwise given back to the queue (ChangeMessageVisibility 0), and the process exits 0.
Exit 2: the environment is wrong (the message names the variable); exit 1: the queue is unusable.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .logs import configure_logging
from .settings import ConfigError, load_settings
from .worker import Worker


def _serve_health(worker: Worker, port: int, stale_after: float) -> ThreadingHTTPServer:
    """GET /healthz on 127.0.0.1:port answers 200 while the job loop keeps making progress: a loop that
    hangs (not one that crashes: that ends the process) makes the container unhealthy and ECS replaces it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's naming
            healthy = self.path == "/healthz" and time.monotonic() - worker.last_progress < stale_after
            body = b"ok\n" if healthy else b"stalled\n"
            self.send_response(200 if healthy else 503)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # http.server's signature
            pass  # the health check polls every few seconds: not worth a log line each time

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"app.worker: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    worker = Worker(settings)

    def stop(_signum: int, _frame: Any) -> None:
        worker.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    health = None
    if settings.health_port:
        # A receive may legitimately block for the whole long poll; a job step takes seconds.
        try:
            health = _serve_health(worker, settings.health_port, stale_after=settings.receive_wait_seconds + 60)
        except OSError as error:
            print(f"app.worker: HEALTH_PORT {settings.health_port}: cannot listen on it ({error})", file=sys.stderr)
            return 2
    try:
        return worker.run()
    finally:
        if health is not None:
            health.shutdown()


if __name__ == "__main__":
    sys.exit(main())
