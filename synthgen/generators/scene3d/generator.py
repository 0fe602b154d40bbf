"""The 3D scene generator: models dropped on a support, seen by a random camera.

``plan`` samples everything (camera, lights, background, which models, their rest poses and
drop positions) into plain JSON, world poses included; ``render`` draws it with pyrender and
derives per object what only geometry knows: the 6D pose in the camera frame, the whole
(amodal) silhouette rasterized from the mesh, keypoints with their depth. Visible masks
come from the renderer's instance pass; labels are derived from both afterwards.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from scipy.spatial.transform import Rotation

from synthgen.config import Problem, RecipeError
from synthgen.errors import PlacementError
from synthgen.generators.base import Generator, SkipSample
from synthgen.generators.classes import categories
from synthgen.generators.scene3d import camera as cam
from synthgen.generators.scene3d.config import Arrangement, Scene3DConfig
from synthgen.generators.scene3d.models import Model, ModelLibrary
from synthgen.generators.scene3d.placement import HeightMap
from synthgen.generators.scene3d.raster import front_faces, rasterize
from synthgen.geometry import project, transform
from synthgen.sample import Camera, Category, Instance, Sample

SUPPORT_MARGIN = 0.15  # metres of table or floor beyond the placement area


class Scene3DGenerator(Generator[Scene3DConfig]):
    config_type = Scene3DConfig

    def __init__(self, config: Scene3DConfig, base_dir: Path) -> None:
        super().__init__(config, base_dir)
        self.objects = ModelLibrary(config.objects.source, base_dir, labeled=True)
        self.distractors = (
            ModelLibrary(config.distractors.source, base_dir, labeled=False)
            if config.distractors
            else None
        )
        names = [c.name for c in self.objects.classes]
        for key, unknown in config.objects.unknown_classes(names).items():
            message = f"unknown classes {unknown}; the classes are {sorted(names)}"
            raise RecipeError([Problem(("generator", "objects", key), message)])
        self._renderer: Any = None
        self._support: Any = None
        self._backgrounds: Any = None

    # ------------------------------------------------------------------ setup

    def categories(self) -> list[Category]:
        return categories(self.objects.classes)

    def check(self) -> None:
        self.objects.check()
        if self.distractors:
            self.distractors.check()
        if self.config.background.images is not None:
            self._background_library().check()
        # Fail before any work when OpenGL is missing, with the packages to install.
        from synthgen.generators.scene3d.render import Renderer

        Renderer(16, 16).close()

    def fingerprint(self) -> dict[str, Any]:
        fp: dict[str, Any] = {"objects": self.objects.fingerprint()}
        if self.distractors:
            fp["distractors"] = self.distractors.fingerprint()
        if self.config.background.images is not None:
            fp["backgrounds"] = self._background_library().fingerprint()
        return fp

    def models(self) -> list[Model]:
        """Every labeled model, in a fixed order (BOP object ids are 1 + this index)."""
        return [self.objects.get(n) for n in self.objects.all_names]

    # ------------------------------------------------------------------ plan

    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        cfg = self.config
        plan: dict[str, Any] = {"camera": self._plan_camera(rng)}
        plan["lights"], plan["ambient"] = self.plan_lights(rng, plan["camera"])
        plan["background"] = self._plan_background(rng)
        names = [c.name for c in self.objects.classes]
        wanted: list[tuple[ModelLibrary, Arrangement, str | None]] = [
            (self.objects, cfg.objects, c) for c in cfg.objects.draw(rng, names)
        ]
        if cfg.distractors and self.distractors:
            n = cfg.distractors.count.sample(rng)
            wanted += [(self.distractors, cfg.distractors, None)] * n
        order = rng.permutation(len(wanted))
        w, d = cfg.support.size
        heights = HeightMap(-w / 2, -d / 2, w / 2, d / 2, cfg.placement.cell)
        placed: list[dict[str, Any]] = []
        for k in order:
            library, arrangement, cls = wanted[k]
            pool = library.names[cls] if cls is not None else library.all_names
            name = pool[int(rng.integers(len(pool)))]
            entry = self._drop(rng, heights, library.get(name), arrangement, (w, d))
            if entry is None:
                self._give_up(cls, len(placed))
                continue
            entry.update(model=name, category=cls, **self.plan_look(rng))
            placed.append(entry)
        # Labeled objects first, in drop order: their instance ids are 1, 2, ...
        plan["objects"] = [e for e in placed if e["category"]] + [
            e for e in placed if not e["category"]
        ]
        plan["unplaced"] = len(wanted) - len(placed)
        return plan

    def _plan_camera(self, rng: np.random.Generator) -> dict[str, Any]:
        c, size = self.config.camera, self.config.image
        if c.intrinsics is not None:
            i = c.intrinsics
            K = np.array([[i.fx, 0, i.cx], [0, i.fy, i.cy], [0, 0, 1.0]])
        else:
            K = cam.intrinsics_from_fov(c.fov.sample(rng), size.width, size.height)
        r = c.target_jitter * math.sqrt(rng.random())
        a = rng.uniform(0, 2 * math.pi)
        target = np.array([r * math.cos(a), r * math.sin(a), 0.0])
        eye = target + cam.orbit(
            c.distance.sample(rng), c.elevation.sample(rng), c.azimuth.sample(rng)
        )
        w2c = cam.look_at(eye, target, c.roll.sample(rng))
        return {
            "K": _rounded(K),
            "world_to_camera": _rounded(w2c),
            "znear": c.znear,
            "zfar": c.zfar,
        }

    def plan_lights(
        self, rng: np.random.Generator, camera: dict[str, Any]
    ) -> tuple[list[Any], float]:
        cfg = self.config.lights
        lights = []
        for _ in range(cfg.count.sample(rng)):
            kind = cfg.kinds[int(rng.integers(len(cfg.kinds)))]
            distance = rng.uniform(1.0, 3.0)
            eye = cam.orbit(distance, rng.uniform(25, 85), rng.uniform(0, 360))
            pose = cam.opengl_pose(cam.look_at(eye, np.zeros(3)))  # shines towards the scene
            intensity = cfg.intensity.sample(rng) * (1 if kind == "directional" else distance**2)
            colour = 1 - rng.uniform(0, cfg.color_jitter, 3)
            lights.append(
                {
                    "kind": kind,
                    "pose": _rounded(pose),
                    "colour": _rounded(colour),
                    "intensity": _short(intensity),
                }
            )
        return lights, _short(cfg.ambient.sample(rng))

    def _plan_background(self, rng: np.random.Generator) -> dict[str, Any]:
        cfg = self.config.background
        if cfg.images is not None:
            return {"image": self._background_library().plan(rng)}
        grey = cfg.color.sample(rng)
        return {"color": _rounded(np.clip(grey + rng.uniform(-0.08, 0.08, 3), 0, 1))}

    def plan_look(self, rng: np.random.Generator) -> dict[str, Any]:
        m = self.config.materials
        return {
            "tint": _rounded(1 + rng.uniform(-m.tint, m.tint, 3)),
            "metallic": _short(m.metallic.sample(rng)),
            "roughness": _short(m.roughness.sample(rng)),
        }

    def _drop(
        self,
        rng: np.random.Generator,
        heights: HeightMap,
        model: Model,
        arrangement: Arrangement,
        area: tuple[float, float],
    ) -> dict[str, Any] | None:
        """A rest pose and a spot where the model lands without touching anything."""
        scale = _short(arrangement.scale.sample_log(rng))
        if arrangement.pose == "stable":
            rotations, probs = model.stable_poses
            rotation = rotations[rng.choice(len(rotations), p=probs)]
        else:
            rotation = Rotation.random(random_state=rng).as_matrix()
        yaw = _yaw(math.radians(rng.uniform(0, 360)))
        linear = yaw @ rotation * scale
        xyz = linear @ model.surface(self.config.placement.cell)
        lo, hi = xyz.min(axis=1), xyz.max(axis=1)
        centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
        xyz -= centre[:, None]
        # The whole footprint stays in the area: nothing overhangs a table's edge or
        # passes through a bin's wall.
        room_x, room_y = (area[0] - (hi[0] - lo[0])) / 2, (area[1] - (hi[1] - lo[1])) / 2
        if room_x < 0 or room_y < 0:
            return None
        for _ in range(self.config.placement.attempts):
            x, y = rng.uniform(-room_x, room_x), rng.uniform(-room_y, room_y)
            lift = heights.drop(xyz, x, y)
            if lift is not None:
                pose = np.eye(4)
                pose[:3, :3] = linear
                pose[:3, 3] = np.array([x, y, lift]) - centre
                return {"pose": _rounded(pose, digits=9), "scale": scale}
        return None

    def _give_up(self, cls: str | None, placed: int) -> None:
        cfg = self.config.placement
        if cfg.on_failure == "fewer":
            return
        w, d = self.config.support.size
        message = (
            f"could not place a '{cls or 'distractor'}' model after {cfg.attempts} attempts "
            f"({placed} placed on a {w} x {d} m area); lower objects.count, enlarge "
            "support.size, or set placement.on_failure: fewer (keep the sample) or skip (drop it)"
        )
        if cfg.on_failure == "skip":
            raise SkipSample(message)
        raise PlacementError(message)

    # ------------------------------------------------------------------ render

    def render(self, plan: dict[str, Any]) -> Sample:
        return self.draw(plan, plan["background"])[0]

    def draw(
        self, plan: dict[str, Any], background: dict[str, Any] | None = None
    ) -> tuple[Sample, np.ndarray]:
        """The plan rendered: a Sample whose image is the scene over ``background`` (black
        without one), and the premultiplied RGBA frame (for cutouts)."""
        from synthgen.generators.scene3d.render import Item, Light

        items = self._support_items()
        labeled = []
        for k, entry in enumerate(plan["objects"], start=1):
            is_labeled = entry["category"] is not None
            library = self.objects if is_labeled else self.distractors
            assert library is not None
            model = library.get(entry["model"])
            look = (tuple(entry["tint"]), entry["metallic"], entry["roughness"])
            pose = np.array(entry["pose"])
            items.append(Item(entry["model"], model.mesh, pose, *look, k if is_labeled else 0))
            if is_labeled:
                labeled.append((k, entry, model))
        lights = [
            Light(li["kind"], np.array(li["pose"]), tuple(li["colour"]), li["intensity"])
            for li in plan["lights"]
        ]
        cam_plan = plan["camera"]
        K, w2c = np.array(cam_plan["K"]), np.array(cam_plan["world_to_camera"])
        frame = self._renderer_for(self._image_size()).render(
            K, w2c, cam_plan["znear"], cam_plan["zfar"], items, lights, plan["ambient"]
        )
        camera = Camera(K, w2c, *self._image_size())
        instance_map = frame.instances
        instances = []
        for k, entry, model in labeled:
            inst = self._instance(k, entry, model, camera, cam_plan["znear"], instance_map)
            if inst is None:  # behind or through the camera: no sound label exists
                instance_map[instance_map == k] = 0
            else:
                instances.append(inst)
        if background is None:
            rgb = cv2.cvtColor(frame.rgba, cv2.COLOR_RGBA2RGB)
        else:
            rgb = self._over_background(frame.rgba, background)
        sample = Sample(rgb, instance_map, instances, plan, depth=frame.depth, camera=camera)
        return sample, frame.rgba

    def _instance(
        self,
        k: int,
        entry: dict[str, Any],
        model: Model,
        camera: Camera,
        znear: float,
        imap: np.ndarray,
    ) -> Instance | None:
        world = np.array(entry["pose"])
        scale = entry["scale"]
        to_camera = camera.world_to_camera @ world  # model -> camera, scale included
        # Plain arrays: trimesh's tracked ones cost a hook on every intermediate result.
        vertices = transform(to_camera, np.asarray(model.mesh.vertices))
        if vertices[:, 2].min() <= znear:
            return None
        triangles = project(camera.K, vertices)[np.asarray(model.mesh.faces)]
        mask, origin = rasterize(front_faces(triangles) if model.cull else triangles)
        mask, origin = _with_visible(mask, origin, imap, k)
        keypoints = depth = None
        if model.keypoints is not None:
            points = transform(to_camera, model.keypoints)
            keypoints, depth = project(camera.K, points), points[:, 2]
        rigid = to_camera.copy()
        rigid[:3, :3] /= scale  # the pose is a rotation; the size change goes into the bounds
        return Instance(
            id=k,
            category=entry["category"],
            amodal_mask=mask,
            amodal_origin=origin,
            keypoints=keypoints,
            keypoint_depth=depth,
            attributes={"scale": scale} if scale != 1 else {},
            model=entry["model"],
            pose=rigid,
            bounds=model.bounds * scale,
        )

    # ------------------------------------------------------------------ helpers

    def _image_size(self) -> tuple[int, int]:
        return self.config.image.width, self.config.image.height

    def _renderer_for(self, size: tuple[int, int]) -> Any:
        if self._renderer is None:
            from synthgen.generators.scene3d.render import Renderer

            self._renderer = Renderer(*size, antialias=self.config.image.antialias)
        return self._renderer

    def _support_items(self) -> list[Any]:
        from synthgen.generators.scene3d import builtin
        from synthgen.generators.scene3d.render import Item

        support = self.config.support
        if support.kind == "none":
            return []
        if self._support is None:
            w, d = support.size
            if support.kind == "table":
                mesh = builtin.table_top((w + 2 * SUPPORT_MARGIN, d + 2 * SUPPORT_MARGIN))
            elif support.kind == "bin":
                mesh = builtin.bin_box((w, d, 0.18))
            else:
                mesh = builtin.floor(max(w, d) + 6)
            self._support = Item(f"support:{support.kind}", mesh, np.eye(4))
        return [self._support]

    def _background_library(self) -> Any:
        if self._backgrounds is None:
            from synthgen.generators.composite.assets import BackgroundLibrary
            from synthgen.generators.composite.config import BackgroundSource

            source = BackgroundSource(dir=self.config.background.images, flip=0.5)
            self._backgrounds = BackgroundLibrary(source, self.base_dir, self._image_size())
        return self._backgrounds

    def _over_background(self, rgba: np.ndarray, background: dict[str, Any]) -> np.ndarray:
        """The render over its background; the render's colour is premultiplied by alpha,
        so this is colour + background x (1 - alpha), two saturating uint8 operations."""
        alpha = rgba[:, :, 3]
        if "color" in background:
            colour = np.round(np.array(background["color"]) * 255).astype(np.uint8)
            behind = _behind(colour[None, None], _ALPHAS)  # per alpha: a lookup table
            behind = cv2.LUT(cv2.cvtColor(alpha, cv2.COLOR_GRAY2RGB), behind)
        else:
            behind = _behind(self._background_library().render(background["image"]), alpha)
        return cv2.add(cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB), behind)


_ALPHAS = np.arange(256, dtype=np.uint8)[None]


def _behind(under: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``under`` x (1 - ``alpha``) in uint8, rounded as cv2.multiply rounds; ``under`` is
    HxWx3 or one colour (1x1x3), ``alpha`` HxW."""
    inverse = cv2.cvtColor(cv2.bitwise_not(alpha), cv2.COLOR_GRAY2RGB)
    under = np.ascontiguousarray(np.broadcast_to(under, inverse.shape))
    return cv2.multiply(under, inverse, scale=1 / 255)


def _with_visible(
    mask: np.ndarray, origin: tuple[int, int], imap: np.ndarray, k: int
) -> tuple[np.ndarray, tuple[int, int]]:
    """The whole silhouette, grown to hold every visible pixel of the object.

    Rasterizer and renderer both sample pixel centres, but a centre exactly on an edge may
    fall either way: a visible pixel must never lie outside the whole silhouette.
    """
    h, w = mask.shape[0] + 2, mask.shape[1] + 2
    padded = np.zeros((h, w), dtype=bool)
    padded[1:-1, 1:-1] = mask
    mask = padded
    ox, oy = origin[0] - 1, origin[1] - 1
    x0, y0 = max(ox, 0), max(oy, 0)
    x1, y1 = min(ox + w, imap.shape[1]), min(oy + h, imap.shape[0])
    if x0 < x1 and y0 < y1:
        mask[y0 - oy : y1 - oy, x0 - ox : x1 - ox] |= imap[y0:y1, x0:x1] == k
    return mask, (ox, oy)


def _yaw(angle: float) -> np.ndarray:
    """A rotation by ``angle`` radians about the world's up (z) axis."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rounded(values: np.ndarray, digits: int = 6) -> list[Any]:
    """Plan values as short JSON that renders exactly as stored."""
    spec = f".{digits}g"

    def short(v: Any) -> Any:
        return [short(x) for x in v] if isinstance(v, list) else float(format(v, spec))

    return short(np.asarray(values, float).tolist())


def _short(value: float) -> float:
    return float(f"{value:.6g}")
