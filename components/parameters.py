"""DeployParameters: what the pipelines need to know about a stack, in SSM Parameter Store.

One String parameter per key under `/<project>/<stack>/`, e.g. `/webstack/prd/site/distribution-id`. The stack
is their only writer, so the parameters always describe what is deployed: the app pipeline reads names and ids
from here instead of from stack outputs, and the infra pipeline reads `api/image-tag` to redeploy the image that
is running rather than revert it.
"""

import re
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

# Lowercase path segments joined by "/": `site/bucket-name`.
KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)*$")


def parameter_path(key: str) -> str:
    return f"/{pulumi.get_project()}/{pulumi.get_stack()}/{key}"


class DeployParameters(pulumi.ComponentResource):
    names: dict[str, pulumi.Output[str]]
    """Parameter name by key."""

    def __init__(self, name: str, values: Mapping[str, pulumi.Input[object]],
                 opts: pulumi.ResourceOptions | None = None):
        bad = sorted(key for key in values if not KEY.match(key))
        if bad:
            raise ValueError(f"parameter keys {bad} are not lowercase path segments such as site/bucket-name")
        super().__init__("webstack:ssm:DeployParameters", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.names = {}
        for key, value in values.items():
            parameter = aws.ssm.Parameter(
                f"{name}-{key.replace('/', '--')}", name=parameter_path(key), type="String", tier="Standard",
                insecure_value=pulumi.Output.from_input(value).apply(str),
                description=f"{key} of the {pulumi.get_stack()} stack; written by its Pulumi program", opts=child)
            self.names[key] = parameter.name
        self.register_outputs({"names": self.names})
