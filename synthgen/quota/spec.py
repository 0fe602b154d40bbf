"""The quota spec: target counts over cells of class x attribute, and its checks.

A quota file (or a recipe's ``quota:`` key) names the cell keys and the cells::

    by: [class, scale]
    cells:
      - {class: "*", scale: "*", count: 20}      # every class at every scale...
      - {class: stop, scale: small, count: 60}   # ...but 60 small stop signs
    max_candidates: 5000

A cell value ``"*"`` stands for each known value of its key; where several cells give
the same concrete cell, the one with the fewest ``"*"`` wins (a tie is an error).

Keys: ``class``; ``scale`` (the visible mask's area in pixels, COCO's small/medium/
large at 32^2 and 96^2 unless ``scale:`` gives other buckets); ``occlusion`` (1 -
visibility: the fraction of the object that does not show, hidden or off the image);
``truncation`` (the fraction off the image); ``condition`` (augment: each profile op that
fired on the copy, ``none`` when none did); any other name is an instance attribute the
generator records (the compositor's ``blend``), whose values cannot be checked before
the run. With only ``condition`` the cells count samples, otherwise instances.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise, product
from pathlib import Path
from typing import Annotated

from pydantic import Field, PrivateAttr, field_validator, model_validator

from synthgen.config import Problem, RecipeError, StrictModel, read_yaml, validate

ANY = "*"
SAMPLE_KEYS = frozenset({"condition"})
BUCKET_KEYS = ("scale", "occlusion", "truncation")
BUILTIN_KEYS = frozenset({"class", "condition", *BUCKET_KEYS})
NO_CONDITION = "none"

Cell = tuple[str, ...]  # one value per key of ``by``, in its order
Bucket = Annotated[list[float | None], Field(min_length=2, max_length=2)]


def _coco_scale() -> dict[str, Bucket]:
    return {"small": [0, 32**2], "medium": [32**2, 96**2], "large": [96**2, None]}


def _fractions(*edges: float) -> dict[str, Bucket]:
    names = ("none", "partial", "heavy")
    bounds = (0.0, *edges, None)  # open above: 1.0 itself belongs to the last bucket
    return {n: [bounds[k], bounds[k + 1]] for k, n in enumerate(names)}


class QuotaSpec(StrictModel):
    """Target counts per cell; the run keeps drawing candidates until every cell is full."""

    by: list[str] = Field(min_length=1, description="cell keys, e.g. [class, scale]")
    cells: list[dict[str, str | int]] = Field(
        min_length=1, description="one value (or '*') per key of 'by', and 'count'"
    )
    max_candidates: int | None = Field(
        None, ge=1, description="candidates to try at most (default: 20 x the total count)"
    )
    scale: dict[str, Bucket] = Field(
        default_factory=_coco_scale, description="area buckets in pixels: name: [min, max)"
    )
    occlusion: dict[str, Bucket] = Field(
        default_factory=lambda: _fractions(0.1, 0.5), description="name: [min, max) of 1 - vis."
    )
    truncation: dict[str, Bucket] = Field(
        default_factory=lambda: _fractions(0.05, 0.3), description="name: [min, max)"
    )
    _source: str | None = PrivateAttr(None)  # the quota file, when it is one

    @property
    def source(self) -> str | None:
        return self._source

    @field_validator("by")
    @classmethod
    def _unique(cls, by: list[str]) -> list[str]:
        repeated = sorted({k for k in by if by.count(k) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} given twice")
        if "count" in by:
            raise ValueError("'count' is the cells' target, not a key")
        return by

    @field_validator("scale", "occlusion", "truncation")
    @classmethod
    def _buckets(cls, buckets: dict[str, Bucket]) -> dict[str, Bucket]:
        if not buckets:
            raise ValueError("give one or more buckets, name: [min, max)")
        spans = []
        for name, (lo, hi) in buckets.items():
            if lo is None or (hi is not None and not lo < hi):
                raise ValueError(f"{name}: write [min, max) with min < max (max null: no limit)")
            spans.append((lo, math.inf if hi is None else hi, name))
        spans.sort()
        for (_, hi, a), (lo, _, b) in pairwise(spans):
            if lo < hi:
                raise ValueError(f"buckets {a} and {b} overlap")
        return buckets

    @model_validator(mode="after")
    def _cells_name_every_key(self) -> QuotaSpec:
        for k, cell in enumerate(self.cells):
            count = cell.get("count")
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise ValueError(f"cells[{k}]: 'count' must be an integer >= 1 (got {count!r})")
            extra = [key for key in cell if key != "count" and key not in self.by]
            if extra:
                raise ValueError(
                    f"cells[{k}]: {', '.join(extra)} is not a key of by: [{', '.join(self.by)}]"
                )
            missing = [key for key in self.by if key not in cell]
            if missing:
                raise ValueError(f"cells[{k}]: give {', '.join(missing)} a value, or '*' for each")
            for key in self.by:
                if not isinstance(cell[key], str):
                    cell[key] = str(cell[key])  # a YAML number as a value, e.g. scale 1.5
        return self

    @property
    def per_instance(self) -> bool:
        """Cells count instances unless every key is a sample's (then they count samples)."""
        return not set(self.by) <= SAMPLE_KEYS

    def buckets(self, key: str) -> dict[str, Bucket]:
        return dict(getattr(self, key))


def load_quota(path: Path | str) -> QuotaSpec:
    """Reads and validates a quota file (YAML); errors name the file, key and line."""
    path = Path(path)
    data, node = read_yaml(path)
    spec = validate(QuotaSpec, data, base_dir=path.parent.resolve(), node=node, source=path)
    spec._source = str(path)
    return spec


def known_values(
    spec: QuotaSpec, classes: Sequence[str], conditions: Sequence[str] | None
) -> dict[str, list[str] | None]:
    """Each key's valid values (None: an attribute whose values are not known before)."""
    out: dict[str, list[str] | None] = {}
    for key in spec.by:
        if key == "class":
            out[key] = list(classes)
        elif key in BUCKET_KEYS:
            out[key] = list(spec.buckets(key))
        elif key == "condition":
            out[key] = None if conditions is None else [*conditions, NO_CONDITION]
        else:
            out[key] = None
    return out


def resolve_cells(
    spec: QuotaSpec,
    classes: Sequence[str],
    conditions: Sequence[str] | None,
    source: str = "quota",
) -> dict[Cell, int]:
    """Concrete cells and their targets, ``"*"`` expanded; raises RecipeError naming each
    cell with an unknown value (and the valid ones)."""
    values = known_values(spec, classes, conditions)
    problems = []
    prefix = ("quota",) if spec.source is None else ()
    if "condition" in spec.by and conditions is None:
        problems.append(
            Problem(
                (*prefix, "by"),
                "condition: this generator records no condition (augment's profiles do)",
            )
        )
    chosen: dict[Cell, tuple[int, int, int]] = {}  # cell -> (wildcards, count, cell number)
    for k, cell in enumerate(spec.cells):
        options = []
        for key in spec.by:
            value, valid = str(cell[key]), values[key]
            if value == ANY:
                if valid is None:
                    problems.append(Problem((*prefix, "cells", k, key), _no_wildcard(key)))
                    valid = []
                options.append(valid)
            elif valid is not None and value not in valid:
                message = f"unknown {key} '{value}' (valid: {', '.join(valid)}, or '*')"
                problems.append(Problem((*prefix, "cells", k, key), message))
                options.append([])
            else:
                options.append([value])
        wild = sum(str(cell[key]) == ANY for key in spec.by)
        count = int(cell["count"])
        for concrete in product(*options):
            old = chosen.get(concrete)
            if old is not None and old[0] == wild and old[1] != count:
                message = (
                    f"gives {show_cell(spec, concrete)} {count}, cells[{old[2]}] gives {old[1]}"
                )
                problems.append(Problem((*prefix, "cells", k), message))
            if old is None or wild < old[0]:
                chosen[concrete] = (wild, count, k)
    if problems:
        raise RecipeError(problems, spec.source or source)
    return {cell: count for cell, (_, count, _) in chosen.items()}


def _no_wildcard(key: str) -> str:
    return f"'*' needs known values, and those of the attribute {key} are not; list them"


def show_cell(spec: QuotaSpec, cell: Cell) -> str:
    """``{class: stop, scale: small}``: a cell as a user writes it."""
    return "{" + ", ".join(f"{k}: {v}" for k, v in zip(spec.by, cell, strict=True)) + "}"


def bucket_of(buckets: dict[str, Bucket], value: float) -> str | None:
    """The name of the bucket holding ``value`` ([min, max)), None if none does."""
    for name, (lo, hi) in buckets.items():
        if lo is not None and lo <= value and (hi is None or value < hi):
            return name
    return None


@dataclass(frozen=True)
class QuotaPlan:
    """The probe's outcome: output sample ``i`` is candidate ``accepted[i]``."""

    targets: dict[Cell, int]
    accepted: tuple[int, ...]
    tried: int
    predicted: dict[Cell, int] = field(default_factory=dict)  # units in the accepted samples

    @property
    def unmet(self) -> list[Cell]:
        return [c for c, n in self.targets.items() if self.predicted.get(c, 0) < n]
