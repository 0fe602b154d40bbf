"""Shared reader rules: rounding, snapping, flip pairs, format detection and the registry."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.labels import derive_labels
from synthgen.readers import DatasetError, open_dataset
from synthgen.readers.base import SourceObject, build_sample, infer_flip_pairs, round_out, snap
from synthgen.registry import READERS


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((5, 10, 25, 20), (5, 10, 25, 20)),  # whole pixels: unchanged
        ((4.5, 10.0, 24.2, 20.0), (4, 10, 25, 20)),  # every pixel the box touches
        ((5.0000001, 10, 24.9999999, 20), (5, 10, 25, 20)),  # float noise is not a pixel
        ((3.2, 3.2, 3.4, 3.4), (3, 3, 4, 4)),  # at least one pixel
        ((-0.005, 0, 100.004, 50), (0, 0, 100, 50)),  # within the tolerance: inside
    ],
)
def test_round_out(box, expected):
    assert round_out(box, 50, 100) == expected


def test_snap_only_within_the_tolerance():
    assert snap(24.99999, 1e-4) == 25 and isinstance(snap(24.99999, 1e-4), int)
    assert snap(24.9, 1e-4) == 24.9


def test_flip_pairs_by_name():
    names = ["nose", "left_eye", "right_eye", "Right_ear", "Left_ear", "left_only"]
    assert infer_flip_pairs(names) == (("left_eye", "right_eye"), ("Left_ear", "Right_ear"))


def _obj(box, seg=None, crowd=False):
    return SourceObject("thing", box, record={}, segmentation=seg, crowd=crowd)


def test_build_sample_overlap_order_and_seals():
    image = np.zeros((20, 30, 3), np.uint8)
    objs = [_obj((0, 0, 10, 10)), _obj((5, 5, 10, 10)), _obj((2, 2, 4, 4), crowd=True)]
    sample = build_sample(image, objs, "test", {"source": {}})
    imap = sample.instance_map
    assert imap[7, 7] == 2  # equal areas: the later on top
    assert imap[3, 3] == 1  # the crowd lies below
    assert all(i.box_only and i.source is not None and i.source.seal for i in sample.instances)
    assert [lab.source is not None for lab in derive_labels(sample)] == [True] * 3
    sample.image[:] = 255  # pixels that are not geometry leave the labels untouched
    assert all(lab.source is not None for lab in derive_labels(sample))


def test_open_dataset_finds_the_format_or_asks(generated, tmp_path):
    with pytest.raises(DatasetError, match=r"holds several formats \(coco, voc, yolo\)"):
        open_dataset(generated)
    assert open_dataset(generated / "data.yaml").name == "yolo"
    assert open_dataset(generated / "annotations/instances.json").name == "coco"
    assert open_dataset(generated / "voc").name == "voc"
    with pytest.raises(DatasetError, match="no dataset found"):
        open_dataset(tmp_path)
    with pytest.raises(DatasetError, match="unknown reader 'cocoa'; did you mean 'coco'"):
        open_dataset(generated, "cocoa")


def test_registry_lists_the_built_in_readers():
    assert READERS.names() == ["coco", "voc", "yolo"]
    assert READERS.group == "synthgen.readers"


def test_images_stream_lazily_with_provenance(generated):
    reader = open_dataset(generated, "coco")
    first = next(iter(reader))
    assert first.provenance() == {
        "format": "coco",
        "dataset": str(generated / "annotations/instances.json"),
        "image_id": 1,
        "file": str(generated / "images/00000000.jpg"),
    }
    assert first.load().plan == {"source": first.provenance()}
