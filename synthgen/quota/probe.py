"""The probe pass: which candidates a quota run keeps.

Candidates ``c = 0, 1, 2, ...`` are the recipe's ordinary samples (candidate ``c``'s plan
is ``plan_index(seed, c)``). The probe finds each candidate's cell counts (from the plan
alone for sample-level cells, else by rendering it and deriving its labels, without
encoding or writing anything), through the run's executor, in candidate order. A
candidate is accepted when it adds to a cell that is not yet full; the search stops when
every cell is full or ``max_candidates`` were tried. The accepted list depends only on
the recipe, the quota and the seed, never on the worker count.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson
from tqdm import tqdm

from synthgen.errors import PlacementError
from synthgen.generators.base import SkipSample
from synthgen.labels import ObjectLabel, derive_labels
from synthgen.quota.cells import cell_counts, decode, encode, needs_labels
from synthgen.quota.spec import Cell, QuotaPlan, QuotaSpec
from synthgen.recipe import Recipe

if TYPE_CHECKING:  # synthgen.run imports this module's caller: no cycle at import time
    from synthgen.run.executor import Executor, IndexWorker


@dataclass(frozen=True)
class ProbeTask:
    """Candidate ``c``'s cell counts, as a JSON list (see :func:`cells.encode`)."""

    recipe: Recipe
    spec: QuotaSpec

    @property
    def chunk(self) -> int:
        return self.recipe.generator().chunk

    def worker(self) -> IndexWorker:
        return ProbeWorker(self.recipe, self.spec)


class ProbeWorker:
    def __init__(self, recipe: Recipe, spec: QuotaSpec) -> None:
        self.recipe = recipe
        self.spec = spec
        self.generator = recipe.generator()
        self.labels = recipe.head.labels
        self.render = needs_labels(spec)

    def __call__(self, candidate: int) -> bytes:
        try:
            plan = self.generator.plan_index(self.recipe.seed, candidate)
        except SkipSample:
            return b"[]"
        except PlacementError as err:
            raise PlacementError(f"quota candidate {candidate}: {err}") from None
        objects: list[ObjectLabel] = []
        if self.render:
            sample = self.generator.render(plan)
            objects = derive_labels(sample, self.labels.min_visibility, self.labels.min_area)
        return orjson.dumps(encode(cell_counts(self.spec, plan, objects)))


def accept(
    targets: dict[Cell, int], rows: Iterable[Counter[Cell]]
) -> tuple[list[int], int, Counter[Cell]]:
    """Keeps each candidate that adds to a cell still short of its target, until every
    cell is full. Returns the accepted candidates, how many were looked at, and the units
    of every targeted cell in the accepted ones."""
    have: Counter[Cell] = Counter()
    short = {c for c, n in targets.items() if n > 0}
    accepted: list[int] = []
    tried = 0
    for candidate, counts in enumerate(rows):
        tried = candidate + 1
        if any(n > 0 and cell in short for cell, n in counts.items()):
            accepted.append(candidate)
            for cell, n in counts.items():
                if cell in targets:
                    have[cell] += n
                    if have[cell] >= targets[cell]:
                        short.discard(cell)
        if not short:
            break
    return accepted, tried, have


def probe(
    recipe: Recipe,
    spec: QuotaSpec,
    targets: dict[Cell, int],
    budget: int,
    executor: Executor,
    progress: bool = True,
) -> QuotaPlan:
    """Runs the probe over candidates ``0..budget-1`` (stopping early when all is full).

    One ``map`` over the whole budget: a pool starts once, and when every cell is full
    the executor is closed, losing only the few candidates the workers had run ahead."""
    bar = tqdm(
        total=budget,
        unit="candidate",
        desc="quota probe",
        disable=not progress or None,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    lines = executor.map(ProbeTask(recipe, spec), range(budget))
    try:
        with bar:
            rows = (_counted(decode(orjson.loads(line)), bar) for line in lines)
            accepted, tried, have = accept(targets, rows)
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()  # a generator stopped early: leave it before its pool goes
        executor.close()
    return QuotaPlan(targets, tuple(accepted), tried, {c: have.get(c, 0) for c in targets})


def _counted(counts: Counter[Cell], bar: tqdm) -> Counter[Cell]:
    bar.update(1)
    return counts
