import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from retail.cli import cli


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("setup", "config", "generate", "demo"):
        assert command in result.output


def test_generate_writes_sources_and_reports_them(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--scale", "tiny", "--days", "3", "--seed", "4", "--out",
                                      str(tmp_path), "--defect-scale", "5", "--defect", "schema_drift=1"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["generator"]["seed"] == 4
    assert manifest["defects"]["schema_drift"]["count"] == manifest["sources"]["pos_sales"]["files"]
    assert "pos_sales" in result.output and "sales lines in" in result.output


def test_bad_defect_option_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--scale", "tiny", "--out", str(tmp_path), "--defect", "dup"])
    assert result.exit_code == 2
    assert "expected NAME=RATE" in result.output
    result = CliRunner().invoke(cli, ["generate", "--scale", "tiny", "--out", str(tmp_path), "--defect", "typo=0.1"])
    assert result.exit_code == 2
    assert "unknown defect type 'typo'" in result.output


def test_config_check_and_show() -> None:
    result = CliRunner().invoke(cli, ["config", "check"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["--env", "prod", "config", "show"])
    assert result.exit_code == 0
    shown = json.loads(result.output)
    assert shown["environment"]["name"] == "prod"
    assert shown["secrets"]["pii_hash_key"] == {"key_vault_secret": "pii-hash-key"}


@pytest.mark.spark
def test_demo_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings_dir = tmp_path / "settings"
    settings_dir.mkdir()
    local = (Path(__file__).resolve().parents[2] / "retail" / "environments" / "local.toml").read_text()
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    local = local.replace('landing = "data/landing"', f'landing = "{landing}"')
    (settings_dir / "local.toml").write_text(local.replace('root = "data/lake"', f'root = "{lake}"'))
    monkeypatch.setenv("RETAIL_SETTINGS_DIR", str(settings_dir))
    result = CliRunner().invoke(cli, ["demo", "--scale", "tiny"])
    assert result.exit_code == 0, result.output
    assert (landing / "manifest.json").exists()
    assert len(list((landing / "pos").rglob("*.csv"))) >= 21
    for layer in ("bronze/pos_sales", "silver/sales_lines", "gold/fact_sales", "gold/mart_inventory_position"):
        assert (lake / layer / "_delta_log").is_dir(), layer
    for title in ("Sales by region", "Inventory and replenishment", "Suppliers", "Customer segments (RFM)"):
        assert title in result.output
    tables = {p.parent.relative_to(lake).as_posix() for p in lake.rglob("_delta_log")}
    result = CliRunner().invoke(cli, ["batch", "maintain"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # as printed, wrapped to the console's width
    assert "OPTIMIZE ... ZORDER BY: 6 tables (gold 3, silver 3)" in output
    layers = Counter(table.split("/", 1)[0] for table in tables)  # a fresh lake: nothing is a week old
    assert (f"VACUUM: 0 tables; nothing older than 168 hours to delete in {len(tables)} tables "
            f"({', '.join(f'{k} {n}' for k, n in sorted(layers.items()))})") in output


def test_maintenance_refuses_an_unsafe_retention() -> None:
    result = CliRunner().invoke(cli, ["batch", "maintain", "--retention-hours", "24"])
    assert result.exit_code == 2
    assert "retention below 168 hours can delete files readers still need" in result.output


def test_incremental_batch_needs_a_date() -> None:
    result = CliRunner().invoke(cli, ["batch", "run"])
    assert result.exit_code == 2
    assert "give --date for an incremental run, or --full" in result.output
