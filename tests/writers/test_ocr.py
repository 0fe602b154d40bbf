"""The ocr writer: gt.txt as PaddleOCR reads it, labels.jsonl with word and character
boxes that agree with the images, and hOCR character boxes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import pytest
import regex

from synthgen.config import RecipeError
from synthgen.inspect.validate import validate_dataset
from synthgen.recipe import build_recipe
from synthgen.run import generate_dataset
from tests.generators.textline.test_generator import line_recipe


def make_lines(root: Path, formats: list[str], num: int = 6) -> Path:
    data = line_recipe(skew_degrees=[-4, 4])
    data["num"] = num
    data["output"] = {"formats": formats, "image": {"format": "png"}}
    generate_dataset(build_recipe(data, base_dir=root), root / "out", workers=1, progress=False)
    return root / "out"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return make_lines(tmp_path_factory.mktemp("ocr"), ["ocr", "hocr", "funsd", "coco"])


def test_gt_txt_reads_as_paddleocr_reads_it(out):
    rows = [line.split("\t") for line in (out / "ocr/gt.txt").read_text("utf-8").splitlines()]
    labels = [
        json.loads(line) for line in (out / "ocr/labels.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(rows) == len(labels) == 6
    for (path, text), label in zip(rows, labels, strict=True):
        image = cv2.imread(str(out / path))
        assert image.shape[:2] == (label["height"], label["width"])
        assert text == label["text"] and text.strip() == text


def test_chars_are_the_graphemes_with_boxes_inside_their_words(out):
    for line in (out / "ocr/labels.jsonl").read_text("utf-8").splitlines():
        label = json.loads(line)
        text = label["text"]
        graphemes = [g for g in regex.findall(r"\X", text) if g != " "]
        assert [c["text"] for c in label["chars"]] == graphemes
        for c in label["chars"]:
            assert text[c["start"] : c["start"] + len(c["text"])] == c["text"]
            x0, y0, x1, y1 = c["box"]
            wx0, wy0, wx1, wy1 = label["words"][c["word"]]["box"]
            assert wx0 <= x0 < x1 <= wx1 and wy0 <= y0 < y1 <= wy1


def test_hocr_words_carry_one_box_per_character(out):
    labels = [json.loads(x) for x in (out / "ocr/labels.jsonl").read_text("utf-8").splitlines()]
    for k, label in enumerate(labels):
        html = ET.parse(out / f"hocr/{k:08d}.hocr").getroot()
        words = [e for e in html.iter() if e.get("class") == "ocrx_word"]
        assert [w.text for w in words] == [w["text"] for w in label["words"]]
        for element, word in zip(words, label["words"], strict=True):
            boxes = element.get("title", "").split("x_bboxes ")[1].split()
            chars = [c["box"] for c in label["chars"] if label["words"][c["word"]] is word]
            assert [int(v) for v in boxes] == [v for box in chars for v in box]


def test_the_output_validates(out):
    report = validate_dataset(out)
    assert report.ok, report.format()
    assert "ocr: 6 lines" in report.format()


def _edit_labels(root: Path, change) -> None:
    path = root / "ocr/labels.jsonl"
    rows = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
    change(rows)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


@pytest.mark.parametrize(
    ("edit", "defect"),
    [
        (lambda rows: rows[1].update(text="x"), "!= gt.txt's"),
        (lambda rows: rows[2]["chars"][0].update(start=5), "grapheme clusters in order"),
        (lambda rows: rows[0]["chars"][0].update(box=[0, 0, 9999, 5]), "leaves the image"),
        (lambda rows: rows[3]["words"][0].update(box=[0, 0, 1, 1]), "not the union"),
        (lambda rows: rows.pop(), "5 lines, manifest has 6"),
    ],
)
def test_planted_defects_are_caught(tmp_path, edit, defect):
    root = make_lines(tmp_path, ["ocr"])
    _edit_labels(root, edit)
    report = validate_dataset(root)
    assert not report.ok and defect in report.format()


def test_ocr_needs_a_text_line_generator(tmp_path):
    from tests.generators.document.conftest import doc_recipe

    data = {"generator": doc_recipe()["generator"], "output": {"formats": ["ocr"]}}
    with pytest.raises(RecipeError, match="'ocr' encodes line samples"):
        build_recipe(data, base_dir=tmp_path)
