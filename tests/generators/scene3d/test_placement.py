"""The height-map drop: objects rest on what is below them and never share a cell."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.generators.scene3d.placement import HeightMap


def _box(size_x: float, size_y: float, height: float, step: float = 0.002) -> np.ndarray:
    """Points on a box resting at z = 0, centred in x and y, as 3 x n rows."""
    xs = np.arange(-size_x / 2, size_x / 2 + 1e-9, step)
    ys = np.arange(-size_y / 2, size_y / 2 + 1e-9, step)
    gx, gy = np.meshgrid(xs, ys)
    bottom = np.stack([gx.ravel(), gy.ravel(), np.zeros(gx.size)])
    top = bottom.copy()
    top[2] = height
    return np.hstack([bottom, top])


def test_a_box_dropped_on_another_rests_on_its_top():
    heights = HeightMap(-0.2, -0.2, 0.2, 0.2, 0.004)
    assert heights.drop(_box(0.1, 0.1, 0.05), 0.0, 0.0) == 0.0
    assert heights.drop(_box(0.04, 0.04, 0.03), 0.01, 0.0) == pytest.approx(0.05)
    assert heights.height.max() == pytest.approx(0.08)


def test_a_box_beside_another_stays_on_the_floor():
    heights = HeightMap(-0.2, -0.2, 0.2, 0.2, 0.004)
    heights.drop(_box(0.1, 0.1, 0.05), -0.06, 0.0)
    assert heights.drop(_box(0.05, 0.05, 0.02), 0.1, 0.0) == 0.0


def test_footprints_are_grown_by_a_cell():
    """A gap smaller than a cell is no gap: the second box must climb onto the first."""
    heights = HeightMap(-0.2, -0.2, 0.2, 0.2, 0.004)
    heights.drop(_box(0.1, 0.1, 0.05), -0.05, 0.0)  # right face at x = 0
    small = _box(0.05, 0.05, 0.02)  # left face at x - 0.025
    assert heights.drop(small, 0.026, 0.0, commit=False) == pytest.approx(0.05)
    assert heights.drop(small, 0.05, 0.0, commit=False) == 0.0


def test_a_footprint_leaving_the_map_is_refused_and_leaves_it_unchanged():
    heights = HeightMap(-0.2, -0.2, 0.2, 0.2, 0.004)
    assert heights.drop(_box(0.1, 0.1, 0.05), 0.17, 0.0) is None
    assert not heights.height.any()


def test_a_trial_drop_does_not_commit():
    heights = HeightMap(-0.2, -0.2, 0.2, 0.2, 0.004)
    assert heights.drop(_box(0.1, 0.1, 0.05), 0.0, 0.0, commit=False) == 0.0
    assert not heights.height.any()
