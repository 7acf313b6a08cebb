"""ToneBridge infrastructure as code (CDK for Terraform, Python).

The code lives in this package rather than in top-level ``constructs/`` and ``stacks/``
folders because a top-level ``constructs`` package would shadow the ``constructs``
library that cdktf itself imports.

Importing it changes nothing global: the lazy provider imports (:mod:`tonebridge.lazy_providers`)
are installed by the programs that synthesize, before they import cdktf (``main.py`` through
:func:`tonebridge.cli.main`, the test session's ``tests/conftest.py``, ``tools/synth_budget.py`` and
the benchmark), not by every importer of the configuration models.
"""
