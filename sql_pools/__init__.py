"""The dedicated SQL pool database project and the Python that understands it (dialect, linter, local DuckDB).

Not built yet: the folder is reserved so the layout matches Synapse Studio's and the design card's.
"""
