"""End-to-end command tests: exit codes and messages for good and bad input."""

import json

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
