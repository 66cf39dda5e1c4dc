"""JSON log lines on stdout, the same shape as the API's (CloudWatch Logs parses them)."""

from __future__ import annotations

import logging
import sys

from app.common.json_lines import JsonFormatter


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "urllib3", "PIL"):
        logging.getLogger(noisy).setLevel("WARNING")
