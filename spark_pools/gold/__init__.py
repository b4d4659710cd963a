"""Gold: the star schema (facts and conformed dimensions with unknown members) and the KPI marts."""
