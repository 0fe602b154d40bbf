"""COCO -> Sample -> COCO: identical for untouched data; the overlap and box-only rules."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO

from synthgen.labels import derive_labels
from synthgen.readers import DatasetError, open_dataset
from synthgen.readers.convert import convert_dataset
from tests.readers.conftest import tiny_coco_doc, write_coco


def load(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def read_json(root: Path) -> dict[str, Any]:
    return json.loads((root / "annotations/instances.json").read_text())


@pytest.mark.parametrize("dataset", ["generated", "generated_seg"])
def test_generated_coco_round_trips_exactly(dataset, request, tmp_path):
    src = request.getfixturevalue(dataset)
    convert_dataset(open_dataset(src, "coco"), tmp_path / "out", ["coco"])
    before, after = read_json(src), read_json(tmp_path / "out")
    assert after["annotations"] == before["annotations"]  # polygons or RLE, keypoints, extras
    assert after["images"] == before["images"]
    assert after["categories"] == before["categories"]
    written = load(tmp_path / "out/annotations/instances.json")
    assert len(written.anns) == len(before["annotations"]) > 0
    assert len(written.imgs) == len(before["images"])


def test_pixels_alone_give_synthgen_labels_back(generated):
    """Without the source labels (as after a transform), labels derived from the instance
    map are synthgen's own: the map holds exactly each annotation's mask."""
    coco = load(generated / "annotations/instances.json")
    for image in open_dataset(generated, "coco"):
        sample = image.load()
        for inst in sample.instances:
            inst.source = None
        labels = derive_labels(sample)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image.image_id]))
        assert len(labels) == len(anns)
        for label, ann in zip(labels, anns, strict=True):
            assert list(label.bbox_xywh) == ann["bbox"]
            assert label.area == ann["area"]
            assert np.array_equal(label.full_mask(), coco.annToMask(ann).astype(bool))


def test_hand_made_coco_round_trips_annotation_by_annotation(tmp_path):
    src = write_coco(tmp_path / "src")
    convert_dataset(open_dataset(src), tmp_path / "out", ["coco"])
    before, after = json.loads(src.read_text()), read_json(tmp_path / "out")
    strip = ("id", "image_id")
    assert [{k: v for k, v in a.items() if k not in strip} for a in after["annotations"]] == [
        {k: v for k, v in a.items() if k not in strip} for a in before["annotations"]
    ]
    assert [(i["file_name"], i["width"], i["height"]) for i in after["images"]] == [
        (i["file_name"], i["width"], i["height"]) for i in before["images"]
    ]
    assert after["categories"] == before["categories"]
    ref, out = load(src), load(tmp_path / "out/annotations/instances.json")
    assert len(out.anns) == len(ref.anns) == 8
    for a, b in zip(ref.loadAnns(sorted(ref.anns)), out.loadAnns(sorted(out.anns)), strict=True):
        assert (a["bbox"], a["area"]) == (b["bbox"], b["area"])
        if "segmentation" in a:
            assert np.array_equal(ref.annToMask(a), out.annToMask(b))


def _first_sample(src: Path):
    return next(iter(open_dataset(src))).load()


def test_overlaps_crowd_below_smaller_on_top_later_on_top(tmp_path):
    sample = _first_sample(write_coco(tmp_path))
    imap = sample.instance_map
    assert imap[12, 12] == 2  # the 6x6 square lies on the 20x20 one
    assert imap[5, 5] == 1  # the square lies on the crowd
    assert imap[25, 5] == 4  # the crowd where nothing else is
    assert imap[24, 23] == 8 and imap[24, 21] == 7  # equal areas: the later one on top
    big = sample.instances[0]
    assert big.amodal_mask is not None and big.amodal_mask.sum() == 400  # its whole mask
    labels = {lab.instance_id: lab for lab in derive_labels(sample)}
    assert len(labels) == 8  # every annotation, hidden parts and all
    assert labels[1].area == 400 and labels[1].visibility == pytest.approx(364 / 400)
    assert labels[4].attributes == {"iscrowd": 1}
    assert labels[4].visibility == pytest.approx(120 / 360)
    assert labels[3].attributes == {"occluded": True}


def test_box_only_annotation_is_its_box_rounded_outward(tmp_path):
    sample = _first_sample(write_coco(tmp_path))
    inst = sample.instances[4]  # bbox [27.5, 12.25, 10.0, 6.5], no segmentation
    assert inst.box_only and inst.amodal_origin == (27, 12)
    assert inst.amodal_mask is not None and inst.amodal_mask.shape == (7, 11)
    assert inst.amodal_mask.all()
    assert not any(i.box_only for k, i in enumerate(sample.instances) if k != 4)
    label = derive_labels(sample)[4]
    assert label.source is not None and label.source.bbox_xywh == (27.5, 12.25, 10.0, 6.5)


def test_keypoints_keep_their_flags_and_absent_ones_are_nan(tmp_path):
    path = write_coco(tmp_path)
    face = open_dataset(path).categories[1]
    assert face.skeleton == (("left_eye", "right_eye"),)
    assert face.flip_pairs == (("left_eye", "right_eye"),)  # found by name
    sample = _first_sample(path)
    face = sample.instances[1]
    assert face.keypoints is not None and np.isnan(face.keypoints[2]).all()
    label = derive_labels(sample)[1]
    assert label.keypoints is not None and label.keypoints[:, 2].tolist() == [2, 1, 0]


def test_touched_instances_get_labels_from_pixels(tmp_path):
    sample = _first_sample(write_coco(tmp_path))
    sample.instance_map[13, 13] = 0  # inside the windows of instances 1 and 2 only
    labels = derive_labels(sample)
    touched = [lab.instance_id for lab in labels if lab.source is None]
    assert touched == [1, 2]
    big = labels[0]
    assert big.bbox_xyxy == (0, 0, 20, 20) and big.area == 400 - 36  # its visible part
    sample.instance_map[:] = sample.instance_map[:, ::-1]  # a flip: nothing is untouched
    assert all(lab.source is None for lab in derive_labels(sample))


def test_moved_keypoints_or_masks_break_the_seal_too(tmp_path):
    """A flip of a symmetric object leaves its part of the map as it was, not its keypoints."""
    sample = _first_sample(write_coco(tmp_path))
    face, square = sample.instances[1], sample.instances[6]
    assert face.keypoints is not None and square.amodal_mask is not None
    face.keypoints = face.keypoints[[1, 0, 2]]
    square.amodal_origin = (19, 22)
    assert [lab.instance_id for lab in derive_labels(sample) if lab.source is None] == [2, 7]


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["annotations"][0][key] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set("category_id", 4), "annotation 101: unknown category_id 4"),
        (_set("image_id", 99), "annotation 101: image_id 99 is not in 'images'"),
        (_set("bbox", [30, 0, 20, 20]), "leaves the 40x30 image"),
        (_set("bbox", [0, 0, 0, 20]), "empty box"),
        (_set("bbox", [0, 0, 20]), "is not [x, y, w, h]"),
        (_set("segmentation", {"size": [10, 10], "counts": "abc"}), "RLE size [10, 10]"),
        (_set("segmentation", [[1, 2, 3]]), "a polygon must be a flat list"),
        (_set("keypoints", [1, 2, 2]), None),  # a category without keypoints ignores them
        (lambda d: d["annotations"][1].update(keypoints=[1, 1, 2]), "3 keypoint values"),
        (lambda d: d["categories"][1].update(name="square"), "'square' appears twice"),
        (lambda d: d["images"][0].update(width=41), "the image is 40x30 but"),
        (lambda d: d.pop("categories"), "no 'categories' list"),
    ],
)
def test_bad_coco_is_refused_naming_file_and_entry(tmp_path, change, expected):
    doc = tiny_coco_doc()
    change(doc)
    path = write_coco(tmp_path, doc)
    with contextlib.nullcontext() if expected is None else pytest.raises(DatasetError) as err:
        for image in open_dataset(path):
            image.load()
    if expected is not None:
        assert expected in str(err.value) and "instances.json" in str(err.value)


def test_clip_boxes_clips_and_drops_the_source_label(tmp_path):
    doc = tiny_coco_doc()
    doc["annotations"][4]["bbox"] = [30.5, 12.25, 20.0, 6.5]  # leaves the right border
    path = write_coco(tmp_path, doc)
    sample = next(iter(open_dataset(path, clip_boxes=True))).load()
    inst = sample.instances[4]
    assert inst.source is None and inst.amodal_origin == (30, 12)
    assert inst.amodal_mask is not None and inst.amodal_mask.shape == (7, 10)


def test_missing_corrupt_and_unreadable_inputs(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        open_dataset(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(DatasetError, match=r"bad\.json: not valid JSON"):
        open_dataset(tmp_path / "bad.json")
    path = write_coco(tmp_path / "ds")
    (tmp_path / "ds/images/b.png").unlink()
    reader = open_dataset(path)
    with pytest.raises(DatasetError, match=r"1 of 2 images are missing, first b\.png"):
        reader.check_images()
    images = list(reader)
    with pytest.raises(DatasetError, match=r"b\.png: image missing"):
        images[1].load()
    (tmp_path / "ds/images/b.png").write_bytes(b"not an image")
    with pytest.raises(DatasetError, match=r"b\.png: empty or not a readable image"):
        images[1].load()


def test_images_folder_is_found_or_given(tmp_path):
    path = write_coco(tmp_path / "ds")
    assert open_dataset(path).images_dir == tmp_path / "ds/images"  # ../images
    moved = tmp_path / "elsewhere"
    (tmp_path / "ds/images").rename(moved)
    reader = open_dataset(path, images=moved)
    assert next(iter(reader)).path == moved / "a.png"
    with pytest.raises(DatasetError, match="does not apply"):
        open_dataset(path, "coco", split="val")
