"""Scenes with hand-placed meshes in front of a fixed camera, for known-answer tests.

The camera sits at the world origin looking down +z (world = camera frame, OpenCV axes),
so a model's world pose is its pose in the camera frame and every expected value can be
computed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from synthgen.generators.scene3d import Scene3DGenerator
from synthgen.generators.scene3d.config import Scene3DConfig
from synthgen.sample import Sample

WIDTH, HEIGHT = 320, 240
K = np.array([[400.0, 0, 159.5], [0, 400.0, 119.5], [0, 0, 1]])


def _renderer_available() -> bool:
    from synthgen.generators.scene3d.render import Renderer, RenderError

    try:
        Renderer(16, 16).close()
    except RenderError:
        return False
    return True


needs_gl = pytest.mark.skipif(not _renderer_available(), reason="no OpenGL (EGL) on this machine")


def pose(t: tuple[float, float, float], euler_deg: tuple[float, float, float] = (0, 0, 0)):
    from scipy.spatial.transform import Rotation

    m = np.eye(4)
    m[:3, :3] = Rotation.from_euler("xyz", euler_deg, degrees=True).as_matrix()
    m[:3, 3] = t
    return m


class Stage:
    """A generator over a folder of meshes (one class per mesh) and a plan builder."""

    def __init__(self, root: Path, meshes: dict[str, trimesh.Trimesh], **keypoints: Any) -> None:
        classes = []
        for name, mesh in meshes.items():
            (root / name).mkdir(parents=True, exist_ok=True)
            mesh.export(root / name / f"{name}.ply")
            spec: dict[str, Any] = {"name": name}
            if name in keypoints:
                spec["keypoints"] = list(keypoints[name])
                sidecar = {"keypoints": {k: list(v) for k, v in keypoints[name].items()}}
                (root / name / f"{name}.json").write_text(json.dumps(sidecar))
            classes.append(spec)
        config = Scene3DConfig.model_validate(
            {
                "kind": "scene3d",
                "image": {"width": WIDTH, "height": HEIGHT},
                "objects": {"source": {"dir": str(root), "classes": classes}},
                "support": {"kind": "none"},
            }
        )
        self.generator = Scene3DGenerator(config, root)

    def render(self, *objects: tuple[str, np.ndarray], labeled: bool = True) -> Sample:
        plan = {
            "camera": {
                "K": K.tolist(),
                "world_to_camera": np.eye(4).tolist(),
                "znear": 0.05,
                "zfar": 10.0,
            },
            "lights": [
                {
                    "kind": "directional",
                    "pose": np.eye(4).tolist(),
                    "colour": [1, 1, 1],
                    "intensity": 3.0,
                }
            ],
            "ambient": 0.3,
            "background": {"color": [0.5, 0.5, 0.5]},
            "objects": [
                {
                    "model": f"{name}/{name}.ply",
                    "category": name,
                    "pose": p.tolist(),
                    "scale": 1.0,
                    "tint": [1, 1, 1],
                    "metallic": 0.0,
                    "roughness": 0.6,
                }
                for name, p in objects
            ],
        }
        return self.generator.render(plan)


@pytest.fixture
def stage_factory(tmp_path: Path):
    def make(meshes: dict[str, trimesh.Trimesh], **keypoints: Any) -> Stage:
        return Stage(tmp_path / "meshes", meshes, **keypoints)

    return make
