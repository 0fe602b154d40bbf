"""The text-line generator's OpenCV pixel paths give the bytes of the numpy formulas they
replaced, for every value they can meet."""

import numpy as np

from synthgen.generators.document.render import blend
from synthgen.generators.textline.generator import _add_grain, _blend, _grain


def test_blend_is_renders_exact_integer_blend_for_every_value() -> None:
    # Every (paper, coverage) pair on one 256x256 image, for every ink level per channel.
    paper = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 256, 1)
    alpha = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 256, 0)
    image = np.stack([paper, paper[::-1], paper], -1)
    for level in range(256):
        ink = [level, 255 - level, (level * 7) % 256]
        want = image.copy()
        blend(want, alpha, tuple(ink))
        assert np.array_equal(_blend(image, alpha, ink), want), ink


def test_grain_saturates_like_numpy() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (37, 211, 3), dtype=np.uint8)
    for grain in (0.5, 8.0, 64.0, 300.0):  # 300: past both ends
        noise = np.rint(_grain(37, 211, 12345) * grain).astype(np.int16)
        want = np.clip(image + noise[..., None], 0, 255).astype(np.uint8)
        got = _add_grain(image, noise)
        assert np.array_equal(got, want), grain
