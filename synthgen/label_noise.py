"""Label noise for research: deliberate, documented errors in a copy's labels.

This is the one place where synthgen changes labels on purpose. It runs in the worker
after the last pixel operation and after :func:`synthgen.labels.derive_labels`: the
pixels are never touched, only the list of labels. The clean labels are kept and written
as COCO at ``clean/annotations/instances.json`` (same images, same image ids, same
``file_name`` relative to ``images/``); the noisy labels go to the run's formats.

Per clean instance, each kind is decided independently from the sample's own stream
``default_rng([seed, crc32("label_noise"), index])`` (so the same bytes for any worker
count or a resumed run):

- ``miss`` (p): the instance is removed from the labels; its pixels stay in the image (a
  missed label, not an erased object). A missed instance shows no other kind.
- ``flip`` (p): its class is replaced by another class, uniform over the others, or
  drawn from ``flip_to``'s row for its class (weights over the other classes, a
  confusion matrix without its diagonal; ``--flip-matrix FILE``).
- ``jitter`` (s): each edge of its tight whole-pixel box moves by N(0, s*w) (left, right)
  or N(0, s*h) (top, bottom), rounded to whole pixels and clipped to the image (at least
  1 px kept). An instance whose box moved is written box-only (no mask or polygon, COCO
  ``area`` = w*h), so a written box is never inconsistent with a written mask.
- ``extra`` (p): a spurious box is added: the instance's box size, at a uniform position
  inside the image, of a class uniform over all classes; box-only, after the others.

Achieved rates: miss and extra over the clean instances, flip and jitter over the kept
(not missed) ones; ``jitter_rms`` is the root mean square of edge moves / box size.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from synthgen.config import LabelNoiseConfig, Problem, RecipeError
from synthgen.errors import OptionError
from synthgen.labels import ObjectLabel
from synthgen.writers.coco import CocoConfig, CocoWriter

if TYPE_CHECKING:
    from synthgen.generators.base import Generator
    from synthgen.recipe import Recipe

KINDS = ("flip", "jitter", "miss", "extra")
CLEAN_DIR = "clean"
REPORT_FILE = "label_noise.json"
COUNT_KEYS = ("instances", "kept", "miss", "flip", "jitter", "extra")


class CleanCocoWriter(CocoWriter):
    """The clean ground truth of a noisy run, as COCO under ``clean/``."""

    name = "clean"


def clean_writer(recipe: Recipe, root: Path, generator: Generator[Any]) -> CleanCocoWriter:
    """The writer of ``clean/annotations/instances.json``: the run's COCO options when it
    writes COCO (so the clean file has the bytes of a noise-free run's), else defaults."""
    config = recipe.writer_configs.get("coco")
    if not isinstance(config, CocoConfig):
        config = CocoConfig()
    return CleanCocoWriter(root / CLEAN_DIR, config, generator.categories(), generator=generator)


def noise_rng(seed: int, index: int) -> np.random.Generator:
    """Sample ``index``'s own noise stream (independent of the generator's)."""
    return np.random.default_rng([seed, zlib.crc32(b"label_noise"), index])


@dataclass
class NoiseResult:
    """The noisy labels, every change made (indices into the clean and noisy lists, in
    annotation order) and the counts for the run's report."""

    objects: list[ObjectLabel]
    changes: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, float] = field(default_factory=dict)


def check_label_noise(config: LabelNoiseConfig, classes: list[str]) -> None:
    """Refuses a noise spec the dataset cannot take (a flip needs a second class; the
    confusion rows name the dataset's classes)."""
    known = set(classes)
    for true, row in (config.flip_to or {}).items():
        for name in (true, *row):
            if name not in known:
                raise RecipeError(
                    [
                        Problem(
                            ("labels", "noise", "flip_to", true),
                            f"'{name}' is not a class of the dataset ({', '.join(classes)})",
                        )
                    ]
                )
    if config.flip > 0 and len(classes) < 2:
        raise RecipeError(
            [
                Problem(
                    ("labels", "noise", "flip"),
                    f"the dataset has {len(classes)} class(es); a flip needs at least 2 "
                    "(set flip to 0)",
                )
            ]
        )


def apply_label_noise(
    objects: list[ObjectLabel],
    config: LabelNoiseConfig,
    classes: list[str],
    rng: np.random.Generator,
) -> NoiseResult:
    """Noisy copies of ``objects`` (which are not changed), drawn from ``rng``.

    >>> from synthgen.config import LabelNoiseConfig
    >>> obj = ObjectLabel(1, "a", (2, 2, 12, 12), np.ones((10, 10), bool), (32, 32))
    >>> res = apply_label_noise([obj], LabelNoiseConfig(flip=1.0), ["a", "b"], noise_rng(0, 0))
    >>> res.objects[0].category, res.changes[0]["kind"]
    ('b', 'flip')
    """
    n = len(objects)
    # A fixed number of draws per instance: the stream never depends on earlier outcomes.
    u = rng.random((n, 6))  # miss, flip, extra, extra x, extra y, confusion row
    flip_to = rng.integers(0, max(len(classes) - 1, 1), n)
    extra_class = rng.integers(0, max(len(classes), 1), n)
    normal = rng.standard_normal((n, 4))
    out: list[ObjectLabel] = []
    changes: list[dict[str, Any]] = []
    counts: dict[str, float] = dict.fromkeys(COUNT_KEYS, 0)
    counts["jitter_sq"] = 0.0
    counts["instances"] = n
    extras: list[ObjectLabel] = []
    next_id = max((o.instance_id for o in objects), default=0) + 1
    for i, obj in enumerate(objects):
        height, width = obj.image_size
        if u[i, 2] < config.extra:
            extras.append(_extra(obj, classes[int(extra_class[i])], next_id, u[i, 3:5]))
            next_id += 1
        if u[i, 0] < config.miss:
            counts["miss"] += 1
            changes.append(
                {"kind": "miss", "clean": i, "class": obj.category, "bbox": _xywh(obj.bbox_xyxy)}
            )
            continue
        counts["kept"] += 1
        noisy = obj
        if u[i, 1] < config.flip:
            row = (config.flip_to or {}).get(obj.category)
            if row:
                cum = np.cumsum(list(row.values()))
                pick = int(np.searchsorted(cum, u[i, 5] * cum[-1], side="right"))
                new = list(row)[min(pick, len(row) - 1)]
            else:
                others = [c for c in classes if c != obj.category]
                new = others[int(flip_to[i]) % len(others)]
            noisy = copy.copy(obj)  # keeps the computed polygons
            noisy.category = new
            counts["flip"] += 1
            changes.append(
                {"kind": "flip", "clean": i, "noisy": len(out), "old": obj.category, "new": new}
            )
        if config.jitter > 0:
            box, sq = _jitter(obj.bbox_xyxy, normal[i], config.jitter, width, height)
            counts["jitter_sq"] += sq
            if box != obj.bbox_xyxy:
                noisy = _box_only(noisy, box)
                counts["jitter"] += 1
                changes.append(
                    {
                        "kind": "jitter",
                        "clean": i,
                        "noisy": len(out),
                        "old": _xywh(obj.bbox_xyxy),
                        "new": _xywh(box),
                    }
                )
        out.append(noisy)
    for extra in extras:
        changes.append(
            {
                "kind": "extra",
                "noisy": len(out),
                "class": extra.category,
                "bbox": _xywh(extra.bbox_xyxy),
            }
        )
        out.append(extra)
    counts["extra"] = len(extras)
    return NoiseResult(out, changes, counts)


def _jitter(
    box: tuple[int, int, int, int], normal: np.ndarray, s: float, width: int, height: int
) -> tuple[tuple[int, int, int, int], float]:
    """The moved box and the sum of (edge move / box size)^2 over its 4 edges."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    d = np.rint(normal * s * np.array([w, h, w, h], dtype=np.float64)).astype(np.int64)
    nx0, ny0 = int(np.clip(x0 + d[0], 0, width - 1)), int(np.clip(y0 + d[1], 0, height - 1))
    nx1, ny1 = int(np.clip(x1 + d[2], 1, width)), int(np.clip(y1 + d[3], 1, height))
    # Edges that crossed leave a 1-pixel box where the near edge landed.
    if nx1 <= nx0:
        nx1 = nx0 + 1
    if ny1 <= ny0:
        ny1 = ny0 + 1
    sq = float((d[0] / w) ** 2 + (d[2] / w) ** 2 + (d[1] / h) ** 2 + (d[3] / h) ** 2)
    return (nx0, ny0, nx1, ny1), sq


def _box_only(obj: ObjectLabel, box: tuple[int, int, int, int]) -> ObjectLabel:
    x0, y0, x1, y1 = box
    return replace(
        obj, bbox_xyxy=box, mask=np.ones((y1 - y0, x1 - x0), bool), box_only=True, source=None
    )


def _extra(obj: ObjectLabel, category: str, new_id: int, pos: np.ndarray) -> ObjectLabel:
    height, width = obj.image_size
    x0, y0, x1, y1 = obj.bbox_xyxy
    w, h = min(x1 - x0, width), min(y1 - y0, height)
    x = int(pos[0] * (width - w + 1))
    y = int(pos[1] * (height - h + 1))
    box = (x, y, x + w, y + h)
    return ObjectLabel(new_id, category, box, np.ones((h, w), bool), obj.image_size, box_only=True)


def _xywh(box: tuple[int, int, int, int]) -> list[int]:
    x0, y0, x1, y1 = box
    return [x0, y0, x1 - x0, y1 - y0]


def noise_report(config: LabelNoiseConfig, counts: Mapping[str, float]) -> dict[str, Any]:
    """Requested vs achieved rates for a run's summed counts (``label_noise.json``)."""
    c = {k: counts.get(k, 0) for k in (*COUNT_KEYS, "jitter_sq")}
    n, kept = c["instances"], c["kept"]
    achieved = {
        "miss": c["miss"] / n if n else 0.0,
        "flip": c["flip"] / kept if kept else 0.0,
        "jitter": c["jitter"] / kept if kept else 0.0,
        "jitter_rms": float(np.sqrt(c["jitter_sq"] / (4 * kept))) if kept else 0.0,
        "extra": c["extra"] / n if n else 0.0,
    }
    return {
        "requested": config.model_dump(mode="json"),
        "counts": {k: int(c[k]) for k in COUNT_KEYS},
        "achieved": {k: round(v, 6) for k, v in achieved.items()},
        "definitions": {
            "miss": "missed instances / clean instances",
            "flip": "instances with another class / kept instances",
            "jitter": "instances whose box moved (written box-only) / kept instances",
            "jitter_rms": "RMS of edge move / box width (left, right) or height (top, bottom)",
            "extra": "spurious boxes / clean instances",
        },
        "clean": f"{CLEAN_DIR}/annotations/instances.json",
    }


def format_noise(report: dict[str, Any]) -> str:
    """The report as one line per kind for the terminal."""
    c, a, r = report["counts"], report["achieved"], report["requested"]
    lines = [f"label noise over {c['instances']} instances ({c['kept']} kept):"]
    for kind in ("flip", "jitter", "miss", "extra"):
        lines.append(f"  {kind:<7} requested {r[kind]:<6} achieved {a[kind]:.4f} ({c[kind]})")
    lines.append(f"  jitter_rms {a['jitter_rms']:.4f}; clean labels: {report['clean']}")
    return "\n".join(lines)


def noise_spec(text: str, flip_matrix: Path | None = None) -> dict[str, Any]:
    """``--label-noise`` and ``--flip-matrix`` as the recipe's ``labels.noise``."""
    spec: dict[str, Any] = dict(parse_label_noise(text))
    if flip_matrix is not None:
        spec["flip_to"] = read_flip_matrix(flip_matrix)
    return spec


def read_flip_matrix(path: Path) -> dict[str, dict[str, float]]:
    """``--flip-matrix FILE``: YAML or JSON ``{true class: {noisy class: weight}}``."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise OptionError(f"--flip-matrix {path}: cannot read it ({err})") from None
    ok = isinstance(doc, dict) and all(
        isinstance(row, dict)
        and all(isinstance(w, int | float) and not isinstance(w, bool) for w in row.values())
        for row in doc.values()
    )
    if not ok:
        raise OptionError(
            f"--flip-matrix {path}: write one mapping per true class of noisy classes to "
            "weights, e.g. {car: {truck: 3, bus: 1}}"
        )
    return {str(k): {str(c): float(w) for c, w in row.items()} for k, row in doc.items()}


def parse_label_noise(text: str) -> dict[str, float]:
    """``flip=0.05,jitter=0.03,miss=0.02`` -> a validated noise config dict.

    >>> parse_label_noise("flip=0.05,miss=0.02")
    {'flip': 0.05, 'miss': 0.02}
    """
    out: dict[str, float] = {}
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq:
            raise OptionError(
                f"--label-noise {text}: write KIND=RATE pairs, e.g. flip=0.05,jitter=0.03 "
                f"(got {item!r})"
            )
        if key not in KINDS:
            raise OptionError(f"--label-noise: unknown kind '{key}' (use {', '.join(KINDS)})")
        try:
            rate = float(value)
        except ValueError:
            rate = float("nan")
        if not 0.0 <= rate <= 1.0:
            raise OptionError(f"--label-noise: {key}={value.strip()} is not a rate in [0, 1]")
        out[key] = rate
    if not out:
        raise OptionError("--label-noise: give one or more of flip, jitter, miss, extra")
    return out
