"""``synthgen convert``: a dataset in one format to others, through Samples and the writers.

Every image goes through the same path as generated data: reader -> Sample ->
``derive_labels`` -> writers, with no augmentation, so every instance is untouched and keeps
its source label: converting to the same format gives the same annotations back, and
other formats get the source's boxes as given (VOC rounds them outward to whole pixels).

Output layout: ``images/`` holds the source image files byte for byte, under their own
base names (two images with one base name are refused); the writers' files as after
``synthgen generate``; ``sources.jsonl`` one line per image: its index, file and where it
came from (format, dataset, source image id, path). Image ids follow the reading order
(from 1). YOLO class numbers must run 0..N-1: when the source's category ids do not run
1..N (COCO's 80 classes have ids up to 90), YOLO gets them renumbered in the source's order;
COCO and VOC keep them. Per-image label files appear as images are read; the dataset-level
files (instances.json, data.yaml, sources.jsonl) appear last, atomically, so an
interrupted conversion never looks complete.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from synthgen.errors import OutputError
from synthgen.files import PARTIAL_SUFFIX
from synthgen.labels import derive_labels, precompute_polygons
from synthgen.readers.base import DatasetError, Reader
from synthgen.registry import WRITERS, UnknownPluginError
from synthgen.sample import Category
from synthgen.writers.base import Fragment, ImageRef, LabeledSample, Writer

IMAGES_DIR = "images"
SOURCES_FILE = "sources.jsonl"
_FRAGMENTS = ".fragments.jsonl" + PARTIAL_SUFFIX


@dataclass
class ConvertSummary:
    images: int
    objects: int
    seconds: float
    root: Path
    formats: list[str]

    def __str__(self) -> str:
        rate = self.images / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.root}: {self.images} images, {self.objects} objects as "
            f"{', '.join(self.formats)} in {self.seconds:.1f} s ({rate:.0f} images/s)"
        )


def convert_dataset(
    reader: Reader, out: Path, formats: Sequence[str], progress: bool = False
) -> ConvertSummary:
    """Writes every image of ``reader`` into ``out`` (empty or absent) in ``formats``."""
    start = time.perf_counter()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"{out}: not an empty folder; choose a new --out or empty it")
    writers = _writers(out, formats, reader.categories)
    names = _image_names(reader)
    reader.check_images()
    (out / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    for writer in writers:
        writer.prepare()
    polygons = any(w.needs_polygons for w in writers)
    n_objects = 0
    fragments = out / _FRAGMENTS
    with open(fragments, "wb") as log, _Progress(len(reader), progress) as bar:
        for image, name in zip(reader, names, strict=True):
            sample = image.load()
            objects = derive_labels(sample)  # untouched: every instance keeps its source label
            if polygons:
                precompute_polygons(objects)
            ref = ImageRef(
                image.index, Path(name).stem, f"{IMAGES_DIR}/{name}", sample.width, sample.height
            )
            _copy(image.path, out / ref.file)
            labeled = LabeledSample(ref, objects)
            record = {
                "index": image.index,
                "file": ref.file,
                "width": ref.width,
                "height": ref.height,
                "source": image.provenance(),
                "labels": {w.name: w.write(labeled) for w in writers},
            }
            log.write(orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
            n_objects += len(objects)
            bar.update(1)
    _finish(out, writers, fragments)
    return ConvertSummary(len(names), n_objects, time.perf_counter() - start, out, list(formats))


def _writers(out: Path, formats: Sequence[str], categories: list[Category]) -> list[Writer]:
    if not formats:
        raise OutputError("no output format; name one or more with --format, e.g. yolo,coco")
    writers: list[Writer] = []
    owned: dict[str, str] = {}
    for name in formats:
        try:
            cls = WRITERS.get(name)
        except UnknownPluginError as err:
            raise OutputError(str(err)) from None
        if cls.modality != "image":
            raise OutputError(f"--format {name}: writes {cls.modality} data, not image labels")
        for rel in cls.owns:
            if rel in owned:
                raise OutputError(
                    f"--format {name} and {owned[rel]} both write {rel}; convert to them "
                    "into separate folders"
                )
            owned[rel] = name
        cats = _contiguous(categories) if name.startswith("yolo") else categories
        writer = cls(out, cls.config_type(), cats)
        writer.check()
        writers.append(writer)
    return writers


def _contiguous(categories: list[Category]) -> list[Category]:
    """Category ids 1..N in the given order (YOLO's classes are 0..N-1)."""
    if [c.id for c in categories] == list(range(1, len(categories) + 1)):
        return categories
    ordered = sorted(categories, key=lambda c: c.id)
    return [
        Category(k + 1, c.name, c.supercategory, c.keypoints, c.skeleton, c.flip_pairs)
        for k, c in enumerate(ordered)
    ]


def _image_names(reader: Reader) -> list[str]:
    """Each image's base name in images/; two sources with one base name are refused."""
    names: list[str] = []
    first: dict[str, str] = {}
    for image in reader:
        name = Path(image.file_name).name
        if name in first:
            raise DatasetError(
                f"{image.file_name} and {first[name]} share the base name {name}: images/ "
                "would hold one of them; rename one of the files"
            )
        first[name] = image.file_name
        names.append(name)
    return names


def _copy(src: Path, dst: Path) -> None:
    tmp = dst.with_name(dst.name + PARTIAL_SUFFIX)
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _finish(out: Path, writers: list[Writer], fragments: Path) -> None:
    """Feeds the per-image fragments to the writers' dataset-level files, in order."""
    for writer in writers:
        writer.begin()
    sources = out / (SOURCES_FILE + PARTIAL_SUFFIX)
    with open(fragments, "rb") as log, open(sources, "wb") as prov:
        for line in log:
            rec = orjson.loads(line)
            ref = ImageRef(
                rec["index"], Path(rec["file"]).stem, rec["file"], rec["width"], rec["height"]
            )
            for writer in writers:
                writer.add(Fragment(ref, rec["labels"][writer.name], rec["index"]))
            entry = {"index": rec["index"], "file": rec["file"], "source": rec["source"]}
            prov.write(orjson.dumps(entry) + b"\n")
    for writer in writers:
        writer.end()
    os.replace(sources, out / SOURCES_FILE)
    fragments.unlink()


class _Progress:
    """A tqdm bar when asked for, else nothing (tqdm imported only then)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="img", dynamic_ncols=True)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)
