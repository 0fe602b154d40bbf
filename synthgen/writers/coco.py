"""COCO instances JSON (detection, segmentation, keypoints).

Boxes are [x, y, w, h] of the visible mask in continuous pixel coordinates; ``area`` is the
visible pixel count; polygons run along pixel edges and decode (pycocotools) to exactly
the mask; objects with holes keep them (slit polygons, or RLE). Objects read from a dataset
(synthgen.readers) and untouched are written as the source had them: a COCO annotation
verbatim, another format's box as given; box-only objects get no segmentation and
``area`` = w * h; ``iscrowd`` comes from the ``iscrowd`` attribute. Extra per-annotation
fields that pycocotools ignores: ``visibility``, ``truncation``, ``amodal_bbox``,
``attributes``. Image ids are sample index + 1 and annotation ids run in sample order, so
both are stable across worker counts, resumed runs and shards.

With ``extras``, samples from 3D generators add (lengths in metres, OpenCV camera frame:
x right, y down, z forward; matrices as lists of rows): per image ``camera: {K,
world_to_camera}`` (K puts the centre of pixel u at u, as OpenCV does); per annotation
``model`` (mesh id), ``pose: {R, t}`` (model -> camera; t in metres), ``box3d`` (the 8
corners of the model's bounding box in the camera frame, in ``geometry.box_corners``
order) and ``box3d_projected`` (those corners in the continuous pixel coordinates of
``bbox``, where pixel (x, y) covers [x, x+1) x [y, y+1): OpenCV's projection + 0.5).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
from pydantic import Field

from synthgen import __version__
from synthgen.files import PARTIAL_SUFFIX
from synthgen.labels import ObjectLabel
from synthgen.writers.base import (
    Fragment,
    ImageRef,
    LabeledSample,
    Writer,
    WriterConfig,
    box_xywh,
)

ANNOTATION_FILE = "annotations/instances.json"


class CocoConfig(WriterConfig):
    segmentation: Literal["polygon", "rle", "none"] = Field(
        "polygon", description="polygon (exact, pixel-edge vertices), rle, or none (boxes only)"
    )
    extras: bool = Field(
        True,
        description="add visibility, truncation, amodal_bbox, attributes, and 3D camera, "
        "pose and boxes when the generator has them",
    )


class CocoWriter(Writer):
    """COCO instances JSON at annotations/instances.json (file_name relative to images/)."""

    name = "coco"
    config_type = CocoConfig
    owns = ("annotations",)
    config: CocoConfig

    @property
    def needs_polygons(self) -> bool:
        return self.config.segmentation == "polygon"

    def write(self, sample: LabeledSample) -> Any:
        fragment: dict[str, Any] = {"annotations": [self._annotation(o) for o in sample.objects]}
        if self.config.extras and sample.camera is not None:
            fragment["camera"] = {
                "K": _rows(sample.camera.K, 9),
                "world_to_camera": _rows(sample.camera.world_to_camera, 9),
            }
        return fragment

    def _annotation(self, obj: ObjectLabel) -> dict[str, Any]:
        # CocoWriter.name, not self.name: subclasses (label noise's clean COCO) write COCO too.
        if obj.source is not None and obj.source.format == CocoWriter.name:
            # An untouched annotation read from COCO goes back as it came, its own
            # segmentation encoding and extra fields included.
            ann = {"category_id": self.category_ids[obj.category], **obj.source.record}
            if self.config.segmentation == "none":
                ann.pop("segmentation", None)
            return ann
        attributes = dict(obj.attributes or {})
        bbox = list(box_xywh(obj))
        ann = {
            "category_id": self.category_ids[obj.category],
            "bbox": bbox,
            # A box-only object (read from a boxes-only dataset) has no outline to claim.
            "area": bbox[2] * bbox[3] if obj.box_only else obj.area,
            "iscrowd": int(bool(attributes.pop("iscrowd", 0))),
        }
        segmentation = "none" if obj.box_only else self.config.segmentation
        if segmentation == "polygon":
            ann["segmentation"] = [p.ravel() for p in obj.polygons]
        elif segmentation == "rle":
            ann["segmentation"] = obj.rle
        if obj.keypoints is not None:
            ann["keypoints"] = [round(float(v), 2) for v in obj.keypoints.ravel()]
            ann["num_keypoints"] = int((obj.keypoints[:, 2] > 0).sum())
        if self.config.extras:
            ann["visibility"] = round(obj.visibility, 4)
            ann["truncation"] = round(obj.truncation, 4)
            if obj.amodal_bbox_xyxy is not None:
                x0, y0, x1, y1 = obj.amodal_bbox_xyxy
                ann["amodal_bbox"] = [x0, y0, x1 - x0, y1 - y0]
            if attributes:
                ann["attributes"] = attributes
            ann.update(_extras_3d(obj))
        return ann

    def begin(self) -> None:
        # Images stream into the final file's temp, annotations into a side file that is
        # appended at the end: neither list is ever held in memory.
        path = self.root / ANNOTATION_FILE
        self._tmp = path.with_name(path.name + PARTIAL_SUFFIX)
        self._ann_tmp = path.with_name(path.name + ".annotations" + PARTIAL_SUFFIX)
        self._out = open(self._tmp, "wb")  # noqa: SIM115 (closed in end)
        self._anns = open(self._ann_tmp, "w+b")  # noqa: SIM115
        self._out.write(b'{\n"info": ' + _dumps(self._info()) + b',\n"licenses": [],\n')
        self._out.write(b'"categories": ' + _dumps(self._categories()) + b',\n"images": [')
        self._images = self._ann_id = 0

    def add(self, fragment: Fragment) -> None:
        data = fragment.data or {}
        image = _image(fragment.ref)
        if "camera" in data:
            image["camera"] = data["camera"]
        self._out.write((b",\n" if self._images else b"\n") + _dumps(image))
        self._images += 1
        for ann in data.get("annotations", ()):
            self._ann_id += 1
            entry = {"id": self._ann_id, "image_id": fragment.ref.image_id, **ann}
            self._anns.write((b",\n" if self._ann_id > 1 else b"\n") + _dumps(entry))

    def end(self) -> None:
        self._out.write(b'\n],\n"annotations": [')
        self._anns.seek(0)
        shutil.copyfileobj(self._anns, self._out)
        self._out.write(b"\n]\n}\n")
        self._out.close()
        self._anns.close()
        self._ann_tmp.unlink()
        os.replace(self._tmp, self.root / ANNOTATION_FILE)

    def _info(self) -> dict[str, Any]:
        return {
            "description": "synthgen synthetic dataset",
            "version": __version__,
            "pixel_convention": "pixel (x, y) covers [x, x+1) x [y, y+1); bbox is [x, y, w, h]",
        }

    def _categories(self) -> list[dict[str, Any]]:
        cats = []
        for c in self.categories:
            cat: dict[str, Any] = {"id": c.id, "name": c.name, "supercategory": c.supercategory}
            if c.keypoints:
                index = {name: i + 1 for i, name in enumerate(c.keypoints)}
                cat["keypoints"] = list(c.keypoints)
                cat["skeleton"] = [[index[a], index[b]] for a, b in c.skeleton]
            cats.append(cat)
        return cats


def _image(ref: ImageRef) -> dict[str, Any]:
    return {
        "id": ref.image_id,
        "file_name": Path(ref.file).name,
        "width": ref.width,
        "height": ref.height,
    }


def _extras_3d(obj: ObjectLabel) -> dict[str, Any]:
    """3D fields of an object, where known (metres, camera frame)."""
    out: dict[str, Any] = {}
    if obj.model is not None:
        out["model"] = obj.model
    if obj.pose is not None:
        out["pose"] = {"R": _rows(obj.pose[:3, :3], 9), "t": _rows(obj.pose[:3, 3], 9)}
    if obj.box3d is not None:
        out["box3d"] = _rows(obj.box3d, 9)
    if obj.box3d_projected is not None:
        out["box3d_projected"] = _rows(obj.box3d_projected, 4)
    return out


def _rows(values: np.ndarray, digits: int) -> Any:
    """A matrix as nested lists (rows), rounded past float noise to keep the JSON short."""
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)
