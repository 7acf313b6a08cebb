"""Rules ``pod-security`` and ``admission`` of the cluster-fit check, and the mutations they see."""

from __future__ import annotations

import copy

import pytest

from tools.fit import admission
from tools.fit.model import ClusterView, Workload
from tools.fit.mutation import admitted_template

POLICY = "require-read-only-root-filesystem"
_READ_ONLY = (
    "has(c.securityContext) && has(c.securityContext.readOnlyRootFilesystem)"
    " && c.securityContext.readOnlyRootFilesystem"
)
MESSAGE = "every container must set securityContext.readOnlyRootFilesystem: true"

RESTRICTED_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def namespace(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def restricted(name: str, **labels: str) -> dict:
    return namespace(
        name,
        **{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.35"},
        **labels,
    )


def policy(expression: str, *, failure_policy: str = "Fail") -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": POLICY},
        "spec": {
            "failurePolicy": failure_policy,
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["pods"],
                    }
                ]
            },
            "validations": [{"expression": expression, "message": MESSAGE}],
        },
    }


def binding(selector: dict | None = None) -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": POLICY},
        "spec": {
            "policyName": POLICY,
            "validationActions": ["Deny"],
            "matchResources": {
                "namespaceSelector": selector or {"matchLabels": {"tonebridge.io/read-only-root": "required"}}
            },
        },
    }


READ_ONLY_POLICY = policy(
    f"object.spec.containers.all(c, {_READ_ONLY}) && "
    f"(!has(object.spec.initContainers) || object.spec.initContainers.all(c, {_READ_ONLY}))"
)


def container(name: str, **context) -> dict:
    return {"name": name, "image": f"{name}:1", "securityContext": {**RESTRICTED_CONTEXT, **context}}


def workload(*containers: dict, namespace: str = "production", kind: str = "StatefulSet", **spec) -> Workload:
    template = {"metadata": {"labels": {"app": "redis"}}, "spec": {"containers": list(containers), **spec}}
    return Workload(kind, namespace, "redis-leader", template, replicas=3)


def view(*objects: dict, workloads: list[Workload], chart_values: dict | None = None) -> ClusterView:
    return ClusterView(
        "production",
        "us-west-2",
        "1.35",
        objects=list(objects),
        workloads=workloads,
        chart_values=chart_values or {},
    )


def lines(cluster: ClusterView) -> list[str]:
    return sorted(p.line() for p in admission.check(cluster))


def test_writable_root_in_a_required_namespace_is_refused_by_the_policy():
    cluster = view(
        restricted("production", **{"tonebridge.io/read-only-root": "required"}),
        READ_ONLY_POLICY,
        binding(),
        workloads=[workload(container("redis", readOnlyRootFilesystem=False), container("exporter"))],
    )
    assert lines(cluster) == [
        "production/us-west-2: production/statefulset/redis-leader: admission: container redis: denied by "
        f"ValidatingAdmissionPolicy {POLICY}: {MESSAGE}"
    ]


def test_the_policy_blames_an_init_container_and_spares_unselected_namespaces():
    writable_init = {"initContainers": [container("setup", readOnlyRootFilesystem=False)]}
    cluster = view(
        restricted("production", **{"tonebridge.io/read-only-root": "required"}),
        restricted("staging"),
        READ_ONLY_POLICY,
        binding(),
        workloads=[
            workload(container("redis"), **writable_init),
            workload(container("redis"), namespace="staging", **writable_init),
        ],
    )
    assert lines(cluster) == [
        "production/us-west-2: production/statefulset/redis-leader: admission: container setup: denied by "
        f"ValidatingAdmissionPolicy {POLICY}: {MESSAGE}"
    ]


def test_binding_selects_namespaces_by_match_expressions():
    selector = {"matchExpressions": [{"key": "environment", "operator": "In", "values": ["production"]}]}
    cluster = view(
        restricted("production", environment="production"),
        restricted("staging", environment="staging"),
        READ_ONLY_POLICY,
        binding(selector),
        workloads=[
            workload(container("redis", readOnlyRootFilesystem=False)),
            workload(container("redis", readOnlyRootFilesystem=False), namespace="staging"),
        ],
    )
    assert [p.namespace for p in admission.check(cluster)] == ["production"]


@pytest.mark.parametrize(("failure_policy", "expected"), [("Fail", 1), ("Ignore", 0)])
def test_an_expression_that_cannot_be_evaluated_follows_the_failure_policy(failure_policy, expected):
    broken = policy("object.spec.nodeName == 'x'", failure_policy=failure_policy)  # no such field in the pod
    cluster = view(
        restricted("production", **{"tonebridge.io/read-only-root": "required"}),
        broken,
        binding(),
        workloads=[workload(container("redis"))],
    )
    problems = admission.check(cluster)
    assert len(problems) == expected
    assert all("pod: denied by ValidatingAdmissionPolicy" in p.why and "evaluation failed" in p.why for p in problems)


def test_privileged_and_host_path_are_refused_in_a_restricted_namespace():
    cluster = view(
        restricted("production"),
        workloads=[
            workload(
                container("agent", privileged=True),
                volumes=[{"name": "logs", "hostPath": {"path": "/var/log"}}],
            )
        ],
    )
    where = "production/us-west-2: production/statefulset/redis-leader: pod-security:"
    enforces = '(namespace enforces PodSecurity "restricted:v1.35")'
    assert lines(cluster) == [
        f'{where} privileged: container "agent" must not set securityContext.privileged=true {enforces}',
        f'{where} restrictedVolumes: restricted volume types: volume "logs" uses restricted volume type "hostPath" '
        f"{enforces}",
    ]


def test_baseline_names_host_path_and_capabilities_but_not_root():
    baseline = namespace("ci-builds", **{"pod-security.kubernetes.io/enforce": "baseline"})
    kaniko = {
        "name": "kaniko",
        "image": "kaniko",
        "securityContext": {"runAsUser": 0, "capabilities": {"add": ["SYS_ADMIN"]}},
    }
    cluster = view(
        baseline,
        workloads=[
            workload(kaniko, namespace="ci-builds", kind="Job", volumes=[{"name": "docker", "hostPath": {"path": "/"}}])
        ],
    )
    assert [p.why.split(":")[0] for p in admission.check(cluster)] == ["capabilities_baseline", "hostPathVolumes"]


def test_pod_level_fields_satisfy_containers_that_do_not_set_them():
    lean = {
        "name": "app",
        "image": "app",
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    pod_context = {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
    cluster = view(restricted("production"), workloads=[workload(lean, securityContext=pod_context)])
    assert lines(cluster) == []
    cluster = view(restricted("production"), workloads=[workload(lean)])
    assert [p.why.split(":")[0] for p in admission.check(cluster)] == ["runAsNonRoot", "seccompProfile_restricted"]


def test_a_namespace_without_a_level_is_privileged():
    cluster = view(
        namespace("kube-system"),
        workloads=[
            workload({"name": "cni", "image": "cni", "securityContext": {"privileged": True}}, namespace="kube-system")
        ],
    )
    assert lines(cluster) == []


ISTIOD = {
    "istiod": {
        "cni": {"enabled": True},
        "global": {
            "proxy": {
                "resources": {
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                    "limits": {"cpu": "200m", "memory": "256Mi"},
                }
            }
        },
    }
}


def test_the_sidecar_joins_as_a_native_sidecar_with_istio_security_context():
    app = workload(container("api"), kind="Deployment")
    cluster = view(restricted("production", **{"istio-injection": "enabled"}), workloads=[app], chart_values=ISTIOD)
    spec = admitted_template(cluster, app)["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["istio-validation", "istio-proxy"]
    proxy = spec["initContainers"][1]
    assert proxy["restartPolicy"] == "Always"
    assert proxy["resources"] == ISTIOD["istiod"]["global"]["proxy"]["resources"]
    assert proxy["securityContext"]["runAsUser"] == 1337
    assert proxy["securityContext"]["readOnlyRootFilesystem"] is True
    assert app.template["spec"].get("initContainers") is None  # the workload itself is left as written
    assert admitted_template(cluster, app) is admitted_template(cluster, app)


def test_the_sidecar_needs_the_pods_seccomp_profile_under_restricted():
    """Istio's template sets no seccomp profile unless ``global.proxy.seccompProfile`` is set: a pod whose
    containers set theirs one by one is refused for the sidecar's; one that sets it pod-wide passes."""
    per_container = workload(container("api"), kind="Deployment")
    pod_wide = workload(
        container("api"), kind="Deployment", securityContext={"seccompProfile": {"type": "RuntimeDefault"}}
    )
    pod_wide.name = "api"
    cluster = view(
        restricted("production", **{"istio-injection": "enabled"}),
        workloads=[per_container, pod_wide],
        chart_values=ISTIOD,
    )
    assert lines(cluster) == [
        "production/us-west-2: production/deployment/redis-leader: pod-security: seccompProfile_restricted: "
        'pod or containers "istio-validation", "istio-proxy" must set securityContext.seccompProfile.type to '
        '"RuntimeDefault" or "Localhost" (namespace enforces PodSecurity "restricted:v1.35")'
    ]


def test_without_the_cni_istio_init_runs_as_root_and_restricted_refuses_it():
    values = copy.deepcopy(ISTIOD)
    values["istiod"]["cni"]["enabled"] = False
    app = workload(container("api"), kind="Deployment", securityContext={"seccompProfile": {"type": "RuntimeDefault"}})
    cluster = view(restricted("production", **{"istio-injection": "enabled"}), workloads=[app], chart_values=values)
    assert [c["name"] for c in admitted_template(cluster, app)["spec"]["initContainers"]] == [
        "istio-init",
        "istio-proxy",
    ]
    whys = [p.why for p in admission.check(cluster)]
    assert [w.split(":")[0] for w in whys] == ["capabilities_restricted", "runAsNonRoot", "runAsUser"]
    assert all('"istio-init"' in w for w in whys)


def test_limit_range_defaults_come_before_injection_and_opt_out_is_honoured():
    limit_range = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "resource-limits", "namespace": "production"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "200m"}}]},
    }
    limited = {**container("api"), "resources": {"limits": {"memory": "1Gi"}}}
    app = workload(limited, kind="Deployment")
    opted_out = workload(container("api"), kind="Deployment")
    opted_out.template["metadata"]["labels"]["sidecar.istio.io/inject"] = "false"
    cluster = view(
        namespace("production", **{"istio-injection": "enabled"}),
        limit_range,
        workloads=[app, opted_out],
        chart_values=ISTIOD,
    )
    spec = admitted_template(cluster, app)["spec"]
    assert spec["containers"][0]["resources"] == {
        "limits": {"cpu": "500m", "memory": "1Gi"},
        "requests": {"cpu": "200m", "memory": "1Gi"},
    }
    assert spec["initContainers"][1]["resources"] == ISTIOD["istiod"]["global"]["proxy"]["resources"]
    assert "initContainers" not in admitted_template(cluster, opted_out)["spec"]


def test_the_real_policy_of_the_production_platform_stack(stacks):
    """The policy the platform synthesizes, evaluated as written, on a compliant and a non-compliant pod."""
    from tools.kube_objects import objects_of

    objects = [
        o
        for o in objects_of(stacks["production-us-west-2-platform"])
        if o["kind"] in ("Namespace", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
    ]
    # By digest, as production's application namespace also requires (test below)
    compliant = workload(by_digest(container("redis")), by_digest(container("exporter")))
    writable = workload(by_digest(container("redis", readOnlyRootFilesystem=False)), by_digest(container("exporter")))
    writable.name = "redis-follower"
    problems = admission.check(view(*objects, workloads=[compliant, writable]))
    assert [p.line() for p in problems] == [
        "production/us-west-2: production/statefulset/redis-follower: admission: container redis: denied by "
        "ValidatingAdmissionPolicy require-read-only-root-filesystem: every container and init container must set "
        "securityContext.readOnlyRootFilesystem: true (spec §8.3)"
    ]


DIGEST = "sha256:" + "0123456789abcdef" * 4


def by_digest(c: dict) -> dict:
    """The container as the release job writes it: ``repository@sha256:…``."""
    return {**c, "image": f"123456789012.dkr.ecr.us-west-2.amazonaws.com/tonebridge/{c['name']}@{DIGEST}"}


def _production_policies(stacks) -> list[dict]:
    from tools.kube_objects import objects_of

    return [
        o
        for o in objects_of(stacks["production-us-west-2-platform"])
        if o["kind"] in ("Namespace", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
    ]


def app(name: str, *containers: dict) -> Workload:
    """An application Deployment as a service's manifests declare it (pod-wide seccomp, for the sidecar)."""
    found = workload(*containers, kind="Deployment", securityContext={"seccompProfile": {"type": "RuntimeDefault"}})
    found.name = name
    return found


def _meshed(tag: str) -> dict:
    """istiod's values with the hub and tag the chart renders (1.30.3 in production)."""
    istiod = ISTIOD["istiod"]
    return {"istiod": {**istiod, "global": {**istiod["global"], "hub": "docker.io/istio", "tag": tag}}}


def test_production_refuses_an_application_image_by_tag(stacks):
    """The synthesized policy, as the fit check evaluates it: in production's application namespace an
    application pod by digest is admitted with Istio's injected sidecar (admitted by its exact tag); the
    same pod by tag is refused, blaming the container; staging (self-service, tags) is not bound."""
    objects = _production_policies(stacks)
    released = app("api", by_digest(container("api")))
    registry = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
    tagged = app("api-by-tag", {**container("api"), "image": f"{registry}/tonebridge/api:main-0123456789ab-7"})
    in_staging = copy.deepcopy(tagged)
    in_staging.namespace = "staging"
    cluster = view(*objects, workloads=[released, tagged, in_staging], chart_values=_meshed("1.30.3"))
    assert [c["image"] for c in admitted_template(cluster, released)["spec"]["initContainers"]] == [
        "docker.io/istio/proxyv2:1.30.3",
        "docker.io/istio/proxyv2:1.30.3",
    ]
    assert lines(cluster) == [
        "production/us-west-2: production/deployment/api-by-tag: admission: container api: denied by "
        "ValidatingAdmissionPolicy require-image-digest: every container and init container must name its image by "
        "digest (repository@sha256:…, as the release job writes it); by tag only: docker.io/istio/proxyv2:1.30.3, "
        "ghcr.io/cloudnative-pg/postgresql:16.14-system-trixie"
    ]


def test_only_the_exact_platform_references_pass_by_tag(stacks):
    """The logical backup's image passes by its exact tag; another tag of the same repository, or the sidecar
    of another Istio release, does not."""
    objects = _production_policies(stacks)
    backup = app("backup", {**container("backup"), "image": "ghcr.io/cloudnative-pg/postgresql:16.14-system-trixie"})
    other = app("other-tag", {**container("backup"), "image": "ghcr.io/cloudnative-pg/postgresql:16.15-system-trixie"})
    for job in (backup, other):  # as the logical backup CronJob's pods: not meshed
        job.template["metadata"]["labels"]["sidecar.istio.io/inject"] = "false"
    old_mesh = app("old-sidecar", by_digest(container("api")))
    cluster = view(*objects, workloads=[backup, other, old_mesh], chart_values=_meshed("1.28.0"))
    denied = sorted({(line.split(": ")[1], line.split(": ")[3]) for line in lines(cluster)})
    assert denied == [
        ("production/deployment/old-sidecar", "container istio-proxy"),
        ("production/deployment/old-sidecar", "container istio-validation"),
        ("production/deployment/other-tag", "container backup"),
    ]
