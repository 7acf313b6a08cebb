"""Container registries (spec §5.1, §5.2): ECR repositories per stage, scanning, lifecycle, replication."""

from __future__ import annotations

import json

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
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, KeyUser
from tonebridge.constructs.trust import inline_policy, service_role
from tonebridge.props.registries import RegistriesSettings


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


class ContainerRegistries(Construct):
    """Immutable-tag, KMS-encrypted repositories scanned on push (and continuously with enhanced
    scanning), with lifecycle rules, and registry replication of one stage to another region.

    ``settings``: the repositories (``<prefix>/<service>`` for both stage prefixes), their lifecycle
    and scanning. ``name``: prefix of the key alias. ``replica_region``: replicate the production
    prefix's repositories to that region (None: no replication; the stack passes the secondary
    region when ``settings.replicate_production``).

    Attributes: ``repositories`` (name -> aws_ecr_repository), ``repository_arns`` (name -> ARN), ``key``.
    """

    def __init__(
        self, scope: Construct, id_: str, settings: RegistriesSettings, *, name: str, replica_region: str | None
    ) -> None:
        super().__init__(scope, id_)
        self.key = EncryptionKey(
            self, "key", EncryptionKeyProps(alias=f"{name}-ecr", description=f"{name}: container images")
        )
        policy = lifecycle_policy(settings.keep_releases, settings.untagged_expiry_days)
        self.repositories: dict[str, EcrRepository] = {}
        for repository in settings.repository_names:
            logical = repository.replace("/", "-")
            repo = EcrRepository(
                self,
                logical,
                name=repository,
                image_tag_mutability="IMMUTABLE",
                encryption_configuration=[
                    EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=self.key.arn)
                ],
                image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
                force_delete=False,
                tags={"Name": repository},
            )
            EcrLifecyclePolicy(self, f"{logical}-lifecycle", repository=repo.name, policy=policy)
            self.repositories[repository] = repo
        self.repository_arns: dict[str, str] = {name: repo.arn for name, repo in self.repositories.items()}

        filters = [
            EcrRegistryScanningConfigurationRuleRepositoryFilter(filter=f"{prefix}/*", filter_type="WILDCARD")
            for prefix in settings.prefixes
        ]
        EcrRegistryScanningConfiguration(
            self,
            "scanning",
            scan_type="ENHANCED" if settings.enhanced_scanning else "BASIC",
            rule=[
                EcrRegistryScanningConfigurationRule(
                    scan_frequency="CONTINUOUS_SCAN" if settings.enhanced_scanning else "SCAN_ON_PUSH",
                    repository_filter=filters,
                )
            ],
        )
        if replica_region:
            EcrReplicationConfiguration(
                self,
                "replication",
                replication_configuration=EcrReplicationConfigurationReplicationConfiguration(
                    rule=[
                        EcrReplicationConfigurationReplicationConfigurationRule(
                            destination=[
                                EcrReplicationConfigurationReplicationConfigurationRuleDestination(
                                    region=replica_region, registry_id=AwsContext.of(self).account_id
                                )
                            ],
                            repository_filter=[
                                EcrReplicationConfigurationReplicationConfigurationRuleRepositoryFilter(
                                    filter=f"{settings.production_prefix}/", filter_type="PREFIX_MATCH"
                                )
                            ],
                        )
                    ]
                ),
                depends_on=list(self.repositories.values()),
            )


class ReplicaRepositoryTemplate(Construct):
    """In the replica region: a repository creation template so that repositories ECR creates by
    replication get a customer key of this region, immutable tags and the same lifecycle rules
    (without it they would be AES-256 and mutable). ECR creates them as a role of ours, since a
    template that names a customer key needs one: it may create repositories under the prefix and
    use that key, nothing else.

    ``settings``: the registries of the source region (the template covers ``production_prefix``, with
    the same lifecycle); ``name``: prefix of the key alias and role name.
    """

    def __init__(self, scope: Construct, id_: str, settings: RegistriesSettings, *, name: str) -> None:
        super().__init__(scope, id_)
        prefix = settings.production_prefix
        key = EncryptionKey(
            self,
            "key",
            EncryptionKeyProps(alias=f"{name}-ecr-replica", description=f"{name}: replicated images"),
        )
        aws = AwsContext.of(self)
        repositories = f"arn:{aws.partition}:ecr:*:{aws.account_id}:repository/{prefix}/*"
        role = service_role(self, "creation-role", f"{name}-ecr-replica-creation", "ecr.amazonaws.com", aws.account_id)
        inline_policy(
            self,
            "creation-policy",
            role,
            "create-replica-repositories",
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
        )
        # ECR creates replica repositories as this role and attaches the key through a grant.
        key.allow_use(KeyUser(arn=role.arn, actions=("kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey")))
        EcrRepositoryCreationTemplate(
            self,
            "template",
            custom_role_arn=role.arn,
            prefix=prefix,
            applied_for=["REPLICATION"],
            description=f"Replicas of {prefix}/* repositories",
            image_tag_mutability="IMMUTABLE",
            encryption_configuration=[
                EcrRepositoryCreationTemplateEncryptionConfiguration(encryption_type="KMS", kms_key=key.arn)
            ],
            lifecycle_policy=lifecycle_policy(settings.keep_releases, settings.untagged_expiry_days),
        )
