import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh

from synthgen.config import RecipeError
from synthgen.inspect.validate import validate_dataset
from synthgen.labels import derive_labels
from synthgen.writers.base import Fragment, ImageRef, LabeledSample, WriterError
from synthgen.writers.bop import BopConfig, BopWriter, _ply_mm, bop_box
from tests.helpers import tree_bytes
from tests.writers.known3d import (
    CATEGORIES,
    HEIGHT,
    MODELS,
    OBJECTS,
    WIDTH,
    K,
    fake_generator,
    known_sample,
    run_fake,
    write_samples,
)

SCENE = "bop/train_pbr/000000"


def load(root: Path, name: str, scene: str = SCENE) -> dict:
    return json.loads((root / scene / f"{name}.json").read_text())


def read_png(path: Path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def test_poses_are_in_bop_units_row_major(tmp_path):
    root = write_samples(tmp_path, "bop")
    gts = load(root, "scene_gt")["0"]
    assert [g["obj_id"] for g in gts] == [1, 2, 1]  # 1 + index in generator.models()
    for gt, (_, T) in zip(gts, OBJECTS, strict=True):
        assert gt["cam_t_m2c"] == pytest.approx(T[:3, 3] * 1000)
        assert gt["cam_R_m2c"] == pytest.approx(T[:3, :3].ravel())  # rows, not columns
    assert gts[0]["cam_R_m2c"][:3] == pytest.approx([0, -1, 0])  # R_z(90) first row
    cam = load(root, "scene_camera")["0"]
    w2c = known_sample().camera.world_to_camera
    assert cam["cam_K"] == pytest.approx(known_sample().camera.K.ravel())
    assert cam["cam_t_w2c"] == pytest.approx(w2c[:3, 3] * 1000)
    assert cam["cam_R_w2c"] == pytest.approx(w2c[:3, :3].ravel())
    assert cam["depth_scale"] == 1.0


def test_boxes_use_the_bop_toolkit_convention():
    # DESIGN.md's mask over columns 5..24, rows 10..19: COCO [5, 10, 20, 10].
    assert bop_box((5, 10, 25, 20)) == [5, 10, 20, 10]


def test_gt_info_counts_and_boxes(tmp_path):
    root = write_samples(tmp_path, "bop")
    infos = load(root, "scene_gt_info")["0"]
    labels = derive_labels(known_sample())
    for info, obj in zip(infos, labels, strict=True):
        x0, y0, x1, y1 = obj.bbox_xyxy
        assert info["bbox_visib"] == [x0, y0, x1 - x0, y1 - y0]
        assert info["px_count_visib"] == obj.area
        assert info["visib_fract"] == pytest.approx(obj.visibility)
    occluded, _, truncated = infos
    assert occluded["visib_fract"] < 1 and occluded["px_count_all"] > occluded["px_count_visib"]
    # The object over the left border: its whole silhouette starts left of the image and
    # is counted in full, while only its part inside the image has valid depth.
    assert truncated["bbox_obj"][0] < 0 == truncated["bbox_visib"][0]
    whole = read_png(root / SCENE / "mask/000000_000002.png") > 0
    assert truncated["px_count_all"] > whole.sum() == truncated["px_count_valid"]


def test_masks_are_whole_and_visible_silhouettes(tmp_path):
    root = write_samples(tmp_path, "bop")
    labels = derive_labels(known_sample())
    whole = read_png(root / SCENE / "mask/000000_000000.png")
    visib = read_png(root / SCENE / "mask_visib/000000_000000.png")
    assert whole.shape == visib.shape == (HEIGHT, WIDTH) and whole.dtype == np.uint8
    assert set(np.unique(whole)) == {0, 255}
    assert np.array_equal(visib > 0, labels[0].full_mask())
    assert (whole > 0).sum() > (visib > 0).sum() and not ((visib > 0) & (whole == 0)).any()


def test_depth_png_round_trips_to_the_millimetre(tmp_path):
    root = write_samples(tmp_path, "bop")
    scale = load(root, "scene_camera")["0"]["depth_scale"]
    units = read_png(root / SCENE / "depth/000000.png")
    assert units.dtype == np.uint16
    depth = known_sample().depth
    assert np.abs(units * scale / 1000 - depth).max() <= 0.0005 + 1e-7
    assert ((units == 0) == (depth == 0)).all()


@pytest.mark.parametrize(
    ("configured", "farthest_m", "expected"), [(1.0, 5.0, 1.0), (1.0, 70.0, 10.0), (0.1, 7.0, 1.0)]
)
def test_depth_scale_grows_only_when_depth_would_not_fit(configured, farthest_m, expected):
    writer = BopWriter(Path(), BopConfig(depth_scale=configured), CATEGORIES)
    assert writer._depth_scale(farthest_m) == pytest.approx(expected)


def test_scenes_hold_1000_images_keyed_by_sample_index(tmp_path):
    root = write_samples(tmp_path, "bop", indices=(998, 999, 1000))
    assert set(load(root, "scene_gt")) == {"998", "999"}
    assert set(load(root, "scene_gt", "bop/train_pbr/000001")) == {"1000"}
    rgb = root / "bop/train_pbr/000001/rgb/001000.png"
    assert rgb.read_bytes() == (root / "images/00001000.png").read_bytes()
    assert rgb.is_symlink() and not Path(rgb.readlink()).is_absolute()


def test_models_in_millimetres_with_info(tmp_path):
    root = write_samples(tmp_path, "bop")
    info = json.loads((root / "bop/models/models_info.json").read_text())
    assert set(info) == {"1", "2"}
    for key, model in zip(("1", "2"), MODELS, strict=True):
        ply = root / f"bop/models/obj_{int(key):06d}.ply"
        assert b"property float nx" in ply.read_bytes()[:400]
        mesh = trimesh.load(ply, force="mesh")
        assert mesh.bounds == pytest.approx(model.bounds * 1000)
        assert info[key]["diameter"] == pytest.approx(model.diameter * 1000)
        assert [info[key][f"min_{a}"] for a in "xyz"] == pytest.approx(model.bounds[0] * 1000)
        assert [info[key][f"size_{a}"] for a in "xyz"] == pytest.approx(model.mesh.extents * 1000)
        assert "symmetries_discrete" not in info[key]


def test_face_colours_become_vertex_colours_bop_can_read():
    mesh = trimesh.creation.box()
    mesh.visual.face_colors = np.tile([200, 10, 10, 255], (len(mesh.faces), 1))
    header, body = _ply_mm(mesh).split(b"end_header\n")
    vertex, face = header.split(b"element face")
    assert b"property uchar red" in vertex and b"red" not in face  # bop_toolkit's layout
    assert body.split(b"\n")[0].split()[-4:] == [b"200", b"10", b"10", b"255"]


def test_camera_json_only_for_constant_intrinsics(tmp_path):
    write_samples(tmp_path, "bop")
    assert json.loads((tmp_path / "bop/camera.json").read_text())["fx"] == K[0, 0]
    writer = BopWriter(tmp_path, BopConfig(), CATEGORIES, generator=fake_generator())
    writer.begin()
    for index, fx in enumerate((200.0, 220.0)):
        ref = ImageRef(index, f"{index:08d}", f"images/{index:08d}.png", WIDTH, HEIGHT)
        camera = {"cam_K": [fx, 0, 80, 0, fx, 60, 0, 0, 1], "depth_scale": 1.0}
        writer.add(Fragment(ref, {"camera": camera, "gt": [], "gt_info": []}))
    writer.end()
    assert not (tmp_path / "bop/camera.json").exists()


def test_same_bytes_when_written_twice(tmp_path):
    a = tree_bytes(write_samples(tmp_path / "a", "bop"))
    b = tree_bytes(write_samples(tmp_path / "b", "bop"))
    assert a == b


@pytest.mark.parametrize(
    ("generator", "message"),
    [
        (fake_generator(scale=1.5), "generator.objects.scale"),
        (None, "3D models"),
    ],
)
def test_refuses_scaled_or_model_less_generators(tmp_path, generator, message):
    writer = BopWriter(tmp_path, BopConfig(), CATEGORIES, generator=generator)
    for step in (writer.check, writer.prepare):
        with pytest.raises(RecipeError, match=message):
            step()
    assert not (tmp_path / "bop").exists()


def test_a_refused_run_leaves_no_file_behind(tmp_path):
    with pytest.raises(RecipeError, match=r"generator\.objects\.scale"):
        run_fake(tmp_path / "ds", {"coco": {}, "bop": {}}, scale=1.5)
    assert not any((tmp_path / "ds").iterdir())  # the next run may use the folder


def test_a_sample_without_depth_is_refused(tmp_path):
    writer = BopWriter(tmp_path, BopConfig(), CATEGORIES, generator=fake_generator())
    sample = known_sample()
    ref = ImageRef(0, "00000000", "images/00000000.png", WIDTH, HEIGHT)
    with pytest.raises(WriterError, match="needs depth"):
        writer.write(LabeledSample(ref, derive_labels(sample), sample.camera, None))


# ---------------------------------------------------------------------- validate


@pytest.fixture
def dataset(tmp_path):
    return run_fake(tmp_path / "ds", {"coco": {}, "bop": {}})


def test_validate_passes_a_fresh_bop_dataset(dataset):
    report = validate_dataset(dataset)
    assert report.ok, report.format()
    assert "bop: 2 models, 1 scenes, 6 ground truths" in report.format()


def edit_json(root, name, change):
    path = root / SCENE / f"{name}.json"
    doc = json.loads(path.read_text())
    change(doc["1"][1])  # the tilted cube: its transposed rotation shows another silhouette
    path.write_text(json.dumps(doc))


def toolkit_width(info):  # bop_toolkit's calc_2d_bbox: one less than the pixel count
    info["bbox_visib"][2] -= 1


def moved(gt):
    gt["cam_t_m2c"][0] += 30.0


def transposed(gt):
    gt["cam_R_m2c"] = np.array(gt["cam_R_m2c"]).reshape(3, 3).T.ravel().tolist()


def in_metres(gt):
    gt["cam_t_m2c"] = [v / 1000 for v in gt["cam_t_m2c"]]


def farther(gt):
    gt["cam_t_m2c"] = [v * 1.1 for v in gt["cam_t_m2c"]]


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("scene_gt_info", toolkit_width, "bbox_visib"),
        ("scene_gt", moved, "lands on its mask"),
        ("scene_gt", in_metres, "lands on its mask"),
        ("scene_gt", transposed, "bbox_obj is"),
        ("scene_gt", farther, "bbox_obj is"),
    ],
)
def test_validate_finds_tampered_scene_files(dataset, name, change, message):
    edit_json(dataset, name, change)
    report = validate_dataset(dataset)
    assert any(message in d for d in report.defects), report.format()


def test_validate_finds_a_tampered_visible_mask(dataset):
    path = dataset / SCENE / "mask_visib/000001_000001.png"
    mask = read_png(path)
    mask[mask.shape[0] // 2 :] = 0
    cv2.imwrite(str(path), mask)
    defects = validate_dataset(dataset).defects
    assert any("px_count_visib" in d for d in defects)
    assert any("differs from the COCO annotation" in d for d in defects)
