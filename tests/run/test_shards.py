import json

import pytest
from pycocotools.coco import COCO

from synthgen.errors import OutputError
from synthgen.inspect.validate import validate_dataset
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset
from synthgen.run.manifest import MANIFEST_FILE
from synthgen.run.merge import merge_shards
from synthgen.run.worker import SampleWorker
from tests.helpers import base_recipe, tree_bytes


def run(recipe_path, out, **kw):
    kw.setdefault("progress", False)
    kw.setdefault("workers", 1)
    return generate_dataset(load_recipe(recipe_path), out, **kw)


def recipe_7(recipe_file):
    return recipe_file(dict(base_recipe(), num=7))


def test_each_shard_is_a_complete_dataset_with_global_ids(recipe_file, tmp_path):
    summary = run(recipe_7(recipe_file), tmp_path / "o", shard_size=3, workers=2)
    assert summary.ok == 7 and summary.made == 7
    top = json.loads((tmp_path / "o/run.json").read_text())
    assert (top["status"], top["shard_size"], top["shards"], top["num"]) == ("complete", 3, 3, 7)
    assert top["counts"]["samples"] == 7
    for k, (start, stop) in enumerate([(0, 3), (3, 6), (6, 7)]):
        shard = tmp_path / f"o/shard-{k:05d}"
        info = json.loads((shard / "run.json").read_text())
        assert info["status"] == "complete" and info["counts"]["samples"] == stop - start
        assert (info["shard"]["start"], info["shard"]["stop"], info["shard"]["size"]) == (
            start,
            stop,
            3,
        )
        assert info["recipe_hash"] == top["recipe_hash"]
        coco = COCO(str(shard / "annotations/instances.json"))
        assert sorted(coco.getImgIds()) == [i + 1 for i in range(start, stop)]
        files = sorted(img["file_name"] for img in coco.loadImgs(coco.getImgIds()))
        assert files == [f"{i:08d}.jpg" for i in range(start, stop)]
        assert sorted(p.name for p in (shard / "images").iterdir()) == [
            f"{i:08d}.jpg" for i in range(start, stop)
        ]
        assert len((shard / MANIFEST_FILE).read_text().splitlines()) == stop - start
        assert len(coco.getAnnIds()) == info["counts"]["objects"]
        labels = sorted(p.name for p in (shard / "labels").iterdir())
        assert labels == [f"{i:08d}.txt" for i in range(start, stop)]
        report = validate_dataset(shard)
        assert report.ok, report.format()


def test_shard_size_does_not_change_the_recipe_hash(recipe_file, tmp_path):
    path = recipe_file(dict(base_recipe(), num=2))
    run(path, tmp_path / "a")
    run(path, tmp_path / "b", shard_size=1)
    a = json.loads((tmp_path / "a/run.json").read_text())
    b = json.loads((tmp_path / "b/shard-00001/run.json").read_text())
    assert a["recipe_hash"] == b["recipe_hash"]
    assert (tmp_path / "a/images/00000001.jpg").read_bytes() == (
        tmp_path / "b/shard-00001/images/00000001.jpg"
    ).read_bytes()


def test_resume_of_a_killed_sharded_run_gives_the_same_bytes(recipe_file, tmp_path, monkeypatch):
    path = recipe_7(recipe_file)
    run(path, tmp_path / "full", shard_size=3)
    made = SampleWorker.__call__

    def dies_at_4(self, index):
        if index == 4:
            raise RuntimeError("killed")
        return made(self, index)

    monkeypatch.setattr(SampleWorker, "__call__", dies_at_4)
    out = tmp_path / "cut"
    with pytest.raises(RuntimeError, match="killed"):
        run(path, out, shard_size=3)
    assert json.loads((out / "shard-00000/run.json").read_text())["status"] == "complete"
    assert json.loads((out / "shard-00001/run.json").read_text())["status"] == "failed"
    assert not (out / "shard-00001/annotations/instances.json").exists()
    # A kill mid-write: half a manifest line, a temp file.
    manifest = out / "shard-00001" / MANIFEST_FILE
    manifest.write_bytes(manifest.read_bytes() + b'{"index": 4, "sta')
    (out / "shard-00001/images/00000004.jpg.partial").write_bytes(b"half")
    monkeypatch.setattr(SampleWorker, "__call__", made)
    shard0 = (out / "shard-00000/run.json").stat().st_mtime_ns
    summary = run(path, out, shard_size=3, resume=True)
    assert summary.made == 3 and summary.ok == 7  # 4, 5, 6; shard 0 skipped
    assert (out / "shard-00000/run.json").stat().st_mtime_ns == shard0
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


def test_resume_of_a_finished_sharded_run_does_nothing(recipe_file, tmp_path):
    path = recipe_file(dict(base_recipe(), num=3))
    run(path, tmp_path / "o", shard_size=2)
    before = tree_bytes(tmp_path / "o")
    summary = run(path, tmp_path / "o", shard_size=2, resume=True)
    assert summary.already_complete and summary.ok == 3
    assert tree_bytes(tmp_path / "o") == before


def test_a_sharded_run_can_grow(recipe_file, tmp_path):
    data = base_recipe()
    run(recipe_file(dict(data, num=3), "a.yaml"), tmp_path / "grown", shard_size=2)
    b = recipe_file(dict(data, num=5), "b.yaml")
    assert run(b, tmp_path / "grown", shard_size=2, resume=True).made == 2
    run(b, tmp_path / "direct", shard_size=2)
    grown, direct = tree_bytes(tmp_path / "grown"), tree_bytes(tmp_path / "direct")
    # A finished shard is never rewritten: its records keep the num it was made with.
    kept = {"shard-00000/recipe.yaml", "shard-00000/run.json"}
    assert {k for k in grown if grown[k] != direct[k]} == kept
    assert grown.keys() == direct.keys()
    merge_shards([tmp_path / "grown"], tmp_path / "m1")
    merge_shards([tmp_path / "direct"], tmp_path / "m2")
    assert tree_bytes(tmp_path / "m1") == tree_bytes(tmp_path / "m2")


@pytest.mark.parametrize(
    ("first", "again", "message"),
    [
        (3, 2, "made with --shard-size 3, not 2"),
        (3, None, "holds a sharded run"),
        (None, 3, "holds an unsharded run"),
    ],
)
def test_resume_with_another_shard_size_is_refused(recipe_file, tmp_path, first, again, message):
    path = recipe_file(dict(base_recipe(), num=2))
    run(path, tmp_path / "o", shard_size=first)
    with pytest.raises(OutputError, match=message):
        run(path, tmp_path / "o", shard_size=again, resume=True)
