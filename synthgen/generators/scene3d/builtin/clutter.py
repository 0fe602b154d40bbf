"""Unlabeled distractors for a kitchen table: boxes, a sponge, jars, fruit."""

from __future__ import annotations

import functools

import numpy as np
import trimesh

from synthgen.generators.scene3d.builtin.kitchen import ModelSpec
from synthgen.generators.scene3d.builtin.shapes import (
    Colour,
    Profile,
    box,
    chaikin,
    combine,
    lathe,
    paint,
    rest_on_floor,
    rgb,
    rounded_rect,
    solid,
    tube,
    tube_rings,
)


def _model(name: str, mesh: trimesh.Trimesh) -> ModelSpec:
    rest_on_floor(mesh)
    return ModelSpec(name, None, mesh, {})


def tea_box() -> trimesh.Trimesh:
    """A small carton with a printed panel on its front."""
    w, d, h = 0.14, 0.075, 0.07
    return combine(
        box((-w / 2, -d / 2, 0), (w / 2, d / 2, h), rgb("3d7a4a")),
        box((-0.045, -d / 2 - 0.0004, 0.015), (0.045, -d / 2 + 0.001, 0.055), rgb("efe3c0")),
    )


def sponge() -> trimesh.Trimesh:
    """A yellow sponge with a green scouring layer on top."""
    w, d = 0.095, 0.065
    return combine(
        box((-w / 2, -d / 2, 0), (w / 2, d / 2, 0.024), rgb("f2cf3c")),
        box(
            (-w / 2 + 0.0005, -d / 2 + 0.0005, 0.0235),
            (w / 2 - 0.0005, d / 2 - 0.0005, 0.0305),
            rgb("2f7d3a"),
        ),
    )


def jar(radius: float, height: float, glass: Colour, lid: Colour) -> trimesh.Trimesh:
    """A jar with a shoulder and a screw lid."""
    r, h = radius, height
    profile = (
        Profile(0, 0.002, glass)
        .to((r - 0.004, 0.0))
        .arc((r - 0.004, 0.004), 0.004, -90, 0)
        .to((r, h - 0.03))
        .curve((r, h - 0.02), (r - 0.006, h - 0.018), (r - 0.006, h - 0.014))
        .paint(lid)
        .to((r - 0.002, h - 0.014), (r - 0.002, h - 0.002))
        .arc((r - 0.004, h - 0.002), 0.002, 0, 90)
        .to((0, h))
    )
    return lathe(profile, 40)


def pepper_grinder() -> trimesh.Trimesh:
    """A turned wooden mill with a waist and a dark knob."""
    wood, knob = rgb("8b5a33"), rgb("2b2421")
    profile = (
        Profile(0, 0.0, wood)
        .to((0.022, 0.0))
        .arc((0.022, 0.003), 0.003, -90, 0)
        .curve((0.026, 0.03), (0.017, 0.07), (0.021, 0.12), (0.022, 0.145))
        .arc((0.019, 0.145), 0.003, 0, 90)
        .to((0.012, 0.148))
        .paint(knob)
        .to((0.01, 0.152), (0.01, 0.158))
        .arc((0.0, 0.158), 0.01, 0, 90)
    )
    return lathe(profile, 36)


def apple() -> trimesh.Trimesh:
    """An apple: dimpled at both ends, with a short stem."""
    red, yellow = rgb("b3202a"), rgb("c9a43a")
    control = [
        (0, 0.009), (0.012, 0.003), (0.03, 0.0), (0.043, 0.018),
        (0.044, 0.045), (0.03, 0.068), (0.012, 0.066), (0.0, 0.059),
    ]  # fmt: skip
    outline = chaikin(control, 2)
    profile = Profile(*outline[0], yellow)
    for r, z in outline[1:]:
        profile.paint(yellow if z < 0.006 else red).to((r, z))  # paler round the bottom
    stem_path = np.array([[0, 0, 0.052], [0.0005, 0, 0.062], [0.002, 0, 0.071], [0.004, 0, 0.077]])
    rings = tube_rings(stem_path, 0.0018, normal=(0, 1, 0), sides=8)
    stem = tube(stem_path, rings, [rgb("4a3320")] * 3)
    return combine(lathe(profile, 36), stem)


def orange() -> trimesh.Trimesh:
    """A slightly flattened, dimpled sphere (fixed seed: the same peel every time)."""
    rng = np.random.default_rng(0x0A4E)
    mesh = trimesh.creation.icosphere(subdivisions=3, radius=0.038)
    bumps = 1 + rng.normal(0, 0.006, len(mesh.vertices))
    mesh.vertices = mesh.vertices * bumps[:, None] * np.array([1.0, 1.0, 0.92])
    tone = rng.uniform(-12, 12, (len(mesh.faces), 1))
    colours = np.clip(np.array(rgb("ee8a1c")) + tone * np.array([1.0, 0.8, 0.3]), 0, 255)
    return paint(mesh, colours.astype(np.uint8))


def lemon() -> trimesh.Trimesh:
    """A lemon lying on its side: a lathe shape with pointed ends, turned onto x."""
    control = [(0.006, 0.004), (0.025, 0.018), (0.028, 0.045), (0.025, 0.072), (0.006, 0.086)]
    profile = Profile(0, 0, rgb("f0d23a")).curve(*control, (0.0, 0.09))
    mesh = lathe(profile, 32)
    mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
    return mesh


def salt_shaker() -> trimesh.Trimesh:
    """A glass shaker with a metal dome cap."""
    glass, metal = rgb("d8e2e4"), rgb("b8bcc0")
    profile = (
        Profile(0, 0.001, glass)
        .to((0.017, 0.0))
        .arc((0.017, 0.003), 0.003, -90, 0)
        .to((0.019, 0.07))
        .paint(metal)
        .to((0.0195, 0.07), (0.0195, 0.078))
        .arc((0.0, 0.078), 0.0195, 0, 90)
    )
    return lathe(profile, 36)


def food_box() -> trimesh.Trimesh:
    """A rounded plastic food container with a blue lid."""
    hx, hy, corner = 0.085, 0.06, 0.015

    def ring(grow: float, z: float) -> np.ndarray:
        outline = rounded_rect(hx + grow, hy + grow, corner + grow, 4)
        return np.column_stack([outline, np.full(len(outline), z)])

    body, lid = rgb("e6ebea"), rgb("2d6cb0")
    rings = [
        np.array([[0.0, 0.0, 0.0]]),
        ring(-0.005, 0.0),
        ring(0.0, 0.055),
        ring(0.003, 0.055),
        ring(0.003, 0.066),
        ring(-0.002, 0.069),
        np.array([[0.0, 0.0, 0.069]]),
    ]
    return solid(rings, [body, body, lid, lid, lid, lid])


def build_clutter_models() -> tuple[ModelSpec, ...]:
    """Builds every distractor afresh (``clutter_models`` caches the result)."""
    return (
        _model("tea_box", tea_box()),
        _model("sponge", sponge()),
        _model("honey_jar", jar(0.036, 0.095, rgb("c98a1e"), rgb("c9a13b"))),
        _model("jam_jar", jar(0.03, 0.075, rgb("7a1d2c"), rgb("e8e4dc"))),
        _model("pepper_grinder", pepper_grinder()),
        _model("apple", apple()),
        _model("orange", orange()),
        _model("lemon", lemon()),
        _model("salt_shaker", salt_shaker()),
        _model("food_box", food_box()),
    )


@functools.cache
def clutter_models() -> tuple[ModelSpec, ...]:
    """Unlabeled distractor models, built once per process; treat them as read-only."""
    return build_clutter_models()


def _primitive(k: int, rng: np.random.Generator) -> trimesh.Trimesh:
    s = rng.uniform(0.03, 0.09)
    kind = k % 6
    if kind == 0:
        mesh = trimesh.creation.box(extents=rng.uniform(0.5, 1.5, 3) * s)
    elif kind == 1:
        mesh = trimesh.creation.cylinder(radius=s / 2, height=s * rng.uniform(0.8, 2), sections=32)
    elif kind == 2:
        mesh = trimesh.creation.icosphere(subdivisions=2, radius=s / 2)
    elif kind == 3:
        mesh = trimesh.creation.cone(radius=s / 2, height=s * 1.3, sections=32)
    elif kind == 4:
        mesh = trimesh.creation.capsule(height=s, radius=s / 3, count=[16, 16])
    else:
        mesh = trimesh.creation.torus(
            major_radius=s / 2, minor_radius=s / 6, major_sections=32, minor_sections=12
        )
    colour = np.append(rng.integers(30, 230, 3), 255).astype(np.uint8)
    mesh.visual.face_colors = np.tile(colour, (len(mesh.faces), 1))
    return mesh


@functools.cache
def primitive_models() -> tuple[ModelSpec, ...]:
    """Plain coloured solids (boxes, cylinders, spheres, cones, capsules, tori), built once."""
    rng = np.random.default_rng(3)
    return tuple(_model(f"primitive_{k}", _primitive(k, rng)) for k in range(12))
