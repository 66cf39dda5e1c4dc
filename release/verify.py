"""Does ECS run what `pulumi up` deployed?

`pulumi up` waits for each service to settle, and a service the deployment circuit breaker (or a deployment alarm)
rolled back settles too — on the previous revision — so the up ends green although the release never ran
(pulumi/pulumi-awsx#1848). This check asks ECS what each service runs and compares it with what the up deployed,
read from the stack outputs:

- `clusterName`;
- `services`: logical name → `{"name": <ECS service name>, "taskDefinitionArn": <the ARN the up deployed>}`;
- `imageUri`: `<repositoryUrl>:<tag>` or `<repositoryUrl>@sha256:<digest>`.

A service passes when ECS's deployment of it is settled on the expected task definition — the PRIMARY deployment
(DescribeServices `deployments[]`) and, where ECS reports one, the current service deployment
(DescribeServiceDeployments, the only record of a blue/green rollback) — and its RUNNING tasks are exactly
`desiredCount` tasks of that task definition whose containers of the stack's repository run the image digest ECR
holds for the deployed image. A rollback, a FAILED or STOPPED deployment, a primary deployment on another
revision or tasks on another digest fail at once; a deployment still in progress, tasks of an older revision still
draining or fewer tasks than desired are waited for, up to a deadline, then fail.

`decide` is the whole judgement, a pure function of the AWS answers (as boto3 returns them), so every case is
tested offline (tests/test_release_verify.py). `python -m release.verify` reads those answers with boto3
(release/aws.py), polls until the verdict is settled or the deadline passes, prints it, and on success writes the
image tag to record as running (`tag=` in `$GITHUB_OUTPUT`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

# How many of a service's newest events a failure quotes: enough to show the failure and the rollback.
EVENTS_QUOTED = 6
DEFAULT_TIMEOUT_SECONDS = 600
DEFAULT_INTERVAL_SECONDS = 15

TASK_DEFINITION_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d+$")
ECR_REPOSITORY = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/(?P<name>[a-z0-9._/-]+)$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")

# ServiceDeployment.status (botocore's ecs model): ECS has decided to take the deployment back, or has done so.
ROLLED_BACK = {"ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
STOPPED = {"STOP_REQUESTED", "STOPPED"}
UNDER_WAY = {"PENDING", "IN_PROGRESS"}


class ReleaseError(ValueError):
    """The stack outputs or arguments do not say what was deployed."""


class CheckError(RuntimeError):
    """AWS did not answer a question the check must ask (access denied, throttled, no such cluster)."""


class State(Enum):
    PASSED = "passed"
    SETTLING = "settling"
    FAILED = "failed"


# --- what was deployed ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Image:
    repository: str
    """`<registry>/<name>`, the repository URL."""
    registry_id: str
    repository_name: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, uri: str) -> Image:
        reference, _, digest = uri.partition("@")
        repository, tag = reference, None
        # A tag follows the last ":" after the last "/" (a ":" before it would be a registry port).
        if ":" in reference.rsplit("/", 1)[-1]:
            repository, tag = reference.rsplit(":", 1)
        match = ECR_REPOSITORY.match(repository)
        if not match:
            raise ReleaseError(f"imageUri {uri!r} is not an image of an ECR repository "
                               "(<account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag> or …@sha256:<digest>)")
        if digest and not DIGEST.match(digest):
            raise ReleaseError(f"imageUri {uri!r}: {digest!r} is not a sha256 digest")
        if tag is not None and not TAG.match(tag):
            raise ReleaseError(f"imageUri {uri!r}: {tag!r} is not an image tag")
        if not tag and not digest:
            raise ReleaseError(f"imageUri {uri!r} names neither a tag nor a digest: which image ran cannot be told")
        return cls(repository, match["registry"], match["name"], tag, digest or None)

    def __str__(self) -> str:
        return self.repository + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    def holds(self, container_image: str) -> bool:
        """Whether a container's image reference is of this repository (another repository's sidecar is not)."""
        return container_image.startswith((self.repository + ":", self.repository + "@")) \
            or container_image == self.repository


@dataclass(frozen=True)
class ExpectedService:
    logical: str
    """The program's name for it: api, admin, worker."""
    name: str
    """The ECS service name."""
    task_definition: str
    """The task definition ARN the up deployed."""


@dataclass(frozen=True)
class Release:
    cluster: str
    services: tuple[ExpectedService, ...]
    image: Image

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> Release:
        """From `pulumi stack output --json`; every missing or malformed output is named at once."""
        problems = []
        cluster = outputs.get("clusterName")
        if not isinstance(cluster, str) or not cluster:
            problems.append("`clusterName` (string): the ECS cluster of the services")
        services = outputs.get("services")
        expected: list[ExpectedService] = []
        if not isinstance(services, Mapping) or not services:
            problems.append("`services` (object): logical service name → {\"name\": <ECS service name>, "
                            "\"taskDefinitionArn\": <the task definition ARN the program deployed>}")
        else:
            for logical, entry in services.items():
                name = entry.get("name") if isinstance(entry, Mapping) else None
                arn = entry.get("taskDefinitionArn") if isinstance(entry, Mapping) else None
                if not isinstance(name, str) or not name:
                    problems.append(f"`services.{logical}.name` (string): the ECS service name")
                if not isinstance(arn, str) or not TASK_DEFINITION_ARN.match(arn):
                    problems.append(f"`services.{logical}.taskDefinitionArn`: a task definition ARN "
                                    f"(arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>), "
                                    f"not {arn!r}")
                if isinstance(name, str) and isinstance(arn, str):
                    expected.append(ExpectedService(str(logical), name, arn))
        image: Image | None = None
        uri = outputs.get("imageUri")
        if not isinstance(uri, str) or not uri:
            problems.append("`imageUri` (string): <repositoryUrl>:<tag> or <repositoryUrl>@sha256:<digest>")
        else:
            try:
                image = Image.parse(uri)
            except ReleaseError as error:
                problems.append(str(error))
        if problems or image is None or not isinstance(cluster, str):
            raise ReleaseError("the stack outputs do not say what this deploy deployed; the program must export:\n"
                               + "\n".join(f"  - {problem}" for problem in problems))
        return cls(cluster, tuple(expected), image)


# --- the verdict ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    subject: str
    """`api`, `admin`, `worker`, or `image`."""
    state: State
    summary: str
    """One line: what runs, against what was expected."""
    details: tuple[str, ...] = ()
    """ECS's and ECR's own words: deployment states and reasons, alarms, the newest service events."""
    look_at: tuple[str, ...] = ()
    """Where to look next, as commands to run."""

    def text(self) -> str:
        mark = {State.PASSED: "ok", State.SETTLING: "waiting", State.FAILED: "FAILED"}[self.state]
        lines = [f"[{mark}] {self.summary}"]
        lines += [f"    {line}" for line in self.details]
        lines += [f"    look at: {line}" for line in self.look_at]
        return "\n".join(lines)


@dataclass(frozen=True)
class Verdict:
    findings: tuple[Finding, ...]
    digest: str | None = None
    """The image digest the tasks had to run."""
    tag: str | None = None
    """The image tag to record as running; only meaningful when the verdict passed."""

    @property
    def state(self) -> State:
        states = {finding.state for finding in self.findings}
        if State.FAILED in states:
            return State.FAILED
        return State.SETTLING if State.SETTLING in states else State.PASSED

    def failed(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.state is State.FAILED)

    def report(self) -> str:
        return "\n".join(finding.text() for finding in self.findings)


def task_definition_name(arn: str | None) -> str:
    """`family:revision`, which names a task definition exactly within the account and region."""
    return arn.rsplit("/", 1)[-1] if arn else "(none)"


def _short_digest(digest: str | None) -> str:
    return digest[:19] + "…" if digest else "(no digest)"


@dataclass(frozen=True)
class _Look:
    """The commands a failure points to, for one service."""
    cluster: str
    service: str

    def events(self) -> str:
        return (f"the service events: aws ecs describe-services --cluster {self.cluster} --services {self.service} "
                "--query 'services[0].events[:20].[createdAt,message]' --output text")

    def stopped_tasks(self) -> str:
        return (f"why its tasks stopped: aws ecs list-tasks --cluster {self.cluster} --service-name {self.service} "
                f"--desired-status STOPPED, then aws ecs describe-tasks --cluster {self.cluster} --tasks <arn> "
                "--query 'tasks[].[taskDefinitionArn,stopCode,stoppedReason,containers[].reason]'")

    def service_deployment(self, arn: str) -> str:
        return f"the service deployment: aws ecs describe-service-deployments --service-deployment-arns {arn}"

    @staticmethod
    def alarm(name: str) -> str:
        return (f"the alarm that fired: aws cloudwatch describe-alarm-history --alarm-name {name} "
                "--history-item-type StateUpdate")


# --- the judgement -------------------------------------------------------------------------------------------------

def decide(expected: Release, described_services: Mapping[str, Any], described_tasks: Mapping[str, Any],
           images: Mapping[str, Any], *, service_deployments: Mapping[str, Any] | None = None,
           service_revisions: Mapping[str, Any] | None = None,
           deadline_passed_after: float | None = None) -> Verdict:
    """Judge one release from ECS's and ECR's answers, in the shape boto3 returns them.

    `described_services`: DescribeServices of the expected services; `described_tasks`: DescribeTasks of their
    RUNNING tasks (ListTasks desiredStatus RUNNING), for all services at once; `images`: ECR DescribeImages of the
    deployed image; `service_deployments` / `service_revisions`: DescribeServiceDeployments of the services'
    `currentServiceDeployment` and DescribeServiceRevisions of the revisions those name.
    `deadline_passed_after`: seconds waited, once the wait is over; until then whatever is still moving is SETTLING.
    """
    image_finding, digest, tag = _judge_image(expected.image, images)
    findings = [image_finding] if image_finding else []

    by_name = {service.get("serviceName"): service for service in described_services.get("services", [])}
    missing = {failure.get("arn", "").rsplit("/", 1)[-1]: failure.get("reason", "")
               for failure in described_services.get("failures", [])}
    deployments = {d.get("serviceDeploymentArn"): d for d in (service_deployments or {}).get("serviceDeployments", [])}
    revisions = {r.get("serviceRevisionArn"): r.get("taskDefinition")
                 for r in (service_revisions or {}).get("serviceRevisions", [])}
    tasks_by_group: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for task in described_tasks.get("tasks", []):
        tasks_by_group[task.get("group", "")].append(task)

    for service in expected.services:
        described = by_name.get(service.name)
        judge = _ServiceJudge(
            expected=service, cluster=expected.cluster, image=expected.image, digest=digest,
            service=described, missing_reason=missing.get(service.name),
            deployment=deployments.get((described or {}).get("currentServiceDeployment")),
            revisions=revisions, tasks=tasks_by_group.get(f"service:{service.name}", []),
            deadline_passed_after=deadline_passed_after)
        findings.append(judge.verdict())
    return Verdict(tuple(findings), digest=digest, tag=tag)


def _judge_image(image: Image, images: Mapping[str, Any]) -> tuple[Finding | None, str | None, str | None]:
    """The digest the tasks must run, the tag to record, and a finding when ECR cannot supply them."""
    details = images.get("imageDetails", [])
    if image.digest:
        detail = next((d for d in details if d.get("imageDigest") == image.digest), None)
    else:
        detail = next((d for d in details if image.tag in d.get("imageTags", [])), None)
    look = (f"the repository: aws ecr describe-images --repository-name {image.repository_name} "
            "--query 'sort_by(imageDetails,&imagePushedAt)[-5:].[imagePushedAt,imageDigest,imageTags]'")
    if detail is None:
        return (Finding("image", State.FAILED, f"image: ECR has no image {image} in repository "
                                                f"{image.repository_name}, so what the tasks must run is unknown",
                        look_at=(look,)), image.digest, None)
    digest = image.digest or detail.get("imageDigest")
    # Tags are immutable in the stack's repository: each tag of this digest names it for good, so any of them
    # redeploys exactly this image. The deployed tag when there is one, else the first in order, for a stable record.
    tag = image.tag or min(detail.get("imageTags", []), default=None)
    if tag is None:
        return (Finding("image", State.FAILED,
                        f"image: {image} carries no tag in ECR; a later `pulumi up` deploys by tag, and the "
                        "repository expires untagged images, so there is no tag to record as running",
                        look_at=(look,)), digest, None)
    return None, digest, tag


@dataclass
class _ServiceJudge:
    expected: ExpectedService
    cluster: str
    image: Image
    digest: str | None
    service: Mapping[str, Any] | None
    missing_reason: str | None
    deployment: Mapping[str, Any] | None
    """The service's current service deployment, when ECS reports one."""
    revisions: Mapping[str, str | None]
    """Task definition by service revision ARN."""
    tasks: Sequence[Mapping[str, Any]]
    deadline_passed_after: float | None
    _look: _Look = field(init=False)

    def __post_init__(self) -> None:
        self._look = _Look(self.cluster, self.expected.name)

    @property
    def who(self) -> str:
        return f"{self.expected.logical} (ECS service {self.expected.name})"

    @property
    def want(self) -> str:
        return task_definition_name(self.expected.task_definition)

    def finding(self, state: State, summary: str, details: Iterable[str] = (), look_at: Iterable[str] = ()) -> Finding:
        return Finding(self.expected.logical, state, f"{self.who}: {summary}", tuple(details), tuple(look_at))

    def events(self) -> list[str]:
        messages = [event.get("message", "") for event in (self.service or {}).get("events", [])[:EVENTS_QUOTED]]
        return ["newest service events:", *(f"  {message}" for message in messages)] if messages else []

    def fail(self, summary: str, details: Iterable[str] = (), look_at: Iterable[str] = ()) -> Finding:
        return self.finding(State.FAILED, summary, [*details, *self.events()], look_at)

    def wait(self, summary: str, details: Iterable[str] = (), look_at: Iterable[str] = ()) -> Finding:
        """Not settled yet: waited for, until the deadline, after which it is what failed."""
        if self.deadline_passed_after is None:
            return self.finding(State.SETTLING, summary, details)
        return self.fail(f"after waiting {self.deadline_passed_after:.0f} s, {summary}", details,
                         [*look_at, self._look.events()])

    # The checks, in order; the first that is not satisfied gives the verdict.
    def verdict(self) -> Finding:
        service = self.service
        if service is None:
            return self.finding(State.FAILED, f"ECS has no such service in cluster {self.cluster}"
                                              f" ({self.missing_reason or 'not in the DescribeServices answer'})",
                                look_at=(f"the stack output services.{self.expected.logical}.name, and aws ecs "
                                         f"list-services --cluster {self.cluster}",))
        if service.get("status") != "ACTIVE":
            return self.fail(f"the service is {service.get('status')}, not ACTIVE")
        controller = (service.get("deploymentController") or {}).get("type", "ECS")
        if controller != "ECS":
            return self.fail(f"the service uses the {controller} deployment controller; this check knows the ECS "
                             "controller's rolling and blue/green deployments only")
        primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)
        strategy = (service.get("deploymentConfiguration") or {}).get("strategy", "ROLLING")
        return (self.rolled_back(primary)
                or self.on_another_revision(primary, strategy)
                or self.primary_failed(primary)
                or self.stopped()
                or self.under_way(primary)
                or self.tasks_verdict())

    def revision(self, arn: str | None) -> str | None:
        """The task definition of a service revision, when ECS described it."""
        return self.revisions.get(arn) if arn else None

    def target_is_ours(self) -> bool:
        """Whether the current service deployment deploys the expected task definition (unknown counts as yes)."""
        assert self.deployment is not None
        target = self.revision((self.deployment.get("targetServiceRevision") or {}).get("arn"))
        return target is None or target == self.expected.task_definition

    def deployment_details(self) -> list[str]:
        deployment = self.deployment
        if deployment is None:
            return []
        arn = deployment.get("serviceDeploymentArn", "")
        lines = [f"service deployment {arn.rsplit('/', 1)[-1]}: {deployment.get('status')}"
                 + (f" — {deployment['statusReason']}" if deployment.get("statusReason") else "")
                 + (f" (stage {deployment['lifecycleStage']})" if deployment.get("lifecycleStage") else "")]
        rollback = deployment.get("rollback") or {}
        if rollback:
            back_to = self.revision(rollback.get("serviceRevisionArn"))
            said = rollback.get("reason") if rollback.get("reason") != deployment.get("statusReason") else None
            lines.append("rollback" + (f" to {task_definition_name(back_to)}" if back_to else "")
                         + (f": {said}" if said else ""))
        breaker = deployment.get("deploymentCircuitBreaker") or {}
        if breaker.get("status") == "TRIGGERED":
            lines.append(f"circuit breaker TRIGGERED: {breaker.get('failureCount')} failed tasks, threshold "
                         f"{breaker.get('threshold')}")
        alarms = deployment.get("alarms") or {}
        if alarms.get("status") == "TRIGGERED":
            lines.append(f"alarms TRIGGERED: {', '.join(alarms.get('triggeredAlarmNames', [])) or '(unnamed)'}")
        return lines

    def legacy_details(self) -> list[str]:
        """Every deployment DescribeServices reports, the primary first: which revision rolled out how far."""
        lines = []
        for deployment in (self.service or {}).get("deployments", []):
            revision = task_definition_name(deployment.get("taskDefinition"))
            rollout = deployment.get("rolloutState", "(not reported)")
            reason = (f" — {deployment['rolloutStateReason'].rstrip('.')}"
                      if deployment.get("rolloutStateReason") else "")
            lines.append(f"deployment {deployment.get('id')} of {revision}: {deployment.get('status')}, rollout "
                         f"{rollout}{reason}; {deployment.get('runningCount', 0)} running, "
                         f"{deployment.get('failedTasks', 0)} failed")
        return lines

    def runs_now(self, primary: Mapping[str, Any] | None) -> str | None:
        """The task definition ECS serves now, after a rollback: the primary's, else the rollback revision's."""
        if primary is not None:
            return primary.get("taskDefinition")
        rollback = (self.deployment or {}).get("rollback") or {}
        return self.revision(rollback.get("serviceRevisionArn"))

    def rolled_back(self, primary: Mapping[str, Any] | None) -> Finding | None:
        deployment = self.deployment
        if deployment is None or deployment.get("status") not in ROLLED_BACK or not self.target_is_ours():
            return None
        status = deployment.get("status")
        now = self.runs_now(primary)
        if status == "ROLLBACK_FAILED":
            summary = (f"ECS tried to roll the deployment of {self.want} back and failed: the service may run "
                       f"neither revision (primary deployment: {task_definition_name(now)})")
        else:
            done = "rolled" if status == "ROLLBACK_SUCCESSFUL" else "is rolling"
            summary = (f"ECS {done} the deployment of {self.want} back ({status}); the service runs "
                       f"{task_definition_name(now)}, not {self.want}")
        alarms = (deployment.get("alarms") or {}).get("triggeredAlarmNames", []) \
            if (deployment.get("alarms") or {}).get("status") == "TRIGGERED" else []
        look = [self._look.service_deployment(deployment.get("serviceDeploymentArn", "")),
                *(self._look.alarm(name) for name in alarms), self._look.stopped_tasks()]
        return self.fail(summary, [*self.deployment_details(), *self.legacy_details()], look)

    def on_another_revision(self, primary: Mapping[str, Any] | None, strategy: str) -> Finding | None:
        if primary is None:
            if self.deployment is None:
                return self.fail(f"ECS reports neither a primary deployment nor a current service deployment "
                                 f"for this {strategy} service: what it runs cannot be told")
            return None
        runs = primary.get("taskDefinition")
        if runs == self.expected.task_definition:
            return None
        if self.deployment is not None and self.deployment.get("status") in UNDER_WAY and self.target_is_ours():
            # A blue/green deployment keeps the old revision in front until traffic shifts: not a verdict yet.
            return self.wait(f"the deployment of {self.want} is {self.deployment.get('status')}; "
                             f"{task_definition_name(runs)} still serves",
                             self.deployment_details(), [self._look.events()])
        ours = [d for d in (self.service or {}).get("deployments", [])
                if d.get("taskDefinition") == self.expected.task_definition]
        rolled = any(d.get("rolloutState") == "FAILED" for d in ours)
        summary = (f"runs {task_definition_name(runs)} (primary deployment {primary.get('id')}), not {self.want} "
                   "that this deploy registered")
        if rolled:
            summary += ": its rollout FAILED and ECS rolled the service back"
        elif not ours:
            summary += ": ECS reports no deployment of it any more (rolled back, or replaced by another deploy)"
        return self.fail(summary, [*self.legacy_details(), *self.deployment_details()],
                         [self._look.stopped_tasks()])

    def primary_failed(self, primary: Mapping[str, Any] | None) -> Finding | None:
        if primary is None or primary.get("rolloutState") != "FAILED":
            return None
        return self.fail(f"the rollout of {self.want} FAILED"
                         + (f": {primary['rolloutStateReason']}" if primary.get("rolloutStateReason") else "")
                         + "; ECS did not roll it back, so the service may run a mix of revisions",
                         [*self.legacy_details(), *self.deployment_details()], [self._look.stopped_tasks()])

    def stopped(self) -> Finding | None:
        deployment = self.deployment
        if deployment is None:
            return None
        status = deployment.get("status")
        if status in STOPPED and self.target_is_ours():
            return self.fail(f"the deployment of {self.want} was stopped ({status}) before it completed",
                             self.deployment_details(),
                             [self._look.service_deployment(deployment.get("serviceDeploymentArn", ""))])
        if status not in UNDER_WAY and not self.target_is_ours():
            target = self.revision((deployment.get("targetServiceRevision") or {}).get("arn"))
            return self.fail(f"ECS's current service deployment is of {task_definition_name(target)} "
                             f"({status}), not of {self.want}", self.deployment_details(),
                             [self._look.service_deployment(deployment.get("serviceDeploymentArn", ""))])
        return None

    def under_way(self, primary: Mapping[str, Any] | None) -> Finding | None:
        moving = []
        if primary is not None and primary.get("rolloutState") == "IN_PROGRESS":
            moving.append(f"deployment {primary.get('id')} is IN_PROGRESS: {primary.get('runningCount', 0)} of "
                          f"{primary.get('desiredCount', 0)} tasks running, {primary.get('pendingCount', 0)} "
                          f"pending, {primary.get('failedTasks', 0)} failed")
        if self.deployment is not None and self.deployment.get("status") in UNDER_WAY:
            moving.append(f"service deployment is {self.deployment.get('status')}"
                          + (f" (stage {self.deployment['lifecycleStage']})"
                             if self.deployment.get("lifecycleStage") else ""))
        if not moving:
            return None
        return self.wait(f"the deployment of {self.want} has not settled: {'; '.join(moving)}",
                         [*self.legacy_details(), *self.deployment_details()], [self._look.stopped_tasks()])

    def tasks_verdict(self) -> Finding:
        assert self.service is not None
        desired = int(self.service.get("desiredCount", 0))
        running = [t for t in self.tasks if t.get("lastStatus") == "RUNNING" and t.get("desiredStatus") == "RUNNING"]
        ours = [t for t in running if t.get("taskDefinitionArn") == self.expected.task_definition]

        if self.digest is not None:
            wrong: Counter[str] = Counter()
            for task in ours:
                ran = [c for c in task.get("containers", []) if self.image.holds(c.get("image", ""))]
                if not ran:
                    wrong["no container of the repository"] += 1
                for container in ran:
                    if container.get("imageDigest") and container["imageDigest"] != self.digest:
                        wrong[container["imageDigest"]] += 1
            if wrong:
                runs = ", ".join(f"{count} × {_short_digest(d) if d.startswith('sha256:') else d}"
                                 for d, count in wrong.most_common())
                return self.fail(
                    f"tasks of {self.want} run another image than {self.image} ({_short_digest(self.digest)}): {runs}",
                    [f"task {t.get('taskArn', '').rsplit('/', 1)[-1]}: "
                     + ", ".join(f"{c.get('name')} {c.get('image')} {c.get('imageDigest')}"
                                 for c in t.get("containers", []))
                     for t in ours],
                    [f"the image the task definition names: aws ecs describe-task-definition --task-definition "
                     f"{self.want} --query 'taskDefinition.containerDefinitions[].image'",
                     f"what ECR holds: aws ecr describe-images --repository-name {self.image.repository_name} "
                     f"--image-ids {'imageDigest=' + self.digest}"])
            unresolved = [t for t in ours for c in t.get("containers", [])
                          if self.image.holds(c.get("image", "")) and not c.get("imageDigest")]
            if unresolved:
                return self.wait(f"{len(unresolved)} running tasks of {self.want} report no image digest yet")

        others = Counter(task_definition_name(t.get("taskDefinitionArn")) for t in running
                         if t.get("taskDefinitionArn") != self.expected.task_definition)
        if others:
            return self.wait("tasks of another revision still run: "
                             + ", ".join(f"{count} × {name}" for name, count in sorted(others.items()))
                             + f" (beside {len(ours)} of {self.want})", look_at=[self._look.stopped_tasks()])
        if len(ours) < desired:
            return self.wait(f"{len(ours)} of {desired} desired tasks of {self.want} are RUNNING "
                             f"({self.service.get('pendingCount', 0)} pending)", look_at=[self._look.stopped_tasks()])
        if desired == 0:
            return self.finding(State.PASSED, f"{self.want}, desired count 0: no task expected")
        return self.finding(State.PASSED, f"{self.want}, {len(ours)} of {desired} tasks RUNNING "
                                          f"{_short_digest(self.digest)}")


# --- the command ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Observed:
    """One reading of the AWS answers decide() judges."""
    services: Mapping[str, Any]
    tasks: Mapping[str, Any]
    images: Mapping[str, Any]
    service_deployments: Mapping[str, Any] = field(default_factory=dict)
    service_revisions: Mapping[str, Any] = field(default_factory=dict)

    def decide(self, release: Release, deadline_passed_after: float | None = None) -> Verdict:
        return decide(release, self.services, self.tasks, self.images, service_deployments=self.service_deployments,
                      service_revisions=self.service_revisions, deadline_passed_after=deadline_passed_after)


def watch(release: Release, read: Callable[[], Observed], *, timeout: float, interval: float,
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
          log: Callable[[str], None] = print) -> Verdict:
    """Read and judge until the verdict no longer waits, or until `timeout` seconds have passed."""
    start, last = clock(), ""
    while True:
        observed = read()
        verdict = observed.decide(release)
        if verdict.state is not State.SETTLING:
            return verdict
        waited = clock() - start
        if waited >= timeout:
            return observed.decide(release, deadline_passed_after=waited)
        waiting = "\n".join(f.text() for f in verdict.findings if f.state is State.SETTLING)
        # The whole picture when it changes, a line otherwise: ten minutes of polls stay readable.
        log(f"after {waited:.0f} s, waiting for:\n{waiting}" if waiting != last else f"after {waited:.0f} s, unchanged")
        last = waiting
        sleep(min(interval, timeout - waited))


def _annotate(title: str, text: str) -> None:
    """An error annotation on the workflow run, when running in GitHub Actions (the report itself is printed too)."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # GitHub's workflow-command escaping: otherwise a "%" or a line break would end or garble the message.
        escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        print(f"::error title={title}::{escaped}")


def _release_from_arguments(args: argparse.Namespace) -> Release:
    if args.outputs:
        try:
            outputs = json.loads(Path(args.outputs).read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ReleaseError(f"cannot read the stack outputs from {args.outputs}: {error}") from error
        if not isinstance(outputs, dict):
            raise ReleaseError(f"{args.outputs} is not the object `pulumi stack output --json` prints")
        return Release.from_outputs(outputs)
    if not (args.cluster and args.service and args.image):
        raise ReleaseError("give --outputs, or --cluster, --image and one --service NAME=TASK_DEFINITION_ARN a service")
    services = {}
    for entry in args.service:
        name, _, arn = entry.partition("=")
        services[name] = {"name": name, "taskDefinitionArn": arn}
    return Release.from_outputs({"clusterName": args.cluster, "services": services, "imageUri": args.image})


def main(argv: Sequence[str] | None = None,
         read_with: Callable[[Release], Callable[[], Observed]] | None = None) -> int:
    """The command; `read_with` replaces the boto3 reader (tests)."""
    parser = argparse.ArgumentParser(prog="python -m release.verify",
                                     description="Check that ECS runs what `pulumi up` deployed.")
    parser.add_argument("--stack", default="", help="the stack's name, for the report")
    parser.add_argument("--outputs", help="`pulumi stack output --json` of the stack, saved to a file")
    parser.add_argument("--cluster", help="instead of --outputs: the ECS cluster")
    parser.add_argument("--service", action="append", metavar="NAME=TASK_DEFINITION_ARN",
                        help="instead of --outputs: an ECS service and the task definition it must run (repeatable)")
    parser.add_argument("--image", help="instead of --outputs: the deployed image, <repositoryUrl>:<tag> or @sha256:…")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS,
                        help=f"seconds to wait for deployments to settle (default {DEFAULT_TIMEOUT_SECONDS})")
    parser.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_SECONDS,
                        help=f"seconds between readings (default {DEFAULT_INTERVAL_SECONDS})")
    parser.add_argument("--github-output", help="file to append `tag=` and `digest=` to when the check passes")
    args = parser.parse_args(argv)
    stack = f"stack {args.stack}" if args.stack else "the stack"
    try:
        release = _release_from_arguments(args)
    except ReleaseError as error:
        print(error)
        _annotate(f"Deploy check of {stack}", str(error))
        return 2

    if read_with is None:
        from release.aws import reader  # boto3 only here: the judgement above needs none

        read_with = reader
    print(f"Checking that ECS runs what was deployed to {stack}: cluster {release.cluster}, image {release.image}, "
          + ", ".join(f"{s.logical} = {s.name} on {task_definition_name(s.task_definition)}"
                      for s in release.services))
    try:
        verdict = watch(release, read_with(release), timeout=args.timeout, interval=args.interval)
    except CheckError as error:
        print(error)
        _annotate(f"Deploy check of {stack}", str(error))
        return 1
    print(verdict.report())
    if verdict.state is not State.PASSED:
        for finding in verdict.failed():
            _annotate(f"Deploy check of {stack}: {finding.subject}", finding.summary)
        print(f"{stack}: the deploy did not take; /webstack/<stack>/api/image-tag keeps the tag recorded before it")
        return 1
    if args.github_output:
        with open(args.github_output, "a", encoding="utf-8") as output:
            output.write(f"tag={verdict.tag}\ndigest={verdict.digest}\n")
    print(f"{stack} runs what was deployed: image tag {verdict.tag} ({verdict.digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
