"""A bad stack file stops the program before any resource is declared, naming the key and what is allowed."""

import pytest

from tests.harness import StackRunFailed, run_stack


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
    ({"webstack:api": {"logRetentionDays": 10}}, "webstack:api.logRetentionDays = 10"),
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
    error = failure({"webstack:api.imageTag": "0123abc"})
    message = str(error.error)
    assert "unknown configuration keys webstack:api.imageTag" in message
    assert "pulumi config set --path webstack:api.imageTag <value>" in message
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
    with pytest.raises(FileNotFoundError, match="Pulumi.staging.yaml"):
        run_stack("staging")
