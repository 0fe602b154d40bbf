"""The ``augment`` generator: copies of an existing dataset's images under profiles.

It plugs an existing dataset into the run engine like any generator, so ``synthgen
augment`` gets the engine's atomic files, manifest, resume and worker pool unchanged.
Sample ``index`` is copy ``k = index % per_image`` of source image ``index // per_image``
(in the reader's order); its plan is drawn from ``np.random.default_rng([seed,
source_index, k])``, so a copy depends on its source image, the profiles and the seed
only (not on the run's length or worker count). Indices past the last copy (a quota
run's candidates) go round the dataset again with the next copy numbers (``copy_of``).

The plan (the manifest's per-sample ``plan``) is the provenance record: the source image
(format, dataset, image id, file), the copy number, the seed, the profile names and every
op that fired with its concrete parameters. ``apply_plan`` rebuilds the copy from it.

With ``copy_paste`` (:mod:`synthgen.augment.copy_paste`, :mod:`synthgen.augment.donors`)
each copy first gets the instances the balance plan deals it, placed from the rng
``[seed, crc32("paste"), index]``; its plan's ``pastes`` record each paste (donor image
and instance, class, scale, size, position, flip, blend, new id). The profiles then apply
to the pasted image. The balance plan is computed once per process from one streamed
pass over the dataset; :meth:`AugmentGenerator.balance_report` says what it plans.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from synthgen.augment.copy_paste import CopyPasteConfig, apply_pastes, place_pastes
from synthgen.augment.donors import (
    Donor,
    DonorIndex,
    balance_plan,
    check_classes,
    cut,
    pasted_classes,
    scan_dataset,
)
from synthgen.augment.profiles import Profile, apply_plan, plan_copy
from synthgen.errors import AssetError
from synthgen.generators.base import Generator, GeneratorConfig
from synthgen.readers import Reader, SourceImage, open_dataset
from synthgen.sample import Category, Sample


class AugmentConfig(GeneratorConfig):
    """An existing dataset and the profiles each copy of its images goes through (none:
    a plain copy, e.g. for ``labels.noise``)."""

    kind: Literal["augment"] = "augment"
    source: Path = Field(description="COCO JSON, YOLO data.yaml or VOC root (or their folder)")
    source_format: Literal["coco", "yolo", "voc"] | None = Field(
        None, description="the source's format (default: found from the files)"
    )
    images: Path | None = Field(None, description="COCO: the folder of the images' file_name")
    split: str | None = Field(None, description="YOLO/VOC: the split to read (default: all)")
    profiles: list[Profile] = Field(
        default_factory=list, description="ops applied to every copy, in order (each with its p)"
    )
    per_image: int = Field(1, ge=1, description="augmented copies of each source image")
    copy_paste: CopyPasteConfig | None = Field(
        None, description="paste dataset instances into the copies until a class balance"
    )


class AugmentGenerator(Generator[AugmentConfig]):
    """Copies of a dataset's images through profiles, labels derived from moved masks."""

    config_type = AugmentConfig
    # Copies per pool message: 4 halves the driver's per-sample messaging against 2, and
    # with 1, 2 or 4 copies per image a worker gets every copy of the images it loads.
    chunk = 4

    def __init__(self, config: AugmentConfig, base_dir: Path) -> None:
        super().__init__(config, base_dir)
        self._reader: Reader | None = None
        self._images: list[SourceImage] | None = None
        self._donors: DonorIndex | None = None
        self._pastes: list[list[Donor]] = []
        self._report: dict[str, Any] = {}
        self._loaded: tuple[int, Sample] | None = None
        self._seed: int | None = None  # the seed of the balance plan in _pastes

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
        if self.config.copy_paste is not None:
            self._balance(0)  # unknown classes, no donors: fail before any sample

    def balance_report(self, seed: int) -> dict[str, Any]:
        """The copy-paste balance plan's report for a run with ``seed``: counts before,
        targets, planned pastes, donors found and skipped, and the targets that cannot be
        met (with the reason)."""
        self._balance(seed)
        return self._report

    def _balance(self, seed: int) -> DonorIndex:
        cfg = self.config.copy_paste
        assert cfg is not None
        names = [c.name for c in self.categories()]
        index = self._index()
        if self._seed != seed:
            per = self.config.per_image
            sources = [i // per for i in range(self.num_samples())]
            self._pastes, self._report = balance_plan(
                index, names, cfg, sources=sources, copies=per, seed=seed
            )
            self._seed = seed
        return index

    def _index(self) -> DonorIndex:
        """The one streamed pass over the dataset: class counts and donors."""
        cfg = self.config.copy_paste
        assert cfg is not None
        if self._donors is None:
            names = [c.name for c in self.categories()]
            check_classes(cfg, names)
            self._donors = scan_dataset(self.images, pasted_classes(cfg, names), cfg)
        return self._donors

    def _crop(self, donor: Donor) -> tuple[np.ndarray, np.ndarray]:
        """A donor's mask and pixels: from the bank, else cut again from its image."""
        bank = self._index().bank
        if donor.serial not in bank:
            return cut(self.images[donor.source_index].load(), donor)
        return bank[donor.serial]

    def _load(self, source_index: int) -> Sample:
        # plan_sample loads the image to place pastes; render needs it again just after.
        if self._loaded is None or self._loaded[0] != source_index:
            self._loaded = (source_index, self.images[source_index].load())
        return self._loaded[1]

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

    def copy_of(self, index: int) -> tuple[int, int]:
        """(source image, copy number) of sample ``index``. Past every copy of every
        image (a quota run keeps drawing candidates) round ``r`` makes copies
        ``r * per_image ...`` of each image again, each from its own seed."""
        per, n = self.config.per_image, self.num_samples()
        turn, rest = divmod(index, n)
        source_index, k = divmod(rest, per)
        if turn and self.config.copy_paste is not None:
            raise AssetError(
                f"sample {index}: the source has {n} copies in all with copy-paste; ask for fewer"
            )
        return source_index, turn * per + k

    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        raise TypeError("an augment plan depends on the sample's index: use plan_sample")

    def plan_sample(self, rng: np.random.Generator, seed: int, index: int) -> dict[str, Any]:
        source_index, k = self.copy_of(index)
        own = np.random.default_rng([seed, source_index, k])
        plan = {
            "source": self.images[source_index].provenance(),
            "source_index": source_index,
            "copy": k,
            "seed": seed,
            "profile": [p.op for p in self.config.profiles],
            "ops": plan_copy(list(self.config.profiles), own),
        }
        cfg = self.config.copy_paste
        if cfg is not None:
            self._balance(seed)
            donors = self._pastes[index]
            wanted = [{"class": d.category, "donor": d.record(self.images)} for d in donors]
            masks = [self._crop(d)[0] for d in donors]
            rng = np.random.default_rng([seed, zlib.crc32(b"paste"), index])
            plan["pastes"] = place_pastes(self._load(source_index), wanted, masks, cfg, rng)
        return plan

    def render(self, plan: dict[str, Any]) -> Sample:
        sample = self._load(plan["source_index"])
        if plan.get("pastes"):
            donors = [self._donor_crop(step["donor"]) for step in plan["pastes"]]
            sample = apply_pastes(sample, plan["pastes"], donors)
        out = apply_plan(sample, plan["ops"], self.categories())
        out.plan = plan
        return out

    def _donor_crop(self, record: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """A donor's crop from its provenance record (the plan alone rebuilds the copy)."""
        for donors in self._index().donors.values():
            for donor in donors:
                if (donor.source_index, donor.instance) == (
                    record["source_index"],
                    record["instance"],
                ):
                    return self._crop(donor)
        raise AssetError(f"copy-paste: donor {record} is not in the dataset's donor index")
