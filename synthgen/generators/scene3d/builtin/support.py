"""What objects stand on: a wooden table top, an open plastic bin, a tiled floor.

Each is built for the size asked, with its top surface (a bin's inner floor) at z = 0.
Wood and tiles are periodic textures mapped by position (1.2 m per repeat), so their scale
stays real whatever the size.
"""

from __future__ import annotations

import numpy as np
import trimesh

from synthgen.generators.scene3d.builtin import textures
from synthgen.generators.scene3d.builtin.shapes import rgb, solid, textured

TEXTURE_PERIOD = 1.2  # metres covered by one repeat: 8 planks of 15 cm, 4 tiles of 30 cm
BIN_WALL = 0.01


def _slab(size_x: float, size_y: float, thickness: float) -> trimesh.Trimesh:
    """A box with its top face at z = 0 (8 shared vertices: closed and watertight)."""
    mesh = trimesh.creation.box(extents=(size_x, size_y, thickness))
    mesh.apply_translation((0.0, 0.0, -thickness / 2))
    return mesh


def _planar_uv(mesh: trimesh.Trimesh) -> np.ndarray:
    """Texture coordinates from x, y: right on the top, streaks along the edges."""
    return mesh.vertices[:, :2] / TEXTURE_PERIOD + 0.5


def table_top(size: tuple[float, float]) -> trimesh.Trimesh:
    """A 3 cm wooden slab of ``size`` (x, y) metres, top at z = 0, planks along x."""
    mesh = _slab(size[0], size[1], 0.03)
    return textured(mesh, _planar_uv(mesh), textures.wood())


def floor(size: float) -> trimesh.Trimesh:
    """A square tiled slab ``size`` metres wide, 5 cm thick, top at z = 0."""
    mesh = _slab(size, size, 0.05)
    return textured(mesh, _planar_uv(mesh), textures.tiles())


def bin_box(inner: tuple[float, float, float]) -> trimesh.Trimesh:
    """An open plastic bin: inner floor exactly inner[0] x inner[1] at z = 0, walls
    inner[2] high, 1 cm walls and floor, and a lip round the top."""
    hx, hy, height = inner[0] / 2, inner[1] / 2, inner[2]
    t = BIN_WALL

    def ring(grow: float, z: float) -> np.ndarray:
        """The rectangle ``grow`` outside the inner floor's edge, counter-clockwise."""
        x, y = hx + grow, hy + grow
        return np.array([[x, y, z], [-x, y, z], [-x, -y, z], [x, -y, z]])

    lip = min(0.015, height / 3)
    rings = [
        np.array([[0.0, 0.0, -t]]),  # under the floor
        ring(t, -t),
        ring(t, height - lip),
        ring(t + 0.005, height - lip + 0.003),
        ring(t + 0.005, height),
        ring(0.0, height),  # inner top edge
        ring(0.0, 0.0),  # inner floor edge
        np.array([[0.0, 0.0, 0.0]]),
    ]
    return solid(rings, [rgb("5b7f9e")] * (len(rings) - 1))
