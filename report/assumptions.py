"""The two data files the report reads: unit prices per region, and the usage a user expects.

Both are checked on load, and a gap is an error that names the file and the key, never a silent zero: a report
that prices a missing item at nothing looks cheaper than the stack will be.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

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
class PriceBook:
    """Unit prices of one region; `price("albHour")`, `price("ec2InstanceHour", "t4g.nano")`."""

    region: str
    path: Path
    currency: str
    retrieved: str
    hours_per_month: float
    units: dict[str, str]
    sources: dict[str, str]
    prices: dict[str, Union[float, dict[str, float]]]

    def price(self, key: str, variant: Optional[str] = None) -> float:
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
    return PriceBook(region=region, path=path, currency=raw["currency"], retrieved=raw["retrieved"],
                     hours_per_month=float(raw["hoursPerMonth"]), units=units, sources=raw.get("sources", {}),
                     prices=block)


# Every usage assumption the cost model reads; the file must hold exactly these.
USAGE_KEYS = (
    "cloudfrontRequestsPerMonth", "cloudfrontTransferGbPerMonth", "albAverageLcu", "natProcessedGbPerMonth",
    "interfaceEndpointProcessedGbPerMonth", "applicationLogGbPerMonth", "flowLogGbPerMonth",
    "logStorageMonthsWhenNeverExpiring", "containerInsightsMetricsPerCluster", "containerInsightsMetricsPerService",
    "containerInsightsLogGbPerTaskMonth", "dynamodbReadRequestUnitsPerMonth", "dynamodbWriteRequestUnitsPerMonth",
    "dynamodbStorageGb", "s3StorageGb", "s3GetRequestsPerMonth", "s3PutRequestsPerMonth", "ecrStorageGb",
    "rootVolumeGbWhenUnset",
)


@dataclass(frozen=True)
class Usage:
    """Monthly usage assumptions: `usage["natProcessedGbPerMonth"]`."""

    path: Path
    values: dict[str, float]
    notes: dict[str, str]

    def __getitem__(self, key: str) -> float:
        return self.values[key]


def load_usage(path: Path = USAGE_FILE) -> Usage:
    raw = _read_json(path).get("values", {})
    unknown = sorted(set(raw) - set(USAGE_KEYS))
    if unknown:
        raise AssumptionError(f"{path}: unknown usage keys {', '.join(unknown)}; the report reads "
                              f"{', '.join(USAGE_KEYS)}")
    missing = [key for key in USAGE_KEYS if key not in raw]
    if missing:
        raise AssumptionError(f"{path}: usage keys {', '.join(missing)} are missing; give each a "
                              "{\"value\": <number>, \"note\": \"...\"}")
    values, notes = {}, {}
    for key in USAGE_KEYS:
        entry = raw[key]
        value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise AssumptionError(f"{path}: values.{key}.value must be a number of at least 0, not "
                                  f"{json.dumps(value)}")
        values[key], notes[key] = float(value), str(entry.get("note", ""))
    return Usage(path=path, values=values, notes=notes)
