"""CloudFront in front of the regions (spec §2.1/§2.2, CloudFlare's CDN): the distribution, its CLOUDFRONT
web ACL, its certificate and log bucket, the origin secret, and the origin protection of the ALBs."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources

GLOBAL = "production-global"
WEST = "production-us-west-2"


def _one(stack: dict, kind: str) -> dict:
    (value,) = resources(stack, kind).values()
    return value


def _id(stack: dict, kind: str) -> str:
    (key,) = resources(stack, kind)
    return key


def test_distribution(stacks):
    stack = stacks[GLOBAL]
    cdn = _one(stack, "aws_cloudfront_distribution")
    assert cdn["provider"] == "aws.us_east_1" and cdn["enabled"] is True
    assert cdn["aliases"] == ["api.tonebridge.io"]
    assert (cdn["http_version"], cdn["price_class"], cdn["is_ipv6_enabled"]) == ("http2and3", "PriceClass_All", True)
    viewer = cdn["viewer_certificate"]
    assert viewer["minimum_protocol_version"] == "TLSv1.2_2021" and viewer["ssl_support_method"] == "sni-only"
    assert viewer["acm_certificate_arn"] == "${aws_acm_certificate_validation.certificate-cdn.certificate_arn}"
    assert cdn["web_acl_id"] == f"${{aws_wafv2_web_acl.{_id(stack, 'aws_wafv2_web_acl')}.arn}}"
    assert cdn["restrictions"]["geo_restriction"] == {
        "restriction_type": "blacklist",
        "locations": ["CU", "IR", "KP", "SY"],
    }
    (origin,) = cdn["origin"]
    assert origin["domain_name"] == "origin.tonebridge.io"
    custom = origin["custom_origin_config"]
    assert (custom["origin_protocol_policy"], custom["origin_ssl_protocols"]) == ("https-only", ["TLSv1.2"])
    (header,) = origin["custom_header"]
    assert header["name"] == "X-Origin-Verify"
    assert header["value"].startswith("${aws_secretsmanager_secret_version.origin-secret_value-a_")
    assert "group" not in json.dumps(cdn.get("origin_group", []))


def test_api_not_cached_static_cached_with_configured_ttls(stacks):
    stack = stacks[GLOBAL]
    cdn = _one(stack, "aws_cloudfront_distribution")
    default = cdn["default_cache_behavior"]
    assert default["cache_policy_id"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert default["origin_request_policy_id"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    assert set(default["allowed_methods"]) == {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}
    assert default["viewer_protocol_policy"] == "redirect-to-https"
    (static,) = cdn["ordered_cache_behavior"]
    assert static["path_pattern"] == "/static/*" and static["allowed_methods"] == ["GET", "HEAD", "OPTIONS"]
    policy_id = _id(stack, "aws_cloudfront_cache_policy")
    assert static["cache_policy_id"] == f"${{aws_cloudfront_cache_policy.{policy_id}.id}}"
    policy = _one(stack, "aws_cloudfront_cache_policy")
    assert (policy["min_ttl"], policy["default_ttl"], policy["max_ttl"]) == (0, 86400, 31536000)
    key = policy["parameters_in_cache_key_and_forwarded_to_origin"]
    assert key["cookies_config"] == {"cookie_behavior": "none"}
    assert key["query_strings_config"] == {"query_string_behavior": "none"}
    headers_id = (
        f"${{aws_cloudfront_response_headers_policy.{_id(stack, 'aws_cloudfront_response_headers_policy')}.id}}"
    )
    assert default["response_headers_policy_id"] == static["response_headers_policy_id"] == headers_id


def test_security_headers(stacks):
    policy = _one(stacks[GLOBAL], "aws_cloudfront_response_headers_policy")
    security = policy["security_headers_config"]
    hsts = security["strict_transport_security"]
    assert (hsts["access_control_max_age_sec"], hsts["include_subdomains"], hsts["preload"]) == (63072000, True, False)
    assert security["frame_options"]["frame_option"] == "DENY"
    assert security["content_type_options"] == {"override": True}
    assert security["referrer_policy"]["referrer_policy"] == "strict-origin-when-cross-origin"


def test_cloudfront_web_acl_carries_the_client_ip_rules(stacks):
    stack = stacks[GLOBAL]
    acl = _one(stack, "aws_wafv2_web_acl")
    assert acl["scope"] == "CLOUDFRONT" and acl["provider"] == "aws.us_east_1"
    rules = {r["name"]: r for r in acl["rule"]}
    rate = rules["rate-limit"]["statement"]["rate_based_statement"]
    assert (rate["limit"], rate["aggregate_key_type"]) == (2000, "IP")
    assert rules["geo-block"]["statement"]["geo_match_statement"]["country_codes"] == ["CU", "IR", "KP", "SY"]
    assert {f"aws-{g}" for g in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")} <= set(rules)
    group = _one(stack, "aws_cloudwatch_log_group")
    assert group["name"] == "aws-waf-logs-tonebridge-production-cdn" and group["provider"] == "aws.us_east_1"
    certificate = _one(stack, "aws_acm_certificate")
    assert certificate["domain_name"] == "api.tonebridge.io" and certificate["provider"] == "aws.us_east_1"


def test_standard_logs_to_an_encrypted_bucket(stacks):
    stack = stacks[GLOBAL]
    bucket = _one(stack, "aws_s3_bucket")
    assert bucket["bucket"] == "tonebridge-production-cdn-logs" and bucket["provider"] == "aws.us_east_1"
    assert bucket.get("force_destroy") is False
    cdn = _one(stack, "aws_cloudfront_distribution")
    assert cdn["logging_config"]["bucket"].endswith(".bucket_domain_name}")
    assert cdn["logging_config"]["include_cookies"] is False
    ownership = _one(stack, "aws_s3_bucket_ownership_controls")
    assert ownership["rule"]["object_ownership"] == "BucketOwnerPreferred"  # legacy logging writes through ACLs
    acl = _one(stack, "aws_s3_bucket_acl")["access_control_policy"]
    grantees = {g["grantee"]["id"] for g in acl["grant"]}
    assert any("aws_cloudfront_log_delivery_canonical_user_id" in g for g in grantees)
    encryption = _one(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert encryption["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    keys = resources(stack, "aws_kms_key")
    (log_key,) = [k for name, k in keys.items() if name.startswith("cdn_log-key")]
    statements = json.loads(log_key["policy"])["Statement"]
    delivery = [s for s in statements if s.get("Principal", {}).get("Service") == "delivery.logs.amazonaws.com"]
    assert delivery and "kms:GenerateDataKey*" in delivery[0]["Action"]
    (rule,) = _one(stack, "aws_s3_bucket_lifecycle_configuration")["rule"]
    assert rule["expiration"][0]["days"] == 365
    public = _one(stack, "aws_s3_bucket_public_access_block")
    assert all(public[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls"))


def test_origin_secret_is_generated_not_written(stacks):
    stack = stacks[GLOBAL]
    passwords = stack["data"]["aws_secretsmanager_random_password"]
    assert len(passwords) == 2
    for generated in passwords.values():
        assert generated["password_length"] == 64 and generated["exclude_punctuation"] is True
    versions = resources(stack, "aws_secretsmanager_secret_version")
    assert len(versions) == 2
    for version in versions.values():
        assert version["lifecycle"] == {"ignore_changes": ["secret_string"]}
        assert version["secret_string"].startswith("${data.aws_secretsmanager_random_password.")
    for secret in resources(stack, "aws_secretsmanager_secret").values():
        assert secret["kms_key_id"].startswith("${aws_kms_key.origin-secret_key")
    # no literal value anywhere: the header CloudFront sends and the values the ALBs accept are references
    (origin,) = _one(stack, "aws_cloudfront_distribution")["origin"]
    sent = [h["value"] for h in origin["custom_header"]]
    accepted = [
        v
        for rule in resources(stack, "aws_lb_listener_rule").values()
        for c in rule["condition"]
        if "http_header" in c
        for v in c["http_header"]["values"]
    ]
    assert sent and accepted and all(v.startswith("${aws_secretsmanager_secret_version.") for v in sent + accepted)


def test_listener_rules_require_the_origin_header(stacks):
    rules = resources(stacks[GLOBAL], "aws_lb_listener_rule")
    for name, rule in rules.items():
        conditions = {k: v for c in rule["condition"] for k, v in c.items()}
        if name.split("_")[1].startswith("health"):
            assert set(conditions) == {"path_pattern"}  # Route53's checkers send no secret
            continue
        header = conditions["http_header"]
        assert header["http_header_name"] == "X-Origin-Verify"
        assert len(header["values"]) == 2
        assert all(v.startswith("${aws_secretsmanager_secret_version.origin-secret_value-") for v in header["values"])
        assert conditions["host_header"]["values"] == ["origin.tonebridge.io"]
        assert len(conditions["path_pattern"]["values"]) + 1 + 2 <= 5  # ALB's condition values per rule


def test_albs_admit_cloudfront_and_health_checkers_only(stacks):
    for region in ("us-west-2", "us-east-1"):
        stack = stacks[f"production-{region}"]
        lists = sorted(d["name"] for d in stack["data"]["aws_ec2_managed_prefix_list"].values())
        assert lists[0].startswith("com.amazonaws.${data.aws_region.") and lists[0].endswith(".route53-healthchecks")
        assert lists[1] == "com.amazonaws.global.cloudfront.origin-facing"
        ingress = resources(stack, "aws_vpc_security_group_ingress_rule")
        edge = {k: r for k, r in ingress.items() if k.startswith("edge-alb_ingress")}
        assert len(edge) == 2 and all("cloudfront" in k or "health-checkers" in k for k in edge)
        for rule in edge.values():
            assert (rule["from_port"], rule["to_port"]) == (443, 443) and "prefix_list_id" in rule
            assert "cidr_ipv4" not in rule
        certificate = _one(stack, "aws_acm_certificate")
        assert certificate["subject_alternative_names"] == ["origin.tonebridge.io"]


def test_local_deploys_the_parts_moto_implements(stacks):
    stack = stacks["local-global"]
    cdn = _one(stack, "aws_cloudfront_distribution")
    assert cdn["aliases"] == ["api.tonebridge.local"]
    assert "ordered_cache_behavior" not in cdn and "response_headers_policy_id" not in cdn["default_cache_behavior"]
    assert "aws_cloudfront_cache_policy" not in stack["resource"]
    assert "aws_cloudfront_response_headers_policy" not in stack["resource"]
    assert _one(stack, "aws_wafv2_web_acl")["scope"] == "CLOUDFRONT"
    assert all(s["recovery_window_in_days"] == 0 for s in resources(stack, "aws_secretsmanager_secret").values())


def test_cdn_props_are_checked_early():
    """The distribution's settings are dns.cdn's model (props/cdn.py): a wrong value is refused where the
    model is built; the wiring (names, aliases) by CdnWiring."""
    from pydantic import ValidationError

    from tonebridge.constructs.edge_cdn import CdnWiring
    from tonebridge.props.cdn import CachePathSettings, CdnSettings

    logs = {"bucket": "tb-logs"}
    with pytest.raises(ValueError, match="min_ttl"):
        CachePathSettings(path="/s/*", min_ttl=10, default_ttl=5)
    with pytest.raises(ValueError, match="price_class"):
        CdnSettings(logs=logs, price_class="PriceClass_50")
    with pytest.raises(ValueError, match=r"TLSv1\.2"):
        CdnSettings(logs=logs, minimum_protocol_version="TLSv1")
    with pytest.raises(ValidationError, match="cache_paths"):
        CdnSettings(logs=logs, cache_paths=[{"path": f"/s{i}/*"} for i in range(26)])
    wiring = dict(
        name="tb",
        aliases=["api.example.com"],
        certificate_arn="arn",
        web_acl_arn="arn",
        origin_domain="origin.example.com",
        origin_header_value="token",
    )
    with pytest.raises(ValueError, match="letters, digits"):
        CdnWiring(**{**wiring, "name": "tb cdn"})
    with pytest.raises(ValueError, match="aliases"):
        CdnWiring(**{**wiring, "aliases": []})


#: What CdnDistributionProps and OriginSecretProps once checked themselves (lines tests/construct_guards.py
#: pinned): the settings' own rules now, or the section's cross-field rule (distinct paths, config/edge_rules.py).
_SETTINGS_LINES = [
    (
        ("dns", "cdn", "cache_paths"),
        [{"path": f"/static/p{i}/*"} for i in range(26)],
        "dns.cdn.cache_paths: List should have at most 25 items after validation, not 26",
    ),
    (
        ("dns", "cdn", "cache_paths"),
        [{"path": "/static/*"}] * 2,
        "dns.cdn.cache_paths[1].path: /static/* appears twice",
    ),
    (
        ("dns", "cdn", "cache_paths"),
        [{"path": "/static/*", "min_ttl": 100, "default_ttl": 10}],
        "dns.cdn.cache_paths[0]: needs min_ttl <= default_ttl <= max_ttl (got 100, 10, 31536000)",
    ),
    (
        ("dns", "cdn", "price_class"),
        "PriceClass_50",
        "dns.cdn.price_class: Input should be 'PriceClass_100', 'PriceClass_200' or 'PriceClass_All'"
        " (got 'PriceClass_50')",
    ),
    (
        ("dns", "cdn", "minimum_protocol_version"),
        "TLSv1_2016",
        "dns.cdn.minimum_protocol_version: Input should be 'TLSv1.2_2019' or 'TLSv1.2_2021' (got 'TLSv1_2016')",
    ),
    (
        ("dns", "cdn", "http_version"),
        "http1.1",
        "dns.cdn.http_version: Input should be 'http2' or 'http2and3' (got 'http1.1')",
    ),
    (
        ("dns", "cdn", "origin_read_timeout"),
        61,
        "dns.cdn.origin_read_timeout: Input should be less than or equal to 60 (got 61)",
    ),
    (
        ("dns", "cdn", "origin_secret", "active"),
        "c",
        "dns.cdn.origin_secret.active: Input should be 'a' or 'b' (got 'c')",
    ),
    (
        ("dns", "cdn", "origin_secret", "length"),
        16,
        "dns.cdn.origin_secret.length: Input should be greater than or equal to 32 (got 16)",
    ),
    (
        ("dns", "cdn", "origin_secret", "recovery_window_days"),
        3,
        "dns.cdn.origin_secret: recovery_window_days is 0 or 7-30 (Secrets Manager's bounds)",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "line"), _SETTINGS_LINES, ids=[line.split(":")[0] for *_, line in _SETTINGS_LINES]
)
def test_cdn_settings_problems_are_lines_of_the_file(tmp_path, path, value, line):
    from tests.config_lines import loader_report

    assert f"production.yaml: {line}" in loader_report(tmp_path, path, value)
