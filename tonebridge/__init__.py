"""ToneBridge infrastructure as code (CDK for Terraform, Python).

The code lives in this package rather than in top-level ``constructs/`` and ``stacks/``
folders because a top-level ``constructs`` package would shadow the ``constructs``
library that cdktf itself imports.
"""

from tonebridge import lazy_providers

# Before any provider package is imported: load provider submodules on demand (see lazy_providers).
lazy_providers.install()
