"""Finalization: a folder's dataset-level files are a function of (recipe, root, records).

The engine feeds the records as the workers finish them; ``synthgen merge`` replays the
shards' manifests. Both go through ``Records`` (the writers' begin / add / end) and
``finish_folder`` (label noise report, leftover temp files, ``run.json`` marked complete
last), so a merged folder has the bytes of an unsharded run.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthgen.config import LabelNoiseConfig
from synthgen.files import PARTIAL_SUFFIX, atomic_write_text
from synthgen.label_noise import REPORT_FILE as NOISE_REPORT
from synthgen.label_noise import noise_report
from synthgen.run.manifest import write_run_info
from synthgen.writers.base import Fragment, ImageRef, Writer


@dataclass
class RunSummary:
    root: Path | str
    num: int
    made: int = 0
    ok: int = 0
    skipped: int = 0
    objects: Counter[str] = field(default_factory=Counter)
    attributes: dict[str, Counter[str]] = field(default_factory=dict)
    seconds: float = 0.0
    already_complete: bool = False
    noise: dict[str, Any] | None = None  # label_noise.json's report, for a noisy run

    def __str__(self) -> str:
        if self.already_complete:
            return f"{self.root}: already complete ({self.ok} samples); nothing to do"
        rate = self.made / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.root}: {self.ok} samples ({self.skipped} skipped), "
            f"{sum(self.objects.values())} objects; made {self.made} in {self.seconds:.1f} s "
            f"({rate:.1f} samples/s)"
        )

    def absorb(self, counts: dict[str, Any]) -> None:
        """Adds a finished folder's ``run.json`` counts (a skipped shard's)."""
        self.ok += counts.get("samples", 0)
        self.skipped += counts.get("skipped", 0)
        self.objects.update(counts.get("objects_per_category", {}))
        for name, values in counts.get("attributes", {}).items():
            self.attributes.setdefault(name, Counter()).update(values)


class Records:
    """Feeds every finished record to the writers, in index order, and counts it."""

    def __init__(self, writers: list[Writer], summary: RunSummary) -> None:
        self.writers = writers
        self.summary = summary
        self.attributes: Counter[tuple[str, str]] = Counter()  # (name, value)
        self.noise: Counter[str] = Counter()  # label noise counts summed over the samples
        for writer in writers:
            writer.begin()

    def add(self, rec: dict[str, Any]) -> None:
        if rec["status"] != "ok":
            self.summary.skipped += 1
            return
        self.summary.ok += 1
        # Plain loops: Counter.update's Mapping check costs more than these few items.
        for category, count in rec["objects"].items():
            self.summary.objects[category] += count
        for pair in rec.get("attributes", {}).items():
            self.attributes[pair] += 1
        if "noise" in rec:
            for kind, count in rec["noise"].get("counts", {}).items():
                self.noise[kind] += count
        index, img, labels = rec["index"], rec.get("image"), rec["labels"]
        ref = img and ImageRef(
            index, Path(img["file"]).stem, img["file"], img["width"], img["height"]
        )
        plain = None  # one fragment for the writers with no data of their own (text writers)
        for writer in self.writers:
            data = labels.get(writer.name)
            if data is None:
                if plain is None:
                    plain = Fragment(ref, None, index, rec.get("text"))
                writer.add(plain)
            else:
                writer.add(Fragment(ref, data, index, rec.get("text")))

    def end(self) -> None:
        for writer in self.writers:
            writer.end()
        for (name, value), count in self.attributes.items():
            self.summary.attributes.setdefault(name, Counter())[value] = count


def run_counts(summary: RunSummary) -> dict[str, Any]:
    return {
        "samples": summary.ok,
        "skipped": summary.skipped,
        "objects": sum(summary.objects.values()),
        "objects_per_category": dict(sorted(summary.objects.items())),
        # Achieved distributions of the sampled classes and attributes, exactly.
        "attributes": {
            name: dict(sorted(values.items()))
            for name, values in sorted(summary.attributes.items())
        },
    }


def finish_folder(
    root: Path,
    info: dict[str, Any],
    summary: RunSummary,
    noise: LabelNoiseConfig | None,
    noise_counts: Counter[str],
) -> None:
    """Completes a folder whose writers have ended: ``run.json`` says complete last."""
    if noise is not None:
        summary.noise = noise_report(noise, noise_counts)
        atomic_write_text(root / NOISE_REPORT, json.dumps(summary.noise, indent=2) + "\n")
    remove_partials(root)
    write_run_info(root, {**info, "status": "complete", "counts": run_counts(summary)})


def remove_partials(root: Path) -> None:
    """Temp files of samples that were being written when an earlier run was killed."""
    for path in root.rglob(f"*{PARTIAL_SUFFIX}"):
        path.unlink()
