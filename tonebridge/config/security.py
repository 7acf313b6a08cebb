"""The `security` section: the principals key and bucket policies name. The model is KeyAccess's own
settings (:mod:`tonebridge.props.security`), under the names the configuration modules use."""

from __future__ import annotations

from tonebridge.props.security import IamPrincipalName, IamRoleName, SecuritySettings

__all__ = ["IamPrincipalName", "IamRoleName", "SecurityConfig"]

SecurityConfig = SecuritySettings
