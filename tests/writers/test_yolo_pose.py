import numpy as np
import pytest
import yaml

from synthgen.config import RecipeError
from synthgen.inspect.validate import validate_dataset
from synthgen.labels import derive_labels
from synthgen.sample import Category
from synthgen.writers.yolo import YoloPoseWriter, _flip_idx
from tests.writers import conftest
from tests.writers.known3d import CATEGORIES, HEIGHT, WIDTH, known_sample, run_fake, write_samples


def parse(line: str) -> tuple[int, np.ndarray, np.ndarray]:
    cls, *values = line.split()
    numbers = np.array(values, dtype=float)
    return int(cls), numbers[:4], numbers[4:].reshape(-1, 3)


def test_lines_are_box_then_keypoints_normalized(tmp_path):
    root = write_samples(tmp_path, "yolo-pose")
    lines = (root / "labels/00000000.txt").read_text().splitlines()
    labels = derive_labels(known_sample())
    assert len(lines) == len(labels)
    for line, obj in zip(lines, labels, strict=True):
        cls, box, kps = parse(line)
        x0, y0, x1, y1 = obj.bbox_xyxy
        assert cls == [c.name for c in CATEGORIES].index(obj.category)
        expected = [(x0 + x1) / 2 / WIDTH, (y0 + y1) / 2 / HEIGHT, (x1 - x0) / WIDTH]
        assert box[:3] == pytest.approx(expected, abs=1e-6)
        assert kps[:, 2].tolist() == obj.keypoints[:, 2].tolist()
        shown = obj.keypoints[:, 2] > 0
        assert kps[shown, :2] * [WIDTH, HEIGHT] == pytest.approx(obj.keypoints[shown, :2], abs=1e-3)
    # The object over the left border has lost its left keypoint: written as 0 0 0.
    assert lines[2].split()[5:8] == ["0", "0", "0"]


def test_data_yaml_declares_kpt_shape_and_flip_idx(tmp_path):
    doc = yaml.safe_load((write_samples(tmp_path, "yolo-pose") / "data.yaml").read_text())
    assert doc["task"] == "pose" and doc["kpt_shape"] == [2, 3] and doc["flip_idx"] == [1, 0]
    assert doc["names"] == {0: "box", 1: "crate"}


def test_flip_idx_keeps_unpaired_keypoints():
    cat = Category(
        1, "face", keypoints=("nose", "l_eye", "r_eye"), flip_pairs=(("r_eye", "l_eye"),)
    )
    assert _flip_idx(cat) == [0, 2, 1]


@pytest.mark.parametrize(
    "categories",
    [
        conftest.CATEGORIES,  # 2 keypoints and none
        [Category(1, "a", keypoints=("x", "y")), Category(2, "b", keypoints=("x", "y", "z"))],
        [
            Category(1, "a", keypoints=("l", "r"), flip_pairs=(("l", "r"),)),
            Category(2, "b", keypoints=("l", "r")),
        ],
    ],
)
def test_classes_must_share_one_keypoint_layout(tmp_path, categories):
    writer = YoloPoseWriter(tmp_path, YoloPoseWriter.config_type(), categories)
    with pytest.raises(RecipeError, match="kpt_shape"):
        writer.check()


def test_validate_passes_and_finds_tampered_keypoints(tmp_path):
    root = run_fake(tmp_path / "ds", {"coco": {}, "yolo-pose": {}})
    report = validate_dataset(root)
    assert report.ok, report.format()
    assert "yolo-pose: 2 label files, 6 lines" in report.format()
    path = root / "labels/00000001.txt"
    lines = path.read_text().splitlines()
    first = lines[0].split()
    first[7] = "1"  # visible -> occluded
    lines[0] = " ".join(first)
    lines[1] = " ".join(lines[1].split()[:-3])  # a keypoint short
    path.write_text("\n".join(lines) + "\n")
    defects = validate_dataset(root).defects
    assert any("line 1: keypoint flags differ from COCO's" in d for d in defects)
    assert any("line 2: 7 values, expected 10 for pose" in d for d in defects)
