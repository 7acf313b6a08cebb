"""Names the stacks build from configured values (``<backups.bucket>-<environment>-access-logs``,
``<cluster>-load-balancer-controller``, ``<Project>-<env>``), each checked against the rule of the
cloud resource that carries it and reported at the field(s) that produced it.

A configured name is validated by its own field's type; a name built from one or more of them is
not, and without this table a long or odd value passed the configuration and failed later: in a
construct (an internal error, exit 3) or at ``terraform apply``. :data:`KINDS` holds each resource's
rule; :func:`derived_names` lists every derived name, one row per name, with the fields and the part
of the name each contributes. tests/test_derived_names.py checks that every name of these kinds in
the synthesized stacks is either a configured value or a row of this table, so a construct that
starts deriving a new name fails that test until the name is listed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tonebridge.config.errors import PathPart, Problem
from tonebridge.config.models import EnvironmentConfig
from tonebridge.props.aws_names import _bucket

Path = tuple[PathPart, ...]


@dataclass(frozen=True)
class Kind:
    """A cloud resource's name rule: at most ``limit`` characters (0: no limit of its own, the name
    is cut by the construct), each in ``chars``; ``rest`` gives the reason of any other rule broken, or None."""

    what: str
    limit: int
    chars: str
    source: str
    rest: Callable[[str], str | None] = lambda _name: None

    def problem(self, name: str) -> str | None:
        if self.limit and len(name) > self.limit:
            return f"{len(name)} characters; {self.what} names are at most {self.limit} ({self.source})"
        if not re.fullmatch(f"[{self.chars}]+", name):
            return f"{self.what} names take only [{self.chars}] ({self.source})"
        return self.rest(name)

    def bad_part(self, part: str) -> bool:
        """Whether ``part`` alone holds a character the name may not (then its field is to blame)."""
        return not re.fullmatch(f"[{self.chars}]*", part)


def _s3(name: str) -> str | None:
    try:
        _bucket(name)
    except ValueError as error:
        return str(error)
    return None


def _rds(name: str) -> str | None:
    if not name[0].isalpha() or name.endswith("-") or "--" in name:
        return "an RDS DB identifier starts with a letter and has no '--' and no trailing '-'"
    return None


IAM_CHARS = r"\w+=,.@-"
KINDS: dict[str, Kind] = {
    "S3 bucket": Kind("S3 bucket", 63, "a-z0-9.-", "S3 User Guide, bucket naming rules", _s3),
    "IAM role": Kind("IAM role", 64, IAM_CHARS, "IAM quotas"),
    "IAM role (cut to 64)": Kind("IAM role", 0, IAM_CHARS, "IAM quotas"),
    "IAM instance profile": Kind("IAM instance profile", 128, IAM_CHARS, "IAM quotas"),
    "RDS DB instance": Kind("RDS DB instance", 63, "a-z0-9-", "RDS CreateDBInstance", _rds),
    "KMS alias": Kind("KMS alias", 256, "a-zA-Z0-9/_-", "KMS CreateAlias"),
    "Secrets Manager secret": Kind("Secrets Manager secret", 512, r"\w/+=.@-", "Secrets Manager CreateSecret"),
    "SQS queue": Kind("SQS queue", 80, "A-Za-z0-9_-", "SQS CreateQueue"),
}


@dataclass(frozen=True)
class DerivedName:
    """``name`` of a ``kind`` resource, ``what`` it is; ``parts``: (field, the value it contributes)."""

    kind: str
    name: str
    what: str
    parts: tuple[tuple[Path | None, str], ...]


#: Roles, instance profiles, queues and key aliases named ``<cluster name>-<suffix>`` (constructs/cluster.py,
#: karpenter.py, vault_aws.py); the CloudNativePG backup roles have a rule of their own (semantics.py).
CLUSTER_NAMES = {
    "IAM role": (
        "cluster",
        "node",
        "cluster-autoscaler",
        "ebs-csi",
        "vpc-cni",
        "load-balancer-controller",
        "vault-unseal",
    ),
    "IAM role (cut to 64)": ("postgres-logical-backup",),
    "KMS alias": ("eks", "volumes", "vault-unseal"),
}
CLUSTER_KARPENTER_NAMES = {"IAM role": ("karpenter", "karpenter-node"), "IAM instance profile": ("karpenter-node",)}
CLUSTER_KARPENTER_NAMES |= {"SQS queue": ("karpenter",)}
#: Named ``<Project>-<env>-<suffix>`` (the environment's prefix: registries, CI, CDN; features/region.py).
PREFIX_NAMES = {
    "IAM role": ("ci-image-push", "ci-release-push", "ecr-replica-creation", "rds-monitoring"),
    "KMS alias": ("ecr", "ecr-replica", "rds", "cdn-logs", "cdn-waf-logs", "cdn-origin-secret"),
    "Secrets Manager secret": ("cdn-origin-secret-a", "cdn-origin-secret-b"),
}
#: Named ``<Project>-<env>-<region>-<suffix>`` (a region's own resources and the RDS replica).
REGION_NAMES = {
    "IAM role": ("bastion", "flow-logs", "rds-monitoring"),
    "IAM instance profile": ("bastion",),
    "KMS alias": ("alarms", "network", "waf-logs", "rds"),
}


Part = tuple[Path | None, str]


def _name(kind: str, *parts: Part) -> tuple[str, tuple[Part, ...]]:
    """``<part>-<part>…`` (``alias/`` first for a key alias) and the parts a field contributes."""
    name = "-".join(value for _, value in parts)
    return ("alias/" if kind == "KMS alias" else "") + name, tuple(p for p in parts if p[0] is not None)


def _cnpg_environments(cfg: EnvironmentConfig) -> dict[str, Path | None]:
    """The ``environment`` label of each CloudNativePG cluster's namespace (production if undeclared)
    with the field that sets it, as stacks/infrastructure.py's ``cnpg_environments`` finds them."""
    found: dict[str, Path | None] = {}
    for region, platform in cfg.platform.items():
        for cluster in platform.postgres.clusters:
            ns = platform.namespaces.get(cluster.namespace)
            if ns is None:
                found.setdefault("production", None)
            else:
                found.setdefault(ns.environment, ("platform", region, "namespaces", cluster.namespace, "environment"))
    return found


def _bucket_and_key(bucket: Part, what: str, logs: bool = True) -> Iterator[DerivedName]:
    """A bucket of constructs/backups.py or state_backend.py: its key's alias is its name, its
    access log bucket ``<name>-access-logs`` (unless configured: ``logs`` False)."""
    name, parts = _name("KMS alias", bucket)
    yield DerivedName("KMS alias", name, f"the key of {what}", parts)
    if logs:
        name, parts = _name("S3 bucket", bucket, (None, "access-logs"))
        yield DerivedName("S3 bucket", name, f"the access log bucket of {what}", parts)


def _buckets(cfg: EnvironmentConfig) -> Iterator[DerivedName]:
    state, backups = cfg.state, cfg.backups
    yield from _bucket_and_key((("state", "bucket"), state.bucket), "the state bucket", not state.access_log_bucket)
    bucket: Part = (("backups", "bucket"), backups.bucket)
    yield from _bucket_and_key(bucket, "the backups bucket", not backups.access_log_bucket)
    yield DerivedName("IAM role (cut to 64)", f"{backups.bucket}-replication", "the replication role", (bucket,))
    if backups.replicate and cfg.aws.secondary_region:
        replica: Part = (("backups", "replica_bucket"), backups.replica_bucket or "")
        if not backups.replica_bucket:
            name, parts = _name("S3 bucket", bucket, (("aws", "secondary_region"), cfg.aws.secondary_region))
            yield DerivedName("S3 bucket", name, "the backups replica bucket", parts)
            replica = (("backups", "bucket"), name)
        yield from _bucket_and_key(replica, "the backups replica bucket")
    for environment, field in _cnpg_environments(cfg).items():
        if environment == "production":
            continue
        own: Part = (("backups", "environment_buckets", environment), backups.environment_buckets.get(environment, ""))
        if environment not in backups.environment_buckets:
            name, parts = _name("S3 bucket", bucket, (field, environment))
            yield DerivedName("S3 bucket", name, f"{environment}'s backups bucket", parts)
            for derived in _bucket_and_key((None, name), f"{environment}'s backups bucket"):
                yield DerivedName(derived.kind, derived.name, derived.what, parts)
        else:
            yield from _bucket_and_key(own, f"{environment}'s backups bucket")
    if cfg.dns and cfg.dns.cdn:
        logs = cfg.dns.cdn.logs.bucket
        yield from _bucket_and_key((("dns", "cdn", "logs", "bucket"), logs), "the CDN log bucket", logs=False)


def derived_names(cfg: EnvironmentConfig) -> Iterator[DerivedName]:
    """Every name of :data:`KINDS` that the stacks build from configured values."""
    yield from _buckets(cfg)
    project: Part = (("tags", "Project"), cfg.tags.get("Project", ""))
    env: Part = (None, cfg.name)  # the file's name, validated as an environment name
    name, parts = _name("RDS DB instance", project, env)
    yield DerivedName("RDS DB instance", name, "the RDS primary's identifier", parts)
    for kind, suffixes in PREFIX_NAMES.items():
        for suffix in suffixes:
            name, parts = _name(kind, project, env, (None, suffix))
            yield DerivedName(kind, name, f"the environment's {suffix} {KINDS[kind].what}", parts)
    rds = cfg.database.rds
    for region in cfg.aws_regions:
        at: Part = (None, region)
        if region == cfg.aws.secondary_region and (rds.cross_region_replica or rds.automated_backup_replication):
            name, parts = _name("RDS DB instance", project, env, at)
            yield DerivedName("RDS DB instance", name, f"the RDS replica's identifier in {region}", parts)
        for kind, suffixes in REGION_NAMES.items():
            for suffix in suffixes:
                name, parts = _name(kind, project, env, at, (None, suffix))
                yield DerivedName(kind, name, f"{region}'s {suffix} {KINDS[kind].what}", parts)
    for region, cluster in cfg.clusters.items():
        own: Part = (("clusters", region, "name"), cluster.name)
        tables = (CLUSTER_NAMES, CLUSTER_KARPENTER_NAMES) if cluster.karpenter.enabled else (CLUSTER_NAMES,)
        for table in tables:
            for kind, suffixes in table.items():
                for suffix in suffixes:
                    name, parts = _name(kind, own, (None, suffix))
                    yield DerivedName(kind, name, f"the cluster's {suffix} {KINDS[kind].what}", parts)


def derived_name_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """One problem per field and rule broken: at the field whose own value breaks the name's
    character rule, else at every field the name is built from (a length is theirs together)."""
    reported: set[tuple[Path, str]] = set()
    for derived in derived_names(cfg):
        kind = KINDS[derived.kind]
        reason = kind.problem(derived.name)
        if reason is None:
            continue
        fields = [field for field, part in derived.parts if kind.bad_part(part)] or [f for f, _ in derived.parts]
        for field in fields:
            if (field, derived.kind) in reported:
                continue
            reported.add((field, derived.kind))
            yield Problem(field, f"makes {derived.what} {derived.name!r}: {reason}")
