"""Runs a recipe into an output folder: checks, executes, streams records, finalizes."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from tqdm import tqdm

from synthgen import __version__
from synthgen.errors import OutputError
from synthgen.files import PARTIAL_SUFFIX, atomic_write_text
from synthgen.label_noise import REPORT_FILE as NOISE_REPORT
from synthgen.label_noise import check_label_noise, clean_writer, noise_report
from synthgen.recipe import Recipe
from synthgen.run.executor import Executor, SampleTask, make_executor
from synthgen.run.manifest import RUN_FILE, Manifest, read_run_info, write_run_info
from synthgen.run.worker import IMAGES_DIR
from synthgen.writers.base import Fragment, ImageRef, Writer

RECIPE_FILE = "recipe.yaml"


@dataclass
class RunSummary:
    root: Path
    num: int
    made: int = 0
    ok: int = 0
    skipped: int = 0
    objects: Counter[str] = field(default_factory=Counter)
    attributes: dict[str, Counter[str]] = field(default_factory=dict)
    seconds: float = 0.0
    already_complete: bool = False
    noise: dict[str, Any] | None = None  # label_noise.json's report, for a noisy run

    def __str__(self) -> str:
        if self.already_complete:
            return f"{self.root}: already complete ({self.ok} samples); nothing to do"
        rate = self.made / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.root}: {self.ok} samples ({self.skipped} skipped), "
            f"{sum(self.objects.values())} objects; made {self.made} in {self.seconds:.1f} s "
            f"({rate:.1f} samples/s)"
        )


def generate_dataset(
    recipe: Recipe,
    root: Path,
    *,
    workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    executor_kind: str = "local",
    address: str | None = None,
) -> RunSummary:
    """Makes samples ``0..num-1`` of ``recipe`` under ``root`` and writes every format.

    With ``resume`` a killed or interrupted run continues where it stopped; the result is
    byte-identical to an uninterrupted run, whatever the worker count and executor
    (``executor_kind`` "local" or "ray"; ``address``: the Ray cluster, see RayExecutor).
    """
    generator = recipe.generator()
    generator.check()
    fingerprint = generator.fingerprint()
    start = _prepare_output(recipe, root, fingerprint, resume=resume, overwrite=overwrite)
    summary = RunSummary(root, recipe.num)
    if start is None:
        counts = (read_run_info(root) or {}).get("counts", {})
        summary.ok, summary.skipped = counts.get("samples", 0), counts.get("skipped", 0)
        summary.objects = Counter(counts.get("objects_per_category", {}))
        summary.attributes = {k: Counter(v) for k, v in counts.get("attributes", {}).items()}
        summary.already_complete = True
        if (root / NOISE_REPORT).is_file():
            summary.noise = json.loads((root / NOISE_REPORT).read_text())
        return summary

    writers = recipe.writers(root)
    noise = recipe.head.labels.noise
    if noise is not None:
        check_label_noise(noise, [c.name for c in generator.categories()])
        writers.append(clean_writer(recipe, root, generator))
    if generator.modality == "image":
        (root / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    for writer in writers:
        writer.prepare()
    info = _run_info(recipe, fingerprint, "running")
    write_run_info(root, info)
    atomic_write_text(root / RECIPE_FILE, recipe.to_yaml())

    manifest = Manifest(root)
    executor = make_executor(workers, executor_kind, address)
    began = time.perf_counter()
    try:
        noise_counts = _execute(recipe, root, manifest, executor, writers, start, progress, summary)
    except BaseException as err:
        executor.close()
        manifest.close()
        status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
        write_run_info(root, {**info, "status": status, "error": str(err) or type(err).__name__})
        raise
    summary.seconds = time.perf_counter() - began

    if noise is not None:
        summary.noise = noise_report(noise, noise_counts)
        atomic_write_text(root / NOISE_REPORT, json.dumps(summary.noise, indent=2) + "\n")
    _remove_partials(root)
    write_run_info(root, {**info, "status": "complete", "counts": _counts(summary)})
    return summary


def _execute(
    recipe: Recipe,
    root: Path,
    manifest: Manifest,
    executor: Executor,
    writers: list[Writer],
    start: int,
    progress: bool,
    summary: RunSummary,
) -> Counter[str]:
    """Streams sample records into the manifest and the writers, in index order, as they
    arrive: the writers assemble their dataset-level files while the workers make samples
    (on a resumed run they first get the records already in the manifest). Returns the
    label noise counts summed over the samples (empty without noise)."""
    records = _Records(writers, summary)
    if start:
        for rec in manifest.records():
            records.add(rec)
    manifest.open()
    bar = tqdm(
        total=recipe.num,
        initial=start,
        unit="sample",
        disable=not progress or None,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
    )
    last_flush = time.monotonic()
    with bar:
        for line in executor.map(SampleTask(recipe, root), range(start, recipe.num)):
            manifest.append(line)
            records.add(orjson.loads(line))
            summary.made += 1
            bar.update(1)
            if time.monotonic() - last_flush > 1.0:
                manifest.flush()
                last_flush = time.monotonic()
    manifest.close()
    executor.close()
    records.end()
    return records.noise


def _prepare_output(
    recipe: Recipe, root: Path, fingerprint: dict[str, Any], *, resume: bool, overwrite: bool
) -> int | None:
    """Decides where to start; None when the run is already complete."""
    info = read_run_info(root) if root.exists() else None
    if root.exists() and any(root.iterdir()) and info is None:
        raise OutputError(
            f"{root} is not empty and holds no synthgen run; choose a new or empty --out folder"
        )
    if info is not None and overwrite:
        shutil.rmtree(root)
        info = None
    root.mkdir(parents=True, exist_ok=True)
    if info is None:
        return 0
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


class _Records:
    """Feeds every finished record to the writers, in index order, and counts it."""

    def __init__(self, writers: list[Writer], summary: RunSummary) -> None:
        self.writers = writers
        self.summary = summary
        self.attributes: Counter[tuple[str, str]] = Counter()  # (name, value)
        self.noise: Counter[str] = Counter()  # label noise counts summed over the samples
        for writer in writers:
            writer.begin()

    def add(self, rec: dict[str, Any]) -> None:
        if rec["status"] != "ok":
            self.summary.skipped += 1
            return
        self.summary.ok += 1
        # Plain loops: Counter.update's Mapping check costs more than these few items.
        for category, count in rec["objects"].items():
            self.summary.objects[category] += count
        for pair in rec.get("attributes", {}).items():
            self.attributes[pair] += 1
        for kind, count in rec.get("noise", {}).get("counts", {}).items():
            self.noise[kind] += count
        img = rec.get("image")
        ref = img and ImageRef(
            rec["index"], Path(img["file"]).stem, img["file"], img["width"], img["height"]
        )
        text = rec.get("text")
        for writer in self.writers:
            writer.add(Fragment(ref, rec["labels"].get(writer.name), rec["index"], text))

    def end(self) -> None:
        for writer in self.writers:
            writer.end()
        for (name, value), count in self.attributes.items():
            self.summary.attributes.setdefault(name, Counter())[value] = count


def _counts(summary: RunSummary) -> dict[str, Any]:
    return {
        "samples": summary.ok,
        "skipped": summary.skipped,
        "objects": sum(summary.objects.values()),
        "objects_per_category": dict(sorted(summary.objects.items())),
        # Achieved distributions of the sampled classes and attributes, exactly.
        "attributes": {
            name: dict(sorted(values.items()))
            for name, values in sorted(summary.attributes.items())
        },
    }


def _remove_partials(root: Path) -> None:
    """Temp files of samples that were being written when an earlier run was killed."""
    for path in root.rglob(f"*{PARTIAL_SUFFIX}"):
        path.unlink()


__all__ = ["RUN_FILE", "RunSummary", "generate_dataset"]
