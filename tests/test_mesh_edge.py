"""Istio (§3.3), the L7 edge (§2.2) and Argo CD (§6.1): the spec's values in the synthesized
production us-west-2 stacks, and the early checks of the constructs' props."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources

PLATFORM = "production-us-west-2-platform"
INFRA = "production-us-west-2"
SYSTEM_TOLERATION = {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def _releases(stack: dict) -> dict[str, dict]:
    return {r["name"]: r for r in resources(stack, "helm_release").values()}


def _values(release: dict) -> dict:
    (document,) = release["values"]
    return json.loads(document)


def _objects(stack: dict, kind: str) -> list[dict]:
    from tools.kube_objects import objects_of

    return [o for o in objects_of(stack) if o["kind"] == kind]


# --- Istio (§3.3) ----------------------------------------------------------------------------


def test_istio_charts_pinned_in_order(stacks):
    from tonebridge import charts

    releases = _releases(stacks[PLATFORM])
    for name, chart in (
        ("istio-base", charts.ISTIO_BASE),
        ("istio-cni", charts.ISTIO_CNI),
        ("istiod", charts.ISTIOD),
        ("istio-ingressgateway", charts.ISTIO_GATEWAY),
    ):
        release = releases[name]
        assert (release["repository"], release["chart"], release["version"]) == (
            chart.repository,
            chart.chart,
            chart.version,
        )
    assert releases["istio-cni"]["namespace"] == "istio-cni"
    assert "global" not in _values(releases["istio-cni"])  # no template of the cni chart reads global.*
    assert {releases[n]["namespace"] for n in ("istio-base", "istiod", "istio-ingressgateway")} == {"istio-system"}
    assert any("istio_base_release" in d for d in releases["istiod"]["depends_on"])
    assert any("istio_istiod_release" in d for d in releases["istio-ingressgateway"]["depends_on"])


def test_istiod_values_are_the_specs(stacks):
    values = _values(_releases(stacks[PLATFORM])["istiod"])
    assert values["autoscaleEnabled"] is True
    assert (values["autoscaleMin"], values["autoscaleMax"]) == (2, 5)
    assert values["resources"]["requests"] == {"cpu": "500m", "memory": "2048Mi"}
    assert values["global"]["proxy"]["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "200m", "memory": "256Mi"},
    }
    assert values["cni"] == {"enabled": True}  # no NET_ADMIN/NET_RAW istio-init in application pods
    # 2 x 2Gi fits no t3.medium of the system pool beside its DaemonSets: the application pool.
    assert values["nodeSelector"] == {"workload": "application"}
    assert values["tolerations"] == []
    assert values["seccompProfile"] == {"type": "RuntimeDefault"}


def test_ingress_gateway_autoscales_2_to_10_with_a_budget(stacks):
    values = _values(_releases(stacks[PLATFORM])["istio-ingressgateway"])
    assert values["autoscaling"]["enabled"] is True
    assert (values["autoscaling"]["minReplicas"], values["autoscaling"]["maxReplicas"]) == (2, 10)
    assert "replicaCount" not in values  # the HPA owns replicas; the chart reads no replicaCount then
    assert values["podDisruptionBudget"] == {"minAvailable": 1}
    assert set(values["resources"]) == {"requests", "limits"}
    assert values["service"]["type"] == "ClusterIP"
    container = values["containerSecurityContext"]
    assert container["runAsNonRoot"] and container["readOnlyRootFilesystem"]
    assert container["capabilities"] == {"drop": ["ALL"]} and container["allowPrivilegeEscalation"] is False
    assert values["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


def test_namespaces_pod_security(stacks):
    from tonebridge.constructs.namespace import REASON_ANNOTATION

    namespaces = {o["metadata"]["name"]: o["metadata"] for o in _objects(stacks[PLATFORM], "Namespace")}
    system = namespaces["istio-system"]
    assert system["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert system["labels"]["name"] == "istio-system"  # what the §8.1 policy selects
    cni = namespaces["istio-cni"]
    assert cni["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert "NET_ADMIN" in cni["annotations"][REASON_ANNOTATION]
    assert namespaces["argocd"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_production_and_staging_have_strict_mtls(stacks):
    peers = {
        (p["metadata"]["namespace"], p["metadata"]["name"]): p for p in _objects(stacks[PLATFORM], "PeerAuthentication")
    }
    for namespace in ("production", "staging"):
        assert peers.pop((namespace, "default")) == {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": namespace},
            "spec": {"mtls": {"mode": "STRICT"}},
        }
    # the only exceptions: named workloads, STRICT but for the listed ports, each with its reason
    assert set(peers) == {("staging", "cnpg-tonebridge"), ("staging", "ci-tests-api-gateway")}
    database = peers[("staging", "cnpg-tonebridge")]
    assert database["spec"]["selector"] == {"matchLabels": {"cnpg.io/cluster": "tonebridge"}}
    assert database["spec"]["mtls"] == {"mode": "STRICT"}
    assert set(database["spec"]["portLevelMtls"]) == {"5432", "8000", "9187"}
    assert "hostssl" in database["metadata"]["annotations"]["tonebridge.io/mtls-exception-reason"]
    tests = peers[("staging", "ci-tests-api-gateway")]
    assert tests["spec"]["portLevelMtls"] == {"8080": {"mode": "PERMISSIVE"}}
    release = _releases(stacks[PLATFORM])["istio-strict-mtls"]
    assert any("istio_istiod_release" in d for d in release["depends_on"])


# --- L7 edge (§2.2) --------------------------------------------------------------------------


def _edge_protection_alone(*, rate_limit: int = 2000, blocked_countries=(), **props) -> dict:
    """An EdgeProtection synthesized in a stack of its own (the construct's unit test): the rules are an edge's
    settings, the rest is its wiring."""
    from cdktf import TerraformStack, Testing

    from tonebridge.constructs.edge_protection import EdgeProtection, EdgeProtectionProps
    from tonebridge.constructs.kms import KeyAccess
    from tonebridge.props.edge import EdgeSettings
    from tonebridge.props.security import SecuritySettings

    app = Testing.app()
    stack = TerraformStack(app, "unit")
    # Keys name their administrators and users: a stack registers who they are before it makes a key.
    KeyAccess.register(stack, SecuritySettings(deploy_principals=["role/deploy"], break_glass_role="role/break-glass"))
    EdgeProtection(
        stack,
        "edge",
        EdgeSettings(rate_limit=rate_limit, blocked_countries=list(blocked_countries)),
        EdgeProtectionProps(name="tb-unit", region="us-west-2", hostname="api.example.com", **props),
    )
    return json.loads(Testing.synth(stack))


def test_web_acl_rules_without_cloudfront():
    """A public ALB's ACL (no CDN in front): per-IP rate limit and geo block, as production had before."""
    stack = _edge_protection_alone(rate_limit=2000, blocked_countries=["CU", "IR", "KP", "SY"])
    (acl,) = resources(stack, "aws_wafv2_web_acl").values()
    rules = {r["name"]: r for r in acl["rule"]}
    assert sorted(r["priority"] for r in acl["rule"]) == list(range(len(acl["rule"])))
    rate = rules["rate-limit"]["statement"]["rate_based_statement"]
    assert (rate["limit"], rate["aggregate_key_type"]) == (2000, "IP")
    assert rules["rate-limit"]["action"] == {"block": {}}
    geo = rules["geo-block"]["statement"]["geo_match_statement"]
    assert geo["country_codes"] == ["CU", "IR", "KP", "SY"]
    behind = _edge_protection_alone(rate_limit=2000, blocked_countries=["KP"], client_ip_rules=False)
    (acl,) = resources(behind, "aws_wafv2_web_acl").values()
    assert {r["name"] for r in acl["rule"]} == {
        f"aws-{g}"
        for g in (
            "AWSManagedRulesAmazonIpReputationList",
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesSQLiRuleSet",
        )
    }
    with pytest.raises(ValueError, match="scope"):
        _edge_protection_alone(scope="GLOBAL")


def test_web_acl_rules(stacks):
    """Behind CloudFront the regional ACL keeps the managed rule groups (defence in depth); the per-IP
    rules live in the CLOUDFRONT ACL (tests/test_edge_cdn.py), which sees the viewer's address."""
    (acl,) = resources(stacks[INFRA], "aws_wafv2_web_acl").values()
    assert acl["scope"] == "REGIONAL" and acl["default_action"] == {"allow": {}}
    rules = {r["name"]: r for r in acl["rule"]}
    assert sorted(r["priority"] for r in acl["rule"]) == list(range(len(acl["rule"])))
    assert "rate-limit" not in rules and "geo-block" not in rules
    managed = {
        r["statement"]["managed_rule_group_statement"]["name"]
        for r in acl["rule"]
        if "managed_rule_group_statement" in r["statement"]
    }
    assert managed == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    for rule in [*acl["rule"], acl]:
        visibility = rule["visibility_config"]
        assert visibility["cloudwatch_metrics_enabled"] is True and visibility["sampled_requests_enabled"] is True


def test_waf_logs_to_an_encrypted_group_with_credentials_redacted(stacks):
    stack = stacks[INFRA]
    (logging,) = resources(stack, "aws_wafv2_web_acl_logging_configuration").values()
    groups = {k: g for k, g in resources(stack, "aws_cloudwatch_log_group").items() if k.startswith("edge_")}
    ((group_id, group),) = groups.items()
    assert group["name"] == "aws-waf-logs-tonebridge-production-us-west-2"
    assert group["kms_key_id"].startswith("${aws_kms_key.edge_")
    assert group["retention_in_days"] == 365
    assert logging["log_destination_configs"] == [f"${{aws_cloudwatch_log_group.{group_id}.arn}}"]
    assert {f["single_header"]["name"] for f in logging["redacted_fields"]} == {"authorization", "cookie"}


def test_certificate_and_outputs(stacks):
    stack = stacks[INFRA]
    (cert,) = resources(stack, "aws_acm_certificate").values()
    assert cert["domain_name"] == "api.tonebridge.io"
    assert cert["validation_method"] == "DNS"
    assert cert["lifecycle"] == {"create_before_destroy": True}
    assert {"edge_web_acl_arn", "edge_certificate_arn", "edge_certificate_validation"} <= set(stack["output"])


def test_load_balancer_controller(stacks):
    from tonebridge import charts

    release = _releases(stacks[PLATFORM])["aws-load-balancer-controller"]
    assert (release["chart"], release["version"]) == (
        "aws-load-balancer-controller",
        charts.AWS_LOAD_BALANCER_CONTROLLER.version,
    )
    assert release["namespace"] == "kube-system"
    values = _values(release)
    assert values["replicaCount"] == 2 and values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert values["serviceAccount"]["name"] == "aws-load-balancer-controller"
    role = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert "irsa-load-balancer-controller_role" in role and role.startswith("${data.terraform_remote_state.")
    assert values["clusterName"].startswith("${data.terraform_remote_state.")
    assert values["vpcId"].startswith("${data.terraform_remote_state.")
    assert values["region"] == "us-west-2"
    assert values["nodeSelector"] == {"workload": "application"} and values["tolerations"] == []
    assert values["securityContext"]["readOnlyRootFilesystem"] is True


def test_gateway_bound_to_the_terraform_owned_alb(stacks):
    """The ALB is Terraform's (infrastructure stack); the controller only registers the gateway's pods."""
    bindings = {o["metadata"]["name"]: o for o in _objects(stacks[PLATFORM], "TargetGroupBinding")}
    assert sorted(bindings) == ["edge-gateway", "edge-status"]
    for name, port, target in (("edge-gateway", 80, "gateway"), ("edge-status", 15021, "status")):
        binding = bindings[name]
        assert binding["apiVersion"] == "elbv2.k8s.aws/v1beta1"
        assert binding["metadata"]["namespace"] == "istio-system"
        spec = binding["spec"]
        assert spec["serviceRef"] == {"name": "istio-ingressgateway", "port": port}
        assert spec["targetType"] == "ip"
        assert f"aws_lb_target_groupedge-alb_{target}" in spec["targetGroupARN"]
        assert "networking" not in spec  # Terraform owns the security group rules
    assert not _objects(stacks[PLATFORM], "Ingress")


@pytest.mark.parametrize("region", ["us-west-2", "us-east-1"])
def test_gateway_pods_listen_on_port_80_for_the_hosts_the_alb_forwards(stacks, region):
    """Gateway ``istio-system/edge`` selects the gateway pods (the chart's ``istio`` label) with an HTTP server
    on the traffic target group's port for the origin name CloudFront sends as Host, which the listener rules
    of the global stack match too; it goes in with the TargetGroupBindings, after Istio's CRDs."""
    platform = stacks[f"production-{region}-platform"]
    (gateway,) = _objects(platform, "Gateway")
    assert gateway["apiVersion"] == "networking.istio.io/v1"
    assert (gateway["metadata"]["namespace"], gateway["metadata"]["name"]) == ("istio-system", "edge")
    assert gateway["spec"] == {
        "selector": {"istio": "ingressgateway"},
        "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["origin.tonebridge.io"]}],
    }
    rules = resources(stacks["production-global"], "aws_lb_listener_rule").values()
    listener_hosts = {
        host
        for rule in rules
        for condition in rule["condition"]
        for host in (condition.get("host_header") or {}).get("values", [])
    }
    assert listener_hosts == {"origin.tonebridge.io"}
    (release,) = [r for r in resources(platform, "helm_release").values() if r["name"] == "edge-target-groups"]
    assert any("istio_base_release" in d for d in release["depends_on"])


def test_alb_in_the_infrastructure_stack(stacks):
    infra = stacks[INFRA]
    (alb,) = resources(infra, "aws_lb").values()
    assert alb["internal"] is False and alb["load_balancer_type"] == "application"
    assert alb["drop_invalid_header_fields"] is True and alb["enable_deletion_protection"] is True
    assert "aws_subnet" in json.dumps(alb["subnets"]) and "public" in json.dumps(alb["subnets"])
    (association,) = resources(infra, "aws_wafv2_web_acl_association").values()
    assert "aws_wafv2_web_acl.edge_web-acl" in association["web_acl_arn"]
    groups = {g["port"]: g for g in resources(infra, "aws_lb_target_group").values()}
    assert sorted(groups) == [80, 15021]
    for group in groups.values():
        assert group["target_type"] == "ip"
        assert (group["health_check"]["port"], group["health_check"]["path"]) == ("15021", "/healthz/ready")
        assert group["tags"] == {"elbv2.k8s.aws/cluster": "tonebridge-production"}
    (http,) = resources(infra, "aws_lb_listener").values()
    assert http["port"] == 80 and http["default_action"][0]["redirect"]["protocol"] == "HTTPS"
    ingress = resources(infra, "aws_vpc_security_group_ingress_rule")
    public = [r for r in ingress.values() if r.get("cidr_ipv4") == "0.0.0.0/0"]
    assert public == []  # origin protection: CloudFront is the only way in (tests/test_edge_cdn.py)
    assert len(alb["security_groups"]) == 2
    targets = [
        r for r in ingress.values() if "referenced_security_group_id" in r and "ALB" in str(r.get("description"))
    ]
    assert sorted(r["from_port"] for r in targets) == [80, 15021]
    outputs = infra["output"]
    for name in ("edge_load_balancer_dns_name", "edge_load_balancer_zone_id", "edge_gateway_target_group_arn"):
        assert name in outputs


# --- Argo CD (§6.1) --------------------------------------------------------------------------


def test_argocd_release(stacks):
    release = _releases(stacks[PLATFORM])["argocd"]
    assert release["namespace"] == "argocd" and release["chart"] == "argo-cd"
    values = _values(release)
    assert values["server"]["replicas"] == 2 and values["server"]["pdb"]["enabled"] is True
    assert values["repoServer"]["replicas"] == 2 and values["repoServer"]["pdb"]["enabled"] is True
    assert values["controller"]["replicas"] == 1
    assert values["server"]["service"]["type"] == "ClusterIP"
    assert values["server"]["ingress"]["enabled"] is False
    assert values["dex"]["enabled"] is False
    assert values["global"]["nodeSelector"] == {"workload": "application"}
    assert "argocdServerAdminPassword" not in json.dumps(values)


def test_application_is_exactly_the_specs(stacks):
    (app,) = _objects(stacks[PLATFORM], "Application")
    assert app == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "tonebridge-production", "namespace": "argocd"},
        "spec": {
            "project": "tonebridge",
            "source": {
                "repoURL": "https://github.com/tonebridge/k8s-manifests",
                "targetRevision": "main",
                "path": "environments/production",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "production"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True, "allowEmpty": False},
                "syncOptions": ["Validate=true", "CreateNamespace=false"],
                "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
            },
        },
    }


def test_app_project_confines_the_application(stacks):
    (project,) = _objects(stacks[PLATFORM], "AppProject")
    assert project["metadata"] == {"name": "tonebridge", "namespace": "argocd"}
    spec = project["spec"]
    assert spec["sourceRepos"] == ["https://github.com/tonebridge/k8s-manifests"]
    assert spec["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": "production"}]
    assert spec["clusterResourceWhitelist"] == []
    assert {"group": "", "kind": "ResourceQuota"} in spec["namespaceResourceBlacklist"]


def test_standby_region_runs_no_argocd(stacks):
    releases = _releases(stacks["production-us-east-1-platform"])
    assert "argocd" not in releases and "istiod" in releases


# --- props validation ------------------------------------------------------------------------


def test_istio_props_checked_early():
    """The settings' own types refuse a container without requests; the props check the rest."""
    from tonebridge.constructs.istio import IstioProps
    from tonebridge.props.istio import Autoscale, IstioSettings

    with pytest.raises(ValueError, match="istiod_autoscale"):
        IstioProps(kubernetes_version="1.35", settings=IstioSettings(istiod_autoscale=Autoscale(min=5, max=2)))
    with pytest.raises(ValueError, match="cni_namespace"):
        IstioProps(kubernetes_version="1.35", settings=IstioSettings(cni_namespace="istio-system"))
    with pytest.raises(ValueError, match="proxy_resources"):
        IstioSettings(proxy_resources={"cpu_limit": "1", "memory_limit": "1Gi"})
    with pytest.raises(ValueError, match="DNS label"):
        IstioProps(kubernetes_version="1.35", strict_mtls_namespaces=["Production"])


def test_edge_props_checked_early():
    from tonebridge.config.platform_mesh import EdgeConfig
    from tonebridge.constructs.edge_binding import EdgeBindingProps
    from tonebridge.constructs.edge_listener import EdgeListenerProps
    from tonebridge.constructs.edge_load_balancer import EdgeLoadBalancerProps

    # The web ACL's settings are the edge model's (EdgeProtection takes them as validated, one rule each).
    with pytest.raises(ValueError, match="blocked_countries"):
        EdgeConfig(hostname="api.example.org", blocked_countries=["usa"])
    with pytest.raises(ValueError, match="rate_limit"):
        EdgeConfig(hostname="api.example.org", rate_limit=5)
    with pytest.raises(ValueError, match="hostname"):
        EdgeConfig(hostname="API.example.org")
    with pytest.raises(ValueError, match="managed_rule_groups"):
        EdgeConfig(hostname="api.example.org", managed_rule_groups=[])
    listener = dict(
        load_balancer_arn="arn",
        certificate_arn="arn",
        gateway_target_group_arn="arn",
        status_target_group_arn="arn",
        hostnames=["api.example.org"],
        provider=None,
    )
    # The listener checks its routes itself (model_construct: settings that skipped the model's own rules).
    with pytest.raises(ValueError, match="paths"):
        EdgeListenerProps(**listener, routes=EdgeConfig.model_construct(paths=["/api/"]))
    with pytest.raises(ValueError, match="ssl_policy"):
        EdgeListenerProps(
            **listener, routes=EdgeConfig.model_construct(paths=["/api"], ssl_policy="ELBSecurityPolicy-2016-08")
        )
    with pytest.raises(ValueError, match="paths"):
        EdgeListenerProps(**listener, routes=EdgeConfig.model_construct(paths=[f"/p{i}" for i in range(100)]))
    alb = dict(vpc_id="vpc", subnet_ids=["a", "b"], target_cidrs=["10.0.0.0/16"], target_security_group_id="sg")
    with pytest.raises(ValueError, match="ALB name"):
        EdgeLoadBalancerProps(**alb, name="tonebridge-production-eu-central-1", cluster_name="c", web_acl_arn="arn")
    with pytest.raises(ValueError, match="WAF"):
        EdgeLoadBalancerProps(**alb, name="edge", cluster_name="c", web_acl_arn="")
    with pytest.raises(ValueError, match="DNS label"):
        EdgeBindingProps(namespace="Istio", service="gw", gateway_target_group_arn="a", status_target_group_arn="b")
    with pytest.raises(ValueError, match="hosts"):
        EdgeBindingProps(namespace="istio", service="gw", gateway_target_group_arn="a", status_target_group_arn="b")


def test_argocd_settings_checked_early():
    from pydantic import ValidationError

    from tonebridge.props.argocd import ArgoApplicationSettings

    app = dict(name="app", repo_url="https://example.org/r", target_revision="main", path="env/p", namespace="p")
    ArgoApplicationSettings(**app)
    with pytest.raises(ValidationError, match="https"):
        ArgoApplicationSettings(**{**app, "repo_url": "http://example.org/r"})
    with pytest.raises(ValidationError, match="duration"):
        ArgoApplicationSettings(**app, backoff_max_duration="3 minutes")
    # A path outside the repository and the project 'default' are configuration rules (config/guard_rules.py),
    # checked once, on load: tests/test_gitops_security.py ARGO_LINES holds their lines.


def test_load_balancer_controller_props_checked_early():
    from tonebridge.constructs.load_balancer_controller import LoadBalancerControllerProps

    with pytest.raises(ValueError, match="role_arn"):
        LoadBalancerControllerProps(cluster_name="c", region="us-west-2", vpc_id="vpc-1", role_arn="")
    with pytest.raises(ValueError, match="replicas"):
        LoadBalancerControllerProps(cluster_name="c", region="us-west-2", vpc_id="vpc-1", role_arn="arn", replicas=0)
