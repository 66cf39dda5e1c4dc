"""Schema-driven fuzzing of both APIs with schemathesis, every check on (``--checks all``): no server error,
no response and no rejection that contradicts the API's own OpenAPI document. Both APIs are served as
``make dev`` serves them, on 127.0.0.1 in a process of their own (``fuzz_server``); the admin API is called
with an access token of the emulated pool's administrator.

The run is bounded (a fixed seed, 8 examples per operation; all four phases for the admin API, all but the
stateful one for the read-only public API) so it takes seconds; set WEBSTACK_FUZZ_EXAMPLES and
WEBSTACK_FUZZ_SEED to fuzz longer or differently."""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.api.catalogue import Catalogue
from app.api.main import create_app as create_public_app

from ..conftest import SESSION, make_settings
from .conftest import cognito_call

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = os.environ.get("WEBSTACK_FUZZ_EXAMPLES", "8")
SEED = os.environ.get("WEBSTACK_FUZZ_SEED", "20251202")


def fuzz(document_url: str, workdir: Path, *options: str) -> subprocess.Popen[str]:
    """schemathesis run in the background (the two APIs are fuzzed side by side)."""
    assert SCHEMATHESIS.exists(), "schemathesis missing: pip install -r requirements-dev.txt"
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(SCHEMATHESIS), "run", document_url, "--checks", "all", "--max-examples", EXAMPLES, "--seed", SEED,
         "--request-timeout", "10", *options],
        cwd=workdir,  # its cache and reports stay out of the work tree
        env=os.environ | {"SCHEMATHESIS_HOOKS": "tests.app.fuzz_hooks", "PYTHONPATH": str(REPO_ROOT),
                          "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def verdict(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=180)
    return process.returncode, output


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """What ``make dev`` serves, in a process of its own (``fuzz_server``), so that the fuzzed servers do not
    share an interpreter with the test; yields its URL and an access token of its administrator."""
    stderr_path = tmp_path_factory.mktemp("fuzz-server") / "stderr"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "tests.app.admin.fuzz_server"], cwd=REPO_ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the server prints it once it answers
        assert line, f"the fuzz server did not start: {stderr_path.read_text()[-3000:]}"
        started = json.loads(line)
        url = started["url"]
        config = httpx.get(f"{url}/admin/config.json", timeout=5, trust_env=False).json()
        signed_in = cognito_call(config["cognitoEndpoint"], "InitiateAuth", {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": config["clientId"],
            "AuthParameters": {"USERNAME": started["username"], "PASSWORD": started["password"]},
        })
        assert signed_in.status_code == 200, signed_in.text
        yield url, signed_in.json()["AuthenticationResult"]["AccessToken"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def test_neither_api_contradicts_its_document_or_fails(dev_server, tmp_path):
    url, token = dev_server
    runs = {
        # The public API only reads: a stateful phase (sequences of calls) would repeat the coverage phase.
        "public": fuzz(f"{url}/api/openapi.json", tmp_path / "public", "--phases", "examples,coverage,fuzzing"),
        "admin": fuzz(f"{url}/api/admin/openapi.json", tmp_path / "admin",
                      "--header", f"Authorization: Bearer {token}"),
    }
    for name, process in runs.items():
        code, output = verdict(process)
        print(name, [line for line in output.splitlines() if "(in " in line])
        assert code == 0, f"schemathesis found problems in the {name} API:\n{output[-6000:]}"
        tested = re.search(r"(\d+) generated, (\d+) passed", output)
        assert tested and int(tested.group(1)) > 50 and tested.group(1) == tested.group(2), output[-3000:]


def test_the_fuzzer_catches_a_document_that_allows_what_the_api_refuses(emulator):
    """The check above can fail: with the image name's pattern taken out of the public document (as it was
    before), the fuzzer finds the API refusing names the document allows. (In-process, through the ASGI app,
    to keep it quick.)"""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.openapi.checks import RejectedPositiveData

    public_settings = make_settings(emulator.endpoint_url)
    app = create_public_app(public_settings, Catalogue(public_settings, session=SESSION))
    document = copy.deepcopy(app.openapi())
    for parameter in document["paths"]["/api/images/{name}"]["get"]["parameters"]:
        if parameter["name"] == "name":
            parameter["schema"] = {"type": "string"}
    app.openapi_schema = document
    operation = schemathesis.openapi.from_asgi("/api/openapi.json", app)["/api/images/{name}"]["GET"]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def fuzz_images(case: schemathesis.Case) -> None:
        case.call_and_validate()

    with pytest.raises(BaseExceptionGroup) as found:  # schemathesis raises its failures as a group
        fuzz_images()
    assert [type(failure) for failure in found.value.exceptions] == [RejectedPositiveData]
    assert found.value.exceptions[0].operation == "GET /api/images/{name}"
    assert "invalid_image_key" in str(found.value)  # the refusal, as schemathesis quotes it
