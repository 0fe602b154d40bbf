"""The ``augment`` generator: copies of an existing dataset's images under profiles.

It plugs an existing dataset into the run engine like any generator, so ``synthgen
augment`` gets the engine's atomic files, manifest, resume and worker pool unchanged.
Sample ``index`` is copy ``k = index % per_image`` of source image ``index // per_image``
(in the reader's order); its plan is drawn from ``np.random.default_rng([seed,
source_index, k])``, so a copy depends on its source image, the profiles and the seed
only (not on the run's length or worker count).

The plan (the manifest's per-sample ``plan``) is the provenance record: the source image
(format, dataset, image id, file), the copy number, the seed, the profile names and every
op that fired with its concrete parameters. ``apply_plan`` rebuilds the copy from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from synthgen.augment.profiles import Profile, apply_plan, plan_copy
from synthgen.errors import AssetError
from synthgen.generators.base import Generator, GeneratorConfig
from synthgen.readers import Reader, SourceImage, open_dataset
from synthgen.sample import Category, Sample


class AugmentConfig(GeneratorConfig):
    """An existing dataset and the profiles each copy of its images goes through."""

    kind: Literal["augment"] = "augment"
    source: Path = Field(description="COCO JSON, YOLO data.yaml or VOC root (or their folder)")
    source_format: Literal["coco", "yolo", "voc"] | None = Field(
        None, description="the source's format (default: found from the files)"
    )
    images: Path | None = Field(None, description="COCO: the folder of the images' file_name")
    split: str | None = Field(None, description="YOLO/VOC: the split to read (default: all)")
    profiles: list[Profile] = Field(
        min_length=1, description="ops applied to every copy, in order (each with its p)"
    )
    per_image: int = Field(1, ge=1, description="augmented copies of each source image")


class AugmentGenerator(Generator[AugmentConfig]):
    """Copies of a dataset's images through profiles, labels derived from moved masks."""

    config_type = AugmentConfig
    chunk = 2

    def __init__(self, config: AugmentConfig, base_dir: Path) -> None:
        super().__init__(config, base_dir)
        self._reader: Reader | None = None
        self._images: list[SourceImage] | None = None

    def _path(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            cfg = self.config
            self._reader = open_dataset(
                self._path(cfg.source),
                cfg.source_format,
                images=None if cfg.images is None else self._path(cfg.images),
                split=cfg.split,
            )
        return self._reader

    @property
    def images(self) -> list[SourceImage]:
        if self._images is None:
            self._images = list(self.reader)
        return self._images

    def categories(self) -> list[Category]:
        return self.reader.categories

    def check(self) -> None:
        if not self.images:
            raise AssetError(f"{self.config.source}: the dataset holds no image")
        self.reader.check_images()

    def fingerprint(self) -> dict[str, Any]:
        location = self.reader.location
        stat = location.stat()
        return {
            "source": str(location),
            "images": len(self.images),
            "size": stat.st_size if location.is_file() else None,
        }

    def num_samples(self) -> int:
        """Every copy of every source image."""
        return len(self.images) * self.config.per_image

    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        raise TypeError("an augment plan depends on the sample's index: use plan_sample")

    def plan_sample(self, rng: np.random.Generator, seed: int, index: int) -> dict[str, Any]:
        source_index, k = divmod(index, self.config.per_image)
        if source_index >= len(self.images):
            raise AssetError(
                f"sample {index}: the source has {len(self.images)} images, "
                f"{len(self.images) * self.config.per_image} copies in all; ask for fewer"
            )
        own = np.random.default_rng([seed, source_index, k])
        return {
            "source": self.images[source_index].provenance(),
            "source_index": source_index,
            "copy": k,
            "seed": seed,
            "profile": [p.op for p in self.config.profiles],
            "ops": plan_copy(list(self.config.profiles), own),
        }

    def render(self, plan: dict[str, Any]) -> Sample:
        sample = self.images[plan["source_index"]].load()
        out = apply_plan(sample, plan["ops"], self.categories())
        out.plan = plan
        return out
