"""The global stack (spec §2.1, §9.1): zone, certificate validation, HTTPS listeners, health checks,
failover records and the DR record; and its place last in the stack order."""

from __future__ import annotations

import json

from tests.conftest import resources

GLOBAL = "production-global"


def test_global_stack_comes_last(manifest):
    assert sorted(manifest[GLOBAL]["dependencies"]) == [
        "production-dr",
        "production-us-east-1",
        "production-us-east-1-platform",
        "production-us-west-2",
        "production-us-west-2-platform",
    ]
    assert sorted(manifest["local-global"]["dependencies"]) == [
        "local-us-east-1",
        "local-us-east-1-platform",
        "local-us-west-2",
        "local-us-west-2-platform",
    ]
    assert all("global" not in d for name, m in manifest.items() for d in m["dependencies"])


def test_global_stack_is_aws_only(stacks):
    for name in (GLOBAL, "local-global"):
        assert set(stacks[name]["terraform"]["required_providers"]) == {"aws"}


def test_public_zone(stacks):
    (zone,) = resources(stacks[GLOBAL], "aws_route53_zone").values()
    assert zone["name"] == "tonebridge.io" and "vpc" not in zone
    (local_zone,) = resources(stacks["local-global"], "aws_route53_zone").values()
    assert local_zone["name"] == "tonebridge.local"


def test_health_checks_on_both_regional_albs(stacks):
    checks = resources(stacks[GLOBAL], "aws_route53_health_check")
    assert sorted(checks) == ["health-us-east-1", "health-us-west-2"]
    for region, check in ((r, checks[f"health-{r}"]) for r in ("us-west-2", "us-east-1")):
        assert (check["type"], check["port"], check["resource_path"]) == ("HTTPS", 443, "/healthz/ready")
        assert (check["request_interval"], check["failure_threshold"]) == (30, 3)
        assert f"cross-stack-reference-input-production-{region}" in check["fqdn"] and "dns_name" in check["fqdn"]


def test_failover_records_alias_the_regional_albs(stacks):
    records = resources(stacks[GLOBAL], "aws_route53_record")
    for region, role in (("us-west-2", "PRIMARY"), ("us-east-1", "SECONDARY")):
        record = records[f"failover-{region}"]
        assert (record["name"], record["type"]) == ("api.tonebridge.io", "A")
        assert record["failover_routing_policy"] == {"type": role}
        assert record["set_identifier"] == role.lower()
        assert record["health_check_id"] == f"${{aws_route53_health_check.health-{region}.id}}"
        alias = record["alias"]
        assert alias["evaluate_target_health"] is True
        assert f"production-{region}.outputs" in alias["name"] and "dns_name" in alias["name"]
        assert "zone_id" in alias["zone_id"]


def test_dr_record_points_at_the_gcp_standby(stacks):
    records = resources(stacks[GLOBAL], "aws_route53_record")
    dr = records["dr"]
    assert (dr["name"], dr["type"], dr["ttl"]) == ("dr.api.tonebridge.io", "A", 60)
    (address,) = dr["records"]
    assert "production-dr.outputs" in address
    assert "dr" not in resources(stacks["local-global"], "aws_route53_record")


def test_certificate_validation_records_and_listeners(stacks):
    stack = stacks[GLOBAL]
    records = resources(stack, "aws_route53_record")["certificate-validation"]
    assert "toset(concat(" in records["for_each"]
    for region in ("us-west-2", "us-east-1"):
        assert f"production-{region}.outputs" in records["for_each"]
    assert records["name"] == "${each.value.resource_record_name}"
    validations = resources(stack, "aws_acm_certificate_validation")
    assert sorted(validations) == ["certificate-us-east-1", "certificate-us-west-2"]
    providers = {p.get("alias"): p["region"] for p in stack["provider"]["aws"]}
    assert providers == {None: "us-west-2", "us_west_2": "us-west-2", "us_east_1": "us-east-1"}
    listeners = resources(stack, "aws_lb_listener")
    for region in ("us-west-2", "us-east-1"):
        (listener,) = [v for k, v in listeners.items() if k.startswith(f"listener-{region}_https")]
        assert listener["port"] == 443 and listener["protocol"] == "HTTPS"
        assert listener["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        assert f"aws_acm_certificate_validation.certificate-{region}.certificate_arn" in listener["certificate_arn"]
        assert listener["default_action"][0]["fixed_response"]["status_code"] == "404"
    rules = [r for r in resources(stack, "aws_lb_listener_rule").values() if "us_west_2" in r["provider"]]
    paths = sorted(
        (r["priority"], c["path_pattern"]["values"][0]) for r in rules for c in r["condition"] if "path_pattern" in c
    )
    assert paths == [(1, "/api"), (2, "/auth"), (100, "/healthz/ready")]


def test_dr_failover_switch_repoints_the_secondary(environments):
    """dns.dr.failover: the SECONDARY record answers with the GCP standby's address.

    Only the regional infrastructure stacks the global stack refers to are built (not the whole environment):
    the switch is the global stack's own logic; where the address comes from is checked on the synthesis above.
    """
    from cdktf import Testing

    from tonebridge.stacks.global_dns import GlobalDnsStack
    from tonebridge.stacks.infrastructure import InfrastructureStack

    env = environments["production"]
    switched = env.model_copy(
        update={"dns": env.dns.model_copy(update={"dr": env.dns.dr.model_copy(update={"failover": True})})}
    )
    app = Testing.app()
    regional = {region: InfrastructureStack(app, switched, region) for region in switched.aws_regions}
    stack = GlobalDnsStack(app, switched, regional, after=[], dr_address="198.51.100.7")
    records = resources(json.loads(Testing.synth(stack)), "aws_route53_record")
    secondary = records["failover-us-east-1"]
    assert "alias" not in secondary and "health_check_id" not in secondary
    assert secondary["failover_routing_policy"] == {"type": "SECONDARY"} and secondary["ttl"] == 60
    assert secondary["records"] == ["198.51.100.7"]
    assert "alias" in records["failover-us-west-2"]
