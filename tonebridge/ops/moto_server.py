"""moto server, with the few corrections the `local` environment needs to behave as AWS does.

The infrastructure code deploys to the emulator exactly as it deploys to production; where moto
5.2 differs from AWS in a way that code meets, this launcher corrects moto rather than the code:

1. TLS. The state bucket's policy denies requests without TLS (``aws:SecureTransport``) or with
   TLS older than 1.2 (``s3:TlsVersion``). The server runs over TLS only (werkzeug's ad-hoc
   certificate; the provider connects with ``insecure = true`` on loopback), and the policy check
   is given those facts of the transport.
2. Policy conditions. moto treats condition operators it does not know (Bool, NumericLessThan
   among them) as always matching, and answers DENIED for any statement whose conditions do not
   match. In AWS such a statement simply does not apply; the two operators are evaluated here.
3. Managed policies. AWS-managed policies (AmazonSSMManagedInstanceCore for the bastion) exist in
   every account; moto loads them only when asked.
4. Versioned deletes. Deleting a batch of objects that includes delete markers (what
   ``force_destroy`` does to a versioned bucket) fails in moto with an AttributeError.
5. EKS clusters. moto drops ``accessConfig`` and ``upgradePolicy``; AWS returns the authentication
   mode and the support type it was given (and, like AWS, not the create-only
   ``bootstrapClusterCreatorAdminPermissions``).
6. EKS node groups. moto invents SSH remote access (key ``eksKeypair``) for groups that asked for
   none, and drops ``updateConfig``.
7. Launch templates. moto copies the template's own tags into its launch data as a
   ``launch-template`` tag specification, which AWS does not.
8. Security group rules that reference another group lose their description in moto.
"""

from __future__ import annotations

import os
import sys

from moto import server
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.eks.responses import EKSResponse
from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.s3.models import FakeDeleteMarker

#: What every request to this server is: TLS (werkzeug serves TLS 1.2 or newer).
TLS_REQUEST_FACTS = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.2"}

_OPERATORS = {
    "Bool": lambda fact, expected: fact is not None and fact.lower() == str(expected).lower(),
    "NumericLessThan": lambda fact, expected: fact is not None and float(fact) < float(expected),
}

_moto_is_action_permitted = IAMPolicyStatement.is_action_permitted


def _conditions_match(condition: dict, facts: dict[str, str]) -> bool:
    """AWS semantics for the operators above; other operators are left to moto."""
    for operator, tests in condition.items():
        evaluate = _OPERATORS.get(operator)
        if evaluate and not all(evaluate(facts.get(key), expected) for key, expected in tests.items()):
            return False
    return True


def _is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    facts = {**TLS_REQUEST_FACTS, **(incoming_condition_values or {})}
    condition = self._statement.get("Condition")
    if condition and not _conditions_match(condition, facts):
        return PermissionResult.NEUTRAL
    return _moto_is_action_permitted(self, action, resource, principal, facts)


_moto_create_cluster = EKSResponse.create_cluster
_moto_create_nodegroup = EKSResponse.create_nodegroup
_moto_create_launch_template = LaunchTemplates.create_launch_template
_moto_rule_description = SecurityGroupRule.description


def _create_cluster(self):
    result = _moto_create_cluster(self)
    cluster = self.eks_backend.clusters[self._get_param("name")]
    access = self._get_param("accessConfig") or {}
    cluster.access_config = {"authenticationMode": access.get("authenticationMode", "CONFIG_MAP")}
    cluster.upgrade_policy = self._get_param("upgradePolicy") or {"supportType": "EXTENDED"}
    return result


def _create_nodegroup(self):
    result = _moto_create_nodegroup(self)
    group = self.eks_backend.clusters[self._get_param("name")].nodegroups[self._get_param("nodegroupName")]
    group.remote_access = self._get_param("remoteAccess")
    group.update_config = self._get_param("updateConfig") or {"maxUnavailable": 1}
    return result


def _create_launch_template(self):
    result = _moto_create_launch_template(self)
    template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
    for version in template.versions:
        specs = version.data.get("TagSpecifications") or []
        version.data["TagSpecifications"] = [t for t in specs if t.get("ResourceType") != "launch-template"]
    return result


def _rule_description(self):
    return _moto_rule_description.fget(self) or (self.source_group or {}).get("Description")


def install_corrections() -> None:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    IAMPolicyStatement.is_action_permitted = _is_action_permitted
    EKSResponse.create_cluster = _create_cluster
    EKSResponse.create_nodegroup = _create_nodegroup
    LaunchTemplates.create_launch_template = _create_launch_template
    SecurityGroupRule.description = property(_rule_description)
    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = lambda self, garbage=False: None  # a marker holds no data to release


def main(argv: list[str]) -> None:
    install_corrections()
    server.main([*argv, "--ssl"])


if __name__ == "__main__":
    main(sys.argv[1:])
