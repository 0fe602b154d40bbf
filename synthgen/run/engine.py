"""Runs a recipe into an output folder: checks, executes, streams records, finalizes.

With ``shard_size`` the samples go to ``OUT/shard-00000/``, ``OUT/shard-00001/``, ... (see
``synthgen.run.shards``): one map over all indices, each record routed to its shard's
folder, and a shard finalized as soon as its last record arrives.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from itertools import chain, pairwise
from pathlib import Path
from typing import Any

import orjson
from tqdm import tqdm

from synthgen import __version__
from synthgen.errors import OutputError
from synthgen.files import atomic_write_text
from synthgen.generators.base import Generator
from synthgen.label_noise import REPORT_FILE as NOISE_REPORT
from synthgen.label_noise import check_label_noise, clean_writer, noise_report
from synthgen.quota.run import finish_quota, prepare_quota, save_quota_plan
from synthgen.recipe import Recipe
from synthgen.run.executor import ExecutorSpec, SampleTask
from synthgen.run.manifest import (
    MANIFEST_FILE,
    RUN_FILE,
    Manifest,
    read_run_info,
    write_run_info,
)
from synthgen.run.records import Records, RunSummary, finish_folder, run_counts
from synthgen.run.shards import Layout, shard_dir, shard_ranges
from synthgen.run.storage import Remote, folder_links, is_url
from synthgen.run.worker import IMAGES_DIR
from synthgen.writers.base import Writer

RECIPE_FILE = "recipe.yaml"


class _Progress(tqdm):
    """tqdm without its monitor thread (which only retunes ``miniters`` of stalled bars):
    text workers are forked from this process, and a fork should copy one thread only."""

    monitor_interval = 0


def generate_dataset(
    recipe: Recipe,
    root: Path | str,
    *,
    workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    shard_size: int | None = None,
    executor_kind: str = "local",
    address: str | None = None,
) -> RunSummary:
    """Makes samples ``0..num-1`` of ``recipe`` under ``root`` and writes every format.

    With ``resume`` a killed or interrupted run continues where it stopped; the result is
    byte-identical to an uninterrupted run, whatever the worker count. With ``shard_size``
    every ``shard_size`` samples make a complete dataset of their own under ``root``.
    ``root`` may be an fsspec URL (``s3://bucket/run``): see ``run.storage``. The executor
    (``executor_kind`` "local" or "ray"; ``address``: the Ray cluster, see RayExecutor)
    and ``workers`` change where samples are made, never their bytes.
    """
    spec = ExecutorSpec(workers, executor_kind, address)
    if is_url(root):
        return _generate_remote(recipe, str(root), spec, resume, overwrite, progress, shard_size)
    return _generate(recipe, Path(root), spec, resume, overwrite, progress, shard_size)


def _generate_remote(
    recipe: Recipe,
    url: str,
    executor: ExecutorSpec,
    resume: bool,
    overwrite: bool,
    progress: bool,
    shard_size: int | None,
) -> RunSummary:
    """Runs in a local staging folder that holds the remote run's records: a finished
    remote shard (or run) is skipped, an unfinished one is made again."""
    remote = Remote(url)
    with tempfile.TemporaryDirectory(prefix="synthgen-") as tmp:
        staging = Path(tmp)
        info = remote.read_json(RUN_FILE)
        if info is None and not remote.is_empty():
            raise OutputError(
                f"{url} is not empty and holds no synthgen run; choose a new or empty --out"
            )
        if info is not None and overwrite:
            remote.remove()
        elif info is not None:
            _mirror_records(remote, info, staging)
        summary = _generate(recipe, staging, executor, resume, False, progress, shard_size, remote)
    summary.root = url
    return summary


def _mirror_records(remote: Remote, info: dict[str, Any], staging: Path) -> None:
    """Copies the run records that tell the engine what is finished into ``staging``."""
    write_run_info(staging, info)
    if info.get("shard_size") is None:
        if info.get("status") == "complete":
            remote.download(MANIFEST_FILE, staging / MANIFEST_FILE)
        return
    for k in range(info.get("shards", 0)):
        shard = remote.read_json(f"{shard_dir(k)}/{RUN_FILE}")
        if shard is not None and shard.get("status") == "complete":
            (staging / shard_dir(k)).mkdir()
            write_run_info(staging / shard_dir(k), shard)


def _generate(
    recipe: Recipe,
    root: Path,
    executor: ExecutorSpec,
    resume: bool,
    overwrite: bool,
    progress: bool,
    shard_size: int | None,
    remote: Remote | None = None,
) -> RunSummary:
    generator = recipe.generator()
    generator.check()
    fingerprint = generator.fingerprint()
    if recipe.head.labels.noise is not None:
        check_label_noise(recipe.head.labels.noise, [c.name for c in generator.categories()])
    if recipe.quota is not None and (shard_size is not None or remote is not None):
        raise OutputError(
            "a quota run writes one dataset to a local folder: drop --shard-size, or give "
            "a local --out and copy the result"
        )
    # quota: probe the candidates (or read them back on --resume), set num
    recipe = prepare_quota(
        recipe, root, executor=executor, resume=resume, overwrite=overwrite, progress=progress
    )
    info = _run_info(recipe, fingerprint, "running")
    summary = RunSummary(root, recipe.num)
    url = remote.url if remote is not None else None
    if shard_size is not None:
        return _generate_sharded(
            recipe,
            generator,
            root,
            info,
            Layout(shard_size, url),
            summary,
            executor,
            resume,
            overwrite,
            progress,
            remote,
        )
    start = _prepare_output(recipe, root, fingerprint, resume=resume, overwrite=overwrite)
    if start is None:
        return _already_complete(root, summary)
    folder = _Folder(recipe, generator, root, info, range(recipe.num), start, remote, "")
    if remote is not None:  # says "a run is here" (a resume needs it); complete comes last
        remote.upload(root / RUN_FILE, RUN_FILE)
    save_quota_plan(recipe, root)  # quota: the accepted candidates, for --resume
    indices = range(start, recipe.num)
    _run(recipe, root, Layout(None, url), {0: folder}, indices, summary, executor, progress)
    summary.noise = folder.summary.noise
    finish_quota(recipe, root)  # quota: quota.json; raises naming the unmet cells
    return summary


def _generate_sharded(
    recipe: Recipe,
    generator: Generator[Any],
    root: Path,
    info: dict[str, Any],
    layout: Layout,
    summary: RunSummary,
    executor: ExecutorSpec,
    resume: bool,
    overwrite: bool,
    progress: bool,
    remote: Remote | None,
) -> RunSummary:
    size = layout.shard_size
    assert size is not None
    if size < 1:
        raise OutputError(f"--shard-size {size}: give at least 1 sample per shard")
    fingerprint = info["fingerprint"]
    top = _prepare_sharded(recipe, root, fingerprint, size, resume=resume, overwrite=overwrite)
    if top is not None and top.get("status") == "complete" and top.get("num") == recipe.num:
        return _already_complete(root, summary)
    ranges = shard_ranges(recipe.num, size)
    top_info = {**info, "shard_size": size, "shards": len(ranges)}
    write_run_info(root, top_info)
    atomic_write_text(root / RECIPE_FILE, recipe.to_yaml())
    if remote is not None:
        remote.upload_folder(root, recursive=False)
    categories = [asdict(c) for c in generator.categories()]
    folders: dict[int, _Folder] = {}
    pending: list[range] = []
    for k, shard_indices in enumerate(ranges):
        folder_root = root / shard_dir(k)
        done = _shard_progress(folder_root, shard_indices)
        if done is None:  # finished earlier: its counts only
            summary.absorb((read_run_info(folder_root) or {}).get("counts", {}))
            continue
        shard = {"index": k, "start": shard_indices.start, "stop": shard_indices.stop, "size": size}
        shard_info = {**info, "shard": {**shard, "categories": categories}}  # links: _Folder
        folders[k] = _Folder(
            recipe, generator, folder_root, shard_info, shard_indices, done, remote, shard_dir(k)
        )
        pending.append(range(done, shard_indices.stop))
    contiguous = all(a.stop == b.start for a, b in pairwise(pending))
    indices: Sequence[int] = (
        range(pending[0].start, pending[-1].stop)
        if contiguous and pending
        else list(chain.from_iterable(pending))
    )
    noise = _run(recipe, root, layout, folders, indices, summary, executor, progress)
    if recipe.head.labels.noise is not None:
        summary.noise = noise_report(recipe.head.labels.noise, noise)
    write_run_info(root, {**top_info, "status": "complete", "counts": run_counts(summary)})
    if remote is not None:
        remote.upload_folder(root, recursive=False)
    return summary


def _run(
    recipe: Recipe,
    root: Path,
    layout: Layout | None,
    folders: dict[int, _Folder],
    indices: Sequence[int],
    summary: RunSummary,
    spec: ExecutorSpec,
    progress: bool,
) -> Counter[str]:
    """Streams sample records into their folder's manifest and writers, in index order, as
    they arrive: the writers assemble their dataset-level files while the workers make
    samples (a resumed folder first gets the records already in its manifest). A folder
    is finalized when its last record arrives. Returns the label noise counts."""
    executor = spec.make()
    size = layout.shard_size if layout and layout.shard_size else max(recipe.num, 1)
    noise: Counter[str] = Counter()
    bar = _Progress(
        total=recipe.num,
        initial=recipe.num - len(indices),
        unit="sample",
        disable=not progress or None,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
    )
    began = time.perf_counter()
    last_flush = time.monotonic()
    current: _Folder | None = None
    try:
        with bar:
            task = SampleTask(recipe, root, layout)
            for index, line in zip(indices, executor.map(task, indices), strict=True):
                folder = folders[index // size]
                if folder is not current:
                    current = folder.start()
                folder.add(line)
                summary.made += 1
                bar.update(1)
                if index == folder.indices.stop - 1:
                    noise.update(folder.finish(summary))
                elif time.monotonic() - last_flush > 1.0:
                    folder.manifest.flush()
                    last_flush = time.monotonic()
        executor.close()
        for folder in folders.values():  # killed after its last sample, before its end
            if not folder.finished:
                noise.update(folder.start().finish(summary))
    except BaseException as err:
        executor.close()
        status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
        for folder in folders.values():
            folder.fail(status, err)
        raise
    summary.seconds = time.perf_counter() - began
    return noise


class _Folder:
    """One output folder being written: the whole run's, or one shard's."""

    def __init__(
        self,
        recipe: Recipe,
        generator: Generator[Any],
        root: Path,
        info: dict[str, Any],
        indices: range,
        done: int,
        remote: Remote | None = None,
        rel: str = "",
    ) -> None:
        self.root, self.info, self.indices, self.done = root, info, indices, done
        self.remote, self.rel = remote, rel  # where a remote run uploads the folder
        self.noise = recipe.head.labels.noise
        self.writers: list[Writer] = recipe.writers(root, generator)
        if self.noise is not None:
            self.writers.append(clean_writer(recipe, root, generator))
        root.mkdir(parents=True, exist_ok=True)
        if generator.modality == "image":
            (root / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
        for writer in self.writers:
            writer.prepare()
        if "shard" in info:  # for merge: remote copies of a shard cannot hold links
            info["shard"]["links"] = folder_links(root)
        write_run_info(root, info)
        atomic_write_text(root / RECIPE_FILE, recipe.to_yaml())
        self.manifest = Manifest(root, indices.start)
        self.summary = RunSummary(root, len(indices))
        self.records: Records | None = None
        self.finished = False

    def start(self) -> _Folder:
        """Begins the writers, with the records of an earlier run first."""
        if self.records is None:
            self.records = Records(self.writers, self.summary)
            if self.done > self.indices.start:
                for rec in self.manifest.records():
                    self.records.add(rec)
            self.manifest.open()
        return self

    def add(self, line: bytes) -> None:
        assert self.records is not None
        self.manifest.append(line)
        self.records.add(orjson.loads(line))

    def finish(self, total: RunSummary) -> Counter[str]:
        """Ends the writers and marks the folder complete; adds its counts to ``total``."""
        assert self.records is not None
        self.manifest.close()
        self.records.end()
        finish_folder(self.root, self.info, self.summary, self.noise, self.records.noise)
        if self.remote is not None:
            self.remote.upload_folder(self.root, self.rel)
            if self.rel:  # a shard: its staging space is no longer needed
                shutil.rmtree(self.root)
        self.finished = True
        if self.summary is not total:
            total.absorb(run_counts(self.summary))
        return self.records.noise

    def fail(self, status: str, err: BaseException) -> None:
        self.manifest.close()
        if not self.finished:
            error = str(err) or type(err).__name__
            write_run_info(self.root, {**self.info, "status": status, "error": error})


def _already_complete(root: Path, summary: RunSummary) -> RunSummary:
    summary.absorb((read_run_info(root) or {}).get("counts", {}))
    summary.already_complete = True
    if (root / NOISE_REPORT).is_file():
        summary.noise = json.loads((root / NOISE_REPORT).read_text())
    return summary


def _prepare_output(
    recipe: Recipe, root: Path, fingerprint: dict[str, Any], *, resume: bool, overwrite: bool
) -> int | None:
    """Decides where to start; None when the run is already complete."""
    info = _existing_run(root, overwrite)
    if info is None:
        return 0
    if info.get("shard_size") is not None:
        raise OutputError(
            f"{root} holds a sharded run (--shard-size {info['shard_size']}); give the same "
            "--shard-size to resume it, or use a new --out folder"
        )
    _check_same_recipe(root, info, recipe, fingerprint)
    done = Manifest(root).recover()
    if not resume:
        raise OutputError(
            f"{root} already holds this recipe's output ({done} of {info.get('num')} samples, "
            f"{info.get('status')}); use --resume to continue it or --overwrite to start again"
        )
    if done > recipe.num:
        raise OutputError(
            f"{root} already has {done} samples, more than --num {recipe.num}; "
            "use a new --out folder for a smaller dataset"
        )
    if done == recipe.num and info.get("status") == "complete" and info.get("num") == recipe.num:
        return None
    return done


def _prepare_sharded(
    recipe: Recipe,
    root: Path,
    fingerprint: dict[str, Any],
    size: int,
    *,
    resume: bool,
    overwrite: bool,
) -> dict[str, Any] | None:
    """Checks a sharded run's folder; returns its run record (None for a new run)."""
    info = _existing_run(root, overwrite)
    if info is None:
        return None
    if info.get("shard_size") is None:
        raise OutputError(
            f"{root} holds an unsharded run; resume it without --shard-size, or use a new "
            "--out folder"
        )
    if info["shard_size"] != size:
        raise OutputError(
            f"{root} was made with --shard-size {info['shard_size']}, not {size}: a resume "
            f"must keep the shard size (use --shard-size {info['shard_size']}), or use a new "
            "--out folder"
        )
    _check_same_recipe(root, info, recipe, fingerprint)
    if not resume:
        raise OutputError(
            f"{root} already holds this recipe's sharded output ({info.get('status')}); use "
            "--resume to continue it or --overwrite to start again"
        )
    if info.get("num", 0) > recipe.num:
        raise OutputError(
            f"{root} holds {info.get('num')} samples, more than --num {recipe.num}; "
            "use a new --out folder for a smaller dataset"
        )
    return info


def _shard_progress(root: Path, indices: range) -> int | None:
    """The next index to make in a shard's folder; None when the shard is complete."""
    info = read_run_info(root) if root.exists() else None
    if info is None:
        if root.exists():
            shutil.rmtree(root)  # prepared but not one record: nothing to keep
        return indices.start
    done = Manifest(root, indices.start).recover()
    if info.get("status") == "complete" and info.get("shard", {}).get("stop") == indices.stop:
        return None
    return done


def _existing_run(root: Path, overwrite: bool) -> dict[str, Any] | None:
    info = read_run_info(root) if root.exists() else None
    if root.exists() and any(root.iterdir()) and info is None:
        raise OutputError(
            f"{root} is not empty and holds no synthgen run; choose a new or empty --out folder"
        )
    if info is not None and overwrite:
        shutil.rmtree(root)
        info = None
    root.mkdir(parents=True, exist_ok=True)
    return info


def _check_same_recipe(
    root: Path, info: dict[str, Any], recipe: Recipe, fingerprint: dict[str, Any]
) -> None:
    if info.get("recipe_hash") != recipe.hash:
        raise OutputError(
            f"{root} holds the output of a different recipe (hash {info.get('recipe_hash')}, "
            f"this one is {recipe.hash}); use a new --out folder, or --overwrite to replace it"
        )
    if info.get("fingerprint") != fingerprint:
        raise OutputError(
            f"{root} was made from different input files (assets were added, removed or "
            "changed since); use a new --out folder, or --overwrite to start again"
        )


def _run_info(recipe: Recipe, fingerprint: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "synthgen": __version__,
        "recipe_hash": recipe.hash,
        "name": recipe.head.name,
        "seed": recipe.seed,
        "num": recipe.num,
        "formats": list(recipe.writer_configs),
        "image_format": recipe.head.output.image.format,
        "categories": [c.name for c in recipe.categories()],
        "fingerprint": fingerprint,
        "status": status,
    }


__all__ = ["RECIPE_FILE", "RUN_FILE", "RunSummary", "generate_dataset"]
