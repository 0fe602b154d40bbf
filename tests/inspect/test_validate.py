import json
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest

from synthgen.inspect.validate import validate_dataset
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset


@pytest.fixture
def dataset(recipe_file, tmp_path):
    out = tmp_path / "ds"
    generate_dataset(load_recipe(recipe_file()), out, workers=1, progress=False)
    return out


def edit_coco(root, change):
    path = root / "annotations/instances.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_a_fresh_dataset_passes(dataset):
    report = validate_dataset(dataset)
    assert report.ok, report.format()
    text = report.format()
    for part in ("coco:", "yolo:", "voc:", "masks:", "images:"):
        assert part in text


def shift_box(doc):
    doc["annotations"][0]["bbox"][0] += 1


def wrong_area(doc):
    doc["annotations"][1]["area"] += 3


def drop_annotation(doc):
    doc["annotations"].pop()


def xyxy_boxes(doc):  # the 'hosted tool' bug: corners written as if they were x, y, w, h
    a = doc["annotations"][0]
    a["bbox"] = [
        a["bbox"][0],
        a["bbox"][1],
        a["bbox"][0] + a["bbox"][2],
        a["bbox"][1] + a["bbox"][3],
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (shift_box, "!= tight box of its mask"),
        (wrong_area, "!= mask pixel count"),
        (drop_annotation, "annotations loaded"),
        (xyxy_boxes, "bbox"),
    ],
)
def test_planted_coco_defects_are_found(dataset, change, message):
    edit_coco(dataset, change)
    report = validate_dataset(dataset)
    assert not report.ok
    assert any(message in d for d in report.defects), report.format()


def test_yolo_line_off_by_a_pixel_is_found(dataset):
    path = dataset / "labels/00000000.txt"
    cls, cx, *rest = path.read_text().splitlines()[0].split()
    lines = path.read_text().splitlines()
    lines[0] = " ".join([cls, f"{float(cx) + 1 / 160:.6f}", *rest])
    path.write_text("\n".join(lines) + "\n")
    report = validate_dataset(dataset)
    assert any("labels/00000000.txt line 1: box" in d for d in report.defects)


def test_voc_zero_based_box_is_found(dataset):
    path = dataset / "voc/Annotations/00000001.xml"
    doc = ET.parse(path)
    box = doc.getroot().find("object/bndbox")
    box.find("xmin").text = str(int(box.find("xmin").text) - 1)
    doc.write(path)
    assert any("box != reference" in d for d in validate_dataset(dataset).defects)


def test_mask_png_disagreeing_with_coco_is_found(dataset):
    path = dataset / "masks/instance/00000002.png"
    inst = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    inst[inst == 1] = 0
    cv2.imwrite(str(path), inst.astype(np.uint16))
    assert not validate_dataset(dataset).ok


def test_an_unfinished_run_is_refused(dataset):
    info = json.loads((dataset / "run.json").read_text())
    (dataset / "run.json").write_text(json.dumps({**info, "status": "running"}))
    report = validate_dataset(dataset)
    assert not report.ok and "not complete" in report.defects[0]


def test_missing_image_is_found(dataset):
    (dataset / "images/00000003.jpg").unlink()
    assert any("image file missing" in d for d in validate_dataset(dataset).defects)
