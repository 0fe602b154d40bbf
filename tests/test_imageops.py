import cv2
import numpy as np
import pytest

from synthgen.imageops import warp_array, warp_image


def _affine(rng: np.random.Generator, w: int, h: int, kind: str) -> np.ndarray:
    """An affine homography as the augment profiles make them."""
    if kind == "rotate":
        mat = np.vstack(
            [
                cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), rng.uniform(-180, 180), 1.0),
                [0, 0, 1],
            ]
        )
        if rng.random() < 0.5:
            mat = mat @ np.array([[-1.0, 0, w - 1], [0, 1, 0], [0, 0, 1]])
        return mat
    if kind == "scale":  # scale_down: pixel edges onto pixel edges, placed anywhere
        fx, fy = rng.uniform(0.25, 0.6, 2)
        x0, y0 = rng.integers(0, w // 2), rng.integers(0, h // 2)
        return np.array([[fx, 0, fx * 0.5 - 0.5 + x0], [0, fy, fy * 0.5 - 0.5 + y0], [0, 0, 1.0]])
    mat = np.eye(3)  # any affine map
    mat[:2] = rng.uniform(-1.5, 1.5, (2, 3)) * [1, 1, w]
    return mat


@pytest.mark.parametrize("kind", ["rotate", "scale", "general"])
def test_affine_warp_samples_as_the_perspective_warp(kind):
    # warp_array takes OpenCV's affine path for affine matrices: the pixels must be those of
    # warpPerspective (image bilinear; id maps, masks and depth nearest), or output bytes
    # would change with it.
    rng = np.random.default_rng(7)
    h, w = 97, 131
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    ids = cv2.resize(
        rng.integers(0, 300, (9, 11)).astype(np.uint16), (w, h), interpolation=cv2.INTER_NEAREST
    )
    mask = (ids % 3 == 0).astype(np.uint8)
    depth = rng.random((h, w), dtype=np.float32)
    for _ in range(40):
        mat = _affine(rng, w, h, kind)
        size = (int(rng.integers(60, 160)), int(rng.integers(60, 160)))
        for src, flags, fill in [
            (image, cv2.INTER_LINEAR, (10, 20, 30)),
            (ids, cv2.INTER_NEAREST, 0),
            (mask, cv2.INTER_NEAREST, 0),
            (depth, cv2.INTER_NEAREST, 0),
        ]:
            border = tuple(float(v) for v in fill) if isinstance(fill, tuple) else float(fill)
            expected = cv2.warpPerspective(
                src, mat, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=border
            )
            got = warp_array(src, mat, size, flags, fill)
            assert np.array_equal(got, expected), (kind, src.dtype)


@pytest.mark.parametrize("kind", ["rotate", "scale", "general", "perspective"])
def test_image_warp_through_rgba_gives_the_rgb_warp_bytes(kind):
    # warp_image pads RGB to RGBA for OpenCV's 4-channel vector path: every channel must
    # come out as the plain 3-channel warp makes it, fill included.
    rng = np.random.default_rng(11)
    for h, w in [(97, 131), (5, 7), (480, 640)]:
        image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        for _ in range(10 if h < 400 else 2):
            if kind == "perspective":
                src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
                dst = src + rng.uniform(-0.2, 0.2, (4, 2)).astype(np.float32) * [w, h]
                mat = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
            else:
                mat = _affine(rng, w, h, kind)
            size = (int(rng.integers(w // 2, 2 * w)), int(rng.integers(h // 2, 2 * h)))
            fill = tuple(int(v) for v in rng.integers(0, 256, 3))
            expected = cv2.warpPerspective(
                image, mat, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                borderValue=tuple(float(v) for v in fill),
            )  # fmt: skip
            assert np.array_equal(warp_image(image, mat, size, fill), expected), (kind, h, w)
