"""Pascal VOC: objects come back field for field; 1-based boxes; classes and errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from synthgen.readers import DatasetError, open_dataset
from synthgen.readers.convert import convert_dataset
from tests.readers.conftest import XML, make_voc


def fields(el: ET.Element) -> Any:
    """An element as nested (tag, text, children), whitespace aside."""
    return (el.tag, (el.text or "").strip(), [fields(c) for c in el])


def objects(path: Path) -> list[Any]:
    return [fields(o) for o in ET.parse(path).getroot().findall("object")]


def test_generated_voc_round_trips_field_for_field(generated, tmp_path):
    convert_dataset(open_dataset(generated / "voc"), tmp_path / "out", ["voc"])
    for xml in sorted((generated / "voc/Annotations").glob("*.xml")):
        out = tmp_path / "out/voc/Annotations" / xml.name
        assert out.read_bytes() == xml.read_bytes()


def test_hand_made_voc_round_trips_and_keeps_attributes(tmp_path):
    src = make_voc(tmp_path / "src")
    reader = open_dataset(src)
    assert [c.name for c in reader.categories] == ["dog", "person"]  # found, sorted
    sample = next(iter(reader)).load()
    person, dog = sample.instances
    assert person.attributes == {"pose": "Left", "truncated": 1, "difficult": 0}
    assert person.box_only and dog.box_only
    assert person.source is not None and person.source.bbox_xywh == (0, 0, 20, 10)
    assert dog.source is not None and dog.source.bbox_xywh == (9.5, 11, 21.0, 19)
    assert dog.amodal_origin == (9, 11) and dog.amodal_mask is not None
    assert dog.amodal_mask.shape == (19, 22)  # rounded outward
    convert_dataset(reader, tmp_path / "out", ["voc", "coco"])
    assert objects(tmp_path / "out/voc/Annotations/a.xml") == objects(src / "Annotations/a.xml")
    coco = json.loads((tmp_path / "out/annotations/instances.json").read_text())
    person_ann, dog_ann = coco["annotations"]
    assert person_ann["bbox"] == [0, 0, 20, 10] and person_ann["area"] == 200
    assert dog_ann["bbox"] == [9.5, 11, 21.0, 19] and dog_ann["area"] == 399.0
    assert "segmentation" not in dog_ann  # a box is not an outline
    assert dog_ann["attributes"] == {"difficult": 1}
    assert [c["name"] for c in coco["categories"]] == ["dog", "person"]


def test_boxes_from_other_formats_round_outward_in_voc(tmp_path):
    src = make_voc(tmp_path / "src")
    convert_dataset(open_dataset(src), tmp_path / "coco", ["coco"])
    convert_dataset(open_dataset(tmp_path / "coco"), tmp_path / "voc", ["voc"])
    dog = ET.parse(tmp_path / "voc/voc/Annotations/a.xml").getroot().findall("object")[1]
    box = [dog.findtext(f"bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")]
    assert box == ["10", "12", "31", "30"] and dog.findtext("difficult") == "1"


def test_class_order_from_labels_txt_labelmap_or_option(tmp_path):
    assert [
        c.name for c in open_dataset(make_voc(tmp_path / "a", labels="person\ndog\n")).categories
    ] == ["person", "dog"]
    root = make_voc(tmp_path / "b")
    (root / "labelmap.txt").write_text(
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\nperson:1,2,3::\ndog:4,5,6::\n"
    )
    assert [c.name for c in open_dataset(root).categories] == ["person", "dog"]
    reader = open_dataset(root, classes=["dog", "person", "cat"])
    assert [(c.id, c.name) for c in reader.categories] == [(1, "dog"), (2, "person"), (3, "cat")]


@pytest.mark.parametrize(
    ("xml", "labels", "expected"),
    [
        (XML, "person\n", "a.xml object 2: unknown class 'dog'"),
        (XML.replace("<xmin>1</xmin>", "<xmin>0</xmin>"), None, "a.xml object 1: box"),
        (
            XML.replace("<xmax>20</xmax>", "<xmax>x</xmax>"),
            None,
            "a.xml object 1: bndbox needs numbers",
        ),
        (XML.replace("<xmax>30.5</xmax>", "<xmax>9</xmax>"), None, "a.xml object 2: empty box"),
        (XML.replace("<width>40</width>", "<width>41</width>"), None, "the image is 40x30 but"),
        (XML[:-20], None, "a.xml: not readable XML"),
    ],
)
def test_bad_voc_is_refused_naming_the_file(tmp_path, xml, labels, expected):
    root = make_voc(tmp_path, xml, labels)
    with pytest.raises(DatasetError) as err:
        for image in open_dataset(root):
            image.load()
    assert expected in str(err.value)


def test_split_lists_and_layouts(tmp_path):
    root = make_voc(tmp_path / "voc")
    with pytest.raises(DatasetError, match="split list not found"):
        open_dataset(root, split="train")
    (root / "ImageSets/Main").mkdir(parents=True)
    (root / "ImageSets/Main/train.txt").write_text("a\n")
    assert [i.image_id for i in open_dataset(root, split="train")] == ["a"]
    assert open_dataset(tmp_path, "voc").root == root  # synthgen's output layout: DIR/voc
    assert open_dataset(root / "Annotations", "voc").root == root
    with pytest.raises(DatasetError, match="no Annotations folder"):
        open_dataset(root / "JPEGImages", "voc")
