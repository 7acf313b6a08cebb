"""PostgreSQL server settings of spec §4.1, written once and rendered for each engine.

CloudNativePG takes ``postgresql.conf`` values as the spec writes them ("256MB"). RDS parameter
groups take plain numbers in each parameter's own unit, which PostgreSQL reports in
``pg_settings.unit``: 8 kB pages for shared_buffers, effective_cache_size and wal_buffers, kB for
work_mem and maintenance_work_mem. Both renderings come from the same typed values here.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

#: PostgreSQL's memory units (powers of 1024, as postgresql.conf reads them), in bytes.
_MEMORY_UNITS = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_MEMORY_RE = re.compile(r"^(\d+)(B|kB|MB|GB|TB)$")

#: The unit, in bytes, in which PostgreSQL (and so RDS) expects each memory parameter as a number.
MEMORY_PARAMETER_UNITS = {
    "shared_buffers": 8 * 1024,
    "effective_cache_size": 8 * 1024,
    "wal_buffers": 8 * 1024,
    "work_mem": 1024,
    "maintenance_work_mem": 1024,
}


def memory_bytes(value: str) -> int:
    """Bytes in a postgresql.conf memory value such as ``256MB``; ValueError names the rule."""
    match = _MEMORY_RE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a PostgreSQL memory value: a whole number and one of B, kB, MB, GB, TB")
    return int(match.group(1)) * _MEMORY_UNITS[match.group(2)]


def _memory(value: str) -> str:
    memory_bytes(value)
    return value


Memory = Annotated[str, AfterValidator(_memory)]


class PostgresSettings(BaseModel):
    """Server settings; defaults are spec §4.1's values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_connections: int = Field(default=200, ge=10, le=262143)
    shared_buffers: Memory = "256MB"
    effective_cache_size: Memory = "1GB"
    work_mem: Memory = "4MB"
    maintenance_work_mem: Memory = "64MB"
    checkpoint_completion_target: float = Field(default=0.9, ge=0.0, le=1.0)
    wal_buffers: Memory = "16MB"
    default_statistics_target: int = Field(default=100, ge=1, le=10000)
    random_page_cost: float = Field(default=1.1, gt=0)
    effective_io_concurrency: int = Field(default=200, ge=0, le=1000)

    @model_validator(mode="after")
    def _whole_units(self) -> PostgresSettings:
        self.numeric()  # a size that is not a whole number of its parameter's unit is rejected here
        return self

    def postgresql_conf(self) -> dict[str, str]:
        """As postgresql.conf (and CloudNativePG's ``postgresql.parameters``) take them: strings, units kept."""
        return {name: str(value) for name, value in self.model_dump().items()}

    def numeric(self) -> dict[str, str]:
        """As an RDS parameter group takes them: numbers in each parameter's own unit, as strings."""
        values = {}
        for name, value in self.model_dump().items():
            unit = MEMORY_PARAMETER_UNITS.get(name)
            if unit is None:
                values[name] = str(value)
                continue
            size = memory_bytes(value)
            if size % unit:
                raise ValueError(f"{name} = {value} is not a whole number of {unit // 1024} kB units")
            values[name] = str(size // unit)
        return values
