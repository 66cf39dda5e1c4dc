"""The stack configuration: one validated model per concern, read before any resource is declared.

A stack file holds `webstack:<section>` objects (see README, "Configuration"). Every section is checked against
its model; the first run of `pulumi preview` with a typo or an out-of-range value stops with a message that
names the key, says what is allowed and how to set it, and declares nothing.
"""

import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError

from .account import AccountConfig
from .admin import AdminConfig
from .alerts import AlertsConfig
from .ci import CiConfig
from .data import DataConfig
from .logs import LogsConfig
from .network import NetworkConfig
from .platform import PlatformConfig
from .service import ServiceConfig
from .site import SiteConfig
from .worker import WorkerConfig

NAMESPACE = "webstack"

# Each section of the stack file and the model that validates it.
SECTIONS: dict[str, type[BaseModel]] = {
    "network": NetworkConfig,
    "data": DataConfig,
    "platform": PlatformConfig,
    "api": ServiceConfig,
    "admin": AdminConfig,
    "worker": WorkerConfig,
    "site": SiteConfig,
    "alerts": AlertsConfig,
    "logs": LogsConfig,
    "account": AccountConfig,
    "ci": CiConfig,
}
# Sections a stack may leave out entirely: absent means the feature is off (no defaults to fall back on).
OPTIONAL_SECTIONS = ("ci", "account")
# Plain string keys of the namespace.
SCALARS = ("owner",)


class StackConfigError(Exception):
    """The stack file holds a value the program cannot deploy."""


class StackConfig(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    project: str
    stack: str
    region: str
    owner: str
    network: NetworkConfig
    data: DataConfig
    platform: PlatformConfig
    api: ServiceConfig
    admin: AdminConfig
    worker: WorkerConfig
    site: SiteConfig
    alerts: AlertsConfig
    logs: LogsConfig
    account: AccountConfig | None = None
    ci: CiConfig | None = None

    @property
    def prefix(self) -> str:
        """Stem of every resource name: `webstack-dev`."""
        return f"{self.project}-{self.stack}"

    @property
    def tags(self) -> dict[str, str]:
        """Applied to every resource through the providers' default tags."""
        return {"project": self.project, "stack": self.stack, "owner": self.owner}


def _describe(key: str, error: Mapping[str, Any]) -> str:
    path = ".".join(str(part) for part in error["loc"])
    full_key = f"{key}.{path}" if path else key
    if error["type"] == "extra_forbidden":
        return f"{full_key}: unknown key; remove it or fix its spelling (see README, Configuration)"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    shown = f" = {json.dumps(value)}" if not isinstance(value, dict) and value is not None else ""
    return f"{full_key}{shown}: {message}. Set it with `pulumi config set --path {full_key} <value>`"


def _all_config() -> dict[str, Any]:
    # The CLI hands config to the program through the environment; the offline engine (mock_engine) through
    # set_all_config.
    merged = dict(pulumi.runtime.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    return merged


def _parse(section: str, model: type[BaseModel], config: pulumi.Config) -> tuple[Any, list[str]]:
    """The validated section, or the problems that stop it."""
    key = f"{NAMESPACE}:{section}"
    try:
        raw = config.get_object(section) or {}
    except (json.JSONDecodeError, pulumi.ConfigTypeError) as exc:
        return None, [f"{key} must be an object of settings ({exc})"]
    if not isinstance(raw, dict):
        return None, [f"{key} must be an object of settings, not {json.dumps(raw)}"]
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        return None, [_describe(key, error) for error in exc.errors()]


def _across_sections(sections: dict[str, Any]) -> list[str]:
    """Rules that join two sections, each reported at the key that has to change."""
    problems = []
    admin, site, platform, worker = sections["admin"], sections["site"], sections["platform"], sections["worker"]
    logs, account = sections["logs"], sections["account"]
    if admin.allow_list_at == "waf" and not site.waf:
        problems.append(f"{NAMESPACE}:admin.allowListAt = \"waf\": the stack has no web ACL ({NAMESPACE}:site.waf is "
                        "false); set allowListAt to \"function\", or waf to true. Set it with `pulumi config set "
                        f"--path {NAMESPACE}:admin.allowListAt function`")
    if worker.service.max_count > 1 and platform.container_insights == "off":
        problems.append(f"{NAMESPACE}:worker.service.maxCount = {worker.service.max_count}: scaling past one task "
                        "divides the backlog by the running task count, which only Container Insights publishes; "
                        f"set maxCount to 1, or {NAMESPACE}:platform.containerInsights to on. Set it with `pulumi "
                        f"config set --path {NAMESPACE}:worker.service.maxCount 1`")
    if account is not None and not logs.protect:
        problems.append(f"{NAMESPACE}:account is on, but {NAMESPACE}:logs.protect is false: the account's trail "
                        "writes into the stack's log archive, which a destroy must not take with it. Set it with "
                        f"`pulumi config set --path {NAMESPACE}:logs.protect true` (and logs.forceDestroy false)")
    return problems


def load_stack_config() -> StackConfig:
    """Validate the whole stack file; raises StackConfigError naming every bad key."""
    config = pulumi.Config(NAMESPACE)
    known = {f"{NAMESPACE}:{name}" for name in (*SECTIONS, *SCALARS)}
    unknown = sorted(k for k in _all_config() if k.startswith(f"{NAMESPACE}:") and k not in known)
    if unknown:
        # `pulumi config set webstack:api.imageTag x` without --path stores a flat key of that literal name.
        flat = [key for key in unknown if key.partition(".")[0] in known]
        hint = (f"; {', '.join(flat)} must be set inside its section: `pulumi config set --path {flat[0]} <value>`"
                if flat else "")
        raise StackConfigError(
            f"unknown configuration keys {', '.join(unknown)}; the {NAMESPACE} namespace takes "
            f"{', '.join(sorted(known))} (see README, Configuration){hint}")
    region = pulumi.Config("aws").get("region")
    if not region:
        raise StackConfigError("aws:region is not set; set it with `pulumi config set aws:region ap-northeast-1`")
    owner = config.get("owner")
    if not owner:
        raise StackConfigError(f"{NAMESPACE}:owner is not set; it tags every resource. Set it with "
                               f"`pulumi config set {NAMESPACE}:owner <team>`")
    sections, problems = {}, []
    for name, model in SECTIONS.items():
        if name in OPTIONAL_SECTIONS and config.get(name) is None:
            sections[name] = None
            continue
        sections[name], section_problems = _parse(name, model, config)
        problems += section_problems
    if not problems:
        problems = _across_sections(sections)
    if problems:
        raise StackConfigError("invalid stack configuration:\n  " + "\n  ".join(problems))
    return StackConfig(project=pulumi.get_project(), stack=pulumi.get_stack(), region=region, owner=owner,
                       **sections)
