"""synthgen augment against raw albumentations on the same images, same run.

    python benchmarks/augment.py                          # hflip,rotate on 40 images x 2
    python benchmarks/augment.py --num 200 --image-format png
    python benchmarks/augment.py --profile night,fog --num 100 --workers 2
    python benchmarks/augment.py --num 200 --per-image 4 --size 640x640

The source is a quickstart dataset (640x480 unless --size, COCO with masks) made first. The baseline
does images only, as a training loader would: decode, one albumentations Compose with the
same ops, encode (JPEG 95 by default, as synthgen writes) and write, in a pool of the same
size; both sides count their pool's start. synthgen adds what labels need:
reading the annotations, rasterizing masks, warping the instance map and every mask,
deriving boxes/polygons/visibility, writing COCO and the manifest. The ratio
synthgen / baseline is the figure that travels between machines; on a shared machine the
CPU ratio (every process's CPU time per image, each side's pool start-up included) is
the steadier one.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import yaml

if TYPE_CHECKING:
    import albumentations as A  # noqa: N812 (the library's documented alias)

    from synthgen.recipe import Recipe

QUICKSTART = Path(__file__).parents[1] / "scenes" / "quickstart.yaml"

# Spawned workers import this module again: albumentations and synthgen are imported
# where each side uses them, so a pool's start pays for its own side's imports only
# (albumentations costs ~0.75 s of CPU a process, synthgen's run engine ~0.55 s).

# The same effects as synthgen's profiles, as albumentations users would write them.
RAW_NAMES = ("hflip", "rotate", "perspective", "night", "fog", "rain", "motion_blur", "jpeg")


def _raw_transforms() -> dict:
    import albumentations as A  # noqa: N812 (the library's documented alias)

    return {
        "hflip": lambda: A.HorizontalFlip(p=1.0),
        "rotate": lambda: A.Affine(rotate=(-15, 15), border_mode=cv2.BORDER_CONSTANT, p=1.0),
        "perspective": lambda: A.Perspective(scale=(0.02, 0.1), p=1.0),
        "night": lambda: A.Compose([A.RandomGamma((180, 300), p=1.0), A.ISONoise(p=1.0)]),
        "fog": lambda: A.RandomFog(p=1.0),
        "rain": lambda: A.RandomRain(p=1.0),
        "motion_blur": lambda: A.MotionBlur(blur_limit=(7, 21), p=1.0),
        "jpeg": lambda: A.ImageCompression(quality_range=(10, 40), p=1.0),
    }


_pipeline: A.Compose | None = None


def _init(names: list[str]) -> None:
    import albumentations as A  # noqa: N812 (the library's documented alias)

    global _pipeline
    cv2.setNumThreads(1)
    raw = _raw_transforms()
    _pipeline = A.Compose([raw[n]() for n in names], seed=0)


def _raw_one(job: tuple[Path, Path]) -> None:
    src, dst = job
    assert _pipeline is not None
    image = cv2.cvtColor(cv2.imread(str(src)), cv2.COLOR_BGR2RGB)
    out = _pipeline(image=image)["image"]
    cv2.imwrite(str(dst), cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children that have ended: on a
    shared machine the CPU a side spends per image is steadier than its wall-clock rate."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def bench_raw(
    images: list[Path], names: list[str], per_image: int, workers: int, fmt: str, mark: int
) -> dict:
    from common import RssSampler

    tmp = Path(tempfile.mkdtemp(prefix="bench-albu-"))
    jobs = [(p, tmp / f"{i:06d}_{k}.{fmt}") for i, p in enumerate(images) for k in range(per_image)]
    try:
        with RssSampler(tmp, []) as rss:
            cpu, t0 = cpu_seconds(), time.perf_counter()
            with mp.get_context("spawn").Pool(workers, _init, (names,)) as pool:
                for done, _ in enumerate(pool.imap(_raw_one, jobs, chunksize=2), start=1):
                    if done == mark:
                        at_mark = time.perf_counter()
            end = time.perf_counter()
            cpu = cpu_seconds() - cpu  # the pool's workers were ended and reaped on exit
        return {
            "cpu_ms": 1000 * cpu / len(jobs),
            "rate": len(jobs) / (end - t0),
            "steady": (len(jobs) - mark) / (end - at_mark),
            "peak_mb": rss.peak,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def source_recipe(num: int, width: int, height: int) -> Recipe:
    """The quickstart recipe at another canvas size (the signs scale with its height)."""
    from synthgen.recipe import build_recipe

    data = yaml.safe_load(QUICKSTART.read_text())
    data["generator"]["canvas"] = {"width": width, "height": height}
    return build_recipe(data | {"num": num}, base_dir=QUICKSTART.parent, source=str(QUICKSTART))


def main() -> None:
    from common import time_generate

    from synthgen.augment.command import augment_recipe, parse_profiles
    from synthgen.run import generate_dataset

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="hflip,rotate")
    parser.add_argument("--num", type=int, default=40, help="source images")
    parser.add_argument("--per-image", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--image-format", default="jpg", choices=["jpg", "png"])
    parser.add_argument("--size", default="640x480", help="source images, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    names = [n.strip() for n in args.profile.split(",")]
    missing = [n for n in names if n not in RAW_NAMES]
    if missing:
        parser.error(f"no raw albumentations baseline for {missing}; choose from {list(RAW_NAMES)}")

    tmp = Path(tempfile.mkdtemp(prefix="bench-augment-src-"))
    try:
        src = tmp / "src"
        generate_dataset(source_recipe(args.num, width, height), src, workers=args.workers,
                         progress=False)  # fmt: skip
        images = sorted((src / "images").iterdir())
        total = args.num * args.per_image
        mark = max(total // 10, 1)  # steady: after the first 10% (worker start-up left out)
        raw = bench_raw(images, names, args.per_image, args.workers, args.image_format, mark)
        recipe = augment_recipe(
            src / "annotations" / "instances.json",
            profiles=parse_profiles(args.profile),
            formats=["coco"],
            per_image=args.per_image,
            seed=0,
            image_format=args.image_format,
        )
        cpu = cpu_seconds()
        ours = time_generate(recipe, args.workers, marks=[mark])
        ours["cpu_ms"] = 1000 * (cpu_seconds() - cpu) / total
        ours["steady"] = ours["steady_after"][mark]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{total} copies of {args.num} {width}x{height} images, profile {args.profile}, "
          f"{args.workers} workers; img/s over the whole run / after the first {mark}")  # fmt: skip
    for name, res in (("albumentations (images only)", raw), ("synthgen augment (+ labels)", ours)):
        print(
            f"  {name:<29} {res['rate']:7.1f} / {res['steady']:7.1f} img/s  "
            f"peak {res['peak_mb']:.0f} MB  CPU {res['cpu_ms']:.2f} ms/img"
        )
    print(
        "  time per image, synthgen / albumentations: "
        f"{raw['rate'] / ours['rate']:.2f}x whole run, {raw['steady'] / ours['steady']:.2f}x "
        f"steady, {ours['cpu_ms'] / raw['cpu_ms']:.2f}x CPU (all processes, start-up included)"
    )


if __name__ == "__main__":
    main()
