"""The shipped document templates: each generates pages that validate, in two or more
locales, with non-ASCII text drawn from the fonts' own glyphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthgen.inspect.validate import validate_dataset
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset

TEMPLATES = Path(__file__).parents[3] / "templates"


@pytest.mark.parametrize("name", ["invoice", "receipt", "form", "id_card", "letter"])
def test_template_generates_pages_that_validate(name, tmp_path):
    recipe = load_recipe(TEMPLATES / f"{name}.yaml", num=4)
    assert len(recipe.generator_config.locales) >= 2  # type: ignore[attr-defined]
    generate_dataset(recipe, tmp_path / name, workers=1, progress=False)
    report = validate_dataset(tmp_path / name)
    assert report.ok, report.format()
    pages = sorted((tmp_path / name / "funsd" / "annotations").glob("*.json"))
    assert len(pages) == 4
    words = []
    for page in pages:
        form = json.loads(page.read_text(encoding="utf-8"))["form"]
        words += [w["text"] for e in form for w in e["words"]]
        assert any(e["linking"] for e in form)
    assert len(words) > 4 * 15
    assert any(ord(ch) > 127 for word in words for ch in word)
