"""Keys, buckets and service principals name who may use them (issue 19), read on the synthesized JSON.

Negative cases: no key policy lets an unnamed principal decrypt; staging's database role cannot reach
production's backups (bucket, prefix or key); a service principal never acts for another account.
"""

from __future__ import annotations

import fnmatch
import json
import re

import pytest

from tests.conftest import resources
from tonebridge import versions
from tonebridge.registry_layer_buckets import REGISTRY_LAYER_BUCKETS, layer_buckets, registry_of

AWS_STACKS = [
    "production-state",
    "production-us-west-2",
    "production-us-east-1",
    "local-state",
    "local-us-west-2",
    "local-us-east-1",
]
DECRYPTING = ("kms:*", "kms:Decrypt", "kms:Decrypt*", "kms:ReEncrypt*", "kms:ReEncryptFrom")


def _statements(policy: str) -> list[dict]:
    return json.loads(policy)["Statement"]


def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _aws_principals(statement: dict) -> list[str]:
    principal = statement.get("Principal", {})
    if principal == "*":
        return ["*"]
    aws = principal.get("AWS", []) if isinstance(principal, dict) else []
    return [aws] if isinstance(aws, str) else list(aws)


def _keys(stacks, stack):
    return resources(stacks[stack], "aws_kms_key")


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_no_key_trusts_the_account_root_or_grants_kms_star(stacks, stack):
    for name, key in _keys(stacks, stack).items():
        for statement in _statements(key["policy"]):
            assert "kms:*" not in _actions(statement), (name, statement["Sid"])
            for principal in _aws_principals(statement):
                assert not principal.endswith(":root"), (name, statement["Sid"])


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_no_key_policy_lets_an_unnamed_principal_decrypt(stacks, stack, environments):
    """Every statement that allows decryption names its principals: configured roles, roles created by
    the stacks (tokens), or one role by ``aws:PrincipalArn``; services only with source conditions."""
    env = environments[stack.split("-")[0]]
    configured = {*env.security.deploy_principals, env.security.break_glass_role}
    for name, key in _keys(stacks, stack).items():
        for statement in _statements(key["policy"]):
            if statement["Effect"] != "Allow" or not set(_actions(statement)) & set(DECRYPTING):
                continue
            condition = statement.get("Condition", {})
            if "Service" in statement["Principal"]:
                keys = {k for block in condition.values() for k in block}
                assert keys & {"aws:SourceAccount", "aws:SourceArn", "kms:EncryptionContext:aws:logs:arn"}, name
                continue
            for principal in _aws_principals(statement):
                if principal == "*":
                    named = condition["ArnEquals"]["aws:PrincipalArn"]
                    assert ":role/" in named and "*" not in named, (name, statement["Sid"])
                    assert "kms:CallerAccount" in condition["StringEquals"]
                elif principal.startswith("${aws_iam_role."):
                    continue
                else:
                    assert principal.split(":", 5)[-1] in configured | {
                        "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
                    }, (name, statement["Sid"], principal)


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_key_is_administered_by_the_deployers_and_the_break_glass_role(stacks, stack, environments):
    env = environments[stack.split("-")[0]]
    expected = {*env.security.deploy_principals, *env.security.key_administrators, env.security.break_glass_role}
    for name, key in _keys(stacks, stack).items():
        (admins,) = [s for s in _statements(key["policy"]) if s["Sid"] == "KeyAdministrators"]
        assert {p.split(":", 5)[-1] for p in _aws_principals(admins)} == expected, name
        assert "kms:CreateGrant" not in _actions(admins)  # administrators cannot grant themselves use
        assert "kms:PutKeyPolicy" in _actions(admins) or "kms:Put*" in _actions(admins)  # lockout check


def test_key_administrators_cannot_use_keys(stacks, environments):
    production = environments["production"]
    admin = production.security.key_administrators[0]
    for name, key in _keys(stacks, "production-us-west-2").items():
        for statement in _statements(key["policy"]):
            if any(p.endswith(admin) for p in _aws_principals(statement)):
                assert statement["Sid"] == "KeyAdministrators", name


def test_only_the_state_and_database_keys_let_the_deployers_use_them(stacks):
    users = {}
    for stack in ("production-state", "production-us-west-2"):
        for name, key in _keys(stacks, stack).items():
            sids = {s["Sid"] for s in _statements(key["policy"])}
            users[name] = "DeployersAndBreakGlassUse" in sids
    assert {name for name, uses in users.items() if uses} == {"state-backend_key_7D885887", "database_key_CA7EEF20"}


# --- buckets ----------------------------------------------------------------------------------------


def _bucket_policy(stack: dict, fragment: str) -> list[dict]:
    (policy,) = [p for k, p in resources(stack, "aws_s3_bucket_policy").items() if k.startswith(fragment)]
    return _statements(policy["policy"])


def _named(statements: list[dict]) -> list[str]:
    (deny,) = [s for s in statements if s["Sid"] == "DenyUnnamedPrincipals"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*" and deny["Principal"] == {"AWS": "*"}
    return deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]


@pytest.mark.parametrize(
    ("env_name", "deployer"), [("production", "role/tonebridge-terraform"), ("local", "user/moto")]
)
def test_state_bucket_admits_only_the_deployers_and_break_glass(stacks, env_name, deployer):
    named = _named(_bucket_policy(stacks[f"{env_name}-state"], "state-backend_policy"))
    assert len(named) == 2
    assert named[0].endswith(f":{deployer}")  # Terraform keeps its own state (and the emulator deploy works)
    assert named[1].endswith(":role/tonebridge-break-glass") or named[1].endswith("-break-glass")


def test_staging_database_cannot_touch_production_backups(stacks):
    infra = stacks["production-us-west-2"]
    roles = {r["name"]: k for k, r in resources(infra, "aws_iam_role").items()}
    staging_role = roles["tonebridge-production-cnpg-staging-tonebridge"]
    # its own policy: only the staging bucket and key
    (policy,) = [p for p in resources(infra, "aws_iam_role_policy").values() if staging_role in p["role"]]
    for statement in _statements(policy["policy"]):
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for target in targets:
            assert "backups-staging_" in target, statement["Sid"]
            assert "backups_bucket" not in target and "backups_key" not in target
    # production's bucket and keys do not name it, and deny whoever they do not name
    production = _bucket_policy(infra, "backups_policy")
    assert not any(staging_role in arn for arn in _named(production))
    for key_name in ("backups_key", "backups_replica_key"):
        (key,) = [k for n, k in _keys(stacks, "production-us-west-2").items() if n.startswith(key_name + "_")]
        assert staging_role not in key["policy"]
    # the staging bucket names it (and its key lets it use the key through S3 only)
    assert any(staging_role in arn for arn in _named(_bucket_policy(infra, "backups-staging_policy")))
    (staging_key,) = [
        k for n, k in _keys(stacks, "production-us-west-2").items() if n.startswith("backups-staging_key")
    ]
    (use,) = [s for s in _statements(staging_key["policy"]) if staging_role in json.dumps(s["Principal"])]
    via = use["Condition"]["StringEquals"]["kms:ViaService"]
    assert via.startswith("s3.${data.aws_region.") and via.endswith(".amazonaws.com")  # the bucket's region
    assert set(use["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}


def test_dr_transfer_role_is_named_on_the_backups_bucket_and_key(stacks, environments):
    production = environments["production"]
    role = production.dr.transfer.aws_role_name
    infra = stacks["production-us-west-2"]
    assert any(arn.endswith(f":role/{role}") for arn in _named(_bucket_policy(infra, "backups_policy")))
    (key,) = [k for n, k in _keys(stacks, "production-us-west-2").items() if n.startswith("backups_key_")]
    (use,) = [s for s in _statements(key["policy"]) if s.get("Condition", {}).get("ArnEquals")]
    assert use["Action"] == ["kms:Decrypt"] and use["Condition"]["ArnEquals"]["aws:PrincipalArn"].endswith(role)


def test_backups_are_locked_in_compliance_mode_everywhere(stacks):
    for stack in ("production-us-west-2", "local-us-west-2"):
        locks = resources(stacks[stack], "aws_s3_bucket_object_lock_configuration").values()
        assert locks and {lock["rule"]["default_retention"]["mode"] for lock in locks} == {"COMPLIANCE"}


def test_gcs_backups_retention_is_locked(stacks):
    (bucket,) = [
        b for b in resources(stacks["production-dr"], "google_storage_bucket").values() if b.get("retention_policy")
    ]
    assert bucket["retention_policy"]["is_locked"] is True
    assert bucket["retention_policy"]["retention_period"] == 30 * 86400


# --- service principals ------------------------------------------------------------------------------


def test_interruption_queue_accepts_only_this_clusters_rules(stacks):
    (policy,) = resources(stacks["production-us-west-2"], "aws_sqs_queue_policy").values()
    (send,) = [s for s in _statements(policy["policy"]) if s["Effect"] == "Allow"]
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert send["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":rule/tonebridge-production-karpenter-*")
    assert "aws:SourceAccount" in send["Condition"]["StringEquals"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_log_keys_are_limited_to_this_accounts_log_groups(stacks, stack):
    for name, key in _keys(stacks, stack).items():
        for statement in _statements(key["policy"]):
            if statement.get("Principal", {}).get("Service", "").startswith("logs."):
                pattern = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
                assert ":*:log-group" not in pattern and "account_id}:log-group:" in pattern, name


# --- VPC endpoints ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["production-us-west-2", "production-us-east-1", "local-us-west-2"])
def test_interface_endpoints_admit_only_this_accounts_principals(stacks, stack):
    endpoints = [
        e for e in resources(stacks[stack], "aws_vpc_endpoint").values() if e["vpc_endpoint_type"] == "Interface"
    ]
    assert endpoints
    for endpoint in endpoints:
        statements = _statements(endpoint["policy"])
        account_wide = [s for s in statements if s["Sid"] == "ThisAccountsPrincipals"]
        assert account_wide[0]["Condition"]["StringEquals"]["aws:PrincipalAccount"].startswith(
            "${data.aws_caller_identity"
        )
        others = [s for s in statements if s["Sid"] != "ThisAccountsPrincipals"]
        if endpoint["service_name"].endswith(".sts"):
            (web_identity,) = others  # IRSA's unauthenticated call, for this account's roles only
            assert web_identity["Action"] == "sts:AssumeRoleWithWebIdentity"
            assert web_identity["Resource"].endswith(":role/*") and "aws_caller_identity" in web_identity["Resource"]
        else:
            assert others == []


def test_s3_endpoint_reaches_only_the_projects_and_awss_own_buckets(stacks):
    (s3,) = [
        e
        for e in resources(stacks["production-us-west-2"], "aws_vpc_endpoint").values()
        if e["service_name"].endswith(".s3")
    ]
    statements = {s["Sid"]: s for s in _statements(s3["policy"])}
    project = statements["ProjectBuckets"]
    buckets = {arn.split(":::")[1].split("/")[0] for arn in project["Resource"]}
    assert buckets == {
        "tonebridge-terraform-state",
        "tonebridge-backups",
        "tonebridge-backups-us-east-1",
        "tonebridge-backups-staging",
    }
    assert "aws:PrincipalAccount" in project["Condition"]["StringEquals"]
    aws_owned = statements["AwsOwnedBucketsReadOnly"]
    assert aws_owned["Action"] == "s3:GetObject"
    assert any("starport-layer-bucket" in arn for arn in aws_owned["Resource"])  # ECR image layers
    assert set(statements) == {"ProjectBuckets", "AwsOwnedBucketsReadOnly", "RegistryLayersReadOnly"}


# --- what one policy grants, the other must allow ----------------------------------------------------------

_GRANTED = re.compile(r"\$\{aws_(kms_key|s3_bucket)\.([^.}]+)\.arn\}")
_ROLE = re.compile(r"^\$\{aws_iam_role\.([^.}]+)\.(?:id|name)\}$")


def _names_role(statement: dict, role_id: str, role_name: str) -> bool:
    """The statement names the role: by its resource's ARN, by its ARN spelled out, or by aws:PrincipalArn."""
    named = [*_aws_principals(statement), *statement.get("Condition", {}).get("ArnEquals", {}).values()]
    named = [n for value in named for n in ([value] if isinstance(value, str) else value)]
    return any(n == f"${{aws_iam_role.{role_id}.arn}}" or n.endswith(f":role/{role_name}") for n in named)


@pytest.mark.parametrize("stack", [*AWS_STACKS, "production-global", "local-global"])
def test_every_role_granted_a_key_or_bucket_is_named_by_its_policies(stacks, stack):
    """No key policy trusts the account root and every backups or state bucket denies the principals it does
    not name: a role whose own policy grants it a key or such a bucket is useless unless the key's and the
    bucket's policies name it too (the logical backup's role once had only its own policy: every upload
    denied). Roles and grants made by other stacks are checked where those stacks name them."""
    synthesized = stacks[stack]
    roles = resources(synthesized, "aws_iam_role")
    keys = resources(synthesized, "aws_kms_key")
    bucket_policies = {
        p["bucket"].split(".")[1]: _statements(p["policy"])
        for p in resources(synthesized, "aws_s3_bucket_policy").values()
    }
    checked = 0
    for policy_id, policy in resources(synthesized, "aws_iam_role_policy").items():
        role = _ROLE.match(policy["role"])
        if role is None:
            continue
        role_id, role_name = role.group(1), roles[role.group(1)]["name"]
        for statement in _statements(policy["policy"]):
            if statement["Effect"] != "Allow":
                continue
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for kind, target in {m for t in targets for m in _GRANTED.findall(t)}:
                if kind == "kms_key":
                    key_statements = [s for s in _statements(keys[target]["policy"]) if s["Effect"] == "Allow"]
                    for action in (a for a in _actions(statement) if a.startswith("kms:")):
                        assert any(
                            _names_role(s, role_id, role_name) and any(fnmatch.fnmatch(action, a) for a in _actions(s))
                            for s in key_statements
                        ), f"{stack}: {role_name} may {action} on {target} ({policy_id}); its key policy disagrees"
                        checked += 1
                elif target in bucket_policies:
                    deny = [s for s in bucket_policies[target] if s.get("Sid") == "DenyUnnamedPrincipals"]
                    if deny:
                        assert any(
                            n == f"${{aws_iam_role.{role_id}.arn}}" or n.endswith(f":role/{role_name}")
                            for n in _named(bucket_policies[target])
                        ), f"{stack}: {role_name} is granted {target} by {policy_id}, but its bucket policy denies it"
                        checked += 1
    if stack.endswith(("us-west-2", "us-east-1")):
        assert checked  # the regional stacks grant keys and buckets: the test read them


def _via(statement: dict) -> str | None:
    """The service a key statement confines its principals to (``kms:ViaService``), or None."""
    via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
    return via.split(".")[0] if via else None


@pytest.mark.parametrize("stack", ["production-global", "local-global", "production-us-west-2", "local-us-west-2"])
def test_secrets_terraform_writes_are_in_keys_the_deployers_may_use_through_secrets_manager(
    stacks, stack, environments
):
    """Secrets Manager encrypts a value with the secret's key as its caller (Terraform, as a deploy
    identity): without GenerateDataKey and Decrypt for the deployers through Secrets Manager, every
    secret version Terraform writes or reads back is refused (the CloudFront origin secret once was)."""
    env = environments[stack.split("-")[0]]
    deployers = env.security.deploy_principals
    synthesized = stacks[stack]
    secrets = resources(synthesized, "aws_secretsmanager_secret")
    keys = resources(synthesized, "aws_kms_key")
    versions_written = resources(synthesized, "aws_secretsmanager_secret_version").values()
    for version in versions_written:
        secret = secrets[version["secret_id"].split(".")[1]]
        key_ref = _GRANTED.search(secret.get("kms_key_id", ""))
        assert key_ref, f"{stack}: secret {secret['name']} without a customer key of this stack"
        uses = [s for s in _statements(keys[key_ref.group(2)]["policy"]) if s["Effect"] == "Allow"]
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            for deployer in deployers:
                assert any(
                    any(p.endswith(f":{deployer}") for p in _aws_principals(s))
                    and any(fnmatch.fnmatch(action, a) for a in _actions(s))
                    and _via(s) in (None, "secretsmanager")
                    for s in uses
                ), f"{stack}: {deployer} cannot {action} with the key of {secret['name']}"
    if stack.endswith("global"):
        assert versions_written


# --- the registries nodes pull from -----------------------------------------------------------------------


def test_every_registry_an_image_comes_from_has_its_layer_stores_decided():
    """A registry missing from the table would be pulled through whatever the S3 endpoint happens to allow."""
    registries = {registry_of(image) for image in versions.table().image_references()}
    assert registries - set(REGISTRY_LAYER_BUCKETS) == set()
    assert "registry.k8s.io" in registries  # the table is read: the autoscaler and metrics-server come from there


@pytest.mark.parametrize("stack", ["production-us-west-2", "production-us-east-1", "local-us-west-2"])
def test_the_s3_endpoint_lets_nodes_read_every_registrys_layer_bucket_of_their_region(stacks, stack):
    region = stack.split("-", 1)[1]
    (s3,) = [e for e in resources(stacks[stack], "aws_vpc_endpoint").values() if e["service_name"].endswith(".s3")]
    readable = {
        arn
        for s in _statements(s3["policy"])
        if s["Effect"] == "Allow" and "s3:GetObject" in _actions(s)
        for arn in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    }
    buckets = layer_buckets(region)
    assert "prod-registry-k8s-io-" + region in buckets
    for bucket in buckets:
        assert any(arn.endswith(f":s3:::{bucket}/*") for arn in readable), (stack, bucket)
