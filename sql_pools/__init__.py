"""The dedicated SQL pool database project and the Python that understands it (dialect, linter, local DuckDB).

Built so far: `dialect.py`, the Synapse dialect on sqlglot (physical table options as typed properties, CTAS,
transpiling to DuckDB). The T-SQL project itself, the linter, advisor and migrations are still to come.
"""
