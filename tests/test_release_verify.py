"""The deploy check (release/verify.py): after `pulumi up`, the deploy passes only if ECS runs what the up deployed.

Each case is one set of AWS answers in tests/fixtures/release/, written in the shape boto3 returns them —
DescribeServices, DescribeServiceDeployments, DescribeServiceRevisions, DescribeTasks (ECS) and DescribeImages
(ECR) — beside the `pulumi stack output --json` of the deploy. They are written by hand after the API reference, not
recorded from an account; the first test holds every member name, type and enum value to botocore's model, so a
fixture cannot drift from what AWS sends.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from release import aws
from release.verify import Image, Observed, Release, ReleaseError, State, Verdict, decide, main, watch

FIXTURES = Path(__file__).parent / "fixtures" / "release"
CASES = sorted(path.stem for path in FIXTURES.glob("*.json"))
SESSION = botocore.session.get_session()
OPERATIONS = ("ecs:DescribeServices", "ecs:DescribeServiceDeployments", "ecs:DescribeServiceRevisions",
              "ecs:DescribeTasks", "ecr:DescribeImages")


def conform(value: Any, shape: Any, path: str) -> Any:
    """`value` checked against a botocore shape, with timestamps turned into datetimes as boto3 returns them."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: {shape.name} is an object"
        unknown = sorted(set(value) - set(shape.members))
        assert not unknown, f"{path}: {shape.name} has no member {unknown}"
        return {key: conform(item, shape.members[key], f"{path}.{key}") for key, item in value.items()}
    if kind == "list":
        assert isinstance(value, list), f"{path}: a list"
        return [conform(item, shape.member, f"{path}[{index}]") for index, item in enumerate(value)]
    if kind == "map":
        assert isinstance(value, dict), f"{path}: a map"
        return {key: conform(item, shape.value, f"{path}.{key}") for key, item in value.items()}
    if kind == "timestamp":
        assert isinstance(value, str), f"{path}: an ISO 8601 time in the fixture"
        return datetime.fromisoformat(value)
    expected_type = {"string": str, "integer": int, "long": int, "boolean": bool, "double": (int, float),
                     "float": (int, float)}[kind]
    assert isinstance(value, expected_type) and (kind == "boolean" or not isinstance(value, bool)), \
        f"{path}: {kind}, not {value!r}"
    if kind == "string" and shape.enum:
        assert value in shape.enum, f"{path}: {value!r} is none of {shape.enum}"
    return value


def output_shape(operation: str) -> Any:
    service, name = operation.split(":")
    return SESSION.get_service_model(service).operation_model(name).output_shape


class Case:
    def __init__(self, name: str):
        document = json.loads((FIXTURES / f"{name}.json").read_text())
        self.name = name
        self.scenario = document["scenario"]
        self.outputs = document["outputs"]
        self.answers = {op: conform(document[op], output_shape(op), f"{name}:{op}") for op in OPERATIONS}
        self.release = Release.from_outputs(self.outputs)

    def observed(self) -> Observed:
        return Observed(services=self.answers["ecs:DescribeServices"], tasks=self.answers["ecs:DescribeTasks"],
                        images=self.answers["ecr:DescribeImages"],
                        service_deployments=self.answers["ecs:DescribeServiceDeployments"],
                        service_revisions=self.answers["ecs:DescribeServiceRevisions"])

    def decide(self, **overrides: Any) -> Verdict:
        answers = {**self.answers, **overrides.pop("answers", {})}
        return decide(self.release, answers["ecs:DescribeServices"], answers["ecs:DescribeTasks"],
                      answers["ecr:DescribeImages"],
                      service_deployments=answers["ecs:DescribeServiceDeployments"],
                      service_revisions=answers["ecs:DescribeServiceRevisions"], **overrides)

    def service(self, logical: str) -> dict[str, Any]:
        name = self.outputs["services"][logical]["name"]
        return next(s for s in self.answers["ecs:DescribeServices"]["services"] if s["serviceName"] == name)


def finding(verdict: Verdict, subject: str):
    return next(f for f in verdict.findings if f.subject == subject)


def states(verdict: Verdict) -> dict[str, State]:
    return {f.subject: f.state for f in verdict.findings}


# --- the fixtures are what AWS sends -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_every_fixture_has_the_members_types_and_enums_of_the_botocore_model(name):
    case = Case(name)  # conform() asserts; the outputs parse as the pipeline's
    assert case.scenario and case.release.services


@pytest.mark.parametrize("name", CASES)
def test_every_fixture_passes_botocores_own_response_validation(name):
    """The same validation a Stubber applies to a response, so the reader test below can replay them."""
    case = Case(name)
    for operation, answer in case.answers.items():
        service, op = operation.split(":")
        client = SESSION.create_client(service, region_name="ap-northeast-1", aws_access_key_id="x",
                                       aws_secret_access_key="x")
        with Stubber(client) as stubber:
            method = re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower()
            stubber.add_response(method, copy.deepcopy(answer))


def test_the_fixtures_cover_every_case_the_check_decides():
    assert set(CASES) == {"completed_rollout", "desired_zero", "circuit_breaker_rollback",
                          "blue_green_alarm_rollback", "stuck_rollout", "old_digest", "fewer_running"}


# --- passing deploys -----------------------------------------------------------------------------------------------

def test_a_completed_rollout_on_the_expected_revisions_and_digest_passes_and_records_the_deployed_tag():
    case = Case("completed_rollout")
    verdict = case.decide()
    assert verdict.state is State.PASSED, verdict.report()
    assert states(verdict) == {"api": State.PASSED, "admin": State.PASSED, "worker": State.PASSED}
    assert verdict.tag == case.release.image.tag == "3c1f9e7a52d04b6e8f1a2c3d4e5f60718293a4b5"
    assert verdict.digest == case.answers["ecr:DescribeImages"]["imageDetails"][0]["imageDigest"]
    assert "webstack-prd-api:42, 3 of 3 tasks RUNNING" in finding(verdict, "api").summary


def test_a_service_with_desired_count_zero_passes_on_its_primary_deployment_alone():
    case = Case("desired_zero")
    assert case.service("worker")["desiredCount"] == 0
    assert not [t for t in case.answers["ecs:DescribeTasks"]["tasks"] if "worker" in t["group"]]
    verdict = case.decide()
    assert verdict.state is State.PASSED, verdict.report()
    assert "desired count 0: no task expected" in finding(verdict, "worker").summary


def test_an_image_deployed_by_digest_records_the_tag_ecr_holds_for_that_digest():
    """dev builds app/ itself: imageUri is `…@sha256:…`; later ups deploy by tag, so the record is the tag."""
    case = Case("desired_zero")
    assert case.release.image.digest and case.release.image.tag is None
    assert case.decide().tag == "build-5d41402abc4b2a76"


def test_a_desired_count_zero_service_still_fails_when_its_primary_is_on_another_revision():
    case = Case("desired_zero")
    services = copy.deepcopy(case.answers["ecs:DescribeServices"])
    worker = next(s for s in services["services"] if "worker" in s["serviceName"])
    worker["deployments"][0]["taskDefinition"] = worker["deployments"][0]["taskDefinition"].replace(":10", ":9")
    verdict = case.decide(answers={"ecs:DescribeServices": services, "ecs:DescribeServiceDeployments": {}})
    assert states(verdict)["worker"] is State.FAILED, verdict.report()
    assert "runs webstack-dev-worker:9" in finding(verdict, "worker").summary


# --- rollbacks -----------------------------------------------------------------------------------------------------

def test_a_circuit_breaker_rollback_fails_and_names_both_revisions_and_the_reason():
    case = Case("circuit_breaker_rollback")
    verdict = case.decide()
    assert verdict.state is State.FAILED
    assert states(verdict) == {"api": State.FAILED, "admin": State.PASSED, "worker": State.PASSED}
    api = finding(verdict, "api")
    assert "ECS rolled the deployment of webstack-prd-api:42 back (ROLLBACK_SUCCESSFUL)" in api.summary
    assert "the service runs webstack-prd-api:41, not webstack-prd-api:42" in api.summary
    text = api.text()
    assert "rollout FAILED — ECS deployment circuit breaker: tasks failed to start" in text
    assert "circuit breaker TRIGGERED: 3 failed tasks, threshold 3" in text
    assert "rollback to webstack-prd-api:41" in text
    assert "failed container health checks" in text, "the newest service events are quoted"
    assert any("--desired-status STOPPED" in line for line in api.look_at), "it says where to look"


def test_the_primary_deployment_on_the_old_revision_fails_the_deploy_even_without_service_deployments():
    """DescribeServices alone tells: the PRIMARY deployment is the rollback's, its FAILED sibling is the release."""
    case = Case("circuit_breaker_rollback")
    verdict = case.decide(answers={"ecs:DescribeServiceDeployments": {}, "ecs:DescribeServiceRevisions": {}})
    api = finding(verdict, "api")
    assert api.state is State.FAILED
    assert api.summary.endswith("runs webstack-prd-api:41 (primary deployment ecs-svc/7805298400628322646), not "
                                "webstack-prd-api:42 that this deploy registered: its rollout FAILED and ECS rolled "
                                "the service back")
    assert "of webstack-prd-api:42: ACTIVE, rollout FAILED — ECS deployment circuit breaker: tasks failed to start;" \
        in api.text()


def test_a_rollback_whose_failed_deployment_has_already_gone_still_fails():
    """Once drained, the failed deployment leaves DescribeServices; the newer deployment on :41 remains."""
    case = Case("circuit_breaker_rollback")
    services = copy.deepcopy(case.answers["ecs:DescribeServices"])
    api = next(s for s in services["services"] if "api" in s["serviceName"])
    api["deployments"] = [d for d in api["deployments"] if d["status"] == "PRIMARY"]
    verdict = case.decide(answers={"ecs:DescribeServices": services, "ecs:DescribeServiceDeployments": {}})
    assert "ECS reports no deployment of it any more" in finding(verdict, "api").summary
    assert "rolling back to deployment" in finding(verdict, "api").text()


def test_a_rollout_that_failed_without_a_rollback_fails():
    case = Case("stuck_rollout")
    services = copy.deepcopy(case.answers["ecs:DescribeServices"])
    api = next(s for s in services["services"] if "api" in s["serviceName"])
    api["deployments"][0].update(rolloutState="FAILED",
                                 rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.")
    verdict = case.decide(answers={"ecs:DescribeServices": services, "ecs:DescribeServiceDeployments": {}})
    summary = finding(verdict, "api").summary
    assert "the rollout of webstack-prd-api:42 FAILED: ECS deployment circuit breaker" in summary
    assert "may run a mix of revisions" in summary


def test_a_blue_green_deployment_rolled_back_by_an_alarm_fails_and_names_the_alarm():
    case = Case("blue_green_alarm_rollback")
    assert case.service("api")["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    verdict = case.decide()
    assert states(verdict) == {"api": State.FAILED, "admin": State.PASSED, "worker": State.PASSED}
    api = finding(verdict, "api")
    assert "ECS rolled the deployment of webstack-prd-api:42 back (ROLLBACK_SUCCESSFUL)" in api.summary
    assert "runs webstack-prd-api:41" in api.summary
    assert "alarms TRIGGERED: webstack-prd-api-target-5xx" in api.text()
    assert "(stage BAKE_TIME)" in api.text()
    assert any("describe-alarm-history --alarm-name webstack-prd-api-target-5xx" in line for line in api.look_at)


def test_a_blue_green_rollback_is_caught_when_describe_services_shows_no_primary_deployment():
    """Whatever DescribeServices lists for a blue/green service, the service deployment records the rollback."""
    case = Case("blue_green_alarm_rollback")
    services = copy.deepcopy(case.answers["ecs:DescribeServices"])
    next(s for s in services["services"] if "api" in s["serviceName"])["deployments"] = []
    api = finding(case.decide(answers={"ecs:DescribeServices": services}), "api")
    assert api.state is State.FAILED
    assert "the service runs webstack-prd-api:41, not webstack-prd-api:42" in api.summary, "from the rollback revision"


def test_a_blue_green_service_without_a_service_deployment_is_not_taken_on_trust():
    case = Case("blue_green_alarm_rollback")
    services = copy.deepcopy(case.answers["ecs:DescribeServices"])
    api = next(s for s in services["services"] if "api" in s["serviceName"])
    api["deployments"] = []
    del api["currentServiceDeployment"]
    summary = finding(case.decide(answers={"ecs:DescribeServices": services}), "api").summary
    assert "neither a primary deployment nor a current service deployment for this BLUE_GREEN service" in summary


# --- deployments that do not settle --------------------------------------------------------------------------------

def test_a_rollout_in_progress_is_waited_for_then_fails_as_stuck_after_the_deadline():
    case = Case("stuck_rollout")
    waiting = case.decide()
    assert waiting.state is State.SETTLING and states(waiting)["api"] is State.SETTLING, waiting.report()
    stuck = case.decide(deadline_passed_after=600)
    api = finding(stuck, "api")
    assert stuck.state is State.FAILED and api.state is State.FAILED
    assert "the deployment of webstack-prd-api:42 has not settled" in api.summary
    assert "IN_PROGRESS: 1 of 3 tasks running, 1 pending, 1 failed" in api.summary
    assert api.summary.startswith("api (ECS service webstack-prd-api-service-9f28dbf): after waiting 600 s, ")
    assert "failed container health checks" in api.text()
    assert states(stuck)["admin"] is State.PASSED


def test_fewer_running_tasks_than_desired_are_waited_for_then_fail():
    case = Case("fewer_running")
    assert case.decide().state is State.SETTLING
    api = finding(case.decide(deadline_passed_after=600), "api")
    assert api.state is State.FAILED
    assert "2 of 3 desired tasks of webstack-prd-api:42 are RUNNING (1 pending)" in api.summary
    assert any("--desired-status STOPPED" in line for line in api.look_at)


def test_tasks_of_an_older_revision_still_running_after_the_rollout_are_waited_for_then_fail():
    case = Case("completed_rollout")
    tasks = copy.deepcopy(case.answers["ecs:DescribeTasks"])
    straggler = copy.deepcopy(next(t for t in tasks["tasks"] if "api" in t["group"]))
    straggler["taskArn"] += "0"
    straggler["taskDefinitionArn"] = straggler["taskDefinitionArn"].replace(":42", ":41")
    tasks["tasks"].append(straggler)
    assert case.decide(answers={"ecs:DescribeTasks": tasks}).state is State.SETTLING
    api = finding(case.decide(answers={"ecs:DescribeTasks": tasks}, deadline_passed_after=600), "api")
    assert api.state is State.FAILED
    assert "tasks of another revision still run: 1 × webstack-prd-api:41" in api.summary


# --- the image -----------------------------------------------------------------------------------------------------

def test_tasks_of_the_new_revision_running_an_old_digest_fail_at_once():
    case = Case("old_digest")
    verdict = case.decide()
    api = finding(verdict, "api")
    assert api.state is State.FAILED, "no waiting: a running task's image does not change"
    old = case.answers["ecs:DescribeTasks"]["tasks"][0]["containers"][0]["imageDigest"]
    new = case.answers["ecr:DescribeImages"]["imageDetails"][0]["imageDigest"]
    assert f"tasks of webstack-prd-api:42 run another image than {case.release.image} ({new[:19]}…): " \
           f"3 × {old[:19]}…" in api.summary
    assert old in api.text(), "each task's full digest is listed"
    assert any("describe-task-definition --task-definition webstack-prd-api:42" in line for line in api.look_at)


def test_an_image_ecr_does_not_hold_fails_the_deploy():
    case = Case("completed_rollout")
    verdict = case.decide(answers={"ecr:DescribeImages": {"imageDetails": []}})
    image = finding(verdict, "image")
    assert verdict.state is State.FAILED and image.state is State.FAILED
    assert f"ECR has no image {case.release.image}" in image.summary
    assert verdict.tag is None


def test_an_untagged_image_fails_because_no_later_up_could_deploy_it_by_tag():
    case = Case("desired_zero")
    images = copy.deepcopy(case.answers["ecr:DescribeImages"])
    images["imageDetails"][0]["imageTags"] = []
    image = finding(case.decide(answers={"ecr:DescribeImages": images}), "image")
    assert image.state is State.FAILED and "carries no tag in ECR" in image.summary


def test_a_service_ecs_does_not_know_fails_and_points_at_the_output():
    case = Case("completed_rollout")
    services = copy.deepcopy(case.answers["ecs:DescribeServices"])
    gone = services["services"].pop()
    services["failures"] = [{"arn": gone["serviceArn"], "reason": "MISSING"}]
    worker = finding(case.decide(answers={"ecs:DescribeServices": services}), "worker")
    assert worker.state is State.FAILED and "ECS has no such service in cluster" in worker.summary
    assert "(MISSING)" in worker.summary and "services.worker.name" in worker.look_at[0]


# --- what the pipeline passes in -----------------------------------------------------------------------------------

def test_missing_stack_outputs_are_all_named_with_what_they_must_hold():
    with pytest.raises(ReleaseError) as raised:
        Release.from_outputs({"serviceName": "webstack-dev-api-service-1"})
    message = str(raised.value)
    for output in ("`clusterName`", "`services`", "`imageUri`"):
        assert output in message
    assert "taskDefinitionArn" in message


def test_a_malformed_service_entry_is_named():
    outputs = Case("completed_rollout").outputs | {"services": {"api": {"name": "x", "taskDefinitionArn": "api:42"}}}
    with pytest.raises(ReleaseError, match=r"services\.api\.taskDefinitionArn"):
        Release.from_outputs(outputs)


REPOSITORY = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/webstack-dev-repo"


@pytest.mark.parametrize(("uri", "tag", "digest"), [
    (f"{REPOSITORY}:abc123", "abc123", None),
    (f"{REPOSITORY}@sha256:{'a' * 64}", None, f"sha256:{'a' * 64}"),
])
def test_the_image_is_named_by_tag_or_by_digest(uri, tag, digest):
    image = Image.parse(uri)
    assert (image.tag, image.digest, image.registry_id, image.repository_name) == \
        (tag, digest, "123456789012", "webstack-dev-repo")


@pytest.mark.parametrize("uri", [REPOSITORY, "docker.io/library/python:3.12", f"{REPOSITORY}@md5:1"])
def test_an_image_without_tag_or_digest_or_outside_ecr_is_refused(uri):
    with pytest.raises(ReleaseError):
        Image.parse(uri)


# --- the command -----------------------------------------------------------------------------------------------------

def fake_clock():
    now = [0.0]
    return (lambda: now[0]), (lambda seconds: now.__setitem__(0, now[0] + seconds))


def test_watch_polls_until_the_rollout_settles():
    stuck, done = Case("stuck_rollout"), Case("completed_rollout")
    readings = iter([stuck.observed(), stuck.observed(), done.observed()])
    clock, sleep = fake_clock()
    verdict = watch(done.release, lambda: next(readings), timeout=600, interval=15, clock=clock, sleep=sleep,
                    log=lambda _: None)
    assert verdict.state is State.PASSED and clock() == 30


def test_watch_gives_up_at_the_deadline_with_the_stuck_verdict():
    case = Case("stuck_rollout")
    clock, sleep = fake_clock()
    log: list[str] = []
    verdict = watch(case.release, case.observed, timeout=100, interval=15, clock=clock, sleep=sleep, log=log.append)
    assert verdict.state is State.FAILED and clock() == 100
    assert "after waiting 100 s, the deployment of webstack-prd-api:42 has not settled" in \
        finding(verdict, "api").summary
    assert "waiting for:" in log[0] and "[waiting]" in log[0]
    assert log[1:] == [f"after {15 * n} s, unchanged" for n in range(1, 7)], "an unchanged wait is one line"


def test_watch_does_not_wait_once_the_verdict_is_a_failure():
    case = Case("circuit_breaker_rollback")
    clock, sleep = fake_clock()
    assert watch(case.release, case.observed, timeout=600, interval=15, clock=clock, sleep=sleep).state is State.FAILED
    assert clock() == 0


def run_main(case: Case, tmp_path: Path, capsys) -> tuple[int, str, str]:
    outputs, github_output = tmp_path / "outputs.json", tmp_path / "github_output"
    outputs.write_text(json.dumps(case.outputs))
    code = main(["--stack", "prd", "--outputs", str(outputs), "--timeout", "0", "--github-output", str(github_output)],
                read_with=lambda release: case.observed)
    return code, capsys.readouterr().out, github_output.read_text() if github_output.exists() else ""


def test_the_command_passes_and_hands_the_tag_to_the_record_step(tmp_path, capsys):
    code, out, github_output = run_main(Case("completed_rollout"), tmp_path, capsys)
    assert code == 0, out
    assert github_output.startswith("tag=3c1f9e7a52d04b6e8f1a2c3d4e5f60718293a4b5\ndigest=sha256:")
    assert "stack prd runs what was deployed" in out


def test_the_command_fails_with_an_annotation_per_failure_and_hands_over_no_tag(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, github_output = run_main(Case("circuit_breaker_rollback"), tmp_path, capsys)
    assert code == 1 and github_output == ""
    annotations = [line for line in out.splitlines() if line.startswith("::error")]
    assert len(annotations) == 1 and annotations[0].startswith("::error title=Deploy check of stack prd: api::")
    assert "the deploy did not take" in out


def test_the_command_refuses_outputs_that_do_not_say_what_was_deployed(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"clusterName": "c"}))
    assert main(["--outputs", str(outputs)], read_with=lambda release: pytest.fail("no AWS call")) == 2
    out = capsys.readouterr().out
    assert out.startswith("the stack outputs do not say what this deploy deployed; the program must export:\n")
    annotation = out.splitlines()[-1]
    assert annotation.startswith("::error title=Deploy check of the stack::the stack outputs do not say")
    assert "%0A  - `services`" in annotation, "one annotation, its lines escaped"


# --- the calls the check makes ---------------------------------------------------------------------------------------

def documented_calls() -> set[str]:
    """The calls release/aws.py's table tells the deploy role about."""
    return {match[1] for match in re.finditer(r"^\| (\w+) \| (ecs|ecr):\1 \|", aws.__doc__ or "", re.MULTILINE)}


@pytest.mark.parametrize("name", ["completed_rollout", "circuit_breaker_rollback"])
def test_the_reader_makes_exactly_the_documented_read_only_calls(name):
    case = Case(name)
    release = case.release
    ecs = SESSION.create_client("ecs", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
    ecr = SESSION.create_client("ecr", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
    made: set[str] = set()
    with Stubber(ecs) as ecs_stub, Stubber(ecr) as ecr_stub:
        def expect(stub, method, answer, params):
            made.add("".join(part.title() for part in method.split("_")))
            stub.add_response(method, copy.deepcopy(answer), params)

        expect(ecs_stub, "describe_services", case.answers["ecs:DescribeServices"],
               {"cluster": release.cluster, "services": [s.name for s in release.services]})
        current = [s["currentServiceDeployment"] for s in case.answers["ecs:DescribeServices"]["services"]]
        expect(ecs_stub, "describe_service_deployments", case.answers["ecs:DescribeServiceDeployments"],
               {"serviceDeploymentArns": current})
        named = [[d["targetServiceRevision"]["arn"], *(r["arn"] for r in d["sourceServiceRevisions"]),
                  *([d["rollback"]["serviceRevisionArn"]] if "rollback" in d else [])]
                 for d in case.answers["ecs:DescribeServiceDeployments"]["serviceDeployments"]]
        revision_arns = list(dict.fromkeys(arn for arns in named for arn in arns))
        expect(ecs_stub, "describe_service_revisions", case.answers["ecs:DescribeServiceRevisions"],
               {"serviceRevisionArns": revision_arns})
        tasks = case.answers["ecs:DescribeTasks"]["tasks"]
        for service in release.services:
            arns = [t["taskArn"] for t in tasks if t["group"] == f"service:{service.name}"]
            expect(ecs_stub, "list_tasks", {"taskArns": arns},
                   {"cluster": release.cluster, "serviceName": service.name, "desiredStatus": "RUNNING"})
        expect(ecs_stub, "describe_tasks", case.answers["ecs:DescribeTasks"],
               {"cluster": release.cluster, "tasks": [t["taskArn"] for t in tasks]})
        expect(ecr_stub, "describe_images", case.answers["ecr:DescribeImages"],
               {"registryId": "123456789012", "repositoryName": release.image.repository_name,
                "imageIds": [{"imageTag": release.image.tag}]})

        observed = aws.AwsReader(release, ecs, ecr)()
        ecs_stub.assert_no_pending_responses()
        ecr_stub.assert_no_pending_responses()
    assert observed.decide(release).state is case.decide().state
    assert made == documented_calls() == {"DescribeServices", "DescribeServiceDeployments",
                                          "DescribeServiceRevisions", "ListTasks", "DescribeTasks", "DescribeImages"}


def test_an_access_denied_names_the_action_the_deploy_role_lacks():
    case = Case("completed_rollout")
    ecs = SESSION.create_client("ecs", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
    ecr = SESSION.create_client("ecr", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ecs) as stub:
        stub.add_client_error("describe_services", "AccessDeniedException", "User is not authorized")
        with pytest.raises(aws.CheckError, match=r"ecs:DescribeServices on services .* the deploy role needs "
                                                 r"ecs:DescribeServices"):
            aws.AwsReader(case.release, ecs, ecr)()


def test_an_image_ecr_does_not_know_is_an_answer_not_an_error():
    case = Case("completed_rollout")
    ecr = SESSION.create_client("ecr", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ecr) as stub:
        stub.add_client_error("describe_images", "ImageNotFoundException", "not found")
        assert aws.AwsReader(case.release, None, ecr)._images() == {"imageDetails": []}
