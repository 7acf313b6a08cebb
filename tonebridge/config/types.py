"""Field types and naming rules shared by the configuration models.

Each annotated type rejects a bad value with a reason that names the rule it broke.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# The AWS names construct settings use too (S3 buckets of the backups and state settings), with their rules.
from tonebridge.props.aws_names import BucketName as BucketName
from tonebridge.props.aws_names import Region as Region
from tonebridge.props.aws_names import TableName as TableName

# The models' base and the AWS field types the construct props share, defined with them (tonebridge/props).
from tonebridge.props.types import Cidr as Cidr
from tonebridge.props.types import Ec2InstanceType as Ec2InstanceType
from tonebridge.props.types import EndpointService as EndpointService
from tonebridge.props.types import LogRetentionDays as LogRetentionDays
from tonebridge.props.types import StrictModel as StrictModel

# --- AWS naming rules -------------------------------------------------------------------------

_TAG_CHARS_RE = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)
_ENV_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,19}$")


def _tag_key(value: str) -> str:
    if not 1 <= len(value) <= 128:
        raise ValueError(f"tag key {value!r} must be 1-128 characters")
    if value.lower().startswith("aws:"):
        raise ValueError(f"tag key {value!r} uses the reserved prefix 'aws:'")
    if not _TAG_CHARS_RE.match(value):
        raise ValueError(f"tag key {value!r} contains characters AWS does not allow in tags")
    return value


def _tag_value(value: str) -> str:
    if len(value) > 256:
        raise ValueError("tag value must be at most 256 characters")
    if not _TAG_CHARS_RE.match(value):
        raise ValueError(f"tag value {value!r} contains characters AWS does not allow in tags")
    return value


def _env_name(value: str) -> str:
    if not _ENV_NAME_RE.match(value):
        raise ValueError(
            f"{value!r} must be 2-20 characters: lowercase letters, digits and '-', starting with a letter"
        )
    return value


def _loopback_url(value: str) -> str:
    if not re.match(r"^https?://(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):\d{2,5}$", value):
        raise ValueError(f"{value!r} must be a URL on loopback with a port (the emulator never leaves this machine)")
    return value


TagKey = Annotated[str, AfterValidator(_tag_key)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
EnvName = Annotated[str, AfterValidator(_env_name)]
LoopbackUrl = Annotated[str, AfterValidator(_loopback_url)]
