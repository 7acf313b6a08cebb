"""Platform services alone, with what the environment files leave at defaults: cert-manager with its own CA name
and lifetime in its own namespace; the backup-freshness alert with notification channels; the load balancer
controller in its own namespace under its own service account."""

from __future__ import annotations

import json
from types import SimpleNamespace

from tests.conftest import resources
from tests.construct_harness import helm_values, manifests, only, synth_alone


def test_cert_manager_with_its_own_ca_name_lifetime_and_namespace():
    from tonebridge.constructs.cert_manager import CertManager, CertManagerProps

    props = CertManagerProps(
        kubernetes_version="1.35", namespace="pki", ca_name="tb-mesh", ca_duration="43800h", replicas=3
    )
    holder = {}
    out = synth_alone(
        lambda stack: holder.setdefault("cm", CertManager(stack, "cert-manager", props)),
        providers=("kubernetes", "helm"),
    )
    assert holder["cm"].ca_issuer == "tb-mesh-ca"
    assert ("Namespace", "pki") in manifests(out)
    values = helm_values(out, "cert-manager")
    assert values["replicaCount"] == 3 and values["webhook"]["replicaCount"] == 3
    assert values["cainjector"]["podDisruptionBudget"]["enabled"] is True
    objects = {(o["kind"], o["metadata"]["name"]): o for o in helm_values(out, "cert-manager-issuers")["resources"]}
    assert set(objects) == {
        ("ClusterIssuer", "tb-mesh-selfsigned"),
        ("Certificate", "tb-mesh-ca"),
        ("ClusterIssuer", "tb-mesh-ca"),
    }
    certificate = objects[("Certificate", "tb-mesh-ca")]
    assert certificate["metadata"]["namespace"] == "pki"
    assert certificate["spec"]["duration"] == "43800h" and certificate["spec"]["commonName"] == "tb-mesh CA"
    assert certificate["spec"]["issuerRef"]["name"] == "tb-mesh-selfsigned"
    assert objects[("ClusterIssuer", "tb-mesh-ca")]["spec"] == {"ca": {"secretName": "tb-mesh-ca"}}


def test_backup_freshness_alert_notifies_its_channels():
    from tonebridge.constructs.gcp.backup_freshness import BackupFreshness, BackupFreshnessProps

    channels = ["projects/tonebridge-dr/notificationChannels/123", "projects/tonebridge-dr/notificationChannels/456"]
    dr = SimpleNamespace(project_id="tonebridge-dr", alert_notification_channels=channels)
    props = BackupFreshnessProps(
        key_prefix="postgres-logical/production",
        metric_name="tb-unit-logical-backup-arrivals",
        rpo_text="2h",
        absence_minutes=150,
        runbook="Check the logical-backup CronJob.",
    )
    out = synth_alone(lambda stack: BackupFreshness(stack, "freshness", dr, props), providers=("google",))
    policy = only(out, "google_monitoring_alert_policy")
    assert policy["notification_channels"] == channels
    assert policy["display_name"].endswith("(2h)")
    (condition,) = policy["conditions"]
    assert condition["condition_absent"]["duration"] == "9000s"
    assert "logging.googleapis.com/user/tb-unit-logical-backup-arrivals" in condition["condition_absent"]["filter"]
    assert policy["documentation"] == {"content": "Check the logical-backup CronJob.", "mime_type": "text/markdown"}
    metric = only(out, "google_logging_metric")
    assert metric["name"] == "tb-unit-logical-backup-arrivals"
    assert "postgres-logical/production/" in metric["filter"]


def test_load_balancer_controller_in_its_own_namespace_and_service_account():
    from tonebridge.constructs.load_balancer_controller import LoadBalancerController, LoadBalancerControllerProps

    props = LoadBalancerControllerProps(
        cluster_name="tb-unit",
        region="us-east-1",
        vpc_id="vpc-9",
        role_arn="arn:aws:iam::111122223333:role/tb-unit-lbc",
        namespace="ingress",
        service_account="lbc",
        replicas=3,
        node_selector={"workload": "system"},
    )
    out = synth_alone(lambda stack: LoadBalancerController(stack, "lbc", props), providers=("helm",))
    release = only(out, "helm_release")
    assert release["namespace"] == "ingress"
    values = json.loads(release["values"][0])
    assert (values["clusterName"], values["region"], values["vpcId"]) == ("tb-unit", "us-east-1", "vpc-9")
    account = values["serviceAccount"]
    assert account["name"] == "lbc"
    assert account["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/tb-unit-lbc"}
    assert values["replicaCount"] == 3 and values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert values["nodeSelector"] == {"workload": "system"}
    assert not resources(out, "kubernetes_manifest")
