"""HashiCorp Vault in HA mode with integrated storage (spec §8.2), reachable only inside the cluster.

* Raft storage on ``replicas`` pods, one per availability zone, volumes on the fast StorageClass,
  a PodDisruptionBudget that keeps a quorum.
* TLS on the listener (``tls_disable = false``) with a certificate from the cluster's private CA;
  the CA reaches consumers as a ``ca.crt`` in a certificate secret of their own namespace.
* Auto-unseal with ``seal "awskms"``: a KMS key and an IRSA role from the infrastructure stack.
* ``disable_mlock = true`` as recommended for integrated storage, so no IPC_LOCK capability and the
  namespace stays ``restricted``.
* No injector (the CSI provider and the Vault Secrets Operator deliver secrets, without a mutating
  webhook in every pod's admission path), no UI, no Ingress.
* Vault's own configuration (auth method, role, policy, KV mount) cannot be planned without a
  Vault provider: it ships as a reviewed, idempotent script and policy in a ConfigMap mounted into
  the pods (docs/security.md, "Vault bootstrap").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from constructs import Construct

from tonebridge.charts import VAULT
from tonebridge.constructs.cert_manager import CERT_MANAGER_API, issuer_ref
from tonebridge.constructs.flow_declarations import declare_flows, declared_flows
from tonebridge.constructs.flow_policies import FlowIsolation
from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps, CustomResources, Dependencies, kube_object
from tonebridge.constructs.namespace import Namespace, NamespaceProps
from tonebridge.constructs.pod_defaults import disruption_budget, restricted_container_context, restricted_pod_context
from tonebridge.flows import Endpoint, Flow
from tonebridge.props.secrets import ApplicationSecretsSettings
from tonebridge.props.vault import VaultRole, VaultServerSettings

#: uid/gid of the vault user in the official image (the chart's defaults).
VAULT_UID, VAULT_GID = 100, 1000
PORT = 8200


def _role_lines(role: VaultRole, *, audience: str, auth_mount: str) -> list[str]:
    policy = role.policy_name
    return [
        f"vault policy write {policy} /vault/userconfig/vault-bootstrap/{policy}.hcl",
        f"vault write auth/{auth_mount}/role/{role.role} bound_service_account_names={role.service_account} "
        f"bound_service_account_namespaces={role.namespace} audience={audience} token_policies={policy} "
        "token_ttl=1h token_max_ttl=4h",
    ]


def bootstrap_script(roles: Sequence[VaultRole], *, audience: str, auth_mount: str) -> str:
    """Idempotent configuration of a freshly initialised Vault: every step checks first or overwrites.

    Run inside a Vault pod with an operator's token (the root token from ``vault operator init``,
    revoked afterwards): ``kubectl -n vault exec -ti vault-0 -- sh
    /vault/userconfig/vault-bootstrap/bootstrap.sh``.

    ``roles``: the application's role first, then every granted role, all on the same auth mount and
    audience, each with its ``<role>-read`` policy.
    """
    lines = [line for role in roles for line in _role_lines(role, audience=audience, auth_mount=auth_mount)]
    return "\n".join(
        [
            "#!/bin/sh",
            "# Vault bootstrap for ToneBridge (spec §8.2). Safe to run again: each step checks or overwrites.",
            "set -eu",
            'if [ -z "$VAULT_TOKEN" ]; then echo "export VAULT_TOKEN (an operator token) first" >&2; exit 1; fi',
            "vault secrets list -format=json | grep -q '\"secret/\"' || "
            "vault secrets enable -path=secret -version=2 kv",
            f"vault auth list -format=json | grep -q '\"{auth_mount}/\"' || "
            f"vault auth enable -path={auth_mount} kubernetes",
            f'vault write auth/{auth_mount}/config kubernetes_host="https://$KUBERNETES_SERVICE_HOST:'
            '$KUBERNETES_SERVICE_PORT"',
            *lines,
            "vault audit list -format=json | grep -q '\"file/\"' || "
            "vault audit enable file file_path=/vault/audit/vault_audit.log",
            "",
        ]
    )


@dataclass(frozen=True)
class VaultProps:
    """:param kubernetes_version: the cluster's ``1.NN``.
    :param region: AWS region of the unseal key.
    :param unseal_key_arn, unseal_role_arn: from :class:`~tonebridge.constructs.vault_aws.VaultUnseal`.
    :param ca_issuer: ClusterIssuer that signs the server certificate and the CA bundles.
    :param settings: the configured server (:class:`~tonebridge.props.vault.VaultServerSettings`): raft
        voters (odd), volume sizes and their StorageClass (created elsewhere in the stack), zone or node
        anti-affinity, placement, resources and the service account the unseal role trusts.
    :param ca_bundle_namespaces: namespaces that get a ``vault-ca`` secret (its ``ca.crt``) to trust Vault.
    :param application: the application's settings (``platform.<region>.secrets.application``): its role is
        the first the bootstrap configures (other features' roles are granted with :meth:`Vault.grant`), and
        its auth mount and token audience are the ones every role uses.
    """

    kubernetes_version: str
    region: str
    unseal_key_arn: str
    unseal_role_arn: str
    ca_issuer: str
    application: ApplicationSecretsSettings
    namespace: str = "vault"
    release_name: str = "vault"
    settings: VaultServerSettings = field(default_factory=VaultServerSettings)
    tolerations: Sequence[Mapping[str, str]] = ()
    ca_bundle_namespaces: Sequence[str] = ()
    ca_bundle_secret: str = "vault-ca"  # noqa: S105 - a secret's name
    #: Who calls Vault's API (namespace, pod labels): the CSI provider and the Secrets Operator.
    clients: Sequence[tuple[str, Mapping[str, str]]] = (
        ("kube-system", {"app.kubernetes.io/name": "vault-csi-provider"}),
        ("vault-secrets-operator-system", {"control-plane": "controller-manager"}),
    )

    def __post_init__(self) -> None:
        # Replicas, volume sizes, the StorageClass and the resources are the settings' own rules.
        if not self.ca_issuer:
            raise ValueError("ca_issuer is required: Vault never serves plain HTTP")


class Vault(Construct):
    """Attributes: ``address`` (https URL of the service), ``ca_bundle_secret``, ``release``,
    ``certificates`` (release of the TLS certificates, for ``depends_on``), ``namespace``, ``policy`` (the
    application's), ``policies`` (every bootstrap policy by name).

    Roles other than the application's are granted with :meth:`grant` (typed :class:`VaultRole` values).
    """

    def __init__(self, scope: Construct, id_: str, props: VaultProps, *, depends_on: Dependencies = ()) -> None:
        super().__init__(scope, id_)
        ns, name = props.namespace, props.release_name
        self.address = f"https://{name}.{ns}.svc:{PORT}"
        self.ca_bundle_secret = props.ca_bundle_secret
        self.namespace_name = ns
        self.namespace = Namespace(
            self, "namespace", NamespaceProps(name=ns, kubernetes_version=props.kubernetes_version)
        )
        # Default deny in vault; exactly the declared flows are admitted (and proved by the fit check).
        self.isolation = FlowIsolation(self, "isolation", ns, vault_flows(props), depends_on=[self.namespace.manifest])
        self._server = server_endpoint(props)
        tls_secret = f"{name}-server-tls"
        self.certificates = CustomResources(
            self,
            "certificates",
            release_name=f"{name}-certificates",
            namespace=ns,
            objects=[_server_certificate(props, tls_secret), *_ca_bundles(props)],
            depends_on=[self.namespace.manifest, *depends_on],
        ).release
        app = props.application.vault_role()
        self.policy_name = app.policy_name
        self.policy = app.policy()
        self._roles: list[VaultRole] = [app]
        self._auth = {"audience": props.application.audience, "auth_mount": props.application.auth_mount}
        self._bootstrap_name = f"{name}-bootstrap"
        self._bootstrap = kube_object(self, self._bootstrap_config_map(), depends_on=[self.namespace.manifest])
        self.release = ChartRelease(
            self,
            "chart",
            ChartReleaseProps(
                release_name=name,
                chart=VAULT,
                namespace=ns,
                values=_values(props, tls_secret),
                # Pods report ready only once Vault is initialised (docs/security.md, "Vault bootstrap").
                wait=False,
            ),
            depends_on=[self.certificates, self._bootstrap],
        ).release

    @property
    def policies(self) -> dict[str, str]:
        """Every policy of the bootstrap by name (``<role>-read``): the application's and the granted roles'."""
        return {role.policy_name: role.policy() for role in self._roles}

    def grant(self, role: VaultRole) -> None:
        """Let ``role`` log in and read its paths: its policy and role join the bootstrap ConfigMap, after
        the roles granted before it. A feature built after Vault grants too: the ConfigMap's object is
        written again on each grant (one value, so the synthesized configuration never depends on when
        a role was granted, only on the order of the grants).

        A role whose paths issue database logins (``database_cidrs``) also opens Vault's egress to those
        databases: the database secrets engine connects from the server pods to check its connection and to
        create each login."""
        if role.role in {granted.role for granted in self._roles}:
            raise ValueError(f"Vault role {role.role} is granted twice: bootstrap roles must be distinct")
        self._roles.append(role)
        self._bootstrap.manifest = self._bootstrap_config_map()
        engine = database_flows(self._server, role)
        self.isolation.admit(engine)
        declare_flows(self, [f for f in engine if f not in declared_flows(self)])

    def _bootstrap_config_map(self) -> dict:
        """The reviewed policies and the idempotent bootstrap script, mounted into the Vault pods."""
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": self._bootstrap_name, "namespace": self.namespace_name},
            "data": {
                **{f"{name}.hcl": hcl for name, hcl in self.policies.items()},
                "bootstrap.sh": bootstrap_script(self._roles, **self._auth),
            },
        }


def _dns_names(props: VaultProps) -> list[str]:
    ns, name = props.namespace, props.release_name
    names = []
    for service in (name, f"{name}-active"):
        names += [service, f"{service}.{ns}", f"{service}.{ns}.svc", f"{service}.{ns}.svc.cluster.local"]
    internal = f"{name}-internal"
    names += [f"*.{internal}", f"*.{internal}.{ns}.svc", f"*.{internal}.{ns}.svc.cluster.local"]
    return names


def _server_certificate(props: VaultProps, secret: str) -> dict:
    return {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Certificate",
        "metadata": {"name": secret, "namespace": props.namespace},
        "spec": {
            "secretName": secret,
            "commonName": f"{props.release_name}.{props.namespace}.svc",
            "dnsNames": _dns_names(props),
            "ipAddresses": ["127.0.0.1"],
            "duration": "2160h",
            "renewBefore": "360h",
            "usages": ["server auth", "digital signature", "key encipherment"],
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "issuerRef": issuer_ref(props.ca_issuer),
        },
    }


def _ca_bundles(props: VaultProps) -> list[dict]:
    """A short-lived client certificate per consumer namespace: only its ``ca.crt`` is used."""
    return [
        {
            "apiVersion": CERT_MANAGER_API,
            "kind": "Certificate",
            "metadata": {"name": props.ca_bundle_secret, "namespace": namespace},
            "spec": {
                "secretName": props.ca_bundle_secret,
                "commonName": f"{props.ca_bundle_secret}.{namespace}",
                "duration": "2160h",
                "usages": ["client auth"],
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                "issuerRef": issuer_ref(props.ca_issuer),
            },
        }
        for namespace in dict.fromkeys(props.ca_bundle_namespaces)
    ]


def server_config(props: VaultProps, tls_dir: str) -> str:
    """The server's HCL: TLS listener, raft with TLS joins to every peer, KMS seal, no mlock."""
    name = props.release_name
    joins = "".join(
        f'  retry_join {{\n    leader_api_addr = "https://{name}-{i}.{name}-internal:{PORT}"\n'
        f'    leader_ca_cert_file = "{tls_dir}/ca.crt"\n  }}\n'
        for i in range(props.settings.replicas)
    )
    return (
        "ui = false\n"
        "disable_mlock = true\n"
        'listener "tcp" {\n'
        "  tls_disable = false\n"
        f'  address = "[::]:{PORT}"\n'
        '  cluster_address = "[::]:8201"\n'
        f'  tls_cert_file = "{tls_dir}/tls.crt"\n'
        f'  tls_key_file = "{tls_dir}/tls.key"\n'
        '  tls_min_version = "tls12"\n'
        "}\n"
        'storage "raft" {\n'
        '  path = "/vault/data"\n'
        f"{joins}"
        "}\n"
        'seal "awskms" {\n'
        f'  region = "{props.region}"\n'
        f'  kms_key_id = "{props.unseal_key_arn}"\n'
        "}\n"
        'service_registration "kubernetes" {}\n'
    )


#: Raft's cluster port (request forwarding and replication between servers).
CLUSTER_PORT = 8201


def server_endpoint(props: VaultProps) -> Endpoint:
    """The Vault server pods (the chart's labels)."""
    labels = {
        "app.kubernetes.io/name": "vault",
        "app.kubernetes.io/instance": props.release_name,
        "component": "server",
    }
    return Endpoint("vault", namespace=props.namespace, pod_labels=labels)


def database_flows(server: Endpoint, role: VaultRole) -> list[Flow]:
    """The database secrets engine's connections for ``role``: to each of its ``database_cidrs``. The purpose
    names no role, so two roles of one database share the flows (and the policy)."""
    return [
        Flow(
            server,
            Endpoint("database", cidr=cidr),
            role.database_port,
            "database secrets engine: checks its connection, creates and revokes logins",
        )
        for cidr in role.database_cidrs
    ]


def vault_flows(props: VaultProps) -> list[Flow]:
    """Servers join and replicate (8200, 8201); the CSI provider and the Secrets Operator call the API
    (8200); servers reach HTTPS (KMS for auto-unseal, STS for IRSA, the Kubernetes API for token reviews).
    The database secrets engine's egress comes with the roles that issue database logins (:meth:`Vault.grant`)."""
    server = server_endpoint(props)
    flows = [
        Flow(server, server, PORT, "raft join and leader API"),
        Flow(server, server, CLUSTER_PORT, "raft replication and request forwarding"),
        Flow(server, Endpoint("https anywhere", cidr="0.0.0.0/0"), 443, "KMS unseal, STS, token reviews"),
    ]
    flows += [
        Flow(
            Endpoint(f"{namespace} vault clients", namespace=namespace, pod_labels=dict(pods)),
            server,
            PORT,
            "Vault API",
        )
        for namespace, pods in props.clients
    ]
    return flows


def _affinity(props: VaultProps) -> dict:
    topology = "topology.kubernetes.io/zone" if props.settings.zone_anti_affinity else "kubernetes.io/hostname"
    selector = {
        "matchLabels": {
            "app.kubernetes.io/name": "vault",
            "app.kubernetes.io/instance": props.release_name,
            "component": "server",
        }
    }
    return {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": selector, "topologyKey": topology}]
        }
    }


def _values(props: VaultProps, tls_secret: str) -> dict:
    tls_dir = f"/vault/userconfig/{tls_secret}"
    storage = {"enabled": True, "storageClass": props.settings.storage_class, "accessMode": "ReadWriteOnce"}
    return {
        # Every component is switched on or off by name below, so ``global.enabled`` is read by
        # nothing; nor are ``server.route`` (OpenShift only) or ``server.standalone`` (HA is on).
        "global": {"tlsDisable": False},
        "injector": {"enabled": False},
        "csi": {"enabled": False},
        "ui": {"enabled": False},
        "server": {
            "enabled": True,
            "ingress": {"enabled": False},
            "resources": props.settings.resources.manifest(),
            "nodeSelector": dict(props.settings.node_selector),
            "tolerations": [dict(t) for t in props.tolerations],
            "affinity": _affinity(props),
            "extraEnvironmentVars": {"VAULT_CACERT": f"{tls_dir}/ca.crt", "AWS_REGION": props.region},
            "extraVolumes": [
                {"type": "secret", "name": tls_secret},
                {"type": "configMap", "name": f"{props.release_name}-bootstrap"},
            ],
            # The chart's entrypoint renders the configuration into /tmp; the root filesystem stays read-only.
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - an emptyDir
            "dataStorage": {**storage, "size": props.settings.data_storage},
            "auditStorage": {**storage, "size": props.settings.audit_storage},
            "ha": {
                "enabled": True,
                "replicas": props.settings.replicas,
                "raft": {"enabled": True, "setNodeId": True, "config": server_config(props, tls_dir)},
                "disruptionBudget": disruption_budget(props.settings.replicas, maxUnavailable=1),
            },
            "serviceAccount": {
                "create": True,
                "name": props.settings.service_account,
                "annotations": {"eks.amazonaws.com/role-arn": props.unseal_role_arn},
            },
            "statefulSet": {
                "securityContext": {
                    "pod": restricted_pod_context(VAULT_UID, VAULT_GID),
                    "container": restricted_container_context(),
                }
            },
        },
    }
