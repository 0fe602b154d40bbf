"""Built-in meshes: closed, upright, real-sized, keypoints on the surface, deterministic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from synthgen.generators.scene3d import builtin
from synthgen.generators.scene3d.builtin import (
    KITCHEN,
    ModelSpec,
    bin_box,
    build_kitchen_models,
    clutter_models,
    floor,
    kitchen_models,
    table_top,
)
from synthgen.generators.scene3d.config import ModelSource
from synthgen.generators.scene3d.models import ModelLibrary

KITCHEN_MODELS = kitchen_models()
CLUTTER_MODELS = clutter_models()
ALL_MODELS = KITCHEN_MODELS + CLUTTER_MODELS

# (height, width) ranges in metres a real object of the class falls in; width is the
# larger of the x and y extents (a mug's includes its handle).
SIZES = {
    "mug": ((0.07, 0.12), (0.08, 0.14)),
    "bowl": ((0.04, 0.10), (0.10, 0.20)),
    "bottle": ((0.15, 0.35), (0.04, 0.10)),
    "can": ((0.09, 0.16), (0.05, 0.09)),
    "plate": ((0.01, 0.05), (0.15, 0.30)),
    "book": ((0.01, 0.06), (0.15, 0.32)),
    "glass": ((0.08, 0.22), (0.05, 0.10)),
    "banana": ((0.025, 0.05), (0.14, 0.24)),
    None: ((0.02, 0.25), (0.03, 0.25)),
}

# Hashes everything the builders make; run here and in a fresh interpreter.
DIGEST = """
import hashlib
from synthgen.generators.scene3d.builtin import build_clutter_models, build_kitchen_models

h = hashlib.sha256()
for m in build_kitchen_models() + build_clutter_models():
    h.update(m.name.encode())
    h.update(m.mesh.vertices.tobytes())
    h.update(m.mesh.faces.tobytes())
    if m.mesh.visual.kind == "texture":
        h.update(m.mesh.visual.uv.tobytes())
        h.update(m.mesh.visual.material.baseColorTexture.tobytes())
    else:
        h.update(m.mesh.visual.face_colors.tobytes())
    h.update(repr(sorted(m.keypoints.items())).encode())
digest = h.hexdigest()
"""


def ids(model: ModelSpec) -> str:
    return model.name


def surface_distance(mesh: trimesh.Trimesh, point: np.ndarray) -> float:
    """Distance from a point to the nearest triangle (trimesh's own needs rtree)."""
    a, b, c = (mesh.triangles[:, i] for i in range(3))
    normal = np.cross(b - a, c - a)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    height = np.einsum("ij,ij->i", point - a, normal)
    foot = point - height[:, None] * normal
    inside = np.ones(len(a), bool)
    for p, q in ((a, b), (b, c), (c, a)):
        inside &= np.einsum("ij,ij->i", np.cross(q - p, foot - p), normal) >= 0
    best = np.abs(height[inside]).min(initial=np.inf)
    for p, q in ((a, b), (b, c), (c, a)):
        t = np.clip(np.einsum("ij,ij->i", point - p, q - p) / ((q - p) ** 2).sum(1), 0, 1)
        best = min(best, np.linalg.norm(point - (p + t[:, None] * (q - p)), axis=1).min())
    return float(best)


# ---------------------------------------------------------------------------- meshes


@pytest.mark.parametrize("model", ALL_MODELS, ids=ids)
def test_mesh_is_closed_small_and_stands_on_z0(model):
    mesh = model.mesh
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert mesh.volume > 0  # normals point outwards
    assert len(mesh.faces) <= 3000
    assert mesh.area_faces.min() > 0  # no degenerate triangle (it would shade as NaN)
    low, high = mesh.bounds
    assert low[2] == pytest.approx(0, abs=1e-9)
    np.testing.assert_allclose((low[:2] + high[:2]) / 2, 0, atol=1e-9)
    assert mesh.visual.kind in ("face", "texture")


@pytest.mark.parametrize("model", ALL_MODELS, ids=ids)
def test_size_is_that_of_the_real_object(model):
    (h_lo, h_hi), (w_lo, w_hi) = SIZES[model.category]
    extents = model.mesh.extents
    assert h_lo <= extents[2] <= h_hi
    assert w_lo <= max(extents[:2]) <= w_hi


@pytest.mark.parametrize("model", KITCHEN_MODELS, ids=ids)
def test_keypoints_are_the_class_ones_and_on_the_surface(model):
    spec = next(c for c in KITCHEN if c.name == model.category)
    assert set(model.keypoints) == set(spec.keypoints)
    for name, point in model.keypoints.items():
        distance = surface_distance(model.mesh, np.array(point))
        assert distance < 1e-3, f"{model.name}: '{name}' is {distance * 1000:.2f} mm off"


def test_classes_have_variants_and_consistent_keypoint_graphs():
    assert len(KITCHEN) >= 6
    assert len({c.name for c in KITCHEN}) == len(KITCHEN)
    for spec in KITCHEN:
        variants = [m for m in KITCHEN_MODELS if m.category == spec.name]
        assert 2 <= len(variants) <= 3, spec.name
        assert len({m.mesh.vertices.tobytes() for m in variants}) == len(variants)
        assert spec.keypoints and len(set(spec.keypoints)) == len(spec.keypoints)
        for a, b in (*spec.flip_pairs, *spec.skeleton):
            assert {a, b} <= set(spec.keypoints)
    assert {m.category for m in KITCHEN_MODELS} == {c.name for c in KITCHEN}


def test_clutter_is_unlabeled():
    assert len(CLUTTER_MODELS) >= 8
    assert all(m.category is None and m.keypoints == {} for m in CLUTTER_MODELS)


def test_names_are_unique():
    names = [m.name for m in ALL_MODELS]
    assert len(set(names)) == len(names)


def test_model_sets_are_cached():
    assert kitchen_models() is KITCHEN_MODELS and clutter_models() is CLUTTER_MODELS


def test_builds_are_identical_in_this_and_a_fresh_process():
    first, second = build_kitchen_models(), build_kitchen_models()
    for a, b in zip(first, second, strict=True):
        assert a.mesh is not b.mesh  # really built twice
        assert a.name == b.name and a.keypoints == b.keypoints
        np.testing.assert_array_equal(a.mesh.vertices, b.mesh.vertices)
    scope: dict = {}
    exec(DIGEST, scope)
    fresh = subprocess.run(
        [sys.executable, "-c", DIGEST + "print(digest)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(builtin.__file__).parents[4],
    )
    assert fresh.stdout.strip() == scope["digest"]


def test_the_model_library_serves_them_with_keypoints():
    library = ModelLibrary(ModelSource(builtin="kitchen"), Path(), labeled=True)
    assert [c.name for c in library.classes] == [c.name for c in KITCHEN]
    for spec in library.classes:
        model = library.get(library.names[spec.name][0])
        assert model.keypoints is not None and model.keypoints.shape == (len(spec.keypoints), 3)
        assert np.isfinite(model.keypoints).all()
    clutter = ModelLibrary(ModelSource(builtin="clutter"), Path(), labeled=False)
    assert len(clutter.all_names) == len(CLUTTER_MODELS)


# ---------------------------------------------------------------------------- supports


def test_table_top_has_its_top_at_z0_and_the_size_asked():
    mesh = table_top((0.8, 0.5))
    assert mesh.is_watertight and mesh.volume > 0
    np.testing.assert_allclose(mesh.bounds, [[-0.4, -0.25, -0.03], [0.4, 0.25, 0.0]], atol=1e-12)
    assert mesh.visual.kind == "texture"


def test_floor_is_a_wide_slab_with_its_top_at_z0():
    mesh = floor(6.5)
    assert mesh.is_watertight and mesh.volume > 0
    np.testing.assert_allclose(mesh.bounds[:, :2], [[-3.25, -3.25], [3.25, 3.25]], atol=1e-12)
    assert mesh.bounds[1, 2] == 0 and 0.01 <= -mesh.bounds[0, 2] <= 0.1


def test_bin_floor_is_exactly_the_inner_size_and_the_top_is_open():
    w, d, h = 0.42, 0.31, 0.18
    mesh = bin_box((w, d, h))
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
    v = mesh.vertices
    on_floor = v[np.abs(v[:, 2]) < 1e-12]
    np.testing.assert_allclose(on_floor[:, :2].min(0), [-w / 2, -d / 2], atol=1e-12)
    np.testing.assert_allclose(on_floor[:, :2].max(0), [w / 2, d / 2], atol=1e-12)
    assert mesh.bounds[1, 2] == pytest.approx(h)
    assert 0.005 <= -mesh.bounds[0, 2] <= 0.02  # about a centimetre of floor
    inside = (np.abs(v[:, 0]) < w / 2 - 1e-9) & (np.abs(v[:, 1]) < d / 2 - 1e-9)
    assert (v[inside, 2] <= 1e-12).all()  # nothing over the floor: the top is open
    assert np.all(mesh.extents[:2] >= np.array([w, d]) + 0.018)  # walls about 1 cm


# ---------------------------------------------------------------------------- rendering


def test_every_kitchen_model_renders_with_its_keypoints_on_the_visible_surface():
    from synthgen.generators.scene3d.camera import intrinsics_from_fov, look_at, opengl_pose, orbit
    from synthgen.generators.scene3d.render import Item, Light, Renderer, RenderError

    size = 128
    try:
        renderer = Renderer(size, size)
    except RenderError as err:
        pytest.skip(f"no OpenGL renderer here: {err}")
    K = intrinsics_from_fov(40, size, size)
    try:
        for model in KITCHEN_MODELS:
            centre = model.mesh.bounds.mean(axis=0)
            distance = np.linalg.norm(model.mesh.extents) / 2 / np.sin(np.radians(20))
            seen = 0
            for elevation, azimuth in ((80, -60), (30, -30)):
                w2c = look_at(centre + orbit(distance, elevation, azimuth), centre)
                light = Light("directional", opengl_pose(w2c), (1.0, 1.0, 1.0), 3.0)
                item = Item(model.name, model.mesh, np.eye(4), instance=1)
                frame = renderer.render(K, w2c, 0.01, 10.0, [item], [light], 0.3)
                covered = frame.instances == 1
                assert covered.sum() > 0.02 * size * size, model.name
                assert frame.rgba[covered, :3].mean() > 20, model.name  # lit, not black
                for name, point in model.keypoints.items():
                    xyz = (w2c @ np.append(point, 1.0))[:3]
                    u, v = np.rint((K @ xyz)[:2] / xyz[2]).astype(int)
                    patch = frame.depth[v - 1 : v + 2, u - 1 : u + 2]
                    patch = patch[patch > 0]
                    assert patch.size, f"{model.name}: '{name}' is off the object"
                    # A surface point is never in front of the surface drawn at its pixel.
                    assert xyz[2] >= patch.min() - 2e-3, f"{model.name}: '{name}' floats"
                    seen += bool(np.abs(patch - xyz[2]).min() < 2e-3)
            assert seen, f"{model.name}: no keypoint is ever visible"
    finally:
        renderer.close()
