"""Keys, buckets and service principals name who may use them (issue 19), read on the synthesized JSON.

Negative cases: no key policy lets an unnamed principal decrypt; staging's database role cannot reach
production's backups (bucket, prefix or key); a service principal never acts for another account.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources

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
    assert set(statements) == {"ProjectBuckets", "AwsOwnedBucketsReadOnly"}
