"""PySpark code that runs unchanged in Spark local mode and on a Synapse Spark pool (runtime 3.5)."""
