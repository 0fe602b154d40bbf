"""Copy-paste of rare instances until a class balance: counts, occlusion, files, errors."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from pycocotools.coco import COCO

from synthgen.augment.command import augment_recipe, parse_copy_paste
from synthgen.augment.copy_paste import apply_pastes
from synthgen.cli import main
from synthgen.errors import OptionError
from synthgen.labels import derive_labels
from synthgen.run import generate_dataset
from synthgen.sample import Instance, Sample

SIZE = 64


def _square(x: int, y: int, w: int, h: int) -> list[list[int]]:
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six 64x64 images: two 'a' squares in each, one masked 'b' (image 0), one box-only
    'c' (image 1): a=12, b=1, c=1."""
    root = tmp_path_factory.mktemp("cp")
    rng = np.random.default_rng(0)
    images, annotations = [], []
    for i in range(6):
        pixels = rng.integers(0, 80, (SIZE, SIZE, 3), dtype=np.uint8)
        objects = [("a", (4 + i, 4, 10, 10)), ("a", (40, 6, 10, 10))]
        if i == 0:
            objects.append(("b", (20, 40, 12, 12)))
        if i == 1:
            objects.append(("c", (30, 30, 8, 8)))
        for name, (x, y, w, h) in objects:
            pixels[y : y + h, x : x + w] = {"a": 200, "b": 120, "c": 60}[name]
            ann = {"image_id": i + 1, "category_id": "abc".index(name) + 1, "iscrowd": 0}
            ann.update(bbox=[x, y, w, h], area=w * h, id=len(annotations) + 1)
            ann["segmentation"] = [] if name == "c" else _square(x, y, w, h)
            annotations.append(ann)
        cv2.imwrite(str(root / f"{i}.png"), pixels[:, :, ::-1])
        images.append({"id": i + 1, "file_name": f"{i}.png", "width": SIZE, "height": SIZE})
    cats = [{"id": k + 1, "name": n, "supercategory": "x"} for k, n in enumerate("abc")]
    data = {"images": images, "annotations": annotations, "categories": cats}
    (root / "instances.json").write_text(json.dumps(data))
    return root / "instances.json"


def _run(source: Path, out: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["augment", str(source), "--out", str(out), "--workers", "1", "--quiet", *args],
    )
    return result.exit_code, result.output


def test_counts_after_balancing_match_the_target(source, tmp_path):
    out = tmp_path / "bal"
    code, output = _run(source, out, "--copy-paste", "rare", "--target-balance", "uniform")
    assert code == 0, output
    report = json.loads((out / "balance.json").read_text())
    assert report["before"] == {"a": 12, "b": 1, "c": 1}
    assert report["target"] == {"a": 12, "b": 12, "c": 12}
    assert report["after"] == {"a": 12, "b": 12, "c": 1}  # exact where donors exist
    assert report["missed"] == {"c": 11}
    assert "box only" in report["unmet"]["c"]
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    pastes = [p for r in records for p in r["plan"]["pastes"]]
    assert len(pastes) == 11 and all(p["placed"] for p in pastes)
    first = pastes[0]
    assert first["class"] == "b" and first["donor"]["image_id"] == 1
    assert first["donor"]["instance"] == 3 and first["blend"] == {"mode": "none"}
    assert {"scale", "size", "position", "flip", "id"} <= set(first)
    # Pasted into other images only.
    assert all(r["plan"]["source"]["image_id"] != 1 for r in records if r["plan"]["pastes"])
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(out / "annotations" / "instances.json"))
    written = sum(sum(r["objects"].values()) for r in records)
    assert len(coco.getAnnIds()) == written == 25
    assert len(coco.getAnnIds(catIds=[2])) == 12


def test_weights_and_ground_rule(source, tmp_path):
    out = tmp_path / "w"
    code, output = _run(
        source, out, "--copy-paste", "b", "--target-balance", "a=3,b=1",
        "--paste-param", "ground=true", "--paste-param", "blend=gaussian",
    )  # fmt: skip
    assert code == 0, output
    report = json.loads((out / "balance.json").read_text())
    assert report["target"] == {"a": 12, "b": 4} and report["after"]["b"] == 4
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    for paste in (p for r in records for p in r["plan"]["pastes"]):
        assert paste["position"][1] + paste["size"][1] >= SIZE // 2
        assert paste["blend"]["mode"] == "gaussian"


def test_a_paste_occludes_existing_instances():
    imap = np.zeros((40, 60), np.uint16)
    imap[10:20, 10:30] = 1  # columns 10..29
    imap[25:35, 40:50] = 2
    whole = np.ones((10, 20), bool)
    insts = [Instance(1, "a", whole, (10, 10)), Instance(2, "a", np.ones((10, 10), bool), (40, 25))]
    sample = Sample(np.zeros((40, 60, 3), np.uint8), imap, insts)
    donor = (np.ones((12, 10), bool), np.full((12, 10, 3), 255, np.uint8))
    half = {"placed": True, "class": "b", "size": [10, 12], "position": [10, 9]}
    half.update(flip=False, blend={"mode": "none"}, id=3)
    most = {**half, "position": [41, 24], "id": 4}
    out = apply_pastes(sample, [half, most], [donor, donor])
    labels = {o.instance_id: o for o in derive_labels(out, 0.15, 4)}
    assert abs(labels[1].visibility - 0.5) <= 0.01
    assert labels[1].bbox_xyxy == (20, 10, 30, 20) and labels[1].area == 100
    assert 2 not in labels  # 10 of 100 pixels left, below 0.15: dropped everywhere
    assert labels[3].bbox_xyxy == (10, 9, 20, 21) and labels[3].visibility == 1.0
    assert out.image[15, 15].tolist() == [255, 255, 255]
    assert all(inst.source is None for inst in out.instances)


def test_same_bytes_with_one_and_two_workers(source, tmp_path):
    pasting = parse_copy_paste("rare", "uniform", ("blend=any",))
    for workers in (1, 2):
        recipe = augment_recipe(
            source, profiles=[], formats=["coco", "yolo"], per_image=2, seed=4,
            copy_paste=pasting,
        )  # fmt: skip
        generate_dataset(recipe, tmp_path / str(workers), workers=workers, progress=False)
    files = [
        {
            str(p.relative_to(tmp_path / str(w))): p.read_bytes()
            for p in sorted((tmp_path / str(w)).rglob("*"))
            if p.is_file() and p.name != "run.json"
        }
        for w in (1, 2)
    ]
    assert len(files[0]) > 10 and files[0] == files[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--copy-paste", "bus"], "unknown class 'bus'"),
        (["--copy-paste", "c"], "no usable donor for c"),
        (["--copy-paste", "rare", "--target-balance", "a=x"], "--target-balance a=x"),
        (["--copy-paste", "rare", "--target-balance", "a=0"], "positive weights"),
        (["--copy-paste", "b", "--target-balance", "a=1"], "has no weight"),
        (["--copy-paste", "rare", "--paste-param", "tries=0"], "tries"),
    ],
)
def test_clear_errors(source, tmp_path, args, message):
    code, output = _run(source, tmp_path / "e", *args)
    assert code == 2, output
    assert message in output


def test_parse_copy_paste_rejects_empty():
    with pytest.raises(OptionError, match="rare"):
        parse_copy_paste(" ", "uniform")
