"""Rule ``network``, the flows that secrets require: a workload given a database login must be able to reach
the database, and Vault must reach every database it issues logins for.

The rule :mod:`tools.fit.network` proves that the NetworkPolicies admit every *declared* flow; this one asks
whether the flows a workload needs were declared at all, deriving them from what the cluster hands out:

* a **database login** is a Vault path that names a database: a segment ``database``, ``postgres``,
  ``postgresql`` or ``rds`` (a KV secret ``secret/data/database``, the database secrets engine's
  ``database/creds/<role>``). It is given by a ``SecretProviderClass`` (Vault provider), a
  ``VaultStaticSecret`` or ``VaultDynamicSecret``, or a Vault role of the bootstrap ConfigMap (its policy
  reads the path; its bound service account holds the login);
* the **holders** are the workloads that mount the SecretProviderClass, take the operator's secret, or run
  as the role's service account. Each needs a declared flow from its pods on the database port
  (:data:`DATABASE_PORT`). Where no workload of the view holds it (the applications, which Argo CD
  deploys), a declared flow on that port must exist from pods of the namespace that no workload of the view
  is (the applications' client services);
* a login from a **secrets engine** (``<mount>/creds/<role>``, ``<mount>/static-creds/<role>``) is created by
  Vault itself, which connects to the database from its server pods: Vault's namespace (from the address the
  login is read at, or the bootstrap ConfigMap's) needs a declared flow on the database port to every
  destination the holders' flows reach.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import yaml

from tonebridge.flows import Endpoint, Flow
from tools.fit.model import ClusterView, Problem, Workload, object_ref

RULE = "network"
#: PostgreSQL's, the port of every database of the platform (RDS and CloudNativePG).
DATABASE_PORT = 5432
#: Path segments that make a Vault path a database login.
DATABASE_WORDS = frozenset({"database", "postgres", "postgresql", "rds"})
#: A secrets engine's login paths (``<mount>/<segment>/<role>``): Vault creates the login on the database.
ENGINE_SEGMENTS = frozenset({"creds", "static-creds"})

_ROLE_LINE = re.compile(
    r"vault write auth/\S+/role/(?P<role>\S+) bound_service_account_names=(?P<accounts>\S+) "
    r"bound_service_account_namespaces=(?P<namespaces>\S+) .*token_policies=(?P<policies>\S+)"
)
_POLICY_PATH = re.compile(r'^path "(?P<path>[^"]+)"', re.MULTILINE)


def database_path(path: str) -> bool:
    """Whether a Vault path names a database login."""
    return bool(DATABASE_WORDS & set(path.strip("/").split("/")))


def engine_path(path: str) -> bool:
    """Whether a database login's path is a secrets engine's, so that Vault creates the login on the database."""
    parts = path.strip("/").split("/")
    return database_path(path) and len(parts) >= 3 and parts[1] in ENGINE_SEGMENTS


@dataclass(frozen=True)
class Login:
    """A database login one object gives: ``holder`` (``<kind>/<name>``) in ``namespace`` reads ``path``;
    ``holds`` tells which workloads take it; ``vault_namespace`` is where the issuing Vault runs (None:
    not known from the object)."""

    namespace: str
    holder: str
    path: str
    kind: str
    name: str
    vault_namespace: str | None

    def holds(self, workload: Workload) -> bool:
        if workload.namespace != self.namespace:
            return False
        spec = workload.pod_spec
        if self.kind == "SecretProviderClass":
            return any(
                (v.get("csi") or {}).get("volumeAttributes", {}).get("secretProviderClass") == self.name
                for v in spec.get("volumes") or []
            )
        if self.kind == "ServiceAccount":
            return spec.get("serviceAccountName") == self.name
        return self.name in _secret_names(spec)


def _secret_names(spec: Mapping[str, Any]) -> set[str]:
    """The Kubernetes secrets a pod spec reads (volumes, projected volumes, env and envFrom)."""
    names = set()
    for volume in spec.get("volumes") or []:
        if "secret" in volume:
            names.add(volume["secret"].get("secretName"))
        for source in (volume.get("projected") or {}).get("sources") or []:
            if "secret" in source:
                names.add(source["secret"].get("name"))
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        for env in container.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                names.add(ref.get("name"))
        for source in container.get("envFrom") or []:
            if "secretRef" in source:
                names.add(source["secretRef"].get("name"))
    return names


def _address_namespace(address: str | None) -> str | None:
    """``https://vault.vault.svc:8200`` -> ``vault``: the namespace of an in-cluster service address."""
    host = urlparse(address or "").hostname or ""
    parts = host.split(".")
    return parts[1] if len(parts) >= 3 and parts[2] == "svc" else None


def _vso_vault_namespace(view: ClusterView, obj: Mapping[str, Any]) -> str | None:
    """Where the Vault an operator's secret is read from runs: its VaultAuth's VaultConnection's address."""
    namespace = obj["metadata"].get("namespace")

    def named(kind: str, ref: str | None) -> Mapping[str, Any] | None:
        ns, _, name = (ref or "default").rpartition("/")
        for candidate in view.of_kind(kind, "secrets.hashicorp.com"):
            meta = candidate["metadata"]
            if meta.get("name") == name and meta.get("namespace") == (ns or namespace):
                return candidate
        return None

    auth = named("VaultAuth", (obj.get("spec") or {}).get("vaultAuthRef"))
    connection = named("VaultConnection", (auth or {}).get("spec", {}).get("vaultConnectionRef"))
    return _address_namespace((connection or {}).get("spec", {}).get("address"))


def logins(view: ClusterView) -> list[Login]:
    """Every database login the view's objects give, each once."""
    return list(dict.fromkeys(_logins(view)))


def _logins(view: ClusterView) -> Iterator[Login]:
    for spc in view.of_kind("SecretProviderClass", "secrets-store.csi.x-k8s.io"):
        parameters = spc.get("spec", {}).get("parameters") or {}
        if spc.get("spec", {}).get("provider") != "vault":
            continue
        objects = yaml.safe_load(parameters.get("objects") or "[]") or []
        vault = _address_namespace(parameters.get("vaultAddress"))
        meta = spc["metadata"]
        for entry in objects:
            path = str(entry.get("secretPath", ""))
            if database_path(path):
                ref = object_ref("SecretProviderClass", meta["name"])
                yield Login(meta["namespace"], ref, path, "SecretProviderClass", meta["name"], vault)
    for kind in ("VaultStaticSecret", "VaultDynamicSecret"):
        for obj in view.of_kind(kind, "secrets.hashicorp.com"):
            spec, meta = obj.get("spec") or {}, obj["metadata"]
            mount, sub = spec.get("mount", ""), spec.get("path", "")
            path = f"{mount}/data/{sub}" if spec.get("type") == "kv-v2" else f"{mount}/{sub}"
            if database_path(path):
                secret = (spec.get("destination") or {}).get("name", meta["name"])
                vault = _vso_vault_namespace(view, obj)
                yield Login(meta["namespace"], object_ref(kind, meta["name"]), path, kind, secret, vault)
    for config_map in view.of_kind("ConfigMap", ""):
        data = config_map.get("data") or {}
        script = data.get("bootstrap.sh")
        if not script:
            continue
        for match in _ROLE_LINE.finditer(script):
            paths = [
                p
                for policy in match["policies"].split(",")
                for p in _POLICY_PATH.findall(data.get(f"{policy}.hcl", ""))
                if database_path(p)
            ]
            for namespace in match["namespaces"].split(","):
                for account in match["accounts"].split(","):
                    ref = object_ref("VaultRole", match["role"])
                    for path in paths:
                        vault = config_map["metadata"].get("namespace")
                        yield Login(namespace, ref, path, "ServiceAccount", account, vault)


def _selects(end: Endpoint, workload: Workload) -> bool:
    labels = workload.pod_labels
    return end.namespace == workload.namespace and all(labels.get(k) == v for k, v in end.pod_labels.items())


def _key(end: Endpoint) -> str:
    return json.dumps({k: v for k, v in end.to_json().items() if k != "name"}, sort_keys=True)


def check(view: ClusterView, flows: list[Flow]) -> list[Problem]:
    """Problems of the database logins in ``view`` for the ``flows`` its stack declares."""
    to_database = [f for f in flows if f.port == DATABASE_PORT and f.source.is_pods]
    problems: list[Problem] = []
    for login in logins(view):
        holders = [w for w in view.workloads if login.holds(w)]
        if holders:
            reached = []
            for workload in holders:
                own = [f for f in to_database if _selects(f.source, workload)]
                if not own:
                    why = (
                        f"{workload.ref} is given a database login ({login.path}) by {login.holder}, but no "
                        f"declared flow lets it reach the database port {DATABASE_PORT}: declare its egress next to "
                        "its construct"
                    )
                    problems.append(view.problem(login.namespace, workload.ref, RULE, why))
                reached += own
        else:
            # The holders are pods the view does not hold (the applications): a flow of one of its workloads
            # (the logical backup's) does not serve them.
            reached = [
                f
                for f in to_database
                if f.source.namespace == login.namespace and not any(_selects(f.source, w) for w in view.workloads)
            ]
            if not reached:
                why = (
                    f"gives a database login ({login.path}) to pods of {login.namespace}, but no declared flow from "
                    f"{login.namespace} reaches the database port {DATABASE_PORT}: name its client services "
                    "(database.rds.client_services, or the CloudNativePG cluster's client_services)"
                )
                problems.append(view.problem(login.namespace, login.holder, RULE, why))
        if engine_path(login.path) and login.vault_namespace:
            problems += _vault_problems(view, login, reached, to_database)
    return problems


def _vault_problems(view: ClusterView, login: Login, reached: list[Flow], to_database: list[Flow]) -> list[Problem]:
    """Vault's engine connects to every database the login's holders connect to."""
    vault = login.vault_namespace
    own = {_key(f.destination) for f in to_database if f.source.namespace == vault}
    destinations = {_key(f.destination): f.destination for f in reached}
    missing = [(d.cidr or f"{d.namespace}/{d.name}", d.name) for k, d in sorted(destinations.items()) if k not in own]
    if not destinations and not own:
        missing = [("any database", "database")]
    problems = []
    for where, name in missing:
        why = (
            f"Vault issues database logins ({login.path}, {login.holder} in {login.namespace}) but no declared flow "
            f"lets it reach {where}:{DATABASE_PORT}: its database secrets engine connects from the server pods "
            "(give the Vault role its database_cidrs)"
        )
        problems.append(view.problem(vault, object_ref("flow", f"vault-to-{name}"), RULE, why))
    return problems
