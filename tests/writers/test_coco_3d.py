"""COCO's extra 3D fields: camera per image; model, pose and 3D box per annotation."""

import json

import numpy as np
import pytest

from synthgen.geometry import project
from synthgen.inspect.validate import validate_dataset
from synthgen.labels import derive_labels
from tests.writers.known3d import OBJECTS, WORLD_TO_CAMERA, K, known_sample, run_fake, write_samples
from tests.writers.test_coco import load


def test_3d_fields_load_through_pycocotools(tmp_path):
    coco = load(write_samples(tmp_path, "coco"))
    assert len(coco.imgs) == 2 and len(coco.anns) == 6
    camera = coco.imgs[1]["camera"]
    assert np.allclose(camera["K"], K) and np.allclose(camera["world_to_camera"], WORLD_TO_CAMERA)
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[1]))
    labels = derive_labels(known_sample())
    for ann, obj, (_, T) in zip(anns, labels, OBJECTS, strict=True):
        assert ann["model"] == obj.model
        assert np.allclose(ann["pose"]["R"], T[:3, :3]) and np.allclose(ann["pose"]["t"], T[:3, 3])
        box3d = np.array(ann["box3d"])
        assert box3d.shape == (8, 3) and np.allclose(box3d, obj.box3d)
        # Continuous pixels (pixel x covers [x, x+1)): OpenCV's projection + 0.5.
        assert np.allclose(ann["box3d_projected"], project(K, box3d), atol=1e-4)
        assert ann["visibility"] == pytest.approx(obj.visibility, abs=1e-4)


def test_extras_off_leaves_plain_coco(tmp_path):
    doc = json.loads(
        (write_samples(tmp_path, "coco", extras=False) / "annotations/instances.json").read_text()
    )
    assert "camera" not in doc["images"][0]
    assert not {"pose", "box3d", "box3d_projected", "model"} & set(doc["annotations"][0])


def test_2d_samples_get_no_3d_fields(written):
    doc = json.loads((written("coco") / "annotations/instances.json").read_text())
    assert "camera" not in doc["images"][0] and "pose" not in doc["annotations"][0]


def test_validate_checks_the_projected_box(tmp_path):
    root = run_fake(tmp_path / "ds", {"coco": {}})
    assert validate_dataset(root).ok
    path = root / "annotations/instances.json"
    doc = json.loads(path.read_text())
    doc["annotations"][1]["box3d_projected"][0][0] += 2
    path.write_text(json.dumps(doc))
    defects = validate_dataset(root).defects
    assert any("annotation 2: box3d_projected" in d for d in defects), defects
