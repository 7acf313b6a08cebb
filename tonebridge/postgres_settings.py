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
    """PostgreSQL server settings, the same for the RDS parameter group and every CloudNativePG cluster;
    defaults are spec §4.1's values. Sizes are written as postgresql.conf takes them (``256MB``) and must be whole
    units of their parameter: 8 kB pages (shared_buffers, effective_cache_size, wal_buffers) or kB."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_connections: int = Field(
        default=200, ge=10, le=262143, description="Most concurrent client connections; applied at the next restart."
    )
    shared_buffers: Memory = Field(default="256MB", description="Shared page cache; applied at the next restart.")
    effective_cache_size: Memory = Field(
        default="1GB",
        description="The planner's estimate of the memory caching data (shared buffers and the OS cache); allocates "
        "nothing, but may not exceed the server's memory.",
    )
    work_mem: Memory = Field(
        default="4MB", description="Memory one sort or hash operation may use before spilling to disk."
    )
    maintenance_work_mem: Memory = Field(
        default="64MB", description="Memory of one maintenance operation (VACUUM, CREATE INDEX)."
    )
    checkpoint_completion_target: float = Field(
        default=0.9, ge=0.0, le=1.0, description="Share of the checkpoint interval over which its writes are spread."
    )
    wal_buffers: Memory = Field(
        default="16MB", description="Shared memory for WAL not yet written to disk; applied at the next restart."
    )
    default_statistics_target: int = Field(
        default=100, ge=1, le=10000, description="Per-column sample size of ANALYZE, for the planner's statistics."
    )
    random_page_cost: float = Field(
        default=1.1,
        gt=0,
        description="The planner's cost of a random page read, a sequential one costing 1; near 1 suits SSD storage.",
    )
    effective_io_concurrency: int = Field(
        default=200, ge=0, le=1000, description="Concurrent read-ahead requests a bitmap heap scan may issue."
    )

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
