"""Argo CD's commit signature verification: required for production, checked against the key files.

Production changes reach the cluster only as commits the release job signs (pipelines/release),
so wherever Argo CD syncs a namespace whose ``environment`` label is ``production``, its AppProject
must name signature keys: without them any commit on the manifests repository's ``main`` would be
synced, and forgetting the list would silently open that path again. Staging is not synced by
Argo CD and stays self-service.

Each key names an armored public key file in this repository; the file must exist inside the
repository, hold exactly one public key and no secret material, and contain the configured key ID
(primary or subkey) — a mismatch would give Argo CD a keyring that cannot verify the signatures
the AppProject demands, and every production sync would fail.
"""

from __future__ import annotations

from collections.abc import Iterator

from tonebridge.config.errors import Problem
from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.platform import PlatformConfig
from tonebridge.openpgp import OpenPgpError, read_public_key
from tonebridge.paths import PROJECT_ROOT

#: The namespace label value that marks production (spec §3.2).
PRODUCTION = "production"


def syncs_production(platform: PlatformConfig) -> bool:
    """This region's Argo CD deploys into a namespace labelled ``environment: production``."""
    argocd = platform.argocd
    namespace = platform.namespaces.get(argocd.application.namespace)
    return argocd.enabled and namespace is not None and namespace.environment == PRODUCTION


def signature_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    for region, platform in cfg.platform.items():
        argocd = platform.argocd
        if not argocd.enabled:
            continue
        at = ("platform", region, "argocd", "signature_keys")
        if syncs_production(platform) and not argocd.signature_keys:
            yield Problem(
                at,
                f"Argo CD syncs the production namespace {argocd.application.namespace!r}: name the release "
                "signing key (key_id, public_key file); unsigned commits must never be synced",
            )
        seen: set[str] = set()
        for i, key in enumerate(argocd.signature_keys):
            if key.key_id in seen:
                yield Problem((*at, i, "key_id"), f"{key.key_id} is listed twice")
            seen.add(key.key_id)
            path = (PROJECT_ROOT / key.public_key).resolve()
            if not path.is_relative_to(PROJECT_ROOT):
                yield Problem((*at, i, "public_key"), f"{key.public_key} is outside the repository")
                continue
            try:
                public = read_public_key(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                yield Problem((*at, i, "public_key"), f"{key.public_key}: file not found in the repository")
                continue
            except (OSError, UnicodeDecodeError) as exc:
                yield Problem((*at, i, "public_key"), f"{key.public_key}: cannot be read ({exc})")
                continue
            except OpenPgpError as exc:
                yield Problem((*at, i, "public_key"), f"{key.public_key} {exc}")
                continue
            if key.key_id not in public.key_ids:
                yield Problem(
                    (*at, i, "key_id"),
                    f"{key.key_id} is not a key in {key.public_key} (it holds {', '.join(public.key_ids)})",
                )
