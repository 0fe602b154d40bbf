"""Labeled classes and how many objects of each a sample gets: shared by the generators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from synthgen.config import IntRange, StrictModel, within
from synthgen.errors import AssetError
from synthgen.sample import Category


class ClassSpec(StrictModel):
    """A labeled class; its position in the class list decides its category id."""

    name: str = Field(min_length=1)
    supercategory: str = "object"
    keypoints: tuple[str, ...] = Field((), description="keypoint names, in sidecar order")
    flip_pairs: tuple[tuple[str, str], ...] = Field(
        (), description="keypoint names that swap when the object is mirrored"
    )
    skeleton: tuple[tuple[str, str], ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _name_only(cls, value: object) -> object:
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _known_keypoints(self) -> ClassSpec:
        for a, b in (*self.flip_pairs, *self.skeleton):
            for name in (a, b):
                if name not in self.keypoints:
                    raise ValueError(f"'{name}' is not one of this class's keypoints")
        return self


class ClassMix(StrictModel):
    """How many labeled objects a sample gets, and of which classes."""

    count: Annotated[IntRange, within(ge=0, le=1000)] = Field(
        IntRange(min=3, max=8), description="labeled objects per sample"
    )
    class_weights: dict[str, Annotated[float, Field(ge=0)]] | None = Field(
        None, description="relative class frequencies (default: uniform)"
    )
    class_counts: dict[str, Annotated[IntRange, within(ge=0, le=1000)]] | None = Field(
        None, description="exact objects per class per sample (replaces count and weights)"
    )

    @model_validator(mode="after")
    def _counts_or_weights(self) -> ClassMix:
        if self.class_counts is not None and self.class_weights is not None:
            raise ValueError("use either class_counts or class_weights, not both")
        if self.class_weights is not None and sum(self.class_weights.values()) <= 0:
            raise ValueError("class_weights must not all be zero")
        return self

    def unknown_classes(self, names: list[str]) -> dict[str, list[str]]:
        """Class names used in weights or counts that are not among ``names``, by key."""
        found = {}
        for key in ("class_weights", "class_counts"):
            unknown = sorted(set(getattr(self, key) or {}) - set(names))
            if unknown:
                found[key] = unknown
        return found

    def draw(self, rng: np.random.Generator, names: list[str]) -> list[str]:
        """The classes of one sample's objects, in class order for exact counts."""
        if self.class_counts is not None:
            counts = self.class_counts
            return [n for n in names for _ in range(counts[n].sample(rng) if n in counts else 0)]
        weights = np.array(
            [(self.class_weights or {}).get(n, 0.0 if self.class_weights else 1.0) for n in names]
        )
        picks = rng.choice(len(names), size=self.count.sample(rng), p=weights / weights.sum())
        return [names[i] for i in picks]


def categories(classes: list[ClassSpec]) -> list[Category]:
    """Categories with ids 1, 2, ... in class order."""
    return [
        Category(
            id=k + 1,
            name=c.name,
            supercategory=c.supercategory,
            keypoints=c.keypoints,
            skeleton=c.skeleton,
            flip_pairs=c.flip_pairs,
        )
        for k, c in enumerate(classes)
    ]


def index_class_folders(
    root: Path,
    classes: list[ClassSpec] | None,
    files: Callable[[Path], list[str]],
    *,
    labeled: bool,
    kind: str,
    example: str,
) -> tuple[list[ClassSpec], dict[str, list[str]]]:
    """Asset files of a folder with one subfolder per class, as ``class/file`` names.

    ``files(folder)`` lists a folder's usable files (sorted names); ``kind`` names them in
    errors ("cutout images", "mesh files") and ``example`` shows the layout. Unlabeled
    (distractor) folders pool every file, at the top level and in subfolders.
    """
    subdirs = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not labeled:
        pooled = files(root) + [f"{d}/{f}" for d in subdirs for f in files(root / d)]
        if not pooled:
            raise AssetError(f"{root}: no {kind} found")
        return [ClassSpec(name="distractor")], {"distractor": pooled}
    if classes is None:
        if not subdirs:
            raise AssetError(
                f"{root}: no class folders; put each class's {kind} in a subfolder named after "
                f"the class (e.g. {example})"
            )
        classes = [ClassSpec(name=d) for d in subdirs]
    names: dict[str, list[str]] = {}
    for spec in classes:
        folder = root / spec.name
        if not folder.is_dir():
            raise AssetError(
                f"{folder}: folder for class '{spec.name}' not found; create it or remove the "
                "class from 'classes'"
            )
        found = files(folder)
        if not found:
            raise AssetError(f"{folder}: class '{spec.name}' has no {kind}")
        names[spec.name] = [f"{spec.name}/{f}" for f in found]
    return classes, names
