"""Trust policies for roles that AWS services assume."""

from __future__ import annotations

import json


def service_trust(service: str, source_account: str | None = None, *, tag_session: bool = False) -> str:
    """Trust policy for an AWS service; with ``source_account``, only on behalf of that account
    (confused-deputy guard, for services that send aws:SourceAccount). ``tag_session`` adds
    ``sts:TagSession`` for services that pass session tags (EKS)."""
    statement: dict = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole",
    }
    if source_account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})
