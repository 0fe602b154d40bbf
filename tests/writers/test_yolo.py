import numpy as np
import pytest
import yaml
from pycocotools import mask as coco_mask

from tests.writers.conftest import HEIGHT, WIDTH, known_sample


def test_detection_lines_follow_the_contract(written):
    root = written("yolo")
    lines = (root / "labels/00000000.txt").read_text().splitlines()
    cls, cx, cy, w, h = lines[0].split()
    assert cls == "0"
    assert float(cx) == pytest.approx((5 + 10) / WIDTH) and float(cy) == pytest.approx(
        (10 + 5) / HEIGHT
    )
    assert float(w) == pytest.approx(20 / WIDTH) and float(h) == pytest.approx(10 / HEIGHT)
    assert lines[1].split()[0] == "1"
    doc = yaml.safe_load((root / "data.yaml").read_text())
    assert doc["names"] == {0: "cat", 1: "dog"} and doc["train"] == "images" and "path" not in doc


def test_segmentation_polygon_fills_back_to_the_mask_with_its_hole(written):
    root = written("yolo-seg")
    line = (root / "labels/00000001.txt").read_text().splitlines()[1]
    values = np.array(line.split()[1:], float)
    poly = np.round(values.reshape(-1, 2) * [WIDTH, HEIGHT]).ravel().tolist()
    mask = coco_mask.decode(coco_mask.frPyObjects([poly], HEIGHT, WIDTH))[:, :, 0]
    assert np.array_equal(mask, known_sample().instance_map == 2)
    assert yaml.safe_load((root / "data.yaml").read_text())["task"] == "segment"
