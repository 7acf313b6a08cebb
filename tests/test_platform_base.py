"""Platform base (spec §3.2, §8.1, §8.3, §12.2): namespaces, quotas and limit ranges, network
isolation and storage classes, asserted on the synthesized production us-west-2 platform stack,
plus the construct props' early validation."""

from __future__ import annotations

import pytest

from tests.conftest import resources

STACK = "production-us-west-2-platform"


def _objects(stack: dict, kind: str) -> dict[tuple[str, str], dict]:
    """Core objects of one kind, by (namespace, name)."""
    manifests = (r["manifest"] for r in resources(stack, "kubernetes_manifest").values())
    return {(m["metadata"].get("namespace", ""), m["metadata"]["name"]): m for m in manifests if m["kind"] == kind}


@pytest.fixture(scope="module")
def platform(stacks) -> dict:
    return stacks[STACK]


# --- §3.2 / §8.3: namespaces ---------------------------------------------------------------------


def test_application_namespaces_carry_their_environment_and_restricted_pod_security(platform):
    namespaces = {name: ns["metadata"] for (_, name), ns in _objects(platform, "Namespace").items()}
    assert {"production", "staging", "monitoring"} <= set(namespaces)
    for name in ("production", "staging", "monitoring"):
        labels = namespaces[name]["labels"]
        assert labels["environment"] == name
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.35"
        assert "annotations" not in namespaces[name]  # no reason needed: nothing is relaxed
    for meshed in ("production", "staging"):
        assert namespaces[meshed]["labels"]["istio-injection"] == "enabled"
    assert "istio-injection" not in namespaces["monitoring"]["labels"]


def test_namespaced_objects_wait_for_their_namespace(platform):
    namespace_ids = {
        ns["manifest"]["metadata"]["name"]: f"kubernetes_manifest.{rid}"
        for rid, ns in resources(platform, "kubernetes_manifest").items()
        if ns["manifest"]["kind"] == "Namespace"
    }
    for rid, resource in resources(platform, "kubernetes_manifest").items():
        namespace = resource["manifest"]["metadata"].get("namespace")
        if namespace:
            assert namespace_ids[namespace] in resource["depends_on"], rid


# --- §3.2 / §12.2: quota and limit range ---------------------------------------------------------


def test_production_quota_is_the_specs(platform):
    quota = _objects(platform, "ResourceQuota")[("production", "production-quota")]
    assert quota["spec"] == {
        "hard": {
            "requests.cpu": "100",
            "requests.memory": "200Gi",
            "limits.cpu": "200",
            "limits.memory": "400Gi",
            "persistentvolumeclaims": "10",
        }
    }
    # Redis has a namespace and quota of its own: its claims leave production's ten to the applications.
    assert set(_objects(platform, "ResourceQuota")) == {
        ("production", "production-quota"),
        ("staging", "staging-quota"),
        ("redis", "redis-quota"),
    }


def test_production_limit_range_is_the_specs(platform):
    limit_range = _objects(platform, "LimitRange")[("production", "resource-limits")]
    assert limit_range["spec"] == {
        "limits": [
            {
                "type": "Container",
                "max": {"cpu": "2", "memory": "4Gi"},
                "min": {"cpu": "100m", "memory": "128Mi"},
                "default": {"cpu": "500m", "memory": "512Mi"},
                "defaultRequest": {"cpu": "200m", "memory": "256Mi"},
            }
        ]
    }


def test_staging_quota_is_smaller_than_production(platform):
    from tonebridge.quantities import parse_quantity

    quotas = _objects(platform, "ResourceQuota")
    production = quotas[("production", "production-quota")]["spec"]["hard"]
    staging = quotas[("staging", "staging-quota")]["spec"]["hard"]
    assert set(staging) == set(production)
    for key, value in staging.items():
        assert parse_quantity(value) < parse_quantity(production[key]), key


# --- §8.1: network policies ----------------------------------------------------------------------


def test_api_gateway_policy_is_the_specs(platform):
    policy = _objects(platform, "NetworkPolicy")[("production", "api-gateway-policy")]
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"app": "api-gateway"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}],
                "ports": [{"protocol": "TCP", "port": 8080}],
            }
        ],
        "egress": [
            {
                "to": [{"podSelector": {"matchLabels": {"app": "llm-service"}}}],
                "ports": [{"protocol": "TCP", "port": 8000}],
            },
            {
                "to": [{"podSelector": {"matchLabels": {"app": "auth-service"}}}],
                "ports": [{"protocol": "TCP", "port": 8001}],
            },
        ],
    }


#: llm-service calls OpenAI (its `openai-api-key`): HTTPS to any address (`external_https`); auth-service, nothing.
HTTPS_OUT = [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}]


@pytest.mark.parametrize(
    ("service", "port", "egress"), [("llm-service", 8000, HTTPS_OUT), ("auth-service", 8001, None)]
)
def test_backends_are_reachable_only_from_the_api_gateway(platform, service, port, egress):
    policy = _objects(platform, "NetworkPolicy")[("production", f"{service}-policy")]
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"app": service}},
        "policyTypes": ["Ingress", "Egress"] if egress else ["Ingress"],
        "ingress": [
            {
                "from": [{"podSelector": {"matchLabels": {"app": "api-gateway"}}}],
                "ports": [{"protocol": "TCP", "port": port}],
            }
        ],
        **({"egress": egress} if egress else {}),
    }


@pytest.mark.parametrize("namespace", ["production", "staging"])
def test_default_deny_with_dns_and_istiod_egress(platform, namespace):
    policies = {name: p["spec"] for (ns, name), p in _objects(platform, "NetworkPolicy").items() if ns == namespace}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert policies["allow-dns"] == {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        ],
    }
    assert policies["allow-mesh-control-plane"] == {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
                        "podSelector": {"matchLabels": {"app": "istiod"}},
                    }
                ],
                "ports": [{"protocol": "TCP", "port": 15012}],
            }
        ],
    }
    assert set(policies) == {
        "default-deny",
        "allow-dns",
        "allow-mesh-control-plane",
        "api-gateway-policy",
        "llm-service-policy",
        "auth-service-policy",
        "allow-monitoring-scrape",  # Prometheus's way in (observability)
        # Jenkins' integration tests reach api-gateway in staging (platform.<region>.ci.test_targets).
        *(["allow-ci-integration-tests"] if namespace == "staging" else []),
        # The data stores' clients (llm-service, auth-service) reach them, and nothing else does.
        *(["redis-clients"] if namespace == "production" else []),
        # ... and RDS (database.rds.client_services), in the application namespace of each region.
        *(["out-llm-service-database-5432", "out-auth-service-database-5432"] if namespace == "production" else []),
        # Production's logical backup job: the database and HTTPS (tests/test_logical_backup.py).
        *(["postgres-logical-backup"] if namespace == "production" else []),
        *(["tonebridge-postgres", "tonebridge-postgres-clients"] if namespace == "staging" else []),
    }


def test_monitoring_is_isolated_by_the_observability_stack_not_the_service_graph(platform):
    """The observability stack owns monitoring's traffic (Prometheus scrapes every namespace): its default
    deny and one policy per component and direction (tests/test_monitoring_isolation.py), no §8.1 service
    graph policies."""
    names = {name for ns, name in _objects(platform, "NetworkPolicy") if ns == "monitoring"}
    assert {"default-deny", "allow-dns", "in-prometheus", "out-prometheus"} <= names
    assert all(n in ("default-deny", "allow-dns") or n.startswith(("in-", "out-")) for n in names)


# --- storage classes ------------------------------------------------------------------------------


def test_fast_ssd_and_default_gp3_storage_classes(platform):
    classes = {name: sc for (_, name), sc in _objects(platform, "StorageClass").items()}
    assert set(classes) == {"fast-ssd", "gp3"}
    key = "${data.terraform_remote_state.cross-stack-reference-input-production-us-west-2.outputs."
    for sc in classes.values():
        assert sc["provisioner"] == "ebs.csi.aws.com"
        assert sc["volumeBindingMode"] == "WaitForFirstConsumer"
        assert sc["allowVolumeExpansion"] is True
        assert sc["parameters"]["type"] == "gp3"
        assert sc["parameters"]["encrypted"] == "true"
        assert sc["parameters"]["kmsKeyId"].startswith(key) and "volumes-key" in sc["parameters"]["kmsKeyId"]
    fast, default = classes["fast-ssd"], classes["gp3"]
    assert fast["reclaimPolicy"] == "Retain"
    assert fast["parameters"]["iops"] == "5000" and fast["parameters"]["throughput"] == "250"
    assert "annotations" not in fast["metadata"]
    assert default["reclaimPolicy"] == "Delete"
    assert default["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert "iops" not in default["parameters"]


def test_volume_key_reaches_the_platform_as_a_cross_stack_output(stacks):
    outputs = stacks["production-us-west-2"]["output"]
    assert any("volumes-key" in name and name.endswith("arn") for name in outputs)


def test_standby_region_runs_production_only(stacks):
    standby = stacks["production-us-east-1-platform"]
    application = {
        name for (_, name), ns in _objects(standby, "Namespace").items() if "environment" in ns["metadata"]["labels"]
    }
    assert application == {"production", "monitoring", "redis"}
    quota = _objects(standby, "ResourceQuota")[("production", "production-quota")]
    assert quota["spec"]["hard"]["requests.cpu"] == "100"


# --- props validation ----------------------------------------------------------------------------


def test_quantities_are_parsed_exactly():
    from tonebridge.quantities import ordering_problems, parse_quantity, quantity_problem

    assert parse_quantity("500m") == parse_quantity("0.5")
    assert parse_quantity("4Gi") == 4 * 1024**3
    assert parse_quantity("1e3") == parse_quantity("1k") == 1000
    assert quantity_problem("2 cores") and quantity_problem("-1") and quantity_problem("4GB")
    assert ordering_problems({"min": "1", "max": "500m"}, ("min", "max")) == [("min", "min 1 is greater than max 500m")]


def test_resource_limits_props_reject_bad_bounds():
    from tonebridge.constructs.resource_limits import ResourceLimitsProps

    bounds = {"min": {"cpu": "100m", "memory": "128Mi"}, "max": {"cpu": "2", "memory": "4Gi"}}
    ResourceLimitsProps(namespace="ns", container_limits=bounds)
    with pytest.raises(ValueError, match=r"container_limits.min.cpu: min 3 is greater than max 2"):
        ResourceLimitsProps(namespace="ns", container_limits={**bounds, "min": {"cpu": "3", "memory": "1Mi"}})
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        ResourceLimitsProps(namespace="ns", quota_hard={"requests.cpu": "lots"})
    with pytest.raises(ValueError, match="unknown bounds"):
        ResourceLimitsProps(namespace="ns", container_limits={"maximum": {"cpu": "2"}})
    with pytest.raises(ValueError, match="quota_hard or container_limits"):
        ResourceLimitsProps(namespace="ns")


def test_storage_classes_props_enforce_gp3_limits():
    from tonebridge.constructs.storage_classes import StorageClassesProps
    from tonebridge.props.namespaces import FastSsdSettings as Fast

    arn = "arn:aws:kms:us-west-2:111122223333:key/abcd"
    StorageClassesProps(kms_key_arn=arn, fast=Fast(iops=16000, throughput=1000, smallest_volume_gib=32))
    with pytest.raises(ValueError, match="fast_iops: 2000 is outside"):
        StorageClassesProps(kms_key_arn=arn, fast=Fast(iops=2000))
    with pytest.raises(ValueError, match="fast_throughput: 1001 is outside"):
        StorageClassesProps(kms_key_arn=arn, fast=Fast(iops=16000, throughput=1001, smallest_volume_gib=32))
    with pytest.raises(ValueError, match="fast_throughput: 1000 MiB/s needs at least 4000 IOPS"):
        StorageClassesProps(kms_key_arn=arn, fast=Fast(throughput=1000))
    with pytest.raises(ValueError, match="fast_iops: 6000 IOPS exceed 500 per GiB of a 10 GiB volume"):
        StorageClassesProps(kms_key_arn=arn, fast=Fast(iops=6000))
    with pytest.raises(ValueError, match="must be a KMS key ARN"):
        StorageClassesProps(kms_key_arn="alias/volumes")
    with pytest.raises(ValueError, match="reclaim_policy"):
        StorageClassesProps(kms_key_arn=arn, fast=Fast(reclaim_policy="Recycle"))
    with pytest.raises(ValueError, match="fast_reclaim_policy"):
        StorageClassesProps(kms_key_arn=arn, fast=Fast.model_construct(reclaim_policy="Recycle"))


def test_network_isolation_props_reject_unknown_services_and_bad_peers():
    from tonebridge.constructs.network_policies import NetworkIsolationProps, Peer, ServiceTraffic

    gateway = ServiceTraffic(name="api-gateway", port=8080, to_services=["llm-service"])
    with pytest.raises(ValueError, match="names 'llm-service', not one of services"):
        NetworkIsolationProps(namespace="production", services=[gateway])
    with pytest.raises(ValueError, match="port 70000"):
        ServiceTraffic(name="llm-service", port=70000)
    with pytest.raises(ValueError, match="must be distinct"):
        NetworkIsolationProps(namespace="production", services=[gateway, gateway])
    with pytest.raises(ValueError, match="pod_labels must select"):
        Peer("istio-system", {}, 15012)
    with pytest.raises(ValueError, match="not a DNS label"):
        NetworkIsolationProps(namespace="Production")


def test_isolation_synthesizes_alone_without_a_mesh():
    import json

    from cdktf import App, TerraformStack, Testing
    from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider

    from tonebridge.constructs.network_policies import NetworkIsolation, NetworkIsolationProps, ServiceTraffic

    stack = TerraformStack(App(), "isolation")
    KubernetesProvider(stack, "kubernetes")
    props = NetworkIsolationProps(namespace="team", services=[ServiceTraffic(name="web", port=8080)])
    NetworkIsolation(stack, "isolation", props)
    synthesized = json.loads(Testing.synth(stack))
    names = {
        r["manifest"]["metadata"]["name"]: r["manifest"]
        for r in synthesized["resource"]["kubernetes_manifest"].values()
    }
    assert set(names) == {"default-deny", "allow-dns", "web-policy"}
    assert names["web-policy"]["spec"] == {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}


def test_read_only_root_filesystem_is_required_where_pod_security_admission_cannot(platform):
    """§8.3's readOnlyRootFilesystem: a ValidatingAdmissionPolicy bound to labelled namespaces."""
    from tonebridge.constructs.read_only_root import EXPRESSION

    policies = _objects(platform, "ValidatingAdmissionPolicy")
    bindings = _objects(platform, "ValidatingAdmissionPolicyBinding")
    policy = policies[("", "require-read-only-root-filesystem")]["spec"]
    binding = bindings[("", "require-read-only-root-filesystem")]["spec"]
    assert policy["failurePolicy"] == "Fail"
    assert policy["matchConstraints"]["resourceRules"][0]["resources"] == ["pods"]
    assert policy["validations"][0]["expression"] == EXPRESSION
    assert "initContainers" in EXPRESSION and "readOnlyRootFilesystem" in EXPRESSION
    assert binding["validationActions"] == ["Deny"]
    selector = binding["matchResources"]["namespaceSelector"]["matchLabels"]
    assert selector == {"tonebridge.io/read-only-root": "required"}
    namespaces = {name: ns["metadata"]["labels"] for (_, name), ns in _objects(platform, "Namespace").items()}
    for name in ("production", "staging", "monitoring"):
        assert namespaces[name].items() >= selector.items(), name


def test_each_namespace_problem_is_reported_once(environments):
    """A relaxed application namespace is one problem (must be restricted), not also a missing reason."""
    from tonebridge.config.semantics import check_environment

    production = environments["production"]
    platform = production.platform["us-west-2"]
    staging = platform.namespaces["staging"].model_copy(update={"pod_security": "baseline"})
    namespaces = {**platform.namespaces, "staging": staging}
    changed = production.model_copy(
        update={
            "platform": {**production.platform, "us-west-2": platform.model_copy(update={"namespaces": namespaces})}
        }
    )
    problems = [p for p in check_environment(changed, "production") if "namespaces" in p.path]
    assert [(p.path[-2:], p.reason) for p in problems] == [
        (("staging", "pod_security"), "application namespaces must be restricted (spec §8.3)")
    ]


def test_production_application_namespace_admits_images_by_digest_only(stacks):
    """Images by digest where the release job writes them: production's application namespace (the release's
    namespace, in both regions) is bound; staging and the platform namespaces are not; by tag, only the exact
    references of the platform's own images there."""
    from tonebridge.constructs.image_digest import expression

    for region in ("us-west-2", "us-east-1"):
        platform = stacks[f"production-{region}-platform"]
        (policy,) = [p for (_, name), p in _objects(platform, "ValidatingAdmissionPolicy").items() if "digest" in name]
        binding = _objects(platform, "ValidatingAdmissionPolicyBinding")[("", "require-image-digest")]["spec"]
        assert policy["spec"]["failurePolicy"] == "Fail"
        assert policy["spec"]["matchConstraints"]["resourceRules"][0]["operations"] == ["CREATE", "UPDATE"]
        allowed = ("docker.io/istio/proxyv2:1.30.3",) + (
            ("ghcr.io/cloudnative-pg/postgresql:16.14-system-trixie",) if region == "us-west-2" else ()
        )
        assert policy["spec"]["validations"][0]["expression"] == expression(allowed)
        assert binding["validationActions"] == ["Deny"]
        selector = binding["matchResources"]["namespaceSelector"]["matchLabels"]
        assert selector == {"tonebridge.io/image-digest": "required"}
        labelled = sorted(
            name
            for (_, name), ns in _objects(platform, "Namespace").items()
            if ns["metadata"]["labels"].items() >= selector.items()
        )
        assert labelled == [_release_namespace()], region


def _release_namespace() -> str:
    """The namespace the release job deploys production to (constructs/jenkins.py)."""
    from tonebridge.constructs import jenkins

    return jenkins.PRODUCTION_NAMESPACE
