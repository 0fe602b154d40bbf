"""Mesh building blocks: closed solids swept from rings, lathe profiles, tubes, colours.

Every solid here is one closed, consistently wound surface (outward normals) built from a
sequence of rings: a ring of n points, or a single point that closes an end. Consecutive
rings are stitched into quads; a single point becomes a fan. Vertices are never shared
between bodies and never duplicated inside one, so ``is_watertight`` holds and stays true
for a concatenation of bodies.

Colours are per face (a lathe can take a texture instead). The renderer draws
``mesh.smooth_shaded``, which splits the surface at creases (> 20 degrees) and averages
face colours onto the vertices of each smooth patch, so a colour change across a smooth
region is blurred over the faces next to it. Profiles therefore get two extra rings
0.4 mm either side of each colour change, which keeps the blur too small to see.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import trimesh
from PIL import Image

Colour = tuple[int, int, int]
Point2 = tuple[float, float]

_SEAM = 4e-4  # metres either side of a colour change along a profile


def rgb(hex_code: str) -> Colour:
    """'c8102e' -> (200, 16, 46)."""
    value = int(hex_code, 16)
    return (value >> 16, (value >> 8) & 255, value & 255)


# -------------------------------------------------------------------------------- rings


def stitch(rings: Sequence[np.ndarray]) -> np.ndarray:
    """Faces joining consecutive rings ((n, 3) arrays, or (1, 3) for an end point).

    Rings must be listed along the sweep with their points counter-clockwise about the
    sweep direction; the faces then face outwards. Returns (F, 3) indices into the
    stacked rings.
    """
    faces = []
    start = 0
    for ring_a, ring_b in itertools.pairwise(rings):
        a0, b0 = start, start + len(ring_a)
        if len(ring_a) > 1 and len(ring_b) > 1:
            if len(ring_a) != len(ring_b):
                raise ValueError("rings must all have the same number of points")
            k = np.arange(len(ring_a))
            k1 = (k + 1) % len(ring_a)
            faces.append(np.column_stack([a0 + k, a0 + k1, b0 + k1]))
            faces.append(np.column_stack([a0 + k, b0 + k1, b0 + k]))
        elif len(ring_b) > 1:  # fan from a start point
            k = np.arange(len(ring_b))
            faces.append(np.column_stack([np.full_like(k, a0), b0 + (k + 1) % len(k), b0 + k]))
        elif len(ring_a) > 1:  # fan into an end point
            k = np.arange(len(ring_a))
            faces.append(np.column_stack([a0 + k, a0 + (k + 1) % len(k), np.full_like(k, b0)]))
        start = b0
    return np.vstack(faces)


def _faces_per_step(rings: Sequence[np.ndarray]) -> list[int]:
    """How many faces ``stitch`` makes between each pair of consecutive rings."""
    return [
        (2 if len(a) > 1 and len(b) > 1 else 1) * max(len(a), len(b))
        for a, b in itertools.pairwise(rings)
    ]


def solid(rings: Sequence[np.ndarray], colours: Sequence[Colour]) -> trimesh.Trimesh:
    """A closed mesh through the rings, one colour per step between consecutive rings."""
    mesh = trimesh.Trimesh(np.vstack(rings), stitch(rings), process=False)
    per_step = _faces_per_step(rings)
    return paint(mesh, np.repeat(np.asarray(colours, np.uint8), per_step, axis=0))


def paint(mesh: trimesh.Trimesh, colours: np.ndarray | Colour) -> trimesh.Trimesh:
    """Sets opaque face colours: one (r, g, b) for all faces or an (F, 3) array."""
    rgb_ = np.broadcast_to(np.asarray(colours, np.uint8), (len(mesh.faces), 3))
    alpha = np.full((len(mesh.faces), 1), 255, np.uint8)
    mesh.visual = trimesh.visual.ColorVisuals(mesh, face_colors=np.hstack([rgb_, alpha]))
    return mesh


def textured(mesh: trimesh.Trimesh, uv: np.ndarray, image: Image.Image) -> trimesh.Trimesh:
    """Puts an image on the mesh; the material is white so the renderer's tint applies."""
    material = trimesh.visual.material.PBRMaterial(
        baseColorTexture=image,
        baseColorFactor=[255, 255, 255, 255],
        metallicFactor=0.0,
        roughnessFactor=0.7,
    )
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    return mesh


def combine(*meshes: trimesh.Trimesh) -> trimesh.Trimesh:
    """Separate closed bodies as one mesh (still watertight: no vertex is shared)."""
    result = trimesh.util.concatenate(list(meshes))
    assert isinstance(result, trimesh.Trimesh)
    return result


def rest_on_floor(mesh: trimesh.Trimesh) -> np.ndarray:
    """Moves the mesh so its bottom is at z = 0 and its box is centred in x, y."""
    low, high = mesh.bounds
    shift = np.array([-(low[0] + high[0]) / 2, -(low[1] + high[1]) / 2, -low[2]])
    mesh.apply_translation(shift)
    return shift


# -------------------------------------------------------------------------------- lathe


class Profile:
    """A lathe outline in (radius, height), drawn as a path with a current colour.

    It must start and end on the axis (radius 0) and go round the solid counter-clockwise
    in the (r, z) half plane: out along the bottom, up the outside, back in at the top
    (and down an inner wall for a hollow shape).
    """

    def __init__(self, r: float, z: float, colour: Colour) -> None:
        self.points: list[Point2] = [(r, z)]
        self.colours: list[Colour] = []  # colour of the segment ending at each later point
        self.colour = colour

    def paint(self, colour: Colour) -> Profile:
        self.colour = colour
        return self

    def to(self, *points: Point2) -> Profile:
        for r, z in points:
            self.points.append((r, z))
            self.colours.append(self.colour)
        return self

    def arc(
        self, centre: Point2, radius: float, start: float, end: float, steps: int = 0
    ) -> Profile:
        """Arc about ``centre`` from angle ``start`` to ``end`` in degrees (the start is the
        current point). By default in steps of at most 18 degrees: under the renderer's 20
        degree crease angle, so the arc is shaded smooth; tiny beads can take fewer."""
        steps = steps or max(1, math.ceil(abs(end - start) / 18))
        for a in np.radians(np.linspace(start, end, steps + 1)[1:]):
            self.to((centre[0] + radius * math.cos(a), centre[1] + radius * math.sin(a)))
        return self

    def curve(self, *control: Point2, iterations: int = 2) -> Profile:
        """A smooth curve from the current point near the control points to the last one."""
        self.to(*chaikin([self.points[-1], *control], iterations)[1:])
        return self

    def seamed(self) -> tuple[np.ndarray, list[Colour]]:
        """Points and segment colours with extra points either side of colour changes."""
        pts = [self.points[0]]
        cols: list[Colour] = []
        for i, colour in enumerate(self.colours):
            a, b = np.array(self.points[i]), np.array(self.points[i + 1])
            length = float(np.linalg.norm(b - a))
            before = i > 0 and self.colours[i - 1] != colour
            after = i + 1 < len(self.colours) and self.colours[i + 1] != colour
            cut = min(_SEAM, length / 3)
            if before and length > 0:
                pts.append(tuple(a + (b - a) * cut / length))
                cols.append(colour)
            if after and length > 0:
                pts.append(tuple(b - (b - a) * cut / length))
                cols.append(colour)
            pts.append(self.points[i + 1])
            cols.append(colour)
        return np.array(pts, np.float64), cols


def offset(points: Sequence[Point2], distance: float) -> list[Point2]:
    """The polyline moved ``distance`` to its left: into the solid along a Profile."""
    pts = np.asarray(points, np.float64)
    tangent = np.gradient(pts, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    moved = pts + distance * np.column_stack([-tangent[:, 1], tangent[:, 0]])
    return [(float(r), float(z)) for r, z in moved]


def chaikin(points: Sequence[Point2], iterations: int) -> list[Point2]:
    """Corner cutting: a smooth curve through the first and last point."""
    pts = np.asarray(points, np.float64)
    for _ in range(iterations):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        pts = np.vstack([pts[:1], np.column_stack([q, r]).reshape(-1, 2), pts[-1:]])
    return [(float(r), float(z)) for r, z in pts]


def circle(radius: float, z: float, sections: int) -> np.ndarray:
    """Ring of points counter-clockwise about +z; the first at angle 0 (the +x axis)."""
    if radius <= 0:
        return np.array([[0.0, 0.0, z]])
    a = 2 * np.pi * np.arange(sections) / sections
    return np.column_stack([radius * np.cos(a), radius * np.sin(a), np.full(sections, z)])


def lathe(
    profile: Profile,
    sections: int = 48,
    texture: Image.Image | None = None,
    height: float | None = None,
    band: tuple[float, float] = (0.0, 1.0),
) -> trimesh.Trimesh:
    """Solid of revolution about z. With a texture, u goes round the axis (mirrored at
    180 degrees so the texture has no seam) and v = z / height.

    The texture must not change along u outside the ``band`` of v (a can's bare metal):
    rings there get a fixed u, so the faces of a lid or a base, which span all of u in a
    few pixels, do not make the renderer's mipmapping blur the print into them. Put
    profile points at the band's edges.
    """
    pts, colours = profile.seamed()
    if abs(pts[0, 0]) > 1e-9 or abs(pts[-1, 0]) > 1e-9 or (pts[1:-1, 0] <= 1e-9).any():
        raise ValueError("a profile starts and ends on the axis and stays off it between")
    pts[[0, -1], 0] = 0.0  # an arc ending on the axis stops a rounding error away
    rings = [circle(r, z, sections) for r, z in pts]
    mesh = solid(rings, colours)
    if texture is not None:
        a = np.arange(sections) / sections
        round_u = 1 - np.abs(2 * a - 1)  # 0 -> 1 -> 0 around: both sides of the seam match
        ring_v = pts[:, 1] / (height or float(pts[:, 1].max()))
        printed = (ring_v > band[0] - 1e-9) & (ring_v < band[1] + 1e-9)
        u = [
            round_u if len(ring) > 1 and p else np.full(len(ring), 0.5)
            for ring, p in zip(rings, printed, strict=True)
        ]
        v = [np.full(len(ring), rv) for ring, rv in zip(rings, ring_v, strict=True)]
        textured(mesh, np.column_stack([np.concatenate(u), np.concatenate(v)]), texture)
    return mesh


# -------------------------------------------------------------------------------- tubes


def tube_rings(
    path: np.ndarray,
    radii: np.ndarray | float,
    *,
    normal: Sequence[float],
    sides: int = 12,
    shape: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Cross-sections along a plane path (N, 3): one ring per point.

    ``normal`` is the normal of the path's plane; ``radii`` one per point or one for all;
    ``shape`` scales the radius round the cross-section (``sides`` values, e.g. a
    banana's ridges). Ring point k lies at angle 2 pi k / sides from the in-plane side
    vector (normal x tangent) towards the normal, so point 0 is on the left of the path
    seen from the normal's side.
    """
    path = np.asarray(path, np.float64)
    radius = np.broadcast_to(np.asarray(radii, np.float64), (len(path),))
    tangent = np.gradient(path, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    up = np.broadcast_to(np.asarray(normal, np.float64), path.shape)
    side = np.cross(up, tangent)  # (side, up, tangent) is right-handed: rings go round
    side /= np.linalg.norm(side, axis=1, keepdims=True)  # counter-clockwise
    a = 2 * np.pi * np.arange(sides) / sides
    scale = np.ones(sides) if shape is None else np.asarray(shape, np.float64)
    cos, sin = np.cos(a) * scale, np.sin(a) * scale
    return [
        path[i] + radius[i] * (cos[:, None] * side[i] + sin[:, None] * up[i])
        for i in range(len(path))
    ]


def tube(path: np.ndarray, rings: list[np.ndarray], colours: Sequence[Colour]) -> trimesh.Trimesh:
    """A closed tube through the rings, capped flat at the path's two end points.

    ``colours``: one per step between rings (N - 1).
    """
    ends = np.asarray(path, np.float64)[[0, -1]]
    return solid([ends[:1], *rings, ends[1:]], [colours[0], *colours, colours[-1]])


# -------------------------------------------------------------------------------- boxes


def box(
    low: Sequence[float], high: Sequence[float], colour: Colour | np.ndarray
) -> trimesh.Trimesh:
    """Axis-aligned box from corner to corner, coloured per face or all alike."""
    low_, high_ = np.asarray(low, np.float64), np.asarray(high, np.float64)
    mesh = trimesh.creation.box(extents=high_ - low_)
    mesh.apply_translation((low_ + high_) / 2)
    return paint(mesh, colour)


def rounded_rect(half_x: float, half_y: float, radius: float, corner_steps: int) -> np.ndarray:
    """(4 * (corner_steps + 1), 2) outline counter-clockwise, starting at the +x side."""
    pts = []
    for k, (sx, sy) in enumerate(((1, 1), (-1, 1), (-1, -1), (1, -1))):
        centre = (sx * (half_x - radius), sy * (half_y - radius))
        for a in np.linspace(0, np.pi / 2, corner_steps + 1) + k * np.pi / 2:
            pts.append((centre[0] + radius * np.cos(a), centre[1] + radius * np.sin(a)))
    return np.array(pts)
