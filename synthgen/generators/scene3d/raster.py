"""Amodal masks: a mesh's projected triangles rasterized with the pixel-centre rule.

A pixel belongs to a triangle when its centre does, the rule OpenGL uses for the visible
masks, so whole and visible silhouettes agree to the pixel. Each (triangle, pixel row)
pair gives one span; spans are filled with a difference array and a running sum, in the
object's own window, which may extend past the image (for truncation). The cost follows
the object's size in rows, not the area of its triangles' bounding boxes.
"""

from __future__ import annotations

import math

import numpy as np


def rasterize(triangles: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Union of (n, 3, 2) triangles in continuous pixel coordinates.

    Returns a boolean mask and the (x, y) of its top-left pixel; pixel (x, y) is set when
    its centre (x + 0.5, y + 0.5) lies in or on a triangle.
    """
    triangles = triangles[_doubled_area(triangles) != 0]  # edge-on: no pixels, as in OpenGL
    if len(triangles) == 0:
        return np.zeros((0, 0), dtype=bool), (0, 0)
    x0 = math.floor(float(triangles[..., 0].min()))
    y0 = math.floor(float(triangles[..., 1].min()))
    width = math.ceil(float(triangles[..., 0].max())) - x0 + 1
    height = math.ceil(float(triangles[..., 1].max())) - y0 + 1
    local = triangles - [x0, y0]
    ys = local[..., 1]
    first = np.ceil(ys.min(axis=1) - 0.5).astype(np.intp)
    last = np.floor(ys.max(axis=1) - 0.5).astype(np.intp)
    rows = np.maximum(last - first + 1, 0)
    mask = np.zeros((height, width), dtype=bool)
    if not rows.any():
        return mask, (x0, y0)
    tri = np.repeat(np.arange(len(local)), rows)
    row = first[tri] + (np.arange(rows.sum()) - np.repeat(np.cumsum(rows) - rows, rows))
    xl, xr = _row_extents(local[tri], row + 0.5)
    c0 = np.maximum(np.ceil(xl - 0.5), 0).astype(np.intp)
    c1 = np.minimum(np.floor(xr - 0.5), width - 1).astype(np.intp)
    ok = c1 >= c0
    row, c0, c1 = row[ok], c0[ok], c1[ok]
    stride = width + 1
    size = height * stride
    delta = np.bincount(row * stride + c0, minlength=size)
    delta -= np.bincount(row * stride + c1 + 1, minlength=size)
    mask[:] = np.cumsum(delta.reshape(height, stride), axis=1)[:, :width] > 0
    return mask, (x0, y0)


def _row_extents(tris: np.ndarray, yc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the horizontal line y = yc crosses each triangle: [xl, xr]."""
    a, b = tris, np.roll(tris, -1, axis=1)  # the three edges a -> b
    ya, yb = a[..., 1], b[..., 1]
    lo, hi = np.minimum(ya, yb), np.maximum(ya, yb)
    y = yc[:, None]
    crosses = (y >= lo) & (y <= hi) & (hi > lo)
    t = np.where(crosses, (y - ya) / np.where(hi > lo, yb - ya, 1.0), 0.0)
    xs = a[..., 0] + t * (b[..., 0] - a[..., 0])
    return np.where(crosses, xs, np.inf).min(axis=1), np.where(crosses, xs, -np.inf).max(axis=1)


def front_faces(triangles: np.ndarray) -> np.ndarray:
    """The faces of a closed, consistently wound mesh that face the camera.

    Every line of sight through a closed mesh enters through a front face, so these alone
    cover its silhouette: half the work. (Counter-clockwise with y up, as OpenGL counts
    front faces, is clockwise with image y pointing down: a negative cross product.)
    """
    return triangles[_doubled_area(triangles) < 0]


def _doubled_area(triangles: np.ndarray) -> np.ndarray:
    """Signed: positive when counter-clockwise on screen (image y pointing down)."""
    ab = triangles[:, 1] - triangles[:, 0]
    ac = triangles[:, 2] - triangles[:, 0]
    return ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]
