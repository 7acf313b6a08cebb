"""DrRegion: the disaster-recovery site in one Google Cloud region (spec §9.1, §9.2, §5.1).

* Network: a custom-mode VPC, one private subnet (Private Google Access, flow logs) with secondary
  ranges for pods and services, a Cloud Router and Cloud NAT for egress (nodes have no public IP).
* A standby GKE cluster: regional, private nodes and private IP endpoint, a DNS endpoint gated by IAM
  (``dr.gke.dns_endpoint``: how operators reach the API when AWS, its bastions and CI are gone),
  Workload Identity, shielded nodes, a release channel, Dataplane V2 (eBPF network policy), Secrets
  encrypted with a Cloud KMS key, deletion protection; its one node pool autoscales from
  ``min_nodes`` (0), but GKE's system pods keep one node of it running, so the standby costs its
  control plane and one node until a failover scales it up.
* A GCS bucket for the backups: uniform bucket-level access, public access prevention enforced, a
  customer-managed key, a retention policy, soft delete, lifecycle tiering, access logs. GCS refuses
  Object Versioning on a bucket with a retention policy; the retention policy is the stronger
  guarantee (no object can be deleted or replaced before it expires, where versioning keeps
  overwritten copies but lets anyone with delete rights remove them), so versioning stays off.
* The §5.1 development registry: an Artifact Registry Docker repository with immutable tags,
  cleanup policies and the same kind of customer-managed key.
* Service accounts with least privilege: the nodes' account has only the node role and read access
  to this repository; Google's service agents get Encrypter/Decrypter on their own key only.

The Storage Transfer job that fills the bucket lives in :mod:`tonebridge.constructs.gcp.transfer`.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_google.artifact_registry_repository import (
    ArtifactRegistryRepository,
    ArtifactRegistryRepositoryCleanupPolicies,
    ArtifactRegistryRepositoryCleanupPoliciesCondition,
    ArtifactRegistryRepositoryCleanupPoliciesMostRecentVersions,
    ArtifactRegistryRepositoryDockerConfig,
)
from cdktf_cdktf_provider_google.artifact_registry_repository_iam_member import ArtifactRegistryRepositoryIamMember
from cdktf_cdktf_provider_google.compute_firewall import ComputeFirewall, ComputeFirewallDeny, ComputeFirewallLogConfig
from cdktf_cdktf_provider_google.compute_global_address import ComputeGlobalAddress
from cdktf_cdktf_provider_google.compute_network import ComputeNetwork
from cdktf_cdktf_provider_google.compute_router import ComputeRouter
from cdktf_cdktf_provider_google.compute_router_nat import (
    ComputeRouterNat,
    ComputeRouterNatLogConfig,
    ComputeRouterNatSubnetwork,
)
from cdktf_cdktf_provider_google.compute_subnetwork import (
    ComputeSubnetwork,
    ComputeSubnetworkLogConfig,
    ComputeSubnetworkSecondaryIpRange,
)
from cdktf_cdktf_provider_google.container_cluster import (
    ContainerCluster,
    ContainerClusterAuthenticatorGroupsConfig,
    ContainerClusterBinaryAuthorization,
    ContainerClusterControlPlaneEndpointsConfig,
    ContainerClusterControlPlaneEndpointsConfigDnsEndpointConfig,
    ContainerClusterDatabaseEncryption,
    ContainerClusterIpAllocationPolicy,
    ContainerClusterMaintenancePolicy,
    ContainerClusterMaintenancePolicyMaintenanceExclusion,
    ContainerClusterMaintenancePolicyMaintenanceExclusionExclusionOptions,
    ContainerClusterMaintenancePolicyRecurringWindow,
    ContainerClusterMasterAuth,
    ContainerClusterMasterAuthClientCertificateConfig,
    ContainerClusterMasterAuthorizedNetworksConfig,
    ContainerClusterMasterAuthorizedNetworksConfigCidrBlocks,
    ContainerClusterNodeConfig,
    ContainerClusterNodeConfigShieldedInstanceConfig,
    ContainerClusterNodeConfigWorkloadMetadataConfig,
    ContainerClusterNotificationConfig,
    ContainerClusterNotificationConfigPubsub,
    ContainerClusterNotificationConfigPubsubFilter,
    ContainerClusterPrivateClusterConfig,
    ContainerClusterPrivateClusterConfigMasterGlobalAccessConfig,
    ContainerClusterReleaseChannel,
    ContainerClusterWorkloadIdentityConfig,
)
from cdktf_cdktf_provider_google.container_node_pool import (
    ContainerNodePool,
    ContainerNodePoolAutoscaling,
    ContainerNodePoolManagement,
    ContainerNodePoolNodeConfig,
    ContainerNodePoolNodeConfigShieldedInstanceConfig,
    ContainerNodePoolNodeConfigWorkloadMetadataConfig,
)
from cdktf_cdktf_provider_google.data_google_project import DataGoogleProject
from cdktf_cdktf_provider_google.data_google_storage_project_service_account import (
    DataGoogleStorageProjectServiceAccount,
)
from cdktf_cdktf_provider_google.kms_crypto_key import KmsCryptoKey
from cdktf_cdktf_provider_google.kms_crypto_key_iam_member import KmsCryptoKeyIamMember
from cdktf_cdktf_provider_google.kms_key_ring import KmsKeyRing
from cdktf_cdktf_provider_google.project_iam_member import ProjectIamMember
from cdktf_cdktf_provider_google.pubsub_topic import PubsubTopic
from cdktf_cdktf_provider_google.service_account import ServiceAccount
from cdktf_cdktf_provider_google.storage_bucket import (
    StorageBucket,
    StorageBucketEncryption,
    StorageBucketLifecycleRule,
    StorageBucketLifecycleRuleAction,
    StorageBucketLifecycleRuleCondition,
    StorageBucketLogging,
    StorageBucketRetentionPolicy,
    StorageBucketSoftDeletePolicy,
    StorageBucketVersioning,
)
from constructs import Construct

from tonebridge.props.dr import DrSettings

_DAY = 86_400
#: What GKE nodes need to run (logging, monitoring, metadata), and nothing else.
NODE_ROLE = "roles/container.defaultNodeServiceAccount"
KEY_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


class DrRegion(Construct):
    """Attributes: ``network``, ``subnet``, ``cluster``, ``node_pool``, ``bucket``, ``repository``,
    ``node_service_account``, ``keys`` (by purpose), ``edge_address``, ``project_number``."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        settings: DrSettings,
        *,
        labels: Mapping[str, str],
        expiring_prefixes: Mapping[str, int],
    ) -> None:
        """``settings`` is the environment's validated `dr` section. Wiring that is not part of it:
        ``labels`` on every resource, and ``expiring_prefixes`` (``{prefix: days}``): objects under a
        prefix are deleted after its days, never before the bucket's retention policy lets them go."""
        super().__init__(scope, id_)
        for prefix, days in expiring_prefixes.items():
            if not prefix.strip("/") or days < settings.backups.retention_days:
                raise ValueError(f"expiring prefix {prefix!r}: a name, and days no shorter than the retention policy")
        self.settings = settings
        #: Where the regional resources live (key ring, registry, cluster, node pool).
        self.located = {"project": settings.project_id, "location": settings.region}
        self.labels = dict(labels)
        self.expiring_prefixes = dict(expiring_prefixes)
        project = DataGoogleProject(self, "project", project_id=settings.project_id)
        self.project_number = project.number
        self._keys()
        self._network()
        self._registry()
        self._cluster()
        self._bucket()
        self.edge_address = ComputeGlobalAddress(
            self,
            "edge-address",
            name=settings.edge_address_name,
            project=settings.project_id,
            description="The standby's public ingress; the global stack's DR record points here",
            address_type="EXTERNAL",
            ip_version="IPV4",
        )

    # --- keys ----------------------------------------------------------------------------------

    def _keys(self) -> None:
        p = self.settings
        ring = KmsKeyRing(self, "key-ring", name=p.key_ring, **self.located)
        number = self.project_number
        agents = {
            # GKE's service agent encrypts Secrets in etcd (application-layer encryption).
            "gke-secrets": f"serviceAccount:service-{number}@container-engine-robot.iam.gserviceaccount.com",
            # Cloud Storage's service agent encrypts the backups bucket's objects.
            "backups": "serviceAccount:"
            + DataGoogleStorageProjectServiceAccount(self, "storage-agent", project=p.project_id).email_address,
            # Artifact Registry's service agent encrypts the registry's layers.
            "registry": f"serviceAccount:service-{number}@gcp-sa-artifactregistry.iam.gserviceaccount.com",
            # Pub/Sub's service agent encrypts the cluster's upgrade notifications.
            "notifications": f"serviceAccount:service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com",
        }
        self.keys: dict[str, KmsCryptoKey] = {}
        self._key_grants: dict[str, KmsCryptoKeyIamMember] = {}
        for purpose, member in agents.items():
            key = KmsCryptoKey(
                self,
                f"key-{purpose}",
                name=f"{p.network.name}-{purpose}",
                key_ring=ring.id,
                purpose="ENCRYPT_DECRYPT",
                rotation_period=f"{p.key_rotation_days * _DAY}s",
                labels=self.labels,
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            )
            self._key_grants[purpose] = KmsCryptoKeyIamMember(
                self, f"key-{purpose}-agent", crypto_key_id=key.id, role=KEY_ROLE, member=member
            )
            self.keys[purpose] = key

    # --- network -------------------------------------------------------------------------------

    def _network(self) -> None:
        p = self.settings
        name, network = p.network.name, p.network
        regional = {"project": p.project_id, "region": p.region}
        self.network = ComputeNetwork(
            self,
            "network",
            name=name,
            project=p.project_id,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            delete_default_routes_on_create=False,
        )
        ranges = {"pods": network.pods_cidr, "services": network.services_cidr}
        self.subnet = ComputeSubnetwork(
            self,
            "subnet",
            name=f"{name}-{p.region}",
            network=self.network.id,
            ip_cidr_range=str(network.subnet_cidr),
            private_ip_google_access=True,
            purpose="PRIVATE",
            stack_type="IPV4_ONLY",
            secondary_ip_range=[
                ComputeSubnetworkSecondaryIpRange(range_name=range_name, ip_cidr_range=str(cidr))
                for range_name, cidr in ranges.items()
            ],
            log_config=ComputeSubnetworkLogConfig(
                aggregation_interval="INTERVAL_5_SEC",
                flow_sampling=network.flow_log_sampling,
                metadata="INCLUDE_ALL_METADATA",
            ),
            **regional,
        )
        # Explicit and logged: nothing reaches the network unless a rule of higher priority (GKE's
        # own control-plane rules, later ingress) admits it.
        ComputeFirewall(
            self,
            "deny-ingress",
            name=f"{name}-deny-all-ingress",
            project=p.project_id,
            network=self.network.id,
            direction="INGRESS",
            priority=65534,
            source_ranges=["0.0.0.0/0"],
            deny=[ComputeFirewallDeny(protocol="all")],
            log_config=ComputeFirewallLogConfig(metadata="INCLUDE_ALL_METADATA"),
        )
        router = ComputeRouter(self, "router", name=f"{name}-router", network=self.network.id, **regional)
        ComputeRouterNat(
            self,
            "nat",
            name=f"{name}-nat",
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetwork=[ComputeRouterNatSubnetwork(name=self.subnet.id, source_ip_ranges_to_nat=["ALL_IP_RANGES"])],
            enable_endpoint_independent_mapping=False,
            log_config=ComputeRouterNatLogConfig(enable=True, filter="ERRORS_ONLY"),
            **regional,
        )

    # --- registry ------------------------------------------------------------------------------

    def _registry(self) -> None:
        p = self.settings
        self.repository = ArtifactRegistryRepository(
            self,
            "registry",
            repository_id=p.registry.repository_id,
            **self.located,
            format="DOCKER",
            description="ToneBridge development images (spec §5.1)",
            docker_config=ArtifactRegistryRepositoryDockerConfig(immutable_tags=p.registry.immutable_tags),
            kms_key_name=self.keys["registry"].id,
            cleanup_policy_dry_run=False,
            cleanup_policies=[
                ArtifactRegistryRepositoryCleanupPolicies(
                    id="keep-recent",
                    action="KEEP",
                    most_recent_versions=ArtifactRegistryRepositoryCleanupPoliciesMostRecentVersions(
                        keep_count=p.registry.keep_recent
                    ),
                ),
                ArtifactRegistryRepositoryCleanupPolicies(
                    id="delete-untagged",
                    action="DELETE",
                    condition=ArtifactRegistryRepositoryCleanupPoliciesCondition(
                        tag_state="UNTAGGED", older_than=f"{p.registry.untagged_expiry_days * _DAY}s"
                    ),
                ),
                ArtifactRegistryRepositoryCleanupPolicies(
                    id="delete-old",
                    action="DELETE",
                    condition=ArtifactRegistryRepositoryCleanupPoliciesCondition(
                        tag_state="ANY", older_than=f"{p.registry.tagged_expiry_days * _DAY}s"
                    ),
                ),
            ],
            labels=self.labels,
            depends_on=[self._key_grants["registry"]],  # the agent must be able to use the key first
        )

    # --- cluster -------------------------------------------------------------------------------

    def _cluster(self) -> None:
        p = self.settings
        self.node_service_account = ServiceAccount(
            self,
            "nodes",
            account_id=f"{p.gke.name}-nodes"[:30],
            project=p.project_id,
            display_name=f"{p.gke.name}: GKE nodes (logs, metrics, pulls from {p.registry.repository_id})",
        )
        member = f"serviceAccount:{self.node_service_account.email}"
        ProjectIamMember(self, "nodes-role", project=p.project_id, role=NODE_ROLE, member=member)
        ArtifactRegistryRepositoryIamMember(
            self,
            "nodes-pull",
            **self.located,
            repository=self.repository.name,
            role="roles/artifactregistry.reader",
            member=member,
        )
        shielded = {"enable_secure_boot": True, "enable_integrity_monitoring": True}
        authorized = [str(p.network.subnet_cidr), *(str(c) for c in p.gke.master_authorized_cidrs)]
        #: Where GKE announces available upgrades, upgrades it starts and security bulletins (None when off).
        self.upgrade_topic: PubsubTopic | None = None
        if p.gke.maintenance.notifications:
            self.upgrade_topic = PubsubTopic(
                self,
                "upgrade-notifications",
                name=f"{p.gke.name}-upgrades",
                project=p.project_id,
                kms_key_name=self.keys["notifications"].id,
                message_retention_duration=f"{7 * _DAY}s",
                labels=self.labels,
                depends_on=[self._key_grants["notifications"]],
            )
        maintenance = p.gke.maintenance
        start, end, recurrence = maintenance.window_start, maintenance.window_end, maintenance.recurrence
        self.cluster = ContainerCluster(
            self,
            "cluster",
            name=p.gke.name,
            **self.located,
            network=self.network.id,
            subnetwork=self.subnet.id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=ContainerClusterIpAllocationPolicy(
                cluster_secondary_range_name="pods", services_secondary_range_name="services"
            ),
            private_cluster_config=ContainerClusterPrivateClusterConfig(
                enable_private_nodes=True,
                enable_private_endpoint=True,
                master_ipv4_cidr_block=str(p.network.master_cidr),
                master_global_access_config=ContainerClusterPrivateClusterConfigMasterGlobalAccessConfig(enabled=False),
            ),
            # The DNS endpoint answers from anywhere but admits only IAM-authorized callers; the IP endpoint
            # stays private (the subnet and master_authorized_cidrs).
            control_plane_endpoints_config=ContainerClusterControlPlaneEndpointsConfig(
                dns_endpoint_config=ContainerClusterControlPlaneEndpointsConfigDnsEndpointConfig(
                    allow_external_traffic=p.gke.dns_endpoint
                )
            ),
            master_authorized_networks_config=ContainerClusterMasterAuthorizedNetworksConfig(
                cidr_blocks=[
                    ContainerClusterMasterAuthorizedNetworksConfigCidrBlocks(cidr_block=c, display_name=f"allowed-{i}")
                    for i, c in enumerate(authorized)
                ]
            ),
            master_auth=ContainerClusterMasterAuth(
                client_certificate_config=ContainerClusterMasterAuthClientCertificateConfig(
                    issue_client_certificate=False
                )
            ),
            workload_identity_config=ContainerClusterWorkloadIdentityConfig(
                workload_pool=f"{p.project_id}.svc.id.goog"
            ),
            release_channel=ContainerClusterReleaseChannel(channel=p.gke.release_channel),
            # The channel upgrades control plane and nodes only inside these windows, never inside an exclusion.
            maintenance_policy=ContainerClusterMaintenancePolicy(
                recurring_window=ContainerClusterMaintenancePolicyRecurringWindow(
                    start_time=start, end_time=end, recurrence=recurrence
                ),
                maintenance_exclusion=[
                    ContainerClusterMaintenancePolicyMaintenanceExclusion(
                        exclusion_name=exclusion.name,
                        start_time=exclusion.start_time,
                        end_time=exclusion.end_time,
                        exclusion_options=ContainerClusterMaintenancePolicyMaintenanceExclusionExclusionOptions(
                            scope=exclusion.scope
                        ),
                    )
                    for exclusion in maintenance.exclusions
                ]
                or None,
            ),
            notification_config=(
                ContainerClusterNotificationConfig(
                    pubsub=ContainerClusterNotificationConfigPubsub(
                        enabled=True,
                        topic=self.upgrade_topic.id,
                        filter=ContainerClusterNotificationConfigPubsubFilter(
                            event_type=["UPGRADE_AVAILABLE_EVENT", "UPGRADE_EVENT", "SECURITY_BULLETIN_EVENT"]
                        ),
                    )
                )
                if self.upgrade_topic is not None
                else None
            ),
            datapath_provider="ADVANCED_DATAPATH",  # Dataplane V2: network policy enforced by eBPF
            enable_shielded_nodes=True,
            enable_intranode_visibility=True,
            enable_legacy_abac=False,
            database_encryption=ContainerClusterDatabaseEncryption(
                state="ENCRYPTED", key_name=self.keys["gke-secrets"].id
            ),
            binary_authorization=ContainerClusterBinaryAuthorization(
                evaluation_mode="PROJECT_SINGLETON_POLICY_ENFORCE"
            ),
            authenticator_groups_config=(
                ContainerClusterAuthenticatorGroupsConfig(security_group=p.gke.security_group)
                if p.gke.security_group
                else None
            ),
            deletion_protection=p.gke.deletion_protection,
            # The default pool is replaced by the managed one below; its node_config still applies
            # while it exists, so it is as hardened as the real pool.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=ContainerClusterNodeConfig(
                service_account=self.node_service_account.email,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                shielded_instance_config=ContainerClusterNodeConfigShieldedInstanceConfig(**shielded),
                workload_metadata_config=ContainerClusterNodeConfigWorkloadMetadataConfig(mode="GKE_METADATA"),
                image_type="COS_CONTAINERD",
                metadata={"disable-legacy-endpoints": "true"},
            ),
            resource_labels=self.labels,
            depends_on=[self._key_grants["gke-secrets"]],
        )
        self.node_pool = ContainerNodePool(
            self,
            "node-pool",
            name=p.gke.node_pool.name,
            **self.located,
            cluster=self.cluster.id,
            initial_node_count=p.gke.node_pool.min_nodes,
            autoscaling=ContainerNodePoolAutoscaling(
                min_node_count=p.gke.node_pool.min_nodes,
                max_node_count=p.gke.node_pool.max_nodes,
                location_policy="BALANCED",
            ),
            management=ContainerNodePoolManagement(auto_repair=True, auto_upgrade=True),
            node_config=ContainerNodePoolNodeConfig(
                machine_type=p.gke.node_pool.machine_type,
                disk_size_gb=p.gke.node_pool.disk_size_gb,
                disk_type=p.gke.node_pool.disk_type,
                image_type="COS_CONTAINERD",
                service_account=self.node_service_account.email,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                shielded_instance_config=ContainerNodePoolNodeConfigShieldedInstanceConfig(**shielded),
                workload_metadata_config=ContainerNodePoolNodeConfigWorkloadMetadataConfig(mode="GKE_METADATA"),
                metadata={"disable-legacy-endpoints": "true"},
                labels={"workload": "standby"},
                resource_labels=self.labels,
            ),
        )

    # --- backups bucket ------------------------------------------------------------------------

    def _private_bucket(self, id_: str, name: str, rules: list[StorageBucketLifecycleRule], **extra) -> StorageBucket:
        """A bucket in the region: uniform access, public access prevention enforced, labelled."""
        p = self.settings
        return StorageBucket(
            self,
            id_,
            name=name,
            project=p.project_id,
            location=p.region.upper(),
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            force_destroy=not p.backups.protect,
            lifecycle_rule=rules,
            labels=self.labels,
            **extra,
        )

    def _bucket(self) -> None:
        p = self.settings
        self.access_log_bucket = self._private_bucket(
            "access-logs",
            p.backups.access_log_bucket,
            [_rule("Delete", age=p.backups.access_log_retention_days), _rule("Delete", days_since_noncurrent_time=30)],
            versioning=StorageBucketVersioning(enabled=True),
        )
        self.bucket = self._private_bucket(
            "backups",
            p.backups.bucket,
            [
                _rule(
                    "SetStorageClass", "NEARLINE", age=p.backups.nearline_after_days, matches_storage_class=["STANDARD"]
                ),
                _rule(
                    "SetStorageClass", "COLDLINE", age=p.backups.coldline_after_days, matches_storage_class=["NEARLINE"]
                ),
                _rule("Delete", age=p.backups.delete_after_days),
                *(
                    _rule("Delete", age=days, matches_prefix=[f"{prefix.strip('/')}/"])
                    for prefix, days in sorted(self.expiring_prefixes.items())
                ),
                _rule("AbortIncompleteMultipartUpload", age=1, with_state="ANY"),
            ],
            encryption=StorageBucketEncryption(default_kms_key_name=self.keys["backups"].id),
            retention_policy=StorageBucketRetentionPolicy(
                retention_period=p.backups.retention_days * _DAY, is_locked=p.backups.lock_retention
            ),
            versioning=StorageBucketVersioning(enabled=False),
            soft_delete_policy=StorageBucketSoftDeletePolicy(
                retention_duration_seconds=p.backups.soft_delete_days * _DAY
            ),
            logging=StorageBucketLogging(log_bucket=self.access_log_bucket.name, log_object_prefix=p.backups.bucket),
            lifecycle=TerraformResourceLifecycle(prevent_destroy=p.backups.protect),
            depends_on=[self._key_grants["backups"]],
        )


def _rule(action: str, storage_class: str | None = None, **condition) -> StorageBucketLifecycleRule:
    return StorageBucketLifecycleRule(
        condition=StorageBucketLifecycleRuleCondition(**condition),
        action=StorageBucketLifecycleRuleAction(type=action, storage_class=storage_class),
    )
