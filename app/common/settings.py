"""Settings read from the environment: a pydantic model whose field names, upper-cased, are the variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

Model = TypeVar("Model", bound=BaseSettings)


class ConfigError(Exception):
    """The environment does not describe a runnable service; the message names each variable to fix."""


def from_environment(model: type[Model], hints: Mapping[str, str]) -> Model:
    """`model` read from the environment, or ConfigError naming each variable to fix (with its hint, if any)."""
    try:
        return model()
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            field = str(detail["loc"][0]) if detail["loc"] else ""
            hint = f" ({hints[field]})" if field in hints else ""
            problems.append(f"{field.upper() or 'environment'}: {detail['msg']}{hint}")
        raise ConfigError("invalid environment: " + "; ".join(problems)) from None
