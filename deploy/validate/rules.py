"""The rule catalogue: every check the workspace validator runs, as data (id, name, severity, what it catches).
Each rule's `check` lives in the module named for what it checks."""

from __future__ import annotations

from deploy.validate import (
    credentials,
    cycles,
    expression_scope,
    names,
    references,
    sdk_round_trip,
    secrets_in_clear,
)
from deploy.validate.context import Context
from deploy.validate.model import Hit, Rule
from retail.findings import Severity

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def _unreadable(context: Context) -> list[Hit]:
    return context.workspace.unreadable


def _unexpected(context: Context) -> list[Hit]:
    return context.workspace.unexpected


RULES: tuple[Rule, ...] = (
    # layout
    Rule("WS001", "unreadable-artifact", ERROR,
         "An artifact file that is not a JSON object with a name and a properties object: Studio cannot open it.",
         _unreadable),
    Rule("WS002", "unexpected-file", WARNING,
         "A file or folder Synapse Git integration does not read (the root holds only the artifact folders and "
         "publish_config.json): it is never published.",
         _unexpected),
    # 1. SDK round trip
    Rule("SDK001", "sdk-drops-property", ERROR,
         "A property the azure-synapse-artifacts model does not declare: the SDK drops it silently, so whatever "
         "goes through the models publishes something other than Git.",
         sdk_round_trip.dropped_properties),
    Rule("SDK002", "sdk-cannot-read", ERROR,
         "The artifact does not deserialize into its SDK model (a value of the wrong JSON type).",
         sdk_round_trip.not_deserializable),
    Rule("SDK003", "unknown-type", ERROR,
         "A `type` the SDK has no model for (misspelt activity, dataset or linked service type): the object "
         "loses its type.",
         sdk_round_trip.unknown_types),
    Rule("SDK004", "sdk-rewrites-value", WARNING,
         "A value the SDK sends differently, such as a datetime without zone sent as UTC (for a trigger with a "
         "timeZone, another time).",
         sdk_round_trip.rewritten_values),
    Rule("SDK005", "credential-shape", ERROR,
         "A credential (no SDK model) that is not ManagedIdentity or ServicePrincipal with their typeProperties.",
         credentials.credential_shape),
    # 2. names
    Rule("NAM001", "name-differs-from-file", ERROR,
         "The artifact's name differs from its file name: Studio keeps <name>.json, and publishing creates an "
         "artifact under the other name.",
         names.name_matches_file),
    Rule("NAM002", "invalid-name", ERROR,
         "An artifact or activity name the service rejects (length, first character, < > * # . % & : \\ + ? /).",
         names.invalid_names),
    Rule("NAM003", "duplicate-activity-name", ERROR,
         "Two activities of one pipeline share a name; dependsOn and activity() address activities by name.",
         names.duplicate_activity_names),
    # 3. references
    Rule("REF001", "dangling-reference", ERROR,
         "A reference to an artifact (or Spark pool definition) that does not exist.",
         references.dangling_references),
    Rule("REF002", "secret-store-not-key-vault", ERROR,
         "An AzureKeyVaultSecret whose store is not an AzureKeyVault linked service.",
         references.key_vault_stores),
    Rule("REF003", "missing-stored-procedure", ERROR,
         "A stored procedure activity on the dedicated pool calls a procedure the SQL project does not create.",
         references.missing_procedures),
    Rule("REF004", "undeclared-argument", ERROR,
         "A parameter passed to a dataset, linked service or pipeline that it does not declare.",
         references.undeclared_arguments),
    Rule("REF005", "missing-argument", ERROR,
         "A dataset, linked service or pipeline parameter without default value that a reference does not pass.",
         references.missing_arguments),
    # 4. expressions
    Rule("EXP001", "undeclared-parameter", ERROR,
         "pipeline().parameters.X, dataset().X or linkedService().X where X is not declared.",
         expression_scope.undeclared_parameters),
    Rule("EXP002", "undeclared-variable", ERROR,
         "variables('X') or a Set/Append Variable activity for a variable the pipeline does not declare.",
         expression_scope.undeclared_variables),
    Rule("EXP003", "activity-not-upstream", ERROR,
         "activity('X') where X has not run when the expression is evaluated (not upstream by dependsOn).",
         expression_scope.activity_not_upstream),
    Rule("EXP004", "item-outside-foreach", ERROR,
         "item() outside the activities of a ForEach.",
         expression_scope.item_outside_foreach),
    Rule("EXP005", "function-not-available", ERROR,
         "A system function used where it is undefined: dataset() outside a dataset, linkedService() outside a "
         "linked service, trigger() outside a trigger's pipeline parameters, pipeline() etc. outside a pipeline.",
         expression_scope.not_available_here),
    Rule("EXP006", "unparsable-expression", ERROR,
         "An expression (@... or @{...}) that does not parse.",
         expression_scope.unparsable),
    # 5. secrets
    Rule("SEC001", "clear-text-secret", ERROR,
         "A password, key, SAS signature or encrypted credential written in the file instead of a Key Vault "
         "reference or a parameter.",
         secrets_in_clear.clear_text_secrets),
    Rule("SEC002", "token-like-literal", WARNING,
         "A literal that looks like a key or token (long high-entropy base64, or a JWT).",
         secrets_in_clear.token_literals),
    # 6. cycles
    Rule("CYC001", "execute-pipeline-cycle", ERROR,
         "Pipelines that run each other through ExecutePipeline in a cycle.",
         cycles.pipeline_cycles),
    Rule("CYC002", "depends-on-cycle", ERROR,
         "Activities of one list that depend on each other in a cycle.",
         cycles.dependency_cycles),
    Rule("CYC003", "unknown-dependency", ERROR,
         "dependsOn names an activity that is not in the same activity list.",
         cycles.unknown_dependencies),
)
