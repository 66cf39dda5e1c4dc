"""The release probe: ECS's lifecycle hook at POST_TEST_TRAFFIC_SHIFT, run as a Lambda function inside the VPC.

A blue/green release (components/service.py) starts the new revision beside the old one and points the service's
test listener rule at it: requests carrying `x-webstack-release-probe: <the stack's token>` reach the new revision,
every other request still reaches the old one. ECS moves production traffic right after the test traffic unless a
hook holds it, and the pipeline's runner cannot reach the internal load balancer, so this function asks the new
revision, through the load balancer, before ECS moves anything:

- ECS invokes it with the hook payload (the ECS developer guide, "Lambda hooks for Amazon ECS service deployments",
  Lifecycle payloads): `lifecycleStage`, `executionId`, `resourceArn` and `executionDetails` with `serviceArn`,
  `targetServiceRevisionArn`, `testTrafficWeights` and `productionTrafficWeights`. Only `lifecycleStage` and
  `executionDetails.serviceArn` decide anything; the rest is logged, so the log line names the release.
- The service's name (the last part of `serviceArn`) picks its probes from `PROBES`, a JSON object keyed by the
  name's stable prefix (`webstack-prd-api-service`; Pulumi appends `-` and 7 random characters to it).
- Each probe is one GET to the load balancer with the probe header, checked for its status and the shape of its
  JSON body. Over HTTPS the function connects to the load balancer's own DNS name and speaks TLS under the origin
  name (`origin.<domain>`): the SNI it sends and the name it verifies the certificate for, as CloudFront does.
- It answers `{"hookStatus": "SUCCEEDED"}` only when every probe passed, and `{"hookStatus": "FAILED"}` with the
  reason logged otherwise; ECS then rolls the release back (the guide's hookStatus values). It never answers
  IN_PROGRESS: every probe is tried a bounded number of times within the function's own time limit.

Standard library only (the Python 3.12 Lambda runtime); `handle` is the whole behaviour, with the environment, the
TLS context, the clock and the sleep passed in, so tests/test_release_probe.py drives it against local servers.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger("release-probe")
LOG.setLevel(logging.INFO)

# The environment the component (components/release_probe.py) gives the function.
ENV_PROBES = "PROBES"
ENV_HOST = "TARGET_HOST"
ENV_PORT = "TARGET_PORT"
ENV_PROTOCOL = "TARGET_PROTOCOL"
ENV_SERVER_NAME = "TARGET_SERVER_NAME"
ENV_TOKEN = "PROBE_TOKEN"

HEADER = "x-webstack-release-probe"
"""The header the test listener rule matches (components/service.py RELEASE_PROBE_HEADER)."""
STAGE = "POST_TEST_TRAFFIC_SHIFT"
SUCCEEDED, FAILED = "SUCCEEDED", "FAILED"
PROTOCOLS = ("HTTP", "HTTPS")
SHAPES = ("list", "object", "error")
"""What a probe's body must be: a JSON array, a JSON object, or the APIs' error shape
`{"error": {"code": "...", "message": "..."}}` (app/api/errors.py)."""

ATTEMPTS = 3
"""Tries per probe: a target registered seconds ago may still answer 502 or reset the first connection."""
REQUEST_TIMEOUT_SECONDS = 5.0
PAUSE_SECONDS = 2.0
RESERVE_SECONDS = 3.0
"""Time kept back from Lambda's limit, so the function answers FAILED itself rather than being cut off."""
MAX_BODY_BYTES = 1 << 20
# Pulumi's auto-name: the logical name, "-", 7 random characters (lowercase hex by default).
_SUFFIX = re.compile(r"-[0-9a-z]{7}")


class ProbeConfigError(ValueError):
    """The function's environment does not say what to probe or where."""


@dataclass(frozen=True)
class Probe:
    path: str
    status: int
    json: str | None = None
    """One of SHAPES, or None for a probe that checks the status only."""

    def describe(self) -> str:
        return f"GET {self.path} -> {self.status}" + (f" ({self.json})" if self.json else "")


@dataclass(frozen=True)
class Target:
    host: str
    """The load balancer's DNS name."""
    port: int
    protocol: str
    server_name: str | None = None
    """HTTPS: the name the listener's certificate carries (SNI, Host and certificate verification)."""


def parse_probes(text: str) -> dict[str, tuple[Probe, ...]]:
    """`PROBES` as {service-name prefix: probes}; raises ProbeConfigError naming what is wrong."""
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise ProbeConfigError(f"{ENV_PROBES} is not JSON: {error}") from None
    if not isinstance(raw, dict) or not raw:
        raise ProbeConfigError(f"{ENV_PROBES} must be a non-empty JSON object of service-name prefix -> probes")
    table: dict[str, tuple[Probe, ...]] = {}
    for prefix, entries in raw.items():
        if not isinstance(entries, list) or not entries:
            raise ProbeConfigError(f"{ENV_PROBES}[{prefix!r}] must be a non-empty list of probes")
        table[prefix] = tuple(_probe(prefix, index, entry) for index, entry in enumerate(entries))
    return table


def _probe(prefix: str, index: int, entry: Any) -> Probe:
    where = f"{ENV_PROBES}[{prefix!r}][{index}]"
    if not isinstance(entry, dict) or set(entry) - {"path", "status", "json"}:
        raise ProbeConfigError(f"{where} must be an object with path, status and optionally json")
    path, status, shape = entry.get("path"), entry.get("status"), entry.get("json")
    if not isinstance(path, str) or not path.startswith("/") or any(c in path for c in " \r\n"):
        raise ProbeConfigError(f"{where}.path must be an absolute path without spaces, got {path!r}")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ProbeConfigError(f"{where}.status must be an HTTP status code, got {status!r}")
    if shape is not None and shape not in SHAPES:
        raise ProbeConfigError(f"{where}.json must be one of {', '.join(SHAPES)}, got {shape!r}")
    return Probe(path=path, status=status, json=shape)


def target_from(environ: Mapping[str, str]) -> Target:
    missing = [key for key in (ENV_HOST, ENV_PORT, ENV_PROTOCOL, ENV_TOKEN) if not environ.get(key)]
    if missing:
        raise ProbeConfigError(f"the function's environment lacks {', '.join(missing)}")
    protocol = environ[ENV_PROTOCOL]
    if protocol not in PROTOCOLS:
        raise ProbeConfigError(f"{ENV_PROTOCOL} must be HTTP or HTTPS, got {protocol!r}")
    try:
        port = int(environ[ENV_PORT])
    except ValueError:
        raise ProbeConfigError(f"{ENV_PORT} must be a port number, got {environ[ENV_PORT]!r}") from None
    server_name = environ.get(ENV_SERVER_NAME) or None
    if protocol == "HTTPS" and not server_name:
        raise ProbeConfigError(f"an HTTPS listener needs {ENV_SERVER_NAME}, the name its certificate carries")
    return Target(host=environ[ENV_HOST], port=port, protocol=protocol, server_name=server_name)


def service_name(service_arn: str) -> str:
    """`arn:aws:ecs:<region>:<account>:service/<cluster>/<name>` (or the old `service/<name>`) → `<name>`."""
    resource = service_arn.split(":", 5)[-1] if service_arn.startswith("arn:") else ""
    if not resource.startswith("service/") or not resource.rsplit("/", 1)[-1]:
        raise ValueError(f"{service_arn!r} is not an ECS service ARN")
    return resource.rsplit("/", 1)[-1]


def probes_for(name: str, table: Mapping[str, Sequence[Probe]]) -> tuple[str, Sequence[Probe]] | None:
    """The probes whose key is the service's name, or its name before Pulumi's random suffix."""
    if name in table:
        return name, table[name]
    for prefix, probes in table.items():
        if name.startswith(prefix) and _SUFFIX.fullmatch(name[len(prefix):]):
            return prefix, probes
    return None


def judge(probe: Probe, status: int, body: bytes) -> str | None:
    """Why the answer fails the probe, or None when it passes."""
    if status != probe.status:
        return f"status {status}, expected {probe.status}; body {_excerpt(body)}"
    if probe.json is None:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return f"the body is not JSON: {_excerpt(body)}"
    if probe.json == "list" and not isinstance(document, list):
        return f"expected a JSON array, got {type(document).__name__}: {_excerpt(body)}"
    if probe.json == "object" and not isinstance(document, dict):
        return f"expected a JSON object, got {type(document).__name__}: {_excerpt(body)}"
    if probe.json == "error":
        error = document.get("error") if isinstance(document, dict) else None
        if not (isinstance(error, dict) and isinstance(error.get("code"), str)
                and isinstance(error.get("message"), str)):
            return f'expected the error shape {{"error": {{"code", "message"}}}}: {_excerpt(body)}'
    return None


def _excerpt(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return repr(text + ("..." if len(body) > limit else ""))


class _TlsUnderName(http.client.HTTPConnection):
    """HTTPS to one address under another name: TCP to the load balancer's DNS name, TLS (SNI and certificate
    verification) for the name its certificate carries. http.client's HTTPSConnection ties both to one host."""

    default_port = 443

    def __init__(self, host: str, port: int, server_name: str, context: ssl.SSLContext, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._server_name = server_name
        self._context = context

    def connect(self) -> None:
        super().connect()
        assert self.sock is not None
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_name)


def fetch(target: Target, token: str, path: str, timeout: float,
          context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
    """One GET with the probe header; (status, body). Raises OSError (timeouts, refusals, TLS failures) and
    http.client.HTTPException on a broken answer."""
    if target.protocol == "HTTPS":
        assert target.server_name is not None
        connection: http.client.HTTPConnection = _TlsUnderName(
            target.host, target.port, target.server_name, context or ssl.create_default_context(), timeout)
        host = target.server_name
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        host = target.host
    try:
        connection.request("GET", path, headers={
            "Host": host, HEADER: token, "Accept": "application/json", "User-Agent": "webstack-release-probe",
            "Connection": "close"})
        response = connection.getresponse()
        body = response.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise http.client.HTTPException(f"the body is larger than {MAX_BODY_BYTES} bytes")
        return response.status, body
    finally:
        connection.close()


@dataclass(frozen=True)
class Outcome:
    probe: Probe
    passed: bool
    attempts: int
    reason: str = ""


def run_probe(probe: Probe, target: Target, token: str, *, deadline: float, clock: Callable[[], float],
              sleep: Callable[[float], None], attempts: int = ATTEMPTS,
              timeout: float = REQUEST_TIMEOUT_SECONDS, pause: float = PAUSE_SECONDS,
              context: ssl.SSLContext | None = None) -> Outcome:
    """At most `attempts` requests, none of them past `deadline` (a `clock()` value)."""
    reason = "no attempt fitted in the time left"
    for attempt in range(1, attempts + 1):
        left = deadline - clock()
        if left <= 0:
            return Outcome(probe, False, attempt - 1, f"{reason}; out of time after {attempt - 1} attempts")
        try:
            status, body = fetch(target, token, probe.path, min(timeout, left), context)
        except (OSError, http.client.HTTPException) as error:
            reason = f"{type(error).__name__}: {error}"
        else:
            verdict = judge(probe, status, body)
            if verdict is None:
                return Outcome(probe, True, attempt)
            reason = verdict
        LOG.warning("probe %s, attempt %d of %d: %s", probe.describe(), attempt, attempts, reason)
        if attempt < attempts:
            sleep(max(0.0, min(pause, deadline - clock())))
    return Outcome(probe, False, attempts, reason)


def _seconds_left(context: Any) -> float:
    """How long the invocation may still run (Lambda's context says); without a context, a minute."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    value = remaining() if callable(remaining) else None
    return float(value) / 1000.0 if isinstance(value, (int, float)) else 60.0


def _answer(status: str, why: str) -> dict[str, str]:
    (LOG.info if status == SUCCEEDED else LOG.error)("hookStatus %s: %s", status, why)
    return {"hookStatus": status}


def handle(event: Any, context: Any, environ: Mapping[str, str], *, ssl_context: ssl.SSLContext | None = None,
           clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
           attempts: int = ATTEMPTS, timeout: float = REQUEST_TIMEOUT_SECONDS,
           pause: float = PAUSE_SECONDS) -> dict[str, str]:
    """The hook's answer to one ECS event. Every path returns SUCCEEDED or FAILED with the reason logged: a
    misconfigured function fails the release visibly rather than letting an unprobed revision take traffic."""
    started = clock()
    deadline = started + max(_seconds_left(context) - RESERVE_SECONDS, 0.0)
    details = event.get("executionDetails") if isinstance(event, dict) else None
    if not isinstance(details, dict) or not isinstance(details.get("serviceArn"), str):
        return _answer(FAILED, f"the event is not an ECS lifecycle hook payload (no executionDetails.serviceArn): "
                               f"{json.dumps(event, default=str)[:500]}")
    stage = event.get("lifecycleStage")
    release = (f"service {details['serviceArn']}, revision {details.get('targetServiceRevisionArn')}, "
               f"execution {event.get('executionId')}")
    LOG.info("lifecycle hook %s for %s; test traffic %s, production traffic %s", stage, release,
             json.dumps(details.get("testTrafficWeights")), json.dumps(details.get("productionTrafficWeights")))
    if stage != STAGE:
        return _answer(FAILED, f"registered for {STAGE} only, invoked at {stage!r} ({release})")
    try:
        name = service_name(details["serviceArn"])
        table = parse_probes(environ.get(ENV_PROBES, ""))
        target = target_from(environ)
    except (ProbeConfigError, ValueError) as error:
        return _answer(FAILED, f"{error} ({release})")
    chosen = probes_for(name, table)
    if chosen is None:
        return _answer(FAILED, f"no probes for service {name!r}: {ENV_PROBES} names {', '.join(sorted(table))} "
                               f"({release})")
    prefix, probes = chosen
    outcomes = [run_probe(probe, target, environ[ENV_TOKEN], deadline=deadline, clock=clock, sleep=sleep,
                          attempts=attempts, timeout=timeout, pause=pause, context=ssl_context)
                for probe in probes]
    where = f"{target.protocol.lower()}://{target.host}:{target.port}" + (
        f" as {target.server_name}" if target.server_name else "")
    failures = [o for o in outcomes if not o.passed]
    if failures:
        return _answer(FAILED, f"{len(failures)} of {len(outcomes)} probes of {prefix} failed at {where}: " + "; ".join(
            f"{o.probe.describe()} after {o.attempts} attempts: {o.reason}" for o in failures) + f" ({release})")
    return _answer(SUCCEEDED, f"{len(outcomes)} probes of {prefix} passed at {where}: " + ", ".join(
        o.probe.describe() for o in outcomes) + f" ({release})")


def handler(event: Any, context: Any) -> dict[str, str]:
    """The Lambda entry point (`probe.handler`)."""
    return handle(event, context, os.environ)

