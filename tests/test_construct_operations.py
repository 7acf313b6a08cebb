"""Alarms and the origin secret alone, with settings the environment files do not use: alarms on a replica region
only (no primary database, no NAT gateways, no control-plane log group) with their own thresholds and periods; an
origin secret whose active slot is b, at the ALB's maximum length, deleted without a recovery window."""

from __future__ import annotations

from tests.conftest import resources
from tests.construct_harness import only, synth_alone


def test_alarms_of_a_replica_region_only_with_their_own_thresholds():
    from tonebridge.config.platform_observability import CloudAlarmsConfig
    from tonebridge.constructs.cloud_alarms import CloudAlarms, CloudAlarmsProps

    props = CloudAlarmsProps(
        name="tb-unit-east",
        settings=CloudAlarmsConfig(period_seconds=60, evaluation_periods=5, rds_replica_lag_seconds=120),
        replicas={"replica": "tb-replica"},
    )
    out = synth_alone(lambda stack: CloudAlarms(stack, "alarms", props), region="us-east-1")
    alarm = only(out, "aws_cloudwatch_metric_alarm")  # nothing else to watch here
    assert alarm["alarm_name"] == "tb-unit-east-rds-replica-lag-replica"
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/RDS", "ReplicaLag")
    assert alarm["dimensions"] == {"DBInstanceIdentifier": "tb-replica"}
    assert (alarm["threshold"], alarm["statistic"], alarm["comparison_operator"]) == (
        120,
        "Maximum",
        "GreaterThanThreshold",
    )
    assert (alarm["period"], alarm["evaluation_periods"]) == (60, 5)
    (topic_id,) = resources(out, "aws_sns_topic")
    assert alarm["alarm_actions"] == [f"${{aws_sns_topic.{topic_id}.arn}}"]
    assert "aws_cloudwatch_log_metric_filter" not in out["resource"]
    assert only(out, "aws_sns_topic")["kms_master_key_id"].startswith("${aws_kms_key.")


def test_alarms_on_nat_gateways_and_the_audit_log_with_their_own_thresholds():
    from tonebridge.config.platform_observability import CloudAlarmsConfig
    from tonebridge.constructs.cloud_alarms import CloudAlarms, CloudAlarmsProps

    props = CloudAlarmsProps(
        name="tb-unit",
        settings=CloudAlarmsConfig(nat_packets_dropped=10, nat_port_allocation_errors=5, forbidden_api_calls=7),
        nat_gateways={"us-west-2a": "nat-1"},
        control_plane_log_group="/aws/eks/tb-unit/cluster",
    )
    out = synth_alone(lambda stack: CloudAlarms(stack, "alarms", props))
    alarms = {a["alarm_name"]: a for a in resources(out, "aws_cloudwatch_metric_alarm").values()}
    assert set(alarms) == {
        "tb-unit-nat-port-allocation-us-west-2a",
        "tb-unit-nat-packets-dropped-us-west-2a",
        "tb-unit-eks-forbidden-api-calls",
    }
    assert alarms["tb-unit-nat-port-allocation-us-west-2a"]["threshold"] == 5
    assert alarms["tb-unit-nat-packets-dropped-us-west-2a"]["threshold"] == 10
    assert alarms["tb-unit-nat-packets-dropped-us-west-2a"]["treat_missing_data"] == "notBreaching"
    assert alarms["tb-unit-eks-forbidden-api-calls"]["threshold"] == 7
    metric_filter = only(out, "aws_cloudwatch_log_metric_filter")
    assert metric_filter["log_group_name"] == "/aws/eks/tb-unit/cluster"
    assert metric_filter["pattern"] == "{ $.responseStatus.code = 403 }"


def test_origin_secret_slot_b_at_maximum_length_without_recovery_window():
    from tonebridge.constructs.origin_secret import OriginSecret
    from tonebridge.props.cdn import OriginSecretSettings

    settings = OriginSecretSettings(active="b", length=128, recovery_window_days=0)

    def build(stack):
        from cdktf import TerraformOutput

        TerraformOutput(
            stack, "active", value=OriginSecret(stack, "origin", settings, name="tb-unit").active_value, sensitive=True
        )

    out = synth_alone(build)
    secrets = {s["name"]: s for s in resources(out, "aws_secretsmanager_secret").values()}
    assert set(secrets) == {"tb-unit-origin-secret-a", "tb-unit-origin-secret-b"}
    assert {s["recovery_window_in_days"] for s in secrets.values()} == {0}
    randoms = out["data"]["aws_secretsmanager_random_password"]
    assert {r["password_length"] for r in randoms.values()} == {128}
    assert all(r["exclude_punctuation"] is True for r in randoms.values())
    # what CloudFront sends is slot b's value
    (version_b,) = [i for i, v in resources(out, "aws_secretsmanager_secret_version").items() if "value-b" in i]
    assert out["output"]["active"]["value"] == f"${{aws_secretsmanager_secret_version.{version_b}.secret_string}}"
