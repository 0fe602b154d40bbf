"""The text-line generator's OpenCV pixel paths give the bytes of the numpy formulas they
replaced, for every value they can meet."""

import numpy as np

from synthgen.generators.document.render import blend
from synthgen.generators.textline.generator import _blend, _paper


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


def test_paper_saturates_like_numpy_for_every_value() -> None:
    # Every grain value a line can meet (grain <= 64 grey levels: |noise| < 400), on
    # every paper level.
    noise = np.repeat(np.arange(-512, 512, dtype=np.int16)[None, :], 256, 0)
    levels = np.arange(256)
    for colour in ([0, 0, 0], [255, 255, 255], [246, 242, 230]):
        want = np.clip(np.asarray(colour, np.int16) + noise[..., None], 0, 255)
        assert np.array_equal(_paper(colour, noise, *noise.shape), want.astype(np.uint8))
    rows = np.clip(levels[:, None] + noise.astype(np.int64), 0, 255).astype(np.uint8)
    got = np.stack([_paper([int(c), 0, 0], noise[:1], 1, 1024)[0, :, 0] for c in levels])
    assert np.array_equal(got, rows)
