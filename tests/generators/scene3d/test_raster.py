"""The amodal rasterizer against a brute-force pixel-centre test."""

from __future__ import annotations

import numpy as np
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from synthgen.generators.scene3d.raster import front_faces, rasterize
from synthgen.geometry import project, transform


def _brute_force(triangles: np.ndarray, origin: tuple[int, int], shape: tuple[int, int]):
    """Pixel-centre coverage, and where a centre lies on an edge (either answer is right)."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    cx, cy = xs + origin[0] + 0.5, ys + origin[1] + 0.5
    out, tie = np.zeros(shape, bool), np.zeros(shape, bool)
    for a, b, c in triangles:
        if (b[0] - a[0]) * (c[1] - a[1]) == (b[1] - a[1]) * (c[0] - a[0]):
            continue  # no area: OpenGL draws nothing either

        def edge(p, q):
            return (q[0] - p[0]) * (cy - p[1]) - (q[1] - p[1]) * (cx - p[0])

        e = np.stack([edge(a, b), edge(b, c), edge(c, a)])
        out |= (e >= 0).all(axis=0) | (e <= 0).all(axis=0)
        tie |= (np.abs(e) < 1e-9).any(axis=0)
    return out, tie


coordinate = st.floats(-20, 40, allow_nan=False).map(lambda v: round(v * 8) / 8 + 0.01)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*[coordinate] * 6), min_size=1, max_size=4))
def test_rasterize_matches_the_pixel_centre_rule(coords):
    triangles = np.array(coords, float).reshape(-1, 3, 2)
    mask, origin = rasterize(triangles)
    expected, tie = _brute_force(triangles, origin, mask.shape)
    np.testing.assert_array_equal(mask[~tie], expected[~tie])


def test_a_pixel_aligned_square_covers_exactly_its_pixels():
    square = np.array([[[2, 3], [7, 3], [7, 5]], [[2, 3], [7, 5], [2, 5]]], float)
    mask, (x0, y0) = rasterize(square)
    ys, xs = np.nonzero(mask)
    assert (xs.min() + x0, xs.max() + x0, ys.min() + y0, ys.max() + y0) == (2, 6, 3, 4)
    assert mask.sum() == 10


def test_front_faces_are_the_faces_whose_outward_normals_face_the_camera():
    mesh = trimesh.creation.box(extents=(0.1, 0.1, 0.1))
    pose = np.eye(4)
    pose[:3, :3] = Rotation.from_euler("xyz", [20, 30, 10], degrees=True).as_matrix()
    pose[:3, 3] = [0.02, -0.01, 1.0]
    vertices = transform(pose, mesh.vertices)
    K = np.array([[400.0, 0, 159.5], [0, 400.0, 119.5], [0, 0, 1]])
    normals = mesh.face_normals @ pose[:3, :3].T
    facing = (normals * vertices[mesh.faces].mean(axis=1)).sum(axis=1) < 0
    triangles = project(K, vertices)[mesh.faces]
    np.testing.assert_array_equal(front_faces(triangles), triangles[facing])
