"""``synthgen convert``: other formats from one, through the writers; errors exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
from click.testing import CliRunner

from synthgen.cli import main
from synthgen.readers import open_dataset
from tests.readers.conftest import make_voc, tiny_coco_doc, write_coco


def run(*args: str):
    return CliRunner().invoke(main, [*args, "-q"], catch_exceptions=False)


def test_coco_to_yolo_and_voc_equals_what_generate_wrote(generated, tmp_path):
    out = tmp_path / "out"
    result = run(
        "convert",
        str(generated / "annotations/instances.json"),
        "--out",
        str(out),
        "--format",
        "yolo,voc,masks",
    )
    assert result.exit_code == 0, result.output
    assert "4 images" in result.output
    for rel in ("labels", "voc/Annotations", "masks/instance", "masks/semantic"):
        for path in sorted((generated / rel).iterdir()):
            assert (out / rel / path.name).read_bytes() == path.read_bytes(), path
    assert (out / "data.yaml").read_text() == (generated / "data.yaml").read_text()
    for name in ("00000000.jpg", "00000003.jpg"):
        assert (out / "images" / name).read_bytes() == (generated / "images" / name).read_bytes()
    sources = [json.loads(line) for line in (out / "sources.jsonl").read_text().splitlines()]
    assert sources[0]["file"] == "images/00000000.jpg" and sources[0]["source"]["image_id"] == 1
    assert not list(out.glob("*.partial"))


def test_yolo_gets_contiguous_classes_coco_keeps_ids(tmp_path):
    src = write_coco(tmp_path / "src")  # category ids 3 and 5
    assert (
        run("convert", str(src), "--out", str(tmp_path / "y"), "--format", "yolo,coco").exit_code
        == 0
    )
    data = (tmp_path / "y/data.yaml").read_text()
    assert "0: square" in data and "1: face" in data
    lines = (tmp_path / "y/labels/a.txt").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["0", "1", "1", "0", "1", "0", "0", "0"]
    coco = json.loads((tmp_path / "y/annotations/instances.json").read_text())
    assert [c["id"] for c in coco["categories"]] == [3, 5]


def test_errors_name_the_file_and_exit_2(tmp_path):
    doc = tiny_coco_doc()
    doc["annotations"][2]["category_id"] = 8
    src = write_coco(tmp_path / "src", doc)
    result = CliRunner().invoke(
        main, ["convert", str(src), "--out", str(tmp_path / "o"), "--format", "yolo"]
    )
    assert result.exit_code == 2
    assert f"{src}: annotation 103: unknown category_id 8" in result.output
    good = write_coco(tmp_path / "good")
    (tmp_path / "full").mkdir()
    (tmp_path / "full/x").write_text("")
    result = CliRunner().invoke(
        main, ["convert", str(good), "--out", str(tmp_path / "full"), "--format", "yolo"]
    )
    assert result.exit_code == 2 and "not an empty folder" in result.output
    result = CliRunner().invoke(
        main, ["convert", str(good), "--out", str(tmp_path / "o2"), "--format", "yolo,yolo-seg"]
    )
    assert result.exit_code == 2 and "both write labels" in result.output
    result = CliRunner().invoke(
        main, ["convert", str(good), "--out", str(tmp_path / "o3"), "--format", "conll"]
    )
    assert result.exit_code == 2 and "not image labels" in result.output
    (good.parent.parent / "images/b.png").unlink()
    result = CliRunner().invoke(
        main, ["convert", str(good), "--out", str(tmp_path / "o4"), "--format", "coco"]
    )
    assert result.exit_code == 2 and "1 of 2 images are missing" in result.output
    assert not (tmp_path / "o4").exists()  # refused before anything was written


def test_duplicate_base_names_are_refused(tmp_path):
    doc = tiny_coco_doc()
    doc["images"][1]["file_name"] = "sub/a.png"
    src = write_coco(tmp_path / "src", doc)
    result = CliRunner().invoke(
        main, ["convert", str(src), "--out", str(tmp_path / "o"), "--format", "yolo"]
    )
    assert result.exit_code == 2 and "share the base name a.png" in result.output


def test_yolo_into_coco_gives_synthgen_coco_labels(generated, tmp_path):
    out: Path = tmp_path / "out"
    assert (
        run(
            "convert", str(generated / "data.yaml"), "--out", str(out), "--format", "coco"
        ).exit_code
        == 0
    )
    got = json.loads((out / "annotations/instances.json").read_text())["annotations"]
    want = json.loads((generated / "annotations/instances.json").read_text())["annotations"]
    assert [(a["category_id"], a["bbox"]) for a in got] == [
        (a["category_id"], a["bbox"]) for a in want
    ]
    assert all("segmentation" not in a for a in got)  # YOLO boxes have no outline


def test_voc_class_order_from_the_command_line(tmp_path):
    src = make_voc(tmp_path / "voc")
    out = tmp_path / "out"
    result = run(
        "convert", str(src), "--out", str(out), "--format", "yolo", "--classes", "person,dog"
    )
    assert result.exit_code == 0, result.output
    assert "0: person" in (out / "data.yaml").read_text()
    assert [line.split()[0] for line in (out / "labels/a.txt").read_text().splitlines()] == [
        "0",
        "1",
    ]


def test_mask_pngs_of_overlapping_annotations_follow_the_instance_map(tmp_path):
    src = write_coco(tmp_path / "src")
    assert (
        run("convert", str(src), "--out", str(tmp_path / "m"), "--format", "masks").exit_code == 0
    )
    png = cv2.imread(str(tmp_path / "m/masks/instance/a.png"), cv2.IMREAD_UNCHANGED)
    assert (png == next(iter(open_dataset(src))).load().instance_map).all()
