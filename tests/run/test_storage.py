import json

import fsspec
import pytest

from synthgen.errors import OutputError
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset
from synthgen.run.merge import merge_shards
from synthgen.run.storage import Remote
from synthgen.run.worker import SampleWorker
from tests.helpers import base_recipe, tree_bytes


def make(recipe, out, **kw):
    kw.setdefault("workers", 1)  # the memory file system is per process
    return generate_dataset(recipe, out, progress=False, **kw)


@pytest.fixture
def memory(tmp_path):
    """A fresh memory:// folder, removed afterwards (the file system is process-global)."""
    url = f"memory://{tmp_path.name}"
    yield url
    Remote(url).remove()


def download(url, local):
    Remote(url).download_folder("", local)
    return tree_bytes(local)


def without_links(root):
    """A local run's files as an object store holds them: no links to folders."""
    links = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_symlink()}
    return {k: v for k, v in tree_bytes(root).items() if k not in links}


def test_sharded_run_and_merge_on_the_memory_file_system(recipe_file, tmp_path, memory):
    recipe = load_recipe(recipe_file(dict(base_recipe(), num=5)))
    make(recipe, tmp_path / "local", shard_size=2)
    make(recipe, tmp_path / "full")
    summary = make(recipe, f"{memory}/run", shard_size=2)
    assert summary.ok == 5 and str(summary.root) == f"{memory}/run"
    assert download(f"{memory}/run", tmp_path / "got") == without_links(tmp_path / "local")
    shards = [f"{memory}/run/shard-{k:05d}" for k in (2, 0, 1)]
    merge_shards(shards, f"{memory}/merged")
    assert download(f"{memory}/merged", tmp_path / "merged") == without_links(tmp_path / "full")
    merge_shards([f"{memory}/run"], tmp_path / "merged_here")
    assert tree_bytes(tmp_path / "merged_here") == tree_bytes(tmp_path / "full")


def test_file_urls_with_two_workers_give_the_bytes_of_a_local_run(recipe_file, tmp_path):
    recipe = load_recipe(recipe_file(dict(base_recipe(), num=4)))
    make(recipe, tmp_path / "local", shard_size=3)
    make(recipe, f"file://{tmp_path}/remote", workers=2, shard_size=3)  # workers upload
    assert tree_bytes(tmp_path / "remote") == without_links(tmp_path / "local")


def test_resume_on_a_remote_out_redoes_only_the_unfinished_shard(
    recipe_file, tmp_path, memory, monkeypatch
):
    recipe = load_recipe(recipe_file(dict(base_recipe(), num=5)))
    make(recipe, tmp_path / "local", shard_size=2)
    made = SampleWorker.__call__

    def dies_at_3(self, index):
        if index == 3:
            raise RuntimeError("killed")
        return made(self, index)

    monkeypatch.setattr(SampleWorker, "__call__", dies_at_3)
    with pytest.raises(RuntimeError, match="killed"):
        make(recipe, memory, shard_size=2)
    fs = fsspec.filesystem("memory")
    remote = Remote(memory)
    assert remote.read_json("shard-00000/run.json")["status"] == "complete"
    assert remote.read_json("shard-00001/run.json") is None  # not complete: no record
    assert fs.exists(f"{remote.path}/shard-00001/images/00000002.jpg")  # uploaded by the worker
    monkeypatch.setattr(SampleWorker, "__call__", made)
    with pytest.raises(OutputError, match="--resume"):
        make(recipe, memory, shard_size=2)
    summary = make(recipe, memory, shard_size=2, resume=True)
    assert summary.made == 3 and summary.ok == 5  # shard 1 again, then shard 2
    assert download(memory, tmp_path / "got") == without_links(tmp_path / "local")
    assert make(recipe, memory, shard_size=2, resume=True).already_complete


def test_a_remote_out_that_holds_something_else_is_refused(recipe_file, memory):
    fsspec.filesystem("memory").pipe_file(f"{Remote(memory).path}/notes.txt", b"mine")
    recipe = load_recipe(recipe_file(dict(base_recipe(), num=1)))
    with pytest.raises(OutputError, match="holds no synthgen run"):
        make(recipe, memory)
    with pytest.raises(OutputError, match="not empty"):
        merge_shards([memory], memory)


def test_generate_command_takes_a_url(recipe_file, tmp_path, memory):
    from click.testing import CliRunner

    from synthgen.cli import main

    path = recipe_file(dict(base_recipe(), num=2))
    args = ["generate", str(path), "--out", memory, "-w", "1", "-q", "--shard-size", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert json.loads(Remote(memory).fs.cat_file(f"{Remote(memory).path}/run.json"))["shards"] == 2


def test_remote_document_shards_merge_into_a_local_run(tmp_path, memory):
    from tests.run.test_merge import REPO

    recipe = load_recipe(REPO / "templates/invoice.yaml", num=3, formats=["funsd", "donut"])
    make(recipe, tmp_path / "full")
    make(recipe, memory, shard_size=2)
    merge_shards([memory], tmp_path / "merged")  # funsd/images: a link made again
    assert tree_bytes(tmp_path / "merged") == tree_bytes(tmp_path / "full")


def test_an_interrupted_unsharded_remote_run_resumes(recipe_file, tmp_path, memory, monkeypatch):
    recipe = load_recipe(recipe_file(dict(base_recipe(), num=3)))
    make(recipe, tmp_path / "local")
    made = SampleWorker.__call__

    def dies_at_2(self, index):
        if index == 2:
            raise RuntimeError("killed")
        return made(self, index)

    monkeypatch.setattr(SampleWorker, "__call__", dies_at_2)
    with pytest.raises(RuntimeError, match="killed"):
        make(recipe, memory)
    assert Remote(memory).read_json("run.json")["status"] == "running"
    monkeypatch.setattr(SampleWorker, "__call__", made)
    assert make(recipe, memory, resume=True).made == 3  # made again from the start
    assert download(memory, tmp_path / "got") == without_links(tmp_path / "local")
