"""The Ray executor on a local Ray cluster: same bytes as a local run, survives a killed
worker, resumes; the results come in index order with a bounded number in flight."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from synthgen.cli import main
from synthgen.inspect.validate import validate_dataset
from synthgen.recipe import load_recipe
from synthgen.run import engine, generate_dataset
from synthgen.run.executor import Executor, ExecutorSpec, InlineExecutor, Task
from synthgen.run.manifest import MANIFEST_FILE
from synthgen.run.merge import merge_shards
from synthgen.run.ray_executor import ExecutorError, RayExecutor
from tests.generators.scene3d.conftest import needs_gl
from tests.helpers import base_recipe, tree_bytes
from tests.run.ray_tasks import DiesAt, Echo, FailsAt

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "synthgen[ray]")')

REPO = Path(__file__).parents[2]


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    """One local Ray for the whole module: the executors find it and leave it running."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


def run(recipe, out: Path, **kw) -> engine.RunSummary:
    return generate_dataset(recipe, out, progress=False, **kw)


def same_output(a: Path, b: Path) -> None:
    """Every file, byte for byte (run.json included: it records no time)."""
    left, right = tree_bytes(a), tree_bytes(b)
    assert left.keys() == right.keys()
    assert [k for k in left if left[k] != right[k]] == []


def test_compositor_same_bytes_as_local(recipe_file, tmp_path):
    recipe = load_recipe(recipe_file(dict(base_recipe(), num=18)))
    run(recipe, tmp_path / "local", workers=1)
    summary = run(recipe, tmp_path / "ray", workers=2, executor_kind="ray")
    assert summary.made == 18
    same_output(tmp_path / "local", tmp_path / "ray")
    report = validate_dataset(tmp_path / "ray")  # every format read back by its reader
    assert report.ok, report.format()


def test_document_same_bytes_as_local(tmp_path):
    recipe = load_recipe(REPO / "templates/invoice.yaml", num=4)
    run(recipe, tmp_path / "local", workers=1)
    run(recipe, tmp_path / "ray", workers=2, executor_kind="ray")
    same_output(tmp_path / "local", tmp_path / "ray")
    assert (tmp_path / "ray/images/00000003.png").is_file()


def test_sharded_on_ray_merges_into_the_local_run(recipe_file, tmp_path):
    recipe = load_recipe(recipe_file(dict(base_recipe(), num=11)))
    run(recipe, tmp_path / "local", workers=1)
    run(recipe, tmp_path / "shards", workers=2, executor_kind="ray", shard_size=4)
    shards = sorted((tmp_path / "shards").glob("shard-*"), reverse=True)
    assert len(shards) == 3
    merge_shards(shards, tmp_path / "merged")
    same_output(tmp_path / "local", tmp_path / "merged")


def test_quota_probe_on_ray_picks_the_local_candidates(recipe_file, tmp_path):
    quota = {"by": ["class"], "cells": [{"class": "ring", "count": 5}]}
    recipe = load_recipe(recipe_file(dict(base_recipe(), quota=quota)))
    run(recipe, tmp_path / "local", workers=1)
    run(recipe, tmp_path / "ray", workers=2, executor_kind="ray")
    same_output(tmp_path / "local", tmp_path / "ray")


@pytest.mark.slow
@needs_gl
def test_scene3d_same_bytes_as_local(tmp_path):
    from tests.generators.scene3d.test_generate import _small

    run(_small("tabletop.yaml", 4, ["coco", "bop"]), tmp_path / "local", workers=1)
    run(_small("tabletop.yaml", 4, ["coco", "bop"]), tmp_path / "ray", executor_kind="ray")
    same_output(tmp_path / "local", tmp_path / "ray")


# ------------------------------------------------------------------ failures


class Wrapped:
    """An executor that runs a wrapped version of the task it is given."""

    def __init__(self, inner: Executor, wrap: Callable[[Task], Task]) -> None:
        self.inner, self.wrap = inner, wrap

    def map(self, task: Task, indices: Sequence[int]) -> Iterator[bytes]:
        return self.inner.map(self.wrap(task), indices)

    def close(self) -> None:
        self.inner.close()


def wrap_task(monkeypatch, executor: Executor, wrap: Callable[[Task], Task]) -> None:
    """The engine's next run uses ``executor`` with ``wrap`` around its task."""
    monkeypatch.setattr(ExecutorSpec, "make", lambda self: Wrapped(executor, wrap))


def test_a_killed_worker_is_replaced_and_its_chunk_made_again(recipe_file, tmp_path, monkeypatch):
    recipe = load_recipe(recipe_file(dict(base_recipe(), num=16)))
    run(recipe, tmp_path / "clean", workers=1)
    marker = tmp_path / "killed"
    wrap_task(monkeypatch, RayExecutor(2), lambda task: DiesAt(task, 6, marker))
    summary = run(recipe, tmp_path / "ray")
    assert marker.exists(), "the worker should have been killed"
    assert summary.made == 16
    lines = (tmp_path / "ray" / MANIFEST_FILE).read_bytes().splitlines()
    assert [orjson.loads(line)["index"] for line in lines] == list(range(16))
    same_output(tmp_path / "clean", tmp_path / "ray")


def test_a_worker_that_keeps_dying_fails_the_run_naming_the_samples():
    with pytest.raises(ExecutorError, match=r"samples 3\.\.5: .* died 2 times"):
        list(RayExecutor(2, retries=1).map(DiesAt(Echo(), 5), range(9)))  # chunks of 3


def test_a_sample_error_comes_back_as_it_is():
    with pytest.raises(RuntimeError, match="sample 5 failed on purpose"):
        list(RayExecutor(2).map(FailsAt(Echo(), 5), range(9)))


def test_a_local_run_interrupted_then_resumed_on_ray(recipe_file, tmp_path, monkeypatch):
    """The executor is not part of the recipe: a run resumes with either."""
    path = recipe_file(dict(base_recipe(), num=12))
    run(load_recipe(path), tmp_path / "clean", workers=2)
    out = tmp_path / "resumed"
    with monkeypatch.context() as patch:
        wrap_task(patch, InlineExecutor(), lambda task: FailsAt(task, 9))
        with pytest.raises(RuntimeError, match="sample 9 failed on purpose"):
            run(load_recipe(path), out)
    assert (out / MANIFEST_FILE).read_bytes().count(b"\n") == 9
    result = CliRunner().invoke(
        main,
        ["generate", str(path), "--out", str(out), "--resume", "--executor", "ray", "-w", "2"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    same_output(tmp_path / "clean", out)


# ------------------------------------------------------------------ order, back pressure


class Watched(Sequence[int]):
    """range(n) that records how far into it the executor has read."""

    def __init__(self, n: int) -> None:
        self.n, self.high = n, 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, slice):
            self.high = max(self.high, min(key.stop, self.n))
            return range(self.n)[key]
        self.high = max(self.high, key + 1)
        return key


def test_results_in_index_order_with_a_bounded_window():
    indices = Watched(240)
    results = RayExecutor(2, in_flight=2).map(Echo(), indices)
    assert next(results) == b"0"
    # 2 actors x 2 in flight, and at most 4 times that done and waiting: 16 chunks of 3.
    assert indices.high <= 16 * 3
    assert [b"0", *results] == [str(i).encode() for i in range(240)]


def test_more_workers_than_the_cluster_has_cpus_is_refused():
    with pytest.raises(ExecutorError, match="the Ray cluster has 2 CPUs; use --workers 2"):
        list(RayExecutor(3).map(Echo(), range(3)))
