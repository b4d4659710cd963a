"""Does each artifact survive `azure-synapse-artifacts`? The SDK builds model objects from the JSON and silently
drops every property its models do not declare, and rewrites some values (datetimes become UTC). A deployer or
tool that goes through the models would publish something other than what is in Git, so each artifact is
deserialized into its model, serialized back with read-only fields kept, and compared with the file.

Credentials have no SDK model (the SDK has no credential operations); `credentials.py` checks their shape.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from azure.synapse.artifacts.models import (
    DataFlowResource,
    DatasetResource,
    IntegrationRuntimeResource,
    LinkedServiceResource,
    NotebookResource,
    PipelineResource,
    SparkJobDefinitionResource,
    SqlScriptResource,
    TriggerResource,
)

from deploy.validate.jsonpath import ROOT, child
from deploy.validate.model import Hit
from deploy.validate.sdk_errors import locate
from deploy.validate.workspace import Artifact

if TYPE_CHECKING:
    from deploy.validate.context import Context

MODELS = {
    "linkedService": LinkedServiceResource,
    "dataset": DatasetResource,
    "pipeline": PipelineResource,
    "trigger": TriggerResource,
    "notebook": NotebookResource,
    "sparkJobDefinition": SparkJobDefinitionResource,
    "sqlscript": SqlScriptResource,
    "integrationRuntime": IntegrationRuntimeResource,
    "dataflow": DataFlowResource,
}
_SDK_LOGGER = "azure.synapse.artifacts"  # logs "Subtype value X has no mapping" and naive-datetime warnings


def round_trip(artifact: Artifact) -> dict[str, Any] | Exception:
    """The artifact as the SDK would send it, or the error the SDK raises while reading it."""
    model = MODELS[artifact.kind]
    with _quiet(_SDK_LOGGER):
        try:  # deserialize pops discriminators (`type`) out of the dict it reads: give it a copy
            return model.deserialize(copy.deepcopy(artifact.data)).serialize(keep_readonly=True)
        except Exception as error:  # msrest raises DeserializationError, but also plain TypeError/AttributeError
            return error


def _round_trips(context: Context) -> list[tuple[Artifact, dict[str, Any] | Exception]]:
    """Each artifact with an SDK model and its round trip, computed once for the four rules that read them."""
    return context.memo("sdk round trips", lambda: [
        (artifact, round_trip(artifact)) for artifact in context.workspace.artifacts if artifact.kind in MODELS])


def not_deserializable(context: Context) -> Iterator[Hit]:
    for artifact, result in _round_trips(context):
        if isinstance(result, Exception):
            with _quiet(_SDK_LOGGER):
                path, reason = locate(MODELS[artifact.kind], artifact.data, ROOT)
            yield Hit(artifact.file, path, f"{MODELS[artifact.kind].__name__}.deserialize fails here: {reason}")


def dropped_properties(context: Context) -> Iterator[Hit]:
    for artifact, result in _round_trips(context):
        if not isinstance(result, Exception):
            for path, kind, _ in differences(artifact.data, result):
                if kind == "dropped":
                    yield Hit(artifact.file, path, f"the SDK drops this property (no field for it in "
                                                   f"{MODELS[artifact.kind].__name__}): publishing through the SDK "
                                                   "models would lose it")


def unknown_types(context: Context) -> Iterator[Hit]:
    for artifact, result in _round_trips(context):
        if not isinstance(result, Exception):
            for path, kind, detail in differences(artifact.data, result):
                if kind == "untyped":
                    yield Hit(artifact.file, path, f"type {detail!r} has no model in the SDK (misspelt, or not a "
                                                   "Synapse type): the object is kept untyped and its type dropped")


def rewritten_values(context: Context) -> Iterator[Hit]:
    for artifact, result in _round_trips(context):
        if not isinstance(result, Exception):
            for path, kind, detail in differences(artifact.data, result):
                if kind == "rewritten":
                    yield Hit(artifact.file, path, f"the SDK rewrites this value: {detail}")


def differences(source: Any, sent: Any, path: str = ROOT) -> Iterator[tuple[str, str, str]]:
    """(path, kind, detail) for each difference between the file and the SDK's serialization of it:
    `dropped` (a property the SDK loses), `untyped` (a discriminator it does not know, so `type` is lost) and
    `rewritten` (a value it changes). Only what the file holds is compared: defaults the SDK adds are fine, and
    a property set to null is the same as an absent one."""
    if isinstance(source, dict) and isinstance(sent, dict):
        for key, value in source.items():
            where = child(path, key)
            if key not in sent:
                if value is None:
                    continue
                if key == "type" and isinstance(value, str):
                    yield where, "untyped", value
                else:
                    yield where, "dropped", ""
            else:
                yield from differences(value, sent[key], where)
    elif isinstance(source, list) and isinstance(sent, list):
        for index, value in enumerate(source):
            if index < len(sent):
                yield from differences(value, sent[index], child(path, index))
            else:
                yield child(path, index), "dropped", ""
    elif not _same(source, sent):
        yield path, "rewritten", f"{_short(source)} is sent as {_short(sent)}"


def _same(source: Any, sent: Any) -> bool:
    if isinstance(source, bool) or isinstance(sent, bool):
        return type(source) is type(sent) and source == sent
    if isinstance(source, int | float) and isinstance(sent, int | float):
        return source == sent
    if isinstance(source, str) and isinstance(sent, str) and source != sent:
        return _same_instant(source, sent)
    return type(source) is type(sent) and source == sent


def _same_instant(source: str, sent: str) -> bool:
    """Both are ISO datetimes with a zone and name the same instant (the SDK adds milliseconds and `Z`). A
    datetime without zone is not the same: the SDK sends it as UTC, which for a trigger with a `timeZone` is
    another time."""
    try:
        left, right = (datetime.fromisoformat(text.replace("Z", "+00:00")) for text in (source, sent))
    except ValueError:
        return False
    return left.tzinfo is not None and right.tzinfo is not None and left == right


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
