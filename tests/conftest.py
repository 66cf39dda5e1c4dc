"""Fixtures shared by every test: the captured dev and prd stacks (see mock_engine)."""

import gc

import pytest

from mock_engine import Capture, run_stack


@pytest.fixture(scope="session")
def dev() -> Capture:
    return run_stack("dev")


@pytest.fixture(scope="session")
def prd() -> Capture:
    return run_stack("prd")


@pytest.fixture(scope="session", params=["dev", "prd"])
def stack(request) -> Capture:
    """Each real stack in turn, for rules that hold everywhere."""
    return run_stack(request.param)


def pytest_collection_finish(session: pytest.Session) -> None:
    # Collection imported pulumi_aws: hundreds of thousands of type objects that live as long as the session. Kept
    # out of the collector's passes (and those passes made rarer), they no longer cost a sixth of the suite's time.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    # pyright takes about half a minute: start it now, beside the other tests, when its test is selected.
    if any(item.nodeid.startswith("tests/test_static_checks.py::test_pyright") for item in session.items):
        from tests.test_static_checks import Pyright

        Pyright.start()
