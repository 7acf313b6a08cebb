"""moto server, with the few corrections the `local` environment needs to behave as AWS does.

The infrastructure code deploys to the emulator exactly as it deploys to production; where moto
5.2 differs from AWS in a way that code meets, this launcher corrects moto rather than the code:

1. TLS. The state bucket's policy denies requests without TLS (``aws:SecureTransport``) or with
   TLS older than 1.2 (``s3:TlsVersion``). The server runs over TLS only (werkzeug's ad-hoc
   certificate; the provider connects with ``insecure = true`` on loopback), and the policy check
   is given those facts of the transport.
2. Policy conditions. moto treats condition operators it does not know (Bool, NumericLessThan,
   ArnLike, ArnNotLike among them) as always matching, and answers DENIED for any statement whose
   conditions do not match. In AWS such a statement simply does not apply; these operators are
   evaluated here, with the caller moto's default user (``aws:PrincipalArn``: the buckets that
   deny unnamed principals name it in `local`).
3. Managed policies. AWS-managed policies (AmazonSSMManagedInstanceCore for the bastion) exist in
   every account; moto loads them only when asked.
4. Versioned deletes. Deleting a batch of objects that includes delete markers (what
   ``force_destroy`` does to a versioned bucket) fails in moto with an AttributeError.
5. EKS clusters. moto drops ``accessConfig`` and ``upgradePolicy``; AWS returns the authentication
   mode and the support type it was given (and, like AWS, not the create-only
   ``bootstrapClusterCreatorAdminPermissions``).
6. EKS node groups. moto invents SSH remote access (key ``eksKeypair``) for groups that asked for
   none, and drops ``updateConfig``.
7. Launch templates. moto copies the template's own tags into its launch data as a
   ``launch-template`` tag specification, which AWS does not.
8. Security group rules that reference another group or a prefix list lose their description in moto.
9. RDS windows. moto calls a backup window that ends as the maintenance window begins (03:00-04:00
   and sun:04:00-sun:05:00, spec §11.1) overlapping; AWS accepts windows that only touch.
10. Cross-region read replicas. moto copies the source instance and applies the request to the copy
    while the copy still belongs to the source's region, so the replica's subnet group is looked up
    there (and not found); the copy also shares the source's master secret (deleting the replica
    deleted the primary's secret), and deleting it fails to unlink it from its source.
11. RDS Performance Insights. moto drops the request's Performance Insights settings and reports
    them off; AWS keeps them (enabled, key, retention).
12. RDS parameters. moto's DescribeDBParameters omits each parameter's ``Source``; the AWS provider
    keeps only parameters whose source it can see, so every parameter of the group looked unset.
    What moto stores was set by the user, so it is reported with ``Source: user``.
13. S3 replication. moto answers GetBucketReplication with every rule's delete-marker replication
    ``Disabled``, an empty prefix filter and no source selection criteria, whatever was put; AWS
    returns the rules as they were given (the backups bucket replicates delete markers), an empty
    filter as an empty prefix.
14. Retried requests. Under load an SDK sometimes loses the response to a request that moto has
    already carried out (seen here: CreateRole, AuthorizeSecurityGroupEgress) and sends it again;
    moto then answers "already exists" and the apply fails. AWS SDKs mark every attempt of one call
    with the same ``amz-sdk-invocation-id`` and count attempts in ``amz-sdk-request``; a retried
    write whose first attempt succeeded is answered with that first response (the outcome the
    caller missed) instead of being carried out twice. Every replay is written to the server's log.
15. Replica promotion. moto's PromoteReadReplica keeps the promoted instance's
    ``ReadReplicaSourceDBInstanceIdentifier`` and leaves it in its source's replica list; AWS clears
    both (the instance is standalone), which is what the AWS provider reads after a promotion.
16. Managed prefix lists. AWS publishes ``com.amazonaws.<region>.route53-healthchecks`` (Route53's
    health checkers) in every region; moto lists CloudFront's origin-facing list but not this one,
    which the ALBs behind CloudFront admit for their health checks. It is added with the
    ``ROUTE53_HEALTHCHECKS`` IPv4 ranges AWS publishes in ip-ranges.json.
17. CloudFront behaviours. moto invents ``ForwardedValues`` (legacy cache settings) for a behaviour
    that names a cache policy, and reports ``CloudFrontDefaultCertificate: true`` beside an ACM
    certificate; AWS returns neither, and the provider would plan to remove them on every run.
18. Canonical user id. moto's ListBuckets names the owner with an id of its own, while the owner of
    every ACL is moto's canonical owner; in AWS both are the account's canonical user id
    (``aws_canonical_user_id`` reads ListBuckets, and the CloudFront log bucket's ACL names it).
19. RDS certificate authority. A new instance gets RDS's default CA, ``rds-ca-rsa2048-g1``; moto names a
    placeholder (``rds-ca-default``). The AWS provider creates an instance without a CA and sets the
    configured one by ModifyDBInstance when the created instance has another, then waits for the instance
    again: a second 80-second wait on every RDS instance here that AWS does not make.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import sys
import threading
from collections import OrderedDict

from moto import server
from moto.cloudfront import models as cloudfront_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.ec2.models.managed_prefixes import ManagedPrefixListBackend
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.eks.responses import EKSResponse
from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.rds import models as rds_models
from moto.rds.models import DBInstance, RDSBackend
from moto.rds.responses import RDSResponse
from moto.s3.models import OWNER as S3_OWNER
from moto.s3.models import FakeDeleteMarker
from moto.s3.responses import S3Response

#: The identity every request to this server is made as: moto's default user (what its STS
#: GetCallerIdentity answers for any access key), named in `local`'s `security.deploy_principals`.
CALLER_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user/moto"
#: What every request to this server is: TLS (werkzeug serves TLS 1.2 or newer), by moto's user.
TLS_REQUEST_FACTS = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.2", "aws:PrincipalArn": CALLER_ARN}


def _arn_like(fact: str | None, expected: str | list[str]) -> bool:
    """AWS's ArnLike: any of the patterns (``*`` and ``?`` wildcards) matches the fact."""
    patterns = expected if isinstance(expected, list) else [expected]
    return fact is not None and any(fnmatch.fnmatchcase(fact, pattern) for pattern in patterns)


_OPERATORS = {
    "Bool": lambda fact, expected: fact is not None and fact.lower() == str(expected).lower(),
    "NumericLessThan": lambda fact, expected: fact is not None and float(fact) < float(expected),
    # The state and backups buckets deny principals they do not name (aws:PrincipalArn).
    "ArnLike": _arn_like,
    "ArnNotLike": lambda fact, expected: not _arn_like(fact, expected),
}

_moto_is_action_permitted = IAMPolicyStatement.is_action_permitted


def _conditions_match(condition: dict, facts: dict[str, str]) -> bool:
    """AWS semantics for the operators above; other operators are left to moto."""
    for operator, tests in condition.items():
        evaluate = _OPERATORS.get(operator)
        if evaluate and not all(evaluate(facts.get(key), expected) for key, expected in tests.items()):
            return False
    return True


def _is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    facts = {**TLS_REQUEST_FACTS, **(incoming_condition_values or {})}
    condition = self._statement.get("Condition")
    if condition and not _conditions_match(condition, facts):
        return PermissionResult.NEUTRAL
    return _moto_is_action_permitted(self, action, resource, principal, facts)


_moto_create_cluster = EKSResponse.create_cluster
_moto_create_nodegroup = EKSResponse.create_nodegroup
_moto_create_launch_template = LaunchTemplates.create_launch_template
_moto_rule_description = SecurityGroupRule.description
_moto_get_bucket_replication = S3Response.get_bucket_replication


def _create_cluster(self):
    result = _moto_create_cluster(self)
    cluster = self.eks_backend.clusters[self._get_param("name")]
    access = self._get_param("accessConfig") or {}
    cluster.access_config = {"authenticationMode": access.get("authenticationMode", "CONFIG_MAP")}
    cluster.upgrade_policy = self._get_param("upgradePolicy") or {"supportType": "EXTENDED"}
    return result


def _create_nodegroup(self):
    result = _moto_create_nodegroup(self)
    group = self.eks_backend.clusters[self._get_param("name")].nodegroups[self._get_param("nodegroupName")]
    group.remote_access = self._get_param("remoteAccess")
    group.update_config = self._get_param("updateConfig") or {"maxUnavailable": 1}
    return result


def _create_launch_template(self):
    result = _moto_create_launch_template(self)
    template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
    for version in template.versions:
        specs = version.data.get("TagSpecifications") or []
        version.data["TagSpecifications"] = [t for t in specs if t.get("ResourceType") != "launch-template"]
    return result


_moto_rule_init = SecurityGroupRule.__init__


def _rule_init(self, *args, **kwargs) -> None:
    _moto_rule_init(self, *args, **kwargs)
    prefix_list = kwargs.get("prefix_list_id", args[7] if len(args) > 7 else None)
    self.prefix_list_description = (prefix_list or {}).get("Description")


def _rule_description(self):
    return (
        _moto_rule_description.fget(self)
        or (self.source_group or {}).get("Description")
        or getattr(self, "prefix_list_description", None)
    )


_moto_valid_maintenance_window = rds_models.valid_preferred_maintenance_window
_OVERLAP = "The backup window and maintenance window must not overlap."
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = 7 * 24 * 60


def _minute_of_week(day: int, clock: str) -> int:
    hours, minutes = clock.split(":")
    return day * 24 * 60 + int(hours) * 60 + int(minutes)


def _windows_share_time(maintenance_window: str, backup_window: str) -> bool:
    """Whether the windows have a minute in common (touching ends do not count)."""
    begin, end = maintenance_window.lower().split("-")
    m_start = _minute_of_week(_DAYS.index(begin[:3]), begin[4:])
    m_length = (_minute_of_week(_DAYS.index(end[:3]), end[4:]) - m_start) % _WEEK
    b_begin, b_end = backup_window.split("-")
    b_length = (_minute_of_week(0, b_end) - _minute_of_week(0, b_begin)) % (24 * 60)
    for day in range(7):
        b_start = _minute_of_week(day, b_begin)
        if (b_start - m_start) % _WEEK < m_length or (m_start - b_start) % _WEEK < b_length:
            return True
    return False


def _valid_maintenance_window(maintenance_window, backup_window):
    message = _moto_valid_maintenance_window(maintenance_window, backup_window)
    if message == _OVERLAP and not _windows_share_time(maintenance_window, backup_window):
        return _moto_valid_maintenance_window(maintenance_window, None)  # the format and length checks
    return message


_moto_create_read_replica = RDSBackend.create_db_instance_read_replica


def _create_db_instance_read_replica(self, db_kwargs):
    # The replica belongs to this region before anything is looked up by region (the subnet group).
    replica = _moto_create_read_replica(self, {"backend": self, **db_kwargs})
    replica.manage_master_user_password = False  # the master secret stays the source's own
    replica.__dict__.pop("master_user_secret", None)
    return replica


_moto_promote_read_replica = RDSBackend.promote_read_replica


def _promote_read_replica(self, db_kwargs):
    database = self.databases[db_kwargs["db_instance_identifier"]]
    source_id = database.source_db_instance_identifier if database.is_replica else None
    promoted = _moto_promote_read_replica(self, db_kwargs)
    if source_id:
        with contextlib.suppress(Exception):  # the source may be gone already (the region lost)
            self.find_db_from_id(source_id).remove_replica(promoted)
        promoted.source_db_instance_identifier = None
    return promoted


_moto_db_instance_init = DBInstance.__init__
_PERFORMANCE_INSIGHTS = ("enable_performance_insights", "performance_insights_kms_key_id")


#: The CA RDS gives a new instance that names none (RDS User Guide, "Certificate authorities").
RDS_DEFAULT_CA = "rds-ca-rsa2048-g1"


def _db_instance_init(self, backend, **kwargs) -> None:
    _moto_db_instance_init(self, backend, **kwargs)
    if not kwargs.get("ca_certificate_identifier"):
        self.ca_certificate_identifier = RDS_DEFAULT_CA
    for key in _PERFORMANCE_INSIGHTS:  # moto's update() sets these same names on modification
        setattr(self, key, kwargs.get(key))
    self.performance_insights_retention_period = kwargs.get("performance_insights_retention_period")


def _performance_insights_enabled(self) -> bool:
    return bool(getattr(self, "enable_performance_insights", False))


_moto_describe_db_parameters = RDSResponse.describe_db_parameters


def _describe_db_parameters(self):
    result = _moto_describe_db_parameters(self)
    wanted = self.params.get("Source")
    parameters = [] if wanted not in (None, "user") else result.result["Parameters"]
    result.result["Parameters"] = [{**parameter, "Source": "user"} for parameter in parameters]
    return result


def _remove_replica(self, replica) -> None:
    for reference in (replica.db_instance_identifier, replica.db_instance_arn):  # ARN when cross-region
        if reference in self.replicas:
            self.replicas.remove(reference)


_REPLICATION_RULE_FIELDS = (
    "ID",
    "Priority",
    "Status",
    "Filter",
    "SourceSelectionCriteria",
    "ExistingObjectReplication",
    "Destination",
    "DeleteMarkerReplication",
)


def _get_bucket_replication(self):
    _moto_get_bucket_replication(self)  # raises moto's own error when there is no configuration
    replication = self.backend.get_bucket_replication(self.bucket_name)
    rules = [{key: rule[key] for key in _REPLICATION_RULE_FIELDS if key in rule} for rule in replication["Rule"]]
    for rule in rules:  # an empty filter or prefix reads back as None from moto's XML parser; AWS says ""
        if "Filter" in rule:
            rule_filter = dict(rule["Filter"] or {})
            if not rule_filter or "Prefix" in rule_filter:
                rule_filter["Prefix"] = rule_filter.get("Prefix") or ""
            rule["Filter"] = rule_filter
    config = {"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}}
    return self.serialized(ActionResult(config))


_moto_dispatch = DomainDispatcherApplication.__call__
#: Successful responses to writes, by SDK invocation id (the newest few thousand).
_ANSWERED: OrderedDict[str, tuple[str, list, bytes]] = OrderedDict()
_ANSWERED_LOCK = threading.Lock()
_ANSWERED_MAX = 5000
_READS = ("GET", "HEAD", "OPTIONS")


def _attempt(environ: dict) -> int:
    """The attempt number an AWS SDK gives in ``amz-sdk-request: attempt=N; max=M`` (1 if absent)."""
    for part in environ.get("HTTP_AMZ_SDK_REQUEST", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == "attempt" and value.isdigit():
            return int(value)
    return 1


def _dispatch_once(self, environ, start_response):
    """Carry out each SDK call's write once; answer its retries with the first attempt's response."""
    invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
    if not invocation or environ.get("REQUEST_METHOD", "GET") in _READS:
        return _moto_dispatch(self, environ, start_response)
    if _attempt(environ) > 1:
        with _ANSWERED_LOCK:
            answered = _ANSWERED.get(invocation)
        if answered is not None:
            status, headers, body = answered
            print(f"replayed the answer to retried write {invocation} ({status})", file=sys.stderr, flush=True)
            start_response(status, headers)
            return [body]
    seen: dict = {}

    def recording_start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, list(headers)
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    body = b"".join(_moto_dispatch(self, environ, recording_start_response))
    if seen.get("status", "").startswith("2"):
        with _ANSWERED_LOCK:
            _ANSWERED[invocation] = (seen["status"], seen["headers"], body)
            while len(_ANSWERED) > _ANSWERED_MAX:
                _ANSWERED.popitem(last=False)
    return [body]


#: ROUTE53_HEALTHCHECKS IPv4 ranges of ip-ranges.json (the health checkers of eight regions).
ROUTE53_HEALTH_CHECKERS = (
    "107.23.255.0/26", "54.243.31.192/26", "54.183.255.128/26", "54.241.32.64/26", "54.244.52.192/26",
    "54.245.168.0/26", "54.248.220.0/26", "54.250.253.192/26", "54.251.31.128/26", "54.255.254.192/26",
    "54.252.79.128/26", "54.252.254.192/26", "176.34.159.192/26", "54.228.16.0/26", "177.71.207.128/26",
    "54.232.40.64/26",
)  # fmt: skip
_create_default_pls = ManagedPrefixListBackend.create_default_pls


def _default_prefix_lists(self) -> None:
    _create_default_pls(self)
    self._create_aws_managed_prefix_list(
        name=f"com.amazonaws.{self.region_name}.route53-healthchecks",
        address_family="IPv4",
        entries=[{"Cidr": cidr, "Description": "Route53 health checkers"} for cidr in ROUTE53_HEALTH_CHECKERS],
    )


_behaviour_init = cloudfront_models.DefaultCacheBehaviour.__init__
_viewer_certificate_init = cloudfront_models.ViewerCertificate.__init__
_all_buckets = S3Response.all_buckets
_MOTO_LIST_OWNER = "bcaf1ffd86f41161ca5fb16fd081034f"


def _behaviour(self, config) -> None:
    _behaviour_init(self, config)
    if config.get("CachePolicyId") and "ForwardedValues" not in config:
        self.forwarded_values = None


def _viewer_certificate(self, config) -> None:
    _viewer_certificate_init(self, config)
    if config.get("ACMCertificateArn") or config.get("IAMCertificateId"):
        self.cloud_front_default_certificate = False


def _all_buckets_owner(self):
    status, headers, body = _all_buckets(self)
    if isinstance(body, bytes):
        body = body.replace(_MOTO_LIST_OWNER.encode(), S3_OWNER.encode())
    elif isinstance(body, str):
        body = body.replace(_MOTO_LIST_OWNER, S3_OWNER)
    return status, headers, body


def install_corrections() -> None:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    IAMPolicyStatement.is_action_permitted = _is_action_permitted
    EKSResponse.create_cluster = _create_cluster
    EKSResponse.create_nodegroup = _create_nodegroup
    LaunchTemplates.create_launch_template = _create_launch_template
    SecurityGroupRule.__init__ = _rule_init
    SecurityGroupRule.description = property(_rule_description)
    ManagedPrefixListBackend.create_default_pls = _default_prefix_lists
    cloudfront_models.DefaultCacheBehaviour.__init__ = _behaviour  # CacheBehaviour calls it too
    cloudfront_models.ViewerCertificate.__init__ = _viewer_certificate
    S3Response.all_buckets = _all_buckets_owner
    S3Response.get_bucket_replication = _get_bucket_replication
    rds_models.valid_preferred_maintenance_window = _valid_maintenance_window
    RDSBackend.create_db_instance_read_replica = _create_db_instance_read_replica
    RDSBackend.promote_read_replica = _promote_read_replica
    DBInstance.remove_replica = _remove_replica
    DBInstance.__init__ = _db_instance_init
    RDSResponse.describe_db_parameters = _describe_db_parameters
    DBInstance.performance_insights_enabled = property(_performance_insights_enabled)
    DomainDispatcherApplication.__call__ = _dispatch_once
    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = lambda self, garbage=False: None  # a marker holds no data to release


def main(argv: list[str]) -> None:
    install_corrections()
    server.main([*argv, "--ssl"])


if __name__ == "__main__":
    main(sys.argv[1:])
