"""Google Cloud DR constructs alone, on the switches production's `dr` section keeps on: an unlocked, unprotected
bucket, mutable tags, a GKE cluster without deletion protection, upgrade notifications, Google Groups or extra
authorised networks; a transfer that mirrors deletions every six hours with another environment's bucket."""

from __future__ import annotations

from tests.conftest import resources
from tests.construct_harness import only, synth_alone


def test_dr_region_with_every_protection_switch_off(environments):
    from tonebridge.config.cloud_rules import gcp_labels
    from tonebridge.constructs.gcp.dr_region import DrRegion

    env = environments["production"]
    production = env.dr
    assert production.backups.protect and production.backups.lock_retention  # what env sets
    assert production.gke.maintenance.notifications
    props = production.model_copy(
        update={
            "gke": production.gke.model_copy(
                update={
                    "maintenance": production.gke.maintenance.model_copy(update={"notifications": False}),
                    "security_group": None,
                    "master_authorized_cidrs": [],
                    "deletion_protection": False,
                    "dns_endpoint": False,
                }
            ),
            "backups": production.backups.model_copy(update={"lock_retention": False, "protect": False}),
            "registry": production.registry.model_copy(update={"immutable_tags": False}),
        }
    )
    # model_copy does not validate: the switched-off settings must still be a valid `dr` section.
    props = type(production).model_validate(props.model_dump())
    out = synth_alone(
        lambda stack: DrRegion(stack, "dr", props, labels=gcp_labels(env), expiring_prefixes={"scratch": 40}),
        providers=("google",),
    )
    cluster = only(out, "google_container_cluster")
    assert cluster["deletion_protection"] is False
    assert "authenticator_groups_config" not in cluster
    assert "notification_config" not in cluster
    # The DNS endpoint off: it exists (GKE always has one) but takes no user traffic.
    assert cluster["control_plane_endpoints_config"] == {"dns_endpoint_config": {"allow_external_traffic": False}}
    assert "google_pubsub_topic" not in out["resource"]
    (authorised,) = cluster["master_authorized_networks_config"]["cidr_blocks"]
    assert authorised["cidr_block"] == str(props.network.subnet_cidr)  # only the DR subnet itself
    buckets = {r["name"]: r for r in resources(out, "google_storage_bucket").values()}
    backups = buckets[props.backups.bucket]
    assert backups["force_destroy"] is True
    assert backups["retention_policy"] == {
        "retention_period": props.backups.retention_days * 86_400,
        "is_locked": False,
    }
    assert backups["lifecycle"] == {"prevent_destroy": False}
    deletes = [r for r in backups["lifecycle_rule"] if r["action"]["type"] == "Delete"]
    assert any(r["condition"].get("matches_prefix") == ["scratch/"] and r["condition"]["age"] == 40 for r in deletes)
    registry = only(out, "google_artifact_registry_repository")
    assert registry["docker_config"] == {"immutable_tags": False}


def test_transfer_mirrors_deletions_every_six_hours_and_copies_another_environment():
    from tonebridge.constructs.gcp.transfer import BackupTransfer, TransferSource, TransferWiring
    from tonebridge.props.dr import TransferSettings

    staging = TransferSource(
        name="staging",
        bucket="tb-staging-backups",
        bucket_arn="arn:aws:s3:::tb-staging-backups",
        key_arn="arn:aws:kms:us-west-2:111122223333:key/staging",
    )
    settings = TransferSettings(
        aws_role_name="tb-unit-transfer",
        start_date="2026-12-04",
        start_time_utc="01:30",
        delete_objects_unique_in_sink=True,
        repeat_interval_hours=6,
        copy_max_age_days=3,
    )
    wiring = TransferWiring(
        project_id="tonebridge-dr",
        source_bucket="tb-unit-backups",
        source_bucket_arn="arn:aws:s3:::tb-unit-backups",
        source_key_arn="arn:aws:kms:us-west-2:111122223333:key/unit",
        source_region="us-west-2",
        sink_bucket="tb-unit-dr-backups",
        extra_sources=[staging],
    )
    out = synth_alone(lambda stack: BackupTransfer(stack, "transfer", settings, wiring), providers=("aws", "google"))
    jobs = sorted(resources(out, "google_storage_transfer_job").values(), key=lambda j: j["description"])
    assert len(jobs) == 2
    sources = {j["transfer_spec"]["aws_s3_data_source"]["bucket_name"]: j for j in jobs}
    assert set(sources) == {"tb-unit-backups", "tb-staging-backups"}
    assert sources["tb-staging-backups"]["transfer_spec"]["gcs_data_sink"]["path"] == "staging/"
    for job in jobs:
        assert job["transfer_spec"]["transfer_options"]["delete_objects_unique_in_sink"] is True
        assert job["schedule"]["repeat_interval"] == "21600s"
        assert job["transfer_spec"]["object_conditions"] == {"max_time_elapsed_since_last_modification": "259200s"}
        assert job["schedule"]["start_time_of_day"]["hours"] == 1
        assert job["schedule"]["start_time_of_day"]["minutes"] == 30
        assert job["schedule"]["schedule_start_date"] == {"year": 2026, "month": 12, "day": 4}
    role = only(out, "aws_iam_role")
    assert role["name"] == "tb-unit-transfer"
