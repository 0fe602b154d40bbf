"""Procedural textures drawn with numpy: wood, floor tiles, can labels.

Arrays are drawn indexed [v, u] (row 0 at v = 0) and flipped into the image, whose top
row is v = 1: pyrender, like OpenGL, samples v = 0 from an image's bottom row. Wood and
tiles are periodic in both directions, so they repeat across a large support without a
visible seam. Each texture draws from its own fixed seed and is cached.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

from synthgen.generators.scene3d.builtin.shapes import Colour


def _periodic_noise(
    rng: np.random.Generator, size: int, cells: int, cells_u: int | None = None
) -> np.ndarray:
    """Smooth value noise in [0, 1], size x size, that tiles seamlessly; ``cells`` along v
    and ``cells_u`` (default the same) along u: few along u stretch it into streaks."""
    cu = cells if cells_u is None else cells_u
    grid = rng.random((cells, cu))

    def axis(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.arange(size) * n / size
        i0 = np.floor(x).astype(int)
        f = x - i0
        return i0, (i0 + 1) % n, f * f * (3 - 2 * f)  # smoothstep: no creases at cell edges

    v0, v1, fv = axis(cells)
    u0, u1, fu = axis(cu)
    rows = grid[v0] * (1 - fv)[:, None] + grid[v1] * fv[:, None]
    return rows[:, u0] * (1 - fu)[None, :] + rows[:, u1] * fu[None, :]


def _mix(a: Colour, b: Colour, t: np.ndarray) -> np.ndarray:
    ca, cb = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return ca + (cb - ca) * t[..., None]


def _image(rgb: np.ndarray) -> Image.Image:
    """An image from an array indexed [v, u]."""
    return Image.fromarray(np.clip(np.flipud(rgb) + 0.5, 0, 255).astype(np.uint8), "RGB")


@functools.cache
def wood(size: int = 512, planks: int = 8) -> Image.Image:
    """Planks running along u: fibres, faint growth rings, a dark joint between planks."""
    rng = np.random.default_rng(0xD00D)
    row = np.arange(size)[:, None]
    v = row / size
    plank = (row[:, 0] * planks) // size
    shade = rng.uniform(-0.1, 0.1, planks)[plank][:, None]
    phase = rng.random(planks)[plank][:, None]
    fibres = _periodic_noise(rng, size, 128, 4) + 0.5 * _periodic_noise(rng, size, 256, 8)
    warp = _periodic_noise(rng, size, 8, 2)
    rings = np.sin(2 * np.pi * (planks * 5 * v + 1.5 * warp + phase)) * 0.5 + 0.5
    t = np.clip(0.3 + 0.25 * rings**6 + 0.22 * (fibres - 0.75) + shade, 0, 1)
    rgb = _mix((190, 140, 92), (118, 76, 44), t)
    rgb[(row[:, 0] % (size // planks)) < 2] *= 0.55  # the joint between planks
    return _image(rgb)


@functools.cache
def tiles(size: int = 512, count: int = 4) -> Image.Image:
    """Stone-like floor tiles, count x count, with grout lines."""
    rng = np.random.default_rng(0x711E)
    cell = size // count
    idx = np.arange(size)
    tile_v, tile_u = idx[:, None] // cell, idx[None, :] // cell
    tone = rng.uniform(-0.08, 0.08, (count, count))[tile_v % count, tile_u % count]
    speckle = _periodic_noise(rng, size, 48) + 0.5 * _periodic_noise(rng, size, 128)
    t = np.clip(0.45 + tone + 0.25 * (speckle - 0.75), 0, 1)
    rgb = _mix((206, 200, 188), (150, 142, 130), t)
    grout = (idx[:, None] % cell < 3) | (idx[None, :] % cell < 3)
    rgb[grout] = (110, 108, 104)
    return _image(rgb)


@functools.cache
def can_label(
    base: Colour, accent: Colour, band: tuple[float, float], size: int = 256
) -> Image.Image:
    """A drinks-can print for v = z / height: bare metal outside ``band`` (v range),
    the label colour with a wave, a round logo and lines of 'text' inside it.

    u runs over half the circumference (the lathe mirrors it), so the logo at u = 0.5
    appears once, opposite the seam.
    """
    v = (np.arange(size)[:, None] + 0.5) / size
    u = (np.arange(size)[None, :] + 0.5) / size
    lo, hi = band
    h = (v - lo) / (hi - lo)  # 0..1 up the label
    rgb = np.empty((size, size, 3))
    rgb[:] = base
    wave = 0.30 + 0.06 * np.sin(2 * np.pi * u * 2)
    rgb[(h > wave) & (h < wave + 0.09)] = accent
    logo = ((u - 0.5) / 0.26) ** 2 + ((h - 0.62) / 0.16) ** 2
    rgb[logo < 1] = (245, 245, 240)
    rgb[(logo < 0.55) & (np.abs(h - 0.62) < 0.035) & (np.abs(u - 0.5) < 0.17)] = base
    text = (np.abs(u - 0.5) < 0.2) & (((h > 0.12) & (h < 0.15)) | ((h > 0.18) & (h < 0.2)))
    rgb[text] = (245, 245, 240)
    metal = np.broadcast_to((h < 0) | (h > 1), (size, size))
    rgb[metal] = _mix((150, 152, 156), (215, 217, 222), np.broadcast_to(v, (size, size)))[metal]
    return _image(rgb)
