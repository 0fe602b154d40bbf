"""Which quota cells one sample adds to, and how much, from its labels and its plan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import product
from typing import Any

from synthgen.labels import ObjectLabel
from synthgen.quota.spec import BUCKET_KEYS, NO_CONDITION, Cell, QuotaSpec, bucket_of


def plan_conditions(plan: dict[str, Any]) -> list[str]:
    """An augmented copy's conditions: each profile op that fired, ``none`` if none did."""
    names = list(dict.fromkeys(str(step["op"]) for step in plan.get("ops", [])))
    return names or [NO_CONDITION]


def needs_labels(spec: QuotaSpec) -> bool:
    """Whether a candidate must be rendered to know its cells (not only planned)."""
    return spec.per_instance


def cell_counts(
    spec: QuotaSpec, plan: dict[str, Any], objects: Sequence[ObjectLabel] = ()
) -> Counter[Cell]:
    """Units the sample adds to each cell (instances, or 1 for sample-level cells).

    Every concrete cell is counted, targeted or not. An instance outside every bucket of
    a key (or without the attribute) is in no cell."""
    conditions = plan_conditions(plan) if "condition" in spec.by else []
    if not spec.per_instance:
        return Counter(product(*(conditions for _ in spec.by)))
    out: Counter[Cell] = Counter()
    for obj in objects:
        values = [_values(spec, key, obj, conditions) for key in spec.by]
        for cell in product(*values):
            out[cell] += 1
    return out


def _values(spec: QuotaSpec, key: str, obj: ObjectLabel, conditions: list[str]) -> list[str]:
    if key == "class":
        return [obj.category]
    if key == "condition":
        return conditions
    if key in BUCKET_KEYS:
        bucket = bucket_of(spec.buckets(key), _measure(key, obj))
        return [] if bucket is None else [bucket]
    value = (obj.attributes or {}).get(key)
    return [] if value is None else [str(value)]


def _measure(key: str, obj: ObjectLabel) -> float:
    if key == "scale":
        return float(obj.area)  # COCO's area: the visible mask's pixel count
    if key == "occlusion":
        return 1.0 - obj.visibility
    return obj.truncation


def encode(counts: Counter[Cell]) -> list[list[Any]]:
    """JSON-friendly, in a fixed order: [[values...], units]."""
    return [[list(cell), n] for cell, n in sorted(counts.items())]


def decode(rows: list[list[Any]]) -> Counter[Cell]:
    return Counter({tuple(cell): int(n) for cell, n in rows})


def quota_record(
    spec: QuotaSpec, candidate: int, plan: dict[str, Any], objects: Sequence[ObjectLabel]
) -> dict[str, Any]:
    """What a sample's manifest record adds in a quota run: its candidate (provenance)
    and its cell counts (``quota.json``'s achieved table sums them)."""
    return {"candidate": candidate, "quota": encode(cell_counts(spec, plan, objects))}
