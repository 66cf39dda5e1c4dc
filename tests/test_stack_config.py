"""A bad stack file stops the program before any resource is declared, naming the key and what is allowed."""

import re
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from mock_engine import StackRunFailed, run_stack
from stack_config import SECTIONS


def failure(overrides: dict) -> StackRunFailed:
    with pytest.raises(StackRunFailed) as raised:
        run_stack("dev", overrides)
    return raised.value


def test_unknown_nat_kind_names_the_key_and_the_allowed_values():
    error = failure({"webstack:network": {"nat": "gateway"}})
    message = str(error.error)
    assert "webstack:network.nat" in message and "'instance' or 'regional'" in message
    assert error.capture.resources == []


def test_az_count_outside_two_or_three_is_refused():
    error = failure({"webstack:network": {"azCount": 7}})
    assert "webstack:network.azCount = 7" in str(error.error) and "2 or 3" in str(error.error)
    assert error.capture.resources == []


@pytest.mark.parametrize("cidr, reason", [
    ("8.8.0.0/16", "not a private range"),
    ("10.0.0.0/24", "outside /16../20"),
    ("10.0.0.0/8", "outside /16../20"),
    ("banana", "not an IPv4 network"),
])
def test_vpc_cidr_must_be_a_private_range_of_usable_size(cidr, reason):
    error = failure({"webstack:network": {"cidr": cidr}})
    assert "webstack:network.cidr" in str(error.error) and reason in str(error.error)
    assert error.capture.resources == []


@pytest.mark.parametrize("override, key", [
    ({"webstack:network": {"flowLogRetentionDays": 10}}, "webstack:network.flowLogRetentionDays = 10"),
    ({"webstack:platform": {"logRetentionDays": 10}}, "webstack:platform.logRetentionDays = 10"),
])
def test_log_retention_must_be_a_period_cloudwatch_accepts(override, key):
    message = str(failure(override).error)
    assert key in message and "not a CloudWatch Logs retention period" in message


def test_misspelt_key_inside_a_section_is_refused():
    error = failure({"webstack:network": {"natt": "instance"}})
    assert "webstack:network.natt: unknown key" in str(error.error)
    assert error.capture.resources == []


def test_unknown_section_is_refused():
    error = failure({"webstack:netwrok": {"nat": "instance"}})
    assert "webstack:netwrok" in str(error.error) and error.capture.resources == []


def test_a_section_key_set_without_path_is_refused_with_the_path_form():
    error = failure({"webstack:platform.imageTag": "0123abc"})
    message = str(error.error)
    assert "unknown configuration keys webstack:platform.imageTag" in message
    assert "pulumi config set --path webstack:platform.imageTag <value>" in message
    assert error.capture.resources == []


def test_every_problem_is_reported_at_once():
    message = str(failure({"webstack:network": {"nat": "gateway", "azCount": 7}}).error)
    assert "webstack:network.nat" in message and "webstack:network.azCount" in message


def test_missing_owner_is_refused_because_it_tags_everything():
    error = failure({"webstack:owner": None})
    assert "webstack:owner is not set" in str(error.error) and error.capture.resources == []


def test_missing_region_is_refused():
    error = failure({"aws:region": None})
    assert "aws:region is not set" in str(error.error) and error.capture.resources == []


def test_unknown_stack_file_is_named():
    with pytest.raises(FileNotFoundError, match=r"Pulumi\.staging\.yaml"):
        run_stack("staging")


# --- the project and its documentation -----------------------------------------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "policies/requirements.txt", "app/requirements.txt")


def test_the_project_is_webstack_in_python_with_its_own_virtualenv():
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "webstack"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"  # `pulumi install` creates it


@pytest.mark.parametrize("path", REQUIREMENTS)
def test_every_requirement_is_pinned(path: str):
    lines = [line.split("#")[0].strip() for line in (PROJECT_ROOT / path).read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("-r ")]
    assert requirements and [r for r in requirements if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", r)] == []


def readme_defaults(section: str) -> dict[str, str]:
    """`key: default` of the README table that follows the `webstack:<section>` heading."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split(f"**`webstack:{section}`**", 1)[1].split("\n\n", 2)[1]
    defaults = {}
    for row in table.splitlines()[2:]:
        keys, values = row.split("|")[1:3]
        names = re.findall(r"`([^`]+)`", keys)
        shown = re.findall(r"`([^`]+)`", values) or ["—"] * len(names)
        assert len(names) == len(shown), row
        defaults.update(zip(names, shown, strict=True))
    return defaults


def section_model(section: str) -> type[BaseModel]:
    """`admin` or a nested `admin.service`: the model that validates that object of the stack file."""
    name, *nested = section.split(".")
    model = SECTIONS[name]
    for key in nested:
        [field] = [f for f in model.model_fields.values() if f.alias == key]
        model = field.annotation if isinstance(field.annotation, type) else \
            next(a for a in get_args(field.annotation) if isinstance(a, type) and issubclass(a, BaseModel))
    return model


def nested_sections() -> list[str]:
    """Every object inside a section that has a model of its own (and so a README table of its own)."""
    found = []
    for name, model in SECTIONS.items():
        for field in model.model_fields.values():
            if any(isinstance(a, type) and issubclass(a, BaseModel)
                   for a in (field.annotation, *get_args(field.annotation))):
                found.append(f"{name}.{field.alias}")
    return found


def model_defaults(section: str) -> dict[str, str]:
    def shown(value: Any) -> str:
        if value is None or value is PydanticUndefined:
            return "—"
        return str(value).lower() if isinstance(value, bool) else str(value)

    return {field.alias: shown(field.default) for field in section_model(section).model_fields.values()
            if not isinstance(field.default, BaseModel) and f"{section}.{field.alias}" not in nested_sections()}


@pytest.mark.parametrize("section", [*SECTIONS, *nested_sections()])
def test_readme_configuration_tables_match_the_models(section: str):
    assert readme_defaults(section) == model_defaults(section)
