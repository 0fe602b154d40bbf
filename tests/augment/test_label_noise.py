"""``synthgen augment --label-noise``: documented label noise, clean labels beside it."""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from pycocotools.coco import COCO

from synthgen.augment.command import augment_recipe
from synthgen.cli import main
from synthgen.config import LabelNoiseConfig, RecipeError
from synthgen.errors import OptionError
from synthgen.label_noise import (
    apply_label_noise,
    check_label_noise,
    noise_rng,
    parse_label_noise,
)
from synthgen.labels import ObjectLabel
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset
from tests.helpers import tree_bytes

QUICKSTART = Path(__file__).parents[2] / "scenes" / "quickstart.yaml"
SPEC = "flip=0.2,jitter=0.05,miss=0.1,extra=0.1"
RATES = {"flip": 0.2, "jitter": 0.05, "miss": 0.1, "extra": 0.1}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small quickstart dataset with a few hundred instances."""
    root = tmp_path_factory.mktemp("noise")
    doc = yaml.safe_load(QUICKSTART.read_text())
    doc["generator"]["canvas"] = {"width": 200, "height": 150}
    doc["generator"]["objects"]["count"] = {"min": 6, "max": 9}
    doc["generator"]["blending"] = {"modes": {"alpha": 1}}
    doc["output"] = {"image": {"format": "png"}, "formats": ["coco"]}
    recipe = root / "small.yaml"
    recipe.write_text(yaml.safe_dump(doc))
    generate_dataset(load_recipe(recipe, num=40), root / "src", workers=2, progress=False)
    return root / "src" / "annotations" / "instances.json"


def _augment(source: Path, out: Path, *extra: str, workers: int = 1) -> str:
    args = ["augment", str(source), "--out", str(out), "--seed", "5", "--quiet"]
    result = CliRunner().invoke(main, [*args, "--workers", str(workers), *extra])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def runs(source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    _augment(source, root / "noisy", "--label-noise", SPEC)
    # The same copy without noise (no profile: only the API allows a plain copy).
    plain = augment_recipe(source, profiles=[], formats=["coco"], per_image=1, seed=5)
    generate_dataset(plain, root / "clean", workers=1, progress=False)
    return {"noisy": root / "noisy", "clean": root / "clean"}


def _coco(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def _records(root: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]


def _within(count: int, n: int, p: float) -> bool:
    """Within 4 binomial standard deviations (a false alarm about once in 15,000 runs)."""
    return abs(count - n * p) <= 4 * math.sqrt(n * p * (1 - p)) + 1


def test_achieved_rates_are_within_sampling_error(runs):
    report = json.loads((runs["noisy"] / "label_noise.json").read_text())
    c = report["counts"]
    assert c["instances"] >= 250
    assert _within(c["miss"], c["instances"], RATES["miss"])
    assert _within(c["extra"], c["instances"], RATES["extra"])
    assert _within(c["flip"], c["kept"], RATES["flip"])
    assert c["kept"] == c["instances"] - c["miss"]
    assert abs(report["achieved"]["jitter_rms"] - RATES["jitter"]) < 0.01
    # The summary is the sum of the manifest's per-change records.
    kinds = [ch["kind"] for r in _records(runs["noisy"]) for ch in r["noise"]["changes"]]
    assert {k: kinds.count(k) for k in ("flip", "jitter", "miss", "extra")} == {
        k: c[k] for k in ("flip", "jitter", "miss", "extra")
    }


def test_rates_on_many_instances_of_the_pure_function():
    rng = np.random.default_rng(0)
    objects = []
    for i in range(3000):
        x, y = (int(v) for v in rng.integers(0, 100, 2))
        w, h = (int(v) for v in rng.integers(40, 100, 2))
        box, mask = (x, y, x + w, y + h), np.ones((h, w), bool)
        objects.append(ObjectLabel(i + 1, "abc"[i % 3], box, mask, (300, 300)))
    cfg = LabelNoiseConfig(**RATES)
    res = apply_label_noise(objects, cfg, ["a", "b", "c"], noise_rng(1, 0))
    n, kept = len(objects), res.counts["kept"]
    assert _within(int(res.counts["miss"]), n, 0.1)
    assert _within(int(res.counts["flip"]), int(kept), 0.2)
    assert _within(int(res.counts["extra"]), n, 0.1)
    rms = math.sqrt(res.counts["jitter_sq"] / (4 * kept))
    assert abs(rms - 0.05) < 0.003
    assert len(res.objects) == kept + res.counts["extra"]
    # The input is untouched; flips never keep the class.
    assert [o.category for o in objects] == ["abc"[i % 3] for i in range(3000)]
    for ch in res.changes:
        if ch["kind"] == "flip":
            assert ch["old"] != ch["new"] == res.objects[ch["noisy"]].category


def test_clean_labels_and_images_equal_a_run_without_noise(runs):
    noisy, clean = tree_bytes(runs["noisy"]), tree_bytes(runs["clean"])
    images = [k for k in clean if k.startswith("images/")]
    assert images and all(noisy[k] == clean[k] for k in images)
    assert noisy["clean/annotations/instances.json"] == clean["annotations/instances.json"]
    assert noisy["annotations/instances.json"] != clean["annotations/instances.json"]


def test_changes_are_what_the_noisy_file_says(runs):
    noisy = _coco(runs["noisy"] / "annotations" / "instances.json")
    clean = _coco(runs["noisy"] / "clean" / "annotations" / "instances.json")
    assert noisy.getImgIds() == clean.getImgIds()
    names = {c["id"]: c["name"] for c in noisy.loadCats(noisy.getCatIds())}
    report = json.loads((runs["noisy"] / "label_noise.json").read_text())["counts"]
    assert len(clean.getAnnIds()) == report["instances"]
    assert len(noisy.getAnnIds()) == report["kept"] + report["extra"]
    seen = set()
    for rec in _records(runs["noisy"]):
        image_id = rec["index"] + 1
        img = noisy.loadImgs(image_id)[0]
        n_anns = noisy.loadAnns(noisy.getAnnIds(imgIds=image_id))
        c_anns = clean.loadAnns(clean.getAnnIds(imgIds=image_id))
        for ann in n_anns:  # every box inside the image, at least 1 px
            x, y, w, h = ann["bbox"]
            assert min(x, y) >= 0 and min(w, h) >= 1
            assert x + w <= img["width"] and y + h <= img["height"]
        for ch in rec["noise"]["changes"]:
            seen.add(ch["kind"])
            if ch["kind"] == "flip":
                assert ch["old"] != ch["new"]
                assert names[c_anns[ch["clean"]]["category_id"]] == ch["old"]
                assert names[n_anns[ch["noisy"]]["category_id"]] == ch["new"]
            elif ch["kind"] == "jitter":
                ann = n_anns[ch["noisy"]]
                assert ann["bbox"] == ch["new"] != ch["old"] == c_anns[ch["clean"]]["bbox"]
                assert "segmentation" not in ann and ann["area"] == ch["new"][2] * ch["new"][3]
            elif ch["kind"] == "miss":
                assert c_anns[ch["clean"]]["bbox"] == ch["bbox"]
            else:
                assert n_anns[ch["noisy"]]["bbox"] == ch["bbox"]
    assert seen == {"flip", "jitter", "miss", "extra"}


def test_missed_instances_keep_their_pixels(runs, source):
    checked = 0
    for rec in _records(runs["noisy"]):
        for ch in rec["noise"]["changes"]:
            if ch["kind"] != "miss":
                continue
            x, y, w, h = ch["bbox"]
            name = rec["image"]["file"]
            noisy = cv2.imread(str(runs["noisy"] / name))[y : y + h, x : x + w]
            clean = cv2.imread(str(runs["clean"] / name))[y : y + h, x : x + w]
            assert noisy.size and np.array_equal(noisy, clean)
            checked += 1
    assert checked > 0


def test_same_bytes_with_one_and_two_workers(source, runs, tmp_path):
    _augment(source, tmp_path / "two", "--label-noise", SPEC, workers=2)
    one, two = tree_bytes(runs["noisy"]), tree_bytes(tmp_path / "two")
    one.pop("run.json"), two.pop("run.json")  # run.json names its own folder
    assert one == two


def test_stdout_reports_the_rates(source, tmp_path):
    out = _augment(source, tmp_path / "n", "--label-noise", "miss=0.5")
    assert "label noise over" in out and "miss    requested 0.5" in out


@pytest.mark.parametrize(
    ("spec", "expected", "error"),
    [
        ("flip=0.05,jitter=0.03", {"flip": 0.05, "jitter": 0.03}, None),
        ("miss=0,extra=1", {"miss": 0.0, "extra": 1.0}, None),
        ("swap=0.1", None, "unknown kind 'swap'"),
        ("flip=1.5", None, "flip=1.5 is not a rate in [0, 1]"),
        ("miss=-0.1", None, "not a rate in [0, 1]"),
        ("jitter=abc", None, "not a rate in [0, 1]"),
        ("flip", None, "write KIND=RATE pairs"),
        (",", None, "give one or more"),
    ],
)
def test_parse_label_noise(spec, expected, error):
    if error is None:
        assert parse_label_noise(spec) == expected
    else:
        with pytest.raises(OptionError, match=error.replace("[", r"\[").replace("]", r"\]")):
            parse_label_noise(spec)


def test_bad_spec_on_the_command_line_is_a_clear_error(source, tmp_path):
    args = ["augment", str(source), "--out", str(tmp_path / "x"), "--label-noise", "flip=2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert "flip=2 is not a rate in [0, 1]" in result.output
    assert not (tmp_path / "x").exists()


def test_flip_needs_two_classes():
    with pytest.raises(RecipeError, match="a flip needs at least 2"):
        check_label_noise(LabelNoiseConfig(flip=0.1), ["only"])
    check_label_noise(LabelNoiseConfig(miss=0.1), ["only"])


def test_flip_matrix_draws_flips_from_the_row():
    objects = [
        ObjectLabel(i + 1, "ab"[i % 2], (0, 0, 10, 10), np.ones((10, 10), bool), (50, 50))
        for i in range(4000)
    ]
    cfg = LabelNoiseConfig(flip=0.5, flip_to={"a": {"b": 1.0, "c": 3.0}})
    res = apply_label_noise(objects, cfg, ["a", "b", "c"], noise_rng(2, 0))
    from_a = [ch["new"] for ch in res.changes if ch["kind"] == "flip" and ch["old"] == "a"]
    from_b = [ch["new"] for ch in res.changes if ch["kind"] == "flip" and ch["old"] == "b"]
    assert _within(from_a.count("c"), len(from_a), 0.75)
    assert set(from_a) == {"b", "c"}
    assert _within(from_b.count("a"), len(from_b), 0.5)  # no row: uniform over a, c
    assert set(from_b) == {"a", "c"}


def test_flip_matrix_on_the_command_line(source, tmp_path):
    names = [c["name"] for c in json.loads(source.read_text())["categories"]]
    matrix = tmp_path / "confusion.yaml"
    matrix.write_text(
        yaml.safe_dump({n: {names[0] if n != names[0] else names[1]: 1} for n in names})
    )
    out = tmp_path / "m"
    _augment(source, out, "--label-noise", "flip=0.3", "--flip-matrix", str(matrix))
    flips = [ch for r in _records(out) for ch in r["noise"]["changes"] if ch["kind"] == "flip"]
    assert flips and all(
        ch["new"] == (names[0] if ch["old"] != names[0] else names[1]) for ch in flips
    )


@pytest.mark.parametrize(
    ("matrix", "error"),
    [
        ({"nosuch": {"x": 1}}, "'nosuch' is not a class of the dataset"),
        ("SELF", "a flip never keeps the class"),
        ({"a": {"b": -1}}, "greater than 0"),
        (["a", "b"], "write one mapping per true class"),
    ],
)
def test_bad_flip_matrix_is_a_clear_error(source, tmp_path, matrix, error):
    name = json.loads(source.read_text())["categories"][0]["name"]
    if matrix == "SELF":
        matrix = {name: {name: 1}}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(matrix))
    args = ["augment", str(source), "--out", str(tmp_path / "x"), "--label-noise", "flip=0.1"]
    result = CliRunner().invoke(main, [*args, "--flip-matrix", str(path)])
    assert result.exit_code != 0
    assert error in str(result.output) + str(result.exception)
