"""Entry scripts that Synapse Spark job definitions run as their main file: argument parsing, then one call."""
