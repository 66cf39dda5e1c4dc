"""DeployParameters: what the pipelines read from SSM Parameter Store, as the stacks write it."""

import pytest

from components.parameters import DeployParameters
from mock_engine import Capture, Resource, run_stack

PARAMETER = "aws:ssm/parameter:Parameter"
KEYS = ("site/bucket-name", "site/distribution-id", "api/repository-url", "api/repository-name",
        "api/cluster-name", "api/service-name", "api/image-tag")


def parameters(capture: Capture) -> dict[str, Resource]:
    """Parameter by name, e.g. `/webstack/dev/site/bucket-name`."""
    return {p.get("name"): p for p in capture.of_type(PARAMETER)}


def value_of(capture: Capture, key: str) -> str:
    return parameters(capture)[f"/webstack/{capture.stack}/{key}"].get("insecureValue")


def test_every_key_the_pipelines_read_is_under_the_stacks_path(stack: Capture):
    assert set(parameters(stack)) >= {f"/webstack/{stack.stack}/{key}" for key in KEYS}


def test_parameters_are_plain_standard_strings(stack: Capture):
    component = stack.one("webstack:ssm:DeployParameters")
    for parameter in stack.children_of(component):
        assert parameter.type == PARAMETER
        assert (parameter.get("type"), parameter.get("tier")) == ("String", "Standard"), parameter.name
        assert parameter.get("value") is None, "names and ids are not secrets: their changes show in previews"


def test_site_parameters_name_the_site_bucket_and_distribution(stack: Capture):
    site = stack.one("webstack:site:StaticSite")
    bucket = stack.one("aws:s3/bucket:Bucket", where=lambda r: r.parent == site.urn)
    assert value_of(stack, "site/bucket-name") == bucket.state["bucket"]
    assert value_of(stack, "site/distribution-id") == stack.one("aws:cloudfront/distribution:Distribution").id


def test_api_parameters_name_the_repository_cluster_and_service(stack: Capture):
    repository = stack.one("aws:ecr/repository:Repository")
    assert value_of(stack, "api/repository-url") == repository.state["repositoryUrl"]
    assert value_of(stack, "api/repository-name") == repository.state["name"]
    assert value_of(stack, "api/cluster-name") == stack.one("aws:ecs/cluster:Cluster").state["name"]
    assert value_of(stack, "api/service-name") == stack.one("aws:ecs/service:Service").state["name"]


def test_image_tag_parameter_records_the_deployed_tag():
    capture = run_stack("prd", {"webstack:api": {"imageTag": "0123456789abcdef0123456789abcdef01234567"}})
    assert value_of(capture, "api/image-tag") == "0123456789abcdef0123456789abcdef01234567"


def test_image_tag_is_recorded_only_after_the_service_has_rolled_to_it(stack: Capture):
    # A rollout the circuit breaker rolls back fails the service update; the parameter must not move then.
    tag = parameters(stack)[f"/webstack/{stack.stack}/api/image-tag"]
    service = stack.one("aws:ecs/service:Service")
    assert service.urn in tag.property_dependencies.get("insecureValue", [])


def test_image_tag_parameter_records_the_built_tag_when_none_is_given(dev: Capture):
    assert "imageTag" not in dev.config.get("webstack:api", {})
    assert value_of(dev, "api/image-tag") == dev.one("awsx:ecr:Image").get("imageTag")


def test_parameter_keys_must_be_lowercase_paths():
    with pytest.raises(ValueError, match="Site/Bucket"):
        DeployParameters("bad", {"Site/Bucket": "value"})
    with pytest.raises(ValueError, match="site//bucket"):
        DeployParameters("bad", {"site//bucket": "value"})
