"""docs/architecture.svg is the picture of production's synthesized stacks as they are now (``make docs``).

The unit tests draw the picture from the session's synthesis: its DOT text must be the one the committed SVG
was rendered from (the SVG records the DOT's sha256), and what it shows must be read from the resources (a
pool's bound changed in the JSON is a changed picture). The integration test renders that DOT with Graphviz's
``dot`` and compares the bytes with the committed SVG; without ``dot`` it fails, it never skips.
"""

from __future__ import annotations

import copy
import subprocess

import pytest

from tests.conftest import require_tool, resources
from tools.docs import architecture
from tools.docs.architecture_graph import dot_source
from tools.docs.diagram import DASH

STALE = "docs/architecture.svg is stale: run `make docs` and commit the result"


@pytest.fixture(scope="module")
def production(stacks) -> dict[str, dict]:
    return {name: stack for name, stack in stacks.items() if name.startswith(f"{architecture.ENVIRONMENT}-")}


@pytest.fixture(scope="module")
def dot(production) -> str:
    return dot_source(production)


def test_svg_was_rendered_from_this_synthesis(dot):
    recorded = architecture.recorded_digest(architecture.SVG_PATH.read_bytes())
    assert recorded is not None, "docs/architecture.svg records no DOT digest: run `make docs`"
    assert recorded == architecture.digest(dot), STALE


def test_same_stacks_same_text(production, dot):
    assert dot_source(copy.deepcopy(production)) == dot


def _node_groups(stacks: dict[str, dict]):
    for name, stack in sorted(stacks.items()):
        for group in resources(stack, "aws_eks_node_group").values():
            yield name, group


def test_a_changed_pool_is_a_changed_picture(production, dot):
    changed = copy.deepcopy(production)
    _, group = next(g for g in _node_groups(changed) if g[1]["node_group_name"] == "application")
    scaling = group["scaling_config"]
    before = f"{scaling['min_size']}{DASH}{scaling['max_size']}"
    scaling["max_size"] += 7
    redrawn = dot_source(changed)
    assert f"{scaling['min_size']}{DASH}{scaling['max_size']}" in redrawn and before in dot
    assert architecture.digest(redrawn) != architecture.digest(dot)


def test_every_part_is_drawn(production, dot):
    """Regions, subnet tiers, pools, data stores, edge, DR and DNS: each named by its resource's own values."""
    expected = []
    for stack in production.values():
        expected += [r["cidr_block"] for r in resources(stack, "aws_subnet").values()]
        expected += [r["name"] for r in resources(stack, "aws_eks_cluster").values()]
        expected += [t for r in resources(stack, "aws_eks_node_group").values() for t in r["instance_types"]]
        expected += [r["identifier"] for r in resources(stack, "aws_db_instance").values()]
        expected += [r["name"] for r in resources(stack, "aws_lb").values()]
        expected += [r["name"] for r in resources(stack, "aws_wafv2_web_acl").values()]
        expected += [r["name"] for r in resources(stack, "aws_route53_record").values() if "${" not in r["name"]]
        expected += [r["name"] for r in resources(stack, "google_container_cluster").values()]
        expected += [r["node_config"]["machine_type"] for r in resources(stack, "google_container_node_pool").values()]
        expected += [r["ip_cidr_range"] for r in resources(stack, "google_compute_subnetwork").values()]
        expected += [r["name"] for r in resources(stack, "google_storage_bucket").values() if "retention_policy" in r]
        if resources(stack, "aws_s3_bucket_replication_configuration"):
            expected.append("replication ")
        if resources(stack, "google_storage_transfer_job"):
            expected.append("Storage Transfer every ")
    expected += ["read replica", "failover PRIMARY", "latency routing: ", "health check HTTPS", "CloudFront "]
    expected += ["Redis redis/redis", "CloudNativePG ", "(Karpenter)", "istio-ingressgateway"]
    missing = sorted({text for text in expected if text not in dot})
    assert not missing, f"the picture does not show: {missing}"


@pytest.mark.integration
def test_svg_is_what_dot_renders_now(dot):
    """Byte for byte: same DOT, same Graphviz, same font, same SVG."""
    version = subprocess.run([require_tool("dot"), "-V"], capture_output=True, text=True, check=True).stderr.strip()
    committed = architecture.SVG_PATH.read_bytes()
    rendered = architecture.render(dot)
    assert rendered == committed, (
        f"{STALE} (rendered here by {version}; the committed file says "
        f"{committed.split(b'-->', 1)[0].decode(errors='replace').strip()[-60:]!r})"
    )
