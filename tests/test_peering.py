"""The standby region's VPC peered with the primary's, so that CI in the primary region reaches the standby
cluster's private API (a platform stack's providers need it at plan time): requested and accepted by the
secondary region's stack, routes both ways from the configured tiers, the API admitting the primary's range."""

from __future__ import annotations

import pytest

from tests.config_lines import loader_report
from tests.conftest import resources

PRIMARY_CIDR, SECONDARY_CIDR = "10.0.0.0/16", "10.1.0.0/16"


@pytest.fixture(scope="module")
def east(stacks) -> dict:
    return stacks["production-us-east-1"]


def test_the_secondary_requests_and_accepts_the_peering_in_the_primary_region(east):
    (connection,) = resources(east, "aws_vpc_peering_connection").values()
    assert connection["peer_region"] == "us-west-2" and "auto_accept" not in connection  # cross-region: accepter
    assert connection["vpc_id"].startswith("${aws_vpc.network_vpc_")
    assert "cross-stack-reference-input-production-us-west-2" in connection["peer_vpc_id"]  # the primary's VPC
    (accepter,) = resources(east, "aws_vpc_peering_connection_accepter").values()
    assert accepter["provider"] == "aws.us_west_2" and accepter["auto_accept"] is True
    assert accepter["vpc_peering_connection_id"].startswith("${aws_vpc_peering_connection.peering_connection_")


def test_routes_both_ways_from_the_private_and_management_tiers_through_the_accepted_connection(east):
    routes = [r for r in resources(east, "aws_route").values() if "vpc_peering_connection_id" in r]
    # every route waits for the acceptance: none names the connection while it is pending
    assert {r["vpc_peering_connection_id"] for r in routes} == {
        "${aws_vpc_peering_connection_accepter.peering_accepter_27D39713.id}"
    }
    local = [r for r in routes if "provider" not in r]
    remote = [r for r in routes if r.get("provider") == "aws.us_west_2"]
    assert len(local) == len(remote) == 6  # 2 tiers x 3 zones on each side
    assert {r["destination_cidr_block"] for r in local} == {PRIMARY_CIDR}
    assert {r["destination_cidr_block"] for r in remote} == {SECONDARY_CIDR}
    tiers = {r["route_table_id"].split("_rt-")[1].split("-")[0] for r in local}
    assert tiers == {"private", "management"}  # the EKS API's interfaces and the nodes; the CI agents
    assert all("cross-stack-reference-input-production-us-west-2" in r["route_table_id"] for r in remote)


def test_the_standby_cluster_admits_its_api_from_the_primary_vpc_only_besides_its_own(east):
    api = {
        r["cidr_ipv4"]
        for r in resources(east, "aws_vpc_security_group_ingress_rule").values()
        if r.get("from_port") == 443 and r.get("cidr_ipv4") and "cluster_cluster-sg" in r["security_group_id"]
    }
    assert api == {SECONDARY_CIDR, PRIMARY_CIDR}


def test_the_primary_owns_no_peering(stacks):
    for stack in ("production-us-west-2", "local-us-west-2"):
        assert not resources(stacks[stack], "aws_vpc_peering_connection")
        assert not resources(stacks[stack], "aws_vpc_peering_connection_accepter")
    assert resources(stacks["local-us-east-1"], "aws_vpc_peering_connection_accepter")  # the emulator applies it


@pytest.mark.parametrize(
    ("region", "peer", "reason"),
    [
        ("us-east-1", "us-east-1", "us-east-1 cannot peer with itself"),
        ("us-east-1", "eu-west-1", "eu-west-1 is not an AWS region of this environment (have: us-west-2, us-east-1)"),
        ("us-west-2", "us-east-1", "only the secondary region peers, with the primary (us-west-2)"),
    ],
)
def test_who_may_peer_with_whom_is_a_line_of_the_file(tmp_path, region, peer, reason):
    report = loader_report(tmp_path, ("network", region, "peering"), {"region": peer})
    assert f"production.yaml: network.{region}.peering.region: {reason}" in report


def test_a_peering_routes_from_some_tier(tmp_path):
    report = loader_report(tmp_path, ("network", "us-east-1", "peering"), {"region": "us-west-2", "route_tiers": []})
    assert "network.us-east-1.peering.route_tiers" in report
