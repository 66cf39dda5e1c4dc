"""JSON log lines on stdout, the same shape as the API's (CloudWatch Logs parses them)."""

from __future__ import annotations

import logging

from app.common.json_lines import log_to_stdout


def configure_logging(level: str = "INFO") -> None:
    log_to_stdout(level)
    for noisy in ("botocore", "boto3", "urllib3", "PIL"):
        logging.getLogger(noisy).setLevel("WARNING")
