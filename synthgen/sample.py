"""The one data model every generator emits: pixels plus the geometry it knows exactly.

A Sample carries no boxes, polygons or visibility: those are derived from ``instance_map``
by :mod:`synthgen.labels` after the last pixel operation, so they can never disagree with
the pixels.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

MAX_INSTANCES = 65535  # instance maps are written as 16-bit PNGs


@dataclass(frozen=True)
class Category:
    """A labeled class. ``id`` is global and stable: it comes from the recipe's class order."""

    id: int
    name: str
    supercategory: str = "object"
    keypoints: tuple[str, ...] = ()
    skeleton: tuple[tuple[str, str], ...] = ()
    flip_pairs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Camera:
    """A pinhole camera in OpenCV convention: x right, y down, z forward.

    ``K`` is 3x3 with the centre of pixel (u, v) at (u, v), as OpenCV and BOP use it (so a
    point projects to continuous coordinates u + 0.5, v + 0.5 in synthgen's convention).
    ``world_to_camera`` is a 4x4 rigid transform in metres.
    """

    K: np.ndarray
    world_to_camera: np.ndarray
    width: int
    height: int


@dataclass(frozen=True)
class SourceLabel:
    """An instance's label exactly as a source dataset gave it (set by :mod:`synthgen.readers`).

    It stands for the instance only while the instance is untouched: ``derive_labels``
    uses it when the instance map inside ``window`` (x0, y0, x1, y1), the instance's own
    mask and its keypoints are still what the reader made (``seal``, a hash of them), and
    derives the label from pixels otherwise. Transforms that move, hide or reveal an
    instance's pixels should also set ``Instance.source`` to None; the seal makes one that
    forgets it safe.

    ``format`` is the reader's name; ``bbox_xywh`` the box in continuous pixel coordinates
    as the source has it (floats where the source has them; VOC and YOLO converted);
    ``record`` the format's own entry, kept verbatim so that writing the same format
    gives it back unchanged (COCO: the annotation without ``id``, ``image_id`` and
    ``category_id``; YOLO: ``{"kind": "box" | "polygon", "values": [tokens]}``; VOC: the
    ``<object>`` element as XML bytes); ``keypoints`` (K, 3) x, y and the source's flag;
    ``visibility`` and ``truncation`` where the source states them (synthgen's COCO does).
    """

    format: str
    bbox_xywh: tuple[float, float, float, float]
    record: Any
    keypoints: np.ndarray | None = None
    visibility: float | None = None
    truncation: float | None = None
    window: tuple[int, int, int, int] = (0, 0, 0, 0)
    seal: bytes = b""


@dataclass
class Instance:
    """One labeled object as placed by a generator.

    ``amodal_mask`` is the whole object, hidden and off-image parts included, as a boolean
    patch whose top-left pixel sits at ``amodal_origin`` (x, y) in image coordinates (it may
    be negative). ``keypoints`` is (K, 2) in continuous image coordinates, in the order of
    the category's keypoint names; a NaN row is a keypoint the object does not have.
    ``keypoint_depth`` (K,) is each keypoint's z in the camera frame, when the generator
    knows it: visibility then comes from a depth test against ``Sample.depth``.

    3D generators add ``model`` (the mesh's id), ``pose`` (4x4 model -> camera, metres) and
    ``bounds`` (2x3 model-space axis-aligned box, metres).

    Instances read from a dataset (:mod:`synthgen.readers`) carry ``source``, their label
    as the dataset gave it, and ``box_only`` when the dataset has only a box for them: the
    mask is then that box, not the object's outline, and geometric steps must treat it so.
    """

    id: int
    category: str
    amodal_mask: np.ndarray | None = None
    amodal_origin: tuple[int, int] = (0, 0)
    keypoints: np.ndarray | None = None
    keypoint_depth: np.ndarray | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    pose: np.ndarray | None = None
    bounds: np.ndarray | None = None
    source: SourceLabel | None = None
    box_only: bool = False


@dataclass
class Sample:
    """Pixels and exact geometry of one generated sample.

    ``image`` is HxWx3 uint8 RGB; ``instance_map`` is HxW with 0 for background (and for
    unlabeled occluders) and ``Instance.id`` wherever that object is the visible surface.
    ``plan`` is the small, JSON-serializable record the generator sampled before rendering:
    the sample can be rebuilt from it alone. ``depth`` is z-depth (distance along the
    camera's axis, not along the ray) in metres, 0 for background.
    """

    image: np.ndarray
    instance_map: np.ndarray
    instances: list[Instance]
    plan: dict[str, Any] = field(default_factory=dict)
    depth: np.ndarray | None = None  # HxW float32 z-depth in metres, 0 where nothing is
    camera: Camera | None = None
    document: Document | None = None

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(
                f"Sample.image must be HxWx3 uint8, got {self.image.shape} {self.image.dtype}"
            )
        if self.instance_map.shape != self.image.shape[:2]:
            raise ValueError(
                f"Sample.instance_map shape {self.instance_map.shape} does not match "
                f"image {self.image.shape[:2]}"
            )
        if not np.issubdtype(self.instance_map.dtype, np.integer):
            raise ValueError(f"Sample.instance_map must be integer, got {self.instance_map.dtype}")
        if self.depth is not None and self.depth.shape != self.image.shape[:2]:
            raise ValueError(f"Sample.depth shape {self.depth.shape} does not match the image")
        ids = [inst.id for inst in self.instances]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Sample instance ids are not unique: {ids}")
        if ids and not 0 < min(ids) <= max(ids) <= MAX_INSTANCES:
            raise ValueError(f"instance ids must lie in 1..{MAX_INSTANCES}, got {ids}")

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


class Span(NamedTuple):
    """An entity: ``text[start:end] == value`` in the sample's text (offsets in code points
    of the NFC-normalized text, end exclusive). A named tuple, not a frozen dataclass: a
    sentence makes a few and the dataclass's ``__init__`` costs several times more."""

    start: int
    end: int
    label: str
    value: str


@dataclass
class TextSample:
    """A text sample built by concatenation, so its entity offsets are exact by construction.

    ``classes`` holds sample-level labels by task (``{"intent": "check_balance"}``);
    ``attributes`` the sampled attributes a bias study controls (``{"gender": "female",
    "locale": "de_DE"}``). Token labels are derived from ``text`` and ``spans`` afterwards.
    """

    text: str
    spans: list[Span]
    classes: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not unicodedata.is_normalized("NFC", self.text):
            raise ValueError(f"TextSample.text must be NFC-normalized: {self.text!r}")
        text, end = self.text, 0
        for span in sorted(self.spans):  # by start (then end)
            start, stop, _, value = span
            if not 0 <= start < stop <= len(text):
                raise ValueError(f"span {span} is empty or outside the text {text!r}")
            if text[start:stop] != value:
                raise ValueError(f"span {span} does not slice to its value in {text!r}")
            if start < end:
                raise ValueError(f"spans overlap at {span} in {text!r}")
            end = stop


@dataclass(frozen=True)
class Word:
    """One word on a page. ``id`` is its instance id: its ink is ``instance_map == id`` (or,
    in a document with glyphs, its glyphs' ink), so its box comes from the glyph pixels,
    never from font metrics. ``line`` indexes ``Document.lines``."""

    id: int
    text: str
    line: int


@dataclass(frozen=True)
class Glyph:
    """One character as a reader sees it: a grapheme cluster ("é", "g\u0303", "🇩🇪"), never
    a code point alone. ``id`` is its instance id (its ink is ``instance_map == id``),
    ``word`` its word's position in ``Document.words`` and ``start`` its offset (code
    points) in ``Document.text``. Spaces have no ink and no glyph."""

    id: int
    text: str
    word: int
    start: int


@dataclass(frozen=True)
class Entity:
    """A run of words with one meaning, as FUNSD has it: ``label`` is ``header``,
    ``question`` (a key), ``answer`` (a value) or ``other``; ``field`` names the filled
    field the words show (``invoice_number``, ``items.2.amount``), None for literal text."""

    id: int
    label: str
    words: tuple[int, ...]
    field: str | None = None


@dataclass(frozen=True)
class Region:
    """A layout block for layout detection (``kind``: title, text, key, value, table,
    figure, checkbox, barcode...). ``members`` are the instance ids (words or graphics)
    whose pixels make it up, so its box is derived from pixels like any other.
    ``attributes`` go with its label (a barcode's symbology and decoded text)."""

    kind: str
    members: tuple[int, ...]
    attributes: dict[str, Any] | None = None


@dataclass
class Document:
    """What a page says and how it is organized, beside the Sample's pixels.

    ``words`` and ``lines`` are in reading order (a line is a tuple of word ids);
    ``links`` are (key entity id, value entity id) pairs; ``fields`` is the structured
    ground truth (the filled fields as JSON, Donut's ``gt_parse``). Graphics (logos,
    check boxes, signatures) are instances without words; regions refer to them.
    ``warp`` is the 3x3 homography a geometric degradation applied to the laid-out page
    (OpenCV pixel-centre coordinates), None when the page was not moved: it orients word
    quadrilaterals along the text.

    ``blocks`` group lines (indices into ``lines``) as the page's layout blocks do, in
    reading order; ``language`` is the text's ISO 639-1 code (``de``), when known.

    ``glyphs`` are set by generators that label characters (text lines): the instance map
    then holds glyph ids, and a word's pixels are its glyphs' (its ``id`` is its own, in
    no pixel).
    """

    words: list[Word]
    lines: list[tuple[int, ...]]
    entities: list[Entity]
    links: list[tuple[int, int]]
    regions: list[Region]
    fields: dict[str, Any]
    warp: np.ndarray | None = None
    glyphs: list[Glyph] = field(default_factory=list)
    blocks: list[tuple[int, ...]] = field(default_factory=list)
    language: str | None = None

    @property
    def text(self) -> str:
        """The page's text: lines in reading order joined by newlines, words by spaces."""
        by_id = {w.id: w.text for w in self.words}
        return "\n".join(" ".join(by_id[i] for i in line) for line in self.lines)
