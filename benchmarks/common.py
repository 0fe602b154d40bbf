"""What the benchmarks share: memory of the whole process tree, sampled while a run goes."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from synthgen.recipe import Recipe
from synthgen.run import generate_dataset


def rss_tree_mb() -> float:
    """Resident memory of this process and all its descendants, in MB."""
    pids, total = [os.getpid()], 0
    while pids:
        pid = pids.pop()
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
            for task in Path(f"/proc/{pid}/task").iterdir():
                with open(task / "children") as f:
                    pids += [int(p) for p in f.read().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024


class RssSampler:
    """Samples the process tree's RSS; records it (and the time) when the dataset reaches
    marks."""

    def __init__(self, out: Path, marks: list[int]) -> None:
        self.out, self.marks, self.at = out, sorted(marks), {}
        self.when: dict[int, float] = {}  # perf_counter() when the manifest reached a mark
        self.done: dict[int, int] = {}  # records in the manifest at that time (>= the mark)
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        manifest = self.out / "manifest.jsonl"
        offset = done = 0
        while not self._stop.wait(0.2):
            rss = rss_tree_mb()
            self.peak = max(self.peak, rss)
            if self.marks and manifest.exists():
                with open(manifest, "rb") as f:  # count only the records added since last time
                    f.seek(offset)
                    new = f.read()
                offset += len(new)
                done += new.count(b"\n")
                while self.marks and done >= self.marks[0]:
                    self.when[self.marks[0]] = time.perf_counter()
                    self.done[self.marks[0]] = done
                    self.at[self.marks.pop(0)] = rss

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def time_generate(
    recipe: Recipe, workers: int, marks: list[int] | None = None, **options: Any
) -> dict:
    """Runs ``recipe`` through the real engine into a temporary folder (removed after):
    samples/s, seconds, peak RSS of the process tree, and RSS at the ``marks``. ``options``
    go to ``generate_dataset`` (e.g. ``executor_kind="ray"``)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-synthgen-"))
    try:
        with RssSampler(tmp / "out", marks or []) as rss:
            t0 = time.perf_counter()
            generate_dataset(recipe, tmp / "out", workers=workers, progress=False, **options)
            end = time.perf_counter()
            seconds = end - t0
        return {
            "rate": recipe.num / seconds,
            "seconds": seconds,
            "peak_mb": rss.peak,
            "rss_at": rss.at,
            "seconds_after": {mark: end - when for mark, when in rss.when.items()},
            # The rate after a mark: the manifest is flushed about once a second, so count
            # from the records it held when the mark was seen, not from the mark.
            "steady_after": {
                mark: (recipe.num - rss.done[mark]) / (end - when)
                for mark, when in rss.when.items()
            },
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
