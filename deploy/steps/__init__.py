"""Release steps beyond the workspace artifacts, each runnable alone (`retail deploy package|sql|upload-entries`):

- `package`: the project's code as a wheel, uploaded as a workspace package (library) for the Spark pools;
- `upload-entries`: the Spark job definitions' main files, the source catalog and missing watermark seeds to the
  lake;
- `sql`: the dedicated SQL pool's migrations (sql_pools.migrations).

Publishing the Power BI semantic model plugs in as one more step here (a function taking the settings and a
credential, registered in `deploy/cli.py`) when the semantic model's publisher lands.
"""
