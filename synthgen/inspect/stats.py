"""Dataset statistics from the labels alone: what ``synthgen stats`` reports.

Any COCO, YOLO or VOC dataset (or a synthgen output folder) is read through the readers'
light path (:meth:`synthgen.readers.base.Reader.label_records`): annotations are parsed,
pixels never decoded; YOLO's image sizes come from the file headers. The summary is plain
JSON with exact integer counts; :mod:`synthgen.inspect.stats_report` draws it.

>>> summary = dataset_stats(Path("out/quickstart"))  # doctest: +SKIP
>>> summary["classes"]["stop"]["instances"]  # doctest: +SKIP
412

Sizes follow COCO's evaluation buckets: small below 32² pixels, medium below 96², large
from 96² on. ``sizes`` uses the annotation's own area where the format has one (COCO
``area``: the mask's pixel count), else the box's; ``boxes`` always uses the box (w * h), so
it compares across formats.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from synthgen.readers import DatasetError, open_dataset
from synthgen.readers.base import LabelRecord, Reader
from synthgen.registry import READERS

SMALL, LARGE = 32**2, 96**2
GRID = 32  # heat-map cells per side
# sqrt(box area) histogram edges in pixels; the last bin is open.
SIDE_EDGES = (0, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
# log2(width / height) histogram edges; values beyond the ends go to the end bins.
ASPECT_EDGES = tuple(x / 2 for x in range(-6, 7))
FRACTION_BINS = 10  # visibility and truncation: [0, 0.1), ..., [0.9, 1.0]
MAX_VALUES = 50  # distinct values kept per attribute (or image size); the rest are "other"
# When a folder holds several formats (a synthgen output), the one with the most labels.
PREFERENCE = ("coco", "voc", "yolo")
# A JSON list of numbers only, to be written on one line (heat-map rows, histograms).
_NUMBER_LIST = re.compile(r"\[([-+0-9.eE,\s]+)\]")


def open_for_stats(path: Path, fmt: str | None) -> Reader:
    """The reader for ``path``: ``fmt`` when given, else the format found there (of
    several, COCO, then VOC, then YOLO: COCO carries areas, visibility and truncation)."""
    if fmt is None and path.exists():
        found = [
            name
            for name in PREFERENCE
            if name in READERS.names() and READERS.get(name).detect(path)
        ]
        fmt = found[0] if found else None
    return open_dataset(path, fmt)


def dataset_stats(path: Path, fmt: str | None = None) -> dict[str, Any]:
    """The statistics of the dataset at ``path`` (see the module docstring), as JSON data."""
    reader = open_for_stats(path, fmt)
    if len(reader) == 0:
        raise DatasetError(
            f"{reader.location}: the dataset lists no images; point stats at a dataset with "
            "images (or check --from and the split)"
        )
    stats = _Collector([c.name for c in reader.categories])
    for record in reader.label_records():
        stats.add(record)
    summary = stats.summary()
    summary["source"] = {
        "path": str(path),
        "format": reader.name,
        "location": str(reader.location),
    }
    conditions = manifest_conditions(path)
    if conditions is not None:
        summary["conditions"] = conditions
    quota = quota_table(path)
    if quota is not None:
        summary["quota"] = quota
    return summary


class _Collector:
    """Accumulates counts image by image; memory grows with classes, not images."""

    def __init__(self, classes: list[str]) -> None:
        self.classes = list(classes)
        self.images = 0
        self.per_image: Counter[int] = Counter()
        self.image_sizes: Counter[str] = Counter()
        self.instances: Counter[str] = Counter()
        self.images_with: Counter[str] = Counter()
        self.crowd = 0
        self.sizes: dict[str, Counter[str]] = defaultdict(Counter)
        self.boxes: dict[str, Counter[str]] = defaultdict(Counter)
        self.area_from: set[str] = set()
        self.sides = [0] * len(SIDE_EDGES)
        self.aspects = [0] * (len(ASPECT_EDGES) - 1)
        self.fractions = {"visibility": [0] * FRACTION_BINS, "truncation": [0] * FRACTION_BINS}
        self.fraction_sums: dict[str, dict[str, float]] = {"visibility": {}, "truncation": {}}
        self.fraction_counts: dict[str, Counter[str]] = {
            "visibility": Counter(),
            "truncation": Counter(),
        }
        self.attributes: dict[str, dict[str, Counter[str]]] = defaultdict(
            lambda: defaultdict(Counter)
        )
        self.heat: dict[str, list[list[int]]] = {}

    def add(self, record: LabelRecord) -> None:
        self.images += 1
        width, height = record.width, record.height
        self.per_image[len(record.objects)] += 1
        self.image_sizes[f"{width}x{height}"] += 1
        seen = set()
        for obj in record.objects:
            name = obj.category
            if name not in self.classes:
                self.classes.append(name)
            seen.add(name)
            self.instances[name] += 1
            self.crowd += obj.crowd
            _, _, w, h = obj.bbox_xywh
            box_area = w * h
            area = _record_area(obj.record)
            self.area_from.add("box" if area is None else "annotation")
            self.sizes[name][_bucket(box_area if area is None else area)] += 1
            self.boxes[name][_bucket(box_area)] += 1
            self.sides[_bin(math.sqrt(max(box_area, 0.0)), SIDE_EDGES, open_end=True)] += 1
            if w > 0 and h > 0:
                self.aspects[_bin(math.log2(w / h), ASPECT_EDGES)] += 1
            for key, value in (("visibility", obj.visibility), ("truncation", obj.truncation)):
                if value is not None:
                    self.fractions[key][min(int(value * FRACTION_BINS), FRACTION_BINS - 1)] += 1
                    sums = self.fraction_sums[key]
                    sums[name] = sums.get(name, 0.0) + value
                    self.fraction_counts[key][name] += 1
            for key, value in obj.attributes.items():
                self._attribute(name, str(key), value)
            self._heat(name, obj.bbox_xywh, width, height)
        for name in seen:
            self.images_with[name] += 1

    def _attribute(self, name: str, key: str, value: Any) -> None:
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        values = self.attributes[key]
        total = values["*"]
        if text not in total and len(total) >= MAX_VALUES:
            text = "other"
        total[text] += 1
        values[name][text] += 1

    def _heat(
        self, name: str, box: tuple[float, float, float, float], width: int, height: int
    ) -> None:
        grid = self.heat.get(name)
        if grid is None:
            grid = self.heat[name] = [[0] * GRID for _ in range(GRID)]
        x, y, w, h = box
        col = min(max(int((x + w / 2) / width * GRID), 0), GRID - 1)
        row = min(max(int((y + h / 2) / height * GRID), 0), GRID - 1)
        grid[row][col] += 1

    def summary(self) -> dict[str, Any]:
        total = sum(self.instances.values())
        classes = {}
        for name in self.classes:
            entry: dict[str, Any] = {
                "instances": self.instances[name],
                "images": self.images_with[name],
                "share": _ratio(self.instances[name], total),
                "sizes": _buckets(self.sizes[name]),
                "boxes": _buckets(self.boxes[name]),
            }
            for key in ("visibility", "truncation"):
                count = self.fraction_counts[key][name]
                if count:
                    entry[f"mean_{key}"] = round(self.fraction_sums[key][name] / count, 6)
            classes[name] = entry
        per_image = {str(k): self.per_image[k] for k in sorted(self.per_image)}
        out: dict[str, Any] = {
            "images": self.images,
            "instances": total,
            "crowd": self.crowd,
            "classes": classes,
            "instances_per_image": {
                "histogram": per_image,
                "mean": _ratio(total, self.images),
                "max": max(self.per_image) if self.per_image else 0,
                "empty_images": self.per_image[0],
            },
            "image_sizes": _capped(self.image_sizes),
            "sizes": {
                "area_from": "+".join(sorted(self.area_from)) or "none",
                "buckets": _buckets(sum(self.sizes.values(), Counter())),
            },
            "boxes": {
                "buckets": _buckets(sum(self.boxes.values(), Counter())),
                "side_edges": list(SIDE_EDGES),
                "side_histogram": self.sides,
                "aspect_log2_edges": list(ASPECT_EDGES),
                "aspect_histogram": self.aspects,
            },
            "heatmaps": {
                "grid": GRID,
                "per_class": {n: self.heat[n] for n in self.classes if n in self.heat},
            },
        }
        for key in ("visibility", "truncation"):
            counts = self.fraction_counts[key]
            if counts:
                out[key] = {
                    "instances": sum(counts.values()),
                    "mean": round(sum(self.fraction_sums[key].values()) / sum(counts.values()), 6),
                    "histogram": self.fractions[key],
                    "edges": [k / FRACTION_BINS for k in range(FRACTION_BINS + 1)],
                }
        if self.attributes:
            out["attributes"] = {
                key: {
                    "values": dict(sorted(values["*"].items())),
                    "per_class": {
                        n: dict(sorted(values[n].items())) for n in self.classes if n in values
                    },
                }
                for key, values in sorted(self.attributes.items())
            }
        return out


def quota_table(path: Path) -> dict[str, Any] | None:
    """A quota run's table (``quota.json`` beside the dataset): per cell target and
    achieved; None when there is none."""
    roots = [path] if path.is_dir() else [path.parent, path.parent.parent]
    found = next((r / "quota.json" for r in roots if (r / "quota.json").is_file()), None)
    if found is None:
        return None
    try:
        report = json.loads(found.read_text(encoding="utf-8"))
        return {
            "file": str(found),
            "by": report["spec"]["by"],
            "unit": report["unit"],
            "status": report["status"],
            "table": report["table"],
        }
    except (json.JSONDecodeError, KeyError, TypeError):
        return None  # not a synthgen quota report


def manifest_conditions(path: Path) -> dict[str, Any] | None:
    """Conditions from a synthgen manifest beside the dataset: per op (``night``, ``fog``,
    ``hflip``...) the images it was applied to, as ``synthgen augment`` records them in each
    sample's plan; None without a manifest or without ops."""
    roots = [path] if path.is_dir() else [path.parent, path.parent.parent]
    manifest = next((r / "manifest.jsonl" for r in roots if (r / "manifest.jsonl").is_file()), None)
    if manifest is None:
        return None
    plans: dict[Any, Mapping[str, Any]] = {}
    with manifest.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a kill; the run's resume rewrites it
            if isinstance(entry, dict) and entry.get("status") == "ok":
                plan = entry.get("plan")
                plans[entry.get("index")] = plan if isinstance(plan, dict) else {}
    ops: Counter[str] = Counter()
    profiles: Counter[str] = Counter()
    plain = 0
    for plan in plans.values():
        fired = _op_names(plan.get("ops"))
        ops.update(fired)
        plain += not fired
        if isinstance(plan.get("profile"), list):
            profiles["+".join(map(str, plan["profile"]))] += 1
    if not ops and not profiles:
        return None
    return {
        "manifest": str(manifest),
        "samples": len(plans),
        "ops": dict(sorted(ops.items())),
        "no_op": plain,
        "profiles": dict(sorted(profiles.items())),
    }


def compare_stats(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """What differs between two summaries: per class the instances and share (b - a), and
    the totals, mean instances per image and size-bucket shares."""
    names = list(a["classes"]) + [n for n in b["classes"] if n not in a["classes"]]
    classes = {}
    for name in names:
        ca, cb = a["classes"].get(name, {}), b["classes"].get(name, {})
        classes[name] = {
            "instances": [ca.get("instances", 0), cb.get("instances", 0)],
            "images": [ca.get("images", 0), cb.get("images", 0)],
            "share": [ca.get("share", 0.0), cb.get("share", 0.0)],
            "share_diff": round(cb.get("share", 0.0) - ca.get("share", 0.0), 6),
        }
    buckets = {}
    for bucket in ("small", "medium", "large"):
        sa = _ratio(a["boxes"]["buckets"][bucket], a["instances"])
        sb = _ratio(b["boxes"]["buckets"][bucket], b["instances"])
        buckets[bucket] = {"share": [sa, sb], "share_diff": round(sb - sa, 6)}
    return {
        "images": [a["images"], b["images"]],
        "instances": [a["instances"], b["instances"]],
        "mean_instances_per_image": [
            a["instances_per_image"]["mean"],
            b["instances_per_image"]["mean"],
        ],
        "only_in_first": [n for n in a["classes"] if n not in b["classes"]],
        "only_in_second": [n for n in b["classes"] if n not in a["classes"]],
        "classes": classes,
        "box_buckets": buckets,
    }


def _op_names(ops: Any) -> set[str]:
    """The names of the ops that fired on one sample (each counted once per image)."""
    if not isinstance(ops, list):
        return set()
    return {str(op["op"]) for op in ops if isinstance(op, dict) and "op" in op}


def _record_area(record: Any) -> float | None:
    if isinstance(record, dict):
        area = record.get("area")
        if isinstance(area, (int, float)) and not isinstance(area, bool) and math.isfinite(area):
            return float(area)
    return None


def _bucket(area: float) -> str:
    return "small" if area < SMALL else "medium" if area < LARGE else "large"


def _buckets(counts: Mapping[str, int]) -> dict[str, int]:
    return {k: counts.get(k, 0) for k in ("small", "medium", "large")}


def _bin(value: float, edges: tuple[float, ...], *, open_end: bool = False) -> int:
    """The bin of ``value``: edges[k] <= value < edges[k + 1]; outside values go to the end
    bins (or, with ``open_end``, to one more bin past the last edge)."""
    last = len(edges) - 1 if open_end else len(edges) - 2
    for k in range(len(edges) - 1):
        if value < edges[k + 1]:
            return max(k, 0)
    return last


def _capped(counts: Counter[str]) -> dict[str, int]:
    top = counts.most_common(MAX_VALUES)
    out = dict(top)
    rest = sum(counts.values()) - sum(out.values())
    if rest:
        out["other"] = rest
    return out


def _ratio(num: float, den: float) -> float:
    return round(num / den, 6) if den else 0.0


def write_json(data: Any, path: Path) -> None:
    """Writes ``data`` as indented JSON through a temp file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    text = _NUMBER_LIST.sub(
        lambda m: "[" + " ".join(m.group(1).split()) + "]", json.dumps(data, indent=1)
    )
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)


def class_names(summaries: Iterable[Mapping[str, Any]]) -> list[str]:
    """All class names of the summaries, in first-seen order."""
    names: list[str] = []
    for summary in summaries:
        names += [n for n in summary["classes"] if n not in names]
    return names
