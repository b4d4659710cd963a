"""One publisher per artifact type: where it lives in the REST API, which SDK operations write, delete and list
it, how its body is sent, and its place in the release order.

The body: pipelines, notebooks and SQL scripts go as the Git file's raw JSON (their SDK operations accept bytes,
so nothing is lost); the other types' operations only take a model, built with `Model.deserialize` from the
Git JSON (the workspace validator's SDK rules reject artifacts the model would lose properties of). Credentials
have no SDK operation at all: raw REST. Plans always compare and hash the Git JSON, never the model.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Literal

from azure.synapse.artifacts import models

Body = Literal["raw", "properties"]


@dataclass(frozen=True)
class Publisher:
    kind: str  # Studio's folder name; also the type name of filters and overrides
    collection: str  # the REST collection: /{collection}/{name}
    rank: int  # the release order of the issue (linked services first, triggers last); levels refine it
    operations: str | None  # the ArtifactsClient attribute holding its operations; None: raw REST
    create: str = ""
    delete: str = ""
    list: str = ""
    model: type[models.Model] | None = None  # the SDK's *Resource model
    body: Body = "raw"

    def sdk_body(self, data: dict[str, Any]) -> Any:
        """What the SDK's create-or-update operation takes for this Git JSON."""
        if self.body == "raw":
            return json.dumps(data).encode("utf-8")
        assert self.model is not None
        return self.model.deserialize(copy.deepcopy(data)).properties  # deserialize pops discriminators

    @property
    def via_sdk(self) -> bool:
        return self.operations is not None


def _sdk(kind: str, collection: str, rank: int, operations: str, noun: str, plural: str,
         model: type[models.Model], body: Body) -> Publisher:
    return Publisher(kind, collection, rank, operations, create=f"begin_create_or_update_{noun}",
                     delete=f"begin_delete_{noun}", list=f"get_{plural}_by_workspace", model=model, body=body)


PUBLISHERS: dict[str, Publisher] = {p.kind: p for p in (
    Publisher("credential", "credentials", 0, None),
    _sdk("linkedService", "linkedservices", 0, "linked_service", "linked_service", "linked_services",
         models.LinkedServiceResource, "properties"),
    _sdk("dataset", "datasets", 1, "dataset", "dataset", "datasets", models.DatasetResource, "properties"),
    _sdk("dataflow", "dataflows", 1, "data_flow", "data_flow", "data_flows", models.DataFlowResource, "properties"),
    _sdk("notebook", "notebooks", 2, "notebook", "notebook", "notebooks", models.NotebookResource, "raw"),
    _sdk("sparkJobDefinition", "sparkJobDefinitions", 2, "spark_job_definition", "spark_job_definition",
         "spark_job_definitions", models.SparkJobDefinitionResource, "properties"),
    _sdk("sqlscript", "sqlScripts", 2, "sql_script", "sql_script", "sql_scripts", models.SqlScriptResource, "raw"),
    _sdk("pipeline", "pipelines", 3, "pipeline", "pipeline", "pipelines", models.PipelineResource, "raw"),
    _sdk("trigger", "triggers", 4, "trigger", "trigger", "triggers", models.TriggerResource, "properties"),
)}
KINDS = tuple(PUBLISHERS)  # in release order


def kind_named(text: str) -> str | None:
    """The kind a filter or message names, case-insensitively (`Pipeline`, `linkedservice`), or None."""
    return next((kind for kind in PUBLISHERS if kind.lower() == text.lower()), None)
