"""--locale and --balance as recipe overrides: parsing, the key each sets, and the errors."""

from pathlib import Path

import pytest
import yaml

from synthgen.config import RecipeError
from synthgen.errors import OptionError
from synthgen.overrides import LOCALE_KEYS, parse_weights
from synthgen.recipe import load_recipe
from synthgen.registry import GENERATORS
from tests.helpers import base_recipe

ROOT = Path(__file__).parents[1]
INTENTS = ROOT / "templates/intents.yaml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("de_DE,fr_FR", {"de_DE": 1.0, "fr_FR": 1.0}),
        ("de_DE=2, fr_FR", {"de_DE": 2.0, "fr_FR": 1.0}),
        ("a=0.5,b=0,", {"a": 0.5, "b": 0.0}),
    ],
)
def test_weights_are_parsed(text, expected):
    assert parse_weights(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" , ", "give at least one name"),
        ("=2", "has no name"),
        ("a,b,a=2", "'a' is given twice"),
        ("a=x", "the weight must be a number >= 0"),
        ("a=-1", "the weight must be a number >= 0"),
        ("a=nan", "the weight must be a number >= 0"),
        ("a=0,b=0", "at least one weight must be above 0"),
    ],
)
def test_bad_weights_say_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_weights(text)


def test_every_generator_with_locales_is_in_the_table():
    with_locales = {
        n for n in GENERATORS.names() if "locales" in GENERATORS.get(n).config_type.model_fields
    }
    assert with_locales == set(LOCALE_KEYS)


def test_locales_and_balance_replace_the_text_recipe_keys():
    plain = load_recipe(INTENTS)
    changed = load_recipe(INTENTS, locales={"de_DE": 2.0}, balance={"check_balance": 1.0})
    config = changed.generator_config
    assert config.locales == {"de_DE": 2.0}
    assert config.class_weights() == {"check_balance": 1.0}
    assert changed.hash != plain.hash
    assert "check_balance: 1.0" in changed.to_yaml()  # the run's recipe.yaml records them
    # The values the file already has: the same recipe, so a run made without flags resumes.
    same = load_recipe(INTENTS, locales=dict(plain.generator_config.locales), balance="uniform")
    assert same.hash == plain.hash


def test_balance_replaces_the_class_weights_of_image_recipes(recipe_file):
    data = base_recipe()
    data["generator"]["objects"]["class_weights"] = {"ring": 3, "square": 1}
    path = recipe_file(data)
    assert load_recipe(path, balance="uniform").generator_config.objects.class_weights is None
    weights = load_recipe(path, balance={"square": 1.0}).generator_config.objects.class_weights
    assert weights == {"square": 1.0}
    scene = load_recipe(ROOT / "scenes/bin_picking.yaml", balance={"can": 1.0, "mug": 2.0})
    assert scene.generator_config.objects.class_weights == {"can": 1.0, "mug": 2.0}


def test_balance_is_refused_beside_exact_class_counts(recipe_file):
    data = base_recipe()
    data["generator"]["objects"]["class_counts"] = {"ring": 1}
    with pytest.raises(
        OptionError, match=r"cannot be combined with generator\.objects\.class_counts"
    ):
        load_recipe(recipe_file(data), balance="uniform")


def test_a_problem_at_an_overridden_key_has_no_line_and_a_note():
    with pytest.raises(RecipeError) as err:
        load_recipe(INTENTS, locales={"xx_YY": 1.0})
    lines = str(err.value).splitlines()
    # The file's line would point at the locales the flag replaced.
    assert lines[1] == "  generator.locales: Faker has no locale 'xx_YY' (e.g. en_US, de_DE, fr_FR)"
    assert lines[2] == "  note: --locale xx_YY replaced the recipe's generator.locales"


def test_a_balance_class_unknown_to_the_assets_names_the_flag(recipe_file):
    recipe = load_recipe(recipe_file(), balance={"cat": 1.0})
    with pytest.raises(RecipeError) as err:
        recipe.generator()
    message = str(err.value)
    assert message.startswith(f"{recipe.source}: 1 problem")
    assert "note: --balance cat replaced the recipe's generator.objects.class_weights" in message


def test_an_unknown_generator_kind_is_left_to_validation(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"generator": {"kind": "txt"}}))
    with pytest.raises(RecipeError, match="unknown generator 'txt'"):
        load_recipe(path, locales={"de_DE": 1.0})
