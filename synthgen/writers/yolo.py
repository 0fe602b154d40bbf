"""YOLO labels (Ultralytics layout): ``labels/<stem>.txt`` beside ``images/`` and ``data.yaml``.

Detection lines are ``class cx cy w h``; segmentation lines are ``class x1 y1 x2 y2 ...``;
all normalized to [0, 1] by the image size, classes from 0 in the recipe's class order.
A box is the tight box of the visible mask: a mask over columns 5..24 of a 100-px-wide
image gives cx = 15/100 and w = 20/100. One polygon per object, as the format requires:
parts and holes are joined by zero-width slits, so filling it gives back the exact mask.
"""

from __future__ import annotations

from typing import Any

import yaml

from synthgen.files import atomic_write_text
from synthgen.geometry import merge_polygons
from synthgen.labels import ObjectLabel
from synthgen.writers.base import ImageRef, Writer

LABELS_DIR = "labels"


class YoloWriter(Writer):
    """YOLO detection labels (labels/<stem>.txt, class cx cy w h) and data.yaml."""

    name = "yolo"
    owns = (LABELS_DIR, "data.yaml")
    task = "detect"

    def write(self, image: ImageRef, objects: list[ObjectLabel]) -> Any:
        lines = [self._line(o, image.width, image.height) for o in objects]
        text = "".join(line + "\n" for line in lines)
        atomic_write_text(self.root / LABELS_DIR / f"{image.stem}.txt", text)
        return None

    def _line(self, obj: ObjectLabel, width: int, height: int) -> str:
        x0, y0, x1, y1 = obj.bbox_xyxy
        cls = self.category_ids[obj.category] - 1
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
        }
        header = "# synthgen dataset; labels/<stem>.txt belong to images/<stem>.*\n"
        atomic_write_text(self.root / "data.yaml", header + yaml.safe_dump(doc, sort_keys=False))


class YoloSegWriter(YoloWriter):
    """YOLO segmentation labels (one exact polygon per object) and data.yaml."""

    name = "yolo-seg"
    task = "segment"

    @property
    def needs_polygons(self) -> bool:
        return True

    def _line(self, obj: ObjectLabel, width: int, height: int) -> str:
        cls = self.category_ids[obj.category] - 1
        poly = merge_polygons(obj.polygons)
        coords = " ".join(f"{x / width:.6f} {y / height:.6f}" for x, y in poly.tolist())
        return f"{cls} {coords}"
