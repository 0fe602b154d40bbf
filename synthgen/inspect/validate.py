"""``synthgen validate``: read a dataset back as users' tools do and check every label.

COCO goes through pycocotools; YOLO, VOC, BOP, depth and the mask PNGs through plain
parsers. The reference for each object is its decoded COCO mask (or, without COCO, the
instance PNG): every box must be the tight box of that mask, every area its pixel count, and
every other format must say the same thing about the same objects in the same order. BOP
models are projected with each pose and K and must land on their masks.
"""

from __future__ import annotations

import contextlib
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

from synthgen.geometry import bbox_xyxy, project
from synthgen.inspect.validate_document import DOCUMENT_FORMATS, check_document
from synthgen.inspect.validate_ocr import check_ocr
from synthgen.inspect.validate_text import check_text
from synthgen.run.manifest import RUN_FILE, Manifest
from synthgen.writers.bop import MODELS_INFO, SCENE_FILES, bop_box, model_file, scene_dir
from synthgen.writers.coco import ANNOTATION_FILE
from synthgen.writers.depth import DEPTH_DIR, INFO_FILE
from synthgen.writers.masks import INSTANCE_DIR, SEMANTIC_DIR
from synthgen.writers.voc import VOC_DIR
from synthgen.writers.yolo import LABELS_DIR


@dataclass
class Truth:
    """What one object is, according to the reference format."""

    category: int  # category id (1-based)
    bbox_xyxy: tuple[int, int, int, int]
    mask: np.ndarray | None = None
    keypoints: np.ndarray | None = None  # (K, 3) x, y, COCO flag


@dataclass
class Report:
    root: Path
    lines: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.defects

    def defect(self, where: str, message: str) -> None:
        self.defects.append(f"{where}: {message}")

    def format(self, max_errors: int = 20) -> str:
        out = [f"validate {self.root}"] + [f"  {line}" for line in self.lines]
        if self.ok:
            out.append("OK: every label checked, no defects")
        else:
            out.append(f"FAILED: {len(self.defects)} defects")
            out += [f"  - {d}" for d in self.defects[:max_errors]]
            if len(self.defects) > max_errors:
                out.append(f"  ... and {len(self.defects) - max_errors} more")
        return "\n".join(out)


Record = dict[str, Any]
ModelPoints = tuple[np.ndarray, np.ndarray]  # a BOP model's hull vertices, surface points
TruthMap = dict[int, list[Truth]]  # sample index -> its objects, in label order


def validate_dataset(root: Path) -> Report:
    """Checks a synthgen output folder; the report lists every defect found."""
    report = Report(root)
    info = _run_info(root, report)
    if info is None:
        return report
    records = [r for r in _manifest(root) if r["status"] == "ok"]
    counts = info.get("counts", {})
    if counts.get("samples") != len(records):
        report.defect(
            RUN_FILE, f"says {counts.get('samples')} samples, manifest has {len(records)}"
        )
    if records and "text" in records[0]:
        report.lines.append(f"run: {info['status']}, {len(records)} text samples")
        formats = info.get("formats", [])
        report.lines.append(check_text(root, formats, records, report.defect))
        return report
    check = _Checker(root, info, records, report)
    report.lines.append(
        f"run: {info['status']}, {len(records)} samples, {check.n_objects} objects "
        f"(recipe {info['recipe_hash']})"
    )
    check.images()
    formats = info.get("formats", [])
    truth: TruthMap = {}
    if "coco" in formats:
        truth = check.coco()
    if "masks" in formats:
        truth = check.masks(truth) or truth
    for task, name in YOLO_TASKS.items():
        if name in formats:
            check.yolo(truth, task)
    if "voc" in formats:
        check.voc(truth)
    if "bop" in formats:
        check.bop(truth)
    if "depth" in formats:
        check.depth(truth)
    if any(name in formats for name in DOCUMENT_FORMATS):
        report.lines.append(check_document(root, formats, records, report.defect))
    if "ocr" in formats:
        report.lines.append(check_ocr(root, records, report.defect))
    return report


YOLO_TASKS = {"detect": "yolo", "segment": "yolo-seg", "pose": "yolo-pose"}
PROJECTION_HITS = 0.98  # share of model surface points that must project onto the mask


def _run_info(root: Path, report: Report) -> dict[str, Any] | None:
    path = root / RUN_FILE
    if not path.exists():
        report.defect(str(root), f"no {RUN_FILE}: not a synthgen output folder")
        return None
    info: dict[str, Any] = json.loads(path.read_text())
    if info.get("status") != "complete":
        report.defect(
            RUN_FILE,
            f"run is {info.get('status')}, not complete; finish it with synthgen generate --resume",
        )
        return None
    return info


def _manifest(root: Path) -> Iterator[Record]:
    return Manifest(root).records()


class _Checker:
    """One pass per format over the finished samples, reporting into ``report``."""

    def __init__(self, root: Path, info: dict[str, Any], records: list[Record], report: Report):
        self.root = root
        self.info = info
        self.records = records
        self.report = report
        self.names: list[str] = info.get("categories", [])
        self.n_objects = sum(sum(r["objects"].values()) for r in records)

    def defect(self, where: str, message: str) -> None:
        self.report.defect(where, message)

    def images(self) -> None:
        for rec in self.records:
            img = rec["image"]
            path = self.root / img["file"]
            if not path.exists():
                self.defect(img["file"], "image file missing")
                continue
            data = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
            if data is None:
                self.defect(img["file"], "image does not decode")
            elif data.shape[:2] != (img["height"], img["width"]):
                self.defect(
                    img["file"], f"size {data.shape[1::-1]} != {img['width']}x{img['height']}"
                )
        self.report.lines.append(f"images: {len(self.records)} decoded, sizes checked")

    # ------------------------------------------------------------------ COCO

    def coco(self) -> TruthMap:
        from pycocotools.coco import COCO

        where = ANNOTATION_FILE
        if not (self.root / where).exists():
            self.defect(where, "missing")
            return {}
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(str(self.root / where))
        if len(coco.imgs) != len(self.records):
            self.defect(where, f"{len(coco.imgs)} images loaded, {len(self.records)} written")
        if len(coco.anns) != self.n_objects:
            self.defect(where, f"{len(coco.anns)} annotations loaded, {self.n_objects} written")
        names = [coco.cats[c]["name"] for c in sorted(coco.cats)]
        if names != self.names:
            self.defect(where, f"categories {names} != recipe's {self.names}")
        truth: TruthMap = {}
        for rec in self.records:
            image_id = rec["index"] + 1
            img = coco.imgs.get(image_id)
            if img is None:
                self.defect(where, f"image id {image_id} ({rec['image']['file']}) missing")
                continue
            if (img["width"], img["height"]) != (rec["image"]["width"], rec["image"]["height"]):
                self.defect(where, f"image {image_id}: size differs from the image file")
            if Path(img["file_name"]).name != Path(rec["image"]["file"]).name:
                self.defect(where, f"image {image_id}: file_name {img['file_name']}")
            anns = sorted(coco.imgToAnns.get(image_id, []), key=lambda a: a["id"])
            truth[rec["index"]] = [self._coco_annotation(coco, ann, img) for ann in anns]
            written = sum(rec["objects"].values())
            if len(anns) != written:
                self.defect(where, f"image {image_id}: {len(anns)} annotations, {written} written")
        self.report.lines.append(
            f"coco: {len(coco.imgs)} images, {len(coco.anns)} annotations via pycocotools; "
            "boxes == tight boxes of decoded masks, areas == pixel counts"
        )
        return truth

    def _coco_annotation(self, coco: Any, ann: dict[str, Any], img: dict[str, Any]) -> Truth:
        where = f"{ANNOTATION_FILE} annotation {ann['id']}"
        if ann["category_id"] not in coco.cats:
            self.defect(where, f"unknown category_id {ann['category_id']}")
        x, y, w, h = ann["bbox"]
        box = (x, y, x + w, y + h)
        if not (0 <= x < x + w <= img["width"] and 0 <= y < y + h <= img["height"]):
            self.defect(
                where, f"bbox {ann['bbox']} leaves the {img['width']}x{img['height']} image"
            )
        mask = None
        if "segmentation" in ann:
            mask = coco.annToMask(ann).astype(bool)
            tight = bbox_xyxy(mask)
            if tight != box:
                self.defect(where, f"bbox {ann['bbox']} != tight box of its mask {_xywh(tight)}")
            if int(mask.sum()) != ann["area"]:
                self.defect(where, f"area {ann['area']} != mask pixel count {int(mask.sum())}")
        kps = None
        if "keypoints" in ann:
            self._keypoints(where, ann, coco.cats.get(ann["category_id"], {}), img)
            kps = np.array(ann["keypoints"], dtype=float).reshape(-1, 3)
        if "pose" in ann or "box3d" in ann:
            self._coco_3d(where, ann, img)
        return Truth(ann["category_id"], box, mask, kps)

    def _coco_3d(self, where: str, ann: dict[str, Any], img: dict[str, Any]) -> None:
        if "pose" in ann and not _is_rotation(np.array(ann["pose"]["R"], dtype=float)):
            self.defect(where, "pose.R is not a rotation matrix")
        if "box3d" in ann and "box3d_projected" in ann and "camera" in img:
            K = np.array(img["camera"]["K"], dtype=float)
            expected = project(K, np.array(ann["box3d"], dtype=float))
            if not np.allclose(expected, ann["box3d_projected"], atol=1e-3):
                self.defect(where, "box3d_projected != box3d projected with the image's K")

    def _keypoints(
        self, where: str, ann: dict[str, Any], cat: dict[str, Any], img: dict[str, Any]
    ) -> None:
        kps = np.array(ann["keypoints"], dtype=float).reshape(-1, 3)
        declared = len(cat.get("keypoints", []))
        if len(kps) != declared:
            self.defect(where, f"{len(kps)} keypoints, category declares {declared}")
        if not set(kps[:, 2]) <= {0, 1, 2}:
            self.defect(where, "keypoint visibility outside {0, 1, 2}")
        labeled = kps[kps[:, 2] > 0]
        if len(labeled) != ann.get("num_keypoints", len(labeled)):
            self.defect(
                where, f"num_keypoints {ann.get('num_keypoints')} != {len(labeled)} labeled"
            )
        x, y = labeled[:, 0], labeled[:, 1]
        if ((x < 0) | (x >= img["width"]) | (y < 0) | (y >= img["height"])).any():
            self.defect(where, "a labeled keypoint lies outside the image")

    # ------------------------------------------------------------------ mask PNGs

    def masks(self, truth: TruthMap) -> TruthMap:
        own: TruthMap = {}
        for rec in self.records:
            stem = Path(rec["image"]["file"]).stem
            where = f"{INSTANCE_DIR}/{stem}.png"
            inst = cv2.imread(str(self.root / where), cv2.IMREAD_UNCHANGED)
            sem = _palette_indices(self.root / SEMANTIC_DIR / f"{stem}.png")
            size = (rec["image"]["height"], rec["image"]["width"])
            if inst is None or sem is None:
                self.defect(where, "instance or palette semantic PNG missing or unreadable")
                continue
            if inst.dtype != np.uint16 or inst.shape != size or sem.shape != size:
                self.defect(where, f"expected 16-bit and 8-bit PNGs of {size[1]}x{size[0]}")
                continue
            own[rec["index"]] = self._mask_objects(where, inst, sem, truth.get(rec["index"]))
        self.report.lines.append(f"masks: {len(self.records)} instance and semantic PNGs checked")
        return own

    def _mask_objects(
        self, where: str, inst: np.ndarray, sem: np.ndarray, ref: list[Truth] | None
    ) -> list[Truth]:
        objs = []
        for k in range(1, int(inst.max()) + 1):
            mask = inst == k
            box = bbox_xyxy(mask)
            if box is None:
                self.defect(where, f"instance {k} has no pixels")
                continue
            cats = np.unique(sem[mask])
            if len(cats) != 1:
                self.defect(where, f"instance {k} spans semantic classes {cats.tolist()}")
            objs.append(Truth(int(cats[0]), box, mask))
            other = ref[k - 1] if ref is not None and k <= len(ref) else None
            if other is not None and other.mask is not None:
                if not np.array_equal(other.mask, mask):
                    self.defect(
                        where, f"instance {k} differs from COCO annotation {k} of the image"
                    )
                if other.category != int(cats[0]):
                    self.defect(where, f"instance {k} class {cats[0]} != COCO {other.category}")
        if ((sem > 0) != (inst > 0)).any():
            self.defect(where, "semantic and instance PNGs disagree on foreground")
        if ref is not None and len(ref) != len(objs):
            self.defect(where, f"{len(objs)} instances, COCO has {len(ref)}")
        return objs

    # ------------------------------------------------------------------ YOLO

    def yolo(self, truth: TruthMap, task: str) -> None:
        try:
            doc = yaml.safe_load((self.root / "data.yaml").read_text())
            names = [doc["names"][k] for k in sorted(doc["names"])]
            n_kpt = int(doc["kpt_shape"][0]) if task == "pose" else 0
        except (OSError, yaml.YAMLError, KeyError, TypeError, IndexError, ValueError) as err:
            self.defect("data.yaml", f"unreadable ({err})")
            return
        if names != self.names:
            self.defect("data.yaml", f"names {names} != recipe's {self.names}")
        if task == "pose":
            self._flip_idx(doc, n_kpt)
        n_lines = 0
        for rec in self.records:
            stem = Path(rec["image"]["file"]).stem
            where = f"{LABELS_DIR}/{stem}.txt"
            if not (self.root / where).exists():
                self.defect(where, "missing")
                continue
            text = (self.root / where).read_text()
            rows = [line.split() for line in text.splitlines() if line.strip()]
            n_lines += len(rows)
            ref = truth.get(rec["index"])
            if ref is not None and len(ref) != len(rows):
                self.defect(where, f"{len(rows)} lines, reference has {len(ref)} objects")
            size = (rec["image"]["width"], rec["image"]["height"])
            for k, row in enumerate(rows):
                self._yolo_row(
                    f"{where} line {k + 1}",
                    row,
                    (task, n_kpt),
                    size,
                    ref[k] if ref and k < len(ref) else None,
                )
        self.report.lines.append(
            f"{YOLO_TASKS[task]}: {len(self.records)} label files, {n_lines} lines; "
            "ranges, classes and boxes checked" + (", keypoints too" if task == "pose" else "")
        )

    def _flip_idx(self, doc: dict[str, Any], n_kpt: int) -> None:
        flip = doc.get("flip_idx")
        if doc["kpt_shape"] != [n_kpt, 3] or not isinstance(flip, list):
            self.defect("data.yaml", "pose needs kpt_shape [K, 3] and a flip_idx list")
        elif sorted(flip) != list(range(n_kpt)) or any(flip[f] != k for k, f in enumerate(flip)):
            self.defect("data.yaml", f"flip_idx {flip} does not swap keypoints in pairs")

    def _yolo_row(
        self,
        where: str,
        row: list[str],
        layout: tuple[str, int],
        size: tuple[int, int],
        ref: Truth | None,
    ) -> None:
        task, n_kpt = layout
        try:
            cls, values = int(row[0]), np.array(row[1:], dtype=float)
        except ValueError:
            self.defect(where, "not numbers")
            return
        if not 0 <= cls < len(self.names):
            self.defect(where, f"class {cls} outside 0..{len(self.names) - 1}")
        expected = {"detect": 4, "pose": 4 + 3 * n_kpt}.get(task)
        if expected is not None and values.size != expected:
            self.defect(where, f"{values.size} values, expected {expected} for {task}")
            return
        if task == "segment" and (values.size < 6 or values.size % 2):
            self.defect(where, f"polygon with {values.size} values")
            return
        kps = values[4:].reshape(-1, 3) if task == "pose" else np.zeros((0, 3))
        coords = np.concatenate([values[:4] if task == "pose" else values, kps[:, :2].ravel()])
        if coords.size == 0 or coords.min() < 0 or coords.max() > 1:
            self.defect(where, "values outside [0, 1]")
            return
        if task == "pose":
            self._yolo_keypoints(where, kps, size, ref)
        box = _yolo_box(values if task == "segment" else values[:4], task, size)
        if ref is None:
            return
        if cls + 1 != ref.category:
            self.defect(where, f"class {cls} != reference {ref.category - 1}")
        if not np.allclose(box, ref.bbox_xyxy, atol=1e-3):
            self.defect(where, f"box {np.round(box, 3).tolist()} != {ref.bbox_xyxy}")

    def _yolo_keypoints(
        self, where: str, kps: np.ndarray, size: tuple[int, int], ref: Truth | None
    ) -> None:
        if not set(kps[:, 2]) <= {0, 1, 2}:
            self.defect(where, "keypoint flags outside {0, 1, 2}")
        if (kps[kps[:, 2] == 0, :2] != 0).any():
            self.defect(where, "an absent keypoint (flag 0) is not written as 0 0 0")
        if ref is None or ref.keypoints is None or len(ref.keypoints) != len(kps):
            return
        pixels = kps[:, :2] * size
        labeled = ref.keypoints[:, 2] > 0
        if (kps[:, 2] != ref.keypoints[:, 2]).any():
            self.defect(where, "keypoint flags differ from COCO's")
        elif not np.allclose(pixels[labeled], ref.keypoints[labeled, :2], atol=0.01):
            self.defect(where, "keypoints differ from COCO's")

    # ------------------------------------------------------------------ VOC

    def voc(self, truth: TruthMap) -> None:
        n_objects = 0
        for rec in self.records:
            stem = Path(rec["image"]["file"]).stem
            where = f"{VOC_DIR}/Annotations/{stem}.xml"
            try:
                doc = ET.parse(self.root / where).getroot()
            except (OSError, ET.ParseError) as err:
                self.defect(where, f"unreadable ({err})")
                continue
            w, h = rec["image"]["width"], rec["image"]["height"]
            if (doc.findtext("size/width"), doc.findtext("size/height")) != (str(w), str(h)):
                self.defect(where, "size differs from the image")
            if not (self.root / VOC_DIR / "JPEGImages" / Path(rec["image"]["file"]).name).exists():
                self.defect(where, "image not found under voc/JPEGImages")
            objs = doc.findall("object")
            n_objects += len(objs)
            ref = truth.get(rec["index"])
            if ref is not None and len(ref) != len(objs):
                self.defect(where, f"{len(objs)} objects, reference has {len(ref)}")
            for k, obj in enumerate(objs):
                other = ref[k] if ref is not None and k < len(ref) else None
                self._voc_object(f"{where} object {k + 1}", obj, (w, h), other)
        self.report.lines.append(
            f"voc: {len(self.records)} XML files, {n_objects} objects; 1-based boxes checked"
        )

    def _voc_object(
        self, where: str, obj: ET.Element, size: tuple[int, int], ref: Truth | None
    ) -> None:
        w, h = size
        try:
            xmin, ymin, xmax, ymax = (
                int(obj.findtext(f"bndbox/{t}", "")) for t in ("xmin", "ymin", "xmax", "ymax")
            )
        except ValueError:
            self.defect(where, "bndbox missing or not integers")
            return
        if not (1 <= xmin <= xmax <= w and 1 <= ymin <= ymax <= h):
            self.defect(where, f"box {xmin},{ymin},{xmax},{ymax} breaks VOC's 1-based range")
        name = obj.findtext("name")
        if name not in self.names:
            self.defect(where, f"unknown class {name}")
        if ref is None:
            return
        if (xmin - 1, ymin - 1, xmax, ymax) != ref.bbox_xyxy:
            self.defect(where, f"box != reference {ref.bbox_xyxy} (0-based, exclusive)")
        if name in self.names and self.names.index(name) + 1 != ref.category:
            self.defect(where, f"class {name} != reference")

    # ------------------------------------------------------------------ BOP

    def bop(self, truth: TruthMap) -> None:
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
        self.report.lines.append(
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
        if not _is_rotation(R):
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

    # ------------------------------------------------------------------ depth

    def depth(self, truth: TruthMap) -> None:
        try:
            encoding = json.loads((self.root / INFO_FILE).read_text())["encoding"]
        except (OSError, json.JSONDecodeError, KeyError) as err:
            self.defect(INFO_FILE, f"unreadable ({err})")
            return
        for rec in self.records:
            stem = Path(rec["image"]["file"]).stem
            where = f"{DEPTH_DIR}/{stem}.{'npz' if encoding == 'npz' else 'png'}"
            depth = _read_depth(self.root / where, encoding)
            size = (rec["image"]["height"], rec["image"]["width"])
            if depth is None or depth.shape != size:
                self.defect(where, f"missing, or not {encoding} depth of {size[1]}x{size[0]}")
                continue
            if not np.isfinite(depth).all() or depth.min() < 0:
                self.defect(where, "depth is negative or not finite")
            for k, ref in enumerate(truth.get(rec["index"], [])):
                if ref.mask is not None and (depth[ref.mask] == 0).any():
                    self.defect(where, f"depth is 0 on visible pixels of object {k + 1}")
        self.report.lines.append(
            f"depth: {len(self.records)} {encoding} files; dtype, size and object pixels checked"
        )


def _yolo_box(values: np.ndarray, task: str, size: tuple[int, int]) -> np.ndarray:
    """[x0, y0, x1, y1] in pixels: of a polygon's vertices, or of cx cy w h."""
    w, h = size
    if task == "segment":
        xs, ys = values[0::2] * w, values[1::2] * h
        return np.array([xs.min(), ys.min(), xs.max(), ys.max()])
    cx, cy, bw, bh = values * [w, h, w, h]
    return np.array([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])


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


def _is_rotation(R: np.ndarray) -> bool:
    return R.shape == (3, 3) and bool(
        np.allclose(R @ R.T, np.eye(3), atol=1e-6) and abs(np.linalg.det(R) - 1) < 1e-6
    )


def _palette_indices(path: Path) -> np.ndarray | None:
    """Class ids of a palette PNG (OpenCV would expand them to colours)."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            if img.mode != "P":
                return None
            return np.asarray(img)
    except OSError:
        return None


def _xywh(box: tuple[int, int, int, int] | None) -> list[int] | None:
    return None if box is None else [box[0], box[1], box[2] - box[0], box[3] - box[1]]
