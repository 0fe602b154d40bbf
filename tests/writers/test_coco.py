import contextlib
import io
import json

import numpy as np
from pycocotools.coco import COCO

from tests.writers.conftest import known_sample


def load(root):
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(root / "annotations/instances.json"))


def test_contract_example_through_pycocotools(written):
    coco = load(written("coco"))
    assert len(coco.imgs) == 2 and len(coco.anns) == 4
    assert sorted(coco.imgs) == [1, 2]  # image id = sample index + 1
    cat, dog = (coco.anns[i] for i in coco.getAnnIds(imgIds=[1]))
    assert cat["bbox"] == [5, 10, 20, 10]
    assert cat["area"] == 200
    assert cat["keypoints"] == [5.5, 15.0, 2, 24.5, 15.0, 2] and cat["num_keypoints"] == 2
    assert dog["bbox"] == [80, 20, 20, 20] and dog["area"] == 300
    assert dog["truncation"] == 0.4 and dog["amodal_bbox"] == [80, 20, 30, 20]
    imap = known_sample().instance_map
    assert np.array_equal(coco.annToMask(cat), imap == 1)
    assert np.array_equal(coco.annToMask(dog), imap == 2)  # the hole stays a hole


def test_rle_segmentation_decodes_the_same(written):
    coco = load(written("coco", segmentation="rle"))
    imap = known_sample().instance_map
    for ann, k in zip(coco.loadAnns(coco.getAnnIds(imgIds=[2])), (1, 2), strict=True):
        assert isinstance(ann["segmentation"]["counts"], str)
        assert np.array_equal(coco.annToMask(ann), imap == k)


def test_ids_categories_and_plain_json(written):
    root = written("coco", extras=False)
    doc = json.loads((root / "annotations/instances.json").read_text())
    assert [a["id"] for a in doc["annotations"]] == [1, 2, 3, 4]
    assert [a["image_id"] for a in doc["annotations"]] == [1, 1, 2, 2]
    assert doc["categories"][0] == {
        "id": 1,
        "name": "cat",
        "supercategory": "object",
        "keypoints": ["l", "r"],
        "skeleton": [[1, 2]],
    }
    assert doc["images"][0] == {"id": 1, "file_name": "00000000.png", "width": 100, "height": 50}
    assert "visibility" not in doc["annotations"][0]
