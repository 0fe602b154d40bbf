"""Pure array geometry: masks to boxes, exact polygons and RLE; point transforms.

Coordinates are continuous: pixel (x, y) covers [x, x+1) x [y, y+1), so a mask with columns
5..24 and rows 10..19 has the box x0=5, y0=10, x1=25, y1=20 (``bbox_xyxy``, ends exclusive).
Polygons run along pixel *edges* (vertices on integer pixel corners), so they enclose exactly
the mask's pixels: their area equals the pixel count and a rasterizer that samples pixel
centres (pycocotools, cv2 at 8x) reproduces the mask bit for bit. Tracing pixel centres
instead, as most converters do, loses half a pixel all around.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from pycocotools import mask as coco_mask

# The 8 neighbour directions, image axes (y down): E, SE, S, SW, W, NW, N, NE, and the
# direction index of a step (dx, dy), looked up at (dy + 1) * 3 + (dx + 1).
_DIRS = np.array([(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)])
_DIR_OF_STEP = np.full(9, -1, dtype=np.int64)
_DIR_OF_STEP[(_DIRS[:, 1] + 1) * 3 + _DIRS[:, 0] + 1] = np.arange(8)
# First corner of a pixel's side facing an even direction, walking the border with the
# object on the left (the orientation in which OpenCV traces both outer and hole borders).
_SIDE_START = {0: (1, 1), 2: (0, 1), 4: (0, 0), 6: (1, 0)}


def _build_side_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sides exposed at a border pixel, indexed by 8 * (direction back) + (direction forward).

    OpenCV's border follower finds the next border pixel by scanning the neighbours
    counter-clockwise from the previous one, so every 4-neighbour skipped in that scan is
    background: those are exactly the pixel's exposed sides, in walking order. Returns
    each side's start corner, its facing direction, and how many sides each case has.
    """
    offsets = np.zeros((64, 4, 2), dtype=np.int32)
    facing = np.zeros((64, 4), dtype=np.int8)
    counts = np.zeros(64, dtype=np.int64)
    for back in range(8):
        for fwd in range(8):
            case, n = back * 8 + fwd, 0
            k = (back - 1) % 8
            while k != fwd:  # back == fwd (a dead end) goes all the way round
                if k % 2 == 0:
                    offsets[case, n], facing[case, n] = _SIDE_START[k], k
                    n += 1
                k = (k - 1) % 8
            counts[case] = n
    return offsets, facing, counts


_SIDE_OFFSETS, _SIDE_FACING, _SIDE_COUNTS = _build_side_table()


def bbox_xyxy(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Tight box of a 2-D mask as (x0, y0, x1, y1), ends exclusive; None when empty.

    >>> m = np.zeros((30, 30), bool); m[10:20, 5:25] = True
    >>> bbox_xyxy(m)
    (5, 10, 25, 20)
    """
    if mask.dtype == bool and mask.ndim == 2 and mask.size and mask.strides[1] == 1:
        # OpenCV's box of non-zero bytes: one C pass, ~5x faster than numpy's two
        # reductions on an object-sized patch (a view with any row stride, no copy).
        x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
        return None if w == 0 else (x, y, x + w, y + h)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


# A lone pixel has no steps to look up: its four sides, in walking order.
_LONE_PIXEL = np.array([(0, 0), (0, 1), (1, 1), (1, 0)], dtype=np.int32)


def _borders_to_corners(borders: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Turns OpenCV borders (chains of 8-connected pixels) into pixel-edge polygons.

    Each border pixel contributes the start corners of its exposed sides; a corner where
    the side keeps facing the same way is the middle of a straight run and is dropped.
    All borders go through one vectorized pass: for object-sized borders the cost of a
    numpy call, not the number of points, is what dominates.
    """
    lengths = np.array([len(b) for b in borders])
    pts = np.concatenate([b.reshape(-1, 2) for b in borders])
    starts = np.cumsum(lengths) - lengths
    ends = starts + lengths - 1
    following = np.arange(1, len(pts) + 1)
    following[ends] = starts  # each border is a closed loop
    step = pts[following] - pts
    fwd = _DIR_OF_STEP[(step[:, 1] + 1) * 3 + step[:, 0] + 1]
    preceding = np.arange(-1, len(pts) - 1)
    preceding[starts] = ends
    case = (fwd[preceding] ^ 4) * 8 + fwd  # ^ 4 reverses a direction: the step that arrived
    counts = _SIDE_COUNTS[case]
    counts[starts[lengths == 1]] = 0
    # (point, slot) of every exposed side, in walking order; most points have one side.
    point, slot = np.nonzero(np.arange(4) < counts[:, None])
    entry = case[point] * 4 + slot
    corners = pts[point] + _SIDE_OFFSETS.reshape(-1, 2)[entry]
    facing = _SIDE_FACING.ravel()[entry]
    per_border = np.add.reduceat(counts, starts)
    first = np.cumsum(per_border) - per_border
    has = per_border > 0
    previous = np.arange(-1, len(corners) - 1)
    previous[first[has]] = (first + per_border - 1)[has]  # each loop closes on itself
    turns = facing != facing[previous]
    kept_before = np.concatenate(([0], np.cumsum(turns)))
    lo, hi = kept_before[first].tolist(), kept_before[first + per_border].tolist()
    kept_corners = corners[turns]
    kept = [kept_corners[a:b] for a, b in zip(lo, hi, strict=True)]
    return [
        _LONE_PIXEL + border.reshape(-1, 2)[0] if n == 1 else poly
        for border, n, poly in zip(borders, lengths, kept, strict=True)
    ]


def _bridge(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Joins two closed polygons into one through a zero-width slit, walked there and back.

    The slit is an axis-aligned L on integer coordinates, so it never passes through a
    pixel centre, and walking it twice leaves every crossing parity unchanged: rasterizers
    fill exactly the union (for a separate part) or the difference (for a hole).
    """
    # Any slit is exact; a short one keeps the polygon readable. Start from the inner
    # polygon's top-most vertex and join the outer vertex nearest to it.
    j = int(np.argmin(inner[:, 1] * (1 << 20) + inner[:, 0]))
    b = inner[j]
    i = int(np.argmin(np.abs(outer[:, 0] - b[0]) + np.abs(outer[:, 1] - b[1])))
    a = outer[i]
    elbow = np.array([[b[0], a[1]]], dtype=outer.dtype)
    if (elbow == a).all() or (elbow == b).all():  # a straight slit needs no elbow
        elbow = elbow[:0]
    loop = np.concatenate([inner[j:], inner[: j + 1]])
    path = np.concatenate([outer[: i + 1], elbow, loop, elbow, outer[i:]])
    # Only a vertex shared by both polygons (parts touching at a corner) repeats.
    return _drop_repeats(path) if (a == b).all() else path


def _drop_repeats(poly: np.ndarray) -> np.ndarray:
    keep = np.any(poly != np.roll(poly, 1, axis=0), axis=1)
    return poly[keep]


def mask_to_polygons(mask: np.ndarray, offset: tuple[int, int] = (0, 0)) -> list[np.ndarray]:
    """Exact polygons of a mask: one per 8-connected part, its holes joined in by slits.

    Each polygon is an (n, 2) int32 array of pixel-corner vertices (x, y), shifted by
    ``offset`` (the mask's top-left corner in the image). pycocotools decodes the list to
    exactly ``mask``.

    >>> m = np.zeros((30, 30), np.uint8); m[10:20, 5:25] = 1
    >>> mask_to_polygons(m)[0].tolist()
    [[5, 10], [5, 20], [25, 20], [25, 10]]
    """
    return masks_to_polygons([mask], [offset])[0]


def masks_to_polygons(
    masks: Sequence[np.ndarray], offsets: Sequence[tuple[int, int]]
) -> list[list[np.ndarray]]:
    """``mask_to_polygons`` of many masks in one pass (the objects of a sample)."""
    borders: list[np.ndarray] = []
    parts: list[list[tuple[int, list[int]]]] = []  # per mask: (outer border, its holes)
    for mask in masks:
        m = mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8)
        padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        found, hierarchy = cv2.findContours(padded, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
        base = len(borders)
        borders += found
        if len(found) == 1:  # the common case: one part, no hole
            parts.append([(base, [])])
            continue
        parent = hierarchy[0][:, 3] if hierarchy is not None else np.empty(0, int)
        parts.append(
            [
                (base + k, [base + h for h in np.flatnonzero(parent == k).tolist()])
                for k in np.flatnonzero(parent < 0).tolist()
            ]
        )
    corners = _borders_to_corners(borders) if borders else []
    result = []
    for mask_parts, offset in zip(parts, offsets, strict=True):
        shift = np.array(offset, dtype=np.int32) - 1  # undo the 1-pixel padding
        polys = []
        for outer, holes in mask_parts:
            poly = corners[outer]
            for hole in holes:
                poly = _bridge(poly, corners[hole])
            polys.append(poly + shift)
        result.append(polys)
    return result


def merge_polygons(polygons: list[np.ndarray]) -> np.ndarray:
    """Joins several polygons into one closed path (for formats with one polygon per object)."""
    merged = polygons[0]
    for poly in polygons[1:]:
        merged = _bridge(merged, poly)
    return merged


def polygon_area(poly: np.ndarray) -> float:
    """Signed shoelace area; positive for the border orientation produced here."""
    x, y = poly[:, 0].astype(np.float64), poly[:, 1].astype(np.float64)
    return 0.5 * float(np.dot(y, np.roll(x, -1)) - np.dot(x, np.roll(y, -1)))


def rle_encode(
    mask: np.ndarray, offset: tuple[int, int], size: tuple[int, int]
) -> dict[str, object]:
    """COCO compressed RLE of a mask patch placed at ``offset`` in an image of ``size`` (h, w).

    Only the columns the patch spans are scanned, so the cost follows the object, not the
    image: the runs before and after it are plain zero counts.
    """
    height, width = size
    x0, y0 = offset
    ph, pw = mask.shape
    if x0 < 0 or y0 < 0 or x0 + pw > width or y0 + ph > height:
        raise ValueError(f"mask patch at {offset} of shape {mask.shape} leaves the image {size}")
    strip = np.zeros((height, pw), dtype=bool)
    strip[y0 : y0 + ph] = mask
    flat = strip.ravel(order="F")
    starts = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))
    counts = np.diff(np.append(starts, flat.size)).tolist()
    # Columns left and right of the strip are all zeros: they extend the outer zero runs.
    before, after = x0 * height, (width - x0 - pw) * height
    if flat[0]:
        counts.insert(0, before)
    else:
        counts[0] += before
    if not flat[-1]:
        counts[-1] += after
    elif after:
        counts.append(after)
    rle = coco_mask.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def to_cv_matrix(transform: np.ndarray) -> np.ndarray:
    """Converts a 3x3 transform in continuous coordinates to OpenCV's pixel-index one.

    OpenCV's warps put pixel centres at integers; here they sit at +0.5. Warping with the
    continuous matrix directly shifts everything by half a pixel.
    """
    shift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    unshift = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    return unshift @ transform @ shift


def transform_points(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Applies a 3x3 projective transform to (n, 2) points in continuous coordinates."""
    homogeneous = np.hstack([points, np.ones((len(points), 1))]) @ transform.T
    return homogeneous[:, :2] / homogeneous[:, 2:3]


def project(K: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Camera-frame points (n, 3) to continuous pixel coordinates (n, 2).

    ``K`` follows OpenCV (the centre of pixel u sits at u); synthgen's continuous
    coordinates put it at u + 0.5, so the result is the OpenCV projection plus half a pixel.
    """
    uvw = points @ K.T
    return uvw[:, :2] / uvw[:, 2:3] + 0.5


def transform(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Applies a 4x4 rigid transform to (n, 3) points."""
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def box_corners(bounds: np.ndarray) -> np.ndarray:
    """The 8 corners of an axis-aligned box given as [[xmin, ymin, zmin], [xmax, ymax, zmax]].

    Order: the four z-min corners counter-clockwise seen from +z, starting at (xmin, ymin),
    then the four z-max corners above them in the same order:
    (0,0,0) (1,0,0) (1,1,0) (0,1,0) (0,0,1) (1,0,1) (1,1,1) (0,1,1), 0 = min and 1 = max.
    """
    pick = np.array(
        [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]]
    )
    return np.where(pick == 1, bounds[1], bounds[0]).astype(np.float64)
