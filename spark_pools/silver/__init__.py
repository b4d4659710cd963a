"""Silver: typed, conformed, validated and deduplicated entities; quarantine with reasons; SCD2; no clear PII."""
