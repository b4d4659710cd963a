"""The simulated retailer: stores with regions, products, suppliers and customers, built from one RNG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from pipelines.catalog import ONLINE_STORE_CODE
from pipelines.sources.scales import Scale

REGIONS = ("North", "South", "East", "West", "Central")
CITIES = {
    "North": ("Aberdeen", "Inverness", "Dundee", "Newcastle"),
    "South": ("Brighton", "Southampton", "Plymouth", "Exeter"),
    "East": ("Norwich", "Cambridge", "Ipswich", "Colchester"),
    "West": ("Bristol", "Cardiff", "Swansea", "Gloucester"),
    "Central": ("Birmingham", "Leicester", "Nottingham", "Coventry"),
}
ONLINE_REGION = "Online"
# category -> (subcategories, seasonal peak month or 0 for none, typical price band)
CATEGORIES = {
    "Grocery": (("Bakery", "Dairy", "Pantry", "Café & Tea"), 0, (1.0, 12.0)),
    "Beverages": (("Soft Drinks", "Juice", "Water"), 7, (0.8, 6.0)),
    "Household": (("Cleaning", "Paper", "Laundry"), 0, (2.0, 18.0)),
    "Personal Care": (("Hair", "Skin", "Oral Care"), 0, (2.5, 25.0)),
    "Toys": (("Games", "Puzzles", "Outdoor Play"), 12, (8.0, 60.0)),
    "Garden": (("Tools", "Plants", "Barbecue"), 6, (5.0, 80.0)),
    "Electronics": (("Audio", "Accessories", "Small Appliances"), 11, (12.0, 180.0)),
    "Apparel": (("Men", "Women", "Kids"), 9, (6.0, 70.0)),
}
BRANDS = ("Northwind", "Contoso", "Fabrikam", "Adventure Works", "Tailspin", "Maison Crème", "Wide World",
          "Proseware", "Litware", "Café Olé", "Lamna", "Fourth Coffee")
ADJECTIVES = ("Classic", "Organic", "Premium", "Everyday", "Deluxe", "Mini", "Family", "Eco", "Crème", "Bold")
FIRST_NAMES = ("Olivia", "Noah", "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Leo", "Zoë",
               "Jack", "Chloé", "Arthur", "Freya", "Muhammad", "Ella", "Oscar", "Sofía", "Theo")
LAST_NAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
              "O'Brien", "Nowak", "García", "Müller", "Evans", "Thomas", "Roberts", "Khan", "Lewis", "Walker")
COUNTRIES = ("GB", "DE", "NL", "FR", "PL", "ES", "IT", "CN", "VN")
TIERS = ("none", "silver", "gold", "platinum")


@dataclass
class Stores:
    codes: list[str]
    names: list[str]
    types: list[str]
    regions: list[str]
    cities: list[str]
    opened: list[date]
    area: np.ndarray

    @property
    def online(self) -> int:
        """Index of the online fulfilment centre (always the last store)."""
        return len(self.codes) - 1


@dataclass
class Products:
    skus: list[str]
    names: list[str]
    categories: list[str]
    subcategories: list[str]
    brands: list[str]
    supplier: np.ndarray  # index into suppliers
    cost: np.ndarray
    price: np.ndarray  # current list price; changes over time
    popularity: np.ndarray  # sums to 1
    peak_month: np.ndarray
    quality: np.ndarray  # mean rating the product earns
    launch_day: np.ndarray  # day index of first sale (0 for the opening range)


@dataclass
class Suppliers:
    codes: list[str]
    names: list[str]
    countries: list[str]
    promised_lead: np.ndarray  # days
    on_time_rate: np.ndarray
    fill_rate: np.ndarray


@dataclass
class Customers:
    ids: list[str]
    first: list[str]
    last: list[str]
    email: list[str]
    phone: list[str]
    region: list[str]
    city: list[str]
    tier: list[str]
    signup_day: np.ndarray  # day index; negative for customers who signed up before the period


@dataclass
class World:
    start: date
    stores: Stores
    products: Products
    suppliers: Suppliers
    customers: Customers

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)


def build_world(scale: Scale, rng: np.random.Generator, start: date) -> World:
    return World(start, _stores(scale, rng), _products(scale, rng), _suppliers(scale, rng), _customers(scale, rng))


def _stores(scale: Scale, rng: np.random.Generator) -> Stores:
    n = scale.stores
    regions = [REGIONS[i % len(REGIONS)] for i in range(n)]
    cities = [CITIES[r][int(rng.integers(len(CITIES[r])))] for r in regions]
    codes = [*(f"S{i + 1:03d}" for i in range(n)), ONLINE_STORE_CODE]
    names = [f"{c} {('High Street', 'Retail Park', 'Centre', 'Market')[i % 4]}" for i, c in enumerate(cities)]
    opened = [date(2010, 1, 1) + timedelta(days=int(rng.integers(0, 4000))) for _ in range(n)]
    area = np.round(rng.lognormal(7.0, 0.45, n)).astype(int)
    return Stores(
        codes=codes,
        names=[*names, "Online Fulfilment Centre"],
        types=["store"] * n + ["online"],
        regions=[*regions, ONLINE_REGION],
        cities=[*cities, "Milton Keynes"],
        opened=[*opened, date(2015, 3, 1)],
        area=np.append(area, 20_000),
    )


def _products(scale: Scale, rng: np.random.Generator) -> Products:
    n = scale.products
    cat_names = list(CATEGORIES)
    cats = [cat_names[i] for i in rng.integers(0, len(cat_names), n)]
    subs, peaks, costs, prices, names = [], [], [], [], []
    for i, cat in enumerate(cats):
        sub_options, peak, (low, high) = CATEGORIES[cat]
        sub = sub_options[int(rng.integers(len(sub_options)))]
        price = round(float(np.exp(rng.uniform(np.log(low), np.log(high)))), 2)
        cost = round(price / float(rng.uniform(1.25, 2.4)), 2)
        subs.append(sub)
        peaks.append(peak)
        prices.append(max(price, 0.5))
        costs.append(max(cost, 0.2))
        names.append(f"{ADJECTIVES[int(rng.integers(len(ADJECTIVES)))]} {sub} {i + 1}")
    # Skewed popularity: a Zipf-like curve over a random ranking.
    ranks = rng.permutation(n) + 1
    popularity = 1.0 / ranks**1.05
    # A few products launch during the period (at least two, so every world has some).
    launch = np.zeros(n, dtype=int)
    if scale.days > 2:
        launching = rng.choice(n, size=max(2, round(n * 0.03)), replace=False)
        launch[launching] = rng.integers(1, scale.days - 1, launching.size)
    return Products(
        skus=[f"P{i + 1:05d}" for i in range(n)],
        names=names,
        categories=cats,
        subcategories=subs,
        brands=[BRANDS[int(i)] for i in rng.integers(0, len(BRANDS), n)],
        supplier=rng.integers(0, scale.suppliers, n),
        cost=np.array(costs),
        price=np.array(prices),
        popularity=popularity / popularity.sum(),
        peak_month=np.array(peaks),
        quality=rng.uniform(3.0, 4.8, n),
        launch_day=launch,
    )


def _suppliers(scale: Scale, rng: np.random.Generator) -> Suppliers:
    n = scale.suppliers
    return Suppliers(
        codes=[f"SUP{i + 1:03d}" for i in range(n)],
        names=[f"{BRANDS[i % len(BRANDS)]} Supply {i + 1}" for i in range(n)],
        countries=[COUNTRIES[int(i)] for i in rng.integers(0, len(COUNTRIES), n)],
        promised_lead=rng.integers(2, 10, n),
        on_time_rate=rng.uniform(0.6, 0.98, n),
        fill_rate=rng.uniform(0.85, 0.995, n),
    )


def _customers(scale: Scale, rng: np.random.Generator) -> Customers:
    n = scale.customers
    first = [FIRST_NAMES[int(i)] for i in rng.integers(0, len(FIRST_NAMES), n)]
    last = [LAST_NAMES[int(i)] for i in rng.integers(0, len(LAST_NAMES), n)]
    regions = [REGIONS[int(i)] for i in rng.integers(0, len(REGIONS), n)]
    ids = [f"C{i + 1:07d}" for i in range(n)]
    # Most customers exist before the period; some sign up during it.
    signup = np.where(rng.random(n) < 0.9, -rng.integers(1, 2000, n), rng.integers(0, max(1, scale.days), n))
    return Customers(
        ids=ids,
        first=first,
        last=last,
        email=[_email(f, la, i) for i, (f, la) in enumerate(zip(first, last, strict=True))],
        phone=[f"+44 7{int(x):03d} {int(y):06d}" for x, y in zip(rng.integers(0, 1000, n),
                                                                   rng.integers(0, 1_000_000, n), strict=True)],
        region=regions,
        city=[CITIES[r][int(rng.integers(len(CITIES[r])))] for r in regions],
        tier=[TIERS[int(i)] for i in rng.choice(len(TIERS), n, p=[0.55, 0.25, 0.15, 0.05])],
        signup_day=signup,
    )


def _email(first: str, last: str, i: int) -> str:
    local = f"{first}.{last}".lower().replace("'", "")
    return f"{local}{i}@example.com"
