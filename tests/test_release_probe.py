"""The release probe: ECS's lifecycle hook at POST_TEST_TRAFFIC_SHIFT, and its place in the stacks.

The function's code (release/probe.py) is driven with the hook payloads the ECS developer guide documents
("Lambda hooks for Amazon ECS service deployments", Lifecycle payloads) against stand-ins for the load balancer's
listener on 127.0.0.1: plain HTTP, and HTTPS with a self-signed certificate for the origin name. The stand-in admits
the probe header with the stack's token to the "new revision" and answers every other request with the listener's
own 404, as the test listener rule does.

The component (components/release_probe.py) and its wiring are checked in the captured stacks: prd's blue/green
APIs wait for it, dev (rolling) declares none; its network path, roles and boundary; the token shared by the test
listener rules and the function.
"""

from __future__ import annotations

import datetime
import hashlib
import http.server
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.boundary import boundary_document
from components.release_probe import CODE_PATH, ReleaseProbe, ReleaseProbeArgs, probes_document
from components.service import RELEASE_PROBE_HEADER, ecs_service_prefix
from mock_engine import ACCOUNT_ID, Capture, Resource, StackRunFailed, as_list, policy_document, run_program, run_stack
from provider_calls.iam import allows
from release import probe

REGION = "ap-northeast-1"
TOKEN = "0123456789abcdef0123456789abcdef"
ORIGIN = "origin.shop.example.com"
CLUSTER = "webstack-prd-cluster-0a1b2c3"
API = "webstack-prd-api-service-1a2b3c4"
ADMIN = "webstack-prd-admin-service-5d6e7f8"
# What __main__.py declares for prd's two APIs.
PROBES = json.dumps({
    "webstack-prd-api-service": [{"path": "/api/items", "status": 200, "json": "list"}],
    "webstack-prd-admin-service": [{"path": "/api/admin/items", "status": 401, "json": "error"}],
})
ITEMS = json.dumps([{"id": "tea-01", "name": "Sencha"}]).encode()
UNAUTHENTICATED = json.dumps({"error": {"code": "unauthenticated", "message": "no access token"}}).encode()
LISTENER_404 = b'{"error": {"code": "not_found", "message": "no route for this path"}}'

FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SERVICE = "aws:ecs/service:Service"
RULE = "aws:lb/listenerRule:ListenerRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
HTTPS_SITE = {"webstack:site": {"domain": "shop.example.com", "hostedZone": "example.com"}}


# --- the ECS side: payloads and the Lambda context ------------------------------------------------------------

def hook_event(service: str = API, stage: str = probe.STAGE) -> dict[str, Any]:
    """The payload ECS sends a Lambda hook (the guide's POST_TEST_TRAFFIC_SHIFT example, for a prd service)."""
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}"
    return {
        "executionId": "3a0345ba-b029-404b-890d-7da2a4b266aa",
        "lifecycleStage": stage,
        "resourceArn": f"{arn}:service-deployment/{CLUSTER}/{service}/EZe5RNVLH6PPzHXINuP28",
        "executionDetails": {
            "serviceArn": f"{arn}:service/{CLUSTER}/{service}",
            "targetServiceRevisionArn": f"{arn}:service-revision/{CLUSTER}/{service}/9313423515462893900",
            "testTrafficWeights": {},
            "productionTrafficWeights": {},
        },
    }


@dataclass
class LambdaContext:
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class FakeTime:
    """A clock that moves only when the code sleeps: loops are counted, not waited for."""
    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# --- the load balancer side: stand-ins for the listener on 127.0.0.1 ------------------------------------------

Answer = tuple[int, bytes]


@dataclass
class Listener:
    """What the listener did: every request's path and headers, and the SNI names TLS clients sent."""
    port: int
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)


def serve(new_revision: Callable[[str, int], Answer], tls: ssl.SSLContext | None = None) -> Iterator[Listener]:
    """A listener on 127.0.0.1: the probe header with TOKEN reaches `new_revision(path, n)` (n counts the requests),
    anything else gets the listener's 404."""
    listener = Listener(port=0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server calls do_<METHOD>
            listener.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            if self.headers.get(RELEASE_PROBE_HEADER) == TOKEN:
                status, body = new_revision(self.path, len(listener.requests))
            else:
                status, body = 404, LISTENER_404
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the test asserts on the requests
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        tls.sni_callback = lambda _sock, name, _ctx: listener.server_names.append(name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    listener.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def answering(status: int, body: bytes) -> Callable[[str, int], Answer]:
    return lambda _path, _n: (status, body)


def the_api(path: str, _n: int) -> Answer:
    """The new revision as it should answer: the public API's list, the admin API's 401 without a token."""
    if path == "/api/items":
        return 200, ITEMS
    if path.startswith("/api/admin/"):
        return 401, UNAUTHENTICATED
    return 404, b'{"error": {"code": "not_found", "message": "no such route"}}'


@pytest.fixture
def listener() -> Iterator[Listener]:
    yield from serve(the_api)


def environment(port: int, protocol: str = "HTTP", server_name: str | None = None,
                probes: str = PROBES, token: str = TOKEN) -> dict[str, str]:
    env = {probe.ENV_PROBES: probes, probe.ENV_HOST: "127.0.0.1", probe.ENV_PORT: str(port),
           probe.ENV_PROTOCOL: protocol, probe.ENV_TOKEN: token}
    if server_name:
        env[probe.ENV_SERVER_NAME] = server_name
    return env


def run(event: dict[str, Any], env: dict[str, str], **options: Any) -> dict[str, str]:
    """The hook, with short timeouts and no pauses unless a test asks for them."""
    options.setdefault("timeout", 2.0)
    options.setdefault("pause", 0.0)
    return probe.handle(event, LambdaContext(), env, **options)


# --- the probe's verdicts --------------------------------------------------------------------------------------

def test_the_new_api_revision_answering_its_list_passes(listener: Listener, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, "release-probe"):
        assert run(hook_event(API), environment(listener.port)) == {"hookStatus": "SUCCEEDED"}
    assert len(listener.requests) == 1
    path, headers = listener.requests[0]
    assert path == "/api/items"
    assert headers[RELEASE_PROBE_HEADER] == TOKEN
    assert headers["host"] == "127.0.0.1"
    assert "SUCCEEDED" in caplog.text and API in caplog.text and "9313423515462893900" in caplog.text


def test_the_new_admin_revision_answering_its_json_401_passes(listener: Listener):
    assert run(hook_event(ADMIN), environment(listener.port)) == {"hookStatus": "SUCCEEDED"}
    assert [path for path, _ in listener.requests] == ["/api/admin/items"]


def test_the_handler_reads_its_environment(listener: Listener, monkeypatch: pytest.MonkeyPatch):
    for key, value in environment(listener.port).items():
        monkeypatch.setenv(key, value)
    assert probe.handler(hook_event(API), LambdaContext()) == {"hookStatus": "SUCCEEDED"}


@pytest.mark.parametrize(("new_revision", "reason"), [
    (answering(500, b'{"error": {"code": "internal", "message": "boom"}}'), "status 500, expected 200"),
    (answering(502, b"<html>Bad Gateway</html>"), "status 502, expected 200"),
    (answering(200, b'{"items": []}'), "expected a JSON array, got dict"),
    (answering(200, b"<html>not json</html>"), "the body is not JSON"),
], ids=["5xx", "load-balancer-502", "wrong-shape", "not-json"])
def test_a_wrong_answer_fails_after_a_bounded_number_of_attempts(new_revision, reason,
                                                                 caplog: pytest.LogCaptureFixture):
    for listener in serve(new_revision):
        with caplog.at_level(logging.INFO, "release-probe"):
            assert run(hook_event(API), environment(listener.port), attempts=3) == {"hookStatus": "FAILED"}
        assert len(listener.requests) == 3
    assert reason in caplog.text
    assert "hookStatus FAILED" in caplog.text and "GET /api/items -> 200" in caplog.text


def test_an_admin_answer_that_is_not_the_error_shape_fails(caplog: pytest.LogCaptureFixture):
    # A 401 from something else than the admin API (a proxy's HTML page, say) does not prove the revision runs.
    for listener in serve(answering(401, b"<html>401 Authorization Required</html>")):
        with caplog.at_level(logging.INFO, "release-probe"):
            assert run(hook_event(ADMIN), environment(listener.port)) == {"hookStatus": "FAILED"}
    assert "the body is not JSON" in caplog.text


def test_a_wrong_token_meets_the_listener_default_and_fails(listener: Listener, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, "release-probe"):
        assert run(hook_event(API), environment(listener.port, token="not-the-stacks")) == {"hookStatus": "FAILED"}
    assert "status 404, expected 200" in caplog.text


def test_a_revision_that_recovers_within_the_attempts_passes():
    flaky = lambda path, n: (502, b"starting") if n == 1 else the_api(path, n)  # noqa: E731
    for listener in serve(flaky):
        time_ = FakeTime()
        assert run(hook_event(API), environment(listener.port), attempts=3, pause=2.0, clock=time_.clock,
                   sleep=time_.sleep) == {"hookStatus": "SUCCEEDED"}
        assert len(listener.requests) == 2
        assert time_.sleeps == [2.0]


def test_the_attempts_and_pauses_are_bounded():
    for listener in serve(answering(503, b'{"error": {"code": "upstream_unavailable", "message": "x"}}')):
        time_ = FakeTime()
        assert run(hook_event(API), environment(listener.port), attempts=4, pause=2.0, clock=time_.clock,
                   sleep=time_.sleep) == {"hookStatus": "FAILED"}
        assert len(listener.requests) == 4
        assert time_.sleeps == [2.0, 2.0, 2.0], "a pause between attempts, none after the last"


def test_the_probe_stops_before_the_function_runs_out_of_time(caplog: pytest.LogCaptureFixture):
    for listener in serve(answering(500, b"{}")):
        time_ = FakeTime()
        # 4 s left, 3 s kept back: one second of probing, then FAILED in the function's own words.
        context = LambdaContext(remaining_ms=4_000)
        with caplog.at_level(logging.INFO, "release-probe"):
            answer = probe.handle(hook_event(API), context, environment(listener.port), clock=time_.clock,
                                  sleep=time_.sleep, attempts=5, timeout=2.0, pause=2.0)
        assert answer == {"hookStatus": "FAILED"}
        assert len(listener.requests) == 1
        assert time_.sleeps == [1.0], "the pause is cut to the time left"
    assert "out of time after 1 attempts" in caplog.text


def test_a_revision_that_never_answers_times_out_and_fails(caplog: pytest.LogCaptureFixture):
    # A listening socket that never accepts: the connection completes in the kernel's backlog, the answer never
    # comes, and each attempt ends at its timeout.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        started = time.monotonic()
        with caplog.at_level(logging.INFO, "release-probe"):
            assert run(hook_event(API), environment(silent.getsockname()[1]), attempts=2,
                       timeout=0.3) == {"hookStatus": "FAILED"}
        elapsed = time.monotonic() - started
    assert elapsed < 2 * 0.3 + 1.0, elapsed
    assert "timed out" in caplog.text


def test_a_refused_connection_fails():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert run(hook_event(API), environment(port), attempts=2) == {"hookStatus": "FAILED"}


def test_an_unknown_service_fails_clearly_without_a_request(listener: Listener, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, "release-probe"):
        answer = run(hook_event("webstack-prd-worker-service-9a8b7c6"), environment(listener.port))
    assert answer == {"hookStatus": "FAILED"}
    assert listener.requests == []
    assert "no probes for service 'webstack-prd-worker-service-9a8b7c6'" in caplog.text
    assert "webstack-prd-admin-service, webstack-prd-api-service" in caplog.text


@pytest.mark.parametrize("stage", ["TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_SCALE_UP"])
def test_another_stage_fails_without_a_request(listener: Listener, stage: str, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, "release-probe"):
        assert run(hook_event(API, stage=stage), environment(listener.port)) == {"hookStatus": "FAILED"}
    assert listener.requests == []
    assert f"invoked at {stage!r}" in caplog.text


@pytest.mark.parametrize("event", [{}, {"lifecycleStage": probe.STAGE}, None, "text",
                                   {"lifecycleStage": probe.STAGE, "executionDetails": {"serviceArn": "nope"}}],
                         ids=["empty", "no-details", "none", "text", "not-an-arn"])
def test_a_payload_that_is_not_ecs_s_fails(listener: Listener, event: Any):
    assert run(event, environment(listener.port)) == {"hookStatus": "FAILED"}
    assert listener.requests == []


@pytest.mark.parametrize(("change", "reason"), [
    ({probe.ENV_PROBES: "{"}, "is not JSON"),
    ({probe.ENV_PROBES: "[]"}, "non-empty JSON object"),
    ({probe.ENV_PROBES: '{"webstack-prd-api-service": [{"path": "api/items", "status": 200}]}'}, "absolute path"),
    ({probe.ENV_PROBES: '{"webstack-prd-api-service": [{"path": "/", "status": 200, "json": "xml"}]}'}, "one of"),
    ({probe.ENV_PROBES: '{"webstack-prd-api-service": [{"path": "/", "status": true}]}'}, "HTTP status code"),
    ({probe.ENV_TOKEN: ""}, f"lacks {probe.ENV_TOKEN}"),
    ({probe.ENV_PROTOCOL: "TCP"}, "HTTP or HTTPS"),
    ({probe.ENV_PROTOCOL: "HTTPS"}, f"needs {probe.ENV_SERVER_NAME}"),
], ids=["bad-json", "not-an-object", "relative-path", "unknown-shape", "bool-status", "no-token", "tcp",
        "https-without-name"])
def test_a_misconfigured_function_fails_the_release_and_says_why(listener: Listener, change: dict[str, str],
                                                                 reason: str, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, "release-probe"):
        assert run(hook_event(API), {**environment(listener.port), **change}) == {"hookStatus": "FAILED"}
    assert reason in caplog.text
    assert listener.requests == []


def test_service_names_are_read_from_both_arn_formats_and_matched_by_their_stable_prefix():
    assert probe.service_name(f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:service/{CLUSTER}/{API}") == API
    assert probe.service_name(f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:service/{API}") == API
    with pytest.raises(ValueError):
        probe.service_name(f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task/{CLUSTER}/abc")
    table = probe.parse_probes(PROBES)
    assert probe.probes_for(API, table) == ("webstack-prd-api-service", table["webstack-prd-api-service"])
    assert probe.probes_for("webstack-prd-api-service", table) is not None
    for other in ("webstack-prd-api-service-extra-1a2b3c4", "webstack-prd-api-servicex", "webstack-dev-api-service",
                  "webstack-prd-api-service-1a2b3c", "webstack-prd-api"):
        assert probe.probes_for(other, table) is None, other


# --- HTTPS: connect to the load balancer's name, verify the origin name ---------------------------------------

def certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` (it is its own CA), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def tls_listener(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def test_over_https_the_probe_sends_the_origin_name_and_verifies_the_certificate_for_it(tmp_path: Path):
    cert, key = certificate(tmp_path, ORIGIN)
    trusting = ssl.create_default_context(cafile=str(cert))
    for listener in serve(the_api, tls=tls_listener(cert, key)):
        env = environment(listener.port, protocol="HTTPS", server_name=ORIGIN)
        assert run(hook_event(API), env, ssl_context=trusting) == {"hookStatus": "SUCCEEDED"}
        assert listener.server_names == [ORIGIN], "SNI names the origin, not the address connected to"
        assert listener.requests[0][1]["host"] == ORIGIN


def test_over_https_a_certificate_for_another_name_fails(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    cert, key = certificate(tmp_path, "other.example.com")
    trusting = ssl.create_default_context(cafile=str(cert))
    for listener in serve(the_api, tls=tls_listener(cert, key)):
        with caplog.at_level(logging.INFO, "release-probe"):
            answer = run(hook_event(API), environment(listener.port, protocol="HTTPS", server_name=ORIGIN),
                         ssl_context=trusting, attempts=2)
        assert answer == {"hookStatus": "FAILED"}
        assert listener.requests == []
    assert "SSLCertVerificationError" in caplog.text and "Hostname mismatch" in caplog.text


def test_over_https_an_untrusted_certificate_fails(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    cert, key = certificate(tmp_path, ORIGIN)
    for listener in serve(the_api, tls=tls_listener(cert, key)):
        with caplog.at_level(logging.INFO, "release-probe"):
            # The default context: the system's trust store, which knows no self-signed certificate.
            assert run(hook_event(API), environment(listener.port, protocol="HTTPS", server_name=ORIGIN),
                       attempts=1) == {"hookStatus": "FAILED"}
        assert listener.requests == []
    assert "certificate verify failed" in caplog.text


# --- the component in the stacks --------------------------------------------------------------------------------

@dataclass
class Probed:
    """The captured stack and the release probe's resources in it."""
    capture: Capture
    component: Resource

    def inside(self, type_: str, suffix: str = "") -> Resource:
        found = [r for r in self.capture.descendants_of(self.component)
                 if r.type == type_ and r.name.endswith(suffix)]
        assert len(found) == 1, (type_, suffix, found)
        return found[0]

    @property
    def function(self) -> Resource:
        return self.inside(FUNCTION)

    @property
    def env(self) -> dict[str, str]:
        return self.function.inputs["environment"]["variables"]

    def role(self, suffix: str) -> Resource:
        return self.inside(ROLE, f"-{suffix}")

    def statements(self, role: Resource) -> list[dict[str, Any]]:
        return [s for p in self.capture.of_type(ROLE_POLICY) if p.inputs["role"] == role.id
                for s in as_list(policy_document(p.inputs["policy"])["Statement"])]

    def granting(self, role: Resource, action: str) -> list[dict[str, Any]]:
        return [s for s in self.statements(role) if action in as_list(s["Action"])]


def probed(stack: str, overrides: dict[str, Any] | None = None) -> Probed:
    capture = run_stack(stack, overrides)
    return Probed(capture, capture.one("webstack:release:ReleaseProbe"))


@pytest.fixture(scope="module")
def prd_probe() -> Probed:
    return probed("prd")


def api_services(capture: Capture) -> dict[str, Resource]:
    return {s.name: s for s in capture.of_type(SERVICE)}


def alb(capture: Capture) -> Resource:
    return capture.one("aws:lb/loadBalancer:LoadBalancer")


def alb_group(capture: Capture) -> Resource:
    return capture.one("aws:ec2/securityGroup:SecurityGroup", where=lambda g: g.name.endswith("-alb-sg"))


def container_subnets(capture: Capture) -> list[Resource]:
    return [s for s in capture.of_type("aws:ec2/subnet:Subnet") if s.get("tags.tier") == "container"]


def test_both_apis_of_prd_wait_for_the_probe_after_their_test_traffic(prd_probe: Probed):
    function, hook_role = prd_probe.function, prd_probe.role("hook")
    services = api_services(prd_probe.capture)
    for name in ("webstack-prd-api-service", "webstack-prd-admin-service"):
        configuration = services[name].inputs["deploymentConfiguration"]
        assert configuration["strategy"] == "BLUE_GREEN"
        assert configuration["lifecycleHooks"] == [{
            "hookTargetArn": function.state["arn"], "roleArn": hook_role.state["arn"],
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]
    assert "lifecycleHooks" not in services["webstack-prd-worker-service"].inputs["deploymentConfiguration"]
    assert function.state["arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:webstack-prd-release-probe"


def test_the_services_are_registered_once_the_hook_is_usable(prd_probe: Probed):
    # The hook's ARNs resolve only after the invoke policy exists, so ECS never gets a hook it may not call.
    policy = prd_probe.inside(ROLE_POLICY, "-hook-policy")
    for name in ("webstack-prd-api-service", "webstack-prd-admin-service"):
        assert policy.urn in api_services(prd_probe.capture)[name].dependencies, name


def test_dev_rolls_and_declares_no_probe():
    capture = run_stack("dev")
    assert capture.of_type("webstack:release:ReleaseProbe") == []
    assert capture.of_type(FUNCTION) == []
    for service in capture.of_type(SERVICE):
        assert service.inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}, service.name


def test_only_the_blue_green_api_is_probed_when_the_other_rolls():
    stack = probed("prd", {"webstack:admin": {"service": {"release": "rolling", "cpu": 256, "memory": 512,
                                                          "desiredCount": 2, "minCount": 2, "maxCount": 4}}})
    assert list(json.loads(stack.env[probe.ENV_PROBES])) == ["webstack-prd-api-service"]
    services = api_services(stack.capture)
    assert services["webstack-prd-admin-service"].inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}
    assert services["webstack-prd-api-service"].inputs["deploymentConfiguration"]["lifecycleHooks"]


def test_a_canary_release_waits_for_the_probe_too():
    stack = probed("prd", {"webstack:api": {"release": "canary"}})
    configuration = api_services(stack.capture)["webstack-prd-api-service"].inputs["deploymentConfiguration"]
    assert configuration["strategy"] == "CANARY"
    assert configuration["lifecycleHooks"][0]["lifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]


def test_the_function_is_small_bounded_and_runs_the_repositorys_probe(prd_probe: Probed):
    function = prd_probe.function
    assert function.inputs["runtime"] == "python3.12"
    assert function.inputs["architectures"] == ["arm64"]
    assert function.inputs["memorySize"] == 128
    assert 0 < function.inputs["timeout"] <= 60
    assert function.inputs["timeout"] > probe.RESERVE_SECONDS + probe.REQUEST_TIMEOUT_SECONDS
    assert function.inputs["handler"] == "probe.handler"
    archive = function.inputs["code"]
    assert set(archive.assets) == {"probe.py"}, "the handler's module is the archive's only member"
    assert Path(archive.assets["probe.py"].path) == CODE_PATH == Path(probe.__file__).resolve()
    assert function.inputs["role"] == prd_probe.role("execution").state["arn"]


def test_the_function_runs_in_the_container_subnets_behind_its_own_group(prd_probe: Probed):
    vpc = prd_probe.function.inputs["vpcConfig"]
    assert sorted(vpc["subnetIds"]) == sorted(s.id for s in container_subnets(prd_probe.capture))
    assert vpc["securityGroupIds"] == [prd_probe.inside("aws:ec2/securityGroup:SecurityGroup").id]


def test_the_probe_group_reaches_only_the_listener_and_the_alb_admits_it(prd_probe: Probed):
    capture = prd_probe.capture
    group, balancer = prd_probe.inside("aws:ec2/securityGroup:SecurityGroup"), alb_group(capture)
    listener_port = capture.one("aws:lb/listener:Listener").inputs["port"]
    egress = [r for r in capture.of_type(EGRESS) if r.inputs["securityGroupId"] == group.id]
    ingress = [r for r in capture.of_type(INGRESS) if r.inputs["securityGroupId"] == group.id]
    assert ingress == [], "nothing connects to the probe"
    assert [(r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"],
             r.inputs.get("referencedSecurityGroupId")) for r in egress] == \
        [("tcp", listener_port, listener_port, balancer.id)]
    admitted = [r for r in capture.of_type(INGRESS)
                if r.inputs["securityGroupId"] == balancer.id and r.inputs.get("referencedSecurityGroupId") == group.id]
    assert [(r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]) for r in admitted] == \
        [("tcp", listener_port, listener_port)]
    for rule in [*egress, *admitted]:
        assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule.inputs), rule.name
        assert rule.inputs.get("description"), rule.name


def test_the_token_is_the_same_in_the_test_rules_and_the_function_and_not_public(prd_probe: Probed):
    capture = prd_probe.capture
    token = prd_probe.env[probe.ENV_TOKEN]
    assert token == hashlib.sha256(alb(capture).state["arn"].encode()).hexdigest()[:32]
    test_rules = [r for r in capture.of_type(RULE) if r.name.endswith("-release-probe")]
    assert len(test_rules) == 2
    for rule in test_rules:
        headers = [c["httpHeader"] for c in rule.inputs["conditions"] if "httpHeader" in c]
        assert headers == [{"httpHeaderName": RELEASE_PROBE_HEADER, "values": [token]}], rule.name
    assert token not in json.dumps(capture.outputs, default=str)


def test_the_function_targets_the_load_balancer_and_probes_each_service_by_its_name(prd_probe: Probed):
    env, capture = prd_probe.env, prd_probe.capture
    assert env[probe.ENV_HOST] == alb(capture).state["dnsName"]
    assert (env[probe.ENV_PROTOCOL], env[probe.ENV_PORT]) == ("HTTP", "80")
    assert probe.ENV_SERVER_NAME not in env
    table = probe.parse_probes(env[probe.ENV_PROBES])
    assert table == {
        ecs_service_prefix("webstack-prd-api"): (probe.Probe("/api/items", 200, "list"),),
        ecs_service_prefix("webstack-prd-admin"): (probe.Probe("/api/admin/items", 401, "error"),),
    }
    # ECS names the services as Pulumi auto-named them; the probe finds each one's probes from that name.
    for service in capture.of_type(SERVICE):
        found = probe.probes_for(service.state["name"], table)
        assert (found is not None) == (service.name != "webstack-prd-worker-service"), service.state["name"]


def test_behind_an_https_listener_the_probe_verifies_the_origin_name():
    stack = probed("prd", HTTPS_SITE)
    assert (stack.env[probe.ENV_PROTOCOL], stack.env[probe.ENV_PORT]) == ("HTTPS", "443")
    assert stack.env[probe.ENV_SERVER_NAME] == "origin.shop.example.com"
    egress = stack.capture.one(EGRESS, where=lambda r: r.parent == stack.component.urn)
    assert (egress.inputs["fromPort"], egress.inputs["toPort"]) == (443, 443)


def test_its_log_group_is_its_own_with_the_platforms_retention(prd_probe: Probed):
    group = prd_probe.inside("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == "/aws/lambda/webstack-prd-release-probe"
    assert group.inputs["retentionInDays"] == prd_probe.capture.config["webstack:platform"]["logRetentionDays"]
    assert prd_probe.function.inputs["loggingConfig"]["logGroup"] == group.inputs["name"]
    # Lambda creates a missing log group itself, without retention: this one must exist first.
    assert group.urn in prd_probe.function.dependencies


def trust(role: Resource) -> dict[str, Any]:
    (statement,) = as_list(policy_document(role.inputs["assumeRolePolicy"])["Statement"])
    return statement


@pytest.mark.parametrize(("suffix", "service"), [("execution", "lambda.amazonaws.com"),
                                                 ("hook", "ecs.amazonaws.com")])
def test_each_role_trusts_one_service_acting_for_this_account(prd_probe: Probed, suffix: str, service: str):
    statement = trust(prd_probe.role(suffix))
    assert statement["Principal"] == {"Service": service}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_the_hook_role_invokes_this_function_and_nothing_else(prd_probe: Probed):
    statements = prd_probe.statements(prd_probe.role("hook"))
    assert [(s["Action"], s["Resource"]) for s in statements] == \
        [(["lambda:InvokeFunction"], prd_probe.function.state["arn"])]


def test_the_execution_role_writes_its_log_group_only(prd_probe: Probed):
    role = prd_probe.role("execution")
    group = prd_probe.inside("aws:cloudwatch/logGroup:LogGroup")
    (logs,) = prd_probe.granting(role, "logs:PutLogEvents")
    assert sorted(logs["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == f"{group.state['arn']}:*"
    assert not prd_probe.granting(role, "logs:CreateLogGroup")


def test_the_execution_role_attaches_to_the_container_subnets_with_its_own_group_only(prd_probe: Probed):
    capture, role = prd_probe.capture, prd_probe.role("execution")
    documents = [{"Statement": prd_probe.statements(role)}]
    ec2 = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}"
    group = prd_probe.inside("aws:ec2/securityGroup:SecurityGroup")
    subnets = [f"{ec2}:subnet/{s.id}" for s in container_subnets(capture)]
    ingress = [f"{ec2}:subnet/{s.id}" for s in capture.of_type("aws:ec2/subnet:Subnet")
               if s.get("tags.tier") == "ingress"]
    (create,) = prd_probe.granting(role, "ec2:CreateNetworkInterface")
    assert sorted(create["Resource"]) == sorted([f"{ec2}:network-interface/*", f"{ec2}:security-group/{group.id}",
                                                 *subnets])
    for subnet in subnets:
        assert allows(documents, "ec2:CreateNetworkInterface", subnet)
    for elsewhere in [*ingress, f"{ec2}:security-group/{alb_group(capture).id}"]:
        assert not allows(documents, "ec2:CreateNetworkInterface", elsewhere), elsewhere
    eni = f"{ec2}:network-interface/eni-0123456789abcdef0"
    for action in ("ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"):
        assert allows(documents, action, eni, {"ec2:Subnet": subnets[0]}), action
        assert allows(documents, action, eni), f"{action}: EC2 may not know the subnet yet"
        assert not allows(documents, action, eni, {"ec2:Subnet": ingress[0]}), action
        assert not allows(documents, action, f"{ec2}:subnet/{container_subnets(capture)[0].id}"), action
    for action in ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"):
        (describe,) = prd_probe.granting(role, action)
        assert describe["Resource"] == "*", "AWS defines no resource type for it"
    granted = {a for s in prd_probe.statements(role) for a in as_list(s["Action"])}
    assert granted == {"logs:CreateLogStream", "logs:PutLogEvents", "ec2:CreateNetworkInterface",
                       "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
                       "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}


def test_the_function_is_created_after_the_permissions_lambda_checks(prd_probe: Probed):
    policy = prd_probe.inside(ROLE_POLICY, "-execution-policy")
    assert policy.urn in prd_probe.function.dependencies


def _tag_context(capture: Capture, resource_arn: str) -> dict[str, str]:
    """The request context EC2 adds for a subnet or group: its Name tag."""
    kind, _, resource_id = resource_arn.rpartition(":")[2].partition("/")
    types = {"subnet": "aws:ec2/subnet:Subnet", "security-group": "aws:ec2/securityGroup:SecurityGroup"}
    if kind not in types:
        return {}
    (resource,) = [r for r in capture.of_type(types[kind]) if r.id == resource_id]
    return {"aws:ResourceTag/Name": resource.inputs["tags"]["Name"]}


@pytest.mark.parametrize("stack", ["prd", "prd-https"])
def test_both_roles_carry_the_boundary_and_it_covers_their_grants(stack: str):
    probe_stack = probed("prd", HTTPS_SITE if stack == "prd-https" else None)
    capture = probe_stack.capture
    boundary = capture.one("aws:iam/policy:Policy", where=lambda p: p.name == "webstack-prd-boundary")
    documents = [policy_document(boundary.inputs["policy"])]
    for suffix in ("execution", "hook"):
        role = probe_stack.role(suffix)
        assert role.inputs["permissionsBoundary"] == boundary.state["arn"], suffix
        own = [{"Statement": probe_stack.statements(role)}]
        for statement in own[0]["Statement"]:
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    context = _tag_context(capture, resource)
                    assert allows(own, action, resource, context, boundary=documents), \
                        f"{suffix}: {action} on {resource} is outside the boundary"


def test_the_boundary_keeps_the_probes_grants_to_the_stack():
    boundary = [boundary_document("webstack-prd", REGION, ACCOUNT_ID, "aws")]
    ec2 = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}"
    assert allows(boundary, "ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-1",
                  {"aws:ResourceTag/Name": "webstack-prd-container-0"})
    for action, resource, context in [
        ("ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-1", {"aws:ResourceTag/Name": "webstack-dev-container-0"}),
        ("ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-1", {}),
        ("ec2:CreateNetworkInterface", f"{ec2}:security-group/sg-1", {"aws:ResourceTag/Name": "someone-else"}),
        ("ec2:CreateNetworkInterface", f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:network-interface/*", {}),
        ("ec2:DeleteNetworkInterface", f"arn:aws:ec2:{REGION}:999999999999:network-interface/eni-1", {}),
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:webstack-dev-release-probe", {}),
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:other", {}),
        ("logs:PutLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/other:*", {}),
        ("ec2:CreateTags", f"{ec2}:network-interface/eni-1", {}),
    ]:
        assert not allows(boundary, action, resource, context), (action, resource, context)


def test_a_probe_behind_https_without_the_origin_name_is_refused():
    def program() -> None:
        from components.platform import FargatePlatform, FargatePlatformArgs
        from stack_config.platform import PlatformConfig
        platform = FargatePlatform("webstack-dev", FargatePlatformArgs(
            config=PlatformConfig(image_tag="abc123"), region=REGION, vpc_id="vpc-1",
            ingress_subnet_ids=["subnet-a", "subnet-b"], alarm_topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:t",
            certificate_arn=f"arn:aws:acm:{REGION}:{ACCOUNT_ID}:certificate/1"))
        ReleaseProbe("webstack-dev-release-probe", ReleaseProbeArgs(
            platform=platform, subnet_ids=["subnet-c"], token=TOKEN,
            probes={"webstack-dev-api-service": [probe.Probe("/api/items", 200, "list")]}))

    with pytest.raises(StackRunFailed, match="needs server_name"):
        run_program(program)


def test_a_probe_the_function_would_refuse_stops_the_declaration():
    with pytest.raises(probe.ProbeConfigError, match="absolute path"):
        probes_document({"webstack-prd-api-service": [probe.Probe("api/items", 200, "list")]})
    with pytest.raises(probe.ProbeConfigError, match="non-empty"):
        probes_document({})
