"""Mesh inputs: what loads, what is refused, and how the refusal reads."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from synthgen.errors import AssetError, AssetWarning
from synthgen.generators.scene3d.config import ModelSource
from synthgen.generators.scene3d.models import ModelLibrary, load_mesh, stable_rotations


def test_units_are_converted_to_metres(tmp_path):
    path = tmp_path / "box.stl"
    trimesh.creation.box(extents=(100, 50, 20)).export(path)
    mesh = load_mesh(path, units="mm")
    np.testing.assert_allclose(mesh.extents, [0.1, 0.05, 0.02])


def test_a_mesh_without_faces_is_refused_with_its_path(tmp_path):
    path = tmp_path / "cloud.ply"
    trimesh.PointCloud(np.random.default_rng(0).random((20, 3))).export(path)
    with pytest.raises(AssetError, match=r"cloud\.ply.*(no triangle faces|cannot read)"):
        load_mesh(path)


def test_a_corrupt_file_is_refused_with_its_path(tmp_path):
    path = tmp_path / "broken.obj"
    path.write_bytes(b"\x00\x01garbage\xff" * 10)
    with pytest.raises(AssetError, match=r"broken\.obj"):
        load_mesh(path)


def test_wrong_units_are_caught_by_size(tmp_path):
    path = tmp_path / "huge.stl"
    trimesh.creation.box(extents=(5000, 5000, 5000)).export(path)
    with pytest.raises(AssetError, match="units"):
        load_mesh(path, units="m")


def test_an_open_mesh_loads_with_a_warning(tmp_path):
    box = trimesh.creation.box(extents=(0.1, 0.1, 0.1))
    box.update_faces(np.arange(len(box.faces)) != 0)  # one triangle missing
    path = tmp_path / "open.ply"
    box.export(path)
    with pytest.warns(AssetWarning, match="not watertight"):
        load_mesh(path)


def _library(tmp_path, classes=None) -> ModelLibrary:
    source = ModelSource.model_validate({"dir": str(tmp_path), "classes": classes})
    return ModelLibrary(source, tmp_path, labeled=True)


def test_class_folders_become_classes(tmp_path):
    for name in ("mug", "can"):
        (tmp_path / name).mkdir()
        trimesh.creation.box(extents=(0.1, 0.1, 0.1)).export(tmp_path / name / "a.ply")
    library = _library(tmp_path)
    assert [c.name for c in library.classes] == ["can", "mug"]
    assert library.all_names == ["can/a.ply", "mug/a.ply"]
    assert library.get("mug/a.ply").category == "mug"


def test_missing_class_folder_and_empty_folder_are_named(tmp_path):
    (tmp_path / "mug").mkdir()
    with pytest.raises(AssetError, match=r"mug.*no mesh files"):
        _library(tmp_path)
    with pytest.raises(AssetError, match=r"bowl.*not found"):
        _library(tmp_path, classes=["bowl"])


def test_keypoints_from_sidecar_positions_and_vertices(tmp_path):
    (tmp_path / "mug").mkdir()
    box = trimesh.creation.box(extents=(0.1, 0.1, 0.1))
    box.export(tmp_path / "mug" / "a.ply")
    sidecar = {"keypoints": {"top": [0, 0, 0.05], "corner": {"vertex": 0}}}
    (tmp_path / "mug" / "a.json").write_text(json.dumps(sidecar))
    classes = [{"name": "mug", "keypoints": ["top", "corner", "handle"]}]
    model = _library(tmp_path, classes).get("mug/a.ply")
    np.testing.assert_allclose(model.keypoints[0], [0, 0, 0.05])
    np.testing.assert_allclose(model.keypoints[1], model.mesh.vertices[0])
    assert np.isnan(model.keypoints[2]).all()  # declared, but this mesh has none


def test_undeclared_keypoint_in_sidecar_is_refused(tmp_path):
    (tmp_path / "mug").mkdir()
    trimesh.creation.box(extents=(0.1, 0.1, 0.1)).export(tmp_path / "mug" / "a.ply")
    (tmp_path / "mug" / "a.json").write_text(json.dumps({"keypoints": {"spout": [0, 0, 0]}}))
    library = _library(tmp_path, [{"name": "mug", "keypoints": ["top"]}])
    with pytest.raises(AssetError, match=r"a\.json.*'spout' is not declared"):
        library.get("mug/a.ply")


def test_a_cube_rests_on_each_face_with_equal_chance():
    rotations, probs = stable_rotations(trimesh.creation.box(extents=(0.1, 0.1, 0.1)))
    np.testing.assert_allclose(probs, np.full(6, 1 / 6))
    normals = np.array([r.T @ [0, 0, -1.0] for r in rotations])  # model face turned down
    np.testing.assert_allclose(np.abs(normals).sum(axis=0), [2, 2, 2], atol=1e-12)


def test_a_flat_box_lies_on_its_largest_faces_most_often():
    rotations, probs = stable_rotations(trimesh.creation.box(extents=(0.3, 0.2, 0.02)))
    assert len(rotations) == 6 and np.isclose(probs.sum(), 1)
    down = [np.argmax(np.abs(r.T @ [0, 0, -1.0])) for r in rotations]
    by_axis = {axis: probs[[d == axis for d in down]].sum() for axis in range(3)}
    assert by_axis[2] > 0.8  # on its 0.3 x 0.2 faces
    for r in rotations:  # the resting face ends up flat on the ground
        np.testing.assert_allclose(
            np.abs(r @ [0, 0, 1.0])[2] + np.abs(r @ [1.0, 0, 0])[2] + np.abs(r @ [0, 1.0, 0])[2],
            1,
            atol=1e-12,
        )


def test_a_leaning_slab_cannot_stand_on_its_ends():
    slab = trimesh.creation.box(extents=(0.02, 0.05, 0.2))
    shear = np.eye(4)
    shear[0, 2] = 0.5  # the top end sits 10 cm to the side of the bottom end
    slab.apply_transform(shear)
    rotations, probs = stable_rotations(slab)
    assert len(rotations) == 4 and np.isclose(probs.sum(), 1)
    for r in rotations:  # the centre of mass is beside either end: it only lies down
        assert abs((r @ [0, 0, 1.0])[2]) < 0.99
