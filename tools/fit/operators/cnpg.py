"""The pods, Job and claims CloudNativePG (operator 1.30) makes from a Cluster (postgresql.cnpg.io/v1).

Source: cloudnative-pg ``pkg/specs/pods.go`` (PodWithExistingStorage, CreateClusterPodSpec,
createPostgresContainers, CreateAffinitySection, CreatePodSecurityContext), ``pkg/specs/containers.go``
(createBootstrapContainer, CreateContainerSecurityContext) and ``pkg/specs/jobs.go`` (createPrimaryJob), as
the index holds them; fields checked against the 1.30 CRD in chart cloudnative-pg 0.29.0.

No StatefulSet: the operator creates instance pods ``<name>-1`` … ``<name>-N`` itself (kind Pod), the first
after the bootstrap Job ``<name>-1-initdb``. Every pod has the ``bootstrap-controller`` init container
(operator image; the cluster's ``resources``) and the ``postgres`` container (ports 5432 ``postgresql``, 9187
``metrics``, 8000 ``status``), both with ``securityContext`` or else the operator's (drop ALL, not privileged,
non-root, read-only root, no escalation, the cluster's seccomp profile); the pod runs as ``postgresUID`` /
``postgresGID`` (26) with ``fsGroup`` the same, unless ``podSecurityContext`` is set. Pod labels
``cnpg.io/cluster``, ``cnpg.io/instanceName``, ``cnpg.io/podRole: instance``; ``cnpg.io/instanceRole`` (and the
older ``role``) ``primary`` on instance 1 and ``replica`` on the others, as the operator labels them once they
run. The Job's pod has ``cnpg.io/jobRole: initdb``. Claims per instance: PGDATA (``storage``), WAL
(``walStorage``) and one per tablespace. The newest source also writes ``app.kubernetes.io/*`` labels; whether
1.30 does was not verified, so they are left out.
"""

from __future__ import annotations

from typing import Any

from tools.fit.model import Claim, Workload
from tools.fit.operators.common import origin, present

#: pkg/specs/pods.go: the postgres container's ports (postgres.ServerPort, url.PostgresMetricsPort, url.StatusPort).
PORTS = (("postgresql", 5432), ("metrics", 9187), ("status", 8000))
#: api/v1: the default postgresUID / postgresGID of the postgres images.
POSTGRES_ID = 26


def _container_security(spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("securityContext"):
        return spec["securityContext"]
    return {
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "seccompProfile": spec.get("seccompProfile") or {"type": "RuntimeDefault"},
    }


def _pod_security(spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("podSecurityContext"):
        return spec["podSecurityContext"]
    uid, gid = spec.get("postgresUID", POSTGRES_ID), spec.get("postgresGID", POSTGRES_ID)
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid,
        "fsGroup": gid,
        "seccompProfile": spec.get("seccompProfile") or {"type": "RuntimeDefault"},
    }


def _affinity(name: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """CreateAffinitySection: the generated anti-affinity (``preferred`` unless ``required``) plus the user's."""
    affinity: dict[str, Any] = {}
    if config.get("enablePodAntiAffinity", True) is not False:
        term = {
            "labelSelector": {
                "matchExpressions": [
                    {"key": "cnpg.io/cluster", "operator": "In", "values": [name]},
                    {"key": "cnpg.io/podRole", "operator": "In", "values": ["instance"]},
                ]
            },
            "topologyKey": config.get("topologyKey") or "kubernetes.io/hostname",
        }
        if config.get("podAntiAffinityType") == "required":
            affinity["podAntiAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
        else:
            weighted = {"weight": 100, "podAffinityTerm": term}
            affinity["podAntiAffinity"] = {"preferredDuringSchedulingIgnoredDuringExecution": [weighted]}
    if config.get("additionalPodAffinity"):
        affinity["podAffinity"] = config["additionalPodAffinity"]
    if config.get("additionalPodAntiAffinity"):
        anti = affinity.setdefault("podAntiAffinity", {})
        for key, terms in config["additionalPodAntiAffinity"].items():
            anti[key] = [*anti.get(key, []), *terms]
    if config.get("nodeAffinity"):
        affinity["nodeAffinity"] = config["nodeAffinity"]
    return affinity or None


def _pod_spec(cr: dict[str, Any], main: dict[str, Any]) -> dict[str, Any]:
    spec = cr["spec"]
    config = spec.get("affinity") or {}
    bootstrap = present(
        name="bootstrap-controller",
        command=["/manager", "bootstrap", "/controller/manager"],
        resources=spec.get("resources"),
        securityContext=_container_security(spec),
    )
    return present(
        initContainers=[bootstrap],
        containers=[main],
        securityContext=_pod_security(spec),
        affinity=_affinity(cr["metadata"]["name"], config),
        tolerations=config.get("tolerations"),
        nodeSelector=config.get("nodeSelector"),
        topologySpreadConstraints=spec.get("topologySpreadConstraints"),
        serviceAccountName=cr["metadata"]["name"],
        priorityClassName=spec.get("priorityClassName"),
    )


def _storage_claim(storage: dict[str, Any], namespace: str, name: str, origin_: str) -> Claim:
    """A claim from a StorageConfiguration: ``size`` / ``storageClass`` over its ``pvcTemplate``."""
    template = storage.get("pvcTemplate") or {}
    size = storage.get("size") or ((template.get("resources") or {}).get("requests") or {}).get("storage", "")
    return Claim(
        namespace=namespace,
        name=name,
        size=str(size),
        storage_class=storage.get("storageClass") or template.get("storageClassName"),
        access_modes=tuple(template.get("accessModes") or ("ReadWriteOnce",)),
        origin=origin_,
    )


def _claim_templates(cr: dict[str, Any]) -> tuple[Claim, ...]:
    spec, namespace, from_ = cr["spec"], cr["metadata"].get("namespace", "default"), origin(cr)
    # pkg/specs/pvcs.go: the instance's own name, ``-wal`` and ``-tbs-<tablespace>`` after it.
    claims = [_storage_claim(spec.get("storage") or {}, namespace, "{pod}", from_)]
    if spec.get("walStorage"):
        claims.append(_storage_claim(spec["walStorage"], namespace, "{pod}-wal", from_))
    claims.extend(
        _storage_claim(t.get("storage") or {}, namespace, f"{{pod}}-tbs-{t['name']}", from_)
        for t in spec.get("tablespaces") or []
    )
    return tuple(claims)


def cnpg_cluster(cr: dict[str, Any]) -> list[Workload]:
    """The initdb Job and the instance pods of one Cluster."""
    spec, name = cr["spec"], cr["metadata"]["name"]
    namespace, inherited = cr["metadata"].get("namespace", "default"), (spec.get("inheritedMetadata") or {})
    base = {**(inherited.get("labels") or {}), "cnpg.io/cluster": name}
    workloads = []
    bootstrap = spec.get("bootstrap") or {"initdb": {}}
    if "initdb" in bootstrap:
        initdb = present(
            name="initdb",
            image=spec.get("imageName"),
            resources=spec.get("resources"),
            securityContext=_container_security(spec),
        )
        labels = {**base, "cnpg.io/instanceName": f"{name}-1", "cnpg.io/jobRole": "initdb"}
        workloads.append(
            Workload(
                kind="Job",
                namespace=namespace,
                name=f"{name}-1-initdb",
                template={"metadata": {"labels": labels}, "spec": _pod_spec(cr, initdb)},
                # It runs to completion before the operator creates the first instance, never beside the
                # instances: admitted and placed like them, but no pod of it counts against quotas or pools.
                replicas=0,
                origin=origin(cr),
            )
        )
    postgres = present(
        name="postgres",
        image=spec.get("imageName"),
        command=["/controller/manager", "instance", "run"],
        resources=spec.get("resources"),
        ports=[{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in PORTS],
        securityContext=_container_security(spec),
    )
    for serial in range(1, int(spec.get("instances", 1)) + 1):
        pod = f"{name}-{serial}"
        role = "primary" if serial == 1 else "replica"
        labels = {
            **base,
            "cnpg.io/instanceName": pod,
            "cnpg.io/podRole": "instance",
            "cnpg.io/instanceRole": role,
            "role": role,
        }
        workloads.append(
            Workload(
                kind="Pod",
                namespace=namespace,
                name=pod,
                template={"metadata": {"labels": labels}, "spec": _pod_spec(cr, postgres)},
                claim_templates=_claim_templates(cr),
                origin=origin(cr),
            )
        )
    return workloads
