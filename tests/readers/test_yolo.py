"""YOLO detect and segment: lines come back token for token; malformed lines are named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from synthgen.labels import derive_labels
from synthgen.readers import DatasetError, open_dataset
from synthgen.readers.convert import convert_dataset
from synthgen.readers.yolo import label_path
from tests.readers.conftest import H, W, write_image


def label_files(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((root / "labels").glob("*.txt"))}


@pytest.mark.parametrize(("dataset", "fmt"), [("generated", "yolo"), ("generated_seg", "yolo-seg")])
def test_generated_yolo_round_trips_line_for_line(dataset, fmt, request, tmp_path):
    src = request.getfixturevalue(dataset)
    convert_dataset(open_dataset(src / "data.yaml"), tmp_path / "out", [fmt])
    assert label_files(tmp_path / "out") == label_files(src)
    assert yaml.safe_load((tmp_path / "out/data.yaml").read_text()) == yaml.safe_load(
        (src / "data.yaml").read_text()
    )


def test_yolo_seg_reads_back_to_the_exact_masks(generated_seg):
    """Polygons snapped to whole pixels decode to the masks synthgen wrote."""
    masks = open_dataset(generated_seg, "coco")
    for seg_image, coco_image in zip(open_dataset(generated_seg / "data.yaml"), masks, strict=True):
        got, want = derive_labels(seg_image.load()), derive_labels(coco_image.load())
        assert [lab.bbox_xyxy for lab in got] == [lab.bbox_xyxy for lab in want]
        for a, b in zip(got, want, strict=True):
            assert np.array_equal(a.full_mask(), b.full_mask())
            assert a.source is not None and isinstance(a.source.bbox_xywh[0], int)


def make_yolo(root: Path, lines: str, names: object = None, extra: str = "") -> Path:
    write_image(root / "images/train/a.png")
    write_image(root / "images/val/b.png")
    (root / "labels/train").mkdir(parents=True)
    (root / "labels/train/a.txt").write_text(lines)
    doc = {"path": ".", "train": "images/train", "val": "images/val"}
    doc["names"] = names if names is not None else ["cat", "dog"]
    (root / "data.yaml").write_text(yaml.safe_dump(doc) + extra)
    return root


def test_foreign_yolo_keeps_its_tokens_and_float_boxes(tmp_path):
    lines = (
        "1 0.4765625 0.5 0.25 0.3333333\n"  # more digits than synthgen writes: kept verbatim
        "0 0.1 0.1 0.3 0.1 0.3 0.4 0.1 0.4\n"
    )
    src = make_yolo(tmp_path / "src", lines)
    reader = open_dataset(src)
    assert [c.name for c in reader.categories] == ["cat", "dog"] and len(reader) == 2
    images = list(reader)
    assert [(i.split, i.file_name) for i in images] == [
        ("train", "images/train/a.png"),
        ("val", "images/val/b.png"),
    ]
    sample = images[0].load()
    box, poly = sample.instances
    assert box.box_only and not poly.box_only
    assert box.source is not None
    assert box.source.bbox_xywh == (14.0625, 10, 10.0, 10)  # y within 1e-6 * H of whole pixels
    assert box.amodal_origin == (14, 10) and box.amodal_mask.shape == (10, 11)  # outward
    assert images[1].load().instances == []  # no label file: background
    convert_dataset(reader, tmp_path / "out", ["yolo-seg"])
    assert (tmp_path / "out/labels/a.txt").read_text() == (
        "1 0.351562 0.333333 0.351562 0.666667 0.601562 0.666667 0.601562 0.333333\n"
        "0 0.1 0.1 0.3 0.1 0.3 0.4 0.1 0.4\n"
    )
    convert_dataset(reader, tmp_path / "det", ["yolo", "coco"])
    assert (tmp_path / "det/labels/a.txt").read_text() == (
        lines.splitlines()[0] + "\n0 0.200000 0.250000 0.200000 0.300000\n"
    )


def test_names_mapping_split_lists_and_label_paths(tmp_path):
    src = make_yolo(tmp_path, "3 0.5 0.5 0.5 0.5\n", names={0: "cat", 3: "dog"})
    (tmp_path / "val.txt").write_text("./images/val/b.png\n")
    doc = yaml.safe_load((tmp_path / "data.yaml").read_text())
    doc["val"] = "val.txt"
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(doc))
    reader = open_dataset(src, split="val")
    assert [(c.id, c.name) for c in reader.categories] == [(1, "cat"), (4, "dog")]
    assert [i.path for i in reader] == [tmp_path / "images/val/b.png"]
    assert label_path(Path("/d/images/x/images/a.jpg")) == Path("/d/images/x/labels/a.txt")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("0 0.5 0.5 0.2", "a.txt line 2: 3 values after the class"),
        ("0 0.5 0.5 0.2 0.2 0.1", "a.txt line 2: 5 values after the class"),
        ("2 0.5 0.5 0.2 0.2", "a.txt line 2: class 2 is not in"),
        ("0.5 0.5 0.5 0.2 0.2", "a.txt line 2: class 0.5 is not in"),
        ("0 0.5 x 0.2 0.2", "a.txt line 2: not numbers"),
        ("0 0.95 0.5 0.2 0.2", "a.txt line 2: box (x0, y0, x1, y1) = (34, 12, 42, 18) leaves"),
        ("0 0.5 0.5 0 0.2", "a.txt line 2: empty box"),
    ],
)
def test_malformed_lines_name_the_file_and_line(tmp_path, line, expected):
    src = make_yolo(tmp_path, f"1 0.5 0.5 0.1 0.1\n{line}\n")
    with pytest.raises(DatasetError) as err:
        next(iter(open_dataset(src))).load()
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("names", "extra", "expected"),
    [
        ("cat", "", "'names' must list the classes"),
        (["cat", "cat"], "", "'cat' appears twice"),
        (["cat"], "kpt_shape: [3, 3]\n", "pose datasets (kpt_shape) are not read yet"),
    ],
)
def test_bad_data_yaml(tmp_path, names, extra, expected):
    with pytest.raises(DatasetError, match=r"data\.yaml: ") as err:
        open_dataset(make_yolo(tmp_path, "", names=names, extra=extra))
    assert expected in str(err.value)


def test_missing_split_and_missing_file(tmp_path):
    with pytest.raises(DatasetError, match=r"not found; give a YOLO data\.yaml"):
        open_dataset(tmp_path, "yolo")  # a folder without data.yaml
    src = make_yolo(tmp_path / "d", "")
    with pytest.raises(DatasetError, match="no 'test' entry"):
        open_dataset(src, split="test")


def test_box_edges_within_rounding_are_kept(tmp_path):
    src = make_yolo(tmp_path, "0 0.5 0.5 1.0000004 1.0\n")
    inst = next(iter(open_dataset(src))).load().instances[0]
    assert inst.amodal_mask is not None and inst.amodal_mask.shape == (H, W)
