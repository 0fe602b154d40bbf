"""3D models rendered into RGBA cutouts for the compositor (``synthgen render-cutouts``).

Each model is seen alone from many viewpoints around it. The output is the compositor's
folder layout: ``<class>/<model>_<view>.png`` (RGBA) with a ``.json`` sidecar of keypoints,
plus ``cutouts.json``, written last, listing the classes and their keypoints.

The alpha channel keeps the renderer's anti-aliased edges but is made exact where it
matters: alpha >= 128 (the compositor's object mask) holds on exactly the pixels whose
centre the object covers, as the renderer's single-sampled id pass says. Keypoints go into
the sidecar only where visible: one hidden behind the object itself (a mug's handle seen
from the other side) would otherwise be labeled visible once pasted.
"""

from __future__ import annotations

import math
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import orjson
from pydantic import Field
from tqdm import tqdm

from synthgen import __version__
from synthgen.config import FloatRange, StrictModel, read_yaml, validate, within
from synthgen.errors import OutputError
from synthgen.files import atomic_write_bytes, encode_image
from synthgen.generators.scene3d import camera as cam
from synthgen.generators.scene3d.config import Lights, Materials, ModelSource, Scene3DConfig
from synthgen.generators.scene3d.generator import Scene3DGenerator
from synthgen.labels import KP_VISIBLE, derive_labels

INDEX_FILE = "cutouts.json"


class ViewConfig(StrictModel):
    """Viewpoints on a sphere around each model, framed to fill the image."""

    fov: float = Field(30.0, gt=1, le=120, description="field of view in degrees")
    elevation: Annotated[FloatRange, within(ge=-89, le=89)] = FloatRange(min=-10, max=75)
    azimuth: Annotated[FloatRange, within(ge=-360, le=360)] = FloatRange(min=0, max=360)
    roll: Annotated[FloatRange, within(ge=-180, le=180)] = FloatRange(min=-15, max=15)
    margin: float = Field(1.1, ge=1, le=4, description="space around the model's sphere")


class CutoutsConfig(StrictModel):
    """What ``render-cutouts`` reads: the models, the views, the look."""

    seed: int = Field(0, ge=0)
    size: int = Field(256, ge=16, le=4096, description="rendered image side in pixels")
    views: int = Field(50, ge=1, le=100000, description="viewpoints per model")
    objects: ModelSource
    view: ViewConfig = ViewConfig()
    lights: Lights = Lights()
    materials: Materials = Materials()


def load_cutouts_config(path: Path) -> CutoutsConfig:
    data, node = read_yaml(path)
    return validate(CutoutsConfig, data, base_dir=path.parent.resolve(), node=node, source=path)


def render_cutouts(
    config: CutoutsConfig,
    base_dir: Path,
    out: Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
) -> int:
    """Renders every model from ``config.views`` viewpoints into ``out``; returns the count.

    The cutouts are written to ``<out>.partial`` and moved into place when all are done,
    so an interrupted run never leaves a folder that looks complete.
    """
    _check_output(out, overwrite)
    generator = Scene3DGenerator(_scene_config(config), base_dir)
    generator.check()
    library = generator.objects
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    total = len(library.all_names) * config.views
    count = 0
    with tqdm(total=total, unit="cutout", disable=not progress or None) as bar:
        for name, view in _views(library.all_names, config.views):
            count += _render_one(generator, config, name, view, staging)
            bar.update()
    index = {
        "synthgen": __version__,
        "views": config.views,
        "count": count,
        "classes": [c.model_dump(mode="json") for c in library.classes],
        "config": config.model_dump(mode="json"),
    }
    atomic_write_bytes(staging / INDEX_FILE, orjson.dumps(index, option=orjson.OPT_INDENT_2))
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return count


def _check_output(out: Path, overwrite: bool) -> None:
    if not out.exists() or not any(out.iterdir()):
        return
    if not (out / INDEX_FILE).exists():
        raise OutputError(f"{out} exists and is not a cutouts folder; choose another --out")
    if not overwrite:
        raise OutputError(f"{out} already holds cutouts; pass --overwrite to replace them")


def _scene_config(config: CutoutsConfig) -> Scene3DConfig:
    return Scene3DConfig.model_validate(
        {
            "image": {"width": config.size, "height": config.size},
            "objects": {"source": config.objects},
            "support": {"kind": "none"},
            "lights": config.lights,
            "materials": config.materials,
        }
    )


def _views(names: list[str], views: int) -> Iterator[tuple[str, int]]:
    for name in names:
        for view in range(views):
            yield name, view


def _render_one(
    generator: Scene3DGenerator, config: CutoutsConfig, name: str, view: int, out: Path
) -> int:
    # A view depends on (seed, model, view) only: adding models changes no other cutout.
    rng = np.random.default_rng([config.seed, zlib.crc32(name.encode()), view])
    model = generator.objects.get(name)
    plan = _plan(generator, config, name, model.category, model.bounds, rng)
    sample, rgba = generator.draw(plan)
    labels = derive_labels(sample)
    if not labels:
        return 0
    (label,) = labels
    image = _exact_alpha(rgba, sample.instance_map == label.instance_id)
    x0, y0, x1, y1 = label.bbox_xyxy
    x0, y0 = max(x0 - 1, 0), max(y0 - 1, 0)
    crop = image[y0 : y1 + 1, x0 : x1 + 1]
    stem = f"{Path(name).stem}_{view:04d}"
    folder = out / (model.category or "objects")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / f"{stem}.png", encode_image(crop, "png"))
    sidecar = _sidecar(generator, model.category, label.keypoints, (x0, y0), plan, name, view)
    atomic_write_bytes(folder / f"{stem}.json", orjson.dumps(sidecar))
    return 1


def _plan(
    generator: Scene3DGenerator,
    config: CutoutsConfig,
    name: str,
    category: str | None,
    bounds: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The model at the origin, the camera on a sphere around it, framing its bounds."""
    v = config.view
    centre = bounds.mean(axis=0)
    radius = float(np.linalg.norm(bounds[1] - bounds[0])) / 2
    distance = radius / math.sin(math.radians(v.fov) / 2) * v.margin
    eye = centre + cam.orbit(distance, v.elevation.sample(rng), v.azimuth.sample(rng))
    K = cam.intrinsics_from_fov(v.fov, config.size, config.size)
    camera = {
        "K": K.tolist(),
        "world_to_camera": cam.look_at(eye, centre, v.roll.sample(rng)).tolist(),
        "znear": max(distance - 2 * radius, distance / 100),
        "zfar": distance + 2 * radius,
    }
    lights, ambient = generator.plan_lights(rng, camera)
    entry = {"model": name, "category": category, "pose": np.eye(4).tolist(), "scale": 1.0}
    entry.update(generator.plan_look(rng))
    return {"camera": camera, "lights": lights, "ambient": ambient, "objects": [entry]}


def _exact_alpha(rgba: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Straight RGBA whose alpha >= 128 exactly on the pixels the object covers."""
    alpha = rgba[:, :, 3]
    premultiplied = rgba[:, :, :3].astype(np.float32)
    seen = alpha > 0
    colour = np.zeros_like(premultiplied)
    colour[seen] = premultiplied[seen] * (255 / alpha[seen, None])
    # A covered pixel no multisample hit (a sliver): give it the object's mean colour.
    colour[covered & ~seen] = colour[covered & seen].mean(axis=0) if (covered & seen).any() else 0
    exact = np.where(covered, np.maximum(alpha, 128), np.minimum(alpha, 127))
    return np.dstack([np.clip(colour + 0.5, 0, 255).astype(np.uint8), exact.astype(np.uint8)])


def _sidecar(
    generator: Scene3DGenerator,
    category: str | None,
    keypoints: np.ndarray | None,
    offset: tuple[int, int],
    plan: dict[str, Any],
    name: str,
    view: int,
) -> dict[str, Any]:
    spec = next((c for c in generator.objects.classes if c.name == category), None)
    visible, hidden = {}, []
    if spec is not None and keypoints is not None:
        for kp_name, (x, y, flag) in zip(spec.keypoints, keypoints, strict=True):
            if flag == KP_VISIBLE:
                visible[kp_name] = [round(float(x) - offset[0], 4), round(float(y) - offset[1], 4)]
            elif np.isfinite(x):
                hidden.append(kp_name)
    return {
        "keypoints": visible,
        "hidden_keypoints": hidden,
        "model": name,
        "view": view,
        "camera": {k: plan["camera"][k] for k in ("K", "world_to_camera")},
        "crop_offset": list(offset),
    }
