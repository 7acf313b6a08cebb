"""The global edge and DR features alone, on the branches the environment files do not take: a global edge
with no regional edge (only the zone, and the DR record), and a DR site that copies one bucket only."""

from __future__ import annotations

from types import SimpleNamespace

from tests.conftest import resources
from tests.construct_harness import only, synth_alone


def test_a_global_edge_without_regional_edges_publishes_the_zone_and_the_dr_record():
    from tonebridge.features.global_edge import Site, add_global_edge
    from tonebridge.props.global_dns import GlobalDnsSettings

    settings = GlobalDnsSettings(zone="example.org", dr={"hostname": "dr.example.org", "ttl": 120})
    primary = SimpleNamespace(hostname="api.example.org", alternative_names=[], paths=["/api"], ssl_policy="x")
    built = {}

    def build(stack):
        from cdktf_cdktf_provider_aws.provider import AwsProvider

        east = AwsProvider(stack, "aws-east", region="us-east-1", alias="east")
        built["edge"] = add_global_edge(
            stack,
            settings,
            {},
            Site("tb-unit", "unit", "us-west-2", primary, protect=True),
            provider_for=lambda region: east,
            dr_address="198.51.100.7",
        )

    out = synth_alone(build)
    edge = built["edge"]
    assert edge.validation_records is None and edge.distribution is None and edge.origin_secret is None
    assert edge.health_checks == {} and edge.failover_records == {} and edge.regional_records == {}
    assert edge.routed_name == "api.example.org"  # no CDN: the public name itself would be routed
    zone = only(out, "aws_route53_zone")
    assert zone["name"] == "example.org" and zone["comment"] == "unit: public zone (cdktf)"
    (record,) = resources(out, "aws_route53_record").values()
    assert (record["name"], record["type"], record["ttl"]) == ("dr.example.org", "A", 120)
    assert record["records"] == ["198.51.100.7"]
    assert set(out["output"]) == {"zone_id", "name_servers"}
    for kind in ("aws_route53_health_check", "aws_cloudfront_distribution", "aws_acm_certificate_validation"):
        assert kind not in out["resource"]


def test_a_dr_site_copying_one_bucket_has_one_job_and_its_outputs(environments):
    from cdktf import TerraformOutput

    from tonebridge.constructs.backups import BackupBuckets, BackupBucketsProps
    from tonebridge.features.dr import BackupSources, add_dr

    settings = environments["production"].dr
    built = {}

    def build(stack):
        backups_settings = environments["production"].backups.model_copy(
            update={"bucket": "tb-unit-backups", "access_log_bucket": "tb-unit-backups-logs"}
        )
        props = BackupBucketsProps(settings=backups_settings.model_copy(update={"replication_time_control": False}))
        backups = BackupBuckets(stack, "backups", props)
        sources = BackupSources("us-west-2", backups, {})
        built["dr"] = dr = add_dr(stack, settings, sources, labels={"env": "unit"}, expiring_prefixes={})
        TerraformOutput(stack, "via-property", value=dr.edge_address)

    out = synth_alone(build)
    dr = built["dr"]
    assert list(dr.transfer.jobs) == [""]
    (job,) = resources(out, "google_storage_transfer_job").values()
    (bucket_id,) = [i for i, b in resources(out, "aws_s3_bucket").items() if b["bucket"] == "tb-unit-backups"]
    assert job["transfer_spec"]["aws_s3_data_source"]["bucket_name"] == f"${{aws_s3_bucket.{bucket_id}.bucket}}"
    assert "path" not in job["transfer_spec"]["gcs_data_sink"]
    (policy,) = resources(out, "aws_iam_role_policy").values()
    assert f'"Resource": "${{aws_s3_bucket.{bucket_id}.arn}}"' in policy["policy"]  # one bucket, not a list
    google = out["provider"]["google"][0]
    assert (google["project"], google["region"]) == (settings.project_id, settings.region)
    assert google["default_labels"] == {"env": "unit"}
    edge_address = out["output"].pop("via-property")["value"]
    assert edge_address == out["output"]["edge_address"]["value"]
    assert edge_address.startswith("${google_compute_global_address.")
    assert set(out["output"]) == {
        "gke_cluster_name",
        "gke_cluster_endpoint",
        "network",
        "backups_bucket",
        "registry_url",
        "transfer_job",
        "transfer_role_arn",
        "edge_address",
    }
    assert out["output"]["gke_cluster_endpoint"]["sensitive"] is True
    assert out["output"]["registry_url"]["value"] == (
        f"{settings.region}-docker.pkg.dev/{settings.project_id}/{settings.registry.repository_id}"
    )
