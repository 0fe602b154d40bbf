"""Faker on a stopped clock.

Faker's date and time providers (``date_of_birth``, ``date_this_year``, credit-card expiry,
several national ID numbers) draw relative to the current time: the same seed gives
another date tomorrow, and a value pool cached last week disagrees with a fresh one. Every
Faker call synthgen makes runs with the clock stopped at ``REFERENCE_TIME`` (also in UTC
for local time), so sample i still depends only on (recipe, seed, i).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timezone, tzinfo
from functools import cache
from typing import Any


def _utc() -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:  # a named zone also makes the local time UTC while the clock is stopped
        return ZoneInfo("UTC")
    except ZoneInfoNotFoundError:  # no time zone database installed
        return timezone.utc


REFERENCE_TIME = datetime(2025, 1, 1, 12, 0, tzinfo=_utc())


def stopped_clock() -> AbstractContextManager[Any]:
    """While inside, ``datetime.now()``, ``date.today()`` and ``time.time()`` return
    ``REFERENCE_TIME``. (One object for the process: a ``travel`` can be entered again
    and again, nested too, and making one parses the time each time.)"""
    return _travel()


@cache
def _travel() -> Any:
    import time_machine  # here: only the Faker-using generators need it

    return time_machine.travel(REFERENCE_TIME, tick=False)


class Fakers:
    """One ``Faker`` per locale, made on the stopped clock (some providers read the date
    when their module is imported)."""

    def __init__(self) -> None:
        self._by_locale: dict[str, Any] = {}

    def __call__(self, locale: str) -> Any:
        faker = self._by_locale.get(locale)
        if faker is None:
            from faker import Faker

            with stopped_clock():
                faker = self._by_locale[locale] = Faker(locale)
        return faker
