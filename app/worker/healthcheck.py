"""``python -m app.worker.healthcheck``: exit 0 if this container's worker loop reports progress on its
loopback health port (HEALTH_PORT, default 8081) — the container health check of the worker service."""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('HEALTH_PORT', '8081')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # a fixed loopback URL
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
