"""Ray executor against local processes at the same worker count, on the compositor.

    python benchmarks/scaleout.py                  # 1000 images: local 1, local 2, ray 2
    python benchmarks/scaleout.py --num 2000 --repeat 3

Every run goes through the real engine (composite.py's recipe: 640x640, 10 objects, JPEG
+ COCO). Ray is started once, before its runs, and timed on its own (ray.init with 2 CPUs);
each run then creates its actors, as a run on a cluster does. Figures per run:

- img/s: images / seconds of the whole run, worker start-up included;
- steady: images after the first 10% / seconds after the manifest reached them (worker
  start-up left out; the manifest is flushed about once a second);
- start-up: seconds of the run beyond images / steady rate: what starting the workers
  (processes or actors, imports, generators) costs;
- overhead ms/img: worker time per image that Ray adds, (1/ray - 1/local) x workers from
  the steady rates at the same worker count;
- peak RSS: of the whole process tree (for Ray: its GCS, raylet and actors too).

With --repeat the best run of each kind counts (a shared machine only ever makes a run
slower); runs of the two executors alternate, so that load falls on both alike, and each
round prints its own ratio.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

from common import time_generate
from composite import recipe

from synthgen.recipe import build_recipe


def bench(num: int, workers: int, executor: str) -> dict:
    loaded = build_recipe(recipe("alpha") | {"num": num}, base_dir=Path.cwd())
    mark = num // 10
    result = time_generate(loaded, workers, [mark], executor_kind=executor)
    result["steady"] = result["steady_after"][mark]
    return result


def start_ray(workers: int) -> float:
    import ray

    began = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.WARNING)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    w = args.workers
    print(f"composite 640x640, 10 objects, JPEG + COCO, {args.num} images, {os.cpu_count()} cores")
    print(f"ray.init(num_cpus={w}): {start_ray(w):.1f} s (not in the runs below)")
    print(
        f"{'run':>8}  {'img/s':>6}  {'steady':>6}  {'seconds':>7}  {'start-up s':>10}  "
        f"{'peak RSS MB':>11}"
    )
    best: dict[str, dict] = {}
    kinds = [("local", 1), ("local", w), ("ray", w)]
    for _ in range(args.repeat):
        round_: dict[str, dict] = {}
        for executor, workers in kinds:
            result = bench(args.num, workers, executor)
            name = f"{executor} {workers}"
            startup = result["seconds"] - args.num / result["steady"]
            print(
                f"{name:>8}  {result['rate']:>6.1f}  {result['steady']:>6.1f}  "
                f"{result['seconds']:>7.1f}  {startup:>10.1f}  {result['peak_mb']:>11.0f}",
                flush=True,
            )
            if name not in best or result["steady"] > best[name]["steady"]:
                best[name] = result
            round_[name] = result
        local, ray = round_[f"local {w}"], round_[f"ray {w}"]
        print(
            f"    this round, ray/local at {w} workers: {ray['rate'] / local['rate']:.2f} "
            f"(whole run), {ray['steady'] / local['steady']:.2f} (steady)"
        )
    local, ray = best[f"local {w}"], best[f"ray {w}"]
    overhead = (1 / ray["steady"] - 1 / local["steady"]) * w * 1000
    print(
        f"best of {args.repeat}: ray/local at {w} workers: {ray['rate'] / local['rate']:.2f} "
        f"(whole run), {ray['steady'] / local['steady']:.2f} (steady); "
        f"Ray overhead {overhead:+.1f} ms per image of worker time"
    )


if __name__ == "__main__":
    main()
