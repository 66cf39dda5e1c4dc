"""The tags a resource will carry, judged against its service's tag rules.

A resource carries its provider's default tags (`defaultTags.tags`, every stack's owner/project/stack) merged with
its own `tags`, its own winning on a shared key. Each service has its own tag shapes: IAM, ELB, ECS and SSM keys
and values take letters, digits, spaces and `_.:/=+-@` only; EC2 takes any character up to 127/256; an S3 object
carries at most 10 tags, a resource 50. Keys starting with `aws:` are AWS's own everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

from ..core import as_json, describe, get, is_mapping
from .fields import Tagging, plain
from .model import Checker

TAGGING_GUIDE = "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html"
RESERVED_PREFIX = "aws:"


def default_tags(args: ResourceValidationArgs) -> Mapping[str, Any]:
    """The resource's provider's default tags; the engine sends provider inputs as JSON text."""
    provider = args.provider
    if provider is None:
        return {}
    configured = as_json(get(provider.props, "defaultTags"))
    tags = get(configured, "tags") if is_mapping(configured) else None
    return plain(tags) if is_mapping(tags) else {}


def effective_tags(args: ResourceValidationArgs) -> dict[str, Any]:
    own = get(args.props, "tags")
    return {**default_tags(args), **(plain(own) if is_mapping(own) else {})}


def _source(tagging: Tagging, shape: str) -> str:
    return f"botocore {tagging.service} {shape}"


def tag_problems(args: ResourceValidationArgs, tagging: Tagging) -> list[str]:
    try:
        tags = effective_tags(args)
    except UnknownValueError:
        return []
    what = describe(args)
    messages = []
    if len(tags) > tagging.max_tags:
        messages.append(f"{what} would carry {len(tags)} tags (default and its own); {tagging.service} takes "
                        f"{tagging.max_tags} [{TAGGING_GUIDE}].")
    checker = Checker(tagging.service)
    for key, value in tags.items():
        problems: list[tuple[str, str | None, str]] = []
        problems += [("key", p.message, _source(tagging, tagging.key)) for p in checker.check(key, tagging.key)]
        problems += [("key", rule.check(key), rule.source) for rule in tagging.rules]
        if str(key).lower().startswith(RESERVED_PREFIX):
            problems.append(("key", f"{key!r} begins with aws:, which AWS reserves", TAGGING_GUIDE))
        problems += [("value", p.message, _source(tagging, tagging.value))
                     for p in checker.check(value, tagging.value)]
        problems += [("value", rule.check(value), rule.source) for rule in tagging.value_rules]
        for part, message, source in problems:
            if message:
                messages.append(f"{what}: tag {key!r} ({part}): {message} [{source}].")
    return messages
