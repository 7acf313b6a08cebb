"""AWS resource names the configuration and the construct settings share: a region, an S3 bucket, a
DynamoDB table. Each annotated type rejects a bad value with a reason that names the rule it broke.
Cdktf-free (rules layer); :mod:`tonebridge.config.types` re-exports them.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from tonebridge import cloudfacts
from tonebridge.props.types import checked

_REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


def _region(value: str) -> str:
    if not _REGION_RE.match(value):
        raise ValueError(f"{value!r} is not an AWS region name (for example us-west-2)")
    return value


def _bucket(value: str) -> str:
    if not _BUCKET_RE.match(value):
        raise ValueError(
            f"{value!r} is not a valid S3 bucket name: 3-63 characters, lowercase letters, digits, "
            "dots and hyphens, starting and ending with a letter or digit"
        )
    if ".." in value or _IPV4_RE.match(value) or value.startswith(("xn--", "sthree-")):
        raise ValueError(f"{value!r} is not a valid S3 bucket name (no '..', IP form or reserved prefix)")
    if value.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3")):
        raise ValueError(f"{value!r} is not a valid S3 bucket name (reserved suffix)")
    return value


def _table(value: str) -> str:
    if not _TABLE_RE.match(value):
        raise ValueError(
            f"{value!r} is not a valid DynamoDB table name: 3-255 characters of letters, digits, '_', '-', '.'"
        )
    return value


#: The form first, then the cloud facts table (a region the platform's services are offered in).
Region = Annotated[str, AfterValidator(_region), AfterValidator(checked(cloudfacts.region_problem))]
BucketName = Annotated[str, AfterValidator(_bucket)]
TableName = Annotated[str, AfterValidator(_table)]
