"""Faker values do not depend on the day a run is made, but on the recipe's ``today``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import time_machine
import yaml

from synthgen.generators.fakers import DEFAULT_TODAY, Fakers, reference_time, stopped_clock
from synthgen.generators.text.config import SlotSpec
from synthgen.generators.text.values import ValuePools
from synthgen.recipe import build_recipe, load_recipe

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
    assert reference_time(DEFAULT_TODAY) in first
    assert all(d.year == DEFAULT_TODAY.year for d in first[::5])  # date_this_year


def test_this_year_and_this_month_spread_around_the_default_day():
    # A clock stopped on the 1st of January gave every date_this_year that one day.
    fakers = Fakers()
    faker = fakers("en_US")
    faker.seed_instance(1)
    with fakers.clock():
        year = {faker.date_this_year() for _ in range(300)}
        month = {faker.date_this_month() for _ in range(300)}
        due = {faker.date_this_year(before_today=False, after_today=True) for _ in range(300)}
    today = DEFAULT_TODAY
    assert len(year) > 100 and all(d.year == today.year and d <= today for d in year)
    assert len(month) > 20 and all(d.month == today.month and d <= today for d in month)
    assert len(due) > 100 and all(d.year == today.year and d >= today for d in due)


def test_a_recipes_today_moves_the_dates_it_draws():
    data = yaml.safe_load((TEMPLATES / "invoice.yaml").read_text(encoding="utf-8"))
    data["generator"]["today"] = "2031-03-31"
    generator = build_recipe(data, base_dir=TEMPLATES).generator()
    values = [generator.plan(np.random.default_rng(i))["values"] for i in range(30)]
    issued = {v["issue_date"] for v in values}  # ISO dates
    assert len(issued) > 10 and all("2031-01-01" <= d <= "2031-03-31" for d in issued)
    assert all("2031-03-31" <= v["due_date"] <= "2031-12-31" for v in values)


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


def test_a_pool_made_on_another_day_is_not_read_back(monkeypatch, tmp_path):
    monkeypatch.setenv("SYNTHGEN_CACHE_DIR", str(tmp_path))
    slot = {"when": SlotSpec(entity="DATE", provider="date_this_year")}
    pools = [
        ValuePools(50, slot, dt.date(y, 6, 30)).pool("when", "en_US", None) for y in (2024, 2031)
    ]
    assert all(v.startswith("2024") for v in pools[0])
    assert all(v.startswith("2031") for v in pools[1])
    assert len(list((tmp_path / "pools").iterdir())) == 2
