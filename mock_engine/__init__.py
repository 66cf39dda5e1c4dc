"""The offline engine: the webstack program run under Pulumi's mocks, and what it declares.

No Pulumi CLI, AWS account or network is needed. `run_stack("dev")` runs `__main__.py` with the real
`Pulumi.dev.yaml` against a mock engine whose answers are shaped like AWS's (`aws.py`), and returns a `Capture`
(`capture.py`) of every registered resource: inputs, parent, dependencies, property dependencies, provider and
options, plus the stack outputs. The tests, the offline policy check (`python -m policies.offline`), the stack
report (`python -m report`) and the benchmarks all judge the same capture.
"""

from .aws import ACCOUNT_ID, CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, ELB_ACCOUNT_ID, WebstackMocks
from .capture import Capture, Invoke, Resource, StackRunFailed, as_list, policy_document, statements
from .run import PROJECT, PROJECT_ROOT, merged_config, run_program, run_stack, stacks

__all__ = [
    "ACCOUNT_ID", "CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST", "ELB_ACCOUNT_ID", "PROJECT", "PROJECT_ROOT", "Capture",
    "Invoke",
    "Resource", "StackRunFailed", "WebstackMocks", "as_list", "merged_config", "policy_document", "run_program",
    "run_stack", "stacks", "statements",
]
