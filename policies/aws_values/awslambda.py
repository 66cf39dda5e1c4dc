"""Lambda: CreateFunction. pulumi-aws auto-names a function within 64 characters, Lambda's limit for a bare name.

The model bounds Timeout to 1..5,400 and MemorySize to 128..32,768, which only functions on Lambda Managed Instances
(capacity providers) may use; its own documentation keeps other functions to 900 seconds, and the Lambda quotas to
10,240 MB. Both rules apply to a function without a capacity provider, as this program's are.
"""

from __future__ import annotations

import json
from typing import Any

from ..core import get
from .fields import DESCRIPTION, NAME, VALUE, AutoName, Request, Rule, Tagging, at_most, between, fields

API = "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html"
QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
ENVIRONMENT_BYTES = 4 * 1024


def _on_lambda_capacity(props: Any) -> bool:
    return not get(props, "capacityProviderConfig")


def _environment_problem(variables: Any) -> str | None:
    """All of a function's environment variables, names and values, in 4 KB (Lambda quotas)."""
    size = len(json.dumps(dict(variables), separators=(",", ":")).encode()) if hasattr(variables, "items") else 0
    return None if size <= ENVIRONMENT_BYTES else \
        f"{size:,} bytes of environment variables, more than the {ENVIRONMENT_BYTES:,} allowed"


REQUESTS = {
    "aws:lambda/function:Function": Request((
        *fields("lambda", NAME, ("name", "CreateFunction.FunctionName", {"autoname": AutoName(64), "rules": (
            at_most(64, f"{API} FunctionName", quote="If you specify only the function name, it is limited to 64 "
                    "characters in length"),)}),
                ("handler", "CreateFunction.Handler")),
        *fields("lambda", DESCRIPTION, ("description", "CreateFunction.Description")),
        *fields("lambda", VALUE,
                ("runtime", "CreateFunction.Runtime"),
                ("architectures", "CreateFunction.Architectures"),
                ("timeout", "CreateFunction.Timeout"),
                ("timeout", "CreateFunction.Timeout", {"model": False, "when": _on_lambda_capacity, "rules": (between(
                    1, 900, f"{API} Timeout", quote="the maximum allowed value is 900 seconds"),)}),
                ("memorySize", "CreateFunction.MemorySize"),
                ("memorySize", "CreateFunction.MemorySize", {"model": False, "when": _on_lambda_capacity, "rules": (
                    between(128, 10_240, f"{QUOTAS} (function memory allocation: 128 MB to 10,240 MB)"),)}),
                ("environment.variables", "Environment.Variables", {"rules": (Rule(
                    _environment_problem, f"{QUOTAS} (function environment variables: 4 KB, for all of them)"),)}),
                ("loggingConfig.logFormat", "LoggingConfig.LogFormat"),
                ("loggingConfig.logGroup", "LoggingConfig.LogGroup")),
    ), tags=Tagging("lambda", "TagKey", "TagValue"), unchecked=("role", "code", "vpcConfig")),
}
