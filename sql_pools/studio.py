"""Publish the DBA tuning scripts (database/dba/*.sql) as Synapse Studio SQL scripts.

The .sql files stay the single source. Synapse Git integration keeps one JSON file per SQL script in the
workspace's `sqlscript/` folder, named `<scriptName>.json`; this module renders those files from the .sql text so
the scripts show up in Studio (Develop > SQL scripts > dba) already connected to the dedicated pool. The committed
JSON is checked against `render_all()` by tests/sql_pools/test_studio.py, so an edited .sql cannot drift from it.

The body is the `SqlScriptResource` of the Synapse data-plane API 2020-12-01 (azure-rest-api-specs,
specification/synapse/data-plane/Microsoft.Synapse/stable/2020-12-01/sqlScripts.json and
entityTypes/SqlScript.json): `name` + `properties` (a `SqlScript`: description, folder.name, content, type), with
`content` a `SqlScriptContent` (query, metadata.language, currentConnection, resultLimit). Only fields the spec
defines are written, in the order Synapse Studio itself writes them, so a save from Studio does not reshuffle them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retail.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = PROJECT_ROOT / "workspace"  # the Synapse Git integration's root folder
DBA = Path(__file__).resolve().parent / "database" / "dba"  # the single source: plain T-SQL files
SQLSCRIPT_DIR = "sqlscript"  # Synapse Git integration's folder for SQL scripts
SCRIPT_FOLDER = "dba"  # the Studio folder the scripts appear under
NAME_PREFIX = "dba_"  # marks the generated files: write_all only ever removes files with this prefix
ENVIRONMENT = "dev"  # Studio scripts are for tuning sessions against the dev pool
RESULT_LIMIT = 5000  # Studio's default row limit for a script's result grid (spec: -1 = no limit)
# The 2020-12-01 spec gives sqlScriptName no pattern; its sibling artifact names (datasets, data flows, ...) use
# ^[A-Za-z0-9_][^<>*#.%&:\\+?/]*$ with at most 260 characters. Ours are a stricter subset of that.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,259}")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.")


def dba_scripts(root: Path = DBA) -> list[Path]:
    """The DBA scripts in a stable order (the order of the generated files and of the tests)."""
    return sorted(root.glob("*.sql"))


def script_name(path: Path) -> str:
    """The Synapse artifact name for a .sql file: the prefix plus its stem, checked against NAME_PATTERN."""
    name = NAME_PREFIX + path.stem
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"{path.name}: {name!r} is not a valid Synapse SQL script name (letters, digits, _ and -)")
    return name


def read_query(path: Path) -> str:
    """The script text as Studio should show it: exactly the file, with CRLF line ends normalised to LF."""
    return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")


def header_comment(query: str) -> str:
    """The leading `--` comment block as one line of prose (the comment markers and line breaks removed)."""
    lines = []
    for line in query.split("\n"):
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        lines.append(stripped.removeprefix("--").strip())
    return " ".join(part for part in lines if part)


def first_sentence(text: str) -> str:
    """The text up to the first full stop that ends a sentence: one followed by a space (or the end), outside
    parentheses and not part of an abbreviation like "e.g." (the DBA headers use both)."""
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "." and depth == 0 and (index + 1 == len(text) or text[index + 1].isspace()):
            candidate = text[: index + 1]
            if not candidate.lower().endswith(_ABBREVIATIONS):
                return candidate
    return text


def sql_script_artifact(path: Path, pool: str, database: str) -> dict[str, Any]:
    """The SqlScriptResource body (and Git file content) for one .sql file, connected to a dedicated pool.

    For a dedicated pool the pool and its database share a name; Studio records both in currentConnection.
    """
    query = read_query(path)
    description = first_sentence(header_comment(query))
    if not description:
        raise ValueError(f"{path}: a DBA script starts with a `--` header comment saying what it shows")
    return {
        "name": script_name(path),
        "properties": {
            "description": description,
            "folder": {"name": SCRIPT_FOLDER},
            "content": {
                "query": query,
                "metadata": {"language": "sql"},
                "currentConnection": {"databaseName": database, "poolName": pool},
                "resultLimit": RESULT_LIMIT,
            },
            "type": "SqlQuery",
        },
    }


def to_json(artifact: dict[str, Any]) -> str:
    """The file text: 4-space indent, keys in the order built (Studio's order), UTF-8, trailing newline."""
    return json.dumps(artifact, indent=4, ensure_ascii=False) + "\n"


def render_all(settings: Settings | None = None, root: Path = DBA) -> dict[str, str]:
    """File name -> JSON text for every DBA script, connected to the dev environment's dedicated pool.

    The environment has one name for the pool and its database (`[sql_pool] database`), so both come from it.
    """
    if settings is None:
        from retail.settings import load_settings

        settings = load_settings(ENVIRONMENT)
    database = settings.sql_pool.database
    rendered = {}
    for path in dba_scripts(root):
        artifact = sql_script_artifact(path, pool=database, database=database)
        rendered[f"{artifact['name']}.json"] = to_json(artifact)
    return rendered


def write_all(workspace_dir: Path = WORKSPACE, settings: Settings | None = None, root: Path = DBA) -> list[Path]:
    """Write every rendered script into `<workspace_dir>/sqlscript/` and delete generated files (the `dba_`
    prefix) whose .sql source is gone, so a removed script also leaves Studio. Other files are never touched.
    Returns the paths of the current scripts' files (unchanged files are left as they are)."""
    target = workspace_dir / SQLSCRIPT_DIR
    target.mkdir(parents=True, exist_ok=True)
    rendered = render_all(settings, root)
    for stale in sorted(target.glob(f"{NAME_PREFIX}*.json")):
        if stale.name not in rendered:
            stale.unlink()
    written = []
    for name, text in rendered.items():
        path = target / name
        if not path.exists() or path.read_bytes() != text.encode("utf-8"):
            path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written
