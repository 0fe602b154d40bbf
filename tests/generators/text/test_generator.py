"""The text generator end to end: exact spans, balance, determinism, clear errors."""

from __future__ import annotations

import importlib
import itertools
import json
import sys
import unicodedata
from pathlib import Path

import pytest

from synthgen.config import RecipeError
from synthgen.generators.text.template import Choice, Slot, parse
from synthgen.recipe import build_recipe
from synthgen.run import generate_dataset
from synthgen.run.executor import SampleTask
from synthgen.run.shards import Layout
from tests.generators.text.conftest import text_recipe
from tests.helpers import tree_bytes


def _run(data, root: Path, workers: int = 1, formats=("jsonl",)):
    data = data | {"output": {"formats": list(formats)}}
    recipe = build_recipe(data, base_dir=root.parent)
    return generate_dataset(recipe, root, workers=workers, progress=False)


def _records(root: Path) -> list[dict]:
    lines = (root / "jsonl" / "data.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_every_span_slices_to_its_entity_and_the_text_is_clean(recipe_data, tmp_path):
    _run(recipe_data, tmp_path / "out")
    records = _records(tmp_path / "out")
    assert len(records) == 60
    for rec in records:
        text = rec["text"]
        assert unicodedata.is_normalized("NFC", text)
        assert "  " not in text and text == text.strip() and ".." not in text
        assert rec["spans"], text
        for span in rec["spans"]:
            assert span["end"] > span["start"]
            assert text[span["start"] : span["end"]] == span["text"]
    assert any(ch in r["text"] for r in records for ch in "äöüßé€")  # non-ASCII made it


def test_plan_values_rebuild_the_text(recipe_data, tmp_path):
    recipe = build_recipe(recipe_data, base_dir=tmp_path)
    generator = recipe.generator()
    import numpy as np

    plan = generator.plan_sample(np.random.default_rng([3, 7]), 3, 7)
    sample = generator.render(json.loads(json.dumps(plan)))
    assert [s.value for s in sample.spans] == plan["values"]  # every slot here is an entity
    assert sample.classes == {"intent": plan["class"]}


def test_quota_mode_gives_exact_proportions(recipe_data, tmp_path):
    summary = _run(recipe_data, tmp_path / "out")  # 60 samples: blocks of 3 and 2 fit
    counts = json.loads((tmp_path / "out" / "run.json").read_text())["counts"]["attributes"]
    assert counts["intent"] == {"ask": 20, "complain": 20, "transfer": 20}
    assert counts["gender"] == {"female": 30, "male": 30}
    assert counts["locale"] == {"de_DE": 30, "en_US": 30}
    assert summary.attributes["intent"]["ask"] == 20


def test_sample_mode_proportions_are_within_sampling_error(tmp_path):
    data = text_recipe(
        mode="sample",
        classes={"task": "intent", "balance": {"ask": 3, "transfer": 1, "complain": 0}},
    )
    data["num"] = 800
    _run(data, tmp_path / "out")
    counts = json.loads((tmp_path / "out" / "run.json").read_text())["counts"]["attributes"]
    assert set(counts["intent"]) == {"ask", "transfer"}
    assert abs(counts["intent"]["ask"] / 800 - 0.75) < 4 * (0.75 * 0.25 / 800) ** 0.5


def test_names_follow_the_gender_attribute(recipe_data, tmp_path):
    _run(recipe_data, tmp_path / "out")
    female = set()
    for locale in ("en_US", "de_DE"):
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        female |= set(provider.first_names_female)
    for rec in _records(tmp_path / "out"):
        person = [s["text"] for s in rec["spans"] if s["label"] == "PERSON"]
        if person and rec["attributes"]["gender"] == "female":
            assert any(part in female for part in person[0].split()), person


def test_same_bytes_with_one_or_two_workers(recipe_data, tmp_path):
    formats = ("jsonl", "conll", "hf")
    _run(recipe_data, tmp_path / "a", workers=1, formats=formats)
    _run(recipe_data, tmp_path / "b", workers=2, formats=formats)
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")
def test_workers_are_forked_not_spawned(recipe_data, tmp_path):
    # The same bytes above, from workers that skipped the ~0.5 s of imports a spawn pays.
    recipe = build_recipe(recipe_data, base_dir=tmp_path)
    assert SampleTask(recipe, tmp_path).start_method == "fork"
    assert SampleTask(recipe, tmp_path, Layout(shard_size=10)).start_method == "fork"
    # A remote run's worker removes its staging folder at exit, which a fork skips.
    assert SampleTask(recipe, tmp_path, Layout(remote="memory://run")).start_method == "spawn"


def test_a_resumed_run_matches_an_uninterrupted_one(tmp_path):
    # Sample mode and more samples than a block of uniforms: every draw comes from them.
    data = text_recipe(mode="sample") | {"num": 700}
    formats = ("jsonl", "conll")
    _run(data, tmp_path / "full", workers=1, formats=formats)
    out = tmp_path / "cut"
    _run(data, out, workers=1, formats=formats)
    # Simulate a kill inside the second block: 300 records and half of the next one.
    lines = (out / "manifest.jsonl").read_bytes().splitlines(keepends=True)
    (out / "manifest.jsonl").write_bytes(b"".join(lines[:300]) + lines[300][:40])
    (out / "jsonl" / "data.jsonl").unlink()
    info = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**info, "status": "running"}))
    recipe = build_recipe(data | {"output": {"formats": list(formats)}}, base_dir=out.parent)
    summary = generate_dataset(recipe, out, workers=2, resume=True, progress=False)
    assert summary.made == 400
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"templates": {"en": [{"text": "Hi {nobody}.", "label": "a"}], "de": []}}, "unknown slot"),
        ({"locales": ["en_US", "xx_YY"]}, "Faker has no locale 'xx_YY'"),
        ({"locales": ["fr_FR"]}, "needs templates under templates.fr"),
        ({"templates": {"en": [{"text": "{city}er", "label": "a"}]}}, "touches a letter"),
        ({"templates": {"en": [{"text": "[a|b", "label": "a"}]}}, "unbalanced"),
        ({"classes": {"balance": {"ask": 1, "nope": 1}}}, "no template has"),
        ({"classes": {"balance": {"ask": 0}}}, "at least one weight must be above 0"),
        ({"slots": {"x": {"choices": ["a"], "provider": "job"}}}, "either choices or provider"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_templates_are_refused_with_the_reason(change, message, tmp_path):
    data = text_recipe(**change)
    if "locales" not in change:
        data["generator"]["locales"] = ["en_US"]
    with pytest.raises(RecipeError, match=message):
        build_recipe(data, base_dir=tmp_path)


def test_a_class_missing_in_one_language_is_refused(tmp_path):
    data = text_recipe()
    data["generator"]["templates"]["de"] = data["generator"]["templates"]["de"][:2]
    with pytest.raises(
        RecipeError, match=r"templates\.de has no template for the classes \['ask'\]"
    ):
        build_recipe(data, base_dir=tmp_path)


def test_an_unknown_faker_provider_is_refused_before_any_work(tmp_path):
    data = text_recipe()
    data["generator"]["slots"]["job"] = {"provider": "no_such_provider", "entity": "JOB"}
    with pytest.raises(RecipeError, match="no_such_provider"):
        _run(data, tmp_path / "out")
    assert not (tmp_path / "out" / "jsonl").exists()


def test_image_formats_are_refused_for_text(recipe_data, tmp_path):
    data = recipe_data | {"output": {"formats": ["coco"]}}
    with pytest.raises(RecipeError, match=r"'coco' encodes image samples.*conll"):
        build_recipe(data, base_dir=tmp_path)


def _render_by_parts(template: str, choices: list[int], values: list[str]):
    """The sentence joined part by part, the rules written out once more (the generator
    joins each template's alternatives once and only adds the values per sample)."""
    text, spans = "", []
    chosen, given = iter(choices), iter(values)
    for part in parse(template):
        if isinstance(part, Slot):
            piece = next(given)
            spans.append((len(text), len(text) + len(piece), piece))
        else:
            piece = part.options[next(chosen)] if isinstance(part, Choice) else part
            if isinstance(part, str) and piece.startswith(".") and text.endswith("."):
                piece = piece[1:]  # a value or an alternative ending the sentence already
            if piece.startswith(" ") and (not text or text.endswith(" ")):
                piece = piece.lstrip(" ")
        text += piece
    return text.rstrip(" "), spans


def test_render_joins_every_alternative_and_value_as_written(tmp_path):
    templates = [
        "{product}. Done[.|]",
        "[ |]{product}[|.]. [Yes|] [|ok ]{product} .",
        "[Hi |Hey, |]{product}[.| !|].[ |]",
        "[ Oh| ] {product}[, thanks|]. ",
    ]
    products = ["laptop", "Hering MBA.", "Spül maschine", "e.V."]
    data = text_recipe(
        locales={"en_US": 1},
        mode="sample",
        classes=None,
        slots={"product": {"choices": products, "entity": "PRODUCT"}},
        templates={"en": [{"text": t} for t in templates]},
    )
    generator = build_recipe(data, base_dir=tmp_path).generator()
    for k, template in enumerate(templates):
        groups = [len(p.options) for p in parse(template) if isinstance(p, Choice)]
        slots = sum(isinstance(p, Slot) for p in parse(template))
        for choices in itertools.product(*(range(n) for n in groups)):
            for values in itertools.product(products, repeat=slots):
                plan = {
                    "locale": "en_US",
                    "template": f"en/{k}",
                    "attributes": {},
                    "choices": list(choices),
                    "values": list(values),
                }
                sample = generator.render(plan)
                text, spans = _render_by_parts(template, list(choices), list(values))
                assert sample.text == text
                assert [(s.start, s.end, s.value) for s in sample.spans] == spans
