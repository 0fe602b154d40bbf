"""Labeled kitchen-table objects: classes, keypoints and a few shape variants each.

Sizes are real (metres). Every model rests upright on z = 0 with its bounding box centred
in x, y. Keypoints are surface points; objects that are round about their axis only get
keypoints on the axis, because a point on a rim would be an arbitrary one of many.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import trimesh

from synthgen.generators.scene3d.builtin import textures
from synthgen.generators.scene3d.builtin.shapes import (
    Colour,
    Profile,
    box,
    combine,
    lathe,
    offset,
    rest_on_floor,
    rgb,
    tube,
    tube_rings,
)

Point3 = tuple[float, float, float]


@dataclass(frozen=True)
class CategorySpec:
    """A labeled class: keypoint names (in label order), flip pairs and skeleton edges."""

    name: str
    keypoints: tuple[str, ...]
    flip_pairs: tuple[tuple[str, str], ...]
    skeleton: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ModelSpec:
    """A built-in mesh in metres with its class (None for clutter) and its keypoints."""

    name: str
    category: str | None
    mesh: trimesh.Trimesh
    keypoints: dict[str, Point3]


KITCHEN: tuple[CategorySpec, ...] = (
    CategorySpec(
        "mug",
        ("rim_handle", "rim_opposite", "handle", "base_handle", "base_opposite"),
        (),  # every keypoint lies in the mug's mirror plane
        (
            ("rim_handle", "rim_opposite"),
            ("rim_handle", "handle"),
            ("handle", "base_handle"),
            ("base_handle", "base_opposite"),
            ("rim_opposite", "base_opposite"),
        ),
    ),
    CategorySpec("bowl", ("inside_bottom", "base"), (), (("inside_bottom", "base"),)),
    CategorySpec("bottle", ("cap", "base"), (), (("cap", "base"),)),
    CategorySpec("can", ("top", "bottom"), (), (("top", "bottom"),)),
    CategorySpec("plate", ("centre", "base"), (), (("centre", "base"),)),
    CategorySpec(
        "book",
        ("spine_top", "spine_bottom", "edge_top", "edge_bottom"),  # front-cover corners
        # A mirrored book is a real book turned upside down: top and bottom swap.
        (("spine_top", "spine_bottom"), ("edge_top", "edge_bottom")),
        (
            ("spine_top", "edge_top"),
            ("edge_top", "edge_bottom"),
            ("edge_bottom", "spine_bottom"),
            ("spine_bottom", "spine_top"),
        ),
    ),
    CategorySpec("glass", ("inside_bottom", "base"), (), (("inside_bottom", "base"),)),
    CategorySpec("banana", ("stem", "middle", "tip"), (), (("stem", "middle"), ("middle", "tip"))),
)
"""The labeled classes; their order is the order of category ids."""

WHITE, CREAM, CLAY = rgb("f4f2ec"), rgb("efe6d2"), rgb("b9a58a")


def _point(xyz: np.ndarray) -> Point3:
    return (float(xyz[0]), float(xyz[1]), float(xyz[2]))


def _blend(a: Colour, b: Colour, t: float) -> Colour:
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return (r, g, bl)


def _finish(name: str, mesh: trimesh.Trimesh, keypoints: dict[str, Point3]) -> ModelSpec:
    shift = rest_on_floor(mesh)
    moved = {k: _point(np.asarray(p) + shift) for k, p in keypoints.items()}
    return ModelSpec(name, name.rsplit("_", 1)[0], mesh, moved)


# -------------------------------------------------------------------------------- mug


def mug(name: str, r0: float, r1: float, height: float, glaze: Colour, inside: Colour) -> ModelSpec:
    """A mug with a real cavity; outer radius r0 at the foot, r1 at the rim; handle at +x."""
    wall, floor_z = 0.004, 0.007

    def outer(z: float) -> float:
        return r0 + (r1 - r0) * z / height

    top = height - wall / 2
    rim = outer(top) - wall / 2
    inner_low = outer(floor_z + 0.005) - wall
    body = (
        Profile(0, 0.0025, CLAY)  # unglazed foot ring, recessed in the middle
        .to((r0 - 0.007, 0.0025), (r0 - 0.0055, 0.0), (r0 - 0.002, 0.0))
        .paint(glaze)
        .arc((r0 - 0.002, 0.002), 0.002, -90, 0)
        .to((outer(top), top))
        .arc((rim, top), wall / 2, 0, 90)
        .paint(inside)
        .arc((rim, top), wall / 2, 90, 180)
        .to((inner_low, floor_z + 0.005))
        .arc((inner_low - 0.005, floor_z + 0.005), 0.005, 0, -90)
        .to((0, floor_z))
    )
    # Handle: a D-shaped tube whose ends sit 2 mm deep in the wall (never in the cavity).
    z_top, z_bottom = height - 0.024, 0.024
    t = np.linspace(np.pi / 2, -np.pi / 2, 17)
    z = (z_top + z_bottom) / 2 + (z_top - z_bottom) / 2 * np.sin(t)
    x = np.array([outer(v) for v in z]) - 0.002 + 0.027 * np.clip(np.cos(t), 0, 1) ** 0.7
    path = np.column_stack([x, np.zeros_like(x), z])
    rings = tube_rings(path, 0.0055, normal=(0, 1, 0), sides=10)
    handle = tube(path, rings, [glaze] * (len(path) - 1))
    middle = rings[len(rings) // 2]
    keypoints = {
        "rim_handle": (rim, 0.0, height),
        "rim_opposite": (-rim, 0.0, height),
        "handle": _point(middle[np.argmax(middle[:, 0])]),
        "base_handle": (r0, 0.0, 0.002),
        "base_opposite": (-r0, 0.0, 0.002),
    }
    return _finish(name, combine(lathe(body, 36), handle), keypoints)


# -------------------------------------------------------------------------------- bowl


def bowl(
    name: str, radius: float, height: float, foot: float, outside: Colour, inside: Colour
) -> ModelSpec:
    """A bowl on a foot ring; the wall is the outer curve offset inwards."""
    wall, z0 = 0.005, 0.008
    top = height - wall / 2
    a = np.radians(np.linspace(25, 90, 9))  # from 25 degrees at the foot to vertical
    s = (np.sin(a) - np.sin(a[0])) / (1 - np.sin(a[0]))
    c = (np.cos(a[0]) - np.cos(a)) / np.cos(a[0])
    curve = np.column_stack([foot + (radius - foot) * s, z0 + (top - z0) * c])
    outer = [(float(r), float(z)) for r, z in curve]
    inner = offset(outer, wall)[::-1]
    profile = (
        Profile(0, 0.003, outside)
        .to((foot - 0.005, 0.003), (foot - 0.004, 0.0), (foot - 0.001, 0.0))
        .to(*outer)
        .arc((radius - wall / 2, top), wall / 2, 0, 90)
        .paint(inside)
        .arc((radius - wall / 2, top), wall / 2, 90, 180)
        .to(*inner[1:], (0, inner[-1][1]))
    )
    keypoints = {"inside_bottom": (0.0, 0.0, inner[-1][1]), "base": (0.0, 0.0, 0.003)}
    return _finish(name, lathe(profile, 40), keypoints)


# -------------------------------------------------------------------------------- plate


def plate(
    name: str, radius: float, height: float, colour: Colour, rim_band: Colour | None = None
) -> ModelSpec:
    """A plate: foot ring, flat well, a flange rising to a rounded rim, 4 mm thick."""
    thick, foot = 0.004, 0.42 * radius
    edge = radius - thick / 2
    under = Profile(0, 0.002, colour).to((foot - 0.004, 0.002), (foot - 0.003, 0.0))
    under.to((foot - 0.001, 0.0), (foot, 0.003)).curve(
        (0.62 * radius, 0.004), (0.78 * radius, 0.006), (edge, height - thick), iterations=1
    )
    bottom = under.points[4:]  # the underside from the foot ring to the rim
    under.arc((edge, height - thick / 2), thick / 2, -90, 90)
    top = offset(bottom, thick)[::-1][1:]
    for r, z in top:
        under.paint(rim_band if rim_band and r > 0.86 * radius else colour).to((r, z))
    under.paint(colour).to((0, top[-1][1]))
    keypoints = {"centre": (0.0, 0.0, top[-1][1]), "base": (0.0, 0.0, 0.002)}
    return _finish(name, lathe(under, 40), keypoints)


# -------------------------------------------------------------------------------- bottle


def bottle(
    name: str,
    radius: float,
    height: float,
    neck: float,
    shoulder: tuple[float, float],
    colours: tuple[Colour, Colour, Colour],
    cap: tuple[float, float],
    label: tuple[float, float],
) -> ModelSpec:
    """A closed bottle: punted base, body with a label band, shoulder, neck and cap.

    ``shoulder``: heights where the shoulder starts and the neck begins; ``colours``:
    body, label, cap; ``cap``: its radius and height (a wine bottle's foil is a cap too).
    """
    body, label_colour, cap_colour = colours
    cap_r, cap_h = cap
    cap_z = height - cap_h
    s0, s1 = shoulder
    profile = (
        Profile(0, 0.004, body)
        .to((radius - 0.006, 0.0012), (radius - 0.003, 0.0))
        .arc((radius - 0.003, 0.003), 0.003, -90, 0)
        .to((radius, label[0]))
        .paint(label_colour)
        .to((radius, label[1]))
        .paint(body)
        .to((radius, s0))
        .curve((radius, s0 + 0.45 * (s1 - s0)), (neck, s1 - 0.2 * (s1 - s0)), (neck, s1))
        .to((neck, cap_z))
        .paint(cap_colour)
        .to((cap_r, cap_z), (cap_r, height - 0.0015))
        .arc((cap_r - 0.0015, height - 0.0015), 0.0015, 0, 90)
        .to((0, height))
    )
    keypoints = {"cap": (0.0, 0.0, height), "base": (0.0, 0.0, 0.004)}
    return _finish(name, lathe(profile, 36), keypoints)


# -------------------------------------------------------------------------------- can


def can(name: str, radius: float, height: float, base: Colour, accent: Colour) -> ModelSpec:
    """A drinks can: domed bottom, tapered ends, recessed lid; printed label texture."""
    r, h = radius, height
    profile = (
        Profile(0, 0.009, base)
        .to((0.55 * r, 0.0075), (r - 0.008, 0.002), (r - 0.0065, 0.0), (r - 0.005, 0.0))
        .curve((r - 0.001, 0.004), (r, 0.012), iterations=1)
        .to((r, 0.014), (r, h - 0.016), (r, h - 0.014))  # the print's edges, then the neck
        .curve((r, h - 0.008), (r - 0.005, h - 0.004), (r - 0.005, h - 0.0012), iterations=1)
        .arc((r - 0.0062, h - 0.0012), 0.0012, 0, 180, steps=5)
        .to((r - 0.0078, h - 0.004), (0, h - 0.004))
    )
    band = (0.014 / h, 1 - 0.016 / h)
    image = textures.can_label(base, accent, band)
    keypoints = {"top": (0.0, 0.0, h - 0.004), "bottom": (0.0, 0.0, 0.009)}
    return _finish(name, lathe(profile, 40, texture=image, height=h, band=band), keypoints)


def tin(name: str, radius: float, height: float, base: Colour, accent: Colour) -> ModelSpec:
    """A food tin: straight wall, a rolled rim at each end, a paper label."""
    r, h, bead = radius, height, 0.0008
    profile = (
        Profile(0, 0.003, base)
        .to((r - 0.003, 0.003), (r - 0.002, 0.0), (r + bead, 0.0), (r + bead, 0.003), (r, 0.004))
        .to((r, 0.005), (r, h - 0.005))  # the label's edges
        .to((r, h - 0.004), (r + bead, h - 0.003), (r + bead, h), (r - 0.002, h))
        .to((r - 0.003, h - 0.003), (0, h - 0.003))
    )
    band = (0.005 / h, 1 - 0.005 / h)
    image = textures.can_label(base, accent, band)
    keypoints = {"top": (0.0, 0.0, h - 0.003), "bottom": (0.0, 0.0, 0.003)}
    return _finish(name, lathe(profile, 48, texture=image, height=h, band=band), keypoints)


# -------------------------------------------------------------------------------- glass


def tumbler(name: str, r0: float, r1: float, height: float, tint: Colour) -> ModelSpec:
    """A drinking glass with a thick base; outer radius r0 at the bottom, r1 at the rim."""
    wall, base_z = 0.0025, 0.012

    def outer(z: float) -> float:
        return r0 + (r1 - r0) * z / height

    top = height - wall / 2
    rim = outer(top) - wall / 2
    inner_low = outer(base_z + 0.006) - wall
    profile = (
        Profile(0, 0.0008, tint)
        .to((r0 - 0.003, 0.0))
        .arc((r0 - 0.003, 0.003), 0.003, -90, 0)
        .to((outer(top), top))
        .arc((rim, top), wall / 2, 0, 180)
        .to((inner_low, base_z + 0.006))
        .arc((inner_low - 0.006, base_z + 0.006), 0.006, 0, -90)
        .to((0, base_z))
    )
    keypoints = {"inside_bottom": (0.0, 0.0, base_z), "base": (0.0, 0.0, 0.0008)}
    return _finish(name, lathe(profile, 48), keypoints)


def wine_glass(name: str, foot: float, bowl_r: float, height: float, tint: Colour) -> ModelSpec:
    """A stemmed glass: flat foot, thin stem, a tulip bowl with a 2 mm wall."""
    wall, stem, stem_top = 0.002, 0.0035, 0.45 * height
    widest = stem_top + 0.45 * (height - stem_top)
    # Bowl: half an ellipse up to its widest, then closing in a little towards the rim.
    a = np.linspace(-np.arccos(stem / bowl_r), 0, 7)
    lower = [(bowl_r * np.cos(v), widest + (widest - stem_top) * np.sin(v)) for v in a]
    t = np.linspace(0, 1, 5)[1:]
    upper = [(bowl_r * (1 - 0.12 * v**2), widest + (height - wall / 2 - widest) * v) for v in t]
    outer_bowl = [(float(r), float(z)) for r, z in lower + upper]
    inner = offset(outer_bowl[1:], wall)[::-1]
    rim = outer_bowl[-1]
    profile = (
        Profile(0, 0.0, tint)
        .to((foot - 0.002, 0.0))
        .arc((foot - 0.002, 0.002), 0.002, -90, 90, steps=5)
        .curve((0.3 * foot, 0.006), (stem, 0.012), (stem, 0.02), iterations=1)
        .to(*outer_bowl)
        .arc((rim[0] - wall / 2, rim[1]), wall / 2, 0, 180, steps=5)
        .to(*inner[1:], (0, inner[-1][1]))
    )
    keypoints = {"inside_bottom": (0.0, 0.0, inner[-1][1]), "base": (0.0, 0.0, 0.0)}
    return _finish(name, lathe(profile, 36), keypoints)


# -------------------------------------------------------------------------------- book


def book(
    name: str,
    size: tuple[float, float, float],
    cover: Colour,
    title: Colour,
    board: float = 0.0025,
) -> ModelSpec:
    """A closed book lying on its back cover, spine along -x, its top edge towards +y.

    Separate boxes: two boards, the spine, the page block (inset from the boards) and a
    raised title panel, so each face keeps a crisp colour.
    """
    w, d, t = size
    pages = rgb("f1ead8")
    x0, x1, y0, y1 = -w / 2, w / 2, -d / 2, d / 2
    parts = [
        box((x0, y0, 0.0), (x1, y1, board), cover),  # back board
        box((x0, y0, t - board), (x1, y1, t), cover),  # front board
        box((x0, y0, board / 2), (x0 + board, y1, t - board / 2), cover),  # spine
        box(
            (x0 + board / 2, y0 + 0.003, board / 2), (x1 - 0.003, y1 - 0.003, t - board / 2), pages
        ),
        box(
            (x0 + 0.25 * w, y0 + 0.55 * d, t - 0.001),
            (x1 - 0.12 * w, y1 - 0.12 * d, t + 0.0004),
            title,
        ),
        box(
            (x0 + 0.25 * w, y0 + 0.42 * d, t - 0.001),
            (x1 - 0.3 * w, y0 + 0.47 * d, t + 0.0004),
            title,
        ),
    ]
    keypoints = {
        "spine_top": (x0, y1, t),
        "spine_bottom": (x0, y0, t),
        "edge_top": (x1, y1, t),
        "edge_bottom": (x1, y0, t),
    }
    return _finish(name, combine(*parts), keypoints)


# -------------------------------------------------------------------------------- banana


def banana(name: str, length: float, bend: float, radius: float, ripe: Colour) -> ModelSpec:
    """A banana lying on its side: a ridged tube along an arc, blossom tip to stem.

    ``bend``: the arc's angle in degrees; ``radius``: the thickest cross-section.
    """
    n, sides = 26, 20
    arc_r = length / np.radians(bend)
    a = np.radians(np.linspace(-bend / 2, bend / 2, n))
    path = np.column_stack([arc_r * np.sin(a), arc_r * (1 - np.cos(a)), np.zeros(n)])
    s = np.linspace(0, 1, n)
    body = radius * np.sin(np.pi * np.clip(s / 0.84, 0, 1)) ** 0.75
    radii = np.maximum(body, np.where(s > 0.5, 0.0045, 0.0035))  # stem; blunt blossom end
    ridges = 1 + 0.07 * np.cos(5 * 2 * np.pi * np.arange(sides) / sides)
    rings = tube_rings(path, radii, normal=(0, 0, 1), sides=sides, shape=ridges)
    green, brown = rgb("8a9a3a"), rgb("4a3520")
    mid = (s[:-1] + s[1:]) / 2
    greenish = np.clip((mid - 0.6) / 0.3, 0, 1)
    colours = [_blend(ripe, green, float(g)) for g in greenish]
    colours[0] = brown  # the blossom end
    colours[-1] = colours[-2] = rgb("5c5a2a")  # the cut stem
    middle = rings[n // 2]
    keypoints = {
        "tip": _point(path[0]),
        "middle": _point(middle[np.argmin(middle[:, 1])]),  # on the outer curve
        "stem": _point(path[-1]),
    }
    return _finish(name, tube(path, rings, colours), keypoints)


# -------------------------------------------------------------------------------- all


def build_kitchen_models() -> tuple[ModelSpec, ...]:
    """Builds every kitchen model afresh (``kitchen_models`` caches the result)."""
    glass, smoke = rgb("cfdde2"), rgb("9aa4a8")
    return (
        mug("mug_0", 0.041, 0.041, 0.095, rgb("b3262e"), WHITE),
        mug("mug_1", 0.035, 0.045, 0.100, rgb("23395d"), CREAM),
        mug("mug_2", 0.043, 0.046, 0.082, rgb("e0a526"), WHITE),
        bowl("bowl_0", 0.075, 0.066, 0.032, rgb("9fb7c9"), WHITE),
        bowl("bowl_1", 0.085, 0.072, 0.038, rgb("b5532f"), CREAM),
        bowl("bowl_2", 0.065, 0.052, 0.028, rgb("9a6a3e"), rgb("b98552")),
        bottle(
            "bottle_0",
            0.037,
            0.30,
            0.0145,
            (0.19, 0.235),
            (rgb("1f4d2b"), rgb("efe3c8"), rgb("7a1424")),
            (0.0155, 0.05),
            (0.06, 0.14),
        ),
        bottle(
            "bottle_1",
            0.032,
            0.215,
            0.013,
            (0.13, 0.175),
            (rgb("b9d4e3"), rgb("2a6fbf"), rgb("1d56a8")),
            (0.0155, 0.018),
            (0.06, 0.11),
        ),
        bottle(
            "bottle_2",
            0.029,
            0.20,
            0.012,
            (0.12, 0.16),
            (rgb("c2a23a"), WHITE, rgb("c0282d")),
            (0.014, 0.02),
            (0.04, 0.1),
        ),
        can("can_0", 0.033, 0.115, rgb("c8102e"), rgb("f2f2f2")),
        can("can_1", 0.0265, 0.134, rgb("1b4f9c"), rgb("c9ced6")),
        tin("can_2", 0.037, 0.11, rgb("2f8f3a"), rgb("f5d33a")),
        plate("plate_0", 0.13, 0.022, WHITE),
        plate("plate_1", 0.10, 0.018, CREAM, rim_band=rgb("2b5fa8")),
        plate("plate_2", 0.115, 0.036, rgb("c7d6c5")),
        book("book_0", (0.16, 0.24, 0.032), rgb("1e2f57"), rgb("d4b25a")),
        book("book_1", (0.13, 0.20, 0.022), rgb("b8322b"), WHITE, board=0.0012),
        book("book_2", (0.21, 0.28, 0.018), rgb("2e6b4f"), rgb("e9e1c8")),
        tumbler("glass_0", 0.030, 0.036, 0.095, glass),
        tumbler("glass_1", 0.030, 0.033, 0.145, smoke),
        wine_glass("glass_2", 0.036, 0.042, 0.19, glass),
        banana("banana_0", 0.19, 75, 0.018, rgb("f2d03b")),
        banana("banana_1", 0.17, 60, 0.017, rgb("e6d045")),
        banana("banana_2", 0.20, 85, 0.019, rgb("f0c53a")),
    )


@functools.cache
def kitchen_models() -> tuple[ModelSpec, ...]:
    """The labeled kitchen models, built once per process; treat the meshes as read-only."""
    return build_kitchen_models()
