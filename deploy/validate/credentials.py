"""Credentials have no model in `azure-synapse-artifacts` (they are published over raw REST), so nothing else
would notice a malformed one before the publish does. Their shape, from the 2020-12-01 data-plane spec
(entityTypes/Credential.json): `type` ManagedIdentity (optional typeProperties.resourceId, a user-assigned
identity) or ServicePrincipal (typeProperties servicePrincipalId, tenant, servicePrincipalKey as a secret)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from deploy.validate.jsonpath import child
from deploy.validate.model import Hit

if TYPE_CHECKING:
    from deploy.validate.context import Context

COMMON = frozenset({"type", "description", "annotations", "typeProperties"})
TYPE_PROPERTIES = {
    "ManagedIdentity": (frozenset({"resourceId"}), frozenset()),  # (allowed, required)
    "ServicePrincipal": (frozenset({"servicePrincipalId", "tenant", "servicePrincipalKey"}),
                         frozenset({"servicePrincipalId", "tenant", "servicePrincipalKey"})),
}
SECRET_TYPES = frozenset({"SecureString", "AzureKeyVaultSecret"})


def credential_shape(context: Context) -> Iterator[Hit]:
    for artifact in context.workspace.of("credential"):
        yield from (Hit(artifact.file, path, message) for path, message in shape_problems(artifact.properties))


def shape_problems(properties: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, message) for each way `properties` departs from a credential's shape."""
    base = "$.properties"
    kind = properties.get("type")
    if kind not in TYPE_PROPERTIES:
        yield child(base, "type"), f"credential type {kind!r}: Synapse knows ManagedIdentity and ServicePrincipal"
        return
    for key in properties.keys() - COMMON:
        yield child(base, key), f"{key!r} is not a property of a {kind} credential"
    type_properties = properties.get("typeProperties", {})
    where = child(base, "typeProperties")
    if not isinstance(type_properties, dict):
        yield where, "typeProperties is an object"
        return
    allowed, required = TYPE_PROPERTIES[kind]
    for key in type_properties.keys() - allowed:
        yield child(where, key), f"{key!r} is not a property of a {kind} credential (expected: {sorted(allowed)})"
    for key in sorted(required - type_properties.keys()):
        yield where, f"a {kind} credential needs typeProperties.{key}"
    resource_id = type_properties.get("resourceId")
    if resource_id is not None and not isinstance(resource_id, str):
        yield child(where, "resourceId"), "resourceId is the ARM id (a string) of a user-assigned identity"
    key = type_properties.get("servicePrincipalKey")
    if key is not None and not (isinstance(key, dict) and key.get("type") in SECRET_TYPES):
        yield child(where, "servicePrincipalKey"), ("servicePrincipalKey is a secret object: "
                                                    '{"type": "AzureKeyVaultSecret", "store": ..., "secretName": ...}')
