"""Secrets tied to flows: every workload given a database login (a SecretProviderClass, VaultStaticSecret or
VaultDynamicSecret naming a database path, or a Vault role reading one) has a declared egress flow to the
database port that its namespace's NetworkPolicies admit, and Vault has egress to every database it issues
logins for (rule ``network`` of the fit check, :mod:`tools.fit.login_flows`)."""

from __future__ import annotations

import ipaddress

import pytest

from tonebridge.flows import Endpoint, Flow, flows_of, pods
from tools.fit import login_flows
from tools.fit.model import ClusterView, Workload
from tools.fit.workloads import workloads_of
from tools.kube_objects import objects_of

PLATFORMS = [
    "production-us-west-2-platform",
    "production-us-east-1-platform",
    "local-us-west-2-platform",
    "local-us-east-1-platform",
]
WEST_DATA = ["10.0.20.0/24", "10.0.21.0/24", "10.0.22.0/24"]
EAST_DATA = ["10.1.20.0/24", "10.1.21.0/24", "10.1.22.0/24"]
VAULT_SERVER = {"app.kubernetes.io/name": "vault", "app.kubernetes.io/instance": "vault", "component": "server"}


def _view(objects: list[dict]) -> ClusterView:
    """Our objects and their workloads (no chart rendered: the logins and their holders are ours)."""
    view = ClusterView(env="production", region="us-west-2", kubernetes_version="1.35", objects=list(objects))
    view.workloads = workloads_of(view.objects)[0]
    return view


def _policies(objects: list[dict], namespace: str) -> list[dict]:
    return [o for o in objects if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == namespace]


def _selects(policy: dict, labels: dict[str, str]) -> bool:
    selector = policy["spec"].get("podSelector") or {}
    expressions = selector.get("matchExpressions") or []
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()) and all(
        labels.get(e["key"]) in e["values"] for e in expressions if e["operator"] == "In"
    )


def _egress_admits(policies: list[dict], labels: dict[str, str], cidr: str, port: int) -> bool:
    """Some policy selecting ``labels`` admits egress to all of ``cidr`` on ``port`` (an ipBlock without except)."""
    target = ipaddress.ip_network(cidr)
    for policy in policies:
        if "Egress" not in policy["spec"].get("policyTypes", []) or not _selects(policy, labels):
            continue
        for rule in policy["spec"].get("egress") or []:
            ports = {p.get("port") for p in rule.get("ports") or []}
            blocks = [p["ipBlock"] for p in rule.get("to") or [] if "ipBlock" in p]
            if port in ports and any(
                target.subnet_of(ipaddress.ip_network(b["cidr"])) and not b.get("except") for b in blocks
            ):
                return True
    return False


@pytest.mark.parametrize("stack", PLATFORMS)
def test_every_database_login_has_its_flows_and_vault_reaches_every_database_it_issues_logins_for(stacks, stack):
    objects = objects_of(stacks[stack])
    view = _view(objects)
    assert login_flows.logins(view), "the application's database password is a login: the test is not vacuous"
    assert [p.line() for p in login_flows.check(view, flows_of(stacks[stack]))] == []


@pytest.mark.parametrize("stack", PLATFORMS)
def test_every_declared_database_flow_is_admitted_by_its_namespace_egress_policies(stacks, stack):
    """The declared flows on 5432 from the login holders' namespaces and from Vault's have their egress policy
    (network-config-analyzer proves both ends in tests/test_fit.py; here the policy's shape)."""
    objects = objects_of(stacks[stack])
    namespaces = {login.namespace for login in login_flows.logins(_view(objects))} | {"vault"}
    flows = [f for f in flows_of(stacks[stack]) if f.port == 5432 and f.source.namespace in namespaces]
    assert flows
    for flow in flows:
        if flow.destination.cidr is None:
            continue
        policies = _policies(objects, flow.source.namespace or "")
        labels = dict(flow.source.pod_labels)
        assert _egress_admits(policies, labels, flow.destination.cidr, 5432), flow.describe()


@pytest.mark.parametrize(("stack", "data"), [(PLATFORMS[0], WEST_DATA), (PLATFORMS[1], EAST_DATA)])
def test_production_services_reach_rds_in_both_regions(stacks, stack, data):
    objects = objects_of(stacks[stack])
    policies = _policies(objects, "production")
    for service in ("llm-service", "auth-service"):
        for cidr in data:
            assert _egress_admits(policies, {"app": service}, cidr, 5432), (service, cidr)
    assert not any(_egress_admits(policies, {"app": "api-gateway"}, cidr, 5432) for cidr in data)
    declared = {(f.source.name, f.destination.cidr) for f in flows_of(stacks[stack]) if f.port == 5432}
    assert {(s, c) for s in ("llm-service", "auth-service") for c in data} <= declared


def test_vault_reaches_rds_where_it_issues_the_logical_backups_login(stacks):
    """us-west-2 runs the logical backup (database/creds/...): Vault's engine connects to the data subnets;
    us-east-1 issues no database login, so Vault there has no such egress."""
    west = objects_of(stacks[PLATFORMS[0]])
    (policy,) = [p for p in _policies(west, "vault") if p["metadata"]["name"] == "out-vault-database-5432"]
    assert policy["spec"]["podSelector"] == {"matchLabels": VAULT_SERVER}
    assert [r["to"] for r in policy["spec"]["egress"]] == [[{"ipBlock": {"cidr": c}}] for c in WEST_DATA]
    declared = {f.destination.cidr for f in flows_of(stacks[PLATFORMS[0]]) if f.source.name == "vault"}
    assert set(WEST_DATA) <= declared
    east = objects_of(stacks[PLATFORMS[1]])
    assert not any(
        5432 in {p["port"] for r in o["spec"].get("egress") or [] for p in r.get("ports") or []}
        for o in _policies(east, "vault")
    )


@pytest.mark.parametrize("stack", PLATFORMS[:2])
def test_llm_service_alone_gets_https_egress(stacks, stack):
    policies = _policies(objects_of(stacks[stack]), "production")
    assert _egress_admits(policies, {"app": "llm-service"}, "0.0.0.0/0", 443)
    assert not _egress_admits(policies, {"app": "auth-service"}, "0.0.0.0/0", 443)
    assert not _egress_admits(policies, {"app": "api-gateway"}, "0.0.0.0/0", 443)
    https = [f for f in flows_of(stacks[stack]) if f.port == 443 and f.source.namespace == "production"]
    assert {f.source.name for f in https if f.destination.cidr == "0.0.0.0/0"} >= {"llm-service"}


# --- the rule on small views --------------------------------------------------------------------------------------

ADDRESS = "https://vault.vault.svc:8200"
DATA = "10.0.20.0/24"


def _spc(name: str, path: str) -> dict:
    objects = f'- objectName: "password"\n  secretPath: "{path}"\n  secretKey: "password"\n'
    return {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {"name": name, "namespace": "production"},
        "spec": {"provider": "vault", "parameters": {"vaultAddress": ADDRESS, "objects": objects}},
    }


def _job(name: str, spc: str) -> Workload:
    volume = {
        "name": "db",
        "csi": {"driver": "secrets-store.csi.k8s.io", "volumeAttributes": {"secretProviderClass": spc}},
    }
    template = {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name}], "volumes": [volume]}}
    return Workload(kind="CronJob", namespace="production", name=name, template=template)


def _lines(objects: list[dict], flows: list[Flow], workloads: tuple[Workload, ...] = ()) -> list[str]:
    view = ClusterView(env="production", region="us-west-2", kubernetes_version="1.35", objects=objects)
    view.workloads = list(workloads)
    return sorted({p.line() for p in login_flows.check(view, flows)})


DUMP = Flow(pods("dump", "production", app="dump"), Endpoint("database", cidr=DATA), 5432, "pg_dump")
VAULT_TO_DB = Flow(Endpoint("vault", "vault", VAULT_SERVER), Endpoint("database", cidr=DATA), 5432, "engine")


def test_a_workload_given_a_database_login_without_a_flow_is_reported():
    assert _lines([_spc("dump", "secret/data/database")], [], (_job("dump", "dump"),)) == [
        "production/us-west-2: production/cronjob/dump: network: cronjob/dump is given a database login "
        "(secret/data/database) by secretproviderclass/dump, but no declared flow lets it reach the database port "
        "5432: declare its egress next to its construct"
    ]
    assert _lines([_spc("dump", "secret/data/database")], [DUMP], (_job("dump", "dump"),)) == []


def test_vault_needs_the_flow_to_every_database_its_engine_issues_logins_for():
    spc, job = _spc("dump", "database/creds/dump"), _job("dump", "dump")
    assert _lines([spc], [DUMP], (job,)) == [
        "production/us-west-2: vault/flow/vault-to-database: network: Vault issues database logins "
        "(database/creds/dump, secretproviderclass/dump in production) but no declared flow lets it reach "
        "10.0.20.0/24:5432: its database secrets engine connects from the server pods (give the Vault role its "
        "database_cidrs)"
    ]
    assert _lines([spc], [DUMP, VAULT_TO_DB], (job,)) == []


def test_a_login_for_pods_outside_the_view_needs_their_own_flow_not_another_workloads():
    """The applications (Argo CD deploys them) get the password; the logical backup's flow is no substitute."""
    objects = [_spc("vault-secrets", "secret/data/database"), _spc("dump", "secret/data/database")]
    line = (
        "production/us-west-2: production/secretproviderclass/vault-secrets: network: gives a database login "
        "(secret/data/database) to pods of production, but no declared flow from production reaches the database "
        "port 5432: name its client services (database.rds.client_services, or the CloudNativePG cluster's "
        "client_services)"
    )
    assert _lines(objects, [DUMP], (_job("dump", "dump"),)) == [line]
    client = Flow(pods("llm-service", "production", app="llm-service"), Endpoint("database", cidr=DATA), 5432, "c")
    assert _lines(objects, [DUMP, client], (_job("dump", "dump"),)) == []


def test_vault_roles_and_operator_secrets_are_logins_too():
    bootstrap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "vault-bootstrap", "namespace": "vault"},
        "data": {
            "dump-read.hcl": 'path "database/creds/dump" {\n  capabilities = ["read"]\n}\n',
            "bootstrap.sh": "vault write auth/kubernetes/role/dump bound_service_account_names=dump "
            "bound_service_account_namespaces=production audience=vault token_policies=dump-read token_ttl=1h\n",
        },
    }
    dynamic = {
        "apiVersion": "secrets.hashicorp.com/v1beta1",
        "kind": "VaultDynamicSecret",
        "metadata": {"name": "db", "namespace": "production"},
        "spec": {"mount": "database", "path": "creds/app", "vaultAuthRef": "app", "destination": {"name": "db"}},
    }
    auth = {
        "apiVersion": "secrets.hashicorp.com/v1beta1",
        "kind": "VaultAuth",
        "metadata": {"name": "app", "namespace": "production"},
        "spec": {"vaultConnectionRef": "vault"},
    }
    connection = {
        "apiVersion": "secrets.hashicorp.com/v1beta1",
        "kind": "VaultConnection",
        "metadata": {"name": "vault", "namespace": "production"},
        "spec": {"address": ADDRESS},
    }
    view = ClusterView(env="e", region="r", kubernetes_version="1.35", objects=[bootstrap, dynamic, auth, connection])
    found = {(login.holder, login.path, login.vault_namespace, login.name) for login in login_flows.logins(view)}
    assert found == {
        ("vaultrole/dump", "database/creds/dump", "vault", "dump"),
        ("vaultdynamicsecret/db", "database/creds/app", "vault", "db"),
    }


@pytest.mark.parametrize(
    ("path", "database", "engine"),
    [
        ("secret/data/database", True, False),
        ("database/creds/tonebridge-logical-backup", True, True),
        ("postgres/static-creds/app", True, True),
        ("secret/data/redis", False, False),
        ("secret/data/openai", False, False),
    ],
)
def test_which_paths_are_database_logins(path, database, engine):
    assert (login_flows.database_path(path), login_flows.engine_path(path)) == (database, engine)
