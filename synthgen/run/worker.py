"""Makes one sample end to end: seed, generate, derive labels, write every file.

Sample ``i``'s plan is ``generator.plan_index(seed, i)``: by default from its own
``np.random.default_rng([seed, i])``, and from nothing else that varies, so its bytes are
the same in any process, in any order, on a resumed run.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from synthgen.config import Problem, RecipeError
from synthgen.document_labels import derive_document_labels
from synthgen.errors import PlacementError
from synthgen.files import atomic_write_bytes, encode_image
from synthgen.generators.base import SkipSample
from synthgen.label_noise import CleanCocoWriter, apply_label_noise, clean_writer, noise_rng
from synthgen.labels import derive_labels, precompute_polygons
from synthgen.quota.cells import quota_record
from synthgen.recipe import Recipe
from synthgen.run.shards import Layout
from synthgen.run.storage import Remote, local_files
from synthgen.sample import TextSample
from synthgen.text_labels import SpanAlignmentError, token_labels
from synthgen.writers.base import ImageRef, LabeledSample, Writer

IMAGES_DIR = "images"


def sample_stem(index: int) -> str:
    return f"{index:08d}"


class SampleWorker:
    """Owns a generator and the writers for the lifetime of a worker process."""

    def __init__(self, recipe: Recipe, root: Path, layout: Layout | None = None) -> None:
        self.recipe = recipe
        self.layout = layout or Layout()
        self.remote = None if self.layout.remote is None else Remote(self.layout.remote)
        self.base = root if self.remote is None else _staging_folder()
        self._prepared: set[Path] = set()  # a remote run's prepare-made files (the driver's)
        self.generator = recipe.generator()
        self.labels = recipe.head.labels
        self.image_config = recipe.head.output.image
        self.noise = self.labels.noise
        self.class_names = [c.name for c in self.generator.categories()]
        self._folders: dict[Path, tuple[list[Writer], CleanCocoWriter | None]] = {}
        self._use(self.layout.folder(self.base, 0))
        self.polygons = any(w.needs_polygons for w in self.writers)

    def _use(self, root: Path) -> None:
        """Writes the next samples under ``root`` (the run's folder or a shard's)."""
        if root is getattr(self, "root", None):  # the same folder as the last sample's
            return
        if root not in self._folders:
            gen = self.generator
            clean = None if self.noise is None else clean_writer(self.recipe, root, gen)
            self._folders[root] = (self.recipe.writers(root, gen), clean)
            if self.remote is not None:
                self._prepare(root, [*self._folders[root][0], *([clean] if clean else [])])
        self.root = root
        self.writers, self.clean = self._folders[root]

    def __call__(self, index: int) -> bytes:
        """Makes sample ``index`` and returns its manifest line."""
        self._use(self.layout.folder(self.base, index))
        try:
            plan = self.generator.plan_index(self.recipe.seed, self.recipe.candidate(index))
        except SkipSample as skip:
            return _dumps({"index": index, "status": "skipped", "reason": str(skip)})
        except PlacementError as err:
            raise PlacementError(f"sample {index}: {err}") from None
        sample = self.generator.render(plan)
        if isinstance(sample, TextSample):
            return _dumps(_text_record(index, sample))
        document = None
        if sample.document is not None:
            # Every word is labeled, however small ("."): the recipe's thresholds are for
            # objects; image formats get the page's layout regions.
            objects, document = derive_document_labels(sample, derive_labels(sample))
        else:
            objects = derive_labels(sample, self.labels.min_visibility, self.labels.min_area)
        if self.polygons or self.clean is not None:
            precompute_polygons(objects)
        clean, noise = objects, None
        if self.noise is not None:
            if document is not None:
                raise RecipeError(
                    [Problem(("labels", "noise"), "not supported for document pages")]
                )
            result = apply_label_noise(
                objects, self.noise, self.class_names, noise_rng(self.recipe.seed, index)
            )
            objects, noise = result.objects, {"changes": result.changes, "counts": result.counts}

        fmt = self.image_config.format
        stem = sample_stem(index)
        ref = ImageRef(index, stem, f"{IMAGES_DIR}/{stem}.{fmt}", sample.width, sample.height)
        data = encode_image(sample.image, fmt, self.image_config.quality)
        atomic_write_bytes(self.root / ref.file, data)
        labeled = LabeledSample(ref, objects, sample.camera, sample.depth, document)
        fragments = {w.name: w.write(labeled) for w in self.writers}
        if self.clean is not None:
            fragments[self.clean.name] = self.clean.write(replace(labeled, objects=clean))
        record: dict[str, Any] = {
            "index": index,
            "status": "ok",
            "image": {"file": ref.file, "width": ref.width, "height": ref.height},
            "objects": dict(Counter(o.category for o in objects)),
            "labels": {k: v for k, v in fragments.items() if v is not None},
            "plan": sample.plan,
        }
        if noise is not None:
            record["noise"] = noise
        if self.recipe.quota is not None:  # quota run: the candidate and its cells
            record.update(
                quota_record(self.recipe.quota, self.recipe.candidate(index), plan, clean)
            )
        if self.remote is not None:
            self._upload()
        return _dumps(record)

    def _prepare(self, root: Path, writers: list[Writer]) -> None:
        """A remote run's worker writes into its own staging folder: the folders that the
        driver prepares for a local run, made here too."""
        (root / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
        for writer in writers:
            writer.prepare()
        self._prepared |= {path for path, _ in local_files(root)}

    def _upload(self) -> None:
        """Uploads the files of the sample just made (before its record goes back, so a
        record in the manifest means its files are in place), then deletes them."""
        assert self.remote is not None
        rel = self.root.relative_to(self.base).as_posix()
        made = [(p, sub) for p, sub in local_files(self.root) if p not in self._prepared]
        for path, sub in made:
            self.remote.upload(path, sub if rel == "." else f"{rel}/{sub}")
        for path, _ in made:
            path.unlink()


def _staging_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="synthgen-worker-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _text_record(index: int, sample: TextSample) -> dict[str, Any]:
    """A text sample's record: text writers assemble their files from its ``text`` part
    (a sentence is too small for a file of its own)."""
    try:
        tokens, tags, spans = token_labels(sample.text, sample.spans)
    except SpanAlignmentError as err:
        raise SpanAlignmentError(f"sample {index} ({_template(sample)}): {err}") from None
    objects: dict[str, int] = {}  # a Counter's items, without a Counter's cost
    for span in spans:
        objects[span.label] = objects.get(span.label, 0) + 1
    return {
        "index": index,
        "status": "ok",
        "text": {
            "text": sample.text,
            "tokens": tokens,
            "tags": tags,
            "spans": [span[:3] for span in spans],  # (start, end, label)
            "classes": sample.classes,
            "attributes": sample.attributes,
        },
        "objects": objects,
        "attributes": {**sample.classes, **sample.attributes},
        "labels": {},
        "plan": sample.plan,
    }


def _template(sample: TextSample) -> str:
    return f"template {sample.plan.get('template', '?')}"


def _dumps(record: dict[str, Any]) -> bytes:
    # orjson: several times faster than json on these records, and writes numpy arrays
    # (polygons) without a tolist() first.
    return orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY)
