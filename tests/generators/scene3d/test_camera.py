"""Camera geometry: OpenCV frames, look-at, intrinsics and the one OpenGL conversion."""

from __future__ import annotations

import numpy as np

from synthgen.generators.scene3d import camera as cam
from synthgen.geometry import project, transform


def test_look_at_puts_the_target_on_the_optical_axis_with_world_up_pointing_up():
    eye, target = np.array([1.0, -0.5, 0.8]), np.array([0.1, 0.2, 0.0])
    w2c = cam.look_at(eye, target)
    np.testing.assert_allclose(w2c[:3, :3] @ w2c[:3, :3].T, np.eye(3), atol=1e-12)
    assert np.linalg.det(w2c[:3, :3]) > 0  # a rotation, not a reflection
    centre = transform(w2c, target[None])[0]
    np.testing.assert_allclose(centre[:2], 0, atol=1e-12)
    assert np.isclose(centre[2], np.linalg.norm(eye - target))
    above = transform(w2c, (target + np.array([0, 0, 0.1]))[None])[0]
    assert above[1] < 0  # OpenCV: y points down, so world up is negative y


def test_roll_turns_the_image_about_the_optical_axis():
    eye, target = np.array([0.0, -1.0, 0.5]), np.zeros(3)
    plain, rolled = cam.look_at(eye, target), cam.look_at(eye, target, roll_deg=90)
    np.testing.assert_allclose(rolled[2], plain[2], atol=1e-12)  # same optical axis
    np.testing.assert_allclose(rolled[0, :3], plain[1, :3], atol=1e-12)


def test_looking_straight_down_is_well_defined():
    w2c = cam.look_at(np.array([0, 0, 2.0]), np.zeros(3))
    assert np.isfinite(w2c).all()
    np.testing.assert_allclose(transform(w2c, np.zeros((1, 3)))[0], [0, 0, 2.0], atol=1e-12)


def test_intrinsics_from_fov_centre_the_principal_point_on_pixel_centres():
    K = cam.intrinsics_from_fov(60, 640, 480)
    assert (K[0, 2], K[1, 2]) == (319.5, 239.5)
    # A point on the upper edge of the field of view lands on the image's top edge.
    edge = project(K, np.array([[0.0, -np.tan(np.radians(30)), 1.0]]))
    np.testing.assert_allclose(edge[0], [320.0, 0.0], atol=1e-9)


def test_opengl_pose_flips_y_and_z_once():
    w2c = cam.look_at(np.array([0.3, -1.0, 0.6]), np.zeros(3))
    gl = cam.opengl_pose(w2c)
    c2w = np.linalg.inv(w2c)
    np.testing.assert_allclose(gl[:3, 3], c2w[:3, 3])  # same camera centre
    np.testing.assert_allclose(gl[:3, 2], -c2w[:3, 2])  # OpenGL looks down its -z
    np.testing.assert_allclose(gl[:3, 1], -c2w[:3, 1])  # and its y points up
