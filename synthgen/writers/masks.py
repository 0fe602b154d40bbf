"""Per-image mask PNGs: ``masks/instance/<stem>.png`` and ``masks/semantic/<stem>.png``.

The instance PNG is 16-bit: 0 is background, k is the k-th labeled object of the image, in
the same order as that image's COCO annotations and YOLO lines. The semantic PNG is 8-bit
with a palette: each pixel holds its category id (0 background), shown in the class colour.
Both hold only labeled objects: dropped and unlabeled ones are background. Overlapping
objects read from a dataset lie as in the reader's instance map (see synthgen.readers).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from synthgen.files import atomic_write_bytes, encode_image
from synthgen.labels import ObjectLabel
from synthgen.writers.base import LabeledSample, Writer

INSTANCE_DIR = "masks/instance"
SEMANTIC_DIR = "masks/semantic"


def class_colors(n: int) -> np.ndarray:
    """``n`` distinct, stable RGB colours (golden-ratio hues); index 0 is black."""
    hues = (np.arange(1, n) * 0.618033988749895) % 1.0
    sat = np.where(np.arange(1, n) % 2, 0.65, 0.9)
    val = np.where(np.arange(1, n) % 3 == 0, 0.75, 0.95)
    h6 = hues * 6
    i = np.floor(h6).astype(int) % 6
    f = h6 - np.floor(h6)
    p, q, t = val * (1 - sat), val * (1 - sat * f), val * (1 - sat * (1 - f))
    table = np.stack(
        [
            np.choose(i, [val, q, p, p, t, val]),
            np.choose(i, [t, val, val, q, p, p]),
            np.choose(i, [p, p, t, val, val, q]),
        ],
        axis=1,
    )
    return np.vstack([[0, 0, 0], np.round(table * 255)]).astype(np.uint8)


_PALETTE = class_colors(256).ravel().tolist()


class MaskWriter(Writer):
    """Per-image 16-bit instance-id PNGs and palette semantic PNGs under masks/."""

    name = "masks"
    owns = (INSTANCE_DIR, SEMANTIC_DIR)

    def write(self, sample: LabeledSample) -> Any:
        image, objects = sample.image, sample.objects
        instance = np.zeros((image.height, image.width), dtype=np.uint16)
        semantic = np.zeros((image.height, image.width), dtype=np.uint8)
        for k in _paint_order(objects):
            obj = objects[k]
            x0, y0, x1, y1 = obj.bbox_xyxy
            instance[y0:y1, x0:x1][obj.mask] = k + 1
            semantic[y0:y1, x0:x1][obj.mask] = self.category_ids[obj.category]
        atomic_write_bytes(
            self.root / INSTANCE_DIR / f"{image.stem}.png", encode_image(instance, "png")
        )
        atomic_write_bytes(self.root / SEMANTIC_DIR / f"{image.stem}.png", _palette_png(semantic))
        return None


def _paint_order(objects: list[ObjectLabel]) -> list[int]:
    """Objects read from a dataset and untouched keep their own masks, which may overlap:
    they are painted as the reader built the instance map (crowds first, then larger under
    smaller, later over earlier). Masks derived from pixels never overlap, so for them the
    order changes nothing."""
    return sorted(
        range(len(objects)),
        key=lambda k: (
            not (objects[k].attributes or {}).get("iscrowd"),
            -objects[k].area,
            k,
        ),
    )


def _palette_png(semantic: np.ndarray) -> bytes:
    # OpenCV cannot write palette PNGs; the image is mostly flat, so zlib level 1 is quick.
    img = Image.fromarray(semantic)
    img.putpalette(_PALETTE)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
