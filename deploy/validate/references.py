"""References between artifacts, checked before anything is published: Synapse accepts a dataset whose linked
service does not exist and fails only when a pipeline runs, and a deployer publishing in dependency order needs
every reference to resolve.

A reference is any object `{"referenceName": ..., "type": "<X>Reference"}` (activity inputs/outputs/dataset,
dataset -> linked service, linked service -> integration runtime and Key Vault store, ExecutePipeline, notebook
and Spark job activities, notebook and Spark job definition -> Spark pool, trigger -> pipeline). Spark pools are
not workspace artifacts (they are ARM resources): they resolve to a pool definition file `<pools>/<name>.json`.
A name written as an expression (`@...`) is resolved only at run time and is not checked. References to a
dedicated SQL pool (`SqlPoolReference`) are not checked: the pool is an ARM resource with no definition here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deploy.validate.activities import all_activities
from deploy.validate.expressions import is_expression
from deploy.validate.jsonpath import child, objects
from deploy.validate.model import Hit
from deploy.validate.procedures import procedure_key
from deploy.validate.workspace import Artifact

if TYPE_CHECKING:
    from deploy.validate.context import Context

POOL = "Spark pool"
TARGETS = {
    "LinkedServiceReference": "linkedService",
    "DatasetReference": "dataset",
    "PipelineReference": "pipeline",
    "NotebookReference": "notebook",
    "SparkJobDefinitionReference": "sparkJobDefinition",
    "DataFlowReference": "dataflow",
    "IntegrationRuntimeReference": "integrationRuntime",
    "CredentialReference": "credential",
    "BigDataPoolReference": POOL,
}
BUILT_IN = {("integrationRuntime", "AutoResolveIntegrationRuntime")}  # every workspace has it, file or not
PROCEDURE_ACTIVITIES = ("SqlPoolStoredProcedure", "SqlServerStoredProcedure")


@dataclass(frozen=True)
class Reference:
    """A static reference: where its `referenceName` is, which kind it targets, and the name."""

    path: str
    target: str
    name: str


@dataclass(frozen=True)
class Call:
    """Arguments passed along a reference (dataset and linked service parameters, ExecutePipeline and trigger
    pipeline parameters): the reference, and the arguments object with its path."""

    reference: Reference
    arguments: dict[str, Any]
    path: str


def references(artifact: Artifact) -> Iterator[Reference]:
    """Every static reference in an artifact, in file order."""
    for path, value in objects(artifact.data):
        target = _target(value)
        name = value.get("referenceName")
        if target and isinstance(name, str) and not is_expression(name):
            yield Reference(child(path, "referenceName"), target, name)


def _target(value: dict[str, Any]) -> str | None:
    kind = value.get("type")
    return TARGETS.get(kind) if isinstance(kind, str) else None


def calls(artifact: Artifact) -> Iterator[Call]:
    """Every reference that passes parameters to a dataset, linked service or pipeline."""
    for path, value in objects(artifact.data):
        target = _target(value)
        name = value.get("referenceName")
        if target in ("dataset", "linkedService") and isinstance(name, str) and not is_expression(name):
            arguments = value.get("parameters")
            yield Call(Reference(child(path, "referenceName"), target, name),
                       arguments if isinstance(arguments, dict) else {}, child(path, "parameters"))
    if artifact.kind == "pipeline":
        for placed in all_activities(artifact):
            pipeline = placed.type_properties.get("pipeline")
            if placed.type == "ExecutePipeline" and isinstance(pipeline, dict):
                yield from _pipeline_call(pipeline, placed.type_properties.get("parameters"),
                                          child(placed.path, "typeProperties"))
    if artifact.kind == "trigger":
        pipelines = artifact.properties.get("pipelines")
        for index, entry in enumerate(pipelines if isinstance(pipelines, list) else []):
            if isinstance(entry, dict) and isinstance(entry.get("pipelineReference"), dict):
                yield from _pipeline_call(entry["pipelineReference"], entry.get("parameters"),
                                          child(child("$.properties", "pipelines"), index), "pipelineReference")


def _pipeline_call(reference: dict[str, Any], arguments: Any, base: str, key: str = "pipeline") -> Iterator[Call]:
    name = reference.get("referenceName")
    if isinstance(name, str) and not is_expression(name):
        yield Call(Reference(child(child(base, key), "referenceName"), "pipeline", name),
                   arguments if isinstance(arguments, dict) else {}, child(base, "parameters"))


def dangling_references(context: Context) -> Iterator[Hit]:
    for artifact in context.workspace.artifacts:
        for reference in references(artifact):
            if reference.target == POOL:
                if not context.pool_exists(reference.name):
                    yield Hit(artifact.file, reference.path,
                              f"Spark pool {reference.name!r} has no definition "
                              f"({context.pools / (reference.name + '.json')} does not exist)")
            elif ((reference.target, reference.name) not in BUILT_IN
                  and context.workspace.get(reference.target, reference.name) is None):
                yield Hit(artifact.file, reference.path,
                          f"no {reference.target} named {reference.name!r} "
                          f"({reference.target}/{reference.name}.json does not exist)")


def key_vault_stores(context: Context) -> Iterator[Hit]:
    """An AzureKeyVaultSecret's `store` must be an AzureKeyVault linked service: any other type fails when the
    secret is resolved, at run time."""
    for artifact in context.workspace.artifacts:
        for path, value in objects(artifact.data):
            store = value.get("store")
            if value.get("type") != "AzureKeyVaultSecret" or not isinstance(store, dict):
                continue
            name = store.get("referenceName")
            target = context.workspace.get("linkedService", name) if isinstance(name, str) else None
            if target is not None and target.properties.get("type") != "AzureKeyVault":
                yield Hit(artifact.file, child(child(path, "store"), "referenceName"),
                          f"secret store {name!r} is a {target.properties.get('type')} linked service, "
                          "not AzureKeyVault")


def undeclared_arguments(context: Context) -> Iterator[Hit]:
    for artifact, call, target in _resolved_calls(context):
        declared = _parameters(target)
        for name in call.arguments:
            if name not in declared:
                yield Hit(artifact.file, child(call.path, name),
                          f"{call.reference.target} {call.reference.name!r} declares no parameter {name!r} "
                          f"(it declares: {', '.join(sorted(declared)) or 'none'})")


def missing_arguments(context: Context) -> Iterator[Hit]:
    for artifact, call, target in _resolved_calls(context):
        for name, spec in _parameters(target).items():
            if name not in call.arguments and not (isinstance(spec, dict) and "defaultValue" in spec):
                yield Hit(artifact.file, call.reference.path,
                          f"{call.reference.target} {call.reference.name!r} needs parameter {name!r} (it has no "
                          "default value) and this reference does not pass it")


def _resolved_calls(context: Context) -> Iterator[tuple[Artifact, Call, Artifact]]:
    for artifact in context.workspace.artifacts:
        for call in calls(artifact):
            target = context.workspace.get(call.reference.target, call.reference.name)
            if target is not None:
                yield artifact, call, target


def _parameters(artifact: Artifact) -> dict[str, Any]:
    parameters = artifact.properties.get("parameters")
    return parameters if isinstance(parameters, dict) else {}


def missing_procedures(context: Context) -> Iterator[Hit]:
    """A stored procedure activity on the dedicated pool (SqlPoolStoredProcedure, or SqlServerStoredProcedure
    through an AzureSqlDW linked service) must call a procedure some script of the SQL project creates."""
    for pipeline in context.workspace.of("pipeline"):
        for placed in all_activities(pipeline):
            if placed.type not in PROCEDURE_ACTIVITIES or not _on_dedicated_pool(context, placed.data):
                continue
            written = placed.type_properties.get("storedProcedureName")
            path = child(child(placed.path, "typeProperties"), "storedProcedureName")
            if isinstance(written, dict):
                written, path = written.get("value"), child(path, "value")
            if not isinstance(written, str) or is_expression(written):
                continue
            procedures = context.procedures
            if not isinstance(procedures, set):
                yield Hit(pipeline.file, path, f"cannot check {written!r}: the SQL project does not load "
                                               f"({procedures})")
            elif procedure_key(written) not in procedures:
                yield Hit(pipeline.file, path, f"procedure {procedure_key(written)} is not created by any script of "
                                               "the SQL project (CREATE PROCEDURE in sql_pools/database)")


def _on_dedicated_pool(context: Context, activity: dict[str, Any]) -> bool:
    if activity.get("type") == "SqlPoolStoredProcedure":
        return True
    service = activity.get("linkedServiceName")
    name = service.get("referenceName") if isinstance(service, dict) else None
    target = context.workspace.get("linkedService", name) if isinstance(name, str) else None
    return target is not None and target.properties.get("type") == "AzureSqlDW"
