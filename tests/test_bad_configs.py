"""A wrong configuration stops `main.py` before anything is synthesized.

Each case runs main.py's entry point as an operator would (from a project folder holding
environments/ and a previous cdktf.out/) and asserts the exit code, the problem line with
file and field path, the absence of a traceback, and that cdktf.out/ is byte-for-byte unchanged.
The cases call it in this process (a fresh interpreter per case cost about 0.2 s each);
one test runs main.py itself in a subprocess, exactly as typed at a shell.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tonebridge import cli
from tonebridge.paths import PROJECT_ROOT

PRODUCTION = yaml.safe_load((PROJECT_ROOT / "environments" / "production.yaml").read_text())
FILE = "environments/production.yaml"
WEST = ("network", "us-west-2")
CLUSTER = ("clusters", "us-west-2")
NAMESPACES = ("platform", "us-west-2", "namespaces")
FAST_SSD = ("platform", "us-west-2", "storage", "fast_ssd")
RDS = ("database", "rds")


def _yaml(doc: dict) -> str:
    return yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)


def _set(path: tuple, value) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _drop(path: tuple) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        node = doc
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


def _overlap(doc: dict) -> None:
    subnets = doc["network"]["us-west-2"]["subnets"]
    subnets["private"][0] = "10.0.20.0/24"
    subnets["data"][:2] = ["10.0.23.0/24", "10.0.20.0/24"]


# (id, mutation of production.yaml, expected line after "<file>: ")
CASES = [
    (
        "dr-subnet-overlaps-an-aws-vpc",
        _set(("dr", "network", "subnet_cidr"), "10.0.0.0/20"),
        "dr.network.subnet_cidr: 10.0.0.0/20 overlaps network.us-west-2.vpc_cidr",
    ),
    (
        "dr-master-range-not-28",
        _set(("dr", "network", "master_cidr"), "172.16.0.0/27"),
        "dr.network.master_cidr: 172.16.0.0/27 must be a /28",
    ),
    (
        "dr-delete-before-coldline",
        _set(("dr", "backups", "delete_after_days"), 60),
        "dr.backups.delete_after_days: must come after coldline_after_days",
    ),
    (
        "dr-project-id",
        _set(("dr", "project_id"), "Tonebridge"),
        "dr.project_id: ",
    ),
    (
        "dns-edge-hostname-outside-the-zone",
        _set(("dns", "zone"), "example.org"),
        "platform.us-west-2.edge.hostname: api.tonebridge.io is outside the zone dns.zone example.org",
    ),
    (
        "dns-failover-names-differ",
        _set(("platform", "us-east-1", "edge", "hostname"), "east.tonebridge.io"),
        "platform.us-east-1.edge.hostname: east.tonebridge.io differs from the primary's api.tonebridge.io",
    ),
    (
        "dns-dr-record-without-dr-site",
        lambda doc: doc.pop("dr"),
        "dns.dr: needs a dr section",
    ),
    (
        "routing-policy-enum",
        _set(("dns", "routing", "policy"), "weighted"),
        "dns.routing.policy: ",
    ),
    (
        "routing-geolocation-with-latency",
        _set(("dns", "routing", "geolocation"), [{"continent": "EU", "region": "us-east-1"}]),
        "dns.routing.geolocation: only with policy geolocation",
    ),
    (
        "routing-geolocation-region-without-edge",
        lambda doc: doc["dns"]["routing"].update(
            policy="geolocation", geolocation=[{"continent": "EU", "region": "eu-west-1"}]
        ),
        "dns.routing.geolocation[0].region: eu-west-1 has no edge",
    ),
    (
        "routing-geolocation-continent-and-country",
        lambda doc: doc["dns"]["routing"].update(
            policy="geolocation", geolocation=[{"continent": "EU", "country": "DE", "region": "us-east-1"}]
        ),
        "dns.routing.geolocation[0]: ",
    ),
    (
        "routing-origin-is-the-public-name",
        _set(("dns", "routing", "origin_hostname"), "api.tonebridge.io"),
        "dns.routing.origin_hostname: must differ from the edge and DR hostnames",
    ),
    (
        "routing-origin-outside-the-zone",
        _set(("dns", "routing", "origin_hostname"), "origin.example.org"),
        "dns.routing.origin_hostname: origin.example.org is outside the zone dns.zone tonebridge.io",
    ),
    (
        "cdn-without-origin-hostname",
        _drop(("dns", "routing", "origin_hostname")),
        "dns.routing.origin_hostname: required with dns.cdn",
    ),
    (
        "cdn-price-class-enum",
        _set(("dns", "cdn", "price_class"), "PriceClass_50"),
        "dns.cdn.price_class: ",
    ),
    (
        "cdn-minimum-protocol-below-tls12",
        _set(("dns", "cdn", "minimum_protocol_version"), "TLSv1_2016"),
        "dns.cdn.minimum_protocol_version: ",
    ),
    (
        "cdn-ttls-out-of-order",
        _set(("dns", "cdn", "cache_paths", 0, "default_ttl"), 40000000),
        "dns.cdn.cache_paths[0].default_ttl: ",
    ),
    (
        "cdn-ttls-min-above-default",
        _set(("dns", "cdn", "cache_paths", 0, "min_ttl"), 90000),
        "dns.cdn.cache_paths[0]: needs min_ttl <= default_ttl <= max_ttl (got 90000, 86400, ",
    ),
    (
        "cdn-cache-path-not-routed",
        _set(("dns", "cdn", "cache_paths", 0, "path"), "/images/*"),
        "dns.cdn.cache_paths[0].path: /images/* is not under the ALB's routed paths",
    ),
    (
        "cdn-cache-path-pattern",
        _set(("dns", "cdn", "cache_paths", 0, "path"), "static/*"),
        "dns.cdn.cache_paths[0].path: ",
    ),
    (
        "cdn-cache-path-twice",
        lambda doc: doc["dns"]["cdn"]["cache_paths"].append({"path": "/static/*"}),
        "dns.cdn.cache_paths[1].path: /static/* appears twice",
    ),
    (
        "cdn-origin-header-reserved",
        _set(("dns", "cdn", "origin_secret", "header"), "X-Amz-Origin"),
        "dns.cdn.origin_secret.header: ",
    ),
    (
        "cdn-hsts-preload-without-subdomains",
        lambda doc: doc["dns"]["cdn"]["security_headers"].update(hsts_preload=True, hsts_include_subdomains=False),
        "dns.cdn.security_headers: ",
    ),
    (
        "cdn-log-bucket-is-the-backups",
        _set(("dns", "cdn", "logs", "bucket"), "tonebridge-backups"),
        "dns.cdn.logs.bucket: tonebridge-backups is already the state's or the backups' bucket",
    ),
    (
        "cnpg-cluster-outside-the-backups-region",
        _set(("platform", "us-east-1", "postgres"), {"clusters": [{"name": "db", "namespace": "staging"}]}),
        "platform.us-east-1.postgres.clusters[0].replica: a cluster in us-east-1 backs up to backups.bucket",
    ),
    (
        "cnpg-cluster-twice",
        lambda doc: doc["platform"]["us-west-2"]["postgres"]["clusters"].append(
            {"name": "tonebridge", "namespace": "staging"}
        ),
        "platform.us-west-2.postgres.clusters[1].name: staging/tonebridge is defined twice",
    ),
    (
        "cnpg-instances",
        _set(("platform", "us-west-2", "postgres", "clusters", 0, "instances"), 0),
        "platform.us-west-2.postgres.clusters[0].instances: ",
    ),
    (
        "redis-maxmemory-above-limit",
        _set(("platform", "us-west-2", "redis", "maxmemory"), "4gb"),
        "platform.us-west-2.redis.maxmemory: 4gb leaves no room under the memory limit 3Gi",
    ),
    (
        "redis-vault-role-is-the-applications",
        _set(("platform", "us-west-2", "redis", "password", "role"), "tonebridge"),
        "platform.us-west-2.redis.password.role: 'tonebridge' is the application's Vault role",
    ),
    (
        "redis-without-vault",
        _set(("platform", "us-west-2", "secrets", "enabled"), False),
        "platform.us-west-2.redis.enabled: the Redis password comes from Vault",
    ),
    (
        "observability-namespace-missing",
        _set(("platform", "us-west-2", "observability", "namespace"), "metrics"),
        "platform.us-west-2.observability.namespace: 'metrics' is not one of platform.us-west-2.namespaces",
    ),
    (
        "observability-agents-in-an-application-namespace",
        _set(("platform", "us-west-2", "observability", "agents_namespace"), "production"),
        "platform.us-west-2.observability.agents_namespace: 'production' is privileged for node agents",
    ),
    (
        "observability-vault-role-is-the-applications",
        _set(("platform", "us-west-2", "observability", "vault_role"), "tonebridge"),
        "platform.us-west-2.observability.vault_role: 'tonebridge' is another component's Vault role",
    ),
    (
        "observability-without-vault",
        _set(("platform", "us-east-1", "secrets", "enabled"), False),
        "platform.us-east-1.observability.enabled: Grafana's login and the alert webhook come from Vault",
    ),
    (
        "elasticsearch-even-masters",
        _set(("platform", "us-west-2", "observability", "logs", "master", "count"), 2),
        "platform.us-west-2.observability.logs.master.count: master-eligible nodes must be odd",
    ),
    (
        "prometheus-interval-syntax",
        _set(("platform", "us-west-2", "observability", "metrics", "scrape_interval"), "15 seconds"),
        "platform.us-west-2.observability.metrics.scrape_interval: ",
    ),
    (
        "redis-too-few-leaders",
        _set(("platform", "us-west-2", "redis", "leaders"), 2),
        "platform.us-west-2.redis.leaders: ",
    ),
    ("cidr-syntax", _set((*WEST, "vpc_cidr"), "10.0.0.0/33"), "network.us-west-2.vpc_cidr: "),
    ("cidr-host-bits", _set((*WEST, "subnets", "public", 0), "10.0.1.7/24"), "network.us-west-2.subnets.public[0]: "),
    (
        "subnet-outside-vpc",
        _set((*WEST, "subnets", "private", 2), "10.9.12.0/24"),
        "network.us-west-2.subnets.private[2]: 10.9.12.0/24 is outside the VPC 10.0.0.0/16",
    ),
    ("subnet-overlap", _overlap, "network.us-west-2.subnets.data[1]: 10.0.20.0/24 overlaps private[0]"),
    (
        "vpc-overlap-between-regions",
        _set(("network", "us-east-1", "vpc_cidr"), "10.0.0.0/16"),
        "network.us-east-1.vpc_cidr: 10.0.0.0/16 overlaps network.us-west-2.vpc_cidr",
    ),
    (
        "subnet-count-vs-azs",
        _set((*WEST, "subnets", "management"), ["10.0.30.0/24", "10.0.31.0/24"]),
        "network.us-west-2.subnets.management: has 2 subnets but there are 3 availability zones",
    ),
    (
        "az-of-another-region",
        _set((*WEST, "availability_zones", 2), "us-east-1c"),
        "network.us-west-2.availability_zones[2]: us-east-1c is not an availability zone of us-west-2",
    ),
    (
        "bucket-name",
        _set(("state", "bucket"), "Tonebridge_State"),
        "state.bucket: 'Tonebridge_State' is not a valid S3",
    ),
    (
        "table-name",
        _set(("state", "lock_table"), "lock table!"),
        "state.lock_table: 'lock table!' is not a valid DynamoDB",
    ),
    (
        "reserved-tag-key",
        _set(("tags", "aws:owner"), "platform"),
        "tags.aws:owner: tag key 'aws:owner' uses the reserved",
    ),
    ("unknown-key", _set((*WEST, "nat_gateway"), True), "network.us-west-2.nat_gateway: unknown key"),
    ("wrong-type", _set((*WEST, "vpn_gateway", "enabled"), "sometimes"), "network.us-west-2.vpn_gateway.enabled: "),
    ("nat-mode", _set((*WEST, "nat"), "two"), "network.us-west-2.nat: "),
    (
        "pod-capacity",
        _set((*WEST, "pods", "max_nodes"), 1000),
        "network.us-west-2.pods.cidr: 100.64.0.0/16 offers 49137 pod addresses but max_nodes x max_pods_per_node "
        "needs 110000",
    ),
    ("missing-section", _drop(("state",)), "state: Field required"),
    ("name-vs-file", _set(("name",), "staging"), "name: 'staging' must match the file name 'production'"),
    ("missing-required-tag", _drop(("tags", "Project")), "tags: required tag 'Project' is missing"),
    (
        "eks-version-format",
        _set((*CLUSTER, "version"), "1.28.3"),
        "clusters.us-west-2.version: '1.28.3' is not an EKS version of the form 1.NN",
    ),
    (
        "node-group-min-above-max",
        _set((*CLUSTER, "node_groups", "system", "min_size"), 6),
        "clusters.us-west-2.node_groups.system: min_size 6 is greater than max_size 5",
    ),
    (
        "node-group-desired-outside",
        _set((*CLUSTER, "node_groups", "application", "desired_size"), 21),
        "clusters.us-west-2.node_groups.application: desired_size 21 is outside [min_size 3, max_size 20]",
    ),
    (
        "taint-effect",
        _set((*CLUSTER, "node_groups", "database", "taints", 0, "effect"), "NoRun"),
        "clusters.us-west-2.node_groups.database.taints[0].effect: taint effect 'NoRun' is not one of",
    ),
    # Fields checked by props/types.checked (the rule module's own text): construct_guards.py's other cases.
    (
        "rds-instance-class-unknown",
        _set((*RDS, "instance_class"), "db.r5.huge"),
        "database.rds.instance_class: 'db.r5.huge' is not an RDS for PostgreSQL instance class; did you mean "
        "db.r5.large or db.r5d.large or db.r5b.large?",
    ),
    (
        "bastion-instance-type-unknown",
        _set((*WEST, "bastion", "instance_type"), "t3.mirco"),
        "network.us-west-2.bastion.instance_type: 't3.mirco' is not an EC2 instance type; did you mean t3.micro "
        "or t3a.micro or t2.micro?",
    ),
    (
        "quota-not-a-quantity",
        _set((*NAMESPACES, "production", "quota", "requests_cpu"), "100 cores"),
        "platform.us-west-2.namespaces.production.quota.requests_cpu: '100 cores' is not a Kubernetes quantity "
        "(for example 500m, 2, 512Mi, 4Gi)",
    ),
    (
        "state-region-unknown",
        _set(("state", "region"), "us-west-9"),
        "state.region: 'us-west-9' is not an AWS region; did you mean us-west-2 or us-west-1 or us-east-2?",
    ),
    (
        "node-groups-exceed-pod-plan",
        _set((*CLUSTER, "node_groups", "application", "max_size"), 40),
        "clusters.us-west-2.node_groups: node groups scale to 55 nodes but network.us-west-2.pods.max_nodes "
        "plans for 35",
    ),
    (
        "api-open-to-world",
        _set((*CLUSTER, "public_access_cidrs"), ["0.0.0.0/0"]),
        "clusters.us-west-2.public_access_cidrs[0]: 0.0.0.0/0 would open the API endpoint to everyone",
    ),
    (
        "cluster-name-too-long-for-karpenter",
        _set(("clusters", "us-east-1", "name"), "tonebridge-production-us-east-1-standby"),
        "clusters.us-east-1: name 'tonebridge-production-us-east-1-standby': Karpenter's rule names "
        "would be 71 > 64 characters",
    ),
    (
        "region-without-cluster",
        _drop(("clusters", "us-east-1")),
        "clusters: us-east-1 is an AWS region of this environment but has no cluster",
    ),
    (
        "registry-prefixes-equal",
        _set(("registries", "staging_prefix"), "tonebridge"),
        "registries.staging_prefix: must differ from registries.production_prefix",
    ),
    (
        "postgres-memory-unit",
        _set(("database", "settings", "shared_buffers"), "256M"),
        "database.settings.shared_buffers: '256M' is not a PostgreSQL memory value",
    ),
    (
        "postgres-memory-not-whole-pages",
        _set(("database", "settings", "wal_buffers"), "12kB"),
        "database.settings: wal_buffers = 12kB is not a whole number of 8 kB units",
    ),
    ("rds-instance-class", _set((*RDS, "instance_class"), "r5.2xlarge"), "database.rds.instance_class: "),
    (
        "rds-windows-overlap",
        _set((*RDS, "maintenance_window"), "sun:03:30-sun:04:30"),
        "database.rds.maintenance_window: sun:03:30-sun:04:30 overlaps the backup window 03:00-04:00",
    ),
    (
        "rds-backup-window-too-short",
        _set((*RDS, "backup_window"), "03:00-03:15"),
        "database.rds.backup_window: 03:00-03:15 is shorter than the 30 minutes RDS requires",
    ),
    (
        "rds-backups-off",
        _set((*RDS, "backup_retention_days"), 0),
        "database.rds.backup_retention_days: Input should be greater than or equal to 1",
    ),
    (
        "rds-storage-ceiling-below-storage",
        _set((*RDS, "max_allocated_storage_gib"), 80),
        "database.rds.max_allocated_storage_gib: 80 must exceed allocated_storage_gib 100",
    ),
    (
        "rds-replica-without-secondary",
        _drop(("aws", "secondary_region")),
        "database.rds.cross_region_replica: needs aws.secondary_region to replicate to",
    ),
    (
        "backups-archive-before-ia",
        _set(("backups", "archive_after_days"), 30),
        "backups.archive_after_days: 30 must come after infrequent_access_after_days 30",
    ),
    (
        "backups-expiry-inside-lock",
        _set(("backups", "noncurrent_expiry_days"), 14),
        "backups.noncurrent_expiry_days: 14 is shorter than object_lock_days 30",
    ),
    (
        "backups-bucket-reused",
        _set(("backups", "replica_bucket"), "tonebridge-terraform-state"),
        "backups.replica_bucket: 'tonebridge-terraform-state' is already used by state.bucket",
    ),
    (
        "backups-ia-too-early",
        _set(("backups", "infrequent_access_after_days"), 7),
        "backups.infrequent_access_after_days: Input should be greater than or equal to 30",
    ),
    (
        "emulator-off-loopback",
        _set(("aws", "emulator"), {"endpoint": "http://10.1.2.3:4566"}),
        "aws.emulator.endpoint: 'http://10.1.2.3:4566' must be a URL on loopback",
    ),
    (
        "region-without-platform",
        _drop(("platform", "us-east-1")),
        "platform: us-east-1 is an AWS region of this environment but has no platform",
    ),
    ("platform-unknown-key", _set(("platform", "us-west-2", "istoi"), {}), "platform.us-west-2.istoi: unknown key"),
    (
        "autoscaler-minor-vs-cluster",
        _set(("platform", "us-west-2", "autoscaling", "cluster_autoscaler", "image_version"), "1.34.2"),
        "platform.us-west-2.autoscaling.cluster_autoscaler.image_version: 1.34.2 does not match "
        "clusters.us-west-2.version 1.35",
    ),
    (
        "autoscaler-own-flag-in-extra-args",
        _set(("platform", "us-west-2", "autoscaling", "cluster_autoscaler", "extra_args"), {"expander": "random"}),
        "platform.us-west-2.autoscaling.cluster_autoscaler.extra_args.expander: flag names go without dashes",
    ),
    (
        "karpenter-ami-latest",
        _set(("platform", "us-west-2", "autoscaling", "karpenter", "node_pool", "ami_alias"), "al2023@latest"),
        "platform.us-west-2.autoscaling.karpenter.node_pool.ami_alias: ",
    ),
    (
        "application-namespace-below-restricted",
        _set((*NAMESPACES, "staging", "pod_security"), "baseline"),
        "platform.us-west-2.namespaces.staging.pod_security: application namespaces must be restricted (spec §8.3)",
    ),
    (
        "application-namespace-without-read-only-root",
        _set((*NAMESPACES, "production", "read_only_root_filesystem"), False),
        "platform.us-west-2.namespaces.production.read_only_root_filesystem: application namespaces must require it",
    ),
    (
        "relaxed-namespace-without-reason",
        _set((*NAMESPACES, "monitoring", "pod_security"), "privileged"),
        "platform.us-west-2.namespaces.monitoring.pod_security_reason: pod_security 'privileged' needs a reason",
    ),
    (
        "reserved-namespace-label",
        _set((*NAMESPACES, "production", "labels", "environment"), "prod"),
        "platform.us-west-2.namespaces.production.labels: label 'environment' is set by the platform",
    ),
    (
        "quantity-syntax",
        _set((*NAMESPACES, "production", "quota", "requests_memory"), "200GB"),
        "platform.us-west-2.namespaces.production.quota.requests_memory: '200GB' is not a Kubernetes quantity",
    ),
    (
        "quota-requests-above-limits",
        _set((*NAMESPACES, "production", "quota", "requests_cpu"), "300"),
        "platform.us-west-2.namespaces.production.quota.requests_cpu: requests_cpu 300 is greater than limits_cpu 200",
    ),
    (
        "limit-range-default-request-above-default",
        _set((*NAMESPACES, "production", "limit_range", "default_request", "cpu"), "600m"),
        "platform.us-west-2.namespaces.production.limit_range.default_request.cpu: default_request 600m is greater "
        "than default 500m",
    ),
    (
        "limit-range-min-above-default-request",
        _set((*NAMESPACES, "production", "limit_range", "min", "memory"), "1Gi"),
        "platform.us-west-2.namespaces.production.limit_range.min.memory: min 1Gi is greater than default_request "
        "256Mi",
    ),
    (
        "service-graph-unknown-service",
        _set((*NAMESPACES, "production", "network_isolation", "services", "llm-service", "from_services"), ["web"]),
        "platform.us-west-2.namespaces.production.network_isolation.services.llm-service.from_services[0]: 'web' "
        "is not a service of network_isolation.services",
    ),
    (
        "gp3-iops-range",
        _set((*FAST_SSD, "iops"), 20000),
        "platform.us-west-2.storage.fast_ssd.iops: 20000 is outside gp3's 3000-16000 IOPS",
    ),
    (
        "gp3-iops-per-gib",
        _set((*FAST_SSD, "iops"), 6000),
        "platform.us-west-2.storage.fast_ssd.iops: 6000 IOPS exceed 500 per GiB of a 10 GiB volume",
    ),
    (
        "gp3-throughput-per-iops",
        lambda doc: (_set((*FAST_SSD, "iops"), 3000)(doc), _set((*FAST_SSD, "throughput"), 1000)(doc)),
        "platform.us-west-2.storage.fast_ssd.throughput: 1000 MiB/s needs at least 4000 IOPS",
    ),
    (
        "edge-without-hostname",
        _drop(("platform", "us-west-2", "edge", "hostname")),
        "platform.us-west-2.edge.hostname: required when edge.enabled",
    ),
    (
        "edge-unknown-country",
        _set(("platform", "us-west-2", "edge", "blocked_countries"), ["KP", "XX"]),
        "platform.us-west-2.edge.blocked_countries[1]: ",
    ),
    (
        "istiod-autoscale-inverted",
        _set(("platform", "us-west-2", "istio"), {"istiod_autoscale": {"min": 6, "max": 5}}),
        "platform.us-west-2.istio.istiod_autoscale.min: 6 exceeds max 5",
    ),
    (
        "vault-even-quorum",
        _set(("platform", "us-west-2", "secrets", "vault", "replicas"), 2),
        "platform.us-west-2.secrets.vault.replicas: raft needs an odd number of voters, not 2",
    ),
    (
        "trivy-severity",
        _set(("platform", "us-west-2", "scanning", "severities"), ["HIGH", "SEVERE"]),
        "platform.us-west-2.scanning.severities[1]: ",
    ),
    # --- CI (spec §6.2) ---
    (
        "ci-without-management-pool",
        _drop(("clusters", "us-west-2", "node_groups", "management")),
        "platform.us-west-2.ci.enabled: needs a node group labelled workload=management with subnet_tier management",
    ),
    (
        "ci-management-pool-on-the-app-subnets",
        _set(("clusters", "us-west-2", "node_groups", "management", "subnet_tier"), "private"),
        "platform.us-west-2.ci.enabled: needs a node group labelled workload=management",
    ),
    (
        "ci-in-the-standby-region",
        _set(("platform", "us-east-1", "ci"), {"enabled": True}),
        "platform.us-east-1.ci.enabled: the image-push role needs the registries, in aws.primary_region only",
    ),
    (
        "ci-deploys-to-an-unknown-namespace",
        _set(("platform", "us-west-2", "ci", "deploy_namespaces"), ["staging", "prod"]),
        "platform.us-west-2.ci.deploy_namespaces[1]: prod is not a namespace of platform.us-west-2",
    ),
    (
        "ci-shares-the-application-vault-role",
        _set(("platform", "us-west-2", "ci", "vault"), {"role": "tonebridge"}),
        "platform.us-west-2.ci.vault.role: tonebridge is already another component's Vault role",
    ),
    (
        "ci-agent-image-unpinned",
        _set(("platform", "us-west-2", "ci", "agents", "kaniko_image"), "gcr.io/kaniko-project/executor:latest"),
        "platform.us-west-2.ci.agents.kaniko_image: ",
    ),
    (
        "ci-integration-tests-against-production",
        _set(("platform", "us-west-2", "ci", "test_targets"), [{"namespace": "production"}]),
        "platform.us-west-2.ci.test_targets[0].namespace: integration tests run against staging only",
    ),
    (
        "ci-in-an-application-namespace",
        _set(("platform", "us-west-2", "ci", "namespace"), "staging"),
        "platform.us-west-2.ci.namespace: staging is an application namespace",
    ),
    (
        "redis-claim-below-its-class",
        _set(("platform", "us-west-2", "redis", "storage_size"), "5Gi"),
        "platform.us-west-2.redis.storage_size: 5Gi is below fast-ssd's smallest volume (10Gi, ",
    ),
    (
        "rpo-one-hour-with-a-daily-transfer",
        _set(("dr", "transfer", "repeat_interval_hours"), 24),
        "recovery.database.dr_site.rpo: 8h cannot be met: backups at 15 4-23/6 * * * (up to 30 min) and a transfer "
        "every 24h from 05:00 (up to 45 min) lose up to 25h30m",
    ),
    (
        "rpo-tighter-than-the-pipeline",
        _set(("recovery", "database", "dr_site"), {"rpo": "1h", "rto": "4h"}),
        "recovery.database.dr_site.rpo: 1h cannot be met: backups at 15 4-23/6 * * * (up to 30 min) and a transfer "
        "every 6h from 05:00 (up to 45 min) lose up to 7h30m",
    ),
    (
        "rpo-freshness-alert-beyond-cloud-monitoring",
        _set(("recovery", "database", "dr_site"), {"rpo": "48h", "rto": "4h"}),
        "recovery.database.dr_site.rpo: the freshness alert needs a 46h30m absence window; Cloud Monitoring "
        "allows at most 23h30m",
    ),
    (
        "rto-shorter-than-the-restore",
        _set(("recovery", "database", "dr_site"), {"rpo": "8h", "rto": "1h"}),
        "recovery.database.dr_site.rto: 1h is shorter than starting the standby and restoring 100 GiB at 50 GiB/h "
        "(2h30m)",
    ),
    (
        "region-rpo-below-the-replica-lag-alarm",
        _set(("recovery", "database", "region"), {"rpo": "1m", "rto": "1h"}),
        "recovery.database.region.rpo: 1m is below the replica-lag alarm (300 s): a lag that breaks it would go "
        "unnoticed",
    ),
    (
        "staging-rpo-tighter-than-the-transfer",
        _set(("recovery", "staging_database", "dr_site"), {"rpo": "2h", "rto": "8h"}),
        "recovery.staging_database.dr_site.rpo: 2h cannot be met: WAL archived every 5 min and a transfer every 6h "
        "(up to 45 min) lose up to 6h45m",
    ),
    (
        "logical-backup-skips-days",
        _set(("database", "logical_backup", "schedule"), "15 4 * * 1-5"),
        "database.logical_backup.schedule: '15 4 * * 1-5' must run every day",
    ),
    (
        "logical-backup-runs-overlap",
        _set(("database", "logical_backup", "max_duration_minutes"), 400),
        "database.logical_backup.max_duration_minutes: 400 minutes would let a run overlap the next "
        "(360 minutes apart)",
    ),
    (
        "logical-backup-retention-below-the-lock",
        _set(("database", "logical_backup", "retention_days"), 7),
        "database.logical_backup.retention_days: 7 days is shorter than backups.object_lock_days (30)",
    ),
    (
        "logical-backup-duration-unit",
        _set(("recovery", "database", "region"), {"rpo": "5 minutes", "rto": "1h"}),
        "recovery.database.region.rpo: ",
    ),
    # Names derived from configured values (tonebridge/config/derived_names.py), at the field(s) that make them.
    (
        "backups-bucket-too-long-for-staging-access-logs",
        _set(("backups", "bucket"), "tonebridge-backups-production-primary-oregon-001"),
        "backups.bucket: makes the access log bucket of staging's backups bucket "
        "'tonebridge-backups-production-primary-oregon-001-staging-access-logs': 68 characters; S3 bucket names "
        "are at most 63",
    ),
    (
        "backups-bucket-too-long-for-staging",
        _set(("backups", "bucket"), "tonebridge-backups-production-us-west-2-primary-copy-archive"),
        "platform.us-west-2.namespaces.staging.environment: makes staging's backups bucket "
        "'tonebridge-backups-production-us-west-2-primary-copy-archive-staging': 68 characters",
    ),
    (
        "namespace-environment-uppercase-makes-a-bucket",
        _set((*NAMESPACES, "staging", "environment"), "Staging"),
        "platform.us-west-2.namespaces.staging.environment: makes Staging's backups bucket "
        "'tonebridge-backups-Staging': S3 bucket names take only [a-z0-9.-]",
    ),
    (
        "namespace-environment-underscore-makes-a-bucket",
        _set((*NAMESPACES, "staging", "environment"), "staging_v2"),
        "platform.us-west-2.namespaces.staging.environment: makes staging_v2's backups bucket "
        "'tonebridge-backups-staging_v2': S3 bucket names take only [a-z0-9.-]",
    ),
    (
        "backups-bucket-dotted-makes-a-key-alias",
        _set(("backups", "bucket"), "tonebridge.backups"),
        "backups.bucket: makes the key of the backups bucket 'alias/tonebridge.backups': KMS alias names take only",
    ),
    (
        "project-tag-makes-an-rds-identifier",
        _set(("tags", "Project"), "Tone Bridge"),
        "tags.Project: makes the RDS primary's identifier 'Tone Bridge-production': RDS DB instance names take only "
        "[a-z0-9-]",
    ),
    (
        "project-tag-makes-a-long-role",
        _set(("tags", "Project"), "tonebridge-platform-infrastructure-shared"),
        "tags.Project: makes the environment's ci-image-push IAM role "
        "'tonebridge-platform-infrastructure-shared-production-ci-image-push': 66 characters; IAM role names are at "
        "most 64",
    ),
    (
        "vpn-gateway-asn-between-the-ranges",
        _set((*WEST, "vpn_gateway", "amazon_side_asn"), 70000),
        "network.us-west-2.vpn_gateway.amazon_side_asn: 70000 is not an ASN AWS gives a virtual private gateway: "
        "64512-65534 (16-bit) or 4200000000-4294967294 (32-bit)",
    ),
    (
        "vpn-gateway-asn-65535",
        _set((*WEST, "vpn_gateway", "amazon_side_asn"), 65535),
        "network.us-west-2.vpn_gateway.amazon_side_asn: 65535 is not an ASN",
    ),
    (
        "rds-master-username-17-characters",
        _set((*RDS, "master_username"), "tonebridge_dbadmin"),
        "database.rds.master_username: 'tonebridge_dbadmin' has 18 characters; RDS allows at most 16",
    ),
    (
        "rds-master-username-reserved",
        _set((*RDS, "master_username"), "rdsadmin"),
        "database.rds.master_username: 'rdsadmin' is reserved",
    ),
    (
        "node-group-taint-key-not-a-qualified-name",
        _set((*CLUSTER, "node_groups", "database", "taints", 0, "key"), "data base"),
        "clusters.us-west-2.node_groups.database.taints[0].key: 'data base' is not a valid Kubernetes taint key",
    ),
    (
        "node-group-taint-value-not-a-label-value",
        _set((*CLUSTER, "node_groups", "database", "taints", 0, "value"), "yes please"),
        "clusters.us-west-2.node_groups.database.taints[0].value: 'yes please' is not a valid Kubernetes taint value",
    ),
    (
        "karpenter-taint-key-not-a-qualified-name",
        _set(("platform", "us-west-2", "autoscaling", "karpenter", "node_pool", "taints", 0, "key"), "spot instance"),
        "platform.us-west-2.autoscaling.karpenter.node_pool.taints[0].key: 'spot instance' is not a valid Kubernetes "
        "taint key",
    ),
    (
        "vault-volume-above-gp3",
        _set(("platform", "us-west-2", "secrets", "vault", "data_storage"), "100Ti"),
        "platform.us-west-2.secrets.vault.data_storage: 100Ti is above the largest gp3 volume (16384 GiB",
    ),
    (
        "redis-volume-above-gp3",
        _set(("platform", "us-west-2", "redis", "storage_size"), "50Ti"),
        "platform.us-west-2.redis.storage_size: 50Ti is above the largest gp3 volume (16384 GiB",
    ),
    (
        "cnpg-volume-above-gp3",
        _set(("platform", "us-west-2", "postgres", "clusters", 0, "storage_size"), "17Ti"),
        "platform.us-west-2.postgres.clusters[0].storage_size: 17Ti is above the largest gp3 volume (16384 GiB",
    ),
    (
        "gcs-bucket-google",
        _set(("dr", "backups", "bucket"), "google-tonebridge-backups"),
        "dr.backups.bucket: 'google-tonebridge-backups': a Cloud Storage bucket name must not begin with 'goog' nor "
        "contain 'google'",
    ),
    (
        "gcs-bucket-contains-google",
        _set(("dr", "backups", "access_log_bucket"), "tonebridge-g00gle-logs"),
        "dr.backups.access_log_bucket: 'tonebridge-g00gle-logs': a Cloud Storage bucket name",
    ),
    (
        "gke-machine-type-size-typo",
        _set(("dr", "gke", "node_pool", "machine_type"), "e2-standard-5"),
        "dr.gke.node_pool.machine_type: 'e2-standard-5' is not a Compute Engine machine type of the cloud facts "
        "table; did you mean e2-standard-8 or e2-standard-4",
    ),
    (
        "gke-machine-type-unknown-family",
        _set(("dr", "gke", "node_pool", "machine_type"), "n9-standard-4"),
        "dr.gke.node_pool.machine_type: 'n9-standard-4' is not a Compute Engine machine type of the cloud facts table",
    ),
    (
        "prometheus-retention-size-above-the-volume",
        _set(("platform", "us-west-2", "observability", "metrics", "retention_size"), "200GB"),
        "platform.us-west-2.observability.metrics.retention_size: 200GB (200 GiB: Prometheus reads GB as GiB) is "
        "above 90% of the volume storage_size 100Gi",
    ),
    (
        "prometheus-retention-size-without-margin",
        _set(("platform", "us-west-2", "observability", "metrics", "retention_size"), "95GB"),
        "platform.us-west-2.observability.metrics.retention_size: 95GB (95 GiB",
    ),
    (
        "redis-among-the-applications",
        _set(("platform", "us-west-2", "redis", "namespace"), "production"),
        "platform.us-west-2.redis.namespace: 'production' must hold Redis alone, behind a default deny",
    ),
]


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}|{stat.st_mtime_ns}".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An operator's folder: environments/ and the cdktf.out/ of an earlier, good synthesis."""
    (tmp_path / "environments").mkdir()
    previous = tmp_path / "cdktf.out" / "stacks" / "production-us-west-2"
    previous.mkdir(parents=True)
    (previous / "cdk.tf.json").write_text('{"resource": {"aws_vpc": {}}}\n')
    (tmp_path / "cdktf.out" / "manifest.json").write_text('{"stacks": {}}\n')
    return tmp_path


def _synth(project: Path, **env: str) -> subprocess.CompletedProcess:
    """main.py's ``main()`` in this process, from the project folder, with its stderr captured."""
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(stderr):
        mp.delenv("TONEBRIDGE_ENVIRONMENTS", raising=False)
        for name, value in {"TONEBRIDGE_ENVIRONMENTS_DIR": str(project / "environments"), **env}.items():
            mp.setenv(name, value)
        mp.chdir(project)
        returncode = cli.main()
    return subprocess.CompletedProcess(["main.py"], returncode, "", stderr.getvalue())


def _synth_subprocess(project: Path, **env: str) -> subprocess.CompletedProcess:
    """``python main.py`` in a fresh interpreter, exactly as an operator runs it."""
    environ = {k: v for k, v in os.environ.items() if k != "TONEBRIDGE_ENVIRONMENTS"}
    environ.update(TONEBRIDGE_ENVIRONMENTS_DIR=str(project / "environments"), **env)
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "main.py")],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _assert_rejected(project: Path, result: subprocess.CompletedProcess, expected: str, before: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr, result.stderr
    assert _tree_digest(project / "cdktf.out") == before, "cdktf.out/ was modified"


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_configuration_is_rejected_before_synthesis(project: Path, mutate, expected: str) -> None:
    doc = copy.deepcopy(PRODUCTION)
    mutate(doc)
    (project / "environments" / "production.yaml").write_text(_yaml(doc))
    before = _tree_digest(project / "cdktf.out")
    result = _synth(project)
    _assert_rejected(project, result, f"{FILE}: {expected}", before)


def test_invalid_yaml_names_line(project: Path) -> None:
    text = (
        (PROJECT_ROOT / "environments" / "production.yaml")
        .read_text()
        .replace("  region: us-west-2", "  region: [us-west-2", 1)
    )
    (project / "environments" / "production.yaml").write_text(text)
    before = _tree_digest(project / "cdktf.out")
    _assert_rejected(project, _synth(project), f"{FILE}: (top level): invalid YAML: line ", before)


def test_duplicate_yaml_key_is_rejected(project: Path) -> None:
    text = (PROJECT_ROOT / "environments" / "production.yaml").read_text() + "\nname: production\n"
    (project / "environments" / "production.yaml").write_text(text)
    before = _tree_digest(project / "cdktf.out")
    _assert_rejected(project, _synth(project), f"{FILE}: (top level): invalid YAML: line ", before)


def test_unknown_environment_selection(project: Path) -> None:
    (project / "environments" / "production.yaml").write_text(_yaml(PRODUCTION))
    before = _tree_digest(project / "cdktf.out")
    result = _synth(project, TONEBRIDGE_ENVIRONMENTS="staging")
    _assert_rejected(
        project, result, "TONEBRIDGE_ENVIRONMENTS: (top level): no environment file environments/staging.yaml", before
    )


@pytest.mark.integration
def test_every_problem_is_reported_at_once(project: Path) -> None:
    doc = copy.deepcopy(PRODUCTION)
    _set(("state", "bucket"), "Bad_Bucket")(doc)
    _set((*WEST, "nat"), "two")(doc)
    (project / "environments" / "production.yaml").write_text(_yaml(doc))
    before = _tree_digest(project / "cdktf.out")
    result = _synth_subprocess(project)
    _assert_rejected(project, result, f"{FILE}: state.bucket: ", before)
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith(f"{FILE}: ")]
    assert len(problem_lines) == 2, result.stderr


def test_an_output_folder_whose_parents_do_not_exist_yet_is_created(project: Path, monkeypatch) -> None:
    """CDKTF_OUTDIR (what `cdktf synth --output` sets) in a folder not made yet: cdktf makes the folder but not
    its parents, which was an internal error. The synthesis itself is stubbed: only the folder is in question."""
    import tonebridge.app

    (project / "environments" / "local.yaml").write_bytes((PROJECT_ROOT / "environments" / "local.yaml").read_bytes())
    outdir = project / "build" / "nested" / "cdktf.out"
    seen: list[bool] = []

    class App:
        def synth(self) -> None:
            seen.append(outdir.parent.is_dir())

    monkeypatch.setattr(tonebridge.app, "build_app", lambda envs: App())
    result = _synth(project, TONEBRIDGE_ENVIRONMENTS="local", CDKTF_OUTDIR=str(outdir))
    assert result.returncode == 0, result.stderr
    assert seen == [True]
