"""Faker locales with weights, as text and document recipes give them."""

from __future__ import annotations

from typing import Any


def locales_as_weights(value: Any) -> Any:
    """``locales: [en_US, de_DE]`` means equal weights."""
    if isinstance(value, dict) and isinstance(value.get("locales"), list):
        value = {**value, "locales": dict.fromkeys(value["locales"], 1.0)}
    return value


def check_locales(locales: dict[str, float]) -> dict[str, float]:
    """Every locale is Faker's and at least one can be drawn."""
    from faker.config import AVAILABLE_LOCALES

    for locale in locales:
        if locale not in AVAILABLE_LOCALES:
            raise ValueError(f"Faker has no locale '{locale}' (e.g. en_US, de_DE, fr_FR)")
    if not any(w > 0 for w in locales.values()):
        raise ValueError("at least one locale needs a weight above 0")
    return locales
