"""Schema-driven fuzzing of both APIs with schemathesis, every check on (``--checks all``): no server error,
no response and no rejection that contradicts the API's own OpenAPI document. Both APIs run on 127.0.0.1
over a table and bucket of their own in the emulator; the admin API is called with a real administrator's
access token from the emulated pool.

The run is bounded (a fixed seed, 5 examples per operation; all four phases for the admin API, all but the
stateful one for the read-only public API) so it takes seconds; set WEBSTACK_FUZZ_EXAMPLES and
WEBSTACK_FUZZ_SEED to fuzz longer or differently."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.admin.main import create_app as create_admin_app
from app.admin.store import AdminStore
from app.api.catalogue import Catalogue
from app.api.main import create_app as create_public_app
from app.local import BackgroundServer, Emulator, provision

from ..conftest import SESSION, make_settings
from .conftest import AdminWorld

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = os.environ.get("WEBSTACK_FUZZ_EXAMPLES", "5")
SEED = os.environ.get("WEBSTACK_FUZZ_SEED", "20251202")


def fuzz(document_url: str, workdir: Path, *options: str) -> subprocess.Popen[str]:
    """schemathesis run, in a process of its own."""
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
def fuzzed_apis(emulator: Emulator, admin_world: AdminWorld) -> Iterator[tuple[str, str]]:
    """Both APIs over a table and bucket only the fuzzer writes to; the admin API trusts the emulated pool
    whose administrator's token the fuzzer sends."""
    suffix = uuid.uuid4().hex[:8]
    table, bucket = f"fuzz-items-{suffix}", f"fuzz-images-{suffix}"
    provision(emulator.endpoint_url, table, bucket)
    admin_settings = admin_world.settings.model_copy(update={"table_name": table, "bucket_name": bucket})
    public_settings = make_settings(emulator.endpoint_url, table_name=table, bucket_name=bucket)
    with (
        BackgroundServer(create_admin_app(admin_settings, AdminStore(admin_settings, session=SESSION))) as admin,
        BackgroundServer(create_public_app(public_settings, Catalogue(public_settings, session=SESSION))) as public,
    ):
        yield public.url, admin.url


def test_neither_api_contradicts_its_document_or_fails(fuzzed_apis, admin_world, tmp_path):
    public_url, admin_url = fuzzed_apis
    # One after the other: both APIs and the emulator share this interpreter, and side by side the two runs
    # only slow each other down.
    runs = {
        # The public API only reads: a stateful phase (sequences of calls) would repeat the coverage phase.
        "public": lambda: fuzz(f"{public_url}/api/openapi.json", tmp_path / "public",
                               "--phases", "examples,coverage,fuzzing"),
        "admin": lambda: fuzz(f"{admin_url}/api/admin/openapi.json", tmp_path / "admin",
                              "--header", f"Authorization: Bearer {admin_world.admin_token}"),
    }
    for name, start in runs.items():
        code, output = verdict(start())
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
