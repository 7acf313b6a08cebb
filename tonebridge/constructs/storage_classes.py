"""The cluster's EBS StorageClasses: ``fast-ssd`` for the data stores and a default ``gp3``.

Both are provisioned by the EBS CSI driver (``ebs.csi.aws.com``; the in-tree ``kubernetes.io/aws-ebs``
provisioner is gone) as gp3 volumes encrypted with a customer KMS key, bound only once a pod is
scheduled (``WaitForFirstConsumer``: the volume is created in the pod's zone, never stranded in
another) and growable in place.

``fast-ssd`` carries the provisioned IOPS and throughput, and keeps its volumes when their claim
is deleted (``Retain``): PostgreSQL, Redis and Elasticsearch data live there, and deleting a claim
(a StatefulSet's claims, an operator's cluster object, a namespace) must never be what destroys a
database. A released volume is reclaimed by an operator, on purpose. The default ``gp3`` class is
for scratch and cache claims and deletes its volumes with them.

EKS marked its in-tree ``gp2`` class as the default up to Kubernetes 1.29; clusters created at 1.30
or later still have ``gp2`` but no longer annotate it, so ``gp3`` here is the only default class
(the EBS CSI add-on's own ``defaultStorageClass`` option stays off). A cluster upgraded from 1.29 or
earlier keeps gp2's annotation: remove it there once
(``kubectl annotate storageclass gp2 storageclass.kubernetes.io/is-default-class-``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge import ebsrules
from tonebridge.constructs.kube import kube_object
from tonebridge.props.namespaces import FastSsdSettings
from tonebridge.tokens import is_unresolved

PROVISIONER = "ebs.csi.aws.com"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
RECLAIM_POLICIES = ("Retain", "Delete")


@dataclass(frozen=True)
class StorageClassesProps:
    """:param kms_key_arn: customer key every volume is encrypted with (the EBS CSI driver's role
        must be allowed to use it); a token from the infrastructure stack is fine.
    :param fast: the ``fast-ssd`` class's settings (:class:`~tonebridge.props.namespaces.FastSsdSettings`):
        provisioned IOPS (gp3: 3,000-16,000) and MiB/s (gp3: 125-1,000, at most IOPS / 4) of each
        volume, the smallest claim it must serve (gp3 allows 500 IOPS per GiB, so the IOPS are checked
        against it) and the reclaim policy (default ``Retain``: data outlives its claim).
    :param fast_name: name of the provisioned class.
    :param default_name: name of the cluster's default class (baseline gp3, ``Delete``).
    """

    kms_key_arn: str
    fast: FastSsdSettings = field(default_factory=FastSsdSettings)
    fast_name: str = "fast-ssd"
    default_name: str = "gp3"

    def __post_init__(self) -> None:
        if not is_unresolved(self.kms_key_arn) and not self.kms_key_arn.startswith("arn:"):
            raise ValueError(f"kms_key_arn {self.kms_key_arn!r} must be a KMS key ARN")
        problems = ebsrules.gp3_problems(self.fast.iops, self.fast.throughput, self.fast.smallest_volume_gib)
        for name, reason in problems:
            raise ValueError(f"fast_{name}: {reason}")
        if self.fast.reclaim_policy not in RECLAIM_POLICIES:
            raise ValueError(f"fast_reclaim_policy must be one of {', '.join(RECLAIM_POLICIES)}")
        if self.fast_name == self.default_name:
            raise ValueError("fast_name and default_name must differ")


def _storage_class(name: str, parameters: Mapping[str, str], reclaim: str, default: bool) -> dict:
    metadata: dict = {"name": name}
    if default:
        metadata["annotations"] = {DEFAULT_CLASS_ANNOTATION: "true"}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": metadata,
        "provisioner": PROVISIONER,
        "parameters": dict(parameters),
        "reclaimPolicy": reclaim,
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


class StorageClasses(Construct):
    """Attributes: ``classes`` (name -> kubernetes_manifest), ``fast_name``, ``default_name``."""

    def __init__(self, scope: Construct, construct_id: str, props: StorageClassesProps) -> None:
        super().__init__(scope, construct_id)
        self.fast_name = props.fast_name
        self.default_name = props.default_name
        encrypted = {
            "type": "gp3",
            "csi.storage.k8s.io/fstype": "ext4",
            "encrypted": "true",
            "kmsKeyId": props.kms_key_arn,
        }
        fast = {**encrypted, "iops": str(props.fast.iops), "throughput": str(props.fast.throughput)}
        self.classes: dict[str, Manifest] = {
            props.fast_name: kube_object(
                self, _storage_class(props.fast_name, fast, props.fast.reclaim_policy, default=False)
            ),
            props.default_name: kube_object(
                self, _storage_class(props.default_name, encrypted, "Delete", default=True)
            ),
        }
