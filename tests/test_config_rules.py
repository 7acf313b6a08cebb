"""Rejected configurations of issue 16's classes, each with the exact line `main.py` prints.

Loader (encodings, keys, YAML 1.1 typing surprises), the selection of environments, the clouds' own
rules from the cloud facts table, names across environment files, namespaces, and the semantics
that make a valid configuration work once applied. Each case runs main.py's entry point on a copy
of production.yaml (or raw text) in an operator's folder and asserts: exit 2, the exact line among
stderr's lines, every line under 300 characters, no traceback, cdktf.out/ untouched.
"""

from __future__ import annotations

import copy
import datetime
from pathlib import Path

import pytest
import yaml

from tests.test_bad_configs import (
    CLUSTER,
    FILE,
    PRODUCTION,
    RDS,
    WEST,
    _set,
    _synth,
    _synth_subprocess,
    _tree_digest,
    _yaml,
)
from tonebridge import cloudfacts
from tonebridge.cli import EXIT_BUG
from tonebridge.config.errors import MAX_LINE
from tonebridge.config.namespace_rules import FIXED
from tonebridge.paths import PROJECT_ROOT

TEXT = (PROJECT_ROOT / "environments" / "production.yaml").read_text()
PLATFORM = ("platform", "us-west-2")
GROUPS = (*CLUSTER, "node_groups")
POOL = (*PLATFORM, "autoscaling", "karpenter", "node_pool")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An operator's folder: environments/ and the cdktf.out/ of an earlier, good synthesis
    (as tests/test_bad_configs.py's fixture of the same name)."""
    (tmp_path / "environments").mkdir()
    previous = tmp_path / "cdktf.out" / "stacks" / "production-us-west-2"
    previous.mkdir(parents=True)
    (previous / "cdk.tf.json").write_text('{"resource": {"aws_vpc": {}}}\n')
    (tmp_path / "cdktf.out" / "manifest.json").write_text('{"stacks": {}}\n')
    return tmp_path


def _assert_line(project: Path, result, line: str, before: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert line in lines, result.stderr
    assert all(len(each) < 300 for each in lines), max(lines, key=len)
    assert _tree_digest(project / "cdktf.out") == before, "cdktf.out/ was modified"


def _run_text(project: Path, text: str | bytes, **env: str):
    path = project / "environments" / "production.yaml"
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    return _synth(project, **env)


# --- 1. the loader: never a traceback, and the fix in the line ------------------------------------

TEXT_CASES = [
    (
        "sexagesimal-clock-time",
        TEXT.replace('start_time_utc: "05:00"', "start_time_utc: 12:30").replace(
            "start_time_utc: 05:00", "start_time_utc: 12:30"
        ),
        "dr.transfer.start_time_utc: YAML 1.1 reads the unquoted 12:30 as the base-60 number 750; quote it "
        '("12:30") or write the number you mean',
    ),
    (
        "octal-number",
        TEXT.replace("amazon_side_asn: 64512", "amazon_side_asn: 064512"),
        "network.us-west-2.vpn_gateway.amazon_side_asn: YAML 1.1 reads the unquoted 064512 as the octal number "
        '26954; quote it ("064512") or write the number you mean',
    ),
    (
        "version-read-as-number",
        TEXT.replace('version: "1.35"                     # spec', "version: 1.30                     # spec"),
        "clusters.us-west-2.version: Input should be a valid string (got 1.3): YAML 1.1 reads the unquoted 1.30 "
        'as the number 1.3; quote it: "1.30"',
    ),
    (
        "no-read-as-false",
        TEXT.replace("    nat: per_az\n", "    nat: no\n", 1),
        "network.us-west-2.nat: Input should be 'per_az', 'single' or 'none' (got False): YAML 1.1 reads the "
        'unquoted no as the boolean false; quote it: "no"',
    ),
    (
        "empty-value",
        TEXT.replace("    nat: per_az\n", "    nat:\n", 1),
        "network.us-west-2.nat: Input should be 'per_az', 'single' or 'none' (got None): the value is empty (YAML "
        "reads it as null); write one",
    ),
    (
        "date-read-as-date",
        TEXT.replace('start_date: "2026-12-01"', "start_date: 2026-12-01"),
        "dr.transfer.start_date: Input should be a valid string (got datetime.date(2026, 12, 1)): YAML 1.1 reads "
        'the unquoted 2026-12-01 as a date 2026-12-01; quote it: "2026-12-01"',
    ),
    (
        "exponent-read-as-text",
        TEXT.replace("max_nodes: 35 ", "max_nodes: 3.5e1 "),
        "network.us-west-2.pods.max_nodes: Input should be a valid integer, unable to parse string as an integer "
        "(got '3.5e1'): YAML 1.1 reads 3.5e1 as text, not a number; write 35",
    ),
    (
        "non-scalar-key",
        TEXT + "\n? [a, b]\n: c\n",
        f"(top level): invalid YAML: line {TEXT.count(chr(10)) + 2}, column 3: a key must be a plain name, not a "
        "list or mapping",
    ),
    (
        "utf-16",
        "\ufeff".encode("utf-16-le") + TEXT.encode("utf-16-le"),
        "(top level): is UTF-16 text; save it as UTF-8",
    ),
    (
        "latin-1",
        TEXT.replace("# ToneBridge production", "# ToneBridge producción").encode("latin-1"),
        "(top level): is not UTF-8 text (byte 0xf3 on line 2); save it as UTF-8",
    ),
    (
        "huge-echoed-value",
        TEXT.replace("  bucket: tonebridge-terraform-state", "  bucket: " + "x" * 5000, 1),
        "state.bucket: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxx (5000 chars)' is not a valid S3 bucket name: 3-63 "
        "characters, lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
    ),
    (
        "huge-unknown-key",
        TEXT.replace("  protect: true\n", "  protect: true\n  ? " + "k" * 3000 + "\n  : 1\n", 1),
        "state.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…kkkkkkkk (3000 chars): unknown key",
    ),
]


@pytest.mark.parametrize(("text", "line"), [c[1:] for c in TEXT_CASES], ids=[c[0] for c in TEXT_CASES])
def test_loader_problems_are_lines_with_the_fix(project: Path, text, line: str) -> None:
    before = _tree_digest(project / "cdktf.out")
    _assert_line(project, _run_text(project, text), f"{FILE}: {line}", before)


def test_a_byte_order_mark_is_accepted(project: Path) -> None:
    """An editor's UTF-8 BOM is harmless: the file loads (the name check still runs, and passes)."""
    from tonebridge.config import load_environment

    path = project / "environments" / "production.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode())
    assert load_environment(path).name == "production"


@pytest.mark.parametrize(
    ("selection", "line"),
    [
        (
            "prodution",
            "TONEBRIDGE_ENVIRONMENTS: (top level): no environment file environments/prodution.yaml "
            "(did you mean production? have: production)",
        ),
        (
            "production,production",
            "TONEBRIDGE_ENVIRONMENTS: (top level): production is named twice; name each environment once",
        ),
        (
            "production.yaml",
            "TONEBRIDGE_ENVIRONMENTS: (top level): no environment file environments/production.yaml.yaml "
            "(did you mean production? have: production)",
        ),
    ],
    ids=["typo", "twice", "file-name"],
)
def test_selection_is_checked(project: Path, selection: str, line: str) -> None:
    before = _tree_digest(project / "cdktf.out")
    _assert_line(project, _run_text(project, TEXT, TONEBRIDGE_ENVIRONMENTS=selection), line, before)


def test_an_internal_error_is_one_line_naming_its_log(project: Path, monkeypatch) -> None:
    """Not a configuration problem: one line saying it is a bug and where its traceback is; exit 3."""
    from tonebridge import cli

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom " + "x" * 400)

    monkeypatch.setattr(cli, "load_selected", broken)
    monkeypatch.setattr(cli, "ERROR_LOG_DIR", project / ".cache" / "errors")
    before = _tree_digest(project / "cdktf.out")
    result = _run_text(project, TEXT)
    lines = result.stderr.splitlines()
    assert result.returncode == EXIT_BUG
    assert len(lines) == 1 and len(lines[0]) < 300, lines
    assert lines[0].startswith("internal error (a bug in tonebridge, not in the configuration): RuntimeError: boom")
    log = next((project / ".cache" / "errors").glob("main-*.log"))
    assert str(log.relative_to(project)) in lines[0]
    assert "Traceback" in log.read_text() and "Traceback" not in result.stderr
    assert _tree_digest(project / "cdktf.out") == before


# --- 2. the clouds' own rules, from the cloud facts table ------------------------------------------

FACT_CASES = [
    (
        "instance-type-typo",
        _set((*GROUPS, "application", "instance_types"), ["c5.xlarg"]),
        "clusters.us-west-2.node_groups.application.instance_types[0]: 'c5.xlarg' is not an EC2 instance type; "
        "did you mean c5.xlarge or c5n.xlarge or c5d.xlarge?",
    ),
    (
        "bastion-instance-type-typo",
        _set((*WEST, "bastion", "instance_type"), "t3.mirco"),
        "network.us-west-2.bastion.instance_type: 't3.mirco' is not an EC2 instance type; did you mean t3.micro "
        "or t3a.micro or t2.micro?",
    ),
    (
        "rds-class-typo",
        _set((*RDS, "instance_class"), "db.r5.2xlarg"),
        "database.rds.instance_class: 'db.r5.2xlarg' is not an RDS for PostgreSQL instance class; did you mean "
        "db.r5.2xlarge or db.r5d.2xlarge or db.r5b.2xlarge?",
    ),
    (
        "rds-minor-no-longer-offered",
        _set((*RDS, "engine_version"), "16.1"),
        "database.rds.engine_version: RDS no longer creates PostgreSQL 16.1; use 16.9 or later, or 16",
    ),
    (
        "rds-unknown-major",
        _set((*RDS, "engine_version"), "19"),
        "database.rds.engine_version: PostgreSQL 19 is not a major version RDS offers in the cloud facts table "
        "(14, 15, 16, 17)",
    ),
    (
        "eks-version-unknown",
        _set((*CLUSTER, "version"), "1.53"),
        "clusters.us-west-2.version: 1.53 is not an EKS version the cloud facts table knows (1.29, 1.30, 1.31, "
        "1.32, 1.33, 1.34, 1.35); did you mean 1.35?",
    ),
    (
        "region-typo",
        _set(("state", "region"), "us-west-3"),
        "state.region: 'us-west-3' is not an AWS region; did you mean us-west-2 or us-west-1 or eu-west-3?",
    ),
    (
        "zone-that-does-not-exist",
        _set((*WEST, "availability_zones", 2), "us-west-2e"),
        "network.us-west-2.availability_zones[2]: us-west-2e is not an availability zone of us-west-2 "
        "(us-west-2a, us-west-2b, us-west-2c, us-west-2d)",
    ),
    (
        "gcp-region-typo",
        _set(("dr", "region"), "europe-west9"),
        "dr.region: 'europe-west9' is not a GCP region of the cloud facts table; did you mean europe-west4 or "
        "europe-west3 or europe-west2?",
    ),
    (
        "tag-value-gcp-refuses",
        _set(("tags", "Team"), "Platform Team"),
        "tags.Team: GCP label value 'platform team': at most 63 lowercase letters, digits, '_' or '-' (dr labels)",
    ),
    (
        "service-range-public",
        _set((*CLUSTER, "service_cidr"), "100.96.0.0/16"),
        "clusters.us-west-2.service_cidr: 100.96.0.0/16 is outside RFC 1918 (10/8, 172.16/12, 192.168/16), which "
        "EKS requires",
    ),
    (
        "service-range-too-small",
        _set((*CLUSTER, "service_cidr"), "172.20.0.0/25"),
        "clusters.us-west-2.service_cidr: 172.20.0.0/25 must be between /12 and /24 (EKS)",
    ),
]


def test_eks_versions_past_standard_support_are_rejected() -> None:
    """Dated: a version past its end of standard support (as of the day the check runs)."""
    problem = cloudfacts.eks_version_problem("1.31", today=datetime.date(2026, 12, 3))
    assert problem == ("EKS 1.31 left standard support on 2025-11-26 (extended support costs extra and ends); use 1.35")
    assert cloudfacts.eks_version_problem("1.35", today=datetime.date(2026, 12, 3)) is None


def test_support_is_judged_on_the_tables_day_not_the_clock() -> None:
    """No configuration starts failing because a date passed: the day is data, moved by a commit."""
    import inspect

    judged = cloudfacts.support_judged_on()
    for version, (_released, standard_end, _extended) in cloudfacts.curated()["eks"]["versions"].items():
        past = datetime.date.fromisoformat(standard_end) < judged
        assert (cloudfacts.eks_version_problem(version) is not None) == past, version
    assert "today()" not in inspect.getsource(cloudfacts) and "now()" not in inspect.getsource(cloudfacts)


def test_the_table_says_where_each_fact_comes_from() -> None:
    for name in ("aws_ec2_instance_types.json", "aws_regions.json"):
        assert "moto" in cloudfacts.source(name) and "taken 20" in cloudfacts.source(name)
    curated = cloudfacts.curated()
    for section in ("eks", "rds_postgres", "rds_instance_classes", "ebs"):
        assert curated[section]["source"] and curated[section]["taken"]
    assert curated["gcp"]["regions_source"] and curated["gcp"]["labels_source"]


@pytest.mark.integration
def test_the_generated_part_is_what_the_generator_writes() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "cloudfacts.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_capacity_reads_the_table() -> None:
    """One source: the cluster-fit check's capacity model and the configuration use the same numbers."""
    from tonebridge import capacity

    for name, node in capacity.INSTANCE_TYPES.items():
        fact = cloudfacts.ec2_instance_types()[name]
        assert (node.vcpus, node.memory_mib, node.enis, node.ipv4_per_eni) == (
            fact.vcpus,
            fact.memory_mib,
            fact.max_enis,
            fact.ipv4_per_eni,
        )
    assert capacity.lookup("r5.2xlarge").memory_mib == cloudfacts.rds_instance_classes()["db.r5.2xlarge"].memory_mib
    # prefix delegation (addressable_pods) needs Nitro: every type the capacity model sizes is one
    assert {cloudfacts.ec2_instance_types()[name].hypervisor for name in capacity.INSTANCE_TYPES} == {"nitro"}


# --- 3. across environments and components --------------------------------------------------------

ACROSS_CASES = [
    (
        "namespace-reserved",
        lambda doc: doc["platform"]["us-west-2"]["namespaces"].__setitem__(
            "kube-tools", copy.deepcopy(doc["platform"]["us-west-2"]["namespaces"]["monitoring"])
        ),
        "platform.us-west-2.namespaces.kube-tools: 'kube-tools' is a namespace Kubernetes reserves (default, "
        "kube-system, kube-public, kube-node-lease, kube-*)",
    ),
    (
        "namespace-created-twice",
        _set((*PLATFORM, "argocd", "namespace"), "istio-system"),
        "platform.us-west-2.argocd.namespace: namespace 'istio-system' is already created by "
        "platform.us-west-2.istio.namespace; give each component its own",
    ),
    (
        "namespace-default",
        _set((*PLATFORM, "istio", "cni_namespace"), "default"),
        "platform.us-west-2.istio.cni_namespace: 'default' is a namespace Kubernetes reserves (default, "
        "kube-system, kube-public, kube-node-lease, kube-*)",
    ),
]


def test_fixed_namespaces_match_the_constructs() -> None:
    """The namespaces the namespace rule counts for each construct are the ones the constructs create."""
    from tonebridge.constructs.cert_manager import CertManagerProps
    from tonebridge.constructs.trivy import NAMESPACE as TRIVY_NAMESPACE
    from tonebridge.constructs.vault import VaultProps
    from tonebridge.constructs.vault_secrets_operator import NAMESPACE as VSO_NAMESPACE

    defaults = {cls.__dataclass_fields__["namespace"].default for cls in (CertManagerProps, VaultProps)} | {
        VSO_NAMESPACE,
        TRIVY_NAMESPACE,
    }
    assert defaults == {name for names in FIXED.values() for name in names}


def test_names_must_differ_between_environment_files(project: Path) -> None:
    """Two environment files claiming one state bucket, zone and cluster name: each clash is a line
    of the later file (in selection order), naming the earlier file's field."""
    other = copy.deepcopy(PRODUCTION)
    other["name"] = "prod2"
    other["tags"]["Environment"] = "prod2"
    (project / "environments" / "production.yaml").write_text(_yaml(PRODUCTION))
    (project / "environments" / "prod2.yaml").write_text(_yaml(other))
    before = _tree_digest(project / "cdktf.out")
    result = _synth(project, TONEBRIDGE_ENVIRONMENTS="production,prod2")
    lines = result.stderr.splitlines()
    for line in (
        "environments/prod2.yaml: state.bucket: S3 bucket 'tonebridge-terraform-state' is already "
        "environments/production.yaml's state.bucket; names must differ",
        "environments/prod2.yaml: backups.bucket: S3 bucket 'tonebridge-backups' is already "
        "environments/production.yaml's backups.bucket; names must differ",
        "environments/prod2.yaml: clusters.us-west-2.name: EKS cluster in us-west-2 'tonebridge-production' is "
        "already environments/production.yaml's clusters.us-west-2.name; names must differ",
        "environments/prod2.yaml: dns.zone: Route 53 zone 'tonebridge.io' is already "
        "environments/production.yaml's dns.zone; names must differ",
        "environments/prod2.yaml: dr.backups.bucket: GCS bucket 'tonebridge-backups-europe-west1' is already "
        "environments/production.yaml's dr.backups.bucket; names must differ",
    ):
        assert line in lines, result.stderr
    _assert_line(project, result, lines[0], before)


def test_the_emulator_environment_may_reuse_real_names(project: Path) -> None:
    """local (on the emulator) and production (on AWS) are apart: the shipped files load together."""
    from tonebridge.config import load_selected

    assert [e.name for e in load_selected(PROJECT_ROOT / "environments")] == ["local", "production"]


# --- 4. semantics that make it work ---------------------------------------------------------------

SEMANTIC_CASES = [
    (
        "autoscaler-pool-to-zero",
        lambda doc: (
            _set((*GROUPS, "system", "min_size"), 0)(doc),
            _set((*GROUPS, "system", "desired_size"), 0)(doc),
        ),
        "clusters.us-west-2.node_groups.system.min_size: 0 lets the node group(s) system that run "
        "cluster-autoscaler scale to zero: nothing could scale them back; keep min_size at least 1",
    ),
    (
        "karpenter-pool-to-zero",
        lambda doc: (
            _set((*GROUPS, "application", "min_size"), 0)(doc),
            _set((*GROUPS, "application", "desired_size"), 0)(doc),
        ),
        "clusters.us-west-2.node_groups.application.min_size: 0 lets the node group(s) application that run "
        "Karpenter's controller scale to zero: nothing could scale them back; keep min_size at least 1",
    ),
    (
        "arm-type-on-x86-ami",
        _set((*GROUPS, "system", "instance_types"), ["t4g.medium"]),
        "clusters.us-west-2.node_groups.system.instance_types[0]: t4g.medium is arm64, but managed node groups "
        "boot AL2023_x86_64_STANDARD (amd64)",
    ),
    (
        "karpenter-type-outside-its-architectures",
        _set((*POOL, "instance_types"), ["c5.large", "c6g.large"]),
        "platform.us-west-2.autoscaling.karpenter.node_pool.instance_types[1]: c6g.large is arm64, not one of the "
        "pool's architectures (amd64): Karpenter would never launch it",
    ),
    (
        "redis-maxmemory-zero",
        _set((*PLATFORM, "redis", "maxmemory"), "0"),
        "platform.us-west-2.redis.maxmemory: 0 means no limit: eviction (allkeys-lru) never runs and the "
        "container's memory limit kills Redis instead; give a size below the limit",
    ),
    (
        "postgres-work-mem-beyond-the-instance",
        _set(("database", "settings", "work_mem"), "512MB"),
        "database.settings: shared_buffers + wal_buffers + max_connections x work_mem + maintenance_work_mem = "
        "102736MB exceeds the 65536MB of database.rds.instance_class db.r5.2xlarge",
    ),
    (
        "postgres-cache-beyond-the-pod",
        _set(("database", "settings", "effective_cache_size"), "8GB"),
        "database.settings.effective_cache_size: 8GB exceeds the 4096MB of platform.us-west-2.postgres.clusters[0] "
        "memory_limit 4Gi",
    ),
    (
        "prometheus-above-its-limit-range",
        lambda doc: doc["platform"]["us-west-2"]["namespaces"]["monitoring"].__setitem__(
            "limit_range", copy.deepcopy(doc["platform"]["us-west-2"]["namespaces"]["production"]["limit_range"])
        ),
        "platform.us-west-2.observability.metrics.prometheus_resources.memory_limit: Prometheus's 8Gi is above the "
        "max 4Gi of namespaces.monitoring.limit_range",
    ),
    (
        "argocd-production-without-signature-keys",
        _set((*PLATFORM, "argocd", "signature_keys"), []),
        "platform.us-west-2.argocd.signature_keys: Argo CD syncs the production namespace 'production': name the "
        "release signing key (key_id, public_key file); unsigned commits must never be synced",
    ),
    (
        "argocd-signature-key-file-missing",
        _set((*PLATFORM, "argocd", "signature_keys", 0, "public_key"), "keys/release-signing/0123456789ABCDEF.asc"),
        "platform.us-west-2.argocd.signature_keys[0].public_key: keys/release-signing/0123456789ABCDEF.asc: file not "
        "found in the repository",
    ),
    (
        "argocd-signature-key-id-not-in-the-file",
        _set((*PLATFORM, "argocd", "signature_keys", 0, "key_id"), "0123456789ABCDEF"),
        "platform.us-west-2.argocd.signature_keys[0].key_id: 0123456789ABCDEF is not a key in "
        "keys/release-signing/9A93E1709435349D.asc (it holds 9A93E1709435349D)",
    ),
]


def _mutated(mutate) -> str:
    doc = copy.deepcopy(PRODUCTION)
    mutate(doc)
    return _yaml(doc)


CASES = FACT_CASES + ACROSS_CASES + SEMANTIC_CASES


@pytest.mark.parametrize(("mutate", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_rejects_with_the_exact_line(project: Path, mutate, line: str) -> None:
    before = _tree_digest(project / "cdktf.out")
    _assert_line(project, _run_text(project, _mutated(mutate)), f"{FILE}: {line}", before)


@pytest.mark.integration
def test_every_line_in_a_subprocess_at_once(project: Path) -> None:
    """All of the above in one file each, one `python main.py`: exit 2 within seconds, every line."""
    import time

    expected = []
    for i, (_, mutate, line) in enumerate(CASES):
        name = f"case{i:02d}"
        doc = yaml.safe_load(_mutated(mutate))
        doc["name"] = name
        (project / "environments" / f"{name}.yaml").write_text(_yaml(doc))
        expected.append(f"environments/{name}.yaml: {line}")
    before = _tree_digest(project / "cdktf.out")
    start = time.monotonic()
    result = _synth_subprocess(project)
    assert time.monotonic() - start < 20
    lines = result.stderr.splitlines()
    missing = [line for line in expected if line not in lines]
    assert not missing, "\n".join(missing)
    _assert_line(project, result, expected[0], before)
    assert max(len(line) for line in lines) <= MAX_LINE
