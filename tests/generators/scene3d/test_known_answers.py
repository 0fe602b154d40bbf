"""Known answers: labels of hand-placed meshes against values computed by hand."""

from __future__ import annotations

import cv2
import numpy as np
import trimesh

from synthgen.labels import KP_ABSENT, KP_OCCLUDED, KP_VISIBLE, derive_labels
from tests.generators.scene3d.conftest import HEIGHT, WIDTH, K, needs_gl, pose

pytestmark = needs_gl


def _box(x: float, y: float, z: float) -> trimesh.Trimesh:
    return trimesh.creation.box(extents=(x, y, z))


def _box_distance(points: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Unsigned distance of model-frame points to the surface of a centred box."""
    q = np.abs(points) - half
    outside = np.linalg.norm(np.maximum(q, 0), axis=1)
    inside = np.minimum(q.max(axis=1), 0)
    return np.abs(outside + inside)


def test_cube_box_corners_mask_and_depth_agree(stage_factory):
    stage = stage_factory({"cube": _box(0.1, 0.1, 0.1)})
    sample = stage.render(("cube", pose((0.02, -0.01, 1.0), (20, 30, 10))))
    (label,) = derive_labels(sample)
    # A cube is its own 3D box: the hull of the projected corners is the silhouette.
    corners = label.box3d_projected
    x0, y0, x1, y1 = label.bbox_xyxy
    assert abs(x0 - corners[:, 0].min()) <= 1 and abs(x1 - corners[:, 0].max()) <= 1
    assert abs(y0 - corners[:, 1].min()) <= 1 and abs(y1 - corners[:, 1].max()) <= 1
    assert label.amodal_bbox_xyxy == label.bbox_xyxy  # nothing hides it, nothing is cut off
    assert label.visibility == 1.0 and label.truncation == 0.0
    # The 3D box is the model's corners carried into the camera frame.
    np.testing.assert_allclose(label.box3d.mean(axis=0), [0.02, -0.01, 1.0], atol=1e-9)


def test_depth_at_the_centre_of_a_facing_cube_is_its_distance(stage_factory):
    stage = stage_factory({"cube": _box(0.1, 0.1, 0.1)})
    sample = stage.render(("cube", pose((0.0, 0.0, 1.0))))
    # The face towards the camera is 5 cm in front of the cube's centre.
    assert abs(sample.depth[HEIGHT // 2, WIDTH // 2] - 0.95) < 1e-4
    assert sample.depth[0, 0] == 0  # background depth is 0
    (label,) = derive_labels(sample)
    face = label.full_mask()
    np.testing.assert_allclose(sample.depth[face], 0.95, atol=1e-4)


def test_back_projected_depth_lands_on_the_mesh_surface(stage_factory):
    stage = stage_factory({"cube": _box(0.1, 0.1, 0.1)})
    object_pose = pose((0.03, 0.02, 1.0), (35, -25, 50))
    sample = stage.render(("cube", object_pose))
    v, u = np.nonzero(sample.instance_map == 1)
    z = sample.depth[v, u].astype(np.float64)
    points = np.stack([(u - K[0, 2]) * z / K[0, 0], (v - K[1, 2]) * z / K[1, 1], z], axis=1)
    model = (points - object_pose[:3, 3]) @ object_pose[:3, :3]  # camera -> model frame
    error = _box_distance(model, np.full(3, 0.05))
    assert len(error) > 1000
    assert error.mean() < 1e-3


def test_tiny_sphere_centroid_matches_the_opencv_projection(stage_factory):
    stage = stage_factory({"dot": trimesh.creation.icosphere(subdivisions=3, radius=0.01)})
    for centre in [(0.05, -0.03, 0.8), (-0.11, 0.07, 1.2), (0.0012, 0.0007, 0.9)]:
        sample = stage.render(("dot", pose(centre)))
        v, u = np.nonzero(sample.instance_map == 1)
        expected, _ = cv2.projectPoints(
            np.array([centre]), np.zeros(3), np.zeros(3), K, np.zeros(5)
        )
        assert len(u) > 20
        np.testing.assert_allclose([u.mean(), v.mean()], expected.ravel(), atol=0.25)


def test_half_hidden_plate_has_visibility_one_half_and_an_unchanged_amodal_mask(stage_factory):
    plate, wall = _box(0.2, 0.2, 0.02), _box(0.2, 0.4, 0.05)
    stage = stage_factory({"plate": plate, "wall": wall})
    # The wall's left side lies in the plane x = 0 through the camera centre: in the image
    # it is the vertical line through the principal point, hiding the plate's right half.
    alone = derive_labels(stage.render(("plate", pose((0, 0, 1.0)))))
    both = derive_labels(stage.render(("plate", pose((0, 0, 1.0))), ("wall", pose((0.1, 0, 0.7)))))
    hidden = next(o for o in both if o.category == "plate")
    assert abs(hidden.visibility - 0.5) < 0.01
    assert hidden.truncation == 0.0
    np.testing.assert_array_equal(hidden.amodal_mask, alone[0].amodal_mask)
    assert hidden.amodal_origin == alone[0].amodal_origin
    x0, _, x1, _ = hidden.bbox_xyxy
    assert x1 == 160 and x0 == alone[0].bbox_xyxy[0]  # the box follows the visible pixels


def test_visible_masks_lie_inside_amodal_masks_and_ids_are_valid(stage_factory):
    stage = stage_factory({"plate": _box(0.2, 0.2, 0.02), "wall": _box(0.2, 0.4, 0.05)})
    sample = stage.render(
        ("plate", pose((0.01, 0.02, 1.0), (10, 20, 5))), ("wall", pose((0.1, 0, 0.7), (0, 15, 0)))
    )
    assert set(np.unique(sample.instance_map)) <= {0, 1, 2}
    for label in derive_labels(sample):
        amodal = np.zeros((HEIGHT + 400, WIDTH + 400), bool)
        ox, oy = label.amodal_origin
        h, w = label.amodal_mask.shape
        amodal[oy + 200 : oy + 200 + h, ox + 200 : ox + 200 + w] = label.amodal_mask
        visible = label.full_mask()
        assert not (visible & ~amodal[200 : 200 + HEIGHT, 200 : 200 + WIDTH]).any()


def test_keypoints_visible_occluded_and_outside(stage_factory):
    points = {"left": (-0.05, 0, -0.01), "right": (0.05, 0, -0.01), "end": (-0.45, 0, -0.01)}
    stage = stage_factory({"bar": _box(1.0, 0.2, 0.02), "wall": _box(0.2, 0.4, 0.05)}, bar=points)
    sample = stage.render(("bar", pose((0, 0, 1.0))), ("wall", pose((0.1, 0, 0.7))))
    bar = next(o for o in derive_labels(sample) if o.category == "bar")
    flags = bar.keypoints[:, 2].tolist()
    assert flags == [KP_VISIBLE, KP_OCCLUDED, KP_ABSENT]
    # The visible keypoint sits where OpenCV projects it (+0.5: continuous coordinates).
    expected, _ = cv2.projectPoints(
        np.array([[-0.05, 0, 0.99]]), np.zeros(3), np.zeros(3), K, np.zeros(5)
    )
    np.testing.assert_allclose(bar.keypoints[0, :2], expected.ravel() + 0.5, atol=1e-9)
    # The bar runs off both sides of the image: truncation is reported, not hidden.
    assert bar.truncation > 0.2


def test_an_object_behind_the_camera_gets_no_label(stage_factory):
    stage = stage_factory({"cube": _box(0.1, 0.1, 0.1), "plate": _box(0.2, 0.2, 0.02)})
    sample = stage.render(("cube", pose((0, 0, -1.0))), ("plate", pose((0, 0, 1.0))))
    assert [o.category for o in derive_labels(sample)] == ["plate"]


def test_asymmetric_layout_appears_as_seen_by_opencv(stage_factory):
    """An object to the camera's right and below the axis lands right and low in the image
    (OpenGL's y-up, z-backwards frame converted exactly once)."""
    stage = stage_factory({"cube": _box(0.05, 0.05, 0.05)})
    (label,) = derive_labels(stage.render(("cube", pose((0.15, 0.1, 1.0)))))
    x0, y0, x1, y1 = label.bbox_xyxy
    assert x0 > WIDTH // 2 and y0 > HEIGHT // 2
    u, v = K[0, 0] * 0.15 / 0.975 + K[0, 2], K[1, 1] * 0.1 / 0.975 + K[1, 2]
    assert x0 < u < x1 and y0 < v < y1


def test_without_antialiasing_no_pixel_outside_the_masks_mixes_in_an_object(stage_factory):
    from synthgen.generators.scene3d.config import ImageSize

    stage = stage_factory({"cube": _box(0.1, 0.1, 0.1)})
    objects = [("cube", pose((0.02, -0.01, 1.0), (20, 30, 10)))]
    background = np.array([128, 128, 128], np.uint8)  # the plan's grey 0.5
    smooth = stage.render(*objects)
    outside = smooth.instance_map == 0
    assert (smooth.image[outside] != background).any()  # antialiased edges spill over
    config = stage.generator.config
    image = ImageSize(width=WIDTH, height=HEIGHT, antialias=False)
    stage.generator.config = config.model_copy(update={"image": image})
    stage.generator._renderer.close()
    stage.generator._renderer = None  # a new renderer for the new setting
    sample = stage.render(*objects)
    assert np.array_equal(sample.instance_map == 0, outside)
    assert (sample.image[outside] == background).all()
