"""3D models: meshes from folders or built in, checked, loaded lazily, with derived data.

A model's id is stable across machines: ``<class>/<file>`` for folders, the built-in's
name otherwise. Everything derived from a mesh (bounds, diameter, stable poses, surface
samples for placement) is computed once per process and cached on the model.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from synthgen.config import resolve_path
from synthgen.errors import AssetError, AssetWarning
from synthgen.generators.classes import ClassSpec, index_class_folders
from synthgen.generators.scene3d.config import ModelSource

MESH_SUFFIXES = (".obj", ".ply", ".stl", ".glb", ".gltf", ".off")
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001}


@dataclass
class Model:
    """A mesh in metres with its class and keypoints ((K, 3), NaN rows where absent)."""

    name: str
    category: str | None
    mesh: trimesh.Trimesh
    keypoints: np.ndarray | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def bounds(self) -> np.ndarray:
        """[[xmin, ymin, zmin], [xmax, ymax, zmax]] in model coordinates."""
        return np.asarray(self.mesh.bounds, dtype=np.float64)

    @cached_property
    def diameter(self) -> float:
        """Largest distance between two points of the model (BOP's 'diameter')."""
        hull = self.mesh.convex_hull.vertices
        d = hull[:, None, :] - hull[None, :, :]
        return float(np.sqrt((d**2).sum(axis=2).max()))

    @cached_property
    def cull(self) -> bool:
        """Back faces can be skipped when rasterizing only if the winding is consistent."""
        return bool(self.mesh.is_winding_consistent and self.mesh.is_watertight)

    @cached_property
    def stable_poses(self) -> tuple[np.ndarray, np.ndarray]:
        """Rotations (n, 3, 3) that rest the model on a face of its hull, and probabilities."""
        return stable_rotations(self.mesh)

    def surface(self, spacing: float) -> np.ndarray:
        """Points covering the surface about every ``spacing`` metres (for the drop), as
        3 x n rows of x, y and z: transforms and per-axis extremes are contiguous that way."""
        key = f"surface:{spacing}"
        if key not in self._cache:
            count = int(np.clip(2 * self.mesh.area / spacing**2, 500, 20000))
            rng = np.random.default_rng(0)  # fixed: the same points in every process
            points = trimesh.sample.sample_surface(self.mesh, count, seed=rng)[0]
            self._cache[key] = np.ascontiguousarray(np.vstack([points, self.mesh.vertices]).T)
        return self._cache[key]


def stable_rotations(mesh: trimesh.Trimesh) -> tuple[np.ndarray, np.ndarray]:
    """The ways a rigid body rests on a plane: one per face of its convex hull (coplanar
    triangles merged) on which its centre of mass stands, weighted by the solid angle that
    face spans from the centre of mass (the chance of landing on it when dropped at random).

    trimesh's compute_stable_poses gives the same poses through a topple graph but takes
    about half a second per model, in every worker process; this takes milliseconds.
    """
    hull = mesh.convex_hull
    com = mesh.center_mass if mesh.is_volume else hull.center_mass
    group = np.arange(len(hull.faces))  # each triangle's face: its lowest coplanar triangle
    for facet in hull.facets:
        group[facet] = np.min(facet)
    tris = hull.triangles - com
    normals = hull.face_normals
    # The centre of mass dropped onto each triangle's plane, and whether it lands inside
    # (or on an edge: a square face's centre lies on the diagonal of its two triangles).
    foot = normals * np.einsum("ij,ij->i", tris[:, 0], normals)[:, None]
    edges = [(tris[:, i], tris[:, (i + 1) % 3]) for i in range(3)]
    inside = np.all(
        [np.einsum("ij,ij->i", np.cross(q - p, foot - p), normals) > -1e-12 for p, q in edges],
        axis=0,
    )
    stable = np.unique(group[inside])
    if len(stable) == 0:  # a degenerate hull (flat mesh): rest as modelled
        return np.eye(3)[None], np.ones(1)
    weights = np.bincount(group, weights=_solid_angle(tris), minlength=len(group))[stable]
    down = np.array([0.0, 0.0, -1.0])
    rotations = np.array([_turn_onto(normals[g], down) for g in stable])
    return rotations, weights / weights.sum()


def _solid_angle(triangles: np.ndarray) -> np.ndarray:
    """Solid angle of each triangle seen from the origin (Van Oosterom and Strackee)."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    la, lb, lc = (np.linalg.norm(v, axis=1) for v in (a, b, c))
    numerator = np.abs(np.einsum("ij,ij->i", a, np.cross(b, c)))
    denominator = (
        la * lb * lc
        + np.einsum("ij,ij->i", a, b) * lc
        + np.einsum("ij,ij->i", a, c) * lb
        + np.einsum("ij,ij->i", b, c) * la
    )
    return 2 * np.arctan2(numerator, denominator)


def _turn_onto(v: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The shortest rotation taking unit vector ``v`` to unit vector ``target``."""
    axis = np.cross(v, target)
    sin, cos = np.linalg.norm(axis), float(v @ target)
    if sin < 1e-12:
        if cos > 0:
            return np.eye(3)
        axis = np.cross(v, [1.0, 0, 0] if abs(v[0]) < 0.9 else [0, 1.0, 0])
        return Rotation.from_rotvec(np.pi * axis / np.linalg.norm(axis)).as_matrix()
    return Rotation.from_rotvec(axis / sin * np.arctan2(sin, cos)).as_matrix()


def load_mesh(path: Path, units: str = "m") -> trimesh.Trimesh:
    """Reads a mesh file as one triangle mesh in metres; rejects what cannot be rendered."""
    try:
        mesh = trimesh.load(path, force="mesh", process=True)
    except Exception as err:  # trimesh raises many kinds on bad files
        raise AssetError(f"{path}: cannot read the mesh ({err})") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise AssetError(f"{path}: the file has no triangle faces; export it as a triangle mesh")
    if not np.isfinite(mesh.vertices).all():
        raise AssetError(f"{path}: the mesh has non-finite vertex coordinates")
    if units != "m":
        mesh.apply_scale(UNITS[units])
    extent = float(np.max(mesh.extents))
    if extent < 1e-4 or extent > 1e3:
        raise AssetError(
            f"{path}: the mesh is {extent:g} m across; check objects.source.units (m, cm, mm)"
        )
    if not mesh.is_watertight:
        warnings.warn(
            f"{path}: the mesh is not watertight; it renders, but its amodal mask is drawn "
            "from its surface as is and its stable poses come from its convex hull",
            AssetWarning,
            stacklevel=2,
        )
    return mesh


def _read_keypoints(
    path: Path, names: tuple[str, ...], mesh: trimesh.Trimesh, scale: float
) -> np.ndarray:
    points = np.full((len(names), 3), np.nan)
    sidecar = path.with_suffix(".json")
    if not sidecar.exists():
        return points
    try:
        given = json.loads(sidecar.read_text())["keypoints"]
        for name, spec in given.items():
            if name not in names:
                raise AssetError(
                    f"{sidecar}: keypoint '{name}' is not declared for this class "
                    f"(declared: {', '.join(names) or 'none'})"
                )
            if isinstance(spec, dict):
                points[names.index(name)] = mesh.vertices[int(spec["vertex"])]
            else:
                points[names.index(name)] = np.asarray(spec, dtype=np.float64) * scale
    except (json.JSONDecodeError, KeyError, TypeError, IndexError, ValueError) as err:
        raise AssetError(
            f'{sidecar}: expected {{"keypoints": {{"name": [x, y, z] or {{"vertex": i}}}}}} ({err})'
        ) from None
    return points


class ModelLibrary:
    """The models of a source, by class. ``labeled=False`` pools every mesh (distractors)."""

    def __init__(self, source: ModelSource, base_dir: Path, *, labeled: bool) -> None:
        self.source = source
        self.labeled = labeled
        self._models: dict[str, Model] = {}
        if source.builtin is not None:
            self.root: Path | None = None
            self.classes, self.names = _builtin_index(source.builtin, labeled)
        else:
            assert source.dir is not None
            self.root = resolve_path(source.dir, base_dir)
            self.classes, self.names = _folder_index(self.root, source.classes, labeled)

    @property
    def all_names(self) -> list[str]:
        return [n for names in self.names.values() for n in names]

    def get(self, name: str) -> Model:
        model = self._models.get(name)
        if model is None:
            model = self._load(name)
            self._models[name] = model
        return model

    def _load(self, name: str) -> Model:
        if self.root is None:
            return _builtin_model(self.source.builtin or "", name, self.labeled)
        path = self.root / name
        category = name.split("/")[0] if self.labeled else None
        mesh = load_mesh(path, self.source.units)
        spec = next((c for c in self.classes if c.name == category), None)
        keypoints = None
        if spec is not None and spec.keypoints:
            keypoints = _read_keypoints(path, spec.keypoints, mesh, UNITS[self.source.units])
        return Model(name, category, mesh, keypoints)

    def check(self) -> None:
        """Loads every model once (main process), so a bad file stops the run up front."""
        if self.root is None:
            return
        for name in self.all_names:
            self.get(name)

    def fingerprint(self) -> list[Any]:
        if self.root is None:
            return [self.source.builtin, f"trimesh {trimesh.__version__}"]
        return [[n, (self.root / n).stat().st_size] for n in self.all_names]


def _folder_index(
    root: Path, classes: list[ClassSpec] | None, labeled: bool
) -> tuple[list[ClassSpec], dict[str, list[str]]]:
    def meshes(folder: Path) -> list[str]:
        return sorted(p.name for p in folder.iterdir() if p.suffix.lower() in MESH_SUFFIXES)

    kind = f"mesh files ({', '.join(MESH_SUFFIXES)})"
    return index_class_folders(
        root, classes, meshes, labeled=labeled, kind=kind, example="meshes/mug/*.obj"
    )


def _builtin_set(name: str) -> tuple[Any, ...]:
    from synthgen.generators.scene3d import builtin

    sets = {
        "kitchen": builtin.kitchen_models,
        "clutter": builtin.clutter_models,
        "primitives": builtin.primitive_models,
    }
    return sets[name]()


def _builtin_index(name: str, labeled: bool) -> tuple[list[ClassSpec], dict[str, list[str]]]:
    """Built-in sets: 'kitchen' has classes; the others are one class of their own name."""
    from synthgen.generators.scene3d import builtin

    models = _builtin_set(name)
    if not labeled or name != "kitchen":
        return [ClassSpec(name=name)], {name: [m.name for m in models]}
    classes = [
        ClassSpec(name=c.name, keypoints=c.keypoints, flip_pairs=c.flip_pairs, skeleton=c.skeleton)
        for c in builtin.KITCHEN
    ]
    return classes, {c.name: [m.name for m in models if m.category == c.name] for c in classes}


def _builtin_model(source: str, name: str, labeled: bool) -> Model:
    from synthgen.generators.scene3d import builtin

    spec = next(m for m in _builtin_set(source) if m.name == name)
    if source != "kitchen" or not labeled:
        return Model(name, source if labeled else None, spec.mesh)
    category = next(c for c in builtin.KITCHEN if c.name == spec.category)
    keypoints = np.array([spec.keypoints[k] for k in category.keypoints], dtype=np.float64)
    return Model(name, spec.category, spec.mesh, keypoints if len(keypoints) else None)
