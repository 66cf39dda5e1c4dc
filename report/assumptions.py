"""The two data files the report reads: unit prices per region, and the usage a user expects.

Both are checked on load, and a gap is an error that names the file and the key, never a silent zero: a report
that prices a missing item at nothing looks cheaper than the stack will be.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
PRICES_FILE = HERE / "prices.json"
USAGE_FILE = HERE / "usage.json"


class AssumptionError(Exception):
    """A price or usage value the report needs is missing or unusable."""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise AssumptionError(f"{path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise AssumptionError(f"{path} is not valid JSON: {exc}") from None


@dataclass(frozen=True)
class Source:
    """Where a price was read, and when: a page's address, the date it was read, and what to know about it."""

    url: str
    read: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.url} (read {self.read}{'; ' + self.note if self.note else ''})"


@dataclass(frozen=True)
class PriceBook:
    """Unit prices of one region; `price("albHour")`, `price("ec2InstanceHour", "t4g.nano")`."""

    region: str
    path: Path
    currency: str
    retrieved: str
    """The date of the prices whose source gives none of its own."""
    hours_per_month: float
    units: dict[str, str]
    sources: dict[str, Source]
    prices: dict[str, float | dict[str, float]]

    @property
    def read_dates(self) -> list[str]:
        return sorted({source.read for source in self.sources.values()})

    def price(self, key: str, variant: str | None = None) -> float:
        if key not in self.prices:
            raise AssumptionError(f"{self.path}: no price {key!r} for region {self.region}; add it from "
                                  f"{self.sources.get(key, 'the AWS pricing page')}")
        value = self.prices[key]
        if isinstance(value, dict):
            if variant not in value:
                raise AssumptionError(
                    f"{self.path}: no price {key}[{variant!r}] for region {self.region} (it lists "
                    f"{', '.join(sorted(value))}); add it from {self.sources.get(key, 'the AWS pricing page')}")
            return value[variant]
        if variant is not None:
            raise AssumptionError(f"{self.path}: {key} has one price per region, not one per {variant!r}")
        return value


def load_prices(region: str, path: Path = PRICES_FILE) -> PriceBook:
    """The price book of `region`; a region the file does not list is an error naming both."""
    raw = _read_json(path)
    regions = raw.get("regions", {})
    if region not in regions:
        raise AssumptionError(
            f"{path}: no unit prices for region {region!r} (it has {', '.join(sorted(regions)) or 'none'}); "
            f"add a {json.dumps(region)} block under \"regions\" with every key of \"units\", from the AWS "
            "pricing pages named in \"sources\"")
    units, block = raw.get("units", {}), regions[region]
    missing = sorted(set(units) - set(block))
    if missing:
        raise AssumptionError(f"{path}: region {region} lacks prices for {', '.join(missing)}")
    for key, value in block.items():
        if key not in units:
            raise AssumptionError(f"{path}: region {region} prices {key!r}, which \"units\" does not describe")
        numbers = value.values() if isinstance(value, dict) else [value]
        if not all(isinstance(n, (int, float)) and not isinstance(n, bool) and n > 0 for n in numbers):
            raise AssumptionError(f"{path}: {region}.{key} = {json.dumps(value)} must be a positive number "
                                  "(or an object of them)")
    for field in ("retrieved", "currency", "hoursPerMonth"):
        if field not in raw:
            raise AssumptionError(f"{path}: {field!r} is missing")
    sources = {key: _source(path, key, value, raw["retrieved"]) for key, value in raw.get("sources", {}).items()}
    unsourced = sorted(set(units) - set(sources))
    if unsourced:
        raise AssumptionError(f"{path}: prices {', '.join(unsourced)} name no source; give each the page it was read "
                              "from under \"sources\"")
    return PriceBook(region=region, path=path, currency=raw["currency"], retrieved=raw["retrieved"],
                     hours_per_month=float(raw["hoursPerMonth"]), units=units, sources=sources, prices=block)


def _source(path: Path, key: str, value: Any, retrieved: str) -> Source:
    """A source is the page's address (read on the file's `retrieved` date), or {"url", "read", "note"}."""
    if isinstance(value, str):
        return Source(url=value, read=retrieved)
    if isinstance(value, dict) and isinstance(value.get("url"), str) and isinstance(value.get("read"), str):
        return Source(url=value["url"], read=value["read"], note=str(value.get("note", "")))
    raise AssumptionError(f"{path}: sources.{key} must be a URL or {{\"url\": ..., \"read\": \"YYYY-MM-DD\"}}, "
                          f"not {json.dumps(value)}")


# Every usage assumption the cost model reads; the file must hold exactly these.
USAGE_KEYS = (
    "cloudfrontRequestsPerMonth", "cloudfrontTransferGbPerMonth", "cloudfrontRequestShareByPathPattern",
    "albAverageLcu", "natProcessedGbPerMonth", "interfaceEndpointProcessedGbPerMonth", "applicationLogGbPerMonth",
    "functionLogGbPerMonth", "flowLogGbPerMonth", "logStorageMonthsWhenNeverExpiring",
    "containerInsightsMetricsPerCluster", "containerInsightsMetricsPerService", "containerInsightsLogGbPerTaskMonth",
    "dynamodbReadRequestUnitsPerMonth", "dynamodbWriteRequestUnitsPerMonth", "dynamodbStorageGb", "s3StorageGb",
    "s3GetRequestsPerMonth", "s3PutRequestsPerMonth", "ecrStorageGb", "rootVolumeGbWhenUnset",
    "cognitoMonthlyActiveUsers", "pictureJobsPerMonth", "workerJobSeconds", "workerWakeupsPerMonth",
    "fargateTaskStartSeconds", "sqsRequestsPerJob", "releasesPerMonth", "releaseHookSeconds",
    "alarmNotificationsPerMonth", "cloudfrontLogBytesPerRequest", "wafLogBytesPerRequest", "albAccessLogGbPerMonth",
    "s3AccessLogGbPerMonth", "cloudtrailLogGbPerMonth", "cloudtrailReadEventsPerMonth",
    "cloudtrailWriteEventsPerMonth", "guarddutyFlowAndDnsLogGbPerMonth",
)
# Keys whose value is a set of shares that add up to 1, keyed by what they share out.
SHARE_KEYS = ("cloudfrontRequestShareByPathPattern",)


@dataclass(frozen=True)
class Usage:
    """Monthly usage assumptions: `usage["natProcessedGbPerMonth"]`, `usage.shares("cloudfrontRequestShare...")`.

    `stack` is the stack they were read for, and `own` the keys that stack's section of the file sets for itself."""

    path: Path
    values: dict[str, Any]
    notes: dict[str, str]
    stack: str | None = None
    own: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> float:
        value = self.values[key]
        if isinstance(value, dict):
            raise AssumptionError(f"{self.path}: {key} is a set of shares; read it with shares()")
        return value

    def shares(self, key: str) -> dict[str, float]:
        value = self.values[key]
        if not isinstance(value, dict):
            raise AssumptionError(f"{self.path}: {key} is a number, not a set of shares")
        return value

    def share(self, key: str, part: str) -> float:
        """One part's share; a part the file does not list is an error naming both, never a zero."""
        shares = self.shares(key)
        if part not in shares:
            raise AssumptionError(f"{self.path}: {key} has no share for {part!r} (it lists {', '.join(shares)}); "
                                  "add it, and keep the shares adding up to 1")
        return shares[part]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _usage_value(path: Path, where: str, key: str, entry: Any) -> Any:
    value = entry.get("value") if isinstance(entry, dict) else None
    if key in SHARE_KEYS:
        if not isinstance(value, dict) or not value or not all(_number(v) for v in value.values()):
            raise AssumptionError(f"{path}: {where}.{key}.value must be an object of shares of at least 0, not "
                                  f"{json.dumps(value)}")
        if abs(sum(value.values()) - 1) > 1e-9:
            raise AssumptionError(f"{path}: the shares of {where}.{key}.value add up to {sum(value.values()):g}, "
                                  "not 1")
        return {part: float(share) for part, share in value.items()}
    if not _number(value):
        raise AssumptionError(f"{path}: {where}.{key}.value must be a number of at least 0, not "
                              f"{json.dumps(value)}")
    return float(cast(float, value))


def _unknown(path: Path, where: str, keys: Any) -> None:
    unknown = sorted(set(keys) - set(USAGE_KEYS))
    if unknown:
        raise AssumptionError(f"{path}: unknown usage keys {', '.join(unknown)} in {where}; the report reads "
                              f"{', '.join(USAGE_KEYS)}")


def load_usage(path: Path = USAGE_FILE, stack: str | None = None) -> Usage:
    """The usage every stack shares (`values`), with what `stacks.<stack>.values` sets for that stack itself."""
    document = _read_json(path)
    raw = document.get("values", {})
    _unknown(path, "values", raw)
    missing = [key for key in USAGE_KEYS if key not in raw]
    if missing:
        raise AssumptionError(f"{path}: usage keys {', '.join(missing)} are missing; give each a "
                              "{\"value\": <number>, \"note\": \"...\"}")
    sections = document.get("stacks", {})
    own = sections.get(stack, {}).get("values", {}) if stack else {}
    for name, section in sections.items():
        _unknown(path, f"stacks.{name}.values", section.get("values", {}))
        for key, entry in section.get("values", {}).items():
            _usage_value(path, f"stacks.{name}.values", key, entry)
    values: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for key in USAGE_KEYS:
        where, entry = (f"stacks.{stack}.values", own[key]) if key in own else ("values", raw[key])
        values[key] = _usage_value(path, where, key, entry)
        notes[key] = str(entry.get("note", ""))
    return Usage(path=path, values=values, notes=notes, stack=stack,
                 own=tuple(key for key in USAGE_KEYS if key in own))
