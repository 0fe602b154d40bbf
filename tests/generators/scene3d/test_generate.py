"""The 3D recipes end to end: generate, read everything back, same bytes for any workers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthgen.errors import PlacementError
from synthgen.inspect.validate import validate_dataset
from synthgen.recipe import build_recipe, load_recipe
from synthgen.run import generate_dataset
from tests.generators.scene3d.conftest import needs_gl
from tests.helpers import tree_bytes

pytestmark = needs_gl

SCENES = Path(__file__).parents[3] / "scenes"
FORMATS = ["coco", "bop", "depth", "masks", "yolo-seg"]


def _small(name: str, num: int, formats: list[str] = FORMATS):
    recipe = load_recipe(SCENES / name, num=num, formats=formats)
    config = recipe.generator_config.model_copy(
        update={
            "image": recipe.generator_config.image.model_copy(  # type: ignore[attr-defined]
                update={"width": 320, "height": 240}
            )
        }
    )
    recipe.generator_config = config
    return recipe


@pytest.mark.parametrize("scene", ["tabletop.yaml", "bin_picking.yaml"])
def test_recipe_output_reads_back_in_every_format(scene, tmp_path):
    summary = generate_dataset(_small(scene, 4), tmp_path / "out", workers=1, progress=False)
    assert summary.ok == 4 and sum(summary.objects.values()) >= 4
    report = validate_dataset(tmp_path / "out")
    assert report.ok, report.format()
    coco = json.loads((tmp_path / "out/annotations/instances.json").read_text())
    assert {c["name"] for c in coco["categories"]} >= {"mug", "bowl", "bottle", "can", "book"}
    assert all(len(a["box3d"]) == 8 for a in coco["annotations"])


def test_same_bytes_with_one_or_two_workers(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    generate_dataset(_small("tabletop.yaml", 6), one, workers=1, progress=False)
    generate_dataset(_small("tabletop.yaml", 6), two, workers=2, progress=False)
    a, b = tree_bytes(one), tree_bytes(two)
    a.pop("run.json"), b.pop("run.json")
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)


def _columns(points: np.ndarray, cell: float) -> dict[tuple[int, int], tuple[float, float]]:
    """Lowest and highest z of the points in each vertical column of a grid."""
    keys = np.floor(points[:, :2] / cell).astype(int)
    out: dict[tuple[int, int], tuple[float, float]] = {}
    for (i, j), z in zip(map(tuple, keys), points[:, 2], strict=True):
        lo, hi = out.get((i, j), (np.inf, -np.inf))
        out[(i, j)] = (min(lo, z), max(hi, z))
    return out


@pytest.mark.parametrize("scene", ["tabletop.yaml", "bin_picking.yaml"])
def test_objects_rest_inside_the_support_without_interpenetrating(scene):
    recipe = _small(scene, 1)
    generator = recipe.generator()
    w, d = generator.config.support.size
    for i in range(4):
        plan = generator.plan(np.random.default_rng([recipe.seed, i]))
        columns = []
        for entry in plan["objects"]:
            library = generator.objects if entry["category"] else generator.distractors
            mesh = library.get(entry["model"]).mesh
            points = mesh.sample(3000, seed=0) @ np.array(entry["pose"])[:3, :3].T
            points += np.array(entry["pose"])[:3, 3]
            assert points[:, 2].min() > -1e-3  # nothing sinks into the support
            # ... or overhangs its area (a bin's walls stand at its edges)
            assert np.abs(points[:, 0]).max() < w / 2 + 1e-3
            assert np.abs(points[:, 1]).max() < d / 2 + 1e-3
            columns.append(_columns(np.vstack([points]), 0.01))
        for a in range(len(columns)):
            for b in range(a + 1, len(columns)):
                for key in columns[a].keys() & columns[b].keys():
                    (lo_a, hi_a), (lo_b, hi_b) = columns[a][key], columns[b][key]
                    # Where two objects share a column, one lies wholly above the other.
                    assert lo_a >= hi_b - 2e-3 or lo_b >= hi_a - 2e-3


def test_impossible_placement_is_a_clear_error(tmp_path):
    data = {
        "generator": {
            "kind": "scene3d",
            "image": {"width": 64, "height": 48},
            "objects": {"source": {"builtin": "kitchen"}, "count": [40, 40]},
            "support": {"kind": "table", "size": [0.1, 0.1]},
            "placement": {"attempts": 3, "on_failure": "error"},
        },
        "num": 1,
    }
    recipe = build_recipe(data, base_dir=tmp_path)
    with pytest.raises(PlacementError, match=r"enlarge support\.size"):
        generate_dataset(recipe, tmp_path / "out", workers=1, progress=False)
