"""Bronze: every delivery landed in Delta exactly as received, append-only, with lineage and raw rejects."""
