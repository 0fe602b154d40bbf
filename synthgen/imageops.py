"""Pixel operations shared by the document degradations and the augment profiles.

Every function is pure: the same arrays and parameters give the same bytes. Randomness
that albumentations draws inside a transform (noise values, drop positions) comes from
an explicit ``seed``, so a plan alone decides the output.

Coordinates: homographies map OpenCV pixel-centre coordinates (the centre of pixel
(x, y) is the point (x, y)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    import albumentations as A  # noqa: N812 (the library's documented alias)

Size = tuple[int, int]  # (width, height), as OpenCV takes it


def warp_array(
    src: np.ndarray, mat: np.ndarray, size: Size, flags: int, fill: Sequence[float] | float = 0
) -> np.ndarray:
    """``cv2.warpPerspective`` with a constant border, through ``cv2.warpAffine`` when
    ``mat``'s last row is (0, 0, 1): OpenCV samples an affine map the same way in both
    (the same pixels, tests/test_imageops.py) and the affine path skips a division per
    pixel (a fifth less time on arrays in cache; the same when memory bandwidth bounds it).
    """
    border = tuple(float(v) for v in fill) if isinstance(fill, Sequence) else float(fill)
    if mat[2, 0] == 0 and mat[2, 1] == 0 and mat[2, 2] == 1:
        return cv2.warpAffine(
            src, mat[:2], size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=border
        )
    return cv2.warpPerspective(
        src, mat, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def warp_ids(id_map: np.ndarray, mat: np.ndarray, size: Size) -> np.ndarray:
    """Nearest-neighbour warp of an id map, sampling exactly like a uint8 mask would.

    OpenCV 5 samples single-channel 8U/16U maps on a different code path than 32S (or
    multi-channel) ones: the chosen source pixel differs at a few rounding ties, so an
    int32 map would not match its own per-id uint8 masks warped with the same H. So ids go
    through single-channel uint16 planes: one when they fit, else low and high halves.

    >>> warp_ids(np.arange(4, dtype=np.uint16).reshape(2, 2), np.eye(3), (2, 2)).tolist()
    [[0, 1], [2, 3]]
    """

    def nearest(plane: np.ndarray) -> np.ndarray:
        return warp_array(plane, mat, size, cv2.INTER_NEAREST)

    if id_map.dtype == np.uint16:
        return nearest(id_map)
    if id_map.size == 0 or (id_map.min() >= 0 and id_map.max() <= 0xFFFF):
        return nearest(id_map.astype(np.uint16)).astype(id_map.dtype)
    halves = np.ascontiguousarray(id_map).view(np.uint16).reshape(*id_map.shape, 2)
    lo = nearest(np.ascontiguousarray(halves[..., 0]))
    hi = nearest(np.ascontiguousarray(halves[..., 1]))
    return np.ascontiguousarray(np.stack([lo, hi], axis=-1)).view(id_map.dtype)[..., 0]


def warp_image(image: np.ndarray, mat: np.ndarray, size: Size, fill: Sequence[int]) -> np.ndarray:
    """Bilinear warp with a constant ``fill`` where the source has no pixel."""
    return warp_array(image, mat, size, cv2.INTER_LINEAR, fill)


def albu(transform: A.BasicTransform, image: np.ndarray, seed: int = 0) -> np.ndarray:
    """Runs one albumentations transform on an image with its rng seeded.

    Callers fix the parameters (min == max, p=1); the seed drives what is left (noise
    values, pixel positions), so the plan alone decides the bytes.
    """
    transform.set_random_seed(seed)
    out: np.ndarray = transform(image=image)["image"]
    return out


def motion_blur(image: np.ndarray, length: int, angle: float) -> np.ndarray:
    """Linear motion blur with an odd, symmetric, unshifted kernel: the blur spreads
    pixels both ways and does not move them, so labels stay where the pixels are."""
    import albumentations as A  # noqa: N812 (loaded on first use: ~1 s a process)

    t = A.MotionBlur(
        blur_limit=(length, length),
        angle_range=(angle, angle),
        direction_range=(0.0, 0.0),
        allow_shifted=False,
        p=1.0,
    )
    return albu(t, image)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """A JPEG round trip at ``quality`` (RGB in, RGB out)."""
    import albumentations as A  # noqa: N812

    t = A.ImageCompression(compression_type="jpeg", quality_range=(quality, quality), p=1.0)
    # albumentations hands RGB straight to cv2.imencode, which reads BGR: swap around it so
    # the codec computes luma and chroma from the right channels.
    bgr = np.ascontiguousarray(image[..., ::-1])
    return np.ascontiguousarray(albu(t, bgr)[..., ::-1])


def gauss_noise(image: np.ndarray, std: float, per_channel: bool, seed: int) -> np.ndarray:
    """Gaussian noise with ``std`` in 0-255 units."""
    import albumentations as A  # noqa: N812

    frac = std / 255.0  # albumentations takes a fraction of the dtype's max
    return albu(A.GaussNoise(std_range=(frac, frac), per_channel=per_channel, p=1.0), image, seed)


def darken(image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Multiplies every channel by an HxW ``factor`` (rounded and saturated)."""
    # cv2 multiplies, rounds and saturates in one pass: ~5x faster than numpy here.
    f = factor.astype(np.float32)
    out: np.ndarray = cv2.multiply(image, cv2.merge([f, f, f]), dtype=cv2.CV_8U)
    return out
