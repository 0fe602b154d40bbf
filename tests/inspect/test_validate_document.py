"""validate on document pages: clean FUNSD, Donut and hOCR pass; planted defects are caught."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from synthgen.inspect.validate import validate_dataset
from synthgen.run.manifest import MANIFEST_FILE, RUN_FILE
from tests.writers.test_document import write_pages

FORMATS = {"funsd": {}, "donut": {}, "hocr": {}}


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """A finished run folder as the engine leaves it: images, labels, manifest, run.json."""
    records = write_pages(tmp_path, FORMATS)
    lines = b"".join(orjson.dumps(r) + b"\n" for r in records)
    (tmp_path / MANIFEST_FILE).write_bytes(lines)
    info = {
        "status": "complete",
        "recipe_hash": "test",
        "formats": list(FORMATS),
        "categories": ["title", "key", "value"],
        "counts": {"samples": len(records)},
    }
    (tmp_path / RUN_FILE).write_text(json.dumps(info))
    return tmp_path


def test_clean_output_validates(run):
    report = validate_dataset(run)
    assert report.ok, report.format()
    assert "read back funsd, donut, hocr (words == FUNSD words)" in report.format()


def edit_funsd(change: Callable[[list[dict]], None]) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        path = root / "funsd/annotations/00000001.json"
        doc = json.loads(path.read_text("utf-8"))
        change(doc["form"])
        path.write_text(json.dumps(doc), "utf-8")

    return edit


def shift_word(form):
    form[0]["words"][1]["box"][2] += 1


def drop_link_end(form):
    form[2]["linking"] = []


def wrong_text(form):
    form[0]["text"] = "Invoice  2024"


def box_off_page(form):
    form[5]["box"][2] = form[5]["words"][0]["box"][2] = 121


def drop_entity(form):
    form.pop()


def edit_text(rel: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        (root / rel).write_text(change((root / rel).read_text("utf-8")), "utf-8")

    return edit


def drop_last_line(text: str) -> str:
    return "".join(text.splitlines(keepends=True)[:-1])


def remove(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (edit_funsd(shift_word), "!= union of its word boxes"),
        (edit_funsd(shift_word), "differs from FUNSD's words"),
        (edit_funsd(drop_link_end), "linking [1, 2] is missing on entity 2"),
        (edit_funsd(wrong_text), "joined by spaces"),
        (edit_funsd(box_off_page), "leaves the 120x80 page"),
        (edit_funsd(drop_entity), "5 entities, 6 written"),
        (edit_text("donut/train/metadata.jsonl", drop_last_line), "1 lines, manifest has 2"),
        (edit_text("donut/train/metadata.jsonl", lambda t: t.replace("A-17", "A-18")), "gt_parse"),
        (remove("donut/train/00000001.png"), "donut/train/00000001.png: missing"),
        (edit_text("hocr/00000001.hocr", lambda t: t.replace("bbox 30 25", "bbox 31 25")), "FUNSD"),
        (edit_text("hocr/00000001.hocr", lambda t: t.replace("</html>", "")), "not hOCR"),
        (
            edit_text(
                "hocr/00000001.hocr", lambda t: t.replace('"bbox 10 5 60 15"', '"bbox 0 0 9 9"', 1)
            ),
            "not the union of its lines",
        ),
        (remove("funsd/annotations/00000001.json"), "not FUNSD form JSON"),
    ],
)
def test_planted_defects_are_found(run, corrupt, message):
    corrupt(run)
    report = validate_dataset(run)
    assert not report.ok
    assert any(message in d for d in report.defects), report.format()
