"""Keys and roles alone, on the branches the environment files do not take: a key whose users are a later stack's
role through a service, whose deployers use it only through EC2, with service-linked role grants and a short
deletion window; a read-only backup role for a CloudNativePG replica; an IRSA role with managed policies only."""

from __future__ import annotations

import json

import pytest
from cdktf import App

from tests.conftest import resources
from tests.construct_harness import BREAK_GLASS, DEPLOYER, only, synth_alone
from tonebridge.constructs.irsa import IrsaProvider

OIDC_ARN = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"


def _statements(policy: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(policy)["Statement"]}


def test_a_key_for_a_later_role_through_s3_deployers_through_ec2_and_service_linked_grants():
    from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, KeyUser, ServiceGrant

    props = EncryptionKeyProps(
        alias="tb-unit-volumes",
        description="unit: volumes",
        users=[
            KeyUser(
                arn="arn:aws:iam::111122223333:role/later", via_service="s3.us-west-2.amazonaws.com", created_later=True
            ),
            KeyUser(arn="arn:aws:iam::111122223333:role/ebs", grants_for_aws_resources=True),
        ],
        service_grants=[
            ServiceGrant(principal="sns.amazonaws.com", source_arn="arn:aws:sns:us-west-2:{account}:tb-*"),
        ],
        role_grants=["aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"],
        deployers_via_service="ec2.us-west-2.amazonaws.com",
        deletion_window_in_days=7,
    )
    out = synth_alone(lambda stack: EncryptionKey(stack, "key", props))
    key = only(out, "aws_kms_key")
    assert key["deletion_window_in_days"] == 7 and key["enable_key_rotation"] is True
    assert only(out, "aws_kms_alias")["name"] == "alias/tb-unit-volumes"
    statements = _statements(key["policy"])
    # deployers do not use the key directly: break glass alone does; deployers only through EC2
    (break_glass,) = statements["BreakGlassUse"]["Principal"]["AWS"]
    assert break_glass.endswith(f":{BREAK_GLASS}")
    assert "DeployersAndBreakGlassUse" not in statements
    (deployer,) = statements["DeployersUseThroughService"]["Principal"]["AWS"]
    assert deployer.endswith(f":{DEPLOYER}")
    through_ec2 = statements["DeployersUseThroughService"]["Condition"]["StringEquals"]
    assert through_ec2["kms:ViaService"] == "ec2.us-west-2.amazonaws.com"
    later = statements["User0"]
    assert later["Principal"] == {"AWS": "*"}
    assert later["Condition"]["ArnEquals"] == {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/later"}
    assert later["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-west-2.amazonaws.com"
    assert "kms:CallerAccount" in later["Condition"]["StringEquals"]
    assert statements["User1"]["Principal"] == {"AWS": "arn:aws:iam::111122223333:role/ebs"}
    assert "Condition" not in statements["User1"]
    assert statements["User1GrantsForAwsResources"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    sns = statements["ServiceSns"]
    assert sns["Principal"] == {"Service": "sns.amazonaws.com"}
    assert sns["Condition"]["ArnLike"]["aws:SourceArn"].startswith("arn:aws:sns:us-west-2:")
    assert sns["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":tb-*")
    assert "{account}" not in sns["Condition"]["ArnLike"]["aws:SourceArn"]
    (role,) = statements["RolesUseKey"]["Principal"]["AWS"]
    assert role.endswith(":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
    assert statements["RolesGrantForAwsResources"]["Action"] == "kms:CreateGrant"


def test_a_replica_clusters_backup_role_only_reads():
    from tonebridge.constructs.postgres.backup_role import CnpgBackupRole, CnpgBackupRoleProps
    from tonebridge.props.cnpg import CnpgClusterSettings

    replica = CnpgClusterSettings(name="orders", namespace="staging", replica={"source_cluster": "orders-west"})
    props = CnpgBackupRoleProps(
        role_name="tb-unit-orders-replica",
        irsa=IrsaProvider(OIDC_ARN, ISSUER),
        cluster=replica,
        bucket_arn="arn:aws:s3:::tb-backups-east",
        bucket_region="us-east-1",
        prefix="staging/postgres",
        key_arn="arn:aws:kms:us-east-1:111122223333:key/east",
    )
    out = synth_alone(lambda stack: CnpgBackupRole(stack, "backup-role", props), region="us-east-1")
    statements = _statements(only(out, "aws_iam_role_policy")["policy"])
    assert statements["BackupObjects"]["Action"] == ["s3:GetObject"]
    assert statements["BackupObjects"]["Resource"] == "arn:aws:s3:::tb-backups-east/staging/postgres/*"
    assert statements["ListBackupPrefix"]["Condition"] == {
        "StringLikeIfExists": {"s3:prefix": ["staging/postgres", "staging/postgres/*"]}
    }
    assert statements["BucketKeyThroughS3"]["Action"] == ["kms:Decrypt"]
    assert statements["BucketKeyThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }
    trust = json.loads(only(out, "aws_iam_role")["assume_role_policy"])
    (statement,) = trust["Statement"]
    assert statement["Condition"]["StringEquals"][f"{ISSUER}:sub"] == "system:serviceaccount:staging:orders"


def test_irsa_provider_trusts_one_service_account_of_its_cluster_and_makes_its_roles():
    irsa = IrsaProvider(OIDC_ARN, ISSUER)
    assert json.loads(irsa.trust("system:serviceaccount:apps:web")) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": OIDC_ARN},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{ISSUER}:sub": "system:serviceaccount:apps:web",
                        f"{ISSUER}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }
    readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    out = synth_alone(
        lambda stack: irsa.role(stack, "web", "tb-unit-web", "apps", "web", managed_policy_arns=[readonly]),
        key_access=False,
    )
    role = only(out, "aws_iam_role")
    assert role["name"] == "tb-unit-web"
    assert json.loads(role["assume_role_policy"]) == json.loads(irsa.trust("system:serviceaccount:apps:web"))
    assert "aws_iam_role_policy" not in out["resource"]
    assert [r["policy_arn"] for r in resources(out, "aws_iam_role_policy_attachment").values()] == [readonly]
    with pytest.raises(ValueError, match="without any permission"):
        irsa.role(App(), "none", "tb-unit-none", "apps", "web")


def test_an_irsa_role_with_managed_policies_and_no_inline_policy():
    from tonebridge.constructs.irsa import ServiceAccountRole, ServiceAccountRoleProps

    managed = ["arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    props = ServiceAccountRoleProps(
        role_name="tb-unit-ebs",
        irsa=IrsaProvider(OIDC_ARN, ISSUER),
        namespace="kube-system",
        service_account="ebs-csi-controller-sa",
        managed_policy_arns=managed,
    )
    out = synth_alone(lambda stack: ServiceAccountRole(stack, "irsa", props), key_access=False)
    assert "aws_iam_role_policy" not in out["resource"]
    attached = sorted(r["policy_arn"] for r in resources(out, "aws_iam_role_policy_attachment").values())
    assert attached == managed
    role = only(out, "aws_iam_role")
    assert role["max_session_duration"] == 3600
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Condition"]["StringEquals"] == {
        f"{ISSUER}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }


def test_logical_backup_role_writes_only_under_its_prefix_in_another_region():
    from tonebridge.constructs.postgres.logical_backup_role import LogicalBackupRole, LogicalBackupRoleProps
    from tonebridge.props.logical_backup import LogicalBackupSettings

    props = LogicalBackupRoleProps(
        settings=LogicalBackupSettings(namespace="backup-jobs", service_account="dumper"),
        environment="staging",
        role_name="tb-unit-logical",
        irsa=IrsaProvider(OIDC_ARN, ISSUER),
        bucket_arn="arn:aws:s3:::tb-unit-backups",
        key_arn="arn:aws:kms:us-east-1:111122223333:key/unit",
        region="us-east-1",
    )
    assert props.key_prefix == "postgres-logical/staging"
    out = synth_alone(lambda stack: LogicalBackupRole(stack, "logical", props), region="us-east-1", key_access=False)
    statements = _statements(only(out, "aws_iam_role_policy")["policy"])
    assert statements["WriteLogicalBackups"]["Action"] == ["s3:PutObject", "s3:AbortMultipartUpload"]
    assert statements["WriteLogicalBackups"]["Resource"] == "arn:aws:s3:::tb-unit-backups/postgres-logical/staging/*"
    assert statements["BucketKeyThroughS3"]["Resource"] == "arn:aws:kms:us-east-1:111122223333:key/unit"
    assert "s3.us-east-1.amazonaws.com" in json.dumps(statements["BucketKeyThroughS3"]["Condition"])
    (statement,) = json.loads(only(out, "aws_iam_role")["assume_role_policy"])["Statement"]
    assert statement["Condition"]["StringEquals"][f"{ISSUER}:sub"] == "system:serviceaccount:backup-jobs:dumper"


def test_image_push_role_for_two_repositories_of_another_stage():
    from tonebridge.constructs.ci_registry import PUSH_ACTIONS, ImagePushRole, ImagePushRoleProps

    repositories = [
        "arn:aws:ecr:us-east-1:111122223333:repository/tonebridge-staging/api-gateway",
        "arn:aws:ecr:us-east-1:111122223333:repository/tonebridge-staging/audio",
    ]
    props = ImagePushRoleProps(
        role_name="tb-unit-push",
        irsa=IrsaProvider(OIDC_ARN, ISSUER),
        namespace="ci",
        service_account="kaniko",
        repository_arns=repositories,
    )
    out = synth_alone(lambda stack: ImagePushRole(stack, "push", props), key_access=False)
    statements = _statements(only(out, "aws_iam_role_policy")["policy"])
    assert statements["RegistryLogin"] == {
        "Sid": "RegistryLogin",
        "Effect": "Allow",
        "Action": "ecr:GetAuthorizationToken",
        "Resource": "*",
    }
    assert statements["PushToPlatformRepositories"]["Resource"] == repositories
    assert statements["PushToPlatformRepositories"]["Action"] == list(PUSH_ACTIONS)
