import cv2
import numpy as np
import pytest

from synthgen.errors import OutputError
from synthgen.inspect.preview import write_preview
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset
from tests.helpers import base_recipe


def test_preview_draws_labels_on_a_contact_sheet(recipe_file, tmp_path):
    out = tmp_path / "ds"
    generate_dataset(load_recipe(recipe_file()), out, workers=1, progress=False)
    write_preview(out, tmp_path / "p.png", count=4, columns=2, tile_width=160)
    sheet = cv2.imread(str(tmp_path / "p.png"))
    assert sheet.shape == (240, 320, 3)
    plain = cv2.imread(str(out / "images/00000000.jpg"))
    assert np.abs(sheet[:120, :160].astype(int) - plain).mean() > 2  # overlays were drawn


def test_preview_from_yolo_only(recipe_file, tmp_path):
    data = dict(base_recipe(), output={"formats": ["yolo"]})
    out = tmp_path / "ds"
    generate_dataset(load_recipe(recipe_file(data)), out, workers=1, progress=False)
    write_preview(out, tmp_path / "p.png", count=3, columns=3, tile_width=100)
    assert cv2.imread(str(tmp_path / "p.png")).shape[1] == 300


def test_preview_of_a_non_dataset(tmp_path):
    with pytest.raises(OutputError, match=r"no run\.json"):
        write_preview(tmp_path, tmp_path / "p.png")
