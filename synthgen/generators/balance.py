"""Drawing a categorical value per sample, either at random or by exact quota.

``sample`` draws each sample's value from one of the sample's uniform numbers (see
``Uniforms``): proportions hold within sampling error. ``quota`` makes them exact: the
indices are cut into blocks just long enough to hold every value a whole number of times
(uniform over 3 classes: blocks of 3; weights 3:1: blocks of 4), and each block is a
seeded shuffle of its values. Sample i still depends only on (seed, i), so quotas survive
any worker count and a resumed run; a dataset whose size is a multiple of the block holds
exactly the asked proportions, any other size is off by less than one block.
"""

from __future__ import annotations

import bisect
import math
import zlib
from fractions import Fraction
from typing import Literal

import numpy as np

BalanceMode = Literal["sample", "quota"]
MAX_BLOCK = 10_000
UNIFORM_BLOCK = 256  # samples that share one rng in Uniforms


class Uniforms:
    """``width`` uniform numbers in [0, 1) for each sample, a function of (seed, index) only.

    Creating a numpy Generator costs 20-30 us, more than the rest of a template sentence,
    so samples share one per block: sample i's numbers are row ``i % UNIFORM_BLOCK`` of
    ``default_rng([seed, salt, i // UNIFORM_BLOCK]).random((UNIFORM_BLOCK, width))``. The
    same in any process, in any order and on a resumed run; neighbouring indices (a
    worker's chunk) reuse the block.

    >>> u = Uniforms(3, "doc")
    >>> u.row(0, 5) == Uniforms(3, "doc").row(0, 5) and len(u.row(0, 5)) == 3
    True
    """

    def __init__(self, width: int, salt: str) -> None:
        self.width = width
        self.salt = zlib.crc32(salt.encode())
        self._last: tuple[int, int, list[list[float]]] | None = None  # (seed, block, rows)

    def row(self, seed: int, index: int) -> list[float]:
        block, offset = divmod(index, UNIFORM_BLOCK)
        if self._last is None or self._last[:2] != (seed, block):
            rng = np.random.default_rng([seed, self.salt, block])
            self._last = (seed, block, rng.random((UNIFORM_BLOCK, self.width)).tolist())
        return self._last[2][offset]


class Categorical:
    """Values with relative weights, drawn by ``mode``; ``salt`` keeps the shuffles of
    different variables (class, gender, locale) independent of each other."""

    def __init__(self, weights: dict[str, float], mode: BalanceMode, salt: str) -> None:
        self.values = [v for v, w in weights.items() if w > 0]
        total = sum(weights[v] for v in self.values)
        self.cumulative = np.cumsum([weights[v] / total for v in self.values]).tolist()
        self.mode = mode
        self.salt = zlib.crc32(salt.encode())
        self.block = quota_block(weights) if mode == "quota" else 0
        if mode == "quota":
            counts = [int(share * self.block) for share in _shares(weights)]
            self._multiset = np.repeat(np.arange(len(self.values)), counts)
        self._last: tuple[int, int, list[int]] | None = None  # (seed, block, its order)

    def draw(self, u: float, seed: int, index: int) -> str:
        """The value of sample ``index``: from ``u``, uniform in [0, 1), in sample mode;
        from the seeded shuffle of its block in quota mode (``u`` unused)."""
        if len(self.values) == 1:
            return self.values[0]
        if self.mode == "sample":
            k = bisect.bisect_right(self.cumulative, u * self.cumulative[-1])
            return self.values[min(k, len(self.values) - 1)]
        block, offset = divmod(index, self.block)
        if self._last is None or self._last[:2] != (seed, block):  # neighbours share blocks
            order = np.random.default_rng([seed, self.salt, block]).permutation(self._multiset)
            self._last = (seed, block, order.tolist())
        return self.values[self._last[2][offset]]


def quota_block(weights: dict[str, float]) -> int:
    """The shortest run of samples that holds every value a whole number of times.

    Raises ValueError when the weights need a block longer than MAX_BLOCK (weights such as
    0.3333 that are meant as 1/3 are read as the nearest fraction with a denominator up to
    1000)."""
    block = math.lcm(*(share.denominator for share in _shares(weights)))
    if block > MAX_BLOCK:
        raise ValueError(
            f"exact quotas for these weights need blocks of {block} samples; use simpler "
            "ratios (small whole numbers) or mode: sample"
        )
    return block


def _shares(weights: dict[str, float]) -> list[Fraction]:
    """Each positive weight's exact share of the total, the weights read as fractions."""
    exact = [Fraction(w).limit_denominator(1000) for w in weights.values() if w > 0]
    total = sum(exact)
    return [w / total for w in exact]
