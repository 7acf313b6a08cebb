# ruff: noqa: E501 - a table of exact problem lines, one per line
"""Every check a construct (or a stack, or a shared rules module) makes, and what keeps configuration
from ever reaching it: a configuration rule (a case: a change to production.yaml and the exact line
it is rejected with, before synthesis), or nothing configuration sets (code: the reason).

tests/test_construct_checks.py finds every ``raise ValueError/TypeError/KeyError`` under
tonebridge/constructs, tonebridge/stacks and tonebridge/*.py by parsing the source, and requires an
entry here for each, in order within its function; it feeds every case through ``main.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

W = ("platform", "us-west-2")
E = ("platform", "us-east-1")
CL = ("clusters", "us-west-2")
NG = (*CL, "node_groups")
NET = ("network", "us-west-2")
OBS = (*W, "observability")
LOGS = (*OBS, "logs")
METRICS = (*OBS, "metrics")
CI = (*W, "ci")
REDIS = (*W, "redis")
PG = (*W, "postgres", "clusters", 0)
RDS = ("database", "rds")
DR = ("dr",)


@dataclass(frozen=True)
class Case:
    """Setting ``path`` of production.yaml to ``value`` (DROP removes it) is rejected with ``line``."""

    path: tuple
    value: Any
    line: str | None = None


@dataclass(frozen=True)
class Code:
    """The construct's input comes from code, not from configuration."""

    reason: str


DROP = object()


def C(path: tuple, value: Any, line: str | None = None) -> Case:
    return Case(path, value, line)


def N(reason: str) -> Code:
    return Code(reason)


WIRING = "built by the stack from other resources' attributes (ARNs, ids, providers), never from configuration"
FIXED = "a constant of the construct or stack: configuration cannot set it"

#: "<file under tonebridge/>:<function qualname>" -> one entry per raise, in source order; a single
#: Code entry covers every raise of that function.
GUARDS: dict[str, list[Case | Code]] = {}

GUARDS.update(
    {
        # --- shared rules modules -------------------------------------------------------------------
        "capacity.py:lookup": [
            C((*NG, "application", "instance_types"), ["c5.xlarg"]),
            C((*NG, "application", "instance_types"), ["z1d.large"]),
        ],
        "versions.py:ChartPin.__post_init__": [
            N("chart pins are rows of tonebridge/versions.yaml (tests/test_versions.py) or constants of tests")
        ],
        "charts.py:LocalChart.version": [N("reads the offline chart repository, not configuration")],
        "flows.py:Endpoint.__post_init__": [N("the §8.1 flow table is code (tonebridge/flows.py)")],
        "flows.py:Flow.__post_init__": [N("the §8.1 flow table is code (tonebridge/flows.py)")],
        "netplan.py:split_evenly": [
            N("callers pass the zone count, which configuration holds at 2-6"),
            C((*NET, "pods", "cidr"), "100.64.0.0/28"),
        ],
        "postgres_settings.py:memory_bytes": [C(("database", "settings", "shared_buffers"), "256M")],
        "postgres_settings.py:PostgresSettings.numeric": [C(("database", "settings", "wal_buffers"), "12kB")],
        "quantities.py:parse_quantity": [C((*REDIS, "resources", "memory_limit"), "3GB")],
        # --- constructs -------------------------------------------------------------------------------
        "constructs/argocd.py:distinct_applications": [N("one application per environment: a single name")],
        "constructs/argocd.py:ArgoSignatureKey.__post_init__": [
            C(
                (*W, "argocd", "signature_keys"),
                [
                    {
                        "key_id": "0123456789ABCDEF",
                        "public_key": "keys/release-signing/9A93E1709435349D.asc",
                        "holder": "release job",
                    }
                ],
            ),
        ],
        "constructs/backups.py:BackupBucketsProps.__post_init__": [C(("database", "logical_backup", "prefix"), "")],
        "constructs/cert_manager.py:CertManagerProps.__post_init__": [N(FIXED)],
        "constructs/ci_rbac.py:DeployAccessProps.__post_init__": [
            C((*CI, "deploy_namespaces"), ["Staging"]),
            C((*CI, "deploy_namespaces"), ["staging", "staging"]),
            C((*CI, "deploy_namespaces"), ["ci-builds"]),
        ],
        "constructs/ci_registry.py:ImagePushRoleProps.__post_init__": [
            C(("registries", "services"), []),
            N(WIRING),
        ],
        "constructs/cloud_alarms.py:CloudAlarmsProps.__post_init__": [
            N("the alarm name is derived from the environment name (EnvName) and region"),
            N(WIRING),
        ],
        "constructs/cluster.py:TonebridgeCluster.__init__": [
            N(WIRING),
            C((*NET, "pods", "max_pods_per_node"), 800),
        ],
        "constructs/cluster_autoscaler.py:ClusterAutoscalerProps.__post_init__": [
            N(WIRING),
            C((*CL, "version"), "v1.35"),
            C((*W, "autoscaling", "cluster_autoscaler", "image_version"), "1.34.2"),
            C((*W, "autoscaling", "cluster_autoscaler", "extra_args"), {"--scale-down-delay": "10m"}),
            C((*W, "autoscaling", "cluster_autoscaler", "extra_args"), {"expander": "random"}),
        ],
        "constructs/data_network.py:network_policy": [N(FIXED)],
        "constructs/edge_binding.py:EdgeBindingProps.__post_init__": [
            C((*W, "istio", "namespace"), "Istio_System"),
            N(WIRING),
            N(
                "hosts come from edge.hostname, without which the stack binds no edge; the selector from the "
                "gateway's release name (code)"
            ),
        ],
        "constructs/edge_listener.py:EdgeListenerProps.__post_init__": [
            N(WIRING),
            N(
                "with the CDN a path rule names one hostname (the origin name) and the two secret slots: always 5 values"
            ),
            C((*W, "edge", "paths"), [f"/p{i}" for i in range(100)]),
            C((*W, "edge", "paths"), ["api"]),
            C((*W, "edge", "paths"), ["/api", "/api"]),
            N("the hostname list always holds edge.hostname, required when the edge is on"),
            C((*W, "edge", "ssl_policy"), "ELBSecurityPolicy-2016-08"),
        ],
        "constructs/edge_load_balancer.py:EdgeLoadBalancerProps.__post_init__": [
            C(("tags", "Project"), "tonebridge-platform-edge"),
            N(WIRING),
            N(WIRING),
            N(FIXED),
            N(FIXED),
        ],
        "constructs/edge_protection.py:EdgeProtectionProps.__post_init__": [
            N("the scope is chosen by the stack: REGIONAL for each ALB, CLOUDFRONT for the distribution"),
            N("the web ACL name is derived from the environment name (EnvName) and region"),
        ],
        "constructs/gcp/dr_region.py:DrRegion.__init__": [C(("database", "logical_backup", "retention_days"), 10)],
        "constructs/irsa.py:ServiceAccountRoleProps.__post_init__": [
            C((*W, "secrets", "application", "namespace"), "Production"),
            C((*W, "secrets", "vault", "service_account"), "Vault_SA"),
            C((*PG, "name"), "a" * 50),
            N(WIRING),
        ],
        "constructs/image_digest.py:ImageDigestProps.__post_init__": [
            N("the name is fixed; allowed_by_tag is the version table's exact references of the platform's own images")
        ],
        "constructs/istio.py:IstioProps.__post_init__": [
            N("the mTLS exceptions are made only for namespaces the stack makes STRICT (platform_mtls.py)"),
            C((*W, "istio", "cni_namespace"), "Istio_CNI"),
            C((*W, "istio", "cni_namespace"), "istio-system"),
            C((*W, "istio", "istiod_autoscale"), {"min": 6, "max": 5}),
        ],
        "constructs/jenkins.py:JenkinsProps.__post_init__": [
            N("the management pool's selector is a constant; ci needs a node group carrying it (case above)"),
        ],
        "constructs/karpenter.py:KarpenterProps.__post_init__": [
            C(("clusters", "us-east-1", "name"), "tonebridge-production-us-east-1-standby"),
        ],
        "constructs/karpenter_pools.py:KarpenterControllerProps.__post_init__": [
            N(WIRING),
            N(WIRING),
            N(WIRING),
            N("max_pods comes from network.<region>.pods.max_pods_per_node, which allows 1-737 (its case above)"),
            N(FIXED),
            N(FIXED),
        ],
        "constructs/kms.py:EncryptionKeyProps.__post_init__": [N(FIXED), N(FIXED)],
        "constructs/kube.py:_checked": [N("objects the constructs build, validated against their schemas")],
        "constructs/kube.py:kube_object": [N(FIXED)],
        "constructs/kube.py:ChartReleaseProps.__post_init__": [N(FIXED), N(FIXED), N(FIXED)],
        "constructs/kube.py:CustomResources.__init__": [N(FIXED)],
        "constructs/load_balancer_controller.py:LoadBalancerControllerProps.__post_init__": [
            N(WIRING),
            N(WIRING),
            N(FIXED),
            N(FIXED),
            N(FIXED),
        ],
        "constructs/namespace.py:NamespaceProps.__post_init__": [
            C((*W, "ci", "agents_namespace"), "CI_Builds"),
            C((*W, "namespaces", "monitoring", "pod_security"), "open"),
            C((*W, "namespaces", "monitoring", "pod_security"), "privileged"),
            C((*CL, "version"), "1.35.1"),
        ],
        "constructs/network_policies.py:_check_name": [
            C(
                (*W, "namespaces", "production", "network_isolation", "services", "llm-service", "from_services"),
                ["Web_App"],
            ),
        ],
        "constructs/network_policies.py:_check_port": [
            C((*W, "namespaces", "production", "network_isolation", "services", "llm-service", "port"), 70000),
        ],
        "constructs/network_policies.py:Peer.__post_init__": [N(FIXED), N(FIXED)],
        "constructs/network_policies.py:NetworkIsolationProps.__post_init__": [
            N("service names are the keys of a mapping in configuration: distinct by construction"),
            C(
                (*W, "namespaces", "production", "network_isolation", "services", "llm-service", "from_services"),
                ["web"],
            ),
        ],
        "constructs/node_userdata.py:sysctl_conf": [N("spec §12.1's kernel parameters are constants")],
        "constructs/observability/__init__.py:MonitoredCluster.placement": [C((*OBS, "node_pool"), "system")],
        # the observability feature (features/observability.py)
        "features/observability.py:add_observability": [C((*E, "secrets", "enabled"), False)],
        "constructs/observability/dashboards.py:Dashboard.__post_init__": [N("spec §7.3's dashboards are code")],
        "constructs/pod_defaults.py:check_replicas": [C((*W, "autoscaling", "metrics_server", "replicas"), 9)],
        "constructs/pod_rule.py:PodRuleProps.__post_init__": [N(FIXED)],
        "constructs/postgres/backup_role.py:backup_policy": [N(FIXED)],
        "constructs/postgres/backup_role.py:CnpgBackupRoleProps.__post_init__": [N(FIXED), N(WIRING)],
        "constructs/postgres/cnpg.py:BarmanStore.__post_init__": [
            C(("backups", "bucket"), "Tonebridge_Backups"),
            N(FIXED),
            C((*PG, "compression"), "zip"),
            C((*PG, "encryption"), "aes"),
        ],
        "constructs/postgres/cnpg.py:CnpgClusterProps.__post_init__": [
            C((*PG, "name"), "a" * 51),
            C((*PG, "image"), "ghcr.io/cloudnative-pg/postgresql:latest"),
            N("parameters come from database.settings, which always has them"),
            N("parameters are rendered as strings by PostgresSettings.postgresql_conf"),
            N(FIXED),
            N("a cluster in aws.primary_region always backs up; elsewhere it must be a replica (case above)"),
            N("features/data.py gives every replica cluster the store of its region's replicated bucket"),
            N(WIRING),
            N(WIRING),
        ],
        "constructs/postgres/cnpg.py:s3_range": [C(("aws", "secondary_region"), "eu-north-1")],
        "constructs/postgres/ha.py:PostgresHA.__init__": [
            N("the stacks pass RDS props without depends_on (Terraform orders the instance by its references)"),
            N("the stacks pass RdsPostgresProps or CnpgClusterProps, typed in code"),
        ],
        "constructs/postgres/rds.py:RdsNetworkProps.__post_init__": [N(WIRING)],
        "constructs/postgres/rds.py:RdsInstanceProps.__post_init__": [
            N("the identifier is derived from the environment name (EnvName)"),
            N("parameters come from database.settings, which always has them"),
        ],
        "constructs/postgres/rds.py:RdsPostgresReplicaProps.__post_init__": [
            N("the stack creates the replica stack only when one of the two is on"),
        ],
        "constructs/postgres/rds_clients.py:RdsClientsProps.__post_init__": [
            N("the data-tier subnets are network.<region>.subnets.data, which holds at least one (min_length=1)"),
        ],
        "constructs/resource_limits.py:_check_amounts": [
            C((*W, "namespaces", "production", "quota", "requests_memory"), "200GB"),
        ],
        "constructs/resource_limits.py:ResourceLimitsProps.__post_init__": [
            N("the namespace is a key of platform.namespaces"),
            N("the stack creates ResourceLimits only for a namespace with a quota or a limit range"),
            N("the bounds are the LimitRangeConfig fields"),
            C((*W, "namespaces", "production", "limit_range", "min", "memory"), "1Gi"),
        ],
        "constructs/secrets_store.py:SecretsStoreCsi.__init__": [
            N("vault_address is the in-cluster Vault service the stack derives (https)"),
        ],
        "constructs/storage_classes.py:StorageClassesProps.__post_init__": [
            N(WIRING),
            C((*W, "storage", "fast_ssd", "iops"), 20000),
            C((*W, "storage", "fast_ssd", "reclaim_policy"), "Keep"),
            N(FIXED),
        ],
        "constructs/vault.py:VaultProps.__post_init__": [N(WIRING)],
        "constructs/vault.py:Vault.grant": [C((*OBS, "vault_role"), "tonebridge")],
        "props/vault.py:VaultServerSettings._odd": [C((*W, "secrets", "vault", "replicas"), 2)],
        "props/ci.py:_pinned_image": [C((*CI, "agents", "kaniko_image"), "gcr.io/kaniko-project/executor:latest")],
        "props/ci.py:_groovy_safe": [C((*CI, "release", "source_url"), "https://github.com/x'/{service}.git")],
        "props/ci.py:CiSettings._distinct": [C((*CI, "agents_namespace"), "ci")],
        "props/argocd.py:_synced_kind": [
            C((*W, "argocd", "synced_kinds"), [{"kind": "Deployment"}]),
            C((*W, "argocd", "synced_kinds"), [{"group": "", "kind": "Secret"}]),
        ],
        "props/scanning.py:ScanningSettings._distinct": [C((*W, "scanning", "severities"), ["HIGH", "HIGH"])],
        "props/secrets.py:ApplicationSecretsSettings._distinct_objects": [
            C(
                (*W, "secrets", "application", "objects"),
                [{"object_name": "jwt", "secret_path": "secret/data/jwt", "secret_key": k} for k in ("a", "b")],
            )
        ],
        "props/vault.py:VaultRole.__post_init__": [
            N(
                "each feature builds its role with its paths (a fixed number per feature); the application's "
                "come from secrets.application.objects, which needs at least one"
            )
        ],
        "constructs/vault_aws.py:VaultUnsealProps.__post_init__": [
            C(("clusters", "us-west-2", "name"), "Tonebridge_Prod")
        ],
        "constructs/vault_login.py:VaultLogin.__post_init__": [
            N(WIRING),
            C((*OBS, "vault_service_account"), "Monitoring_Vault"),
        ],
        "constructs/vault_login.py:static_secret": [
            N("the stack passes a constant refresh interval for the webhook and Grafana secrets"),
            C((*METRICS, "receiver", "webhook", "path"), ""),
        ],
        # --- props (the configuration's own models: their rules run while the file is read) ----------
        # One validator for every field whose rule module returns the problem (eksrules, cloudfacts, quantities):
        # its other cases (RDS class, instance type, quantity, region facts) are tests/test_bad_configs.py's.
        "props/types.py:checked.validate": [C((*NG, "database", "taints", 0, "effect"), "NoRun")],
        "props/cluster.py:NodeGroupSettings._scaling_and_labels": [C((*NG, "system", "min_size"), 6)],
        "props/cluster.py:ClusterSettings._addons_and_ami": [
            C((*CL, "addon_versions"), {"coredns": "1.13"}),
            N(
                "tonebridge/versions.yaml has an eks_addons row for every version EksVersion accepts "
                "(tests/test_versions.py removes one to reach it)"
            ),
            C((*CL, "ami_release"), "1.34.2-20260903"),
        ],
        "props/cluster.py:ClusterSettings._names_fit_karpenter": [
            C(("clusters", "us-east-1", "name"), "tonebridge-production-us-east-1-standby")
        ],
        "props/images.py:_not_latest": [C((*REDIS, "image"), "quay.io/opstree/redis:latest")],
        "features/data.py:add_cnpg_backup_roles": [
            C((*W, "postgres", "clusters", 0, "replica"), {"source_cluster": "tonebridge"}),
            C(("backups", "replicate"), False),
        ],
        "features/data.py:add_redis": [C((*W, "secrets", "enabled"), False)],
        "props/namespaces.py:NamespaceSettings._environment": [
            C((*W, "namespaces", "production", "environment"), "prod env")
        ],
        "props/namespaces.py:NamespaceSettings._labels": [
            C((*W, "namespaces", "production", "labels"), {"team": "a b"}),
            C((*W, "namespaces", "production", "labels"), {"environment": "prod"}),
        ],
        "props/types.py:_endpoint_service": [C((*NET, "interface_endpoints"), ["ecr.api", "ECR API"])],
        "props/aws_names.py:_region": [C(("state", "region"), "uswest2")],
        "props/aws_names.py:_bucket": [
            C(("state", "bucket"), "Tonebridge_State"),
            C(("state", "bucket"), "tonebridge..state"),
            C(("state", "bucket"), "tonebridge-state-s3alias"),
        ],
        "props/aws_names.py:_table": [C(("state", "lock_table"), "t!")],
        "props/security.py:_principal": [C(("security", "break_glass_role"), "")],
        "props/security.py:_role": [C(("security", "break_glass_role"), "user/ops")],
        "props/security.py:SecuritySettings._distinct": [
            C(("security", "key_administrators"), ["role/tonebridge-terraform"])
        ],
        "props/vpc.py:VpcSettings._layout": [C((*NET, "subnets", "private", 2), "10.9.12.0/24")],
        "props/dr.py:_gcp_region": [C((*DR, "region"), "europe-west9")],
        "props/dr.py:_calendar_date": [C((*DR, "transfer", "start_date"), "2026-13-01")],
        "props/dr.py:_gcs_bucket": [C((*DR, "backups", "bucket"), "google-tonebridge-backups")],
        "props/vpc.py:_vgw_asn": [C((*NET, "vpn_gateway", "amazon_side_asn"), 70000)],
        "props/postgres.py:_master_username": [
            C((*RDS, "master_username"), "tonebridge_dbadmin"),
            C((*RDS, "master_username"), "rdsadmin"),
        ],
        "props/dr.py:GkeMaintenanceExclusion._period": [
            C((*DR, "gke", "maintenance", "exclusions", 0, "end_time"), "2026-12-17T00:00:00Z"),
            C((*DR, "gke", "maintenance", "exclusions", 0, "end_time"), "2027-02-05T00:00:00Z"),
        ],
        "props/dr.py:GkeMaintenanceSettings._window": [
            C((*DR, "gke", "maintenance", "window_end"), "2026-01-03T03:00:00Z"),
            C((*DR, "gke", "maintenance", "recurrence"), "FREQ=WEEKLY;BYDAY=SA"),
        ],
        # --- features ---------------------------------------------------------------------------------
        "features/database.py:add_database": [C(("aws", "secondary_region"), DROP)],
        "features/peering.py:add_peering": [C(("network", "us-west-2", "peering"), {"region": "us-east-1"})],
        "constructs/vpc_peering.py:VpcPeeringProps.__post_init__": [
            C(("network", "us-east-1", "peering"), {"region": "us-west-2", "route_tiers": []})
        ],
        # --- stacks -----------------------------------------------------------------------------------
        "stacks/base.py:TonebridgeStack._emulator_settings": [N("called only for an environment with aws.emulator")],
        "stacks/dr.py:DrStack.__init__": [N("the app adds the DR stack only with a dr section and the primary stack")],
        "stacks/global_dns.py:GlobalDnsStack.__init__": [N("the app adds the global stack only with a dns section")],
        "stacks/infrastructure.py:InfrastructureStack._cnpg_backup_roles": [
            C(("platform", "us-east-1", "postgres", "clusters"), [{"name": "db", "namespace": "production"}]),
        ],
        # --- features ---------------------------------------------------------------------------------
        "features/ci.py:add_ci": [
            C((*E, "ci"), {"enabled": True}),
            C((*NG, "management", "subnet_tier"), "private"),
        ],
    }
)

# --- the version table and the CRD lifecycle -----------------------------------------------------
GUARDS.update(
    {
        "versions.py:VersionTable.component": [
            N(
                "reads tonebridge/versions.yaml, data of the repository that tests/test_versions.py checks, not configuration"
            )
        ],
        "versions.py:VersionTable.chart": [
            N(
                "reads tonebridge/versions.yaml, data of the repository that tests/test_versions.py checks, not configuration"
            )
        ],
        "versions.py:VersionTable.image": [
            N(
                "reads tonebridge/versions.yaml, data of the repository that tests/test_versions.py checks, not configuration"
            )
        ],
        "versions.py:VersionTable.addon_versions": [
            N("configuration resolves add-on versions itself and reports a version with no row (config/compute.py)")
        ],
        "constructs/crd_upgrade.py:crd_target": [N("every platform stack sets its crd_target before adding releases")],
        "constructs/kube.py:ChartRelease.__init__": [N("a chart's CRD lifecycle is a constant of the version table")],
        "constructs/karpenter_pools.py:KarpenterController.__init__": [
            N(
                "reads tonebridge/versions.yaml, data of the repository that tests/test_versions.py checks, not configuration"
            )
        ],
    }
)


# --- the CDN (global stack) ---------------------------------------------------------------------------
CDN = ("dns", "cdn")
_STATIC = {"path": "/static/*", "min_ttl": 0, "default_ttl": 86400, "max_ttl": 31536000}
GUARDS.update(
    {
        "constructs/edge_cdn.py:CdnWiring.__post_init__": [
            N("the distribution's name is derived from the environment name, itself a DNS label"),
            N("the aliases are dns.cdn's public names, which configuration requires"),
        ],
        "constructs/origin_secret.py:OriginSecret.__init__": [
            N("the secret's name is derived from the environment name")
        ],
        # The settings of the global edge (props/cdn.py, props/global_dns.py) and the field types they share
        # (the AWS names are props/aws_names.py's, above).
        "props/edge_types.py:_hostname": [C(("dns", "zone"), "Tonebridge.io")],
        "props/edge_types.py:_country": [C((*CDN, "waf", "blocked_countries"), ["CU", "XX"])],
        "props/edge_types.py:_path": [C((*W, "edge", "paths"), ["/api/"])],
        "props/cdn.py:_pattern": [C((*CDN, "cache_paths"), [{**_STATIC, "path": "static/*"}])],
        "props/cdn.py:_header": [C((*CDN, "origin_secret", "header"), "X-Amz-Verify")],
        "props/cdn.py:CachePathSettings._ordered": [
            C((*CDN, "cache_paths"), [{**_STATIC, "min_ttl": 100, "default_ttl": 10}])
        ],
        "props/cdn.py:SecurityHeadersSettings._preload": [
            C((*CDN, "security_headers"), {"hsts_preload": True, "hsts_include_subdomains": False})
        ],
        "props/cdn.py:OriginSecretSettings._window": [C((*CDN, "origin_secret", "recovery_window_days"), 3)],
        "props/global_dns.py:GeoLocationSettings._one": [
            C(("dns", "routing", "geolocation"), [{"region": "us-east-1"}])
        ],
    }
)


# --- the approved path to production and least privilege around keys and backups ------------------
GUARDS.update(
    {
        "constructs/backups.py:BackupBuckets.allow_reader": [
            N("the stack names readers of the replica only where it made one (backups.replicate)")
        ],
        "constructs/flow_policies.py:FlowIsolation.__init__": [
            N("the platform namespaces' flows are code (tonebridge/flows.py and the observability flows)")
        ],
        "constructs/flow_policies.py:FlowIsolation.admit": [
            N("the flows and their ends' names are code (the data tier's scrapes of the monitoring namespace)")
        ],
        "constructs/flow_policies.py:flow_policies.add": [
            N("flow ends and their names are code: two ends of one namespace sharing a name is a code error")
        ],
        "constructs/gcp/transfer.py:TransferSource.__post_init__": [
            N("a source's name is an environment name, a DNS label by configuration (namespaces' environment)")
        ],
        "constructs/istio.py:MtlsPortException.__post_init__": [
            N(
                "built by features/mesh.py (mtls_port_exceptions) with a selector, ports and a reason; ports are 1-65535 in configuration"
            )
        ],
        "constructs/kms.py:EncryptionKey._policy": [N("service grants are code, each with its source conditions")],
        "constructs/kms.py:KeyAccess.of": [N("every stack registers its KeyAccess before it makes a key")],
    }
)


# --- disaster recovery of the data (production's logical backup, RPO/RTO schedules) ---------------
LB = ("database", "logical_backup")
GUARDS.update(
    {
        "schedules.py:_field": [C((*LB, "schedule"), "*/0 * * * *"), C((*LB, "schedule"), "61 * * * *")],
        "schedules.py:daily_minutes": [
            C((*LB, "schedule"), "0 0 * * * *"),
            C((*LB, "schedule"), "15 4 * * 1"),
            C((*LB, "schedule"), "61 4 * * *"),
        ],
        "schedules.py:every": [C((*DR, "transfer", "repeat_interval_hours"), 5)],
        "schedules.py:delivery": [
            N("daily_minutes and every never return an empty list: a field with no value is refused first")
        ],
        "constructs/gcp/backup_freshness.py:BackupFreshnessProps.__post_init__": [
            C(("recovery", "database", "dr_site", "rpo"), "2000h"),
            C((*LB, "prefix"), ""),
        ],
        "constructs/postgres/logical_backup.py:LogicalBackupProps.__post_init__": [
            N(WIRING),
            N("the Vault address is the construct's in-cluster https:// service address, not configuration"),
        ],
        "constructs/postgres/logical_backup_role.py:logical_backup_policy": [C((*LB, "prefix"), "")],
        "stacks/data_recovery.py:add_logical_backup": [
            N(
                "data_recovery.enabled() requires secrets in the primary region, where the stack builds the database, bucket and Vault"
            )
        ],
    }
)


#: The exact line (after "<file>: ") each case is rejected with, by "<key>[<entry index>]".
LINES: dict[str, str] = {
    "capacity.py:lookup[0]": "clusters.us-west-2.node_groups.application.instance_types[0]: 'c5.xlarg' is not an EC2 instance type; did you mean c5.xlarge or c5n.xlarge or c5d.xlarge?",
    "capacity.py:lookup[1]": "clusters.us-west-2.node_groups.application.instance_types[0]: 'z1d.large' is an EC2 instance type the capacity model does not size (node families: t3, t3a, t4g, c5, c5a, c6i, c6g, m5, m6i, m6g, r5, r6i, r6g); did you mean t3.large or r5.large or m5.large?",
    "netplan.py:split_evenly[1]": "network.us-west-2.pods.cidr: 100.64.0.0/28 cannot be split into 3 subnets of /28 or larger",
    "postgres_settings.py:memory_bytes[0]": "database.settings.shared_buffers: '256M' is not a PostgreSQL memory value: a whole number and one of B, kB, MB, GB, TB",
    "postgres_settings.py:PostgresSettings.numeric[0]": "database.settings: wal_buffers = 12kB is not a whole number of 8 kB units",
    "quantities.py:parse_quantity[0]": "platform.us-west-2.redis.resources.memory_limit: '3GB' is not a Kubernetes quantity (for example 500m, 2, 512Mi, 4Gi)",
    "constructs/argocd.py:ArgoSignatureKey.__post_init__[0]": "platform.us-west-2.argocd.signature_keys[0].key_id: 0123456789ABCDEF is not a key in keys/release-signing/9A93E1709435349D.asc (it holds 9A93E1709435349D)",
    "constructs/ci_rbac.py:DeployAccessProps.__post_init__[0]": "platform.us-west-2.ci.deploy_namespaces[0]: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Staging')",
    "constructs/ci_rbac.py:DeployAccessProps.__post_init__[1]": "platform.us-west-2.ci.deploy_namespaces: values must be distinct",
    "constructs/ci_rbac.py:DeployAccessProps.__post_init__[2]": "platform.us-west-2.ci.deploy_namespaces[0]: ci-builds is not a namespace of platform.us-west-2",
    "constructs/ci_registry.py:ImagePushRoleProps.__post_init__[0]": "registries.services: List should have at least 1 item after validation, not 0",
    "props/types.py:_endpoint_service[0]": "network.us-west-2.interface_endpoints[1]: 'ECR API' is not a VPC endpoint service suffix (for example ecr.api)",
    "props/images.py:_not_latest[0]": "platform.us-west-2.redis.image: 'quay.io/opstree/redis:latest' must be pinned to a tag or digest, not latest (it moves under a running cluster)",
    "props/namespaces.py:NamespaceSettings._environment[0]": "platform.us-west-2.namespaces.production.environment: label environment='prod env': the value is not a valid Kubernetes label value",
    "props/namespaces.py:NamespaceSettings._labels[0]": "platform.us-west-2.namespaces.production.labels: label team='a b': the value is not a valid Kubernetes label value",
    "props/namespaces.py:NamespaceSettings._labels[1]": "platform.us-west-2.namespaces.production.labels: label 'environment' is set by the platform, not in `labels`",
    "props/types.py:checked.validate[0]": "clusters.us-west-2.node_groups.database.taints[0].effect: taint effect 'NoRun' is not one of NoSchedule, PreferNoSchedule, NoExecute",
    "props/aws_names.py:_region[0]": "state.region: 'uswest2' is not an AWS region name (for example us-west-2)",
    "props/aws_names.py:_bucket[0]": "state.bucket: 'Tonebridge_State' is not a valid S3 bucket name: 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
    "props/aws_names.py:_bucket[1]": "state.bucket: 'tonebridge..state' is not a valid S3 bucket name (no '..', IP form or reserved prefix)",
    "props/aws_names.py:_bucket[2]": "state.bucket: 'tonebridge-state-s3alias' is not a valid S3 bucket name (reserved suffix)",
    "props/aws_names.py:_table[0]": "state.lock_table: 't!' is not a valid DynamoDB table name: 3-255 characters of letters, digits, '_', '-', '.'",
    "props/security.py:_principal[0]": "security.break_glass_role: an IAM principal of this account: 'role/<name>', 'role/<path>/<name>' or 'user/<name>'",
    "props/security.py:_role[0]": "security.break_glass_role: must be a role (assumed with MFA), not a user",
    "props/security.py:SecuritySettings._distinct[0]": "security: deploy_principals and key_administrators name a principal twice",
    "props/vault.py:VaultServerSettings._odd[0]": "platform.us-west-2.secrets.vault.replicas: raft needs an odd number of voters, not 2",
    "props/argocd.py:_synced_kind[0]": "platform.us-west-2.argocd.synced_kinds[0]: each kind is {group, kind}",
    "props/argocd.py:_synced_kind[1]": "platform.us-west-2.argocd.synced_kinds[0]: Secret may not come from Git (RBAC, secrets, identities, platform policy)",
    "props/scanning.py:ScanningSettings._distinct[0]": "platform.us-west-2.scanning.severities: severities must be distinct",
    "props/secrets.py:ApplicationSecretsSettings._distinct_objects[0]": "platform.us-west-2.secrets.application.objects: object names must be distinct (each is a file name)",
    "props/cluster.py:NodeGroupSettings._scaling_and_labels[0]": "clusters.us-west-2.node_groups.system: min_size 6 is greater than max_size 5",
    "props/dr.py:_gcp_region[0]": "dr.region: 'europe-west9' is not a GCP region of the cloud facts table; did you mean europe-west4 or europe-west3 or europe-west2?",
    "props/dr.py:_calendar_date[0]": "dr.transfer.start_date: '2026-13-01' is not a calendar date (month must be in 1..12)",
    "props/dr.py:_gcs_bucket[0]": "dr.backups.bucket: 'google-tonebridge-backups': a Cloud Storage bucket name must not begin with 'goog' nor contain 'google'",
    "props/vpc.py:_vgw_asn[0]": "network.us-west-2.vpn_gateway.amazon_side_asn: 70000 is not an ASN AWS gives a virtual private gateway: 64512-65534 (16-bit) or 4200000000-4294967294 (32-bit)",
    "props/postgres.py:_master_username[0]": "database.rds.master_username: 'tonebridge_dbadmin' has 18 characters; RDS allows at most 16 for the master user",
    "props/postgres.py:_master_username[1]": "database.rds.master_username: 'rdsadmin' is reserved (RDS's own rds* roles, PostgreSQL's pg_* roles and reserved words)",
    "props/dr.py:GkeMaintenanceExclusion._period[0]": "dr.gke.maintenance.exclusions[0]: exclusion year-end-freeze: end_time must be after start_time",
    "props/dr.py:GkeMaintenanceExclusion._period[1]": "dr.gke.maintenance.exclusions[0]: exclusion year-end-freeze: a NO_UPGRADES exclusion lasts at most 30 days (GKE)",
    "props/dr.py:GkeMaintenanceSettings._window[0]": "dr.gke.maintenance: window_end - window_start must be 4 to 24 hours (GKE needs 4 contiguous hours)",
    "props/dr.py:GkeMaintenanceSettings._window[1]": "dr.gke.maintenance: the windows give 27 hours in 32 days; GKE needs at least 48",
    "constructs/cluster.py:TonebridgeCluster.__init__[1]": "network.us-west-2.pods.max_pods_per_node: Input should be less than or equal to 737 (got 800)",
    "constructs/cluster_autoscaler.py:ClusterAutoscalerProps.__post_init__[1]": "clusters.us-west-2.version: 'v1.35' is not an EKS version of the form 1.NN (for example 1.35)",
    "constructs/cluster_autoscaler.py:ClusterAutoscalerProps.__post_init__[2]": "platform.us-west-2.autoscaling.cluster_autoscaler.image_version: 1.34.2 does not match clusters.us-west-2.version 1.35 (the autoscaler's minor must be the cluster's)",
    "constructs/cluster_autoscaler.py:ClusterAutoscalerProps.__post_init__[3]": "platform.us-west-2.autoscaling.cluster_autoscaler.extra_args.--scale-down-delay: flag names go without dashes; expander, cloud provider, discovery and v have fields of their own",
    "constructs/cluster_autoscaler.py:ClusterAutoscalerProps.__post_init__[4]": "platform.us-west-2.autoscaling.cluster_autoscaler.extra_args.expander: flag names go without dashes; expander, cloud provider, discovery and v have fields of their own",
    "constructs/edge_binding.py:EdgeBindingProps.__post_init__[0]": "platform.us-west-2.istio.namespace: 'Istio_System' is not a DNS label (lowercase letters, digits and '-', at most 63)",
    "constructs/edge_listener.py:EdgeListenerProps.__post_init__[2]": "platform.us-west-2.edge.paths: 100 path prefixes: at most 99",
    "constructs/edge_listener.py:EdgeListenerProps.__post_init__[3]": "platform.us-west-2.edge.paths[0]: 'api' must be an absolute path prefix such as /api (no trailing '/')",
    "constructs/edge_listener.py:EdgeListenerProps.__post_init__[4]": "platform.us-west-2.edge.paths: values must be distinct",
    "constructs/edge_listener.py:EdgeListenerProps.__post_init__[6]": "platform.us-west-2.edge.ssl_policy: 'ELBSecurityPolicy-2016-08' must allow only TLS 1.2+ (an ELBSecurityPolicy-TLS13-1-2-* or -1-3-*)",
    "constructs/edge_load_balancer.py:EdgeLoadBalancerProps.__post_init__[0]": "platform.us-west-2.edge.enabled: the ALB's name 'tonebridge-platform-edge-production-us-west-2' exceeds the 32 characters AWS allows",
    "constructs/irsa.py:ServiceAccountRoleProps.__post_init__[0]": "platform.us-west-2.secrets.application.namespace: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Production')",
    "constructs/irsa.py:ServiceAccountRoleProps.__post_init__[1]": "platform.us-west-2.secrets.vault.service_account: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Vault_SA')",
    "constructs/irsa.py:ServiceAccountRoleProps.__post_init__[2]": "platform.us-west-2.postgres.clusters[0].name: the backup role name 'tonebridge-production-cnpg-staging-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' exceeds IAM's 64 characters",
    "constructs/istio.py:IstioProps.__post_init__[1]": "platform.us-west-2.istio.cni_namespace: 'Istio_CNI' is not a DNS label (lowercase letters, digits and '-', at most 63)",
    "constructs/istio.py:IstioProps.__post_init__[2]": "platform.us-west-2.istio.cni_namespace: the privileged CNI agent needs a namespace of its own",
    "constructs/istio.py:IstioProps.__post_init__[3]": "platform.us-west-2.istio.istiod_autoscale.min: 6 exceeds max 5",
    "props/ci.py:_pinned_image[0]": "platform.us-west-2.ci.agents.kaniko_image: 'gcr.io/kaniko-project/executor:latest' must be <registry>/<repository>:<exact tag> (never latest)",
    "props/ci.py:_groovy_safe[0]": 'platform.us-west-2.ci.release.source_url: "https://github.com/x\'/{service}.git" must not contain quotes, $ or backslashes (it is quoted in the release job)',
    "props/ci.py:CiSettings._distinct[0]": "platform.us-west-2.ci.agents_namespace: must differ from namespace (they get different pod security)",
    "constructs/karpenter.py:KarpenterProps.__post_init__[0]": "clusters.us-east-1: name 'tonebridge-production-us-east-1-standby': Karpenter's rule names would be 71 > 64 characters; shorten the cluster name",
    "constructs/namespace.py:NamespaceProps.__post_init__[0]": "platform.us-west-2.ci.agents_namespace: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'CI_Builds')",
    "constructs/namespace.py:NamespaceProps.__post_init__[1]": "platform.us-west-2.namespaces.monitoring.pod_security: Input should be 'restricted', 'baseline' or 'privileged' (got 'open')",
    "constructs/namespace.py:NamespaceProps.__post_init__[2]": "platform.us-west-2.namespaces.monitoring.pod_security_reason: pod_security 'privileged' needs a reason",
    "constructs/namespace.py:NamespaceProps.__post_init__[3]": "clusters.us-west-2.version: '1.35.1' is not an EKS version of the form 1.NN (for example 1.35)",
    "constructs/network_policies.py:_check_name[0]": "platform.us-west-2.namespaces.production.network_isolation.services.llm-service.from_services[0]: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Web_App')",
    "constructs/network_policies.py:_check_port[0]": "platform.us-west-2.namespaces.production.network_isolation.services.llm-service.port: Input should be less than or equal to 65535 (got 70000)",
    "constructs/network_policies.py:NetworkIsolationProps.__post_init__[1]": "platform.us-west-2.namespaces.production.network_isolation.services.llm-service.from_services[0]: 'web' is not a service of network_isolation.services",
    "constructs/pod_defaults.py:check_replicas[0]": "platform.us-west-2.autoscaling.metrics_server.replicas: Input should be less than or equal to 5 (got 9)",
    "constructs/postgres/cnpg.py:BarmanStore.__post_init__[0]": "backups.bucket: 'Tonebridge_Backups' is not a valid S3 bucket name: 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
    "constructs/postgres/cnpg.py:BarmanStore.__post_init__[2]": "platform.us-west-2.postgres.clusters[0].compression: Input should be 'gzip', 'bzip2', 'snappy', 'lz4', 'xz' or 'zstd' (got 'zip')",
    "constructs/postgres/cnpg.py:BarmanStore.__post_init__[3]": "platform.us-west-2.postgres.clusters[0].encryption: Input should be 'AES256' or 'aws:kms' (got 'aes')",
    "constructs/postgres/cnpg.py:CnpgClusterProps.__post_init__[0]": "platform.us-west-2.postgres.clusters[0].name: the backup role name 'tonebridge-production-cnpg-staging-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' exceeds IAM's 64 characters",
    "constructs/postgres/cnpg.py:CnpgClusterProps.__post_init__[1]": "platform.us-west-2.postgres.clusters[0].image: 'ghcr.io/cloudnative-pg/postgresql:latest' is not a pinned PostgreSQL 16 image (…/postgresql:16.<minor>-<flavour>)",
    "constructs/postgres/cnpg.py:s3_range[0]": "aws.secondary_region: eu-north-1 has no network layout under network.eu-north-1",
    "constructs/resource_limits.py:_check_amounts[0]": "platform.us-west-2.namespaces.production.quota.requests_memory: '200GB' is not a Kubernetes quantity (for example 500m, 2, 512Mi, 4Gi)",
    "constructs/resource_limits.py:ResourceLimitsProps.__post_init__[3]": "platform.us-west-2.namespaces.production.limit_range.min.memory: min 1Gi is greater than default_request 256Mi",
    "constructs/storage_classes.py:StorageClassesProps.__post_init__[1]": "platform.us-west-2.storage.fast_ssd.iops: 20000 is outside gp3's 3000-16000 IOPS",
    "constructs/storage_classes.py:StorageClassesProps.__post_init__[2]": "platform.us-west-2.storage.fast_ssd.reclaim_policy: Input should be 'Retain' or 'Delete' (got 'Keep')",
    "constructs/vault.py:Vault.grant[0]": "platform.us-west-2.observability.vault_role: 'tonebridge' is another component's Vault role",
    "constructs/vault_aws.py:VaultUnsealProps.__post_init__[0]": "clusters.us-west-2.name: 'Tonebridge_Prod': Vault's unseal key and role are named after the cluster: 1-39 lowercase letters, digits and '-'",
    "constructs/vault_login.py:VaultLogin.__post_init__[1]": "platform.us-west-2.observability.vault_service_account: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Monitoring_Vault')",
    "constructs/vault_login.py:static_secret[1]": "platform.us-west-2.observability.metrics.receiver.webhook.path: String should match pattern '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$' (got '')",
    "props/vpc.py:VpcSettings._layout[0]": "network.us-west-2.subnets.private[2]: 10.9.12.0/24 is outside the VPC 10.0.0.0/16",
    "features/database.py:add_database[0]": "network.us-east-1: is neither aws.primary_region nor aws.secondary_region",
    "stacks/infrastructure.py:InfrastructureStack._cnpg_backup_roles[0]": "platform.us-east-1.postgres.clusters[0].replica: a cluster in us-east-1 backs up to backups.bucket in aws.primary_region; only a replica may run here",
    "features/ci.py:add_ci[0]": "platform.us-east-1.ci.enabled: the image-push role needs the registries, in aws.primary_region only",
    "features/ci.py:add_ci[1]": "platform.us-west-2.observability.node_pool: no node group of clusters.us-west-2 is labelled workload=management with subnet_tier management: add one or choose another pool",
    "constructs/observability/__init__.py:MonitoredCluster.placement[0]": "platform.us-west-2.observability.metrics.prometheus_resources.memory_request: 4Gi does not fit one t3.medium of the system pool (2223Mi allocatable at 110 pods)",
    "features/observability.py:add_observability[0]": "platform.us-east-1.redis.enabled: the Redis password comes from Vault: needs platform.<region>.secrets.enabled",
    "features/data.py:add_cnpg_backup_roles[1]": "backups.replication_time_control: needs backups.replicate",
    "features/data.py:add_redis[0]": "platform.us-west-2.redis.enabled: the Redis password comes from Vault: needs platform.<region>.secrets.enabled",
    "schedules.py:_field[0]": "database.logical_backup.schedule: '*/0 * * * *': step '0' must be at least 1",
    "schedules.py:_field[1]": "database.logical_backup.schedule: '61 * * * *': '61' is outside 0-59",
    "schedules.py:daily_minutes[0]": "database.logical_backup.schedule: String should match pattern '^\\S+ \\S+ \\S+ \\S+ \\S+$' (got '0 0 * * * *')",
    "schedules.py:daily_minutes[1]": "database.logical_backup.schedule: '15 4 * * 1' must run every day (day of month, month and day of week '*')",
    "schedules.py:daily_minutes[2]": "database.logical_backup.schedule: '61 4 * * *': '61' is outside 0-59",
    "schedules.py:every[0]": "dr.transfer.repeat_interval_hours: Input should be 1, 2, 3, 4, 6, 8, 12 or 24 (got 5)",
    "constructs/gcp/backup_freshness.py:BackupFreshnessProps.__post_init__[0]": "recovery.database.dr_site.rpo: the freshness alert needs a 1998h30m absence window; Cloud Monitoring allows at most 23h30m",
    "constructs/gcp/backup_freshness.py:BackupFreshnessProps.__post_init__[1]": "database.logical_backup.prefix: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got '')",
    "constructs/postgres/logical_backup_role.py:logical_backup_policy[0]": "database.logical_backup.prefix: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got '')",
    "constructs/backups.py:BackupBucketsProps.__post_init__[0]": "database.logical_backup.prefix: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got '')",
    "constructs/gcp/dr_region.py:DrRegion.__init__[0]": "database.logical_backup.retention_days: 10 days is shorter than dr.backups.retention_days (30): the GCS retention policy refuses earlier deletes",
    "props/cluster.py:ClusterSettings._addons_and_ami[0]": "clusters.us-west-2: addon_versions: coredns: '1.13' is not an EKS add-on version (v1.2.3-eksbuild.4)",
    "props/cluster.py:ClusterSettings._addons_and_ami[2]": "clusters.us-west-2: ami_release: AMI release 1.34.2-20260903 is for Kubernetes 1.34, the cluster runs 1.35",
    "props/cluster.py:ClusterSettings._names_fit_karpenter[0]": "clusters.us-east-1: name 'tonebridge-production-us-east-1-standby': Karpenter's rule names would be 71 > 64 characters; shorten the cluster name",
    "props/edge_types.py:_hostname[0]": "dns.zone: 'Tonebridge.io' is not a fully qualified lowercase DNS name",
    "props/edge_types.py:_country[0]": "dns.cdn.waf.blocked_countries[1]: 'XX' is not an ISO 3166-1 alpha-2 country code (for example KP)",
    "props/edge_types.py:_path[0]": "platform.us-west-2.edge.paths[0]: '/api/' must be an absolute path prefix such as /api (no trailing '/')",
    "props/cdn.py:_pattern[0]": "dns.cdn.cache_paths[0].path: 'static/*' is not a CloudFront path pattern below the root (for example /static/*; letters, digits, . _ ~ / - * ? only)",
    "props/cdn.py:_header[0]": "dns.cdn.origin_secret.header: 'X-Amz-Verify' is not a header name CloudFront sends to an origin (token, not X-Amz-*, Host …)",
    "props/cdn.py:CachePathSettings._ordered[0]": "dns.cdn.cache_paths[0]: needs min_ttl <= default_ttl <= max_ttl (got 100, 10, 31536000)",
    "props/cdn.py:SecurityHeadersSettings._preload[0]": "dns.cdn.security_headers: hsts_preload needs hsts_include_subdomains and hsts_max_age of at least 31536000",
    "props/cdn.py:OriginSecretSettings._window[0]": "dns.cdn.origin_secret: recovery_window_days is 0 or 7-30 (Secrets Manager's bounds)",
    "props/global_dns.py:GeoLocationSettings._one[0]": "dns.routing.geolocation[0]: give exactly one of continent and country",
    "features/peering.py:add_peering[0]": "network.us-west-2.peering.region: only the secondary region peers, with the primary (us-west-2): its stack is deployed after the primary's and accepts the peering there",
    "constructs/vpc_peering.py:VpcPeeringProps.__post_init__[0]": "network.us-east-1.peering.route_tiers: List should have at least 1 item after validation, not 0",
    "features/data.py:add_cnpg_backup_roles[0]": "platform.us-west-2.postgres.clusters[0].replica: only production's backups are replicated to us-west-2; staging is environment staging, whose backups bucket has no replica",
}
