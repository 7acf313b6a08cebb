"""The cluster foundation of a platform stack (spec §3.2, §8.1, §8.3, §12.2): the cluster providers, the
application namespaces with their pod security, quotas, limit ranges and default-deny isolation, the
admission rules namespaces opt into, and the StorageClasses.

:func:`add_foundation` builds it from the namespaces' and storage's settings
(:mod:`tonebridge.props.namespaces`) and returns :class:`Foundation`, which later features use for
their ``depends_on``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cdktf import Fn
from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider, KubernetesProviderExec
from constructs import Construct

from tonebridge.constructs.crd_upgrade import CrdTarget
from tonebridge.constructs.image_digest import ImageDigest, ImageDigestProps
from tonebridge.constructs.namespace import Namespace, NamespaceProps
from tonebridge.constructs.network_policies import ISTIOD, NetworkIsolation, NetworkIsolationProps, ServiceTraffic
from tonebridge.constructs.read_only_root import ReadOnlyRoot
from tonebridge.constructs.resource_limits import ResourceLimits, ResourceLimitsProps
from tonebridge.constructs.storage_classes import StorageClasses, StorageClassesProps
from tonebridge.props.cluster import ClusterSettings
from tonebridge.props.namespaces import NamespaceSettings, StorageSettings

if TYPE_CHECKING:
    from tonebridge.constructs.cluster import TonebridgeCluster
    from tonebridge.constructs.vpc import TonebridgeVpc

#: The client authentication API `aws eks get-token` answers with.
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


@dataclass(frozen=True)
class ClusterWiring:
    """A region's cluster as the in-cluster features need it: its settings (name, version, Karpenter's
    namespace and service account), what the infrastructure stack made for it (the cluster construct: its
    endpoint, roles, keys, Karpenter's queue; the VPC: subnets), the pods per node, and the tags of what
    the cluster's controllers launch."""

    region: str
    settings: ClusterSettings
    cluster: TonebridgeCluster
    vpc: TonebridgeVpc
    max_pods_per_node: int
    tags: Mapping[str, str]

    @property
    def crd_target(self) -> CrdTarget:
        """Where the CRD steps of charts whose CRDs Helm never upgrades apply them."""
        return CrdTarget(self.settings.name, self.region)


def get_token_args(cluster_name: str, region: str) -> list[str]:
    """Arguments of ``aws eks get-token`` for one cluster (the AWS CLI must be on the operator's PATH)."""
    return ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]


def add_cluster_providers(scope: Construct, wiring: ClusterWiring) -> None:
    """The kubernetes and helm providers of one cluster, from the infrastructure stack's outputs (cross-stack
    references); they authenticate with ``aws eks get-token`` each time Terraform runs, so no cluster token
    is ever written to state or plan."""
    cluster = wiring.cluster
    endpoint = cluster.endpoint
    ca_certificate = Fn.base64decode(cluster.certificate_authority_data)
    args = get_token_args(cluster.name, wiring.region)
    KubernetesProvider(
        scope,
        "kubernetes",
        host=endpoint,
        cluster_ca_certificate=ca_certificate,
        exec=[KubernetesProviderExec(api_version=EXEC_API_VERSION, command="aws", args=args)],
    )
    HelmProvider(
        scope,
        "helm",
        kubernetes=HelmProviderKubernetes(
            host=endpoint,
            cluster_ca_certificate=ca_certificate,
            exec=HelmProviderKubernetesExec(api_version=EXEC_API_VERSION, command="aws", args=args),
        ),
    )


@dataclass(frozen=True)
class Placement:
    """Where a group of controllers runs: a node selector and the tolerations of its pool (chart values' form)."""

    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, str]] = field(default_factory=list)

    def props(self) -> dict:
        """The ``node_selector`` and ``tolerations`` keywords every controller's props take."""
        return {"node_selector": self.node_selector, "tolerations": self.tolerations}


@dataclass(frozen=True)
class Foundation:
    """The namespaces (spec §3.2) and StorageClasses the stack creates, for other steps' ``depends_on``;
    the §8.3 read-only-root rule and the image digest rule (None where no namespace asks for them)."""

    namespaces: Mapping[str, Namespace]
    storage_classes: StorageClasses
    read_only_root: ReadOnlyRoot | None = None
    image_digest: ImageDigest | None = None

    def namespace_objects(self, names: Iterable[str]) -> list:
        """The namespace objects of ``names`` this stack creates (others exist already or come with a chart)."""
        return [self.namespaces[name].manifest for name in names if name in self.namespaces]

    def storage_class_objects(self, names: Iterable[str]) -> list:
        """The StorageClass objects of ``names`` this stack creates, for ``depends_on`` of volume claims."""
        classes = self.storage_classes.classes
        return [classes[name] for name in names if name in classes]


def add_foundation(
    scope: Construct,
    namespaces: Mapping[str, NamespaceSettings],
    storage: StorageSettings,
    wiring: ClusterWiring,
    *,
    digest_allowed_by_tag: Iterable[str] = (),
) -> Foundation:
    """Namespaces, their limits and isolation, the admission rules, the StorageClasses.

    Pod Security Admission replaces the spec's PodSecurityPolicy (§8.3): production and staging are
    ``restricted`` (a config rule allows nothing else). ``monitoring`` stays ``restricted`` too: Prometheus,
    Alertmanager and Grafana run as non-root without host access; node-exporter, which needs hostNetwork,
    hostPID and host paths, gets a namespace of its own with a privileged level and its reason, so that
    exception never covers the rest of the monitoring stack. Pod Security Admission has no read-only-root
    rule; namespaces with ``read_only_root_filesystem`` (the default) get it from one
    ValidatingAdmissionPolicy. ``digest_allowed_by_tag``: the images the digest rule admits by tag (the
    platform's own, for which upstream publishes no digest)."""
    read_only = (
        ReadOnlyRoot(scope, "read-only-root") if any(n.read_only_root_filesystem for n in namespaces.values()) else None
    )
    digest = None
    if any(ns.require_image_digest for ns in namespaces.values()):
        digest = ImageDigest(scope, "image-digest", ImageDigestProps(allowed_by_tag=tuple(digest_allowed_by_tag)))
    created: dict[str, Namespace] = {}
    for name, ns in namespaces.items():
        labels = ns.namespace_labels()
        if ns.read_only_root_filesystem:
            labels |= ReadOnlyRoot.namespace_labels
        if ns.require_image_digest:
            labels |= ImageDigest.namespace_labels
        props = NamespaceProps.of(name, ns, wiring.settings.version, labels)
        created[name] = Namespace(scope, f"namespace-{name}", props)
    for name, ns in namespaces.items():
        _resource_limits(scope, name, ns, created[name])
    for name, ns in namespaces.items():
        _network_isolation(scope, name, ns, created[name])
    # Volumes encrypted with the cluster's volume key (the EBS CSI driver's role has a grant on it).
    classes = StorageClasses(
        scope, "storage-classes", StorageClassesProps(wiring.cluster.volumes_key_arn, storage.fast_ssd)
    )
    return Foundation(created, classes, read_only, digest)


def _resource_limits(scope: Construct, name: str, ns: NamespaceSettings, namespace: Namespace) -> None:
    """ResourceQuota (§3.2 and §12.2 merged: one quota with all five limits) and LimitRange (§12.2)."""
    if ns.quota or ns.limit_range:
        props = ResourceLimitsProps.of(name, ns.quota, ns.limit_range)
        ResourceLimits(scope, f"resource-limits-{name}", props, depends_on=[namespace.manifest])


def _network_isolation(scope: Construct, name: str, ns: NamespaceSettings, namespace: Namespace) -> None:
    """Default deny plus the §8.1 service graph; istiod reachable where sidecars are injected."""
    if not ns.network_isolation:
        return
    services = [
        ServiceTraffic(service, **traffic.model_dump()) for service, traffic in ns.network_isolation.services.items()
    ]
    NetworkIsolation(
        scope,
        f"network-isolation-{name}",
        NetworkIsolationProps(namespace=name, services=services, mesh_control_plane=ISTIOD if ns.meshed else None),
        depends_on=[namespace.manifest],
    )
