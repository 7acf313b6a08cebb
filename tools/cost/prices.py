"""The price table (tools/cost/prices.yaml) as typed data: every entry with its unit, source and date.

The table is data so that a price change is a one-line edit with its source beside it. A lookup that
the table cannot answer (an instance type, machine type or region not listed) raises
:class:`UnknownPrice` naming what is missing and where to add it: an estimate never guesses a price.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

PRICES_FILE = Path(__file__).with_name("prices.yaml")

Unit = Literal["hour", "month", "gib_month", "iops_month", "mibps_month", "gib", "million"]


class UnknownPrice(LookupError):
    """The table has no price for something the configuration uses."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Strict):
    usd: Decimal = Field(ge=0)
    per: Unit
    source: str
    as_of: dt.date


class RegionPrices(_Strict):
    zones: int | None = Field(default=None, ge=1, description="Zones a regional node pool spreads over (GCP).")
    instances: dict[str, Price] = {}
    databases: dict[str, Price] = {}
    items: dict[str, Price] = {}


class Assumptions(_Strict):
    backups_gib: Decimal = Field(ge=0)
    state_gib: Decimal = Field(ge=0)
    nat_processed_gib: Decimal = Field(ge=0)
    endpoint_processed_gib: Decimal = Field(ge=0)
    alb_lcu: Decimal = Field(ge=0)
    requests_million: Decimal = Field(ge=0)
    cdn_transfer_gib: Decimal = Field(ge=0)
    dns_queries_million: Decimal = Field(ge=0)
    transfer_to_gcp_gib: Decimal = Field(ge=0)
    replication_gib: Decimal = Field(ge=0)


class PriceTable(_Strict):
    hours_per_month: int = Field(ge=1)
    sources: dict[str, str]
    aws: dict[str, RegionPrices] = {}
    gcp: dict[str, RegionPrices] = {}
    assumptions: Assumptions

    @model_validator(mode="after")
    def _sources_known(self) -> PriceTable:
        for cloud in ("aws", "gcp"):
            for region, table in getattr(self, cloud).items():
                for kind in ("instances", "databases", "items"):
                    for name, price in getattr(table, kind).items():
                        if price.source not in self.sources:
                            raise ValueError(
                                f"{cloud}.{region}.{kind}.{name}: source {price.source!r} is not in sources"
                            )
        return self

    # --- lookups ---------------------------------------------------------------------------------

    def _region(self, cloud: str, region: str) -> RegionPrices:
        try:
            return getattr(self, cloud)[region]
        except KeyError:
            missing = f"no prices for {cloud} region {region!r} (add {cloud}.{region} to {PRICES_FILE.name})"
            raise UnknownPrice(missing) from None

    def _entry(self, cloud: str, region: str, kind: str, name: str, what: str) -> Price:
        try:
            return getattr(self._region(cloud, region), kind)[name]
        except KeyError:
            raise UnknownPrice(
                f"no price for {what} {name!r} in {region} (add it under {cloud}.{region}.{kind} in {PRICES_FILE.name})"
            ) from None

    def instance(self, region: str, name: str) -> Price:
        return self._entry("aws", region, "instances", name, "instance type")

    def database(self, region: str, name: str) -> Price:
        return self._entry("aws", region, "databases", name, "RDS instance class")

    def aws_item(self, region: str, name: str) -> Price:
        return self._entry("aws", region, "items", name, "item")

    def machine(self, region: str, name: str) -> Price:
        return self._entry("gcp", region, "instances", name, "machine type")

    def gcp_item(self, region: str, name: str) -> Price:
        return self._entry("gcp", region, "items", name, "item")

    def zones(self, region: str) -> int:
        zones = self._region("gcp", region).zones
        if zones is None:
            raise UnknownPrice(f"gcp.{region}.zones is not set in {PRICES_FILE.name}")
        return zones

    def monthly(self, price: Price, quantity: Decimal | int = 1) -> Decimal:
        """USD per month for ``quantity`` units: hourly prices run all month, the others are per unit."""
        hours = self.hours_per_month if price.per == "hour" else 1
        return price.usd * hours * Decimal(quantity)

    def oldest_date(self) -> dt.date:
        return min(
            p.as_of
            for cloud in (self.aws, self.gcp)
            for table in cloud.values()
            for kind in (table.instances, table.databases, table.items)
            for p in kind.values()
        )


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    return PriceTable.model_validate(yaml.safe_load(path.read_text()))
