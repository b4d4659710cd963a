"""The rule catalogue: what `retail model validate` checks, as data. Each rule names its check and carries the
explanation printed under its findings. Rules taken from Microsoft's Best Practice Analyzer name the BPA rule id
(microsoft/Analysis-Services, BestPracticeRules/BPARules.json); a column or table can record a deliberate exception
the way Tabular Editor does, with `annotation BestPracticeAnalyzer_IgnoreRules = {"RuleIDs":["<BPA id>"]}` (honoured
where the explanation says so)."""

from __future__ import annotations

from retail.findings import Severity
from semantic_model.validate import checks_files as files
from semantic_model.validate import checks_model as model
from semantic_model.validate.model import Rule

E, W = Severity.ERROR, Severity.WARNING

RULES: tuple[Rule, ...] = (
    # The PBIP files --------------------------------------------------------------------------------------------
    Rule("PBIP001", "files-present", E,
         "Power BI Desktop opens a project from its .pbip shortcut; the semantic model folder needs definition.pbism "
         "and definition/ (database.tmdl, model.tmdl, tables/), the report folder definition.pbir and, in the PBIR "
         "format, definition/ with version.json, report.json and pages/pages.json. A missing file stops Desktop "
         "and the Fabric definition API alike.", files.files_present),
    Rule("PBIP002", "tmdl-syntax", E,
         "TMDL is indentation based: an object (`table x`), its properties one level deeper (`name: value`, a "
         "boolean alone, `name = expression`), expressions deeper still or fenced in ```, `///` descriptions right "
         "above a declaration. A file that does not read is rejected by Desktop and by the service; the other model "
         "checks are skipped until it reads.", files.tmdl_syntax),
    Rule("PBIP003", "json-schema", E,
         "definition.pbism, definition.pbir, the .pbip, .platform and the PBIR files (version.json, report.json, "
         "pages.json, page.json, visual.json) follow published JSON schemas "
         "(https://developer.microsoft.com/json-schemas/fabric/...). The required properties and allowed values "
         "are restated in semantic_model/schemas/ with their source; a file breaking them does not load.",
         files.json_schemas),
    Rule("PBIP004", "schema-version-not-stored", W,
         "The file declares a schema version this project has no restatement of (Desktop moves to newer versions "
         "when it saves). It was checked against the stored version of the same schema without its $schema "
         "constraint; add the new version's restatement to semantic_model/schemas/.", files.schema_versions),
    Rule("PBIP005", "model-refs", E,
         "model.tmdl lists the model's tables and roles with `ref table x` / `ref role x` (their order in Desktop). "
         "A ref to an object no file declares fails the load.", files.model_refs),
    Rule("PBIP006", "file-references", E,
         "The files point at each other: the .pbip at the report folder, definition.pbir at the semantic model "
         "(exactly one of byPath, for local use, and byConnection, which the publisher writes for the service), "
         "pages.json at the page folders (pageOrder, activePageName), and each page.json and visual.json carries "
         "its folder's name. A dangling reference leaves a report without its model or a page out.",
         files.file_references),
    # The contract with the SQL project -----------------------------------------------------------------------
    Rule("SQL001", "source-is-a-reporting-view", E,
         "Every table reads a view of the rpt schema (R__10_reporting_views.sql), the contract between the warehouse "
         "and Power BI: the Power BI principal (retail_powerbi) is granted SELECT on rpt only, and the views are "
         "what the tests reconcile against the Spark marts. A partition naming a missing view, or a table outside "
         "rpt, fails at refresh or at the first DirectQuery query.", model.source_views),
    Rule("SQL002", "source-uses-parameters", E,
         "Partitions connect with Sql.Database(SqlEndpoint, SqlDatabase), the two model parameters (expressions with "
         "IsParameterQuery=true) that the publisher sets per environment. A hard-coded server would point test and "
         "production reports at dev.", model.source_parameters),
    Rule("SQL003", "column-in-view", E,
         "A data column's sourceColumn must be an output column of the view (or native query) its partition reads. "
         "A renamed or dropped view column breaks refresh and every DirectQuery visual using the table.",
         model.columns_in_views),
    Rule("SQL004", "column-type", E,
         "The model data type must match the view column's T-SQL type, resolved through the view to the tables the "
         "migrations declare: int64 for BIGINT/INT, decimal (fixed decimal) for DECIMAL, double for FLOAT, "
         "dateTime for DATE/DATETIME2, boolean for BIT, string for NVARCHAR. A mismatch converts every value in "
         "every DirectQuery query, loses precision (DECIMAL as double) or fails (text as a number).",
         model.column_types),
    # Relationships ---------------------------------------------------------------------------------------------
    Rule("REL001", "relationship-endpoints", E,
         "A relationship's fromColumn and toColumn (Table.Column) must exist; Desktop refuses the model otherwise.",
         model.relationship_endpoints),
    Rule("REL002", "relationship-types", E,
         "Both ends of a relationship have the same data type (here int64 surrogate keys); Power BI does not join "
         "columns of different types.", model.relationship_types),
    Rule("REL003", "no-bidirectional-filters", E,
         "BPA AVOID_BI-DIRECTIONAL_RELATIONSHIPS_AGAINST_HIGH-CARDINALITY_COLUMNS / CHECK_IF_BI-DIRECTIONAL_AND_"
         "MANY-TO-MANY_RELATIONSHIPS_ARE_VALID. A filter flowing from a fact back to its dimensions makes every "
         "slicer on a large DirectQuery table run extra SQL and creates ambiguous paths; DirectQuery guidance is "
         "single-direction, many-to-one relationships from facts to dimensions.", model.bidirectional),
    Rule("REL004", "no-many-to-many", E,
         "BPA MANY-TO-MANY_RELATIONSHIPS_SHOULD_BE_SINGLE-DIRECTION. A star schema relates each fact key to a "
         "dimension's unique key; many-to-many relationships are slow in DirectQuery and hide modelling errors.",
         model.many_to_many),
    Rule("REL005", "referential-integrity-only-where-true", E,
         "relyOnReferentialIntegrity makes DirectQuery join with INNER JOIN: faster, but a fact row whose key finds "
         "no dimension row silently disappears from totals. It is true only where the warehouse guarantees it: a "
         "NOT NULL key into a dimension with the -1/-2 unknown members (store, product, customer, channel, "
         "supplier), or a date key whose dates the gold job's date dimension spans by construction (sales, stock "
         "counts, order and promised dates; not feedback or receipt dates, and never a nullable key such as "
         "received_date_key).", model.referential_integrity_allowed),
    Rule("REL006", "assume-referential-integrity", W,
         "DirectQuery guidance: where every key is known to resolve (see REL005), set relyOnReferentialIntegrity so "
         "the queries use INNER JOIN, which the pool runs faster than OUTER JOIN.",
         model.referential_integrity_missed),
    # DAX ---------------------------------------------------------------------------------------------------------
    Rule("DAX001", "dax-references-exist", E,
         "Every 'Table'[Column], Table[Column], [Measure] and table a measure, calculated column or role filter names "
         "must exist in the model. A dangling reference makes the measure (or the whole role) fail at query time.",
         model.dax_references),
    Rule("DAX002", "dax-qualification", W,
         "BPA DAX_COLUMNS_FULLY_QUALIFIED and DAX_MEASURES_UNQUALIFIED: write columns as Table[Column] and measures "
         "as [Measure], so a reader (and the engine) cannot mistake one for the other.", model.dax_qualification),
    Rule("DAX003", "divide-function", W,
         "BPA USE_THE_DIVIDE_FUNCTION_FOR_DIVISION: DIVIDE returns blank on a zero denominator instead of an error "
         "or infinity.", model.divide_function),
    Rule("DAX004", "directquery-time-intelligence", W,
         "BPA MEASURES_USING_TIME_INTELLIGENCE_AND_MODEL_IS_USING_DIRECT_QUERY: time intelligence functions generate "
         "heavy SQL over DirectQuery; keep measures simple (DirectQuery guidance) or precompute in the warehouse.",
         model.time_intelligence),
    Rule("DAX005", "no-iferror", W,
         "BPA AVOID_USING_THE_IFERROR_FUNCTION: IFERROR forces cell-by-cell evaluation; use DIVIDE or test the "
         "condition.", model.iferror),
    Rule("DAX006", "inactive-relationship-used", W,
         "BPA INACTIVE_RELATIONSHIPS_THAT_ARE_NEVER_ACTIVATED: an inactive relationship does nothing unless a "
         "measure activates it with USERELATIONSHIP.", model.inactive_relationships),
    # Columns and measures (BPA) -----------------------------------------------------------------------------------
    Rule("BPA001", "no-floating-point", E,
         "BPA AVOID_FLOATING_POINT_DATA_TYPES: double brings round-off errors and slower storage; use int64 or "
         "decimal (fixed decimal, 4 decimals). Never double where the view returns DECIMAL. Where the view itself "
         "returns FLOAT (a square root, an average of FLOATs) the column may stay double only hidden, read through "
         "a fixed-decimal measure (CONVERT(..., CURRENCY)), and with the exception recorded in a "
         "BestPracticeAnalyzer_IgnoreRules annotation.", model.floating_point),
    Rule("BPA002", "measure-format-string", E,
         "BPA PROVIDE_FORMAT_STRING_FOR_MEASURES: a visible measure without a format string shows raw numbers "
         "(0.2345 for a percentage, 15 decimals for a ratio).", model.measure_format_strings),
    Rule("BPA003", "numeric-column-format-string", W,
         "Numeric columns carry a format string (keys `0`, counts `#,0`, amounts `#,0.00`) so tables and tooltips "
         "show them consistently.", model.column_format_strings),
    Rule("BPA004", "numeric-summarize-by-none", E,
         "BPA NUMERIC_COLUMN_SUMMARIZE_BY: visible numeric columns and every key have summarizeBy: none, so nobody "
         "sums a key or an amount implicitly (the model sets discourageImplicitMeasures); aggregate with measures.",
         model.summarize_by_none),
    Rule("BPA005", "hide-foreign-keys", E,
         "BPA HIDE_FOREIGN_KEYS: a fact's foreign keys are hidden; report authors filter by the dimension's "
         "attributes, which also lets Power BI use the aggregation table and the dual dimensions.",
         model.hide_foreign_keys),
    Rule("BPA006", "mark-primary-keys", W,
         "BPA MARK_PRIMARY_KEYS: a dimension's key column (the one side of its relationships) has isKey, except on "
         "the date table, whose key is its date column.", model.mark_primary_keys),
    Rule("BPA007", "data-column-source", E,
         "BPA DATA_COLUMNS_MUST_HAVE_A_SOURCE_COLUMN: a data column without sourceColumn fails processing.",
         model.data_column_sources),
    Rule("BPA008", "measure-expression", E,
         "BPA EXPRESSION_RELIANT_OBJECTS_MUST_HAVE_AN_EXPRESSION: a measure without an expression shows nothing.",
         model.measure_expressions),
    Rule("BPA009", "measure-documentation", W,
         "BPA OBJECTS_WITH_NO_DESCRIPTION, and this project's convention: every visible measure has a description "
         "(shown on hover in the field list) and a display folder (Sales, Inventory, Suppliers, Customers, "
         "Feedback).", model.measure_documentation),
    Rule("BPA010", "hide-fact-columns", W,
         "BPA HIDE_FACT_TABLE_COLUMNS: numeric fact columns that measures aggregate are hidden, so report authors use "
         "the measures (and the aggregation they are mapped to).", model.hide_fact_columns),
    Rule("BPA011", "date-table", W,
         "BPA MODEL_SHOULD_HAVE_A_DATE_TABLE: mark the date dimension as the date table (dataCategory: Time and an "
         "isKey dateTime column).", model.date_table),
    Rule("BPA012", "minimize-power-query", W,
         "BPA MINIMIZE_POWER_QUERY_TRANSFORMATIONS: joins, groupings and native queries in Power Query belong in the "
         "warehouse (a view). Honours a BestPracticeAnalyzer_IgnoreRules annotation on the table, as for the import "
         "aggregation table whose grouping runs once per refresh.", model.power_query_transformations),
    Rule("BPA013", "partition-name", W,
         "BPA PARTITION_NAME_SHOULD_MATCH_TABLE_NAME_FOR_SINGLE_PARTITION_TABLES.", model.partition_names),
    # Aggregations and storage modes ---------------------------------------------------------------------------
    Rule("AGG001", "sales-aggregation-exists", E,
         "BPA MODEL_USING_DIRECT_QUERY_AND_NO_AGGREGATIONS, made specific: the sales fact is the largest DirectQuery "
         "table and most visuals ask for it by day, region and category, so an aggregation table (columns with "
         "alternateOf) maps to it and answers those queries from memory.", model.sales_aggregation),
    Rule("AGG002", "aggregation-mappings", E,
         "Power BI's aggregation validations: summarization is sum, min, max, count or groupBy; the base column or "
         "table exists; an aggregation column has its detail column's data type (count columns are int64); the "
         "detail table is DirectQuery; aggregations are not chained. A mapping that breaks them is rejected when "
         "the model loads.", model.aggregation_mappings),
    Rule("AGG003", "aggregation-dimensions-dual", E,
         "A dimension related to both an aggregation table and its DirectQuery detail table must be dual, so a query "
         "can join it in memory with the aggregation or in SQL with the detail table; otherwise queries through "
         "it miss the aggregation.", model.aggregation_dimensions_dual),
    Rule("STO001", "storage-modes", W,
         "DirectQuery guidance: a dimension of a DirectQuery fact is dual. As DirectQuery it would query the pool "
         "for every slicer; as import it would make limited relationships to the fact (slow, and no referential "
         "integrity).", model.storage_modes),
    # Row-level security ---------------------------------------------------------------------------------------------
    Rule("RLS001", "regional-roles-cover-store-data", E,
         "The pool exempts the Power BI principal from its region filter, so the model's roles are the only filter "
         "report users get. A role that filters anything must reach every table holding store rows (store_key) "
         "through dim_store's one-to-many relationships; a table it misses shows every region to its members.",
         model.regional_roles),
    Rule("RLS003", "aggregation-security", E,
         "Power BI's rules for aggregations under row-level security: a role filter on an aggregation table is not "
         "allowed (it cannot be applied to the detail table); a filter on the detail side reaches an aggregation "
         "through its GroupBy columns, so the aggregation needs a GroupBy column for every column a role filters "
         "on (here dim_store[region]), or the role's queries always fall back to DirectQuery.",
         model.aggregation_security),
    Rule("RLS002", "simple-rls", W,
         "BPA LIMIT_ROW_LEVEL_SECURITY_(RLS)_LOGIC: string functions (LEFT, RIGHT, UPPER, LOWER, FIND) in a role "
         "filter run for every row of every query; compute the value in the warehouse.", model.simple_rls),
    # The report -----------------------------------------------------------------------------------------------------
    Rule("REP001", "report-fields-exist", E,
         "Every field a visual shows (Entity and Property of a Column or Measure) must be a column or measure of that "
         "table in the model; a missing one renders the visual as an error.", files.report_fields),
)
