"""Faker values do not depend on the day a run is made."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import time_machine

from synthgen.generators.fakers import REFERENCE_TIME, Fakers, stopped_clock
from synthgen.generators.text.config import SlotSpec
from synthgen.generators.text.values import ValuePools
from synthgen.recipe import load_recipe

TEMPLATES = Path(__file__).parents[2] / "templates"
# Two "todays" years apart, in time zones of their own.
DAYS = [
    dt.datetime(2019, 6, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-7))),
    dt.datetime(2033, 3, 15, 0, 15, tzinfo=dt.timezone(dt.timedelta(hours=9))),
]


def on_each_day(make: Any) -> list[Any]:
    results = []
    for day in DAYS:
        with time_machine.travel(day, tick=False):
            results.append(make())
    return results


def test_date_providers_draw_from_the_stopped_clock():
    def draw() -> list[Any]:
        fakers = Fakers()
        out = []
        for locale in ("en_US", "sv_SE", "fi_FI"):
            faker = fakers(locale)
            faker.seed_instance(7)
            with stopped_clock():
                out += [faker.date_this_year(), faker.date_of_birth(), faker.ssn()]
                out += [faker.credit_card_expire(), dt.datetime.now(dt.timezone.utc)]
        return out

    first, second = on_each_day(draw)
    assert first == second
    assert REFERENCE_TIME in first
    assert all(d.year == REFERENCE_TIME.year for d in first[::5])  # date_this_year


@pytest.mark.parametrize("template", ["invoice", "receipt", "text_lines"])
def test_plans_are_the_same_whatever_the_day(template):
    def plans() -> list[dict[str, Any]]:
        generator = load_recipe(TEMPLATES / f"{template}.yaml", num=4).generator()
        return [generator.plan(np.random.default_rng(i)) for i in range(6)]

    first, second = on_each_day(plans)
    assert first == second


def test_value_pools_are_the_same_whatever_the_day(monkeypatch):
    monkeypatch.setenv("SYNTHGEN_CACHE_DIR", "")  # made fresh each time, not read back
    slot = SlotSpec(entity="DATE", provider="date_this_decade")

    def pool() -> list[str]:
        return ValuePools(50, {"when": slot}).pool("when", "en_US", None)

    first, second = on_each_day(pool)
    assert first == second
    assert all(v.startswith("202") for v in first)
