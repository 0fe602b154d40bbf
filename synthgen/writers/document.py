"""Document page formats: FUNSD JSON, Donut (SynthDoG) metadata and hOCR.

Every box is ``[x0, y0, x1, y1]`` in pixels with exclusive ends: pixel (x, y) covers
[x, x+1) x [y, y+1), so x0 is a word's first ink column and x1 its last ink column + 1
(ink over columns 10..39 and rows 5..14 is ``[10, 5, 40, 15]``). The boxes come from
:class:`~synthgen.document_labels.DocumentLabels`, derived from the glyph pixels upstream;
nothing here measures text.

Layouts (``<stem>`` is the sample's stem, ``<ext>`` the run's image format)::

    funsd/info.json                  box convention, labels, where the images are
    funsd/annotations/<stem>.json    {"form": [entity, ...]}, one file per page
    funsd/images -> ../images        the page images, as FUNSD readers expect them
    donut/train/metadata.jsonl       {"file_name", "ground_truth"} per page, in sample order
    donut/train/<stem>.<ext>         the page images (hard links, or copies)
    hocr/<stem>.hocr                 XHTML hOCR per page

A FUNSD entity is ``{"id", "text", "box", "label", "words": [{"text", "box", "quad"}],
"linking", "field"}``: ``id`` is the entity's position in ``form`` (as in FUNSD's own
files), ``linking`` lists every ``[key id, value id]`` pair the entity is an end of (on both
ends, as FUNSD does), ``field`` names the filled field the words show (null for literal
text) and ``quad`` is the word's tight quadrilateral along its text (top left, top right,
bottom right, bottom left of the word as written, continuous pixel coordinates; the box's
corners on an unrotated page); FUNSD readers ignore both extras.
"""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any, Literal

import orjson
from pydantic import Field

from synthgen import __version__
from synthgen.document_labels import Box, DocumentLabels, EntityLabel, WordLabel, union_box
from synthgen.files import PARTIAL_SUFFIX, atomic_write_bytes, atomic_write_text
from synthgen.writers.base import (
    Fragment,
    ImageRef,
    LabeledSample,
    Writer,
    WriterConfig,
    WriterError,
)

FUNSD_DIR = "funsd"
FUNSD_LABELS = ("header", "question", "answer", "other")
DONUT_DIR = "donut/train"
DONUT_METADATA = f"{DONUT_DIR}/metadata.jsonl"
HOCR_DIR = "hocr"
BOX_CONVENTION = (
    "[x0, y0, x1, y1] in pixels, ends exclusive: pixel (x, y) covers [x, x+1) x [y, y+1), "
    "so x1 is the last ink column + 1 and y1 the last ink row + 1"
)


def _document(sample: LabeledSample, fmt: str) -> DocumentLabels:
    if sample.document is None:
        raise WriterError(
            f"the {fmt} format encodes document pages, but sample {sample.image.index} has no "
            f"words (its generator is not a document generator); remove '{fmt}' from "
            "output.formats or use the document generator"
        )
    return sample.document


def _link_image(root: Path, ref: ImageRef, folder: Path) -> None:
    """Puts the page image into ``folder``: a hard link costs no space; a copy where links
    are impossible (another file system, FAT). Atomic, so a resumed run replaces a link
    to an image that was written again."""
    src = root / ref.file
    dest = folder / Path(ref.file).name
    if dest.exists() and dest.samefile(src):
        return  # os.replace would keep the temp name when both are the same file
    tmp = dest.with_name(dest.name + PARTIAL_SUFFIX)
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# ---------------------------------------------------------------------------- FUNSD


class FunsdWriter(Writer):
    """FUNSD form JSON per page under funsd/annotations: entities, words, links."""

    name = "funsd"
    modality = "document"
    owns = (FUNSD_DIR,)

    def prepare(self) -> None:
        (self.root / FUNSD_DIR / "annotations").mkdir(parents=True, exist_ok=True)
        link = self.root / FUNSD_DIR / "images"
        if not link.exists() and not link.is_symlink():
            # FUNSD readers look for images/ beside annotations/ (as VOC's JPEGImages).
            os.symlink(Path("..") / "images", link, target_is_directory=True)

    def write(self, sample: LabeledSample) -> Any:
        form = funsd_form(_document(sample, self.name), sample.image.index)
        path = self.root / FUNSD_DIR / "annotations" / f"{sample.image.stem}.json"
        atomic_write_bytes(path, orjson.dumps({"form": form}) + b"\n")
        # Counts for validate: what the FUNSD file must still hold when read back.
        return {"entities": len(form), "words": sum(len(e["words"]) for e in form)}

    def begin(self) -> None:
        self._pages = 0
        self._image_format: str | None = None

    def add(self, fragment: Fragment) -> None:
        self._pages += 1
        self._image_format = self._image_format or Path(fragment.ref.file).suffix[1:]

    def end(self) -> None:
        info = {
            "format": "funsd",
            "pages": self._pages,
            "annotations": "annotations/<stem>.json",
            "images": "images/<stem>.<ext>",
            "image_format": self._image_format,
            "box": BOX_CONVENTION,
            "labels": list(FUNSD_LABELS),
            "id": "an entity's position in form; linking pairs are [key id, value id]",
            "extras": {
                "field": "entity: the filled field its words show, null for literal text",
                "quad": "word: tight rotated rectangle, 4 [x, y] corners clockwise from top left",
            },
        }
        atomic_write_text(self.root / FUNSD_DIR / "info.json", _json(info) + "\n")


def funsd_form(doc: DocumentLabels, index: int = 0) -> list[dict[str, Any]]:
    """A page's FUNSD ``form``: its entities, then each word that is in no entity as an
    ``other`` entity of its own (FUNSD labels every word).

    >>> funsd_form(DocumentLabels([], [], [], [], {}, "", [], [], None))
    []
    """
    words = {w.id: w for w in doc.words}
    covered = {i for e in doc.entities for i in e.words}
    orphans = [w for w in doc.words if w.id not in covered]
    position = {e.id: k for k, e in enumerate(doc.entities)}
    pairs = []
    for key, value in doc.links:
        if key not in position or value not in position:
            raise WriterError(f"sample {index}: link ({key}, {value}) names a missing entity")
        pairs.append([position[key], position[value]])
    form = [_funsd_entity(k, e, words, pairs, index) for k, e in enumerate(doc.entities)]
    for k, word in enumerate(orphans, start=len(form)):
        form.append(_entity_dict(k, word.text, word.bbox, "other", [word], [], None))
    return form


def _funsd_entity(
    k: int, entity: EntityLabel, words: dict[int, WordLabel], pairs: list[list[int]], index: int
) -> dict[str, Any]:
    if entity.label not in FUNSD_LABELS:
        raise WriterError(
            f"sample {index}: entity {entity.id} has label '{entity.label}'; FUNSD labels are "
            f"{', '.join(FUNSD_LABELS)}"
        )
    linking = [p for p in pairs if k in p]
    members = [words[i] for i in entity.words]
    return _entity_dict(k, entity.text, entity.bbox, entity.label, members, linking, entity.field)


def _entity_dict(
    k: int,
    text: str,
    box: Box,
    label: str,
    words: list[WordLabel],
    linking: list[list[int]],
    field: str | None,
) -> dict[str, Any]:
    return {
        "id": k,
        "text": text,
        "box": list(box),
        "label": label,
        "words": [
            {"text": w.text, "box": list(w.bbox), "quad": [list(p) for p in w.quad]} for w in words
        ],
        "linking": linking,
        "field": field,
    }


# ---------------------------------------------------------------------------- Donut


class DonutConfig(WriterConfig):
    target: Literal["fields", "text"] = Field(
        "fields",
        description="gt_parse: the filled fields (document parsing), or {text_sequence: "
        "page text} (SynthDoG's reading pretraining)",
    )


class DonutWriter(Writer):
    """Donut / SynthDoG folder donut/train: metadata.jsonl and the page images.

    A Hugging Face imagefolder: ``load_dataset("<out>/donut", split="train")``, as
    Donut's DonutDataset calls it."""

    name = "donut"
    modality = "document"
    config_type = DonutConfig
    config: DonutConfig
    owns = ("donut",)

    def prepare(self) -> None:
        (self.root / DONUT_DIR).mkdir(parents=True, exist_ok=True)

    def write(self, sample: LabeledSample) -> Any:
        doc = _document(sample, self.name)
        _link_image(self.root, sample.image, self.root / DONUT_DIR)
        return doc.fields if self.config.target == "fields" else {"text_sequence": doc.text}

    def begin(self) -> None:
        path = self.root / DONUT_METADATA
        self._partial = path.with_name(path.name + PARTIAL_SUFFIX)
        self._out: IO[str] = self._partial.open("w", encoding="utf-8", newline="\n")

    def add(self, fragment: Fragment) -> None:
        if not isinstance(fragment.data, dict):
            raise WriterError(f"sample {fragment.index} has no donut labels in the manifest")
        # ground_truth is a JSON string inside the JSON line: what DonutDataset json.loads.
        line = {
            "file_name": Path(fragment.ref.file).name,
            "ground_truth": _json({"gt_parse": fragment.data}),
        }
        self._out.write(_json(line) + "\n")

    def end(self) -> None:
        self._out.close()
        os.replace(self._partial, self.root / DONUT_METADATA)


# ---------------------------------------------------------------------------- hOCR

XHTML = "http://www.w3.org/1999/xhtml"
HOCR_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 '
    'Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
)
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word"
# Characters XML 1.0 cannot hold at all, escaped or not.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class HocrWriter(Writer):
    """hOCR (XHTML) per page under hocr/: page, one text area, lines and words with boxes."""

    name = "hocr"
    modality = "document"
    owns = (HOCR_DIR,)

    def write(self, sample: LabeledSample) -> Any:
        doc = _document(sample, self.name)
        html = hocr_page(doc, sample.image)
        ET.indent(html, space=" ")
        data = HOCR_HEAD + ET.tostring(html, encoding="unicode") + "\n"
        atomic_write_text(self.root / HOCR_DIR / f"{sample.image.stem}.hocr", data)
        return None


def hocr_page(doc: DocumentLabels, ref: ImageRef) -> ET.Element:
    """The hOCR tree of one page: one ocr_carea / ocr_par per layout block, holding its
    lines and words (characters as ``x_bboxes`` where the document has them); the page
    carries its language. A word that is in no line gets a line of its own, so hOCR holds
    every word."""
    html = ET.Element("html", {"xmlns": XHTML})
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "title").text = ref.stem
    for name, content in (
        ("ocr-system", f"synthgen {__version__}"),
        ("ocr-capabilities", CAPABILITIES),
        ("ocr-number-of-pages", "1"),
    ):
        ET.SubElement(head, "meta", {"name": name, "content": content})
    ET.SubElement(
        head, "meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"}
    )
    body = ET.SubElement(html, "body")
    # The image path is relative to the hOCR file, so viewers next to it find the page.
    image = (Path("..") / ref.file).as_posix()
    page = ET.SubElement(
        body,
        "div",
        {
            "class": "ocr_page",
            "id": "page_1",
            "title": f'image "{image}"; bbox 0 0 {ref.width} {ref.height}; ppageno 0',
        },
    )
    if doc.language:
        page.set("lang", doc.language)
    n_lines = n_words = 0
    char_boxes = _char_boxes(doc)
    for k, lines in enumerate(_hocr_blocks(doc), start=1):
        where = _title(union_box([box for box, _ in lines]))
        area = ET.SubElement(
            page, "div", {"class": "ocr_carea", "id": f"block_1_{k}", "title": where}
        )
        par = ET.SubElement(area, "p", {"class": "ocr_par", "id": f"par_1_{k}", "title": where})
        for box, words in lines:
            n_lines += 1
            attrs = {"class": "ocr_line", "id": f"line_1_{n_lines}", "title": _title(box)}
            line = ET.SubElement(par, "span", attrs)
            for word in words:
                if _NOT_XML.search(word.text):
                    raise WriterError(
                        f"sample {ref.index}: word {word.text!r} has a character XML cannot hold"
                    )
                n_words += 1
                title = _title(word.bbox) + char_boxes.get(word.id, "")
                attrs = {"class": "ocrx_word", "id": f"word_1_{n_words}", "title": title}
                ET.SubElement(line, "span", attrs).text = word.text
    return html


HocrLine = tuple[Box, list[WordLabel]]


def _hocr_blocks(doc: DocumentLabels) -> list[list[HocrLine]]:
    """Lines grouped by layout block (one text area each), in reading order; lines in no
    block, and words in no line (as lines of their own), make a last area."""
    words = {w.id: w for w in doc.words}
    lines: list[HocrLine] = [(line.bbox, [words[i] for i in line.words]) for line in doc.lines]
    blocks = [[lines[i] for i in block if lines[i][1]] for block in doc.blocks]
    placed = {i for block in doc.blocks for i in block}
    rest = [line for i, line in enumerate(lines) if i not in placed and line[1]]
    in_lines = {i for line in doc.lines for i in line.words}
    rest += [(w.bbox, [w]) for w in doc.words if w.id not in in_lines]
    return [block for block in [*blocks, rest] if block]


def _char_boxes(doc: DocumentLabels) -> dict[int, str]:
    """Per word id, hOCR's ``x_bboxes`` property: one box per character (grapheme) with
    ink, in order, when the document labels characters."""
    boxes: dict[int, list[int]] = {}
    for glyph in doc.glyphs:
        boxes.setdefault(doc.words[glyph.word].id, []).extend(glyph.bbox)
    return {i: "; x_bboxes " + " ".join(map(str, b)) for i, b in boxes.items()}


def _title(box: Box) -> str:
    return "bbox {} {} {} {}".format(*box)
