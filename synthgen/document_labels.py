"""Document labels derived from a page's final pixels: word, line, entity and region boxes.

Every word is an instance whose ink is ``instance_map == word.id`` after the last pixel
operation (a rotation or a warp moves the id map with nearest-neighbour sampling), so a
word box is the tight box of that word's glyph pixels, and a line, entity or region box
is the tight box of its words' pixels. Nothing here reads a font metric.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.labels import ObjectLabel
from synthgen.sample import Document, Sample

Box = tuple[int, int, int, int]  # x0, y0, x1, y1; pixel (x, y) covers [x, x+1) x [y, y+1)


@dataclass(frozen=True)
class WordLabel:
    """A word with its tight box and its tight quadrilateral along the text (4 corners:
    top left, top right, bottom right, bottom left of the word as written; continuous
    pixel coordinates)."""

    id: int
    text: str
    bbox: Box
    quad: tuple[tuple[float, float], ...]
    line: int


@dataclass(frozen=True)
class GlyphLabel:
    """A grapheme cluster with the tight box of the ink it owns (where two glyphs' ink
    shares a pixel, the glyph with more coverage there owns it)."""

    id: int
    text: str
    word: int  # position in DocumentLabels.words
    start: int  # offset in DocumentLabels.text
    bbox: Box


@dataclass(frozen=True)
class LineLabel:
    words: tuple[int, ...]
    text: str
    bbox: Box


@dataclass(frozen=True)
class EntityLabel:
    id: int
    label: str
    field: str | None
    words: tuple[int, ...]
    text: str
    bbox: Box


@dataclass(frozen=True)
class DocumentLabels:
    """What document formats (FUNSD, Donut, hOCR) encode; layout regions travel as
    ordinary ObjectLabels, so COCO, YOLO and VOC write them unchanged."""

    words: list[WordLabel]
    lines: list[LineLabel]
    entities: list[EntityLabel]
    links: list[tuple[int, int]]
    fields: dict[str, Any]
    text: str
    glyphs: list[GlyphLabel]
    blocks: list[tuple[int, ...]]  # line indices per layout block, in reading order
    language: str | None


class DocumentLabelError(ValueError):
    """A word has no ink left on the page (a generator bug: layouts never hide words)."""


def derive_document_labels(
    sample: Sample, objects: list[ObjectLabel]
) -> tuple[list[ObjectLabel], DocumentLabels]:
    """Region labels (for image formats) and document labels, from per-instance labels.

    ``objects`` are ``derive_labels(sample)`` of a page: one per word and per graphic.
    """
    doc = sample.document
    assert doc is not None
    by_id = {o.instance_id: o for o in objects}
    glyphs = _glyphs(doc, by_id)
    if glyphs:
        by_id.update(_words_from_glyphs(doc, glyphs, by_id, sample.instance_map.shape))
    unwarp = None if doc.warp is None else np.linalg.inv(doc.warp)
    words = []
    for word in doc.words:
        obj = by_id.get(word.id)
        if obj is None:
            raise DocumentLabelError(f"word {word.text!r} (id {word.id}) has no visible ink")
        quad = _quad(obj, doc.warp, unwarp)
        words.append(WordLabel(word.id, word.text, obj.bbox_xyxy, quad, word.line))
    boxes = {w.id: w.bbox for w in words}
    texts = {w.id: w.text for w in words}
    lines = [
        LineLabel(ids, " ".join(texts[i] for i in ids), _union(boxes, ids)) for ids in doc.lines
    ]
    entities = [
        EntityLabel(
            e.id,
            e.label,
            e.field,
            e.words,
            " ".join(texts[i] for i in e.words),
            _union(boxes, e.words),
        )
        for e in doc.entities
    ]
    regions = _regions(doc, by_id, sample.instance_map.shape)
    labels = DocumentLabels(
        words, lines, entities, list(doc.links), doc.fields, doc.text, glyphs, doc.blocks,
        doc.language,
    )  # fmt: skip
    return regions, labels


def _glyphs(doc: Document, by_id: dict[int, ObjectLabel]) -> list[GlyphLabel]:
    labels = []
    for glyph in doc.glyphs:
        obj = by_id.get(glyph.id)
        if obj is None:
            raise DocumentLabelError(f"glyph {glyph.text!r} (id {glyph.id}) has no visible ink")
        labels.append(GlyphLabel(glyph.id, glyph.text, glyph.word, glyph.start, obj.bbox_xyxy))
    return labels


def _words_from_glyphs(
    doc: Document,
    glyphs: list[GlyphLabel],
    by_id: dict[int, ObjectLabel],
    image_size: tuple[int, int],
) -> dict[int, ObjectLabel]:
    """Each word as one object whose pixels are its glyphs' pixels."""
    members: dict[int, list[ObjectLabel]] = {}
    for glyph in glyphs:
        members.setdefault(glyph.word, []).append(by_id[glyph.id])
    words = {}
    for index, parts in members.items():
        x0, y0, x1, y1 = box = union_box(o.bbox_xyxy for o in parts)
        mask = np.zeros((y1 - y0, x1 - x0), bool)
        for o in parts:
            gx0, gy0, gx1, gy1 = o.bbox_xyxy
            mask[gy0 - y0 : gy1 - y0, gx0 - x0 : gx1 - x0] |= o.mask
        word = doc.words[index]
        words[word.id] = ObjectLabel(word.id, "word", box, mask, image_size)
    return words


def union_box(boxes: Iterable[Box]) -> Box:
    """The tight box around boxes (of pixels: so the tight box of their pixels' union)."""
    x0, y0, x1, y1 = zip(*boxes, strict=True)
    return min(x0), min(y0), max(x1), max(y1)


def _union(boxes: dict[int, Box], ids: tuple[int, ...]) -> Box:
    return union_box(boxes[i] for i in ids)


def _regions(
    doc: Document, by_id: dict[int, ObjectLabel], image_size: tuple[int, int]
) -> list[ObjectLabel]:
    """One label per layout region: its box is the tight box of its members' pixels and its
    mask fills that box (layout datasets such as PubLayNet and DocLayNet label blocks as
    rectangles). A region whose members all left the page is dropped."""
    regions = []
    for number, region in enumerate(doc.regions, start=1):
        members = [i for i in region.members if i in by_id]
        if not members:
            continue
        box = _union({i: by_id[i].bbox_xyxy for i in members}, tuple(members))
        mask = np.ones((box[3] - box[1], box[2] - box[0]), dtype=bool)
        regions.append(
            ObjectLabel(number, region.kind, box, mask, image_size, attributes=region.attributes)
        )
    return regions


def _quad(
    obj: ObjectLabel, warp: np.ndarray | None, unwarp: np.ndarray | None
) -> tuple[tuple[float, float], ...]:
    """The word's tight quadrilateral along its text direction: the corners of its pixels
    are mapped back to the laid-out page (through ``unwarp``, the inverse of ``warp``),
    boxed tightly there, and the box's corners mapped forward. Without a warp it is the
    word's box. (A homography maps the hull of the corners onto the hull of their images,
    so the box of all the row-end corners is the box of the hull: no hull is needed.)"""
    x0, y0, x1, y1 = obj.bbox_xyxy
    if warp is None or unwarp is None:
        return (
            (x0 * 1.0, y0 * 1.0),
            (x1 * 1.0, y0 * 1.0),
            (x1 * 1.0, y1 * 1.0),
            (x0 * 1.0, y1 * 1.0),
        )
    # Continuous coordinates (pixel corners) -> OpenCV's pixel centres and back: -0.5, +0.5.
    tops = _row_ends(obj.mask) + np.array([x0 - 0.5, y0 - 0.5])
    if unwarp[2, 0] == 0 and unwarp[2, 1] == 0:
        # Affine (a skew, a rotation): a row's bottom corners are its top corners moved by
        # the image of (0, 1), so the top corners alone give the box, a quarter of the work.
        scale = unwarp[2, 2]
        flat = (tops @ unwarp[:2, :2].T + unwarp[:2, 2]) / scale
        down = unwarp[:2, 1] / scale
        lo = flat.min(0) + np.minimum(down, 0) + 0.5
        hi = flat.max(0) + np.maximum(down, 0) + 0.5
    else:
        bottoms = tops + np.array([0.0, 1.0])
        flat = _project(np.concatenate([tops, bottoms]), unwarp) + 0.5
        lo, hi = flat.min(0), flat.max(0)
    (u0, v0), (u1, v1) = lo.tolist(), hi.tolist()
    h = warp.tolist()  # four points: plain floats cost less than numpy's calls
    return tuple(_forward(h, u, v) for u, v in ((u0, v0), (u1, v0), (u1, v1), (u0, v1)))


def _forward(h: list[list[float]], u: float, v: float) -> tuple[float, float]:
    """A continuous point through homography ``h`` (pixel-centre coordinates), rounded."""
    u, v = u - 0.5, v - 0.5
    w = h[2][0] * u + h[2][1] * v + h[2][2]
    x = (h[0][0] * u + h[0][1] * v + h[0][2]) / w + 0.5
    y = (h[1][0] * u + h[1][1] * v + h[1][2]) / w + 0.5
    return round(x, 2), round(y, 2)


def _project(points: np.ndarray, h: np.ndarray) -> np.ndarray:
    """(N, 2) points through a 3x3 homography."""
    out = points @ h[:, :2].T + h[:, 2]
    return out[:, :2] / out[:, 2:]


def _row_ends(mask: np.ndarray) -> np.ndarray:
    """The top-left corner of each row's first pixel and the top-right corner of its last:
    with the same two a row lower, their hull is the hull of all the mask's pixel
    squares, from 4 points a row instead of 4 a pixel."""
    rows = np.flatnonzero(mask.any(1))
    sub = mask if len(rows) == len(mask) else mask[rows]  # a word's rows mostly all have ink
    n = len(rows)
    out = np.empty((2, n, 2))
    out[0, :, 0] = sub.argmax(1)
    out[1, :, 0] = sub.shape[1] - sub[:, ::-1].argmax(1)  # exclusive: the right edge
    out[:, :, 1] = rows
    return out.reshape(2 * n, 2)
