"""Value pools: the cache between runs gives the values Faker makes, or is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthgen.generators.text import values
from synthgen.generators.text.values import ValuePools


def _pools(size: int = 30) -> dict[tuple[str, str, str | None], list[str]]:
    pools = ValuePools(size, {})
    for slot in ("person", "address", "date", "iban"):
        for locale in ("en_US", "fr_FR"):
            pools.pool(slot, locale, "female")
    return pools._pools


def test_cached_pools_equal_fresh_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHGEN_CACHE_DIR", "")  # off: Faker makes every value
    fresh = _pools()
    monkeypatch.setenv("SYNTHGEN_CACHE_DIR", str(tmp_path))
    first = _pools()  # made by Faker, then written
    files = sorted((tmp_path / "pools").iterdir())
    assert len(files) == len(fresh)
    monkeypatch.setattr(values.Fakers, "__call__", _no_faker)
    assert _pools() == first == fresh  # read back without Faker


def test_pool_size_is_part_of_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHGEN_CACHE_DIR", str(tmp_path))
    small, large = _pools(10), _pools(20)
    assert all(len(v) == 10 for v in small.values())
    assert all(len(v) == 20 for v in large.values())
    assert all(large[k][:10] == small[k] for k in small)  # the same seeded draws


@pytest.mark.parametrize("content", [b"", b"{not json", b"[]", b'[1, "a"]', b'{"a": 1}'])
def test_a_broken_cache_file_is_ignored_and_rewritten(content, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHGEN_CACHE_DIR", str(tmp_path))
    good = _pools()
    for path in (tmp_path / "pools").iterdir():
        path.write_bytes(content)
    assert _pools() == good
    assert _pools() == good


def test_an_unwritable_cache_folder_costs_nothing_but_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("SYNTHGEN_CACHE_DIR", "")
    fresh = _pools()
    monkeypatch.setenv("SYNTHGEN_CACHE_DIR", str(blocker))
    assert _pools() == fresh
    assert not list(tmp_path.glob("**/*.tmp"))


def test_the_cache_folder_follows_the_environment(monkeypatch):
    monkeypatch.setenv("SYNTHGEN_CACHE_DIR", "")
    assert values.cache_dir() is None
    monkeypatch.delenv("SYNTHGEN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert values.cache_dir() == Path("/somewhere/synthgen/pools")


def _no_faker(self: object, locale: str) -> None:
    raise AssertionError(f"Faker asked for {locale}: the cache was not used")
