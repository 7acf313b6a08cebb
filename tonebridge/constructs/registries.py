"""Container registries (spec §5.1, §5.2): ECR repositories per stage, scanning, lifecycle, replication."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_registry_scanning_configuration import (
    EcrRegistryScanningConfiguration,
    EcrRegistryScanningConfigurationRule,
    EcrRegistryScanningConfigurationRuleRepositoryFilter,
)
from cdktf_cdktf_provider_aws.ecr_replication_configuration import (
    EcrReplicationConfiguration,
    EcrReplicationConfigurationReplicationConfiguration,
    EcrReplicationConfigurationReplicationConfigurationRule,
    EcrReplicationConfigurationReplicationConfigurationRuleDestination,
    EcrReplicationConfigurationReplicationConfigurationRuleRepositoryFilter,
)
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.ecr_repository_creation_template import (
    EcrRepositoryCreationTemplate,
    EcrRepositoryCreationTemplateEncryptionConfiguration,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, KeyUser
from tonebridge.constructs.trust import service_trust


def lifecycle_policy(keep_releases: int, untagged_expiry_days: int) -> str:
    """Untagged layers go after a few days; of tagged images the newest ``keep_releases`` stay."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the newest {keep_releases} tagged images",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPatternList": ["*"],
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_releases,
                    },
                    "action": {"type": "expire"},
                },
            ]
        }
    )


@dataclass(frozen=True)
class ContainerRegistriesProps:
    """Props of :class:`ContainerRegistries`.

    name: prefix of the key alias (required).
    services: repository names under each prefix, e.g. ``api-gateway`` (required, at least one).
    prefixes: stage prefixes, e.g. ``("tonebridge", "tonebridge-staging")`` (required, at least one).
    keep_releases: tagged images kept per repository (default 30).
    untagged_expiry_days: age at which untagged images expire (default 7).
    enhanced_scanning: registry-wide continuous Amazon Inspector scanning of these prefixes (default
        True); otherwise basic scan on push only.
    replicate_prefix / replica_region: replicate repositories under this prefix to that region (default off).
    """

    name: str
    services: Sequence[str]
    prefixes: Sequence[str]
    keep_releases: int = 30
    untagged_expiry_days: int = 7
    enhanced_scanning: bool = True
    replicate_prefix: str | None = None
    replica_region: str | None = None

    def __post_init__(self) -> None:
        if not self.services or not self.prefixes:
            raise ValueError(f"{self.name}: services and prefixes must not be empty")
        if (self.replicate_prefix is None) != (self.replica_region is None):
            raise ValueError(f"{self.name}: replicate_prefix and replica_region go together")
        if self.replicate_prefix is not None and self.replicate_prefix not in self.prefixes:
            raise ValueError(f"{self.name}: replicate_prefix {self.replicate_prefix!r} is not one of the prefixes")
        if not 1 <= self.keep_releases <= 1000 or not 1 <= self.untagged_expiry_days <= 365:
            raise ValueError(f"{self.name}: keep_releases must be 1-1000 and untagged_expiry_days 1-365")

    @property
    def repository_names(self) -> list[str]:
        return [f"{prefix}/{service}" for prefix in self.prefixes for service in self.services]


class ContainerRegistries(Construct):
    """Immutable-tag, KMS-encrypted repositories scanned on push (and continuously with enhanced
    scanning), with lifecycle rules, and registry replication of one stage to another region.

    Attributes: ``repositories`` (name -> aws_ecr_repository), ``repository_arns`` (name -> ARN), ``key``.
    """

    def __init__(self, scope: Construct, id_: str, props: ContainerRegistriesProps) -> None:
        super().__init__(scope, id_)
        self.key = EncryptionKey(
            self, "key", EncryptionKeyProps(alias=f"{props.name}-ecr", description=f"{props.name}: container images")
        )
        policy = lifecycle_policy(props.keep_releases, props.untagged_expiry_days)
        self.repositories: dict[str, EcrRepository] = {}
        for name in props.repository_names:
            logical = name.replace("/", "-")
            repo = EcrRepository(
                self,
                logical,
                name=name,
                image_tag_mutability="IMMUTABLE",
                encryption_configuration=[
                    EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=self.key.arn)
                ],
                image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
                force_delete=False,
                tags={"Name": name},
            )
            EcrLifecyclePolicy(self, f"{logical}-lifecycle", repository=repo.name, policy=policy)
            self.repositories[name] = repo
        self.repository_arns: dict[str, str] = {name: repo.arn for name, repo in self.repositories.items()}

        filters = [
            EcrRegistryScanningConfigurationRuleRepositoryFilter(filter=f"{prefix}/*", filter_type="WILDCARD")
            for prefix in props.prefixes
        ]
        EcrRegistryScanningConfiguration(
            self,
            "scanning",
            scan_type="ENHANCED" if props.enhanced_scanning else "BASIC",
            rule=[
                EcrRegistryScanningConfigurationRule(
                    scan_frequency="CONTINUOUS_SCAN" if props.enhanced_scanning else "SCAN_ON_PUSH",
                    repository_filter=filters,
                )
            ],
        )
        if props.replica_region:
            EcrReplicationConfiguration(
                self,
                "replication",
                replication_configuration=EcrReplicationConfigurationReplicationConfiguration(
                    rule=[
                        EcrReplicationConfigurationReplicationConfigurationRule(
                            destination=[
                                EcrReplicationConfigurationReplicationConfigurationRuleDestination(
                                    region=props.replica_region, registry_id=AwsContext.of(self).account_id
                                )
                            ],
                            repository_filter=[
                                EcrReplicationConfigurationReplicationConfigurationRuleRepositoryFilter(
                                    filter=f"{props.replicate_prefix}/", filter_type="PREFIX_MATCH"
                                )
                            ],
                        )
                    ]
                ),
                depends_on=list(self.repositories.values()),
            )


@dataclass(frozen=True)
class ReplicaRepositoryTemplateProps:
    """Props of :class:`ReplicaRepositoryTemplate`: the replicated ``prefix``, key alias prefix ``name``,
    and the lifecycle settings of the source (defaults as in ContainerRegistriesProps)."""

    name: str
    prefix: str
    keep_releases: int = 30
    untagged_expiry_days: int = 7


class ReplicaRepositoryTemplate(Construct):
    """In the replica region: a repository creation template so that repositories ECR creates by
    replication get a customer key of this region, immutable tags and the same lifecycle rules
    (without it they would be AES-256 and mutable). ECR creates them as a role of ours, since a
    template that names a customer key needs one: it may create repositories under the prefix and
    use that key, nothing else."""

    def __init__(self, scope: Construct, id_: str, props: ReplicaRepositoryTemplateProps) -> None:
        super().__init__(scope, id_)
        key = EncryptionKey(
            self,
            "key",
            EncryptionKeyProps(alias=f"{props.name}-ecr-replica", description=f"{props.name}: replicated images"),
        )
        aws = AwsContext.of(self)
        repositories = f"arn:{aws.partition}:ecr:*:{aws.account_id}:repository/{props.prefix}/*"
        role = IamRole(
            self,
            "creation-role",
            name=f"{props.name}-ecr-replica-creation",
            assume_role_policy=service_trust("ecr.amazonaws.com", aws.account_id),
        )
        IamRolePolicy(
            self,
            "creation-policy",
            role=role.id,
            name="create-replica-repositories",
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"],
                            "Resource": repositories,
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"],
                            "Resource": key.arn,
                        },
                    ],
                }
            ),
        )
        # ECR creates replica repositories as this role and attaches the key through a grant.
        key.allow_use(KeyUser(arn=role.arn, actions=("kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey")))
        EcrRepositoryCreationTemplate(
            self,
            "template",
            custom_role_arn=role.arn,
            prefix=props.prefix,
            applied_for=["REPLICATION"],
            description=f"Replicas of {props.prefix}/* repositories",
            image_tag_mutability="IMMUTABLE",
            encryption_configuration=[
                EcrRepositoryCreationTemplateEncryptionConfiguration(encryption_type="KMS", kms_key=key.arn)
            ],
            lifecycle_policy=lifecycle_policy(props.keep_releases, props.untagged_expiry_days),
        )
