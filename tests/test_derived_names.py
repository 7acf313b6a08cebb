"""Names built from configured values are checked by the configuration (tonebridge/config/derived_names.py).

The table must list every such name the stacks synthesize: a construct that starts naming a role,
a bucket, a key alias, a queue or a secret after a configured value fails here until the name is a
row of the table (and so is checked against its cloud's rule before synthesis).
"""

from __future__ import annotations

import pytest

from tonebridge.config.derived_names import KINDS, derived_name_problems, derived_names
from tonebridge.config.models import EnvironmentConfig

#: Terraform resource type -> (the attribute holding its name, the table's kind).
NAMED = {
    "aws_s3_bucket": ("bucket", "S3 bucket"),
    "aws_iam_role": ("name", "IAM role"),
    "aws_iam_instance_profile": ("name", "IAM instance profile"),
    "aws_db_instance": ("identifier", "RDS DB instance"),
    "aws_kms_alias": ("name", "KMS alias"),
    "aws_secretsmanager_secret": ("name", "Secrets Manager secret"),
    "aws_sqs_queue": ("name", "SQS queue"),
}


def _configured(env: EnvironmentConfig) -> set[str]:
    """Names that are configured values as they are (their fields' own types check them)."""
    names = {env.state.bucket, env.backups.bucket, *env.backups.environment_buckets.values()}
    names |= {env.state.access_log_bucket or "", env.backups.access_log_bucket or "", env.backups.replica_bucket or ""}
    if env.dns and env.dns.cdn:
        names.add(env.dns.cdn.logs.bucket)
    if env.dr:
        names.add(env.dr.transfer.aws_role_name)
    return names


def _cnpg_backup_role(name: str) -> bool:
    """CloudNativePG's backup roles have a rule of their own (semantics.py, ``backup_role_name``)."""
    return "-cnpg-" in name


def test_every_synthesized_name_of_a_checked_kind_is_configured_or_in_the_table(stacks, environments):
    unexplained = []
    for stack_name, stack in stacks.items():
        env = next(e for name, e in environments.items() if stack_name.startswith(f"{name}-"))
        table = {(d.kind.removesuffix(" (cut to 64)"), d.name) for d in derived_names(env)}
        configured = _configured(env)
        for resource_type, (attribute, kind) in NAMED.items():
            for resource_id, resource in stack.get("resource", {}).get(resource_type, {}).items():
                name = resource.get(attribute)
                if not isinstance(name, str) or "${" in name:
                    continue
                if name not in configured and not _cnpg_backup_role(name) and (kind, name) not in table:
                    unexplained.append(f"{stack_name}: {resource_type}.{resource_id} {name!r}")
    assert unexplained == [], "add these names to tonebridge/config/derived_names.py"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_refuses_a_name_over_its_limit_or_outside_its_characters(kind):
    rule = KINDS[kind]
    if rule.limit:
        assert "at most" in rule.problem("a" * (rule.limit + 1))
    assert rule.problem("a b") is not None
    assert rule.problem("abc") is None


def test_a_length_is_reported_at_every_field_and_a_bad_character_at_its_own(environments):
    env = environments["production"]
    platform = env.platform["us-west-2"]
    staging = platform.namespaces["staging"]
    backups = env.backups.model_copy(update={"bucket": "tonebridge-backups-production-primary-oregon-001"})
    long_bucket = env.model_copy(update={"backups": backups})
    fields = {p.path for p in derived_name_problems(long_bucket)}
    assert fields == {("backups", "bucket"), ("platform", "us-west-2", "namespaces", "staging", "environment")}

    upper = staging.model_copy(update={"environment": "Staging"})
    namespaces = {**platform.namespaces, "staging": upper}
    odd_label = env.model_copy(
        update={"platform": {**env.platform, "us-west-2": platform.model_copy(update={"namespaces": namespaces})}}
    )
    fields = {p.path for p in derived_name_problems(odd_label)}
    assert fields == {("platform", "us-west-2", "namespaces", "staging", "environment")}
