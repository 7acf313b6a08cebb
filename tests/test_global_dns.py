"""The global stack (spec §2.1, §9.1): zone, certificate validation, HTTPS listeners, health checks,
latency/geolocation routing records behind a failover pair, the CloudFront aliases and the DR record;
and its place last in the stack order. CloudFront itself: tests/test_edge_cdn.py."""

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


def test_latency_records_send_users_to_the_nearest_healthy_region(stacks):
    """One latency record per region under regions.<origin>, each aliased to its ALB and tied to the
    region's health check: an unhealthy region drops out, the nearest healthy one answers."""
    records = resources(stacks[GLOBAL], "aws_route53_record")
    for region in ("us-west-2", "us-east-1"):
        record = records[f"latency-{region}"]
        assert (record["name"], record["type"]) == ("regions.origin.tonebridge.io", "A")
        assert record["latency_routing_policy"] == {"region": region}
        assert record["set_identifier"] == region
        assert record["health_check_id"] == f"${{aws_route53_health_check.health-{region}.id}}"
        alias = record["alias"]
        assert alias["evaluate_target_health"] is True
        assert f"production-{region}.outputs" in alias["name"] and "dns_name" in alias["name"]
        assert "zone_id" in alias["zone_id"]
    assert not [k for k in records if k.startswith("failover-us-")]


def test_failover_pair_in_front_of_the_regions(stacks):
    """origin.tonebridge.io (CloudFront's origin): PRIMARY aliases the latency set, healthy while any
    region is; no SECONDARY until dns.dr.failover."""
    records = resources(stacks[GLOBAL], "aws_route53_record")
    primary = records["failover-aws"]
    assert (primary["name"], primary["type"], primary["set_identifier"]) == ("origin.tonebridge.io", "A", "aws")
    assert primary["failover_routing_policy"] == {"type": "PRIMARY"}
    assert primary["alias"] == {
        "name": "regions.origin.tonebridge.io",
        "zone_id": "${aws_route53_zone.zone.zone_id}",
        "evaluate_target_health": True,
    }
    assert sorted(primary["depends_on"]) == [
        "aws_route53_record.latency-us-east-1",
        "aws_route53_record.latency-us-west-2",
    ]
    assert "failover-gcp" not in records
    # local: the same tree for its one region
    local = resources(stacks["local-global"], "aws_route53_record")
    assert local["latency-us-west-2"]["name"] == "regions.origin.tonebridge.local"
    assert local["failover-aws"]["alias"]["name"] == "regions.origin.tonebridge.local"


def test_public_name_aliases_cloudfront(stacks):
    records = resources(stacks[GLOBAL], "aws_route53_record")
    (distribution_id,) = resources(stacks[GLOBAL], "aws_cloudfront_distribution")
    for record_type in ("a", "aaaa"):
        record = records[f"cdn-0-{record_type}"]
        assert (record["name"], record["type"]) == ("api.tonebridge.io", record_type.upper())
        assert record["alias"] == {
            "name": f"${{aws_cloudfront_distribution.{distribution_id}.domain_name}}",
            "zone_id": f"${{aws_cloudfront_distribution.{distribution_id}.hosted_zone_id}}",
            "evaluate_target_health": False,
        }
        assert "set_identifier" not in record


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
    assert sorted(validations) == ["certificate-cdn", "certificate-us-east-1", "certificate-us-west-2"]
    # CloudFront's certificate is validated by the primary's records (same names, same ACM records); its own
    # options would make the for_each keys unknown until apply (its certificate is created in this stack).
    assert "cdn-edge_certificate" not in records["for_each"]
    assert validations["certificate-cdn"]["depends_on"] == ["aws_route53_record.certificate-validation"]
    assert validations["certificate-cdn"]["provider"] == "aws.us_east_1"
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
    assert paths == [(1, "/api"), (2, "/auth"), (3, "/static"), (100, "/healthz/ready")]


def _global_stack(env, dr_address=None) -> dict:
    """The global stack of ``env`` with only the regional infrastructure stacks it refers to."""
    from cdktf import Testing

    from tonebridge.stacks.global_dns import GlobalDnsStack
    from tonebridge.stacks.infrastructure import InfrastructureStack

    app = Testing.app()
    regional = {region: InfrastructureStack(app, env, region) for region in env.aws_regions}
    return json.loads(Testing.synth(GlobalDnsStack(app, env, regional, after=[], dr_address=dr_address)))


def test_dr_failover_switch_adds_gcp_behind_the_regions(environments):
    """dns.dr.failover: the GCP standby becomes the SECONDARY of the routed name; the PRIMARY (the AWS
    latency set) stays health-checked, so traffic goes to GCP only while no AWS region is healthy."""
    env = environments["production"]
    switched = env.model_copy(
        update={"dns": env.dns.model_copy(update={"dr": env.dns.dr.model_copy(update={"failover": True})})}
    )
    records = resources(_global_stack(switched, dr_address="198.51.100.7"), "aws_route53_record")
    secondary = records["failover-gcp"]
    assert secondary["name"] == "origin.tonebridge.io" and "alias" not in secondary
    assert secondary["failover_routing_policy"] == {"type": "SECONDARY"} and secondary["ttl"] == 60
    assert secondary["records"] == ["198.51.100.7"]
    assert records["failover-aws"]["failover_routing_policy"] == {"type": "PRIMARY"}
    assert {"latency-us-west-2", "latency-us-east-1"} <= set(records)


def test_geolocation_policy_and_the_cdn_switched_off(environments):
    """routing.policy geolocation: one record per mapped location plus the default ('*'); without the CDN
    the public name itself is routed, the ALBs are open again and keep their own per-IP rules."""
    from tonebridge.props.global_dns import GeoLocationSettings

    env = environments["production"]
    routing = env.dns.routing.model_copy(
        update={
            "policy": "geolocation",
            "geolocation": [
                GeoLocationSettings(continent="NA", region="us-east-1"),
                GeoLocationSettings(country="JP", region="us-west-2"),
            ],
        }
    )
    cdn_off = env.dns.cdn.model_copy(update={"enabled": False})
    geo = env.model_copy(update={"dns": env.dns.model_copy(update={"routing": routing, "cdn": cdn_off})})
    stack = _global_stack(geo)
    records = resources(stack, "aws_route53_record")
    assert records["geo-NA"]["geolocation_routing_policy"] == {"continent": "NA"}
    assert records["geo-NA"]["health_check_id"] == "${aws_route53_health_check.health-us-east-1.id}"
    assert records["geo-JP"]["geolocation_routing_policy"] == {"country": "JP"}
    default = records["geo-default"]
    assert default["geolocation_routing_policy"] == {"country": "*"} and "us-west-2" in default["set_identifier"]
    assert {r["name"] for k, r in records.items() if k.startswith("geo-")} == {"regions.api.tonebridge.io"}
    assert records["failover-aws"]["name"] == "api.tonebridge.io"
    assert "aws_cloudfront_distribution" not in stack["resource"]
    rules = resources(stack, "aws_lb_listener_rule").values()
    assert not [c for r in rules for c in r["condition"] if "http_header" in c]
