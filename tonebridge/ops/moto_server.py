"""moto server over TLS, with the request facts S3 bucket policies are evaluated against.

The state bucket's policy denies requests without TLS (``aws:SecureTransport``) and with TLS
older than 1.2 (``s3:TlsVersion``), exactly as production runs it. moto 5.2 evaluates bucket
policies but never supplies those two request facts, so every request would be denied. This
launcher serves moto over TLS only (werkzeug's ad-hoc certificate; the provider connects with
``insecure = true`` on loopback), hands the facts of that transport to the policy check, and
evaluates the two condition operators the policy uses (moto 5.2 treats operators it does not
know, Bool and NumericLessThan among them, as always matching), applying AWS's rule that a
statement whose conditions do not match does not apply. Nothing else in moto changes.
"""

from __future__ import annotations

import os
import sys

from moto import server
from moto.iam.access_control import IAMPolicyStatement, PermissionResult

#: What every request to this server is: TLS (werkzeug serves TLS 1.2 or newer).
TLS_REQUEST_FACTS = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.2"}

_moto_is_action_permitted = IAMPolicyStatement.is_action_permitted


_OPERATORS = {
    "Bool": lambda fact, expected: fact is not None and fact.lower() == str(expected).lower(),
    "NumericLessThan": lambda fact, expected: fact is not None and float(fact) < float(expected),
}


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


def main(argv: list[str]) -> None:
    # AWS-managed policies (AmazonSSMManagedInstanceCore for the bastion) exist in every account.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    IAMPolicyStatement.is_action_permitted = _is_action_permitted
    server.main([*argv, "--ssl"])


if __name__ == "__main__":
    main(sys.argv[1:])
