"""Run the whole webstack program for a stack under Pulumi mocks and capture what it declares.

`run_stack("dev")` reads the real `Pulumi.dev.yaml` (optionally with overrides), runs `__main__.py` in-process
against a mock engine, and returns a `Capture`: every registered resource with its inputs (camelCase, as the
engine sees them), parent, dependencies and options, plus the stack outputs. The policy check
(`python -m policies.offline`) and the stack report use the same capture, so they judge exactly what tests see.

Invokes answer like AWS would for one account (123456789012) in the stack's region.
"""

from __future__ import annotations

import copy
import hashlib
import json
import runpy
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT = "webstack"
ACCOUNT_ID = "123456789012"
CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "pl-58a04531"
ELB_ACCOUNT_ID = "582318560864"  # the ELB account of ap-northeast-1 (access-log delivery)

if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import pulumi  # noqa: E402
from pulumi.runtime import mocks as pulumi_mocks  # noqa: E402
from pulumi.runtime import rpc, settings  # noqa: E402
from pulumi.runtime.stack import run_pulumi_func  # noqa: E402
from pulumi.runtime.sync_await import _sync_await  # noqa: E402


@dataclass
class Resource:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    provider: str = ""
    custom: bool = True
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    id: str = ""

    def get(self, path: str, default: Any = None) -> Any:
        """Dotted lookup in the inputs: `res.get("metadataOptions.httpTokens")`."""
        value: Any = self.inputs
        for part in path.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return default
        return value

    def __repr__(self) -> str:
        return f"<{self.type} {self.name}>"


@dataclass
class Capture:
    stack: str
    config: dict[str, Any]
    resources: list[Resource]
    outputs: dict[str, Any]

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def one(self, type_: str, where: Optional[Callable[[Resource], bool]] = None) -> Resource:
        found = [r for r in self.of_type(type_) if where is None or where(r)]
        assert len(found) == 1, f"expected exactly one {type_}, found {found}"
        return found[0]

    def named(self, name: str) -> Resource:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {found}"
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)

    def by_id(self, id_: Any) -> Optional[Resource]:
        """The resource whose mocked physical id is `id_` (inputs reference other resources by id)."""
        for r in self.resources:
            if r.id and r.id == id_:
                return r
        return None

    def children_of(self, parent: Resource) -> list[Resource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def descendants_of(self, ancestor: Resource) -> list[Resource]:
        found, frontier = [], [ancestor.urn]
        while frontier:
            urn = frontier.pop()
            for r in self.resources:
                if r.parent == urn:
                    found.append(r)
                    frontier.append(r.urn)
        return found

    @property
    def custom_resources(self) -> list[Resource]:
        return [r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:")]


class StackRunFailed(Exception):
    """The program raised; `capture` holds whatever it had declared before it did."""

    def __init__(self, capture: Capture, error: BaseException):
        super().__init__(f"{type(error).__name__}: {error}")
        self.capture = capture
        self.error = error


def _arn(service: str, region: str, resource: str, global_: bool = False) -> str:
    return f"arn:aws:{service}:{'' if global_ else region}:{ACCOUNT_ID}:{resource}"


class WebstackMocks(pulumi.runtime.Mocks):
    """Answers for resources and invokes, shaped like AWS's."""

    def __init__(self, region: str):
        self.region = region
        self.counter = 0
        self.provider_regions: dict[str, str] = {}  # provider id -> its region: ARNs follow the provider

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.counter += 1
        inputs = dict(args.inputs)
        typ, name = args.typ, args.name
        physical = inputs.get("name") or f"{name}-{self.counter:07x}"
        resource_id = f"{name}-id"
        state = dict(inputs)
        state.setdefault("name", physical)
        module = typ.split(":")[1].split("/")[0] if ":" in typ else "x"
        region = self.provider_regions.get((args.provider or "").rsplit("::", 1)[-1], self.region)
        state.setdefault("arn", _arn(module, region, f"{typ.rsplit(':', 1)[-1].lower()}/{physical}"))
        if typ == "aws:s3/bucket:Bucket" or typ == "aws:s3/bucketV2:BucketV2":
            bucket = inputs.get("bucket") or physical
            state.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}",
                         bucketRegionalDomainName=f"{bucket}.s3.{self.region}.amazonaws.com",
                         bucketDomainName=f"{bucket}.s3.amazonaws.com")
            resource_id = bucket
        elif typ == "aws:lb/loadBalancer:LoadBalancer":
            state.update(dnsName=f"internal-{physical}.{self.region}.elb.amazonaws.com",
                         arn=_arn("elasticloadbalancing", self.region, f"loadbalancer/app/{physical}/0123456789"),
                         arnSuffix=f"app/{physical}/0123456789", zoneId="Z14GRHDCWA56QT")
            resource_id = state["arn"]
        elif typ == "aws:lb/targetGroup:TargetGroup":
            state.update(arn=_arn("elasticloadbalancing", self.region, f"targetgroup/{physical}/0123456789"),
                         arnSuffix=f"targetgroup/{physical}/0123456789")
            resource_id = state["arn"]
        elif typ == "aws:lb/listener:Listener":
            state["arn"] = _arn("elasticloadbalancing", self.region, f"listener/app/{physical}/0123456789/abc")
            resource_id = state["arn"]
        elif typ == "aws:ecr/repository:Repository":
            state["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com/{physical}"
        elif typ == "awsx:ecr:Image":  # what awsx reports after pushing: the repository and the pushed digest
            digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
            state["imageUri"] = f"{inputs.get('repositoryUrl')}@sha256:{digest}"
        elif typ == "aws:cloudfront/distribution:Distribution":
            resource_id = f"E{self.counter:013X}"
            state.update(domainName=f"d{self.counter:012x}.cloudfront.net", hostedZoneId="Z2FDTNDATAQYW2",
                         arn=f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{resource_id}")
        elif typ == "aws:iam/role:Role":
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{physical}"
        elif typ == "aws:iam/policy:Policy":
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:policy/{physical}"
        elif typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = inputs.get("url", "").removeprefix("https://")
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
            resource_id = state["arn"]
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            state["arn"] = _arn("logs", self.region, f"log-group:{physical}")
        elif typ == "aws:dynamodb/table:Table":
            state["arn"] = _arn("dynamodb", self.region, f"table/{physical}")
        elif typ == "aws:ecs/cluster:Cluster":
            state["arn"] = _arn("ecs", self.region, f"cluster/{physical}")
        elif typ == "aws:sns/topic:Topic":
            state["arn"] = _arn("sns", self.region, physical)
        elif typ == "aws:ec2/instance:Instance":
            state["primaryNetworkInterfaceId"] = f"eni-{self.counter:017x}"
            resource_id = f"i-{self.counter:017x}"
        elif typ == "aws:acm/certificate:Certificate":
            domain = inputs.get("domainName", "example.com")
            state["domainValidationOptions"] = [{
                "domainName": domain, "resourceRecordName": f"_x1.{domain}.", "resourceRecordType": "CNAME",
                "resourceRecordValue": "_x2.acm-validations.aws.",
            }]
        elif typ == "aws:wafv2/webAcl:WebAcl":
            scope = "global" if inputs.get("scope") == "CLOUDFRONT" else "regional"
            state["arn"] = _arn("wafv2", region, f"{scope}/webacl/{physical}/{self.counter:08x}")
        elif typ.startswith("pulumi:providers:") and inputs.get("region"):
            self.provider_regions[resource_id] = inputs["region"]
        state.setdefault("id", resource_id)
        return resource_id, state

    def prefix_list_id(self, name: Optional[str]) -> str:
        """AWS-managed prefix lists by name: CloudFront's origin-facing one, and the gateway-endpoint ones."""
        if name == "com.amazonaws.global.cloudfront.origin-facing":
            return CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST
        return f"pl-{hashlib.sha256((name or '').encode()).hexdigest()[:8]}"

    def call(self, args: pulumi.runtime.MockCallArgs):
        token, a = args.token, args.args
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{self.region}{suffix}" for suffix in "acd"]
            return {"names": names, "zoneIds": [f"apne1-az{i}" for i in (4, 1, 2)], "id": self.region}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci", "userId": "AIDEXAMPLE",
                    "id": ACCOUNT_ID}
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region,
                    "endpoint": f"ec2.{self.region}.amazonaws.com", "description": self.region}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if token == "aws:ssm/getParameter:getParameter":
            return {"name": a.get("name"), "value": "ami-0a1b2c3d4e5f67890", "type": "String",
                    "arn": _arn("ssm", self.region, f"parameter{a.get('name')}"), "id": a.get("name")}
        if token == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            list_id = self.prefix_list_id(a.get("name"))
            return {"id": list_id, "name": a.get("name"),
                    "arn": _arn("ec2", self.region, f"prefix-list/{list_id}", True),
                    "addressFamily": "IPv4", "maxEntries": 55, "entries": []}
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            return {"id": ELB_ACCOUNT_ID, "arn": f"arn:aws:iam::{ELB_ACCOUNT_ID}:root", "region": self.region}
        if token == "aws:route53/getZone:getZone":
            zone = a.get("name") or "example.com"
            return {"id": "Z0123456789ABCDEFGHIJ", "zoneId": "Z0123456789ABCDEFGHIJ", "name": zone}
        if token == "aws:cloudfront/getCachePolicy:getCachePolicy":
            return {"id": f"cache-policy-{a.get('name')}", "name": a.get("name")}
        if token == "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy":
            return {"id": f"origin-request-policy-{a.get('name')}", "name": a.get("name")}
        if token == "aws:cloudfront/getResponseHeadersPolicy:getResponseHeadersPolicy":
            return {"id": f"response-headers-policy-{a.get('name')}", "name": a.get("name")}
        return {}


class CapturingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps every registration request's options, not only its state."""

    def __init__(self, mocks: WebstackMocks):
        super().__init__(mocks)
        self.captured: list[Resource] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            urn = response.urn
            registration = self.resources.get(urn)
            self.captured.append(Resource(
                type=request.type, name=request.name, urn=urn,
                inputs=rpc.deserialize_properties(request.object),
                parent=request.parent, dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                provider=request.provider, custom=request.custom, protect=request.protect,
                retain_on_delete=request.retainOnDelete, ignore_changes=list(request.ignoreChanges),
                state=dict(registration.state) if registration else {}, id=registration.id if registration else "",
            ))
        return response


def stack_file_config(stack: str) -> dict[str, Any]:
    path = PROJECT_ROOT / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name}; stacks here: "
                                f"{', '.join(sorted(p.name for p in PROJECT_ROOT.glob('Pulumi.*.yaml')))}")
    return (yaml.safe_load(path.read_text()) or {}).get("config", {})


def merged_config(stack: str, overrides: Optional[dict[str, Any]]) -> dict[str, Any]:
    """The stack file with overrides applied: an object override merges key by key; `None` removes the key."""
    config = copy.deepcopy(stack_file_config(stack))
    for key, value in (overrides or {}).items():
        if value is None:
            config.pop(key, None)
        elif isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def _serialise(config: dict[str, Any]) -> dict[str, str]:
    # The engine passes objects to the program as JSON text and scalars as strings.
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


async def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    return await output.future(with_unknowns=True)


def _run(stack: str, config: dict[str, Any], program: Optional[Callable[[], None]] = None) -> Capture:
    region = config.get("aws:region", "ap-northeast-1")
    monitor = CapturingMonitor(WebstackMocks(region))
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(_serialise(config))
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    root = settings.get_root_resource()
    capture = Capture(stack=stack, config=config, resources=monitor.captured, outputs={})

    def main() -> None:
        runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__pulumi_program__")

    try:
        _sync_await(run_pulumi_func(program or main))
        capture.outputs = {k: _sync_await(_resolve(v)) for k, v in root.outputs.items()}
    except Exception as exc:  # the program's own error, re-raised with what it declared
        raise StackRunFailed(capture, exc) from exc
    return capture


@lru_cache(maxsize=32)
def _cached(stack: str, overrides_json: str) -> Capture:
    return _run(stack, merged_config(stack, json.loads(overrides_json)))


def run_stack(stack: str, overrides: Optional[dict[str, Any]] = None) -> Capture:
    """Capture the program for `stack` (the real stack file, plus `overrides`). Results are cached per input."""
    return _cached(stack, json.dumps(overrides or {}, sort_keys=True))


def run_program(program: Callable[[], None], stack: str = "dev",
                overrides: Optional[dict[str, Any]] = None) -> Capture:
    """Capture `program` (any function declaring resources) under the same mocks and stack config as
    `run_stack`: for a component on its own, with inputs the stacks do not use. Not cached."""
    return _run(stack, merged_config(stack, overrides), program)


def stacks() -> list[str]:
    return sorted(p.name.split(".")[1] for p in PROJECT_ROOT.glob("Pulumi.*.yaml"))


def policy_document(value: Any) -> dict[str, Any]:
    """An IAM policy as the engine sends it: JSON text or an object."""
    return json.loads(value) if isinstance(value, str) else value


def statements(value: Any) -> list[dict[str, Any]]:
    statement = policy_document(value).get("Statement", [])
    return statement if isinstance(statement, list) else [statement]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]

