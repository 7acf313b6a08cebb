"""The field types every model and props class shares, each defined once (tests/test_shared_types.py).

* :class:`StrictModel`: the base of every configuration model and pydantic props class.
* :data:`Quantity`: a Kubernetes resource quantity, checked by the API server's own grammar
  (:mod:`tonebridge.quantities`), so configuration accepts exactly what a manifest may carry.
  :data:`Storage` and :data:`BinaryMemory` are narrower forms of it, for sizes written in binary units.
* :data:`DnsLabel`: an RFC 1123 label (:data:`tonebridge.kubeapi.DNS_LABEL`): namespace, service
  account and most object names.
* :class:`ContainerResources`: one container's requests and limits, rendered by ``.manifest()``.
* AWS field types the VPC and cluster settings use: :data:`Cidr`, :data:`Ec2InstanceType` (the cloud
  facts table), :data:`EndpointService`, :data:`LogRetentionDays`.

cdktf-free: configuration imports this before any provider loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from ipaddress import IPv4Network
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from tonebridge import cloudfacts
from tonebridge.kubeapi import DNS_LABEL
from tonebridge.quantities import quantity_problem


def checked(rule: Callable[[str], str | None]) -> Callable[[str], str]:
    """A field validator from a rule that returns the problem with a value (or None): the rule's own text
    is the error (the rule modules, :mod:`tonebridge.cloudfacts`, :mod:`tonebridge.eksrules`, hold each once)."""

    def validate(value: str) -> str:
        problem = rule(value)
        if problem:
            raise ValueError(problem)
        return value

    return validate


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must never silently fall back to a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, validate_default=True)


def _number_as_text(value: object) -> object:
    """YAML reads ``cpu: 2`` as a number; a quantity is its text."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


#: A Kubernetes resource quantity: ``100``, ``500m``, ``4Gi``, ``1.5``, ``2k``.
Quantity = Annotated[str, BeforeValidator(_number_as_text), AfterValidator(checked(quantity_problem))]

#: A volume size as claims and the operators take it: a whole number of Mi, Gi or Ti (every match
#: is a :data:`Quantity`; decimal units and fractions are refused so sizes compare by eye).
STORAGE_PATTERN = r"^\d+(Mi|Gi|Ti)$"
#: A memory amount as Karpenter's pool limits take it: a positive whole number of binary units.
BINARY_MEMORY_PATTERN = r"^[1-9][0-9]*(Ki|Mi|Gi|Ti)$"
STORAGE_RE = re.compile(STORAGE_PATTERN)
BINARY_MEMORY_RE = re.compile(BINARY_MEMORY_PATTERN)
Storage = Annotated[str, Field(pattern=STORAGE_PATTERN)]
BinaryMemory = Annotated[str, Field(pattern=BINARY_MEMORY_PATTERN)]

#: A Kubernetes object name that must be a DNS label (RFC 1123, at most 63 characters).
DnsLabel = Annotated[str, Field(pattern=DNS_LABEL.pattern)]


class ContainerResources(StrictModel):
    """Requests and limits of one container (limits required: every namespace has a quota)."""

    cpu_request: Quantity = Field(description="CPU reserved for the container when it is scheduled, in cores (`500m`).")
    memory_request: Quantity = Field(description="Memory reserved for the container when it is scheduled (`256Mi`).")
    cpu_limit: Quantity = Field(description="CPU the container is throttled at, in cores.")
    memory_limit: Quantity = Field(description="Memory beyond which the container is killed (OOM).")

    def manifest(self) -> dict[str, dict[str, str]]:
        """The container's ``resources`` field (requests, then limits; cpu, then memory)."""
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


# --- AWS field types ---------------------------------------------------------------------------

_ENDPOINT_SERVICE_RE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")


def _endpoint_service(value: str) -> str:
    if not _ENDPOINT_SERVICE_RE.match(value):
        raise ValueError(f"{value!r} is not a VPC endpoint service suffix (for example ecr.api)")
    return value


Cidr = IPv4Network
#: An EC2 instance type AWS offers (the cloud facts table).
Ec2InstanceType = Annotated[str, AfterValidator(checked(cloudfacts.instance_type_problem))]
#: A VPC interface endpoint's service suffix (``ecr.api``, ``sts``).
EndpointService = Annotated[str, AfterValidator(_endpoint_service)]
#: Retention periods CloudWatch Logs accepts.
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]


# The AWS names (Region, BucketName, TableName) are in tonebridge/props/aws_names.py.
