"""Objects dropped onto a support without interpenetration, on a height map.

Each placed object raises the map to its top; the next one rests on whatever is highest
under its footprint. Footprints are grown by one cell, so objects never share a cell: no
collision library and no physics are needed, and the result is exact up to the cell size.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_NEIGHBOURS = np.ones((3, 3), np.uint8)


class HeightMap:
    """Heights over the rectangle [x0, x1] x [y0, y1] at ``cell`` metres; starts at 0."""

    def __init__(self, x0: float, y0: float, x1: float, y1: float, cell: float) -> None:
        self.x0, self.y0, self.cell = x0, y0, cell
        self.nx = max(1, math.ceil((x1 - x0) / cell))
        self.ny = max(1, math.ceil((y1 - y0) / cell))
        self.height = np.zeros((self.ny, self.nx))

    def drop(self, xyz: np.ndarray, x: float, y: float, commit: bool = True) -> float | None:
        """Lowest lift that keeps the object's points ``xyz`` (3 x n: rows x, y, z; resting
        at z >= 0, centred at the origin in x and y) above everything already placed, at
        (x, y); None if the footprint leaves the map."""
        ix = np.floor((xyz[0] + x - self.x0) / self.cell).astype(np.intp)
        iy = np.floor((xyz[1] + y - self.y0) / self.cell).astype(np.intp)
        # Work in the footprint's window, with a one-cell rim for the growth below.
        cx0, cx1, cy0, cy1 = ix.min() - 1, ix.max() + 1, iy.min() - 1, iy.max() + 1
        if cx0 < 0 or cy0 < 0 or cx1 >= self.nx or cy1 >= self.ny:
            return None
        shape = (cy1 - cy0 + 1, cx1 - cx0 + 1)
        cells = (iy - cy0) * shape[1] + (ix - cx0)
        bottom, top = _extremes(cells, xyz[2], shape)
        # Grow the footprint by a cell: neighbours may not poke into each other's cells.
        bottom = cv2.erode(bottom, _NEIGHBOURS, borderType=cv2.BORDER_CONSTANT, borderValue=np.inf)
        top = cv2.dilate(top, _NEIGHBOURS, borderType=cv2.BORDER_CONSTANT, borderValue=-np.inf)
        window = self.height[cy0 : cy1 + 1, cx0 : cx1 + 1]
        under = np.isfinite(bottom)
        lift = max(0.0, float(np.max(window[under] - bottom[under])))
        if commit:
            window[under] = np.maximum(window[under], top[under] + lift)
        return lift


def _extremes(
    cells: np.ndarray, z: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the lowest and highest z of the points in it (inf and -inf where none)."""
    bottom = np.full(shape, np.inf)
    top = np.full(shape, -np.inf)
    np.minimum.at(bottom.ravel(), cells, z)
    np.maximum.at(top.ravel(), cells, z)
    return bottom, top
