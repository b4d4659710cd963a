"""The dedicated SQL pool database project and the Python that understands it.

`database/` holds the T-SQL (see its README); `dialect/` parses it (sqlglot's T-SQL plus the pool's options and
statements) and transpiles it to DuckDB; `project.py` loads the scripts; `lint/` and `advise.py` check the
design; `migrations.py` applies it to a pool or to the local DuckDB warehouse (`warehouse.py`), whose KPI views
`reconcile.py` checks against the Spark marts.
"""
