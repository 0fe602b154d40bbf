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


@pytest.mark.parametrize(("formats", "colour"), [(["ocr"], (40, 40, 230)), (["hocr"], None)])
def test_preview_of_text_lines_draws_character_boxes(tmp_path, formats, colour):
    from tests.writers.test_ocr import make_lines

    out = make_lines(tmp_path, formats, num=2)
    write_preview(out, tmp_path / "p.png", count=2, columns=1, tile_width=400)
    sheet = cv2.imread(str(tmp_path / "p.png"))
    red = (sheet == (40, 40, 230)).all(axis=2).sum()  # BGR of the character boxes
    assert (red > 100) if colour else (red == 0)


def test_preview_of_document_pages_draws_word_boxes(tmp_path):
    from synthgen.recipe import build_recipe
    from tests.generators.document.conftest import doc_recipe

    data = {**doc_recipe(), "num": 1, "output": {"formats": ["funsd"], "image": {"format": "png"}}}
    out = tmp_path / "ds"
    generate_dataset(build_recipe(data, base_dir=tmp_path), out, workers=1, progress=False)
    write_preview(out, tmp_path / "p.png", count=1, columns=1, tile_width=600)
    sheet = cv2.imread(str(tmp_path / "p.png")).astype(int)
    plain = cv2.imread(str(out / "images/00000000.png"))
    plain = cv2.resize(plain, (sheet.shape[1], sheet.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(sheet - plain).mean() > 0.3  # word boxes were drawn (a page is mostly paper)
