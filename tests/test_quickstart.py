"""The built-in quickstart end to end, as the README runs it."""

from pathlib import Path

import pytest

from synthgen.inspect.validate import validate_dataset
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset

QUICKSTART = Path(__file__).parents[1] / "scenes" / "quickstart.yaml"


def test_quickstart_small_run_validates(tmp_path):
    summary = generate_dataset(
        load_recipe(QUICKSTART, num=12), tmp_path / "q", workers=1, progress=False
    )
    assert summary.ok == 12 and sum(summary.objects.values()) > 12
    report = validate_dataset(tmp_path / "q")
    assert report.ok, report.format()


@pytest.mark.slow
def test_two_thousand_quickstart_images_validate(tmp_path):
    summary = generate_dataset(
        load_recipe(QUICKSTART, num=2000), tmp_path / "q", workers=2, progress=False
    )
    assert summary.ok == 2000
    report = validate_dataset(tmp_path / "q")
    assert report.ok, report.format()
