"""Helpers of the 3D generator that need no renderer."""

from __future__ import annotations

import cv2
import numpy as np

from synthgen.generators.scene3d.generator import _ALPHAS, _behind, _rounded


def test_solid_background_table_equals_multiplying_every_pixel():
    rng = np.random.default_rng(0)
    alpha = rng.integers(0, 256, (48, 64), dtype=np.uint8)
    alpha[0, :] = 0
    alpha[1, :] = 255
    for colour in ([0, 0, 0], [255, 255, 255], [17, 128, 254], [200, 3, 99]):
        c = np.array(colour, np.uint8)[None, None]
        table = _behind(c, _ALPHAS)
        looked_up = cv2.LUT(cv2.cvtColor(alpha, cv2.COLOR_GRAY2RGB), table)
        full = cv2.multiply(np.tile(c, (48, 64, 1)), cv2.merge([255 - alpha] * 3), scale=1 / 255)
        assert np.array_equal(looked_up, full)


def test_rounded_keeps_shape_and_significant_digits():
    values = np.array([[1 / 3, -2e-9, 0.0], [123456789.0, -0.0, 1.0]])
    assert _rounded(values) == [[0.333333, -2e-09, 0.0], [123457000.0, -0.0, 1.0]]
    assert _rounded(values[0], digits=3) == [0.333, -2e-09, 0.0]


def test_antialias_is_in_the_recipe_only_when_off():
    # Recipes from before the key keep their dump, hence their hash (a run still resumes).
    from synthgen.generators.scene3d.config import ImageSize

    assert ImageSize().model_dump(mode="json") == {"width": 640, "height": 480}
    sharp = ImageSize(antialias=False).model_dump(mode="json")
    assert sharp == {"width": 640, "height": 480, "antialias": False}
    assert ImageSize.model_validate(sharp).antialias is False
