"""Document pages end to end: word boxes from ink, fields as printed, totals that add up,
determinism, and clear errors for bad templates."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from synthgen.config import RecipeError
from synthgen.document_labels import derive_document_labels
from synthgen.errors import AssetError, PlacementError
from synthgen.generators.document import fonts
from synthgen.generators.document.degrade import apply_degradations
from synthgen.generators.document.layout import PageBuilder, PlacedWord
from synthgen.labels import derive_labels
from synthgen.recipe import build_recipe
from synthgen.run import generate_dataset
from tests.generators.document.conftest import doc_recipe
from tests.helpers import tree_bytes


def _page(data: dict[str, Any], base: Path, index: int = 0):
    recipe = build_recipe(data, base_dir=base)
    gen = recipe.generator()
    gen.check()
    plan = gen.plan_sample(np.random.default_rng([recipe.seed, index]), recipe.seed, index)
    sample = gen.render(plan)
    regions, doc = derive_document_labels(sample, derive_labels(sample))
    layout = PageBuilder(gen.config, plan, base).build()
    return plan, sample, regions, doc, layout


def _alone(word: PlacedWord, shape: tuple[int, int]) -> np.ndarray:
    """The word drawn by itself through Pillow's ImageDraw: its ink pixels."""
    canvas = Image.new("L", (shape[1], shape[0]), 0)
    font = fonts.sized(word.font, word.size)
    ImageDraw.Draw(canvas).text((word.x, word.baseline), word.text, 255, font, anchor="ls")
    return np.asarray(canvas) > 0


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.mark.parametrize("index", [0, 1])
def test_each_word_box_is_the_tight_box_of_that_word_drawn_alone(recipe_data, tmp_path, index):
    _, sample, _, doc, layout = _page(recipe_data, tmp_path, index)
    assert len(doc.words) == len(layout.words) > 20
    for placed, label in zip(layout.words, doc.words, strict=True):
        assert label.text == placed.text
        assert label.bbox == _box(_alone(placed, sample.instance_map.shape)), placed.text


@pytest.mark.parametrize(
    "step",
    [
        {"op": "rotate", "degrees": [4, 4]},
        {"op": "perspective", "strength": [0.04, 0.04]},
    ],
)
def test_word_boxes_follow_a_rotation_and_a_warp_from_the_glyph_pixels(recipe_data, tmp_path, step):
    data = doc_recipe(degrade=[step])
    plan, _, _, doc, layout = _page(data, tmp_path)
    assert plan["degrade"][0]["op"] == step["op"]
    clean_shape = (layout.height, layout.width)
    blank = np.zeros((*clean_shape, 3), np.uint8)
    for placed, label in list(zip(layout.words, doc.words, strict=True))[::4]:
        ids = _alone(placed, clean_shape).astype(np.uint16)
        _, warped, _ = apply_degradations(blank, ids, plan["degrade"])
        assert label.bbox == _box(warped > 0), placed.text
        if step["op"] == "rotate":  # the quad follows the 4 degree slant of the line
            (x0, y0), (x1, y1) = label.quad[0], label.quad[1]
            angle = np.degrees(np.arctan2(y1 - y0, x1 - x0))
            assert len(placed.text) < 3 or abs(abs(angle) - 4) < 2.5, (placed.text, angle)


def test_page_text_and_fields_equal_the_printed_words(recipe_data, tmp_path):
    plan, _, regions, doc, _ = _page(recipe_data, tmp_path)
    words = {w.id: w.text for w in doc.words}
    assert doc.text == "\n".join(" ".join(words[i] for i in line.words) for line in doc.lines)
    by_field = {e.field: e.text for e in doc.entities if e.field}
    truth = doc.fields
    for name in ("name", "address", "number", "date", "subtotal", "tax", "total"):
        assert truth[name] == by_field[name] == " ".join(plan["fields"][name].split())
    for i, row in enumerate(truth["items"]):
        for column, value in row.items():
            assert by_field[f"items.{i}.{column}"] == value
    assert truth["status"] in {"single", "married", "ledig", "verheiratet"}
    links = {(a, b) for a, b in doc.links}
    entities = {e.id: e for e in doc.entities}
    assert all(entities[a].label == "question" and entities[b].label == "answer" for a, b in links)
    kinds = {r.category for r in regions}
    assert {"title", "text", "key", "value", "table", "figure", "checkbox"} <= kinds


def _number(printed: str) -> Decimal:
    """Parses en_US ($1,234.50) and de_DE (1.234,50 €) amounts back."""
    digits = re.sub(r"[^\d,.-]", "", printed)
    if printed.endswith("€"):
        digits = digits.replace(".", "").replace(",", ".")
    return Decimal(digits.replace(",", ""))


def test_invoice_totals_add_up_as_printed(recipe_data, tmp_path):
    for index in range(4):
        plan, *_ = _page(recipe_data, tmp_path, index)
        printed, rows = plan["fields"], plan["fields"]["items"]
        amounts = [_number(r["amount"]) for r in rows]
        for row, amount in zip(rows, amounts, strict=True):
            exact = int(row["qty"]) * _number(row["price"])
            assert amount == exact.quantize(Decimal("0.01"))
        subtotal = _number(printed["subtotal"])
        assert subtotal == sum(amounts)
        rate = Decimal(plan["values"]["rate"])
        assert _number(printed["tax"]) == (subtotal * rate / 100).quantize(Decimal("0.01"))
        assert _number(printed["total"]) == subtotal + _number(printed["tax"])


def test_same_bytes_with_one_or_two_workers(recipe_data, tmp_path):
    data = recipe_data | {"output": {"formats": ["coco", "funsd", "hocr"]}}
    for name, workers in (("a", 1), ("b", 2)):
        recipe = build_recipe(data, base_dir=tmp_path)
        generate_dataset(recipe, tmp_path / name, workers=workers, progress=False)
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fields": {"x": {"derive": "y + 1"}}}, "'y' is not a field"),
        ({"fields": {"a": {"derive": "b"}, "b": {"derive": "a * 2"}}}, "cycle"),
        ({"fields": {"a": {"derive": "__import__('os')"}}}, "may only use numbers"),
        ({"fields": {"a": {"faker": "name", "money": [1, 2]}}}, "exactly one of"),
        (
            {"blocks": [{"kind": "fields", "items": [{"key": "K", "value": "nope"}]}]},
            "'nope' is not a field",
        ),
        (
            {"blocks": [{"kind": "title", "text": {"en": "Hi"}}], "locales": ["de_DE"]},
            "no text for the language",
        ),
        ({"blocks": [{"kind": "title", "text": "Hi", "font": "fancy"}]}, "font role 'fancy'"),
    ],
)
def test_bad_templates_are_refused_with_the_reason(change, message, tmp_path):
    if "fields" in change:  # added to the template's own fields
        change = {"fields": doc_recipe()["generator"]["fields"] | change["fields"]}
    with pytest.raises(RecipeError, match=message):
        build_recipe(doc_recipe(**change), base_dir=tmp_path)


def test_assets_are_checked_before_any_page(tmp_path):
    cases = [
        (
            {"fields": {**doc_recipe()["generator"]["fields"], "name": {"faker": "no_such"}}},
            "Faker has no provider 'no_such'",
        ),
        (
            {"fonts": {"regular": ["NoSuchFont"], "bold": ["DejaVuSans-Bold"]}},
            "font 'NoSuchFont' is not installed",
        ),
        ({"blocks": [{"kind": "title", "text": "請求書"}]}, "can draw"),
    ]
    for change, message in cases:
        out = tmp_path / "out"
        with pytest.raises(AssetError, match=message):
            generate_dataset(
                build_recipe(doc_recipe(**change), base_dir=tmp_path), out, progress=False
            )
        assert not (out / "images").exists() or not any((out / "images").iterdir())


def test_a_page_that_cannot_hold_its_rows_says_so(tmp_path):
    data = doc_recipe()
    data["generator"]["fields"]["items"]["rows"] = [80, 80]
    with pytest.raises(PlacementError, match="taller than the page"):
        _page(data, tmp_path)
