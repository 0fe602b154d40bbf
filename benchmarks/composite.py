"""Compositor throughput and memory, against a raw paste-and-encode baseline run alongside.

    python benchmarks/composite.py                 # 640x640, 10 objects, JPEG + COCO
    python benchmarks/composite.py --num 20000     # also shows RSS growth from 1k to 20k
    python benchmarks/composite.py --blend ensemble

synthgen runs through the real engine (plan, placement checks, labels, COCO fragments,
manifest, finalize). The baseline does only the unavoidable work, with the same assets
decoded once: crop and resize a background, paste 10 pre-scaled cutouts with alpha, encode
the JPEG and write it. The ratio synthgen / baseline is the figure that travels between
machines; samples/s alone depends on the machine and its load.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from common import time_generate

from synthgen.recipe import build_recipe

SIZE = 640
OBJECTS = 10

BLENDS = {
    "alpha": {"alpha": 1},
    # The five modes of "Cut, Paste and Learn" drawn per object.
    "ensemble": {"none": 1, "gaussian": 1, "poisson": 1, "motion": 1, "alpha": 1},
}


def recipe(blend: str) -> dict:
    return {
        "seed": 0,
        "generator": {
            "kind": "composite",
            "canvas": {"width": SIZE, "height": SIZE},
            "backgrounds": {"builtin": "streets"},
            "objects": {
                "source": {"builtin": "traffic_signs"},
                "count": [OBJECTS, OBJECTS],
                "scale": [0.1, 0.3],
                "rotation": [-15, 15],
            },
            "placement": {"max_occlusion": 0.8},
            "blending": {"modes": BLENDS[blend]},
        },
        "output": {"image": {"format": "jpg", "quality": 90}, "formats": ["coco"]},
    }


def bench_synthgen(num: int, workers: int, blend: str, marks: list[int]) -> dict:
    loaded = build_recipe(recipe(blend) | {"num": num}, base_dir=Path.cwd())
    return time_generate(loaded, workers, marks)


# ---------------------------------------------------------------------------- baseline

_assets: tuple[list[np.ndarray], list[np.ndarray]] | None = None


def _baseline_assets() -> tuple[list[np.ndarray], list[np.ndarray]]:
    global _assets
    if _assets is None:
        from synthgen.generators.composite import procedural

        cutouts = [c.rgba for cs in procedural.traffic_sign_cutouts().values() for c in cs]
        _assets = (cutouts, list(procedural.street_backgrounds()))
    return _assets


def _init_baseline() -> None:
    cv2.setNumThreads(1)
    _baseline_assets()


def _baseline_image(args: tuple[int, str]) -> None:
    """Background crop + 10 alpha pastes + JPEG encode + write: no labels, no checks.

    Written as tightly as synthgen's own paste: bilinear scaling, and alpha blending as
    two saturating uint8 operations on premultiplied colour.
    """
    index, out = args
    cutouts, backgrounds = _baseline_assets()
    rng = np.random.default_rng(index)
    bg = backgrounds[index % len(backgrounds)]
    canvas = cv2.resize(bg[:, : bg.shape[0]], (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    for _ in range(OBJECTS):
        cut = cutouts[int(rng.integers(len(cutouts)))]
        side = int(SIZE * rng.uniform(0.1, 0.3))
        obj = cv2.resize(cut, (side, side), interpolation=cv2.INTER_LINEAR)
        a3 = cv2.merge([obj[:, :, 3]] * 3)
        premul = cv2.multiply(cv2.cvtColor(obj, cv2.COLOR_RGBA2RGB), a3, scale=1 / 255)
        x, y = rng.integers(0, SIZE - side, 2)
        roi = canvas[y : y + side, x : x + side]
        roi[:] = cv2.add(cv2.multiply(roi, cv2.bitwise_not(a3), scale=1 / 255), premul)
    _, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
    )
    Path(out, f"{index:08d}.jpg").write_bytes(buf.tobytes())


def bench_baseline(num: int, workers: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    try:
        jobs = [(i, str(tmp)) for i in range(num)]
        t0 = time.perf_counter()
        if workers == 1:
            _init_baseline()
            for job in jobs:
                _baseline_image(job)
        else:
            # spawn, like synthgen: forking a process that has threads can deadlock
            with mp.get_context("spawn").Pool(workers, initializer=_init_baseline) as pool:
                pool.map(_baseline_image, jobs, chunksize=16)
        seconds = time.perf_counter() - t0
        return {"rate": num / seconds, "seconds": seconds}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num", type=int, default=2000)
    parser.add_argument("--blend", choices=sorted(BLENDS), default="alpha")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    # The second mark sits just before the end, while the workers still run.
    marks = [1000, args.num - 200] if args.num >= 2000 else []
    print(
        f"{SIZE}x{SIZE}, {OBJECTS} objects, JPEG q90 + COCO polygons, blend={args.blend}, "
        f"{args.num} images, {os.cpu_count()} cores"
    )
    print(
        f"{'workers':>7}  {'synthgen img/s':>14}  {'baseline img/s':>14}  {'ratio':>5}  "
        f"{'peak RSS MB':>11}"
    )
    for workers in args.workers:
        ours = bench_synthgen(args.num, workers, args.blend, marks)
        base = bench_baseline(args.num, workers)
        print(
            f"{workers:>7}  {ours['rate']:>14.1f}  {base['rate']:>14.1f}  "
            f"{ours['rate'] / base['rate']:>5.2f}  {ours['peak_mb']:>11.0f}"
        )
        if len(ours["rss_at"]) == 2:
            a, b = (ours["rss_at"][m] for m in marks)
            print(
                f"         RSS at {marks[0]}: {a:.0f} MB, at {marks[1]}: {b:.0f} MB, "
                f"growth {b - a:+.0f} MB"
            )


if __name__ == "__main__":
    main()
