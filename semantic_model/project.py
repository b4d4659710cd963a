"""Where the Power BI project lives: the PBIP shortcut, the semantic model folder (TMDL) and the report folder
(PBIR), for the validator, the publisher and the tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent  # semantic_model/
NAME = "Retail"
PBIP = ROOT / f"{NAME}.pbip"
MODEL = ROOT / f"{NAME}.SemanticModel"  # definition.pbism + definition/*.tmdl
REPORT = ROOT / f"{NAME}.Report"  # definition.pbir + definition/ (PBIR)
DEFINITION = MODEL / "definition"

# The model parameters every partition's Sql.Database(...) takes, and the settings each environment fills them from.
PARAMETERS = {"SqlEndpoint": "sql_pool.endpoint", "SqlDatabase": "sql_pool.database"}
