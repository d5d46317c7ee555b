"""Demo catalog for a first run (`toss-graphql seed-demo`)."""

from __future__ import annotations

from .domain.models import Product

DEMO_PRODUCTS = (
    Product("americano", "아메리카노", 4500),
    Product("cafe-latte", "카페라테", 5000),
    Product("cheesecake", "치즈케이크", 6500),
    Product("beans-1kg", "원두 1kg", 32000),
)
