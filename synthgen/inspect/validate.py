"""``synthgen validate``: read a dataset back as users' tools do and check every label.

COCO goes through pycocotools; YOLO, VOC, BOP, depth and the mask PNGs through plain
parsers. The reference for each object is its decoded COCO mask (or, without COCO, the
instance PNG): every box must be the tight box of that mask, every area its pixel count, and
every other format must say the same thing about the same objects in the same order. BOP
and depth are checked in validate_3d, documents, text lines and text corpora in their own
modules.
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
from synthgen.inspect.validate_3d import check_bop, check_depth, is_rotation
from synthgen.inspect.validate_document import DOCUMENT_FORMATS, check_barcodes, check_document
from synthgen.inspect.validate_ocr import check_ocr
from synthgen.inspect.validate_text import check_text
from synthgen.run.manifest import RUN_FILE, Manifest
from synthgen.writers.coco import ANNOTATION_FILE
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
        report.lines.append(check_bop(root, records, truth, report.defect))
    if "depth" in formats:
        report.lines.append(check_depth(root, records, truth, report.defect))
    if any(name in formats for name in DOCUMENT_FORMATS):
        report.lines.append(check_document(root, formats, records, report.defect))
    if "ocr" in formats:
        report.lines.append(check_ocr(root, records, report.defect))
    return report


YOLO_TASKS = {"detect": "yolo", "segment": "yolo-seg", "pose": "yolo-pose"}


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
        files = {rec["index"] + 1: rec["image"]["file"] for rec in self.records}
        codes = check_barcodes(self.root, coco, files, self.defect, where)
        if codes is not None:
            self.report.lines.append(codes)
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
        if "pose" in ann and not is_rotation(np.array(ann["pose"]["R"], dtype=float)):
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


def _yolo_box(values: np.ndarray, task: str, size: tuple[int, int]) -> np.ndarray:
    """[x0, y0, x1, y1] in pixels: of a polygon's vertices, or of cx cy w h."""
    w, h = size
    if task == "segment":
        xs, ys = values[0::2] * w, values[1::2] * h
        return np.array([xs.min(), ys.min(), xs.max(), ys.max()])
    cx, cy, bw, bh = values * [w, h, w, h]
    return np.array([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])


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
