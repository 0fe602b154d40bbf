"""Shared fixtures: tiny asset folders and recipes written into tmp_path."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from tests.helpers import base_recipe, disc_cutout, write_rgba


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """Caches (text value pools) go to a folder of the test session, not the user's."""
    old = os.environ.get("SYNTHGEN_CACHE_DIR")
    os.environ["SYNTHGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        del os.environ["SYNTHGEN_CACHE_DIR"]
    else:
        os.environ["SYNTHGEN_CACHE_DIR"] = old


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    """cutouts/{ring,square}/ with keypoint sidecars for rings, backgrounds/ with 2 images."""
    root = tmp_path / "assets"
    rings, squares, bgs = root / "cutouts/ring", root / "cutouts/square", root / "backgrounds"
    for d in (rings, squares, bgs):
        d.mkdir(parents=True)
    for k, colour in enumerate([(200, 40, 40), (40, 40, 200)]):
        write_rgba(rings / f"ring{k}.png", disc_cutout(64, colour, hole=12))
        (rings / f"ring{k}.json").write_text(
            json.dumps(
                {"keypoints": {"left": [2.5, 32.5], "right": [62.5, 32.5], "top": [32.5, 2.5]}}
            )
        )
        img = np.zeros((40, 50, 3), np.uint8)
        img[:] = (30, 160 + 40 * k, 60)
        mask = np.zeros((40, 50), np.uint8)
        mask[4:36, 5:45] = 255
        cv2.imwrite(str(squares / f"sq{k}.jpg"), img)
        cv2.imwrite(str(squares / f"sq{k}.mask.png"), mask)
    rng = np.random.default_rng(0)
    for k in range(2):
        bg = cv2.resize((rng.random((12, 16, 3)) * 255).astype(np.uint8), (400, 300))
        cv2.imwrite(str(bgs / f"bg{k}.jpg"), bg)
    return root


@pytest.fixture
def recipe_file(assets: Path):
    """Writes a recipe next to the assets; returns a function taking overrides."""

    def write(data: dict[str, Any] | None = None, name: str = "recipe.yaml") -> Path:
        path = assets / name
        path.write_text(yaml.safe_dump(data or base_recipe()))
        return path

    return write
