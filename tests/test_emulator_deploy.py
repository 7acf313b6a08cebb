"""Deploy `local` for real: terraform apply to moto server on loopback, plan again, destroy."""

from __future__ import annotations

import pytest

from tests.conftest import require_tool
from tools.demo import deploy_plan_destroy
from tools.failover_drill import regional_failover_drill


@pytest.mark.emulator
def test_local_deploys_plans_clean_and_destroys(synth_dir, environments):
    require_tool("terraform")
    require_tool("npx")
    # Drill 2 (tools/failover_drill.py) runs on the deployed stacks before they are destroyed:
    # replica promoted and primary held down through the runbook's commands, then a clean plan.
    drills: list[float] = []
    outputs = deploy_plan_destroy(
        environments["local"], synth_dir, drill=lambda env, out: drills.append(regional_failover_drill(env, out))
    )
    assert len(drills) == 1
    assert outputs["local-state"]["state_bucket"] == "tonebridge-local-terraform-state"
    west = outputs["local-us-west-2"]
    assert west["vpc_id"].startswith("vpc-")
    assert len(west["private_subnet_ids"]) == 3 and len(west["pod_subnet_ids"]) == 3
    assert len(outputs["local-us-east-1"]["data_subnet_ids"]) == 2
    # The compute layer applied for real: cluster, node groups (through their role), IRSA, Karpenter, registries.
    assert west["cluster_name"] == "tonebridge-local"
    assert west["cluster_endpoint"].startswith("https://")
    assert ":oidc-provider/" in west["oidc_provider_arn"]
    for role in ("node_role_arn", "vpc_cni_role_arn", "ebs_csi_role_arn", "karpenter_controller_role_arn"):
        assert west[role].startswith("arn:aws:iam::"), role
    assert west["karpenter_queue_name"] == "tonebridge-local-karpenter"
    urls = west["repository_urls"]
    assert len(urls) == 8
    assert urls["tonebridge/api-gateway"].endswith(".dkr.ecr.us-west-2.amazonaws.com/tonebridge/api-gateway")
    assert outputs["local-us-east-1"]["cluster_name"] == "tonebridge-local-us-east-1"
    # The data tier applied for real: RDS primary and its cross-region replica, backups and their replica.
    assert west["database_endpoint"].startswith("tonebridge-local.") and west["database_port"] == 5432
    assert ":secretsmanager:us-west-2:" in west["database_master_secret_arn"]
    assert west["database_security_group_id"].startswith("sg-")
    assert outputs["local-us-east-1"]["database_replica_endpoint"].startswith("tonebridge-local-us-east-1.")
    assert west["backups_bucket"] == "tonebridge-local-backups"
    assert west["backups_bucket_arn"] == "arn:aws:s3:::tonebridge-local-backups"
    assert west["backups_replica_bucket"] == "tonebridge-local-backups-us-east-1"
    # The edge ALB is Terraform's, and the global stack (zone, validation, listener, health check, records) applied.
    assert west["edge_load_balancer_dns_name"].endswith(".us-west-2.elb.amazonaws.com")
    assert west["edge_load_balancer_zone_id"]
    assert outputs["local-global"]["zone_id"] and outputs["local-global"]["name_servers"]
    # The CDN applied for real: the distribution, its CLOUDFRONT web ACL (us-east-1), origin secret and log bucket.
    assert outputs["local-global"]["cdn_domain_name"].endswith(".cloudfront.net")
    assert ":wafv2:us-east-1:" in outputs["local-global"]["cdn_web_acl_arn"]
    assert ":distribution/" in outputs["local-global"]["cdn_distribution_arn"]
