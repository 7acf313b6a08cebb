"""What every ToneBridge stack shares: the AWS provider with default tags, and the backend."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, S3BackendEndpointConfig, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.kms import KeyAccess

#: Services the emulator answers for; the provider is pointed at it for each of them.
EMULATED_SERVICES = (
    "acm",
    "autoscaling",
    "cloudfront",
    "cloudwatch",
    "cloudwatchlogs",
    "dynamodb",
    "ec2",
    "ecr",
    "eks",
    "elasticache",
    "elbv2",
    "events",
    "iam",
    "kms",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "wafv2",
)


def stack_name(env: EnvironmentConfig, suffix: str) -> str:
    """``<env>-<suffix>``, e.g. ``production-us-west-2`` or ``production-state``."""
    return f"{env.name}-{suffix}"


class TonebridgeStack(TerraformStack):
    """A stack of one environment in one AWS region.

    Tags from configuration plus ``ManagedBy`` and ``Stack`` reach every taggable resource through
    the provider's ``default_tags``. With ``remote_state`` the stack keeps its state in the
    environment's S3 bucket under ``<env>/<stack>.tfstate``, locked by both the S3 lock file and
    the DynamoDB table; otherwise (the bootstrap stack) it uses a local state file. A stack that
    creates no AWS resources (the platform stacks) passes ``aws_provider=False``.
    """

    def __init__(
        self,
        scope: Construct,
        env: EnvironmentConfig,
        suffix: str,
        region: str,
        *,
        remote_state: bool = True,
        aws_provider: bool = True,
    ):
        self.env = env
        self.region = region
        self.name = stack_name(env, suffix)
        super().__init__(scope, self.name)
        self.tags = {**env.tags, "ManagedBy": "cdktf", "Stack": self.name}
        # The spec asks for >= 1.0; S3 lock files (use_lockfile) need 1.10, and 1.11 is what we test.
        self.add_override("terraform.required_version", ">= 1.11.0")
        self._region_providers: dict[str, AwsProvider] = {}
        if aws_provider:
            self._aws_provider(region)
            # Every key and protected bucket of the stack names these principals (no account-wide trust).
            KeyAccess.register(self, env.security)
        if remote_state:
            self._s3_backend()
        else:
            # Terraform runs in cdktf.out/stacks/<stack>; keep the bootstrap state at the project
            # root so that re-synthesizing never touches it (see docs/stacks.md, "State backend").
            LocalBackend(self, path=f"../../../terraform.{self.name}.tfstate")

    def _aws_provider(self, region: str, alias: str | None = None) -> AwsProvider:
        return AwsProvider(
            self,
            f"aws-{alias}" if alias else "aws",
            region=region,
            alias=alias,
            default_tags=[AwsProviderDefaultTags(tags=self.tags)],
            **(self._emulator_settings() if self.env.aws.emulator else {}),
        )

    def provider_for(self, region: str) -> AwsProvider:
        """An AWS provider aliased to another region (same tags, same emulator), for resources this
        stack must own there to avoid a dependency cycle between the regional stacks."""
        if region not in self._region_providers:
            self._region_providers[region] = self._aws_provider(region, alias=region.replace("-", "_"))
        return self._region_providers[region]

    def _emulator_settings(self) -> dict:
        emulator = self.env.aws.emulator
        if emulator is None:
            raise ValueError("emulator settings requested for an environment without aws.emulator")
        return {
            "access_key": emulator.access_key,
            "secret_key": emulator.secret_key,
            "skip_credentials_validation": True,
            # The account id is asked of the emulator's STS: registry-wide ECR settings are keyed by it.
            "skip_requesting_account_id": False,
            "skip_metadata_api_check": "true",
            "s3_use_path_style": True,
            "insecure": True,  # the emulator's ad-hoc TLS certificate, on loopback only
            "endpoints": [AwsProviderEndpoints(**dict.fromkeys(EMULATED_SERVICES, emulator.endpoint))],
        }

    def _s3_backend(self) -> None:
        emulator = self.env.aws.emulator
        extra: dict = {}
        if emulator:
            extra = {
                **emulator.model_dump(include={"access_key", "secret_key"}),
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
                "use_path_style": True,
                "insecure": True,
                "endpoints": S3BackendEndpointConfig(
                    **dict.fromkeys(("s3", "dynamodb", "sts", "iam"), emulator.endpoint)
                ),
            }
        S3Backend(self, **self.env.state.backend_arguments(f"{self.env.name}/{self.name}.tfstate"), **extra)
        # Terraform 1.11 deprecates DynamoDB locking in favour of S3 lock files; cdktf 0.21 predates
        # the option, so it is set directly. Both locks are taken while the table still exists.
        self.add_override("terraform.backend.s3.use_lockfile", True)
