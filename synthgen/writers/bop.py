"""BOP (Benchmark for 6D Object Pose estimation) layout under ``bop/``, as in BOP's train_pbr.

::

    bop/models/obj_000001.ply          each labeled model once, in millimetres, with normals
    bop/models/models_info.json        diameter, min_x/y/z, size_x/y/z in mm (no symmetries)
    bop/camera.json                    only when every image has the same K and size
    bop/train_pbr/000000/              scene = sample index // 1000
        rgb/000007.jpg                 relative link to images/00000007.jpg (copy if links fail;
                                       BOP tools read jpg or png, not webp)
        depth/000007.png               uint16; depth in mm = value * depth_scale
        mask/000007_000000.png         whole silhouette (hidden parts included), 0/255
        mask_visib/000007_000000.png   visible part, 0/255
        scene_camera.json, scene_gt.json, scene_gt_info.json

Image ids are sample indices (image 1234 is ``train_pbr/000001/rgb/001234.*``); ground-truth
ids count a sample's objects from 0 in label order; object ids are 1 + the model's index in
the generator's model list. Poses follow BOP: R row-major, t in mm, model -> camera, OpenCV
camera frame. Depth is z-depth; ``depth_scale`` (mm per unit) is the recipe's (1.0: whole
millimetres, up to 65.535 m) and, for an image whose farthest surface would not fit, the
smallest power-of-ten multiple of it that fits, so no surface is ever dropped.

Boxes are [x, y, w, h] with w and h the pixel counts: a mask over columns 5..24 and rows
10..19 has ``bbox_visib`` [5, 10, 20, 10], as in COCO and in bop_toolkit's COCO export.
(bop_toolkit's ``misc.calc_2d_bbox``, behind its own ``calc_gt_info.py``, gives one less:
[5, 10, 19, 9]; add 1 to compare with files it made.)
``bbox_obj`` and ``px_count_all`` cover the whole silhouette, also beyond the image border.
``px_count_valid`` counts silhouette pixels inside the image with depth > 0, as BOP does.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

import numpy as np
import orjson
from pydantic import Field

from synthgen.config import Problem, RecipeError
from synthgen.files import PARTIAL_SUFFIX, atomic_write_bytes, encode_image
from synthgen.labels import ObjectLabel
from synthgen.writers.base import Fragment, LabeledSample, Writer, WriterConfig, WriterError
from synthgen.writers.depth import PNG16_MAX, depth_to_uint16, require_depth

if TYPE_CHECKING:
    import trimesh

BOP_DIR = "bop"
SPLIT = "train_pbr"
SCENE_SIZE = 1000  # images per scene folder, as in BOP's train_pbr
MODELS_DIR = f"{BOP_DIR}/models"
MODELS_INFO = f"{MODELS_DIR}/models_info.json"
CAMERA_FILE = f"{BOP_DIR}/camera.json"
SCENE_FILES = ("scene_camera", "scene_gt", "scene_gt_info")


class BopModel(Protocol):
    """What BOP needs of a generator's model (see scene3d.models.Model)."""

    name: str
    mesh: trimesh.Trimesh
    bounds: np.ndarray
    diameter: float


class BopConfig(WriterConfig):
    depth_scale: float = Field(
        1.0, gt=0, description="mm per depth-PNG unit (1.0: whole mm up to 65.535 m)"
    )


def scene_dir(index: int) -> str:
    """The scene folder of sample ``index``, relative to the output folder."""
    return f"{BOP_DIR}/{SPLIT}/{index // SCENE_SIZE:06d}"


def model_file(obj_id: int) -> str:
    return f"{MODELS_DIR}/obj_{obj_id:06d}.ply"


def bop_box(box: tuple[int, int, int, int]) -> list[int]:
    """synthgen's [x0, y0, x1, y1) box as BOP's [x, y, w, h], w and h in pixels.

    >>> bop_box((5, 10, 25, 20))
    [5, 10, 20, 10]
    """
    x0, y0, x1, y1 = box
    return [x0, y0, x1 - x0, y1 - y0]


class BopWriter(Writer):
    """BOP train_pbr layout under bop/: models in mm, scene JSONs, depth and mask PNGs."""

    name = "bop"
    config_type = BopConfig
    owns = (BOP_DIR,)
    config: BopConfig

    # ------------------------------------------------------------------ models

    def check(self) -> None:
        self._models()

    def prepare(self) -> None:
        models = self._models()
        (self.root / MODELS_DIR).mkdir(parents=True, exist_ok=True)
        info = {}
        for obj_id, model in enumerate(models, start=1):
            atomic_write_bytes(self.root / model_file(obj_id), _ply_mm(model.mesh))
            info[str(obj_id)] = _model_info(model)
        atomic_write_bytes(self.root / MODELS_INFO, _json(info) + b"\n")

    def _models(self) -> list[BopModel]:
        gen = self.generator
        models = gen.models() if gen is not None else []
        if gen is None or not models:
            kind = getattr(getattr(gen, "config", None), "kind", None)
            which = f"generator '{kind}'" if kind else "no generator"
            raise RecipeError(
                [
                    Problem(
                        ("output", "formats", self.name),
                        f"BOP needs the 3D models of the labeled objects, and {which} gives "
                        "none; use a 3D generator (kind: scene3d) or remove this format",
                    )
                ]
            )
        scale = getattr(getattr(gen.config, "objects", None), "scale", None)
        if scale is not None and (scale.min != 1 or scale.max != 1):
            raise RecipeError(
                [
                    Problem(
                        ("generator", "objects", "scale"),
                        f"is {scale.min:g}..{scale.max:g}, but BOP ships each model once at "
                        "its true size, so a scaled object's pose would not fit its model; "
                        "set generator.objects.scale to 1 or remove the 'bop' format",
                    )
                ]
            )
        return models

    @cached_property
    def obj_ids(self) -> dict[str, int]:
        """Model name -> BOP object id (1 + its index in the generator's model list)."""
        models = self.generator.models() if self.generator is not None else []
        return {m.name: k for k, m in enumerate(models, start=1)}

    # ------------------------------------------------------------------ per sample

    def write(self, sample: LabeledSample) -> Any:
        depth = require_depth(sample, self.name)
        camera = sample.camera
        if camera is None:
            raise WriterError(f"sample {sample.image.index}: BOP needs the camera; none given")
        index = sample.image.index
        folder = self.root / scene_dir(index)
        for sub in ("rgb", "depth", "mask", "mask_visib"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        _link(self.root / sample.image.file, folder / "rgb" / f"{index:06d}{_suffix(sample)}")
        scale = self._depth_scale(float(depth.max()))
        units, _ = depth_to_uint16(depth, scale)
        atomic_write_bytes(folder / "depth" / f"{index:06d}.png", encode_image(units, "png"))
        gt, gt_info = [], []
        for k, obj in enumerate(sample.objects):
            whole = self._whole_mask(obj, index)
            name = f"{index:06d}_{k:06d}.png"
            atomic_write_bytes(folder / "mask" / name, _png(whole))
            atomic_write_bytes(folder / "mask_visib" / name, _png(obj.full_mask()))
            gt.append(self._gt(obj, index))
            gt_info.append(_gt_info(obj, whole, depth))
        w2c = camera.world_to_camera
        cam = {
            "cam_K": _flat(camera.K, 9),
            "depth_scale": scale,
            "cam_R_w2c": _flat(w2c[:3, :3], 12),
            "cam_t_w2c": _flat(w2c[:3, 3] * 1000.0, 9),
        }
        return {"camera": cam, "gt": gt, "gt_info": gt_info}

    def _depth_scale(self, max_m: float) -> float:
        """The recipe's scale, or the smallest power-of-ten multiple that holds ``max_m``."""
        scale = self.config.depth_scale
        while max_m * 1000.0 / scale > PNG16_MAX:
            scale *= 10.0
        return scale

    def _whole_mask(self, obj: ObjectLabel, index: int) -> np.ndarray:
        """The whole silhouette (hidden parts included) clipped to the image."""
        if obj.amodal_mask is None or obj.amodal_bbox_xyxy is None:
            raise WriterError(
                f"sample {index}: object {obj.instance_id} has no whole-object mask; BOP's "
                "mask/ and px_count_all need one (3D generators provide it)"
            )
        return _paste(obj.amodal_mask, obj.amodal_origin, obj.image_size)

    def _gt(self, obj: ObjectLabel, index: int) -> dict[str, Any]:
        where = f"sample {index}, object {obj.instance_id}"
        if obj.pose is None or obj.model is None:
            raise WriterError(f"{where}: BOP needs a 6D pose and a model; the object has none")
        if obj.model not in self.obj_ids:
            raise WriterError(f"{where}: model '{obj.model}' is not one of the generator's")
        if (obj.attributes or {}).get("scale", 1) != 1:
            raise WriterError(f"{where}: scaled objects do not fit BOP's models; use scale 1")
        return {
            "cam_R_m2c": _flat(obj.pose[:3, :3], 12),
            "cam_t_m2c": _flat(obj.pose[:3, 3] * 1000.0, 9),
            "obj_id": self.obj_ids[obj.model],
        }

    # ------------------------------------------------------------------ scene files

    def begin(self) -> None:
        self._scene: _SceneFiles | None = None
        self._written: list[_SceneFiles] = []  # renamed at the end, when the run is complete
        self._camera: tuple[Any, ...] | None = None
        self._constant_camera = True

    def add(self, fragment: Fragment) -> None:
        if fragment.data is None:
            return
        index = fragment.ref.index
        if self._scene is None or self._scene.folder != scene_dir(index):
            self._close_scene()
            self._scene = _SceneFiles.open(self.root, scene_dir(index))
        cam = fragment.data["camera"]
        self._scene.add(index, cam, fragment.data["gt"], fragment.data["gt_info"])
        key = (*cam["cam_K"], fragment.ref.width, fragment.ref.height)
        if self._camera is None:
            self._camera = key
        self._constant_camera &= key == self._camera

    def end(self) -> None:
        self._close_scene()
        for scene in self._written:
            scene.publish()
        path = self.root / CAMERA_FILE
        # camera.json cannot hold a K that varies, nor skew (K[0][1]); scene_camera.json can.
        if self._camera is None or not self._constant_camera or self._camera[1] != 0:
            path.unlink(missing_ok=True)  # a resumed run may have made K vary
            return
        K, (width, height) = self._camera[:9], self._camera[9:]
        doc = {
            "cx": K[2],
            "cy": K[5],
            "fx": K[0],
            "fy": K[4],
            "width": width,
            "height": height,
            "depth_scale": self.config.depth_scale,
        }
        atomic_write_bytes(path, _json(doc) + b"\n")

    def _close_scene(self) -> None:
        if self._scene is not None:
            self._scene.close()
            self._written.append(self._scene)
            self._scene = None


@dataclass
class _SceneFiles:
    """The three JSON files of one scene, streamed entry by entry to temp names."""

    root: Path
    folder: str
    files: dict[str, IO[bytes]]
    count: int = 0

    @classmethod
    def open(cls, root: Path, folder: str) -> _SceneFiles:
        files: dict[str, IO[bytes]] = {}
        for name in SCENE_FILES:
            path = root / folder / f"{name}.json{PARTIAL_SUFFIX}"
            files[name] = open(path, "wb")  # noqa: SIM115 (closed in close)
            files[name].write(b"{")
        return cls(root, folder, files)

    def add(self, im_id: int, camera: Any, gt: Any, gt_info: Any) -> None:
        sep = b",\n" if self.count else b"\n"
        for name, value in zip(SCENE_FILES, (camera, gt, gt_info), strict=True):
            self.files[name].write(sep + _json(str(im_id)) + b": " + _json(value))
        self.count += 1

    def close(self) -> None:
        for f in self.files.values():
            f.write(b"\n}\n")
            f.close()

    def publish(self) -> None:
        """Gives the closed files their final names."""
        for name in self.files:
            final = self.root / self.folder / f"{name}.json"
            os.replace(final.with_name(final.name + PARTIAL_SUFFIX), final)


def _gt_info(obj: ObjectLabel, whole: np.ndarray, depth: np.ndarray) -> dict[str, Any]:
    """``whole`` is the silhouette clipped to the image; counts and ``bbox_obj`` use the
    unclipped one, like BOP's enlarged render canvas."""
    assert obj.amodal_mask is not None and obj.amodal_bbox_xyxy is not None
    px_all = int(np.count_nonzero(obj.amodal_mask))
    return {
        "bbox_obj": bop_box(obj.amodal_bbox_xyxy),
        "bbox_visib": bop_box(obj.bbox_xyxy),
        "px_count_all": px_all,
        "px_count_valid": int(np.count_nonzero(depth[whole] > 0)),
        "px_count_visib": obj.area,
        "visib_fract": obj.area / px_all if px_all else 0.0,
    }


def _ply_mm(mesh: trimesh.Trimesh) -> bytes:
    """ASCII PLY in millimetres with vertex normals and, where the mesh has colours or a
    texture, vertex colours: the only colours bop_toolkit's PLY reader and renderers use."""
    import trimesh

    out = mesh.copy()
    out.apply_scale(1000.0)
    visual: Any = out.visual  # trimesh's visual classes differ in what they offer
    if visual.kind == "texture":
        visual = visual.to_color()
    if visual.kind in ("face", "vertex"):
        out.visual = trimesh.visual.ColorVisuals(out, vertex_colors=visual.vertex_colors)
    data = out.export(file_type="ply", encoding="ascii", vertex_normal=True)
    assert isinstance(data, bytes)  # PLY export gives bytes (dicts are for glTF)
    return data


def _model_info(model: BopModel) -> dict[str, float]:
    lo, hi = np.asarray(model.bounds, dtype=np.float64) * 1000.0
    size = hi - lo
    info = {"diameter": model.diameter * 1000.0}
    info.update({f"min_{axis}": float(v) for axis, v in zip("xyz", lo, strict=True)})
    info.update({f"size_{axis}": float(v) for axis, v in zip("xyz", size, strict=True)})
    return {key: round(value, 6) for key, value in info.items()}


def _paste(patch: np.ndarray, origin: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """A patch placed at ``origin`` (x, y; may be negative) on an empty image, clipped."""
    canvas = np.zeros(size, dtype=bool)
    ox, oy = origin
    ph, pw = patch.shape
    x0, y0, x1, y1 = max(ox, 0), max(oy, 0), min(ox + pw, size[1]), min(oy + ph, size[0])
    if x0 < x1 and y0 < y1:
        canvas[y0:y1, x0:x1] = patch[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    return canvas


def _png(mask: np.ndarray) -> bytes:
    return encode_image(mask.astype(np.uint8) * 255, "png")


def _link(target: Path, link: Path) -> None:
    """A relative symlink to the engine's image (it moves with the output folder); a copy
    where links are not allowed. Made under a temp name and renamed, like every file."""
    tmp = link.with_name(link.name + PARTIAL_SUFFIX)
    tmp.unlink(missing_ok=True)
    try:
        os.symlink(os.path.relpath(target, link.parent), tmp)
    except OSError:
        shutil.copyfile(target, tmp)
    os.replace(tmp, link)


def _suffix(sample: LabeledSample) -> str:
    return Path(sample.image.file).suffix


def _flat(values: np.ndarray, digits: int) -> list[float]:
    """Row-major floats, rounded so that JSON stays short (digits past float noise)."""
    return [round(float(v), digits) for v in np.asarray(values, dtype=np.float64).ravel()]


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
