"""The order silver builds its entities in."""

from __future__ import annotations

from spark_pools.silver.entities import ENTITIES, LEVELS


def test_every_code_is_checked_against_an_entity_built_in_an_earlier_level() -> None:
    built_before: set[str] = set()
    for level in LEVELS:
        for entity in level:
            assert set(entity.codes.values()) <= built_before, entity.name
        built_before |= {entity.name for entity in level}
    assert sorted(e.name for level in LEVELS for e in level) == sorted(e.name for e in ENTITIES)


def test_only_the_master_data_checked_against_waits_for_nothing() -> None:
    """Customers and suppliers are checked by no entity: they are built beside the facts, not before them."""
    assert [e.name for e in LEVELS[0]] == ["products", "stores"]
