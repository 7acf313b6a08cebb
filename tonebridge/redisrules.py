"""Redis settings the configuration and the RedisCluster props both check (one source for both)."""

from __future__ import annotations

MAXMEMORY_POLICIES = (
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
)
APPENDFSYNC_MODES = ("always", "everysec", "no")
#: redis.conf memory sizes: a number with an optional b/kb/mb/gb unit.
MEMORY_PATTERN = r"^\d+(b|kb|mb|gb)?$"
