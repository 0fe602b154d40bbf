"""YOLO detect and segment datasets in the Ultralytics layout.

``path`` is ``data.yaml`` or the folder holding it. Its ``path`` key (relative to the
file's folder; default that folder) is the dataset root; ``train``, ``val`` and ``test``
each name an image folder (searched recursively), a text file listing images (one per
line, relative to that file's folder), or a list of those; ``names`` (a list or an
``{index: name}`` mapping) gives the classes: class k becomes category id k + 1, so writing
YOLO again gives the same class numbers. The label file of ``.../images/.../x.jpg`` is
``.../labels/.../x.txt`` (the last ``images`` folder swapped, as Ultralytics does); an image
without one has no objects. Without ``split`` every listed image is read once, in the order
train, val, test.

A line is ``class cx cy w h`` (a box: a box-only instance) or ``class x1 y1 ... xn yn``
(a polygon of 3 or more points, whose extent is its box); values are normalized to [0, 1].
YOLO carries no per-instance attributes. Coordinates within YOLO's 6-digit rounding of a
whole pixel (1e-6 of the image size) are snapped to it, so synthgen's own YOLO reads back
to exact integer boxes and masks; others stay floats, and an untouched line is written
back token for token. Pose datasets (``kpt_shape``) are not read yet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from synthgen.readers.base import (
    BOX_TOLERANCE,
    DatasetError,
    Reader,
    ReaderConfig,
    SourceImage,
    SourceObject,
    check_box,
    snap,
    unique_names,
)
from synthgen.sample import Category

DATA_FILE = "data.yaml"
SPLITS = ("train", "val", "test")
# Ultralytics' image suffixes (ultralytics/data/utils.py IMG_FORMATS), those OpenCV decodes.
IMAGE_SUFFIXES = {".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp", ".jp2"}
_SNAP = 1e-6  # YOLO files carry 6 decimals: a whole pixel written so is off by <= this * size


class YoloReaderConfig(ReaderConfig):
    split: str | None = Field(
        None, description="train, val or test: the data.yaml entry to read (default: all)"
    )


class YoloReader(Reader):
    """YOLO detect/segment labels (Ultralytics layout: data.yaml, images/, labels/)."""

    name = "yolo"
    config_type = YoloReaderConfig
    config: YoloReaderConfig

    def __init__(self, path: Path, config: ReaderConfig) -> None:
        super().__init__(path, config)
        self.file = path / DATA_FILE if path.is_dir() else path
        self.location = self.file
        doc = self._load_yaml()
        base = Path(doc["path"]) if doc.get("path") else Path()
        self.root = base if base.is_absolute() else self.file.parent / base
        names = doc.get("names")
        if isinstance(names, list):
            table = dict(enumerate(names))
        elif isinstance(names, dict) and all(isinstance(k, int) for k in names):
            table = dict(sorted(names.items()))
        else:
            raise DatasetError(
                f"{self.file}: 'names' must list the classes (a list, or {{0: name, ...}})"
            )
        unique_names([str(n) for n in table.values()], str(self.file))
        self.categories = [Category(k + 1, str(n)) for k, n in table.items()]
        self._names = {k: str(n) for k, n in table.items()}
        self._images = self._list_images(doc)

    @classmethod
    def detect(cls, path: Path) -> bool:
        return (path.is_file() and path.suffix in (".yaml", ".yml")) or (path / DATA_FILE).is_file()

    def __len__(self) -> int:
        return len(self._images)

    def __iter__(self) -> Iterator[SourceImage]:
        for index, (split, image) in enumerate(self._images):
            yield SourceImage(
                index, image.stem, _relative(image, self.root), image, split=split, reader=self
            )

    def objects(self, image: SourceImage, height: int, width: int) -> list[SourceObject]:
        labels = label_path(image.path)
        try:
            text = labels.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []  # an image without a label file is background, as in Ultralytics
        except (OSError, UnicodeDecodeError) as err:
            raise DatasetError(f"{labels}: cannot read the label file ({err})") from None
        out = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                out.append(self._object(line.split(), f"{labels} line {number}", height, width))
        return out

    def _where(self, image: SourceImage | None = None) -> str:
        return str(self.file)

    # ------------------------------------------------------------------ parsing

    def _load_yaml(self) -> dict[str, Any]:
        try:
            doc = yaml.safe_load(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DatasetError(
                f"{self.file}: not found; give a YOLO data.yaml or the folder holding it"
            ) from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise DatasetError(f"{self.file}: cannot read it as YAML ({err})") from None
        if not isinstance(doc, dict):
            raise DatasetError(f"{self.file}: not a YOLO data.yaml (expected a mapping)")
        if "kpt_shape" in doc:
            raise DatasetError(
                f"{self.file}: YOLO pose datasets (kpt_shape) are not read yet; "
                "convert them from COCO keypoints instead"
            )
        return doc

    def _list_images(self, doc: dict[str, Any]) -> list[tuple[str, Path]]:
        splits = [self.config.split] if self.config.split else [s for s in SPLITS if doc.get(s)]
        if not splits:
            raise DatasetError(f"{self.file}: no train, val or test entry lists images")
        seen: set[Path] = set()
        out = []
        for split in splits:
            entry = doc.get(split)
            if not entry:
                raise DatasetError(
                    f"{self.file}: no '{split}' entry; choose one of "
                    f"{[s for s in SPLITS if doc.get(s)]}"
                )
            for item in entry if isinstance(entry, list) else [entry]:
                for image in self._entry_images(split, str(item)):
                    if image not in seen:
                        seen.add(image)
                        out.append((split, image))
        return out

    def _entry_images(self, split: str, item: str) -> list[Path]:
        path = Path(item) if Path(item).is_absolute() else self.root / item
        if path.is_dir():
            return sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if path.is_file() and path.suffix == ".txt":
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
            return [
                p if p.is_absolute() else path.parent / p for p in map(Path, lines) if str(p) != "."
            ]
        raise DatasetError(
            f"{self.file}: {split}: {item} is neither an image folder nor a .txt list of images "
            f"(looked for {path}); fix the entry"
        )

    def _object(self, tokens: list[str], where: str, height: int, width: int) -> SourceObject:
        try:
            cls_value, values = float(tokens[0]), [float(t) for t in tokens[1:]]
        except ValueError:
            raise DatasetError(
                f"{where}: not numbers: {' '.join(tokens)!r}; fix the line"
            ) from None
        if not cls_value.is_integer() or int(cls_value) not in self._names:
            raise DatasetError(
                f"{where}: class {tokens[0]} is not in {self.file} names "
                f"({min(self._names)}..{max(self._names)}); fix the line or add the class"
            )
        n = len(values)
        if n != 4 and (n < 6 or n % 2):
            raise DatasetError(
                f"{where}: {n} values after the class; expected 4 (cx cy w h) or an even "
                "count >= 6 (polygon x1 y1 x2 y2 ...); fix the line"
            )
        slack = BOX_TOLERANCE + 2 * _SNAP * max(height, width)
        xs, ys = [v * width for v in values[0::2]], [v * height for v in values[1::2]]
        sx, sy = _SNAP * width + 1e-9, _SNAP * height + 1e-9
        if n == 4:
            cx, cy, bw, bh = xs[0], ys[0], xs[1], ys[1]
            box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
            x0, y0, x1, y1 = snap(box[0], sx), snap(box[1], sy), snap(box[2], sx), snap(box[3], sy)
            segmentation = None
        else:
            xs, ys = [snap(x, sx) for x in xs], [snap(y, sy) for y in ys]
            x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
            segmentation = [[v for xy in zip(xs, ys, strict=True) for v in xy]]
        clipped = check_box(
            (x0, y0, x1, y1), height, width, where, clip=self.config.clip_boxes, tolerance=slack
        )
        return SourceObject(
            category=self._names[int(cls_value)],
            bbox_xywh=(x0, y0, x1 - x0, y1 - y0),
            record={"kind": "box" if n == 4 else "polygon", "values": tokens[1:]},
            segmentation=segmentation,
            clipped=clipped,
        )


def label_path(image: Path) -> Path:
    """Ultralytics' rule: the last ``images`` folder in the path becomes ``labels``, the
    suffix ``.txt``."""
    parts = list(image.parts)
    for k in range(len(parts) - 2, -1, -1):
        if parts[k] == "images":
            parts[k] = "labels"
            break
    return Path(*parts).with_suffix(".txt")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return os.path.relpath(path, root)
