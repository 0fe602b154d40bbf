"""End-to-end command tests: exit codes and messages for good and bad input."""

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from synthgen.cli import main
from tests.helpers import base_recipe


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_generate_validate_preview(recipe_file, tmp_path):
    out = tmp_path / "ds"
    result = invoke("generate", recipe_file(), "--out", out, "--workers", 1, "-q")
    assert result.exit_code == 0, result.output
    assert "6 samples (0 skipped)" in result.output
    result = invoke("validate", out)
    assert result.exit_code == 0 and "OK: every label checked" in result.output
    result = invoke("preview", out, "--n", 2)
    assert result.exit_code == 0 and (out / "preview.png").exists()


def test_format_and_num_override(recipe_file, tmp_path):
    out = tmp_path / "ds"
    result = invoke(
        "generate", recipe_file(), "--out", out, "-w", 1, "-q", "--num", 2, "--format", "yolo-seg"
    )
    assert result.exit_code == 0, result.output
    info = json.loads((out / "run.json").read_text())
    assert info["formats"] == ["yolo-seg"] and info["num"] == 2
    assert not (out / "annotations").exists()
    assert yaml.safe_load((out / "recipe.yaml").read_text())["output"]["formats"] == {
        "yolo-seg": {}
    }


def test_bad_recipe_exits_2_with_the_key(recipe_file, tmp_path):
    result = invoke(
        "generate", recipe_file(base_recipe(canvas={"width": -5})), "--out", tmp_path / "o"
    )
    assert result.exit_code == 2
    assert "generator.canvas.width: Input should be greater than or equal to 8" in result.output
    assert not (tmp_path / "o").exists()  # nothing is created before the recipe is valid


def test_bad_asset_exits_2_and_writes_nothing(recipe_file, assets, tmp_path):
    (assets / "cutouts/ring/broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    result = invoke("generate", recipe_file(), "--out", tmp_path / "o")
    assert result.exit_code == 2 and "broken.png" in result.output
    assert not (tmp_path / "o").exists()


def test_existing_output_and_resume_rules(recipe_file, tmp_path):
    out = tmp_path / "o"
    assert invoke("generate", recipe_file(), "--out", out, "-w", 1, "-q").exit_code == 0
    again = invoke("generate", recipe_file(), "--out", out, "-q")
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = invoke("generate", recipe_file(), "--out", out, "-q", "--resume")
    assert resumed.exit_code == 0 and "already complete" in resumed.output
    both = invoke("generate", recipe_file(), "--out", out, "--resume", "--overwrite")
    assert both.exit_code == 2 and "exclude each other" in both.output


def test_address_needs_executor_ray(recipe_file, tmp_path):
    out = tmp_path / "o"
    result = invoke("generate", recipe_file(), "--out", out, "--address", "auto")
    assert result.exit_code == 2 and "add --executor ray" in result.output
    assert not out.exists()


def test_executor_ray_without_ray_names_the_extra(recipe_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as when not installed
    out = tmp_path / "o"
    result = invoke("generate", recipe_file(), "--out", out, "--executor", "ray")
    assert result.exit_code == 2
    assert 'pip install "synthgen[ray]"' in result.output and not out.exists()


def test_validate_fails_with_exit_1(recipe_file, tmp_path):
    out = tmp_path / "o"
    invoke("generate", recipe_file(), "--out", out, "-w", 1, "-q")
    (out / "labels/00000000.txt").write_text("9 0.5 0.5 2.0 0.1\n")
    result = invoke("validate", out)
    assert result.exit_code == 1 and "FAILED" in result.output


def test_placement_error_names_the_sample(recipe_file, tmp_path):
    data = base_recipe(
        placement={"max_occlusion": 0, "max_truncation": 0, "attempts": 5, "on_failure": "error"}
    )
    data["generator"]["objects"].update(count=[40, 40], scale=[0.6, 0.6])
    result = invoke("generate", recipe_file(data), "--out", tmp_path / "o", "-w", 1, "-q")
    assert result.exit_code == 2
    assert "sample 0: could not place" in result.output
    assert json.loads((tmp_path / "o/run.json").read_text())["status"] == "failed"


def test_skipped_samples_are_recorded(recipe_file, tmp_path):
    data = base_recipe(
        placement={"max_occlusion": 0, "max_truncation": 0, "attempts": 5, "on_failure": "skip"}
    )
    data["generator"]["objects"].update(count=[40, 40], scale=[0.6, 0.6])
    result = invoke("generate", recipe_file(data), "--out", tmp_path / "o", "-w", 1, "-q")
    assert result.exit_code == 0 and "0 samples (6 skipped)" in result.output
    records = [json.loads(x) for x in (tmp_path / "o/manifest.jsonl").read_text().splitlines()]
    assert {r["status"] for r in records} == {"skipped"} and "could not place" in records[0][
        "reason"
    ]


def test_list_shows_plugins_and_options():
    result = invoke("list")
    assert result.exit_code == 0
    for text in ("composite:", "coco:", "yolo-seg:", "placement.max_occlusion", "segmentation"):
        assert text in result.output


TEMPLATES = Path(__file__).parents[1] / "templates"


def _jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_locale_and_balance_set_the_text_distribution(tmp_path):
    out = tmp_path / "intents"
    result = invoke(
        "generate", TEMPLATES / "intents.yaml", "--out", out, "-n", 12, "-w", 1, "-q",
        "--locale", "de_DE=2,fr_FR", "--balance", "check_balance=1,transfer_money=3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _jsonl(out / "jsonl/data.jsonl")
    # intents.yaml uses quota mode: 12 samples hold the ratios exactly
    assert Counter(r["attributes"]["locale"] for r in rows) == {"de_DE": 8, "fr_FR": 4}
    assert Counter(r["intent"] for r in rows) == {"check_balance": 3, "transfer_money": 9}
    recipe = yaml.safe_load((out / "recipe.yaml").read_text())["generator"]
    assert recipe["locales"] == {"de_DE": 2.0, "fr_FR": 1.0}
    assert recipe["classes"]["balance"] == {"check_balance": 1.0, "transfer_money": 3.0}


def test_locale_sets_the_document_locales(tmp_path):
    out = tmp_path / "rcpt"
    result = invoke(
        "generate", TEMPLATES / "receipt.yaml", "--out", out, "-n", 2, "-w", 1, "-q",
        "--format", "donut", "--locale", "en_US",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    plans = [r["plan"] for r in _jsonl(out / "manifest.jsonl")]
    assert {p["locale"] for p in plans} == {"en_US"}
    pages = [
        json.loads(r["ground_truth"])["gt_parse"]
        for r in _jsonl(out / "donut/train/metadata.jsonl")
    ]
    assert all(page["total"].startswith("$") for page in pages)  # en_US money, not "12,34 €"


def test_balance_sets_the_composite_class_weights(recipe_file, tmp_path):
    path = recipe_file()
    out = tmp_path / "squares"
    result = invoke(
        "generate", path, "--out", out, "-w", 1, "-q", "--format", "coco", "--balance", "square"
    )
    assert result.exit_code == 0, result.output
    coco = json.loads((out / "annotations/instances.json").read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert {names[a["category_id"]] for a in coco["annotations"]} == {"square"}


def test_resume_refuses_other_locales(tmp_path):
    out = tmp_path / "o"
    args = ("generate", TEMPLATES / "intents.yaml", "--out", out, "-n", 3, "-w", 1, "-q")
    assert invoke(*args, "--locale", "en_US").exit_code == 0
    other = invoke(*args, "--resume", "--locale", "de_DE")
    assert other.exit_code == 2 and "different recipe" in other.output
    same = invoke(*args, "--resume", "--locale", "en_US")
    assert same.exit_code == 0 and "already complete" in same.output


@pytest.mark.parametrize(
    ("recipe", "flags", "messages"),
    [
        (
            "composite",
            ["--locale", "de_DE"],
            ["--locale: the composite generator has no locales to set"],
        ),
        (
            "composite",
            ["--balance", "cat=1"],
            [
                "generator.objects.class_weights: unknown classes ['cat']",
                "note: --balance cat replaced the recipe's generator.objects.class_weights",
            ],
        ),
        (
            "receipt.yaml",
            ["--balance", "uniform"],
            ["--balance: the document generator has no class balance to set"],
        ),
        ("ner_pii.yaml", ["--balance", "uniform"], ["has no generator.classes section"]),
        (
            "intents.yaml",
            ["--locale", "de_DE,ja_JP"],
            [
                "generator: locale ja_JP needs templates under templates.ja",
                "note: --locale de_DE,ja_JP replaced the recipe's generator.locales",
            ],
        ),
        (
            "intents.yaml",
            ["--locale", "xx_YY"],
            ["generator.locales: Faker has no locale 'xx_YY'", "note: --locale xx_YY"],
        ),
        (
            "intents.yaml",
            ["--balance", "check_balance,nope=2"],
            ["classes.balance names ['nope'], which no template has", "note: --balance"],
        ),
        ("intents.yaml", ["--locale", "de_DE=many"], ["Invalid value for '--locale'"]),
        ("intents.yaml", ["--balance", "a=0"], ["Invalid value for '--balance'", "above 0"]),
    ],
)
def test_flags_that_do_not_fit_exit_2_naming_the_flag(
    recipe, flags, messages, recipe_file, tmp_path
):
    path = recipe_file() if recipe == "composite" else TEMPLATES / recipe
    result = invoke("generate", path, "--out", tmp_path / "o", "-q", *flags)
    assert result.exit_code == 2
    for message in messages:
        assert message in result.output
    assert not (tmp_path / "o").exists()
