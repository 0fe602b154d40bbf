"""Slot values: built-in entity slots over Faker, custom choice lists and Faker providers.

Faker takes 25-300 us per value, too slow for tens of thousands of sentences a second, so
each (slot, locale, gender) gets a pool of values made once per process by a Faker seeded
from the slot's name: the same pool in every process, for a given Faker version (recorded
in the run's fingerprint, since Faker's output for a seed changes between releases). A
sample then only picks an index. Values are NFC-normalized with whitespace runs (Faker's
newlines in addresses, no-break spaces in prices) made single spaces.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib
from collections.abc import Callable
from typing import Any

# Built-in slots: the entity each one is, and how Faker makes a value (g: gender or None).
# A person is a first and a last name: Faker's name() adds titles and suffixes (Dr., MD,
# Univ.Prof.) that NER conventions such as CoNLL-2003 keep outside the PERSON span.
Maker = Callable[[Any, str | None], str]

DATE_FORMATS = {
    "en": ("%B %d, %Y", "%m/%d/%Y", "%d %B %Y"),
    "de": ("%d.%m.%Y",),
    "fr": ("%d/%m/%Y",),
}

BUILTIN_SLOTS: dict[str, tuple[str, Maker]] = {
    "person": ("PERSON", lambda f, g: f"{_gendered(f, 'first_name', g)} {f.last_name()}"),
    "first_name": ("PERSON", lambda f, g: _gendered(f, "first_name", g)),
    "last_name": ("PERSON", lambda f, g: f.last_name()),
    "company": ("ORG", lambda f, g: f.company()),
    "city": ("LOCATION", lambda f, g: f.city()),
    "country": ("LOCATION", lambda f, g: f.country()),
    "street_address": ("ADDRESS", lambda f, g: f.street_address()),
    "address": ("ADDRESS", lambda f, g: f.address()),
    "date": ("DATE", lambda f, g: _date(f)),
    "email": ("EMAIL", lambda f, g: f.email()),
    "phone": ("PHONE", lambda f, g: f.phone_number()),
    "iban": ("IBAN", lambda f, g: f.iban()),
    "credit_card": ("CREDIT_CARD", lambda f, g: f.credit_card_number()),
    "money": ("MONEY", lambda f, g: f.pricetag()),
}
GENDERED = {"person", "first_name"}
GENDERS = ("female", "male")

_SPACE = re.compile(r"\s+")


def clean(value: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()


def language(locale: str) -> str:
    return locale.split("_")[0]


class ValuePools:
    """Pools of slot values per (slot, locale, gender), made on first use."""

    def __init__(self, size: int, custom: dict[str, Any]) -> None:
        self.size = size
        self.custom = custom  # slot name -> SlotSpec
        self._fakers: dict[str, Any] = {}
        self._pools: dict[tuple[str, str, str | None], list[str]] = {}

    def pool(self, slot: str, locale: str, gender: str | None) -> list[str]:
        gender = gender if slot in GENDERED and gender in GENDERS else None
        key = (slot, locale, gender)
        if key not in self._pools:
            self._pools[key] = self._make(slot, locale, gender)
        return self._pools[key]

    def _make(self, slot: str, locale: str, gender: str | None) -> list[str]:
        spec = self.custom.get(slot)
        if spec is not None and spec.choices is not None:
            return [clean(c) for c in spec.choices]
        faker = self._faker(locale)
        faker.seed_instance(zlib.crc32(f"{slot}/{locale}/{gender}".encode()))
        if spec is not None:
            method = getattr(faker, spec.provider)
            make: Maker = lambda f, g: str(method())  # noqa: E731
        else:
            make = BUILTIN_SLOTS[slot][1]
        values = (clean(make(faker, gender)) for _ in range(self.size))
        return [v for v in values if v]

    def _faker(self, locale: str) -> Any:
        if locale not in self._fakers:
            from faker import Faker

            self._fakers[locale] = Faker(locale)
        return self._fakers[locale]


def _gendered(faker: Any, what: str, gender: str | None) -> str:
    return str(getattr(faker, f"{what}_{gender}" if gender else what)())


def _date(faker: Any) -> str:
    formats = DATE_FORMATS.get(language(faker.locales[0]), ("%Y-%m-%d",))
    day: dt.date = faker.date_between(dt.date(1950, 1, 1), dt.date(2030, 12, 31))
    fmt = formats[faker.random_int(0, len(formats) - 1)]
    return day.strftime(fmt)
