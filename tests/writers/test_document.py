"""Document formats read back: FUNSD (JSON, exact boxes), Donut (datasets or JSON), hOCR
(ElementTree), from a hand-drawn page whose word boxes are known."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthgen.document_labels import derive_document_labels
from synthgen.files import atomic_write_bytes, encode_image
from synthgen.labels import derive_labels
from synthgen.registry import WRITERS
from synthgen.sample import Category, Document, Entity, Instance, Region, Sample, Word
from synthgen.writers.base import Fragment, ImageRef, LabeledSample, WriterError

W, H = 120, 80
# word id -> text, line, ink rectangle [x0, y0, x1, y1) drawn into the instance map
WORDS = {
    1: ("Invoice", 0, (10, 5, 40, 15)),
    2: ("2024", 0, (44, 5, 60, 15)),
    3: ("No:", 1, (10, 25, 22, 33)),
    4: ("A-17", 1, (30, 25, 50, 33)),
    5: ("Total", 2, (10, 45, 30, 53)),
    6: ("12.50", 2, (40, 45, 64, 53)),
    7: ("R&D<ü>", 3, (10, 65, 120, 80)),  # touches the right and bottom edges; in no entity
}
LOGO = 20  # a graphic: an instance without words
FIELDS = {"invoice_number": "A-17", "total": "12.50", "items": [{"name": "Grüße"}]}
DOCUMENT_NAMES = ("funsd", "donut", "hocr")


def page() -> Sample:
    """A page whose entity ids (10..14) are not their FUNSD positions (0..4)."""
    imap = np.zeros((H, W), np.uint16)
    for wid, (_, _, (x0, y0, x1, y1)) in WORDS.items():
        imap[y0:y1, x0:x1] = wid
    imap[5:20, 80:110] = LOGO
    image = np.full((H, W, 3), 255, np.uint8)
    image[imap > 0] = 0
    document = Document(
        words=[Word(wid, text, line) for wid, (text, line, _) in WORDS.items()],
        lines=[(1, 2), (3, 4), (5, 6), (7,)],
        entities=[
            Entity(10, "header", (1, 2)),
            Entity(11, "question", (3,)),
            Entity(12, "answer", (4,), "invoice_number"),
            Entity(13, "question", (5,)),
            Entity(14, "answer", (6,), "total"),
        ],
        links=[(11, 12), (13, 14)],
        regions=[Region("title", (1, 2, LOGO)), Region("key", (3, 5)), Region("value", (4, 6))],
        fields=FIELDS,
        blocks=[(0,), (1, 2)],  # line 3 is in no block
        language="en",
    )
    instances = [Instance(wid, "word") for wid in WORDS] + [Instance(LOGO, "logo")]
    return Sample(image, imap, instances, document=document)


def labeled(ref: ImageRef, sample: Sample | None = None) -> LabeledSample:
    sample = sample or page()
    objects, document = derive_document_labels(sample, derive_labels(sample))
    return LabeledSample(ref, objects, document=document)


def write_pages(root: Path, formats: dict[str, dict[str, Any]], pages: int = 2) -> list[dict]:
    """Writes ``pages`` copies of the page as the run's worker and main process do; returns
    the manifest records."""
    categories = [Category(1, "title"), Category(2, "key"), Category(3, "value")]
    writers = [
        WRITERS.get(n)(root, WRITERS.get(n).config_type(**o), categories)
        for n, o in formats.items()
    ]
    (root / "images").mkdir(parents=True, exist_ok=True)
    for writer in writers:
        writer.prepare()
    records = []
    for index in range(pages):
        ref = ImageRef(index, f"{index:08d}", f"images/{index:08d}.png", W, H)
        sample = page()
        atomic_write_bytes(root / ref.file, encode_image(sample.image, "png"))
        one = labeled(ref, sample)
        frags = {w.name: w.write(one) for w in writers}
        records.append(
            {
                "index": index,
                "status": "ok",
                "image": {"file": ref.file, "width": W, "height": H},
                "objects": dict(Counter(o.category for o in one.objects)),
                "labels": {k: v for k, v in frags.items() if v is not None},
                "plan": {},
            }
        )
    for writer in writers:
        writer.begin()
        for rec in records:
            img = rec["image"]
            ref = ImageRef(rec["index"], Path(img["file"]).stem, img["file"], W, H)
            writer.add(Fragment(ref, rec["labels"].get(writer.name), rec["index"]))
        writer.end()
    return records


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_pages(tmp_path, {"funsd": {}, "donut": {}, "hocr": {}})
    return tmp_path


def funsd(root: Path, stem: str = "00000000") -> list[dict]:
    return json.loads((root / "funsd/annotations" / f"{stem}.json").read_text("utf-8"))["form"]


# ---------------------------------------------------------------------------- FUNSD


def test_funsd_word_boxes_are_the_drawn_rectangles(root):
    words = {w["text"]: w for e in funsd(root) for w in e["words"]}
    assert {t: w["box"] for t, w in words.items()} == {
        text: list(box) for text, _, box in WORDS.values()
    }
    x0, y0, x1, y1 = WORDS[1][2]
    assert words["Invoice"]["quad"] == [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    assert words["R&D<ü>"]["box"] == [10, 65, W, H]  # exclusive ends reach the image size


def test_funsd_entities_union_their_words_and_link_on_both_ends(root):
    form = funsd(root)
    assert [e["id"] for e in form] == list(range(6))
    header, question, answer = form[0], form[1], form[2]
    assert header["label"] == "header" and header["text"] == "Invoice 2024"
    assert header["box"] == [10, 5, 60, 15]
    assert (question["label"], answer["label"], answer["field"]) == (
        "question",
        "answer",
        "invoice_number",
    )
    assert question["linking"] == answer["linking"] == [[1, 2]]
    assert form[3]["linking"] == form[4]["linking"] == [[3, 4]]
    assert header["linking"] == [] and header["field"] is None


def test_a_word_in_no_entity_becomes_an_other_entity_of_its_own(root):
    last = funsd(root)[-1]
    assert (last["label"], last["text"], last["box"]) == ("other", "R&D<ü>", [10, 65, W, H])
    assert last["linking"] == [] and len(last["words"]) == 1


def test_funsd_info_and_images_beside_the_annotations(root):
    info = json.loads((root / "funsd/info.json").read_text())
    assert info["pages"] == 2 and info["image_format"] == "png"
    assert "ends exclusive" in info["box"] and info["images"] == "images/<stem>.<ext>"
    assert (root / "funsd/images/00000001.png").read_bytes() == (
        root / "images/00000001.png"
    ).read_bytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.entities.append(Entity(15, "key", (7,))), "FUNSD labels are"),
        (lambda d: d.links.append((11, 99)), "missing entity"),
    ],
)
def test_funsd_refuses_labels_and_links_it_cannot_encode(tmp_path, change, message):
    sample = page()
    assert sample.document is not None
    change(sample.document)
    writer = WRITERS.get("funsd")(tmp_path, WRITERS.get("funsd").config_type(), [])
    writer.prepare()
    ref = ImageRef(0, "00000000", "images/00000000.png", W, H)
    with pytest.raises(WriterError, match=message):
        writer.write(labeled(ref, sample))


# ---------------------------------------------------------------------------- Donut


def _metadata(root: Path) -> list[dict]:
    text = (root / "donut/train/metadata.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_donut_metadata_has_gt_parse_fields_and_linked_images(root):
    rows = _metadata(root)
    assert [r["file_name"] for r in rows] == ["00000000.png", "00000001.png"]
    assert json.loads(rows[0]["ground_truth"]) == {"gt_parse": FIELDS}
    linked = root / "donut/train/00000000.png"
    assert linked.read_bytes() == (root / "images/00000000.png").read_bytes()
    assert linked.samefile(root / "images/00000000.png")  # a hard link on tmp


def test_donut_text_target_is_synthdogs_text_sequence(tmp_path):
    write_pages(tmp_path, {"donut": {"target": "text"}}, pages=1)
    (row,) = _metadata(tmp_path)
    text = "Invoice 2024\nNo: A-17\nTotal 12.50\nR&D<ü>"
    assert json.loads(row["ground_truth"]) == {"gt_parse": {"text_sequence": text}}


def test_donut_loads_with_hugging_face_imagefolder(root):
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset(str(root / "donut"), split="train")
    assert len(ds) == 2 and ds[0]["image"].size == (W, H)
    assert json.loads(ds[1]["ground_truth"])["gt_parse"] == FIELDS


# ---------------------------------------------------------------------------- hOCR


def _hocr(root: Path) -> ET.Element:
    return ET.parse(root / "hocr/00000000.hocr").getroot()


def _classed(html: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in html.iter() if e.get("class") == name]


def test_hocr_parses_with_lines_and_word_boxes(root):
    html = _hocr(root)
    (page,) = _classed(html, "ocr_page")
    assert page.get("title") == 'image "../images/00000000.png"; bbox 0 0 120 80; ppageno 0'
    assert page.get("lang") == "en"
    areas = _classed(html, "ocr_carea")
    assert len(areas) == len(_classed(html, "ocr_par")) == 3  # two blocks, then the rest
    assert [len(_classed(a, "ocr_line")) for a in areas] == [1, 2, 1]
    assert areas[1].get("title") == "bbox 10 25 64 53"  # the union of its lines
    lines = _classed(html, "ocr_line")
    assert [line.get("title") for line in lines] == [
        "bbox 10 5 60 15",
        "bbox 10 25 50 33",
        "bbox 10 45 64 53",
        "bbox 10 65 120 80",
    ]
    words = [(w.text, w.get("title")) for w in _classed(html, "ocrx_word")]
    assert words == [(t, "bbox {} {} {} {}".format(*box)) for t, _, box in WORDS.values()]


def test_hocr_declares_its_capabilities_and_escapes_text(root):
    html = _hocr(root)
    meta = {
        m.get("name"): m.get("content") for m in html.iter("{http://www.w3.org/1999/xhtml}meta")
    }
    assert meta["ocr-capabilities"] == "ocr_page ocr_carea ocr_par ocr_line ocrx_word"
    raw = (root / "hocr/00000000.hocr").read_text("utf-8")
    assert "R&amp;D&lt;ü&gt;" in raw and raw.startswith('<?xml version="1.0" encoding="UTF-8"?>')


# ---------------------------------------------------------------------------- all three


@pytest.mark.parametrize("name", DOCUMENT_NAMES)
def test_writers_refuse_a_sample_without_a_document(tmp_path, name):
    cls = WRITERS.get(name)
    assert cls.modality == "document"
    writer = cls(tmp_path, cls.config_type(), [])
    writer.prepare()
    ref = ImageRef(0, "00000000", "images/00000000.png", W, H)
    with pytest.raises(WriterError, match=f"{name} format encodes document pages"):
        writer.write(LabeledSample(ref, []))
