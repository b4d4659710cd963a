"""The dedicated SQL pool advisor's parts; `sql_pools.advise` is the public entry (`retail sql advise`).

    limits.py      the thresholds (60 distributions, 10 % skew, 1 M rows per distribution per partition, 2 GB)
    columns.py     skew of a hash column in the local sample and at projected volume; candidate columns
    partitions.py  rows per distribution per partition against the columnstore guideline
    table.py       one table's advice and its recommendations in plain words
"""
