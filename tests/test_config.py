import textwrap
from pathlib import Path

import pytest

from synthgen.config import FloatRange, IntRange, RecipeError
from synthgen.recipe import load_recipe
from tests.helpers import base_recipe


def problems(path: Path) -> str:
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    return str(err.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [([0.3, 1.2], (0.3, 1.2)), ({"min": 2, "max": 5}, (2, 5)), (0.5, (0.5, 0.5))],
)
def test_ranges_are_written_naturally(value, expected):
    r = FloatRange.model_validate(value)
    assert (r.min, r.max) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([3, 1], "min (3.0) is larger than max"),
        ([1, 2, 3], "a range is [min, max]"),
        (True, "expected a number"),
    ],
)
def test_bad_ranges_say_why(value, message):
    with pytest.raises(
        ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
    ):
        FloatRange.model_validate(value)


def test_int_range_samples_both_ends():
    import numpy as np

    rng = np.random.default_rng(0)
    assert {IntRange(min=2, max=3).sample(rng) for _ in range(50)} == {2, 3}


def test_unknown_key_names_path_line_and_suggestion(assets, recipe_file):
    path = assets / "r.yaml"
    path.write_text(
        textwrap.dedent("""\
        seed: 1
        generator:
          kind: composite
          backgrounds: {dir: backgrounds}
          objects:
            source: {dir: cutouts}
            scal: [0.1, 0.2]
        """)
    )
    msg = problems(path)
    assert str(path) in msg
    assert "line 7: generator.objects.scal: unknown key; did you mean 'scale'?" in msg


def test_wrong_types_and_out_of_range_values_are_all_reported(assets, recipe_file):
    data = base_recipe(canvas={"width": "wide", "height": 4})
    data["num"] = 0
    msg = problems(recipe_file(data))
    assert "3 problems" in msg
    assert "generator.canvas.width" in msg and "generator.canvas.height" in msg and "num:" in msg


def test_missing_asset_folder_is_named_with_its_full_path(assets, recipe_file):
    msg = problems(recipe_file(base_recipe(backgrounds={"dir": "nowhere"})))
    assert "generator.backgrounds.dir: folder not found" in msg
    assert str(assets / "nowhere") in msg


def test_unknown_generator_and_writer_suggest_names(assets, recipe_file):
    data = base_recipe(kind="composit")
    data["output"] = {"formats": ["coco", "yollo"]}
    msg = problems(recipe_file(data))
    assert "unknown generator 'composit'; did you mean 'composite'?" in msg
    assert "unknown writer 'yollo'; did you mean 'yolo'?" in msg


def test_writers_that_share_files_are_refused(assets, recipe_file):
    data = base_recipe()
    data["output"] = {"formats": ["yolo", "yolo-seg"]}
    assert "writes labels like 'yolo' does" in problems(recipe_file(data))


def test_invalid_yaml_reports_the_line(assets):
    path = assets / "bad.yaml"
    path.write_text("seed: 1\ngenerator: [unclosed\n")
    assert "invalid YAML" in problems(path)


def test_missing_recipe_file():
    with pytest.raises(RecipeError, match="recipe file not found"):
        load_recipe("/nonexistent/recipe.yaml")


def test_command_line_overrides_and_hash(recipe_file):
    path = recipe_file()
    a = load_recipe(path)
    b = load_recipe(path, num=500)
    c = load_recipe(path, seed=8)
    d = load_recipe(path, formats=["coco"])
    assert b.num == 500 and a.hash == b.hash  # num may grow a run: not part of the identity
    assert c.hash != a.hash and d.hash != a.hash
    assert list(d.writer_configs) == ["coco"]


def test_writer_options_are_validated(assets, recipe_file):
    data = base_recipe()
    data["output"] = {"formats": {"coco": {"segmentation": "polygons"}}}
    msg = problems(recipe_file(data))
    assert "output.formats.coco.segmentation" in msg and "'polygon', 'rle' or 'none'" in msg
