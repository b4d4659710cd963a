"""The pool's guidelines in one place (the advisor's thresholds; the linter uses the distribution count and the
replicate limit): each is a dedicated SQL pool guideline or a fact of its storage."""

from __future__ import annotations

# A dedicated pool stores every distributed table as 60 distributions, whatever its DWU.
DISTRIBUTIONS = 60
# Microsoft's rule of thumb: distributions differing by 10 % or more make queries wait on the fullest one.
SKEW_THRESHOLD = 0.10
# A columnstore rowgroup compresses best at ~1 M rows (max 1,048,576); below that per distribution per
# partition, rowgroups stay small and scans slow (60 M rows per partition across 60 distributions).
ROWS_PER_DISTRIBUTION_PARTITION = 1_000_000
# Microsoft: replicate tables under 2 GB; every compute node caches a full copy and rebuilds it after a load.
REPLICATE_LIMIT_BYTES = 2 * 1024**3
# Gold's unknown (-1) and not-applicable (-2) surrogate keys (spark_pools/gold/star.py): each is one value.
UNKNOWN_MEMBERS = (-1, -2)
# Candidate columns within 2 points of the best projected skew count as equally good: prefer a join key.
CLOSE_SKEW = 0.02
# A value ten times as frequent as the average value is a heavy hitter (a default customer, a house
# brand): it keeps its share of rows at any volume, where an ordinary value's share thins as values are added.
HEAVY_FACTOR = 10
# A column unique in the sample, or whose distinct values are at least half its rows in a sample of at least
# 1,000 rows (smaller, a code list looks half-unique too), is an identifier: its values grow with the rows.
IDENTIFIER_RATIO = 0.5
IDENTIFIER_MIN_ROWS = 1_000
# The expected largest of 60 standard normal draws: hashing V equal values puts ~V/60 ± this many standard
# deviations on the fullest and emptiest distribution.
EXPECTED_MAX_Z = 2.32
