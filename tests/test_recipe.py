"""The recipe.yaml a run writes loads back into the same recipe (same hash)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from synthgen.recipe import build_recipe, load_recipe

ROOT = Path(__file__).parents[1]
SHIPPED = [  # generate recipes (scenes/objects.yaml is a render-cutouts config)
    path
    for path in sorted((ROOT / "scenes").glob("*.yaml"))
    + sorted((ROOT / "templates").glob("*.yaml"))
    if "generator" in yaml.safe_load(path.read_text())
]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_written_recipe_loads_back_the_same(path: Path) -> None:
    recipe = load_recipe(path)
    again = build_recipe(yaml.safe_load(recipe.to_yaml()), base_dir=path.parent)
    assert again.hash == recipe.hash
    assert again.to_yaml() == recipe.to_yaml()
