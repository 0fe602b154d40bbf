"""``synthgen merge``: complete shards of one recipe into the dataset an unsharded run makes.

The shards must come from the same recipe (hash), be complete, and cover ``0..num-1``
with disjoint index ranges. Per-sample files are copied; the dataset-level files (COCO
json, YOLO data.yaml, text corpora, ...) are rebuilt by replaying the shards' manifest
records in index order through the writers, as the engine does (``run.records``). The
result does not depend on the order the shards are given in; ``run.json`` is marked
complete last.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from synthgen.config import LabelsConfig
from synthgen.errors import OutputError
from synthgen.files import atomic_write_text
from synthgen.label_noise import CLEAN_DIR, CleanCocoWriter
from synthgen.label_noise import REPORT_FILE as NOISE_REPORT
from synthgen.registry import WRITERS
from synthgen.run.manifest import MANIFEST_FILE, RUN_FILE, Manifest, read_run_info, write_run_info
from synthgen.run.records import Records, RunSummary, finish_folder
from synthgen.run.shards import SHARD_PREFIX
from synthgen.run.storage import Remote, is_url
from synthgen.sample import Category
from synthgen.writers.base import Writer, WriterConfig
from synthgen.writers.coco import CocoConfig

RECIPE_FILE = "recipe.yaml"
# A folder's own records: rebuilt for the merged folder, never copied.
RECORD_FILES = frozenset({RUN_FILE, RECIPE_FILE, MANIFEST_FILE, NOISE_REPORT})


@dataclass(frozen=True)
class Shard:
    root: Path
    info: dict[str, Any]

    @property
    def start(self) -> int:
        return int(self.info["shard"]["start"])

    @property
    def stop(self) -> int:
        return int(self.info["shard"]["stop"])


def merge_shards(sources: Sequence[Path | str], out: Path | str) -> RunSummary:
    """Merges shard folders (or sharded run folders, meaning all their shards) into ``out``.

    Example: ``merge_shards([Path("big/shard-00001"), Path("big/shard-00000")], Path("all"))``

    Sources and ``out`` may be fsspec URLs: remote shards are downloaded to a local staging
    folder first, a remote ``out`` is merged locally and uploaded, its ``run.json`` last.
    """
    if not any(is_url(s) for s in (*sources, out)):
        return _merge([Path(s) for s in sources], Path(out))
    with tempfile.TemporaryDirectory(prefix="synthgen-merge-") as tmp:
        local = []
        for k, src in enumerate(sources):
            if is_url(src):
                local.append(Path(tmp) / f"source-{k}")
                Remote(str(src)).download_folder("", local[-1])
            else:
                local.append(Path(src))
        if not is_url(out):
            return _merge(local, Path(out))
        remote = Remote(str(out))
        if not remote.is_empty():
            raise OutputError(f"{out} is not empty; merge into a new or empty --out location")
        summary = _merge(local, Path(tmp) / "out")
        remote.upload_folder(Path(tmp) / "out")
        summary.root = str(out)
        return summary


def _merge(sources: list[Path], out: Path) -> RunSummary:
    shards = check_shards(find_shards(sources))
    if out.exists() and any(out.iterdir()):
        unfinished = (read_run_info(out) or {}).get("status") == "merging"
        why = "holds an unfinished merge (delete it)" if unfinished else "is not empty"
        raise OutputError(f"{out} {why}; merge into a new or empty --out folder")
    out.mkdir(parents=True, exist_ok=True)
    info = merged_info(shards)
    write_run_info(out, {**info, "status": "merging"})
    copy_shards(shards, out)
    return rebuild(shards, out, info)


def merged_info(shards: list[Shard]) -> dict[str, Any]:
    """The merged run's record: the shards' own, for the whole index range."""
    skip = ("shard", "counts", "error")
    info = {k: v for k, v in shards[0].info.items() if k not in skip}
    return {**info, "num": max(s.info["num"] for s in shards)}


def copy_shards(shards: list[Shard], out: Path) -> None:
    """Every shard's files, and the links to folders a remote shard could not hold."""
    for shard in shards:
        copy_files(shard.root, out)
    for rel, target in shards[0].info["shard"].get("links", {}).items():
        if not (out / rel).is_symlink():  # a shard downloaded from an object store
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, out / rel)


def rebuild(shards: list[Shard], out: Path, info: dict[str, Any]) -> RunSummary:
    """The dataset-level files, from the shards' records replayed in index order through
    the writers; ``run.json`` complete last."""
    first, num = shards[0], info["num"]
    recipe = yaml.safe_load((first.root / RECIPE_FILE).read_text(encoding="utf-8"))
    recipe["num"] = num
    atomic_write_text(out / RECIPE_FILE, yaml.safe_dump(recipe, sort_keys=False))
    labels = LabelsConfig.model_validate(recipe.get("labels") or {})
    categories = [_category(c) for c in first.info["shard"]["categories"]]
    writers = _writers(out, recipe["output"]["formats"], categories, labels.noise is not None)
    summary = RunSummary(out, num)
    records = Records(writers, summary)
    with open(out / MANIFEST_FILE, "wb") as manifest:
        for shard in shards:
            with open(shard.root / MANIFEST_FILE, "rb") as lines:
                shutil.copyfileobj(lines, manifest)
            for rec in Manifest(shard.root).records():
                records.add(rec)
    records.end()
    finish_folder(out, info, summary, labels.noise, records.noise)
    return summary


def find_shards(sources: list[Path]) -> list[Shard]:
    """Reads every shard's ``run.json``; a sharded run's folder stands for its shards."""
    shards = []
    for src in sources:
        info = read_run_info(src)
        if info is None:
            raise OutputError(f"{src}: no {RUN_FILE}; not a synthgen shard folder")
        if info.get("shard_size") is not None and "shard" not in info:
            subs = sorted(p for p in src.iterdir() if p.name.startswith(SHARD_PREFIX))
            shards += find_shards(subs)
        elif "shard" not in info:
            raise OutputError(
                f"{src} is an unsharded run, not a shard; merge takes the shard-* folders of a "
                "run made with --shard-size"
            )
        else:
            shards.append(Shard(src, info))
    if not shards:
        raise OutputError("no shards to merge; give shard-* folders or a sharded run's folder")
    return shards


def check_shards(shards: list[Shard]) -> list[Shard]:
    """Refuses incomplete shards, mixed recipes, overlaps and gaps; sorts by index."""
    for shard in shards:
        if shard.info.get("status") != "complete":
            raise OutputError(
                f"{shard.root} is incomplete ({shard.info.get('status')}); finish its run with "
                "synthgen generate ... --shard-size ... --resume, then merge"
            )
    hashes = {s.info.get("recipe_hash") for s in shards}
    if len(hashes) > 1:
        names = ", ".join(f"{s.root} ({s.info.get('recipe_hash')})" for s in shards)
        raise OutputError(f"the shards come from different recipes: {names}")
    if len({json.dumps(s.info.get("fingerprint"), sort_keys=True) for s in shards}) > 1:
        raise OutputError(
            "the shards were made from different input files (assets changed between their "
            "runs); make them again from the same assets"
        )
    shards = sorted(shards, key=lambda s: (s.start, s.stop))
    num = max(s.info["num"] for s in shards)
    problems, covered = [], 0
    for shard in shards:
        if shard.start < covered:
            problems.append(f"{shard.root} [{shard.start}, {shard.stop}) overlaps [.., {covered})")
        elif shard.start > covered:
            problems.append(f"samples [{covered}, {shard.start}) are in no shard")
        covered = max(covered, shard.stop)
    if covered < num:
        problems.append(f"samples [{covered}, {num}) are in no shard")
    if problems:
        raise OutputError("cannot merge: " + "; ".join(problems))
    return shards


def copy_files(src: Path, dest: Path) -> None:
    """Copies a shard's per-sample files (and its empty folders and relative links);
    dataset-level files come along too but are rebuilt by the replay."""
    for path, rel in _walk(src):
        target = dest / rel
        if path.is_symlink():
            target.unlink(missing_ok=True)
            os.symlink(os.readlink(path), target)
        elif path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            shutil.copyfile(path, target)


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in sorted(dirs):
            yield base / name, os.path.relpath(base / name, root)
        for name in sorted(files):
            rel = os.path.relpath(base / name, root)
            if rel not in RECORD_FILES:
                yield base / name, rel


def _writers(
    root: Path, formats: dict[str, Any], categories: list[Category], noisy: bool
) -> list[Writer]:
    """The run's writers for dataset-level files only: no generator, no ``prepare``."""
    configs: dict[str, WriterConfig] = {
        name: WRITERS.get(name).config_type.model_validate(options or {})
        for name, options in formats.items()
    }
    writers = [WRITERS.get(name)(root, cfg, categories) for name, cfg in configs.items()]
    if noisy:
        coco = configs.get("coco")
        cfg = coco if isinstance(coco, CocoConfig) else CocoConfig()
        writers.append(CleanCocoWriter(root / CLEAN_DIR, cfg, categories))
    return writers


def _category(data: dict[str, Any]) -> Category:
    return Category(
        id=data["id"],
        name=data["name"],
        supercategory=data["supercategory"],
        keypoints=tuple(data["keypoints"]),
        skeleton=tuple(tuple(p) for p in data["skeleton"]),
        flip_pairs=tuple(tuple(p) for p in data["flip_pairs"]),
    )
