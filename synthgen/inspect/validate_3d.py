"""``synthgen validate`` for 3D scenes: the BOP folder and the depth files read back.

BOP: every ground truth's masks, pixel counts and boxes against the mask PNGs and depth PNG,
mask_visib against the COCO annotation when there is one, and each model (read back from
models/) projected with cam_K, cam_R_m2c and cam_t_m2c onto its silhouette. Depth: dtype,
size, no negative or missing value on the visible pixels of an object.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from synthgen.geometry import bbox_xyxy, project
from synthgen.writers.bop import MODELS_INFO, SCENE_FILES, bop_box, model_file, scene_dir
from synthgen.writers.depth import DEPTH_DIR, INFO_FILE

if TYPE_CHECKING:
    from synthgen.inspect.validate import Truth, TruthMap

Defect = Callable[[str, str], None]
Record = dict[str, Any]
ModelPoints = tuple[np.ndarray, np.ndarray]  # a BOP model's hull vertices, surface points
PROJECTION_HITS = 0.98  # share of model surface points that must project onto the mask


def check_bop(root: Path, records: list[Record], truth: TruthMap, defect: Defect) -> str:
    """Checks bop/ against the manifest; returns the report line."""
    return _Bop(root, records, defect).check(truth)


class _Bop:
    def __init__(self, root: Path, records: list[Record], defect: Defect):
        self.root = root
        self.records = records
        self.defect = defect

    def check(self, truth: TruthMap) -> str:
        models = self._bop_models()
        scenes: dict[str, list[Record]] = {}
        for rec in self.records:
            scenes.setdefault(scene_dir(rec["index"]), []).append(rec)
        n_gt = 0
        for folder, recs in scenes.items():
            docs = self._bop_scene(folder, recs)
            if docs is None:
                continue
            for rec in recs:
                n_gt += self._bop_image(folder, rec, docs, models, truth.get(rec["index"]))
        return (
            f"bop: {len(models)} models, {len(scenes)} scenes, {n_gt} ground truths; boxes, "
            "pixel counts, masks, depth and model projections checked"
        )

    def _bop_models(self) -> dict[int, ModelPoints]:
        """Object id -> its convex hull's vertices and ~1000 surface points (mm); bounds
        checked against models_info.json."""
        import trimesh

        try:
            info = json.loads((self.root / MODELS_INFO).read_text())
        except (OSError, json.JSONDecodeError) as err:
            self.defect(MODELS_INFO, f"unreadable ({err})")
            return {}
        models = {}
        for key, entry in info.items():
            path = model_file(int(key))
            try:
                mesh = trimesh.load(self.root / path, force="mesh", process=False)
            except Exception as err:  # trimesh raises many kinds on bad files
                self.defect(path, f"unreadable ({err})")
                continue
            if not isinstance(mesh, trimesh.Trimesh):
                self.defect(path, "not a triangle mesh")
                continue
            lo, size = mesh.bounds[0], mesh.bounds[1] - mesh.bounds[0]
            said = [entry[f"{k}_{a}"] for k in ("min", "size") for a in "xyz"]
            if not np.allclose([*lo, *size], said, atol=0.01):
                self.defect(MODELS_INFO, f"object {key}: bounds differ from {path}")
            # Points inside the faces too (a few big faces have no vertex inside the
            # silhouette to test); a fixed seed keeps reports reproducible.
            step = max(1, len(mesh.vertices) // 500)
            surface = trimesh.sample.sample_surface(mesh, 500, seed=0)[0]
            models[int(key)] = (
                np.asarray(mesh.convex_hull.vertices, dtype=np.float64),
                np.vstack([mesh.vertices[::step], surface]).astype(np.float64),
            )
        return models

    def _bop_scene(self, folder: str, recs: list[Record]) -> dict[str, Any] | None:
        docs = {}
        for name in SCENE_FILES:
            try:
                docs[name] = json.loads((self.root / folder / f"{name}.json").read_text())
            except (OSError, json.JSONDecodeError) as err:
                self.defect(f"{folder}/{name}.json", f"unreadable ({err})")
                return None
            keys, expected = set(docs[name]), {str(r["index"]) for r in recs}
            if keys != expected:
                self.defect(
                    f"{folder}/{name}.json",
                    f"image ids {sorted(keys ^ expected)} "
                    "are in the file or the manifest, not both",
                )
        return docs

    def _bop_image(
        self,
        folder: str,
        rec: Record,
        docs: dict[str, Any],
        models: dict[int, ModelPoints],
        ref: list[Truth] | None,
    ) -> int:
        im, key = rec["index"], str(rec["index"])
        cam, gts, infos = (docs[n].get(key) for n in SCENE_FILES)
        where = f"{folder} image {im}"
        if cam is None or gts is None or infos is None:
            return 0
        if not len(gts) == len(infos) == sum(rec["objects"].values()):
            self.defect(where, f"{len(gts)} gt, {len(infos)} gt_info, {rec['objects']} written")
            return 0
        rgb = self.root / folder / "rgb" / f"{im:06d}{Path(rec['image']['file']).suffix}"
        if not rgb.exists() or rgb.read_bytes() != (self.root / rec["image"]["file"]).read_bytes():
            self.defect(where, f"{rgb.relative_to(self.root)} missing or not the sample's image")
        depth = cv2.imread(
            str(self.root / folder / "depth" / f"{im:06d}.png"), cv2.IMREAD_UNCHANGED
        )
        size = (rec["image"]["height"], rec["image"]["width"])
        if depth is None or depth.dtype != np.uint16 or depth.shape != size:
            self.defect(where, f"depth PNG missing or not uint16 of {size[1]}x{size[0]}")
            return 0
        K = np.array(cam["cam_K"], dtype=float).reshape(3, 3)
        for k, (gt, info) in enumerate(zip(gts, infos, strict=True)):
            other = ref[k] if ref is not None and k < len(ref) else None
            masks = self._bop_masks(f"{where} gt {k}", folder, f"{im:06d}_{k:06d}.png", size)
            if masks is not None:
                self._bop_gt(f"{where} gt {k}", masks, depth, info, other)
                self._bop_pose(f"{where} gt {k}", masks[0], gt, info, K, models)
        return len(gts)

    def _bop_masks(
        self, where: str, folder: str, name: str, size: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        out = []
        for sub in ("mask", "mask_visib"):
            png = cv2.imread(str(self.root / folder / sub / name), cv2.IMREAD_UNCHANGED)
            if png is None or png.shape != size or not set(np.unique(png)) <= {0, 255}:
                self.defect(where, f"{sub}/{name} missing, wrong size or not 0/255")
                return None
            out.append(png > 0)
        return out[0], out[1]

    def _bop_gt(
        self,
        where: str,
        masks: tuple[np.ndarray, np.ndarray],
        depth: np.ndarray,
        info: dict[str, Any],
        ref: Truth | None,
    ) -> None:
        """Counts and boxes of scene_gt_info against the mask PNGs and the depth PNG."""
        whole, visib = masks
        n_visib, n_whole = int(visib.sum()), int(whole.sum())
        if info["px_count_visib"] != n_visib:
            self.defect(where, f"px_count_visib {info['px_count_visib']} != {n_visib} pixels")
        if (visib & ~whole).any():
            self.defect(where, "mask_visib is not inside mask")
        if info["px_count_all"] < n_whole:
            self.defect(where, f"px_count_all {info['px_count_all']} < mask's {n_whole} pixels")
        elif abs(info["visib_fract"] - n_visib / info["px_count_all"]) > 1e-6:
            self.defect(where, f"visib_fract {info['visib_fract']} != px_count_visib / all")
        if info["px_count_valid"] != int((whole & (depth > 0)).sum()):
            self.defect(where, "px_count_valid != mask pixels with depth > 0")
        if (depth[visib] == 0).any():
            self.defect(where, "depth is 0 on visible pixels of the object")
        if ref is not None and ref.mask is not None and not np.array_equal(ref.mask, visib):
            self.defect(where, "mask_visib differs from the COCO annotation")
        self._bop_boxes(where, masks, info, truncated=info["px_count_all"] > n_whole)

    def _bop_boxes(
        self,
        where: str,
        masks: tuple[np.ndarray, np.ndarray],
        info: dict[str, Any],
        truncated: bool,
    ) -> None:
        """BOP boxes: [x, y, w, h] with w and h in pixels, visible and whole silhouette."""
        whole, visib = (bbox_xyxy(m) for m in masks)
        if visib is None or info["bbox_visib"] != bop_box(visib):
            shown = visib and bop_box(visib)
            self.defect(
                where,
                f"bbox_visib {info['bbox_visib']} != tight box of mask_visib {shown} "
                "(bop_toolkit: w = last - first column)",
            )
        if not truncated and whole is not None and info["bbox_obj"] != bop_box(whole):
            self.defect(where, f"bbox_obj {info['bbox_obj']} != tight box of mask {bop_box(whole)}")

    def _bop_pose(
        self,
        where: str,
        whole: np.ndarray,
        gt: dict[str, Any],
        info: dict[str, Any],
        K: np.ndarray,
        models: dict[int, ModelPoints],
    ) -> None:
        """Projects the model with K, R and t: its surface must land on its silhouette (not
        too near, not shifted) and its outline must span ``bbox_obj`` (not too far)."""
        R = np.array(gt["cam_R_m2c"], dtype=float).reshape(3, 3)
        if not is_rotation(R):
            self.defect(where, "cam_R_m2c is not a rotation matrix")
            return
        if gt["obj_id"] not in models:
            self.defect(where, f"obj_id {gt['obj_id']} has no model")
            return
        t = np.array(gt["cam_t_m2c"], dtype=float)
        hull, surface = (p @ R.T + t for p in models[gt["obj_id"]])
        px = np.floor(project(K, surface[surface[:, 2] > 0])).astype(int)
        h, w = whole.shape
        px = px[(px[:, 0] >= 0) & (px[:, 0] < w) & (px[:, 1] >= 0) & (px[:, 1] < h)]
        grown = cv2.dilate(whole.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        hits = grown[px[:, 1], px[:, 0]].mean() if len(px) else 1.0
        message = "the model projected with cam_K, cam_R_m2c, cam_t_m2c"
        if hits < PROJECTION_HITS:
            self.defect(where, f"{message} lands on its mask for {hits:.0%} of its surface")
        elif (hull[:, 2] > 0).all():
            # Covered pixel centres lie within the outline's extent (thin tips may cover
            # none, so only the outward direction is a defect).
            uv = project(K, hull) - 0.5  # OpenCV: pixel centres at integers
            lo, hi = uv.min(0), uv.max(0)
            x, y, bw, bh = info["bbox_obj"]
            last_x, last_y = x + bw - 1, y + bh - 1  # centres of the box's last pixels
            if min(x - lo[0], y - lo[1], hi[0] - last_x, hi[1] - last_y) < -0.5:
                span = np.round([*lo, *hi], 1).tolist()
                self.defect(where, f"{message} spans {span}, bbox_obj is {info['bbox_obj']}")


def check_depth(root: Path, records: list[Record], truth: TruthMap, defect: Defect) -> str:
    """Checks depth/ against the manifest; returns the report line."""
    try:
        encoding = json.loads((root / INFO_FILE).read_text())["encoding"]
    except (OSError, json.JSONDecodeError, KeyError) as err:
        defect(INFO_FILE, f"unreadable ({err})")
        return f"depth: {INFO_FILE} unreadable"
    for rec in records:
        stem = Path(rec["image"]["file"]).stem
        where = f"{DEPTH_DIR}/{stem}.{'npz' if encoding == 'npz' else 'png'}"
        depth = _read_depth(root / where, encoding)
        size = (rec["image"]["height"], rec["image"]["width"])
        if depth is None or depth.shape != size:
            defect(where, f"missing, or not {encoding} depth of {size[1]}x{size[0]}")
            continue
        if not np.isfinite(depth).all() or depth.min() < 0:
            defect(where, "depth is negative or not finite")
        for k, ref in enumerate(truth.get(rec["index"], [])):
            if ref.mask is not None and (depth[ref.mask] == 0).any():
                defect(where, f"depth is 0 on visible pixels of object {k + 1}")
    return f"depth: {len(records)} {encoding} files; dtype, size and object pixels checked"


def _read_depth(path: Path, encoding: str) -> np.ndarray | None:
    """A depth file as written by the depth format, or None when it is not one."""
    if encoding == "npz":
        try:
            with np.load(path) as npz:
                depth = npz["depth"]
        except (OSError, KeyError, ValueError):
            return None
        return depth if depth.dtype == np.float32 else None
    png = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return png if png is not None and png.dtype == np.uint16 else None


def is_rotation(R: np.ndarray) -> bool:
    return R.shape == (3, 3) and bool(
        np.allclose(R @ R.T, np.eye(3), atol=1e-6) and abs(np.linalg.det(R) - 1) < 1e-6
    )
