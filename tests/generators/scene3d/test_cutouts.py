"""render-cutouts: 3D models into RGBA cutouts the compositor reads."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from synthgen.errors import OutputError
from synthgen.generators.composite.assets import load_cutout
from synthgen.generators.scene3d.cutouts import CutoutsConfig, render_cutouts
from tests.generators.scene3d.conftest import needs_gl

pytestmark = needs_gl


@pytest.fixture
def config(tmp_path) -> CutoutsConfig:
    (tmp_path / "meshes" / "brick").mkdir(parents=True)
    trimesh.creation.box(extents=(0.2, 0.1, 0.05)).export(tmp_path / "meshes/brick/a.ply")
    corners = {"front": [0.1, 0.0, 0.0], "back": [-0.1, 0.0, 0.0]}  # centres of the end faces
    (tmp_path / "meshes/brick/a.json").write_text(json.dumps({"keypoints": corners}))
    return CutoutsConfig.model_validate(
        {
            "size": 96,
            "views": 6,
            "objects": {
                "dir": str(tmp_path / "meshes"),
                "classes": [{"name": "brick", "keypoints": ["front", "back"]}],
            },
        }
    )


def test_cutouts_load_in_the_compositor_with_their_keypoints(config, tmp_path):
    out = tmp_path / "cutouts"
    assert render_cutouts(config, tmp_path, out, progress=False) == 6
    files = sorted((out / "brick").glob("*.png"))
    assert len(files) == 6
    index = json.loads((out / "cutouts.json").read_text())
    assert index["classes"][0]["keypoints"] == ["front", "back"]
    seen = 0
    for path in files:
        cutout = load_cutout(path, ("front", "back"))
        sidecar = json.loads(path.with_suffix(".json").read_text())
        # An end face seen from the other side is never both visible: one of them is hidden.
        assert len(sidecar["keypoints"]) + len(sidecar["hidden_keypoints"]) == 2
        assert len(sidecar["keypoints"]) <= 2
        alpha = cutout.rgba[:, :, 3]
        for x, y in cutout.keypoints[np.isfinite(cutout.keypoints[:, 0])]:
            seen += 1
            near = alpha[int(y) - 1 : int(y) + 2, int(x) - 1 : int(x) + 2]
            assert (near >= 128).any()  # a visible keypoint sits on the object
    assert seen > 0


def test_cutouts_are_deterministic_and_not_overwritten_by_accident(config, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    render_cutouts(config, tmp_path, first, progress=False)
    render_cutouts(config, tmp_path, second, progress=False)
    for path in sorted(first.rglob("*.png")):
        assert path.read_bytes() == (second / path.relative_to(first)).read_bytes()
    with pytest.raises(OutputError, match="--overwrite"):
        render_cutouts(config, tmp_path, first, progress=False)
    render_cutouts(config, tmp_path, first, overwrite=True, progress=False)
    assert not (tmp_path / "a.partial").exists()
