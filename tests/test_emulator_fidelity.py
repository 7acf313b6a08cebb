"""The emulator launcher evaluates the state bucket's TLS-only policy as AWS does."""

from __future__ import annotations

import json

import pytest
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult

from tools import moto_server

BUCKET = "arn:aws:s3:::tonebridge-terraform-state"
NO_PLAIN_HTTP = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:*",
    "Resource": [BUCKET, f"{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
NO_OLD_TLS = {**NO_PLAIN_HTTP, "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
DENY_KEY = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": f"{BUCKET}/secret"}


@pytest.fixture
def patched(monkeypatch):
    """The policy correction alone, undone after each test."""
    monkeypatch.setattr(IAMPolicyStatement, "is_action_permitted", moto_server._is_action_permitted)
    return monkeypatch


def _permission(*statements, **facts) -> PermissionResult:
    policy = IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    return policy.is_action_permitted("s3:GetObject", f"{BUCKET}/production/x.tfstate", None, facts or None)


def test_tls_requests_pass_the_tls_only_policy(patched):
    assert _permission(NO_PLAIN_HTTP, NO_OLD_TLS) == PermissionResult.NEUTRAL


def test_plain_http_and_old_tls_are_still_denied(patched):
    assert _permission(NO_PLAIN_HTTP, **{"aws:SecureTransport": "false"}) == PermissionResult.DENIED
    assert _permission(NO_OLD_TLS, **{"s3:TlsVersion": "1.0"}) == PermissionResult.DENIED


def test_unconditional_deny_is_untouched(patched):
    policy = IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": [DENY_KEY]}))
    assert policy.is_action_permitted("s3:GetObject", f"{BUCKET}/secret") == PermissionResult.DENIED


def test_force_destroy_of_a_versioned_bucket_with_delete_markers(monkeypatch):
    import boto3
    from moto import mock_aws
    from moto.s3.models import FakeDeleteMarker

    monkeypatch.delattr(FakeDeleteMarker, "dispose", raising=False)
    # S3 alone is exercised: skip loading AWS's managed IAM policies (1.5 s), which
    # install_corrections() would otherwise turn on for the rest of the session.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    moto_server.install_corrections()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-west-2")
        s3.create_bucket(Bucket="state", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        s3.put_bucket_versioning(Bucket="state", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="state", Key="x.tflock", Body=b"lock")
        s3.delete_object(Bucket="state", Key="x.tflock")
        versions = s3.list_object_versions(Bucket="state")
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
        ]
        s3.delete_objects(Bucket="state", Delete={"Objects": objects})
        s3.delete_bucket(Bucket="state")


@pytest.fixture
def compute_corrections(monkeypatch):
    """The EKS, launch-template and security-group corrections, undone after the test."""
    from moto.ec2.models.security_groups import SecurityGroupRule
    from moto.ec2.responses.launch_templates import LaunchTemplates
    from moto.eks.responses import EKSResponse

    monkeypatch.setattr(EKSResponse, "create_cluster", moto_server._create_cluster)
    monkeypatch.setattr(EKSResponse, "create_nodegroup", moto_server._create_nodegroup)
    monkeypatch.setattr(LaunchTemplates, "create_launch_template", moto_server._create_launch_template)
    monkeypatch.setattr(SecurityGroupRule, "description", property(moto_server._rule_description))


def test_cluster_node_group_and_template_read_back_as_written(compute_corrections):
    """What TonebridgeCluster writes must read back unchanged, or the second plan replaces the cluster."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-west-2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        nodes = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
        plane = ec2.create_security_group(GroupName="plane", Description="plane", VpcId=vpc)["GroupId"]
        pair = {"GroupId": plane, "Description": "Control plane to nodes on 10250"}
        permission = {"IpProtocol": "tcp", "FromPort": 10250, "ToPort": 10250, "UserIdGroupPairs": [pair]}
        rule = ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[permission])
        rule_id = rule["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        (read,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"]
        assert read["Description"] == "Control plane to nodes on 10250"

        instance_tags = {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "node"}]}
        ec2.create_launch_template(
            LaunchTemplateName="nodes",
            LaunchTemplateData={"TagSpecifications": [instance_tags]},
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Name", "Value": "lt"}]}],
        )
        (version,) = ec2.describe_launch_template_versions(LaunchTemplateName="nodes")["LaunchTemplateVersions"]
        assert version["LaunchTemplateData"]["TagSpecifications"] == [instance_tags]

        eks = boto3.client("eks", region_name="us-west-2")
        eks.create_cluster(
            name="c",
            roleArn="arn:aws:iam::123456789012:role/c",
            resourcesVpcConfig={"subnetIds": ["subnet-1"]},
            accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True},
            upgradePolicy={"supportType": "STANDARD"},
        )
        cluster = eks.describe_cluster(name="c")["cluster"]
        assert cluster["accessConfig"] == {"authenticationMode": "API"}
        assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}
        eks.create_nodegroup(
            clusterName="c",
            nodegroupName="system",
            subnets=["subnet-1"],
            nodeRole="arn:aws:iam::123456789012:role/n",
            launchTemplate={"name": "nodes"},
            updateConfig={"maxUnavailablePercentage": 33},
        )
        group = eks.describe_nodegroup(clusterName="c", nodegroupName="system")["nodegroup"]
        assert "remoteAccess" not in group
        assert group["updateConfig"] == {"maxUnavailablePercentage": 33}


def test_a_retried_write_is_carried_out_once_and_answered_again(monkeypatch):
    """Correction 14: an SDK retry of a write moto already carried out gets the first answer, not a conflict."""
    calls = []

    def moto(self, environ, start_response):
        calls.append(environ["REQUEST_METHOD"])
        ok = len(calls) == 1 or environ.get("HTTP_AMZ_SDK_INVOCATION_ID") != "call-1"
        start_response("200 OK" if ok else "409 Conflict", [("Content-Type", "text/xml")])
        return [b"<created/>" if ok else b"<EntityAlreadyExists/>"]

    monkeypatch.setattr(moto_server, "_moto_dispatch", moto)
    monkeypatch.setattr(moto_server, "_ANSWERED", moto_server.OrderedDict())

    def call(invocation, attempt, method="POST"):
        statuses = []
        environ = {"REQUEST_METHOD": method, "HTTP_AMZ_SDK_REQUEST": f"attempt={attempt}; max=25"}
        if invocation:
            environ["HTTP_AMZ_SDK_INVOCATION_ID"] = invocation
        body = b"".join(moto_server._dispatch_once(None, environ, lambda status, headers: statuses.append(status)))
        return statuses[0], body

    assert call("call-1", 1) == ("200 OK", b"<created/>")
    assert call("call-1", 2) == ("200 OK", b"<created/>")  # the retry: answered again, not carried out
    assert calls == ["POST"]
    assert call("call-1", 1)[0] == "409 Conflict"  # a new first attempt is a new request
    assert call(None, 2)[0] == "200 OK" and len(calls) == 3  # no invocation id: passed through
    call("call-2", 1, "GET")
    call("call-2", 2, "GET")
    assert calls[-2:] == ["GET", "GET"]  # reads are never replayed


@pytest.fixture
def edge_corrections(monkeypatch):
    """The edge's corrections (route53-healthchecks prefix list, CloudFront read-back, ListBuckets owner)."""
    from moto.cloudfront import models as cloudfront_models
    from moto.ec2.models.managed_prefixes import ManagedPrefixListBackend
    from moto.s3.responses import S3Response

    monkeypatch.setattr(ManagedPrefixListBackend, "create_default_pls", moto_server._default_prefix_lists)
    monkeypatch.setattr(cloudfront_models.DefaultCacheBehaviour, "__init__", moto_server._behaviour)
    monkeypatch.setattr(cloudfront_models.ViewerCertificate, "__init__", moto_server._viewer_certificate)
    monkeypatch.setattr(S3Response, "all_buckets", moto_server._all_buckets_owner)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")


def test_edge_reads_back_as_aws_answers(edge_corrections):
    import boto3
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-west-2")
        names = {p["PrefixListName"] for p in ec2.describe_managed_prefix_lists()["PrefixLists"]}
        assert {
            "com.amazonaws.us-west-2.route53-healthchecks",
            "com.amazonaws.global.cloudfront.origin-facing",
        } <= names
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        behaviour = {
            "TargetOriginId": "regions",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        }
        created = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "fidelity",
                "Comment": "",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "regions",
                            "DomainName": "origin.example.com",
                            "CustomOriginConfig": {
                                "HTTPPort": 80,
                                "HTTPSPort": 443,
                                "OriginProtocolPolicy": "https-only",
                            },
                        }
                    ],
                },
                "DefaultCacheBehavior": behaviour,
                "ViewerCertificate": {
                    "ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
                    "SSLSupportMethod": "sni-only",
                    "MinimumProtocolVersion": "TLSv1.2_2021",
                },
            }
        )
        config = cloudfront.get_distribution_config(Id=created["Distribution"]["Id"])["DistributionConfig"]
        assert "ForwardedValues" not in config["DefaultCacheBehavior"]
        assert config["ViewerCertificate"].get("CloudFrontDefaultCertificate") is not True
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="fidelity-logs")
        assert s3.list_buckets()["Owner"]["ID"] == s3.get_bucket_acl(Bucket="fidelity-logs")["Owner"]["ID"]


def test_prefix_list_rule_keeps_its_description(monkeypatch):
    import boto3
    from moto import mock_aws
    from moto.ec2.models.security_groups import SecurityGroupRule

    monkeypatch.setattr(SecurityGroupRule, "__init__", moto_server._rule_init)
    monkeypatch.setattr(SecurityGroupRule, "description", property(moto_server._rule_description))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-west-2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        group = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
        (cloudfront,) = [
            p["PrefixListId"]
            for p in ec2.describe_managed_prefix_lists()["PrefixLists"]
            if p["PrefixListName"] == "com.amazonaws.global.cloudfront.origin-facing"
        ]
        permission = {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "PrefixListIds": [{"PrefixListId": cloudfront, "Description": "HTTPS from CloudFront"}],
        }
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
        (ingress,) = [r for r in rules["SecurityGroupRules"] if not r["IsEgress"]]
        assert ingress["Description"] == "HTTPS from CloudFront"


NAMED_ONLY = {
    **NO_PLAIN_HTTP,
    "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:user/moto", "arn:aws:iam::*:role/x"]}},
}


def test_named_principal_passes_and_others_are_denied(patched):
    """The state and backups buckets deny every principal they do not name; moto's user is named in local."""
    assert _permission(NAMED_ONLY) == PermissionResult.NEUTRAL
    assert (
        _permission(NAMED_ONLY, **{"aws:PrincipalArn": "arn:aws:iam::123456789012:role/x"}) == PermissionResult.NEUTRAL
    )
    other = {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/intruder"}
    assert _permission(NAMED_ONLY, **other) == PermissionResult.DENIED


def test_state_bucket_named_principals_policy_end_to_end(monkeypatch):
    """What failed the first emulator deploy: the regional stacks read and lock their state in a bucket whose
    policy denies unnamed principals; as moto's user (named in local) that works, and a bucket that names
    only someone else refuses it (403), as AWS would."""
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from tonebridge.constructs.s3_hardening import named_principals_only, tls_only_policy

    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    monkeypatch.setattr(IAMPolicyStatement, "is_action_permitted", moto_server._is_action_permitted)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-west-2")
        for bucket, named in (("named", moto_server.CALLER_ARN), ("other", "arn:aws:iam::123456789012:role/other")):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
            arn = f"arn:aws:s3:::{bucket}"
            s3.put_bucket_policy(Bucket=bucket, Policy=tls_only_policy(arn, [named_principals_only(arn, [named])]))
        s3.put_object(Bucket="named", Key="local/x.tfstate", Body=b"{}")
        assert s3.head_object(Bucket="named", Key="local/x.tfstate")["ContentLength"] == 2
        with pytest.raises(ClientError, match=r"403|Forbidden|AccessDenied"):
            s3.put_object(Bucket="other", Key="local/x.tfstate", Body=b"{}")


def test_a_new_rds_instance_gets_rds_default_certificate_authority(monkeypatch):
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    moto_server.install_corrections()
    with mock_aws():
        rds = boto3.client("rds", region_name="us-west-2")
        common = {"DBInstanceClass": "db.t4g.medium", "Engine": "postgres", "AllocatedStorage": 20}
        common |= {"MasterUsername": "admin_user", "MasterUserPassword": "not-a-real-password"}
        rds.create_db_instance(DBInstanceIdentifier="default-ca", **common)
        rds.create_db_instance(DBInstanceIdentifier="named-ca", CACertificateIdentifier="rds-ca-ecc384-g1", **common)
        cas = {
            i["DBInstanceIdentifier"]: i["CACertificateIdentifier"] for i in rds.describe_db_instances()["DBInstances"]
        }
    assert cas == {"default-ca": moto_server.RDS_DEFAULT_CA, "named-ca": "rds-ca-ecc384-g1"}
