"""Donors and the balance plan of copy-paste: who is pasted, how often, into which image.

:func:`scan_dataset` streams the dataset once (one image in memory at a time): it counts
the labeled instances per class and lists the *donors*, instances of the pasted classes
with a real mask (not box-only, not crowd) that are visible enough, large enough and (by
default) not cut by their image's border. Donor pixels (visible mask and RGB, cropped to
the donor's box) go into a bank until its memory cap; donors past the cap are read again
from their image when used.

:func:`balance_plan` turns counts and donors into pastes. Copy-paste only adds
instances, so the target is the smallest class count vector with the asked proportions
that no class exceeds: ``S = max(before_c / share_c)`` and ``target_c = ceil(S share_c)``
(exact for uniform targets and whole-number weights that the counts allow). Each class's
deficit becomes that many pastes, shuffled from the seed and dealt round-robin over a
seeded order of the output images (at most ``max_pastes`` each), each with a donor from
another source image. Everything depends on the dataset, the config and the seed only,
so every worker computes the same plan, and output image ``i`` reads its share by index.

>>> shares({"a": 1, "b": 2}, ["a", "b", "c"])
{'a': Fraction(1, 3), 'b': Fraction(2, 3)}
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from synthgen.augment.copy_paste import CopyPasteConfig
from synthgen.errors import OptionError
from synthgen.labels import derive_labels
from synthgen.readers import SourceImage
from synthgen.sample import Sample


@dataclass(frozen=True)
class Donor:
    """One usable instance: where it is and what it looks like (box x0, y0, x1, y1)."""

    serial: int
    source_index: int
    instance: int
    category: str
    visibility: float
    area: int
    box: tuple[int, int, int, int]

    def record(self, images: Sequence[SourceImage]) -> dict[str, Any]:
        """The donor as the provenance record names it."""
        image = images[self.source_index]
        return {
            "source_index": self.source_index,
            "image_id": image.image_id,
            "file": str(image.path),
            "instance": self.instance,
            "visibility": round(self.visibility, 5),
        }


@dataclass
class DonorIndex:
    """What one pass over the dataset found (see the module docstring)."""

    counts: Counter[str] = field(default_factory=Counter)
    donors: dict[str, list[Donor]] = field(default_factory=dict)
    skipped: dict[str, Counter[str]] = field(default_factory=dict)
    bank: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    bank_bytes: int = 0


def shares(target: dict[str, float] | str, names: Sequence[str]) -> dict[str, Fraction]:
    """Each target class's exact share (weights read as fractions up to 1/1000)."""
    weights = {n: 1.0 for n in names} if target == "uniform" else dict(target)  # type: ignore[arg-type]
    exact = {n: Fraction(w).limit_denominator(1000) for n, w in weights.items()}
    total = sum(exact.values())
    return {n: w / total for n, w in exact.items()}


def check_classes(config: CopyPasteConfig, names: Sequence[str]) -> None:
    """Refuses class names the dataset does not have (in --copy-paste or the target)."""
    known = set(names)
    given = [] if config.classes == "rare" else list(config.classes)
    if config.target != "uniform":
        given += list(config.target)
    for name in given:
        if name not in known:
            raise OptionError(
                f"copy-paste: unknown class {name!r}; the dataset has {', '.join(names)}"
            )
    if config.classes != "rare" and config.target != "uniform":
        loose = [c for c in config.classes if c not in config.target]
        if loose:
            raise OptionError(
                f"copy-paste: class {loose[0]!r} is pasted but has no weight in "
                "--target-balance; give it one (e.g. "
                f"{','.join(f'{c}=1' for c in [*config.target, loose[0]])})"
            )


def pasted_classes(config: CopyPasteConfig, names: Sequence[str]) -> list[str]:
    """The classes whose donors are listed: the named ones, or for 'rare' every target class."""
    if config.classes != "rare":
        return list(config.classes)
    return list(names) if config.target == "uniform" else list(config.target)


def scan_dataset(
    images: Sequence[SourceImage], classes: Sequence[str], config: CopyPasteConfig
) -> DonorIndex:
    """One streamed pass: class counts (as the output labels them) and donors of ``classes``."""
    index = DonorIndex(donors={c: [] for c in classes}, skipped={c: Counter() for c in classes})
    cap = int(config.memory_mb * 2**20)
    for image in images:
        sample = image.load()
        labels = derive_labels(sample, config.keep_visibility, config.keep_area)
        index.counts.update(label.category for label in labels)
        for inst in sample.instances:
            if inst.category not in index.donors:
                continue
            found = _donor(sample, inst.id, config)
            if isinstance(found, str):
                index.skipped[inst.category][found] += 1
                continue
            area, visibility, box = found
            donor = Donor(
                sum(len(v) for v in index.donors.values()),
                image.index,
                inst.id,
                inst.category,
                visibility,
                area,
                box,
            )
            index.donors[inst.category].append(donor)
            crop = cut(sample, donor)
            size = crop[0].nbytes + crop[1].nbytes
            if index.bank_bytes + size <= cap:
                index.bank[donor.serial] = crop
                index.bank_bytes += size
    return index


def _donor(
    sample: Sample, instance: int, config: CopyPasteConfig
) -> tuple[int, float, tuple[int, int, int, int]] | str:
    """(visible area, visibility, box) of a usable donor, or why it is not usable."""
    inst = next(i for i in sample.instances if i.id == instance)
    if inst.box_only or inst.amodal_mask is None:
        return "box only (no mask)"
    record = inst.source.record if inst.source is not None else None
    if isinstance(record, dict) and record.get("iscrowd"):
        return "crowd"
    visible = sample.instance_map == instance
    area = int(np.count_nonzero(visible))
    if area < config.donor_min_area:
        return "too small"
    visibility = area / int(np.count_nonzero(inst.amodal_mask))
    if visibility < config.donor_min_visibility:
        return "occluded"
    ys, xs = np.nonzero(visible)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    ox, oy = inst.amodal_origin
    mh, mw = inst.amodal_mask.shape
    border = box[0] == 0 or box[1] == 0 or box[2] == sample.width or box[3] == sample.height
    cut_off = ox < 0 or oy < 0 or ox + mw > sample.width or oy + mh > sample.height
    if config.skip_truncated and (border or cut_off):
        return "truncated"
    return area, visibility, box


def cut(sample: Sample, donor: Donor) -> tuple[np.ndarray, np.ndarray]:
    """The donor's visible mask and RGB pixels, cropped to its box."""
    x0, y0, x1, y1 = donor.box
    mask = sample.instance_map[y0:y1, x0:x1] == donor.instance
    return mask, np.ascontiguousarray(sample.image[y0:y1, x0:x1])


def balance_plan(
    index: DonorIndex,
    names: Sequence[str],
    config: CopyPasteConfig,
    *,
    sources: Sequence[int],
    copies: int,
    seed: int,
) -> tuple[list[list[Donor]], dict[str, Any]]:
    """Per output image (``sources[i]`` its source image), the donors pasted into it, and
    the balance report (before, target, planned pastes, targets that cannot be met)."""
    share = shares(config.target, names)
    before = {c: index.counts[c] * copies for c in names}
    scale = max(Fraction(before[c]) / s for c, s in share.items())
    target = {c: max(before[c], math.ceil(scale * s)) for c, s in share.items()}
    chosen = (
        [c for c in share if c in index.donors]
        if config.classes == "rare"
        else list(config.classes)
    )
    unmet: dict[str, str] = {}
    pastes: list[str] = []
    for c in share:
        need = target[c] - before[c]
        if need <= 0:
            continue
        if c not in chosen:
            unmet[c] = f"{need} short: not among the pasted classes"
        elif not index.donors.get(c):
            unmet[c] = f"{need} short: no usable donor ({_why(index, c)})"
        else:
            pastes += [c] * need
    explicit = config.classes != "rare"
    missing = [c for c in chosen if not index.donors.get(c) and (explicit or c in unmet)]
    if missing and (explicit or not pastes):
        raise OptionError(
            f"copy-paste: no usable donor for {', '.join(missing)} "
            f"({'; '.join(_why(index, c) for c in missing)}); donors need a polygon or RLE "
            "mask (box-only instances are skipped) and must be visible and large enough "
            "(donor_min_visibility, donor_min_area)"
        )
    rng = np.random.default_rng([seed, zlib.crc32(b"copy_paste")])
    pastes = [pastes[k] for k in rng.permutation(len(pastes))]
    order = rng.permutation(len(sources)).tolist()
    per_image: list[list[Donor]] = [[] for _ in sources]
    short: Counter[str] = Counter()
    slot = 0
    for c in pastes:
        donor = None
        for step in range(len(order)):  # the next image with room and a donor from elsewhere
            out = order[(slot + step) % len(order)]
            if len(per_image[out]) >= config.max_pastes:
                continue
            others = [d for d in index.donors[c] if d.source_index != sources[out]]
            if others:
                donor = others[int(rng.integers(len(others)))]
                per_image[out].append(donor)
                slot += step + 1
                break
        if donor is None:
            short[c] += 1
    for c, n in short.items():
        unmet[c] = f"{n} short: no room (--max-pastes {config.max_pastes} per image)"
    planned = Counter(d.category for pasted in per_image for d in pasted)
    report = {
        "target_weights": {c: float(s) for c, s in share.items()},
        "before": before,
        "target": target,
        "planned_pastes": dict(sorted(planned.items())),
        "donors": {c: len(v) for c, v in index.donors.items()},
        "donors_skipped": {c: dict(v) for c, v in index.skipped.items() if v},
        "unmet": unmet,
    }
    return per_image, report


def _why(index: DonorIndex, name: str) -> str:
    """Why a class has no donor: its instances skipped, by reason."""
    skipped = index.skipped.get(name) or Counter()
    found = ", ".join(f"{n} {why}" for why, n in sorted(skipped.items()))
    return f"{name}: {found or 'no instance in the dataset'}"
