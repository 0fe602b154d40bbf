"""Objects dropped onto a support without interpenetration, on a height map.

Each placed object raises the map to its top; the next one rests on whatever is highest
under its footprint. Footprints are grown by one cell, so objects never share a cell: no
collision library and no physics are needed, and the result is exact up to the cell size.
"""

from __future__ import annotations

import math

import numpy as np


class HeightMap:
    """Heights over the rectangle [x0, x1] x [y0, y1] at ``cell`` metres; starts at 0."""

    def __init__(self, x0: float, y0: float, x1: float, y1: float, cell: float) -> None:
        self.x0, self.y0, self.cell = x0, y0, cell
        self.nx = max(1, math.ceil((x1 - x0) / cell))
        self.ny = max(1, math.ceil((y1 - y0) / cell))
        self.height = np.zeros((self.ny, self.nx))

    def drop(self, points: np.ndarray, x: float, y: float, commit: bool = True) -> float | None:
        """Lowest lift that keeps ``points`` (the object, resting at z >= 0, centred at the
        origin in x and y) above everything already placed, at (x, y); None if the
        footprint leaves the map."""
        ix = np.floor((points[:, 0] + x - self.x0) / self.cell).astype(np.intp)
        iy = np.floor((points[:, 1] + y - self.y0) / self.cell).astype(np.intp)
        if ix.min() < 1 or iy.min() < 1 or ix.max() >= self.nx - 1 or iy.max() >= self.ny - 1:
            return None
        cells = iy * self.nx + ix
        flat = self.height.ravel()
        bottom = np.full(flat.size, np.inf)
        np.minimum.at(bottom, cells, points[:, 2])
        top = np.full(flat.size, -np.inf)
        np.maximum.at(top, cells, points[:, 2])
        # Grow the footprint by a cell: neighbours may not poke into each other's cells.
        bottom = _grow(bottom.reshape(self.height.shape), np.minimum, np.inf)
        top = _grow(top.reshape(self.height.shape), np.maximum, -np.inf)
        under = np.isfinite(bottom)
        lift = max(0.0, float(np.max(self.height[under] - bottom[under])))
        if commit:
            self.height[under] = np.maximum(self.height[under], top[under] + lift)
        return lift


def _grow(grid: np.ndarray, pick: np.ufunc, empty: float) -> np.ndarray:
    """Each cell takes the most extreme value of its 3x3 neighbourhood."""
    padded = np.pad(grid, 1, constant_values=empty)
    out = grid.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out = pick(
                out, padded[1 + dy : 1 + dy + grid.shape[0], 1 + dx : 1 + dx + grid.shape[1]]
            )
    return out
