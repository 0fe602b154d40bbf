"""YOLO labels (Ultralytics layout): ``labels/<stem>.txt`` beside ``images/`` and ``data.yaml``.

Detection lines are ``class cx cy w h``; segmentation lines are ``class x1 y1 x2 y2 ...``;
pose lines are ``class cx cy w h x1 y1 v1 ... xK yK vK`` (v is COCO's flag: 0 absent, written
as ``0 0 0``; 1 occluded; 2 visible; data.yaml then has ``kpt_shape: [K, 3]`` and
``flip_idx``). All are normalized to [0, 1] by the image size, classes from 0 in the
recipe's class order.
A box is the tight box of the visible mask: a mask over columns 5..24 of a 100-px-wide
image gives cx = 15/100 and w = 20/100. One polygon per object, as the format requires:
parts and holes are joined by zero-width slits, so filling it gives back the exact mask.
Objects read from a dataset (synthgen.readers) and untouched keep their source: a YOLO
line of the same kind is written back token for token, another format's box as given;
a box-only object becomes its box's rectangle in segmentation labels.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import yaml

from synthgen.config import Problem, RecipeError
from synthgen.files import atomic_write_text
from synthgen.geometry import merge_polygons
from synthgen.labels import ObjectLabel
from synthgen.sample import Category
from synthgen.writers.base import LabeledSample, Writer, box_xywh

LABELS_DIR = "labels"


class YoloWriter(Writer):
    """YOLO detection labels (labels/<stem>.txt, class cx cy w h) and data.yaml."""

    name = "yolo"
    owns = (LABELS_DIR, "data.yaml")
    task = "detect"

    def write(self, sample: LabeledSample) -> Any:
        image, objects = sample.image, sample.objects
        lines = [self._line(o, image.width, image.height) for o in objects]
        text = "".join(line + "\n" for line in lines)
        atomic_write_text(self.root / LABELS_DIR / f"{image.stem}.txt", text)
        return None

    def _line(self, obj: ObjectLabel, width: int, height: int) -> str:
        cls = self.category_ids[obj.category] - 1
        raw = _source_values(obj, "box")
        if raw is not None:
            return f"{cls} {raw}"
        x0, y0, w, h = box_xywh(obj)
        x1, y1 = x0 + w, y0 + h
        cx, cy = (x0 + x1) / 2 / width, (y0 + y1) / 2 / height
        return f"{cls} {cx:.6f} {cy:.6f} {(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}"

    def end(self) -> None:
        doc = {
            # No 'path' key: Ultralytics then resolves train/val against this file's folder.
            "train": "images",
            "val": "images",
            "nc": len(self.categories),
            "names": {c.id - 1: c.name for c in self.categories},
            "task": self.task,
            **self._data_extra(),
        }
        header = "# synthgen dataset; labels/<stem>.txt belong to images/<stem>.*\n"
        atomic_write_text(self.root / "data.yaml", header + yaml.safe_dump(doc, sort_keys=False))

    def _data_extra(self) -> dict[str, Any]:
        """Task-specific data.yaml keys."""
        return {}


class YoloSegWriter(YoloWriter):
    """YOLO segmentation labels (one exact polygon per object) and data.yaml."""

    name = "yolo-seg"
    task = "segment"

    @property
    def needs_polygons(self) -> bool:
        return True

    def _line(self, obj: ObjectLabel, width: int, height: int) -> str:
        cls = self.category_ids[obj.category] - 1
        raw = _source_values(obj, "polygon")
        if raw is not None:
            return f"{cls} {raw}"
        if obj.box_only:  # the box as a rectangle, in the order mask_to_polygons gives one
            x0, y0, w, h = box_xywh(obj)
            poly = [[x0, y0], [x0, y0 + h], [x0 + w, y0 + h], [x0 + w, y0]]
        else:
            poly = merge_polygons(obj.polygons).tolist()
        coords = " ".join(f"{x / width:.6f} {y / height:.6f}" for x, y in poly)
        return f"{cls} {coords}"


class YoloPoseWriter(YoloWriter):
    """YOLO pose labels (box then K keypoints with flags) and data.yaml with kpt_shape."""

    name = "yolo-pose"
    task = "pose"

    def check(self) -> None:
        _ = self.keypoint_layout  # refuses mixed keypoint layouts

    def _line(self, obj: ObjectLabel, width: int, height: int) -> str:
        box = super()._line(obj, width, height)
        count = len(self.keypoint_layout[0])
        kps = obj.keypoints if obj.keypoints is not None else np.zeros((count, 3))
        parts = [
            f"{x / width:.6f} {y / height:.6f} {int(v)}" if v > 0 else "0 0 0"
            for x, y, v in kps.tolist()
        ]
        return " ".join([box, *parts])

    def _data_extra(self) -> dict[str, Any]:
        names, flip_idx = self.keypoint_layout
        return {"kpt_shape": [len(names), 3], "flip_idx": flip_idx}

    @cached_property
    def keypoint_layout(self) -> tuple[tuple[str, ...], list[int]]:
        """The keypoint names and flip permutation that every class shares."""
        layouts = {(c.keypoints, tuple(_flip_idx(c))) for c in self.categories}
        if len(layouts) != 1 or not self.categories[0].keypoints:
            raise RecipeError([Problem(("output", "formats", self.name), _mixed(self.categories))])
        names, flip = layouts.pop()
        return names, list(flip)


def _source_values(obj: ObjectLabel, kind: str) -> str | None:
    """An untouched line read from YOLO, values verbatim, when it has this line's kind."""
    source = obj.source
    if source is None or source.format != "yolo" or source.record["kind"] != kind:
        return None
    return " ".join(source.record["values"])


def _flip_idx(category: Category) -> list[int]:
    """For each keypoint, the index of the keypoint it becomes when the image is mirrored."""
    index = {name: i for i, name in enumerate(category.keypoints)}
    flip = list(range(len(category.keypoints)))
    for a, b in category.flip_pairs:
        flip[index[a]], flip[index[b]] = index[b], index[a]
    return flip


def _mixed(categories: list[Category]) -> str:
    found = "; ".join(f"{c.name}: {list(c.keypoints)}" for c in categories)
    return (
        "YOLO pose has one keypoint layout (kpt_shape, flip_idx) for all classes, but the "
        f"classes' keypoints are {found}; give every class the same keypoints and flip_pairs, "
        "or use coco for mixed keypoints"
    )
