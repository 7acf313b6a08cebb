"""Typed models of one environment's YAML file.

Shape and single-field rules live here (pydantic); rules that relate several fields
(overlaps, counts, capacity) live in :mod:`tonebridge.config.semantics` so that every
problem is reported against the exact field it concerns.
"""

from __future__ import annotations

import re
from enum import StrEnum
from ipaddress import IPv4Network
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# --- AWS naming rules -------------------------------------------------------------------------

_REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_TAG_CHARS_RE = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)
_ENV_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,19}$")
_ENDPOINT_SERVICE_RE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")


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


def _endpoint_service(value: str) -> str:
    if not _ENDPOINT_SERVICE_RE.match(value):
        raise ValueError(f"{value!r} is not a VPC endpoint service suffix (for example ecr.api)")
    return value


def _loopback_url(value: str) -> str:
    if not re.match(r"^https?://(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):\d{2,5}$", value):
        raise ValueError(f"{value!r} must be a URL on loopback with a port (the emulator never leaves this machine)")
    return value


Region = Annotated[str, AfterValidator(_region)]
BucketName = Annotated[str, AfterValidator(_bucket)]
TableName = Annotated[str, AfterValidator(_table)]
TagKey = Annotated[str, AfterValidator(_tag_key)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
EnvName = Annotated[str, AfterValidator(_env_name)]
EndpointService = Annotated[str, AfterValidator(_endpoint_service)]
LoopbackUrl = Annotated[str, AfterValidator(_loopback_url)]
Cidr = IPv4Network

#: Retention periods CloudWatch Logs accepts.
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must never silently fall back to a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, validate_default=True)


# --- sections ---------------------------------------------------------------------------------


class EmulatorConfig(StrictModel):
    """An AWS emulator (moto server) on loopback; only the `local` environment sets this."""

    endpoint: LoopbackUrl
    access_key: str = "test"
    secret_key: str = "test"  # noqa: S105 - moto accepts any key; never a real credential


class AwsConfig(StrictModel):
    primary_region: Region
    secondary_region: Region | None = None
    emulator: EmulatorConfig | None = None


class StateConfig(StrictModel):
    """Names of the Terraform state backend (created by the `<env>-state` bootstrap stack)."""

    bucket: BucketName
    lock_table: TableName
    region: Region
    access_log_bucket: BucketName | None = Field(
        default=None, description="Server access log bucket for the state bucket; defaults to '<bucket>-access-logs'."
    )
    protect: bool = Field(
        default=True, description="prevent_destroy on the bucket, deletion protection on the table, no force_destroy."
    )
    noncurrent_version_retention_days: int = Field(default=90, ge=1, le=3650)


class NatMode(StrEnum):
    PER_AZ = "per_az"
    SINGLE = "single"
    NONE = "none"


class SubnetTiers(StrictModel):
    """One subnet per availability zone and tier, in AZ order."""

    public: list[Cidr] = Field(min_length=1)
    private: list[Cidr] = Field(min_length=1, description="private-app tier: Kubernetes nodes")
    data: list[Cidr] = Field(min_length=1, description="private-data tier: PostgreSQL, Redis, Elasticsearch")
    management: list[Cidr] = Field(min_length=1, description="private-management tier: monitoring, CI/CD")


class PodNetworkConfig(StrictModel):
    """Secondary VPC CIDR for pod IPs (VPC CNI custom networking), split evenly per AZ."""

    cidr: Cidr = IPv4Network("100.64.0.0/16")
    max_nodes: int = Field(ge=1, le=5000, description="Most nodes the region's node groups may scale to.")
    max_pods_per_node: int = Field(default=110, ge=1, le=737)


class VpnGatewayConfig(StrictModel):
    enabled: bool = True
    amazon_side_asn: int = Field(default=64512, ge=64512, le=4294967294)
    propagate_routes: bool = Field(
        default=False,
        description="Propagate the gateway's routes into the private and management tiers (needs a VPN connection).",
    )


class BastionConfig(StrictModel):
    enabled: bool = True
    instance_type: str = Field(default="t3.micro", pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
    root_volume_gib: int = Field(default=20, ge=8, le=1024)
    detailed_monitoring: bool = Field(default=True, description="One-minute CloudWatch metrics for the host.")


class FlowLogConfig(StrictModel):
    retention_days: LogRetentionDays = 365
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"


class RegionNetworkConfig(StrictModel):
    vpc_cidr: Cidr
    availability_zones: list[str] = Field(min_length=2, max_length=6)
    subnets: SubnetTiers
    pods: PodNetworkConfig
    nat: NatMode = NatMode.PER_AZ
    vpn_gateway: VpnGatewayConfig = VpnGatewayConfig()
    bastion: BastionConfig = BastionConfig()
    flow_logs: FlowLogConfig = FlowLogConfig()
    interface_endpoints: list[EndpointService] = Field(
        default=["ecr.api", "ecr.dkr", "sts", "ec2", "logs", "ssm", "ssmmessages", "ec2messages"],
        description="Interface endpoints a private EKS cluster and SSM-managed hosts need.",
    )


class EnvironmentConfig(StrictModel):
    """Everything that differs between environments. Later issues add a section each."""

    name: EnvName
    tags: dict[TagKey, TagValue] = Field(min_length=1, max_length=40)
    aws: AwsConfig
    state: StateConfig
    network: dict[Region, RegionNetworkConfig] = Field(min_length=1)

    @property
    def aws_regions(self) -> list[str]:
        """Primary first, then the secondary region if there is one."""
        regions = [self.aws.primary_region]
        if self.aws.secondary_region:
            regions.append(self.aws.secondary_region)
        return regions

    @property
    def access_log_bucket(self) -> str:
        return self.state.access_log_bucket or f"{self.state.bucket}-access-logs"
