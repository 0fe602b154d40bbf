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
    # Vertices sorted by y: the long edge 0-2 bounds every span; edge 0-1 the other side
    # above vertex 1, edge 1-2 below it.
    order = np.argsort(triangles[..., 1], axis=1)
    v = np.take_along_axis(triangles, order[..., None], axis=1)
    xs, ys = np.ascontiguousarray(v[..., 0].T), np.ascontiguousarray(v[..., 1].T)
    x0, y0 = math.floor(float(xs.min())), math.floor(float(ys[0].min()))
    width = math.ceil(float(xs.max())) - x0 + 1
    height = math.ceil(float(ys[2].max())) - y0 + 1
    xs -= x0
    ys -= y0
    first = np.ceil(ys[0] - 0.5).astype(np.intp)
    rows = np.maximum(np.floor(ys[2] - 0.5).astype(np.intp) - first + 1, 0)
    mask = np.zeros((height, width), dtype=bool)
    if not rows.any():
        return mask, (x0, y0)
    tri = np.repeat(np.arange(len(rows)), rows)
    row = first[tri] + (np.arange(rows.sum()) - np.repeat(np.cumsum(rows) - rows, rows))
    xl, xr = _row_extents(xs, ys, tri, row + 0.5)
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


def _row_extents(
    xs: np.ndarray, ys: np.ndarray, tri: np.ndarray, yc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where the line y = yc crosses triangle ``tri``: [xl, xr]. ``xs`` and ``ys`` are
    3 x n, vertices sorted by y; yc lies within [ys[0], ys[2]] of its triangle."""
    long = _edge_x(xs[0], ys[0], xs[2], ys[2], tri, yc)
    upper = yc < ys[1][tri]
    short = np.where(
        upper,
        _edge_x(xs[0], ys[0], xs[1], ys[1], tri, yc),
        _edge_x(xs[1], ys[1], xs[2], ys[2], tri, yc),
    )
    return np.minimum(long, short), np.maximum(long, short)


def _edge_x(
    xa: np.ndarray, ya: np.ndarray, xb: np.ndarray, yb: np.ndarray, tri: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """x on edge a -> b (ya <= yb) at height y; xa on a horizontal edge."""
    dy = yb - ya
    slope = np.divide(xb - xa, dy, out=np.zeros_like(dy), where=dy > 0)
    return xa[tri] + (y - ya[tri]) * slope[tri]


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
