"""The ingestion side: the source catalog, source simulators (synthetic retail data) and the local runner."""
