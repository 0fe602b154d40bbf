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
    """Bilinear warp with a constant ``fill`` where the source has no pixel.

    An 8-bit RGB image is warped as RGBA: OpenCV's bilinear warp has a vector path for 4
    channels and none for 3, so the padded warp is ~3x faster (3.4 -> 1.0 ms CPU at
    640x480, the two conversions included) and each channel's bytes are the same, as
    channels are sampled independently (tests/test_imageops.py).
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        return warp_array(image, mat, size, cv2.INTER_LINEAR, fill)
    rgba = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA)
    out = warp_array(rgba, mat, size, cv2.INTER_LINEAR, (*fill, 0))
    return cv2.cvtColor(out, cv2.COLOR_RGBA2RGB)


def albu(transform: A.BasicTransform, image: np.ndarray, seed: int = 0) -> np.ndarray:
    """Runs one albumentations transform on an image with its rng seeded.

    Callers fix the parameters (min == max, p=1); the seed drives what is left (noise
    values, pixel positions), so the plan alone decides the bytes.
    """
    transform.set_random_seed(seed)
    out: np.ndarray = transform(image=image)["image"]
    return out


# motion_blur, jpeg and gauss_noise compute exactly what the albumentations transforms they
# replaced compute (tests/test_imageops.py holds them to the same bytes) without building a
# transform per image: building one cost more than applying it to a text line, and a worker
# that needs none of them never imports albumentations (~0.6 s of CPU a process).


def motion_blur(image: np.ndarray, length: int, angle: float) -> np.ndarray:
    """Linear motion blur with an odd, symmetric, unshifted kernel: the blur spreads
    pixels both ways and does not move them, so labels stay where the pixels are
    (albumentations' MotionBlur with direction 0 and no shift)."""
    out: np.ndarray = cv2.filter2D(image, -1, _motion_kernel(length, angle))
    return out


def _motion_kernel(size: int, angle: float) -> np.ndarray:
    """The line kernel albumentations draws for an odd ``size``, direction 0, no shift."""
    size = max(3, size + (size % 2 == 0))
    kernel = np.zeros((size, size), dtype=np.float32)
    centre, half = size // 2, size // 2
    rad = np.deg2rad(angle)
    t = np.linspace(float(-half), float(half), size)
    x = np.clip(np.round(centre + np.cos(rad) * t), 0, size - 1).astype(int)
    y = np.clip(np.round(centre + np.sin(rad) * t), 0, size - 1).astype(int)
    kernel[y, x] = 1
    return kernel / np.sum(kernel)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """A JPEG round trip at ``quality`` (RGB in, RGB out; the codec computes luma and
    chroma from the right channels)."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    _, data = cv2.imencode(".jpg", bgr, (int(cv2.IMWRITE_JPEG_QUALITY), quality))
    decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    assert decoded is not None  # OpenCV decodes what it just encoded
    out: np.ndarray = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    return out


def gauss_noise(image: np.ndarray, std: float, per_channel: bool, seed: int) -> np.ndarray:
    """Gaussian noise with ``std`` in 0-255 units, as albumentations' GaussNoise seeded with
    ``seed`` draws it: OpenCV's generator, seeded from the numpy one; values add truncated
    and saturated."""
    rng = np.random.default_rng(seed)
    cv2.setRNGSeed(int(rng.integers(0, 2**16)))
    h, w, c = image.shape
    channels = c if per_channel else 1
    sigma = np.full(channels, std / 255.0, np.float32)
    drawn = np.zeros((h, w, c) if per_channel else (h, w))
    cv2.randn(dst=drawn, mean=np.zeros(channels, np.float32), stddev=sigma)
    noise = np.trunc(drawn.astype(np.float32) * 255).astype(np.int16)
    if not per_channel:
        noise = noise[..., None]
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def darken(image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Multiplies every channel by an HxW ``factor`` (rounded and saturated)."""
    # cv2 multiplies, rounds and saturates in one pass: ~5x faster than numpy here.
    f = factor.astype(np.float32)
    out: np.ndarray = cv2.multiply(image, cv2.merge([f, f, f]), dtype=cv2.CV_8U)
    return out
