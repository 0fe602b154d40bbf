"""The writer plugin interface.

Writers only encode: they receive labels already derived from pixels (ObjectLabel) and
never compute a box or mask themselves. Per-sample files are written in the workers by
``write``, which may return a small JSON fragment. Files that span the dataset (a COCO
JSON, a class list) are assembled in the main process while the workers run: ``begin``,
then ``add`` for every finished sample in index order as its manifest record arrives (on
a resumed run, first the records already in the manifest), then ``end`` after the last.
Memory stays flat because fragments stream through; dataset-level files keep temp names
until ``end``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from synthgen.config import StrictModel
from synthgen.document_labels import DocumentLabels
from synthgen.errors import SynthgenError
from synthgen.labels import ObjectLabel
from synthgen.sample import Camera, Category

if TYPE_CHECKING:
    from synthgen.generators.base import Generator


class WriterError(SynthgenError):
    """A sample lacks what a format needs (depth, a camera, a 3D pose): raised in workers,
    so it carries one plain message (it must survive pickling)."""


class WriterConfig(StrictModel):
    """Base of writer options (none by default)."""


@dataclass(frozen=True)
class ImageRef:
    """Where a sample's image lives: ``file`` is relative to the output folder."""

    index: int
    stem: str
    file: str
    width: int
    height: int

    @property
    def image_id(self) -> int:
        """Global, stable image id (COCO style, from 1): sample index + 1."""
        return self.index + 1


@dataclass(frozen=True)
class LabeledSample:
    """What a writer gets for one sample: where its image is, its labeled objects, and
    the camera and depth when the generator has them. For a document page, ``objects`` are
    its layout regions and ``document`` its words, lines, entities and fields."""

    image: ImageRef
    objects: list[ObjectLabel]
    camera: Camera | None = None
    depth: np.ndarray | None = None
    document: DocumentLabels | None = None


@dataclass(frozen=True)
class Fragment:
    """One finished sample as stored in the manifest, handed to ``add``: its image (None
    for text samples), this writer's fragment from ``write``, and for text samples the
    text, tokens, tags, spans, classes and attributes (see ``text_labels.TextLabels``)."""

    image: ImageRef | None
    data: Any
    index: int = 0
    text: dict[str, Any] | None = None

    @property
    def ref(self) -> ImageRef:
        """The sample's image, for image formats (the recipe check keeps text away)."""
        if self.image is None:
            raise WriterError(f"sample {self.index} has no image")
        return self.image


class Writer:
    """Encodes samples in one format under the output folder."""

    name: ClassVar[str]
    modality: ClassVar[str] = "image"  # the generators' modality this format encodes
    config_type: ClassVar[type[WriterConfig]] = WriterConfig
    # Paths (relative to the output folder) this writer owns; two writers may not share one.
    owns: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        root: Path,
        config: WriterConfig,
        categories: list[Category],
        generator: Generator[Any] | None = None,
    ) -> None:
        self.root = root
        self.config = config
        self.categories = categories
        self.category_ids = {c.name: c.id for c in categories}
        # The run's generator, for formats that ship its 3D models (BOP); None in tests
        # and tools that only re-encode labels.
        self.generator = generator

    @property
    def needs_polygons(self) -> bool:
        """Whether ``write`` reads ``ObjectLabel.polygons`` (computed for all objects at once)."""
        return False

    def check(self) -> None:
        """Refuses a recipe this format cannot encode, with a RecipeError naming the key to
        change. ``Recipe.writers`` checks every writer before any of them writes a file.
        The default checks nothing."""

    def prepare(self) -> None:
        """Creates this writer's folders (main process, before any sample)."""
        for rel in self.owns:
            if not Path(rel).suffix:
                (self.root / rel).mkdir(parents=True, exist_ok=True)

    def write(self, sample: LabeledSample) -> Any:
        """Writes per-sample files; returns a JSON-serializable fragment for ``add``."""
        return None

    def begin(self) -> None:
        """Starts dataset-level files (main process, before the first ``add``)."""

    def add(self, fragment: Fragment) -> None:
        """Takes one finished sample's fragment; called in sample order."""

    def end(self) -> None:
        """Completes dataset-level files; each must appear atomically (temp name, rename)."""


def box_xywh(obj: ObjectLabel) -> tuple[float, float, float, float]:
    """The box to write: an untouched instance's box as its source dataset gave it (floats
    where the source has them), else the tight box of the visible mask."""
    if obj.source is not None:
        return obj.source.bbox_xywh
    return obj.bbox_xywh
