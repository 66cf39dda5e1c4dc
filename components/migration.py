"""Aliases that carry a stack deployed by the landed program (git e2ea550) over to this one.

That program held everything of the API in one component, `webstack:api:FargateApi` named `<project>-<stack>-api`:
the image repository, the cluster, the load balancer and its security group, the alarm topic and its key, the API's
service, task definition, target group, security group, log group, scaling and TaskRoles. It is split now into
FargatePlatform (what the services share), one FargateService per service and Alerts; and DataStore's sample items
and pictures moved to SampleCatalogue. Without aliases the first `pulumi up` of such a stack would create all of it
a second time under the new URNs and delete the old: the log group would collide with itself by name, the
repository and the load balancer refuse deletion, and the running service would be replaced.

Each alias is the URN the landed program gave the resource, built from the running stack and project (never a
stack's name written here). The engine then finds the resource in the state under that URN and updates it, or
replaces it where an input that AWS cannot change in place changed too (README, Releases, "The first deploy after
this change"). Children keep their names inside the public API's service, which takes over the FargateApi
component's own URN (`as_fargate_api`): the engine gives each of them, and TaskRoles' children, the matching alias
under the old parent itself, so only the children that moved elsewhere or changed name are listed here.

Remove this module and every call to it once each stack has run one `pulumi up` with these aliases: the state then
holds the new URNs, and the aliases no longer match anything.
"""

from __future__ import annotations

import pulumi

# The landed components whose children moved, and the name each had (a suffix of the stack prefix).
FARGATE_API_TYPE = "webstack:api:FargateApi"
FARGATE_API_SUFFIX = "-api"
DATA_STORE_TYPE = "webstack:data:DataStore"


def _prefix() -> str:
    """`<project>-<stack>`: the stem of every name, as the landed program derived it."""
    return f"{pulumi.get_project()}-{pulumi.get_stack()}"


def landed_urn(qualified_type: str, name: str) -> str:
    """A URN of the running stack, as the engine forms it: the parent types joined by `$`, the root stack left out."""
    return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{qualified_type}::{name}"


def landed_child(parent_type: str, parent_suffix: str, resource_type: type[pulumi.Resource], name_suffix: str) -> str:
    """The URN of the landed child `<prefix><parent_suffix>-<name_suffix>` of type `resource_type` under the landed
    component `<prefix><parent_suffix>` of type `parent_type`."""
    token = pulumi.get_type_token(resource_type)
    if token is None:
        raise TypeError(f"{resource_type.__name__} carries no Pulumi type token")
    parent_name = _prefix() + parent_suffix
    return landed_urn(f"{parent_type}${token}", f"{parent_name}-{name_suffix}")


def is_fargate_api_successor(name: str) -> bool:
    """Whether the FargateService `name` is the one that takes over the landed FargateApi: the public API's, which
    the landed program named the same (`<prefix>-api`). The admin API and the worker are new."""
    return name == _prefix() + FARGATE_API_SUFFIX


def as_fargate_api(name: str, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions | None:
    """`opts` of the FargateService `name`, with the landed FargateApi's own URN as an alias if it is its successor."""
    if not is_fargate_api_successor(name):
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
        aliases=[landed_urn(FARGATE_API_TYPE, name)]))


def from_fargate_api(opts: pulumi.ResourceOptions, resource_type: type[pulumi.Resource], landed_suffix: str,
                     applies: bool = True) -> pulumi.ResourceOptions:
    """`opts` plus an alias to the landed FargateApi's child `<prefix>-api-<landed_suffix>` of the same type, when
    `applies` (a service's child takes it only in the public API's service, and only for its counterpart)."""
    if not applies:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
        aliases=[landed_child(FARGATE_API_TYPE, FARGATE_API_SUFFIX, resource_type, landed_suffix)]))


def from_data_store(opts: pulumi.ResourceOptions, resource_type: type[pulumi.Resource],
                    landed_suffix: str) -> pulumi.ResourceOptions:
    """`opts` plus an alias to the landed DataStore's child `<prefix>-<landed_suffix>` (its sample items and
    pictures). Kept rather than re-created: a new item or object with the same key, created before the old one is
    deleted, would be deleted with it."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
        aliases=[landed_child(DATA_STORE_TYPE, "", resource_type, landed_suffix)]))
