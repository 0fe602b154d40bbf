"""Slot values: built-in entity slots over Faker, custom choice lists and Faker providers.

Faker takes 25-300 us per value, too slow for tens of thousands of sentences a second, so
each (slot, locale, gender) gets a pool of values made once per process by a Faker seeded
from the slot's name: the same pool in every process, for a given Faker version (recorded
in the run's fingerprint, since Faker's output for a seed changes between releases). A
sample then only picks an index. Values are NFC-normalized with whitespace runs (Faker's
newlines in addresses, no-break spaces in prices) made single spaces.

Filling the pools takes seconds (48 pools of 1000 Faker values: ~3 s), paid by every
worker process of every run, so a pool made once is kept as a JSON file in the user's cache
folder (``$SYNTHGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/synthgen`` or ``~/.cache/synthgen``;
``SYNTHGEN_CACHE_DIR=`` with nothing turns it off). Its name hashes everything the values
depend on: this module's source, the Faker and Python versions, the stopped clock's day
(the recipe's ``today``), the slot, locale, gender, provider and pool size; a file that
cannot be read or written is ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sys
import unicodedata
import zlib
from collections.abc import Callable
from contextlib import suppress
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson

from synthgen.generators.fakers import DEFAULT_TODAY, Fakers, reference_time

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

    def __init__(self, size: int, custom: dict[str, Any], today: dt.date = DEFAULT_TODAY) -> None:
        self.size = size
        self.custom = custom  # slot name -> SlotSpec
        self._faker = Fakers(today)  # on a stopped clock: see fakers.py
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
        provider = spec.provider if spec is not None else None
        path = _cache_file(slot, locale, gender, provider, self.size, self._faker.today)
        cached = _read_pool(path)
        if cached is not None:
            return cached
        faker = self._faker(locale)
        faker.seed_instance(zlib.crc32(f"{slot}/{locale}/{gender}".encode()))
        if provider is not None:
            method = getattr(faker, provider)
            make: Maker = lambda f, g: str(method())  # noqa: E731
        else:
            make = BUILTIN_SLOTS[slot][1]
        with self._faker.clock():
            values = (clean(make(faker, gender)) for _ in range(self.size))
            pool = [v for v in values if v]
        _write_pool(path, pool)
        return pool


def cache_dir() -> Path | None:
    """Where pools are kept between runs (None: nowhere)."""
    folder = os.environ.get("SYNTHGEN_CACHE_DIR")
    if folder is not None:
        return Path(folder) / "pools" if folder else None
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # no home folder to be found: no cache
        return None
    return Path(base) / "synthgen" / "pools"


@cache
def _code_key() -> str | None:
    """What every pool's values depend on besides its own key (None: unknown, no cache)."""
    py = ".".join(map(str, sys.version_info[:2]))  # Faker draws with Python's random
    try:
        source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    except OSError:  # e.g. installed in a zip: the source cannot be read
        return None
    return f"{source}/faker {version('faker')}/python {py}"


def _cache_file(
    slot: str, locale: str, gender: str | None, provider: str | None, size: int, today: dt.date
) -> Path | None:
    folder, code = cache_dir(), _code_key()
    if folder is None or code is None:
        return None
    clock = reference_time(today).isoformat()
    key = f"{code}/clock {clock}/{slot}/{locale}/{gender}/{provider}/{size}"
    return folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _read_pool(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    try:
        pool = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if isinstance(pool, list) and pool and all(isinstance(v, str) and v for v in pool):
        return pool
    return None


def _write_pool(path: Path | None, pool: list[str]) -> None:
    """Atomically (workers of one run may write the same pool at once); best effort."""
    if path is None:
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(orjson.dumps(pool))
        os.replace(tmp, path)
    except OSError:
        with suppress(OSError):  # never made, or its folder is not one
            tmp.unlink()


def _gendered(faker: Any, what: str, gender: str | None) -> str:
    return str(getattr(faker, f"{what}_{gender}" if gender else what)())


def _date(faker: Any) -> str:
    formats = DATE_FORMATS.get(language(faker.locales[0]), ("%Y-%m-%d",))
    day: dt.date = faker.date_between(dt.date(1950, 1, 1), dt.date(2030, 12, 31))
    fmt = formats[faker.random_int(0, len(formats) - 1)]
    return day.strftime(fmt)
