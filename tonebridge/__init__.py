"""ToneBridge infrastructure as code (CDK for Terraform, Python).

The code lives in this package rather than in top-level ``constructs/`` and ``stacks/``
folders because a top-level ``constructs`` package would shadow the ``constructs``
library that cdktf itself imports.
"""
