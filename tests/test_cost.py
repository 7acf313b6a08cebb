"""`make cost` (tools/cost): exact arithmetic on small cases, loud failures, and production's estimate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tools.cost.__main__ import main
from tools.cost.estimate import environment_lines, gib, platform_lines, region_lines, totals
from tools.cost.prices import PriceTable, UnknownPrice, load_prices

D = Decimal


def _price(usd: str, per: str) -> dict:
    return {"usd": usd, "per": per, "source": "test", "as_of": "2026-12-04"}


def _table(**instances: str) -> PriceTable:
    """A tiny table with round prices, so every expected figure below is checkable by hand."""
    items = {
        "eks_cluster": _price("0.10", "hour"),
        "nat_gateway": _price("0.05", "hour"),
        "nat_processed": _price("0.01", "gib"),
        "vpc_endpoint_az": _price("0.01", "hour"),
        "vpc_endpoint_processed": _price("0.01", "gib"),
        "gp3_storage": _price("0.10", "gib_month"),
        "gp3_iops": _price("0.01", "iops_month"),
        "gp3_throughput": _price("0.10", "mibps_month"),
        "rds_gp3_storage": _price("0.10", "gib_month"),
        "rds_backup_storage": _price("0.10", "gib_month"),
        "s3_standard": _price("0.02", "gib_month"),
        "transfer_inter_region": _price("0.02", "gib"),
        "alb": _price("0.02", "hour"),
        "alb_lcu": _price("0.01", "hour"),
        "waf_web_acl": _price("5", "month"),
        "kms_key": _price("1", "month"),
        "waf_requests": _price("0.5", "million"),
    }
    region = {
        "instances": {k.replace("_", "."): _price(v, "hour") for k, v in instances.items()},
        "databases": {"db.r5.large": _price("0.25", "hour"), "db.r5.2xlarge": _price("0.5", "hour")},
        "items": items,
    }
    return PriceTable.model_validate(
        {
            "hours_per_month": 100,
            "sources": {"test": "https://example.invalid/prices"},
            "aws": {"us-west-2": region, "us-east-1": region},
            "assumptions": {
                "backups_gib": 10,
                "state_gib": 1,
                "nat_processed_gib": 100,
                "endpoint_processed_gib": 100,
                "alb_lcu": 2,
                "requests_million": 4,
                "cdn_transfer_gib": 0,
                "dns_queries_million": 0,
                "transfer_to_gcp_gib": 0,
                "replication_gib": 50,
            },
        }
    )


@pytest.fixture
def production(environments):
    return environments["production"]


def _line(lines, item):
    (found,) = [x for x in lines if x.item == item]
    return found


def test_node_pools_priced_at_min_and_max(production):
    table = _table(t3_medium="0.04", c5_xlarge="0.2", r5_2xlarge="0.5", m5_xlarge="0.2", t3_micro="0.01")
    lines = list(region_lines(production, "us-west-2", table))
    app = _line(lines, "node pool application")  # 3-20 x c5.xlarge at 0.2/h, 100 h
    assert (app.quantity, app.low, app.high) == ("3-20 x c5.xlarge", D("60.0"), D("400.0"))
    disks = _line(lines, "node pool database root volumes (gp3)")  # 3-6 x 100 GiB at 0.10
    assert (disks.low, disks.high) == (D("30.0"), D("60.0"))
    nat = _line(lines, "NAT gateways (per_az)")  # three zones x 0.05 x 100 h
    assert nat.low == nat.high == D("15.0")
    assert _line(lines, "NAT data processed").low == D("3.00")  # 3 x 100 GiB x 0.01
    endpoints = _line(lines, "VPC interface endpoints")  # 8 services x 3 zones x 0.01 x 100 h
    assert (endpoints.quantity, endpoints.low) == ("8 services x 3 zones", D("24.00"))
    rds = _line(lines, "RDS storage gp3 (Multi-AZ)")  # 100..500 GiB, two copies, 0.10
    assert (rds.low, rds.high) == (D("20.0"), D("100.0"))
    alb = _line(lines, "edge load balancer (ALB)")  # 0.02 x 100 + 2 LCU x 0.01 x 100
    assert alb.low == D("4.00")
    waf = _line(lines, "edge web ACL (WAF)")  # 5 + 4 M x 0.5
    assert waf.low == D("7.0")


def test_rds_multi_az_bills_two_instances_and_replica_in_secondary(production):
    rds = production.database.rds.model_copy(update={"instance_class": "db.r5.large", "replica_instance_class": None})
    env = production.model_copy(update={"database": production.database.model_copy(update={"rds": rds})})
    table = _table(t3_medium="0", c5_xlarge="0", r5_2xlarge="0", m5_xlarge="0", t3_micro="0")
    primary = _line(list(region_lines(env, "us-west-2", table)), "RDS PostgreSQL primary (Multi-AZ)")
    assert (primary.quantity, primary.low) == ("2 x db.r5.large", D("50.00"))  # 2 x 0.25 x 100 h
    secondary = list(region_lines(env, "us-east-1", table))
    assert _line(secondary, "RDS cross-region replica (Multi-AZ)").low == D("50.00")
    assert _line(secondary, "RDS replicated automated backups").low == D("10.0")  # 100 GiB x 0.10
    single = env.model_copy(
        update={"database": env.database.model_copy(update={"rds": rds.model_copy(update={"multi_az": False})})}
    )
    assert _line(list(region_lines(single, "us-west-2", table)), "RDS PostgreSQL primary (Single-AZ)").low == D("25.00")


def test_fast_ssd_volumes_pay_for_provisioned_iops_and_throughput(production):
    table = _table()
    lines = list(platform_lines(production, "us-west-2", table))
    # production's fast-ssd: 5000 IOPS, 250 MiB/s. One 10 GiB Vault data volume:
    # 10 x 0.10 + (5000 - 3000) x 0.01 + (250 - 125) x 0.10 = 1 + 20 + 12.5 = 33.5; three replicas.
    vault = _line(lines, "volumes Vault data (fast-ssd: gp3 5000 IOPS 250 MiB/s)")
    assert (vault.quantity, vault.low) == ("3 x 10 GiB", D("100.50"))
    redis = _line(lines, "volumes Redis (fast-ssd: gp3 5000 IOPS 250 MiB/s)")  # 3 leaders + 3 followers
    assert redis.quantity == "6 x 10 GiB"
    assert gib("100Gi") == 100 and gib("1536Mi") == 2 and gib("5Gi") == 5


def test_unknown_instance_type_fails_loudly_with_its_name(production):
    table = _table(t3_medium="0.04", c5_xlarge="0.2", m5_xlarge="0.2", t3_micro="0.01")  # no r5.2xlarge
    with pytest.raises(UnknownPrice, match=r"instance type 'r5\.2xlarge' in us-west-2"):
        list(region_lines(production, "us-west-2", table))


def test_unknown_gke_machine_type_fails_loudly(production):
    dr = production.dr
    pool = dr.gke.node_pool.model_copy(update={"machine_type": "n9-huge-64"})
    env = production.model_copy(
        update={"dr": dr.model_copy(update={"gke": dr.gke.model_copy(update={"node_pool": pool})})}
    )
    with pytest.raises(UnknownPrice, match="machine type 'n9-huge-64' in europe-west1"):
        environment_lines(env, load_prices())


def test_price_table_names_a_known_source_and_date_for_every_entry():
    table = load_prices()
    for cloud in (table.aws, table.gcp):
        for region in cloud.values():
            for kind in (region.instances, region.databases, region.items):
                for price in kind.values():
                    assert price.source in table.sources
                    assert price.as_of <= dt.date(2026, 12, 31)
    assert set(table.aws) == {"us-west-2", "us-east-1"} and set(table.gcp) == {"europe-west1"}
    with pytest.raises(ValueError, match="source 'nowhere' is not in sources"):
        PriceTable.model_validate(
            {
                **table.model_dump(),
                "aws": {
                    "us-west-2": {"items": {"x": {"usd": 1, "per": "hour", "source": "nowhere", "as_of": "2026-12-04"}}}
                },
            }
        )


def test_production_estimate_covers_every_stack(production, manifest):
    lines = environment_lines(production, load_prices())
    stacks = totals(lines)
    assert set(stacks) == {name for name in manifest if name.startswith("production-")}
    # Every node pool of both clusters, at its min and max, and the GKE standby (cold: 0 at min).
    for region, cluster in production.clusters.items():
        for pool in cluster.node_groups:
            assert _line([x for x in lines if x.stack == f"production-{region}"], f"node pool {pool}")
    gke = _line(lines, "GKE standby pool")
    assert gke.low == 0 and gke.quantity == "0-15 x e2-standard-4 (0-5 per zone x 3)"
    # Stack totals add up, and the maximum is never below the minimum.
    for stack, (low, high) in stacks.items():
        assert low == sum(x.low for x in lines if x.stack == stack) and low <= high
    primary = _line(lines, "RDS PostgreSQL primary (Multi-AZ)")  # 2 x db.r5.2xlarge x 1.00 x 730 h
    assert primary.low == D("1460.00")


def test_make_cost_prints_each_environment(capsys, monkeypatch):
    monkeypatch.delenv("TONEBRIDGE_ENVIRONMENTS", raising=False)
    assert main(["--environment", "production"]) == 0
    out = capsys.readouterr().out
    assert "== production: USD per month" in out and "production total" in out
    assert "production-dr\n" in out and "Usage assumed" in out
    assert main(["--environment", "nowhere"]) == 2
    monkeypatch.setattr("tools.cost.__main__.load_prices", lambda: _table(t3_medium="0.04"))
    assert main(["--environment", "production"]) == 2
    assert "production: no price for instance type 'c5.xlarge' in us-west-2" in capsys.readouterr().err


def test_production_quantities_match_the_synthesis(production, stacks):
    """The estimate reads the configuration; what synthesis makes of it has the same counts and bounds."""
    lines = environment_lines(production, load_prices())

    def resources(stack: str, kind: str) -> list[dict]:
        return list(stacks[stack].get("resource", {}).get(kind, {}).values())

    for region in production.aws_regions:
        stack = f"production-{region}"
        mine = [x for x in lines if x.stack == stack]
        for group in resources(stack, "aws_eks_node_group"):
            scaling, types = group["scaling_config"], "/".join(group["instance_types"])
            pool = _line(mine, f"node pool {group['node_group_name']}")
            assert pool.quantity == f"{scaling['min_size']}-{scaling['max_size']} x {types}"
        pools = [x for x in mine if x.item.startswith("node pool ") and "root volumes" not in x.item]
        assert len(pools) == len(resources(stack, "aws_eks_node_group"))
        nat = next(x for x in mine if x.item.startswith("NAT gateways"))
        assert nat.quantity == f"{len(resources(stack, 'aws_nat_gateway'))} gateway(s)"
        databases = resources(stack, "aws_db_instance")
        rds = [x for x in mine if x.item.startswith(("RDS PostgreSQL primary", "RDS cross-region replica"))]
        assert [f"{2 if d['multi_az'] else 1} x {d['instance_class']}" for d in databases] == [x.quantity for x in rds]
        assert len([x for x in mine if x.item == "edge load balancer (ALB)"]) == len(resources(stack, "aws_lb"))
        assert len([x for x in mine if x.item == "bastion"]) == len(resources(stack, "aws_instance"))
        interface = [e for e in resources(stack, "aws_vpc_endpoint") if e["vpc_endpoint_type"] == "Interface"]
        zones = {len(e["subnet_ids"]) for e in interface}
        assert _line(mine, "VPC interface endpoints").quantity == f"{len(interface)} services x {zones.pop()} zones"
    (gke,) = resources("production-dr", "google_container_node_pool")
    assert gke["location"] == production.dr.region and "node_locations" not in gke  # regional: every zone
    scaling = gke["autoscaling"]
    assert _line(lines, "GKE standby pool").quantity.endswith(
        f"({scaling['min_node_count']}-{scaling['max_node_count']} per zone x 3)"
    )
    checks = _line(lines, "Route53 health checks (HTTPS)")
    assert checks.quantity.startswith(f"{len(resources('production-global', 'aws_route53_health_check'))} ")
