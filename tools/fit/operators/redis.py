"""The StatefulSets the OT redis-operator (v0.26) makes from a RedisCluster (redis.redis.opstreelabs.in/v1beta2).

Source: OT-CONTAINER-KIT/redis-operator ``internal/k8sutils/statefulset.go`` (generateStatefulSetsDef,
generateContainerDef, generateInitContainerDef, getVolumeMount, enableRedisMonitoring) and
``internal/k8sutils/redis-cluster.go`` (CreateRedisClusterSetup, generateRedisClusterParams). The index holds a
version after v0.26.0; every field read here exists in the v0.26.1 chart's CRD, and the
``GenerateConfigInInitContainer`` feature gate is in that chart's values (off by default).

Per role (``leader``, ``follower``) one StatefulSet ``<name>-<role>``: replicas ``redis<Role>.replicas`` or
``clusterSize``; pod labels ``app: <name>-<role>``, ``redis_setup_type: cluster``, ``role: <role>`` over the CR's
labels. Containers: the redis container named like the StatefulSet, with exactly the role's ``securityContext``
(the operator adds nothing to it) and the role's, else ``kubernetesConfig``'s, resources; no container port
unless ``hostPort`` is set (the Services target 6379 and 16379 by number); the ``redis-exporter`` sidecar
(port 9121) with ``redisExporter.securityContext``; ``sidecars`` as written. Claims per pod: ``node-conf``
(``storage.nodeConfVolumeClaimTemplate``) whenever ``storage.nodeConfVolume`` is true, and one named like the
StatefulSet (``storage.volumeClaimTemplate``) when ``persistenceEnabled`` is true.

Writable paths of the redis image (OT-CONTAINER-KIT/redis ``entrypoint.sh``, the default command): it appends
to ``/etc/redis/redis.conf`` (image root), ``mkdir -p /data /node-conf``, ``sed -i`` ``/node-conf/nodes.conf``;
redis itself writes ``/data`` (RDB/AOF) and ``/node-conf/nodes.conf``. With ``GenerateConfigInInitContainer``
the operator adds an emptyDir ``config`` at ``/etc/redis`` and an ``init-config`` init container
(operator image, ``/operator agent bootstrap``) that writes ``redis.conf`` there; the redis container then runs
``redis-server /etc/redis/redis.conf`` without the entrypoint. That init container takes
``spec.initContainer.securityContext`` (none unless set) and the redis container's resources.
``storage.volumeMount`` (``volume`` + ``mountPath``) adds volumes to the redis, exporter and custom init
containers.
"""

from __future__ import annotations

from typing import Any

from tools.fit.model import Claim, Workload
from tools.fit.operators.common import container_env, operator_containers, origin, present
from tools.fit.workloads import claim_of

ROLES = ("leader", "follower")
#: statefulset.go: the exporter's port (common.RedisExporterPort) and its name.
EXPORTER_PORT = 9121
#: The operator image (chart redis-operator 0.26.1: ``redisOperator.imageName``).
OPERATOR_IMAGE = "redis-operator"
CONFIG_GATE = "GenerateConfigInInitContainer"


def feature_gates(objects: list[dict[str, Any]]) -> dict[str, bool]:
    """The operator's ``FEATURE_GATES`` (``A=true,B=false``) as its rendered Deployment sets them."""
    gates: dict[str, bool] = {}
    for container in operator_containers(objects, OPERATOR_IMAGE):
        for item in (container_env(container, "FEATURE_GATES") or "").split(","):
            name, _, value = item.partition("=")
            if name:
                gates[name.strip()] = value.strip().lower() == "true"
    return gates


def _redis_container(name: str, spec: dict[str, Any], role: dict[str, Any], config_gate: bool) -> dict[str, Any]:
    mounts = []
    if spec.get("storage", {}).get("nodeConfVolume"):
        mounts.append({"name": "node-conf", "mountPath": "/node-conf"})
    if spec.get("persistenceEnabled") and spec.get("storage"):
        mounts.append({"name": name, "mountPath": "/data"})
    if (role.get("redisConfig") or {}).get("additionalRedisConfig"):
        mounts.append({"name": "external-config", "mountPath": "/etc/redis/external.conf.d"})
    if config_gate:
        mounts.append({"name": "config", "mountPath": "/etc/redis"})
    mounts.extend(_extra_mounts(spec))
    container = present(
        name=name,
        image=spec.get("kubernetesConfig", {}).get("image"),
        securityContext=role.get("securityContext"),
        resources=role.get("resources") or spec.get("kubernetesConfig", {}).get("resources"),
        volumeMounts=mounts,
    )
    if config_gate:
        container.update(command=["redis-server"], args=["/etc/redis/redis.conf"])
    if spec.get("hostPort") is not None:
        container["ports"] = [{"hostPort": spec["hostPort"], "containerPort": spec.get("port", 6379)}]
    return container


def _extra_mounts(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list((spec.get("storage") or {}).get("volumeMount", {}).get("mountPath") or [])


def _exporter(spec: dict[str, Any]) -> dict[str, Any]:
    exporter = spec["redisExporter"]
    return present(
        name="redis-exporter",
        image=exporter.get("image"),
        securityContext=exporter.get("securityContext"),
        resources=exporter.get("resources"),
        volumeMounts=_extra_mounts(spec),
        ports=[{"name": "redis-exporter", "containerPort": exporter.get("port", EXPORTER_PORT), "protocol": "TCP"}],
    )


def _sidecar(sidecar: dict[str, Any]) -> dict[str, Any]:
    return present(
        name=sidecar.get("name"),
        image=sidecar.get("image"),
        command=sidecar.get("command"),
        securityContext=sidecar.get("securityContext"),
        resources=sidecar.get("resources"),
        ports=sidecar.get("ports"),
        volumeMounts=sidecar.get("mountPath"),
        env=sidecar.get("env"),
    )


def _init_containers(name: str, spec: dict[str, Any], resources: Any, config_gate: bool) -> list[dict[str, Any]]:
    init = spec.get("initContainer") or {}
    containers = []
    if config_gate:
        mounts = [{"name": "config", "mountPath": "/etc/redis"}]
        containers.append(
            present(
                name="init-config",
                command=["/operator", "agent"],
                args=["bootstrap"],
                securityContext=init.get("securityContext"),
                resources=resources,
                volumeMounts=mounts,
            )
        )
    if init.get("enabled"):
        containers.append(
            present(
                name=f"init{name}",
                image=init.get("image"),
                command=init.get("command"),
                args=init.get("args"),
                securityContext=init.get("securityContext"),
                resources=init.get("resources"),
                volumeMounts=_extra_mounts(spec),
            )
        )
    return containers


def _volumes(spec: dict[str, Any], role: dict[str, Any], config_gate: bool) -> list[dict[str, Any]]:
    volumes = [{"name": "config", "emptyDir": {}}] if config_gate else []
    external = (role.get("redisConfig") or {}).get("additionalRedisConfig")
    if external:
        volumes.append({"name": "external-config", "configMap": {"name": external}})
    volumes.extend((spec.get("storage") or {}).get("volumeMount", {}).get("volume") or [])
    return volumes


def _claim_templates(name: str, cr: dict[str, Any]) -> tuple[Claim, ...]:
    spec, namespace = cr["spec"], cr["metadata"].get("namespace", "default")
    storage = spec.get("storage") or {}
    templates = []
    if storage.get("nodeConfVolume"):
        templates.append(claim_of(storage.get("nodeConfVolumeClaimTemplate") or {}, namespace, origin(cr), "node-conf"))
    if spec.get("persistenceEnabled") and storage:
        templates.append(claim_of(storage.get("volumeClaimTemplate") or {}, namespace, origin(cr), name))
    return tuple(templates)


def redis_cluster(cr: dict[str, Any], objects: list[dict[str, Any]]) -> list[Workload]:
    """The leader and follower StatefulSets of one RedisCluster."""
    spec, meta = cr["spec"], cr["metadata"]
    config_gate = feature_gates(objects).get(CONFIG_GATE, False)
    workloads = []
    for role_name in ROLES:
        role = spec.get(f"redis{role_name.capitalize()}") or {}
        name = f"{meta['name']}-{role_name}"
        redis = _redis_container(name, spec, role, config_gate)
        containers = [redis]
        if (spec.get("redisExporter") or {}).get("enabled"):
            containers.append(_exporter(spec))
        containers.extend(_sidecar(s) for s in spec.get("sidecars") or [])
        labels = {**(meta.get("labels") or {}), "app": name, "redis_setup_type": "cluster", "role": role_name}
        pod_spec = present(
            containers=containers,
            initContainers=_init_containers(name, spec, redis.get("resources"), config_gate),
            securityContext=spec.get("podSecurityContext"),
            nodeSelector=role.get("nodeSelector"),
            tolerations=role.get("tolerations"),
            affinity=role.get("affinity"),
            topologySpreadConstraints=role.get("topologySpreadConstraints"),
            priorityClassName=spec.get("priorityClassName"),
            serviceAccountName=spec.get("serviceAccountName"),
            hostNetwork=spec.get("hostNetwork") or None,
            volumes=_volumes(spec, role, config_gate),
        )
        workloads.append(
            Workload(
                kind="StatefulSet",
                namespace=meta.get("namespace", "default"),
                name=name,
                template={"metadata": {"labels": labels}, "spec": pod_spec},
                replicas=int(role.get("replicas", spec.get("clusterSize", 0))),
                claim_templates=_claim_templates(name, cr),
                origin=origin(cr),
            )
        )
    return workloads
