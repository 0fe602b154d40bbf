"""The pyrender backend's own choices, checked without rendering where possible."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np
import pyrender
import pytest

from synthgen.generators.scene3d.render import _metres, _ranked_node_type, _set_uniform_once


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


def test_uniforms_reach_opengl_only_when_their_value_changes(monkeypatch):
    from OpenGL import GL

    calls: list[tuple] = []
    monkeypatch.setattr(
        GL, "glGetUniformLocation", lambda pid, name: calls.append(("loc", name)) or 7
    )
    monkeypatch.setattr(GL, "glUniform1f", lambda loc, v: calls.append(("1f", v)))
    monkeypatch.setattr(GL, "glUniform1i", lambda loc, v: calls.append(("1i", v)))

    program = SimpleNamespace(
        _program_id=3,
        _FUNC_MAP={
            (3, "f"): lambda loc, n, v: calls.append(("3f", tuple(v))),
            (4, 4): lambda loc, n, t, v: calls.append(("m4", v[0, 0])),
        },
    )
    set_uniform = _set_uniform_once(program)
    colour = np.array([1.0, 0.5, 0.25])
    for _ in range(3):
        set_uniform("light.color", colour)
        set_uniform("light.intensity", 2.0)
        set_uniform("n_lights", 2)
        set_uniform("M", np.eye(4))
    assert calls == [
        ("loc", "light.color"),
        ("3f", (1.0, 0.5, 0.25)),
        ("loc", "light.intensity"),
        ("1f", 2.0),
        ("loc", "n_lights"),
        ("1i", 2),
        ("loc", "M"),
        ("m4", 1.0),
    ]
    calls.clear()
    colour[1] = 0.75  # changed in place: still a new value
    set_uniform("light.color", colour)
    set_uniform("light.intensity", 3.0)
    set_uniform("light.intensity", -0.0)
    set_uniform("light.intensity", 0.0)  # equal to -0.0 in Python, not in the shader
    assert calls == [("3f", (1.0, 0.75, 0.25)), ("1f", 3.0), ("1f", -0.0), ("1f", 0.0)]


def _small_scene() -> tuple[Any, ...]:
    """A box and a ball in a 64 x 64 frame: size, K, world-to-camera, items, lights."""
    import trimesh

    from synthgen.generators.scene3d import render
    from synthgen.generators.scene3d.camera import intrinsics_from_fov, look_at, opengl_pose

    size = 64
    K = intrinsics_from_fov(40, size, size)
    w2c = look_at(np.array([0.3, -0.4, 0.5]), np.zeros(3))
    lights = [
        render.Light("directional", opengl_pose(w2c), (1.0, 0.9, 0.8), 3.0),
        render.Light("point", opengl_pose(w2c), (0.5, 0.5, 1.0), 2.0),
    ]
    items = [
        render.Item("box", trimesh.creation.box((0.2, 0.1, 0.15)), np.eye(4), instance=1),
        render.Item("ball", trimesh.creation.icosphere(2, 0.06), np.eye(4), instance=2),
    ]
    items[1].pose[:3, 3] = (0.05, 0.02, 0.1)
    return size, K, w2c, items, lights


def _frame(antialias: bool = True) -> Any:
    from synthgen.generators.scene3d import render

    size, K, w2c, items, lights = _small_scene()
    try:
        renderer = render.Renderer(size, size, antialias=antialias)
    except render.RenderError as err:
        pytest.skip(f"no OpenGL renderer here: {err}")
    try:
        return renderer.render(K, w2c, 0.01, 10.0, items, lights, 0.3)
    finally:
        renderer.close()


def test_tuned_renderer_gives_stock_pyrenders_frame(monkeypatch):
    # The speed-ups replace private pyrender methods; a frame must come out as stock
    # pyrender (what another pyrender release falls back to) renders it: colour and ids
    # bit for bit. Depth comes from the id pass drawn single-sampled instead of into
    # pyrender's multisampled buffer with multisampling off: Mesa interpolates it with
    # other rounding there, a few steps of the 24-bit depth buffer (here under 0.02 mm).
    from synthgen.generators.scene3d import render

    tuned_frame = _frame()
    monkeypatch.setattr(render, "_TUNED_FOR", "another release")
    stock = _frame()
    assert (tuned_frame.instances > 0).sum() > 200
    for name in ("rgba", "depth", "instances"):
        a, b = getattr(tuned_frame, name), getattr(stock, name)
        assert a.dtype == b.dtype and a.flags.c_contiguous and b.flags.c_contiguous, name
        if name == "depth":
            assert np.array_equal(a > 0, b > 0)
            assert np.abs(a - b).max() < 2e-5
        else:
            assert np.array_equal(a, b), name


def test_without_antialiasing_colour_covers_exactly_the_id_passs_pixels():
    smooth, sharp = _frame(antialias=True), _frame(antialias=False)
    alpha = sharp.rgba[:, :, 3]
    assert ((smooth.rgba[:, :, 3] > 0) & (smooth.rgba[:, :, 3] < 255)).any()  # edges blend
    assert set(np.unique(alpha)) == {0, 255}
    assert np.array_equal(alpha > 0, sharp.depth > 0)  # both passes sample pixel centres
    assert np.array_equal(sharp.instances, smooth.instances)
    assert np.array_equal(sharp.depth, smooth.depth)
    # The same shading: inside an object, off its faces' edges, most pixels are equal.
    ids, square = sharp.instances, np.ones((3, 3), np.uint8)
    inner = (cv2.erode(ids, square) == ids) & (cv2.dilate(ids, square) == ids) & (ids > 0)
    equal = (smooth.rgba[inner] == sharp.rgba[inner]).all(axis=1)
    assert inner.sum() > 300 and equal.mean() > 0.8


def test_without_antialiasing_another_pyrender_release_is_refused(monkeypatch):
    from synthgen.generators.scene3d import render

    monkeypatch.setattr(render, "_TUNED_FOR", "another release")
    try:
        render.Renderer(16, 16).close()
    except render.RenderError as err:
        pytest.skip(f"no OpenGL renderer here: {err}")
    with pytest.raises(render.RenderError, match=r"image\.antialias: false needs pyrender"):
        render.Renderer(16, 16, antialias=False)
