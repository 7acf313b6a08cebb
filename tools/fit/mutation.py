"""A pod template as the API server stores it: after defaulting and the mutating admission this cluster runs.

The rules check what will run, not what was written: a LimitRange default can put a container over
a quota, and Istio's sidecar adds containers that Pod Security, the ValidatingAdmissionPolicy, the
quota and the scheduler all see. Mutations are applied in the API server's order:

1. Defaulting (``SetDefaults_Pod`` in ``pkg/apis/core/v1/defaults.go``): a container with a limit
   and no request for a resource gets the limit as its request.
2. LimitRanger (``plugin/pkg/admission/limitranger/admission.go``, ``PodMutateLimitFunc``): for
   every LimitRange of the namespace (by name), each ``type: Container`` item's ``default`` fills
   missing limits and ``defaultRequest`` missing requests, of containers and init containers.
3. Istio's sidecar injector (a mutating webhook, so after the in-tree plugins; its
   ``reinvocationPolicy`` is ``Never``, so LimitRanger never sees the injected containers). The
   webhook selectors of istiod 1.28 (``templates/mutatingwebhook.yaml``): a namespace labelled
   ``istio-injection=enabled`` unless the pod label ``sidecar.istio.io/inject`` is ``"false"``, or a
   namespace without ``istio-injection``/``istio.io/rev`` labels where that pod label is ``"true"``.
   Then ``injectRequired`` (``pkg/kube/inject/inject.go``): never for ``hostNetwork`` pods nor in
   kube-system/kube-public; the label, else the annotation, ``sidecar.istio.io/inject`` decides
   (y/yes/true/on inject, other values opt out). The containers follow ``files/injection-template.yaml``:
   with the istiod values' ``cni.enabled`` (the template's ``pilot.cni.enabled``), an
   ``istio-validation`` init container running as 1337 with a read-only root and ALL dropped;
   without it, ``istio-init`` as root with NET_ADMIN and NET_RAW. ``istio-proxy`` is a native
   sidecar (an init container with ``restartPolicy: Always``, placed after istio-init/validation
   and before the pod's own init containers: ``reorderPod`` in ``pkg/kube/inject/webhook.go``)
   when native sidecars are on: ``ENABLE_NATIVE_SIDECARS`` defaults to true since Istio 1.27, and
   ``detectNativeSidecar`` requires every kubelet at 1.33+ (nodes are taken at the cluster's
   version); the pod annotation ``sidecar.istio.io/nativeSidecar`` overrides. Both get
   ``global.proxy.resources`` and the proxy image (``<global.hub>/<global.proxy.image>:<global.tag>``).
   Pods asking for the ``gateway`` template (``inject.istio.io/templates``) get
   ``files/gateway-injection-template.yaml`` instead: user and group 1337 on their own ``istio-proxy``
   (its ``auto`` image replaced by the proxy image) and, unless ``gateways.securityContext`` is set, the
   pod sysctl ``net.ipv4.ip_unprivileged_port_start=0``.

Not modelled (none changes what the rules check here): other defaulting (restartPolicy, dnsPolicy,
probes' timeouts, …); the ServiceAccount plugin's token volume, the EKS Pod Identity webhook's token
volume and environment, and the load balancer controller's readiness gates (projected volumes and
fields no rule reads); DefaultTolerationSeconds; Priority and RuntimeClass (no pod overhead, no
priority-scoped quota in this project); Istio's ``istio.io/rev`` revisions, TPROXY interception,
``capNetBindService``, ``holdApplicationUntilProxyStarts``, proxy resources from pod annotations
(``sidecar.istio.io/proxyCPU``…), a pod's own ``istio-proxy`` customisation, injection templates
other than ``sidecar`` and ``gateway``, and the webhook's environment and probe rewrites.

Cheap by design: every rule asks for every workload, so each view's admission context is computed
once and each admitted template is kept (a view must not change after its first admission). The
returned template is shared: callers must not modify it.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from tools.fit.model import ClusterView, Workload

#: The istiod release whose values configure injection.
ISTIOD_RELEASE = "istiod"
#: istiod 1.28 chart defaults (``values.yaml``, ``_internal_defaults_do_not_set``) for what injection reads.
ISTIOD_DEFAULTS: dict[str, Any] = {
    "cni": {"enabled": False},
    "env": {},
    "global": {
        "proxy": {
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "2000m", "memory": "1024Mi"},
            },
            "privileged": False,
            "seccompProfile": {},
            "autoInject": "enabled",
        }
    },
    "gateways": {"securityContext": {}},
}
#: The Istio proxy's user and group (``ProxyUID``/``ProxyGID`` default 1337).
PROXY_UID = 1337
#: Native sidecars need every kubelet at this minor or later (Istio's ``detectNativeSidecar``).
NATIVE_SIDECAR_MIN_MINOR = 33
#: ``IgnoredNamespaces`` of Istio's injector.
_NEVER_INJECTED = frozenset({"kube-system", "kube-public"})
_YES = frozenset({"y", "yes", "true", "on"})
_INJECT = "sidecar.istio.io/inject"
_CACHE_SIZE = 4096


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``, maps merged key by key (Helm's ``mustMergeOverwrite``)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def istiod_values(values: dict[str, Any]) -> dict[str, Any]:
    """The values istiod's templates see: its chart flattens ``_internal_defaults_do_not_set`` under the
    release's own values (``templates/zzz_profile.yaml``); what neither gives falls back to :data:`ISTIOD_DEFAULTS`."""
    own = {k: v for k, v in values.items() if k != "_internal_defaults_do_not_set"}
    return deep_merge(deep_merge(ISTIOD_DEFAULTS, values.get("_internal_defaults_do_not_set") or {}), own)


@dataclass(frozen=True)
class _Mesh:
    """What Istio's injector will do in one cluster."""

    resources: dict[str, Any]
    cni: bool
    native: bool
    privileged: bool
    seccomp: dict[str, Any]
    gateway_pod_context: dict[str, Any]
    #: The proxy image the injector writes (``ProxyImage`` in ``pkg/kube/inject``): ``global.proxy.image`` as is
    #: when it names a registry, else ``<global.hub>/<image>:<global.tag>[-<global.variant>]``.
    image: str = "proxyv2"


@dataclass(frozen=True)
class _Context:
    """One view's admission inputs, computed once."""

    namespace_labels: dict[str, dict[str, str]]
    container_defaults: dict[str, list[tuple[dict[str, str], dict[str, str]]]]
    mesh: _Mesh | None


def _mesh(view: ClusterView) -> _Mesh | None:
    if ISTIOD_RELEASE not in view.chart_values:
        return None
    values = istiod_values(view.chart_values[ISTIOD_RELEASE])
    proxy = values["global"]["proxy"]
    minor = int(view.kubernetes_version.split(".")[1])
    switched_off = str((values.get("env") or {}).get("ENABLE_NATIVE_SIDECARS", "true")).lower() == "false"
    gateway_context = (values.get("gateways") or {}).get("securityContext") or {
        "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]
    }
    return _Mesh(
        resources=copy.deepcopy(proxy.get("resources") or {}),
        cni=bool((values.get("cni") or {}).get("enabled")),
        native=minor >= NATIVE_SIDECAR_MIN_MINOR and not switched_off,
        privileged=bool(proxy.get("privileged")),
        seccomp=dict(proxy.get("seccompProfile") or {}),
        gateway_pod_context=gateway_context,
        image=proxy_image(values),
    )


def proxy_image(values: dict[str, Any]) -> str:
    """The sidecar's image reference as Istio's injector computes it from istiod's values."""
    glob = values.get("global") or {}
    name = str((glob.get("proxy") or {}).get("image") or "proxyv2")
    if "/" in name or not glob.get("hub"):
        return name
    variant = str(glob.get("variant") or "")
    suffix = f"-{variant}" if variant and variant != "default" else ""
    return f"{glob['hub']}/{name}:{glob.get('tag', '')}{suffix}"


def container_defaults(item: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """A ``type: Container`` LimitRange item's (default limits, default requests) as the API server stores
    the item (``SetDefaults_LimitRangeItem``): ``default`` falls back to ``max``, ``defaultRequest`` to
    ``default`` and then to ``min``."""
    limits = {**(item.get("max") or {}), **(item.get("default") or {})}
    requests = {**(item.get("min") or {}), **limits, **(item.get("defaultRequest") or {})}
    return limits, requests


def _context(view: ClusterView) -> _Context:
    defaults: dict[str, list[tuple[dict[str, str], dict[str, str]]]] = {}
    ranges = sorted(view.of_kind("LimitRange", ""), key=lambda o: o["metadata"]["name"])
    for limit_range in ranges:
        namespace = limit_range["metadata"].get("namespace", "default")
        for item in limit_range.get("spec", {}).get("limits", []):
            if item.get("type") == "Container":
                defaults.setdefault(namespace, []).append(container_defaults(item))
    return _Context(namespace_labels=view.namespaces(), container_defaults=defaults, mesh=_mesh(view))


class _IdentityCache:
    """Results keyed by the identity of their inputs, which it keeps alive so an id is never reused."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, ...], tuple[tuple[object, ...], Any]] = OrderedDict()

    def get(self, *keys: object) -> Any:
        entry = self._entries.get(tuple(map(id, keys)))
        return entry[1] if entry is not None else None

    def put(self, value: Any, *keys: object) -> Any:
        self._entries[tuple(map(id, keys))] = (keys, value)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return value


_contexts = _IdentityCache(64)
_templates = _IdentityCache(_CACHE_SIZE)


def _view_context(view: ClusterView) -> _Context:
    return _contexts.get(view) or _contexts.put(_context(view), view)


def _default_resources(container: dict[str, Any], defaults: list[tuple[dict[str, str], dict[str, str]]]) -> None:
    resources = container.setdefault("resources", {})
    limits = resources.get("limits") or {}
    requests = {**limits, **(resources.get("requests") or {})}
    for default_limit, default_request in defaults:
        limits = {**default_limit, **limits}
        requests = {**default_request, **requests}
    if limits:
        resources["limits"] = limits
    if requests:
        resources["requests"] = requests


def _wants_sidecar(labels: dict[str, str], annotations: dict[str, str], namespace: dict[str, str]) -> bool:
    pod_choice = labels.get(_INJECT)
    if namespace.get("istio-injection") == "enabled":
        if pod_choice == "false":
            return False
    elif "istio-injection" in namespace or "istio.io/rev" in namespace or pod_choice != "true":
        return False
    choice = pod_choice if pod_choice is not None else annotations.get(_INJECT, "")
    return choice == "" or choice.lower() in _YES


def _proxy_context(mesh: _Mesh) -> dict[str, Any]:
    context: dict[str, Any] = {
        "allowPrivilegeEscalation": mesh.privileged,
        "capabilities": {"drop": ["ALL"]},
        "privileged": mesh.privileged,
        "readOnlyRootFilesystem": True,
        "runAsGroup": PROXY_UID,
        "runAsNonRoot": True,
        "runAsUser": PROXY_UID,
    }
    if mesh.seccomp:
        context["seccompProfile"] = dict(mesh.seccomp)
    return context


def _init_container(mesh: _Mesh) -> dict[str, Any]:
    if mesh.cni:
        return {
            "name": "istio-validation",
            "image": mesh.image,
            "args": ["istio-iptables", "--run-validation", "--skip-rule-apply"],
            "resources": copy.deepcopy(mesh.resources),
            "securityContext": _proxy_context(mesh),
        }
    context = {
        **_proxy_context(mesh),
        "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
        "readOnlyRootFilesystem": False,
        "runAsGroup": 0,
        "runAsNonRoot": False,
        "runAsUser": 0,
    }
    return {
        "name": "istio-init",
        "image": mesh.image,
        "args": ["istio-iptables"],
        "resources": copy.deepcopy(mesh.resources),
        "securityContext": context,
    }


_SIDECAR_VOLUMES = (
    {"name": "workload-socket", "emptyDir": {}},
    {"name": "credential-socket", "emptyDir": {}},
    {"name": "workload-certs", "emptyDir": {}},
    {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
    {"name": "istio-data", "emptyDir": {}},
    {"name": "istio-podinfo", "downwardAPI": {"items": []}},
    {"name": "istio-token", "projected": {"sources": []}},
    {"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}},
    {"name": "istio-ca-crl", "configMap": {"name": "istio-ca-crl", "optional": True}},
)


def _inject_sidecar(template: dict[str, Any], mesh: _Mesh, native: bool) -> None:
    spec = template["spec"]
    proxy: dict[str, Any] = {
        "name": "istio-proxy",
        "image": mesh.image,
        "args": ["proxy", "sidecar"],
        "ports": [{"containerPort": 15090, "protocol": "TCP", "name": "http-envoy-prom"}],
        "resources": copy.deepcopy(mesh.resources),
        "securityContext": _proxy_context(mesh),
    }
    init = _init_container(mesh)
    own_init = [c for c in spec.get("initContainers") or [] if c.get("name") not in ("istio-proxy", init["name"])]
    containers = [c for c in spec.get("containers") or [] if c.get("name") != "istio-proxy"]
    if native:
        spec["initContainers"] = [init, {**proxy, "restartPolicy": "Always"}, *own_init]
        spec["containers"] = containers
    else:
        spec["initContainers"] = [init, *own_init] if mesh.cni else [*own_init, init]
        spec["containers"] = [*containers, proxy]
    own_volumes = [v for v in spec.get("volumes") or [] if v.get("name") not in {s["name"] for s in _SIDECAR_VOLUMES}]
    spec["volumes"] = [*own_volumes, *copy.deepcopy(_SIDECAR_VOLUMES)]
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    labels.setdefault("security.istio.io/tlsMode", "istio")


def _inject_gateway(template: dict[str, Any], mesh: _Mesh) -> None:
    spec = template["spec"]
    spec["securityContext"] = {**(spec.get("securityContext") or {}), **copy.deepcopy(mesh.gateway_pod_context)}
    for container in spec.get("containers") or []:
        if container.get("name") == "istio-proxy":
            if container.get("image") == "auto":  # the gateway template's placeholder for the proxy image
                container["image"] = mesh.image
            context = container.setdefault("securityContext", {})
            context.update({"runAsUser": PROXY_UID, "runAsGroup": PROXY_UID})


def _admit(context: _Context, workload: Workload) -> dict[str, Any]:
    template = copy.deepcopy(workload.template)
    spec = template.setdefault("spec", {})
    defaults = context.container_defaults.get(workload.namespace, [])
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            _default_resources(container, defaults)
    mesh = context.mesh
    metadata = template.get("metadata") or {}
    labels, annotations = metadata.get("labels") or {}, metadata.get("annotations") or {}
    namespace = context.namespace_labels.get(workload.namespace, {})
    if (
        mesh is None
        or spec.get("hostNetwork")
        or workload.namespace in _NEVER_INJECTED
        or not _wants_sidecar(labels, annotations, namespace)
    ):
        return template
    if "gateway" in annotations.get("inject.istio.io/templates", "").replace(" ", "").split(","):
        _inject_gateway(template, mesh)
        return template
    native_choice = annotations.get("sidecar.istio.io/nativeSidecar")
    native = mesh.native if native_choice is None else native_choice != "false"
    _inject_sidecar(template, mesh, native)
    return template


def admitted_template(view: ClusterView, workload: Workload) -> dict[str, Any]:
    """The pod template of ``workload`` after defaulting, LimitRanger and Istio's injection (shared: read only)."""
    cached = _templates.get(view, workload)
    if cached is not None:
        return cached
    return _templates.put(_admit(_view_context(view), workload), view, workload)
