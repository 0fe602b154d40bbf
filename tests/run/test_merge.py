import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from pycocotools.coco import COCO

from synthgen.cli import main
from synthgen.errors import OutputError
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset
from synthgen.run.merge import merge_shards
from tests.helpers import base_recipe, tree_bytes

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = {
    "invoice": ("templates/invoice.yaml", ["funsd", "donut", "hocr", "coco"]),
    "ner_pii": ("templates/ner_pii.yaml", ["conll", "jsonl", "spacy", "hf"]),
    "text_lines": ("templates/text_lines.yaml", ["ocr"]),
}


def make(recipe, out, **kw):
    return generate_dataset(recipe, out, workers=1, progress=False, **kw)


def shards_of(root: Path) -> list[Path]:
    found = sorted(root.glob("shard-*"))
    random.Random(len(found)).shuffle(found)  # merge must not depend on the order
    return found


def check_merge_equals_unsharded(recipe, tmp_path, size):
    make(recipe, tmp_path / "full")
    make(recipe, tmp_path / "sharded", shard_size=size)
    shards = shards_of(tmp_path / "sharded")
    assert [p.name for p in sorted(shards)][-1] == f"shard-{(recipe.num - 1) // size:05d}"
    summary = merge_shards(shards, tmp_path / "merged")
    assert summary.ok + summary.skipped == recipe.num
    full, merged = tree_bytes(tmp_path / "full"), tree_bytes(tmp_path / "merged")
    assert sorted(merged) == sorted(full)
    assert [k for k in full if full[k] != merged[k]] == []
    return shards


def test_merged_compositor_shards_equal_an_unsharded_run(recipe_file, tmp_path):
    recipe = load_recipe(recipe_file(dict(base_recipe(), num=7)))
    shards = check_merge_equals_unsharded(recipe, tmp_path, 3)  # 3 + 3 + 1
    for shard in shards:
        info = json.loads((shard / "run.json").read_text())
        coco = COCO(str(shard / "annotations/instances.json"))
        assert len(coco.getImgIds()) == info["counts"]["samples"]
        assert len(coco.getAnnIds()) == info["counts"]["objects"]


def test_merged_shards_of_a_noisy_run_equal_an_unsharded_run(recipe_file, tmp_path):
    noise = {"flip": 0.3, "jitter": 0.05, "miss": 0.2}
    data = dict(base_recipe(), num=5, labels={"noise": noise})
    data["output"] = {"formats": ["coco", "yolo"]}
    check_merge_equals_unsharded(load_recipe(recipe_file(data)), tmp_path, 2)
    assert (tmp_path / "merged/label_noise.json").is_file()


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_merged_template_shards_equal_an_unsharded_run(name, tmp_path):
    path, formats = TEMPLATES[name]
    recipe = load_recipe(REPO / path, num=5, formats=formats)
    shards = check_merge_equals_unsharded(recipe, tmp_path, 2)  # 2 + 2 + 1
    if "coco" in formats:
        for shard in shards:
            info = json.loads((shard / "run.json").read_text())
            coco = COCO(str(shard / "annotations/instances.json"))
            assert len(coco.getImgIds()) == info["counts"]["samples"]


@pytest.fixture
def sharded(recipe_file, tmp_path):
    """A run of 5 samples in shards of 2, and a second recipe's run."""
    make(load_recipe(recipe_file(dict(base_recipe(), num=5))), tmp_path / "a", shard_size=2)
    other = recipe_file(dict(base_recipe(), num=2, seed=8), "other.yaml")
    make(load_recipe(other), tmp_path / "b", shard_size=2)
    return tmp_path


@pytest.mark.parametrize(
    ("shards", "message"),
    [
        (["a/shard-00000", "a/shard-00002"], r"samples \[2, 4\) are in no shard"),
        (["a/shard-00000", "a/shard-00001"], r"samples \[4, 5\) are in no shard"),
        (["a/shard-00000", "a", "a/shard-00001"], "overlaps"),
        (["a", "b/shard-00000"], "different recipes"),
        (["a/images"], "no run.json"),
    ],
)
def test_merge_refuses_gaps_overlaps_and_mixed_recipes(sharded, shards, message):
    with pytest.raises(OutputError, match=message):
        merge_shards([sharded / s for s in shards], sharded / "out")
    assert not (sharded / "out/run.json").exists()


def test_merge_refuses_shards_of_other_assets_and_an_unfinished_merge(sharded):
    path = sharded / "a/shard-00001/run.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "fingerprint": {"x": 1}}))
    with pytest.raises(OutputError, match="different input files"):
        merge_shards([sharded / "a"], sharded / "out")
    (sharded / "out").mkdir()
    (sharded / "out/run.json").write_text(json.dumps({"status": "merging"}))
    with pytest.raises(OutputError, match="unfinished merge"):
        merge_shards([sharded / "b"], sharded / "out")


def test_merge_refuses_an_incomplete_shard(sharded):
    path = sharded / "a/shard-00001/run.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "status": "running"}))
    with pytest.raises(OutputError, match=r"shard-00001 is incomplete \(running\)"):
        merge_shards([sharded / "a"], sharded / "out")


def test_merge_refuses_an_unsharded_run_and_a_full_out(sharded, recipe_file):
    make(load_recipe(recipe_file(dict(base_recipe(), num=1))), sharded / "plain")
    with pytest.raises(OutputError, match="unsharded run, not a shard"):
        merge_shards([sharded / "plain"], sharded / "out")
    with pytest.raises(OutputError, match="not empty"):
        merge_shards([sharded / "a"], sharded / "plain")


def test_merge_command(sharded):
    shards = [str(p) for p in shards_of(sharded / "a")]
    result = CliRunner().invoke(main, ["merge", *shards, "--out", str(sharded / "m")])
    assert result.exit_code == 0, result.output
    assert "5 samples" in result.output
    assert json.loads((sharded / "m/run.json").read_text())["status"] == "complete"
    result = CliRunner().invoke(main, ["merge", shards[0], "--out", str(sharded / "m2")])
    assert result.exit_code == 2 and "are in no shard" in result.output


def test_merged_bop_shards_equal_an_unsharded_run(tmp_path):
    from synthgen.config import ImageConfig, OutputConfig, RecipeHead
    from synthgen.recipe import Recipe
    from synthgen.registry import WRITERS
    from tests.writers.known3d import fake_generator

    gen = fake_generator()  # known meshes, no OpenGL: BOP models, scenes, depth, masks
    head = RecipeHead(
        seed=1, num=5, generator={"kind": "fake3d"}, output=OutputConfig(image=ImageConfig())
    )
    formats = {"bop": {}, "coco": {}, "depth": {}}
    configs = {n: WRITERS.get(n).config_type(**o) for n, o in formats.items()}
    recipe = Recipe(head, gen.config, configs, Path(), "<fake>", _generator=gen)
    check_merge_equals_unsharded(recipe, tmp_path, 2)
    assert (tmp_path / "merged/bop/train_pbr/000000/scene_gt.json").is_file()
