"""TonebridgeVpc synthesized alone, with the spec's layout (§2.2, §11.1), asserting real values."""

from __future__ import annotations

import json
from ipaddress import IPv4Network

import pytest

from tests.config_lines import loader_report
from tests.conftest import by_name_tag, resources
from tonebridge import netplan

#: One region's network as environments/*.yaml writes it (the VpcSettings shape).
SPEC = dict(
    vpc_cidr="10.0.0.0/16",
    availability_zones=["us-west-2a", "us-west-2b", "us-west-2c"],
    subnets=dict(
        public=["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"],
        private=["10.0.10.0/24", "10.0.11.0/24", "10.0.12.0/24"],
        data=["10.0.20.0/24", "10.0.21.0/24", "10.0.22.0/24"],
        management=["10.0.30.0/24", "10.0.31.0/24", "10.0.32.0/24"],
    ),
    pods=dict(cidr="100.64.0.0/16", max_nodes=31, max_pods_per_node=110),
)


def settings(**overrides):
    """VpcSettings from SPEC with ``overrides`` merged in (a dict value merges into the section)."""
    from tonebridge.props.vpc import VpcSettings

    doc = {k: dict(v) if isinstance(v, dict) else v for k, v in SPEC.items()}
    for key, value in overrides.items():
        doc[key] = {**doc[key], **value} if isinstance(value, dict) and key in doc else value
    return VpcSettings.model_validate(doc)


def synth_vpc(eks_cluster_names=(), **overrides) -> dict:
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from tonebridge.constructs.kms import KeyAccess
    from tonebridge.constructs.vpc import TonebridgeVpc
    from tonebridge.props.security import SecuritySettings

    stack = TerraformStack(Testing.app(), "test")
    AwsProvider(stack, "aws", region="us-west-2")
    KeyAccess.register(stack, SecuritySettings(deploy_principals=["role/deploy"], break_glass_role="role/break-glass"))
    TonebridgeVpc(stack, "vpc", settings(**overrides), name="tb-test", eks_cluster_names=eks_cluster_names)
    return json.loads(Testing.synth(stack))


@pytest.fixture(scope="module")
def vpc() -> dict:
    return synth_vpc()


def test_vpc_cidr_and_dns(vpc):
    (v,) = resources(vpc, "aws_vpc").values()
    assert v["cidr_block"] == "10.0.0.0/16"
    assert v["enable_dns_hostnames"] is True
    assert v["enable_dns_support"] is True


def test_twelve_tier_subnets_in_three_zones_plus_pod_subnets(vpc):
    subnets = resources(vpc, "aws_subnet").values()
    layout = {(s["tags"]["Tier"], s["availability_zone"]): s["cidr_block"] for s in subnets}
    for tier in ("public", "private", "data", "management"):
        assert [layout[(tier, az)] for az in SPEC["availability_zones"]] == SPEC["subnets"][tier]
    assert [layout[("pods", az)] for az in SPEC["availability_zones"]] == [
        "100.64.0.0/18",
        "100.64.64.0/18",
        "100.64.128.0/18",
    ]
    assert all(s["map_public_ip_on_launch"] is False for s in subnets)


def test_pod_range_holds_max_nodes_times_max_pods():
    """The spec's /24 app subnets cannot hold 31 nodes x 110 pods; the secondary range can."""
    needed = SPEC["pods"]["max_nodes"] * SPEC["pods"]["max_pods_per_node"]
    app_subnets = [IPv4Network(s) for s in SPEC["subnets"]["private"]]
    assert sum(netplan.usable_addresses(s) for s in app_subnets) < needed
    pod_subnets = netplan.split_evenly(IPv4Network(SPEC["pods"]["cidr"]), 3)
    assert netplan.pod_capacity(pod_subnets) == 3 * (2**14 - 5)
    assert netplan.pod_capacity(pod_subnets) >= needed


def test_pod_capacity_shortfall_is_rejected_early():
    with pytest.raises(ValueError, match="needs 110000"):
        settings(pods={"max_nodes": 1000})


def test_pod_cidr_is_a_secondary_block(vpc):
    (assoc,) = resources(vpc, "aws_vpc_ipv4_cidr_block_association").values()
    assert assoc["cidr_block"] == "100.64.0.0/16"


def test_nat_gateway_per_zone_and_private_routes_stay_in_zone(vpc):
    nats = by_name_tag(vpc, "aws_nat_gateway")
    assert sorted(nats) == ["tb-test-us-west-2a", "tb-test-us-west-2b", "tb-test-us-west-2c"]
    routes = resources(vpc, "aws_route")
    for tier in ("private", "management"):
        for az in SPEC["availability_zones"]:
            table = _logical_id(vpc, "aws_route_table", f"tb-test-{tier}-{az}")
            nat = _logical_id(vpc, "aws_nat_gateway", f"tb-test-{az}")
            (route,) = [r for r in routes.values() if r["route_table_id"] == f"${{aws_route_table.{table}.id}}"]
            assert route["destination_cidr_block"] == "0.0.0.0/0"
            assert route["nat_gateway_id"] == f"${{aws_nat_gateway.{nat}.id}}"


def test_route_table_per_tier_and_zone_and_data_tier_has_no_way_out(vpc):
    tables = by_name_tag(vpc, "aws_route_table")
    assert len(tables) == 12
    routes = resources(vpc, "aws_route").values()
    data_tables = {
        f"${{aws_route_table.{_logical_id(vpc, 'aws_route_table', f'tb-test-data-{az}')}.id}}"
        for az in SPEC["availability_zones"]
    }
    assert not [r for r in routes if r["route_table_id"] in data_tables]
    assert all("route" not in t or not t["route"] for t in tables.values())


def test_single_and_no_nat_modes():
    single = synth_vpc(nat="single")
    assert len(resources(single, "aws_nat_gateway")) == 1
    nat_routes = [r for r in resources(single, "aws_route").values() if "nat_gateway_id" in r]
    assert len(nat_routes) == 6 and len({r["nat_gateway_id"] for r in nat_routes}) == 1
    none = synth_vpc(nat="none", bastion={"enabled": False}, vpn_gateway={"enabled": False})
    assert not resources(none, "aws_nat_gateway")
    assert not [r for r in resources(none, "aws_route").values() if "nat_gateway_id" in r]


def test_vpn_gateway_and_opt_in_route_propagation(vpc):
    (vgw,) = resources(vpc, "aws_vpn_gateway").values()
    assert vgw["amazon_side_asn"] == "64512"
    assert not resources(vpc, "aws_vpn_gateway_route_propagation")
    propagating = synth_vpc(vpn_gateway={"propagate_routes": True})
    assert len(resources(propagating, "aws_vpn_gateway_route_propagation")) == 6


def test_default_security_group_is_emptied(vpc):
    (default_sg,) = resources(vpc, "aws_default_security_group").values()
    assert "ingress" not in default_sg and "egress" not in default_sg


def test_flow_logs_to_encrypted_log_group(vpc):
    (flow,) = resources(vpc, "aws_flow_log").values()
    assert flow["traffic_type"] == "ALL"
    assert flow["log_destination_type"] == "cloud-watch-logs"
    (group,) = resources(vpc, "aws_cloudwatch_log_group").values()
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    (key,) = resources(vpc, "aws_kms_key").values()
    assert key["enable_key_rotation"] is True


def test_flow_log_aggregation_interval_is_a_setting(vpc):
    """A VPC setting declared once in props/vpc.py reaches the synthesized flow log (no mapping to extend)."""
    assert next(iter(resources(vpc, "aws_flow_log").values()))["max_aggregation_interval"] == 60
    coarse = synth_vpc(flow_logs={"max_aggregation_interval": 600})
    assert next(iter(resources(coarse, "aws_flow_log").values()))["max_aggregation_interval"] == 600
    with pytest.raises(ValueError, match="Input should be 60 or 600"):
        settings(flow_logs={"max_aggregation_interval": 300})


def test_endpoints_for_a_private_cluster(vpc):
    endpoints = {e["service_name"]: e for e in resources(vpc, "aws_vpc_endpoint").values()}
    for service in ("ecr.api", "ecr.dkr", "sts", "ec2", "logs", "ssm", "ssmmessages", "ec2messages"):
        endpoint = endpoints[f"com.amazonaws.us-west-2.{service}"]
        assert endpoint["vpc_endpoint_type"] == "Interface"
        assert endpoint["private_dns_enabled"] is True
        assert len(endpoint["security_group_ids"]) == 1
    s3 = endpoints["com.amazonaws.us-west-2.s3"]
    assert s3["vpc_endpoint_type"] == "Gateway"
    assert len(s3["route_table_ids"]) == 12
    sg = by_name_tag(vpc, "aws_security_group")["tb-test-vpc-endpoints"]
    assert sg["ingress"][0]["from_port"] == 443
    assert sg["ingress"][0]["cidr_blocks"] == ["10.0.0.0/16", "100.64.0.0/16"]


def test_bastion_is_private_imdsv2_encrypted_and_has_no_inbound(vpc):
    (bastion,) = resources(vpc, "aws_instance").values()
    assert bastion["metadata_options"]["http_tokens"] == "required"
    assert bastion["root_block_device"]["encrypted"] is True
    assert bastion.get("associate_public_ip_address") is not True
    assert "key_name" not in bastion
    public_a = _logical_id(vpc, "aws_subnet", "tb-test-public-us-west-2a")
    assert bastion["subnet_id"] == f"${{aws_subnet.{public_a}.id}}"
    sg = by_name_tag(vpc, "aws_security_group")["tb-test-bastion"]
    assert sg["ingress"] == []
    assert all(rule["cidr_blocks"] == ["10.0.0.0/16"] for rule in sg["egress"])
    policies = [a["policy_arn"] for a in resources(vpc, "aws_iam_role_policy_attachment").values()]
    assert any(p.endswith(":iam::aws:policy/AmazonSSMManagedInstanceCore") for p in policies)


def test_eks_load_balancer_subnet_tags(vpc):
    subnets = by_name_tag(vpc, "aws_subnet")
    assert subnets["tb-test-public-us-west-2a"]["tags"]["kubernetes.io/role/elb"] == "1"
    assert subnets["tb-test-private-us-west-2b"]["tags"]["kubernetes.io/role/internal-elb"] == "1"
    shared = synth_vpc(eks_cluster_names=["tonebridge-production"])
    assert (
        by_name_tag(shared, "aws_subnet")["tb-test-private-us-west-2a"]["tags"][
            "kubernetes.io/cluster/tonebridge-production"
        ]
        == "shared"
    )


def test_db_subnet_group_uses_data_tier(vpc):
    (group,) = resources(vpc, "aws_db_subnet_group").values()
    data_ids = {
        f"${{aws_subnet.{_logical_id(vpc, 'aws_subnet', f'tb-test-data-{az}')}.id}}"
        for az in SPEC["availability_zones"]
    }
    assert set(group["subnet_ids"]) == data_ids


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"subnets": {"data": ["10.0.20.0/24", "10.0.10.0/24", "10.0.22.0/24"]}},
            r"data\[1\]: 10.0.10.0/24 overlaps private\[0\]",
        ),
        (
            {"subnets": {"public": ["10.0.1.0/24", "10.0.2.0/24"]}},
            "public: has 2 subnets but there are 3 availability zones",
        ),
        ({"subnets": {"management": ["10.0.30.0/24", "10.0.31.0/24", "10.9.0.0/24"]}}, "outside the VPC 10.0.0.0/16"),
        ({"pods": {"cidr": "10.0.128.0/17"}}, "overlaps the VPC 10.0.0.0/16"),
        ({"availability_zones": ["us-west-2a"]}, "at least 2 items"),
        ({"availability_zones": [f"us-west-2{z}" for z in "abcdefg"]}, "at most 6 items"),
    ],
)
def test_settings_are_validated_early(overrides, message):
    """The construct's settings are the configuration's model: built in code, they are checked the same way
    (and a copy cannot skip the check: ``model_copy(update=...)`` is not how settings change, validation is)."""
    with pytest.raises(ValueError, match=message):
        settings(**overrides)
    with pytest.raises(ValueError, match=message):
        type(settings()).model_validate({**settings().model_dump(), **settings_dump(overrides)})


def settings_dump(overrides: dict) -> dict:
    """``overrides`` merged into SPEC's sections, as plain data."""
    doc = settings().model_dump()
    return {k: {**doc[k], **v} if isinstance(v, dict) else v for k, v in overrides.items()}


def test_layout_problems_name_the_exact_field_of_the_file(tmp_path):
    """VpcSettings' own rule (props/vpc.py) reports through the loader as ``<file>: <field path>: <reason>``,
    with the field path below the region; so do the shape rules that replaced the construct's own checks."""

    cases = [
        (("subnets", "private", 2), "10.9.12.0/24", "subnets.private[2]: 10.9.12.0/24 is outside the VPC 10.0.0.0/16"),
        (("pods", "cidr"), "8.8.0.0/16", "pods.cidr: 8.8.0.0/16 is outside the RFC 1918 / RFC 6598 ranges AWS accepts"),
        (
            ("availability_zones",),
            ["us-west-2a"],
            "availability_zones: List should have at least 2 items after validation, not 1",
        ),
        (("nat",), "two", "nat: Input should be 'per_az', 'single' or 'none' (got 'two')"),
    ]
    for path, value, line in cases:
        report = loader_report(tmp_path, ("network", "us-west-2", *path), value)
        assert f"network.us-west-2.{line}" in report, report


def _logical_id(stack: dict, kind: str, name_tag: str) -> str:
    return next(k for k, r in resources(stack, kind).items() if r.get("tags", {}).get("Name") == name_tag)
