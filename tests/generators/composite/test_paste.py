import numpy as np
import pytest

from synthgen.generators.composite import paste


@pytest.mark.parametrize(
    ("h", "w", "x", "y"), [(30, 40, 30, 20), (31, 41, 0, 0), (20, 25, 110, 85)]
)
def test_poisson_paste_lands_where_the_mask_is(h, w, x, y):
    canvas = np.full((100, 120, 3), 128, np.uint8)
    colour = np.full((h, w, 3), 128, np.uint8)
    colour[h // 2, w // 3] = (255, 0, 0)  # a detail whose gradient Poisson keeps
    mask = np.zeros((h, w), bool)
    mask[2 : h - 2, 2 : w - 2] = True
    before = canvas.copy()
    paste.poisson_paste(canvas, colour, mask, x, y)
    red = canvas[:, :, 0].astype(int) - canvas[:, :, 1]
    if x + w <= 120 and y + h <= 100:
        assert np.unravel_index(np.argmax(red), red.shape) == (y + h // 2, x + w // 3)
    outside = np.ones((100, 120), bool)
    outside[max(y, 0) : y + h, max(x, 0) : x + w] = ~mask[: 100 - y, : 120 - x]
    assert np.array_equal(canvas[outside], before[outside])  # nothing outside the mask moves


def test_poisson_paste_changes_every_row_and_column_of_the_mask():
    canvas = np.full((60, 60, 3), 128, np.uint8)
    colour = np.full((20, 20, 3), 200, np.uint8)
    colour[:, ::2] = 50  # stripes: every column carries a gradient
    mask = np.zeros((20, 20), bool)
    mask[2:18, 2:18] = True
    paste.poisson_paste(canvas, colour, mask, 20, 20)
    changed = (canvas != 128).any(axis=2)[20:40, 20:40]
    assert changed[2:18, 2:18].any(axis=0).all() and changed[2:18, 2:18].any(axis=1).all()


def test_bleed_fills_transparent_colour_from_the_edge():
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[5:15, 5:15] = (200, 10, 10, 255)
    out = paste.bleed(rgba)
    assert (out[0, 0, :3] == (200, 10, 10)).all() and out[0, 0, 3] == 0
    assert np.array_equal(out[5:15, 5:15], rgba[5:15, 5:15])


def test_colour_matrix_identity_and_saturation():
    m = paste.colour_matrix(1, 1, 1, 0, mean=100)
    assert np.allclose(m, np.hstack([np.eye(3), np.zeros((3, 1))]))
    grey = paste.colour_matrix(1, 1, 0, 0, mean=100)[:, :3] @ [200, 50, 10]
    assert np.allclose(grey, grey[0])  # saturation 0 gives grey


def test_object_matrix_turns_counter_clockwise_and_mirrors():
    m = paste.object_matrix((10, 10), 1.0, 90, False, False)
    x, y, _ = m @ [10, 5, 1]  # the right edge's midpoint
    assert np.allclose((x, y), (0, -5))  # ends up on top: counter-clockwise on screen
    f = paste.object_matrix((10, 10), 2.0, 0, True, False)
    assert np.allclose(f @ [10, 5, 1], (-10, 0, 1))
