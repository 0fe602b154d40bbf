"""A hand-made 3D sample: boxes at known poses, ray-cast by numpy (no renderer, no scene3d).

Masks, depth and the instance map all come from casting one ray through each pixel centre
(OpenCV: the centre of pixel u is at u) against the boxes, so they agree with K and the
poses exactly. Object A is partly hidden by B; C crosses the left image border.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from synthgen.config import FloatRange, ImageConfig, OutputConfig, RecipeHead, StrictModel
from synthgen.generators.base import Generator, GeneratorConfig
from synthgen.geometry import project
from synthgen.labels import derive_labels
from synthgen.recipe import Recipe
from synthgen.registry import WRITERS
from synthgen.run import generate_dataset
from synthgen.sample import Camera, Category, Instance, Sample
from synthgen.writers.base import Fragment, ImageRef, LabeledSample

WIDTH, HEIGHT = 160, 120
K = np.array([[200.0, 0, 80], [0, 200.0, 60], [0, 0, 1]])
PAIRS = (("left", "right"),)
CATEGORIES = [
    Category(1, "box", keypoints=("left", "right"), flip_pairs=PAIRS),
    Category(2, "crate", keypoints=("left", "right"), flip_pairs=PAIRS),
]


def rot(axis: tuple[float, float, float], degrees: float) -> np.ndarray:
    return trimesh.transformations.rotation_matrix(np.radians(degrees), axis)


def pose(R: np.ndarray, t: tuple[float, float, float]) -> np.ndarray:
    out = R.copy()
    out[:3, 3] = t
    return out


@dataclass
class FakeModel:
    """The parts of scene3d's Model that writers use."""

    name: str
    category: str
    mesh: trimesh.Trimesh

    @property
    def bounds(self) -> np.ndarray:
        return np.asarray(self.mesh.bounds)

    @property
    def diameter(self) -> float:
        return float(np.linalg.norm(self.mesh.extents))


MODELS = [
    FakeModel("box_a", "box", trimesh.creation.box(extents=(0.10, 0.08, 0.06))),
    FakeModel("box_b", "crate", trimesh.creation.box(extents=(0.07, 0.05, 0.04))),
]
# (model index, pose) in drawing order; B is nearest and hides part of A.
OBJECTS = [
    (0, pose(rot((0, 0, 1), 90), (-0.02, 0.0, 0.8))),
    (1, pose(rot((1, 1, 0), 35), (0.03, 0.01, 0.6))),
    (0, pose(np.eye(4), (-0.36, -0.05, 0.9))),
]
WORLD_TO_CAMERA = pose(rot((1, 0, 0), -120), (0.0, 0.1, 0.7))


def _cast(T: np.ndarray, half: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """z-depth where rays through pixel centres (xs, ys) first hit a box, 0 where they miss.

    Slab test in the model frame; rays have z = 1, so the ray parameter is the z-depth.
    """
    rays = np.stack([(xs - K[0, 2]) / K[0, 0], (ys - K[1, 2]) / K[1, 1], np.ones(xs.shape)], -1)
    R, t = T[:3, :3], T[:3, 3]
    origin, direction = -R.T @ t, rays @ R
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (-half - origin) / direction, (half - origin) / direction
    near, far = np.minimum(t1, t2).max(-1), np.maximum(t1, t2).min(-1)
    return np.where((far >= near) & (near > 0), near, 0.0)


def known_sample() -> Sample:
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(float)
    depth = np.zeros((HEIGHT, WIDTH))
    imap = np.zeros((HEIGHT, WIDTH), np.uint16)
    instances = []
    for k, (m, T) in enumerate(OBJECTS, start=1):
        model = MODELS[m]
        half = model.bounds[1]
        z = _cast(T, half, xs, ys)
        nearer = (z > 0) & ((depth == 0) | (z < depth))
        depth[nearer], imap[nearer] = z[nearer], k
        corners = project(K, (np.array([[-1, 1, -1], [1, 1, -1]]) * half) @ T[:3, :3].T + T[:3, 3])
        instances.append(
            Instance(
                k,
                model.category,
                *_amodal(T, half),
                keypoints=corners,
                model=model.name,
                pose=T,
                bounds=model.bounds,
            )
        )
    camera = Camera(K, WORLD_TO_CAMERA, WIDTH, HEIGHT)
    image = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    return Sample(image, imap, instances, depth=depth.astype(np.float32), camera=camera)


def _amodal(T: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """The whole silhouette on a canvas three images wide and high (it may leave the image)."""
    ys, xs = np.mgrid[-HEIGHT : 2 * HEIGHT, -WIDTH : 2 * WIDTH].astype(float)
    hit = _cast(T, half, xs, ys) > 0
    rows, cols = np.flatnonzero(hit.any(1)), np.flatnonzero(hit.any(0))
    patch = hit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return patch, (int(cols[0]) - WIDTH, int(rows[0]) - HEIGHT)


class FakeObjects(StrictModel):
    scale: FloatRange = FloatRange(min=1, max=1)


class FakeConfig(GeneratorConfig):
    kind: str = "fake3d"
    objects: FakeObjects = FakeObjects()


class FakeGenerator(Generator[FakeConfig]):
    """Always the known sample; models() like scene3d's."""

    config_type = FakeConfig

    def categories(self) -> list[Category]:
        return CATEGORIES

    def models(self) -> list[Any]:
        return MODELS

    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        return {}

    def render(self, plan: dict[str, Any]) -> Sample:
        return known_sample()


def fake_generator(scale: float = 1.0) -> FakeGenerator:
    config = FakeConfig(objects=FakeObjects(scale=FloatRange(min=scale, max=scale)))
    return FakeGenerator(config, Path())


def write_samples(
    root: Path, name: str, indices: tuple[int, ...] = (0, 1), generator: Any = None, **options
) -> Path:
    """Writes the known sample as the given sample indices with one writer; returns root."""
    cls = WRITERS.get(name)
    gen = fake_generator() if generator is None else generator
    writer = cls(root, cls.config_type(**options), CATEGORIES, generator=gen)
    writer.prepare()
    (root / "images").mkdir(exist_ok=True)
    sample = known_sample()
    objects = derive_labels(sample)
    frags = []
    for index in indices:
        ref = ImageRef(index, f"{index:08d}", f"images/{index:08d}.png", WIDTH, HEIGHT)
        (root / ref.file).write_bytes(b"png bytes")
        labeled = LabeledSample(ref, objects, sample.camera, sample.depth)
        frags.append(Fragment(ref, writer.write(labeled)))
    writer.begin()
    for frag in frags:
        writer.add(frag)
    writer.end()
    return root


def run_fake(
    root: Path, formats: dict[str, dict[str, Any]], num: int = 2, scale: float = 1.0
) -> Path:
    """A whole run (engine, manifest, run.json) of the fake generator, in this process."""
    head = RecipeHead(
        seed=1, num=num, generator={"kind": "fake3d"}, output=OutputConfig(image=ImageConfig())
    )
    configs = {n: WRITERS.get(n).config_type(**o) for n, o in formats.items()}
    gen = fake_generator(scale)
    recipe = Recipe(head, gen.config, configs, Path(), "<fake>", _generator=gen)
    generate_dataset(recipe, root, workers=1, progress=False)
    return root
