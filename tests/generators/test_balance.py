"""Exact quotas by index, and random draws within sampling error."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from synthgen.generators.balance import Categorical, quota_block


@pytest.mark.parametrize(
    ("weights", "block"),
    [({"a": 1, "b": 1, "c": 1}, 3), ({"a": 3, "b": 1}, 4), ({"a": 0.5, "b": 0.25, "c": 0.25}, 4)],
)
def test_every_block_holds_the_exact_proportions(weights, block):
    quota = Categorical(weights, "quota", "class")
    assert quota.block == block == quota_block(weights)
    for start in range(0, 5 * block, block):
        counts = Counter(quota.draw(None, 7, i) for i in range(start, start + block))
        total = sum(weights.values())
        assert {v: counts[v] / block for v in weights} == {v: w / total for v, w in weights.items()}


def test_a_quota_depends_only_on_seed_and_index():
    quota = Categorical({"a": 1, "b": 2}, "quota", "class")
    first = [quota.draw(None, 1, i) for i in range(30)]
    assert [quota.draw(None, 1, i) for i in reversed(range(30))] == first[::-1]
    other = [Categorical({"a": 1, "b": 2}, "quota", "gender").draw(None, 1, i) for i in range(30)]
    assert other != first  # each variable shuffles independently


def test_weights_that_need_huge_blocks_are_refused():
    with pytest.raises(ValueError, match="blocks of"):
        quota_block({"a": 0.123, "b": 0.877, "c": 0.0011})


def test_random_draws_follow_the_weights():
    draws = Categorical({"a": 3, "b": 1, "never": 0}, "sample", "x")
    counts = Counter(draws.draw(np.random.default_rng([0, i]), 0, i) for i in range(4000))
    assert set(counts) == {"a", "b"}
    assert abs(counts["a"] / 4000 - 0.75) < 4 * (0.75 * 0.25 / 4000) ** 0.5
