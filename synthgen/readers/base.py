"""The reader plugin interface and the rules every reader shares.

A reader opens a dataset, checks its annotation files and category table up front, then
streams one light :class:`SourceImage` per image (its source id, file name and path);
``SourceImage.load()`` decodes that image and rasterizes its annotations into a
:class:`~synthgen.sample.Sample`. Nothing holds more than one image's pixels, so a 100k-image
dataset reads in flat memory (COCO's JSON itself is parsed once, as every COCO tool does).

Rules, the same for every format:

- Instance ids are 1..N in the source's annotation order, so labels come back in that order.
- Each instance keeps its own whole mask as ``amodal_mask``; the instance map holds one id
  per pixel. Where masks overlap (COCO allows it), crowd regions lie below every single
  object, then a smaller mask lies over a larger one (a cup on a table, a person in front
  of a bus: a small object inside a big one's mask must stay visible), and of two equal
  areas the later one lies on top (synthgen's own painter order). The seal on each
  instance's source label (:func:`synthgen.labels.seal_sources`) then gives every untouched
  instance its own label back, overlaps included.
- Boxes-only inputs (VOC, YOLO detect, COCO without a segmentation, or one that covers no
  pixel centre) get the box as a rectangular mask, flagged ``Instance.box_only``. A float
  box is rounded outward to whole pixels for that mask (pixel (x, y) covers
  [x, x+1) x [y, y+1): every pixel the box touches belongs to it), so the mask always holds
  the whole box; the box itself is kept as the source gave it while the instance is
  untouched.
- Boxes may leave the image by float noise (0.01 px, plus YOLO's 6-digit rounding); more
  is an error unless the reader is told to clip (``clip_boxes``); a clipped instance has no
  source label (its label is derived from its clipped mask).
- Images are decoded as the mainstream loaders do (OpenCV, EXIF orientation applied) and
  must have the size the annotations declare.

Errors name the file (and the annotation or line), say what is wrong and how to fix it;
they are :class:`DatasetError`, which the CLI prints without a traceback (exit status 2).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
from PIL import Image
from pycocotools import mask as coco_mask
from pydantic import Field

from synthgen.config import StrictModel
from synthgen.errors import AssetError, AssetWarning
from synthgen.labels import seal_sources
from synthgen.sample import MAX_INSTANCES, Category, Instance, Sample, SourceLabel

# How far a box may leave the image by float noise in the file, in pixels.
BOX_TOLERANCE = 0.01
# Float noise in a coordinate, ignored when rounding a box outward to whole pixels.
_EPS = 1e-6


class DatasetError(AssetError):
    """A dataset that cannot be read as it is: names the file, the entry and the fix."""


class ReaderConfig(StrictModel):
    """Options every reader takes."""

    clip_boxes: bool = Field(
        False, description="clip boxes that leave the image instead of refusing them"
    )


@dataclass
class SourceObject:
    """One annotation, parsed and checked, before it is rasterized.

    ``bbox_xywh`` is in continuous pixel coordinates (pixel (x, y) covers
    [x, x+1) x [y, y+1)). ``segmentation`` uses COCO's vocabulary in pixel coordinates:
    a list of flat polygons, an RLE dict (compressed or not), or None for a box only.
    """

    category: str
    bbox_xywh: tuple[float, float, float, float]
    record: Any
    segmentation: list[Any] | dict[str, Any] | None = None
    crowd: bool = False
    keypoints: np.ndarray | None = None  # (K, 3): x, y, COCO flag
    attributes: dict[str, Any] = field(default_factory=dict)
    clipped: bool = False
    visibility: float | None = None
    truncation: float | None = None


@dataclass(frozen=True)
class SourceImage:
    """One image of a dataset, not loaded yet: where it comes from and where its file is.

    ``image_id`` is the source's id (COCO's image id; the label file's or XML's stem for
    YOLO and VOC); ``file_name`` is the image as the source names it; ``path`` where it is
    on disk; ``width`` and ``height`` as the annotations declare them (None for YOLO).

    >>> for image in open_dataset(Path("out/quickstart")):  # doctest: +SKIP
    ...     sample = image.load()
    """

    index: int
    image_id: int | str
    file_name: str
    path: Path
    width: int | None = None
    height: int | None = None
    split: str | None = None
    reader: Reader | None = field(default=None, compare=False, repr=False)

    def load(self) -> Sample:
        """Decodes the image and rasterizes its annotations (see :meth:`Reader.load`)."""
        if self.reader is None:
            raise ValueError("this SourceImage has no reader to load it")
        return self.reader.load(self)

    def provenance(self) -> dict[str, Any]:
        """Where the sample comes from, as JSON: format, dataset, image id, file, split."""
        out: dict[str, Any] = {
            "format": self.reader.name if self.reader is not None else None,
            "dataset": str(self.reader.location) if self.reader is not None else None,
            "image_id": self.image_id,
            "file": str(self.path),
        }
        if self.split is not None:
            out["split"] = self.split
        return out


@dataclass(frozen=True)
class LabelRecord:
    """One image's annotations without its pixels (see :meth:`Reader.label_records`)."""

    image: SourceImage
    width: int
    height: int
    objects: list[SourceObject]


class Reader:
    """Reads one dataset format into Samples. Subclasses fill ``categories`` and the
    image list in ``__init__`` (checking the annotation files there, before any image is
    read), and implement ``__iter__``, ``__len__``, ``objects`` and ``detect``."""

    name: ClassVar[str]
    config_type: ClassVar[type[ReaderConfig]] = ReaderConfig

    def __init__(self, path: Path, config: ReaderConfig) -> None:
        self.path = path
        self.location = path  # the file or folder that defines the dataset (for provenance)
        self.config = config
        self.categories: list[Category] = []

    @classmethod
    def detect(cls, path: Path) -> bool:
        """Whether ``path`` looks like a dataset of this format (cheap: file names only)."""
        return False

    def __iter__(self) -> Iterator[SourceImage]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def objects(self, image: SourceImage, height: int, width: int) -> list[SourceObject]:
        """The image's annotations, parsed and checked against its size."""
        raise NotImplementedError

    def label_records(self) -> Iterator[LabelRecord]:
        """Each image's parsed annotations, no pixels decoded: the size is the declared one
        (COCO, VOC) or read from the image file's header (YOLO), so statistics over a large
        dataset cost little more than parsing its annotation files.

        >>> reader = open_dataset(Path("data/yolo/data.yaml"))  # doctest: +SKIP
        >>> for record in reader.label_records():  # doctest: +SKIP
        ...     print(record.width, record.height, len(record.objects))
        """
        for image in self:
            width, height = image.width, image.height
            if width is None or height is None:
                width, height = image_size(image.path, self._where(image))
            yield LabelRecord(image, width, height, self.objects(image, height, width))

    def load(self, image: SourceImage) -> Sample:
        """The image and its annotations as a Sample whose plan records the source."""
        pixels = read_rgb(image.path, self._where(image))
        height, width = pixels.shape[:2]
        declared = (image.width, image.height)
        if None not in declared and declared != (width, height):
            raise DatasetError(
                f"{image.path}: the image is {width}x{height} but {self._where(image)} "
                f"says {image.width}x{image.height}; fix the declared size (an EXIF "
                "rotation is applied when decoding, as training loaders do)"
            )
        objects = self.objects(image, height, width)
        return build_sample(pixels, objects, self.name, {"source": image.provenance()})

    def check_images(self) -> None:
        """Raises DatasetError when any listed image file is missing (a stat per image)."""
        missing = [image for image in self if not image.path.is_file()]
        if missing:
            first = missing[0]
            raise DatasetError(
                f"{self._where(first)}: {len(missing)} of {len(self)} images are missing, "
                f"first {first.file_name} (looked for {first.path}); {self._image_hint()}"
            )

    def _where(self, image: SourceImage) -> str:
        """The annotation file that names this image, for messages."""
        return str(self.path)

    def _image_hint(self) -> str:
        return "put the images there or fix the paths in the annotations"


def read_rgb(path: Path, where: str) -> np.ndarray:
    """Decodes an image to HxWx3 uint8 RGB (EXIF orientation applied, grey expanded)."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise DatasetError(
            f"{path}: image missing (listed in {where}); put it there or remove its entry"
        ) from None
    except OSError as err:
        raise DatasetError(f"{path}: cannot read the image ({err.strerror})") from None
    # Decoded straight to RGB: no BGR image to convert.
    img = cv2.imdecode(data, cv2.IMREAD_COLOR_RGB) if data.size else None
    if img is None:
        raise DatasetError(f"{path}: empty or not a readable image; replace it or remove its entry")
    if path.suffix.lower() in (".jpg", ".jpeg") and bytes(data[-2:]) != b"\xff\xd9":
        # OpenCV pads a truncated JPEG with grey instead of failing.
        warnings.warn(
            f"{path}: JPEG without an end marker (truncated?); its bottom may be grey",
            AssetWarning,
            stacklevel=2,
        )
    return img


# EXIF orientations that swap width and height (transposed, rotated by 90 or 270 degrees).
_SWAPS_SIDES = (5, 6, 7, 8)


def image_size(path: Path, where: str) -> tuple[int, int]:
    """An image's (width, height) as :func:`read_rgb` would decode it (EXIF orientation
    applied), read from the file's header only: Pillow opens lazily and decodes nothing."""
    try:
        with Image.open(path) as img:
            width, height = img.size
            orientation = 1
            if img.info.get("exif"):  # JPEG and WebP carry it in the header
                exif = Image.Exif()
                exif.load(img.info["exif"])
                orientation = int(exif.get(0x0112, 1))
    except FileNotFoundError:
        raise DatasetError(
            f"{path}: image missing (listed in {where}); put it there or remove its entry"
        ) from None
    except (OSError, SyntaxError, ValueError) as err:
        raise DatasetError(
            f"{path}: not a readable image ({err}); replace it or remove its entry"
        ) from None
    return (height, width) if orientation in _SWAPS_SIDES else (width, height)


def check_box(
    box_xyxy: Sequence[float],
    height: int,
    width: int,
    where: str,
    *,
    clip: bool,
    tolerance: float = BOX_TOLERANCE,
) -> bool:
    """Refuses an empty box or one that leaves the image; returns whether it must be
    clipped (only with ``clip``: a box within ``tolerance`` of the image is kept as is)."""
    x0, y0, x1, y1 = box_xyxy
    if not all(math.isfinite(v) for v in box_xyxy):
        raise DatasetError(f"{where}: box {_fmt(box_xyxy)} is not finite; fix or remove it")
    if not (x1 > x0 and y1 > y0):
        raise DatasetError(
            f"{where}: empty box (x0, y0, x1, y1) = {_fmt(box_xyxy)}; fix or remove it"
        )
    outside = x0 < -tolerance or y0 < -tolerance or x1 > width + tolerance
    outside = outside or y1 > height + tolerance
    if not outside:
        return False
    if clip and x1 > 0 and y1 > 0 and x0 < width and y0 < height:
        return True
    raise DatasetError(
        f"{where}: box (x0, y0, x1, y1) = {_fmt(box_xyxy)} leaves the {width}x{height} "
        "image; fix it"
        + (", or read with clip_boxes (convert --clip-boxes) to clip it" if not clip else "")
    )


def round_out(box_xyxy: Sequence[float], height: int, width: int) -> tuple[int, int, int, int]:
    """The whole pixels a float box touches, inside the image, at least one pixel.

    >>> round_out((4.5, 10.0, 24.2, 20.0), 50, 100)
    (4, 10, 25, 20)
    """
    x0, y0, x1, y1 = box_xyxy
    left = min(max(math.floor(x0 + _EPS), 0), width - 1)
    top = min(max(math.floor(y0 + _EPS), 0), height - 1)
    right = min(max(math.ceil(x1 - _EPS), left + 1), width)
    bottom = min(max(math.ceil(y1 - _EPS), top + 1), height)
    return left, top, right, bottom


def snap(value: float, tolerance: float) -> float | int:
    """``value`` as an int when it is within ``tolerance`` of one (a whole-pixel coordinate
    written with limited digits), else unchanged."""
    nearest = round(value)
    return int(nearest) if abs(value - nearest) <= tolerance else value


def number(text: str) -> float | int:
    """A number as written: an int when it has no fraction, else a float."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def xyxy(box_xywh: Sequence[float]) -> tuple[float, float, float, float]:
    x, y, w, h = box_xywh
    return x, y, x + w, y + h


def build_sample(
    image: np.ndarray, objects: Sequence[SourceObject], fmt: str, plan: dict[str, Any]
) -> Sample:
    """Rasterizes checked annotations into a Sample (see the module's overlap rule)."""
    height, width = image.shape[:2]
    if len(objects) > MAX_INSTANCES:
        raise DatasetError(
            f"{plan.get('source', {}).get('file')}: {len(objects)} annotations, more than "
            f"synthgen's {MAX_INSTANCES} instances per image"
        )
    shapes = [_own_mask(obj, height, width) for obj in objects]
    areas = [int(np.count_nonzero(mask)) for mask, _, _ in shapes]
    order = sorted(range(len(objects)), key=lambda k: (not objects[k].crowd, -areas[k], k))
    imap = np.zeros((height, width), dtype=np.uint16)
    for k in order:
        mask, (x0, y0), _ = shapes[k]
        imap[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]][mask] = k + 1
    instances = []
    for k, (obj, (mask, origin, box_only)) in enumerate(zip(objects, shapes, strict=True)):
        kps = None
        if obj.keypoints is not None:
            kps = obj.keypoints[:, :2].astype(np.float64)
            kps[obj.keypoints[:, 2] == 0] = np.nan  # flag 0: the object lacks that keypoint
        source = None
        if not obj.clipped:
            source = SourceLabel(
                fmt, obj.bbox_xywh, obj.record, obj.keypoints, obj.visibility, obj.truncation
            )
        instances.append(
            Instance(
                k + 1,
                obj.category,
                amodal_mask=mask,
                amodal_origin=origin,
                keypoints=kps,
                attributes=dict(obj.attributes),
                source=source,
                box_only=box_only,
            )
        )
    sample = Sample(image, imap, instances, plan=plan)
    seal_sources(sample)
    return sample


def _own_mask(
    obj: SourceObject, height: int, width: int
) -> tuple[np.ndarray, tuple[int, int], bool]:
    """An annotation's whole mask, cropped to its tight box: (mask, origin (x, y), box_only)."""
    seg = obj.segmentation
    if isinstance(seg, list) and seg:
        mask, origin = _polygons_mask(seg, height, width)
        if mask is not None:
            return mask, origin, False
    elif seg is not None and not isinstance(seg, list):
        rle = _rle(seg, height, width)
        x, y, w, h = (int(v) for v in coco_mask.toBbox(rle))
        if w > 0 and h > 0:
            full = coco_mask.decode(rle)
            return full[y : y + h, x : x + w].astype(bool, order="C"), (x, y), False
    # No outline, or one that covers no pixel centre (a sliver): the box stands for it.
    x0, y0, x1, y1 = round_out(xyxy(obj.bbox_xywh), height, width)
    return np.ones((y1 - y0, x1 - x0), dtype=bool), (x0, y0), True


def _polygons_mask(
    polygons: list[Any], height: int, width: int
) -> tuple[np.ndarray | None, tuple[int, int]]:
    """COCO polygons rasterized by pycocotools, as their tight patch and its origin."""
    polygons = [np.asarray(p, np.float64).ravel() for p in polygons]
    window = _window(polygons, height, width)
    if window is None:
        rle = coco_mask.merge(coco_mask.frPyObjects(polygons, height, width))
        x0 = y0 = 0
    else:
        x0, y0, x1, y1 = window
        shift = np.array([x0, y0], np.float64)
        shifted = [(p.reshape(-1, 2) - shift).ravel() for p in polygons]
        rle = coco_mask.merge(coco_mask.frPyObjects(shifted, y1 - y0, x1 - x0))
    x, y, w, h = (int(v) for v in coco_mask.toBbox(rle))
    if w <= 0 or h <= 0:
        return None, (0, 0)
    # pycocotools decodes column-major: the patch is made row-major once here, not copied
    # for OpenCV by every warp of every copy of the image.
    patch = coco_mask.decode(rle)[y : y + h, x : x + w].astype(bool, order="C")
    return patch, (x0 + x, y0 + y)


def _window(
    polygons: list[np.ndarray], height: int, width: int
) -> tuple[int, int, int, int] | None:
    """A window (x0, y0, x1, y1) of the image where pycocotools draws ``polygons`` exactly
    as on the whole image, or None.

    Rasterizing into a window around the polygons spares decoding a whole-image mask per
    instance. pycocotools rounds the 5x upsampled vertices with C casts and steps along
    each edge in floating point, so a shifted polygon is drawn shifted by the same whole
    pixels only when nothing there can round differently: whole-pixel vertices and edges
    along the axes (pixel-edge outlines, as synthgen and mask exporters write them), with
    no vertex repeated. The window reaches the image border wherever a polygon does (where
    pycocotools clips) and keeps a margin of 2 pixels elsewhere.
    """
    if len(polygons) == 1:  # the common case, without the joins (numpy calls dominate)
        pts = polygons[0].reshape(-1, 2)
        step = np.empty_like(pts)
        np.subtract(pts[1:], pts[:-1], out=step[:-1])
        np.subtract(pts[0], pts[-1], out=step[-1])  # the last vertex joins the first
    else:
        pts = np.concatenate(polygons).reshape(-1, 2)
        ends = np.cumsum([len(p) // 2 for p in polygons])
        after = np.arange(1, len(pts) + 1)
        after[ends - 1] = np.r_[0, ends[:-1]]  # each polygon's last vertex joins its first
        step = pts[after] - pts
    # Whole-pixel vertices, and each step along exactly one axis.
    if not (np.array_equal(pts, np.round(pts)) and np.all((step == 0).sum(axis=1) == 1)):
        return None
    (x_min, y_min), (x_max, y_max) = pts.min(axis=0).tolist(), pts.max(axis=0).tolist()
    x0 = min(max(int(x_min) - 2, 0), width)
    y0 = min(max(int(y_min) - 2, 0), height)
    x1 = max(min(int(x_max) + 3, width), x0)
    y1 = max(min(int(y_max) + 3, height), y0)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _rle(seg: dict[str, Any], height: int, width: int) -> dict[str, Any]:
    if isinstance(seg["counts"], list):
        return coco_mask.frPyObjects(seg, height, width)
    counts = seg["counts"]
    return {"size": seg["size"], "counts": counts.encode() if isinstance(counts, str) else counts}


_LEFT_RIGHT = re.compile(r"left|right|Left|Right|LEFT|RIGHT")
_SWAP = {"left": "right", "right": "left", "Left": "Right", "Right": "Left"}
_SWAP.update({"LEFT": "RIGHT", "RIGHT": "LEFT"})


def infer_flip_pairs(names: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Left/right keypoint pairs found by name (``left_eye`` <-> ``right_eye``), which a
    horizontal flip swaps; formats that do not list them (COCO) name them this way.

    >>> infer_flip_pairs(["nose", "left_eye", "right_eye"])
    (('left_eye', 'right_eye'),)
    """
    present = set(names)
    pairs = []
    for name in names:
        other = _LEFT_RIGHT.sub(lambda m: _SWAP[m.group()], name)
        if other != name and other in present and name < other:
            pairs.append((name, other) if "left" in name.lower() else (other, name))
    return tuple(pairs)


def unique_names(names: Sequence[str], where: str) -> None:
    """Refuses a category table with a name twice (synthgen keys classes by name)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DatasetError(
                f"{where}: class name {name!r} appears twice; give each class its own name"
            )
        seen.add(name)


def _fmt(values: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"
