"""Resolve a secret reference to its value, at run time only. Values are never logged or written to the lake.

- `generated`: local only; a random 32-byte key created once under the untracked cache.
- `env`: an environment variable (CI, or a developer's shell).
- `key_vault_secret`: on a Synapse pool through the workspace's token library; elsewhere through the Key Vault
  SDK's `SecretClient` with an azure-identity credential (managed identity in Azure, your login on a laptop).
"""

from __future__ import annotations

import os
import secrets as random_secrets
from typing import TYPE_CHECKING

from retail.paths import cache_dir
from retail.settings import SecretRef, Settings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential


class SecretError(RuntimeError):
    """A secret could not be resolved; the message names the reference, never a value."""


def resolve(settings: Settings, name: str) -> str:
    try:
        ref = settings.secrets[name]
    except KeyError:
        raise SecretError(f"environment {settings.name} has no secret named {name!r} under [secrets]") from None
    return resolve_ref(settings, ref)


def resolve_ref(settings: Settings, ref: SecretRef) -> str:
    if ref.generated is not None:
        return _generated(ref.generated)
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if not value:
            raise SecretError(f"environment variable {ref.env} is not set")
        return value
    assert ref.key_vault_secret is not None and settings.key_vault is not None
    return _key_vault(settings.key_vault, ref.key_vault_secret)


def _generated(name: str) -> str:
    path = cache_dir() / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(random_secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _key_vault(vault: str, name: str) -> str:
    try:  # On a Synapse Spark pool: the workspace identity, through the pool's own library.
        from notebookutils import mssparkutils  # type: ignore[import-not-found]

        return mssparkutils.credentials.getSecret(vault, name)
    except ImportError:
        pass
    from azure.core.exceptions import AzureError
    from azure.keyvault.secrets import SecretClient

    client = SecretClient(vault_url(vault), credential(), retry_total=3)
    try:
        return client.get_secret(name).value
    except AzureError as error:
        reason = getattr(error, "reason", None) or type(error).__name__
        raise SecretError(f"Key Vault {vault}: cannot read secret {name!r}: {reason}") from None
    finally:
        client.close()


def credential() -> TokenCredential:
    """Managed identity in Azure, the developer's login on a laptop: whatever azure-identity finds first."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def vault_url(vault: str) -> str:
    return os.environ.get("RETAIL_KEY_VAULT_URL", f"https://{vault}.vault.azure.net")
