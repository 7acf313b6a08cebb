"""Observability (spec §7.1, §7.2, §7.3) in synthesized production, the cloud-side alarms, and the
early checks of the constructs' props. Expected values are typed in from the spec."""

from __future__ import annotations

import json

import pytest

from tests.config_lines import loader_report
from tests.conftest import chart_release as _release
from tests.conftest import objects_by_name as _objects
from tests.conftest import resources

WEST = "production-us-west-2-platform"
EAST = "production-us-east-1-platform"

#: Spec §7.3, typed in from the spec: (title, expr) in its order.
SPEC_PANELS = [
    ("Cluster CPU Usage", "sum(rate(container_cpu_usage_seconds_total[5m])) by (node)"),
    ("Memory Usage", "sum(container_memory_usage_bytes) by (node)"),
    ("Network I/O", "sum(rate(container_network_receive_bytes_total[5m]))"),
    ("Disk Usage", "sum(node_filesystem_size_bytes - node_filesystem_free_bytes) by (instance)"),
]
DATABASE_TOLERATION = {"key": "database", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def _values(stack, chart: str) -> dict:
    return json.loads(_release(stack, chart)[1]["values"][0])


@pytest.fixture(scope="module")
def west(stacks):
    return stacks[WEST]


@pytest.fixture(scope="module")
def west_objects(west):
    return _objects(west)


# --- metrics (spec §7.1) -------------------------------------------------------------------------


def test_prometheus_intervals_alertmanager_port_and_storage(west):
    from tonebridge.charts import KUBE_PROMETHEUS_STACK

    _, release = _release(west, "kube-prometheus-stack")
    assert release["repository"] == "https://prometheus-community.github.io/helm-charts"
    assert release["version"] == KUBE_PROMETHEUS_STACK.version
    assert release["namespace"] == "monitoring"
    values = json.loads(release["values"][0])
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["scrapeInterval"] == "15s"
    assert spec["evaluationInterval"] == "15s"
    assert spec["retention"] == "15d"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "fast-ssd"
    assert claim["resources"]["requests"]["storage"] == "100Gi"
    assert values["alertmanager"]["service"]["port"] == 9093
    assert spec["ruleSelectorNilUsesHelmValues"] is False  # every PrometheusRule, not only the release's
    assert values["alertmanager"]["alertmanagerSpec"]["replicas"] == 3
    for component in ("prometheus", "alertmanager"):  # one field only: null deletes the chart's minAvailable
        budget = values[component]["podDisruptionBudget"]
        assert budget == {"enabled": True, "maxUnavailable": 1, "minAvailable": None}


def test_monitoring_runs_on_the_management_pool(west):
    """Spec §2.2: monitoring on the private-management subnets, beside Jenkins, off the system pool."""
    values = _values(west, "kube-prometheus-stack")
    placement = (
        {"workload": "management"},
        [{"key": "management", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
    )
    for pod in (
        values["prometheus"]["prometheusSpec"],
        values["alertmanager"]["alertmanagerSpec"],
        values["grafana"],
        values["prometheusOperator"],
        values["prometheusOperator"]["admissionWebhooks"]["patch"],
        values["kube-state-metrics"],
        _values(west, "eck-operator"),
    ):
        assert (pod["nodeSelector"], pod["tolerations"]) == placement


def test_the_spec_scrape_jobs(west):
    jobs = {
        j["job_name"]: j
        for j in _values(west, "kube-prometheus-stack")["prometheus"]["prometheusSpec"]["additionalScrapeConfigs"]
    }
    assert sorted(jobs) == ["kubernetes-apiservers", "kubernetes-nodes", "kubernetes-pods"]
    api = jobs["kubernetes-apiservers"]
    assert api["kubernetes_sd_configs"] == [{"role": "endpoints"}]
    assert api["scheme"] == "https"
    assert api["tls_config"] == {"ca_file": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"}
    assert api["bearer_token_file"] == "/var/run/secrets/kubernetes.io/serviceaccount/token"  # noqa: S105 - a path
    assert api["relabel_configs"][0]["regex"] == "default;kubernetes;https"
    assert jobs["kubernetes-nodes"]["kubernetes_sd_configs"] == [{"role": "node"}]
    pods = jobs["kubernetes-pods"]
    assert pods["kubernetes_sd_configs"] == [{"role": "pod"}]
    assert pods["relabel_configs"][0] == {
        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        "action": "keep",
        "regex": "true",
    }


def test_rule_files_cover_cluster_health_and_the_services(west_objects):
    health = west_objects[("PrometheusRule", "cluster-health")]
    assert health["apiVersion"] == "monitoring.coreos.com/v1"
    alerts = {r["alert"] for g in health["spec"]["groups"] for r in g["rules"]}
    assert {"NodeNotReady", "NodeDiskFilling", "PodCrashLooping"} <= alerts
    services = west_objects[("PrometheusRule", "tonebridge-services")]
    rules = {r["alert"]: r for g in services["spec"]["groups"] for r in g["rules"]}
    assert set(rules) == {
        "ApiGatewayHighErrorRate",
        "ApiGatewayHighLatency",
        "LlmServiceHighErrorRate",
        "LlmServiceHighLatency",
    }
    assert 'destination_workload="llm-service"' in rules["LlmServiceHighErrorRate"]["expr"]
    assert 'response_code=~"5.."' in rules["LlmServiceHighErrorRate"]["expr"]
    assert rules["ApiGatewayHighErrorRate"]["expr"].endswith("> 0.05")
    assert rules["ApiGatewayHighLatency"]["expr"].startswith("histogram_quantile(0.99,")


def test_alerts_on_cadvisor_series_count_containers_only(stacks):
    """The kubelet's cAdvisor reports each pod's cgroup (image="") beside its containers': an alert summing
    container_* without image!="" counts every pod about twice and fires at half its threshold."""
    import re

    checked = 0
    for name, stack in stacks.items():
        if not name.endswith("-platform"):
            continue
        for (kind, _), obj in _objects(stack).items():
            if kind != "PrometheusRule":
                continue
            for rule in (r for g in obj["spec"]["groups"] for r in g["rules"] if "alert" in r):
                for selector in re.findall(r"\bcontainer_\w+(\{[^}]*\})?", rule["expr"]):
                    checked += 1
                    assert 'image!=""' in selector and 'container!=""' in selector, (name, rule["alert"])
    assert checked >= 4  # NodeHighCpu and NodeHighMemory in both production regions at least


def test_alertmanager_routes_to_the_receiver_with_the_url_from_vault(west, west_objects):
    am = _values(west, "kube-prometheus-stack")["alertmanager"]
    config = am["config"]
    assert config["route"]["receiver"] == "oncall"
    (receiver,) = [r for r in config["receivers"] if r["name"] == "oncall"]
    assert receiver["webhook_configs"] == [
        {"url_file": "/etc/alertmanager/secrets/alertmanager-webhook/url", "send_resolved": True}
    ]
    assert am["alertmanagerSpec"]["secrets"] == ["alertmanager-webhook"]
    secret = west_objects[("VaultStaticSecret", "alertmanager-webhook")]
    assert secret["spec"]["path"] == "monitoring/alertmanager"
    assert secret["spec"]["vaultAuthRef"] == "monitoring-vault-auth"


def test_cnpg_pod_monitor_waits_for_the_prometheus_operator(west):
    stack_id, _ = _release(west, "kube-prometheus-stack")
    (cluster,) = [r for k, r in resources(west, "helm_release").items() if k.startswith("postgres-staging-tonebridge")]
    assert f"helm_release.{stack_id}" in cluster["depends_on"]


def test_prometheus_may_scrape_the_isolated_namespaces(west):
    from tools.kube_objects import objects_of

    network_policies = [o for o in objects_of(west) if o["kind"] == "NetworkPolicy"]
    policies = {
        o["metadata"]["namespace"]: o for o in network_policies if o["metadata"]["name"] == "allow-monitoring-scrape"
    }
    denying = {o["metadata"]["namespace"] for o in network_policies if o["metadata"]["name"] == "default-deny"}
    # The platform's namespaces behind a default deny (spec §8.1's two, and the data stores' own).
    assert {"production", "staging"} <= set(policies) <= denying
    for policy in policies.values():
        (rule,) = policy["spec"]["ingress"]
        assert rule["from"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                # the labels the Prometheus Operator puts on Prometheus's pods (and the chart's PDB selects)
                "podSelector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "prometheus",
                        "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
                    }
                },
            }
        ]
        assert {p["port"] for p in rule["ports"]} == {15020, 9121, 9187}


# --- dashboards (spec §7.3) ----------------------------------------------------------------------


def test_infrastructure_overview_dashboard(west_objects):
    config_map = west_objects[("ConfigMap", "grafana-dashboards")]
    assert config_map["metadata"]["namespace"] == "monitoring"
    assert config_map["metadata"]["labels"] == {"grafana_dashboard": "1"}
    dashboard = json.loads(config_map["data"]["infrastructure.json"])
    assert dashboard["title"] == "Infrastructure Overview"
    assert [(p["title"], p["targets"][0]["expr"]) for p in dashboard["panels"]] == SPEC_PANELS
    # laid out without overlap on Grafana's grid
    cells = {(p["gridPos"]["x"], p["gridPos"]["y"]) for p in dashboard["panels"]}
    assert len(cells) == 4


def test_grafana_login_comes_from_a_vault_secret(west, west_objects):
    grafana = _values(west, "kube-prometheus-stack")["grafana"]
    assert grafana["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "adminPassword" not in grafana
    assert grafana["sidecar"]["dashboards"]["label"] == "grafana_dashboard"
    secret = west_objects[("VaultStaticSecret", "grafana-admin")]
    assert secret["spec"]["mount"] == "secret" and secret["spec"]["path"] == "monitoring/grafana"
    auth = west_objects[("VaultAuth", "monitoring-vault-auth")]
    assert auth["spec"]["kubernetes"]["role"] == "monitoring"
    assert auth["spec"]["kubernetes"]["serviceAccount"] == "monitoring-vault"


def test_vault_bootstrap_has_the_monitoring_role(west_objects):
    bootstrap = west_objects[("ConfigMap", "vault-bootstrap")]["data"]
    assert "auth/kubernetes/role/monitoring bound_service_account_names=monitoring-vault" in bootstrap["bootstrap.sh"]
    assert "bound_service_account_namespaces=monitoring" in bootstrap["bootstrap.sh"]
    policy = bootstrap["monitoring-read.hcl"]
    assert 'path "secret/data/monitoring/grafana"' in policy
    assert 'path "secret/data/monitoring/alertmanager"' in policy
    assert policy.count("path ") == 2


def test_vault_ca_bundle_reaches_the_monitoring_namespace(west):
    from tools.kube_objects import objects_of

    bundles = {
        o["metadata"]["namespace"]
        for o in objects_of(west)
        if o["kind"] == "Certificate" and o["metadata"]["name"] == "vault-ca"
    }
    assert "monitoring" in bundles  # the VaultConnection there verifies Vault's certificate with it
    connection = _objects(west)[("VaultConnection", "monitoring-vault")]
    assert connection["spec"] == {
        "address": "https://vault.vault.svc:8200",
        "caCertSecretRef": "vault-ca",
        "skipTLSVerify": False,
    }


# --- logs (spec §7.2) ----------------------------------------------------------------------------


def test_elasticsearch_has_the_spec_node_sets(west_objects):
    es = west_objects[("Elasticsearch", "elasticsearch")]
    assert es["apiVersion"] == "elasticsearch.k8s.elastic.co/v1"
    # spec §7.2's 8.11.0 is past its end of life: the current release of the 8.x line (docs/spec-map.md)
    assert es["spec"]["version"] == "8.19.19"
    sets = {s["name"]: s for s in es["spec"]["nodeSets"]}
    assert sorted(sets) == ["data", "master"]
    expected = {"master": (3, ["master"], "10Gi"), "data": (3, ["data", "ingest"], "100Gi")}
    for name, (count, roles, size) in expected.items():
        node_set = sets[name]
        assert node_set["count"] == count
        assert node_set["config"]["node.roles"] == roles
        (claim,) = node_set["volumeClaimTemplates"]
        assert claim["metadata"]["name"] == "elasticsearch-data"
        assert claim["spec"]["storageClassName"] == "fast-ssd"
        assert claim["spec"]["resources"]["requests"]["storage"] == size
        assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
        pod = node_set["podTemplate"]["spec"]
        assert pod["nodeSelector"] == {"workload": "database"}
        assert pod["tolerations"] == [DATABASE_TOLERATION]
        assert not pod.get("initContainers")  # vm.max_map_count is set on the nodes at boot (§12.1)


def test_kibana_and_filebeat_are_wired_by_eck(west_objects):
    kibana = west_objects[("Kibana", "kibana")]
    assert kibana["apiVersion"] == "kibana.k8s.elastic.co/v1"
    assert kibana["spec"]["elasticsearchRef"] == {"name": "elasticsearch"}
    beat = west_objects[("Beat", "filebeat")]
    assert beat["apiVersion"] == "beat.k8s.elastic.co/v1beta1"
    assert beat["spec"]["type"] == "filebeat"
    assert beat["spec"]["elasticsearchRef"] == {"name": "elasticsearch", "namespace": "logging"}
    assert beat["spec"]["version"] == kibana["spec"]["version"] == "8.19.19"
    pod = beat["spec"]["daemonSet"]["podTemplate"]["spec"]
    assert pod["tolerations"] == [{"operator": "Exists"}]  # every node
    paths = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    assert paths == {"/var/log/containers", "/var/log/pods"}
    (container,) = pod["containers"]
    assert container["securityContext"]["privileged"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_index_lifecycle_deletes_after_retention(west_objects):
    policy = json.loads(west_objects[("ConfigMap", "filebeat-ilm")]["data"]["policy.json"])["policy"]
    assert policy["phases"]["delete"] == {"min_age": "30d", "actions": {"delete": {}}}
    assert policy["phases"]["hot"]["actions"]["rollover"]["max_primary_shard_size"] == "50gb"
    config = west_objects[("Beat", "filebeat")]["spec"]["config"]
    assert config["setup.ilm.policy_file"] == "/usr/share/filebeat/ilm/policy.json"


def test_custom_resources_follow_their_operators(west):
    eck_id, eck = _release(west, "eck-operator")
    assert eck["repository"] == "https://helm.elastic.co"
    stack_id, _ = _release(west, "kube-prometheus-stack")
    releases = resources(west, "helm_release")
    elastic = next(r for k, r in releases.items() if k.startswith("observability_elastic-stack"))
    shipper = next(r for k, r in releases.items() if k.startswith("observability_log-shipper"))
    rules = next(r for k, r in releases.items() if k.startswith("observability_rules"))
    assert f"helm_release.{eck_id}" in elastic["depends_on"]
    assert f"helm_release.{eck_id}" in shipper["depends_on"]
    assert f"helm_release.{stack_id}" in rules["depends_on"]


def test_pod_security_levels(west_objects):
    def enforce(name):
        return west_objects[("Namespace", name)]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]

    assert enforce("monitoring") == enforce("logging") == enforce("elastic-system") == "restricted"
    agents = west_objects[("Namespace", "node-agents")]
    assert enforce("node-agents") == "privileged"
    assert "node-exporter" in agents["metadata"]["annotations"]["tonebridge.io/pod-security-reason"]


def test_node_exporter_runs_in_the_agents_namespace(west):
    values = _values(west, "kube-prometheus-stack")
    assert values["prometheus-node-exporter"]["namespaceOverride"] == "node-agents"
    grafana = values["grafana"]
    assert grafana["persistence"] == {"enabled": False}  # no volume, so no root init container to chown it
    assert grafana["containerSecurityContext"]["readOnlyRootFilesystem"] is True


def test_standby_region_runs_a_smaller_stack(stacks):
    east = _objects(stacks[EAST])
    sets = {s["name"]: s["count"] for s in east[("Elasticsearch", "elasticsearch")]["spec"]["nodeSets"]}
    assert sets == {"master": 3, "data": 2}
    spec = _values(stacks[EAST], "kube-prometheus-stack")["prometheus"]["prometheusSpec"]
    assert spec["scrapeInterval"] == "15s" and spec["replicas"] == 1


# --- cloud alarms ----------------------------------------------------------------------------------


def _alarms(stack) -> dict[str, dict]:
    return {a["alarm_name"]: a for a in resources(stack, "aws_cloudwatch_metric_alarm").values()}


def test_alarms_go_to_an_encrypted_tls_only_topic(stacks):
    infra = stacks["production-us-west-2"]
    (topic,) = resources(infra, "aws_sns_topic").values()
    assert topic["kms_master_key_id"].startswith("${aws_kms_key.alarms_key")
    keys = {k: v for k, v in resources(infra, "aws_kms_key").items() if k.startswith("alarms_key")}
    (key,) = keys.values()
    assert key["enable_key_rotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    assert statements["ServiceCloudwatch"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    (policy,) = resources(infra, "aws_sns_topic_policy").values()
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert "aws:SourceAccount" in statements["CloudWatchPublishes"]["Condition"]["StringEquals"]
    for alarm in _alarms(infra).values():
        (action,) = alarm["alarm_actions"]
        assert action.startswith("${aws_sns_topic.alarms_topic") and alarm["ok_actions"] == [action]


def test_rds_and_nat_alarms_with_thresholds_from_config(stacks):
    west = _alarms(stacks["production-us-west-2"])
    prefix = "tonebridge-production-us-west-2-"
    cpu = west[prefix + "rds-cpu-primary"]
    assert (cpu["namespace"], cpu["metric_name"], cpu["threshold"]) == ("AWS/RDS", "CPUUtilization", 80)
    assert cpu["dimensions"]["DBInstanceIdentifier"].startswith("${aws_db_instance.database")
    storage = west[prefix + "rds-free-storage-primary"]
    assert storage["comparison_operator"] == "LessThanThreshold"
    assert storage["threshold"] == 10 * 1024**3
    for zone in ("us-west-2a", "us-west-2b", "us-west-2c"):
        assert west[prefix + f"nat-port-allocation-{zone}"]["metric_name"] == "ErrorPortAllocation"
        dropped = west[prefix + f"nat-packets-dropped-{zone}"]
        assert (dropped["namespace"], dropped["metric_name"]) == ("AWS/NATGateway", "PacketsDropCount")
        assert dropped["treat_missing_data"] == "notBreaching"
    east = _alarms(stacks["production-us-east-1"])
    lag = east["tonebridge-production-us-east-1-rds-replica-lag-replica"]
    assert (lag["metric_name"], lag["threshold"]) == ("ReplicaLag", 300)
    assert not any("replica-lag" in name for name in west)


def test_forbidden_api_calls_are_counted_from_the_audit_log(stacks):
    infra = stacks["production-us-west-2"]
    (log_filter,) = resources(infra, "aws_cloudwatch_log_metric_filter").values()
    assert log_filter["log_group_name"].startswith("${aws_cloudwatch_log_group.cluster_control-plane-logs")
    assert log_filter["pattern"] == "{ $.responseStatus.code = 403 }"
    metric = log_filter["metric_transformation"]
    alarm = _alarms(infra)["tonebridge-production-us-west-2-eks-forbidden-api-calls"]
    assert (alarm["namespace"], alarm["metric_name"]) == (metric["namespace"], metric["name"])
    assert alarm["statistic"] == "Sum" and alarm["threshold"] == 50


# --- props and configuration checks --------------------------------------------------------------


def test_logs_settings_reject_an_even_or_missing_master(tmp_path):
    """The node sets are the settings' ``master`` and ``data`` with the construct's roles, so a master-eligible
    and a data node set always exist; an even master count and a version that is not x.y.z are refused by
    the settings, in code and in the file."""
    from pydantic import ValidationError

    from tonebridge.constructs.observability.logs import NODE_SET_ROLES, elasticsearch
    from tonebridge.props.observability import LogsSettings

    roles = {"master", "data", "ingest", "data_hot", "data_warm", "data_cold", "ml"}
    assert all(set(r) <= roles for r in NODE_SET_ROLES.values())
    node_sets = elasticsearch(LogsSettings())["spec"]["nodeSets"]
    assert any("master" in s["config"]["node.roles"] for s in node_sets)
    assert any("data" in s["config"]["node.roles"] for s in node_sets)
    report = loader_report(tmp_path, ("platform", "us-west-2", "observability", "logs", "master", "count"), 2)
    assert "master-eligible nodes must be odd to keep a quorum" in report, report
    with pytest.raises(ValidationError, match="should match pattern"):
        LogsSettings(version="latest")


def test_dashboard_and_metrics_settings_are_checked_early(tmp_path):
    from pydantic import ValidationError

    from tonebridge.constructs.observability.dashboards import Dashboard, Panel
    from tonebridge.props.observability import DashboardsSettings

    with pytest.raises(ValueError, match="distinct"):
        Dashboard("d", "d", [Panel("a", "up"), Panel("a", "up")])
    report = loader_report(tmp_path, ("platform", "us-west-2", "observability", "agents_namespace"), "monitoring")
    assert "namespace of its own" in report, report
    with pytest.raises(ValidationError, match="less than or equal to 5"):
        DashboardsSettings(replicas=9)
    report = loader_report(tmp_path, ("platform", "us-west-2", "observability", "dashboards", "replicas"), 9)
    assert "observability.dashboards.replicas: Input should be less than or equal to 5 (got 9)" in report, report


def test_alarm_settings_reject_sub_minute_periods(tmp_path):
    """The alarms take the validated ``cloud_alarms`` section: a period that is not whole minutes is a
    configuration line, before any construct runs."""
    report = loader_report(tmp_path, ("platform", "us-west-2", "observability", "cloud_alarms", "period_seconds"), 90)
    assert "multiple of 60" in report, report


# --- charts as the API server receives them, placement, flows, volumes (issue 15) ----------------


def _rendered(chart, values: dict, release: str, namespace: str) -> list[dict]:
    """``chart`` rendered by Helm's engine from the offline repository, its objects."""
    import os

    import helm_python
    import yaml

    repository = os.environ.get("TONEBRIDGE_CHART_REPOSITORY")
    if not repository:
        pytest.fail("TONEBRIDGE_CHART_REPOSITORY must name the offline chart repository")
    archive = f"{repository}/{chart.chart}-{chart.version}.tgz"
    manifests = helm_python.Chart.load(archive).render(values, name=release, namespace=namespace, is_install=True)
    return [
        doc
        for path, text in manifests.items()
        if path.endswith((".yaml", ".yml"))
        for doc in yaml.safe_load_all(text)
        if isinstance(doc, dict) and doc.get("kind")
    ]


def _budgets(objects: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "PodDisruptionBudget"}


def _settings():
    from tonebridge.props.observability import ObservabilitySettings

    return ObservabilitySettings(enabled=True)


def test_kube_prometheus_stack_budgets_set_one_field_only():
    """The chart's default minAvailable beside our maxUnavailable would make the API server refuse both."""
    from tonebridge.charts import KUBE_PROMETHEUS_STACK
    from tonebridge.constructs.kube import values_document
    from tonebridge.constructs.observability.metrics import stack_values

    # Through the JSON document the release passes, so that null reaches Helm as null.
    values = json.loads(values_document(stack_values(_settings())))
    budgets = _budgets(_rendered(KUBE_PROMETHEUS_STACK, values, "kube-prometheus-stack", "monitoring"))
    assert sorted(budgets) == ["kube-prometheus-stack-alertmanager", "kube-prometheus-stack-prometheus"]
    for spec in budgets.values():
        assert spec["maxUnavailable"] == 1 and "minAvailable" not in spec


def test_vault_secrets_operator_budget_sets_one_field_only():
    from tonebridge.charts import VAULT_SECRETS_OPERATOR
    from tonebridge.constructs.kube import values_document
    from tonebridge.constructs.vault_secrets_operator import NAMESPACE, RELEASE, operator_values
    from tonebridge.props.secrets import SecretsSettings

    values = json.loads(values_document(operator_values(SecretsSettings())))
    (spec,) = _budgets(_rendered(VAULT_SECRETS_OPERATOR, values, RELEASE, NAMESPACE)).values()
    assert spec["maxUnavailable"] == 1 and "minAvailable" not in spec


def test_monitoring_pods_request_what_they_need():
    """Requests on every pod of the stack, so the pool they are placed on is sized by them."""
    from tonebridge.constructs.observability.metrics import stack_values

    placement = {"node_selector": {"workload": "management"}, "tolerations": [{"key": "management"}]}
    values = stack_values(_settings(), **placement)
    for pod in (
        values["alertmanager"]["alertmanagerSpec"],
        values["grafana"],
        values["grafana"]["sidecar"],
        values["prometheusOperator"],
        values["prometheusOperator"]["prometheusConfigReloader"],
        values["kube-state-metrics"],
        values["prometheus-node-exporter"],
    ):
        assert set(pod["resources"]["requests"]) == {"cpu", "memory"}
    assert values["prometheus"]["prometheusSpec"]["nodeSelector"] == {"workload": "management"}
    assert values["prometheus-node-exporter"]["tolerations"] == [{"operator": "Exists"}]  # every node


def test_declared_flows_follow_the_scrape_policy():
    from tonebridge.constructs.observability import scrape_policy
    from tonebridge.constructs.observability.flows import dashboard_flows, log_flows, scrape_flows

    flows = scrape_flows("monitoring", ["production"], [15020, 9121])
    assert [f.describe() for f in flows] == [
        "prometheus -> production-pods:15020/TCP (Prometheus scrapes metrics port 15020 in production)",
        "prometheus -> production-pods:9121/TCP (Prometheus scrapes metrics port 9121 in production)",
    ]
    (peer,) = scrape_policy("production", "monitoring", [15020, 9121])["spec"]["ingress"][0]["from"]
    assert peer["podSelector"]["matchLabels"] == flows[0].source.pod_labels
    assert [f.describe() for f in dashboard_flows("monitoring")] == [
        "grafana -> prometheus:9090/TCP (Grafana queries Prometheus)"
    ]
    shipping = {f.source.name: f for f in log_flows("logging", "node-agents", "elastic-system", "elasticsearch")}
    assert sorted(shipping) == ["eck-operator", "filebeat", "kibana"]
    filebeat = shipping["filebeat"]
    assert (filebeat.source.namespace, filebeat.destination.namespace, filebeat.port) == (
        "node-agents",
        "logging",
        9200,
    )


def _environment(mutate):
    import copy

    import yaml

    from tonebridge.config.models import EnvironmentConfig
    from tonebridge.paths import PROJECT_ROOT

    doc = copy.deepcopy(yaml.safe_load((PROJECT_ROOT / "environments" / "production.yaml").read_text()))
    mutate(doc)
    return EnvironmentConfig.model_validate(doc)


def test_monitoring_needs_its_pool_in_the_region():
    from tonebridge.config.platform_observability import observability_problems

    def without_management(doc):
        del doc["clusters"]["us-east-1"]["node_groups"]["management"]

    lines = [p.render("environments/production.yaml") for p in observability_problems(_environment(without_management))]
    assert lines == [
        "environments/production.yaml: platform.us-east-1.observability.node_pool: no node group of "
        "clusters.us-east-1 is labelled workload=management with subnet_tier management: "
        "add one or choose another pool"
    ]


def test_claims_below_the_class_smallest_volume_are_refused():
    from tonebridge.config.platform_secrets import volume_problems

    def small_volumes(doc):
        doc["platform"]["us-east-1"]["secrets"]["vault"]["data_storage"] = "5Gi"
        doc["platform"]["us-west-2"]["observability"]["metrics"]["alertmanager_storage_size"] = "2048Mi"

    lines = [p.render("environments/production.yaml") for p in volume_problems(_environment(small_volumes))]
    assert lines == [
        "environments/production.yaml: platform.us-west-2.observability.metrics.alertmanager_storage_size: "
        "2048Mi is below fast-ssd's smallest volume (10Gi, platform.us-west-2.storage.fast_ssd.smallest_volume_gib; "
        "5000 IOPS need at least 10 GiB on gp3): EC2 would refuse it",
        "environments/production.yaml: platform.us-east-1.secrets.vault.data_storage: "
        "5Gi is below fast-ssd's smallest volume (10Gi, platform.us-east-1.storage.fast_ssd.smallest_volume_gib; "
        "5000 IOPS need at least 10 GiB on gp3): EC2 would refuse it",
    ]
    assert list(volume_problems(_environment(lambda doc: None))) == []


def test_metrics_setting_problems_are_lines_of_the_file(tmp_path):
    """The alert thresholds, Alertmanager's port and the replicas were checked by the constructs
    (AlertThresholds, MetricsProps) and again by the configuration; the settings are one model now
    (props/observability.py MetricsSettings, AlertRules), and the lines tests/construct_guards.py
    pinned for the constructs' checks are what the loader reports."""

    cases = [
        (("rules", "services"), [], "rules.services: List should have at least 1 item after validation, not 0"),
        (("rules", "error_rate"), 1.5, "rules.error_rate: Input should be less than 1 (got 1.5)"),
        (("alertmanager_port",), 70000, "alertmanager_port: Input should be less than or equal to 65535 (got 70000)"),
        (("prometheus_replicas",), 9, "prometheus_replicas: Input should be less than or equal to 5 (got 9)"),
        (("scrape_ports",), [0], "scrape_ports[0]: Input should be greater than or equal to 1 (got 0)"),
    ]
    for path, value, line in cases:
        report = loader_report(tmp_path, ("platform", "us-west-2", "observability", "metrics", *path), value)
        assert f"platform.us-west-2.observability.metrics.{line}" in report, report


#: The lines tests/construct_guards.py pinned for the checks of LogsProps, NodeSet and MetricsProps,
#: props dataclasses that copied the settings and checked them again; the settings are the construct's
#: input now (props/observability.py), and the loader reports these lines, before any construct runs.
SETTINGS_LINES = [
    (
        ("logs", "master", "count"),
        0,
        "platform.us-west-2.observability.logs.master.count: Input should be greater than or equal to 1 (got 0)",
    ),
    (
        ("logs", "master", "storage_size"),
        "10 GB",
        "platform.us-west-2.observability.logs.master.storage_size: '10 GB' is not a Kubernetes quantity "
        "(for example 500m, 2, 512Mi, 4Gi)",
    ),
    (
        ("logs", "version"),
        "8.11",
        "platform.us-west-2.observability.logs.version: String should match pattern '^\\d+\\.\\d+\\.\\d+$' "
        "(got '8.11')",
    ),
    (
        ("logs", "retention_days"),
        0,
        "platform.us-west-2.observability.logs.retention_days: Input should be greater than or equal to 1 (got 0)",
    ),
    (
        ("agents_namespace",),
        "logging",
        "platform.us-west-2.observability.agents_namespace: 'logging' is privileged for node agents: "
        "it must be a namespace of its own",
    ),
    (
        ("agents_namespace",),
        "monitoring",
        "platform.us-west-2.observability.agents_namespace: 'monitoring' is privileged for node agents: "
        "it must be a namespace of its own",
    ),
]


@pytest.mark.parametrize(("path", "value", "line"), SETTINGS_LINES)
def test_observability_setting_problems_are_lines_of_the_file(tmp_path, path, value, line):
    report = loader_report(tmp_path, ("platform", "us-west-2", "observability", *path), value)
    assert f"{tmp_path / 'production.yaml'}: {line}" in report.splitlines(), report


def test_alert_rules_in_code_are_checked_by_the_same_model():
    """Settings built in code (not from a file) meet the same field rules, and the construct renders
    the very object the configuration holds."""
    from pydantic import ValidationError

    from tonebridge.config.platform_observability import MetricsConfig
    from tonebridge.constructs.observability.metrics import prometheus_rules
    from tonebridge.props.observability import AlertRules

    for bad in ({"services": []}, {"error_rate": 0}, {"node_cpu_ratio": 1.2}, {"for_duration": "10 minutes"}):
        with pytest.raises(ValidationError):
            AlertRules(**bad)
    assert MetricsConfig().rules == AlertRules()
    rules = AlertRules(services=["checkout"], error_rate=0.1, latency_p99_ms=500)
    groups = [g for doc in prometheus_rules("monitoring", rules) for g in doc["spec"]["groups"]]
    exprs = {r["alert"]: r["expr"] for g in groups for r in g["rules"]}
    assert exprs["CheckoutHighErrorRate"].endswith("> 0.1")
    assert exprs["CheckoutHighLatency"].endswith("> 500")
