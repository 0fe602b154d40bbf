"""Pascal VOC XML: ``voc/Annotations/<stem>.xml`` with 1-based, inclusive pixel boxes.

A mask over columns 5..24 and rows 10..19 (0-based) gives xmin=6, ymin=11, xmax=25, ymax=20:
VOC numbers pixels from 1 and includes both end pixels. ``voc/JPEGImages`` links to the
shared ``images/`` folder so VOC loaders find the images where they expect them.
Objects read from a dataset (synthgen.readers) and untouched keep their source: a VOC
``<object>`` is written back as it was; another format's box is rounded outward to whole
pixels (VOC loaders parse integers). ``pose`` and ``difficult`` come from the object's
attributes when it has them.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from synthgen.files import atomic_write_bytes, atomic_write_text
from synthgen.labels import ObjectLabel
from synthgen.writers.base import Fragment, LabeledSample, Writer

VOC_DIR = "voc"
_EPS = 1e-6  # float noise ignored when rounding a box outward


class VocWriter(Writer):
    """Pascal VOC XML per image under voc/Annotations, 1-based inclusive boxes."""

    name = "voc"
    owns = (VOC_DIR,)

    def prepare(self) -> None:
        (self.root / VOC_DIR / "Annotations").mkdir(parents=True, exist_ok=True)
        (self.root / VOC_DIR / "ImageSets" / "Main").mkdir(parents=True, exist_ok=True)
        link = self.root / VOC_DIR / "JPEGImages"
        if not link.exists() and not link.is_symlink():
            os.symlink(Path("..") / "images", link, target_is_directory=True)

    def write(self, sample: LabeledSample) -> Any:
        image, objects = sample.image, sample.objects
        root = ET.Element("annotation")
        _sub(root, "folder", "JPEGImages")
        _sub(root, "filename", Path(image.file).name)
        source = ET.SubElement(root, "source")
        _sub(source, "database", "synthgen")
        size = ET.SubElement(root, "size")
        _sub(size, "width", image.width)
        _sub(size, "height", image.height)
        _sub(size, "depth", 3)
        _sub(root, "segmented", 0)
        for obj in objects:
            root.append(self._object(obj))
        ET.indent(root)
        data = ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"
        atomic_write_bytes(self.root / VOC_DIR / "Annotations" / f"{image.stem}.xml", data)
        return None

    def _object(self, obj: ObjectLabel) -> ET.Element:
        if obj.source is not None and obj.source.format == self.name:
            el = ET.fromstring(obj.source.record)  # untouched: the source's element as it was
            name = el.find("name")
            if name is not None:
                name.text = obj.category
            return el
        attributes = obj.attributes or {}
        el = ET.Element("object")
        _sub(el, "name", obj.category)
        _sub(el, "pose", attributes.get("pose", "Unspecified"))
        _sub(el, "truncated", int(obj.truncation > 0))
        _sub(el, "occluded", int(obj.visibility + obj.truncation < 1 - 1e-9))
        _sub(el, "difficult", int(bool(attributes.get("difficult", 0))))
        x0, y0, x1, y1 = obj.bbox_xyxy
        if obj.source is not None:  # another format's box, rounded outward to whole pixels
            bx, by, bw, bh = obj.source.bbox_xywh
            x0, y0 = math.floor(bx + _EPS), math.floor(by + _EPS)
            x1, y1 = math.ceil(bx + bw - _EPS), math.ceil(by + bh - _EPS)
        box = ET.SubElement(el, "bndbox")
        _sub(box, "xmin", x0 + 1)
        _sub(box, "ymin", y0 + 1)
        _sub(box, "xmax", x1)
        _sub(box, "ymax", y1)
        return el

    def begin(self) -> None:
        self._stems: list[str] = []

    def add(self, fragment: Fragment) -> None:
        self._stems.append(fragment.ref.stem)

    def end(self) -> None:
        main = self.root / VOC_DIR / "ImageSets" / "Main"
        atomic_write_text(main / "default.txt", "".join(f"{s}\n" for s in self._stems))
        labelmap = "".join(f"{c.name}\n" for c in self.categories)
        atomic_write_text(self.root / VOC_DIR / "labels.txt", labelmap)


def _sub(parent: ET.Element, tag: str, text: object) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = str(text)
    return el
