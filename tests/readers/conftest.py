"""Datasets to read: a few synthgen samples in every format, and tiny hand-made ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml
from pycocotools import mask as coco_mask

from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset

QUICKSTART = Path(__file__).parents[2] / "scenes" / "quickstart.yaml"
W, H = 40, 30  # the hand-made image


def _generate(root: Path, formats: dict[str, Any]) -> Path:
    data = yaml.safe_load(QUICKSTART.read_text())
    data["num"] = 4
    data["generator"]["canvas"] = {"width": 320, "height": 240}
    data["output"]["formats"] = formats
    recipe = root.with_suffix(".yaml")
    recipe.write_text(yaml.safe_dump(data))
    generate_dataset(load_recipe(recipe), root, workers=1, progress=False)
    return root


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 quickstart samples (keypoints, occlusion, truncation) as coco, yolo, voc, masks."""
    return _generate(
        tmp_path_factory.mktemp("gen") / "main", {"coco": {}, "yolo": {}, "voc": {}, "masks": {}}
    )


@pytest.fixture(scope="session")
def generated_seg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same samples as COCO with RLE masks and YOLO segmentation."""
    return _generate(
        tmp_path_factory.mktemp("gen") / "seg", {"coco": {"segmentation": "rle"}, "yolo-seg": {}}
    )


def write_image(path: Path, width: int = W, height: int = H) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.zeros((height, width, 3), np.uint8)
    img[:, :, 1] = np.arange(width, dtype=np.uint8)[None, :] * 5
    cv2.imwrite(str(path), img)


def rle_of(mask: np.ndarray) -> dict[str, Any]:
    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": rle["size"], "counts": rle["counts"].decode()}


def uncompressed_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO's uncompressed RLE (run lengths, column-major, starting with a zero run)."""
    flat = mask.ravel(order="F")
    bounds = np.concatenate([[0], np.flatnonzero(flat[1:] != flat[:-1]) + 1, [flat.size]])
    counts = np.diff(bounds).tolist()
    return {"size": list(mask.shape), "counts": [0, *counts] if flat[0] else counts}


def tiny_coco_doc() -> dict[str, Any]:
    """One 40x30 image: overlapping polygons, compressed and uncompressed RLE, a crowd,
    float boxes and areas, a box-only annotation, keypoints and extra fields."""
    blob = np.zeros((H, W), bool)
    blob[2:9, 22:27] = True
    blob[4:6, 23:25] = False  # a hole
    crowd = np.zeros((H, W), bool)
    crowd[0:30, 0:12] = True
    anns = [
        # 101: a big square, under 102 (smaller) and over the crowd
        {
            "id": 101,
            "image_id": 7,
            "category_id": 3,
            "bbox": [0, 0, 20, 20],
            "area": 400,
            "iscrowd": 0,
            "segmentation": [[0, 0, 20, 0, 20, 20, 0, 20]],
        },
        {
            "id": 102,
            "image_id": 7,
            "category_id": 5,
            "bbox": [10, 10, 6, 6],
            "area": 36,
            "iscrowd": 0,
            "segmentation": [[10, 10, 16, 10, 16, 16, 10, 16]],
            "keypoints": [11.5, 11.5, 2, 14.5, 11.5, 1, 0, 0, 0],
            "num_keypoints": 2,
        },
        {
            "id": 103,
            "image_id": 7,
            "category_id": 5,
            "bbox": [22, 2, 5, 7],
            "area": int(blob.sum()),
            "iscrowd": 0,
            "segmentation": rle_of(blob),
            "attributes": {"occluded": True},
            "score": 0.9,
        },
        {
            "id": 104,
            "image_id": 7,
            "category_id": 3,
            "bbox": [0, 0, 12, 30],
            "area": 360,
            "iscrowd": 1,
            "segmentation": uncompressed_rle(crowd),
        },
        # box only, float: rounds outward to columns 27..37, rows 12..18
        {
            "id": 105,
            "image_id": 7,
            "category_id": 5,
            "bbox": [27.5, 12.25, 10.0, 6.5],
            "area": 65.0,
            "iscrowd": 0,
        },
        # a float polygon, as COCO's own annotations are
        {
            "id": 106,
            "image_id": 7,
            "category_id": 3,
            "bbox": [30.2, 20.1, 8.5, 8.8],
            "area": 74.8,
            "iscrowd": 0,
            "segmentation": [[30.2, 20.1, 38.7, 20.1, 38.7, 28.9, 30.2, 28.9]],
        },
        # two equal squares: the later one lies on top
        {
            "id": 107,
            "image_id": 7,
            "category_id": 3,
            "bbox": [20, 22, 4, 4],
            "area": 16,
            "iscrowd": 0,
            "segmentation": [[20, 22, 24, 22, 24, 26, 20, 26]],
        },
        {
            "id": 108,
            "image_id": 7,
            "category_id": 3,
            "bbox": [22, 22, 4, 4],
            "area": 16,
            "iscrowd": 0,
            "segmentation": [[22, 22, 26, 22, 26, 26, 22, 26]],
        },
    ]
    return {
        "info": {"description": "hand-made"},
        "images": [
            {"id": 7, "file_name": "a.png", "width": W, "height": H},
            {"id": 9, "file_name": "b.png", "width": W, "height": H},
        ],
        "categories": [
            {"id": 3, "name": "square", "supercategory": "shape"},
            {
                "id": 5,
                "name": "face",
                "supercategory": "shape",
                "keypoints": ["left_eye", "right_eye", "nose"],
                "skeleton": [[1, 2]],
            },
        ],
        "annotations": anns,
    }


def write_coco(root: Path, doc: dict[str, Any] | None = None) -> Path:
    """The tiny COCO dataset as root/annotations/instances.json and root/images/."""
    doc = doc or tiny_coco_doc()
    for img in doc["images"]:
        write_image(root / "images" / img["file_name"])  # 40x30, whatever the doc says
    path = root / "annotations" / "instances.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


XML = """<annotation>
  <folder>VOC2007</folder>
  <filename>a.png</filename>
  <size><width>40</width><height>30</height><depth>3</depth></size>
  <object>
    <name>person</name>
    <pose>Left</pose>
    <truncated>1</truncated>
    <difficult>0</difficult>
    <bndbox><xmin>1</xmin><ymin>1</ymin><xmax>20</xmax><ymax>10</ymax></bndbox>
    <part><name>head</name><bndbox><xmin>2</xmin><ymin>2</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></part>
  </object>
  <object>
    <name>dog</name>
    <difficult>1</difficult>
    <bndbox><xmin>10.5</xmin><ymin>12</ymin><xmax>30.5</xmax><ymax>30</ymax></bndbox>
  </object>
</annotation>
"""


def make_voc(root: Path, xml: str = XML, labels: str | None = None) -> Path:
    (root / "Annotations").mkdir(parents=True)
    (root / "Annotations/a.xml").write_text(xml)
    write_image(root / "JPEGImages/a.png")
    if labels is not None:
        (root / "labels.txt").write_text(labels)
    return root
