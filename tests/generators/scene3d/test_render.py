"""The pyrender backend's own choices, checked without rendering where possible."""

from __future__ import annotations

import numpy as np
import pyrender

from synthgen.generators.scene3d.render import _metres, _ranked_node_type


def test_lights_are_bound_in_plan_order_whatever_their_addresses():
    # pyrender fills the shader's light arrays in set order; the shader's float sums
    # depend on it, so it must be the plan's order, not the nodes' memory addresses.
    ranked = _ranked_node_type(pyrender.Node)
    for insertion in ([0, 1, 2, 3, 4, 5], [5, 3, 1, 4, 2, 0]):
        scene = pyrender.Scene()
        for rank in insertion:
            light = pyrender.DirectionalLight() if rank % 2 else pyrender.PointLight()
            scene.add_node(ranked(rank, light=light, matrix=np.eye(4)))
        assert [n.rank for n in scene.directional_light_nodes] == [1, 3, 5]
        assert [n.rank for n in scene.point_light_nodes] == [0, 2, 4]
        assert [n.rank for n in scene.light_nodes] == [0, 1, 2, 3, 4, 5]


def test_depth_conversion_is_pyrenders_bit_for_bit():
    window = np.random.default_rng(0).uniform(0.9, 1.0, (48, 64)).astype(np.float32)
    window[:4] = 1.0  # nothing drawn
    near, far = 0.02, 20.0
    # pyrender's _read_main_framebuffer, through masks
    expected = 2.0 * window - 1.0
    drawn = window != 1.0
    expected[drawn] = (2.0 * near * far) / (far + near - expected[drawn] * (far - near))
    expected[~drawn] = 0.0
    got = _metres(window, near, far)
    assert got.dtype == np.float32
    assert np.array_equal(got.view(np.uint32), expected.view(np.uint32))
