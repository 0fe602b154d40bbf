"""Sharded output: samples ``[k*S, (k+1)*S)`` go to ``OUT/shard-0000k/``, a complete dataset.

Every shard keeps the global sample indices (image names, COCO image ids), so shards
merge into the dataset an unsharded run makes. ``OUT/run.json`` records the sharded run
(recipe hash, shard size, shard count); each shard's ``run.json`` records its index range.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SHARD_PREFIX = "shard-"


def shard_dir(k: int) -> str:
    return f"{SHARD_PREFIX}{k:05d}"


def shard_ranges(num: int, size: int) -> list[range]:
    """The index range of each shard; the last one may be shorter.

    >>> shard_ranges(7, 3)
    [range(0, 3), range(3, 6), range(6, 7)]
    """
    return [range(a, min(a + size, num)) for a in range(0, num, size)]


@dataclass(frozen=True)
class Layout:
    """Where sample ``i``'s files go under the run's folder: the folder itself, or its
    shard's folder when ``shard_size`` is set; with ``remote``, the run's folder is a
    worker's own staging folder. Picklable: workers get it with the task."""

    shard_size: int | None = None
    # An fsspec URL: workers stage each sample's files locally and upload them there.
    remote: str | None = None

    def folder(self, root: Path, index: int) -> Path:
        if self.shard_size is None:
            return root
        return root / shard_dir(index // self.shard_size)
