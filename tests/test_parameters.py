"""DeployParameters: what the pipelines read from SSM Parameter Store, as the stacks write it."""

import pytest

from components.parameters import DeployParameters
from mock_engine import Capture, Resource

PARAMETER = "aws:ssm/parameter:Parameter"
KEYS = ("site/bucket-name", "site/distribution-id", "api/repository-url", "api/repository-name",
        "api/cluster-name", "api/service-name", "admin/service-name", "worker/service-name")


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


def service_named(capture: Capture, service: str) -> Resource:
    return capture.named(f"webstack-{capture.stack}-{service}-service")


def test_platform_parameters_name_the_repository_cluster_and_each_service(stack: Capture):
    repository = stack.one("aws:ecr/repository:Repository")
    assert value_of(stack, "api/repository-url") == repository.state["repositoryUrl"]
    assert value_of(stack, "api/repository-name") == repository.state["name"]
    assert value_of(stack, "api/cluster-name") == stack.one("aws:ecs/cluster:Cluster").state["name"]
    for service in ("api", "admin", "worker"):
        assert value_of(stack, f"{service}/service-name") == service_named(stack, service).state["name"]


def test_the_program_does_not_record_the_running_image_tag(stack: Capture):
    # The pipeline writes it, and only once release/verify.py has seen ECS run the image (a rollback is not
    # a release); a parameter written by the program would record what was asked for, not what runs.
    assert f"/webstack/{stack.stack}/api/image-tag" not in parameters(stack)


def test_parameter_keys_must_be_lowercase_paths():
    with pytest.raises(ValueError, match="Site/Bucket"):
        DeployParameters("bad", {"Site/Bucket": "value"})
    with pytest.raises(ValueError, match="site//bucket"):
        DeployParameters("bad", {"site//bucket": "value"})
