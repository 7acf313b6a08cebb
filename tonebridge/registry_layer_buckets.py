"""Where the container registries the platform pulls from serve image layers to a node in AWS.

Some registries answer a pull from an AWS address with a redirect to an S3 bucket; a node in a private
subnet then fetches the layer through the VPC's S3 gateway endpoint, whose policy names every bucket it
lets through (tonebridge/constructs/vpc.py, ``s3_endpoint_policy``). A bucket missing there is an
``ImagePullBackOff`` with an S3 403 (kubernetes/k8s.io#4214, prometheus-community/helm-charts#2421).
Every registry an image of the version table names must have a line here (tests/test_least_privilege.py),
so a new registry is a decision, not a surprise at the first pull.
"""

from __future__ import annotations

#: Registry host -> S3 buckets (``{region}``: the node's region) it redirects AWS clients to; empty when
#: its layers come from a CDN outside S3, which the gateway endpoint never sees.
REGISTRY_LAYER_BUCKETS: dict[str, tuple[str, ...]] = {
    # registry.k8s.io redirects clients in AWS to its layer bucket in their own region.
    "registry.k8s.io": ("prod-registry-k8s-io-{region}",),
    # Docker Hub has redirected AWS clients in us-east-1 to its S3 layer store (docker/hub-feedback#1318);
    # the gateway endpoint only sees it there, and reading it anywhere else is harmless.
    "docker.io": ("docker-images-prod",),
    # Layers through CDNs: quay.io (cdn*.quay.io, CloudFront), ghcr.io (pkg-containers.githubusercontent.com),
    # ECR Public (CloudFront), Google's registries (Google Cloud Storage), Elastic's registry (its CDN).
    "quay.io": (),
    "ghcr.io": (),
    "public.ecr.aws": (),
    "ecr-public.aws.com": (),
    "gcr.io": (),
    "mirror.gcr.io": (),
    "docker.elastic.co": (),
}


def registry_of(image: str) -> str:
    """The registry host of an image reference (``hashicorp/vault:1.x`` is Docker Hub's)."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def layer_buckets(region: str) -> list[str]:
    """The third-party layer buckets a node in ``region`` may read through the S3 gateway endpoint."""
    return sorted({b.format(region=region) for buckets in REGISTRY_LAYER_BUCKETS.values() for b in buckets})
