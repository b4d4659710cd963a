"""How big each generated world is. `tiny` for unit tests, `demo` for the main job, `bench` for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    stores: int  # physical stores; one online fulfilment centre is added
    products: int
    customers: int
    suppliers: int
    days: int
    units_per_store_day: int  # average units sold by an average store on an average day
    orders_per_day: int  # average e-commerce orders per day


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("tiny", stores=3, products=40, customers=150, suppliers=4, days=7, units_per_store_day=80,
              orders_per_day=25),
        Scale("demo", stores=12, products=400, customers=5_000, suppliers=16, days=60, units_per_store_day=500,
              orders_per_day=450),
        Scale("bench", stores=40, products=1_000, customers=50_000, suppliers=40, days=120,
              units_per_store_day=1_450, orders_per_day=4_500),
    )
}
