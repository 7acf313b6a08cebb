"""The secret CloudFront adds to every origin request, so that the ALBs answer CloudFront only.

The security groups admit CloudFront's origin-facing addresses, but those are shared by every
CloudFront distribution of every account: the header proves the request came through *this*
distribution. Its value is never written in code or configuration. Secrets Manager generates it
(``GetRandomPassword``, letters and digits only: ALB header conditions treat ``*`` and ``?`` as
wildcards) and keeps it; Terraform stores the first value it read (``ignore_changes`` on the
version), so later plans read a fresh random value and change nothing.

Two slots, ``a`` and ``b``, each a secret of its own: the ALB rules accept both, CloudFront sends the
``active`` one. Rotation without an outage: regenerate the inactive slot (``terraform apply
-replace=<its version>``; the ALB then accepts old and new), switch ``active`` (CloudFront sends the
new value once its change has propagated), and later regenerate the old slot.
"""

from __future__ import annotations

import re

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_secretsmanager_random_password import DataAwsSecretsmanagerRandomPassword
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps
from tonebridge.props.cdn import OriginSecretSettings

SLOTS = ("a", "b")
_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,400}$")


class OriginSecret(Construct):
    """Attributes: ``values`` (slot -> the stored value, a sensitive token), ``active_value``,
    ``secret_arns`` (slot -> ARN), ``key`` (the customer key both secrets are encrypted with)."""

    def __init__(self, scope: Construct, id_: str, settings: OriginSecretSettings, *, name: str) -> None:
        """``settings``: the validated ``dns.cdn.origin_secret`` (slot, length, recovery window); ``name``:
        the prefix of the two secrets (``<name>-origin-secret-a``, ``-b``) and of the key alias."""
        if not _NAME_RE.match(name):
            raise ValueError(f"name {name!r} is not a Secrets Manager name")
        super().__init__(scope, id_)
        self.key = EncryptionKey(
            self,
            "key",
            EncryptionKeyProps(
                alias=f"{name}-origin-secret",
                description=f"{name}: CloudFront origin secret",
                # Terraform writes and reads the secret values as the deploy identity, and Secrets Manager
                # encrypts and decrypts them as its caller: the deployers use the key through Secrets Manager only.
                deployers_via_service=f"secretsmanager.{AwsContext.of(scope).region}.amazonaws.com",
            ),
        )
        self.values: dict[str, str] = {}
        self.secret_arns: dict[str, str] = {}
        for slot in SLOTS:
            generated = DataAwsSecretsmanagerRandomPassword(
                self, f"random-{slot}", password_length=settings.length, exclude_punctuation=True, include_space=False
            )
            secret = SecretsmanagerSecret(
                self,
                f"secret-{slot}",
                name=f"{name}-origin-secret-{slot}",
                description=f"CloudFront origin header, slot {slot} (the ALB accepts both slots)",
                kms_key_id=self.key.arn,
                recovery_window_in_days=settings.recovery_window_days,
            )
            version = SecretsmanagerSecretVersion(
                self,
                f"value-{slot}",
                secret_id=secret.id,
                secret_string=generated.random_password,
                lifecycle=TerraformResourceLifecycle(ignore_changes=["secret_string"]),
            )
            self.values[slot] = version.secret_string
            self.secret_arns[slot] = secret.arn
        self.active_value: str = self.values[settings.active]
