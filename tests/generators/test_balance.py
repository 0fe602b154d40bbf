"""Exact quotas by index, and random draws within sampling error."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from synthgen.generators.balance import UNIFORM_BLOCK, Categorical, Uniforms, quota_block


@pytest.mark.parametrize(
    ("weights", "block"),
    [({"a": 1, "b": 1, "c": 1}, 3), ({"a": 3, "b": 1}, 4), ({"a": 0.5, "b": 0.25, "c": 0.25}, 4)],
)
def test_every_block_holds_the_exact_proportions(weights, block):
    quota = Categorical(weights, "quota", "class")
    assert quota.block == block == quota_block(weights)
    for start in range(0, 5 * block, block):
        counts = Counter(quota.draw(0.0, 7, i) for i in range(start, start + block))
        total = sum(weights.values())
        assert {v: counts[v] / block for v in weights} == {v: w / total for v, w in weights.items()}


def test_a_quota_depends_only_on_seed_and_index():
    quota = Categorical({"a": 1, "b": 2}, "quota", "class")
    first = [quota.draw(0.0, 1, i) for i in range(30)]
    assert [quota.draw(0.0, 1, i) for i in reversed(range(30))] == first[::-1]
    other = [Categorical({"a": 1, "b": 2}, "quota", "gender").draw(0.0, 1, i) for i in range(30)]
    assert other != first  # each variable shuffles independently


def test_weights_that_need_huge_blocks_are_refused():
    with pytest.raises(ValueError, match="blocks of"):
        quota_block({"a": 0.123, "b": 0.877, "c": 0.0011})


def test_random_draws_follow_the_weights():
    draws = Categorical({"a": 3, "b": 1, "never": 0}, "sample", "x")
    rng = np.random.default_rng(0)
    counts = Counter(draws.draw(rng.random(), 0, i) for i in range(4000))
    assert set(counts) == {"a", "b"}
    assert abs(counts["a"] / 4000 - 0.75) < 4 * (0.75 * 0.25 / 4000) ** 0.5


def test_uniforms_depend_only_on_seed_and_index():
    indices = [0, 1, UNIFORM_BLOCK - 1, UNIFORM_BLOCK, 5 * UNIFORM_BLOCK + 3]
    forward = [Uniforms(4, "text").row(9, i) for i in indices]
    shared = Uniforms(4, "text")  # one object asked out of order, as a resumed worker is
    assert [shared.row(9, i) for i in reversed(indices)] == forward[::-1]
    assert all(len(row) == 4 and all(0 <= u < 1 for u in row) for row in forward)
    assert len({tuple(row) for row in forward}) == len(indices)
    assert Uniforms(4, "text").row(10, 0) != forward[0]  # another seed
    assert Uniforms(4, "other").row(9, 0) != forward[0]  # another salt
