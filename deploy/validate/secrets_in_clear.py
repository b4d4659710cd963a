"""No secret in clear text: the workspace folder is a Git repository, so a password written into a linked service
is in every clone and in history forever. A secret belongs in Key Vault (`{"type": "AzureKeyVaultSecret",
"store": ..., "secretName": ...}`) or comes in as a parameter (`@{linkedService().password}`, a SecureString
whose value is such an expression); the Studio-made `encryptedCredential` is tied to one integration runtime and
does not belong in Git either.

Two rules: properties that hold secrets by their name (password, accountKey, servicePrincipalKey, ...) or by
their content (a connection string with `Password=`, `AccountKey=`, `SharedAccessKey=`, a SAS `sig=`), and, as a
heuristic, any literal that looks like a key or a token (long base64 with high entropy, or a JWT).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from deploy.validate.expressions import is_expression
from deploy.validate.jsonpath import child, objects, strings
from deploy.validate.model import Hit

if TYPE_CHECKING:
    from deploy.validate.context import Context

SECRET_KEYS = frozenset({"password", "pwd", "accountkey", "serviceprincipalkey", "serviceprincipalcredential",
                         "encryptedcredential", "sastoken", "clientsecret"})  # compared in lower case
CONTENT_KEYS = frozenset({"connectionstring", "sasuri"})
_IN_CONNECTION_STRING = re.compile(r"(?:^|;)\s*(password|pwd|accountkey|sharedaccesskey)\s*=\s*([^;]*)", re.I)
_SAS_SIGNATURE = re.compile(r"[?&;]\s*(sig)=([^&;]*)", re.I)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/=_-])")
# Bits per character: random base64 of 40+ characters (storage keys 88, SAS signatures and Event Hubs keys 44)
# measures about 4.8 to 5.4; identifiers, camelCase names and paths stay under 4.5.
MIN_ENTROPY = 4.6


def clear_text_secrets(context: Context) -> Iterator[Hit]:
    for file, path, reason in _secrets(context):
        yield Hit(file, path, f"{reason} in clear text: reference a Key Vault secret "
                              '({"type": "AzureKeyVaultSecret", "store": ..., "secretName": ...}) or a parameter')


def _secrets(context: Context) -> list[tuple[str, str, str]]:
    def compute() -> list[tuple[str, str, str]]:
        found = []
        for artifact in context.workspace.artifacts:
            for path, value in objects(artifact.data):
                for key, item in value.items():
                    literal = _literal(item, child(path, key))
                    if literal is None:
                        continue
                    where, text = literal
                    reason = _reason(key.lower(), text)
                    if reason:
                        found.append((artifact.file, where, reason))
        return found
    return context.memo("clear-text secrets", compute)


def _literal(value: Any, path: str) -> tuple[str, str] | None:
    """(path, text) of a value written out in the file; None for Key Vault and parameter references."""
    if isinstance(value, dict):
        if value.get("type") == "AzureKeyVaultSecret":
            return None
        for key in ("value", "defaultValue"):  # SecureString / Expression / {"value", "type"}, or a default
            if isinstance(value.get(key), str):
                return _literal(value[key], child(path, key))
        return None
    if isinstance(value, str) and value.strip() and not is_expression(value):
        return path, value
    return None


def _reason(key: str, text: str) -> str | None:
    if key in SECRET_KEYS:
        return f"{key} is written"
    if key in CONTENT_KEYS:
        for pattern in (_IN_CONNECTION_STRING, _SAS_SIGNATURE):
            for match in pattern.finditer(text):
                value = match.group(2).strip()
                if value and not value.startswith("@{"):
                    return f"the {key} holds {match.group(1)}="
    return None


def token_literals(context: Context) -> Iterator[Hit]:
    reported = {(file, path) for file, path, _ in _secrets(context)}
    for artifact in context.workspace.artifacts:
        skip = frozenset({"outputs"}) if artifact.kind == "notebook" else frozenset()  # cell outputs: images
        for path, text in strings(artifact.data, skip=skip):
            if (artifact.file, path) in reported:
                continue
            token = looks_like_token(text)
            if token:
                yield Hit(artifact.file, path, f"{token} looks like a key or token: keep it in Key Vault")


def looks_like_token(text: str) -> str | None:
    """A short, partly masked quote of the first JWT or key-like literal in the text, or None."""
    match = _JWT.search(text)
    if match is None:
        match = next((m for m in _BASE64.finditer(text) if _random_looking(m.group())), None)
    if match is None:
        return None
    token = match.group()
    return f"{token[:6]}...{token[-2:]} ({len(token)} characters)"


def _random_looking(token: str) -> bool:
    classes = (any(c.islower() for c in token), any(c.isupper() for c in token), any(c.isdigit() for c in token))
    return all(classes) and _entropy(token) >= MIN_ENTROPY


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
