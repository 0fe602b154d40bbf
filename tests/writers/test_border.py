"""An object touching the right and bottom image edges, through every box format.

The anchors mixed conventions exactly here (0-based inclusive in one place, exclusive or
1-based in another); each format must say the object ends at the last pixel.
"""

import contextlib
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from pycocotools.coco import COCO

from synthgen.labels import derive_labels
from synthgen.registry import WRITERS
from synthgen.sample import Category, Instance, Sample
from synthgen.writers.base import Fragment, ImageRef, LabeledSample

W, H = 64, 48


@pytest.fixture
def root(tmp_path):
    imap = np.zeros((H, W), np.uint16)
    imap[40:48, 50:64] = 1  # columns 50..63, rows 40..47: the bottom-right corner
    sample = Sample(np.zeros((H, W, 3), np.uint8), imap, [Instance(1, "box")])
    objects = derive_labels(sample)
    ref = ImageRef(0, "00000000", "images/00000000.png", W, H)
    for name in ("coco", "yolo", "voc"):
        cls = WRITERS.get(name)
        writer = cls(tmp_path, cls.config_type(), [Category(1, "box")])
        writer.prepare()
        writer.begin()
        writer.add(Fragment(ref, writer.write(LabeledSample(ref, objects))))
        writer.end()
    return tmp_path


def test_border_object_in_every_format(root):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(root / "annotations/instances.json"))
    (ann,) = coco.anns.values()
    assert ann["bbox"] == [50, 40, 14, 8]  # x + w == 64 == W: ends are exclusive
    assert coco.annToMask(ann)[40:, 50:].all()

    _, cx, cy, w, h = map(float, (root / "labels/00000000.txt").read_text().split())
    assert cx + w / 2 == pytest.approx(1.0) and cy + h / 2 == pytest.approx(1.0)

    box = ET.parse(root / "voc/Annotations/00000000.xml").getroot().find("object/bndbox")
    assert [int(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")] == [51, 41, 64, 48]
