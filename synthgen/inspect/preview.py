"""``synthgen preview``: a contact sheet of images with their labels drawn on them.

Labels are read back from the written files (text lines from ocr/labels.jsonl, pages from
FUNSD, else COCO through pycocotools, else YOLO), not from memory, so the sheet shows what a
user's loader will see: mask tint and outline, box, class name, keypoints coloured by
visibility (green visible, orange occluded); character and word boxes.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import orjson

from synthgen.errors import OutputError
from synthgen.files import atomic_write_bytes, encode_image, read_image
from synthgen.run.manifest import RUN_FILE, Manifest
from synthgen.writers.coco import ANNOTATION_FILE
from synthgen.writers.document import FUNSD_DIR, FUNSD_LABELS
from synthgen.writers.masks import class_colors
from synthgen.writers.ocr import LABELS_FILE as OCR_LABELS
from synthgen.writers.yolo import LABELS_DIR

KP_COLOURS = {1: (255, 150, 0), 2: (40, 220, 40)}


@dataclass
class Drawn:
    """One object to draw, in image pixels."""

    name: str
    colour: tuple[int, int, int]
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 (ends exclusive)
    mask: np.ndarray | None = None
    keypoints: np.ndarray | None = None  # (K, 3)
    skeleton: list[tuple[int, int]] = field(default_factory=list)


def write_preview(
    root: Path, out: Path, count: int = 16, columns: int = 4, tile_width: int = 480
) -> None:
    """Writes a PNG contact sheet of the first ``count`` images of the dataset at ``root``."""
    images = list(_load(root, count))
    if not images:
        raise OutputError(f"{root}: no finished samples to preview")
    tiles = [_tile(root / file, objs, tile_width) for file, objs in images]
    th = max(t.shape[0] for t in tiles)
    rows = []
    for r in range(0, len(tiles), columns):
        row = [np.pad(t, ((0, th - t.shape[0]), (0, 0), (0, 0))) for t in tiles[r : r + columns]]
        row += [np.zeros_like(row[0])] * (columns - len(row)) if len(tiles) > columns else []
        rows.append(np.hstack(row))
    sheet = np.vstack(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, encode_image(sheet, "png"))


def _load(root: Path, count: int) -> Iterator[tuple[str, list[Drawn]]]:
    if not (root / RUN_FILE).exists():
        raise OutputError(f"{root}: no {RUN_FILE}; is this a synthgen output folder?")
    manifest = Manifest(root)
    if not manifest.path.exists():
        raise OutputError(f"{root}: no manifest yet; the run made no sample")
    files = []
    for rec in manifest.records():
        if rec["status"] == "ok":
            files.append(rec["image"]["file"])
        if len(files) == count:
            break
    if (root / OCR_LABELS).exists():
        yield from _from_ocr(root, files)
    elif (root / FUNSD_DIR).is_dir():
        yield from _from_funsd(root, files)
    elif (root / ANNOTATION_FILE).exists():
        yield from _from_coco(root, files)
    elif (root / "data.yaml").exists():
        yield from _from_yolo(root, files)
    else:
        yield from ((f, []) for f in files)


def _from_coco(root: Path, files: list[str]) -> Iterator[tuple[str, list[Drawn]]]:
    from pycocotools.coco import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(root / ANNOTATION_FILE))
    colours = class_colors(max(coco.cats) + 1)
    by_name = {img["file_name"]: img for img in coco.imgs.values()}
    for file in files:
        img = by_name.get(Path(file).name)
        objs = []
        for ann in coco.imgToAnns.get(img["id"], []) if img else []:
            cat = coco.cats[ann["category_id"]]
            x, y, w, h = ann["bbox"]
            kps = np.array(ann["keypoints"], float).reshape(-1, 3) if "keypoints" in ann else None
            objs.append(
                Drawn(
                    cat["name"],
                    _rgb(colours[ann["category_id"]]),
                    (x, y, x + w, y + h),
                    coco.annToMask(ann).astype(bool) if "segmentation" in ann else None,
                    kps,
                    [(a - 1, b - 1) for a, b in cat.get("skeleton", [])],
                )
            )
        yield file, objs


def _from_ocr(root: Path, files: list[str]) -> Iterator[tuple[str, list[Drawn]]]:
    """Text lines: every character's box (red) inside its word's box (green)."""
    wanted = set(files)
    with (root / OCR_LABELS).open(encoding="utf-8") as lines:
        for line in lines:
            row = orjson.loads(line)
            if row["image"] in wanted:
                words = [Drawn("", (40, 170, 40), tuple(w["box"])) for w in row["words"]]
                yield (
                    row["image"],
                    words + [Drawn("", (230, 40, 40), tuple(c["box"])) for c in row["chars"]],
                )


def _from_funsd(root: Path, files: list[str]) -> Iterator[tuple[str, list[Drawn]]]:
    """Document pages: every word's box, coloured by its entity's FUNSD label."""
    palette = class_colors(len(FUNSD_LABELS) + 1)[1:]
    colours = {label: _rgb(c) for label, c in zip(FUNSD_LABELS, palette, strict=True)}
    for file in files:
        path = root / FUNSD_DIR / "annotations" / f"{Path(file).stem}.json"
        form = orjson.loads(path.read_bytes())["form"] if path.exists() else []
        yield (
            file,
            [
                Drawn("", colours.get(e["label"], (128, 128, 128)), tuple(w["box"]))
                for e in form
                for w in e["words"]
            ],
        )


def _from_yolo(root: Path, files: list[str]) -> Iterator[tuple[str, list[Drawn]]]:
    import yaml

    names = yaml.safe_load((root / "data.yaml").read_text())["names"]
    colours = class_colors(len(names) + 1)
    for file in files:
        img = read_image(root / file)
        h, w = img.shape[:2]
        objs = []
        label_file = root / LABELS_DIR / f"{Path(file).stem}.txt"
        for line in label_file.read_text().splitlines() if label_file.exists() else []:
            cls, *vals = line.split()
            v = np.array(vals, float)
            if len(v) == 4:
                box = (
                    (v[0] - v[2] / 2) * w,
                    (v[1] - v[3] / 2) * h,
                    (v[0] + v[2] / 2) * w,
                    (v[1] + v[3] / 2) * h,
                )
            else:
                xs, ys = v[0::2] * w, v[1::2] * h
                box = (xs.min(), ys.min(), xs.max(), ys.max())
            colour = _rgb(colours[int(cls) + 1])
            objs.append(Drawn(names[int(cls)], colour, box))
        yield file, objs


def _rgb(c: np.ndarray) -> tuple[int, int, int]:
    return int(c[0]), int(c[1]), int(c[2])


def _tile(path: Path, objs: list[Drawn], tile_width: int) -> np.ndarray:
    img = read_image(path, cv2.IMREAD_COLOR)
    s = tile_width / img.shape[1]
    size = (tile_width, round(img.shape[0] * s))
    tile = cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    overlay = tile.copy()
    for obj in objs:
        if obj.mask is not None:
            small = cv2.resize(obj.mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
            overlay[small > 0] = obj.colour
    tile = cv2.addWeighted(overlay, 0.4, tile, 0.6, 0)
    for obj in objs:
        _draw(tile, obj, s, size)
    return tile


def _draw(tile: np.ndarray, obj: Drawn, s: float, size: tuple[int, int]) -> None:
    if obj.mask is not None:
        small = cv2.resize(obj.mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
        contours, _ = cv2.findContours(small, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(tile, contours, -1, obj.colour, 1, cv2.LINE_AA)
    x0, y0, x1, y1 = (round(v * s) for v in obj.box)
    # A box covers pixels x0..x1-1: draw on its outermost pixels, not one past them.
    cv2.rectangle(tile, (x0, y0), (max(x1 - 1, x0), max(y1 - 1, y0)), obj.colour, 1)
    if obj.name:
        _label(tile, obj.name, x0, y0, obj.colour)
    if obj.keypoints is not None:
        pts = obj.keypoints
        for a, b in obj.skeleton:
            if pts[a, 2] > 0 and pts[b, 2] > 0:
                pa, pb = (pts[[a, b], :2] * s * 16).round().astype(int)
                cv2.line(tile, tuple(pa), tuple(pb), (255, 255, 255), 1, cv2.LINE_AA, shift=4)
        for x, y, v in pts:
            if v > 0:
                centre = (round((x * s - 0.5) * 16), round((y * s - 0.5) * 16))
                cv2.circle(tile, centre, 3 * 16, KP_COLOURS[int(v)], -1, cv2.LINE_AA, shift=4)
                cv2.circle(tile, centre, 3 * 16, (0, 0, 0), 1, cv2.LINE_AA, shift=4)


def _label(tile: np.ndarray, text: str, x: int, y: int, colour: tuple[int, int, int]) -> None:
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.4
    (tw, th), base = cv2.getTextSize(text, font, scale, 1)
    y_top = max(y - th - base - 2, 0)
    cv2.rectangle(tile, (x, y_top), (x + tw + 4, y_top + th + base + 2), colour, -1)
    luma = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    ink = (0, 0, 0) if luma > 140 else (255, 255, 255)
    cv2.putText(tile, text, (x + 2, y_top + th + 1), font, scale, ink, 1, cv2.LINE_AA)
