"""The AWS side of the deploy check: the read-only calls whose answers release.verify.decide judges.

Every call, and what the deploy role needs for it (components/ci.py grants the role its policy):

| call | IAM action | resource |
|---|---|---|
| DescribeServices | ecs:DescribeServices | `service/<cluster>/<service>` of each service |
| DescribeServiceDeployments | ecs:DescribeServiceDeployments | `service-deployment/<cluster>/<service>/*` |
| DescribeServiceRevisions | ecs:DescribeServiceRevisions | `service-revision/<cluster>/<service>/*` |
| ListTasks | ecs:ListTasks | `container-instance/<cluster>/*` (condition key ecs:cluster) |
| DescribeTasks | ecs:DescribeTasks | `task/<cluster>/*` |
| DescribeImages | ecr:DescribeImages | `repository/<repository name>` |

The pipeline itself then writes the verified tag (`aws ssm put-parameter`, ssm:PutParameter on
`parameter/<project>/<stack>/api/image-tag`). All ARNs are `arn:aws:<service>:<region>:<account>:…`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from release.verify import CheckError, Observed, Release

# The largest batches the APIs accept (botocore's ecs model documents them).
SERVICE_DEPLOYMENTS_PER_CALL = 20
SERVICE_REVISIONS_PER_CALL = 20
TASKS_PER_CALL = 100

T = TypeVar("T")


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _unique(items: Sequence[str | None]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def _failure(action: str, resource: str, error: Exception) -> CheckError:
    if not isinstance(error, ClientError):
        return CheckError(f"{action} on {resource} failed: {error}")
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", str(error))
    hint = (f"; the deploy role needs {action} on {resource} (components/ci.py)"
            if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation") else "")
    return CheckError(f"{action} on {resource} failed: {code}: {message}{hint}")


def _call(action: str, resource: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except (ClientError, BotoCoreError) as error:
        raise _failure(action, resource, error) from error


def _described(action: str, arns: Sequence[str], size: int, key: str, describe: Callable[[list[str]], Any],
               resource: str | None = None) -> dict[str, list[Any]]:
    """One Describe* call per batch of `arns`, their `key` lists and failures joined; `resource` names what the
    call is on in an error (the batch's ARNs when not given)."""
    found: dict[str, list[Any]] = {key: [], "failures": []}
    for batch in _batches(arns, size):
        answer = _call(action, resource or ", ".join(batch), lambda batch=batch: describe(list(batch)))
        found[key] += answer.get(key, [])
        found["failures"] += answer.get("failures", [])
    return found


class AwsReader:
    """One reading of a release's services, tasks and image; read() is called once per poll."""

    def __init__(self, release: Release, ecs: Any, ecr: Any):
        self.release, self.ecs, self.ecr = release, ecs, ecr

    def __call__(self) -> Observed:
        release, ecs = self.release, self.ecs
        cluster = release.cluster
        names = [service.name for service in release.services]
        services = _call("ecs:DescribeServices", f"services {', '.join(names)} of cluster {cluster}",
                         lambda: ecs.describe_services(cluster=cluster, services=names))

        deployment_arns = _unique([s.get("currentServiceDeployment") for s in services.get("services", [])])
        deployments = _described("ecs:DescribeServiceDeployments", deployment_arns, SERVICE_DEPLOYMENTS_PER_CALL,
                                 "serviceDeployments",
                                 lambda batch: ecs.describe_service_deployments(serviceDeploymentArns=batch))

        # The revisions a deployment names: what it deploys, what it replaces, and what a rollback returned to.
        revision_arns = _unique([arn for d in deployments["serviceDeployments"] for arn in (
            (d.get("targetServiceRevision") or {}).get("arn"),
            *((r or {}).get("arn") for r in d.get("sourceServiceRevisions", [])),
            (d.get("rollback") or {}).get("serviceRevisionArn"))])
        revisions = _described("ecs:DescribeServiceRevisions", revision_arns, SERVICE_REVISIONS_PER_CALL,
                               "serviceRevisions",
                               lambda batch: ecs.describe_service_revisions(serviceRevisionArns=batch))

        task_arns: list[str] = []
        for name in names:
            pages = _call("ecs:ListTasks", f"tasks of service {name} in cluster {cluster}", lambda name=name: list(
                ecs.get_paginator("list_tasks").paginate(cluster=cluster, serviceName=name, desiredStatus="RUNNING")))
            task_arns += [arn for page in pages for arn in page.get("taskArns", [])]
        tasks = _described("ecs:DescribeTasks", task_arns, TASKS_PER_CALL, "tasks",
                           lambda batch: ecs.describe_tasks(cluster=cluster, tasks=batch),
                           resource=f"tasks of cluster {cluster}")

        return Observed(services=services, tasks=tasks, images=self._images(),
                        service_deployments=deployments, service_revisions=revisions)

    def _images(self) -> dict[str, Any]:
        image = self.release.image
        identifier = {"imageDigest": image.digest} if image.digest else {"imageTag": image.tag}
        try:
            return self.ecr.describe_images(registryId=image.registry_id, repositoryName=image.repository_name,
                                            imageIds=[identifier])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ImageNotFoundException":
                return {"imageDetails": []}  # decide() says what is missing
            raise _failure("ecr:DescribeImages", f"repository {image.repository_name}", error) from error
        except BotoCoreError as error:
            raise _failure("ecr:DescribeImages", f"repository {image.repository_name}", error) from error


def reader(release: Release) -> AwsReader:
    """Clients from the environment's credentials and region (AWS_REGION, as the workflow sets it)."""
    session = boto3.Session()
    return AwsReader(release, session.client("ecs"), session.client("ecr"))
