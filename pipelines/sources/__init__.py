"""Synthetic retail source systems: deterministic for a seed, with defects injected on purpose and a manifest."""
