"""Faker on a stopped clock.

Faker's date and time providers (``date_of_birth``, ``date_this_year``, credit-card expiry,
several national ID numbers) draw relative to the current time: the same seed gives
another date tomorrow, and a value pool cached last week disagrees with a fresh one. Every
Faker call synthgen makes runs with the clock stopped at noon (UTC, also for local time)
of the recipe's ``today``, so sample i still depends only on (recipe, seed, i).

The default day is the last of a month in mid-year: "this month" and "this year" providers
draw from the days before it (a stopped clock on the 1st of January would give every
``date_this_year`` that one day) and due dates or expiries from the days after.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime, time, timezone, tzinfo
from functools import cache
from typing import Any

from pydantic import Field


def _utc() -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:  # a named zone also makes the local time UTC while the clock is stopped
        return ZoneInfo("UTC")
    except ZoneInfoNotFoundError:  # no time zone database installed
        return timezone.utc


DEFAULT_TODAY = date(2025, 6, 30)


def today_field() -> Any:
    """The ``today`` key of the recipes that call Faker."""
    return Field(
        DEFAULT_TODAY,
        description="the day Faker takes for today (its clock is stopped at noon UTC): "
        "'this month', 'this year', birth dates and card expiries are drawn around it",
    )


def reference_time(today: date) -> datetime:
    """The stopped clock's time on ``today``: noon, UTC."""
    return datetime.combine(today, time(12), tzinfo=_utc())


def stopped_clock(today: date = DEFAULT_TODAY) -> AbstractContextManager[Any]:
    """While inside, ``datetime.now()``, ``date.today()`` and ``time.time()`` return
    ``reference_time(today)``. (One object per day for the process: a ``travel`` can be
    entered again and again, nested too, and making one parses the time each time.)"""
    return _travel(today)


@cache
def _travel(today: date) -> Any:
    import time_machine  # here: only the Faker-using generators need it

    return time_machine.travel(reference_time(today), tick=False)


class Fakers:
    """One ``Faker`` per locale, made on the clock stopped on ``today`` (some providers
    read the date when their module is imported); ``clock()`` stops it for their calls."""

    def __init__(self, today: date = DEFAULT_TODAY) -> None:
        self.today = today
        self._by_locale: dict[str, Any] = {}

    def clock(self) -> AbstractContextManager[Any]:
        return stopped_clock(self.today)

    def __call__(self, locale: str) -> Any:
        faker = self._by_locale.get(locale)
        if faker is None:
            from faker import Faker

            with self.clock():
                faker = self._by_locale[locale] = Faker(locale)
        return faker
