"""COCO instances JSON: boxes, polygons, RLE (compressed or not), crowds and keypoints.

``path`` is the JSON file, or a folder holding ``annotations/instances.json`` (synthgen's
layout). Images are looked up as ``<images>/<file_name>``; without ``images`` the reader
tries ``../images`` and ``images/`` beside the JSON, then the JSON's own folder.

Category ids, names, supercategories, keypoint names and skeletons are kept as they are,
in the file's order, so writing COCO again gives the same ids. Keypoint flip pairs are
found by name (``left_*`` <-> ``right_*``). Per annotation: ``iscrowd`` (crowd regions lie
below every single object in the instance map) and the ``attributes`` dict (CVAT and
synthgen write one) become ``Instance.attributes`` (``iscrowd: 1`` only for crowds); every
other field (``area``, synthgen's ``visibility``, a tool's own keys) stays in the source
record and is written back unchanged while the instance is untouched (synthgen's
``visibility`` and ``truncation`` also tell other formats, e.g. VOC's truncated flag).
Floats in ``bbox`` and ``area`` are kept as they are (a box is not snapped to the mask's
pixels), so an untouched dataset round-trips annotation by annotation; image and
annotation ids are renumbered by the writer (images from 1 in reading order), the
provenance keeps the source's image id.

A segmentation that covers no pixel centre, an empty list or no segmentation at all makes
a box-only instance (the box, rounded outward, is its mask).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from pydantic import Field

from synthgen.readers.base import (
    DatasetError,
    Reader,
    ReaderConfig,
    SourceImage,
    SourceObject,
    check_box,
    infer_flip_pairs,
    unique_names,
    xyxy,
)
from synthgen.sample import Category

ANNOTATION_FILE = Path("annotations/instances.json")
# Annotation keys the reader interprets; the writer renumbers or maps the first three.
_IDS = ("id", "image_id", "category_id")


class CocoReaderConfig(ReaderConfig):
    images: Path | None = Field(
        None, description="folder that file_name is relative to (default: found beside the JSON)"
    )


class CocoReader(Reader):
    """COCO instances JSON (polygons, RLE, crowds, keypoints) with its image folder."""

    name = "coco"
    config_type = CocoReaderConfig
    config: CocoReaderConfig

    def __init__(self, path: Path, config: ReaderConfig) -> None:
        super().__init__(path, config)
        self.file = path / ANNOTATION_FILE if path.is_dir() else path
        self.location = self.file
        doc = _load_json(self.file)
        self.categories = self._categories(doc.get("categories"))
        self._by_id = {c.id: c for c in self.categories}
        self._images = self._image_entries(doc.get("images"))
        self._anns = self._annotations(doc.get("annotations", []))
        self.images_dir = self._find_images_dir()

    @classmethod
    def detect(cls, path: Path) -> bool:
        return (path.is_file() and path.suffix == ".json") or (path / ANNOTATION_FILE).is_file()

    def __len__(self) -> int:
        return len(self._images)

    def __iter__(self) -> Iterator[SourceImage]:
        for index, img in enumerate(self._images):
            yield SourceImage(
                index,
                img["id"],
                img["file_name"],
                self.images_dir / img["file_name"],
                img.get("width"),
                img.get("height"),
                reader=self,
            )

    def objects(self, image: SourceImage, height: int, width: int) -> list[SourceObject]:
        return [
            self._object(ann, image, height, width) for ann in self._anns.get(image.image_id, [])
        ]

    def _where(self, image: SourceImage | None = None) -> str:
        return str(self.file)

    def _image_hint(self) -> str:
        return (
            f"give their folder with --images (file_name is relative to it; now {self.images_dir})"
        )

    # ------------------------------------------------------------------ parsing

    def _categories(self, entries: Any) -> list[Category]:
        if not isinstance(entries, list) or not entries:
            raise DatasetError(f"{self.file}: no 'categories' list; a COCO file needs one")
        cats = []
        for k, cat in enumerate(entries):
            where = f"{self.file}: categories[{k}]"
            if not isinstance(cat, dict) or not isinstance(cat.get("id"), int) or "name" not in cat:
                raise DatasetError(f"{where}: needs an integer 'id' and a 'name'")
            names = tuple(str(n) for n in cat.get("keypoints") or ())
            try:
                skeleton = tuple((names[a - 1], names[b - 1]) for a, b in cat.get("skeleton") or ())
            except (IndexError, TypeError, ValueError):
                raise DatasetError(
                    f"{where}: skeleton {cat.get('skeleton')} must pair keypoints by 1-based "
                    f"index (1..{len(names)})"
                ) from None
            cats.append(
                Category(
                    cat["id"],
                    str(cat["name"]),
                    str(cat.get("supercategory", "object")),
                    names,
                    skeleton,
                    infer_flip_pairs(names),
                )
            )
        ids = [c.id for c in cats]
        if len(set(ids)) != len(ids):
            raise DatasetError(f"{self.file}: category ids {ids} repeat; give each its own id")
        unique_names([c.name for c in cats], str(self.file))
        return cats

    def _image_entries(self, entries: Any) -> list[dict[str, Any]]:
        if not isinstance(entries, list):
            raise DatasetError(f"{self.file}: no 'images' list; a COCO file needs one")
        seen = set()
        for k, img in enumerate(entries):
            if (
                not isinstance(img, dict)
                or "id" not in img
                or not isinstance(img.get("file_name"), str)
            ):
                raise DatasetError(f"{self.file}: images[{k}] needs an 'id' and a 'file_name'")
            if img["id"] in seen:
                raise DatasetError(f"{self.file}: image id {img['id']} appears twice")
            seen.add(img["id"])
        return entries

    def _annotations(self, entries: Any) -> dict[Any, list[dict[str, Any]]]:
        if not isinstance(entries, list):
            raise DatasetError(f"{self.file}: 'annotations' must be a list")
        by_image: dict[Any, list[dict[str, Any]]] = {img["id"]: [] for img in self._images}
        known = ", ".join(str(c.id) for c in self.categories)
        for k, ann in enumerate(entries):
            where = (
                f"{self.file}: annotation {ann.get('id', f'#{k}') if isinstance(ann, dict) else k}"
            )
            if not isinstance(ann, dict) or "bbox" not in ann:
                raise DatasetError(f"{where}: not an annotation with a 'bbox'")
            if ann.get("category_id") not in self._by_id:
                raise DatasetError(
                    f"{where}: unknown category_id {ann.get('category_id')} (categories: "
                    f"{known}); add the category or fix the annotation"
                )
            if ann.get("image_id") not in by_image:
                raise DatasetError(
                    f"{where}: image_id {ann.get('image_id')} is not in 'images'; add the "
                    "image or remove the annotation"
                )
            by_image[ann["image_id"]].append(ann)
        return by_image

    def _find_images_dir(self) -> Path:
        if self.config.images is not None:
            return self.config.images
        base = self.file.parent
        candidates = [base.parent / "images", base / "images", base]
        if self._images:
            first = self._images[0]["file_name"]
            for folder in candidates:
                if (folder / first).is_file():
                    return folder
        return next((c for c in candidates if c.is_dir()), base)

    def _object(
        self, ann: dict[str, Any], image: SourceImage, height: int, width: int
    ) -> SourceObject:
        where = f"{self.file}: annotation {ann.get('id')} (image {image.file_name})"
        category = self._by_id[ann["category_id"]]
        bbox = ann["bbox"]
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_is_number(v) for v in bbox)):
            raise DatasetError(f"{where}: bbox {bbox} is not [x, y, w, h]; fix it")
        box = (bbox[0], bbox[1], bbox[2], bbox[3])
        clipped = check_box(xyxy(box), height, width, where, clip=self.config.clip_boxes)
        seg = _segmentation(ann.get("segmentation"), height, width, where)
        attributes = dict(ann["attributes"]) if isinstance(ann.get("attributes"), dict) else {}
        crowd = bool(ann.get("iscrowd", 0))
        if crowd:
            attributes["iscrowd"] = 1
        return SourceObject(
            category=category.name,
            bbox_xywh=box,
            record={k: v for k, v in ann.items() if k not in _IDS},
            segmentation=seg,
            crowd=crowd,
            keypoints=_keypoints(ann, category, where),
            attributes=attributes,
            clipped=clipped,
            visibility=_fraction(ann.get("visibility")),
            truncation=_fraction(ann.get("truncation")),
        )


def _fraction(value: Any) -> float | None:
    """A visibility or truncation as synthgen writes them, None when absent or not one."""
    return float(value) if _is_number(value) and 0 <= value <= 1 else None


def _load_json(file: Path) -> dict[str, Any]:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise DatasetError(
            f"{file}: annotation file not found; give a COCO instances JSON or a folder "
            f"with {ANNOTATION_FILE}"
        ) from None
    except OSError as err:
        raise DatasetError(f"{file}: cannot read ({err.strerror})") from None
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise DatasetError(f"{file}: not valid JSON ({err}); fix or re-export it") from None
    if not isinstance(doc, dict):
        raise DatasetError(f"{file}: not a COCO file (the top level must be an object)")
    return doc


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _segmentation(
    seg: Any, height: int, width: int, where: str
) -> list[np.ndarray] | dict[str, Any] | None:
    """COCO's segmentation, checked: polygons (degenerate ones, under 3 points, dropped:
    they enclose nothing), an RLE of the image's size, or None."""
    if seg is None:
        return None
    if isinstance(seg, list):
        polys = []
        for poly in seg:
            try:  # numpy checks a polygon's thousands of numbers at once
                values = np.asarray(poly, dtype=np.float64) if isinstance(poly, list) else None
            except (TypeError, ValueError):
                values = None
            if (
                values is None
                or values.ndim != 1
                or len(values) % 2
                or not np.isfinite(values).all()
            ):
                raise DatasetError(f"{where}: a polygon must be a flat list [x1, y1, x2, y2, ...]")
            if len(values) >= 6:
                polys.append(values)
        return polys
    if isinstance(seg, dict) and "counts" in seg and "size" in seg:
        if list(seg["size"]) != [height, width]:
            raise DatasetError(
                f"{where}: RLE size {seg['size']} is not the image's [height, width] "
                f"[{height}, {width}]; fix the RLE or the image entry"
            )
        if isinstance(seg["counts"], list) and sum(seg["counts"]) != height * width:
            raise DatasetError(f"{where}: RLE counts do not add up to {height}x{width} pixels")
        return seg
    raise DatasetError(f"{where}: segmentation is neither polygons nor an RLE dict")


def _keypoints(ann: dict[str, Any], category: Category, where: str) -> np.ndarray | None:
    values = ann.get("keypoints")
    if not values or not category.keypoints:
        return None
    expected = 3 * len(category.keypoints)
    if len(values) != expected or not all(_is_number(v) for v in values):
        raise DatasetError(
            f"{where}: {len(values)} keypoint values, category '{category.name}' needs "
            f"{expected} (x, y, visibility per keypoint)"
        )
    kps = np.asarray(values, dtype=np.float64).reshape(-1, 3)
    if not set(kps[:, 2].tolist()) <= {0, 1, 2}:
        raise DatasetError(f"{where}: keypoint visibility must be 0, 1 or 2")
    return kps
