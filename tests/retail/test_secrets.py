"""Secret references resolved for real: generated and environment values locally, and Key Vault through the
real `SecretClient` against a local HTTPS fake of the Key Vault REST contract (challenge, bearer token,
`GET {vault}/secrets/{name}?api-version=...`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

from retail import secrets
from retail.secrets import SecretError, resolve
from retail.settings import Settings, load_settings
from tests.fakes.https import FAKE_DOMAIN, FakeHttpsServer, Request, Response, resolve_fake_names

TOKEN = "token-for-the-fake-vault"
SECRETS = {"pii-hash-key": "a-key-held-only-by-key-vault"}


class StaticCredential:
    """Stands in for DefaultAzureCredential: the token flow, not the identity, is what the fake checks."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)


def fake_key_vault(url: str, request: Request) -> Response:
    """Key Vault's data plane for one secret read, as the SDK sees it."""
    if "api-version" not in request.query:
        return Response(400, {"error": {"code": "BadParameter", "message": "api-version is missing"}})
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        resource = url.replace("//retail-dev.", "//")  # the vault's parent domain, as Azure answers
        challenge = (f'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", '
                     f'resource="{resource}"')
        return Response(401, {"error": {"code": "Unauthorized", "message": "AKV10000"}},
                        {"WWW-Authenticate": challenge})
    parts = request.path.strip("/").split("/")
    if request.method != "GET" or parts[0] != "secrets" or parts[1] not in SECRETS:
        return Response(404, {"error": {"code": "SecretNotFound",
                                        "message": f"A secret with (name/id) {parts[-1]} was not found"}})
    return Response(200, {"value": SECRETS[parts[1]], "id": f"{url}/secrets/{parts[1]}/0123456789abcdef",
                          "attributes": {"enabled": True, "created": 1767225600, "updated": 1767225600,
                                         "recoveryLevel": "Recoverable+Purgeable"}})


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeHttpsServer, StaticCredential]]:
    credential = StaticCredential()
    resolve_fake_names(monkeypatch)
    server = FakeHttpsServer(lambda r: fake_key_vault(server.url, r), tmp_path, host=f"retail-dev.vault{FAKE_DOMAIN}")
    with server:
        monkeypatch.setenv("RETAIL_KEY_VAULT_URL", server.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.certificate))
        monkeypatch.setattr(secrets, "credential", lambda: credential)
        yield server, credential


@pytest.fixture
def dev() -> Settings:
    return load_settings("dev")


def test_a_key_vault_reference_is_read_through_the_sdk(vault: tuple, dev: Settings) -> None:
    server, credential = vault
    assert resolve(dev, "pii_hash_key") == SECRETS["pii-hash-key"]
    # The SDK first asks without a token, learns the resource from the challenge, then asks with one.
    assert [r.headers.get("Authorization") for r in server.requests] == [None, f"Bearer {TOKEN}"]
    assert server.requests[-1].path.rstrip("/") == "/secrets/pii-hash-key"
    assert credential.scopes == [(server.url.replace("//retail-dev.", "//") + "/.default",)]


def test_a_missing_secret_fails_clearly_without_a_value(vault: tuple, dev: Settings) -> None:
    ref = dev.secrets["pii_hash_key"].model_copy(update={"key_vault_secret": "no-such-secret"})
    with pytest.raises(SecretError, match="cannot read secret 'no-such-secret'") as error:
        secrets.resolve_ref(dev, ref)
    assert SECRETS["pii-hash-key"] not in str(error.value)


def test_environment_and_generated_references(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    local = load_settings("local")
    monkeypatch.setenv("RETAIL_CACHE_DIR", str(tmp_path))
    first = resolve(local, "pii_hash_key")
    assert len(first) == 64 and resolve(local, "pii_hash_key") == first  # made once, then reused
    ref = local.secrets["pii_hash_key"].model_copy(update={"generated": None, "env": "RETAIL_TEST_SECRET"})
    with pytest.raises(SecretError, match="RETAIL_TEST_SECRET is not set"):
        secrets.resolve_ref(local, ref)
    monkeypatch.setenv("RETAIL_TEST_SECRET", "from-the-shell")
    assert secrets.resolve_ref(local, ref) == "from-the-shell"
