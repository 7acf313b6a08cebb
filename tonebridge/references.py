"""A resource's attribute references, read from the jsii kernel once per resource and attribute.

``vpc.id``, ``role.arn``: each read of an attribute of a provider resource or data source is a jsii
request, and a reference is read wherever it is used (824 ``id`` and 285 ``arn`` reads in a full
synthesis, most of them repeats: a VPC's id for each of its subnets, route tables, security groups).
What the provider bindings' getters answer for a resource's own attributes does not change: a
primitive attribute is a new token for the same Terraform expression (``${aws_vpc.main.id}``) at
every read, a block or computed list is the same object the resource created with it. So
:func:`install` keeps the first answer and gives it again, for exactly those reads: properties a
provider package's resource or data source class declares, not their ``...Input`` properties (what
was configured, which a setter can change), not the provider classes' settings, not anything
cdktf's base classes declare (``count``, ``depends_on``, ``provider``, ``lifecycle``, ...). What is
synthesized does not change (the equivalence and snapshot tests compare it).
"""

from __future__ import annotations

import functools
from typing import Any

_PROVIDER_MODULES = "cdktf_cdktf_provider_"


def _declared_by_provider(cls: type, jsii_name: str) -> bool:
    """Whether the property ``jsii_name`` of ``cls`` is declared by a provider binding class."""
    for klass in cls.__mro__:
        for member in vars(klass).values():
            getter = getattr(member, "fget", None)
            if getattr(getter, "__jsii_name__", None) == jsii_name:
                return klass.__module__.startswith(_PROVIDER_MODULES)
    return False


@functools.cache
def _cacheable(cls: type, jsii_name: str) -> bool:
    from cdktf import TerraformDataSource, TerraformResource

    return (
        issubclass(cls, (TerraformResource, TerraformDataSource))
        and not jsii_name.endswith("Input")
        and _declared_by_provider(cls, jsii_name)
    )


def install() -> None:
    """Make ``jsii.get`` (what every generated property getter calls) remember resource attribute
    reads (idempotent)."""
    import jsii

    get = jsii.get
    if getattr(get, "remembers_references", False):
        return
    known: dict[tuple[str, str], Any] = {}

    @functools.wraps(get)
    def remembering_get(obj: Any, name: str) -> Any:
        if not _cacheable(type(obj), name):
            return get(obj, name)
        key = (obj.__jsii_ref__.ref, name)
        if key not in known:
            known[key] = get(obj, name)
        return known[key]

    remembering_get.remembers_references = True
    jsii.get = remembering_get
