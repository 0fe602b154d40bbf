"""Pure array functions of the compositor: object transforms, warps, blends, colour.

Coordinates are continuous (pixel (x, y) covers [x, x+1) x [y, y+1)); matrices map cutout
coordinates to patch or image coordinates and go through ``to_cv_matrix`` before OpenCV.

A pasted object is a *patch*: premultiplied colour and alpha in [0, 1] on a small grid. Its
mask is where alpha >= 0.5, i.e. where the object makes at least half of the final colour;
the same rule holds for every blend mode, so labels follow what a viewer sees and never the
faint halo around a feathered or motion-blurred edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from synthgen.geometry import to_cv_matrix

MASK_THRESHOLD = 0.5


@dataclass(frozen=True)
class Patch:
    """A rendered object: straight ``colour`` (h, w, 3) uint8, ``alpha`` (h, w) float32 in
    0..1 and ``mask`` = alpha >= 0.5; ``matrix`` maps cutout coordinates to the patch.
    With ``poisson`` the patch is cloned in the gradient domain instead of alpha-blended;
    its colour then extends past the mask, where seamlessClone reads it."""

    colour: np.ndarray
    alpha: np.ndarray
    mask: np.ndarray
    area: int  # mask pixels: the whole object, hidden and off-canvas parts included
    matrix: np.ndarray
    poisson: bool = False

    @cached_property
    def layers(self) -> tuple[np.ndarray, np.ndarray]:
        """(colour x alpha, 255 x (1 - alpha)) in uint8: compositing is then two saturating
        uint8 operations, three times faster than a float blend (and within one level)."""
        a8 = cv2.convertScaleAbs(self.alpha, alpha=255)  # rounds and saturates
        a3 = cv2.merge([a8, a8, a8])
        return cv2.multiply(self.colour, a3, scale=1 / 255), cv2.bitwise_not(a3)


def object_matrix(
    size: tuple[int, int],
    scale: float,
    angle_deg: float,
    flip_h: bool,
    flip_v: bool,
    corner_jitter: np.ndarray | None = None,
) -> np.ndarray:
    """Cutout coordinates -> coordinates centred on the object (before placement).

    Scale, turn (counter-clockwise on screen) and mirror about the cutout's centre.
    ``corner_jitter`` (4, 2) first moves the cutout's corners, as fractions of its size,
    for a perspective warp.
    """
    w, h = size
    a = math.radians(angle_deg)
    cos, sin = math.cos(a) * scale, math.sin(a) * scale
    fx, fy = (-1.0 if flip_h else 1.0), (-1.0 if flip_v else 1.0)
    m00, m01, m10, m11 = cos * fx, sin * fy, -sin * fx, cos * fy
    m = np.array(
        [[m00, m01, -(m00 * w + m01 * h) / 2], [m10, m11, -(m10 * w + m11 * h) / 2], [0, 0, 1.0]]
    )
    if corner_jitter is None:
        return m
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    dst = (src + corner_jitter * [w, h]).astype(np.float32)
    return m @ cv2.getPerspectiveTransform(src, dst)


def patch_frame(
    matrix: np.ndarray, size: tuple[int, int], margin: int
) -> tuple[np.ndarray, int, int, int, int]:
    """Where a transformed cutout lands: (matrix into the patch, x0, y0, width, height).

    (x0, y0) is the patch's integer top-left corner in the centred frame; the margin leaves
    room for blur that spreads the object.
    """
    w, h = size
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], dtype=np.float64)
    moved = corners @ matrix.T
    xy = moved[:, :2] / moved[:, 2:3]
    x0 = math.floor(xy[:, 0].min()) - margin
    y0 = math.floor(xy[:, 1].min()) - margin
    x1 = math.ceil(xy[:, 0].max()) + margin
    y1 = math.ceil(xy[:, 1].max()) + margin
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64)
    return shift @ matrix, x0, y0, x1 - x0, y1 - y0


def bleed(rgba: np.ndarray) -> np.ndarray:
    """Fills the colour of transparent pixels with the colour of the nearest opaque edge.

    Done once per asset. Afterwards every warp, feather and Poisson boundary that samples
    around the object reads its edge colour instead of whatever the file holds there
    (often black), so no per-object premultiplication is needed to avoid dark fringes.
    """
    alpha = rgba[:, :, 3].astype(np.float32) / 255
    colour = rgba[:, :, :3].astype(np.float32)
    weighted = colour * alpha[:, :, None]
    filled = colour.copy()
    todo = alpha < MASK_THRESHOLD
    for sigma in (1.5, 6.0, 24.0):  # near pixels from a sharp estimate, far ones from wider
        num = cv2.GaussianBlur(weighted, (0, 0), sigma)
        den = cv2.GaussianBlur(alpha, (0, 0), sigma)
        ok = todo & (den > 0.02)
        filled[ok] = num[ok] / den[ok, None]
        todo &= ~ok
    filled[todo] = colour[alpha >= MASK_THRESHOLD].mean(axis=0) if (~todo).any() else 0
    out = rgba.copy()
    out[:, :, :3] = np.clip(filled + 0.5, 0, 255).astype(np.uint8)
    return out


def halvings(rgba: np.ndarray, smallest: int = 8) -> tuple[np.ndarray, ...]:
    """The image at 1/2, 1/4, ... of its size (area-averaged), down to ``smallest`` px."""
    levels = []
    while min(rgba.shape[:2]) // 2 >= smallest:
        rgba = cv2.resize(
            rgba, (rgba.shape[1] // 2, rgba.shape[0] // 2), interpolation=cv2.INTER_AREA
        )
        rgba.flags.writeable = False
        levels.append(rgba)
    return tuple(levels)


def warp(
    rgba: np.ndarray,
    pyramid: tuple[np.ndarray, ...],
    matrix: np.ndarray,
    size: tuple[int, int],
    reach: bool = False,
) -> np.ndarray:
    """Warps a bled RGBA cutout into a patch of ``size`` (width, height); uint8 in and out.

    Bilinear sampling aliases when it shrinks more than 2x, so a small paste samples the
    pyramid level that is at most 2x larger than the result. ``reach``: the blend reads
    colour beyond the object (feather, motion, Poisson), so the bled edge colour is
    extended past the cutout's border; other blends give those pixels no weight, and the
    plain zero border is twice as fast.
    """
    (a, b, _), (c, d, _), _ = matrix.tolist()
    scale = math.sqrt(abs(a * d - b * c))
    level = min(int(math.log2(1 / scale)), len(pyramid)) if scale < 0.5 else 0
    if level:
        h, w = rgba.shape[:2]
        rgba = pyramid[level - 1]
        matrix = matrix @ np.diag([w / rgba.shape[1], h / rgba.shape[0], 1.0])
    cv_matrix = to_cv_matrix(matrix)
    border = cv2.BORDER_REPLICATE if reach else cv2.BORDER_CONSTANT
    if cv_matrix[2].tolist() == [0.0, 0.0, 1.0]:  # affine (no perspective): the faster warp
        return cv2.warpAffine(rgba, cv_matrix[:2], size, flags=cv2.INTER_LINEAR, borderMode=border)
    return cv2.warpPerspective(rgba, cv_matrix, size, flags=cv2.INTER_LINEAR, borderMode=border)


def binary(alpha: np.ndarray) -> np.ndarray:
    """Hard edge (the paper's 'no blending', and Poisson's clone region)."""
    return (alpha >= MASK_THRESHOLD).astype(np.float32)


def feather(alpha: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blending: the binary mask blurred (colour is already bled under the halo)."""
    return cv2.GaussianBlur(binary(alpha), (0, 0), sigma)


def motion_kernel(length: int, angle_deg: float) -> np.ndarray:
    """A normalized line kernel: blur along one direction."""
    k = np.zeros((length, length), dtype=np.float32)
    c = (length - 1) / 2
    dx = math.cos(math.radians(angle_deg)) * c
    dy = -math.sin(math.radians(angle_deg)) * c
    p0 = (round((c - dx) * 16), round((c - dy) * 16))
    p1 = (round((c + dx) * 16), round((c + dy) * 16))
    cv2.line(k, p0, p1, 1.0, 1, cv2.LINE_AA, shift=4)
    return k / k.sum()


def motion(
    colour: np.ndarray, alpha: np.ndarray, length: int, angle_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Motion blur of the object alone: colour weighted by alpha, as a moving object."""
    k = motion_kernel(length, angle_deg)
    border = cv2.BORDER_CONSTANT
    premul = colour.astype(np.float32) * alpha[:, :, None]
    blurred_a = cv2.filter2D(alpha, -1, k, borderType=border)
    blurred_p = cv2.filter2D(premul, -1, k, borderType=border)
    straight = blurred_p / np.maximum(blurred_a, 1e-3)[:, :, None]
    # Where the blur left no object at all, keep the bled colour (its weight is zero anyway).
    straight = np.where((blurred_a > 1e-3)[:, :, None], straight, colour)
    return np.clip(straight + 0.5, 0, 255).astype(np.uint8), blurred_a


def colour_matrix(
    brightness: float, contrast: float, saturation: float, hue_turns: float, mean: float
) -> np.ndarray:
    """One 3x4 affine colour transform: brightness, contrast about ``mean``, saturation
    towards luma, and a hue rotation in YIQ space, applied in a single pass."""
    luma = np.array([0.299, 0.587, 0.114])
    eye = np.eye(3)
    sat = saturation * eye + (1 - saturation) * np.outer(np.ones(3), luma)
    yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    t = 2 * math.pi * hue_turns
    rot = np.array([[1, 0, 0], [0, math.cos(t), -math.sin(t)], [0, math.sin(t), math.cos(t)]])
    hue = np.linalg.inv(yiq) @ rot @ yiq
    linear = hue @ sat @ (contrast * brightness * eye)
    offset = hue @ sat @ np.full(3, (1 - contrast) * mean)
    return np.hstack([linear, offset[:, None]])


def recolour(rgb: np.ndarray, params: tuple[float, float, float, float], mean: float) -> np.ndarray:
    """Colour-jitters straight uint8 RGB in one pass (saturating)."""
    return cv2.transform(rgb, colour_matrix(*params, mean=mean).astype(np.float32))


def poisson_paste(
    canvas: np.ndarray, colour: np.ndarray, mask: np.ndarray, x0: int, y0: int
) -> None:
    """Gradient-domain paste (cv2.seamlessClone) of a patch at (x0, y0), in place.

    The clone region is the mask grown by one pixel: Poisson keeps its outermost ring at
    the background's colour, and that ring must not be a labeled pixel. The destination
    window gets a reflected border where it leaves the canvas, and the source a margin,
    because seamlessClone needs the region away from both edges.
    """
    ph, pw = mask.shape
    pad = 3
    src = cv2.copyMakeBorder(colour, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    msk = cv2.copyMakeBorder(
        mask.astype(np.uint8) * 255, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0
    )
    msk = cv2.dilate(msk, np.ones((3, 3), np.uint8))
    h, w = canvas.shape[:2]
    wx0, wy0, wx1, wy1 = x0 - pad, y0 - pad, x0 + pw + pad, y0 + ph + pad
    cx0, cy0, cx1, cy1 = max(wx0, 0), max(wy0, 0), min(wx1, w), min(wy1, h)
    window = cv2.copyMakeBorder(
        canvas[cy0:cy1, cx0:cx1], cy0 - wy0, wy1 - cy1, cx0 - wx0, wx1 - cx1, cv2.BORDER_REFLECT_101
    )
    # seamlessClone puts the mask's bounding box at centre - size // 2: aim it where it is.
    bx, by, bw, bh = cv2.boundingRect(msk)
    centre = (bx + bw // 2 + 1, by + bh // 2 + 1)  # +1: the frame's border
    frame = cv2.copyMakeBorder(window, 1, 1, 1, 1, cv2.BORDER_REFLECT_101)
    inside = msk > 0  # taken first: seamlessClone overwrites the mask it is given
    blended = cv2.seamlessClone(src, frame, msk, centre, cv2.NORMAL_CLONE)[1:-1, 1:-1]
    region = window.copy()
    region[inside] = blended[inside]
    canvas[cy0:cy1, cx0:cx1] = region[
        cy0 - wy0 : cy0 - wy0 + (cy1 - cy0), cx0 - wx0 : cx0 - wx0 + (cx1 - cx0)
    ]
