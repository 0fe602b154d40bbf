"""The photometric steps that no longer build albumentations transforms give the bytes those
transforms give, for random images, shapes and parameters (motion blur, noise and JPEG are
imageops', which augment uses too)."""

from typing import Any

import albumentations as A  # noqa: N812 (the library's documented alias)
import numpy as np
import pytest

from synthgen.generators.document.degrade import _PHOTOMETRIC, rounded
from synthgen.imageops import albu


def _reference(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    """The transform each step was written with (degrade.py before it computed them itself)."""
    op = step["op"]
    if op == "blur":
        s = step["sigma"]
        return albu(A.GaussianBlur(blur_limit=0, sigma_limit=(s, s), p=1.0), image)
    if op == "motion_blur":
        n, a = step["length"], step["angle"]
        t = A.MotionBlur(
            blur_limit=(n, n), angle_range=(a, a), direction_range=(0.0, 0.0),
            allow_shifted=False, p=1.0,
        )  # fmt: skip
        return albu(t, image)
    if op == "noise":
        frac = step["std"] / 255.0  # albumentations takes a fraction of the dtype's max
        t = A.GaussNoise(std_range=(frac, frac), per_channel=step["per_channel"], p=1.0)
        return albu(t, image, step["seed"])
    if op == "jpeg":
        q = step["quality"]
        t = A.ImageCompression(compression_type="jpeg", quality_range=(q, q), p=1.0)
        # albumentations hands RGB straight to cv2.imencode, which reads BGR: swap around it.
        bgr = np.ascontiguousarray(image[..., ::-1])
        return np.ascontiguousarray(albu(t, bgr)[..., ::-1])
    c = step["factor"]
    b = (1.0 - c) * 128.0 / 255.0 + step["brightness"]
    t = A.RandomBrightnessContrast(
        brightness_limit=(b, b), contrast_limit=(c - 1.0, c - 1.0), brightness_by_max=True, p=1.0
    )
    return albu(t, image)


def _draw(op: str, rng: np.random.Generator) -> dict[str, Any]:
    if op == "blur":
        return {"op": op, "sigma": rounded(rng.uniform(0.05, 10))}
    if op == "motion_blur":
        return {
            "op": op,
            "length": int(rng.integers(1, 32)) * 2 + 1,
            "angle": rounded(rng.uniform(0, 180)),
        }
    if op == "noise":
        return {
            "op": op,
            "std": rounded(rng.uniform(0, 60)),
            "per_channel": bool(rng.random() < 0.5),
            "seed": int(rng.integers(2**31 - 1)),
        }
    if op == "jpeg":
        return {"op": op, "quality": int(rng.integers(1, 101))}
    return {
        "op": op,
        "factor": rounded(rng.uniform(0.01, 1)),
        "brightness": rounded(rng.uniform(-1, 1)),
    }


@pytest.mark.parametrize("op", ["blur", "motion_blur", "noise", "jpeg", "contrast"])
def test_same_bytes_as_albumentations(op: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        h, w = int(rng.integers(1, 90)), int(rng.integers(1, 400))
        # Flat paper with dark strokes and grain: what text lines and pages look like.
        image = np.full((h, w, 3), rng.integers(150, 256, 3), np.uint8)
        strokes = rng.random((h, w)) < 0.2
        image[strokes] = rng.integers(0, 90, 3)
        image = np.clip(image + rng.normal(0, 6, (h, w, 1)), 0, 255).astype(np.uint8)
        step = _draw(op, rng)
        got = _PHOTOMETRIC[op](image, step)
        want = _reference(image, step)
        assert got.dtype == want.dtype and got.shape == want.shape, step
        assert np.array_equal(got, want), (step, (h, w))
