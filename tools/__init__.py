"""Operator and test tooling around the app, outside the product package ``tonebridge``.

Terraform's provider mirror and the stack runner (``tf``), the AWS emulator and the demo, checkov (``policy``),
the cluster-fit check (``fit``), Kubernetes schema validation, the failover commands and drill, the synthesis
budget and the version table. These import packages the app itself does not need (moto, kubernetes_validate,
helm_python, celpy, jsonschema: Pipfile's dev packages); ``tonebridge`` never imports ``tools``
(tests/test_tooling_boundary.py). Run from the repository root: ``python -m tools.<module>``.
"""
