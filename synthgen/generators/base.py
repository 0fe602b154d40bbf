"""The generator plugin interface.

A generator first samples a small, JSON-serializable *plan* from the rng (what to place,
where, how), then renders the plan into a Sample. The plan is the provenance record: a
sample can be rebuilt from it alone, without the rng.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from synthgen.config import StrictModel
from synthgen.sample import Category, Sample


class SkipSample(Exception):  # noqa: N818 (a signal, not a failure)
    """Raised by ``plan`` when the recipe asks to skip samples whose constraints fail."""


class GeneratorConfig(StrictModel):
    """Base of generator configs; ``kind`` names the generator in the registry."""

    kind: str


C = TypeVar("C", bound=GeneratorConfig)


class Generator(ABC, Generic[C]):
    """Builds samples. Constructed once per worker; heavy assets load lazily and are reused."""

    config_type: ClassVar[type[GeneratorConfig]]
    # "image": renders Samples for image writers; "text": TextSamples for text writers.
    modality: ClassVar[str] = "image"
    # What its samples carry, so which writers' modalities can encode them: document
    # pages are images (coco, yolo, voc write their layout regions) and documents.
    provides: ClassVar[frozenset[str]] = frozenset({"image"})
    chunk: ClassVar[int] = 4  # samples per task sent to a pool worker
    # Pool workers are spawned (a fresh interpreter: nothing leaks in from the parent) unless
    # the generator holds no threads, GL contexts or native handles, needs nothing of the
    # parent's but what it imported, and a worker's start-up (~0.5 s of imports) is a
    # large share of its run: then they are forked from the parent (on Linux).
    fork_workers: ClassVar[bool] = False

    def __init__(self, config: C, base_dir: Path) -> None:
        self.config = config
        self.base_dir = base_dir

    @abstractmethod
    def categories(self) -> list[Category]:
        """The labeled classes, in a fixed order: their ids are 1, 2, ... in that order."""

    def models(self) -> list[Any]:
        """The 3D models of the labeled classes, in a fixed order (empty for 2D generators).

        Formats that ship models (BOP) number them 1, 2, ... in this order.
        """
        return []

    def check(self) -> None:
        """Checks every input once, in the main process, before any sample is made.

        Raises AssetError naming the file and the fix. The default checks nothing.
        """

    def fingerprint(self) -> dict[str, Any]:
        """What the inputs look like (file names and sizes): a changed asset folder must not
        silently resume a run made from the old one."""
        return {}

    @abstractmethod
    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        """Samples everything random about one sample into a JSON-serializable plan."""

    def plan_sample(self, rng: np.random.Generator, seed: int, index: int) -> dict[str, Any]:
        """The plan of sample ``index`` of a run with ``seed``; ``rng`` is the sample's own.

        Only generators that keep exact quotas across samples need the index; the default
        is ``plan(rng)``."""
        return self.plan(rng)

    def plan_index(self, seed: int, index: int) -> dict[str, Any]:
        """The plan of sample ``index`` of a run with ``seed``: what the run engine calls.

        By default the sample gets its own rng, ``np.random.default_rng([seed, index])``.
        A generator whose samples cost less than creating that rng (20-30 us; text) may
        draw more cheaply, as long as the plan stays a function of (seed, index) alone."""
        return self.plan_sample(np.random.default_rng([seed, index]), seed, index)

    @abstractmethod
    def render(self, plan: dict[str, Any]) -> Sample:
        """Renders a plan; deterministic, uses no randomness."""

    def generate(self, rng: np.random.Generator) -> Sample:
        return self.render(self.plan(rng))
