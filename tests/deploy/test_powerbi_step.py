"""The Power BI release step against the Fabric fake: the semantic model (with the environment's SQL pool as its
parameters) and the report (bound to it byConnection) are created, then updated in place; throttling is survived;
a model that cannot be bound to the environment fails before any request."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.deployer import InvalidReleaseError
from deploy.endpoint import OperationFailedError
from deploy.steps.powerbi import (
    PBIR_SCHEMA,
    REPORT_DIR,
    SEMANTIC_MODEL_DIR,
    FabricClient,
    FabricError,
    PublishResult,
    prepare,
    publish_powerbi,
    set_parameters,
    validate_powerbi,
)
from retail.settings import Settings, load_settings
from tests.fakes.fabric import FakeFabric

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "powerbi"
FAST = {"poll_interval": 0.01, "retry_backoff_factor": 0.01, "retry_backoff_max": 0.05}
MODEL_PARTS = ["definition.pbism", "definition/database.tmdl", "definition/expressions.tmdl", "definition/model.tmdl",
               "definition/relationships.tmdl", "definition/roles/region_manager.tmdl",
               "definition/tables/dim_store.tmdl", "definition/tables/fact_sales.tmdl", "diagramLayout.json"]
REPORT_PARTS = ["StaticResources/SharedResources/BaseThemes/CY24SU10.json", "definition.pbir",
                "definition/pages/overview/page.json", "definition/pages/overview/visuals/sales_card/visual.json",
                "definition/pages/pages.json", "definition/report.json", "definition/version.json"]


@pytest.fixture
def settings() -> Settings:
    return load_settings("test")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the fixture project with Power BI Desktop's local files, which must never be published."""
    root = tmp_path / "pbip"
    shutil.copytree(FIXTURES, root)
    for item in ("Retail.SemanticModel", "Retail.Report"):
        (root / item / ".pbi").mkdir()
        (root / item / ".pbi" / "localSettings.json").write_text("{}", encoding="utf-8")
    (root / "Retail.SemanticModel" / ".pbi" / "cache.abf").write_bytes(b"\x00cache")
    return root


@pytest.fixture
def fake(tmp_path: Path, settings: Settings) -> Iterator[FakeFabric]:
    assert settings.powerbi is not None
    with FakeFabric(tmp_path, workspaces=[settings.powerbi.workspace_id], poll_count=2) as server:
        yield server


def publish(fake: FakeFabric, settings: Settings, project: Path, **options: Any) -> PublishResult:
    options = {"model_dir": project / "Retail.SemanticModel", "report_dir": project / "Retail.Report", **FAST,
               **options}
    return publish_powerbi(settings, fake.credential, endpoint=fake.endpoint, **options)


def parameter(tmdl: str, name: str) -> str:
    match = re.search(rf'^expression {name} = "([^"]*)" meta \[IsParameterQuery=true, Type="Text", '
                      r"IsParameterQueryRequired=true\]$", tmdl, re.MULTILINE)
    assert match, f"no text parameter {name} in:\n{tmdl}"
    return match.group(1)


def test_a_first_publish_creates_the_model_then_the_report(fake: FakeFabric, settings: Settings,
                                                           project: Path) -> None:
    result = publish(fake, settings, project)
    model, report = fake.item("SemanticModel", "Retail"), fake.item("Report", "Retail")
    assert [(i.type, i.action, i.id) for i in result.items] == [("SemanticModel", "created", model.id),
                                                                ("Report", "created", report.id)]
    assert result.workspace_id == model.workspace_id == report.workspace_id == "22222222-2222-2222-2222-222222222222"
    assert sorted(model.parts) == MODEL_PARTS and sorted(report.parts) == REPORT_PARTS  # no .pbi/, no .platform
    assert model.description == "Retail sales and inventory, DirectQuery on the dedicated SQL pool"  # from .platform
    creates = [path for method, path in fake.calls("POST")]
    assert creates == [f"/v1/workspaces/{result.workspace_id}/semanticModels",
                       f"/v1/workspaces/{result.workspace_id}/reports"]
    fixture = FIXTURES / "Retail.SemanticModel" / "definition" / "tables" / "fact_sales.tmdl"
    assert model.parts["definition/tables/fact_sales.tmdl"] == fixture.read_bytes()  # sent byte for byte


def test_the_model_parameters_hold_the_environments_sql_pool(fake: FakeFabric, settings: Settings,
                                                             project: Path) -> None:
    result = publish(fake, settings, project)
    expressions = fake.item("SemanticModel", "Retail").text("definition/expressions.tmdl")
    assert settings.sql_pool.endpoint == "synw-retail-test.sql.azuresynapse.net"
    assert parameter(expressions, "SqlEndpoint") == settings.sql_pool.endpoint
    assert parameter(expressions, "SqlDatabase") == settings.sql_pool.database == "sqlpool_retail"
    assert "\tqueryGroup: Parameters\n" in expressions and "synw-retail-dev" not in expressions
    assert result.parameters == {"SqlEndpoint": settings.sql_pool.endpoint, "SqlDatabase": "sqlpool_retail"}
    git = (project / "Retail.SemanticModel" / "definition" / "expressions.tmdl").read_text(encoding="utf-8")
    assert parameter(git, "SqlEndpoint") == "synw-retail-dev.sql.azuresynapse.net"  # the working tree is not written


def test_the_report_references_the_published_model_by_connection(fake: FakeFabric, settings: Settings,
                                                                 project: Path) -> None:
    publish(fake, settings, project)
    model, report = fake.item("SemanticModel", "Retail"), fake.item("Report", "Retail")
    pbir = report.json("definition.pbir")
    assert pbir["$schema"] == PBIR_SCHEMA and pbir["version"] == "4.0"
    assert list(pbir["datasetReference"]) == ["byConnection"]
    connection = pbir["datasetReference"]["byConnection"]
    assert connection["pbiModelDatabaseName"] == model.id
    assert connection["connectionType"] == "pbiServiceXmlaStyleLive"
    assert connection["pbiModelVirtualServerName"] == "sobe_wowvirtualserver"
    assert connection["connectionString"] == (
        'Data Source="powerbi://api.powerbi.com/v1.0/myorg/Retail Analytics (test)";Initial Catalog=Retail;'
        f"Integrated Security=ClaimsToken;semanticmodelid={model.id}")
    git = json.loads((project / "Retail.Report" / "definition.pbir").read_text(encoding="utf-8"))
    assert git["datasetReference"] == {"byPath": {"path": "../Retail.SemanticModel"}}


def test_a_second_publish_updates_both_definitions_and_creates_nothing(fake: FakeFabric, settings: Settings,
                                                                       project: Path) -> None:
    first = publish(fake, settings, project)
    second = publish(fake, settings.model_copy(update={"sql_pool": settings.sql_pool.model_copy(
        update={"database": "sqlpool_retail_v2"})}), project)
    assert [(i.action, i.id) for i in second.items] == [("updated", first.model.id), ("updated", first.report.id)]
    assert len(fake.items("SemanticModel")) == len(fake.items("Report")) == 1
    model = fake.item("SemanticModel", "Retail")
    assert model.definitions == 2 and fake.item("Report", "Retail").definitions == 2
    assert parameter(model.text("definition/expressions.tmdl"), "SqlDatabase") == "sqlpool_retail_v2"
    assert [(c.action, c.type) for c in fake.changes] == [
        ("create", "SemanticModel"), ("create", "Report"),
        ("updateDefinition", "SemanticModel"), ("updateDefinition", "Report")]
    ws = first.workspace_id
    assert fake.calls("POST")[2:] == [("POST", f"/v1/workspaces/{ws}/semanticModels/{first.model.id}/updateDefinition"),
                                      ("POST", f"/v1/workspaces/{ws}/reports/{first.report.id}/updateDefinition")]


def test_the_existing_item_is_found_past_the_first_page(fake: FakeFabric, settings: Settings, project: Path) -> None:
    ws = publish(fake, settings, project).workspace_id
    for index in range(5):
        fake.seed(ws, "SemanticModel", f"Other {index}", {})
    fake.page_size = 2
    assert publish(fake, settings, project).model.action == "updated"
    assert len([i for i in fake.items("SemanticModel") if i.display_name == "Retail"]) == 1
    pages = [r.query.get("continuationToken") for r in fake.requests
             if (r.method, r.path) == ("GET", f"/v1/workspaces/{ws}/semanticModels")]
    assert len(pages) == 1 + 3 and pages[1] is None and all(pages[2:])  # first publish: 1 page; now 3


def test_throttling_with_retry_after_is_waited_out(fake: FakeFabric, settings: Settings, project: Path) -> None:
    assert settings.powerbi is not None
    ws = settings.powerbi.workspace_id
    fake.inject(429, count=1, retry_after=1, methods=("POST",), path_prefix=f"/v1/workspaces/{ws}/semanticModels")
    fake.inject(429, count=2, retry_after=0.2, methods=("GET",), path_prefix="/v1/operations/")
    fake.inject(503, count=1, retry_after=None, methods=("POST",), path_prefix=f"/v1/workspaces/{ws}/reports")
    result = publish(fake, settings, project)
    assert [i.action for i in result.items] == ["created", "created"]
    creates = [r for r in fake.requests if (r.method, r.path) == ("POST", f"/v1/workspaces/{ws}/semanticModels")]
    assert [r.status for r in creates] == [429, 202]
    assert creates[1].time - creates[0].time >= 1.0  # Retry-After honoured
    reports = [r.status for r in fake.requests if (r.method, r.path) == ("POST", f"/v1/workspaces/{ws}/reports")]
    assert reports == [503, 202]
    assert len(fake.items("SemanticModel")) == len(fake.items("Report")) == 1


def test_a_create_that_finds_the_name_taken_updates_the_item_instead(fake: FakeFabric, settings: Settings,
                                                                     project: Path, monkeypatch) -> None:
    """A retried create whose first attempt landed (or a concurrent release) meets ItemDisplayNameAlreadyInUse."""
    first = publish(fake, settings, project)
    real_find, misses = FabricClient.find, []

    def stale_find(self: FabricClient, workspace_id: str, kind: Any, name: str) -> Any:
        if kind.type not in misses:  # the first lookup of each type does not see the item yet
            misses.append(kind.type)
            return None
        return real_find(self, workspace_id, kind, name)

    monkeypatch.setattr(FabricClient, "find", stale_find)
    second = publish(fake, settings, project)
    assert [(i.action, i.id) for i in second.items] == [("updated", first.model.id), ("updated", first.report.id)]
    refused = [(r.method, r.path) for r in fake.requests if r.status == 400]
    ws = first.workspace_id
    assert refused == [("POST", f"/v1/workspaces/{ws}/semanticModels"), ("POST", f"/v1/workspaces/{ws}/reports")]
    assert len(fake.items()) == 2


def test_a_failed_operation_is_reported_with_the_services_error(fake: FakeFabric, settings: Settings,
                                                                project: Path) -> None:
    shutil.rmtree(project / "Retail.Report" / "definition" / "pages" / "overview")  # a PBIR report without pages
    (project / "Retail.Report" / "definition" / "pages" / "pages.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OperationFailedError, match=r"Report_Import_FailedToImportReport: .*no pages"):
        publish(fake, settings, project)
    assert fake.items("Report") == [] and len(fake.items("SemanticModel")) == 1
    fake.failure_mode = "sync"  # the same refusal answered at once
    with pytest.raises(FabricError, match="400 Report_Import_FailedToImportReport") as error:
        publish(fake, settings, project)
    assert error.value.code == "Report_Import_FailedToImportReport" and error.value.request_id


def test_a_model_without_the_sql_endpoint_parameter_fails_before_any_request(fake: FakeFabric, settings: Settings,
                                                                             project: Path) -> None:
    expressions = project / "Retail.SemanticModel" / "definition" / "expressions.tmdl"
    text = expressions.read_text(encoding="utf-8")
    expressions.write_text(text[text.index("expression SqlDatabase"):], encoding="utf-8")
    with pytest.raises(InvalidReleaseError) as error:
        publish(fake, settings, project)
    assert len(error.value.problems) == 1 and "model parameter SqlEndpoint is not defined" in error.value.problems[0]
    assert fake.requests == []
    assert validate_powerbi(settings, project / "Retail.SemanticModel", project / "Retail.Report") == (
        error.value.problems)


def test_a_partition_with_the_dev_endpoint_written_in_fails_before_any_request(fake: FakeFabric, settings: Settings,
                                                                               project: Path) -> None:
    table = project / "Retail.SemanticModel" / "definition" / "tables" / "dim_store.tmdl"
    table.write_text(table.read_text(encoding="utf-8").replace(
        "Sql.Database(SqlEndpoint, SqlDatabase)", 'Sql.Database("synw-retail-dev.sql.azuresynapse.net", SqlDatabase)'),
        encoding="utf-8")
    (project / "Retail.Report" / "definition.pbir").write_text(
        '{"version": "4.0", "datasetReference": {"byPath": {"path": "../Other.SemanticModel"}}}', encoding="utf-8")
    with pytest.raises(InvalidReleaseError) as error:
        publish(fake, settings, project)
    problems = error.value.problems
    assert any(p.startswith("definition/tables/dim_store.tmdl still holds SqlEndpoint's Git value") for p in problems)
    assert any("references the model at '../Other.SemanticModel'" in p for p in problems)
    assert fake.requests == []


def test_the_local_environment_is_refused(fake: FakeFabric, project: Path) -> None:
    with pytest.raises(InvalidReleaseError) as error:
        publish(fake, load_settings("local"), project)
    assert any("no [powerbi] section" in p for p in error.value.problems)
    assert any("sql_pool.engine is duckdb" in p for p in error.value.problems)
    assert fake.requests == []


def test_the_model_only_can_be_published(fake: FakeFabric, settings: Settings, project: Path) -> None:
    result = publish(fake, settings, project, report_dir=None)
    assert result.report is None and [i.type for i in fake.items()] == ["SemanticModel"]


@pytest.mark.parametrize("tmdl, value", [
    ("expression 'SqlEndpoint' = \"a\" meta [IsParameterQuery=true]\r\n", "expression 'SqlEndpoint' = \"new\" "
     "meta [IsParameterQuery=true]\r\n"),  # quoted name, CRLF kept
    ("expression SqlEndpoint =\n\t\t\"a\" meta [IsParameterQuery=true]\n\tlineageTag: x\n",
     "expression SqlEndpoint =\n\t\t\"new\" meta [IsParameterQuery=true]\n\tlineageTag: x\n"),  # multi-line
    ('expression SqlEndpoint = "say ""hi""" meta [IsParameterQuery=true]\n',
     'expression SqlEndpoint = "new" meta [IsParameterQuery=true]\n'),
])
def test_parameters_are_rewritten_in_place(tmdl: str, value: str) -> None:
    parts = {"definition/expressions.tmdl": tmdl.encode()}
    updated, old, problems = set_parameters(parts, {"SqlEndpoint": "new"})
    assert problems == [] and updated["definition/expressions.tmdl"].decode() == value
    assert old["SqlEndpoint"] in ("a", 'say "hi"')


def test_parameters_that_are_not_text_or_twice_defined_are_problems() -> None:
    parts = {"definition/expressions.tmdl": b"expression SqlEndpoint = Text.From(1) meta [IsParameterQuery=true]\n",
             "definition/model.tmdl": b'model Model\n\nexpression SqlDatabase = "a"\nexpression SqlDatabase = "b"\n'}
    _, _, problems = set_parameters(parts, {"SqlEndpoint": "x", "SqlDatabase": "y"})
    assert any("expression SqlEndpoint is not a text parameter" in p for p in problems)
    assert any("SqlDatabase is defined 2 times" in p for p in problems)


def test_the_committed_project_publishes_to_test(fake: FakeFabric, settings: Settings) -> None:
    """The project in semantic_model/ has the parameters and the report reference this step needs, and the fake
    service accepts what is made of it."""
    report = REPORT_DIR if (REPORT_DIR / "definition.pbir").is_file() else None
    release = prepare(settings, SEMANTIC_MODEL_DIR, report)
    assert not any(path.startswith(".pbi/") or path == ".platform" for path in release.model.parts)
    result = publish_powerbi(settings, fake.credential, endpoint=fake.endpoint, model_dir=SEMANTIC_MODEL_DIR,
                             report_dir=report, **FAST)
    model = fake.item("SemanticModel", result.model.display_name)
    expressions = model.text("definition/expressions.tmdl")
    assert parameter(expressions, "SqlEndpoint") == "synw-retail-test.sql.azuresynapse.net"
    if report is not None:
        pbir = fake.item("Report", result.report.display_name).json("definition.pbir")
        assert pbir["datasetReference"]["byConnection"]["pbiModelDatabaseName"] == model.id


def test_polling_does_not_wait_for_the_operations_retry_after(fake: FakeFabric, settings: Settings,
                                                             project: Path) -> None:
    fake.lro_retry_after = 30
    started = time.monotonic()
    publish(fake, settings, project)
    assert time.monotonic() - started < 10
