"""validate on text corpora: clean output passes, a shifted span or a broken tag is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthgen.inspect.preview_text import write_text_preview
from synthgen.inspect.validate import validate_dataset
from synthgen.recipe import build_recipe, load_recipe
from synthgen.run import generate_dataset
from tests.generators.text.conftest import text_recipe

TEMPLATES = Path(__file__).parents[2] / "templates"


@pytest.fixture
def corpus(tmp_path) -> Path:
    data = text_recipe() | {"output": {"formats": ["jsonl", "conll", "hf"]}}
    root = tmp_path / "out"
    generate_dataset(build_recipe(data, base_dir=tmp_path), root, workers=1, progress=False)
    return root


def test_clean_output_validates(corpus):
    report = validate_dataset(corpus)
    assert report.ok, report.format()
    assert "entities read back from jsonl, conll, hf" in report.format()


def test_a_span_shifted_by_one_character_is_caught(corpus):
    path = corpus / "jsonl" / "data.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows[3]["spans"][0]["start"] += 1
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    report = validate_dataset(corpus)
    assert not report.ok and "data.jsonl:4" in report.format()


def test_a_broken_tag_is_caught(corpus):
    path = corpus / "conll" / "train.conll"
    lines = path.read_text(encoding="utf-8").splitlines()
    k = next(i for i, line in enumerate(lines) if line.endswith(" B-PERSON"))
    lines[k] = lines[k][: -len("B-PERSON")] + "O"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_dataset(corpus)
    assert not report.ok and "train.conll" in report.format()


def test_spacy_files_are_read_back_and_a_missing_one_is_caught(tmp_path):
    pytest.importorskip("spacy")
    formats = {"jsonl": {}, "spacy": {"docs_per_file": 9}}
    data = text_recipe() | {"output": {"formats": formats}}
    root = tmp_path / "out"
    generate_dataset(build_recipe(data, base_dir=tmp_path), root, workers=1, progress=False)
    report = validate_dataset(root)
    assert report.ok, report.format()
    assert "entities read back from jsonl, spacy" in report.format()
    (root / "spacy" / "train-00001.spacy").unlink()
    report = validate_dataset(root)
    assert not report.ok and "train-00001.spacy" in report.format()


def test_preview_marks_every_entity(corpus, tmp_path):
    write_text_preview(corpus, tmp_path / "p.html", count=10)
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    first = json.loads((corpus / "jsonl" / "data.jsonl").read_text("utf-8").splitlines()[0])
    assert page.count("<mark") >= len(first["spans"])
    assert "intent: " in page


@pytest.mark.parametrize("name", ["ner_pii.yaml", "intents.yaml", "sentiment.yaml"])
def test_shipped_templates_generate_and_validate(name, tmp_path):
    recipe = load_recipe(TEMPLATES / name, num=150)
    summary = generate_dataset(recipe, tmp_path / "out", workers=1, progress=False)
    assert summary.ok == 150
    report = validate_dataset(tmp_path / "out")
    assert report.ok, report.format()
