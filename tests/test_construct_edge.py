"""Edge constructs alone, with what the environment files never set: an ALB open to the internet (no origin
protection) with access logs, Shield Advanced and a non-default port; a CDN with cached query strings, cookies in the
logs, no security-headers policy, a geo block list, IPv4 only and Shield Advanced."""

from __future__ import annotations

from tests.conftest import resources
from tests.construct_harness import only, synth_alone


def test_an_open_alb_with_access_logs_shield_and_its_own_port():
    from tonebridge.constructs.edge_load_balancer import EdgeLoadBalancer, EdgeLoadBalancerProps
    from tonebridge.props.edge import EdgeSettings

    options = EdgeSettings(deletion_protection=False, access_logs_bucket="tb-unit-alb-logs", shield_advanced=True)
    props = EdgeLoadBalancerProps(
        name="tb-unit",
        vpc_id="vpc-1",
        subnet_ids=["subnet-a", "subnet-b"],
        target_cidrs=["10.0.0.0/16", "100.64.0.0/16"],
        target_security_group_id="sg-nodes",
        cluster_name="tb-unit",
        web_acl_arn="arn:aws:wafv2:us-west-2:111122223333:regional/webacl/tb-unit/1",
        service_port=8080,
        idle_timeout=120,
        origin_protection=False,
    )
    out = synth_alone(lambda stack: EdgeLoadBalancer(stack, "edge", options, props))
    lb = only(out, "aws_lb")
    assert lb["enable_deletion_protection"] is False
    assert lb["idle_timeout"] == 120
    assert lb["access_logs"] == {"bucket": "tb-unit-alb-logs", "prefix": "alb/tb-unit", "enabled": True}
    (lb_id,) = resources(out, "aws_lb")
    assert only(out, "aws_shield_protection")["resource_arn"] == f"${{aws_lb.{lb_id}.arn}}"
    # no CloudFront-only security group: the internet reaches 443 and 80 (redirected)
    assert [r["name"] for r in resources(out, "aws_security_group").values()] == ["tb-unit-alb"]
    ingress = resources(out, "aws_vpc_security_group_ingress_rule").values()
    public = sorted(r["from_port"] for r in ingress if r.get("cidr_ipv4") == "0.0.0.0/0")
    assert public == [80, 443]
    to_targets = sorted(r["from_port"] for r in ingress if r["security_group_id"] == "sg-nodes")
    assert to_targets == [8080, 15021]
    egress = sorted(
        (r["cidr_ipv4"], r["from_port"]) for r in resources(out, "aws_vpc_security_group_egress_rule").values()
    )
    assert egress == [("10.0.0.0/16", 8080), ("10.0.0.0/16", 15021), ("100.64.0.0/16", 8080), ("100.64.0.0/16", 15021)]
    ports = sorted(r["port"] for r in resources(out, "aws_lb_target_group").values())
    assert ports == [8080, 15021]


def test_a_cdn_caching_query_strings_without_headers_policy_geo_blocked_ipv4_only():
    from tonebridge.constructs.edge_cdn import CdnDistribution, CdnWiring
    from tonebridge.props.cdn import CdnSettings

    settings = CdnSettings(
        logs={"bucket": "tb-unit-cdn-logs", "retention_days": 30, "include_cookies": True},
        cache_paths=[{"path": "/search/*", "default_ttl": 60, "max_ttl": 300, "query_strings": True}],
        waf={"blocked_countries": ["KP", "CU"]},
        security_headers={"enabled": False},
        price_class="PriceClass_100",
        ipv6=False,
        shield_advanced=True,
    )
    wiring = CdnWiring(
        name="tb-unit",
        aliases=["api.example.org"],
        certificate_arn="arn:aws:acm:us-east-1:111122223333:certificate/unit",
        web_acl_arn="arn:aws:wafv2:us-east-1:111122223333:global/webacl/tb-unit/1",
        origin_domain="origin.example.org",
        origin_header_value="${random_password.origin.result}",
        force_destroy_logs=True,
    )
    out = synth_alone(lambda stack: CdnDistribution(stack, "cdn", settings, wiring), region="us-east-1")
    cdn = only(out, "aws_cloudfront_distribution")
    assert cdn["is_ipv6_enabled"] is False and cdn["price_class"] == "PriceClass_100"
    assert cdn["restrictions"]["geo_restriction"] == {"restriction_type": "blacklist", "locations": ["CU", "KP"]}
    assert cdn["logging_config"]["include_cookies"] is True
    assert "aws_cloudfront_response_headers_policy" not in out["resource"]
    assert "response_headers_policy_id" not in cdn["default_cache_behavior"]
    (behaviour,) = cdn["ordered_cache_behavior"]
    assert behaviour["path_pattern"] == "/search/*"
    (policy_id,) = resources(out, "aws_cloudfront_cache_policy")
    assert behaviour["cache_policy_id"] == f"${{aws_cloudfront_cache_policy.{policy_id}.id}}"
    policy = only(out, "aws_cloudfront_cache_policy")
    assert (policy["default_ttl"], policy["max_ttl"]) == (60, 300)
    keys = policy["parameters_in_cache_key_and_forwarded_to_origin"]
    assert keys["query_strings_config"] == {"query_string_behavior": "all"}
    assert only(out, "aws_shield_protection")["name"] == "tb-unit"
    (bucket,) = [r for r in resources(out, "aws_s3_bucket").values() if r["bucket"] == "tb-unit-cdn-logs"]
    assert bucket["force_destroy"] is True
    (rules,) = [r["rule"] for r in resources(out, "aws_s3_bucket_lifecycle_configuration").values()]
    assert rules[0]["expiration"] == [{"days": 30}]


def test_a_listener_without_origin_header_routes_each_path_and_the_health_check():
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from tonebridge.constructs.edge_listener import (
        GATEWAY_HEALTH_PATH,
        HEALTH_RULE_PRIORITY,
        EdgeListener,
        EdgeListenerProps,
    )
    from tonebridge.props.edge import EdgeSettings

    def build(stack):
        west = AwsProvider(stack, "aws-west", region="us-west-2", alias="west")
        EdgeListener(
            stack,
            "listener",
            EdgeListenerProps(
                load_balancer_arn="arn:aws:elasticloadbalancing:us-west-2:111122223333:loadbalancer/app/tb/1",
                certificate_arn="arn:aws:acm:us-west-2:111122223333:certificate/unit",
                gateway_target_group_arn="arn:gw",
                status_target_group_arn="arn:st",
                hostnames=["api.example.org", "www.example.org"],
                routes=EdgeSettings(paths=["/api", "/ws"]),
                provider=west,
            ),
        )

    out = synth_alone(build)
    listener = only(out, "aws_lb_listener")
    assert (listener["port"], listener["protocol"], listener["provider"]) == (443, "HTTPS", "aws.west")
    assert listener["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listener["default_action"][0]["fixed_response"]["status_code"] == "404"
    rules = {r["priority"]: r for r in resources(out, "aws_lb_listener_rule").values()}
    assert sorted(rules) == [1, 2, HEALTH_RULE_PRIORITY]
    api = rules[1]["condition"]
    assert api[0]["path_pattern"]["values"] == ["/api", "/api/*"]
    assert api[1]["host_header"]["values"] == ["api.example.org", "www.example.org"]
    assert len(api) == 2  # no origin header: the ALB is not behind CloudFront
    assert rules[2]["action"][0]["target_group_arn"] == "arn:gw"
    health = rules[HEALTH_RULE_PRIORITY]
    assert health["condition"] == [{"path_pattern": {"values": [GATEWAY_HEALTH_PATH]}}]
    assert health["action"][0]["target_group_arn"] == "arn:st"
