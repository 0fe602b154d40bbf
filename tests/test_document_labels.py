import numpy as np
import pytest

from synthgen.document_labels import _quad
from synthgen.labels import ObjectLabel


def _reference_quad(mask: np.ndarray, origin: tuple[int, int], warp: np.ndarray) -> np.ndarray:
    """Every corner of every pixel mapped back through the warp, boxed, and forwarded."""
    ys, xs = np.nonzero(mask)
    corners = np.concatenate(
        [np.stack([xs + dx + origin[0], ys + dy + origin[1]], 1) for dx in (0, 1) for dy in (0, 1)]
    ).astype(float)

    def through(h: np.ndarray, p: np.ndarray) -> np.ndarray:  # continuous coordinates
        q = np.c_[p - 0.5, np.ones(len(p))] @ h.T
        return q[:, :2] / q[:, 2:] + 0.5

    flat = through(np.linalg.inv(warp), corners)
    (u0, v0), (u1, v1) = flat.min(0), flat.max(0)
    return through(warp, np.array([[u0, v0], [u1, v0], [u1, v1], [u0, v1]]))


@pytest.mark.parametrize(
    "warp",
    [
        [[0.99, -0.14, 9.0], [0.14, 0.99, -4.0], [0.0, 0.0, 1.0]],  # a rotation: affine
        [[1.1, 0.2, -3.0], [-0.1, 0.9, 5.0], [0.0, 0.0, 1.0]],  # shear and scale: affine
        [[1.0, 0.05, 2.0], [0.02, 1.0, 1.0], [4e-4, -3e-4, 1.0]],  # perspective
    ],
)
def test_a_word_quad_is_the_tight_box_of_its_pixels_along_the_text(warp):
    warp = np.array(warp)
    mask = np.random.default_rng(1).random((14, 31)) < 0.3
    mask[:, 0] = mask[:, -1] = mask[0] = mask[-1] = False
    mask[4, 1] = mask[12, 29] = mask[1, 7] = True  # rows 2-3 of the box hold no ink
    mask[2:4] = False
    word = ObjectLabel(1, "word", (20, 30, 51, 44), mask, (80, 90))
    quad = np.array(_quad(word, warp, np.linalg.inv(warp)))
    np.testing.assert_allclose(quad, _reference_quad(mask, (20, 30), warp), atol=0.006)


def test_without_a_warp_a_word_quad_is_its_box():
    word = ObjectLabel(1, "word", (3, 4, 10, 9), np.ones((5, 7), bool), (20, 20))
    assert _quad(word, None, None) == ((3.0, 4.0), (10.0, 4.0), (10.0, 9.0), (3.0, 9.0))
