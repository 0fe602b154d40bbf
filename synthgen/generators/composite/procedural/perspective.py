"""A pinhole camera for the backgrounds: world planes and polygons projected to pixels."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from synthgen.generators.composite.procedural.raster import (
    _FRAC,
    _Colour,
)

_NEAR = 0.3  # metres: geometry nearer than this is clipped off
_Plane = Callable[[np.ndarray, np.ndarray], np.ndarray]  # plane coordinates -> world points
_Layer = tuple[np.ndarray, _Colour, float]  # polygons (N, K, 3), colour, min size in pixels


@dataclass(frozen=True)
class _View:
    width: int
    height: int
    f: float  # focal length, pixels
    cam_h: float  # camera height, metres
    xv: float  # vanishing point of straight ahead
    yh: float  # horizon row, continuous

    def project(self, pts: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> image points (..., 2)."""
        x, y, z = pts[..., 0], pts[..., 1], pts[..., 2]
        return np.stack([self.xv + self.f * x / z, self.yh + self.f * (self.cam_h - y) / z], -1)

    @property
    def ground_row(self) -> int:
        """The first pixel row whose centre is below the horizon."""
        return min(self.height - 1, math.ceil(self.yh))


@dataclass(frozen=True)
class _Look:
    """Sky, the colour of light on surfaces, and haze: far things fade to the horizon."""

    sky: str
    light: np.ndarray
    horizon: np.ndarray
    haze_m: float

    def fog(self, depth: np.ndarray | float) -> np.ndarray:
        return 1 - np.exp(-np.asarray(depth, np.float32) / self.haze_m)

    def colours(self, base: np.ndarray, depth: float) -> list[tuple[float, ...]]:
        """OpenCV colours for (N, 3) ``base`` colours lit and seen ``depth`` metres away."""
        lit = base * self.light
        return [tuple(c) for c in (lit + (self.horizon - lit) * self.fog(depth)).tolist()]

    def colour(self, base: _Colour, depth: float) -> tuple[float, ...]:
        return self.colours(np.asarray(base, np.float32)[None], depth)[0]


def _clip_near(poly: np.ndarray) -> np.ndarray:
    """The part of a world polygon in front of the near plane (Sutherland-Hodgman)."""
    out = []
    for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        if a[2] >= _NEAR:
            out.append(a)
        if (a[2] >= _NEAR) != (b[2] >= _NEAR):
            out.append(a + (_NEAR - a[2]) / (b[2] - a[2]) * (b - a))
    return np.array(out).reshape(-1, 3)


class _Painter:
    """Fills world polygons into a uint8 RGB frame, lit and hazed, with anti-aliased edges."""

    def __init__(self, img: np.ndarray, view: _View, look: _Look) -> None:
        self.img, self.view, self.look = img, view, look

    def polys(self, polys: np.ndarray, colour: _Colour, depth: float = 0.0) -> None:
        """Fills world polygons (N, K, 3) in one colour seen ``depth`` metres away (ground
        polygons are hazed per row later, so they pass 0)."""
        self.layers([(polys, colour, 0.0)], depth)

    def layers(self, layers: list[_Layer], depth: float) -> None:
        """Fills layers of polygons with the same vertex count in order, projecting them
        all at once (a building is a handful of layers). Polygons thinner on screen than
        their layer's minimum are left out: they would only flicker as dots."""
        polys = np.concatenate([q for q, _, _ in layers])
        ahead = np.all(polys[..., 2] >= _NEAR, axis=1)
        shapes = self.view.project(np.where(ahead[:, None, None], polys, 1.0))
        thin = (shapes.max(axis=1) - shapes.min(axis=1)).min(axis=1)
        fixed = np.round((shapes - 0.5) * _FRAC).astype(np.int32)
        colours = self.look.colours(np.array([c for _, c, _ in layers], np.float32), depth)
        start = 0
        for (quads, _, min_px), colour in zip(layers, colours, strict=True):
            part = slice(start, start + len(quads))
            start += len(quads)
            keep = list(fixed[part][ahead[part] & (thin[part] >= min_px)])
            for poly in polys[part][~ahead[part]]:  # only ever a few, at the frame's edges
                if len(clipped := _clip_near(poly)) >= 3:
                    keep.append(
                        np.round((self.view.project(clipped) - 0.5) * _FRAC).astype(np.int32)
                    )
            if keep:
                cv2.fillPoly(self.img, keep, colour, cv2.LINE_AA, 4)

    def pixels(self, polys: np.ndarray) -> float:
        """The largest screen size (the smaller side of its box) among the polygons."""
        if not (polys[..., 2] >= _NEAR).all():
            return math.inf  # one reaches past the camera, so it is large
        shapes = self.view.project(polys)
        return float((shapes.max(axis=1) - shapes.min(axis=1)).min(axis=1).max())


def _quads(
    a0: npt.ArrayLike, a1: npt.ArrayLike, b0: npt.ArrayLike, b1: npt.ArrayLike, plane: _Plane
) -> np.ndarray:
    """Rectangles [a0, a1] x [b0, b1] of a plane (scalars or arrays), as world quads."""
    a0, a1, b0, b1 = np.broadcast_arrays(a0, a1, b0, b1)
    a = np.stack([a0, a1, a1, a0], axis=-1).reshape(-1, 4).astype(np.float64)
    b = np.stack([b0, b0, b1, b1], axis=-1).reshape(-1, 4).astype(np.float64)
    return plane(a, b)


def _ground(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    return np.stack([x, np.zeros_like(x), z], axis=-1)


def _side_wall(wall_x: float) -> _Plane:
    """The plane x = wall_x; u runs ahead (z), v up."""
    return lambda u, v: np.stack([np.full_like(u, wall_x), v, u], axis=-1)


def _front_wall(z: float) -> _Plane:
    """The plane facing the camera at distance z; u runs right (x), v up."""
    return lambda u, v: np.stack([u, v, np.full_like(u, z)], axis=-1)
