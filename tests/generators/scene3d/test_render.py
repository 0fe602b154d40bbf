"""The pyrender backend's own choices, checked without rendering where possible."""

from __future__ import annotations

import numpy as np
import pyrender

from synthgen.generators.scene3d.render import _ranked_node_type


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
