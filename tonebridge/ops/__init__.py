"""Operator tooling around the app: Terraform's provider mirror, the AWS emulator, the demo."""
