"""``synthgen validate`` for document pages: FUNSD, Donut and hOCR read back.

FUNSD JSON is held to what its readers assume: every box inside the page, an entity's
box the union of its words' boxes and its text their words joined by spaces, link ends
that exist and list the link on both sides. Donut's metadata.jsonl must hold one line per
page in sample order, each with a ground truth that parses to the manifest's ``gt_parse``
and its image beside it. hOCR must parse as XML, and where FUNSD was written too, hold the
same words with the same boxes. Barcodes (COCO regions whose attributes name a symbology)
must decode from their page with zxing-cpp to their labeled data, inside their box.
"""

from __future__ import annotations

import filecmp
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import regex

from synthgen.document_labels import Box, union_box
from synthgen.generators.document.barcodes import FORMATS
from synthgen.writers.document import (
    DONUT_DIR,
    DONUT_METADATA,
    FUNSD_DIR,
    FUNSD_LABELS,
    HOCR_DIR,
)

Defect = Callable[[str, str], None]
Record = dict[str, Any]
WordKey = tuple[Box, str]  # a word as both FUNSD and hOCR can say it: box and text
DOCUMENT_FORMATS = ("funsd", "donut", "hocr")
_CLUSTER = regex.compile(r"\X")


def check_document(root: Path, formats: list[str], records: list[Record], defect: Defect) -> str:
    """Checks every document format in ``formats``; returns a one-line summary."""
    done = []
    funsd: dict[int, list[WordKey]] = {}
    if "funsd" in formats:
        funsd = _funsd(root, records, defect)
        done.append("funsd")
    if "donut" in formats:
        _donut(root, records, defect)
        done.append("donut")
    if "hocr" in formats:
        _hocr(root, records, funsd, defect)
        done.append("hocr" + (" (words == FUNSD words)" if "funsd" in formats else ""))
    return f"document: {len(records)} pages; read back {', '.join(done)}"


def _size(rec: Record) -> tuple[int, int]:
    return rec["image"]["width"], rec["image"]["height"]


def _inside(box: Any, size: tuple[int, int]) -> bool:
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= size[0] and 0 <= y0 < y1 <= size[1]


def _box(value: Any) -> Box:
    """A box as read from a file, kept as written (a float stays a float and fails)."""
    x0, y0, x1, y1 = value
    return x0, y0, x1, y1


# ---------------------------------------------------------------------------- barcodes


def check_barcodes(
    root: Path, coco: Any, files: dict[int, str], defect: Defect, where: str
) -> str | None:
    """Reads every page that has codes in ``coco`` (a pycocotools COCO; ``files``: image id
    -> file under ``root``) with zxing-cpp. A code that decodes to other data than its
    label's, and one the reader finds where no label is, are defects; a code it cannot
    read (a stamp over it, a page degraded on purpose) is counted, not blamed. Returns the
    summary line."""
    codes: dict[int, list[dict[str, Any]]] = {}
    for ann in coco.anns.values():
        if "symbology" in (ann.get("attributes") or {}):
            codes.setdefault(ann["image_id"], []).append(ann)
    if not codes:
        return None
    import zxingcpp

    kinds = {name: getattr(zxingcpp.BarcodeFormat, f) for name, f in FORMATS.items()}
    formats = zxingcpp.BarcodeFormats(list(kinds.values()))
    read = unreadable = 0
    for image_id, anns in sorted(codes.items()):
        page = cv2.imread(str(root / files[image_id]), cv2.IMREAD_GRAYSCALE)
        if page is None:
            continue  # the image check reports it
        found = list(zxingcpp.read_barcodes(page, formats=formats, try_invert=False))
        for ann in anns:
            label = ann["attributes"]
            hit = _code_at(found, ann["bbox"], kinds.get(label["symbology"]))
            if hit is None:
                unreadable += 1
            elif hit.text != label["data"]:
                message = f"decodes to {hit.text!r}, labeled {label['data']!r}"
                defect(f"{where} annotation {ann['id']}", message)
            else:
                read += 1
        for extra in found:  # what the reader found that no code label accounts for
            message = f"a {extra.format} reading {extra.text!r} at {_center(extra)} is unlabeled"
            defect(files[image_id], message)
    total = sum(map(len, codes.values()))
    line = f"barcodes: {read} of {total} decoded by zxing-cpp to their labeled data in their box"
    return line + (f"; {unreadable} unreadable on their page" if unreadable else "")


def _code_at(found: list[Any], bbox: list[int], kind: Any) -> Any:
    """Takes out of ``found`` the code of format ``kind`` centred in ``bbox`` (x, y, w, h)."""
    x, y, w, h = bbox
    for k, code in enumerate(found):
        cx, cy = _center(code)
        if code.format == kind and x <= cx <= x + w and y <= cy <= y + h:
            return found.pop(k)
    return None


def _center(code: Any) -> tuple[int, int]:
    p = code.position
    corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
    return round(sum(c.x for c in corners) / 4), round(sum(c.y for c in corners) / 4)


# ---------------------------------------------------------------------------- FUNSD


def _funsd(root: Path, records: list[Record], defect: Defect) -> dict[int, list[WordKey]]:
    """Checks every page's FUNSD file; returns each page's words for the hOCR check."""
    words: dict[int, list[WordKey]] = {}
    for rec in records:
        stem, name = Path(rec["image"]["file"]).stem, Path(rec["image"]["file"]).name
        where = f"{FUNSD_DIR}/annotations/{stem}.json"
        if not (root / FUNSD_DIR / "images" / name).exists():
            defect(f"{FUNSD_DIR}/images/{name}", "missing: FUNSD readers look for it there")
        try:
            form = json.loads((root / where).read_text(encoding="utf-8"))["form"]
            page = _funsd_page(where, form, _size(rec), defect)
        except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
            defect(where, f"missing or not FUNSD form JSON ({type(err).__name__}: {err})")
            continue
        words[rec["index"]] = page
        written = rec["labels"].get("funsd") or {}
        if written.get("entities", len(form)) != len(form):
            defect(where, f"{len(form)} entities, {written['entities']} written")
        if written.get("words", len(page)) != len(page):
            defect(where, f"{len(page)} words, {written['words']} written")
    return words


def _funsd_page(
    where: str, form: list[dict[str, Any]], size: tuple[int, int], defect: Defect
) -> list[WordKey]:
    by_id = {e["id"]: e for e in form}
    if len(by_id) != len(form):
        defect(where, "entity ids repeat")
    words = []
    for entity in form:
        at = f"{where} entity {entity['id']}"
        words += _funsd_entity(at, entity, size, defect)
        for pair in entity["linking"]:
            _funsd_link(at, entity["id"], pair, by_id, defect)
    return words


def _funsd_entity(
    where: str, entity: dict[str, Any], size: tuple[int, int], defect: Defect
) -> list[WordKey]:
    if entity["label"] not in FUNSD_LABELS:
        defect(where, f"label '{entity['label']}' is not one of {', '.join(FUNSD_LABELS)}")
    words = [(_box(w["box"]), w["text"]) for w in entity["words"]]
    if not words:
        defect(where, "has no words")
        return words
    for box, text in words:
        if not _inside(box, size):
            defect(where, f"word {text!r} box {list(box)} leaves the {size[0]}x{size[1]} page")
    if not _inside(entity["box"], size):
        defect(where, f"box {entity['box']} leaves the {size[0]}x{size[1]} page")
    union = union_box([box for box, _ in words])
    if _box(entity["box"]) != union:
        defect(where, f"box {entity['box']} != union of its word boxes {list(union)}")
    joined = " ".join(text for _, text in words)
    if entity["text"] != joined:
        defect(where, f"text {entity['text']!r} != its words joined by spaces {joined!r}")
    return words


def _funsd_link(
    where: str, own: int, pair: list[int], by_id: dict[int, dict[str, Any]], defect: Defect
) -> None:
    """A link must name this entity, name entities that exist, and appear on both ends."""
    if own not in pair:
        defect(where, f"linking {pair} does not include the entity itself")
    for end in pair:
        if end not in by_id:
            defect(where, f"linking {pair} names missing entity {end}")
        elif pair not in by_id[end]["linking"]:
            defect(where, f"linking {pair} is missing on entity {end}")


# ---------------------------------------------------------------------------- Donut


def _donut(root: Path, records: list[Record], defect: Defect) -> None:
    try:
        lines = (root / DONUT_METADATA).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        defect(DONUT_METADATA, f"unreadable ({err.strerror})")
        return
    if len(lines) != len(records):
        defect(DONUT_METADATA, f"{len(lines)} lines, manifest has {len(records)} samples")
    for k, (line, rec) in enumerate(zip(lines, records, strict=False)):
        where = f"{DONUT_METADATA}:{k + 1}"
        try:
            row = json.loads(line)
            truth = json.loads(row["ground_truth"])
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            defect(where, f"not a Donut line ({type(err).__name__}: {err})")
            continue
        name = Path(rec["image"]["file"]).name
        if row.get("file_name") != name:
            defect(where, f"file_name {row.get('file_name')!r} != sample {rec['index']}'s {name}")
        if not isinstance(truth, dict) or not isinstance(truth.get("gt_parse"), dict):
            defect(where, "ground_truth has no gt_parse object")
        elif truth["gt_parse"] != rec["labels"].get("donut"):
            defect(where, "gt_parse differs from the sample's labels in the manifest")
        _donut_image(root, rec, defect)


def _donut_image(root: Path, rec: Record, defect: Defect) -> None:
    name = Path(rec["image"]["file"]).name
    image = root / DONUT_DIR / name
    if not image.exists():
        defect(f"{DONUT_DIR}/{name}", "missing")
    elif not filecmp.cmp(image, root / rec["image"]["file"], shallow=True):
        defect(f"{DONUT_DIR}/{name}", f"differs from {rec['image']['file']}")


# ---------------------------------------------------------------------------- hOCR


def _hocr(
    root: Path, records: list[Record], funsd: dict[int, list[WordKey]], defect: Defect
) -> None:
    for rec in records:
        where = f"{HOCR_DIR}/{Path(rec['image']['file']).stem}.hocr"
        try:
            html = ET.parse(root / where).getroot()
            words = _hocr_page(root, where, html, rec, defect)
        except (OSError, ET.ParseError, KeyError, ValueError) as err:
            defect(where, f"missing or not hOCR ({type(err).__name__}: {err})")
            continue
        ref = funsd.get(rec["index"])
        if ref is None:
            continue
        if len(words) != len(ref):
            defect(where, f"{len(words)} words, FUNSD has {len(ref)}")
        elif sorted(words) != sorted(ref):
            first = next(w for w, r in zip(sorted(words), sorted(ref), strict=True) if w != r)
            defect(where, f"word {first[1]!r} box {list(first[0])} differs from FUNSD's words")


def _hocr_page(
    root: Path, where: str, html: ET.Element, rec: Record, defect: Defect
) -> list[WordKey]:
    pages = _by_class(html, "ocr_page")
    if len(pages) != 1:
        raise ValueError(f"{len(pages)} ocr_page elements, expected 1")
    props = _props(pages[0])
    size = _size(rec)
    if _bbox(props) != (0, 0, *size):
        defect(where, f"ocr_page bbox {props.get('bbox')} != 0 0 {size[0]} {size[1]}")
    image = props.get("image", "").strip('"')
    if not (root / HOCR_DIR / image).is_file():
        defect(where, f"ocr_page image {image!r} does not name a file (relative to hocr/)")
    for area in _by_class(html, "ocr_carea"):
        boxes = [_bbox(_props(line)) for line in _by_class(area, "ocr_line")]
        if boxes and _bbox(_props(area)) != union_box(boxes):
            defect(where, f"text area {area.get('id')} bbox is not the union of its lines")
    words: list[WordKey] = []
    for k, line in enumerate(_by_class(html, "ocr_line"), start=1):
        own = [(_bbox(_props(w)), "".join(w.itertext())) for w in _by_class(line, "ocrx_word")]
        if own and _bbox(_props(line)) != union_box([box for box, _ in own]):
            defect(where, f"line {k} bbox is not the union of its word boxes")
        for word, (box, text) in zip(_by_class(line, "ocrx_word"), own, strict=True):
            if not _inside(box, size):
                defect(where, f"word {text!r} bbox {list(box)} leaves the page")
            _char_boxes(word, box, text, where, defect)
        words += own
    return words


def _char_boxes(word: ET.Element, box: Box, text: str, where: str, defect: Defect) -> None:
    """x_bboxes, where given: one box per character (grapheme) whose union is the word's."""
    raw = _props(word).get("x_bboxes")
    if raw is None:
        return
    values = [int(v) for v in raw.split()]
    boxes = [tuple(values[i : i + 4]) for i in range(0, len(values), 4)]
    if len(values) % 4 or len(boxes) != len(_CLUSTER.findall(text)):
        defect(where, f"word {text!r}: x_bboxes has {len(values)} numbers, not 4 per character")
    elif union_box(boxes) != box:  # type: ignore[arg-type]
        defect(where, f"word {text!r}: its x_bboxes' union is not its bbox")


def _by_class(element: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in element.iter() if name in (e.get("class") or "").split()]


def _props(element: ET.Element) -> dict[str, str]:
    """hOCR properties of the title attribute: ``bbox 0 0 10 10; image "a.png"``."""
    props = {}
    for part in (element.get("title") or "").split(";"):
        key, _, value = part.strip().partition(" ")
        props[key] = value.strip()
    return props


def _bbox(props: dict[str, str]) -> Box:
    x0, y0, x1, y1 = (int(v) for v in props["bbox"].split())
    return x0, y0, x1, y1
