"""``synthgen augment`` end to end on a small dataset that synthgen made itself."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pycocotools.coco import COCO

from synthgen.augment.command import augment_recipe, parse_profiles
from synthgen.cli import main
from synthgen.errors import OptionError
from synthgen.inspect.validate import validate_dataset
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset

QUICKSTART = Path(__file__).parents[2] / "scenes" / "quickstart.yaml"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("aug") / "src"
    generate_dataset(load_recipe(QUICKSTART, num=4), root, workers=1, progress=False)
    return root / "annotations" / "instances.json"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "run.json"  # run.json holds the source's absolute path
    }


def test_augment_writes_a_dataset_that_validates_and_reloads(source, tmp_path):
    out = tmp_path / "edge"
    result = CliRunner().invoke(
        main,
        [
            "augment", str(source), "--profile", "rotate,occluder,night,fog,motion_blur",
            "--per-image", "2", "--format", "coco,yolo,voc", "--out", str(out),
            "--seed", "3", "--workers", "1", "--quiet",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = validate_dataset(out)
    assert report.ok, report.format()
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(records) == 8
    written = sum(sum(r["objects"].values()) for r in records)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(out / "annotations" / "instances.json"))
    assert len(coco.getImgIds()) == 8
    assert len(coco.getAnnIds()) == written > 0
    plan = records[3]["plan"]
    assert plan["source"]["image_id"] == 2 and plan["copy"] == 1 and plan["seed"] == 3
    assert plan["profile"] == ["rotate", "occluder", "night", "fog", "motion_blur"]
    assert [op["op"] for op in plan["ops"]] == plan["profile"]
    assert plan["ops"][0]["degrees"] != records[2]["plan"]["ops"][0]["degrees"]


def test_same_bytes_with_one_and_two_workers(source, tmp_path):
    profiles = parse_profiles("hflip,crop,occluder,rain,jpeg")
    for workers in (1, 2):
        recipe = augment_recipe(
            source, profiles=profiles, formats=["coco", "yolo"], per_image=2, seed=1
        )
        generate_dataset(recipe, tmp_path / str(workers), workers=workers, progress=False)
    one, two = _files(tmp_path / "1"), _files(tmp_path / "2")
    assert len(one) > 10
    assert one == two


def test_a_copy_depends_on_its_source_image_and_number_only(source, tmp_path):
    """Copy k of image i is the same whether the run makes 1 or 3 copies per image."""
    profiles = parse_profiles("perspective,snow")
    for per_image in (1, 3):
        recipe = augment_recipe(
            source, profiles=profiles, formats=["coco"], per_image=per_image, seed=2
        )
        generate_dataset(recipe, tmp_path / str(per_image), workers=1, progress=False)
    # Image 1 (the second) is sample 1 with one copy and sample 3 with three.
    assert (tmp_path / "1/images/00000001.png").read_bytes() == (
        tmp_path / "3/images/00000003.png"
    ).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "fgo"], "unknown profile 'fgo'; did you mean 'fog'?"),
        (["--profile", "fog", "--param", "fog.density=0.5,3"], "fog.density: Value error"),
        (["--profile", "fog", "--param", "fog.thickness=1"], "fog.thickness: no such parameter"),
        (["--profile", "fog", "--param", "rain.slant=1"], "profile 'rain' is not in --profile"),
        (["--profile", "fog", "--param", "density=1"], "PROFILE.KEY=VALUE"),
    ],
)
def test_bad_options_are_named(source, tmp_path, args, message):
    result = CliRunner().invoke(
        main, ["augment", str(source), "--out", str(tmp_path / "o"), "-q", *args]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "o").exists()


def test_missing_source_is_named(tmp_path):
    result = CliRunner().invoke(
        main,
        ["augment", str(tmp_path / "nope.json"), "--profile", "fog", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2
    assert "nope.json: no such file or folder" in result.output


def test_parse_profiles_keeps_order_and_values():
    assert parse_profiles("night, rotate", ("rotate.degrees=-5,5",)) == [
        {"op": "night"},
        {"op": "rotate", "degrees": [-5, 5]},
    ]
    with pytest.raises(OptionError, match="--profile: name one or more"):
        parse_profiles(" , ")


def test_an_augment_worker_imports_no_other_generator_nor_the_engine():
    # A spawned worker imports the executor, the augment generator and its writers: the
    # engine (tqdm, quotas), the document and composite generators load only when used
    # (each costs a worker process ~0.05-0.1 s of CPU at start-up).
    import os
    import subprocess
    import sys

    import synthgen

    heavy = (
        "tqdm",
        "synthgen.run.engine",
        "synthgen.generators.document.generator",
        "synthgen.generators.composite.generator",
    )
    code = (
        "import sys, synthgen.run.executor, synthgen.augment.generator, synthgen.writers.coco; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    root = str(Path(synthgen.__file__).parents[1])  # this checkout, whatever is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == ""
